//! An in-process cache of documents prepared from persisted query texts (parsed and checked
//! by the caller), by hash, so a hot persisted query is neither fetched nor parsed again.
//! Bounded by bytes as the caller weighs them (moka's weigher), like the texts' own cache:
//! a prepared document holds its text, so counting entries would not bound memory.
//! Generic over what "prepared" means, so this crate stays free of GraphQL.

use std::sync::Arc;

use moka::sync::Cache;

/// Prepared documents by key (a persisted query's hash, with whatever else the preparation
/// depends on).
pub struct PreparedCache<T> {
    entries: Cache<String, Arc<T>>,
}

impl<T: Send + Sync + 'static> PreparedCache<T> {
    /// A cache holding at most `capacity_bytes`, each document weighing `weigh(document)`
    /// bytes (one heavier than the whole budget is not kept).
    pub fn new(capacity_bytes: u64, weigh: fn(&T) -> u64) -> Self {
        let entries = Cache::builder()
            .max_capacity(capacity_bytes)
            .weigher(move |key: &String, prepared: &Arc<T>| {
                let bytes = (key.len() as u64).saturating_add(weigh(prepared));
                u32::try_from(bytes).unwrap_or(u32::MAX)
            })
            .build();
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
        // Evict now, so the budget holds at every moment (preparations are rare next to hits).
        self.entries.run_pending_tasks();
    }

    /// Bytes held, as weighed.
    pub fn weighted_bytes(&self) -> u64 {
        self.entries.run_pending_tasks();
        self.entries.weighted_size()
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
