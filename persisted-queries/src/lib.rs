//! Automatic persisted queries: query texts stored by their SHA-256 in Redis (through
//! bb8-redis), with an in-process cache in front, bounded by bytes (quick_cache), so
//! however long the texts, memory stays within the budget.
//!
//! Key rule: Redis is a dependency, not a single point of failure. Every Redis call has a
//! timeout; after repeated failures a circuit breaker stops calling it for a while; hits are
//! then served from the local cache and registrations stay local, and the store goes back to
//! Redis by itself once a trial call succeeds. This crate knows nothing of HTTP or GraphQL.
//!
//! [`PreparedCache`] holds what the server made of a persisted text (the parsed document and
//! its checks), by hash.
//!
//! Trusted documents (`manifest`) are the operations our own clients send, from the manifests
//! in `persisted-queries/manifests/`.

mod breaker;
pub mod manifest;
mod prepared;

use std::sync::Arc;
use std::time::Duration;

use bb8_redis::RedisConnectionManager;
use quick_cache::sync::Cache;
use redis::AsyncCommands;
use sha2::{Digest, Sha256};

pub use breaker::Breaker;
pub use manifest::{ManifestError, TrustedDocuments, TrustedOperation};
pub use prepared::PreparedCache;

/// How the store behaves.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// Redis URL, e.g. `redis://127.0.0.1:6379`.
    pub redis_url: String,
    /// How long Redis keeps a registered query.
    pub ttl: Duration,
    /// Longest wait for any one Redis call.
    pub call_timeout: Duration,
    /// Bytes of hashes and texts kept in the process (a text past the budget is not kept).
    pub local_capacity_bytes: u64,
    /// How long the circuit breaker skips Redis once open, before one trial call.
    pub retry_after: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            redis_url: "redis://127.0.0.1:6379".to_owned(),
            ttl: Duration::from_secs(7 * 24 * 3600),
            call_timeout: Duration::from_millis(100),
            local_capacity_bytes: 16 * 1024 * 1024,
            retry_after: Duration::from_secs(5),
        }
    }
}

/// Why the store could not be created, or could not push documents.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid Redis URL: {0}")]
    InvalidUrl(#[from] redis::RedisError),
    #[error("redis refused the push: {0}")]
    Push(String),
    #[error("redis did not answer the push within {0:?}")]
    PushTimedOut(Duration),
}

/// Longest wait for a push of trusted documents (one pipeline, however many documents).
const PUSH_TIMEOUT: Duration = Duration::from_secs(10);

/// The SHA-256 of a query text, as lowercase hex (the APQ `sha256Hash`).
pub fn sha256_hex(query: &str) -> String {
    Sha256::digest(query.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `hash` looks like a SHA-256 in hex.
pub fn is_sha256_hex(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The persisted-query store.
pub struct PersistedQueryStore {
    redis: bb8::Pool<RedisConnectionManager>,
    local: Cache<String, Arc<str>, TextWeigher>,
    breaker: Breaker,
    config: StoreConfig,
}

const KEY_PREFIX: &str = "textisur:apq:";

/// Weighs a kept query text by its bytes and its hash's.
#[derive(Clone)]
struct TextWeigher;

impl quick_cache::Weighter<String, Arc<str>> for TextWeigher {
    fn weight(&self, hash: &String, query: &Arc<str>) -> u64 {
        (hash.len() + query.len()) as u64
    }
}

/// The Redis key a query registered under `hash` is stored at.
pub fn redis_key(hash: &str) -> String {
    format!("{KEY_PREFIX}{hash}")
}

impl PersistedQueryStore {
    /// A store over `config.redis_url`; Redis need not be up yet.
    pub fn new(config: StoreConfig) -> Result<Self, StoreError> {
        let manager = RedisConnectionManager::new(config.redis_url.as_str())?;
        let redis = bb8::Pool::builder()
            .max_size(8)
            .connection_timeout(config.call_timeout)
            .build_unchecked(manager);
        let items = usize::try_from(config.local_capacity_bytes / 2048).unwrap_or(usize::MAX);
        let local = Cache::with_weighter(items.max(1), config.local_capacity_bytes, TextWeigher);
        Ok(Self {
            redis,
            local,
            breaker: Breaker::new(config.retry_after),
            config,
        })
    }

    /// The byte budget of the in-process cache (also the budget of what the server
    /// prepares from these texts).
    pub fn local_capacity_bytes(&self) -> u64 {
        self.config.local_capacity_bytes
    }

    /// The circuit breaker guarding Redis (for health checks and metrics).
    pub fn breaker(&self) -> &Breaker {
        &self.breaker
    }

    fn local_get(&self, hash: &str) -> Option<Arc<str>> {
        self.local.get(hash)
    }

    fn local_put(&self, hash: &str, query: Arc<str>) {
        self.local.insert(hash.to_owned(), query);
    }

    /// The query registered under `hash`, from the process or from Redis.
    pub async fn get(&self, hash: &str) -> Option<Arc<str>> {
        if let Some(query) = self.local_get(hash) {
            metrics::counter!("textisur_persisted_queries_total", "result" => "hit_local")
                .increment(1);
            return Some(query);
        }
        let key = redis_key(hash);
        let found: Option<String> = self.guarded(self.redis_get(key)).await.flatten();
        match found {
            Some(text) if sha256_hex(&text) == hash => {
                let query: Arc<str> = Arc::from(text);
                self.local_put(hash, query.clone());
                metrics::counter!("textisur_persisted_queries_total", "result" => "hit_redis")
                    .increment(1);
                Some(query)
            }
            _ => {
                metrics::counter!("textisur_persisted_queries_total", "result" => "miss")
                    .increment(1);
                None
            }
        }
    }

    /// Registers a query under its hash: always in the process, in Redis when it answers.
    pub async fn put(&self, hash: &str, query: &str) {
        self.local_put(hash, Arc::from(query));
        let key = redis_key(hash);
        let value = query.to_owned();
        let ttl = self.config.ttl.as_secs().max(1);
        self.guarded(self.redis_set(key, value, ttl)).await;
    }

    /// Writes trusted documents to Redis under their hashes, without expiry, so every server
    /// on this Redis serves them by hash (also those not embedded in its binary). Unlike a
    /// registration this bypasses the breaker and fails loudly: whoever pushes wants to know.
    pub async fn push(&self, documents: &TrustedDocuments) -> Result<usize, StoreError> {
        let mut pipeline = redis::pipe();
        for operation in documents.operations() {
            let key = redis_key(&operation.id);
            pipeline.set(key, operation.body.as_str()).ignore();
        }
        let write = async {
            let mut conn = self
                .redis
                .get()
                .await
                .map_err(|e| StoreError::Push(e.to_string()))?;
            pipeline
                .query_async::<()>(&mut *conn)
                .await
                .map_err(|e| StoreError::Push(e.to_string()))
        };
        tokio::time::timeout(PUSH_TIMEOUT, write)
            .await
            .map_err(|_| StoreError::PushTimedOut(PUSH_TIMEOUT))??;
        Ok(documents.operations().len())
    }

    async fn redis_get(&self, key: String) -> Result<Option<String>, String> {
        let mut conn = self.redis.get().await.map_err(|e| e.to_string())?;
        conn.get(key).await.map_err(|e| e.to_string())
    }

    async fn redis_set(&self, key: String, value: String, ttl: u64) -> Result<(), String> {
        let mut conn = self.redis.get().await.map_err(|e| e.to_string())?;
        conn.set_ex(key, value, ttl)
            .await
            .map_err(|e| e.to_string())
    }

    /// Runs one Redis call under the breaker and the timeout; `None` when Redis is skipped
    /// or fails.
    async fn guarded<T>(&self, call: impl Future<Output = Result<T, String>>) -> Option<T> {
        if !self.breaker.allows_call() {
            return None;
        }
        match tokio::time::timeout(self.config.call_timeout, call).await {
            Ok(Ok(value)) => {
                self.breaker.record_success();
                Some(value)
            }
            Ok(Err(error)) => {
                self.failed(&error);
                None
            }
            Err(_) => {
                self.failed("timed out");
                None
            }
        }
    }

    fn failed(&self, error: &str) {
        metrics::counter!("textisur_redis_errors_total").increment(1);
        if self.breaker.record_failure() {
            tracing::warn!(
                error,
                "redis failing: circuit breaker open, serving persisted queries from memory"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_apollo_compatible() {
        // sha256("{ __typename }") in lowercase hex, as Apollo's link sends it.
        assert_eq!(
            sha256_hex("{ __typename }"),
            "7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b"
        );
        assert!(is_sha256_hex(&sha256_hex("x")));
        assert!(!is_sha256_hex("abc"));
    }
}
