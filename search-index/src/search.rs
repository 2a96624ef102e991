//! Running product and store searches: text, filters, the page, facets, highlights and
//! spelling corrections.

use std::ops::Bound;

use tantivy::collector::Collector;
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, FuzzyTermQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{IndexRecordOption, Value};
use tantivy::{Searcher, TantivyDocument, Term};

use crate::browse::{browse, browse_field, walk_is_cheaper};
use crate::catalog::SearchIndex;
use crate::collect::{Collected, KeySource, PageCollector};
use crate::error::SearchResult;
use crate::facets::{FacetCollector, FacetSet};
use crate::fields::{Fields, STORE};
use crate::highlight::Highlighter;
use crate::matching::{TextPlan, Tier, WeightedField, relaxed, text_query};
use crate::query::{
    ProductFacets, ProductHit, ProductPage, ProductQuery, StoreHit, StorePage, StoreQuery,
};

/// Below this many products with every word of a text, those with most of its words join
/// them (ranked below): about a page, so a search that every word narrows too far still
/// fills its first page.
const RELAX_BELOW: u64 = 20;

/// A filter clause and the facet it belongs to (so that facet can leave it out).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FilterOf {
    Category,
    Store,
    Material,
    Color,
    Size,
    Price,
    Other,
}

/// The filters that have a facet of their own.
const FACETED: [FilterOf; 6] = [
    FilterOf::Category,
    FilterOf::Store,
    FilterOf::Material,
    FilterOf::Color,
    FilterOf::Size,
    FilterOf::Price,
];

/// Turns the facet of filter `of` on or off in `set`.
fn select_facet(set: &mut FacetSet, of: FilterOf, on: bool) {
    match of {
        FilterOf::Category => set.categories = on,
        FilterOf::Store => set.stores = on,
        FilterOf::Material => set.materials = on,
        FilterOf::Color => set.colors = on,
        FilterOf::Size => set.sizes = on,
        FilterOf::Price => set.prices = on,
        FilterOf::Other => {}
    }
}

fn filter(query: Box<dyn Query>) -> Box<dyn Query> {
    // Filters narrow the match set without touching the score.
    Box::new(ConstScoreQuery::new(query, 0.0))
}

/// A filter matching any of `terms` ([`crate::matching::any_term`]: a term set builds an
/// FST of its terms on every search, which cost a few percent of the server under the
/// request mix).
fn term_set(terms: Vec<Term>) -> Box<dyn Query> {
    filter(crate::matching::any_term(terms))
}

fn kind_query(fields: &Fields, kind: &str) -> Box<dyn Query> {
    filter(Box::new(TermQuery::new(
        Term::from_field_text(fields.kind, kind),
        IndexRecordOption::Basic,
    )))
}

fn product_filters(f: &Fields, q: &ProductQuery) -> Vec<(FilterOf, Box<dyn Query>)> {
    let mut out: Vec<(FilterOf, Box<dyn Query>)> = Vec::new();
    let u64_set = |field, ids: &[u64]| -> Box<dyn Query> {
        term_set(
            ids.iter()
                .map(|id| Term::from_field_u64(field, *id))
                .collect(),
        )
    };
    let text_set = |field, values: &[String]| -> Box<dyn Query> {
        term_set(
            values
                .iter()
                .map(|v| Term::from_field_text(field, v))
                .collect(),
        )
    };
    if !q.category_ids.is_empty() {
        out.push((FilterOf::Category, u64_set(f.category_ids, &q.category_ids)));
    }
    if !q.store_ids.is_empty() {
        out.push((FilterOf::Store, u64_set(f.store_id, &q.store_ids)));
    }
    if !q.only_ids.is_empty() {
        out.push((FilterOf::Other, u64_set(f.id, &q.only_ids)));
    }
    for (of, field, values) in [
        (FilterOf::Material, f.materials, &q.materials),
        (FilterOf::Color, f.colors, &q.colors),
        (FilterOf::Size, f.sizes, &q.sizes),
    ] {
        if !values.is_empty() {
            out.push((of, text_set(field, values)));
        }
    }
    if let Some(market) = q.market {
        out.push((
            FilterOf::Other,
            filter(Box::new(TermQuery::new(
                Term::from_field_u64(f.market, market),
                IndexRecordOption::Basic,
            ))),
        ));
    }
    if q.min_price_cents.is_some() || q.max_price_cents.is_some() {
        let range = |low: Option<i64>, high: Option<i64>| -> Box<dyn Query> {
            let bound = |c: Option<i64>| {
                c.map_or(Bound::Unbounded, |c| {
                    Bound::Included(Term::from_field_i64(f.price, c))
                })
            };
            Box::new(RangeQuery::new(bound(low), bound(high)))
        };
        let query: Box<dyn Query> = match &q.conversion {
            None => range(q.min_price_cents, q.max_price_cents),
            // Converted bounds: each market's raw range, with its market.
            Some(conversion) => Box::new(BooleanQuery::new(
                conversion
                    .markets()
                    .filter_map(|market| {
                        let (low, high) =
                            conversion.raw_range(market, q.min_price_cents, q.max_price_cents)?;
                        let in_market: Box<dyn Query> = Box::new(TermQuery::new(
                            Term::from_field_u64(f.market, market),
                            IndexRecordOption::Basic,
                        ));
                        let both = all_of(vec![in_market, range(Some(low), Some(high))]);
                        Some((Occur::Should, Box::new(both) as Box<dyn Query>))
                    })
                    .collect(),
            )),
        };
        out.push((FilterOf::Price, filter(query)));
    }
    if q.in_stock {
        out.push((
            FilterOf::Other,
            filter(Box::new(TermQuery::new(
                Term::from_field_u64(f.in_stock, 1),
                IndexRecordOption::Basic,
            ))),
        ));
    }
    if let Some(r) = q.min_rating {
        out.push((
            FilterOf::Other,
            filter(Box::new(RangeQuery::new(
                Bound::Included(Term::from_field_f64(f.rating, r)),
                Bound::Unbounded,
            ))),
        ));
    }
    out
}

/// The text fields of products with their weights.
fn product_fields(f: &Fields) -> [WeightedField; 5] {
    [
        WeightedField {
            stemmed: f.name,
            folded: Some(f.name_fold),
            boost: 3.0,
            tier: Tier::Strong,
            country: Some(f.country),
        },
        WeightedField {
            stemmed: f.head,
            folded: Some(f.head_fold),
            boost: 3.0,
            tier: Tier::Head,
            country: Some(f.country),
        },
        WeightedField {
            stemmed: f.category,
            folded: Some(f.category_fold),
            boost: 2.0,
            tier: Tier::Weak,
            country: Some(f.country),
        },
        WeightedField {
            stemmed: f.attrs,
            folded: Some(f.attrs_fold),
            boost: 1.5,
            tier: Tier::Strong,
            country: Some(f.country),
        },
        WeightedField {
            stemmed: f.description,
            folded: None,
            boost: 0.5,
            tier: Tier::Weak,
            country: Some(f.country),
        },
    ]
}

fn store_fields(f: &Fields) -> [WeightedField; 3] {
    [
        WeightedField {
            stemmed: f.name,
            folded: Some(f.name_fold),
            boost: 3.0,
            tier: Tier::Strong,
            country: None,
        },
        WeightedField {
            stemmed: f.place,
            folded: Some(f.place_fold),
            boost: 2.0,
            tier: Tier::Strong,
            country: None,
        },
        WeightedField {
            stemmed: f.description,
            folded: None,
            boost: 0.5,
            tier: Tier::Weak,
            country: None,
        },
    ]
}

/// The products that match every clause. Stores are a few hundred documents among the
/// products: leaving them out costs a walk of their short posting list, where requiring
/// `kind: product` sought the products' list, the index's longest, at every match (a
/// seventh of a text search whose words match many products).
fn products_of(f: &Fields, mut clauses: Vec<Box<dyn Query>>) -> BooleanQuery {
    if clauses.is_empty() {
        clauses.push(Box::new(AllQuery));
    }
    let mut all: Vec<(Occur, Box<dyn Query>)> =
        clauses.into_iter().map(|c| (Occur::Must, c)).collect();
    all.push((
        Occur::MustNot,
        Box::new(TermQuery::new(
            Term::from_field_text(f.kind, STORE),
            IndexRecordOption::Basic,
        )),
    ));
    BooleanQuery::new(all)
}

fn all_of(clauses: Vec<Box<dyn Query>>) -> BooleanQuery {
    BooleanQuery::new(clauses.into_iter().map(|c| (Occur::Must, c)).collect())
}

impl SearchIndex {
    /// Whether [`Self::search_products`] answers `q` in microseconds: a browse without text,
    /// filters, counts or facets, over segments whose key orders are built, walks about
    /// `limit` documents per segment. Such a page may run on the caller's thread; handing it
    /// to a blocking thread and back cost more than the walk (a tenth of the nested page's
    /// time went to the two thread wake-ups). Building an order (a new merged segment) is
    /// never quick.
    pub fn is_quick(&self, q: &ProductQuery) -> bool {
        self.is_quick_on(&self.searcher(), q)
    }

    fn is_quick_on(&self, searcher: &Searcher, q: &ProductQuery) -> bool {
        let Some(field) = crate::browse::plain_browse(q) else {
            return false;
        };
        crate::browse::orders_built(&self.inner.orders, searcher, q, field)
    }

    /// [`Self::search_products`] if it is quick ([`Self::is_quick`]), run on the very
    /// searcher that was checked, so a segment merged in between cannot make it build an
    /// order; `None` when it is not quick.
    pub fn search_products_if_quick(&self, q: &ProductQuery) -> Option<SearchResult<ProductPage>> {
        let searcher = self.searcher();
        self.is_quick_on(&searcher, q)
            .then(|| self.search_products_on(&searcher, q))
    }

    /// One page of products matching `q`, with the total, facets and highlights as asked.
    pub fn search_products(&self, q: &ProductQuery) -> SearchResult<ProductPage> {
        self.search_products_on(&self.searcher(), q)
    }

    fn search_products_on(
        &self,
        searcher: &Searcher,
        q: &ProductQuery,
    ) -> SearchResult<ProductPage> {
        let f = &self.inner.fields;
        let mut plan = q
            .text
            .as_deref()
            .map(|t| TextPlan::new(t, &self.synonyms))
            .unwrap_or_default();
        let (folded, stemmed) = (
            [f.name_fold, f.category_fold, f.attrs_fold],
            [f.name, f.category, f.attrs, f.description],
        );
        // (The head is a word of the name: the name's fields know it already.)
        plan.mark_known(searcher, &folded, &stemmed)?;
        plan.correct(searcher, &folded, &stemmed, &self.synonyms)?;
        let text_clauses = text_query(&plan, &product_fields(f))?;
        let boost = crate::variants::boost(&plan, f.stocked);
        let boost = boost.as_deref();
        if text_clauses.is_empty()
            && let Some(field) = browse_field(q)
            && walk_is_cheaper(searcher, f, q, q.limit + 1)?
        {
            let orders = &self.inner.orders;
            let collected = browse(orders, searcher, f.kind, field, q, q.limit + 1)?;
            let has_more = collected.len() > q.limit;
            let collected = &collected[..collected.len().min(q.limit)];
            return Ok(ProductPage {
                hits: self.product_hits(searcher, collected, &plan, q.highlights)?,
                total: None,
                has_more,
                facets: None,
                corrected_query: None,
            });
        }
        let filters = product_filters(f, q);
        let (mut collected, mut total, mut facets) = self.product_matches(
            searcher,
            q,
            &text_clauses,
            &filters,
            boost,
            !plan.is_empty(),
        )?;
        // Too few products have every word: those with most of them join, below (their
        // scores count fewer words). Decided by the index alone, so every page of a listing
        // makes the same decision.
        // Each step asks for one word fewer, down to one, and stops once enough match: words
        // that match nothing do not hold the others back, and the coverage ranking keeps
        // the products with the most words first.
        if plan.words.len() >= 2 && total < RELAX_BELOW {
            let mut minimum = plan.words.len() - 1;
            // The first step without facets: one intersection per left-out word.
            if !q.facets {
                (collected, total) = self.all_but_one(
                    searcher,
                    q,
                    &text_clauses,
                    &filters,
                    boost,
                    (collected, total),
                )?;
                minimum -= 1;
            }
            if total < RELAX_BELOW && minimum >= 1 {
                // Which step is the last is decided by counting, which scores nothing; only
                // that step is ranked and faceted (ranking and facets of every step were
                // three quarters of a relaxed search with facets).
                let mut words = relaxed(&text_clauses, minimum);
                while minimum > 1
                    && self.count_products(searcher, words.as_ref(), &filters)? < RELAX_BELOW
                {
                    minimum -= 1;
                    words = relaxed(&text_clauses, minimum);
                }
                let relaxed = [words];
                (collected, total, facets) =
                    self.product_matches(searcher, q, &relaxed, &filters, boost, true)?;
            }
        }

        let has_more = collected.len() > q.limit;
        let collected = &collected[..collected.len().min(q.limit)];
        let hits = self.product_hits(searcher, collected, &plan, q.highlights)?;
        let corrected_query = match &q.text {
            Some(text) if q.correct_spelling && !plan.is_empty() => {
                self.correction(searcher, text, &plan)?
            }
            _ => None,
        };
        Ok(ProductPage {
            hits,
            total: Some(total),
            has_more,
            facets,
            corrected_query,
        })
    }

    /// The first relaxed step: the products with every word but one, added to `full` (the
    /// page and total of those with every word). Each pass asks for all the words but one
    /// and not that one, so the passes are disjoint: totals add up, and the page is the
    /// best of each pass's best. Intersections led by the rarer words cost a fraction of a
    /// walk of every word's list, which is what any `minimum` of the words asks for (this
    /// step through [`relaxed`] instead measured 0.83 times the req/s of `ab.sh`'s
    /// `searchtypo` and `searchnone`).
    /// Facets would not add up from the passes' top values, so a page with facets takes
    /// the union instead.
    fn all_but_one(
        &self,
        searcher: &Searcher,
        q: &ProductQuery,
        words: &[Box<dyn Query>],
        filters: &[(FilterOf, Box<dyn Query>)],
        boost: Option<&dyn Query>,
        full: (Vec<Collected>, u64),
    ) -> SearchResult<(Vec<Collected>, u64)> {
        let mut fruits = vec![full];
        for left_out in 0..words.len() {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = words
                .iter()
                .enumerate()
                .filter(|(i, _)| *i != left_out)
                .map(|(_, w)| (Occur::Must, w.box_clone()))
                .collect();
            clauses.push((Occur::MustNot, words[left_out].box_clone()));
            let part: [Box<dyn Query>; 1] = [Box::new(BooleanQuery::new(clauses))];
            let (page, count, _) =
                self.product_matches(searcher, q, &part, filters, boost, true)?;
            fruits.push((page, count));
        }
        // Merged as one collector merges its segments: best first, each id once, the page.
        let page = PageCollector::for_sort(q.sort, q.conversion, true, q.after, q.limit + 1);
        Ok(page.merge_fruits(fruits)?)
    }

    /// How many products match `text` and every filter, scoring none of them.
    fn count_products(
        &self,
        searcher: &Searcher,
        text: &dyn Query,
        filters: &[(FilterOf, Box<dyn Query>)],
    ) -> SearchResult<u64> {
        let query = self.matching(&[text.box_clone()], filters, None, None);
        Ok(self.run(searcher, &query, &tantivy::collector::Count)? as u64)
    }

    /// The products that match all of `text` and every filter but `leave_out`'s.
    fn matching(
        &self,
        text: &[Box<dyn Query>],
        filters: &[(FilterOf, Box<dyn Query>)],
        leave_out: Option<FilterOf>,
        boost: Option<&dyn Query>,
    ) -> BooleanQuery {
        let mut clauses: Vec<Box<dyn Query>> = text.iter().map(|c| c.box_clone()).collect();
        clauses.extend(
            filters
                .iter()
                .filter(|(of, _)| Some(*of) != leave_out)
                .map(|(_, c)| c.box_clone()),
        );
        let matching = products_of(&self.inner.fields, clauses);
        match boost {
            // Optional: it adds to the score of the products it matches, and selects none.
            Some(boost) => BooleanQuery::new(vec![
                (Occur::Must, Box::new(matching)),
                (Occur::Should, boost.box_clone()),
            ]),
            None => matching,
        }
    }

    /// The page, the total and the facets of the products that match all of `text` and
    /// `filters`.
    fn product_matches(
        &self,
        searcher: &Searcher,
        q: &ProductQuery,
        text: &[Box<dyn Query>],
        filters: &[(FilterOf, Box<dyn Query>)],
        boost: Option<&dyn Query>,
        has_text: bool,
    ) -> SearchResult<(Vec<Collected>, u64, Option<ProductFacets>)> {
        // The facet passes score nothing: only the page's pass takes the boost.
        let build = |leave_out, boost| self.matching(text, filters, leave_out, boost);
        let main = build(None, boost);
        let page = PageCollector::for_sort(q.sort, q.conversion, has_text, q.after, q.limit + 1);

        // Facets whose own filter is not set are counted in the main pass; each facet with a
        // filter of its own needs a pass without it.
        let own = |of| filters.iter().any(|(o, _)| *o == of);
        let mut main_set = FacetSet {
            conversion: q.conversion,
            ..FacetSet::default()
        };
        if q.facets {
            for of in FACETED {
                select_facet(&mut main_set, of, !own(of));
            }
        }
        // Without facets the facet collector would still be called on every match.
        let (collected, total, tally) = if q.facets {
            let ((collected, total), tally) =
                self.run(searcher, &main, &(page, FacetCollector::exact(main_set)))?;
            (collected, total, Some(tally))
        } else {
            let (collected, total) = self.run(searcher, &main, &page)?;
            (collected, total, None)
        };
        let facets = if let Some(tally) = tally {
            let mut facets = ProductFacets::default();
            tally.fill(main_set, &mut facets);
            for of in FACETED.into_iter().filter(|of| own(*of)) {
                let mut set = FacetSet {
                    conversion: q.conversion,
                    ..FacetSet::default()
                };
                select_facet(&mut set, of, true);
                let budget = self
                    .inner
                    .facet_pass_budget
                    .load(std::sync::atomic::Ordering::Relaxed);
                let collector = FacetCollector::bounded(set, budget, searcher.num_docs());
                let tally = self.run(searcher, &build(Some(of), None), &collector)?;
                tally.fill(set, &mut facets);
            }
            Some(facets)
        } else {
            None
        };
        Ok((collected, total, facets))
    }

    fn product_hits(
        &self,
        searcher: &Searcher,
        collected: &[Collected],
        plan: &TextPlan,
        highlights: bool,
    ) -> SearchResult<Vec<ProductHit>> {
        let f = &self.inner.fields;
        // Made only when used: its two analyzers cost more to build than a browse's walk.
        let mut highlighter = (highlights && !plan.is_empty()).then(|| Highlighter::new(plan));
        let mut hits = Vec::with_capacity(collected.len());
        for c in collected {
            let mut snippets = Vec::new();
            if let Some(highlighter) = &mut highlighter {
                let doc: TantivyDocument = searcher.doc(c.address)?;
                let text = |field| {
                    doc.get_first(field)
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                };
                if let Some(s) = highlighter.whole(text(f.name)) {
                    snippets.push(("name".to_owned(), s));
                }
                if let Some(s) = highlighter.fragment(text(f.description)) {
                    snippets.push(("description".to_owned(), s));
                }
            }
            hits.push(ProductHit {
                id: c.key.id,
                key: c.key,
                highlights: snippets,
            });
        }
        Ok(hits)
    }

    /// "Did you mean": each word that matches nothing exactly is replaced by the most frequent
    /// indexed word within its typo budget. `None` when no word needs it.
    fn correction(
        &self,
        searcher: &Searcher,
        text: &str,
        plan: &TextPlan,
    ) -> SearchResult<Option<String>> {
        let f = &self.inner.fields;
        let folded_fields = [f.name_fold, f.category_fold, f.attrs_fold];
        let mut out = String::new();
        let mut at = 0;
        let mut changed = false;
        for word in &plan.words {
            if word.stem.is_none() || word.typos() == 0 || word.known {
                continue;
            }
            let mut best: Option<(u64, String)> = None;
            let automaton = FuzzyTermQuery::new(
                Term::from_field_text(f.name_fold, &word.folded),
                word.typos(),
                true,
            )
            .automaton()?;
            for segment in searcher.segment_readers() {
                for field in folded_fields {
                    let index = segment.inverted_index(field)?;
                    let mut stream = index.terms().search(&automaton).into_stream()?;
                    while stream.advance() {
                        let Ok(candidate) = std::str::from_utf8(stream.key()) else {
                            continue;
                        };
                        let freq = u64::from(stream.value().doc_freq);
                        if best.as_ref().is_none_or(|(n, _)| freq > *n) {
                            best = Some((freq, candidate.to_owned()));
                        }
                    }
                }
            }
            if let Some((_, candidate)) = best {
                out.push_str(&text[at..word.from]);
                out.push_str(&candidate);
                at = word.to;
                changed = true;
            }
        }
        if !changed {
            return Ok(None);
        }
        out.push_str(&text[at..]);
        Ok(Some(out))
    }

    /// One page of stores matching `q`: by text relevance, or nearest first from `near`.
    pub fn search_stores(&self, q: &StoreQuery) -> SearchResult<StorePage> {
        let f = &self.inner.fields;
        let searcher = self.searcher();
        let mut plan = q
            .text
            .as_deref()
            .map(|t| TextPlan::new(t, &self.synonyms))
            .unwrap_or_default();
        plan.mark_known(
            &searcher,
            &[f.name_fold, f.place_fold],
            &[f.name, f.place, f.description],
        )?;
        let mut clauses = vec![kind_query(f, STORE)];
        clauses.extend(text_query(&plan, &store_fields(f))?);
        if let Some(market) = q.market {
            clauses.push(filter(Box::new(TermQuery::new(
                Term::from_field_u64(f.market, market),
                IndexRecordOption::Basic,
            ))));
        }
        let (source, descending) = match q.near {
            Some((lat, lon)) => (
                KeySource::Distance {
                    lat,
                    lon,
                    radius_km: q.radius_km,
                },
                false,
            ),
            None if !plan.is_empty() => (KeySource::Relevance, true),
            None => (KeySource::Field("rating"), true),
        };
        let collector = PageCollector {
            source,
            descending,
            after: q.after,
            limit: q.limit + 1,
        };
        let (collected, total) = self.run(&searcher, &all_of(clauses), &collector)?;
        let has_more = collected.len() > q.limit;
        let hits = collected
            .iter()
            .take(q.limit)
            .map(|c| StoreHit {
                id: c.key.id,
                key: c.key,
                distance_km: q.near.map(|_| c.key.value),
            })
            .collect();
        Ok(StorePage {
            hits,
            total,
            has_more,
        })
    }
}
