//! One generation's writer and the step that applies one outbox batch to it.
//!
//! A step claims a batch, re-reads the current rows, writes the documents, and commits them
//! together with the batch's checkpoint (one tantivy commit). Only then is the batch
//! acknowledged in PostgreSQL. A crash before the commit loses the uncommitted writes and
//! the batch is read again; a crash after it re-reads nothing, because the checkpoint comes
//! back from the commit payload. Every write is an idempotent upsert or delete.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use textisur_search_index::{
    Checkpoint, CommitMeta, IndexWriter, ProductDoc, SCHEMA_VERSION, SearchIndex, StoreDoc,
};

use crate::crash::CrashPoint;
use crate::live::{LiveIndex, applied_below};
use crate::outbox::{self, Consumer, Entity, OutboxBatch};
use crate::{documents, index_metrics};

/// Products loaded per statement when a category change fans out to its subtree.
pub(crate) const PRODUCT_CHUNK: i64 = 5_000;

/// How an applier runs its batches.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StepSettings {
    pub batch_size: usize,
    pub crash: Option<CrashPoint>,
    /// Consumers silent for longer are expired (see [`outbox::acknowledge`]).
    pub consumer_expiry: Duration,
}

/// What one step did.
#[derive(Clone, Copy, Debug)]
pub(crate) struct StepOutcome {
    /// Outbox rows applied.
    pub rows: usize,
    /// Every finished transaction's rows are applied (the batch was not full).
    pub caught_up: bool,
    /// Every transaction below this id is applied.
    pub applied_below: u64,
}

/// One change to the index.
pub(crate) enum WriteOp {
    UpsertProduct(ProductDoc),
    DeleteProduct(u64),
    UpsertStore(StoreDoc),
    DeleteStore(u64),
}

/// The single writer of one generation, at a known checkpoint.
pub(crate) struct OutboxApplier {
    /// Whose acknowledgement row this writer moves: its root and generation.
    pub consumer: Consumer,
    pub index: SearchIndex,
    writer: Option<IndexWriter>,
    pub checkpoint: Checkpoint,
    /// When this writer last told PostgreSQL it is alive (an acknowledgement or a heartbeat).
    pub touched: Instant,
}

impl OutboxApplier {
    /// Opens the writer of `index`, resuming from its last commit's checkpoint.
    pub async fn open(
        consumer: Consumer,
        index: SearchIndex,
        writer_memory_bytes: usize,
    ) -> anyhow::Result<Self> {
        let generation = consumer.generation.clone();
        let opened = index.clone();
        let (writer, meta) = blocking(move || {
            let meta = opened.meta()?;
            let writer = opened.writer(writer_memory_bytes)?;
            Ok((writer, meta))
        })
        .await
        .with_context(|| format!("open the writer of index generation {generation}"))?;
        let meta = meta.with_context(|| format!("index generation {generation} has no commit"))?;
        Ok(Self {
            consumer,
            index,
            writer: Some(writer),
            checkpoint: meta.checkpoint,
            touched: Instant::now(),
        })
    }

    /// A fresh generation's writer, before its first commit.
    pub fn fresh(consumer: Consumer, index: SearchIndex, writer: IndexWriter) -> Self {
        Self {
            consumer,
            index,
            writer: Some(writer),
            checkpoint: Checkpoint::default(),
            touched: Instant::now(),
        }
    }

    /// Refreshes this writer's acknowledgement row when it last did so over `every` ago, so
    /// an idle replica is not taken for a gone one. [`outbox::ConsumerExpired`] when the row
    /// was expired meanwhile.
    pub async fn heartbeat(&mut self, pool: &PgPool, every: Duration) -> anyhow::Result<()> {
        if self.touched.elapsed() < every {
            return Ok(());
        }
        outbox::heartbeat(pool, &self.consumer).await?;
        self.touched = Instant::now();
        Ok(())
    }

    /// After a drain that applied nothing: the heartbeat when it is due, else a look at the
    /// row, so a replica back from a long silence learns at once that it was expired (an
    /// empty outbox proves nothing then: the rows it missed may have been trimmed).
    pub async fn check_in(&mut self, pool: &PgPool, every: Duration) -> anyhow::Result<()> {
        if self.touched.elapsed() >= every {
            return self.heartbeat(pool, every).await;
        }
        let found = outbox::consumer_exists(pool, &self.consumer).await?;
        outbox::ConsumerExpired::unless_found(u64::from(found), &self.consumer)
    }

    /// Applies the next batch: claim, write, commit, reload, publish, acknowledge.
    pub async fn step(
        &mut self,
        pool: &PgPool,
        settings: StepSettings,
        live: Option<&LiveIndex>,
    ) -> anyhow::Result<StepOutcome> {
        let batch = outbox::claim_outbox_batch(pool, self.checkpoint, settings.batch_size).await?;
        let caught_up = batch.rows.len() < settings.batch_size;
        let Some(checkpoint) = batch_checkpoint(&batch, caught_up) else {
            return Ok(StepOutcome {
                rows: 0,
                caught_up: true,
                applied_below: batch.xmin.max(applied_below(self.checkpoint)),
            });
        };
        let rows = batch.rows.len();
        let mut products = BTreeSet::new();
        let mut stores = BTreeSet::new();
        let mut categories = BTreeSet::new();
        for row in &batch.rows {
            match row.entity {
                Entity::Product => products.insert(row.entity_id),
                Entity::Store => stores.insert(row.entity_id),
                Entity::Category => categories.insert(row.entity_id),
            };
        }
        let ops = direct_ops(pool, &products, &stores).await?;
        let mut written = ops.len();
        self.write(ops, settings.crash).await?;
        if !categories.is_empty() {
            written += self.reindex_subtrees(pool, &categories, &products).await?;
        }
        self.commit(checkpoint, settings.crash).await?;
        let applied = applied_below(checkpoint);
        if let Some(live) = live {
            live.publish(checkpoint, applied);
        }
        outbox::acknowledge(pool, &self.consumer, checkpoint, settings.consumer_expiry).await?;
        self.touched = Instant::now();
        metrics::counter!("textisur_index_documents_applied_total").increment(written as u64);
        tracing::debug!(
            generation = self.consumer.generation,
            rows,
            written,
            checkpoint_txid = checkpoint.txid,
            checkpoint_seq = checkpoint.seq,
            "applied outbox batch"
        );
        Ok(StepOutcome {
            rows,
            caught_up,
            applied_below: applied,
        })
    }

    /// Writes `ops` (not yet committed).
    pub async fn write(
        &mut self,
        ops: Vec<WriteOp>,
        crash: Option<CrashPoint>,
    ) -> anyhow::Result<()> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut writer = self
            .writer
            .take()
            .context("index writer lost by a failed step")?;
        let (writer, result) = tokio::task::spawn_blocking(move || {
            let result = apply_ops(&mut writer, ops, crash);
            (writer, result)
        })
        .await
        .context("index write task")?;
        self.writer = Some(writer);
        result
    }

    /// Commits everything written so far with `checkpoint`, then makes it searchable.
    pub async fn commit(
        &mut self,
        checkpoint: Checkpoint,
        crash: Option<CrashPoint>,
    ) -> anyhow::Result<()> {
        let mut writer = self
            .writer
            .take()
            .context("index writer lost by a failed step")?;
        let index = self.index.clone();
        let started = Instant::now();
        let (writer, result) = tokio::task::spawn_blocking(move || {
            let meta = CommitMeta {
                schema_version: SCHEMA_VERSION,
                checkpoint,
            };
            let result = writer.commit(&meta).and_then(|()| {
                CrashPoint::trigger(crash, CrashPoint::AfterCommit);
                index.reload()
            });
            (writer, result)
        })
        .await
        .context("index commit task")?;
        self.writer = Some(writer);
        result.context("commit search index")?;
        index_metrics::commit_duration(started.elapsed());
        self.checkpoint = checkpoint;
        Ok(())
    }

    /// Merges the committed segments into one and makes that visible (after a full build).
    pub async fn merge_all(&mut self) -> anyhow::Result<()> {
        let mut writer = self
            .writer
            .take()
            .context("index writer lost by a failed step")?;
        let index = self.index.clone();
        let (writer, result) = tokio::task::spawn_blocking(move || {
            let result = writer.merge_all().and_then(|()| index.reload());
            (writer, result)
        })
        .await
        .context("index merge task")?;
        self.writer = Some(writer);
        result.context("merge search index segments")
    }

    /// Waits for background merges and releases the writer's lock.
    pub async fn finish(mut self) -> anyhow::Result<()> {
        if let Some(writer) = self.writer.take() {
            tokio::task::spawn_blocking(move || writer.finish())
                .await
                .context("index finish task")?
                .context("finish index writer")?;
        }
        Ok(())
    }

    /// Re-renders every active product under `categories` (their names or places in the tree
    /// changed), chunk by chunk; `skip` were already written from their own rows. Returns
    /// the number of documents written.
    async fn reindex_subtrees(
        &mut self,
        pool: &PgPool,
        categories: &BTreeSet<i64>,
        skip: &BTreeSet<i64>,
    ) -> anyhow::Result<usize> {
        let categories: Vec<i64> = categories.iter().copied().collect();
        let mut conn = pool.acquire().await?;
        let mut after = 0;
        let mut written = 0;
        loop {
            let docs =
                documents::products_in_subtrees(&mut conn, &categories, after, PRODUCT_CHUNK)
                    .await?;
            let Some(last) = docs.last() else {
                return Ok(written);
            };
            after = i64::try_from(last.id).unwrap_or(i64::MAX);
            let full = docs.len() as i64 == PRODUCT_CHUNK;
            let ops: Vec<WriteOp> = docs
                .into_iter()
                .filter(|d| !skip.contains(&i64::try_from(d.id).unwrap_or(i64::MAX)))
                .map(WriteOp::UpsertProduct)
                .collect();
            written += ops.len();
            self.write(ops, None).await?;
            if !full {
                return Ok(written);
            }
        }
    }
}

/// The checkpoint a batch ends at. A short batch saw every finished transaction, so it
/// covers everything below the snapshot's `xmin`; recording that lets readers of the commit
/// payload alone know how far the index has caught up.
fn batch_checkpoint(batch: &OutboxBatch, caught_up: bool) -> Option<Checkpoint> {
    let last = batch.rows.last()?.checkpoint();
    if caught_up {
        let below_xmin = Checkpoint {
            txid: batch.xmin.saturating_sub(1),
            seq: i64::MAX,
        };
        Some(below_xmin.max(last))
    } else {
        Some(last)
    }
}

/// Upserts for the rows that are there (and active), deletes for the rest.
async fn direct_ops(
    pool: &PgPool,
    products: &BTreeSet<i64>,
    stores: &BTreeSet<i64>,
) -> anyhow::Result<Vec<WriteOp>> {
    let mut ops = Vec::with_capacity(products.len() + stores.len());
    let mut conn = pool.acquire().await?;
    if !products.is_empty() {
        let ids: Vec<i64> = products.iter().copied().collect();
        let docs = documents::products_by_id(&mut conn, &ids).await?;
        let found: BTreeSet<u64> = docs.iter().map(|d| d.id).collect();
        ops.extend(docs.into_iter().map(WriteOp::UpsertProduct));
        ops.extend(
            ids.iter()
                .filter_map(|id| u64::try_from(*id).ok())
                .filter(|id| !found.contains(id))
                .map(WriteOp::DeleteProduct),
        );
    }
    if !stores.is_empty() {
        let ids: Vec<i64> = stores.iter().copied().collect();
        let docs = documents::stores_by_id(&mut conn, &ids).await?;
        let found: BTreeSet<u64> = docs.iter().map(|d| d.id).collect();
        ops.extend(docs.into_iter().map(WriteOp::UpsertStore));
        ops.extend(
            ids.iter()
                .filter_map(|id| u64::try_from(*id).ok())
                .filter(|id| !found.contains(id))
                .map(WriteOp::DeleteStore),
        );
    }
    Ok(ops)
}

/// Applies `ops` to the writer (blocking: tantivy work).
pub(crate) fn apply_ops(
    writer: &mut IndexWriter,
    ops: Vec<WriteOp>,
    crash: Option<CrashPoint>,
) -> anyhow::Result<()> {
    let half = ops.len() / 2;
    for (i, op) in ops.into_iter().enumerate() {
        if i == half {
            CrashPoint::trigger(crash, CrashPoint::MidBatch);
        }
        match op {
            WriteOp::UpsertProduct(doc) => writer.upsert_product(&doc)?,
            WriteOp::DeleteProduct(id) => writer.delete_product(id),
            WriteOp::UpsertStore(doc) => writer.upsert_store(&doc)?,
            WriteOp::DeleteStore(id) => writer.delete_store(id),
        }
    }
    Ok(())
}

/// Runs tantivy work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> textisur_search_index::SearchResult<T> + Send + 'static,
) -> anyhow::Result<T> {
    Ok(tokio::task::spawn_blocking(work)
        .await
        .context("index task")??)
}
