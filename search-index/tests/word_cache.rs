//! The word cache changes no answer: pages, totals, facets and highlights are the same with
//! the kept word lists as with the plain unions, on first use and on reuse, over several
//! segments, after deletes and after a merge.
//!
//! One test in its own binary: the cache switch is process-wide.

use textisur_search_index::{
    CommitMeta, ProductDoc, ProductPage, ProductQuery, SCHEMA_VERSION, SearchIndex, SortOrder,
    Synonyms, set_word_cache_bytes,
};

const TYPES: [&str; 6] = [
    "Camisa",
    "Vestido",
    "Mantel",
    "Poncho",
    "Remera",
    "Pantalón",
];
const MATERIALS: [&str; 4] = ["lino", "algodón", "lana", "seda"];
const COLORS: [&str; 4] = ["blanco", "azul", "rojo", "verde"];

fn product(id: u64) -> ProductDoc {
    let kind = TYPES[id as usize % TYPES.len()];
    let material = MATERIALS[id as usize / 7 % MATERIALS.len()];
    let color = COLORS[id as usize / 3 % COLORS.len()];
    ProductDoc {
        id,
        store_id: id % 5 + 1,
        country: String::new(),
        category_ids: vec![id % 3 + 10, 1],
        category_names: vec![format!("{kind}s"), "Ropa".to_owned()],
        name: format!("{kind} de {material} {color}"),
        description: format!("Ideal para el verano, de {material}. Color {color}, talle único."),
        materials: vec![material.to_owned()],
        colors: vec![color.to_owned()],
        sizes: vec![["S", "M", "L"][id as usize % 3].to_owned()],
        price_cents: 1_000 + 137 * id as i64,
        in_stock: !id.is_multiple_of(4),
        rating: (id % 5) as f64,
        review_count: id % 7,
        sales_count: id % 11,
        created_at_micros: id as i64,
        // Half the products sell their size and colour as a variant in stock, which the
        // variant bonus looks up through the same cache.
        variants: if id.is_multiple_of(2) {
            vec![vec![
                ["S", "M", "L"][id as usize % 3].to_owned(),
                color.to_owned(),
            ]]
        } else {
            Vec::new()
        },
    }
}

fn commit(w: &mut textisur_search_index::IndexWriter) {
    w.commit(&CommitMeta {
        schema_version: SCHEMA_VERSION,
        checkpoint: Default::default(),
    })
    .expect("commit");
}

fn queries() -> Vec<ProductQuery> {
    let text = |t: &str| ProductQuery {
        text: Some(t.to_owned()),
        limit: 12,
        facets: true,
        count_total: true,
        highlights: true,
        correct_spelling: true,
        ..ProductQuery::default()
    };
    let mut out = vec![
        text("camisa"),
        text("camisas de lino"),
        text("vestdo azul"),
        text("mantel lin"),
        text("remera algodon roja"),
        text("poncho lana verde"),
        text("remera roja talle m"),
    ];
    let mut filtered = text("camisa lino");
    filtered.colors = vec!["azul".to_owned()];
    filtered.category_ids = vec![10];
    out.push(filtered);
    let mut sorted = text("lino");
    sorted.sort = SortOrder::PriceAsc;
    out.push(sorted);
    out
}

fn answers(index: &SearchIndex) -> Vec<ProductPage> {
    queries()
        .iter()
        .map(|q| index.search_products(q).expect("search"))
        .collect()
}

fn both_ways(index: &SearchIndex, when: &str) {
    set_word_cache_bytes(0);
    let plain = answers(index);
    set_word_cache_bytes(64 << 20);
    let first = answers(index);
    let again = answers(index);
    assert!(
        plain.iter().any(|p| p.total.unwrap_or(0) > 0),
        "{when}: the queries match something"
    );
    for (i, q) in queries().iter().enumerate() {
        assert_eq!(plain[i], first[i], "{when}, first use: {q:?}");
        assert_eq!(plain[i], again[i], "{when}, reuse: {q:?}");
    }
}

#[test]
fn kept_word_lists_answer_like_the_unions() {
    let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
    let mut w = index.single_threaded_writer(50_000_000).expect("writer");
    // Three segments.
    for chunk in [1..=120, 121..=240, 241..=360] {
        for id in chunk {
            w.upsert_product(&product(id)).expect("upsert");
        }
        commit(&mut w);
    }
    index.reload().expect("reload");
    both_ways(&index, "three segments");

    // Deleted documents stay in the kept lists; the searcher's deletes must hide them.
    let before = index
        .search_products(&queries()[1])
        .expect("search")
        .total
        .expect("total");
    for id in (1..=360u64).filter(|id| id.is_multiple_of(6)) {
        w.delete_product(id);
    }
    commit(&mut w);
    index.reload().expect("reload");
    let after = index
        .search_products(&queries()[1])
        .expect("search")
        .total
        .expect("total");
    assert!(
        after < before,
        "deletes shrink the total: {before} -> {after}"
    );
    both_ways(&index, "after deletes");

    // New documents land in a new segment; a merge makes new segments of the old ones.
    for id in 361..=400 {
        w.upsert_product(&product(id)).expect("upsert");
    }
    commit(&mut w);
    index.reload().expect("reload");
    both_ways(&index, "after adding");
    w.merge_all().expect("merge");
    index.reload().expect("reload");
    both_ways(&index, "after a merge");
}
