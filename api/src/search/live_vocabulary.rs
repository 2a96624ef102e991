//! The search vocabulary each process analyses queries with: the built-in files of
//! `search-index/vocabulary/` merged with the admins' entries of `search_vocabulary`
//! (`vocabulary.rs` is their GraphQL side).
//!
//! Queries apply the vocabulary when they are analysed, so an entry changes results without
//! a reindex. Each process keeps the merged vocabulary in memory and reloads it when a
//! change is announced on `textisur_events` (a statement trigger sends `VocabularyChanged` at
//! commit), and once a minute in case a notice was lost while the listener reconnected. The
//! process that made the change reloads before it answers, so the admin's next search sees
//! it; others within the event's delivery (milliseconds), well inside the index's freshness
//! bound.

use std::sync::{Arc, PoisonError, RwLock};

use textisur_search_index::{Synonyms, VocabularyEntry};

/// Most entries the table may hold: each is merged into every process's vocabulary.
pub const MAX_ENTRIES: i64 = 1_000;
/// The vocabulary queries are analysed with: the built-in files plus the table. Cheap to
/// clone (shared).
#[derive(Clone, Default)]
pub struct LiveVocabulary {
    current: Arc<RwLock<Synonyms>>,
}

impl std::fmt::Debug for LiveVocabulary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveVocabulary").finish_non_exhaustive()
    }
}

impl LiveVocabulary {
    /// The vocabulary as last loaded.
    pub fn current(&self) -> Synonyms {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Reads the table and merges it over the built-in files.
    pub async fn reload(&self, pool: &sqlx::PgPool) -> sqlx::Result<usize> {
        let rows = sqlx::query!(
            r#"SELECT kind, word, words FROM search_vocabulary ORDER BY id LIMIT $1"#,
            MAX_ENTRIES
        )
        .fetch_all(pool)
        .await?;
        let entries: Vec<VocabularyEntry> = rows
            .into_iter()
            .filter_map(|row| entry(&row.kind, row.word, row.words))
            .collect();
        let merged = Synonyms::default().with_entries(&entries);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = merged;
        metrics::gauge!("textisur_search_vocabulary_entries").set(entries.len() as f64);
        Ok(entries.len())
    }
}

fn entry(kind: &str, word: Option<String>, words: Vec<String>) -> Option<VocabularyEntry> {
    match kind {
        "SYNONYMS" => Some(VocabularyEntry::Group(words)),
        "IMPLIES" => Some(VocabularyEntry::Implies {
            word: word?,
            implies: words,
        }),
        "STOP_WORD" => Some(VocabularyEntry::StopWord(word?)),
        _ => None,
    }
}
