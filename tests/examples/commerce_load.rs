//! Commerce under load, end to end over HTTP and WebSocket against a running server.
//!
//! ```sh
//! cargo run --release -p textisur-tests --example commerce_load -- \
//!     --url http://127.0.0.1:18103 \
//!     --database-url postgres://postgres@127.0.0.1:5432/textisur_bench_100000 \
//!     --jwt-keys "$KEYS"
//! ```
//!
//! Accounts are made straight in PostgreSQL with real sessions, and their access tokens are
//! signed with the server's `--jwt-keys`, so no argon2 hashing distorts the numbers.
//!
//! 1. Checkout: `--buyers` (16) buyers loop for `--seconds` (20): `addToCart` of a random
//!    active product (stock raised so it never runs out) then `checkout` with a fresh key.
//!    Prints `CHECKOUT buyers checkouts per_s p50_ms p95_ms p99_ms errors`.
//! 2. Fan-out: `--subscribers` (1000) WebSocket connections of the store's seller subscribe
//!    to one conversation's `messageAdded`; the buyer sends `--messages` (200) messages at
//!    `--rate` (20) a second; every delivery is timed from the moment its `sendMessage` was
//!    sent. Prints `FANOUT subscribers messages deliveries per_s p50_ms p95_ms p99_ms missing`.
//!    With `--conversations K`, K buyers each start a conversation with the store, subscriber
//!    i follows conversation i mod K and the messages go round the conversations, each sent
//!    by its buyer without waiting for the previous one (so `--rate` can reach thousands).
//!    Transport failures are retried with the same idempotency key; `--acked FILE` appends
//!    `key order-id` for every acknowledged order (the fault script checks them).
//! 3. With `--hold N`, only this: N WebSocket connections, each with one subscription, held
//!    open until stdin closes (`tests/load/connections.sh` measures the server meanwhile).
//! 4. With `--tokens N`, only this: N buyers, one access token per line on stdout (the
//!    request mix of `tests/load/mix.sh` sends them).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use textisur_api::accounts::tokens::TokenKeys;
use textisur_api::graphql::ids::{ProductId, StoreId, UserId};
use textisur_tests::stats::percentile;
use tokio::sync::Mutex;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

struct Options {
    url: String,
    database_url: String,
    jwt_keys: String,
    buyers: usize,
    seconds: u64,
    subscribers: usize,
    messages: usize,
    rate: u64,
    hold: usize,
    tokens: usize,
    conversations: usize,
    acked: Option<String>,
}

fn options() -> anyhow::Result<Options> {
    let mut options = Options {
        url: "http://127.0.0.1:18103".into(),
        database_url: "postgres://postgres@127.0.0.1:5432/textisur_bench_100000".into(),
        jwt_keys: String::new(),
        buyers: 16,
        seconds: 20,
        subscribers: 1000,
        messages: 200,
        rate: 20,
        hold: 0,
        tokens: 0,
        conversations: 1,
        acked: None,
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
            "--buyers" => options.buyers = value.parse()?,
            "--seconds" => options.seconds = value.parse()?,
            "--subscribers" => options.subscribers = value.parse()?,
            "--messages" => options.messages = value.parse()?,
            "--rate" => options.rate = value.parse()?,
            "--hold" => options.hold = value.parse()?,
            "--tokens" => options.tokens = value.parse()?,
            "--conversations" => options.conversations = value.parse::<usize>()?.max(1),
            "--acked" => options.acked = Some(value),
            other => bail!("unknown flag {other}"),
        }
    }
    if options.jwt_keys.is_empty() {
        bail!("--jwt-keys: the server's TEXTISUR_JWT_KEYS");
    }
    Ok(options)
}

/// A user with a live session and a signed access token.
async fn account(pool: &PgPool, keys: &TokenKeys, role: &str, n: usize) -> anyhow::Result<String> {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_nanos();
    let id: i64 = sqlx::query_scalar!(
        "INSERT INTO users (email, name, role) VALUES ($1, $2, $3::text::user_role) RETURNING id",
        format!("load-{role}-{n}-{stamp}@example.com").to_lowercase(),
        format!("Carga {n}"),
        role
    )
    .fetch_one(pool)
    .await?;
    let session = uuid::Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO refresh_token_families (id, user_id, user_agent) VALUES ($1, $2, 'load')",
        session,
        id
    )
    .execute(pool)
    .await?;
    Ok(keys.issue(UserId(id), session, chrono::Utc::now()))
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<Value> {
    let response = client
        .post(format!("{url}/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await?;
    let status = response.status();
    let body: Value = response.json().await?;
    if !status.is_success() || body.get("errors").is_some() {
        bail!("{status}: {body}");
    }
    Ok(body)
}

async fn checkout_load(options: &Options, pool: &PgPool, keys: &TokenKeys) -> anyhow::Result<()> {
    let products: Vec<i64> = sqlx::query_scalar!(
        "SELECT id FROM products WHERE status = 'ACTIVE' AND unit = 'PIECE'
         ORDER BY md5(id::text) LIMIT 5000",
    )
    .fetch_all(pool)
    .await?;
    if products.is_empty() {
        bail!("no active products: seed the database first");
    }
    sqlx::query!(
        "UPDATE products SET stock = greatest(stock, 1000000) WHERE id = ANY($1)",
        &products
    )
    .execute(pool)
    .await?;
    let products: Arc<Vec<String>> = Arc::new(
        products
            .into_iter()
            .map(|id| ProductId(id).to_global().to_string())
            .collect(),
    );
    let mut tokens = Vec::new();
    for n in 0..options.buyers {
        tokens.push(account(pool, keys, "BUYER", n).await?);
    }
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()?;
    let acked = match &options.acked {
        Some(path) => Some(Arc::new(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("open {path}"))?,
        ))),
        None => None,
    };
    let deadline = Instant::now() + Duration::from_secs(options.seconds);
    let started = Instant::now();
    let workers = tokens.into_iter().enumerate().map(|(n, token)| {
        let client = client.clone();
        let url = options.url.clone();
        let products = products.clone();
        let acked = acked.clone();
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0usize;
            let mut retries = 0usize;
            let mut i = 0usize;
            while Instant::now() < deadline {
                i += 1;
                let product = &products[(n * 7919 + i * 104_729) % products.len()];
                let added = post(
                    &client,
                    &url,
                    &token,
                    "mutation($p: ID!) { addToCart(productId: $p, quantity: \"1\") { userErrors { code } } }",
                    json!({ "p": product }),
                )
                .await;
                if added.is_err() {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                // One key per checkout; a transport failure (the server died, say) is retried
                // with the same key, as a client must, until it is answered.
                let key = format!("load-{n}-{i}-{}", uuid::Uuid::new_v4());
                let sent = Instant::now();
                let give_up = deadline + Duration::from_secs(60);
                let result = loop {
                    match post(
                        &client,
                        &url,
                        &token,
                        "mutation($k: String!) { checkout(idempotencyKey: $k) { orders { id number } userErrors { code message } } }",
                        json!({ "k": key }),
                    )
                    .await
                    {
                        Err(e) if Instant::now() < give_up => {
                            retries += 1;
                            if retries % 50 == 1 {
                                eprintln!("checkout failed, retrying with the same key: {e}");
                            }
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                        other => break other,
                    }
                };
                match result {
                    Ok(body) if body["data"]["checkout"]["userErrors"] == json!([]) => {
                        latencies.push(sent.elapsed().as_secs_f64() * 1000.0);
                        if let Some(acked) = &acked {
                            let mut file = acked.lock().await;
                            for order in body["data"]["checkout"]["orders"].as_array().into_iter().flatten() {
                                let id = order["id"].as_str().unwrap_or_default();
                                let _ = std::io::Write::write_all(&mut *file, format!("{key} {id}\n").as_bytes());
                            }
                        }
                    }
                    Ok(body) => {
                        errors += 1;
                        eprintln!("checkout refused: {}", body["data"]["checkout"]["userErrors"]);
                    }
                    Err(e) => {
                        errors += 1;
                        eprintln!("checkout failed: {e}");
                    }
                }
            }
            (latencies, errors, retries)
        })
    });
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut retries = 0;
    for worker in futures::future::join_all(workers).await {
        let (l, e, r) = worker?;
        latencies.extend(l);
        errors += e;
        retries += r;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    println!(
        "CHECKOUT buyers={} checkouts={} per_s={:.1} p50_ms={:.2} p95_ms={:.2} p99_ms={:.2} errors={} retries={}",
        options.buyers,
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        errors,
        retries
    );
    Ok(())
}

async fn fanout_load(options: &Options, pool: &PgPool, keys: &TokenKeys) -> anyhow::Result<()> {
    // A store and its owner, made a seller with a live session.
    let (store, owner): (i64, i64) =
        sqlx::query!("SELECT id, owner_id FROM stores ORDER BY id LIMIT 1")
            .fetch_one(pool)
            .await
            .map(|r| (r.id, r.owner_id))?;
    let session = uuid::Uuid::new_v4();
    sqlx::query!(
        "INSERT INTO refresh_token_families (id, user_id, user_agent) VALUES ($1, $2, 'load')",
        session,
        owner
    )
    .execute(pool)
    .await?;
    let seller = keys.issue(UserId(owner), session, chrono::Utc::now());
    let client = reqwest::Client::new();
    let mut conversations = Vec::with_capacity(options.conversations);
    for n in 0..options.conversations {
        let buyer = account(pool, keys, "BUYER", n).await?;
        let started = post(
            &client,
            &options.url,
            &buyer,
            "mutation($s: ID!) { startConversation(storeId: $s, body: \"Hola\") { conversation { id } userErrors { message } } }",
            json!({ "s": StoreId(store).to_global().to_string() }),
        )
        .await?;
        let conversation = started["data"]["startConversation"]["conversation"]["id"]
            .as_str()
            .with_context(|| format!("start conversation: {started}"))?
            .to_owned();
        conversations.push((buyer, conversation));
    }
    let conversations = Arc::new(conversations);

    let sent_at: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let ws_url = format!("{}/graphql", options.url.replace("http://", "ws://"));
    let mut subscribers = Vec::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(options.subscribers);
    let (sending_tx, sending_rx) = tokio::sync::watch::channel(false);
    // Subscribers join in waves of 200, each acknowledged before the next: 10,000
    // subscriptions authorised at once would queue on the server's database pool.
    let mut waited = 0;
    for i in 0..options.subscribers {
        if i > 0 && i % 200 == 0 {
            while waited < i {
                ready_rx
                    .recv()
                    .await
                    .context("a subscriber failed to start")?;
                waited += 1;
            }
        }
        let conversation = &conversations[i % conversations.len()].1;
        // Each subscriber receives the messages of its own conversation.
        let expected = (0..options.messages)
            .filter(|m| m % conversations.len() == i % conversations.len())
            .count();
        let mut request = ws_url.as_str().into_client_request()?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(request).await?;
        let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {seller}") } });
        ws.send(Message::Text(init.to_string().into())).await?;
        let subscribe = json!({ "id": "1", "type": "subscribe", "payload": {
            "query": "subscription($c: ID!) { messageAdded(conversationId: $c) { body } }",
            "variables": { "c": conversation } } });
        ws.send(Message::Text(subscribe.to_string().into())).await?;
        ws.send(Message::Text(json!({ "type": "ping" }).to_string().into()))
            .await?;
        let sent_at = sent_at.clone();
        let ready = ready_tx.clone();
        let mut sending = sending_rx.clone();
        subscribers.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(expected);
            while latencies.len() < expected {
                // Idle time counts only once sending has begun: the first waves wait for
                // the others to join, longer than the limit when there are 10,000.
                let idle_limit = async {
                    let _ = sending.wait_for(|begun| *begun).await;
                    tokio::time::sleep(Duration::from_secs(10)).await;
                };
                let frame = tokio::select! {
                    frame = ws.next() => frame,
                    () = idle_limit => None,
                };
                let Some(Ok(message)) = frame else {
                    break;
                };
                let Message::Text(text) = message else {
                    continue;
                };
                let Ok(value) = serde_json::from_str::<Value>(&text) else {
                    continue;
                };
                match value["type"].as_str() {
                    Some("pong") => {
                        let _ = ready.send(()).await;
                    }
                    Some("next") => {
                        let received = Instant::now();
                        let body = value["payload"]["data"]["messageAdded"]["body"]
                            .as_str()
                            .unwrap_or_default()
                            .to_owned();
                        if let Some(sent) = sent_at.lock().await.get(&body) {
                            latencies.push((received - *sent).as_secs_f64() * 1000.0);
                        }
                    }
                    _ => {}
                }
            }
            latencies
        }));
    }
    drop(ready_tx);
    for _ in waited..options.subscribers {
        ready_rx
            .recv()
            .await
            .context("a subscriber failed to start")?;
    }
    let every = Duration::from_secs_f64(1.0 / options.rate as f64);
    let started = Instant::now();
    let mut ticker = tokio::time::interval(every);
    let mut sends = Vec::with_capacity(options.messages);
    sending_tx.send_replace(true);
    for n in 0..options.messages {
        ticker.tick().await;
        let body = format!("mensaje {n}");
        sent_at.lock().await.insert(body.clone(), Instant::now());
        let (client, url, conversations) =
            (client.clone(), options.url.clone(), conversations.clone());
        sends.push(tokio::spawn(async move {
            let (buyer, conversation) = &conversations[n % conversations.len()];
            post(
                &client,
                &url,
                buyer,
                "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) { message { id } } }",
                json!({ "c": conversation, "b": body }),
            )
            .await
        }));
    }
    for send in futures::future::join_all(sends).await {
        send??;
    }
    let mut latencies = Vec::new();
    for subscriber in futures::future::join_all(subscribers).await {
        latencies.extend(subscriber?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let expected: usize = (0..options.subscribers)
        .map(|i| {
            (0..options.messages)
                .filter(|m| m % conversations.len() == i % conversations.len())
                .count()
        })
        .sum();
    latencies.sort_by(f64::total_cmp);
    println!(
        "FANOUT subscribers={} messages={} deliveries={} per_s={:.0} p50_ms={:.2} p95_ms={:.2} p99_ms={:.2} missing={}",
        options.subscribers,
        options.messages,
        latencies.len(),
        latencies.len() as f64 / elapsed,
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        expected - latencies.len()
    );
    Ok(())
}

/// Opens `--hold` connections, each with an `orderUpdated` subscription of its own buyer,
/// prints `HELD n` once every one is acknowledged and answers a ping, then keeps them open
/// until stdin closes (the calling script measures the server meanwhile).
async fn hold(options: &Options, pool: &PgPool, keys: &TokenKeys) -> anyhow::Result<()> {
    let buyer = account(pool, keys, "BUYER", 0).await?;
    let ws_url = format!("{}/graphql", options.url.replace("http://", "ws://"));
    let started = Instant::now();
    let mut sockets = Vec::with_capacity(options.hold);
    for n in 0..options.hold {
        let mut request = ws_url.as_str().into_client_request()?;
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
        let (mut ws, _) = tokio_tungstenite::connect_async(request)
            .await
            .with_context(|| format!("connection {n}"))?;
        for message in [
            json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {buyer}") } }),
            json!({ "id": "1", "type": "subscribe", "payload": { "query": "subscription { orderUpdated { id status } }" } }),
            json!({ "type": "ping" }),
        ] {
            ws.send(Message::Text(message.to_string().into())).await?;
        }
        sockets.push(ws);
    }
    for (n, ws) in sockets.iter_mut().enumerate() {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(30), ws.next())
                .await
                .with_context(|| format!("connection {n} answered nothing"))?
                .with_context(|| format!("connection {n} closed"))??;
            if let Message::Text(text) = message
                && text.contains("\"pong\"")
            {
                break;
            }
        }
    }
    println!(
        "HELD {} subscriptions in {:.1} s",
        sockets.len(),
        started.elapsed().as_secs_f64()
    );
    let mut line = String::new();
    let _ = tokio::task::spawn_blocking(move || std::io::stdin().read_line(&mut line)).await;
    drop(sockets);
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options()?;
    let keys = TokenKeys::parse(&options.jwt_keys).context("--jwt-keys")?;
    let pool = PgPoolOptions::new()
        .max_connections(4)
        .connect(&options.database_url)
        .await
        .context("connect to the database")?;
    if options.hold > 0 {
        return hold(&options, &pool, &keys).await;
    }
    if options.tokens > 0 {
        for n in 0..options.tokens {
            println!("{}", account(&pool, &keys, "BUYER", n).await?);
        }
        return Ok(());
    }
    if options.seconds > 0 {
        checkout_load(&options, &pool, &keys).await?;
    }
    if options.subscribers > 0 {
        fanout_load(&options, &pool, &keys).await?;
    }
    Ok(())
}
