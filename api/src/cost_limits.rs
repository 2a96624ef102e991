//! Rate limits on query cost: each caller (the user, else the client IP) spends the cost of
//! its operations from a bucket that refills at a fixed rate, through governor's GCRA.
//!
//! Governor has no way to give cells back, so the whole requested cost is spent; refunding
//! the part a query did not use (fewer rows than `first`) is left for later.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

/// Whose bucket a request spends from.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallerKey {
    User(i64),
    Ip(IpAddr),
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

type Limiter = RateLimiter<
    CallerKey,
    DefaultKeyedStateStore<CallerKey>,
    DefaultClock,
    StateInformationMiddleware,
>;

/// The keyed cost buckets.
pub struct CostLimiter {
    limiter: Limiter,
    clock: DefaultClock,
    maximum: u32,
    restore_rate: u32,
}

impl CostLimiter {
    /// Buckets of `maximum` points refilling at `restore_rate` points a second.
    pub fn new(maximum: u32, restore_rate: u32) -> Self {
        let maximum = maximum.max(1);
        let restore_rate = restore_rate.max(1);
        let quota = Quota::per_second(NonZeroU32::new(restore_rate).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(maximum).unwrap_or(NonZeroU32::MIN));
        Self {
            limiter: RateLimiter::keyed(quota).with_middleware::<StateInformationMiddleware>(),
            clock: DefaultClock::default(),
            maximum,
            restore_rate,
        }
    }

    /// Spends `cost` points (at least one) from `key`'s bucket.
    pub fn spend(&self, key: &CallerKey, cost: u64) -> BucketState {
        let points = u32::try_from(cost.max(1)).unwrap_or(u32::MAX);
        let n = NonZeroU32::new(points.min(self.maximum)).unwrap_or(NonZeroU32::MIN);
        let state = |remaining, retry_after| BucketState {
            maximum: self.maximum,
            remaining,
            restore_rate: self.restore_rate,
            retry_after,
        };
        match self.limiter.check_key_n(key, n) {
            Ok(Ok(snapshot)) => state(snapshot.remaining_burst_capacity(), None),
            Ok(Err(not_until)) => {
                let wait = not_until.wait_time_from(self.clock.now());
                let remaining = (wait.as_secs_f64() * f64::from(self.restore_rate)) as u32;
                state(
                    n.get().saturating_sub(remaining).min(self.maximum),
                    Some(wait.max(Duration::from_millis(1))),
                )
            }
            Err(_) => state(
                0,
                Some(Duration::from_secs(
                    u64::from(self.maximum / self.restore_rate) + 1,
                )),
            ),
        }
    }

    /// Drops the state of callers whose buckets are full again (bounds memory).
    pub fn forget_idle(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
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
}
