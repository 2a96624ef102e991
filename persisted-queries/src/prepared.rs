//! An in-process LRU of documents prepared from persisted query texts (parsed and checked
//! by the caller), by hash, so a hot persisted query is neither fetched nor parsed again.
//! Generic over what "prepared" means, so this crate stays free of GraphQL.

use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use lru::LruCache;

/// Prepared documents by key (a persisted query's hash, with whatever else the preparation
/// depends on).
pub struct PreparedCache<T> {
    entries: Mutex<LruCache<String, Arc<T>>>,
}

impl<T> PreparedCache<T> {
    /// A cache holding at most `capacity` documents (at least one).
    pub fn new(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            entries: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The document prepared under `key`, if still held.
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        let found = self
            .entries
            .lock()
            .ok()
            .and_then(|mut entries| entries.get(key).cloned());
        let result = if found.is_some() { "hit" } else { "miss" };
        metrics::counter!("textisur_prepared_documents_total", "result" => result).increment(1);
        found
    }

    /// Keeps `prepared` under `key`, dropping the least recently used document when full.
    pub fn put(&self, key: String, prepared: Arc<T>) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.put(key, prepared);
        }
    }

    /// Documents held.
    pub fn len(&self) -> usize {
        self.entries.lock().map(|e| e.len()).unwrap_or(0)
    }

    /// Whether no document is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_recently_used_document_goes_first() {
        let cache = PreparedCache::new(2);
        cache.put("a".into(), Arc::new(1));
        cache.put("b".into(), Arc::new(2));
        assert_eq!(cache.get("a").as_deref(), Some(&1));
        cache.put("c".into(), Arc::new(3));
        assert!(cache.get("b").is_none(), "b was used least recently");
        assert_eq!(cache.len(), 2);
    }
}
