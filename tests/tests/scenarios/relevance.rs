//! The graded relevance set of `tests/relevance/` (its README has the catalogue, the forms and
//! the grading rules): every query through the real server's `products(query:)` and through
//! PostgreSQL full-text search on the same catalogue, NDCG@10 and the share of queries with
//! no result per form, side by side. The test fails below thresholds set from measurement.
//!
//! `cargo test -p textisur-tests --test scenarios relevance -- --nocapture` prints the table.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;
use textisur_tests::TestApp;

struct Product {
    reference: String,
    country: String,
    name: String,
    description: String,
    category: String,
    materials: Vec<String>,
    colors: Vec<String>,
    sizes: Vec<String>,
    price: f64,
}

struct Query {
    id: String,
    form: String,
    q: String,
}

/// Grades by query id, then product ref (absent: 0).
type Qrels = HashMap<String, HashMap<String, u8>>;

fn read(file: &str) -> Value {
    let path = format!("{}/relevance/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .to_owned()
}

fn texts(v: &Value, key: &str) -> Vec<String> {
    v[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in {v}"))
        .iter()
        .map(|s| s.as_str().expect("a string").to_owned())
        .collect()
}

fn products() -> Vec<Product> {
    read("catalogue.json")
        .as_array()
        .expect("an array of products")
        .iter()
        .map(|p| Product {
            reference: text(p, "ref"),
            country: text(p, "country"),
            name: text(p, "name"),
            description: text(p, "description"),
            category: text(p, "category"),
            materials: texts(p, "materials"),
            colors: texts(p, "colors"),
            sizes: texts(p, "sizes"),
            price: p["price"].as_f64().expect("price"),
        })
        .collect()
}

fn queries() -> Vec<Query> {
    read("queries.json")
        .as_array()
        .expect("an array of queries")
        .iter()
        .map(|q| Query {
            id: text(q, "id"),
            form: text(q, "form"),
            q: text(q, "q"),
        })
        .collect()
}

fn qrels() -> Qrels {
    let Value::Object(by_query) = read("qrels.json") else {
        panic!("qrels.json is an object");
    };
    by_query
        .into_iter()
        .map(|(id, grades)| {
            let Value::Object(grades) = grades else {
                panic!("grades of {id}");
            };
            let grades = grades
                .into_iter()
                .map(|(r, g)| (r, u8::try_from(g.as_u64().expect("grade")).expect("0 to 3")))
                .collect();
            (id, grades)
        })
        .collect()
}

fn currency(country: &str) -> &'static str {
    match country {
        "AR" => "ARS",
        "CL" => "CLP",
        "UY" => "UYU",
        "PY" => "PYG",
        _ => "PEN",
    }
}

/// Writes the catalogue into the app's database: a store per country, the categories by
/// name, each product with its ref as slug.
async fn load(app: &TestApp, products: &[Product]) {
    let owner = app.quick_account("Vendedora", "SELLER").await;
    let pool = app.db.pool();
    let mut stores = HashMap::new();
    for country in ["AR", "CL", "UY", "PY", "PE"] {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO stores (owner_id, slug, name, city, country_code, currency_code)
             VALUES ($1, $2, $3, 'Centro', $4, $5) RETURNING id",
        )
        .bind(owner.row_id())
        .bind(format!("tienda-{}", country.to_lowercase()))
        .bind(format!("Tienda {country}"))
        .bind(country)
        .bind(currency(country))
        .fetch_one(pool)
        .await
        .expect("store");
        stores.insert(country.to_owned(), id);
    }
    let mut categories = HashMap::new();
    for p in products {
        if categories.contains_key(&p.category) {
            continue;
        }
        let id: i64 =
            sqlx::query_scalar("INSERT INTO categories (slug, name) VALUES ($1, $2) RETURNING id")
                .bind(format!("c{}", categories.len() + 1))
                .bind(&p.category)
                .fetch_one(pool)
                .await
                .expect("category");
        categories.insert(p.category.clone(), id);
    }
    for p in products {
        sqlx::query(
            "INSERT INTO products (store_id, category_id, slug, name, description, price,
                                   currency_code, stock, materials, colors, sizes)
             VALUES ($1, $2, $3, $4, $5, $6::float8::numeric(12, 2), $7, 10, $8, $9, $10)",
        )
        .bind(stores[&p.country])
        .bind(categories[&p.category])
        .bind(&p.reference)
        .bind(&p.name)
        .bind(&p.description)
        .bind(p.price.max(1.0))
        .bind(currency(&p.country))
        .bind(&p.materials)
        .bind(&p.colors)
        .bind(&p.sizes)
        .execute(pool)
        .await
        .unwrap_or_else(|e| panic!("product {}: {e}", p.reference));
    }
    app.sync_search().await;
}

/// The first ten refs of PostgreSQL full-text search: the products' own weighted document
/// (name A, category and attributes B, description D, Spanish stems, accents folded), the
/// query through `websearch_to_tsquery`, ranked by `ts_rank_cd`.
async fn postgres(app: &TestApp, q: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT slug FROM products, websearch_to_tsquery('es_unaccent', $1) AS query
         WHERE search_document @@ query
         ORDER BY ts_rank_cd(search_document, query) DESC, id
         LIMIT 10",
    )
    .bind(q)
    .fetch_all(app.db.pool())
    .await
    .expect("postgres search")
}

/// NDCG@10 with gains 2^grade - 1.
fn ndcg(found: &[String], grades: &HashMap<String, u8>) -> f64 {
    let gain = |g: u8| f64::from((1u32 << g) - 1);
    let discount = |i: usize| (i as f64 + 2.0).log2();
    let dcg: f64 = found
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, r)| gain(grades.get(r).copied().unwrap_or(0)) / discount(i))
        .sum();
    let mut ideal: Vec<u8> = grades.values().copied().collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal
        .iter()
        .take(10)
        .enumerate()
        .map(|(i, g)| gain(*g) / discount(i))
        .sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

#[derive(Default)]
struct Tally {
    queries: usize,
    ndcg: f64,
    empty: usize,
}

impl Tally {
    fn add(&mut self, ndcg: f64, empty: bool) {
        self.queries += 1;
        self.ndcg += ndcg;
        self.empty += usize::from(empty);
    }

    fn mean(&self) -> f64 {
        self.ndcg / self.queries.max(1) as f64
    }

    fn empty_share(&self) -> f64 {
        self.empty as f64 / self.queries.max(1) as f64
    }
}

#[tokio::test]
async fn the_graded_set_ranks_above_its_thresholds_and_postgres() {
    let products = products();
    let queries = queries();
    let qrels = qrels();
    let app = TestApp::spawn().await;
    load(&app, &products).await;
    let names: HashMap<String, String> = products
        .iter()
        .map(|p| {
            (
                p.reference.clone(),
                format!("{} | {}", p.name, p.description),
            )
        })
        .collect();

    let mut by_form: BTreeMap<String, (Tally, Tally)> = BTreeMap::new();
    let mut all = (Tally::default(), Tally::default());
    let mut worst = Vec::new();
    let none = HashMap::new();
    for query in &queries {
        let grades = qrels.get(&query.id).unwrap_or(&none);
        let (a, b) = (
            app.search_field(&query.q, "slug").await,
            postgres(&app, &query.q).await,
        );
        let (na, nb) = (ndcg(&a, grades), ndcg(&b, grades));
        let form = by_form.entry(query.form.clone()).or_default();
        form.0.add(na, a.is_empty());
        form.1.add(nb, b.is_empty());
        all.0.add(na, a.is_empty());
        all.1.add(nb, b.is_empty());
        worst.push((na, query.id.clone(), query.q.clone()));
        // RELEVANCE_DETAIL=0.8 lists what each query below 0.8 found, for tuning.
        if let Some(below) = std::env::var("RELEVANCE_DETAIL")
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            && na < below
        {
            println!("{} [{}] {:?}: {na:.3}", query.id, query.form, query.q);
            for r in &a {
                let grade = grades.get(r).copied().unwrap_or(0);
                println!(
                    "    {grade} {r} {}",
                    names.get(r).map_or("", String::as_str)
                );
            }
            let mut best: Vec<(&String, &u8)> = grades.iter().collect();
            best.sort_by(|x, y| y.1.cmp(x.1).then(x.0.cmp(y.0)));
            for (r, g) in best.iter().take(4) {
                println!(
                    "    want {g} {r} {}",
                    names.get(*r).map_or("", String::as_str)
                );
            }
        }
    }

    println!(
        "| form | queries | ours NDCG@10 | ours, no result | PostgreSQL FTS | FTS, no result |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    let row = |name: &str, t: &(Tally, Tally)| {
        println!(
            "| {name} | {} | {:.3} | {:.0} % | {:.3} | {:.0} % |",
            t.0.queries,
            t.0.mean(),
            100.0 * t.0.empty_share(),
            t.1.mean(),
            100.0 * t.1.empty_share()
        );
    };
    for (name, t) in &by_form {
        row(name, t);
    }
    row("**all**", &all);
    worst.sort_by(|a, b| a.0.total_cmp(&b.0));
    println!("lowest: {:?}", &worst[..worst.len().min(25)]);

    // Issue 29's thresholds: 0.90 overall and 0.80 in every form (measured: 0.909 overall,
    // natural language the lowest form at 0.807; BENCHMARKS.md, "Relevance"). The ranking
    // is deterministic on this fixed catalogue, so any regression below them fails.
    assert!(
        queries.len() >= 200,
        "the set has {} queries",
        queries.len()
    );
    assert!(all.0.mean() >= 0.90, "overall NDCG@10 {:.3}", all.0.mean());
    for (name, t) in &by_form {
        assert!(t.0.queries >= 25, "{name} has {} queries", t.0.queries);
        assert!(t.0.mean() >= 0.80, "{name}: NDCG@10 {:.3}", t.0.mean());
    }
    assert!(
        all.0.empty_share() <= 0.03,
        "no result for {:.1} %",
        100.0 * all.0.empty_share()
    );
    assert!(
        all.0.mean() >= all.1.mean() + 0.3,
        "ours {:.3} against PostgreSQL {:.3}",
        all.0.mean(),
        all.1.mean()
    );
}
