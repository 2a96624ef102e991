//! Facet counts of a listing in PostgreSQL, shaped like the search index's.
//!
//! Disjunctive: the match set is taken once with the filters that are not facets (text,
//! stock, rating), each facet filter becomes a flag column, and each facet counts the rows
//! whose flags pass for every facet but itself. One statement. Categories count a product
//! for its category and every ancestor, as the index does. Prices are bucketed on the index's
//! ladder (1-2-5 steps of cents from 10.00 up to 100,000,000.00), empty buckets dropped and
//! the sparsest adjacent pair merged until six are left; each facet keeps its 30 largest
//! values, ties by value.

use std::collections::HashMap;

use sqlx::{Postgres, QueryBuilder};
use textisur_search_index::{FacetCount, ProductFacets, price_ladder, summarize_price_buckets};

use super::{Branch, FacetFilter, Filters, push_facet_condition, push_match_set, push_price};
use crate::catalogue::products::ProductListing;
use crate::graphql::error::ApiResult;
use crate::runtime::db::Db;

/// Most values returned per facet.
const MAX_VALUES: usize = 30;

/// Flag column of each facet filter in the match set, in [`FacetFilter::ALL`] order.
const FLAGS: [&str; 6] = [
    "in_category",
    "in_store",
    "in_material",
    "in_color",
    "in_size",
    "in_price",
];

/// Counts every facet over the listing's match set, each ignoring its own filter.
pub async fn facets(db: &Db, listing: &ProductListing) -> ApiResult<ProductFacets> {
    let ladder = price_ladder();
    let mut qb = QueryBuilder::<Postgres>::new("WITH RECURSIVE m AS MATERIALIZED (");
    push_match_set(&mut qb, listing, Filters::NotFacets, |qb, _: Branch<'_>| {
        // Whole hundredths, cut down as the index cuts a converted price.
        qb.push("p.category_id, p.store_id, p.material_keys, p.color_keys, p.size_keys, floor(");
        push_price(qb, listing);
        qb.push(" * 100)::bigint AS cents");
        for (facet, flag) in FacetFilter::ALL.into_iter().zip(FLAGS) {
            qb.push(", ");
            push_facet_condition(qb, listing, facet);
            qb.push(" AS ").push(flag);
        }
    });
    // (category, ancestor-or-self) pairs of the whole tree.
    qb.push(
        "), up (id, ancestor) AS (SELECT id, id FROM categories \
         UNION ALL SELECT up.id, c.parent_id FROM up JOIN categories c ON c.id = up.ancestor \
         WHERE c.parent_id IS NOT NULL)",
    );
    let others = |own: usize| {
        FLAGS
            .iter()
            .enumerate()
            .filter(|(i, _)| *i != own)
            .map(|(_, flag)| *flag)
            .collect::<Vec<_>>()
            .join(" AND ")
    };
    qb.push(format!(
        " SELECT 'category' AS facet, up.ancestor::text AS value, sum(c.n)::bigint AS n \
         FROM (SELECT category_id, count(*) AS n FROM m WHERE {} GROUP BY category_id) c \
         JOIN up ON up.id = c.category_id GROUP BY up.ancestor",
        others(0)
    ));
    qb.push(format!(
        " UNION ALL SELECT 'store', store_id::text, count(*) FROM m WHERE {} GROUP BY store_id",
        others(1)
    ));
    for (i, (name, column)) in [
        ("material", "material_keys"),
        ("color", "color_keys"),
        ("size", "size_keys"),
    ]
    .into_iter()
    .enumerate()
    {
        qb.push(format!(
            " UNION ALL SELECT '{name}', k, count(*) FROM m CROSS JOIN LATERAL unnest(m.{column}) k \
             WHERE {} GROUP BY k",
            others(i + 2)
        ));
    }
    qb.push(" UNION ALL SELECT 'price', width_bucket(cents, ")
        .push_bind(ladder.clone())
        .push(format!(
            ")::text, count(*) FROM m WHERE {} GROUP BY 2",
            others(5)
        ));

    let rows: Vec<(String, String, i64)> = qb.build_query_as().fetch_all(db.executor()).await?;
    Ok(shape(&ladder, rows))
}

/// Turns `(facet, value, count)` rows into [`ProductFacets`].
fn shape(ladder: &[i64], rows: Vec<(String, String, i64)>) -> ProductFacets {
    let mut lists: HashMap<String, Vec<FacetCount>> = HashMap::new();
    let mut prices = vec![0_u64; ladder.len() + 1];
    for (facet, value, n) in rows {
        let count = u64::try_from(n).unwrap_or(0);
        if facet == "price" {
            if let Some(slot) = value.parse::<usize>().ok().and_then(|i| prices.get_mut(i)) {
                *slot += count;
            }
        } else {
            lists
                .entry(facet)
                .or_default()
                .push(FacetCount { value, count });
        }
    }
    let mut take = |facet: &str| {
        let mut values = lists.remove(facet).unwrap_or_default();
        values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        values.truncate(MAX_VALUES);
        values
    };
    ProductFacets {
        categories: take("category"),
        stores: take("store"),
        materials: take("material"),
        colors: take("color"),
        sizes: take("size"),
        price_ranges: summarize_price_buckets(ladder, &prices),
        approximate: false,
    }
}

#[cfg(test)]
mod tests {
    use textisur_search_index::PriceBucket;

    use super::*;

    /// At most this many price ranges come back (the index's rule, shared through
    /// `summarize_price_buckets`).
    const MAX_PRICE_BUCKETS: usize = 6;

    #[test]
    fn ladder_runs_from_ten_to_a_hundred_million() {
        let ladder = price_ladder();
        assert_eq!(ladder.first(), Some(&1_000));
        assert_eq!(ladder.last(), Some(&10_000_000_000));
        assert_eq!(&ladder[..4], &[1_000, 2_000, 5_000, 10_000]);
    }

    #[test]
    fn rows_become_sorted_capped_facets_and_merged_buckets() {
        let ladder = price_ladder();
        let mut rows = vec![
            ("material".to_owned(), "lino".to_owned(), 3),
            ("material".to_owned(), "algodón".to_owned(), 3),
            ("material".to_owned(), "seda".to_owned(), 9),
            ("category".to_owned(), "4".to_owned(), 2),
        ];
        for i in 0..40 {
            rows.push(("color".to_owned(), format!("c{i:02}"), 1));
        }
        for bucket in 0..10 {
            rows.push(("price".to_owned(), bucket.to_string(), bucket + 1));
        }
        let facets = shape(&ladder, rows);
        let materials: Vec<&str> = facets.materials.iter().map(|f| f.value.as_str()).collect();
        assert_eq!(materials, ["seda", "algodón", "lino"]);
        assert_eq!(facets.colors.len(), MAX_VALUES);
        assert_eq!(facets.categories[0].value, "4");
        assert!(facets.sizes.is_empty());
        let buckets = &facets.price_ranges;
        assert_eq!(buckets.len(), MAX_PRICE_BUCKETS);
        assert_eq!(buckets.iter().map(|b| b.count).sum::<u64>(), 55);
        assert_eq!(buckets[0].min_cents, None);
        assert_eq!(buckets[5].max_cents, Some(ladder[9]));
        for pair in buckets.windows(2) {
            assert_eq!(pair[0].max_cents, pair[1].min_cents);
        }
    }

    #[test]
    fn empty_buckets_are_dropped() {
        let ladder = price_ladder();
        let mut counts = vec![0; ladder.len() + 1];
        counts[3] = 5;
        counts[ladder.len()] = 1;
        let buckets = summarize_price_buckets(&ladder, &counts);
        assert_eq!(
            buckets,
            vec![
                PriceBucket {
                    min_cents: Some(5_000),
                    max_cents: Some(10_000),
                    count: 5
                },
                PriceBucket {
                    min_cents: Some(10_000_000_000),
                    max_cents: None,
                    count: 1
                },
            ]
        );
    }
}
