//! The standalone `textisur indexer` serves its own `/metrics` on `--metrics-listen`: index
//! documents, lag and commit latency as it records them, plus its pool and process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use textisur_tests::scratch::Scratch;

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let _ = self.0.wait();
    }
}

/// The value of the series named exactly `series` in Prometheus text.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn the_separate_indexer_serves_its_index_metrics() {
    let scratch = Scratch::new("indexer_metrics", env!("CARGO_BIN_EXE_textisur"));
    scratch.ok(&["seed", "--products", "40"]);
    let mut indexer = scratch
        .command(&[
            "indexer",
            "--index-sweep-seconds",
            "1",
            "--metrics-listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start indexer");
    let stdout = indexer.stdout.take().expect("stdout");
    let _indexer = Killed(indexer);
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let url = lines
        .find_map(|line| {
            line.strip_prefix("TextiSur indexer metrics on ")
                .map(|a| a.trim().to_owned())
        })
        .expect("indexer printed its metrics address");
    std::thread::spawn(move || lines.for_each(drop));

    // The indexer is another process: polling its scrape is the only way to see it work.
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let text = loop {
        if let Ok(response) = client.get(&url).send().await {
            assert_eq!(response.status(), 200);
            let text = response.text().await.expect("text");
            // The seed leaves a few products unlisted; the index holds the others.
            if sample(&text, r#"textisur_index_documents{kind="product"}"#)
                .is_some_and(|n| n >= 30.0)
                && sample(&text, "textisur_index_lag_rows") == Some(0.0)
            {
                break text;
            }
        }
        assert!(
            Instant::now() < deadline,
            "index documents and zero lag not served in 60 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        sample(&text, "textisur_index_lag_seconds").is_some(),
        "{text}"
    );
    assert!(
        sample(&text, r#"textisur_index_documents{kind="store"}"#).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, r#"textisur_db_pool_connections{state="open"}"#).is_some_and(|n| n >= 1.0),
        "{text}"
    );
    assert!(
        sample(&text, "process_resident_memory_bytes").is_some_and(|n| n > 0.0),
        "{text}"
    );
}
