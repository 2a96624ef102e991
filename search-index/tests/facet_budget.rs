//! A facet with a filter of its own is counted over the matches without that filter, which
//! can be the whole catalogue: that pass counts at most a budget of matches and extrapolates
//! the rest, saying so. The search's own pass stays exact.

use textisur_search_index::{
    CommitMeta, FacetCount, ProductDoc, ProductFacets, ProductQuery, SCHEMA_VERSION, SearchIndex,
    Synonyms,
};

const COLORS: [&str; 3] = ["Azul", "Rojo", "Verde"];

fn product(id: u64) -> ProductDoc {
    ProductDoc {
        id,
        store_id: id % 4 + 1,
        country: String::new(),
        category_ids: vec![1],
        category_names: vec!["Telas".to_owned()],
        name: format!("Tela {id}"),
        description: String::new(),
        materials: vec![["Lino", "Algodón"][(id % 2) as usize].to_owned()],
        // Azul twice as common as each of the others, evenly spread over doc ids.
        colors: vec![COLORS[[0, 0, 1, 2][(id % 4) as usize]].to_owned()],
        sizes: vec![],
        price_cents: 1_000 + (id % 10) as i64 * 100,
        in_stock: true,
        rating: 4.0,
        review_count: 0,
        sales_count: 0,
        created_at_micros: 1_830_000_000_000_000 + id as i64,
        variants: Vec::new(),
    }
}

/// 2,000 products in two segments, each in the order added (the extrapolation assumes the
/// colours evenly spread over doc ids; several indexing threads would shuffle them).
fn catalogue() -> SearchIndex {
    let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
    let mut writer = index.single_threaded_writer(50_000_000).expect("writer");
    for range in [1..=1_200, 1_201..=2_000] {
        for id in range {
            writer.upsert_product(&product(id)).expect("upsert");
        }
        writer
            .commit(&CommitMeta {
                schema_version: SCHEMA_VERSION,
                checkpoint: Default::default(),
            })
            .expect("commit");
    }
    index.reload().expect("reload");
    index
}

fn facets(index: &SearchIndex, colors: &[&str]) -> ProductFacets {
    index
        .search_products(&ProductQuery {
            colors: colors.iter().map(|c| c.to_lowercase()).collect(),
            limit: 10,
            facets: true,
            count_total: true,
            ..ProductQuery::default()
        })
        .expect("search")
        .facets
        .expect("facets")
}

fn count(values: &[FacetCount], value: &str) -> u64 {
    values
        .iter()
        .find(|v| v.value == value)
        .map_or(0, |v| v.count)
}

#[test]
fn a_large_pass_of_its_own_is_estimated_and_says_so() {
    let index = catalogue();
    let exact = facets(&index, &["Rojo"]);
    assert!(
        !exact.approximate,
        "2,000 matches are within the default budget"
    );
    assert_eq!(count(&exact.colors, "azul"), 1_000);
    assert_eq!(count(&exact.colors, "rojo"), 500);

    index.set_facet_pass_budget(200);
    let estimated = facets(&index, &["Rojo"]);
    assert!(estimated.approximate);
    for color in ["azul", "rojo", "verde"] {
        let (exact, estimated) = (count(&exact.colors, color), count(&estimated.colors, color));
        assert!(
            estimated.abs_diff(exact) * 10 <= exact,
            "{color}: {estimated} estimated, {exact} exact"
        );
    }
    // Facets without a filter of their own come from the search's own pass: exact.
    assert_eq!(estimated.materials, exact.materials);
    assert_eq!(estimated.price_ranges, exact.price_ranges);
}

#[test]
fn without_a_facet_filter_every_count_is_exact() {
    let index = catalogue();
    index.set_facet_pass_budget(200);
    let all = facets(&index, &[]);
    assert!(!all.approximate);
    assert_eq!(count(&all.colors, "azul"), 1_000);
    assert_eq!(count(&all.colors, "verde"), 500);
}
