//! The indexer worker: wakes on `NOTIFY search_outbox` (or every sweep interval, as a
//! backstop for lost notifications) and drains the outbox into the live generation.
//!
//! One [`Indexer`] owns the writer; [`Indexer::drain`] is the whole of its work, so tests
//! call it directly instead of waiting. When another process (`textisur reindex`) promotes a
//! new generation, the next drain drops the old writer and continues on the new one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use textisur_search_index::{IndexRoot, SearchIndex, Synonyms};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

use crate::apply::{OutboxApplier, StepSettings, blocking};
use crate::crash::CrashPoint;
use crate::live::{LiveIndex, applied_below};
use crate::outbox::{Consumer, ConsumerExpired};
use crate::rebuild::{rebuild, remove_stale_consumers};
use crate::{index_metrics, outbox, source};

/// The channel the outbox trigger notifies.
pub const OUTBOX_CHANNEL: &str = "search_outbox";

/// How long [`Indexer::drain_committed`] waits for older transactions to finish.
const COMMITTED_WAIT: Duration = Duration::from_secs(30);

/// Least time between two recounts of the index's documents (a full scan of an id column).
const DOCUMENT_COUNT_EVERY: Duration = Duration::from_secs(10);

/// How the indexer runs.
#[derive(Clone, Debug)]
pub struct IndexerConfig {
    /// Outbox rows per batch (one index commit each).
    pub batch_size: usize,
    /// Drain at least this often, notification or not.
    pub sweep: Duration,
    /// Least time between the starts of two drains of the worker loop. Writes arriving in
    /// between wait and share one index commit: under a steady stream of writes (checkouts
    /// change stock), committing on every notification wrote a new segment several times a
    /// second. Searches see a write at most this much later; a reader waiting for its own
    /// write (a consistency token) ends the pause at once. [`Indexer::drain`], which tests
    /// call, is never delayed.
    pub commit_interval: Duration,
    /// Indexing buffer of the writer, in bytes.
    pub writer_memory_bytes: usize,
    /// An index root (a replica) whose acknowledgement row nobody touched for this long is
    /// expired: the outbox stops waiting for it, and it rebuilds its index when it comes
    /// back. A live writer touches its row every quarter of this, kept between 100 ms and a
    /// minute.
    pub consumer_expiry: Duration,
    /// Test hook: abort at this point of a batch (see [`CrashPoint`]).
    pub crash: Option<CrashPoint>,
}

impl Default for IndexerConfig {
    fn default() -> Self {
        Self {
            batch_size: 1_000,
            sweep: Duration::from_secs(5),
            commit_interval: Duration::from_millis(500),
            writer_memory_bytes: 64_000_000,
            consumer_expiry: Duration::from_secs(3_600),
            crash: None,
        }
    }
}

/// The only writer of an index root. Cheap to clone; clones share the writer.
#[derive(Clone)]
pub struct Indexer {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    root: IndexRoot,
    /// The root's `ROOT_ID`: names this replica's acknowledgement rows.
    root_id: String,
    config: IndexerConfig,
    live: LiveIndex,
    applier: tokio::sync::Mutex<Option<OutboxApplier>>,
    counted_at: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for Indexer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexer")
            .field("root", &self.shared.root)
            .field("live", &self.shared.live)
            .finish_non_exhaustive()
    }
}

const NO_INDEX: &str = "no index yet";
const SCHEMA_CHANGED: &str = "index schema version changed";
const OTHER_DATABASE: &str = "index was built from another database";
const EXPIRED: &str = "this replica's outbox position expired";

/// The `reason` label of `textisur_index_rebuilds_total` for a [`rebuild_reason`].
fn reason_label(reason: &str) -> &'static str {
    match reason {
        NO_INDEX => "missing",
        SCHEMA_CHANGED => "schema",
        OTHER_DATABASE => "other_database",
        _ => "expired",
    }
}

/// Why the live generation cannot be used as it is, if it cannot.
pub async fn rebuild_reason(
    pool: &PgPool,
    root: &IndexRoot,
) -> anyhow::Result<Option<&'static str>> {
    let opening = root.clone();
    let current = blocking(move || opening.open_current(&Synonyms::default())).await?;
    let Some((generation, index)) = current else {
        return Ok(Some(NO_INDEX));
    };
    if !blocking(move || index.is_current_schema()).await? {
        return Ok(Some(SCHEMA_CHANGED));
    }
    let identity = source::database_identity(pool).await?;
    if source::recorded_identity(root.path())?.as_deref() != Some(identity.as_str()) {
        return Ok(Some(OTHER_DATABASE));
    }
    let consumer = Consumer {
        root: source::root_id(root.path())?,
        generation,
    };
    if !outbox::consumer_exists(pool, &consumer).await? {
        // Silent past the expiry (or from before roots had names): the outbox may have been
        // trimmed past this index's checkpoint.
        return Ok(Some(EXPIRED));
    }
    Ok(None)
}

impl Indexer {
    /// Opens the live generation's writer, building the index first when it is missing,
    /// of another schema version or of another database. `live` serves it from then on.
    pub async fn open(
        pool: PgPool,
        root: IndexRoot,
        config: IndexerConfig,
        live: LiveIndex,
    ) -> anyhow::Result<Self> {
        if let Some(reason) = rebuild_reason(&pool, &root).await? {
            tracing::info!(reason, "building the search index");
            metrics::counter!("textisur_index_rebuilds_total", "reason" => reason_label(reason))
                .increment(1);
            let report = rebuild(&pool, &root, &config).await?;
            tracing::info!(
                generation = report.generation,
                products = report.products,
                stores = report.stores,
                "search index built"
            );
        }
        remove_stale_consumers(&pool, &root).await?;
        let root_id = source::root_id(root.path())?;
        let indexer = Self {
            shared: Arc::new(Shared {
                pool,
                root,
                root_id,
                config,
                live,
                applier: tokio::sync::Mutex::new(None),
                counted_at: Mutex::new(None),
            }),
        };
        let mut slot = indexer.shared.applier.lock().await;
        indexer.follow_current(&mut slot).await?;
        drop(slot);
        Ok(indexer)
    }

    /// The index searches read, kept current by this indexer.
    pub fn live(&self) -> &LiveIndex {
        &self.shared.live
    }

    /// Applies every outbox row of the transactions that have finished (those below the
    /// current snapshot's `xmin`) and returns when they are searchable, with the bound:
    /// every transaction below it is applied. A transaction still open is not waited for.
    ///
    /// When this replica's acknowledgement row was expired (it was silent for longer than
    /// [`IndexerConfig::consumer_expiry`]), events it needs may be gone from the outbox: the
    /// index is built again, and searches keep reading the old one until the new one is live.
    pub async fn drain(&self) -> anyhow::Result<u64> {
        match self.drain_live().await {
            Err(error) if self.promoted_elsewhere(&error)? => {
                // Another process promoted a new generation (and forgot the old one's row)
                // while this writer was still applying to the old one: follow it.
                self.drain_live().await
            }
            Err(error) if error.is::<ConsumerExpired>() => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "this replica's outbox position expired; rebuilding the search index"
                );
                metrics::counter!("textisur_index_rebuilds_total", "reason" => "expired")
                    .increment(1);
                let shared = &self.shared;
                let report = rebuild(&shared.pool, &shared.root, &shared.config).await?;
                tracing::info!(
                    generation = report.generation,
                    products = report.products,
                    "search index rebuilt after expiry"
                );
                self.drain_live().await
            }
            other => other,
        }
    }

    /// Whether `error` is the expiry of a generation that is no longer the live one.
    fn promoted_elsewhere(&self, error: &anyhow::Error) -> anyhow::Result<bool> {
        let Some(expired) = error.downcast_ref::<ConsumerExpired>() else {
            return Ok(false);
        };
        let current = self.shared.root.current_name()?;
        Ok(current.is_some_and(|name| name != expired.generation))
    }

    async fn drain_live(&self) -> anyhow::Result<u64> {
        let shared = &self.shared;
        let mut slot = shared.applier.lock().await;
        self.follow_current(&mut slot).await?;
        let settings = StepSettings {
            batch_size: shared.config.batch_size,
            crash: shared.config.crash,
            consumer_expiry: shared.config.consumer_expiry,
        };
        let mut rows = 0;
        loop {
            let applier = slot.as_mut().context("no index writer")?;
            match applier
                .step(&shared.pool, settings, Some(&shared.live))
                .await
            {
                Ok(outcome) if outcome.caught_up => {
                    rows += outcome.rows;
                    shared.live.advance(outcome.applied_below);
                    if rows == 0 {
                        let period = outbox::heartbeat_period(shared.config.consumer_expiry);
                        if let Err(error) = applier.check_in(&shared.pool, period).await {
                            slot.take();
                            return Err(error);
                        }
                    }
                    self.record_metrics(applier).await;
                    if rows > 0 {
                        tracing::debug!(
                            rows,
                            applied_below = outcome.applied_below,
                            "search index caught up"
                        );
                    }
                    return Ok(outcome.applied_below);
                }
                Ok(outcome) => rows += outcome.rows,
                Err(error) => {
                    // Start over from the last commit: uncommitted writes are dropped with
                    // the writer, and the checkpoint is read back from the index.
                    if let Some(applier) = slot.take() {
                        tokio::task::spawn_blocking(move || drop(applier));
                    }
                    return Err(error);
                }
            }
        }
    }

    /// Applies every transaction committed before this call, waiting (up to 30 s) for older
    /// transactions still open to finish. What tests call after a write.
    pub async fn drain_committed(&self) -> anyhow::Result<u64> {
        let target = outbox::next_txid(&self.shared.pool).await?;
        let deadline = Instant::now() + COMMITTED_WAIT;
        let mut pause = Duration::from_millis(2);
        loop {
            let applied = self.drain().await?;
            if applied >= target {
                return Ok(applied);
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "transactions below {target} still running after {COMMITTED_WAIT:?}"
            );
            // Another transaction older than the target is still open (possibly in another
            // database of the cluster): poll until it ends.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(100));
        }
    }

    /// Waits for background merges and releases the writer (before the process exits).
    pub async fn close(&self) -> anyhow::Result<()> {
        let mut slot = self.shared.applier.lock().await;
        match slot.take() {
            Some(applier) => applier.finish().await,
            None => Ok(()),
        }
    }

    /// Runs the worker loop on a background task.
    pub fn spawn(&self) -> IndexerTask {
        let (stop, stopped) = watch::channel(false);
        let wake = Arc::new(Notify::new());
        let options = (*self.shared.pool.connect_options()).clone();
        let listener = tokio::spawn(listen(options, wake.clone()));
        let task = tokio::spawn(run(self.clone(), wake, stopped, listener));
        IndexerTask {
            indexer: self.clone(),
            stop,
            task,
        }
    }

    /// Makes sure the writer is the live generation's: another process may have promoted a
    /// new one since the last drain.
    async fn follow_current(&self, slot: &mut Option<OutboxApplier>) -> anyhow::Result<()> {
        let shared = &self.shared;
        let root = shared.root.clone();
        let current = blocking(move || root.current_name())
            .await?
            .context("the index root has no live generation")?;
        if slot
            .as_ref()
            .is_some_and(|a| a.consumer.generation == current)
        {
            return Ok(());
        }
        if let Some(old) = slot.take() {
            let old_consumer = old.consumer.clone();
            let old_generation = old_consumer.generation.clone();
            tracing::info!(
                from = old_generation,
                to = current,
                "following the promoted index generation"
            );
            if let Err(error) = old.finish().await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "could not finish the old writer"
                );
            }
            outbox::remove_consumer(&shared.pool, &old_consumer).await?;
        }
        let dir = shared.root.path().join(&current);
        let index = blocking(move || SearchIndex::open(&dir, Synonyms::default()))
            .await
            .with_context(|| format!("open index generation {current}"))?;
        let consumer = Consumer {
            root: shared.root_id.clone(),
            generation: current.clone(),
        };
        let applier =
            OutboxApplier::open(consumer, index.clone(), shared.config.writer_memory_bytes).await?;
        shared.live.swap(&current, index);
        shared
            .live
            .publish(applier.checkpoint, applied_below(applier.checkpoint));
        *slot = Some(applier);
        Ok(())
    }

    async fn record_metrics(&self, applier: &OutboxApplier) {
        match outbox::outbox_lag(&self.shared.pool, applier.checkpoint).await {
            Ok(lag) => index_metrics::lag(lag),
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "could not measure index lag")
            }
        }
        {
            let mut counted_at = self
                .shared
                .counted_at
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if counted_at.is_some_and(|at| at.elapsed() < DOCUMENT_COUNT_EVERY) {
                return;
            }
            *counted_at = Some(Instant::now());
        }
        let index = applier.index.clone();
        if let Ok((products, stores)) = blocking(move || index.document_counts()).await {
            index_metrics::documents(products, stores);
        }
    }
}

/// The worker loop started by [`Indexer::spawn`].
pub struct IndexerTask {
    indexer: Indexer,
    stop: watch::Sender<bool>,
    task: JoinHandle<anyhow::Result<()>>,
}

impl IndexerTask {
    /// The indexer the loop drives (to [`Indexer::drain`] from tests).
    pub fn indexer(&self) -> &Indexer {
        &self.indexer
    }

    /// Stops the loop after a last drain, and releases the writer.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        self.task.await.context("join indexer task")?
    }

    /// Waits for the loop to end (it ends only when stopped).
    pub async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.task).await.context("join indexer task")?
    }
}

async fn run(
    indexer: Indexer,
    wake: Arc<Notify>,
    mut stopped: watch::Receiver<bool>,
    listener: JoinHandle<()>,
) -> anyhow::Result<()> {
    let mut sweep = tokio::time::interval(indexer.shared.config.sweep);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let commit_interval = indexer.shared.config.commit_interval;
    let mut last_drain: Option<Instant> = None;
    loop {
        tokio::select! {
            biased;
            _ = stopped.changed() => break,
            () = wake.notified() => {}
            _ = sweep.tick() => {}
        }
        // Notifications arriving during the pause coalesce into the one permit of `wake`.
        let pause = last_drain.map_or(Duration::ZERO, |at| {
            commit_interval.saturating_sub(at.elapsed())
        });
        if !pause.is_zero() {
            tokio::select! {
                biased;
                _ = stopped.changed() => break,
                () = tokio::time::sleep(pause) => {}
                () = indexer.shared.live.hurried() => {}
            }
        }
        last_drain = Some(Instant::now());
        if let Err(error) = indexer.drain().await {
            tracing::warn!(
                error = format!("{error:#}"),
                "search indexer could not drain; will retry"
            );
        }
    }
    listener.abort();
    let drained = indexer.drain().await;
    let closed = indexer.close().await;
    drained.context("last drain before stopping")?;
    closed
}

/// Forwards outbox notifications to `wake`, reconnecting forever. A notification can be
/// lost while the connection is down, so every (re)connection also wakes the worker.
async fn listen(options: sqlx::postgres::PgConnectOptions, wake: Arc<Notify>) {
    loop {
        match connect_listener(&options).await {
            Ok(mut listener) => {
                wake.notify_one();
                loop {
                    match listener.try_recv().await {
                        Ok(_) => wake.notify_one(),
                        Err(error) => {
                            tracing::warn!(%error, "search outbox listener failed");
                            break;
                        }
                    }
                }
            }
            Err(error) => tracing::warn!(
                error = format!("{error:#}"),
                "cannot listen for outbox changes"
            ),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn connect_listener(
    options: &sqlx::postgres::PgConnectOptions,
) -> anyhow::Result<PgListener> {
    // Its own one-connection pool: the listener holds its connection for good, which must not
    // cost the API's pool a slot.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_with(options.clone())
        .await
        .context("connect the outbox listener")?;
    let mut listener = PgListener::connect_with(&pool).await?;
    listener.listen(OUTBOX_CHANNEL).await?;
    Ok(listener)
}
