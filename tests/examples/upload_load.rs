//! Image uploads under load against a running server (`tests/load/uploads.sh` runs it).
//!
//! ```sh
//! cargo run --release -p textisur-tests --example upload_load -- \
//!     --url http://127.0.0.1:18104 \
//!     --database-url postgres://postgres@127.0.0.1:5432/textisur_bench_10000 \
//!     --jwt-keys "$KEYS" --uploads 200 --concurrency 8 --width 1600 --height 1200
//! ```
//!
//! An admin (made in PostgreSQL with a real session; no argon2) uploads `--uploads` distinct
//! JPEGs of `--width` × `--height` (gradients with sensor-like grain, made before the clock
//! starts), one per product, from `--concurrency` workers, each as a
//! GraphQL multipart request. For every upload it then polls the thumbnail's address every
//! 10 ms until it answers 200: the thumbnail latency runs from the upload's first byte to
//! that answer, so it includes the worker's queue: `--pause-ms` spaces each worker's
//! uploads, for the latency at a rate the worker keeps up with.
//!
//! Prints `UPLOADS n concurrency per_s p50_ms p95_ms p99_ms errors mib` and
//! `THUMBNAILS ready per_s p50_ms p95_ms p99_ms`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use image::{ImageEncoder, Rgb, RgbImage};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use textisur_api::accounts::tokens::TokenKeys;
use textisur_api::graphql::ids::{ProductId, UserId};
use textisur_tests::stats::percentile;

const UPLOAD: &str =
    "mutation($p: ID!, $f: Upload!) { uploadProductImage(productId: $p, file: $f) {
    image { url(size: THUMBNAIL) } userErrors { code message } } }";

struct Options {
    url: String,
    database_url: String,
    jwt_keys: String,
    uploads: usize,
    concurrency: usize,
    width: u32,
    height: u32,
    /// Pause of each worker between its uploads (0: back to back).
    pause_ms: u64,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        url: "http://127.0.0.1:18104".into(),
        database_url: "postgres://postgres@127.0.0.1:5432/textisur_bench_10000".into(),
        jwt_keys: String::new(),
        uploads: 200,
        concurrency: 8,
        width: 1600,
        height: 1200,
        pause_ms: 0,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--url" => options.url = value,
            "--database-url" => options.database_url = value,
            "--jwt-keys" => options.jwt_keys = value,
            "--uploads" => options.uploads = value.parse()?,
            "--concurrency" => options.concurrency = value.parse::<usize>()?.max(1),
            "--width" => options.width = value.parse()?,
            "--height" => options.height = value.parse()?,
            "--pause-ms" => options.pause_ms = value.parse()?,
            other => bail!("unknown flag {other}"),
        }
    }
    if options.jwt_keys.is_empty() {
        bail!("--jwt-keys: the server's TEXTISUR_JWT_KEYS");
    }
    Ok(options)
}

/// A photo-like JPEG: gradients with a grain of noise (a sixteenth of the range, as a
/// phone's sensor leaves in a dim shop), different for every `n`.
fn photo(width: u32, height: u32, n: u64) -> Vec<u8> {
    let mut state = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    let picture = RgbImage::from_fn(width, height, |x, y| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let noise = (state >> 60) as u8;
        Rgb([
            ((x * 255 / width) as u8).wrapping_add(noise),
            ((y * 255 / height) as u8).wrapping_add(noise / 2),
            (n % 256) as u8,
        ])
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85)
        .write_image(
            picture.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode");
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let pool = sqlx::PgPool::connect(&options.database_url).await?;
    let keys = TokenKeys::parse(&options.jwt_keys).context("--jwt-keys")?;
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let admin: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, name, role) VALUES ($1, 'Carga', 'ADMIN') RETURNING id",
    )
    .bind(format!("upload-load-{stamp}@example.com"))
    .fetch_one(&pool)
    .await?;
    let session = uuid::Uuid::new_v4();
    sqlx::query(
        "INSERT INTO refresh_token_families (id, user_id, user_agent) VALUES ($1, $2, 'load')",
    )
    .bind(session)
    .bind(admin)
    .execute(&pool)
    .await?;
    let token = keys.issue(UserId(admin), session, chrono::Utc::now());
    // Products with room for one more image (a product holds 8).
    let products: Vec<i64> = sqlx::query_scalar(
        "SELECT p.id FROM products p
         WHERE (SELECT count(*) FROM product_images i WHERE i.product_id = p.id) < 8
         ORDER BY md5(p.id::text) LIMIT $1",
    )
    .bind(i64::try_from(options.uploads)?)
    .fetch_all(&pool)
    .await?;
    if products.len() < options.uploads {
        bail!("only {} products have room for an image", products.len());
    }
    eprintln!(
        "making {} JPEGs of {}x{}",
        options.uploads, options.width, options.height
    );
    let files: Vec<Vec<u8>> = (0..options.uploads)
        .map(|n| photo(options.width, options.height, stamp as u64 ^ n as u64))
        .collect();
    let mib = files.iter().map(Vec::len).sum::<usize>() as f64 / (1 << 20) as f64;

    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()?;
    let jobs = std::sync::Arc::new(std::sync::Mutex::new(
        products.into_iter().zip(files).collect::<Vec<_>>(),
    ));
    let started = Instant::now();
    let pause = Duration::from_millis(options.pause_ms);
    let workers = (0..options.concurrency).map(|_| {
        let (client, jobs, token, url) = (
            client.clone(),
            jobs.clone(),
            token.clone(),
            options.url.clone(),
        );
        tokio::spawn(async move {
            let mut uploads = Vec::new();
            let mut pollers = Vec::new();
            let mut errors = 0usize;
            while let Some((product, bytes)) = jobs.lock().ok().and_then(|mut j| j.pop()) {
                if !pause.is_zero() && !uploads.is_empty() {
                    tokio::time::sleep(pause).await;
                }
                let sent = Instant::now();
                let operations = json!({ "query": UPLOAD,
                    "variables": { "p": ProductId(product).to_global().to_string(), "f": null } });
                let form = Form::new()
                    .text("operations", operations.to_string())
                    .text("map", json!({ "0": ["variables.f"] }).to_string())
                    .part("0", Part::bytes(bytes).file_name("foto.jpg"));
                let answer = client
                    .post(format!("{url}/graphql"))
                    .bearer_auth(&token)
                    .header("apollo-require-preflight", "true")
                    .multipart(form)
                    .send()
                    .await;
                let body: Option<Value> = match answer {
                    Ok(response) => response.json().await.ok(),
                    Err(_) => None,
                };
                let thumbnail = body.as_ref().and_then(|b| {
                    let payload = &b["data"]["uploadProductImage"];
                    (payload["userErrors"] == json!([]))
                        .then(|| payload["image"]["url"].as_str().map(str::to_owned))
                        .flatten()
                });
                let Some(thumbnail) = thumbnail else {
                    errors += 1;
                    eprintln!("upload failed: {body:?}");
                    continue;
                };
                uploads.push(sent.elapsed().as_secs_f64() * 1000.0);
                let client = client.clone();
                pollers.push(tokio::spawn(async move {
                    loop {
                        match client.get(&thumbnail).send().await {
                            Ok(r) if r.status().is_success() => {
                                return Some((
                                    sent.elapsed().as_secs_f64() * 1000.0,
                                    Instant::now(),
                                ));
                            }
                            _ if sent.elapsed() > Duration::from_secs(300) => return None,
                            _ => tokio::time::sleep(Duration::from_millis(10)).await,
                        }
                    }
                }));
            }
            (uploads, pollers, errors)
        })
    });
    let mut uploads = Vec::new();
    let mut pollers = Vec::new();
    let mut errors = 0;
    for worker in futures::future::join_all(workers).await {
        let (u, p, e) = worker?;
        uploads.extend(u);
        pollers.extend(p);
        errors += e;
    }
    let uploaded_in = started.elapsed().as_secs_f64();
    let mut thumbnails = Vec::new();
    let mut last = started;
    for poller in futures::future::join_all(pollers).await {
        if let Some((ms, at)) = poller? {
            thumbnails.push(ms);
            last = last.max(at);
        }
    }
    let ready_in = (last - started).as_secs_f64();
    uploads.sort_by(f64::total_cmp);
    thumbnails.sort_by(f64::total_cmp);
    println!(
        "UPLOADS n={} concurrency={} per_s={:.1} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1} errors={} mib={:.1}",
        uploads.len(),
        options.concurrency,
        uploads.len() as f64 / uploaded_in,
        percentile(&uploads, 50.0),
        percentile(&uploads, 95.0),
        percentile(&uploads, 99.0),
        errors,
        mib
    );
    println!(
        "THUMBNAILS ready={} per_s={:.1} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1}",
        thumbnails.len(),
        thumbnails.len() as f64 / ready_in,
        percentile(&thumbnails, 50.0),
        percentile(&thumbnails, 95.0),
        percentile(&thumbnails, 99.0)
    );
    Ok(())
}
