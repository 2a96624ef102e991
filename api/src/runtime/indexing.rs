//! The search index in this process: opening or building it before the server listens,
//! running the indexer (or following another process's), and the `indexer`, `reindex` and
//! `index verify` commands.
//!
//! Key rule: nothing here writes documents; `textisur_indexer` does, and only one process
//! per index directory runs it.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use textisur_indexer::{
    CrashPoint, Follower, Indexer, IndexerConfig, IndexerTask, LiveIndex, follow, rebuild,
};
use textisur_search_index::{IndexRoot, Synonyms};

use crate::runtime::config::{IndexCommandArgs, IndexStorageArgs, IndexerArgs, IndexerMode};
use crate::runtime::db::{self, Db};

/// How often a reader-only server looks for a new commit or generation.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// Where the search index lives and who writes it.
#[derive(Clone, Debug)]
pub struct IndexSetup {
    /// The index root directory.
    pub dir: PathBuf,
    /// Whether this process runs the indexer.
    pub mode: IndexerMode,
    /// How the indexer runs (when it runs here).
    pub indexer: IndexerConfig,
}

impl IndexSetup {
    /// The setup `args` describe, with the crash hook of `TEXTISUR_INDEXER_CRASH`.
    pub fn from_args(args: &IndexStorageArgs, mode: IndexerMode) -> Self {
        Self {
            dir: args.index_dir.clone(),
            mode,
            indexer: indexer_config(args),
        }
    }
}

fn indexer_config(args: &IndexStorageArgs) -> IndexerConfig {
    IndexerConfig {
        batch_size: args.index_batch_size.max(1),
        sweep: Duration::from_secs(args.index_sweep_seconds.max(1)),
        commit_interval: Duration::from_millis(args.index_commit_interval_ms),
        writer_memory_bytes: args.index_writer_memory_mb.max(15) * 1_000_000,
        consumer_expiry: Duration::from_secs(args.index_consumer_expiry_seconds.max(1)),
        crash: CrashPoint::from_env(),
    }
}

/// The index of a running server and what keeps it current.
pub struct IndexRuntime {
    /// What searches read.
    pub live: LiveIndex,
    background: Background,
}

enum Background {
    Writer(IndexerTask),
    Reader(Follower),
}

impl IndexRuntime {
    /// Opens the index as `setup` says: in-process, builds it when missing (or of another
    /// schema version or database) and starts the indexer; off, follows the index another
    /// process writes (searches fall back to PostgreSQL until it exists).
    pub async fn start(db: &Db, setup: &IndexSetup) -> anyhow::Result<Self> {
        let root = IndexRoot::new(&setup.dir)
            .with_context(|| format!("open search index directory {}", setup.dir.display()))?;
        let live = LiveIndex::new();
        let background = match setup.mode {
            IndexerMode::InProcess => {
                let indexer =
                    Indexer::open(db.pool().clone(), root, setup.indexer.clone(), live.clone())
                        .await
                        .context("open search index")?;
                Background::Writer(indexer.spawn())
            }
            IndexerMode::Off => Background::Reader(follow(root, live.clone(), FOLLOW_EVERY)),
        };
        Ok(Self { live, background })
    }

    /// The in-process indexer, if this server runs it.
    pub fn indexer(&self) -> Option<&Indexer> {
        match &self.background {
            Background::Writer(task) => Some(task.indexer()),
            Background::Reader(_) => None,
        }
    }

    /// Stops the indexer after a last commit (or stops following).
    pub async fn stop(self) -> anyhow::Result<()> {
        match self.background {
            Background::Writer(task) => task.stop().await.context("stop search indexer"),
            Background::Reader(follower) => {
                follower.stop();
                Ok(())
            }
        }
    }
}

/// `textisur indexer`: the worker alone, until SIGTERM (or until caught up with `--once`),
/// with its metrics on `--metrics-listen` when given.
pub async fn run_indexer(args: IndexerArgs) -> anyhow::Result<()> {
    // Before anything records: earlier samples would be lost.
    crate::runtime::observability::metrics_handle();
    let db = connect(&args.db).await?;
    let metrics = match args.metrics_listen {
        Some(addr) => {
            let (bound, task) =
                crate::runtime::observability::serve_metrics(addr, db.clone()).await?;
            println!("TextiSur indexer metrics on http://{bound}/metrics");
            Some(task)
        }
        None => None,
    };
    let result = index_until_stopped(&args, &db).await;
    if let Some(task) = metrics {
        task.abort();
    }
    result
}

async fn index_until_stopped(args: &IndexerArgs, db: &Db) -> anyhow::Result<()> {
    let root = IndexRoot::new(&args.index.index_dir).context("open search index directory")?;
    let indexer = Indexer::open(
        db.pool().clone(),
        root,
        indexer_config(&args.index),
        LiveIndex::new(),
    )
    .await
    .context("open search index")?;
    if args.once {
        let applied_below = indexer.drain_committed().await?;
        indexer.close().await?;
        tracing::info!(applied_below, "search index caught up");
        return Ok(());
    }
    let task = indexer.spawn();
    tracing::info!(dir = %args.index.index_dir.display(), "search indexer running");
    crate::runtime::shutdown::signal().await;
    tracing::info!("stopping the search indexer");
    task.stop().await
}

/// `textisur reindex`: a fresh generation beside the live one, caught up, then swapped in.
pub async fn reindex(args: IndexCommandArgs) -> anyhow::Result<()> {
    let db = connect(&args.db).await?;
    let root = IndexRoot::new(&args.index.index_dir).context("open search index directory")?;
    let report = rebuild(db.pool(), &root, &indexer_config(&args.index))
        .await
        .context("rebuild search index")?;
    println!(
        "search index rebuilt: generation {} ({} products, {} stores)",
        report.generation, report.products, report.stores
    );
    Ok(())
}

/// `textisur index verify`: prints every difference; an error (exit status 1) when any.
pub async fn verify(args: IndexCommandArgs) -> anyhow::Result<()> {
    let db = connect(&args.db).await?;
    let root = IndexRoot::new(&args.index.index_dir).context("open search index directory")?;
    let (generation, index) = root
        .open_current(&Synonyms::default())
        .context("open search index")?
        .context("there is no search index yet")?;
    let differences = textisur_indexer::verify(db.pool(), &index).await?;
    for difference in &differences {
        println!("{difference}");
    }
    anyhow::ensure!(
        differences.is_empty(),
        "index {generation} differs from the database in {} documents",
        differences.len()
    );
    let (products, stores) = index.document_counts().context("count documents")?;
    println!("index matches database ({products} products, {stores} stores)");
    Ok(())
}

async fn connect(args: &crate::runtime::config::DbArgs) -> anyhow::Result<Db> {
    let db = db::connect(&args.database_url, args.db_max_connections).await?;
    db::migrate(&db).await?;
    Ok(db)
}
