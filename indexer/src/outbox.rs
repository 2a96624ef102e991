//! The `search_outbox` table read in commit order, and the acknowledgements that trim it.
//!
//! Rows are read by `(txid, id)` and only below the current snapshot's `xmin`: every
//! transaction with a smaller id has finished, and any row written later belongs to a
//! transaction with a larger id, so a transaction that commits late is never skipped.

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

/// Records that `generation` has applied everything up to `checkpoint`, then deletes the
/// rows every registered generation has applied.
pub async fn acknowledge(
    pool: &PgPool,
    generation: &str,
    checkpoint: Checkpoint,
) -> anyhow::Result<u64> {
    register_consumer(pool, generation, checkpoint).await?;
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

/// Inserts or moves `generation`'s acknowledgement row.
pub async fn register_consumer(
    pool: &PgPool,
    generation: &str,
    checkpoint: Checkpoint,
) -> anyhow::Result<()> {
    sqlx::query!(
        "INSERT INTO search_index_consumers (generation, checkpoint_txid, checkpoint_seq)
         VALUES ($1, $2::text::xid8, $3)
         ON CONFLICT (generation) DO UPDATE
         SET checkpoint_txid = EXCLUDED.checkpoint_txid,
             checkpoint_seq = EXCLUDED.checkpoint_seq,
             updated_at = now()",
        generation,
        checkpoint.txid.to_string(),
        checkpoint.seq
    )
    .execute(pool)
    .await
    .context("record search index acknowledgement")?;
    Ok(())
}

/// Forgets `generation` (replaced or abandoned), so it no longer holds outbox rows back.
pub async fn remove_consumer(pool: &PgPool, generation: &str) -> anyhow::Result<()> {
    sqlx::query!(
        "DELETE FROM search_index_consumers WHERE generation = $1",
        generation
    )
    .execute(pool)
    .await
    .context("remove search index consumer")?;
    Ok(())
}

/// Forgets every generation not in `existing` (left behind by a crashed rebuild).
pub async fn remove_consumers_except(pool: &PgPool, existing: &[String]) -> anyhow::Result<u64> {
    let removed = sqlx::query!(
        "DELETE FROM search_index_consumers WHERE generation <> ALL($1)",
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
