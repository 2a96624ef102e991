//! Page cursors travel as JSON: the API serialises the last hit's sort key into the cursor
//! and parses it back to resume. A key that does not come back bit for bit resumes at the
//! wrong place: a hair above the last hit repeats it on the next page (forever with pages of
//! one), a hair below skips its ties.

use textisur_search_index::{
    CommitMeta, ProductDoc, ProductQuery, SCHEMA_VERSION, SearchIndex, SortKey, SortOrder,
    StoreDoc, StoreQuery, Synonyms,
};

/// A cheap deterministic spread of values.
fn spread(id: u64, modulo: u64) -> u64 {
    id.wrapping_mul(2_654_435_761) % modulo
}

fn product(id: u64) -> ProductDoc {
    // "camisa" in the name, the category or only the description: several base scores.
    let (name, category, description) = match id % 3 {
        0 => ("Camisa de lino", "Camisas", "Fresca"),
        1 => ("Blusa bordada", "Camisas", "Tela suave"),
        _ => ("Túnica de algodón", "Túnicas", "Se lleva como camisa"),
    };
    ProductDoc {
        id,
        store_id: id % 5 + 1,
        country: String::new(),
        category_ids: vec![id % 4 + 10, 1],
        category_names: vec![category.to_owned(), "Ropa".to_owned()],
        name: name.to_owned(),
        description: description.to_owned(),
        materials: vec!["Lino".to_owned()],
        colors: vec!["Azul".to_owned()],
        sizes: vec!["M".to_owned()],
        price_cents: 500 + spread(id, 50_000) as i64,
        in_stock: true,
        rating: spread(id, 501) as f64 / 100.0,
        review_count: spread(id, 40),
        sales_count: spread(id, 2_000),
        // Microseconds from 2027 on: 16 digits, past 2^54 / 10.
        created_at_micros: 1_830_000_000_000_000 + spread(id, 63_072_000_000_000) as i64,
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
        location: Some((
            -31.4 + spread(id, 10_000) as f64 / 3_000.0,
            -64.2 + spread(id * 7, 10_000) as f64 / 3_000.0,
        )),
        rating: 0.0,
    }
}

fn catalogue() -> SearchIndex {
    let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
    let mut writer = index.writer(50_000_000).expect("writer");
    for id in 1..=240 {
        writer.upsert_product(&product(id)).expect("upsert product");
    }
    for id in 1..=60 {
        writer.upsert_store(&store(id)).expect("upsert store");
    }
    writer
        .commit(&CommitMeta {
            schema_version: SCHEMA_VERSION,
            checkpoint: Default::default(),
        })
        .expect("commit");
    index.reload().expect("reload");
    index
}

/// The key as the next request sees it: through JSON and back.
fn through_json(key: SortKey) -> SortKey {
    let json = serde_json::to_string(&key).expect("serialise key");
    serde_json::from_str(&json).expect("parse key")
}

#[test]
fn a_relevance_value_that_serde_json_used_to_misparse_comes_back_exactly() {
    // The last hit of a page in a failing run of `pagination_props` (RELEVANCE, "camisa"):
    // parsed back as 2.691373735065969, one ulp above, which repeated the hit.
    let key = SortKey {
        value: 2.691_373_735_065_968_6,
        id: 56,
    };
    assert_eq!(through_json(key), key);
}

#[test]
fn every_sort_key_survives_a_json_round_trip() {
    let index = catalogue();
    let sorts = [
        SortOrder::Relevance,
        SortOrder::PriceAsc,
        SortOrder::PriceDesc,
        SortOrder::Newest,
        SortOrder::Popular,
        SortOrder::TopRated,
    ];
    let mut keys = Vec::new();
    for sort in sorts {
        let page = index
            .search_products(&ProductQuery {
                text: Some("camisa".to_owned()),
                sort,
                limit: 1_000,
                ..ProductQuery::default()
            })
            .expect("search products");
        keys.extend(page.hits.iter().map(|h| (format!("{sort:?}"), h.key)));
    }
    let stores = index
        .search_stores(&StoreQuery {
            near: Some((-31.42, -64.18)),
            limit: 1_000,
            ..StoreQuery::default()
        })
        .expect("search stores");
    keys.extend(stores.hits.iter().map(|h| ("distance".to_owned(), h.key)));
    assert!(keys.len() > 1_000, "{} keys", keys.len());
    let changed: Vec<_> = keys
        .iter()
        .filter(|(_, key)| through_json(*key) != *key)
        .collect();
    assert!(
        changed.is_empty(),
        "{} of {} keys change through JSON, e.g. {:?}",
        changed.len(),
        keys.len(),
        &changed[..changed.len().min(3)]
    );
}

#[test]
fn relevance_pages_resumed_from_json_cursors_never_repeat_or_skip() {
    let index = catalogue();
    let all = index
        .search_products(&ProductQuery {
            text: Some("camisa".to_owned()),
            limit: 1_000,
            ..ProductQuery::default()
        })
        .expect("search");
    assert_eq!(all.hits.len(), 240, "every product matches");
    for page_size in [1, 2, 3, 7] {
        let mut seen = Vec::new();
        let mut after = None;
        // Pages of one that repeat their hit would never end.
        for _ in 0..=all.hits.len() {
            let page = index
                .search_products(&ProductQuery {
                    text: Some("camisa".to_owned()),
                    after,
                    limit: page_size,
                    ..ProductQuery::default()
                })
                .expect("search");
            seen.extend(page.hits.iter().map(|h| h.id));
            after = page.hits.last().map(|h| through_json(h.key));
            if !page.has_more {
                break;
            }
        }
        let expected: Vec<u64> = all.hits.iter().map(|h| h.id).collect();
        let diverges = seen.iter().zip(&expected).position(|(a, b)| a != b);
        assert!(
            seen == expected,
            "pages of {page_size}: {} hits for {}, first off at {diverges:?}: {:?}",
            seen.len(),
            expected.len(),
            diverges.map(|at| &seen[at.saturating_sub(1)..(at + 3).min(seen.len())]),
        );
    }
}
