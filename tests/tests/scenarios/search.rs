//! Search acceptance, end to end: products created through the API by a seller, indexed by
//! the real indexer into a real tantivy index, searched over HTTP.

use serde_json::{Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_tests::{Account, TestApp, TestOptions};

const CREATE: &str = "mutation($i: CreateProductInput!) { createProduct(input: $i) {
    product { id } consistencyToken userErrors { field code message } } }";

const SEARCH: &str =
    "query($q: String, $f: ProductFilter, $s: ProductSort = RELEVANCE, $n: Int = 20, $a: String) {
    products(query: $q, filter: $f, sort: $s, first: $n, after: $a) {
      totalCount correctedQuery
      edges { cursor node { id name } highlights { field snippet } }
      pageInfo { hasNextPage endCursor }
      facets { materials { value label count } colors { value count }
               categories { value label count } stores { value label count }
               priceRanges { min max count } } } }";

struct Catalogue {
    app: TestApp,
    seller: Account,
    store: String,
    ids: std::collections::HashMap<&'static str, String>,
}

/// key, name, category, materials, colors, price
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

const PRODUCTS: &[Row] = &[
    (
        "camisa_algodon",
        "Camisa de algodón",
        "Camisas",
        &["Algodón"],
        &["Blanco"],
        "25.00",
    ),
    (
        "vestido_lino",
        "Vestido de lino",
        "Vestidos",
        &["Lino"],
        &["Azul"],
        "80.00",
    ),
    (
        "poncho_alpaca",
        "Poncho de alpaca",
        "Abrigos",
        &["Alpaca"],
        &["Gris"],
        "150.00",
    ),
    (
        "pantalon_mezclilla",
        "Pantalón de mezclilla",
        "Pantalones",
        &["Mezclilla"],
        &["Azul"],
        "45.00",
    ),
    (
        "mantel_lino",
        "Mantel de lino",
        "Hogar",
        &["Lino"],
        &["Blanco"],
        "30.00",
    ),
    (
        "camisa_lino",
        "Camisa de lino",
        "Camisas",
        &["Lino"],
        &["Azul"],
        "35.00",
    ),
    (
        "bufanda_lana",
        "Bufanda de lana",
        "Accesorios",
        &["Lana"],
        &["Rojo"],
        "12.00",
    ),
    (
        "tela_seda",
        "Tela de seda",
        "Telas",
        &["Seda"],
        &["Rojo"],
        "60.00",
    ),
    (
        "camisa_seda",
        "Camisa de seda",
        "Camisas",
        &["Seda"],
        &["Blanco"],
        "90.00",
    ),
    (
        "manta_lana",
        "Manta de lana",
        "Hogar",
        &["Lana"],
        &["Gris"],
        "70.00",
    ),
    (
        "vestido_algodon",
        "Vestido de algodón",
        "Vestidos",
        &["Algodón"],
        &["Rojo"],
        "55.00",
    ),
    (
        "poncho_lana",
        "Poncho de lana",
        "Abrigos",
        &["Lana"],
        &["Azul"],
        "110.00",
    ),
];

async fn category(app: &TestApp, name: &str) -> String {
    let slug = name.to_lowercase();
    let id: i64 = sqlx::query_scalar!(
        "INSERT INTO categories (slug, name) VALUES ($1, $2)
         ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        slug,
        name
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    textisur_api::graphql::ids::CategoryId(id)
        .to_global()
        .to_string()
}

async fn catalogue() -> Catalogue {
    let app = TestApp::spawn_with(TestOptions {
        auth_limits: Some(AuthLimitConfig {
            register_per_ip_per_hour: 1000,
            ..AuthLimitConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    let seller = app.register("tejedora@correo.ar", "Tejedora").await;
    let (_, body) = app
        .graphql_as(
            &seller.access_token,
            "mutation { createStore(input: {name: \"Hilos del Sur\", city: \"Bariloche\", region: \"Río Negro\", country: AR, location: {lat: -41.13, lon: -71.31}}) { store { id } } }",
            json!({}),
        )
        .await;
    let store = body["data"]["createStore"]["store"]["id"]
        .as_str()
        .expect("store")
        .to_owned();
    let mut ids = std::collections::HashMap::new();
    for (key, name, cat, materials, colors, price) in PRODUCTS {
        let category = category(&app, cat).await;
        let (_, body) = app
            .graphql_as(
                &seller.access_token,
                CREATE,
                json!({"i": {"storeId": store, "categoryId": category, "name": name,
                    "description": format!("<p>{name}, tejido a mano en la Patagonia.</p>"),
                    "price": price, "stock": "10", "materials": materials, "colors": colors}}),
            )
            .await;
        let id = body["data"]["createProduct"]["product"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("create {name}: {body}"))
            .to_owned();
        ids.insert(*key, id);
    }
    app.sync_search().await;
    Catalogue {
        app,
        seller,
        store,
        ids,
    }
}

async fn search(app: &TestApp, variables: Value) -> Value {
    let data = app.data(SEARCH, variables).await;
    data["products"].clone()
}

fn names(page: &Value) -> Vec<String> {
    page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

fn rank(page: &Value, id: &str) -> Option<usize> {
    page["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .position(|e| e["node"]["id"] == id)
        .map(|p| p + 1)
}

#[tokio::test]
async fn forgiving_queries_find_their_target_in_the_top_three() {
    let c = catalogue().await;
    let cases = [
        ("algodon", "camisa_algodon", json!(null)),
        ("camisas", "camisa_lino", json!(null)),
        ("vestdo", "vestido_lino", json!(null)),
        ("alpa", "poncho_alpaca", json!(null)),
        ("jean", "pantalon_mezclilla", json!(null)),
        ("camisa lino", "camisa_lino", json!(null)),
        ("poncho lana", "poncho_lana", json!({"colors": ["azul"]})),
    ];
    for (query, target, filter) in cases {
        let page = search(&c.app, json!({"q": query, "f": filter, "n": 10})).await;
        let r = rank(&page, &c.ids[target]);
        assert!(
            r.is_some_and(|r| r <= 3),
            "{query:?} ranks {target} at {r:?}: {:?}",
            names(&page)
        );
    }
    // A typo is offered its spelling, and exact matches outrank typo matches.
    let page = search(&c.app, json!({"q": "vestdo", "n": 10})).await;
    assert_eq!(page["correctedQuery"], "vestido");
    // The spelling is offered in the text as typed, a measure before it (which the search
    // rewrites as "280cm") included; this once cut the typed text at the rewritten one's
    // positions and failed the search.
    let page = search(&c.app, json!({"q": "ancho 280 vestdo", "n": 10})).await;
    assert_eq!(page["correctedQuery"], "ancho 280 vestido");
    // A word ending in a letter of two bytes once split it (and failed the search).
    for query in ["pañ", "vestidó lino", "bordó"] {
        search(&c.app, json!({"q": query, "n": 10})).await;
    }
    let page = search(&c.app, json!({"q": "lino", "n": 10})).await;
    assert!(
        names(&page).iter().all(|n| n.contains("lino")),
        "{:?}",
        names(&page)
    );
    assert_eq!(page["correctedQuery"], Value::Null);
}

#[tokio::test]
async fn highlights_are_escaped_and_marked() {
    let c = catalogue().await;
    let page = search(&c.app, json!({"q": "algodon", "n": 1})).await;
    let highlights = &page["edges"][0]["highlights"];
    let name = page["edges"][0]["node"]["name"].as_str().expect("name");
    assert_eq!(highlights[0]["field"], "name");
    assert_eq!(
        highlights[0]["snippet"],
        name.replace("algodón", "<mark>algodón</mark>")
    );
    // Descriptions are indexed as plain text: no markup survives into a snippet.
    let description = highlights[1]["snippet"].as_str().expect("description");
    assert!(description.contains("<mark>algodón</mark>") && !description.contains("<p>"));
}

#[tokio::test]
async fn a_facet_keeps_its_counts_when_one_of_its_values_is_selected() {
    let c = catalogue().await;
    let all = search(&c.app, json!({"n": 5})).await;
    let blue = search(&c.app, json!({"n": 5, "f": {"colors": ["Azul"]}})).await;
    assert_eq!(blue["totalCount"], 4);
    assert_eq!(all["facets"]["colors"], blue["facets"]["colors"]);
    // Other facets do follow the colour filter.
    assert_ne!(all["facets"]["materials"], blue["facets"]["materials"]);
    let lino = blue["facets"]["materials"]
        .as_array()
        .expect("materials")
        .iter()
        .find(|m| m["value"] == "lino")
        .cloned()
        .expect("lino");
    assert_eq!(lino["count"], 2);
    assert_eq!(lino["label"], "Lino");
    // Categories are labelled from PostgreSQL and filter by their id.
    let camisas = all["facets"]["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .find(|v| v["label"] == "Camisas")
        .cloned()
        .expect("camisas");
    assert_eq!(camisas["count"], 3);
    let only = search(
        &c.app,
        json!({"n": 10, "f": {"categoryIds": [camisas["value"]]}}),
    )
    .await;
    assert_eq!(only["totalCount"], 3);
    let ranges = all["facets"]["priceRanges"].as_array().expect("ranges");
    let counted: i64 = ranges
        .iter()
        .map(|r| r["count"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(counted, PRODUCTS.len() as i64);
}

#[tokio::test]
async fn a_sellers_change_is_searchable_in_their_next_request() {
    let c = catalogue().await;
    // No sync_search here: the consistency token and the seller's own session must do it.
    let update =
        "mutation($id: ID!) { updateProduct(id: $id, input: {name: \"Vestido de guanaco\"}) {
        product { id } consistencyToken userErrors { code } } }";
    let (_, body) = c
        .app
        .graphql_as(
            &c.seller.access_token,
            update,
            json!({"id": c.ids["vestido_lino"]}),
        )
        .await;
    let token = body["data"]["updateProduct"]["consistencyToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let query =
        "query($t: String) { products(query: \"guanaco\", consistencyToken: $t) { nodes { id } } }";
    let (_, body) = c
        .app
        .graphql_as(&c.seller.access_token, query, json!({}))
        .await;
    assert_eq!(
        body["data"]["products"]["nodes"][0]["id"], c.ids["vestido_lino"],
        "{body}"
    );
    let data = c.app.data(query, json!({"t": token})).await;
    assert_eq!(data["products"]["nodes"][0]["id"], c.ids["vestido_lino"]);
    // Archiving removes it from search.
    let archive = "mutation($id: ID!) { archiveProduct(id: $id) { consistencyToken } }";
    let (_, body) = c
        .app
        .graphql_as(
            &c.seller.access_token,
            archive,
            json!({"id": c.ids["vestido_lino"]}),
        )
        .await;
    let token = body["data"]["archiveProduct"]["consistencyToken"].clone();
    let data = c.app.data(query, json!({"t": token})).await;
    assert_eq!(data["products"]["nodes"], json!([]));
}

#[tokio::test]
async fn stores_search_by_text_and_distance_and_autocomplete() {
    let c = catalogue().await;
    let data = c
        .app
        .data(
            "{ byText: stores(query: \"hilos sur\") { nodes { id } }
               near: stores(near: {lat: -41.0, lon: -71.0}, radiusKm: 100) { nodes { id distanceKm } }
               far: stores(near: {lat: -34.6, lon: -58.4}, radiusKm: 100) { nodes { id } } }",
            json!({}),
        )
        .await;
    assert_eq!(data["byText"]["nodes"][0]["id"], c.store);
    assert_eq!(data["near"]["nodes"][0]["id"], c.store);
    let km = data["near"]["nodes"][0]["distanceKm"].as_f64().expect("km");
    assert!((20.0..40.0).contains(&km), "{km}");
    assert_eq!(data["far"]["nodes"], json!([]));

    let data = c
        .app
        .data(
            "{ suggest(prefix: \"alpa\") { text kind product { id } category { name } } }",
            json!({}),
        )
        .await;
    let suggestions = data["suggest"].as_array().expect("suggestions");
    assert!(
        suggestions
            .iter()
            .any(|s| s["kind"] == "QUERY" && s["text"] == "alpaca"),
        "{data}"
    );
    assert!(
        suggestions
            .iter()
            .any(|s| s["kind"] == "PRODUCT" && s["product"]["id"] == c.ids["poncho_alpaca"]),
        "{data}"
    );
    let data = c
        .app
        .data("{ suggest(prefix: \"abri\") { text kind } }", json!({}))
        .await;
    assert!(
        data["suggest"]
            .as_array()
            .expect("s")
            .iter()
            .any(|s| s["kind"] == "CATEGORY" && s["text"] == "Abrigos"),
        "{data}"
    );
}

#[tokio::test]
async fn user_text_never_errors() {
    let c = catalogue().await;
    for text in [
        "\"", "lino AND", "name:(x", "*", "lana~2", "[1 TO 5]", "\\", "-", "🧵🧶", "<script>",
    ] {
        let (status, body) = c.app.graphql(SEARCH, json!({"q": text})).await;
        assert_eq!(status, 200, "{text:?}: {body}");
        assert!(body.get("errors").is_none(), "{text:?}: {body}");
    }
}
