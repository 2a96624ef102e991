//! Apollo Client's own persisted-queries link (`@apollo/client` 3, pinned in
//! `tests/apollo-client/package-lock.json`) against the real server and Redis:
//! `tests/apollo-client/run.mjs` records every request and response on the wire and checks
//! the miss, the registration, a hit over POST and a hit over GET, then a GET hit on a second
//! server sharing the Redis. `tests/run-all.sh` installs the script's `node_modules` where
//! missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use textisur_persisted_queries::sha256_hex;
use textisur_tests::TestApp;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apollo_clients_link_misses_registers_then_hits_over_post_and_get() {
    let root = workspace_root();
    let dir = root.join("tests/apollo-client");
    assert!(
        dir.join("node_modules/@apollo/client").exists(),
        "tests/apollo-client/node_modules is missing: run tests/run-all.sh, which installs it"
    );
    // Two servers on the same Redis, each with its own in-process cache: the second one can
    // only know the hash from Redis. Same seed, so both answer the same products.
    let app = TestApp::seeded(200).await;
    app.sync_search().await;
    let other = TestApp::seeded(200).await;
    other.sync_search().await;
    let (base, other_base) = (app.base.clone(), other.base.clone());
    // The clients talk to this test's servers: run node off the runtime's threads.
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(dir.join("run.mjs"))
            .arg(&base)
            .arg(&other_base)
            .output()
    })
    .await
    .expect("join")
    .expect("run node tests/apollo-client/run.mjs");
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

    // The wire, as the script saw it: (method, text sent, answer).
    let steps: Vec<(&str, bool, &str)> = summary["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            let answer = s["errorCodes"][0].as_str().unwrap_or("data");
            (
                s["method"].as_str().unwrap_or(""),
                s["sentQueryText"] == true,
                answer,
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("POST", false, "PERSISTED_QUERY_NOT_FOUND"),
            ("POST", true, "data"),
            ("POST", false, "data"),
            ("GET", false, "data"),
            ("GET", false, "data"),
        ],
        "{summary}"
    );
    // The hash Apollo sent is the server's own sha256 of the text it registered.
    let text = summary["registeredQuery"]
        .as_str()
        .expect("registered text");
    assert_eq!(summary["hash"], sha256_hex(text), "{summary}");
    assert_eq!(
        summary["steps"][4]["host"],
        other.base.trim_start_matches("http://")
    );
}
