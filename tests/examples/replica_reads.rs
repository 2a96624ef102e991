//! Write-then-read across replicas: does a read sent with the writer's consistency token
//! ever miss the write, whichever process and whichever PostgreSQL server answers it?
//!
//! ```sh
//! cargo run --release -p textisur-tests --example replica_reads -- \
//!     --urls http://127.0.0.1:18211,http://127.0.0.1:18212,http://127.0.0.1:18213 \
//!     --database-url postgres://postgres@127.0.0.1:5432/textisur_bench_20000 --tries 1000
//! ```
//!
//! `tests/scale/replicas.sh` runs it against three servers that hydrate from a standby. It
//! registers a seller (verifying the address in the database, as the mailed link would),
//! opens a store with one product, then for each try renames the product through one
//! server (`urls[i % n]`) and, with the mutation's `extensions.consistencyToken` in the
//! `Consistency-Token` header, anonymously reads through the next server (`urls[(i+1) % n]`):
//!
//! - `product(id) { name }`: a stale read if the name is not the new one;
//! - `products(query: <the new name's unique word>)`: stale if the product is not first.
//!
//! Every `--freshness-every` tries it then polls, without the token, the listing on the next
//! server until the write shows: the search freshness across replicas. Prints:
//!
//! `READS tries stale_product stale_listing`
//! `FRESHNESS p50_ms p95_ms p99_ms max_ms`

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use textisur_tests::stats::percentile;

/// How many tries against which servers.
#[derive(clap::Parser)]
struct Options {
    /// The servers, comma separated: writes and reads take turns over them.
    #[arg(long, value_delimiter = ',', num_args = 1.., required = true)]
    urls: Vec<String>,
    /// The primary's database, to mark the seller's address verified.
    #[arg(long)]
    database_url: String,
    /// Write-then-read rounds.
    #[arg(long, default_value_t = 1000)]
    tries: usize,
    /// Every this many tries, also time the write's way into the next server's search
    /// without the token (it waits for an index commit, up to half a second).
    #[arg(long, default_value_t = 10)]
    freshness_every: usize,
}

const PASSWORD: &str = "lecturas-en-replicas-2026";
/// Longest a write may take to show in another replica's search before it counts as lost.
const GIVE_UP: Duration = Duration::from_secs(10);

async fn graphql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    consistency: Option<&str>,
    body: Value,
) -> anyhow::Result<Value> {
    let mut request = client
        .post(format!("{url}/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(consistency) = consistency {
        request = request.header("consistency-token", consistency);
    }
    let response = request.send().await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if status != 200 || body.get("errors").is_some() {
        bail!("{url}: {status} {body}");
    }
    Ok(body)
}

/// A word no other product has, letters only so the analyser keeps it whole. Each try's
/// word is 6 edits from the last one's: the index's typo tolerance (2 at most) can never
/// match the product by the name it had before the write, so finding it proves the write.
fn word(i: usize) -> String {
    const STEPS: [usize; 7] = [3, 5, 7, 11, 17, 19, 23];
    let letters = STEPS
        .iter()
        .enumerate()
        .map(|(k, step)| (b'a' + ((i * step + k * 9) % 26) as u8) as char);
    format!("replicax{}", letters.collect::<String>())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut options = <Options as clap::Parser>::parse();
    for url in &mut options.urls {
        *url = url.trim_end_matches('/').to_owned();
    }
    let urls = &options.urls;
    let client = reqwest::Client::new();
    let first = urls.first().context("no servers")?;

    // A seller with a verified address, a store and one product.
    let email = format!("replicas-{}@example.com", std::process::id());
    let register = json!({
        "query": "mutation($i: RegisterInput!) { register(input: $i) { accessToken userErrors { code } } }",
        "variables": { "i": { "email": email, "password": PASSWORD, "name": "Vendedora de prueba" } }
    });
    let body = graphql(&client, first, None, None, register).await?;
    let access = body["data"]["register"]["accessToken"]
        .as_str()
        .with_context(|| format!("register: {body}"))?
        .to_owned();
    let pool = sqlx::PgPool::connect(&options.database_url).await?;
    sqlx::query!(
        "UPDATE users SET email_verified_at = now() WHERE email = $1",
        email
    )
    .execute(&pool)
    .await?;
    let category = sqlx::query_scalar!("SELECT id FROM categories ORDER BY id LIMIT 1")
        .fetch_one(&pool)
        .await?;
    let store = json!({
        "query": "mutation { createStore(input: {name: \"Lecturas en réplicas\", city: \"Montevideo\", region: \"Montevideo\", countryCode: \"UY\"}) { store { id } userErrors { code } } }"
    });
    let body = graphql(&client, first, Some(&access), None, store).await?;
    let store = body["data"]["createStore"]["store"]["id"]
        .as_str()
        .with_context(|| format!("create store: {body}"))?
        .to_owned();
    let category = textisur_api::graphql::ids::CategoryId(category)
        .to_global()
        .to_string();
    let create = json!({
        "query": "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } userErrors { code } } }",
        "variables": { "i": { "storeId": store, "categoryId": category, "name": format!("Lino {}", word(0)),
            "price": "1000", "unit": "METRE", "minQuantity": "0.5", "quantityStep": "0.5", "stock": "100" } }
    });
    let body = graphql(&client, first, Some(&access), None, create).await?;
    let product = body["data"]["createProduct"]["product"]["id"]
        .as_str()
        .with_context(|| format!("create product: {body}"))?
        .to_owned();

    let rename = "mutation($id: ID!, $name: String!) { updateProduct(id: $id, input: {name: $name}) { product { name } userErrors { code } } }";
    let read = "query($id: ID!) { product(id: $id) { name } }";
    let search = "query($q: String!) { products(first: 3, query: $q) { nodes { id } } }";
    let (mut stale_product, mut stale_listing) = (0, 0);
    let mut freshness = Vec::new();
    for i in 1..=options.tries {
        let writer = &urls[i % urls.len()];
        let reader = &urls[(i + 1) % urls.len()];
        let name = format!("Lino {}", word(i));
        let body = graphql(
            &client,
            writer,
            Some(&access),
            None,
            json!({ "query": rename, "variables": { "id": product, "name": name } }),
        )
        .await?;
        let written = Instant::now();
        let token = body["extensions"]["consistencyToken"]
            .as_str()
            .with_context(|| format!("try {i}: no consistency token: {body}"))?
            .to_owned();
        let listing = json!({ "query": search, "variables": { "q": word(i) } });
        let found = |body: &Value| body["data"]["products"]["nodes"][0]["id"] == product.as_str();
        // Every few tries, first time without the token how long the other replica's search
        // takes to have the write (a read with the token would hurry its index along).
        while i % options.freshness_every.max(1) == 0 {
            let body = graphql(&client, reader, None, None, listing.clone()).await?;
            if found(&body) {
                freshness.push(written.elapsed().as_secs_f64() * 1000.0);
                break;
            }
            if written.elapsed() > GIVE_UP {
                bail!("try {i}: {reader} never found the write");
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let body = graphql(
            &client,
            reader,
            None,
            Some(&token),
            json!({ "query": read, "variables": { "id": product } }),
        )
        .await?;
        if body["data"]["product"]["name"] != name.as_str() {
            stale_product += 1;
        }
        let body = graphql(&client, reader, None, Some(&token), listing.clone()).await?;
        if !found(&body) {
            stale_listing += 1;
        }
    }
    freshness.sort_by(f64::total_cmp);
    println!("READS {} {stale_product} {stale_listing}", options.tries);
    println!(
        "FRESHNESS {:.1} {:.1} {:.1} {:.1}",
        percentile(&freshness, 50.0),
        percentile(&freshness, 95.0),
        percentile(&freshness, 99.0),
        freshness.last().copied().unwrap_or(0.0)
    );
    Ok(())
}
