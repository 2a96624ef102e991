//! Browsing without text walks per-segment key orders instead of collecting every match.
//! Asking for the total still runs the collector over the whole match set, so each page of
//! the walk is checked against the collector's page of the same query: every sort, pages
//! resumed from cursors, ties on the sort value, filters, several segments and deletes.

use textisur_search_index::{
    CommitMeta, ProductDoc, ProductPage, ProductQuery, SCHEMA_VERSION, SearchIndex, SortKey,
    SortOrder, StoreDoc, Synonyms,
};

const SORTS: [SortOrder; 6] = [
    SortOrder::Relevance,
    SortOrder::PriceAsc,
    SortOrder::PriceDesc,
    SortOrder::Newest,
    SortOrder::Popular,
    SortOrder::TopRated,
];

fn spread(id: u64, modulo: u64) -> u64 {
    id.wrapping_mul(2_654_435_761) % modulo
}

fn product(id: u64, version: u64) -> ProductDoc {
    ProductDoc {
        id,
        store_id: id % 5 + 1,
        country: String::new(),
        category_ids: vec![id % 4 + 10, 1],
        category_names: vec!["Camisas".to_owned(), "Ropa".to_owned()],
        name: format!("Camisa {id}"),
        description: "Fresca".to_owned(),
        materials: vec![["Lino", "Algodón", "Seda"][(id % 3) as usize].to_owned()],
        colors: vec![
            "Azul".to_owned(),
            ["Rojo", "Verde"][(id % 2) as usize].to_owned(),
        ],
        sizes: vec!["M".to_owned()],
        // Few distinct values: most pages end inside a run of ties.
        price_cents: 500 + 100 * spread(id + version, 7) as i64,
        in_stock: !id.is_multiple_of(3),
        rating: spread(id, 6) as f64 / 2.0,
        review_count: spread(id, 40),
        sales_count: spread(id * 3 + version, 4),
        created_at_micros: 1_830_000_000_000_000 + spread(id, 5) as i64,
        variants: Vec::new(),
    }
}

fn store(id: u64) -> StoreDoc {
    StoreDoc {
        id,
        country: String::new(),
        name: format!("Tienda {id}"),
        description: String::new(),
        city: "Córdoba".to_owned(),
        region: None,
        location: None,
        rating: 4.0,
    }
}

fn commit(writer: &mut textisur_search_index::IndexWriter) {
    writer
        .commit(&CommitMeta {
            schema_version: SCHEMA_VERSION,
            checkpoint: Default::default(),
        })
        .expect("commit");
}

/// Three segments, with products rewritten (in another segment) and deleted after their
/// first commit.
fn catalogue() -> SearchIndex {
    let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
    let mut writer = index.writer(50_000_000).expect("writer");
    for id in 1..=150 {
        writer.upsert_product(&product(id, 0)).expect("upsert");
    }
    for id in 1..=10 {
        writer.upsert_store(&store(id)).expect("upsert store");
    }
    commit(&mut writer);
    for id in 151..=220 {
        writer.upsert_product(&product(id, 0)).expect("upsert");
    }
    for id in (1..=150).step_by(7) {
        writer.upsert_product(&product(id, 1)).expect("rewrite");
    }
    commit(&mut writer);
    for id in (2..=220).step_by(11) {
        writer.delete_product(id);
    }
    for id in 221..=260 {
        writer.upsert_product(&product(id, 0)).expect("upsert");
    }
    commit(&mut writer);
    index.reload().expect("reload");
    index
}

/// The answer without the total (walked, unless the filters are so selective that collecting
/// is cheaper) and the collector's (total asked).
fn both(index: &SearchIndex, q: &ProductQuery) -> (ProductPage, ProductPage) {
    let walked = index
        .search_products(&ProductQuery {
            count_total: false,
            ..q.clone()
        })
        .expect("walk");
    let collected = index
        .search_products(&ProductQuery {
            count_total: true,
            ..q.clone()
        })
        .expect("collect");
    assert!(collected.total.is_some(), "the collector counts");
    (walked, collected)
}

fn ids_and_keys(page: &ProductPage) -> Vec<(u64, SortKey)> {
    page.hits.iter().map(|h| (h.id, h.key)).collect()
}

/// Pages through `q` with JSON cursors and checks every page against the collector's.
fn pages_agree(index: &SearchIndex, q: &ProductQuery) -> Vec<u64> {
    let mut seen = Vec::new();
    let mut after: Option<SortKey> = None;
    for _ in 0..=300 {
        let (walked, collected) = both(index, &ProductQuery { after, ..q.clone() });
        assert_eq!(
            ids_and_keys(&walked),
            ids_and_keys(&collected),
            "{q:?} after {after:?}"
        );
        assert_eq!(walked.has_more, collected.has_more, "{q:?} after {after:?}");
        seen.extend(walked.hits.iter().map(|h| h.id));
        let Some(last) = walked.hits.last() else {
            break;
        };
        let json = serde_json::to_string(&last.key).expect("serialise");
        after = Some(serde_json::from_str(&json).expect("parse"));
        if !walked.has_more {
            break;
        }
    }
    seen
}

#[test]
fn every_sort_pages_like_the_collector_with_cursors_ties_and_deletes() {
    let index = catalogue();
    let live = 260 - (2..=220).step_by(11).count();
    for sort in SORTS {
        for limit in [1, 7, 20, 300] {
            let seen = pages_agree(
                &index,
                &ProductQuery {
                    sort,
                    limit,
                    ..ProductQuery::default()
                },
            );
            assert_eq!(
                seen.len(),
                live,
                "{sort:?} by {limit}: each live product once"
            );
            let mut unique = seen.clone();
            unique.sort_unstable();
            unique.dedup();
            assert_eq!(unique.len(), live, "{sort:?} by {limit}: no repeats");
        }
    }
}

#[test]
fn filtered_pages_agree_with_the_collector() {
    let index = catalogue();
    let filters = [
        ProductQuery {
            category_ids: vec![11],
            ..ProductQuery::default()
        },
        ProductQuery {
            category_ids: vec![10, 13, 999],
            store_ids: vec![2, 3],
            ..ProductQuery::default()
        },
        ProductQuery {
            materials: vec!["lino".to_owned(), "seda".to_owned()],
            colors: vec!["rojo".to_owned()],
            ..ProductQuery::default()
        },
        ProductQuery {
            sizes: vec!["xl".to_owned()],
            ..ProductQuery::default()
        },
        ProductQuery {
            min_price_cents: Some(700),
            max_price_cents: Some(900),
            in_stock: true,
            ..ProductQuery::default()
        },
        ProductQuery {
            max_price_cents: Some(600),
            min_rating: Some(1.5),
            ..ProductQuery::default()
        },
        ProductQuery {
            min_price_cents: Some(900),
            max_price_cents: Some(700),
            ..ProductQuery::default()
        },
        ProductQuery {
            only_ids: vec![3, 4, 5, 151, 152, 259],
            ..ProductQuery::default()
        },
    ];
    for filter in filters {
        for sort in SORTS {
            for limit in [1, 4, 50] {
                pages_agree(
                    &index,
                    &ProductQuery {
                        sort,
                        limit,
                        ..filter.clone()
                    },
                );
            }
        }
    }
}
