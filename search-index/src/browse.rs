//! Browsing without text: a page in a sort order that costs the page, not the catalogue.
//!
//! Each segment's product documents are kept sorted by every sort key (value, then id), once
//! per segment: segments never change, only their deletes do, and those are checked while
//! walking. A page starts at the cursor's place (a binary search), walks in order and stops
//! after `limit` live documents that pass the filters, so it costs `limit` divided by the
//! filters' selectivity. Filters are checked on fast fields with the same meaning as the
//! query clauses of [`crate::search`]; a test compares both paths.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tantivy::columnar::Column;
use tantivy::index::SegmentId;
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocAddress, DocId, DocSet, Searcher, SegmentReader, TERMINATED, Term};

use crate::collect::{Collected, NumberColumn, compare};
use crate::fields::{Fields, PRODUCT};
use crate::market::Conversion;
use crate::query::{ProductQuery, SortKey};

/// A segment's product documents in ascending (value, id) order, by segment, sort field and
/// market (0: every market).
type OrderMap = HashMap<(SegmentId, &'static str, u64), Arc<[DocId]>>;

/// Per-segment product documents in ascending (value, id) order of each sort field, for the
/// whole segment and for each market asked for: a listing of one market walks its own order
/// and skips nothing, so it costs what a listing of every market costs.
#[derive(Default)]
pub(crate) struct KeyOrders {
    orders: Mutex<OrderMap>,
}

impl KeyOrders {
    /// Whether the order of `segment` by `field` in `market` is built already.
    pub(crate) fn has(&self, segment: SegmentId, field: &'static str, market: u64) -> bool {
        self.lock().contains_key(&(segment, field, market))
    }

    /// The order of `segment` by `field` in `market`, built on first use.
    fn of(
        &self,
        searcher: &Searcher,
        segment: &SegmentReader,
        kind: Field,
        field: &'static str,
        market: u64,
    ) -> tantivy::Result<Arc<[DocId]>> {
        let key = (segment.segment_id(), field, market);
        if let Some(order) = self.lock().get(&key) {
            return Ok(order.clone());
        }
        // Built outside the lock: a large merged segment takes a while, and other pages
        // need not wait for it.
        let order: Arc<[DocId]> = build_order(segment, kind, field, market)?.into();
        let live: HashSet<SegmentId> = searcher
            .segment_readers()
            .iter()
            .map(SegmentReader::segment_id)
            .collect();
        let mut orders = self.lock();
        // Segments merged away are not searched any more.
        orders.retain(|(id, _, _), _| live.contains(id));
        orders.insert(key, order.clone());
        Ok(order)
    }

    fn lock(&self) -> MutexGuard<'_, OrderMap> {
        self.orders.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn build_order(
    segment: &SegmentReader,
    kind: Field,
    field: &'static str,
    market: u64,
) -> tantivy::Result<Vec<DocId>> {
    let column = NumberColumn::open(segment, field)?;
    let ids = segment.fast_fields().u64("id")?;
    let markets = NumberColumn::u64(segment, "market")?;
    let mut keyed: Vec<(f64, u64, DocId)> = Vec::new();
    let products = segment.inverted_index(kind)?.read_postings(
        &Term::from_field_text(kind, PRODUCT),
        IndexRecordOption::Basic,
    )?;
    if let Some(mut postings) = products {
        keyed.reserve(postings.doc_freq() as usize);
        let mut doc = postings.doc();
        while doc != TERMINATED {
            // A document without a key or an id is never a hit (as in the page collector).
            if let (Some(value), Some(id)) = (column.get(doc), ids.first(doc))
                && (market == ALL_MARKETS || markets.first(doc) == Some(market))
            {
                keyed.push((value, id, doc));
            }
            doc = postings.advance();
        }
    }
    keyed.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    Ok(keyed.into_iter().map(|(_, _, doc)| doc).collect())
}

/// The market slot of an order of every market.
const ALL_MARKETS: u64 = 0;

/// The orders a browse of `q` by `field` walks, each with the conversion of its keys: its
/// market's order, or one order per market with a rate when prices are compared converted,
/// or the order of every market.
fn walks(q: &ProductQuery, field: &'static str) -> Vec<(u64, Option<Conversion>)> {
    match (q.market, q.conversion) {
        (Some(market), _) => vec![(market, None)],
        (None, Some(conversion)) if field == "price" => conversion
            .markets()
            .map(|market| (market, Some(conversion)))
            .collect(),
        _ => vec![(ALL_MARKETS, None)],
    }
}

/// Whether every order a browse of `q` by `field` walks is built on every segment.
pub(crate) fn orders_built(
    orders: &KeyOrders,
    searcher: &Searcher,
    q: &ProductQuery,
    field: &'static str,
) -> bool {
    let walks = walks(q, field);
    searcher.segment_readers().iter().all(|segment| {
        walks
            .iter()
            .all(|(market, _)| orders.has(segment.segment_id(), field, *market))
    })
}

/// Whether a product query without text can be answered by walking key orders, and by which field.
pub(crate) fn browse_field(q: &ProductQuery) -> Option<&'static str> {
    if q.facets || q.count_total {
        return None;
    }
    match crate::collect::PageCollector::for_sort(q.sort, q.conversion, false, None, 0).source {
        crate::collect::KeySource::Field(name) => Some(name),
        crate::collect::KeySource::ConvertedPrice(_) => Some("price"),
        _ => None,
    }
}

/// Most hits a page may ask for and still count as quick (see [`crate::SearchIndex::is_quick`]).
const QUICK_LIMIT: usize = 100;

/// Whether `q` is a browse without text or filters, so a page walks about `limit` documents
/// per segment in key order.
pub(crate) fn plain_browse(q: &ProductQuery) -> Option<&'static str> {
    let unfiltered = q.category_ids.is_empty()
        && q.store_ids.is_empty()
        && q.only_ids.is_empty()
        && q.materials.is_empty()
        && q.colors.is_empty()
        && q.sizes.is_empty()
        && q.min_price_cents.is_none()
        && q.max_price_cents.is_none()
        && !q.in_stock
        && q.min_rating.is_none();
    let plain = q.text.is_none() && !q.highlights && !q.correct_spelling && unfiltered;
    (plain && q.limit <= QUICK_LIMIT)
        .then(|| browse_field(q))
        .flatten()
}

/// Whether walking the key orders should visit fewer documents than collecting the match
/// set. With the filters spread over the sort order, the walk visits about `limit` times
/// products / matches documents; the collector visits every match. Each term filter bounds
/// the matches by its terms' document frequencies; range and stock filters are taken to
/// match everything. A store page of a few hundred products among a million is collected;
/// a category of thousands is walked.
pub(crate) fn walk_is_cheaper(
    searcher: &Searcher,
    f: &Fields,
    q: &ProductQuery,
    limit: usize,
) -> tantivy::Result<bool> {
    let products = searcher.doc_freq(&Term::from_field_text(f.kind, PRODUCT))?;
    let ids = |field, values: &[u64]| -> Vec<Term> {
        values
            .iter()
            .map(|v| Term::from_field_u64(field, *v))
            .collect()
    };
    let words = |field, values: &[String]| -> Vec<Term> {
        values
            .iter()
            .map(|v| Term::from_field_text(field, v))
            .collect()
    };
    let mut matches = products;
    for terms in [
        ids(f.category_ids, &q.category_ids),
        ids(f.store_id, &q.store_ids),
        ids(f.id, &q.only_ids),
        words(f.materials, &q.materials),
        words(f.colors, &q.colors),
        words(f.sizes, &q.sizes),
    ] {
        if terms.is_empty() {
            continue;
        }
        let mut bound = 0_u64;
        for term in &terms {
            bound = bound.saturating_add(searcher.doc_freq(term)?);
        }
        matches = matches.min(bound);
    }
    // A walked document costs a random read of each filter's column, about twice what a
    // collected one costs.
    let walked = (limit as u64).saturating_mul(products) / matches.max(1);
    Ok(walked.saturating_mul(2) <= matches)
}

/// A filter of the query, checked on one segment's fast fields.
enum Check {
    /// Any value of the column is in the sorted set.
    U64(Column<u64>, Vec<u64>),
    /// Any term ordinal of a keyword column is in the sorted set.
    Ords(Column<u64>, Vec<u64>),
    I64Range(Column<i64>, i64, i64),
    /// The converted price is in the range (reference hundredths).
    ConvertedRange {
        price: Column<i64>,
        market: Column<u64>,
        conversion: Conversion,
        low: i64,
        high: i64,
    },
    F64AtLeast(Column<f64>, f64),
}

impl Check {
    fn passes(&self, doc: DocId) -> bool {
        match self {
            Check::U64(column, set) | Check::Ords(column, set) => column
                .values_for_doc(doc)
                .any(|v| set.binary_search(&v).is_ok()),
            Check::I64Range(column, low, high) => {
                column.values_for_doc(doc).any(|v| *low <= v && v <= *high)
            }
            Check::ConvertedRange {
                price,
                market,
                conversion,
                low,
                high,
            } => market
                .first(doc)
                .zip(price.first(doc))
                .and_then(|(m, cents)| conversion.convert(m, cents))
                .is_some_and(|c| *low as f64 <= c && c <= *high as f64),
            Check::F64AtLeast(column, min) => column
                .values_for_doc(doc)
                .any(|v| v.total_cmp(min) != Ordering::Less),
        }
    }
}

fn sorted(mut values: Vec<u64>) -> Vec<u64> {
    values.sort_unstable();
    values.dedup();
    values
}

/// The checks of `q` on `segment`; `None` when nothing in the segment can pass.
fn checks(segment: &SegmentReader, q: &ProductQuery) -> tantivy::Result<Option<Vec<Check>>> {
    let ff = segment.fast_fields();
    let mut out = Vec::new();
    for (name, values) in [
        ("category_ids", &q.category_ids),
        ("store_id", &q.store_ids),
        ("id", &q.only_ids),
    ] {
        if !values.is_empty() {
            out.push(Check::U64(
                NumberColumn::u64(segment, name)?,
                sorted(values.clone()),
            ));
        }
    }
    for (name, values) in [
        ("materials", &q.materials),
        ("colors", &q.colors),
        ("sizes", &q.sizes),
    ] {
        if values.is_empty() {
            continue;
        }
        let Some(column) = ff.str(name)? else {
            return Ok(None);
        };
        let mut ords = Vec::new();
        for value in values {
            if let Some(ord) = column.dictionary().term_ord(value)? {
                ords.push(ord);
            }
        }
        if ords.is_empty() {
            return Ok(None);
        }
        out.push(Check::Ords(column.ords().clone(), sorted(ords)));
    }
    if q.min_price_cents.is_some() || q.max_price_cents.is_some() {
        let (low, high) = (
            q.min_price_cents.unwrap_or(i64::MIN),
            q.max_price_cents.unwrap_or(i64::MAX),
        );
        let price = NumberColumn::i64(segment, "price")?;
        out.push(match q.conversion {
            Some(conversion) => Check::ConvertedRange {
                price,
                market: NumberColumn::u64(segment, "market")?,
                conversion,
                low,
                high,
            },
            None => Check::I64Range(price, low, high),
        });
    }
    if q.in_stock {
        out.push(Check::U64(NumberColumn::u64(segment, "in_stock")?, vec![1]));
    }
    if let Some(min) = q.min_rating {
        out.push(Check::F64AtLeast(
            NumberColumn::f64(segment, "rating")?,
            min,
        ));
    }
    Ok(Some(out))
}

/// The best `limit` products of `q` strictly after `q.after` in the order of `field`.
pub(crate) fn browse(
    orders: &KeyOrders,
    searcher: &Searcher,
    kind: Field,
    field: &'static str,
    q: &ProductQuery,
    limit: usize,
) -> tantivy::Result<Vec<Collected>> {
    let descending = q.sort.descending();
    let walks = walks(q, field);
    let mut all = Vec::new();
    for (ord, segment) in searcher.segment_readers().iter().enumerate() {
        if limit == 0 {
            break;
        }
        let Some(checks) = checks(segment, q)? else {
            continue;
        };
        let column = NumberColumn::open(segment, field)?;
        let ids = NumberColumn::u64(segment, "id")?;
        // Converted walks (price sorts without a market) read the price column as cents.
        let prices = q
            .conversion
            .is_some()
            .then(|| NumberColumn::i64(segment, "price"))
            .transpose()?;
        for (market, conversion) in &walks {
            let order = orders.of(searcher, segment, kind, field, *market)?;
            let key = |doc: DocId| SortKey {
                // Every document of an order has both (see `build_order`), and is of the
                // order's market.
                value: match (conversion, &prices) {
                    (Some(c), Some(p)) => p
                        .first(doc)
                        .and_then(|cents| c.convert(*market, cents))
                        .unwrap_or_default(),
                    _ => column.get(doc).unwrap_or_default(),
                },
                id: ids.first(doc).unwrap_or_default(),
            };
            let mut take = |doc: DocId| -> bool {
                if segment.is_deleted(doc) || !checks.iter().all(|c| c.passes(doc)) {
                    return false;
                }
                all.push(Collected {
                    key: key(doc),
                    address: DocAddress::new(ord as u32, doc),
                });
                true
            };
            // An order is ascending by (key, id), converted keys included (a conversion
            // keeps the order strictly), so the cursor's place is a binary search.
            let mut found = 0;
            if descending {
                let end = match &q.after {
                    Some(after) => {
                        order.partition_point(|d| compare(&key(*d), after, false).is_lt())
                    }
                    None => order.len(),
                };
                for doc in order[..end].iter().rev() {
                    if take(*doc) {
                        found += 1;
                        if found == limit {
                            break;
                        }
                    }
                }
            } else {
                let start = match &q.after {
                    Some(after) => {
                        order.partition_point(|d| compare(&key(*d), after, false).is_le())
                    }
                    None => 0,
                };
                for doc in &order[start..] {
                    if take(*doc) {
                        found += 1;
                        if found == limit {
                            break;
                        }
                    }
                }
            }
        }
    }
    all.sort_by(|a, b| compare(&a.key, &b.key, descending));
    // As in the page collector: a stale second copy of a product shows once.
    let mut seen = HashSet::new();
    all.retain(|c| seen.insert(c.key.id));
    all.truncate(limit);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::query::SortOrder;
    use crate::{CommitMeta, ProductDoc, SCHEMA_VERSION, SearchIndex, Synonyms};

    fn product(id: u64) -> ProductDoc {
        ProductDoc {
            id,
            store_id: id % 7,
            country: String::new(),
            category_ids: vec![id % 3],
            category_names: vec!["Camisas".to_owned()],
            name: format!("Camisa {id}"),
            description: String::new(),
            materials: vec!["Lino".to_owned()],
            colors: vec!["Azul".to_owned()],
            sizes: vec![if id.is_multiple_of(13) { "S" } else { "M" }.to_owned()],
            price_cents: (id % 5) as i64 * 100,
            in_stock: true,
            rating: (id % 4) as f64,
            review_count: 0,
            sales_count: id % 6,
            created_at_micros: (id % 9) as i64,
            variants: Vec::new(),
        }
    }

    /// Two segments, some products deleted from the first.
    fn index() -> SearchIndex {
        let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
        let mut writer = index.writer(50_000_000).expect("writer");
        let meta = CommitMeta {
            schema_version: SCHEMA_VERSION,
            checkpoint: Default::default(),
        };
        for id in 1..=200 {
            writer.upsert_product(&product(id)).expect("upsert");
        }
        writer.commit(&meta).expect("commit");
        for id in (1..=200).step_by(9) {
            writer.delete_product(id);
        }
        for id in 201..=300 {
            writer.upsert_product(&product(id)).expect("upsert");
        }
        writer.commit(&meta).expect("commit");
        index.reload().expect("reload");
        index
    }

    #[test]
    fn a_page_walks_unless_its_filters_leave_few_matches() {
        let index = index();
        let searcher = index.inner.reader.searcher();
        let f = &index.inner.fields;
        let cheaper = |q: &ProductQuery, limit| {
            walk_is_cheaper(&searcher, f, q, limit).expect("document frequencies")
        };
        assert!(cheaper(&ProductQuery::default(), 21));
        let third = ProductQuery {
            category_ids: vec![1],
            ..ProductQuery::default()
        };
        assert!(cheaper(&third, 2));
        assert!(!cheaper(&third, 41));
        let seven = ProductQuery {
            only_ids: vec![1, 2, 3, 4, 5, 6, 7],
            ..ProductQuery::default()
        };
        assert!(!cheaper(&seven, 2));
    }

    /// Only a plain browse over built orders is quick: text, a filter, counts, a page too
    /// large or a segment whose order is still to build send it to a blocking thread.
    #[test]
    fn a_plain_browse_is_quick_once_its_orders_are_built() {
        let index = index();
        let newest = ProductQuery {
            sort: SortOrder::Newest,
            limit: 20,
            ..ProductQuery::default()
        };
        assert!(!index.is_quick(&newest), "no order is built yet");
        assert!(index.search_products_if_quick(&newest).is_none());
        let page = index.search_products(&newest).expect("browse");
        assert_eq!(page.hits.len(), 20);
        assert!(index.is_quick(&newest));
        let quick = index
            .search_products_if_quick(&newest)
            .expect("quick now")
            .expect("browse");
        assert_eq!(quick, page);
        assert!(
            !index.is_quick(&ProductQuery {
                sort: SortOrder::PriceAsc,
                ..newest.clone()
            }),
            "another sort's orders are not built"
        );
        for slow in [
            ProductQuery {
                text: Some("camisa".to_owned()),
                ..newest.clone()
            },
            ProductQuery {
                category_ids: vec![1],
                ..newest.clone()
            },
            ProductQuery {
                in_stock: true,
                ..newest.clone()
            },
            ProductQuery {
                count_total: true,
                ..newest.clone()
            },
            ProductQuery {
                facets: true,
                ..newest.clone()
            },
            ProductQuery {
                limit: 101,
                ..newest.clone()
            },
        ] {
            assert!(!index.is_quick(&slow), "{slow:?}");
        }
    }

    /// Filters so selective that search pages collect them rather than walk: the walk still
    /// answers them as the collector does.
    #[test]
    fn selective_filters_walk_to_the_collectors_page() {
        let index = index();
        let searcher = index.inner.reader.searcher();
        let filters = [
            ProductQuery {
                only_ids: vec![5, 9, 10, 13, 150, 260, 299],
                ..ProductQuery::default()
            },
            ProductQuery {
                store_ids: vec![3],
                ..ProductQuery::default()
            },
            ProductQuery {
                sizes: vec!["s".to_owned()],
                ..ProductQuery::default()
            },
        ];
        let sorts = [
            SortOrder::Relevance,
            SortOrder::PriceAsc,
            SortOrder::PriceDesc,
            SortOrder::Newest,
            SortOrder::Popular,
            SortOrder::TopRated,
        ];
        for filter in filters {
            for sort in sorts {
                for limit in [1, 3, 40] {
                    let q = ProductQuery {
                        sort,
                        limit,
                        count_total: true,
                        ..filter.clone()
                    };
                    let collected = index.search_products(&q).expect("collect");
                    let after = collected.hits.first().map(|h| h.key);
                    let next = index
                        .search_products(&ProductQuery { after, ..q.clone() })
                        .expect("collect next");
                    let field = browse_field(&ProductQuery {
                        count_total: false,
                        ..q.clone()
                    })
                    .expect("a sort by field");
                    for (page, after) in [(collected, None), (next, after)] {
                        let walked = browse(
                            &index.inner.orders,
                            &searcher,
                            index.inner.fields.kind,
                            field,
                            &ProductQuery { after, ..q.clone() },
                            limit,
                        )
                        .expect("walk");
                        let walked: Vec<_> = walked.iter().map(|c| (c.key.id, c.key)).collect();
                        let page: Vec<_> = page.hits.iter().map(|h| (h.id, h.key)).collect();
                        assert_eq!(walked, page, "{q:?} after {after:?}");
                    }
                }
            }
        }
    }
}
