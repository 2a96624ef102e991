//! Limits shared by every server process: one GCRA step in Redis per check, so three
//! replicas behind a load balancer give a caller one budget, not three.
//!
//! The step is a Lua script (`gcra.lua`, run through `redis::Script`, which sends its SHA
//! and the text only when Redis does not know it yet): it reads the clock of Redis, so the
//! processes' clocks never disagree, and checks several tiers in one round trip. The
//! per-process limits ([`crate::runtime::cost_limits`], governor in
//! [`crate::accounts::limits`]) stay in front as a first stage: a flood is refused without
//! asking Redis. When Redis cannot answer, the per-process limits decide alone; the outage is
//! logged once, counted in `textisur_global_limits_fallbacks_total`, and a circuit breaker
//! keeps requests from waiting on Redis while it is down.
//!
//! Keys are named after the database (`textisur:limits:<database>:...`): the replicas of one
//! deployment share its buckets, and two deployments (or two test servers) on one Redis never
//! meet. They end with the tier's burst and interval (`...:<burst>:<interval µs>`): a bucket
//! is its key and its shape, so a changed limit starts from full buckets instead of
//! inheriting a debt counted at the old rate (a caller drained at 1 point a second would
//! otherwise wait minutes after the limit was raised).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::Duration;

use redis::AsyncConnectionConfig;
use redis::aio::MultiplexedConnection;
use textisur_persisted_queries::Breaker;

static SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(include_str!("gcra.lua")));

/// A bucket's shape: `burst` points that come back at one per `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tier {
    pub burst: u32,
    pub interval: Duration,
}

impl Tier {
    /// `n` points per `period`, all of them at once if need be.
    pub fn per(n: u32, period: Duration) -> Self {
        let n = n.max(1);
        Self {
            burst: n,
            interval: period / n,
        }
    }

    /// A bucket of `burst` points that regains `per_second` points a second.
    pub fn refilling(burst: u32, per_second: u32) -> Self {
        Self {
            burst: burst.max(1),
            interval: Duration::from_secs(1) / per_second.max(1),
        }
    }

    fn interval_micros(self) -> u64 {
        u64::try_from(self.interval.as_micros())
            .unwrap_or(u64::MAX)
            .max(1)
    }
}

/// What Redis decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub allowed: bool,
    /// Points left in the last tier looked at (the refusing one, when refused).
    pub remaining: u32,
    /// When refused: how long until the points are there.
    pub retry_after: Duration,
}

/// The Redis side of the limits; [`GlobalLimits::off`] when they are per process only.
pub struct GlobalLimits {
    redis: Option<redis::Client>,
    /// One multiplexed connection: concurrent steps share it and are written together,
    /// where a pool would pay a connection checkout and a write per step. Dropped on a
    /// failure and made again by the next step.
    connection: Mutex<Option<MultiplexedConnection>>,
    prefix: String,
    /// Longest wait for one step, connection included.
    timeout: Duration,
    breaker: Breaker,
    /// Whether the last call failed: the outage is logged when it starts and when it ends.
    failing: AtomicBool,
}

impl GlobalLimits {
    /// Limits in the Redis at `url`, keyed under `namespace` (the database's name). Redis need
    /// not be up yet: each call gives up after `timeout`.
    pub fn new(url: &str, namespace: &str, timeout: Duration) -> anyhow::Result<Self> {
        Ok(Self {
            redis: Some(redis::Client::open(url)?),
            connection: Mutex::new(None),
            prefix: format!("textisur:limits:{namespace}:"),
            timeout,
            breaker: Breaker::new(Duration::from_secs(1)),
            failing: AtomicBool::new(false),
        })
    }

    /// No shared limits: every process counts alone.
    pub fn off() -> Self {
        Self {
            redis: None,
            connection: Mutex::new(None),
            prefix: String::new(),
            timeout: Duration::ZERO,
            breaker: Breaker::default(),
            failing: AtomicBool::new(false),
        }
    }

    /// Spends `amount` points from each tier in turn, narrowest first, stopping at the first
    /// that cannot pay. `None` when the limits are off or Redis cannot answer now: the
    /// caller's per-process limits decide alone.
    pub async fn spend(&self, tiers: &[(&str, Tier)], amount: u64) -> Option<Verdict> {
        let amount = i64::try_from(amount).unwrap_or(i64::MAX);
        self.step(tiers, amount).await
    }

    /// Gives `amount` points back to one bucket (never above full); `None` as for
    /// [`GlobalLimits::spend`].
    pub async fn refund(&self, key: &str, tier: Tier, amount: u64) -> Option<Verdict> {
        if amount == 0 {
            return None;
        }
        let amount = i64::try_from(amount).unwrap_or(i64::MAX);
        self.step(&[(key, tier)], -amount).await
    }

    async fn step(&self, tiers: &[(&str, Tier)], amount: i64) -> Option<Verdict> {
        let redis = self.redis.as_ref()?;
        if tiers.is_empty() || !self.breaker.allows_call() {
            return None;
        }
        let mut invocation = SCRIPT.prepare_invoke();
        invocation.arg(amount);
        for (key, tier) in tiers {
            invocation.key(format!(
                "{}{key}:{}:{}",
                self.prefix,
                tier.burst,
                tier.interval_micros()
            ));
            invocation.arg(tier.burst).arg(tier.interval_micros());
        }
        let call = async {
            let mut conn = self.connection(redis).await?;
            invocation.invoke_async::<(i64, i64, i64)>(&mut conn).await
        };
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok((allowed, remaining, wait_micros))) => {
                self.breaker.record_success();
                if self.failing.swap(false, Ordering::Relaxed) {
                    tracing::info!("redis answers again: rate limits are global again");
                }
                Some(Verdict {
                    allowed: allowed == 1,
                    remaining: u32::try_from(remaining.max(0)).unwrap_or(u32::MAX),
                    retry_after: Duration::from_micros(
                        u64::try_from(wait_micros.max(0)).unwrap_or(0),
                    ),
                })
            }
            failed => {
                let error = match failed {
                    Ok(Err(error)) => error.to_string(),
                    _ => "timed out".to_owned(),
                };
                *self
                    .connection
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = None;
                self.breaker.record_failure();
                metrics::counter!("textisur_global_limits_fallbacks_total").increment(1);
                if !self.failing.swap(true, Ordering::Relaxed) {
                    tracing::warn!(
                        %error,
                        "redis cannot answer: rate limits are per process until it does"
                    );
                }
                None
            }
        }
    }
}

impl GlobalLimits {
    /// The shared connection, made when there is none.
    async fn connection(&self, redis: &redis::Client) -> redis::RedisResult<MultiplexedConnection> {
        let held = self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(connection) = held {
            return Ok(connection);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.timeout))
            .set_response_timeout(Some(self.timeout));
        let connection = redis
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        *self
            .connection
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some(connection.clone());
        Ok(connection)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_spread_their_points_over_the_period() {
        let tier = Tier::per(10, Duration::from_secs(60));
        assert_eq!(tier.burst, 10);
        assert_eq!(tier.interval_micros(), 6_000_000);
        let bucket = Tier::refilling(4_000, 100);
        assert_eq!(bucket.interval_micros(), 10_000);
    }
}
