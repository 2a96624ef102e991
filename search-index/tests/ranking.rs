//! The shopper's forgiveness rules of API.md, on a small catalogue in an in-memory index.

use proptest::strategy::Strategy;
use textisur_search_index::{
    CommitMeta, ProductDoc, ProductQuery, SCHEMA_VERSION, SearchIndex, SortOrder, Synonyms,
};

fn product(id: u64, name: &str, category: &str, materials: &[&str], colors: &[&str]) -> ProductDoc {
    ProductDoc {
        id,
        store_id: id % 3 + 1,
        country: String::new(),
        category_ids: vec![id % 4 + 10, 1],
        category_names: vec![category.to_owned(), "Ropa".to_owned()],
        name: name.to_owned(),
        description: format!("{name}, hecho a mano en el sur."),
        materials: materials.iter().map(|s| s.to_string()).collect(),
        colors: colors.iter().map(|s| s.to_string()).collect(),
        sizes: vec!["M".to_owned()],
        price_cents: 1_000 * id as i64,
        in_stock: true,
        rating: 4.0,
        review_count: 3,
        sales_count: id,
        created_at_micros: id as i64,
        variants: Vec::new(),
    }
}

fn catalogue() -> SearchIndex {
    let docs = [
        product(1, "Camisa de algodón", "Camisas", &["Algodón"], &["Blanco"]),
        product(2, "Vestido de lino", "Vestidos", &["Lino"], &["Azul"]),
        product(3, "Poncho de alpaca", "Ponchos", &["Alpaca"], &["Gris"]),
        product(
            4,
            "Pantalón de mezclilla",
            "Pantalones",
            &["Mezclilla"],
            &["Azul"],
        ),
        product(5, "Paño lenci verde", "Telas", &["Paño"], &["Verde"]),
        product(6, "Mantel de lino", "Mantelería", &["Lino"], &["Blanco"]),
        product(7, "Bufanda de lana", "Accesorios", &["Lana"], &["Rojo"]),
        product(8, "Camisa de lino", "Camisas", &["Lino"], &["Azul"]),
        product(9, "Tela de seda", "Telas", &["Seda"], &["Rojo"]),
        product(10, "Pano de cocina", "Cocina", &["Algodón"], &["Blanco"]),
    ];
    indexed(&docs)
}

/// An in-memory index of `docs`, committed and reloaded.
fn indexed(docs: &[ProductDoc]) -> SearchIndex {
    let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
    let mut w = index.writer(50_000_000).expect("writer");
    for d in docs {
        w.upsert_product(d).expect("upsert");
    }
    w.commit(&CommitMeta {
        schema_version: SCHEMA_VERSION,
        checkpoint: Default::default(),
    })
    .expect("commit");
    index.reload().expect("reload");
    index
}

fn ids(index: &SearchIndex, text: &str) -> Vec<u64> {
    let page = index
        .search_products(&ProductQuery {
            text: Some(text.to_owned()),
            limit: 10,
            ..ProductQuery::default()
        })
        .expect("search");
    page.hits.iter().map(|h| h.id).collect()
}

fn rank_of(index: &SearchIndex, text: &str, id: u64) -> Option<usize> {
    ids(index, text)
        .iter()
        .position(|x| *x == id)
        .map(|p| p + 1)
}

#[test]
fn forgiving_matches_rank_their_target_first() {
    let index = catalogue();
    assert_eq!(rank_of(&index, "algodon", 1), Some(1), "accent");
    assert_eq!(
        rank_of(&index, "camisas", 1).max(rank_of(&index, "camisas", 8)),
        Some(2),
        "plural"
    );
    assert_eq!(rank_of(&index, "vestdo", 2), Some(1), "typo");
    assert_eq!(rank_of(&index, "alpa", 3), Some(1), "prefix");
    assert_eq!(rank_of(&index, "jean", 4), Some(1), "synonym");
    // The one product with both words first; with so few full matches, those with one of
    // the two follow (coverage ranking), the product type's word in the name first.
    let both = ids(&index, "camisa lino");
    assert_eq!(both[0], 8, "two words");
    let mut rest = both[1..].to_vec();
    rest.sort_unstable();
    assert_eq!(rest, [1, 2, 6], "one of the two words");
}

#[test]
fn partial_matches_come_back_below_full_ones_only_when_few_match_everything() {
    let index = catalogue();
    // No product has all three words: the one with two of them comes first, then those
    // with one (the few products with two do not fill a page).
    let page = ids(&index, "camisa lino rojo");
    assert_eq!(page[0], 8, "camisa and lino");
    assert!(
        page.contains(&1) && page.contains(&9),
        "camisa, or rojo alone: {page:?}"
    );
    // A word that matches nothing does not empty the page.
    assert_eq!(ids(&index, "poncho xyzzy"), vec![3]);
}

fn sorted(ids: &[u64]) -> Vec<u64> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids
}

/// An index of `(id, name, store country)`, nothing else set.
fn listed(products: &[(u64, &str, &str)]) -> SearchIndex {
    let docs: Vec<ProductDoc> = products
        .iter()
        .map(|(id, name, country)| {
            let mut doc = product(*id, name, "Varios", &[], &[]);
            doc.description = String::new();
            doc.country = (*country).to_owned();
            doc
        })
        .collect();
    indexed(&docs)
}

#[test]
fn the_query_names_the_type_and_the_vocabulary_keeps_meanings_apart() {
    let index = listed(&[
        (1, "Voile blanco por metro", "AR"),
        (2, "Cortina de voile blanca", "AR"),
        (3, "Gorro de lana", "UY"),
        (4, "Gorra con visera", "UY"),
        (5, "Polera básica negra", "CL"),
        (6, "Polera con capucha negra", "PE"),
        (7, "Remera negra", "AR"),
        (8, "Pantuflas de corderito", "AR"),
        (9, "Zapatillas urbanas", "AR"),
        (10, "Tanza de nylon", "AR"),
    ]);
    // The query's first word says what it wants: a voile curtain before voile fabric.
    assert_eq!(ids(&index, "cortina de voile")[0], 2);
    // The stemmer joins gorra and gorro; the vocabulary lists them apart.
    assert_eq!(ids(&index, "gorra"), vec![4]);
    assert_eq!(ids(&index, "gorros"), vec![3]);
    // A phrase of the vocabulary is one word: slippers, not sneakers.
    assert_eq!(ids(&index, "zapatillas de casa"), vec![8]);
    // A polera is a t-shirt in Chile, a sweatshirt in Peru (with so few full matches, the
    // products that are only black follow).
    let remeras = ids(&index, "remera negra");
    assert_eq!(sorted(&remeras[..2]), [5, 7], "{remeras:?}");
    assert_eq!(remeras[2], 6, "{remeras:?}");
    let hoodies = ids(&index, "buzo negro");
    assert_eq!(hoodies[0], 6, "{hoodies:?}");
    // Typed, a tagged word finds every meaning.
    let poleras = ids(&index, "polera");
    assert!(poleras.contains(&5) && poleras.contains(&6), "{poleras:?}");
    // Regional names of one thing meet.
    assert_eq!(ids(&index, "sedal"), vec![10]);
}

#[test]
fn enye_keeps_words_apart_and_text_never_errors() {
    let index = catalogue();
    assert_eq!(ids(&index, "paño "), vec![5]);
    assert_eq!(ids(&index, "pano "), vec![10]);
    for hostile in [
        "\"",
        "AND OR NOT",
        "title:(",
        "*",
        "~2",
        "[1 TO 2]",
        "\\",
        "   ",
        "🧵",
    ] {
        ids(&index, hostile);
    }
}

#[test]
fn a_typo_suggests_the_right_spelling_and_highlights_are_escaped() {
    let index = catalogue();
    let page = index
        .search_products(&ProductQuery {
            text: Some("vestdo".to_owned()),
            limit: 5,
            highlights: true,
            correct_spelling: true,
            ..ProductQuery::default()
        })
        .expect("search");
    assert_eq!(page.corrected_query.as_deref(), Some("vestido"));
    assert_eq!(
        page.hits[0].highlights[0],
        ("name".to_owned(), "<mark>Vestido</mark> de lino".to_owned())
    );
    let exact = index
        .search_products(&ProductQuery {
            text: Some("vestido".to_owned()),
            limit: 5,
            correct_spelling: true,
            ..ProductQuery::default()
        })
        .expect("search");
    assert_eq!(exact.corrected_query, None);
}

#[test]
fn facet_counts_ignore_their_own_filter() {
    let index = catalogue();
    let search = |colors: Vec<String>| {
        index
            .search_products(&ProductQuery {
                colors,
                limit: 20,
                facets: true,
                ..ProductQuery::default()
            })
            .expect("search")
    };
    let all = search(Vec::new());
    let blue = search(vec!["azul".to_owned()]);
    let all_facets = all.facets.expect("facets");
    let blue_facets = blue.facets.expect("facets");
    assert_eq!(all_facets.colors, blue_facets.colors);
    assert_eq!(blue.total, Some(3));
    assert_ne!(all_facets.materials, blue_facets.materials);
    let lino = blue_facets
        .materials
        .iter()
        .find(|m| m.value == "lino")
        .expect("lino");
    assert_eq!(lino.count, 2);
}

#[test]
fn every_sort_pages_without_skips_or_repeats() {
    let index = catalogue();
    for sort in [
        SortOrder::Relevance,
        SortOrder::PriceAsc,
        SortOrder::PriceDesc,
        SortOrder::Newest,
        SortOrder::Popular,
        SortOrder::TopRated,
    ] {
        for text in [None, Some("de")] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = index
                    .search_products(&ProductQuery {
                        text: text.map(str::to_owned),
                        sort,
                        after,
                        limit: 3,
                        ..ProductQuery::default()
                    })
                    .expect("search");
                seen.extend(page.hits.iter().map(|h| h.id));
                after = page.hits.last().map(|h| h.key);
                if !page.has_more {
                    break;
                }
            }
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), seen.len(), "{sort:?} {text:?} repeated");
            if text.is_none() {
                assert_eq!(seen.len(), 10, "{sort:?} skipped");
            }
        }
    }
}

#[test]
fn the_first_relaxed_step_gives_the_same_page_by_intersections_as_by_the_union() {
    let index = catalogue();
    // Without facets the step runs one intersection per left-out word; with facets, the
    // union of the words with a minimum. Both must give the same page and total.
    for text in [
        "camisa lino rojo",
        "camisa lino",
        "vestido lino azul",
        "poncho xyzzy",
    ] {
        for limit in [1, 2, 10] {
            let search = |facets| {
                index
                    .search_products(&ProductQuery {
                        text: Some(text.to_owned()),
                        limit,
                        facets,
                        ..ProductQuery::default()
                    })
                    .expect("search")
            };
            let (a, b) = (search(false), search(true));
            let ids = |p: &textisur_search_index::ProductPage| {
                p.hits
                    .iter()
                    .map(|h| (h.id, h.key.value.to_bits()))
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&a), ids(&b), "{text} first {limit}");
            assert_eq!(
                (a.total, a.has_more),
                (b.total, b.has_more),
                "{text} first {limit}"
            );
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Whatever a shopper types (accents, ñ, measures, punctuation, half a word), the search
    /// with everything a page asks for and the autocomplete answer; a completion keeps the
    /// words typed before the one it completes. A word ending in `ñ` once panicked, and a
    /// measure before the last word cut the typed text at the rewritten text's positions
    /// ("280 añ" panicked in the autocomplete).
    #[test]
    fn any_text_searches_and_completes(
        text in proptest::collection::vec(
            proptest::prop_oneof![
                "[a-zA-ZñÑáéíóúü,.0-9x-]{1,8}",
                proptest::sample::select(vec![
                    "ancho", "280", "2,80", "1,5", "m", "mts", "x", "140", "de", "cam", "camisa",
                    "vestdo", "pañ", "bordó", "lino", "azul", "para", "algo",
                ]).prop_map(str::to_owned),
            ],
            0..6,
        ).prop_map(|words| words.join(" ")),
        trailing_space in proptest::bool::ANY,
    ) {
        let text = if trailing_space { format!("{text} ") } else { text };
        static INDEX: std::sync::LazyLock<SearchIndex> = std::sync::LazyLock::new(catalogue);
        let page = INDEX.search_products(&ProductQuery {
            text: Some(text.clone()),
            limit: 5,
            facets: true,
            highlights: true,
            correct_spelling: true,
            colors: vec!["azul".to_owned()],
            ..ProductQuery::default()
        });
        proptest::prop_assert!(page.is_ok(), "{text:?}: {page:?}");
        let suggestions = INDEX.suggest(&text, None, 8);
        proptest::prop_assert!(suggestions.is_ok(), "{text:?}");
        for s in suggestions.iter().flatten().filter(|s| !s.text.is_empty()) {
            // The words before the completed one are the first words typed, as typed.
            let words: Vec<&str> = s.text.split_whitespace().collect();
            let before = &words[..words.len().saturating_sub(1)];
            proptest::prop_assert!(
                text.split_whitespace().take(before.len()).eq(before.iter().copied()),
                "{text:?} completed as {:?}", s.text
            );
        }
    }
}
