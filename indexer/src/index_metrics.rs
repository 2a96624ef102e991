//! The indexer's metrics (recorded through the `metrics` facade; the API installs the
//! Prometheus recorder).

use std::time::Duration;

use crate::outbox::OutboxLag;

/// Records how long one index commit (with its reload) took.
pub(crate) fn commit_duration(elapsed: Duration) {
    metrics::histogram!("textisur_index_commit_duration_seconds").record(elapsed.as_secs_f64());
}

/// Records how far the index is behind the outbox.
pub(crate) fn lag(lag: OutboxLag) {
    metrics::gauge!("textisur_index_lag_rows").set(lag.rows as f64);
    metrics::gauge!("textisur_index_lag_seconds").set(lag.seconds);
}

/// Records the number of documents of each kind in the live index.
pub(crate) fn documents(products: u64, stores: u64) {
    metrics::gauge!("textisur_index_documents", "kind" => "product").set(products as f64);
    metrics::gauge!("textisur_index_documents", "kind" => "store").set(stores as f64);
}
