//! The page collector: top hits in a sort order after a keyset cursor, plus the total.
//!
//! A deep page costs what the first page costs: every match is visited once either way
//! (that is also how the total is counted), and only `limit` candidates are kept, so there
//! is no offset to skip over. Once `limit` are kept, a match whose value sorts past the
//! worst of them is dropped without reading its id or touching the buffer.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::market::Conversion;
use crate::query::{SortKey, SortOrder};

/// What a hit is ordered by.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeySource {
    /// The text score with a small popularity and rating tweak.
    Relevance,
    /// A numeric fast field.
    Field(&'static str),
    /// The price converted to the reference currency ([`Conversion`]).
    ConvertedPrice(Conversion),
    /// Distance in km from a point (stores), nearest first; beyond `radius` is dropped.
    Distance {
        lat: f64,
        lon: f64,
        radius_km: Option<f64>,
    },
}

/// A collected hit.
#[derive(Clone, Copy, Debug)]
pub struct Collected {
    pub key: SortKey,
    pub address: DocAddress,
}

/// Collects the best `limit` hits strictly after `after`, and counts every match.
pub struct PageCollector {
    pub source: KeySource,
    pub descending: bool,
    pub after: Option<SortKey>,
    pub limit: usize,
}

impl PageCollector {
    /// The collector of a product page in `sort`.
    /// With a `conversion`, price sorts compare converted prices.
    pub fn for_sort(
        sort: SortOrder,
        conversion: Option<Conversion>,
        has_text: bool,
        after: Option<SortKey>,
        limit: usize,
    ) -> Self {
        let source = match sort {
            SortOrder::Relevance if has_text => KeySource::Relevance,
            SortOrder::Relevance | SortOrder::Popular => KeySource::Field("sales_count"),
            SortOrder::PriceAsc | SortOrder::PriceDesc => match conversion {
                Some(c) => KeySource::ConvertedPrice(c),
                None => KeySource::Field("price"),
            },
            SortOrder::Newest => KeySource::Field("created_at"),
            SortOrder::TopRated => KeySource::Field("rating"),
        };
        Self {
            source,
            descending: sort.descending(),
            after,
            limit,
        }
    }
}

/// Orders keys best first.
pub fn compare(a: &SortKey, b: &SortKey, descending: bool) -> Ordering {
    let natural = a.value.total_cmp(&b.value).then(a.id.cmp(&b.id));
    if descending {
        natural.reverse()
    } else {
        natural
    }
}

/// Reads any numeric fast field as f64.
#[derive(Clone)]
pub(crate) enum NumberColumn {
    U64(Column<u64>),
    I64(Column<i64>),
    F64(Column<f64>),
}

impl NumberColumn {
    /// The column `name` of `segment`, opened once per segment (see [`COLUMNS`]).
    pub(crate) fn open(segment: &SegmentReader, name: &'static str) -> tantivy::Result<Self> {
        let key = (segment.segment_id(), name);
        let lock = || COLUMNS.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(column) = lock().get(&key) {
            return Ok(column.clone());
        }
        let ff = segment.fast_fields();
        let column = match name {
            "price" | "created_at" => NumberColumn::I64(ff.i64(name)?),
            "rating" | "lat" | "lon" | "rank" => NumberColumn::F64(ff.f64(name)?),
            _ => NumberColumn::U64(ff.u64(name)?),
        };
        let mut columns = lock();
        if columns.len() >= MAX_OPEN_COLUMNS {
            // Segments come and go as the index is written and merged; start over rather
            // than track which are gone.
            columns.clear();
        }
        columns.insert(key, column.clone());
        Ok(column)
    }

    pub(crate) fn u64(segment: &SegmentReader, name: &'static str) -> tantivy::Result<Column<u64>> {
        match Self::open(segment, name)? {
            NumberColumn::U64(column) => Ok(column),
            _ => Err(tantivy::TantivyError::SchemaError(format!(
                "{name} is not a u64 column"
            ))),
        }
    }

    pub(crate) fn i64(segment: &SegmentReader, name: &'static str) -> tantivy::Result<Column<i64>> {
        match Self::open(segment, name)? {
            NumberColumn::I64(column) => Ok(column),
            _ => Err(tantivy::TantivyError::SchemaError(format!(
                "{name} is not an i64 column"
            ))),
        }
    }

    pub(crate) fn f64(segment: &SegmentReader, name: &'static str) -> tantivy::Result<Column<f64>> {
        match Self::open(segment, name)? {
            NumberColumn::F64(column) => Ok(column),
            _ => Err(tantivy::TantivyError::SchemaError(format!(
                "{name} is not an f64 column"
            ))),
        }
    }

    pub(crate) fn get(&self, doc: DocId) -> Option<f64> {
        match self {
            NumberColumn::U64(c) => c.first(doc).map(|v| v as f64),
            NumberColumn::I64(c) => c.first(doc).map(|v| v as f64),
            NumberColumn::F64(c) => c.first(doc),
        }
    }
}

/// Numeric columns already opened, by segment and field. A segment never changes (only its
/// deletes do) and its id is unique, so an opened column stays right for as long as the
/// segment lives. Opening is not free: a blockwise-linear column (prices) reads its block
/// table, one entry per 512 documents, and at 1,000,000 products that was a tenth of the
/// CPU of a price-sorted listing and made its p50 grow with the catalogue.
static COLUMNS: LazyLock<Mutex<HashMap<(SegmentId, &'static str), NumberColumn>>> =
    LazyLock::new(Mutex::default);

/// Columns kept open at most (a dozen fields of a few dozen segments).
const MAX_OPEN_COLUMNS: usize = 1024;

/// Whether the column `name` of `segment` is kept open (tests).
#[cfg(test)]
pub(crate) fn column_is_open(segment: SegmentId, name: &'static str) -> bool {
    COLUMNS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .contains_key(&(segment, name))
}

/// Forgets the columns of `gone` segments (merged away), so they do not keep the segments'
/// files mapped.
pub(crate) fn forget_columns(gone: &std::collections::HashSet<SegmentId>) {
    COLUMNS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .retain(|(segment, _), _| !gone.contains(segment));
}

/// Great-circle distance in km.
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    6371.0 * 2.0 * a.sqrt().asin()
}

/// How much popularity and rating lift a text score: a product's relevance key is its
/// rounded text score times this. Computed when the document is indexed (field `rank`).
pub fn rank(sales_count: u64, rating: f64) -> f64 {
    (1.0 + 0.05 * (sales_count as f64).ln_1p()) * (1.0 + 0.03 * rating)
}

/// The relevance key of a text score: the matched words first, then the rest of the score
/// lifted by popularity and rating ([`rank`]), which can never make up for a word.
pub fn relevance_key(score: Score, rank: Option<f64>) -> f64 {
    let score = f64::from(score.max(0.0));
    let word = f64::from(crate::matching::WORD_SCORE);
    // Scores are never negative, so a cast truncates as `floor` would and adding a half
    // rounds as `round` would, without a libm call per match (`round` alone was a tenth of
    // a relaxed search, which keys every partial match).
    let words = units_of(score) as f64;
    // Clause scores are multiples of 0.05, but their f32 sum depends on the order tantivy
    // adds them in, which changes when segments merge. Rounding makes the key exact, so a
    // cursor taken before a merge still finds its place after.
    let rest = ((score - words * word) * 100.0 + 0.5) as u64 as f64 / 100.0;
    words * WORDS_KEY + rest * rank.unwrap_or(1.0)
}

/// The matched-word units of a (non-negative) text score.
fn units_of(score: f64) -> u64 {
    (score / f64::from(crate::matching::WORD_SCORE)) as u64
}

/// What a matched word is worth in a relevance key: more than any rest times any rank.
const WORDS_KEY: f64 = 10_000.0;

enum SegmentKey {
    Relevance(Column<f64>),
    Field(NumberColumn),
    Converted {
        price: Column<i64>,
        market: Column<u64>,
        conversion: Conversion,
    },
    Distance {
        lat: Column<f64>,
        lon: Column<f64>,
        from: (f64, f64),
        radius_km: Option<f64>,
    },
}

/// Per-segment state of [`PageCollector`].
pub struct PageSegment {
    segment: SegmentOrdinal,
    key: SegmentKey,
    id: Column<u64>,
    descending: bool,
    after: Option<SortKey>,
    limit: usize,
    kept: Vec<Collected>,
    /// The worst kept key once `limit` are kept: nothing at or past it can enter the page.
    cut: Option<SortKey>,
    /// Relevance, best first: the cut's matched-word units, below which nothing enters.
    cut_units: Option<u64>,
    total: u64,
}

impl PageSegment {
    fn key_of(&self, doc: DocId, score: Score) -> Option<f64> {
        match &self.key {
            SegmentKey::Relevance(rank) => Some(relevance_key(score, rank.first(doc))),
            SegmentKey::Field(column) => column.get(doc),
            SegmentKey::Converted {
                price,
                market,
                conversion,
            } => conversion.convert(market.first(doc)?, price.first(doc)?),
            SegmentKey::Distance {
                lat,
                lon,
                from,
                radius_km,
            } => {
                let d = haversine_km(from.0, from.1, lat.first(doc)?, lon.first(doc)?);
                radius_km.is_none_or(|r| d <= r).then_some(d)
            }
        }
    }

    fn shrink(&mut self) {
        let descending = self.descending;
        let limit = self.limit;
        if limit > 0 && self.kept.len() > limit {
            let (_, worst, _) = self
                .kept
                .select_nth_unstable_by(limit - 1, |a, b| compare(&a.key, &b.key, descending));
            self.cut = Some(worst.key);
            if matches!(self.key, SegmentKey::Relevance(_)) && descending {
                self.cut_units = Some((worst.key.value / WORDS_KEY) as u64);
            }
            self.kept.truncate(limit);
        }
    }

    /// Whether `value` sorts after the cut whatever its id.
    fn past_cut(&self, value: f64) -> bool {
        self.cut
            .is_some_and(|cut| match value.total_cmp(&cut.value) {
                Ordering::Less => self.descending,
                Ordering::Greater => !self.descending,
                Ordering::Equal => false,
            })
    }
}

impl Collector for PageCollector {
    type Fruit = (Vec<Collected>, u64);
    type Child = PageSegment;

    fn for_segment(
        &self,
        segment_ord: u32,
        segment: &SegmentReader,
    ) -> tantivy::Result<PageSegment> {
        let key = match self.source {
            KeySource::Relevance => SegmentKey::Relevance(NumberColumn::f64(segment, "rank")?),
            KeySource::Field(name) => SegmentKey::Field(NumberColumn::open(segment, name)?),
            KeySource::ConvertedPrice(conversion) => SegmentKey::Converted {
                price: NumberColumn::i64(segment, "price")?,
                market: NumberColumn::u64(segment, "market")?,
                conversion,
            },
            KeySource::Distance {
                lat,
                lon,
                radius_km,
            } => SegmentKey::Distance {
                lat: NumberColumn::f64(segment, "lat")?,
                lon: NumberColumn::f64(segment, "lon")?,
                from: (lat, lon),
                radius_km,
            },
        };
        Ok(PageSegment {
            segment: segment_ord,
            key,
            id: NumberColumn::u64(segment, "id")?,
            descending: self.descending,
            after: self.after,
            limit: self.limit,
            kept: Vec::with_capacity(self.limit * 2 + 1),
            cut: None,
            cut_units: None,
            total: 0,
        })
    }

    fn requires_scoring(&self) -> bool {
        self.source == KeySource::Relevance
    }

    fn merge_fruits(&self, fruits: Vec<(Vec<Collected>, u64)>) -> tantivy::Result<Self::Fruit> {
        let total = fruits.iter().map(|(_, n)| n).sum();
        let mut all: Vec<Collected> = fruits.into_iter().flat_map(|(hits, _)| hits).collect();
        all.sort_by(|a, b| compare(&a.key, &b.key, self.descending));
        // An id is one product: should the index ever hold a stale second copy of a
        // document, the page still shows it once.
        let mut seen = std::collections::HashSet::new();
        all.retain(|c| seen.insert(c.key.id));
        all.truncate(self.limit);
        Ok((all, total))
    }
}

impl SegmentCollector for PageSegment {
    type Fruit = (Vec<Collected>, u64);

    fn collect(&mut self, doc: DocId, score: Score) {
        // A match with fewer units than the cut cannot enter the page whatever its rank
        // (the rest times the rank is worth less than a unit): counted, not keyed.
        if self
            .cut_units
            .is_some_and(|cut| units_of(f64::from(score.max(0.0))) < cut)
        {
            self.total += 1;
            return;
        }
        let Some(value) = self.key_of(doc, score) else {
            return;
        };
        // Every document has an id, so it counts before its id is read: most matches fall
        // past the cut and their id is never needed.
        self.total += 1;
        if self.past_cut(value) {
            return;
        }
        let Some(id) = self.id.first(doc) else {
            return;
        };
        let key = SortKey { value, id };
        if self
            .cut
            .is_some_and(|cut| compare(&key, &cut, self.descending) != Ordering::Less)
        {
            return;
        }
        if let Some(after) = &self.after
            && compare(&key, after, self.descending) != Ordering::Greater
        {
            return;
        }
        self.kept.push(Collected {
            key,
            address: DocAddress::new(self.segment, doc),
        });
        if self.kept.len() > self.limit * 2 {
            self.shrink();
        }
    }

    fn harvest(mut self) -> Self::Fruit {
        self.shrink();
        (self.kept, self.total)
    }
}
