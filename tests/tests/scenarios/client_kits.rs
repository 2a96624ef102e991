//! The client kits of `clients/`, against the real schema and server in production mode:
//! - web: GraphQL Codegen generates types and a persisted-document manifest, the manifest is
//!   pushed as a release would (`textisur persisted-queries push`), and the TypeScript
//!   example runs the search page and checkout by document id only;
//! - Apollo Kotlin and Apollo iOS: cannot be compiled here, so manifests in the format their
//!   configurations generate (`clients/fixtures/`) go through the server's manifest parser,
//!   are pushed, and their operations run by id.
//!
//! `tests/run-all.sh` installs `clients/web/node_modules` (`clients/web/setup.sh`).

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};
use textisur_api::runtime::config::PushArgs;
use textisur_api::runtime::http::HttpConfig;
use textisur_persisted_queries::{TrustedDocuments, sha256_hex};
use textisur_tests::{TestApp, TestOptions};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

async fn production_app() -> TestApp {
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(40),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    app
}

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Pushes `manifest` to Redis as a release does.
async fn push(manifest: PathBuf) -> usize {
    textisur_api::runtime::server::push_persisted_queries(&PushArgs {
        redis_url: redis_url(),
        manifests: vec![manifest],
    })
    .await
    .expect("push the manifest")
}

/// Deletes `documents` from Redis, as if never pushed.
async fn forget(documents: &TrustedDocuments) {
    let client = redis::Client::open(redis_url()).expect("redis url");
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .expect("connect to redis");
    for op in documents.operations() {
        let _: i64 = redis::cmd("DEL")
            .arg(format!("textisur:apq:{}", op.id))
            .query_async(&mut conn)
            .await
            .expect("DEL");
    }
}

/// Runs `npm run <script>` in `clients/web`, off the runtime's threads.
async fn npm(script: &'static str, env: Vec<(&'static str, String)>) -> std::process::Output {
    let dir = root().join("clients/web");
    assert!(
        dir.join("node_modules/.bin/graphql-codegen").exists(),
        "clients/web/node_modules is missing: run tests/run-all.sh, which installs it"
    );
    tokio::task::spawn_blocking(move || {
        Command::new("npm")
            .args(["run", "--silent", script])
            .current_dir(dir)
            .envs(env)
            .output()
            .expect("run npm")
    })
    .await
    .expect("npm task")
}

fn text(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_kit_generates_registers_and_buys_by_persisted_documents() {
    let app = production_app().await;
    for script in ["codegen", "build"] {
        let output = npm(script, Vec::new()).await;
        assert!(
            output.status.success(),
            "npm run {script}: {}",
            text(&output)
        );
    }
    let manifest = root().join("clients/web/src/gql/persisted-documents.json");
    let documents =
        TrustedDocuments::from_manifest(&std::fs::read_to_string(&manifest).expect("manifest"))
            .expect("the server reads Codegen's manifest");
    assert_eq!(documents.operations().len(), 4);
    let env = || {
        vec![
            ("TEXTISUR_API", app.base.clone()),
            (
                "EXAMPLE_EMAIL",
                format!("web-{}@example.com", std::process::id()),
            ),
        ]
    };

    // Before the release registers its documents, production refuses them (an earlier run
    // of this test pushed the same hashes: Redis keeps pushed documents without expiry).
    forget(&documents).await;
    let output = npm("example", env()).await;
    assert!(!output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("PERSISTED_QUERY_NOT_FOUND"),
        "{}",
        text(&output)
    );

    assert_eq!(push(manifest).await, 4);
    let output = npm("example", env()).await;
    assert!(output.status.success(), "{}", text(&output));
    let summary: Value = serde_json::from_str(
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .last()
            .expect("a summary line"),
    )
    .expect("json summary");
    assert!(summary["found"].as_i64() > Some(0), "{summary}");
    let orders = summary["orders"].as_array().expect("orders");
    assert_eq!(orders.len(), 1, "{summary}");
    assert_eq!(orders[0]["status"], "PENDING", "{summary}");
    let (number,): (String,) = sqlx::query!(
        "SELECT o.number FROM orders o JOIN users u ON u.id = o.buyer_id WHERE u.email = $1",
        &env()[1].1
    )
    .fetch_one(app.db.pool())
    .await
    .map(|r| (r.number,))
    .expect("the buyer's order is in PostgreSQL");
    assert_eq!(orders[0]["number"], number);
}

/// The names of the operations of `clients/<kit>/**.graphql`.
fn kit_operations(dir: &Path) -> Vec<String> {
    let mut names = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read kit") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "graphql") {
                let body = std::fs::read_to_string(&path).expect("operation");
                let name = body
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.split('(').next())
                    .expect("operation name")
                    .to_owned();
                names.push(name);
            }
        }
    }
    names.sort();
    names
}

#[tokio::test]
async fn apollo_kotlin_and_ios_manifests_are_read_pushed_and_run_by_id() {
    let app = production_app().await;
    let buyer = app.quick_account("Compradora Móvil", "BUYER").await;
    for (kit, fixture) in [
        ("android", "apollo-kotlin-manifest.json"),
        ("ios", "apollo-ios-manifest.json"),
    ] {
        let path = root().join("clients/fixtures").join(fixture);
        let documents =
            TrustedDocuments::from_manifest(&std::fs::read_to_string(&path).expect("fixture"))
                .unwrap_or_else(|e| panic!("{fixture}: {e}"));
        // The fixture holds the kit's operations as its generator writes them (Apollo Kotlin
        // minifies; Apollo iOS adds `__typename` to every selection set), each under the
        // SHA-256 of that text.
        let mut names: Vec<String> = documents
            .operations()
            .iter()
            .map(|op| {
                assert_eq!(op.id, sha256_hex(&op.body), "{fixture}: {}", op.name);
                op.name.clone()
            })
            .collect();
        names.sort();
        assert_eq!(
            names,
            kit_operations(&root().join("clients").join(kit)),
            "{fixture} against clients/{kit}"
        );
        assert_eq!(push(path).await, documents.operations().len());
        let search = documents
            .operations()
            .iter()
            .find(|op| op.name == "AppSearchPage")
            .expect("search");
        let (status, body) = app
            .graphql_by_id(None, &search.id, json!({ "query": "lino", "first": 3 }))
            .await;
        assert_eq!(status, 200, "{body}");
        assert!(
            body["data"]["products"]["totalCount"].as_i64() > Some(0),
            "{body}"
        );
        let checkout = documents
            .operations()
            .iter()
            .find(|op| op.name == "AppCheckout")
            .expect("checkout");
        let (_, body) = app
            .graphql_by_id(
                Some(&buyer.access_token),
                &checkout.id,
                json!({ "idempotencyKey": format!("{kit}-empty-cart") }),
            )
            .await;
        assert_eq!(
            body["data"]["checkout"]["userErrors"][0]["code"], "CART_EMPTY",
            "{body}"
        );
    }
}
