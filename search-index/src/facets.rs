//! Facet counts over a whole match set, and the price ladder they are bucketed on.
//!
//! Facets are disjunctive: the caller counts each facet over the matches of every filter but
//! that facet's own, so "other colours" stay visible while one colour is selected.
//!
//! Counting is bounded. Facets without a filter of their own are counted in the search's own
//! pass, exactly. A facet with its own filter needs a pass without that filter, which can
//! match far more than the search (a category listing's category facet counts the whole
//! catalogue): such a pass counts at most [`PASS_BUDGET`] matches, in doc-id order, and
//! extrapolates the rest of each segment from the share of its doc ids it walked. Its counts
//! are then marked approximate ([`crate::query::ProductFacets::approximate`]).

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::Weight;
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

use crate::collect::NumberColumn;
use crate::market::Conversion;
use crate::query::{FacetCount, PriceBucket, ProductFacets};

/// Most values returned per facet.
const MAX_VALUES: usize = 30;
/// Most price buckets returned (adjacent sparse ones are merged).
const MAX_PRICE_BUCKETS: usize = 6;

/// The price ladder in cents: 1-2-5 steps from 10.00 to 100,000,000.00. Bucket `i` holds
/// prices from `ladder[i-1]` (inclusive) to `ladder[i]` (exclusive); the first has no lower
/// bound and the last no upper bound.
pub fn price_ladder() -> Vec<i64> {
    let mut out = Vec::new();
    let mut scale: i64 = 1_000;
    while scale <= 10_000_000_000 {
        for step in [1, 2, 5] {
            out.push(step * scale);
        }
        scale *= 10;
    }
    out.truncate(out.len() - 2);
    out
}

/// The ladder bucket of a price.
pub fn ladder_bucket(ladder: &[i64], cents: i64) -> usize {
    ladder.partition_point(|b| *b <= cents)
}

/// Turns counts per ladder bucket into at most six non-empty ranges, merging the adjacent
/// pair with the fewest matches until they fit.
pub fn summarize_price_buckets(ladder: &[i64], counts: &[u64]) -> Vec<PriceBucket> {
    let mut buckets: Vec<PriceBucket> = counts
        .iter()
        .enumerate()
        .filter(|(_, n)| **n > 0)
        .map(|(i, n)| PriceBucket {
            min_cents: i.checked_sub(1).map(|j| ladder[j]),
            max_cents: ladder.get(i).copied(),
            count: *n,
        })
        .collect();
    while buckets.len() > MAX_PRICE_BUCKETS {
        let i = (0..buckets.len() - 1)
            .min_by_key(|i| buckets[*i].count + buckets[*i + 1].count)
            .unwrap_or(0);
        let next = buckets.remove(i + 1);
        buckets[i].max_cents = next.max_cents;
        buckets[i].count += next.count;
    }
    buckets
}

/// Which facets to count in one pass.
#[derive(Clone, Copy, Debug, Default)]
pub struct FacetSet {
    pub categories: bool,
    pub stores: bool,
    pub materials: bool,
    pub colors: bool,
    pub sizes: bool,
    pub prices: bool,
    /// Bucket converted prices ([`crate::ProductQuery::conversion`]).
    pub conversion: Option<Conversion>,
}

/// Most matches a facet pass of its own counts before it extrapolates (see the module).
/// Measured at 100,000 products: a pass over the whole catalogue cost about 1 ms.
pub const PASS_BUDGET: u64 = 20_000;

/// Counts the facets of a [`FacetSet`].
pub struct FacetCollector {
    pub set: FacetSet,
    /// `Some((budget, docs))`: count at most about `budget` matches over an index of `docs`
    /// documents (each segment its share), extrapolating the rest; `None`: count every match.
    pub bound: Option<(u64, u64)>,
}

impl FacetCollector {
    /// Counts every match: for the search's own pass, which visits them all anyway.
    pub fn exact(set: FacetSet) -> Self {
        Self { set, bound: None }
    }

    /// Counts at most about `budget` matches of an index of `docs` documents.
    pub fn bounded(set: FacetSet, budget: u64, docs: u64) -> Self {
        Self {
            set,
            bound: Some((budget, docs.max(1))),
        }
    }
}

/// Raw counts of one pass, merged across segments.
#[derive(Default)]
pub struct FacetTally {
    categories: HashMap<u64, u64>,
    stores: HashMap<u64, u64>,
    materials: HashMap<String, u64>,
    colors: HashMap<String, u64>,
    sizes: HashMap<String, u64>,
    prices: Vec<u64>,
    /// Extrapolated from part of the matches.
    approximate: bool,
}

/// Counts per small integer id: a vector indexed by id (ids are dense row ids), with a map
/// for the rare id too large to index.
#[derive(Default)]
struct IdCounts {
    dense: Vec<u64>,
    sparse: HashMap<u64, u64>,
}

/// Largest id counted in the dense vector.
const DENSE_IDS: u64 = 1 << 20;

impl IdCounts {
    fn add(&mut self, id: u64) {
        if id < DENSE_IDS {
            let i = id as usize;
            if i >= self.dense.len() {
                self.dense.resize(i + 1, 0);
            }
            self.dense[i] += 1;
        } else {
            *self.sparse.entry(id).or_default() += 1;
        }
    }

    fn into_map(self, into: &mut HashMap<u64, u64>) {
        for (id, n) in self.dense.into_iter().enumerate().filter(|(_, n)| *n > 0) {
            *into.entry(id as u64).or_default() += n;
        }
        for (id, n) in self.sparse {
            *into.entry(id).or_default() += n;
        }
    }
}

/// Per-segment state of [`FacetCollector`].
pub struct FacetSegment {
    category_counts: IdCounts,
    store_counts: IdCounts,
    categories: Option<Column<u64>>,
    stores: Option<Column<u64>>,
    words: [Option<(StrColumn, Vec<u64>)>; 3],
    prices: Option<(Column<i64>, Vec<u64>)>,
    /// With converted prices: the market column and the factors.
    markets: Option<(Column<u64>, Conversion)>,
    ladder: Vec<i64>,
    tally: FacetTally,
}

impl Collector for FacetCollector {
    type Fruit = FacetTally;
    type Child = FacetSegment;

    fn for_segment(&self, _: u32, segment: &SegmentReader) -> tantivy::Result<FacetSegment> {
        let ff = segment.fast_fields();
        let ladder = price_ladder();
        let words = |on: bool, name: &str| -> tantivy::Result<Option<(StrColumn, Vec<u64>)>> {
            if !on {
                return Ok(None);
            }
            Ok(ff.str(name)?.map(|c| {
                let n = c.num_terms();
                (c, vec![0; n])
            }))
        };
        Ok(FacetSegment {
            categories: self
                .set
                .categories
                .then(|| NumberColumn::u64(segment, "category_ids"))
                .transpose()?,
            stores: self
                .set
                .stores
                .then(|| NumberColumn::u64(segment, "store_id"))
                .transpose()?,
            words: [
                words(self.set.materials, "materials")?,
                words(self.set.colors, "colors")?,
                words(self.set.sizes, "sizes")?,
            ],
            prices: self
                .set
                .prices
                .then(|| NumberColumn::i64(segment, "price"))
                .transpose()?
                .map(|c| (c, vec![0; ladder.len() + 1])),
            markets: match self.set.conversion {
                Some(conversion) if self.set.prices => {
                    Some((NumberColumn::u64(segment, "market")?, conversion))
                }
                _ => None,
            },
            ladder,
            category_counts: IdCounts::default(),
            store_counts: IdCounts::default(),
            tally: FacetTally::default(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment_ord: u32,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetTally> {
        let mut child = self.for_segment(segment_ord, reader)?;
        let max_doc = reader.max_doc();
        // This segment's share of the budget.
        let limit = match self.bound {
            Some((budget, docs)) => (budget.saturating_mul(u64::from(max_doc)) / docs).max(1),
            None => u64::MAX,
        };
        let alive = reader.alive_bitset();
        let mut scorer = weight.scorer(reader, 1.0)?;
        let mut counted = 0u64;
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if alive.is_none_or(|a| a.is_alive(doc)) {
                if counted == limit {
                    break;
                }
                child.collect(doc, 0.0);
                counted += 1;
            }
            doc = scorer.advance();
        }
        let mut tally = child.harvest();
        if doc != TERMINATED {
            // Every match below `doc` was counted: assume the rest of the segment's doc ids
            // match alike.
            tally.scale(f64::from(max_doc) / f64::from(doc.max(1)));
        }
        Ok(tally)
    }

    fn merge_fruits(&self, fruits: Vec<FacetTally>) -> tantivy::Result<FacetTally> {
        let mut out = FacetTally {
            prices: vec![0; price_ladder().len() + 1],
            ..FacetTally::default()
        };
        for t in fruits {
            out.approximate |= t.approximate;
            for (k, v) in t.categories {
                *out.categories.entry(k).or_default() += v;
            }
            for (k, v) in t.stores {
                *out.stores.entry(k).or_default() += v;
            }
            for (mine, theirs) in [
                (&mut out.materials, t.materials),
                (&mut out.colors, t.colors),
                (&mut out.sizes, t.sizes),
            ] {
                for (k, v) in theirs {
                    *mine.entry(k).or_default() += v;
                }
            }
            for (i, v) in t.prices.into_iter().enumerate() {
                if let Some(slot) = out.prices.get_mut(i) {
                    *slot += v;
                }
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for FacetSegment {
    type Fruit = FacetTally;

    fn collect(&mut self, doc: DocId, _: Score) {
        if let Some(c) = &self.categories {
            for id in c.values_for_doc(doc) {
                self.category_counts.add(id);
            }
        }
        if let Some(c) = &self.stores
            && let Some(id) = c.first(doc)
        {
            self.store_counts.add(id);
        }
        for (column, counts) in self.words.iter_mut().flatten() {
            for ord in column.ords().values_for_doc(doc) {
                if let Some(slot) = counts.get_mut(ord as usize) {
                    *slot += 1;
                }
            }
        }
        if let Some((column, counts)) = &mut self.prices
            && let Some(cents) = column.first(doc)
        {
            let cents = match &self.markets {
                None => Some(cents),
                Some((markets, conversion)) => markets
                    .first(doc)
                    .and_then(|m| conversion.convert(m, cents))
                    .map(|c| c as i64),
            };
            if let Some(cents) = cents {
                counts[ladder_bucket(&self.ladder, cents)] += 1;
            }
        }
    }

    fn harvest(mut self) -> FacetTally {
        self.category_counts.into_map(&mut self.tally.categories);
        self.store_counts.into_map(&mut self.tally.stores);
        let [materials, colors, sizes] = self.words;
        for (column, target) in [
            (materials, &mut self.tally.materials),
            (colors, &mut self.tally.colors),
            (sizes, &mut self.tally.sizes),
        ] {
            let Some((column, counts)) = column else {
                continue;
            };
            let mut text = String::new();
            for (ord, n) in counts.into_iter().enumerate().filter(|(_, n)| *n > 0) {
                if column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                    *target.entry(text.clone()).or_default() += n;
                }
            }
        }
        if let Some((_, counts)) = self.prices {
            self.tally.prices = counts;
        }
        self.tally
    }
}

fn top<K: ToString>(counts: HashMap<K, u64>) -> Vec<FacetCount> {
    let mut out: Vec<FacetCount> = counts
        .into_iter()
        .map(|(k, count)| FacetCount {
            value: k.to_string(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out.truncate(MAX_VALUES);
    out
}

impl FacetTally {
    /// Multiplies every count by `factor` (an extrapolation), marking the tally approximate.
    fn scale(&mut self, factor: f64) {
        let scaled = |n: &mut u64| *n = (*n as f64 * factor).round() as u64;
        self.categories.values_mut().for_each(scaled);
        self.stores.values_mut().for_each(scaled);
        self.materials.values_mut().for_each(scaled);
        self.colors.values_mut().for_each(scaled);
        self.sizes.values_mut().for_each(scaled);
        self.prices.iter_mut().for_each(scaled);
        self.approximate = true;
    }

    /// Moves the facets of `set` from this tally into `facets`.
    pub fn fill(self, set: FacetSet, facets: &mut ProductFacets) {
        facets.approximate |= self.approximate;
        if set.categories {
            facets.categories = top(self.categories);
        }
        if set.stores {
            facets.stores = top(self.stores);
        }
        if set.materials {
            facets.materials = top(self.materials);
        }
        if set.colors {
            facets.colors = top(self.colors);
        }
        if set.sizes {
            facets.sizes = top(self.sizes);
        }
        if set.prices {
            facets.price_ranges = summarize_price_buckets(&price_ladder(), &self.prices);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ladder_buckets_and_merging() {
        let ladder = price_ladder();
        assert_eq!(ladder[0], 1_000);
        assert_eq!(ladder_bucket(&ladder, 999), 0);
        assert_eq!(ladder_bucket(&ladder, 1_000), 1);
        assert_eq!(ladder_bucket(&ladder, 1_999), 1);
        let mut counts = vec![0; ladder.len() + 1];
        for (i, slot) in counts.iter_mut().enumerate().take(10) {
            *slot = i as u64 + 1;
        }
        let buckets = summarize_price_buckets(&ladder, &counts);
        assert_eq!(buckets.len(), 6);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 55);
        assert_eq!(buckets[0].min_cents, None);
        for pair in buckets.windows(2) {
            assert_eq!(pair[0].max_cents, pair[1].min_cents);
        }
    }
}
