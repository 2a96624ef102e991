//! Reader-only mode: serve an index that another process (`textisur indexer`) writes.

use std::time::Duration;

use textisur_search_index::{IndexRoot, SearchIndex, Synonyms};
use tokio::task::JoinHandle;

use crate::apply::blocking;
use crate::live::{LiveIndex, applied_below};

/// The task that keeps a [`LiveIndex`] on the latest commit of the live generation.
pub struct Follower {
    task: JoinHandle<()>,
}

impl Follower {
    /// Stops following.
    pub fn stop(self) {
        self.task.abort();
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Polls `CURRENT` and the live generation's last commit every `every`: swaps `live` to a
/// newly promoted generation, reloads on a new commit and publishes its checkpoint.
pub fn follow(root: IndexRoot, live: LiveIndex, every: Duration) -> Follower {
    let task = tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failing = false;
        loop {
            tick.tick().await;
            match poll(root.clone(), live.clone()).await {
                Ok(()) => failing = false,
                // Log once per outage, not four times a second.
                Err(error) if !failing => {
                    failing = true;
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "cannot follow the search index"
                    );
                }
                Err(_) => {}
            }
        }
    });
    Follower { task }
}

async fn poll(root: IndexRoot, live: LiveIndex) -> anyhow::Result<()> {
    blocking(move || {
        let Some(name) = root.current_name()? else {
            return Ok(());
        };
        if live.generation().as_deref() != Some(name.as_str()) {
            let index = SearchIndex::open(&root.path().join(&name), Synonyms::default())?;
            tracing::info!(generation = name, "serving search index generation");
            live.swap(&name, index);
        }
        let Some(index) = live.current() else {
            return Ok(());
        };
        if let Some(meta) = index.meta()?
            && live.checkpoint() != Some(meta.checkpoint)
        {
            index.reload()?;
            live.publish(meta.checkpoint, applied_below(meta.checkpoint));
        }
        Ok(())
    })
    .await
}
