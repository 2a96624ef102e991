//! A full build of a fresh generation beside the live one, then the swap.
//!
//! The build registers its acknowledgement row first (so the outbox keeps every row it will
//! need), copies every active product and every store from one `REPEATABLE READ` snapshot,
//! and commits with the checkpoint `(xmin - 1, MAX)`: everything from `xmin` on is read again
//! from the outbox, which is harmless because applying a row twice changes nothing. Readers
//! keep serving the old generation until [`IndexRoot::promote`] swaps `CURRENT`.

use anyhow::Context;
use sqlx::PgPool;
use textisur_search_index::{Checkpoint, IndexRoot, Synonyms};

use crate::apply::{OutboxApplier, PRODUCT_CHUNK, StepSettings, WriteOp, blocking};
use crate::outbox::Consumer;
use crate::worker::IndexerConfig;
use crate::{documents, outbox, source};

/// What a full build produced.
#[derive(Clone, Debug)]
pub struct RebuildReport {
    /// The generation now live.
    pub generation: String,
    /// Active products copied from the snapshot.
    pub products: u64,
    /// Stores copied from the snapshot.
    pub stores: u64,
    /// The checkpoint the generation had reached when it was promoted.
    pub checkpoint: Checkpoint,
}

/// Builds a new generation from PostgreSQL, catches it up with the outbox and makes it live.
pub async fn rebuild(
    pool: &PgPool,
    root: &IndexRoot,
    config: &IndexerConfig,
) -> anyhow::Result<RebuildReport> {
    remove_stale_consumers(pool, root).await?;
    let creating = root.clone();
    let (generation, index) = blocking(move || creating.create_generation(&Synonyms::default()))
        .await
        .context("create index generation")?;
    tracing::info!(generation, "building search index generation");
    let consumer = Consumer {
        root: source::root_id(root.path())?,
        generation: generation.clone(),
    };
    match build(pool, root, config, &consumer, index).await {
        Ok(report) => Ok(report),
        Err(error) => {
            // Do not let an abandoned build hold outbox rows back.
            if let Err(cleanup) = outbox::remove_consumer(pool, &consumer).await {
                tracing::warn!(
                    error = format!("{cleanup:#}"),
                    "could not forget failed build"
                );
            }
            let dir = root.path().join(&generation);
            if let Err(cleanup) = std::fs::remove_dir_all(&dir) {
                tracing::warn!(error = %cleanup, "could not remove failed build");
            }
            Err(error)
        }
    }
}

async fn build(
    pool: &PgPool,
    root: &IndexRoot,
    config: &IndexerConfig,
    consumer: &Consumer,
    index: textisur_search_index::SearchIndex,
) -> anyhow::Result<RebuildReport> {
    let generation = consumer.generation.as_str();
    outbox::register_consumer(pool, consumer, Checkpoint::default()).await?;
    let writing = index.clone();
    let memory = config.writer_memory_bytes;
    let writer = blocking(move || writing.writer(memory)).await?;
    let mut applier = OutboxApplier::fresh(consumer.clone(), index, writer);

    let heartbeat = outbox::heartbeat_period(config.consumer_expiry);
    let (xmin, products, stores) = copy_snapshot(pool, &mut applier, heartbeat).await?;
    let checkpoint = Checkpoint {
        txid: xmin.saturating_sub(1),
        seq: i64::MAX,
    };
    applier.commit(checkpoint, None).await?;
    applier.merge_all().await?;
    outbox::acknowledge(pool, consumer, checkpoint, config.consumer_expiry).await?;
    tracing::info!(
        generation,
        products,
        stores,
        xmin,
        "search index snapshot committed"
    );

    let settings = StepSettings {
        batch_size: config.batch_size,
        crash: None,
        consumer_expiry: config.consumer_expiry,
    };
    while !applier.step(pool, settings, None).await?.caught_up {}
    let checkpoint = applier.checkpoint;
    applier.finish().await?;

    let previous = root.current_name().context("read CURRENT")?;
    let promoting = root.clone();
    let name = generation.to_owned();
    blocking(move || promoting.promote(&name))
        .await
        .context("promote index generation")?;
    if let Some(previous) = previous.filter(|p| p != generation) {
        let previous = Consumer {
            root: consumer.root.clone(),
            generation: previous,
        };
        outbox::remove_consumer(pool, &previous).await?;
    }
    let identity = source::database_identity(pool).await?;
    source::record_identity(root.path(), &identity)?;
    tracing::info!(generation, "search index generation is live");
    Ok(RebuildReport {
        generation: generation.to_owned(),
        products,
        stores,
        checkpoint,
    })
}

/// Writes every store and active product of one snapshot; returns the snapshot's `xmin`
/// and the counts.
async fn copy_snapshot(
    pool: &PgPool,
    applier: &mut OutboxApplier,
    heartbeat: std::time::Duration,
) -> anyhow::Result<(u64, u64, u64)> {
    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let xmin =
        sqlx::query_scalar!(r#"SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS "xmin!""#)
            .fetch_one(&mut *tx)
            .await?;
    let xmin: u64 = xmin.parse().context("parse snapshot xmin")?;

    let mut stores = 0;
    let mut after = 0;
    loop {
        let docs = documents::stores_after(&mut tx, after, PRODUCT_CHUNK).await?;
        let Some(last) = docs.last() else { break };
        after = i64::try_from(last.id)?;
        stores += docs.len() as u64;
        let full = docs.len() as i64 == PRODUCT_CHUNK;
        applier
            .write(docs.into_iter().map(WriteOp::UpsertStore).collect(), None)
            .await?;
        if !full {
            break;
        }
    }

    let mut products = 0;
    let mut after = 0;
    loop {
        let docs = documents::products_after(&mut tx, after, PRODUCT_CHUNK).await?;
        let Some(last) = docs.last() else { break };
        after = i64::try_from(last.id)?;
        products += docs.len() as u64;
        let full = docs.len() as i64 == PRODUCT_CHUNK;
        applier
            .write(docs.into_iter().map(WriteOp::UpsertProduct).collect(), None)
            .await?;
        // A build of a large catalogue takes minutes: it must not be taken for a gone one.
        applier.heartbeat(pool, heartbeat).await?;
        if full {
            tracing::info!(products, "copying products into the search index");
        } else {
            break;
        }
    }
    tx.commit().await?;
    Ok((xmin, products, stores))
}

/// Forgets this root's acknowledgement rows of generations that no longer exist on disk (a
/// build that crashed), which would otherwise keep the outbox from being trimmed. Other
/// roots' rows belong to other replicas and are left alone: they go only by expiry.
pub(crate) async fn remove_stale_consumers(pool: &PgPool, root: &IndexRoot) -> anyhow::Result<()> {
    let mut existing = Vec::new();
    for entry in std::fs::read_dir(root.path()).context("list index generations")? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        if name.starts_with("gen-") {
            existing.push(name);
        }
    }
    let root_id = source::root_id(root.path())?;
    let removed = outbox::remove_generations_except(pool, &root_id, &existing).await?;
    if removed > 0 {
        tracing::info!(
            removed,
            "forgot acknowledgements of vanished index generations"
        );
    }
    Ok(())
}
