//! Metrics (Prometheus text on `/metrics`) and the names they go by.
//!
//! Key rule: label values come from closed sets (routes, status codes, error codes) or are
//! bounded (operation names: the first [`MAX_OPERATION_NAMES`] seen, then `other`), so a
//! client cannot blow up the exporter's memory by inventing names.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::runtime::db::Db;

/// Distinct GraphQL operation names kept as label values.
pub const MAX_OPERATION_NAMES: usize = 200;

/// Histogram buckets in seconds that resolve single milliseconds at the fast end.
const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.15,
    0.25, 0.5, 1.0, 2.5, 5.0,
];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// The process-wide Prometheus recorder, installed on first use.
pub fn metrics_handle() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_owned()), LATENCY_BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only when another recorder is installed (a test harness's); then ours still
        // renders, it just sees nothing.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// Renders every metric, refreshing the gauges that are read rather than pushed.
pub fn render(db: &Db) -> String {
    let handle = metrics_handle();
    let pool = db.pool();
    metrics::gauge!("textisur_db_pool_connections", "state" => "open").set(f64::from(pool.size()));
    metrics::gauge!("textisur_db_pool_connections", "state" => "idle").set(pool.num_idle() as f64);
    metrics::gauge!("textisur_db_pool_max_connections")
        .set(f64::from(pool.options().get_max_connections()));
    if let Some((resident, cpu_seconds)) = process_usage() {
        metrics::gauge!("process_resident_memory_bytes").set(resident);
        metrics::gauge!("process_cpu_seconds_total").set(cpu_seconds);
    }
    handle.render()
}

/// Serves [`render`] at `/metrics` on `addr`, alone: the listener of processes without the
/// API's router (the standalone indexer). Returns the bound address and the serving task.
pub async fn serve_metrics(
    addr: std::net::SocketAddr,
    db: Db,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    use anyhow::Context;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("listen for metrics on {addr}"))?;
    let bound = listener.local_addr()?;
    let app = axum::Router::new().route(
        "/metrics",
        axum::routing::get(move || {
            let body = render(&db);
            async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    body,
                )
            }
        }),
    );
    let task = tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            tracing::warn!(error = %error, "metrics listener stopped");
        }
    });
    Ok((bound, task))
}

/// Resident memory in bytes and CPU time in seconds, from `/proc/self`.
///
/// Read by hand: two numbers from two files do not justify a process-metrics dependency.
fn process_usage() -> Option<(f64, f64)> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // Linux reports in pages of 4 KiB and clock ticks of 1/100 s on every platform we run on.
    Some((pages * 4096.0, ticks / 100.0))
}

static OPERATION_NAMES: Mutex<Option<HashSet<String>>> = Mutex::new(None);

/// The label value for a client's operation name: bounded, and `anonymous` when absent.
pub fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name.filter(|n| !n.is_empty()) else {
        return "anonymous".to_owned();
    };
    let valid = name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !valid {
        return "other".to_owned();
    }
    let Ok(mut guard) = OPERATION_NAMES.lock() else {
        return "other".to_owned();
    };
    let seen = guard.get_or_insert_with(HashSet::new);
    if seen.contains(name) || seen.len() < MAX_OPERATION_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}
