//! Where indexes live, how they are opened and written, and what a commit records.
//!
//! An [`IndexRoot`] is a directory of generations (`gen-...` folders) and a `CURRENT` file
//! naming the live one. A rebuild writes a new generation beside the live one and
//! [`IndexRoot::promote`]s it with an atomic rename, so readers never see a half-built index.
//! Every commit carries a [`CommitMeta`] payload: the schema version and the outbox
//! [`Checkpoint`] the index reflects, committed atomically with the documents.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{
    DocId, DocSet, Index, IndexReader, ReloadPolicy, Score, SegmentReader, TantivyDocument, Term,
};

use crate::browse::KeyOrders;
use crate::docs::{ProductDoc, StoreDoc};
use crate::error::{SearchError, SearchResult};
use crate::fields::{Fields, PRODUCT, STORE, facet_key};
use crate::synonyms::Synonyms;
use crate::{SCHEMA_VERSION, analysis};

/// A position in the outbox: every change queued by a transaction with a smaller id, and
/// every row of transaction `txid` up to `seq`, is in the index.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The outbox row's transaction id (`xid8`).
    pub txid: u64,
    /// The outbox row's id.
    pub seq: i64,
}

/// What each commit records next to the documents.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitMeta {
    pub schema_version: u32,
    pub checkpoint: Checkpoint,
}

/// A directory of index generations with a `CURRENT` pointer.
#[derive(Clone, Debug)]
pub struct IndexRoot {
    path: PathBuf,
}

const CURRENT: &str = "CURRENT";

impl IndexRoot {
    /// The root at `path` (created when missing).
    pub fn new(path: impl Into<PathBuf>) -> SearchResult<Self> {
        let path = path.into();
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }

    /// The root's directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The name of the live generation, if one was ever promoted.
    pub fn current_name(&self) -> SearchResult<Option<String>> {
        match std::fs::read_to_string(self.path.join(CURRENT)) {
            Ok(name) => Ok(Some(name.trim().to_owned()).filter(|n| !n.is_empty())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Opens the live generation, if any.
    pub fn open_current(&self, synonyms: &Synonyms) -> SearchResult<Option<(String, SearchIndex)>> {
        let Some(name) = self.current_name()? else {
            return Ok(None);
        };
        let index = SearchIndex::open(&self.path.join(&name), synonyms.clone())?;
        Ok(Some((name, index)))
    }

    /// Creates an empty generation beside the live one.
    pub fn create_generation(&self, synonyms: &Synonyms) -> SearchResult<(String, SearchIndex)> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros();
        let name = format!("gen-{stamp}-v{SCHEMA_VERSION}");
        let dir = self.path.join(&name);
        std::fs::create_dir_all(&dir)?;
        let index = SearchIndex::create(&dir, synonyms.clone())?;
        Ok((name, index))
    }

    /// Makes `name` the live generation (atomic rename of `CURRENT`) and removes every
    /// generation but it and the one it replaces.
    pub fn promote(&self, name: &str) -> SearchResult<()> {
        let previous = self.current_name()?;
        let tmp = self.path.join(format!("{CURRENT}.tmp"));
        std::fs::write(&tmp, name)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, self.path.join(CURRENT))?;
        for entry in std::fs::read_dir(&self.path)? {
            let entry = entry?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            let keep = file_name == name || Some(&file_name) == previous.as_ref();
            if file_name.starts_with("gen-")
                && !keep
                && let Err(error) = std::fs::remove_dir_all(entry.path())
            {
                tracing::warn!(%error, generation = file_name, "could not remove old index generation");
            }
        }
        Ok(())
    }
}

/// Stored text (names and descriptions, read for highlights and suggestions) is compressed
/// in blocks of 2 KiB rather than tantivy's 16 KiB: a page reads about 20 documents spread
/// over the whole index, and each read decompresses its whole block.
fn index_settings() -> tantivy::IndexSettings {
    tantivy::IndexSettings {
        docstore_blocksize: 2048,
        ..tantivy::IndexSettings::default()
    }
}

/// Threads a single search spreads its segments over (the machine's cores, at most 4).
fn search_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// An open index: its reader and what queries need. Cheap to clone.
#[derive(Clone)]
pub struct SearchIndex {
    pub(crate) inner: Arc<Inner>,
    /// The vocabulary queries are analysed with; swapped per request by
    /// [`SearchIndex::with_synonyms`], since it changes without the index changing.
    pub(crate) synonyms: Synonyms,
}

pub(crate) struct Inner {
    pub index: Index,
    pub reader: IndexReader,
    pub fields: Fields,
    /// Per-segment key orders of listings without text.
    pub orders: KeyOrders,
    /// Most matches a facet pass of its own counts (see `facets.rs`).
    pub facet_pass_budget: std::sync::atomic::AtomicU64,
    /// Searches running now (see [`SearchIndex::run`]).
    pub in_flight: std::sync::atomic::AtomicUsize,
    /// The searcher generation last seen by [`SearchIndex::searcher`], and its segments.
    pub columns_generation: std::sync::atomic::AtomicU64,
    pub column_segments: Mutex<HashSet<tantivy::index::SegmentId>>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex").finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// Creates an empty index in `dir`.
    pub fn create(dir: &Path, synonyms: Synonyms) -> SearchResult<Self> {
        let fields = Fields::new();
        let index = Index::builder()
            .schema(fields.schema.clone())
            .settings(index_settings())
            .create_in_dir(dir)?;
        Self::from_index(index, fields, synonyms)
    }

    /// An empty index in memory (tests and benchmarks of the query side).
    pub fn in_memory(synonyms: Synonyms) -> SearchResult<Self> {
        let fields = Fields::new();
        let index = Index::builder()
            .schema(fields.schema.clone())
            .settings(index_settings())
            .create_in_ram()?;
        Self::from_index(index, fields, synonyms)
    }

    /// Opens the index in `dir`. It must have been created with this schema version.
    pub fn open(dir: &Path, synonyms: Synonyms) -> SearchResult<Self> {
        let index = Index::open_in_dir(dir)?;
        Self::from_index(index, Fields::new(), synonyms)
    }

    fn from_index(mut index: Index, fields: Fields, synonyms: Synonyms) -> SearchResult<Self> {
        analysis::register(index.tokenizers());
        // Segments are searched in parallel: a query over a large match set uses every core.
        index.set_multithread_executor(search_threads())?;
        // Another process may write this index: pick its commits up by watching meta.json.
        // The in-process indexer also calls `reload` right after each commit.
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        Ok(Self {
            inner: Arc::new(Inner {
                index,
                reader,
                fields,
                orders: KeyOrders::default(),
                facet_pass_budget: crate::facets::PASS_BUDGET.into(),
                in_flight: 0.into(),
                columns_generation: u64::MAX.into(),
                column_segments: Mutex::default(),
            }),
            synonyms,
        })
    }

    /// The same index, analysing queries with `synonyms` (a vocabulary an admin changed).
    pub fn with_synonyms(&self, synonyms: Synonyms) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            synonyms,
        }
    }

    /// The current searcher. When its generation changed since the last call, the columns
    /// kept open for this index's segments that it no longer has are let go.
    pub(crate) fn searcher(&self) -> tantivy::Searcher {
        let searcher = self.inner.reader.searcher();
        let generation = searcher.generation().generation_id();
        let last = &self.inner.columns_generation;
        // Read first: every search passes here, and a write to the shared counter on each
        // one would bounce its cache line between the cores.
        if last.load(std::sync::atomic::Ordering::Relaxed) != generation
            && last.swap(generation, std::sync::atomic::Ordering::Relaxed) != generation
        {
            let live: HashSet<_> = searcher
                .segment_readers()
                .iter()
                .map(tantivy::SegmentReader::segment_id)
                .collect();
            let mut seen = self
                .inner
                .column_segments
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let gone = seen.difference(&live).copied().collect();
            crate::collect::forget_columns(&gone);
            crate::word_cache::forget_segments(&gone);
            *seen = live;
        }
        searcher
    }

    /// Runs `query` through `collector` over the searcher's segments.
    ///
    /// A search that runs alone spreads its segments over the search threads, so a large
    /// match set uses every core. While another search runs, it walks them on the calling
    /// thread: the cores are busy anyway, and handing segments to the pool would only add
    /// two thread switches per segment (measured under the long-tail mix: a fifth of the
    /// server's time went to the hand-over).
    pub(crate) fn run<C: tantivy::collector::Collector>(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn tantivy::query::Query,
        collector: &C,
    ) -> tantivy::Result<C::Fruit> {
        use std::sync::atomic::Ordering;
        use tantivy::query::EnableScoring;

        struct Leave<'a>(&'a std::sync::atomic::AtomicUsize);
        impl Drop for Leave<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::Relaxed);
            }
        }
        let others = self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        let _leave = Leave(&self.inner.in_flight);
        let scoring = if collector.requires_scoring() {
            EnableScoring::enabled_from_searcher(searcher)
        } else {
            EnableScoring::disabled_from_searcher(searcher)
        };
        let single = tantivy::Executor::single_thread();
        let executor = if others == 0 {
            self.inner.index.search_executor()
        } else {
            &single
        };
        searcher.search_with_executor(query, collector, executor, scoring)
    }

    /// Sets how many matches a facet pass of its own counts before it extrapolates
    /// (default [`crate::PASS_BUDGET`]); for tests and tuning.
    pub fn set_facet_pass_budget(&self, budget: u64) {
        self.inner
            .facet_pass_budget
            .store(budget.max(1), std::sync::atomic::Ordering::Relaxed);
    }

    /// The payload of the last commit on disk, `None` for an index never committed.
    pub fn meta(&self) -> SearchResult<Option<CommitMeta>> {
        let metas = self.inner.index.load_metas()?;
        match metas.payload {
            Some(payload) => Ok(Some(serde_json::from_str(&payload)?)),
            None => Ok(None),
        }
    }

    /// Whether the index was built by this binary's schema version.
    pub fn is_current_schema(&self) -> SearchResult<bool> {
        Ok(self
            .meta()?
            .is_some_and(|m| m.schema_version == SCHEMA_VERSION))
    }

    /// Makes the last commit visible to searches now.
    pub fn reload(&self) -> SearchResult<()> {
        Ok(self.inner.reader.reload()?)
    }

    /// Number of live product and store documents (a count over postings: cheap enough
    /// to run between indexing batches, unlike [`SearchIndex::fingerprints`]).
    pub fn document_counts(&self) -> SearchResult<(u64, u64)> {
        let searcher = self.inner.reader.searcher();
        let count = |kind: &str| -> SearchResult<u64> {
            let query = TermQuery::new(
                Term::from_field_text(self.inner.fields.kind, kind),
                IndexRecordOption::Basic,
            );
            Ok(self.run(&searcher, &query, &tantivy::collector::Count)? as u64)
        };
        Ok((count(PRODUCT)?, count(STORE)?))
    }

    /// Live product documents of store `store`: its active products, counted over postings
    /// (microseconds, where PostgreSQL needed a round trip and a scan of the store's rows).
    pub fn store_product_count(&self, store: u64) -> SearchResult<u64> {
        let searcher = self.inner.reader.searcher();
        let fields = &self.inner.fields;
        let query = BooleanQuery::intersection(vec![
            Box::new(TermQuery::new(
                Term::from_field_text(fields.kind, PRODUCT),
                IndexRecordOption::Basic,
            )),
            Box::new(TermQuery::new(
                Term::from_field_u64(fields.store_id, store),
                IndexRecordOption::Basic,
            )),
        ]);
        Ok(self.run(&searcher, &query, &tantivy::collector::Count)? as u64)
    }

    /// Opens the single writer of this index (`memory_bytes` of indexing buffer).
    pub fn writer(&self, memory_bytes: usize) -> SearchResult<IndexWriter> {
        let writer = self.inner.index.writer(memory_bytes.max(15_000_000))?;
        Ok(IndexWriter {
            writer,
            fields: self.inner.fields.clone(),
        })
    }

    /// A writer with one indexing thread: each commit's documents land in one segment, in
    /// the order they were added (tests that depend on doc-id order; with several threads
    /// documents go to whichever thread is free).
    pub fn single_threaded_writer(&self, memory_bytes: usize) -> SearchResult<IndexWriter> {
        let writer = self
            .inner
            .index
            .writer_with_num_threads(1, memory_bytes.max(15_000_000))?;
        Ok(IndexWriter {
            writer,
            fields: self.inner.fields.clone(),
        })
    }

    /// Every document's id and fingerprint, for comparing the index with its source, and
    /// the ids held by more than one live document.
    pub fn fingerprints(&self) -> SearchResult<Fingerprints> {
        let searcher = self.inner.reader.searcher();
        let fields = &self.inner.fields;
        let mut out = Fingerprints::default();
        for (kind, map) in [(PRODUCT, &mut out.products), (STORE, &mut out.stores)] {
            let query = TermQuery::new(
                Term::from_field_text(fields.kind, kind),
                IndexRecordOption::Basic,
            );
            for (id, fingerprint) in self.run(&searcher, &query, &FingerprintCollector)? {
                map.insert(id, fingerprint);
            }
        }
        for (key, copies) in live_docs_per_key(&searcher, fields.key)? {
            if copies < 2 {
                continue;
            }
            let Some((kind, id)) = std::str::from_utf8(&key)
                .ok()
                .and_then(|k| k.split_once(':'))
                .and_then(|(kind, id)| Some((kind, id.parse::<u64>().ok()?)))
            else {
                continue;
            };
            match kind {
                PRODUCT => out.product_copies.insert(id, copies),
                STORE => out.store_copies.insert(id, copies),
                _ => None,
            };
        }
        Ok(out)
    }

    /// Live documents held under product `id`'s key: 1 when it is indexed, 0 when not, and
    /// never more (an upsert deletes the key's document in the commit that adds the new one).
    pub fn product_copies(&self, id: u64) -> SearchResult<u64> {
        self.copies(&key(PRODUCT, id))
    }

    /// Live documents held under store `id`'s key (0 or 1).
    pub fn store_copies(&self, id: u64) -> SearchResult<u64> {
        self.copies(&key(STORE, id))
    }

    fn copies(&self, key: &str) -> SearchResult<u64> {
        let searcher = self.inner.reader.searcher();
        let query = TermQuery::new(
            Term::from_field_text(self.inner.fields.key, key),
            IndexRecordOption::Basic,
        );
        Ok(self.run(&searcher, &query, &tantivy::collector::Count)? as u64)
    }
}

/// Live (not deleted) documents per term of `field`, over every segment.
fn live_docs_per_key(
    searcher: &tantivy::Searcher,
    field: tantivy::schema::Field,
) -> SearchResult<HashMap<Vec<u8>, u64>> {
    let mut counts: HashMap<Vec<u8>, u64> = HashMap::new();
    for segment in searcher.segment_readers() {
        let alive = segment.alive_bitset();
        let inverted = segment.inverted_index(field)?;
        let mut terms = inverted.terms().stream()?;
        while terms.advance() {
            let mut postings =
                inverted.read_postings_from_terminfo(terms.value(), IndexRecordOption::Basic)?;
            let mut live = 0;
            let mut doc = postings.doc();
            while doc != tantivy::TERMINATED {
                if alive.is_none_or(|a| a.is_alive(doc)) {
                    live += 1;
                }
                doc = postings.advance();
            }
            if live > 0 {
                *counts.entry(terms.key().to_vec()).or_default() += live;
            }
        }
    }
    Ok(counts)
}

/// Document ids and fingerprints found in an index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fingerprints {
    pub products: HashMap<u64, u64>,
    pub stores: HashMap<u64, u64>,
    /// Product ids held by more than one live document, with how many (empty unless the
    /// index is corrupt: `products` then keeps one of the copies' fingerprints).
    pub product_copies: HashMap<u64, u64>,
    /// Store ids held by more than one live document, with how many.
    pub store_copies: HashMap<u64, u64>,
}

struct FingerprintCollector;

struct FingerprintSegment {
    id: Column<u64>,
    fingerprint: Column<u64>,
    out: Vec<(u64, u64)>,
}

impl Collector for FingerprintCollector {
    type Fruit = Vec<(u64, u64)>;
    type Child = FingerprintSegment;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<Self::Child> {
        Ok(FingerprintSegment {
            id: segment.fast_fields().u64("id")?,
            fingerprint: segment.fast_fields().u64("fingerprint")?,
            out: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(u64, u64)>>) -> tantivy::Result<Self::Fruit> {
        Ok(fruits.into_iter().flatten().collect())
    }
}

impl SegmentCollector for FingerprintSegment {
    type Fruit = Vec<(u64, u64)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let (Some(id), Some(fp)) = (self.id.first(doc), self.fingerprint.first(doc)) {
            self.out.push((id, fp));
        }
    }

    fn harvest(self) -> Self::Fruit {
        self.out
    }
}

/// The single writer of an index. Changes become visible at [`IndexWriter::commit`].
pub struct IndexWriter {
    writer: tantivy::IndexWriter,
    fields: Fields,
}

fn key(kind: &str, id: u64) -> String {
    format!("{kind}:{id}")
}

impl IndexWriter {
    /// Adds or replaces a product document (idempotent).
    pub fn upsert_product(&mut self, doc: &ProductDoc) -> SearchResult<()> {
        self.delete_product(doc.id);
        let d = self.product_document(doc);
        self.writer.add_document(d)?;
        Ok(())
    }

    fn product_document(&self, doc: &ProductDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.kind, PRODUCT);
        d.add_text(f.key, key(PRODUCT, doc.id));
        d.add_u64(f.id, doc.id);
        d.add_u64(f.fingerprint, doc.fingerprint());
        d.add_text(f.name, &doc.name);
        d.add_text(f.name_fold, &doc.name);
        let head = crate::fields::head_of(&doc.name);
        d.add_text(f.head, &head);
        d.add_text(f.head_fold, &head);
        for name in &doc.category_names {
            d.add_text(f.category, name);
            d.add_text(f.category_fold, name);
        }
        for value in doc.materials.iter().chain(&doc.colors).chain(&doc.sizes) {
            d.add_text(f.attrs, value);
            d.add_text(f.attrs_fold, value);
        }
        // Widths and lengths as one token each, however the seller wrote them.
        let mut measures = crate::measures::tokens(&doc.name);
        measures.extend(crate::measures::tokens(&doc.description));
        measures.sort();
        measures.dedup();
        for token in measures {
            d.add_text(f.attrs, &token);
            d.add_text(f.attrs_fold, &token);
        }
        d.add_text(f.description, &doc.description);
        d.add_u64(f.store_id, doc.store_id);
        if !doc.country.is_empty() {
            d.add_text(f.country, doc.country.to_ascii_uppercase());
        }
        d.add_u64(f.market, crate::market::market_code(&doc.country));
        for id in &doc.category_ids {
            d.add_u64(f.category_ids, *id);
        }
        for (field, values) in [
            (f.materials, &doc.materials),
            (f.colors, &doc.colors),
            (f.sizes, &doc.sizes),
        ] {
            let mut keys: Vec<String> = values.iter().map(|v| facet_key(v)).collect();
            keys.sort();
            keys.dedup();
            for k in keys.into_iter().filter(|k| !k.is_empty()) {
                d.add_text(field, k);
            }
        }
        for term in crate::variants::stocked_terms(doc) {
            d.add_text(f.stocked, term);
        }
        d.add_i64(f.price, doc.price_cents);
        d.add_u64(f.in_stock, u64::from(doc.in_stock));
        d.add_f64(f.rating, doc.rating);
        d.add_u64(f.review_count, doc.review_count);
        d.add_u64(f.sales_count, doc.sales_count);
        d.add_f64(f.rank, crate::collect::rank(doc.sales_count, doc.rating));
        d.add_i64(f.created_at, doc.created_at_micros);
        d
    }

    /// Adds or replaces a store document (idempotent).
    pub fn upsert_store(&mut self, doc: &StoreDoc) -> SearchResult<()> {
        self.delete_store(doc.id);
        let f = &self.fields;
        let mut d = TantivyDocument::new();
        d.add_text(f.kind, STORE);
        d.add_text(f.key, key(STORE, doc.id));
        d.add_u64(f.id, doc.id);
        d.add_u64(f.fingerprint, doc.fingerprint());
        d.add_text(f.name, &doc.name);
        d.add_text(f.name_fold, &doc.name);
        d.add_text(f.description, &doc.description);
        let place = match &doc.region {
            Some(region) => format!("{}, {region}", doc.city),
            None => doc.city.clone(),
        };
        d.add_text(f.place, &place);
        d.add_text(f.place_fold, &place);
        if let Some((lat, lon)) = doc.location {
            d.add_f64(f.lat, lat);
            d.add_f64(f.lon, lon);
        }
        d.add_u64(f.market, crate::market::market_code(&doc.country));
        d.add_f64(f.rating, doc.rating);
        d.add_f64(f.rank, crate::collect::rank(0, doc.rating));
        self.writer.add_document(d)?;
        Ok(())
    }

    /// Removes a product document (idempotent: a missing one is fine).
    pub fn delete_product(&mut self, id: u64) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.key, &key(PRODUCT, id)));
    }

    /// Removes a store document (idempotent).
    pub fn delete_store(&mut self, id: u64) {
        self.writer
            .delete_term(Term::from_field_text(self.fields.key, &key(STORE, id)));
    }

    /// Removes every document (a rebuild in place, used by tests).
    pub fn delete_all(&mut self) -> SearchResult<()> {
        self.writer.delete_all_documents()?;
        Ok(())
    }

    /// Commits every change since the last commit together with `meta`, atomically.
    pub fn commit(&mut self, meta: &CommitMeta) -> SearchResult<()> {
        let payload = serde_json::to_string(meta)?;
        let mut prepared = self.writer.prepare_commit()?;
        prepared.set_payload(&payload);
        prepared.commit()?;
        Ok(())
    }

    /// Merges the committed segments into one per search thread, of about equal size (after
    /// a full build): fewer segments means fewer term dictionaries to walk per query, and one
    /// per thread lets a single large query use every core. The last commit's payload is
    /// kept.
    pub fn merge_all(&mut self) -> SearchResult<()> {
        let mut metas = self.writer.index().searchable_segment_metas()?;
        let parts = search_threads();
        if metas.len() <= parts {
            return Ok(());
        }
        // Largest first, each into the lightest group so far.
        metas.sort_by_key(|m| std::cmp::Reverse(m.num_docs()));
        let mut groups: Vec<(u64, Vec<tantivy::index::SegmentId>)> = vec![(0, Vec::new()); parts];
        for meta in metas {
            if let Some(lightest) = groups.iter_mut().min_by_key(|(docs, _)| *docs) {
                lightest.0 += u64::from(meta.num_docs());
                lightest.1.push(meta.id());
            }
        }
        for (_, ids) in groups.into_iter().filter(|(_, ids)| ids.len() > 1) {
            self.writer.merge(&ids).wait()?;
        }
        Ok(())
    }

    /// Drops every change since the last commit.
    pub fn rollback(&mut self) -> SearchResult<()> {
        self.writer.rollback()?;
        Ok(())
    }

    /// Waits for background merges to finish (before a process exits or a swap).
    pub fn finish(self) -> SearchResult<()> {
        self.writer.wait_merging_threads()?;
        Ok(())
    }
}

impl From<tantivy::query::QueryParserError> for SearchError {
    fn from(e: tantivy::query::QueryParserError) -> Self {
        SearchError::Tantivy(tantivy::TantivyError::InvalidArgument(e.to_string()))
    }
}

/// A product document for tests: a "Camisa" in stock with nothing else to it.
#[cfg(test)]
pub(crate) fn sample_doc() -> ProductDoc {
    tests::product(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) fn product(id: u64) -> ProductDoc {
        ProductDoc {
            id,
            store_id: 1,
            country: String::new(),
            category_ids: vec![1],
            category_names: vec!["Camisas".to_owned()],
            name: format!("Camisa {id}"),
            description: String::new(),
            materials: Vec::new(),
            colors: Vec::new(),
            sizes: Vec::new(),
            price_cents: 1_000,
            in_stock: true,
            rating: 0.0,
            review_count: 0,
            sales_count: 0,
            created_at_micros: 0,
            variants: Vec::new(),
        }
    }

    const META: CommitMeta = CommitMeta {
        schema_version: SCHEMA_VERSION,
        checkpoint: Checkpoint { txid: 0, seq: 0 },
    };

    #[test]
    fn columns_of_segments_merged_away_are_let_go() {
        let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
        let mut writer = index.writer(15_000_000).expect("writer");
        // One segment more than `merge_all` leaves, so it merges some away.
        let segments = search_threads() + 1;
        for id in 1..=segments as u64 {
            writer.upsert_product(&product(id)).expect("upsert");
            writer.commit(&META).expect("commit");
        }
        index.reload().expect("reload");
        let searcher = index.searcher();
        let before: Vec<_> = searcher
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        assert_eq!(before.len(), segments);
        for segment in searcher.segment_readers() {
            crate::collect::NumberColumn::open(segment, "price").expect("price column");
        }
        assert!(
            before
                .iter()
                .all(|id| crate::collect::column_is_open(*id, "price"))
        );
        writer.merge_all().expect("merge");
        writer.commit(&META).expect("commit");
        index.reload().expect("reload");
        drop(searcher);
        let merged = index.searcher();
        let live: std::collections::HashSet<_> = merged
            .segment_readers()
            .iter()
            .map(|s| s.segment_id())
            .collect();
        let gone: Vec<_> = before.iter().filter(|id| !live.contains(id)).collect();
        assert!(!gone.is_empty(), "the merge replaced segments");
        assert!(
            gone.iter()
                .all(|id| !crate::collect::column_is_open(**id, "price"))
        );
    }

    #[test]
    fn upserts_keep_one_live_document_per_key_across_commits() {
        let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
        let mut writer = index.writer(15_000_000).expect("writer");
        for round in 0..3 {
            for id in 1..=20 {
                let mut doc = product(id);
                doc.sales_count = round;
                writer.upsert_product(&doc).expect("upsert");
                // Twice in one commit, as a batch naming the same id twice would.
                writer.upsert_product(&doc).expect("upsert");
            }
            writer.commit(&META).expect("commit");
        }
        writer.delete_product(20);
        writer.commit(&META).expect("commit");
        index.reload().expect("reload");
        for id in 1..20 {
            assert_eq!(index.product_copies(id).expect("count"), 1, "product {id}");
        }
        assert_eq!(index.product_copies(20).expect("count"), 0);
        let fingerprints = index.fingerprints().expect("fingerprints");
        assert!(fingerprints.product_copies.is_empty());
        assert_eq!(fingerprints.products.len(), 19);
    }

    #[test]
    fn a_second_live_copy_of_a_document_is_reported() {
        let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
        let mut writer = index.writer(15_000_000).expect("writer");
        writer.upsert_product(&product(7)).expect("upsert");
        writer.upsert_product(&product(8)).expect("upsert");
        writer.commit(&META).expect("commit");
        // What a writer that skipped the delete would leave behind.
        let copy = writer.product_document(&product(7));
        writer.writer.add_document(copy).expect("add");
        writer.commit(&META).expect("commit");
        index.reload().expect("reload");

        assert_eq!(index.product_copies(7).expect("count"), 2);
        assert_eq!(index.product_copies(8).expect("count"), 1);
        let fingerprints = index.fingerprints().expect("fingerprints");
        assert_eq!(fingerprints.product_copies, HashMap::from([(7, 2)]));
        assert!(fingerprints.store_copies.is_empty());
    }
}
