//! The matches of one typed word in one segment, worked out once and kept.
//!
//! A word of a query matches through a union of up to a dozen clauses: its stem, its
//! synonyms, a typo and a prefix automaton, each in four fields with its own weight. Walking
//! that union is most of a text search (the profile of the long-tail mix put tantivy's
//! buffered unions and the automata's bit sets at two thirds of a search's own time), and
//! shoppers type the same few thousand words in ever new combinations. So, as Meilisearch
//! keeps a docid set per word, each (segment, word) keeps its matching documents in doc-id
//! order with their scores, and a query intersects those lists instead of the unions.
//!
//! Why it stays right:
//! - A segment never changes, only its deletes do. The lists hold every document the
//!   postings hold, deleted or not, and the collectors skip the deleted ones against the
//!   current searcher's alive bit set, exactly as they do for postings.
//! - The key is the segment id and everything the word's clauses are made of (fields,
//!   weights, stem, synonyms, and the typed text with the automata it turned on), so equal
//!   keys are equal clauses. Entries of merged-away segments are dropped by
//!   [`forget_segments`] and are never looked up again anyway.
//! - It is bounded in bytes (quick_cache, S3-FIFO: a one-off typo enters a small probation
//!   queue and leaves it without pushing out the words everybody types); `0` turns it off
//!   and words run as plain unions. A first miss per key works the list out once while
//!   other searches for it wait (quick_cache's placeholder guard).
//!
//! Metrics: `textisur_search_word_cache_lookups_total{result="hit"|"miss"}` and
//! `textisur_search_word_cache_bytes`.
//!
//! The same lists serve one search's relaxed match set ([`at_least`]): the documents with
//! enough of its words, worked out once per segment and dropped with the search.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use quick_cache::sync::{Cache, GuardResult};
use tantivy::index::SegmentId;
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED, TantivyError};

/// Default bound of the cache: about the word lists of a long-tail vocabulary over a million
/// products (a word matching 5 % of them takes 400 KB).
pub const DEFAULT_WORD_CACHE_BYTES: u64 = 128 << 20;

static CAPACITY: AtomicU64 = AtomicU64::new(DEFAULT_WORD_CACHE_BYTES);

type Key = (SegmentId, Arc<str>);

/// Weighs a kept list by its bytes.
#[derive(Clone)]
struct ListWeigher;

impl quick_cache::Weighter<Key, Arc<WordMatches>> for ListWeigher {
    fn weight(&self, _: &Key, matches: &Arc<WordMatches>) -> u64 {
        matches.weight()
    }
}

/// Bytes a kept list is expected to weigh, to size the cache's tables up front.
const TYPICAL_LIST_BYTES: u64 = 16 << 10;

/// At most this many shards, so that one shard (a fraction of the budget) holds the list of
/// a word that matches a large share of a big segment.
const SHARDS: usize = 4;

static CACHE: LazyLock<Cache<Key, Arc<WordMatches>, ListWeigher>> = LazyLock::new(|| {
    let bytes = CAPACITY.load(Ordering::Relaxed);
    let items = usize::try_from(bytes / TYPICAL_LIST_BYTES).unwrap_or(usize::MAX);
    let options = quick_cache::OptionsBuilder::new()
        .estimated_items_capacity(items.max(1))
        .weight_capacity(bytes)
        .shards(SHARDS)
        .build();
    match options {
        Ok(options) => {
            Cache::with_options(options, ListWeigher, Default::default(), Default::default())
        }
        Err(_) => Cache::with_weighter(items.max(1), bytes, ListWeigher),
    }
});

/// Sets the bound of the word cache in bytes; `0` turns it off. It takes effect only when
/// called before the first text search of the process (the server calls it at start).
pub fn set_word_cache_bytes(bytes: u64) {
    CAPACITY.store(bytes, Ordering::Relaxed);
}

fn enabled() -> bool {
    CAPACITY.load(Ordering::Relaxed) > 0
}

/// Drops the lists of segments merged away.
pub(crate) fn forget_segments(gone: &HashSet<SegmentId>) {
    if gone.is_empty() || !enabled() {
        return;
    }
    CACHE.retain(|(segment, _), _| !gone.contains(segment));
}

/// The documents of one segment that match a word, ascending, and the word's score in each.
struct WordMatches {
    docs: Vec<DocId>,
    scores: Vec<Score>,
}

impl WordMatches {
    fn weight(&self) -> u64 {
        ((self.docs.capacity() * size_of::<DocId>())
            + (self.scores.capacity() * size_of::<Score>())
            + 96) as u64
    }
}

/// Builds the clauses of one word.
pub(crate) type Build = Box<dyn Fn() -> tantivy::Result<Box<dyn Query>> + Send + Sync>;

/// The clauses `build` makes (one word's), with their matches kept per segment under `key`.
/// They are built only when some segment's matches are not kept: on a hit a word costs a
/// lookup, not its automata. With the cache off it is the clauses themselves.
pub(crate) fn cached(key: String, build: Build) -> tantivy::Result<Box<dyn Query>> {
    if !enabled() {
        return build();
    }
    Ok(Box::new(CachedWord {
        key: key.into(),
        clauses: Arc::new(Clauses {
            build,
            built: OnceLock::new(),
        }),
    }))
}

/// A word's clauses, built on first use and shared by the query's clones.
struct Clauses {
    build: Build,
    built: OnceLock<tantivy::Result<Box<dyn Query>>>,
}

impl Clauses {
    fn get(&self) -> tantivy::Result<&dyn Query> {
        match self.built.get_or_init(|| (self.build)()) {
            Ok(query) => Ok(query.as_ref()),
            Err(e) => Err(TantivyError::clone(e)),
        }
    }
}

#[derive(Clone)]
struct CachedWord {
    key: Arc<str>,
    clauses: Arc<Clauses>,
}

impl std::fmt::Debug for CachedWord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CachedWord")
            .field("key", &self.key)
            .finish()
    }
}

impl Query for CachedWord {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // The lists keep scores whatever pass asks first, so they are built with scoring on,
        // which needs the searcher. Without one (never on our paths) the word runs as is.
        let Some(searcher) = scoring.searcher() else {
            return self.clauses.get()?.weight(scoring);
        };
        Ok(Box::new(CachedWordWeight {
            key: self.key.clone(),
            clauses: self.clauses.clone(),
            searcher: searcher.clone(),
            weight: OnceLock::new(),
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        if let Ok(query) = self.clauses.get() {
            query.query_terms(visitor);
        }
    }
}

struct CachedWordWeight {
    key: Arc<str>,
    clauses: Arc<Clauses>,
    searcher: Searcher,
    /// The clauses' weight, made for the first segment that misses and reused by the rest.
    weight: OnceLock<tantivy::Result<Box<dyn Weight>>>,
}

impl CachedWordWeight {
    fn matches(&self, reader: &SegmentReader) -> tantivy::Result<Arc<WordMatches>> {
        let key = (reader.segment_id(), self.key.clone());
        match CACHE.get_value_or_guard(&key, None) {
            GuardResult::Value(matches) => {
                HITS.increment(1);
                Ok(matches)
            }
            GuardResult::Guard(guard) => {
                MISSES.increment(1);
                // An error drops the guard: the next search tries again.
                let matches = Arc::new(self.materialise(reader)?);
                let _ = guard.insert(matches.clone());
                metrics::gauge!("textisur_search_word_cache_bytes").set(CACHE.weight() as f64);
                Ok(matches)
            }
            // Only a guard with a timeout times out; none is given.
            GuardResult::Timeout => Ok(Arc::new(self.materialise(reader)?)),
        }
    }

    /// Walks the word's clauses over the segment once.
    fn materialise(&self, reader: &SegmentReader) -> tantivy::Result<WordMatches> {
        let weight = self.weight.get_or_init(|| {
            self.clauses
                .get()?
                .weight(EnableScoring::enabled_from_searcher(&self.searcher))
        });
        let weight = weight.as_ref().map_err(TantivyError::clone)?;
        let mut docs = Vec::new();
        let mut scores = Vec::new();
        weight.for_each(reader, &mut |doc, score| {
            docs.push(doc);
            scores.push(score);
        })?;
        docs.shrink_to_fit();
        scores.shrink_to_fit();
        Ok(WordMatches { docs, scores })
    }
}

/// The lookup counters, registered once rather than found by their labels on every lookup.
static HITS: LazyLock<metrics::Counter> = LazyLock::new(
    || metrics::counter!("textisur_search_word_cache_lookups_total", "result" => "hit"),
);
static MISSES: LazyLock<metrics::Counter> = LazyLock::new(
    || metrics::counter!("textisur_search_word_cache_lookups_total", "result" => "miss"),
);

impl Weight for CachedWordWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let matches = self.matches(reader)?;
        Ok(Box::new(ListScorer {
            matches,
            at: 0,
            boost,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_in(self.matches(reader)?, doc, "word matches", || {
            format!("document {doc} does not match")
        })
    }
}

/// The documents that match at least `minimum` of `words` (a relaxed search's match set),
/// worked out once per segment and replayed by every later pass of the same search (clones
/// share them): its count, its page and each facet pass whose filter is set.
///
/// Each word's list is walked once, in order, adding one to a byte per document of the
/// segment; the set is the documents that reach `minimum`. A union of intersections (one
/// per choice of words, each leapfrogging its rarest list) spent most of its time in the
/// seeks of its intersections, an eighth of the server under the long tail's relaxed
/// searches. Scores are not kept: the set decides which documents match, and the words
/// themselves score them.
pub(crate) fn at_least(words: Vec<Box<dyn Query>>, minimum: usize) -> Box<dyn Query> {
    Box::new(AtLeast(Arc::new(AtLeastInner {
        words,
        minimum: minimum.max(1),
        lists: Mutex::new(HashMap::new()),
    })))
}

#[derive(Clone)]
struct AtLeast(Arc<AtLeastInner>);

struct AtLeastInner {
    words: Vec<Box<dyn Query>>,
    minimum: usize,
    lists: Mutex<HashMap<SegmentId, Arc<WordMatches>>>,
}

impl std::fmt::Debug for AtLeast {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AtLeast")
            .field("minimum", &self.0.minimum)
            .field("words", &self.0.words)
            .finish()
    }
}

impl Query for AtLeast {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let words = self
            .0
            .words
            .iter()
            .map(|w| w.weight(scoring))
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(AtLeastWeight {
            inner: self.0.clone(),
            words,
        }))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a tantivy::Term, bool)) {
        for word in &self.0.words {
            word.query_terms(visitor);
        }
    }
}

struct AtLeastWeight {
    inner: Arc<AtLeastInner>,
    words: Vec<Box<dyn Weight>>,
}

impl AtLeastWeight {
    fn matches(&self, reader: &SegmentReader) -> tantivy::Result<Arc<WordMatches>> {
        let segment = reader.segment_id();
        let lists = || self.inner.lists.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(matches) = lists().get(&segment) {
            return Ok(matches.clone());
        }
        // Worked out outside the lock: a search's passes run one after another, and the
        // threads of one pass each take their own segment.
        let mut counts = vec![0u8; reader.max_doc() as usize];
        for word in &self.words {
            word.for_each_no_score(reader, &mut |docs| {
                for doc in docs {
                    if let Some(count) = counts.get_mut(*doc as usize) {
                        *count = count.saturating_add(1);
                    }
                }
            })?;
        }
        let docs = counts
            .iter()
            .enumerate()
            .filter(|(_, n)| usize::from(**n) >= self.inner.minimum)
            .map(|(doc, _)| doc as DocId)
            .collect();
        let matches = Arc::new(WordMatches {
            docs,
            scores: Vec::new(),
        });
        lists().insert(segment, matches.clone());
        Ok(matches)
    }
}

impl Weight for AtLeastWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(ListScorer {
            matches: self.matches(reader)?,
            at: 0,
            boost,
        }))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        explain_in(
            self.matches(reader)?,
            doc,
            "has enough of the words",
            || {
                format!(
                    "document {doc} has fewer than {} of the words",
                    self.inner.minimum
                )
            },
        )
    }
}

/// `doc`'s explanation from a kept list: `matched` with its score, or `missing` as an error.
fn explain_in(
    matches: Arc<WordMatches>,
    doc: DocId,
    matched: &'static str,
    missing: impl FnOnce() -> String,
) -> tantivy::Result<Explanation> {
    let mut scorer = ListScorer {
        matches,
        at: 0,
        boost: 1.0,
    };
    if scorer.seek(doc) != doc {
        return Err(TantivyError::InvalidArgument(missing()));
    }
    Ok(Explanation::new(matched, scorer.score()))
}

/// Walks a [`WordMatches`] list; seeks gallop, so an intersection led by a rarer word skips
/// through a common one in logarithmic steps.
struct ListScorer {
    matches: Arc<WordMatches>,
    at: usize,
    boost: Score,
}

impl DocSet for ListScorer {
    fn advance(&mut self) -> DocId {
        if self.at < self.matches.docs.len() {
            self.at += 1;
        }
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        let rest = &self.matches.docs[self.at.min(self.matches.docs.len())..];
        // Gallop to a window that holds the target, then search inside it.
        let mut high = 1;
        while high < rest.len() && rest[high] < target {
            high *= 2;
        }
        let low = high / 2;
        let high = (high + 1).min(rest.len());
        self.at += low + rest[low..high].partition_point(|d| *d < target);
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.matches
            .docs
            .get(self.at)
            .copied()
            .unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        u32::try_from(self.matches.docs.len()).unwrap_or(u32::MAX)
    }
}

impl Scorer for ListScorer {
    fn score(&mut self) -> Score {
        self.matches.scores.get(self.at).copied().unwrap_or(0.0) * self.boost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(docs: &[DocId]) -> ListScorer {
        ListScorer {
            matches: Arc::new(WordMatches {
                docs: docs.to_vec(),
                scores: docs.iter().map(|d| *d as Score).collect(),
            }),
            at: 0,
            boost: 1.0,
        }
    }

    #[test]
    fn seeks_land_on_the_first_doc_at_or_past_the_target() {
        let docs: Vec<DocId> = (0..1000).map(|i| i * 3).collect();
        for target in [0, 1, 2, 3, 299, 300, 1500, 2997, 2998] {
            let mut scorer = list(&docs);
            let expected = docs
                .iter()
                .copied()
                .find(|d| *d >= target)
                .unwrap_or(TERMINATED);
            assert_eq!(scorer.seek(target), expected, "target {target}");
            if expected != TERMINATED {
                assert_eq!(scorer.score(), expected as Score);
            }
        }
        // Seeks go forward from where the last one stopped, and a seek to the current doc
        // stays put.
        let mut scorer = list(&docs);
        assert_eq!(scorer.seek(10), 12);
        assert_eq!(scorer.seek(12), 12);
        assert_eq!(scorer.advance(), 15);
        assert_eq!(scorer.seek(2000), 2001);
        assert_eq!(scorer.seek(TERMINATED), TERMINATED);
        assert_eq!(scorer.advance(), TERMINATED);
    }

    #[test]
    fn at_least_keeps_the_documents_with_enough_of_the_words() -> tantivy::Result<()> {
        use tantivy::collector::{Count, DocSetCollector};
        use tantivy::query::{BooleanQuery, Occur, TermQuery};
        use tantivy::schema::{IndexRecordOption, STRING, Schema};
        use tantivy::{Index, Term, doc};

        let mut schema = Schema::builder();
        let word = schema.add_text_field("word", STRING);
        let index = Index::create_in_ram(schema.build());
        let mut writer = index.writer_with_num_threads(1, 15_000_000)?;
        // Document i has "lino" when 2 divides it, "lana" when 3 does, "seda" when 5 does.
        for i in 0..600u32 {
            let mut d = doc!();
            for (n, w) in [(2, "lino"), (3, "lana"), (5, "seda")] {
                if i % n == 0 {
                    d.add_text(word, w);
                }
            }
            writer.add_document(d)?;
        }
        writer.commit()?;
        let searcher = index.reader()?.searcher();
        let words = || -> Vec<Box<dyn Query>> {
            ["lino", "lana", "seda"]
                .into_iter()
                .map(|w| {
                    Box::new(TermQuery::new(
                        Term::from_field_text(word, w),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>
                })
                .collect()
        };
        for minimum in 1..=3 {
            let expected = (0..600u32)
                .filter(|i| [2, 3, 5].iter().filter(|n| i % *n == 0).count() >= minimum)
                .count();
            let set = at_least(words(), minimum);
            let counting = BooleanQuery::with_minimum_required_clauses(
                words().into_iter().map(|w| (Occur::Should, w)).collect(),
                minimum,
            );
            // The first pass works the set out, the later ones replay it.
            for _ in 0..2 {
                assert_eq!(
                    searcher.search(&set, &Count)?,
                    expected,
                    "at least {minimum}"
                );
                assert_eq!(
                    searcher.search(&set, &DocSetCollector)?,
                    searcher.search(&counting, &DocSetCollector)?
                );
            }
        }
        Ok(())
    }

    #[test]
    fn an_empty_list_is_terminated() {
        let mut scorer = list(&[]);
        assert_eq!(scorer.doc(), TERMINATED);
        assert_eq!(scorer.seek(5), TERMINATED);
        assert_eq!(scorer.advance(), TERMINATED);
    }
}
