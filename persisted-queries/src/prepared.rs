//! An in-process cache of documents prepared from persisted query texts (parsed and checked
//! by the caller), by hash, so a hot persisted query is neither fetched nor parsed again.
//! Bounded by bytes as the caller weighs them (a quick_cache weighter), like the texts' own cache:
//! a prepared document holds its text, so counting entries would not bound memory.
//! Generic over what "prepared" means, so this crate stays free of GraphQL.

use std::sync::Arc;

use quick_cache::sync::Cache;

/// Prepared documents by key (a persisted query's hash, with whatever else the preparation
/// depends on).
pub struct PreparedCache<T> {
    entries: Cache<String, Arc<T>, Weigh<T>>,
}

/// Weighs a prepared document by its key and the caller's weight.
struct Weigh<T>(fn(&T) -> u64);

impl<T> Clone for Weigh<T> {
    fn clone(&self) -> Self {
        Self(self.0)
    }
}

impl<T> quick_cache::Weighter<String, Arc<T>> for Weigh<T> {
    fn weight(&self, key: &String, prepared: &Arc<T>) -> u64 {
        (key.len() as u64).saturating_add((self.0)(prepared))
    }
}

/// Bytes a prepared document is expected to weigh, to size the cache's tables up front.
const TYPICAL_BYTES: u64 = 4096;

impl<T: Send + Sync + 'static> PreparedCache<T> {
    /// A cache holding at most `capacity_bytes`, each document weighing `weigh(document)`
    /// bytes (one heavier than the whole budget is not kept).
    pub fn new(capacity_bytes: u64, weigh: fn(&T) -> u64) -> Self {
        let items = usize::try_from(capacity_bytes / TYPICAL_BYTES).unwrap_or(usize::MAX);
        let entries = Cache::with_weighter(items.max(1), capacity_bytes, Weigh(weigh));
        Self { entries }
    }

    /// The document prepared under `key`, if still held.
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        let found = self.entries.get(key);
        let result = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("textisur_prepared_documents_total", "result" => result).increment(1);
        found
    }

    /// Keeps `prepared` under `key`, evicting others when the budget is full.
    pub fn put(&self, key: String, prepared: Arc<T>) {
        self.entries.insert(key, prepared);
    }

    /// Bytes held, as weighed.
    pub fn weighted_bytes(&self) -> u64 {
        self.entries.weight()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_holds_at_most_its_budget() {
        let cache = PreparedCache::new(1_000, |text: &String| text.len() as u64);
        for n in 0..10 {
            cache.put(format!("k{n}"), Arc::new("x".repeat(300)));
        }
        let held = cache.weighted_bytes();
        assert!((1..=1_000).contains(&held), "{held}");
        // One document heavier than the budget is never kept.
        cache.put("big".into(), Arc::new("x".repeat(2_000)));
        assert!(cache.get("big").is_none());
    }
}
