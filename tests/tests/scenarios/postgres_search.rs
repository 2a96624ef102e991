//! The PostgreSQL search backend (`products::db`): forgiving matching (accents, plurals,
//! prefixes, one typo), user text that looks like tsquery syntax, keyset pages over both
//! the text and the typo branch, disjunctive facets, and the document kept fresh by writes.

use std::collections::{HashMap, HashSet};

use textisur_api::catalogue::products::db;
use textisur_api::catalogue::products::{Product, ProductCursor, ProductListing, ProductSort};
use textisur_api::graphql::ids::{CategoryId, StoreId};
use textisur_tests::TestApp;

fn text(q: &str) -> ProductListing {
    ProductListing {
        text: Some(q.to_owned()),
        ..ProductListing::default()
    }
}

async fn names(app: &TestApp, listing: &ProductListing) -> Vec<String> {
    db::list(&app.db, listing, None, 100)
        .await
        .expect("list")
        .into_iter()
        .map(|hit| hit.product.name.clone())
        .collect()
}

async fn count(app: &TestApp, listing: &ProductListing) -> i64 {
    db::count(&app.db, listing).await.expect("count")
}

/// Every product of a listing, in one go.
async fn every_row(app: &TestApp, listing: ProductListing) -> Vec<Product> {
    db::list(&app.db, &listing, None, 100_000)
        .await
        .expect("rows")
        .into_iter()
        .map(|hit| hit.product)
        .collect()
}

/// Every product of a listing, walked in pages of `page`.
async fn walk(app: &TestApp, listing: &ProductListing, page: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after: Option<ProductCursor> = None;
    loop {
        let hits = db::list(&app.db, listing, after.as_ref(), page)
            .await
            .expect("page");
        ids.extend(hits.iter().map(|hit| hit.product.id.0));
        match hits.last() {
            Some(last) if hits.len() == page => after = Some(last.cursor(listing.sort)),
            _ => return ids,
        }
    }
}

#[tokio::test]
async fn matching_forgives_accents_plurals_prefixes_and_a_typo() {
    let app = TestApp::seeded(600).await;
    let accented = count(&app, &text("algodón")).await;
    assert!(accented > 0);
    assert_eq!(count(&app, &text("algodon")).await, accented);
    assert_eq!(count(&app, &text("ALGODON")).await, accented);

    let singular = count(&app, &text("camisa")).await;
    assert!(singular > 0);
    assert_eq!(count(&app, &text("camisas")).await, singular);

    assert!(
        names(&app, &text("alpa"))
            .await
            .iter()
            .any(|n| n.to_lowercase().contains("alpaca"))
    );

    let typo = names(&app, &text("vestdo")).await;
    assert!(!typo.is_empty(), "a typo falls back to similar names");
    assert!(typo.iter().all(|n| n.starts_with("Vestido")), "{typo:?}");
    assert_eq!(
        count(&app, &text("vestdo")).await,
        typo.len() as i64,
        "count agrees with the typo branch"
    );

    // A typo and a word that matches: dresses of one colour (in the name or the colours).
    let dress: String =
        sqlx::query_scalar!("SELECT name FROM products WHERE name LIKE 'Vestido %' LIMIT 1")
            .fetch_one(app.db.pool())
            .await
            .expect("a dress");
    let colour = dress.rsplit(' ').next().unwrap_or_default().to_owned();
    let typo_and_word = names(&app, &text(&format!("vestdo {colour}"))).await;
    assert!(typo_and_word.contains(&dress), "{typo_and_word:?}");
    assert!(
        typo_and_word.iter().all(|n| n.starts_with("Vestido")),
        "{typo_and_word:?}"
    );

    // Every word must match: a word found nowhere makes the words match nothing.
    assert_eq!(count(&app, &text("camisa zzzzqqq")).await, 0);
}

#[tokio::test]
async fn user_text_never_becomes_query_syntax() {
    let app = TestApp::seeded(100).await;
    for q in [
        "'",
        "\\",
        "!",
        "&",
        "|",
        ":*",
        "camisa & !lino",
        "a:*b",
        "(",
        "<->",
        "'camisa':*",
        "camisa | lino",
        "\u{0}",
        "ñandú",
        "x".repeat(300).as_str(),
        "de la",
    ] {
        let listing = text(q);
        db::list(&app.db, &listing, None, 20)
            .await
            .unwrap_or_else(|e| panic!("list {q:?}: {}", e.message()));
        db::count(&app.db, &listing)
            .await
            .unwrap_or_else(|e| panic!("count {q:?}: {}", e.message()));
        db::facet_counts::facets(&app.db, &listing)
            .await
            .unwrap_or_else(|e| panic!("facets {q:?}: {}", e.message()));
    }
    // Operators are not operators: `camisa | lino` needs both words, like `camisa lino`.
    assert_eq!(
        count(&app, &text("camisa | lino")).await,
        count(&app, &text("camisa lino")).await
    );
}

#[tokio::test]
async fn pages_by_relevance_walk_every_match_once() {
    let app = TestApp::seeded(600).await;
    for q in ["lana", "vestdo", "camisa lino"] {
        for sort in [
            ProductSort::Relevance,
            ProductSort::PriceAsc,
            ProductSort::Newest,
        ] {
            let listing = ProductListing { sort, ..text(q) };
            let ids = walk(&app, &listing, 7).await;
            let unique: HashSet<i64> = ids.iter().copied().collect();
            assert_eq!(unique.len(), ids.len(), "{q} {sort:?} repeats a row");
            assert_eq!(
                ids.len() as i64,
                count(&app, &listing).await,
                "{q} {sort:?}"
            );
            assert!(!ids.is_empty(), "{q}");
        }
    }
}

/// Facet counts computed from the rows themselves: the listing without the facet's own
/// filter, walked in full.
#[tokio::test]
async fn facets_are_disjunctive_and_agree_with_the_rows() {
    let app = TestApp::seeded(600).await;
    let parents: HashMap<i64, Option<i64>> = sqlx::query!("SELECT id, parent_id FROM categories")
        .fetch_all(app.db.pool())
        .await
        .expect("categories")
        .into_iter()
        .map(|r| (r.id, r.parent_id))
        .collect();
    let some_store: i64 = sqlx::query_scalar!("SELECT store_id FROM products ORDER BY id LIMIT 1")
        .fetch_one(app.db.pool())
        .await
        .expect("a store");
    let root: i64 = sqlx::query_scalar!("SELECT id FROM categories WHERE slug = 'ropa'")
        .fetch_one(app.db.pool())
        .await
        .expect("a root category");
    let listing = ProductListing {
        color_keys: vec!["rojo".into(), "negro".into()],
        material_keys: vec!["algodón".into()],
        category_ids: vec![CategoryId(root)],
        min_price: Some("1".parse().expect("a price")),
        ..text("ideal")
    };
    let facets = db::facet_counts::facets(&app.db, &listing)
        .await
        .expect("facets");

    let tally = |values: Vec<String>| {
        let mut m: HashMap<String, u64> = HashMap::new();
        for v in values {
            *m.entry(v).or_default() += 1;
        }
        m
    };
    macro_rules! as_map {
        ($list:expr) => {
            $list
                .iter()
                .map(|f| (f.value.clone(), f.count))
                .collect::<HashMap<_, _>>()
        };
    }

    let without_colors = every_row(
        &app,
        ProductListing {
            color_keys: vec![],
            ..listing.clone()
        },
    )
    .await;
    let expected = tally(
        without_colors
            .iter()
            .flat_map(|p| p.colors.iter().map(|c| c.to_lowercase()))
            .collect(),
    );
    assert!(expected.len() > 2, "other colours stay visible");
    assert_eq!(as_map!(facets.colors), expected);

    let without_materials = every_row(
        &app,
        ProductListing {
            material_keys: vec![],
            ..listing.clone()
        },
    )
    .await;
    let expected = tally(
        without_materials
            .iter()
            .flat_map(|p| p.materials.iter().map(|c| c.to_lowercase()))
            .collect(),
    );
    assert_eq!(as_map!(facets.materials), expected);

    let without_categories = every_row(
        &app,
        ProductListing {
            category_ids: vec![],
            ..listing.clone()
        },
    )
    .await;
    let mut with_ancestors = Vec::new();
    for p in &without_categories {
        let mut at = Some(p.category_id.0);
        while let Some(id) = at {
            with_ancestors.push(id.to_string());
            at = parents.get(&id).copied().flatten();
        }
    }
    assert_eq!(as_map!(facets.categories), tally(with_ancestors));

    let without_price = every_row(
        &app,
        ProductListing {
            min_price: None,
            ..listing.clone()
        },
    )
    .await;
    let priced: u64 = facets.price_ranges.iter().map(|b| b.count).sum();
    assert_eq!(priced, without_price.len() as u64);
    for p in &without_price {
        let price: f64 = p.price.to_string().parse().expect("a price");
        let cents = (price * 100.0).round() as i64;
        let inside = facets.price_ranges.iter().any(|b| {
            b.min_cents.is_none_or(|min| cents >= min) && b.max_cents.is_none_or(|max| cents < max)
        });
        assert!(inside, "price {} has a bucket", p.price);
    }

    let within_store = ProductListing {
        store_ids: vec![StoreId(some_store)],
        ..ProductListing::default()
    };
    let facets = db::facet_counts::facets(&app.db, &within_store)
        .await
        .expect("facets");
    let everything = count(&app, &ProductListing::default()).await;
    let stores: u64 = facets.stores.iter().map(|s| s.count).sum();
    assert!(
        facets.stores.len() > 1,
        "a store filter leaves the other stores counted"
    );
    assert_eq!(stores, everything as u64);
    assert_eq!(
        facets
            .stores
            .iter()
            .find(|s| s.value == some_store.to_string())
            .map(|s| s.count),
        Some(count(&app, &within_store).await as u64)
    );
}

#[tokio::test]
async fn writes_keep_the_document_fresh() {
    let app = TestApp::seeded(100).await;
    let (id, category): (i64, i64) = sqlx::query!(
        "SELECT id, category_id FROM products WHERE status = 'ACTIVE' ORDER BY id LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .map(|r| (r.id, r.category_id))
    .expect("a product");
    sqlx::query!(
        "UPDATE products SET name = name || ' zqxmarcador' WHERE id = $1",
        id
    )
    .execute(app.db.pool())
    .await
    .expect("rename product");
    let hits = db::list(&app.db, &text("zqxmarcador"), None, 5)
        .await
        .expect("list");
    assert_eq!(
        hits.iter().map(|h| h.product.id.0).collect::<Vec<_>>(),
        vec![id]
    );

    let in_category = count(
        &app,
        &ProductListing {
            category_ids: vec![CategoryId(category)],
            ..ProductListing::default()
        },
    )
    .await;
    sqlx::query!(
        "UPDATE categories SET name = 'Categoría zqxrenombrada' WHERE id = $1",
        category
    )
    .execute(app.db.pool())
    .await
    .expect("rename category");
    assert_eq!(count(&app, &text("zqxrenombrada")).await, in_category);
    assert_eq!(count(&app, &text("zqxrenombrada zqxmarcador")).await, 1);
}
