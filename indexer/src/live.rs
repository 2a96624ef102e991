//! The index the API reads through, and how far it has caught up with PostgreSQL.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use textisur_search_index::{Checkpoint, SearchIndex};
use tokio::sync::watch;

/// The live search index: swapped when another generation is promoted, and a watch of the
/// transactions it reflects. Cheap to clone; every clone sees the same index.
#[derive(Clone)]
pub struct LiveIndex {
    inner: Arc<Inner>,
}

struct Inner {
    current: RwLock<Option<(String, SearchIndex)>>,
    checkpoint: Mutex<Option<Checkpoint>>,
    applied_below: watch::Sender<u64>,
    /// The highest transaction bound a reader has waited for: while it is above
    /// `applied_below`, the indexer skips its pause between commits.
    wanted: watch::Sender<u64>,
}

impl std::fmt::Debug for LiveIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveIndex")
            .field("generation", &self.generation())
            .field("applied_below", &self.applied_below())
            .finish()
    }
}

impl Default for LiveIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveIndex {
    /// A live index with nothing to serve yet (the index is being built).
    pub fn new() -> Self {
        Self {
            inner: Arc::new(Inner {
                current: RwLock::new(None),
                checkpoint: Mutex::new(None),
                applied_below: watch::Sender::new(0),
                wanted: watch::Sender::new(0),
            }),
        }
    }

    /// The index to search now; `None` until one was ever built.
    pub fn current(&self) -> Option<SearchIndex> {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        current.as_ref().map(|(_, index)| index.clone())
    }

    /// The name of the generation served now.
    pub fn generation(&self) -> Option<String> {
        let current = self
            .inner
            .current
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        current.as_ref().map(|(name, _)| name.clone())
    }

    /// Every transaction with an id below this one is searchable.
    pub fn applied_below(&self) -> u64 {
        *self.inner.applied_below.borrow()
    }

    /// The outbox position of the served index's last commit.
    pub fn checkpoint(&self) -> Option<Checkpoint> {
        *self
            .inner
            .checkpoint
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits until every transaction below `txid_bound` is searchable; `false` on timeout.
    pub async fn wait_applied(&self, txid_bound: u64, timeout: Duration) -> bool {
        let mut applied = self.inner.applied_below.subscribe();
        if *applied.borrow() < txid_bound {
            self.inner.wanted.send_if_modified(|wanted| {
                let raised = txid_bound > *wanted;
                if raised {
                    *wanted = txid_bound;
                }
                raised
            });
        }
        matches!(
            tokio::time::timeout(timeout, applied.wait_for(|below| *below >= txid_bound)).await,
            Ok(Ok(_))
        )
    }

    /// Resolves once a reader waits in [`Self::wait_applied`] for a transaction that is not
    /// searchable yet.
    pub(crate) async fn hurried(&self) {
        let mut wanted = self.inner.wanted.subscribe();
        let _ = wanted
            .wait_for(|wanted| *wanted > self.applied_below())
            .await;
    }

    /// Serves `index` (generation `name`) from now on.
    pub(crate) fn swap(&self, name: &str, index: SearchIndex) {
        let mut current = self
            .inner
            .current
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        *current = Some((name.to_owned(), index));
    }

    /// Records a commit that is now visible to searches.
    pub(crate) fn publish(&self, checkpoint: Checkpoint, applied_below: u64) {
        *self
            .inner
            .checkpoint
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(checkpoint);
        self.advance(applied_below);
    }

    /// Moves `applied_below` forward (never back).
    pub(crate) fn advance(&self, applied_below: u64) {
        self.inner.applied_below.send_if_modified(|below| {
            let moved = applied_below > *below;
            if moved {
                *below = applied_below;
            }
            moved
        });
    }
}

/// The first transaction id a checkpoint does not cover entirely: `(t, i64::MAX)` covers all
/// of `t`, any other `(t, seq)` everything below `t`.
pub fn applied_below(checkpoint: Checkpoint) -> u64 {
    if checkpoint.seq == i64::MAX {
        checkpoint.txid.saturating_add(1)
    } else {
        checkpoint.txid
    }
}
