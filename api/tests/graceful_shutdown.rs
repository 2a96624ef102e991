//! SIGTERM under load: the `textisur` binary finishes every request it accepted, then exits.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};
use textisur_tests::scratch::Scratch;

const NESTED_PAGE: &str = "{ products(first: 100) { nodes { name store { name } category { name }
    reviews(first: 3) { nodes { rating author { name } } } } } }";

#[tokio::test]
async fn sigterm_lets_every_accepted_request_finish() {
    let scratch = Scratch::new("shutdown", env!("CARGO_BIN_EXE_textisur"));
    let mut server = scratch
        .command(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--cost-bucket",
            "1000000",
            "--cost-restore-rate",
            "1000000",
            "--demo-products",
            "400",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start textisur");
    let stdout = server.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("server printed its address")
            .expect("read stdout");
        if let Some(address) = line.strip_prefix("TextiSur API listening on ") {
            break address.trim().to_owned();
        }
    };

    let client = reqwest::Client::new();
    let in_flight: Vec<_> = (0..40)
        .map(|_| {
            let request = client
                .post(format!("{base}/graphql"))
                .header("accept", "application/graphql-response+json")
                .json(&json!({ "query": NESTED_PAGE }))
                .send();
            tokio::spawn(async move {
                let response = request.await?;
                let status = response.status();
                let body: Value = response.json().await?;
                Ok::<_, reqwest::Error>((status, body, std::time::Instant::now()))
            })
        })
        .collect();
    // Let the requests reach the server (they queue behind each other on two cores).
    tokio::time::sleep(Duration::from_millis(300)).await;
    let signalled_at = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());

    let mut completed = 0;
    let mut after_signal = 0;
    for handle in in_flight {
        let (status, body, done_at) = handle
            .await
            .expect("join")
            .expect("an accepted request was reset");
        after_signal += usize::from(done_at > signalled_at);
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            body["data"]["products"]["nodes"].as_array().map(Vec::len),
            Some(100)
        );
        completed += 1;
    }
    assert_eq!(completed, 40);
    assert!(
        after_signal > 0,
        "the signal arrived while requests were in flight"
    );
    let exit = tokio::task::spawn_blocking(move || server.wait())
        .await
        .expect("join")
        .expect("wait");
    assert!(
        exit.success(),
        "the server exits cleanly after draining: {exit:?}"
    );

    let refused = client.get(format!("{base}/health/live")).send().await;
    assert!(refused.is_err(), "nothing listens after shutdown");
}
