//! The playground: its routes, and the page in a real browser (`tests/playground-e2e/run.mjs`
//! drives Debian's Chromium through playwright-core, no browser download) against a seeded
//! server in production mode, signing in as the seeded admin and running a search typed into
//! the editor; the session's timing runs under node's test runner. `tests/run-all.sh`
//! installs Chromium and the script's `node_modules` where missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use textisur_api::runtime::http::HttpConfig;
use textisur_tests::{TestApp, TestOptions};

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_signs_in_and_runs_a_typed_search_in_the_playground() {
    let root = workspace_root();
    let script = root.join("tests/playground-e2e/run.mjs");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    assert!(
        Path::new(&chromium).exists() && root.join("tests/playground-e2e/node_modules").exists(),
        "{chromium} or tests/playground-e2e/node_modules is missing: run tests/run-all.sh, \
         which installs them"
    );
    let app = TestApp::spawn_with(TestOptions {
        seed_products: Some(300),
        http: Some(HttpConfig {
            production: true,
            safelist: true,
            cost_bucket: 1_000_000,
            cost_restore_rate: 1_000_000,
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    app.sync_search().await;
    let screenshot = root.join("target/playground.png");
    let base = app.base.clone();
    // The browser talks to this test's server: run it off the runtime's threads.
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .arg(&base)
            .arg(&screenshot)
            .output()
    })
    .await
    .expect("join")
    .expect("run node tests/playground-e2e/run.mjs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}");
    assert!(
        output.status.success(),
        "run.mjs failed\n{stdout}\n{stderr}"
    );
    let summary: Value = stdout
        .lines()
        .rev()
        .find_map(|line| serde_json::from_str(line).ok())
        .expect("a JSON summary line");
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["offsite"], 0, "{summary}");
    assert_eq!(summary["paneHasProduct"], true, "{summary}");
    assert!(
        summary["csp"]
            .as_str()
            .is_some_and(|csp| csp.contains("script-src 'self'")),
        "{summary}"
    );
    assert!(root.join("target/playground.png").exists());
}

#[tokio::test]
async fn the_page_its_assets_and_the_trusted_operations_are_served_from_the_binary() {
    let app = TestApp::spawn().await;
    let page = app
        .client
        .get(app.url("/playground"))
        .send()
        .await
        .expect("GET /playground");
    assert_eq!(page.status(), 200);
    let header = |name: &str| {
        page.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/html"));
    assert_eq!(header("cache-control"), "no-cache");
    assert_eq!(
        header("content-security-policy"),
        textisur_api::runtime::http::playground::CONTENT_SECURITY_POLICY_VALUE
    );
    let etag = header("etag");
    let html = page.text().await.expect("html");
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page's script");
    assert!(script.starts_with("/playground/assets/"), "{script}");

    let gzipped = app
        .client
        .get(app.url(script))
        .header("accept-encoding", "gzip, deflate")
        .send()
        .await
        .expect("gzipped asset");
    assert_eq!(gzipped.status(), 200);
    assert_eq!(gzipped.headers()["content-encoding"], "gzip");
    assert_eq!(gzipped.headers()["vary"], "Accept-Encoding");
    let gzipped = gzipped.bytes().await.expect("body");
    assert!(gzipped.starts_with(&[0x1f, 0x8b]), "gzip magic");

    let asset = app.client.get(app.url(script)).send().await.expect("asset");
    assert_eq!(asset.status(), 200);
    assert!(asset.headers().get("content-encoding").is_none());
    assert!(
        asset.headers()["content-type"]
            .to_str()
            .is_ok_and(|t| t.starts_with("text/javascript"))
    );
    assert!(
        asset.headers()["cache-control"]
            .to_str()
            .is_ok_and(|c| c.contains("immutable"))
    );

    let plain = asset.bytes().await.expect("body");
    assert!(
        gzipped.len() * 2 < plain.len(),
        "{} vs {}",
        gzipped.len(),
        plain.len()
    );

    let again = app
        .client
        .get(app.url("/playground"))
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("revalidate");
    assert_eq!(again.status(), 304);
    let missing = app
        .client
        .get(app.url("/playground/assets/nothing-here.js"))
        .send()
        .await
        .expect("missing asset");
    assert_eq!(missing.status(), 404);

    let operations: Value = app
        .client
        .get(app.url("/playground/operations.json"))
        .send()
        .await
        .expect("operations")
        .json()
        .await
        .expect("json");
    assert_eq!(operations["production"], false);
    let names: Vec<&str> = operations["operations"]
        .as_array()
        .expect("operations")
        .iter()
        .filter_map(|op| op["name"].as_str())
        .collect();
    for name in ["SearchPage", "ProductPage", "StorePage", "Login"] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
}

#[test]
fn the_session_renews_itself_before_the_access_token_expires() {
    // Fifteen minutes are fake-timed in node (no npm packages needed), not waited for.
    let playground = workspace_root().join("playground");
    let output = Command::new("node")
        .args(["--test", "src/session.test.js"])
        .current_dir(&playground)
        .output()
        .expect("run node --test playground/src/session.test.js");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("# fail 0"), "{stdout}");
}
