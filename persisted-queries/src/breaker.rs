//! A small circuit breaker: after `THRESHOLD` consecutive failures it opens for a while
//! (`StoreConfig::retry_after`), then lets one trial call through (half-open); a success
//! closes it.
//!
//! Hand-written: the state is two atomics and a timestamp, smaller than any breaker crate's
//! adapter to our async calls.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

const THRESHOLD: u32 = 3;

/// The breaker guarding one dependency.
#[derive(Debug)]
pub struct Breaker {
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
    open_for: Duration,
}

impl Default for Breaker {
    fn default() -> Self {
        Self::new(Duration::from_secs(5))
    }
}

impl Breaker {
    /// A closed breaker that, once open, skips the dependency for `open_for` between trials.
    pub fn new(open_for: Duration) -> Self {
        Self {
            failures: AtomicU32::new(0),
            open_until: Mutex::new(None),
            open_for,
        }
    }

    /// Whether a call may go to the dependency now.
    pub fn allows_call(&self) -> bool {
        let Ok(mut open_until) = self.open_until.lock() else {
            return true;
        };
        match *open_until {
            Some(until) if Instant::now() < until => false,
            Some(_) => {
                // Half-open: one trial; a failure re-opens for another period.
                *open_until = Some(Instant::now() + self.open_for);
                true
            }
            None => true,
        }
    }

    /// Whether the breaker is open (the dependency is being skipped).
    pub fn is_open(&self) -> bool {
        self.open_until
            .lock()
            .is_ok_and(|until| until.is_some_and(|u| Instant::now() < u))
    }

    /// Records a success: closes the breaker.
    pub fn record_success(&self) {
        self.failures.store(0, Ordering::Relaxed);
        if let Ok(mut open_until) = self.open_until.lock()
            && open_until.take().is_some()
        {
            tracing::info!("redis answers again: circuit breaker closed");
        }
        metrics::gauge!("textisur_redis_breaker_open").set(0.0);
    }

    /// Records a failure; returns true when this failure opened the breaker.
    pub fn record_failure(&self) -> bool {
        let failures = self.failures.fetch_add(1, Ordering::Relaxed) + 1;
        if failures < THRESHOLD {
            return false;
        }
        let Ok(mut open_until) = self.open_until.lock() else {
            return false;
        };
        let opened = open_until.is_none();
        *open_until = Some(Instant::now() + self.open_for);
        metrics::gauge!("textisur_redis_breaker_open").set(1.0);
        opened
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn opens_after_repeated_failures_and_closes_on_success() {
        let breaker = Breaker::default();
        assert!(!breaker.record_failure());
        assert!(!breaker.record_failure());
        assert!(breaker.record_failure());
        assert!(breaker.is_open());
        assert!(!breaker.allows_call());
        breaker.record_success();
        assert!(!breaker.is_open());
        assert!(breaker.allows_call());
    }

    #[test]
    fn after_its_period_an_open_breaker_lets_one_trial_through() {
        let breaker = Breaker::new(Duration::ZERO);
        for _ in 0..THRESHOLD {
            breaker.record_failure();
        }
        // A zero period is over at once: the next call is the trial.
        assert!(breaker.allows_call());
        breaker.record_success();
        assert!(!breaker.is_open());
    }
}
