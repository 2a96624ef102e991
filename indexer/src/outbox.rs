//! The `search_outbox` table read in commit order, and the acknowledgements that trim it.
//!
//! Rows are read by `(txid, id)` and only below the current snapshot's `xmin`: every
//! transaction with a smaller id has finished, and any row written later belongs to a
//! transaction with a larger id, so a transaction that commits late is never skipped.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use textisur_search_index::Checkpoint;

/// What an outbox row asks to refresh.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entity {
    Product,
    Store,
    Category,
}

/// One queued change.
#[derive(Clone, Debug)]
pub struct OutboxRow {
    pub id: i64,
    pub entity: Entity,
    pub entity_id: i64,
    pub txid: u64,
}

impl OutboxRow {
    /// The checkpoint that includes this row.
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint {
            txid: self.txid,
            seq: self.id,
        }
    }
}

/// Rows claimed after a checkpoint, and the snapshot bound they were read under.
#[derive(Debug)]
pub struct OutboxBatch {
    pub rows: Vec<OutboxRow>,
    /// `xmin` of the reading snapshot: every transaction below it has finished.
    pub xmin: u64,
}

/// Reads up to `limit` rows after `after`, in commit order, from finished transactions only.
pub async fn claim_outbox_batch(
    pool: &PgPool,
    after: Checkpoint,
    limit: usize,
) -> anyhow::Result<OutboxBatch> {
    let mut tx = pool.begin().await.context("begin outbox read")?;
    // One snapshot for both statements: the rows and the bound they are complete below.
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let xmin =
        sqlx::query_scalar!(r#"SELECT pg_snapshot_xmin(pg_current_snapshot())::text AS "xmin!""#)
            .fetch_one(&mut *tx)
            .await
            .context("read snapshot xmin")?;
    let xmin = parse_txid(&xmin)?;
    // Transaction ids travel as text: sqlx has no Rust type for xid8.
    let rows = sqlx::query!(
        r#"SELECT id, entity, entity_id, txid::text AS "txid!" FROM search_outbox
         WHERE (txid, id) > ($1::text::xid8, $2) AND txid < $3::text::xid8
         ORDER BY txid, id LIMIT $4"#,
        after.txid.to_string(),
        after.seq,
        xmin.to_string(),
        i64::try_from(limit).unwrap_or(i64::MAX)
    )
    .fetch_all(&mut *tx)
    .await
    .context("claim outbox batch")?;
    tx.commit().await?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let entity = match r.entity.as_str() {
                "product" => Entity::Product,
                "store" => Entity::Store,
                "category" => Entity::Category,
                other => anyhow::bail!("unknown outbox entity {other}"),
            };
            Ok(OutboxRow {
                id: r.id,
                entity,
                entity_id: r.entity_id,
                txid: parse_txid(&r.txid)?,
            })
        })
        .collect::<anyhow::Result<_>>()?;
    Ok(OutboxBatch { rows, xmin })
}

/// The id the next transaction will get: every transaction committed before this call has a
/// smaller one.
pub async fn next_txid(pool: &PgPool) -> anyhow::Result<u64> {
    let xmax =
        sqlx::query_scalar!(r#"SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS "xmax!""#)
            .fetch_one(pool)
            .await
            .context("read snapshot xmax")?;
    parse_txid(&xmax)
}

/// Whose acknowledgement row: one generation of one index root. Every replica keeps its own
/// root (named by its `ROOT_ID` file), so each replica's progress is its own row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Consumer {
    pub root: String,
    pub generation: String,
}

/// A consumer's acknowledgement row is gone: it was silent for longer than the expiry, so
/// the outbox may have been trimmed past its checkpoint. Its index must be built again.
#[derive(Debug, thiserror::Error)]
#[error("search index consumer {generation} of root {root} expired; its index must be rebuilt")]
pub struct ConsumerExpired {
    pub root: String,
    pub generation: String,
}

impl ConsumerExpired {
    /// `Ok` when a statement on `consumer`'s row found it (`rows` is what it touched).
    pub(crate) fn unless_found(rows: u64, consumer: &Consumer) -> anyhow::Result<()> {
        if rows > 0 {
            return Ok(());
        }
        Err(Self {
            root: consumer.root.clone(),
            generation: consumer.generation.clone(),
        }
        .into())
    }
}

/// Records that `consumer` has applied everything up to `checkpoint`, expires the consumers
/// silent for longer than `expiry`, then deletes the rows every remaining consumer has
/// applied. [`ConsumerExpired`] when `consumer`'s own row is gone.
pub async fn acknowledge(
    pool: &PgPool,
    consumer: &Consumer,
    checkpoint: Checkpoint,
    expiry: Duration,
) -> anyhow::Result<u64> {
    let moved = sqlx::query!(
        "UPDATE search_index_consumers
         SET checkpoint_txid = $3::text::xid8, checkpoint_seq = $4, updated_at = now()
         WHERE root_id = $1 AND generation = $2",
        consumer.root,
        consumer.generation,
        checkpoint.txid.to_string(),
        checkpoint.seq
    )
    .execute(pool)
    .await
    .context("record search index acknowledgement")?
    .rows_affected();
    ConsumerExpired::unless_found(moved, consumer)?;
    expire_silent(pool, expiry).await?;
    let deleted = sqlx::query!(
        "DELETE FROM search_outbox o USING (
             SELECT checkpoint_txid, checkpoint_seq FROM search_index_consumers
             ORDER BY checkpoint_txid, checkpoint_seq LIMIT 1
         ) low
         WHERE (o.txid, o.id) <= (low.checkpoint_txid, low.checkpoint_seq)"
    )
    .execute(pool)
    .await
    .context("trim search outbox")?
    .rows_affected();
    Ok(deleted)
}

/// Forgets the consumers whose rows nobody touched for longer than `expiry` (a replica
/// stopped or cut off), so they no longer hold the outbox back. Each one is logged and
/// counted in `textisur_index_consumers_expired_total`; its replica rebuilds its index when
/// it comes back.
async fn expire_silent(pool: &PgPool, expiry: Duration) -> anyhow::Result<()> {
    let expired = sqlx::query!(
        r#"DELETE FROM search_index_consumers
           WHERE updated_at < now() - make_interval(secs => $1)
           RETURNING root_id, generation,
                     extract(epoch FROM now() - updated_at)::float8 AS "silent_seconds!""#,
        expiry.as_secs_f64()
    )
    .fetch_all(pool)
    .await
    .context("expire silent search index consumers")?;
    for row in expired {
        metrics::counter!("textisur_index_consumers_expired_total").increment(1);
        tracing::warn!(
            root = row.root_id,
            generation = row.generation,
            silent_seconds = row.silent_seconds,
            expiry_seconds = expiry.as_secs(),
            "expired a silent search index consumer: the outbox no longer waits for it"
        );
    }
    Ok(())
}

/// How often a consumer with nothing to acknowledge refreshes its row: a quarter of the
/// expiry, between a tenth of a second and a minute.
pub fn heartbeat_period(expiry: Duration) -> Duration {
    (expiry / 4).clamp(Duration::from_millis(100), Duration::from_secs(60))
}

/// Tells the others that `consumer` is alive while it has nothing to acknowledge.
/// [`ConsumerExpired`] when its row is gone.
pub async fn heartbeat(pool: &PgPool, consumer: &Consumer) -> anyhow::Result<()> {
    let touched = sqlx::query!(
        "UPDATE search_index_consumers SET updated_at = now()
         WHERE root_id = $1 AND generation = $2",
        consumer.root,
        consumer.generation
    )
    .execute(pool)
    .await
    .context("touch search index consumer")?
    .rows_affected();
    ConsumerExpired::unless_found(touched, consumer)
}

/// Whether `consumer` still has its row (false: expired, or never registered).
pub async fn consumer_exists(pool: &PgPool, consumer: &Consumer) -> anyhow::Result<bool> {
    sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM search_index_consumers
                          WHERE root_id = $1 AND generation = $2) AS "exists!""#,
        consumer.root,
        consumer.generation
    )
    .fetch_one(pool)
    .await
    .context("look up search index consumer")
}

/// Inserts or moves `consumer`'s acknowledgement row (a build registers before it reads).
pub async fn register_consumer(
    pool: &PgPool,
    consumer: &Consumer,
    checkpoint: Checkpoint,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO search_index_consumers (root_id, generation, checkpoint_txid, checkpoint_seq)
         VALUES ($1, $2, $3::text::xid8, $4)
         ON CONFLICT (root_id, generation) DO UPDATE
         SET checkpoint_txid = EXCLUDED.checkpoint_txid,
             checkpoint_seq = EXCLUDED.checkpoint_seq,
             updated_at = now()",
        consumer.root,
        consumer.generation,
        checkpoint.txid.to_string(),
        checkpoint.seq
    )
    .execute(pool)
    .await
    .context("register search index consumer")?;
    Ok(())
}

/// Forgets `consumer` (replaced or abandoned), so it no longer holds outbox rows back.
pub async fn remove_consumer(pool: &PgPool, consumer: &Consumer) -> anyhow::Result<()> {
    sqlx::query!(
        "DELETE FROM search_index_consumers WHERE root_id = $1 AND generation = $2",
        consumer.root,
        consumer.generation
    )
    .execute(pool)
    .await
    .context("remove search index consumer")?;
    Ok(())
}

/// Forgets the generations of `root` that are not in `existing` (left behind by a crashed
/// rebuild). Other roots' rows are never touched: they belong to other replicas.
pub async fn remove_generations_except(
    pool: &PgPool,
    root: &str,
    existing: &[String],
) -> anyhow::Result<u64> {
    let removed = sqlx::query!(
        "DELETE FROM search_index_consumers WHERE root_id = $1 AND generation <> ALL($2)",
        root,
        existing
    )
    .execute(pool)
    .await
    .context("remove stale search index consumers")?
    .rows_affected();
    Ok(removed)
}

/// How far an index at `checkpoint` is behind the outbox.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct OutboxLag {
    /// Outbox rows beyond the checkpoint.
    pub rows: u64,
    /// Age of the oldest of them, 0 when there is none.
    pub seconds: f64,
}

/// Measures [`OutboxLag`] for an index at `checkpoint`.
pub async fn outbox_lag(pool: &PgPool, checkpoint: Checkpoint) -> anyhow::Result<OutboxLag> {
    let lag = sqlx::query!(
        r#"SELECT count(*) AS "rows!",
                COALESCE(extract(epoch FROM now() - min(queued_at))::float8, 0) AS "seconds!"
         FROM search_outbox WHERE (txid, id) > ($1::text::xid8, $2)"#,
        checkpoint.txid.to_string(),
        checkpoint.seq
    )
    .fetch_one(pool)
    .await
    .context("measure search outbox lag")?;
    Ok(OutboxLag {
        rows: u64::try_from(lag.rows).unwrap_or(0),
        seconds: lag.seconds.max(0.0),
    })
}

fn parse_txid(text: &str) -> anyhow::Result<u64> {
    text.parse()
        .with_context(|| format!("parse transaction id {text}"))
}
