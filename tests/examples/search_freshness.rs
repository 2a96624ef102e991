//! How long a committed product change takes to become searchable, end to end.
//!
//! ```sh
//! cargo run --release -p textisur-tests --example search_freshness -- \
//!     --url http://127.0.0.1:18101 \
//!     --database-url postgres://postgres@127.0.0.1:5432/textisur_bench_100000
//! ```
//!
//! For `--seconds` (30), renames `--rate` (200) products a second straight in PostgreSQL,
//! each appending a unique made-up word (`zq` and six random letters: a word the analyzers
//! keep, and almost surely several edits from any other, so typo matching cannot confuse
//! them), and polls
//! `products(query: <word>)` on the server until the renamed product is among the hits. A
//! latency runs from the moment the UPDATE committed to the moment the first poll response
//! holding the product arrived, so it is late by at most one poll interval plus one
//! request. Pending words are polled together, up to 20 aliased searches per request, every
//! `--poll-ms` (10). The names are put back at the end. Prints one summary line:
//!
//! `FRESHNESS updates seen p50_ms p95_ms p99_ms max_ms`

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::{Value, json};
use sqlx::postgres::PgPoolOptions;
use textisur_api::graphql::ids::ProductId;

/// Searches per polling request (the API refuses more than 30 aliases).
const CHUNK: usize = 20;
/// How long a change may take to show before it counts as never seen.
const GIVE_UP: Duration = Duration::from_secs(30);

struct Options {
    url: String,
    database_url: String,
    seconds: u64,
    rate: u64,
    poll: Duration,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        url: "http://127.0.0.1:8080".to_owned(),
        database_url: "postgres://postgres@127.0.0.1:5432/textisur".to_owned(),
        seconds: 30,
        rate: 200,
        poll: Duration::from_millis(10),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => options.url = value.trim_end_matches('/').to_owned(),
            "--database-url" => options.database_url = value,
            "--seconds" => options.seconds = value.parse().context("--seconds")?,
            "--rate" => options.rate = value.parse().context("--rate")?,
            "--poll-ms" => {
                options.poll = Duration::from_millis(value.parse().context("--poll-ms")?)
            }
            other => {
                bail!("unknown flag {other} (--url, --database-url, --seconds, --rate, --poll-ms)")
            }
        }
    }
    if options.rate == 0 || options.seconds == 0 {
        bail!("--rate and --seconds must be positive");
    }
    Ok(options)
}

/// A made-up word for update `k`: `zq` and six letters from a mix of `k` and the run.
fn token(k: u64, run: u64) -> String {
    // splitmix64: consecutive k give unrelated letters.
    let mut x = k.wrapping_add(run).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    let mut word = String::from("zq");
    for _ in 0..6 {
        word.push(char::from(b'a' + (x % 26) as u8));
        x /= 26;
    }
    word
}

/// A change waiting to be seen.
struct Pending {
    global_id: String,
    token: String,
    committed: Instant,
}

#[derive(Default)]
struct Shared {
    pending: Vec<Pending>,
    latencies: Vec<Duration>,
    writes_done: bool,
    failed_writes: u64,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect(&options.database_url)
        .await
        .context("connect to PostgreSQL")?;
    let client = reqwest::Client::new();
    let updates = options.rate * options.seconds;
    let products: Vec<(i64, String)> = sqlx::query!(
        "SELECT id, name FROM products WHERE status = 'ACTIVE' AND length(name) <= 140 \
         ORDER BY md5(id::text) LIMIT $1",
        updates as i64
    )
    .fetch_all(&pool)
    .await?
    .into_iter()
    .map(|r| (r.id, r.name))
    .collect();
    if (products.len() as u64) < updates {
        bail!("need {updates} active products, found {}", products.len());
    }
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos() as u64;
    let shared = Arc::new(Mutex::new(Shared::default()));

    let writer = {
        let shared = shared.clone();
        let pool = pool.clone();
        let products = products.clone();
        let every = Duration::from_secs_f64(1.0 / options.rate as f64);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut writes = Vec::new();
            for (k, (id, _)) in products.into_iter().enumerate() {
                tick.tick().await;
                let (pool, shared) = (pool.clone(), shared.clone());
                let token = token(k as u64, run);
                writes.push(tokio::spawn(async move {
                    let result = sqlx::query!(
                        "UPDATE products SET name = name || ' ' || $2 WHERE id = $1",
                        id,
                        &token
                    )
                    .execute(&pool)
                    .await;
                    let committed = Instant::now();
                    let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
                    match result {
                        Ok(_) => shared.pending.push(Pending {
                            global_id: ProductId(id).to_global().to_string(),
                            token,
                            committed,
                        }),
                        Err(e) => {
                            eprintln!("update of product {id} failed: {e}");
                            shared.failed_writes += 1;
                        }
                    }
                }));
            }
            for write in writes {
                let _ = write.await;
            }
            shared.lock().unwrap_or_else(|e| e.into_inner()).writes_done = true;
        })
    };

    let started = Instant::now();
    let mut given_up = 0_u64;
    loop {
        let batch: Vec<(String, String)> = {
            let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
            let before = shared.pending.len();
            shared.pending.retain(|p| p.committed.elapsed() < GIVE_UP);
            given_up += (before - shared.pending.len()) as u64;
            if shared.writes_done && shared.pending.is_empty() {
                break;
            }
            shared
                .pending
                .iter()
                .map(|p| (p.global_id.clone(), p.token.clone()))
                .collect()
        };
        let polls = batch
            .chunks(CHUNK)
            .map(|chunk| poll(&client, &options.url, chunk));
        for seen in futures::future::join_all(polls).await {
            let seen = seen?;
            let arrived = Instant::now();
            let mut shared = shared.lock().unwrap_or_else(|e| e.into_inner());
            let mut latencies = Vec::new();
            shared.pending.retain(|p| {
                let found = seen.contains(&p.global_id);
                if found {
                    latencies.push(arrived - p.committed);
                }
                !found
            });
            shared.latencies.extend(latencies);
        }
        tokio::time::sleep(options.poll).await;
    }
    writer.await?;
    let elapsed = started.elapsed();

    // Put the names back (one statement; the index sees it as one more change each).
    let (ids, names): (Vec<i64>, Vec<String>) = products.into_iter().unzip();
    sqlx::query!(
        "UPDATE products p SET name = o.name FROM unnest($1::bigint[], $2::text[]) AS o(id, name) \
         WHERE p.id = o.id",
        &ids,
        &names
    )
    .execute(&pool)
    .await
    .context("restore names")?;

    let shared = shared.lock().unwrap_or_else(|e| e.into_inner());
    let mut latencies = shared.latencies.clone();
    latencies.sort();
    let seen = latencies.len();
    let max = latencies
        .last()
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    println!(
        "{seen} of {updates} updates searchable ({} failed, {given_up} not seen within {} s) over {:.1} s at {} updates/s, polling every {} ms",
        shared.failed_writes,
        GIVE_UP.as_secs(),
        elapsed.as_secs_f64(),
        options.rate,
        options.poll.as_millis()
    );
    println!(
        "FRESHNESS {updates} {seen} {:.1} {:.1} {:.1} {:.1}",
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        max
    );
    Ok(())
}

/// Searches each token once; returns the global ids of the products found.
async fn poll(
    client: &reqwest::Client,
    url: &str,
    chunk: &[(String, String)],
) -> anyhow::Result<HashSet<String>> {
    let fields: Vec<String> = chunk
        .iter()
        .enumerate()
        .map(|(i, (_, token))| {
            format!("t{i}: products(query: \"{token}\", first: 5) {{ nodes {{ id }} }}")
        })
        .collect();
    let document = format!("{{ {} }}", fields.join(" "));
    let response: Value = client
        .post(format!("{url}/graphql"))
        .json(&json!({ "query": document }))
        .send()
        .await
        .context("poll the server")?
        .json()
        .await
        .context("poll response")?;
    if let Some(errors) = response.get("errors") {
        bail!("search answered errors: {errors}");
    }
    let mut found = HashSet::new();
    for (i, (global_id, _)) in chunk.iter().enumerate() {
        let nodes = response["data"][format!("t{i}")]["nodes"].as_array();
        if nodes.is_some_and(|nodes| nodes.iter().any(|n| n["id"] == global_id.as_str())) {
            found.insert(global_id.clone());
        }
    }
    Ok(found)
}
