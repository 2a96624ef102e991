//! Test hook: abort the process at a chosen point of a batch, to prove that a crash anywhere
//! loses nothing and applies nothing twice in a way that shows.
//!
//! Set `TEXTISUR_INDEXER_CRASH=after_commit` (abort right after the index commit, before the
//! acknowledgement) or `mid_batch` (abort after upserting half a batch, before the commit).
//! Never set it in production: the process dies with `SIGABRT` on the first batch.
//!
//! Only builds with the cargo feature `crash-hook` read the variable (the test command turns
//! it on: `tests/run-all.sh`); every other build, release included, has no hook, and says so
//! in a log line if the variable is set.

/// Where [`CrashPoint`] aborts the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrashPoint {
    /// After the index commit, before the outbox acknowledgement.
    AfterCommit,
    /// After half of a batch's writes, before the commit.
    MidBatch,
}

/// The environment variable that arms a [`CrashPoint`].
pub const CRASH_ENV: &str = "TEXTISUR_INDEXER_CRASH";

impl CrashPoint {
    /// The crash point armed by [`CRASH_ENV`], if any (an unknown value arms none).
    pub fn from_env() -> Option<Self> {
        let value = std::env::var(CRASH_ENV).ok()?;
        if cfg!(not(feature = "crash-hook")) {
            tracing::warn!("TEXTISUR_INDEXER_CRASH ignored: this build has no crash hook");
            return None;
        }
        match value.as_str() {
            "after_commit" => Some(Self::AfterCommit),
            "mid_batch" => Some(Self::MidBatch),
            other => {
                tracing::warn!(
                    value = other,
                    "unknown TEXTISUR_INDEXER_CRASH value ignored"
                );
                None
            }
        }
    }

    /// Aborts the process when `self` is `at`.
    pub(crate) fn trigger(armed: Option<Self>, at: Self) {
        if cfg!(feature = "crash-hook") && armed == Some(at) {
            tracing::error!(point = ?at, "TEXTISUR_INDEXER_CRASH: aborting on purpose");
            std::process::abort();
        }
    }
}
