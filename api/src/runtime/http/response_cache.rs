//! A short-lived cache of anonymous persisted GET responses (a micro-cache).
//!
//! `GET /graphql` answers an anonymous query with `Cache-Control: public, max-age=N`: the
//! server already tells browsers and CDNs that the answer may be reused for N seconds. This
//! cache does what such a CDN would, in the process (`--response-cache-seconds`, by default
//! the max-age, never more), so a burst of identical requests (a popular search, the home
//! page's listing, a product everyone opens) runs once per period instead of once per
//! request. Writers never read through it: they are signed in, and a listing asked with a
//! new `consistencyToken` has new variables, so a new key.
//!
//! Only what a shared cache could hold is kept: persisted operations (by hash or document
//! id), sent without `Authorization`, answered 200 without errors. The key is the hash, the
//! operation name, the variables and the response format. A hit still pays its cost into the
//! caller's bucket and gets its own `extensions.cost`, so rate limits hold for cached answers.
//! Entries are weighed by their size; the cache holds at most `--response-cache-mib`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use serde_json::{Map, Value};

use super::negotiate::ResponseFormat;
use super::params::GraphqlParams;

/// A stored response: the body without `extensions`, and what running it cost.
pub(super) struct CachedResponse {
    /// `{"data": …}`, serialised.
    body: Bytes,
    /// The cost the request asked for and the cost it actually had.
    pub(super) requested_cost: u64,
    pub(super) actual_cost: u64,
    stored: Instant,
}

impl CachedResponse {
    /// The body with `extensions` added (for the caller's own cost report).
    pub(super) fn body_with(&self, extensions: &Map<String, Value>) -> Vec<u8> {
        super::body::with_extensions(&self.body, extensions)
    }

    /// Whole seconds since the response was computed (the `Age` header).
    pub(super) fn age_seconds(&self) -> u64 {
        self.stored.elapsed().as_secs()
    }
}

/// The cache; a no-op when its time to live is zero.
pub struct ResponseCache {
    entries: Option<quick_cache::sync::Cache<String, Arc<CachedResponse>, ResponseWeigher>>,
    ttl: Duration,
}

/// Weighs a kept response by its key and body.
#[derive(Clone)]
struct ResponseWeigher;

impl quick_cache::Weighter<String, Arc<CachedResponse>> for ResponseWeigher {
    fn weight(&self, key: &String, value: &Arc<CachedResponse>) -> u64 {
        (key.len() + value.body.len() + 64) as u64
    }
}

impl ResponseCache {
    /// A cache keeping responses for `ttl`, at most `max_bytes` of them.
    pub fn new(ttl: Duration, max_bytes: u64) -> Self {
        let entries = (!ttl.is_zero() && max_bytes > 0).then(|| {
            let items = usize::try_from(max_bytes / 2048).unwrap_or(usize::MAX);
            quick_cache::sync::Cache::with_weighter(items.max(1), max_bytes, ResponseWeigher)
        });
        Self { entries, ttl }
    }

    /// The key of a request whose answer may be shared: persisted, anonymous. `None` for
    /// any other request (and when the cache is off).
    pub(super) fn key(
        &self,
        params: &GraphqlParams,
        format: ResponseFormat,
        anonymous: bool,
    ) -> Option<String> {
        self.entries.as_ref()?;
        let hash = params.persisted_hash.as_deref().filter(|_| anonymous)?;
        let variables = serde_json::to_string(&params.variables).ok()?;
        let format = match format {
            ResponseFormat::GraphqlResponseJson => 'g',
            ResponseFormat::Json => 'j',
        };
        let operation = params.operation_name.as_deref().unwrap_or("");
        Some(format!(
            "{hash}\u{0}{operation}\u{0}{format}\u{0}{variables}"
        ))
    }

    /// The response stored under `key`, if still fresh.
    pub(super) fn get(&self, key: &str) -> Option<Arc<CachedResponse>> {
        let entries = self.entries.as_ref()?;
        // Expired entries are dropped when met; the byte bound evicts the rest.
        let found = entries.get(key).filter(|found| {
            let fresh = found.stored.elapsed() < self.ttl;
            if !fresh {
                entries.remove(key);
            }
            fresh
        });
        let result = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("textisur_response_cache_total", "result" => result).increment(1);
        found
    }

    /// Keeps `head`, the `{"data":…}` of a response any caller may be given
    /// ([`super::body::Body::shareable`]), under `key`.
    pub(super) fn put(&self, key: String, head: &[u8], requested_cost: u64, actual_cost: u64) {
        let Some(entries) = &self.entries else { return };
        entries.insert(
            key,
            Arc::new(CachedResponse {
                body: Bytes::copy_from_slice(head),
                requested_cost,
                actual_cost,
                stored: Instant::now(),
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn params(hash: &str, first: u64) -> GraphqlParams {
        GraphqlParams {
            persisted_hash: Some(hash.to_owned()),
            variables: json!({ "first": first })
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..GraphqlParams::default()
        }
    }

    #[test]
    fn only_anonymous_persisted_requests_have_a_key() {
        let cache = ResponseCache::new(Duration::from_secs(2), 1 << 20);
        let format = ResponseFormat::GraphqlResponseJson;
        assert!(cache.key(&params("ab", 1), format, true).is_some());
        assert!(cache.key(&params("ab", 1), format, false).is_none());
        assert!(cache.key(&GraphqlParams::default(), format, true).is_none());
        assert_ne!(
            cache.key(&params("ab", 1), format, true),
            cache.key(&params("ab", 2), format, true),
            "the variables are part of the key"
        );
        assert_ne!(
            cache.key(&params("ab", 1), format, true),
            cache.key(&params("ab", 1), ResponseFormat::Json, true),
        );
        let off = ResponseCache::new(Duration::ZERO, 1 << 20);
        assert!(off.key(&params("ab", 1), format, true).is_none());
    }

    #[test]
    fn a_hit_carries_the_callers_own_cost_report() {
        let cache = ResponseCache::new(Duration::from_secs(2), 1 << 20);
        cache.put("k".into(), br#"{"data":{"a":1}}"#, 12, 3);
        let hit = cache.get("k").expect("stored");
        assert_eq!((hit.requested_cost, hit.actual_cost), (12, 3));
        let mine = json!({ "cost": { "mine": 1 } });
        let served: Value =
            serde_json::from_slice(&hit.body_with(mine.as_object().expect("object")))
                .expect("valid JSON");
        assert_eq!(
            served,
            json!({ "data": { "a": 1 }, "extensions": { "cost": { "mine": 1 } } })
        );
    }
}
