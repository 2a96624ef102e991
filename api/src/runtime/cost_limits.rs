//! Rate limits on query cost: each caller (the user, else the client IP) spends the cost of
//! its operations from a bucket that refills at a fixed rate, and gets back after execution
//! the part of the requested cost its query did not use.
//!
//! The buckets are our own, not governor's: governor's GCRA keeps one "theoretical arrival
//! time" per key and offers no way to give cells back, and refunding the unused cost is the
//! point of charging the requested cost up front. A token bucket with a fractional level and
//! the time of its last update is the same arithmetic (a bucket of `maximum` points that
//! regains `restore_rate` points a second) with a refund that is one addition. Request-rate
//! limits elsewhere (sign-in) still use governor.
//!
//! [`CostBuckets`] puts these per-process buckets in front of the same bucket in Redis
//! ([`crate::runtime::global_limits`]), so that all replicas together give a caller one
//! budget: the local bucket refuses a flood without a round trip, Redis decides the rest.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::runtime::global_limits::{GlobalLimits, Tier};

/// Whose bucket a request spends from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallerKey {
    User(i64),
    Ip(IpAddr),
}

impl CallerKey {
    /// The bucket's name in Redis.
    fn redis_key(&self) -> String {
        match self {
            Self::User(id) => format!("cost:user:{id}"),
            Self::Ip(ip) => format!("cost:ip:{ip}"),
        }
    }
}

/// The state of a caller's bucket after a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketState {
    /// Points the bucket holds when full.
    pub maximum: u32,
    /// Points left now.
    pub remaining: u32,
    /// Points restored per second.
    pub restore_rate: u32,
    /// When throttled: how long until the request's cost is available.
    pub retry_after: Option<Duration>,
}

impl BucketState {
    /// Seconds until the bucket is full again.
    pub fn reset_seconds(&self) -> u64 {
        u64::from(self.maximum - self.remaining.min(self.maximum))
            .div_ceil(u64::from(self.restore_rate.max(1)))
    }
}

/// One caller's bucket: its level when last touched.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    points: f64,
    updated: Instant,
}

/// Independent locks, so callers on different shards never wait for each other.
const SHARDS: usize = 16;

/// The keyed cost buckets.
pub struct CostLimiter {
    shards: Vec<Mutex<HashMap<CallerKey, Bucket>>>,
    hasher: RandomState,
    maximum: u32,
    restore_rate: u32,
}

impl CostLimiter {
    /// Buckets of `maximum` points refilling at `restore_rate` points a second.
    pub fn new(maximum: u32, restore_rate: u32) -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
            hasher: RandomState::new(),
            maximum: maximum.max(1),
            restore_rate: restore_rate.max(1),
        }
    }

    /// Runs `f` on `key`'s bucket, refilled up to now (a caller never seen has a full one).
    fn with_bucket<T>(&self, key: &CallerKey, f: impl FnOnce(&mut f64) -> T) -> T {
        let now = Instant::now();
        let maximum = f64::from(self.maximum);
        let shard = &self.shards[self.hasher.hash_one(key) as usize % SHARDS];
        let mut buckets = shard
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let bucket = buckets.entry(key.clone()).or_insert(Bucket {
            points: maximum,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.points = (bucket.points + elapsed * f64::from(self.restore_rate)).min(maximum);
        bucket.updated = now;
        f(&mut bucket.points)
    }

    fn state(&self, points: f64, retry_after: Option<Duration>) -> BucketState {
        BucketState {
            maximum: self.maximum,
            remaining: (points.max(0.0).floor() as u32).min(self.maximum),
            restore_rate: self.restore_rate,
            retry_after,
        }
    }

    /// Spends `cost` points (at least one, at most a full bucket) from `key`'s bucket, or
    /// spends nothing and says how long until it could.
    pub fn spend(&self, key: &CallerKey, cost: u64) -> BucketState {
        let wanted = cost.clamp(1, u64::from(self.maximum)) as f64;
        self.with_bucket(key, |points| {
            if *points >= wanted {
                *points -= wanted;
                self.state(*points, None)
            } else {
                let wait = (wanted - *points) / f64::from(self.restore_rate);
                let wait = Duration::from_secs_f64(wait).max(Duration::from_millis(1));
                self.state(*points, Some(wait))
            }
        })
    }

    /// Gives `points` back to `key`'s bucket (never above full): the part of a spent cost
    /// that the query turned out not to use.
    pub fn refund(&self, key: &CallerKey, points: u64) -> BucketState {
        self.with_bucket(key, |level| {
            *level = (*level + points as f64).min(f64::from(self.maximum));
            self.state(*level, None)
        })
    }

    /// Drops the state of callers whose buckets are full again (bounds memory).
    pub fn forget_idle(&self) {
        let now = Instant::now();
        let rate = f64::from(self.restore_rate);
        let maximum = f64::from(self.maximum);
        for shard in &self.shards {
            let mut buckets = shard
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            buckets.retain(|_, bucket| {
                let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
                bucket.points + elapsed * rate < maximum
            });
            buckets.shrink_to_fit();
        }
    }

    /// Callers whose buckets are held in memory.
    pub fn tracked_callers(&self) -> usize {
        self.shards
            .iter()
            .map(|shard| shard.lock().map(|b| b.len()).unwrap_or(0))
            .sum()
    }
}

/// The cost buckets of a server: this process's, then the one all replicas share in Redis.
pub struct CostBuckets {
    local: CostLimiter,
    global: Arc<GlobalLimits>,
    tier: Tier,
}

impl CostBuckets {
    /// Buckets of `maximum` points refilling at `restore_rate` points a second, here and in
    /// `global` (which may be [`GlobalLimits::off`]).
    pub fn new(maximum: u32, restore_rate: u32, global: Arc<GlobalLimits>) -> Self {
        Self {
            local: CostLimiter::new(maximum, restore_rate),
            global,
            tier: Tier::refilling(maximum, restore_rate),
        }
    }

    /// Spends `cost` points (at least one, at most a full bucket) from `key`'s bucket here
    /// and in Redis, or spends nothing and says how long until it could. Redis out of reach:
    /// this process's bucket decides alone.
    pub async fn spend(&self, key: &CallerKey, cost: u64) -> BucketState {
        let local = self.local.spend(key, cost);
        if local.retry_after.is_some() {
            return local;
        }
        let wanted = cost.clamp(1, u64::from(self.local.maximum));
        let redis_key = key.redis_key();
        match self.global.spend(&[(&redis_key, self.tier)], wanted).await {
            None => local,
            Some(verdict) if verdict.allowed => BucketState {
                remaining: local.remaining.min(verdict.remaining),
                ..local
            },
            Some(verdict) => {
                // Other replicas spent it: give this process's share back.
                self.local.refund(key, wanted);
                BucketState {
                    remaining: verdict.remaining.min(self.local.maximum),
                    retry_after: Some(verdict.retry_after.max(Duration::from_millis(1))),
                    ..local
                }
            }
        }
    }

    /// Gives `points` back to `key`'s buckets (never above full).
    pub async fn refund(&self, key: &CallerKey, points: u64) -> BucketState {
        let local = self.local.refund(key, points);
        let redis_key = key.redis_key();
        match self.global.refund(&redis_key, self.tier, points).await {
            Some(verdict) => BucketState {
                remaining: local.remaining.min(verdict.remaining),
                ..local
            },
            None => local,
        }
    }

    /// Drops this process's state of callers whose buckets are full again.
    pub fn forget_idle(&self) {
        self.local.forget_idle();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_empty_and_stay_separate() {
        let limiter = CostLimiter::new(100, 10);
        let ana = CallerKey::User(1);
        assert_eq!(limiter.spend(&ana, 60).remaining, 40);
        assert_eq!(limiter.spend(&ana, 40).remaining, 0);
        let throttled = limiter.spend(&ana, 30);
        assert!(
            throttled
                .retry_after
                .is_some_and(|w| w > Duration::from_secs(2) && w <= Duration::from_secs(3))
        );
        assert_eq!(
            limiter.spend(&CallerKey::User(2), 30).remaining,
            70,
            "another caller is untouched"
        );
    }

    #[test]
    fn a_refund_gives_points_back_up_to_a_full_bucket() {
        let limiter = CostLimiter::new(100, 1);
        let ana = CallerKey::User(1);
        assert_eq!(limiter.spend(&ana, 80).remaining, 20);
        assert_eq!(limiter.refund(&ana, 70).remaining, 90);
        assert_eq!(limiter.refund(&ana, 70).remaining, 100, "never above full");
        assert_eq!(limiter.spend(&CallerKey::User(2), 1).remaining, 99);
    }

    #[test]
    fn full_buckets_are_forgotten() {
        let limiter = CostLimiter::new(100, 1);
        limiter.spend(&CallerKey::User(1), 50);
        limiter.spend(&CallerKey::User(2), 1);
        limiter.refund(&CallerKey::User(2), 1);
        limiter.forget_idle();
        assert_eq!(limiter.tracked_callers(), 1);
    }
}
