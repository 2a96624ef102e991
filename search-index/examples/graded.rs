//! Runs queries over the graded relevance catalogue (`tests/relevance/catalogue.json`) in an
//! in-memory index and prints each hit's relevance key: the matched word units (key /
//! 10,000) and the rest. For tuning the ranking; the graded test itself is
//! `tests/tests/scenarios/relevance.rs`.
//!
//! cargo run -q -p textisur-search-index --example graded -- "cortina de voile blanca" ...

use textisur_search_index::{
    CommitMeta, ProductDoc, ProductQuery, SCHEMA_VERSION, SearchIndex, Synonyms,
};

fn main() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/relevance/catalogue.json"
    );
    let text = std::fs::read_to_string(path).expect("catalogue.json");
    let products: Vec<serde_json::Value> = serde_json::from_str(&text).expect("json");
    let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
    let mut w = index.writer(50_000_000).expect("writer");
    let list = |p: &serde_json::Value, k: &str| -> Vec<String> {
        p[k].as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut names = Vec::new();
    for (i, p) in products.iter().enumerate() {
        let s = |k: &str| p[k].as_str().unwrap_or_default().to_owned();
        names.push(format!("{} {} | {}", s("ref"), s("name"), s("description")));
        w.upsert_product(&ProductDoc {
            id: i as u64 + 1,
            store_id: 1,
            country: s("country"),
            category_ids: vec![1],
            category_names: vec![s("category")],
            name: s("name"),
            description: s("description"),
            materials: list(p, "materials"),
            colors: list(p, "colors"),
            sizes: list(p, "sizes"),
            price_cents: 100,
            in_stock: true,
            rating: 0.0,
            review_count: 0,
            sales_count: 0,
            created_at_micros: i as i64,
            variants: Vec::new(),
        })
        .expect("upsert");
    }
    w.commit(&CommitMeta {
        schema_version: SCHEMA_VERSION,
        checkpoint: Default::default(),
    })
    .expect("commit");
    index.reload().expect("reload");
    for q in std::env::args().skip(1) {
        println!("{q}");
        let page = index
            .search_products(&ProductQuery {
                text: Some(q.clone()),
                limit: 10,
                ..ProductQuery::default()
            })
            .expect("search");
        for hit in page.hits {
            let line = &names[hit.id as usize - 1];
            println!(
                "  {:?} {}",
                hit.key,
                line.chars().take(110).collect::<String>()
            );
        }
    }
}
