//! Streaming standbys for read-only hydration, with read-your-writes.
//!
//! PostgreSQL's own streaming replication keeps each standby (`--database-replica-url`, any
//! number) a copy of the primary; this module only decides, per batch, whether a standby
//! may answer:
//!
//! - **What may go there.** Only the by-id hydration of catalogue rows (products, stores,
//!   categories, reviews, users) in queries, through [`Db::read`](super::Db::read).
//!   Mutations, subscriptions, sign-in, carts, orders and conversations always read the
//!   primary, and so does every statement that does not go through `read`.
//! - **Read-your-writes.** A mutation that writes catalogue rows answers a
//!   [`ConsistencyToken`] (in `extensions.consistencyToken`, and in the payloads that have
//!   one): the snapshot's `xmax` for the search index, and the primary's WAL position after
//!   the commit. A query
//!   sent with it (the `Consistency-Token` header, a listing's `consistencyToken`, or the
//!   writer's own last token kept by the process it wrote through) reads a standby only
//!   when that standby has replayed past the position; otherwise the primary answers. A
//!   token without a WAL position (issued before standbys existed) reads the primary.
//! - **Lag bound.** A checker asks the primary for its WAL position and each standby for
//!   its replayed position every `--database-replica-check-ms`. A standby's lag is the age
//!   of the oldest primary position it has not replayed yet (0 when it has replayed the
//!   newest). A standby lagging more than `--database-replica-max-lag-ms`, or one whose
//!   check failed, is skipped until a check finds it well again.
//! - **Failure.** A batch whose standby fails (connection refused, reset, timeout) marks it
//!   down and runs again on the primary, so a standby going away costs no request an error.
//! - **Row cache.** A standby may still show a row older than an invalidation this process
//!   has heard, and the cache would keep it until the next write: rows read from a standby
//!   are kept only when nothing forgot them within [`Replicas::window`] (see
//!   `runtime/row_cache.rs`, "Standby reads").
//!
//! The replayed position the router compares with is the one read at the last check, so it
//! is never ahead of the standby: a token may wait one check interval for its standby, never
//! read past it.
//!
//! Metrics: `textisur_db_reads_total{target="primary"|"standby"}` (hydration batches),
//! `textisur_db_standby_fallbacks_total{reason="unavailable"|"missing"}`,
//! `textisur_db_replica_lag_seconds{replica}`, `textisur_db_replica_lag_bytes{replica}` and
//! `textisur_db_replica_up{replica}`.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// A token a later read can wait on. `xid`: every transaction that committed before it was
/// taken has a lower id (the `xmax` of a fresh snapshot; the search index's position).
/// `lsn`: the primary's WAL position after those commits (a standby's position).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsistencyToken {
    pub xid: u64,
    pub lsn: Option<u64>,
}

impl ConsistencyToken {
    /// The later of two tokens, position by position.
    pub fn max(self, other: Self) -> Self {
        Self {
            xid: self.xid.max(other.xid),
            lsn: match (self.lsn, other.lsn) {
                (Some(a), Some(b)) => Some(a.max(b)),
                // A token without a position needs the primary, whatever the other says.
                _ => None,
            },
        }
    }

    /// The later of two tokens where either may be missing.
    pub fn latest(a: Option<Self>, b: Option<Self>) -> Option<Self> {
        match (a, b) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The standby position a read with this token needs ([`PRIMARY_ONLY`] without one).
    pub fn read_bound(self) -> u64 {
        self.lsn.unwrap_or(PRIMARY_ONLY)
    }
}

/// `{xid}.{lsn}`, or `{xid}` alone for a token without a WAL position. Clients treat the
/// whole string as opaque.
impl fmt::Display for ConsistencyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.lsn {
            Some(lsn) => write!(f, "{}.{lsn}", self.xid),
            None => write!(f, "{}", self.xid),
        }
    }
}

impl FromStr for ConsistencyToken {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.split_once('.') {
            Some((xid, lsn)) => Ok(Self {
                xid: xid.parse()?,
                lsn: Some(lsn.parse()?),
            }),
            None => Ok(Self {
                xid: s.parse()?,
                lsn: None,
            }),
        }
    }
}

/// A read bound that no standby meets: the primary answers.
pub const PRIMARY_ONLY: u64 = u64::MAX;

/// How standbys are used.
#[derive(Clone, Debug)]
pub struct ReplicaConfig {
    /// Connection URLs of the standbys (none: the primary answers everything).
    pub urls: Vec<String>,
    /// A standby lagging more than this is skipped.
    pub max_lag: Duration,
    /// How often each standby's position and lag are checked.
    pub check_every: Duration,
    /// Most connections in each standby's pool.
    pub max_connections: u32,
}

impl Default for ReplicaConfig {
    fn default() -> Self {
        Self {
            urls: Vec::new(),
            max_lag: Duration::from_millis(1000),
            check_every: Duration::from_millis(100),
            max_connections: 16,
        }
    }
}

/// One streaming standby.
#[derive(Debug)]
pub struct Standby {
    /// `host:port`, the `replica` label of its metrics (never the password).
    pub name: String,
    pub(super) pool: PgPool,
    /// WAL position replayed, as of the last check.
    replayed: AtomicU64,
    /// Whether the last check succeeded and found the lag within the bound.
    usable: AtomicBool,
}

impl Standby {
    /// Marks it unusable until the next good check (a read on it just failed).
    pub(super) fn failed(&self) {
        if self.usable.swap(false, Ordering::Relaxed) {
            tracing::warn!(replica = %self.name, "standby failed a read: reading the primary until it checks well again");
            metrics::gauge!("textisur_db_replica_up", "replica" => self.name.clone()).set(0.0);
        }
    }
}

/// Every standby, and the router that picks one.
#[derive(Debug)]
pub struct Replicas {
    standbys: Vec<Arc<Standby>>,
    max_lag: Duration,
    check_every: Duration,
    next: AtomicUsize,
}

impl Replicas {
    /// Pools to every standby in `config`, connecting lazily: a standby that is down at
    /// start is skipped until a check reaches it.
    pub fn connect(config: &ReplicaConfig) -> anyhow::Result<Arc<Self>> {
        let standbys = config
            .urls
            .iter()
            .map(|url| {
                let options = PgConnectOptions::from_str(url).context("parse a replica URL")?;
                let options = super::options::local_options(url, options);
                let name = format!("{}:{}", options.get_host(), options.get_port());
                let pool = PgPoolOptions::new()
                    .max_connections(config.max_connections)
                    .acquire_timeout(config.check_every.max(Duration::from_millis(500)))
                    .connect_lazy_with(options);
                metrics::gauge!("textisur_db_replica_up", "replica" => name.clone()).set(0.0);
                Ok(Arc::new(Standby {
                    name,
                    pool,
                    replayed: AtomicU64::new(0),
                    usable: AtomicBool::new(false),
                }))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Arc::new(Self {
            standbys,
            max_lag: config.max_lag,
            check_every: config.check_every,
            next: AtomicUsize::new(0),
        }))
    }

    /// How far behind the primary a standby this router picks may be: the lag bound, plus
    /// one check interval since the last check found it within the bound, plus one because
    /// the primary may have passed the standby's position just after a check sampled it.
    pub fn window(&self) -> Duration {
        self.max_lag + self.check_every * 2
    }

    /// A usable standby that has replayed at least `bound`, taking turns among them.
    pub(super) fn pick(&self, bound: u64) -> Option<Arc<Standby>> {
        if bound == PRIMARY_ONLY || self.standbys.is_empty() {
            return None;
        }
        let start = self.next.fetch_add(1, Ordering::Relaxed);
        let count = self.standbys.len();
        (0..count)
            .map(|i| &self.standbys[(start + i) % count])
            .find(|s| {
                s.usable.load(Ordering::Relaxed) && s.replayed.load(Ordering::Relaxed) >= bound
            })
            .cloned()
    }

    /// Checks every standby each `every` until the task is dropped.
    pub async fn check_forever(self: Arc<Self>, primary: PgPool, every: Duration) {
        let mut history = PrimaryHistory::default();
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            self.check(&primary, &mut history, every).await;
        }
    }

    async fn check(&self, primary: &PgPool, history: &mut PrimaryHistory, every: Duration) {
        let timeout = every.max(Duration::from_millis(500));
        let position = tokio::time::timeout(timeout, current_wal_position(primary)).await;
        let Ok(Ok(position)) = position else {
            // Without the primary's position no lag is known: keep the last verdicts.
            return;
        };
        let now = Instant::now();
        history.record(now, position, self.max_lag.max(every) * 4);
        for standby in &self.standbys {
            let replayed =
                tokio::time::timeout(timeout, replayed_wal_position(&standby.pool)).await;
            let labels = [("replica", standby.name.clone())];
            let usable = match replayed {
                Ok(Ok(Some(replayed))) => {
                    standby.replayed.fetch_max(replayed, Ordering::Relaxed);
                    let lag = history.lag(now, replayed);
                    metrics::gauge!("textisur_db_replica_lag_seconds", &labels)
                        .set(lag.as_secs_f64());
                    metrics::gauge!("textisur_db_replica_lag_bytes", &labels)
                        .set(position.saturating_sub(replayed) as f64);
                    lag <= self.max_lag
                }
                Ok(Ok(None)) => {
                    tracing::warn!(replica = %standby.name, "not a standby (it replays no WAL): not reading from it");
                    false
                }
                Ok(Err(error)) => {
                    tracing::debug!(replica = %standby.name, error = %error, "standby check failed");
                    false
                }
                Err(_) => false,
            };
            let was = standby.usable.swap(usable, Ordering::Relaxed);
            if was != usable {
                tracing::info!(replica = %standby.name, usable, "standby usable for reads");
            }
            metrics::gauge!("textisur_db_replica_up", &labels).set(if usable { 1.0 } else { 0.0 });
        }
    }
}

/// The primary's recent WAL positions and when each was seen, to turn a standby's replayed
/// position into a lag in time.
#[derive(Default)]
struct PrimaryHistory {
    seen: VecDeque<(Instant, u64)>,
}

impl PrimaryHistory {
    fn record(&mut self, at: Instant, position: u64, keep: Duration) {
        if self.seen.back().is_none_or(|(_, last)| *last < position) {
            self.seen.push_back((at, position));
        }
        // Keep the newest entry whatever its age: it says where the primary is.
        while self.seen.len() > 1
            && self
                .seen
                .front()
                .is_some_and(|(t, _)| at.duration_since(*t) > keep)
        {
            self.seen.pop_front();
        }
    }

    /// How long ago the primary first wrote past `replayed`: zero when the standby has
    /// replayed the newest position seen; the age of the oldest kept one when even that is
    /// ahead of it (the lag is at least that).
    fn lag(&self, now: Instant, replayed: u64) -> Duration {
        self.seen
            .iter()
            .find(|(_, position)| *position > replayed)
            .map_or(Duration::ZERO, |(at, _)| now.duration_since(*at))
    }
}

/// The primary's current WAL position, in bytes from the start.
pub(super) async fn current_wal_position(primary: &PgPool) -> sqlx::Result<u64> {
    let position = sqlx::query_scalar!(
        r#"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::int8 AS "position!""#
    )
    .fetch_one(primary)
    .await?;
    Ok(position.max(0) as u64)
}

/// A standby's replayed WAL position; `None` on a server that is not in recovery.
async fn replayed_wal_position(standby: &PgPool) -> sqlx::Result<Option<u64>> {
    let position = sqlx::query_scalar!(
        r#"SELECT pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::int8 AS "position""#
    )
    .fetch_one(standby)
    .await?;
    Ok(position.map(|p| p.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_print_and_parse_both_forms() {
        let token = ConsistencyToken {
            xid: 812,
            lsn: Some(23_456_789),
        };
        assert_eq!(token.to_string(), "812.23456789");
        assert_eq!("812.23456789".parse::<ConsistencyToken>(), Ok(token));
        let old = ConsistencyToken {
            xid: 812,
            lsn: None,
        };
        assert_eq!("812".parse::<ConsistencyToken>(), Ok(old));
        assert_eq!(old.read_bound(), PRIMARY_ONLY);
        assert!("812.".parse::<ConsistencyToken>().is_err());
        assert!("x.1".parse::<ConsistencyToken>().is_err());
        assert!("-1".parse::<ConsistencyToken>().is_err());
    }

    #[test]
    fn the_later_token_wins_and_a_token_without_position_needs_the_primary() {
        let a = ConsistencyToken {
            xid: 5,
            lsn: Some(100),
        };
        let b = ConsistencyToken {
            xid: 7,
            lsn: Some(90),
        };
        assert_eq!(
            a.max(b),
            ConsistencyToken {
                xid: 7,
                lsn: Some(100)
            }
        );
        let old = ConsistencyToken { xid: 1, lsn: None };
        assert_eq!(a.max(old).read_bound(), PRIMARY_ONLY);
    }

    #[test]
    fn lag_is_the_age_of_the_oldest_position_not_replayed() {
        let start = Instant::now();
        let mut history = PrimaryHistory::default();
        let keep = Duration::from_secs(10);
        history.record(start, 100, keep);
        history.record(start + Duration::from_millis(100), 200, keep);
        history.record(start + Duration::from_millis(200), 200, keep);
        history.record(start + Duration::from_millis(300), 300, keep);
        let now = start + Duration::from_millis(400);
        assert_eq!(history.lag(now, 300), Duration::ZERO);
        assert_eq!(history.lag(now, 250), Duration::from_millis(100));
        assert_eq!(history.lag(now, 150), Duration::from_millis(300));
        assert_eq!(history.lag(now, 50), Duration::from_millis(400));
        // Old entries go, but the newest stays.
        history.record(start + Duration::from_secs(60), 300, keep);
        assert_eq!(history.seen.len(), 1);
        assert_eq!(
            history.lag(start + Duration::from_secs(61), 250),
            Duration::from_millis(60_700)
        );
    }
}
