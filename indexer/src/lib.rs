//! PostgreSQL -> search index synchronisation through a transactional outbox.
//!
//! Triggers queue every change to a product, store or category in `search_outbox`, in the
//! writing transaction. The [`Indexer`] reads the outbox in commit order (by transaction id,
//! only below the oldest running transaction, so a late committer is never skipped),
//! re-reads the current rows, writes the documents, and commits them to the index together
//! with the outbox checkpoint. Only then does it acknowledge the rows in PostgreSQL. Delivery
//! is at least once and every write is idempotent; after a crash the checkpoint comes from
//! the index's own commit. [`rebuild`] builds a fresh generation beside the live one and
//! swaps it in; [`verify`] compares the index with the database; [`LiveIndex`] is what
//! searches read.
//!
//! Key rule: the indexer is the only writer of the search index. It depends on
//! `search-index` and on PostgreSQL, never on the HTTP or GraphQL layers. It is a worker:
//! its errors are `anyhow` chains with context, which callers log or exit with.

mod apply;
mod crash;
mod documents;
mod follow;
mod index_metrics;
pub mod live;
mod outbox;
mod plain_text;
mod rebuild;
mod source;
mod verify;
mod worker;

pub use crash::{CRASH_ENV, CrashPoint};
pub use follow::{Follower, follow};
pub use live::{LiveIndex, applied_below};
pub use outbox::{OutboxLag, next_txid, outbox_lag};
pub use rebuild::{RebuildReport, rebuild};
pub use verify::{Difference, Discrepancy, DocumentKind, verify};
pub use worker::{Indexer, IndexerConfig, IndexerTask, OUTBOX_CHANNEL, rebuild_reason};
