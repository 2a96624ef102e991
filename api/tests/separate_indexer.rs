//! The separate deployment: `textisur indexer` writes the index, a server started with
//! `--indexer off` only reads it and picks up each commit.

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
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

/// Polls `/health/ready` until `done` holds. The writer is another process, so there is
/// nothing to drain from here: polling a condition is the only way to wait for it.
async fn ready_until(base: &str, done: impl Fn(&Value) -> bool) -> Value {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(response) = client.get(format!("{base}/health/ready")).send().await
            && let Ok(body) = response.json::<Value>().await
            && done(&body)
        {
            return body;
        }
        assert!(Instant::now() < deadline, "condition not reached in 60 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn a_reader_only_server_picks_up_what_a_separate_indexer_writes() {
    let scratch = Scratch::new("separate_indexer", env!("CARGO_BIN_EXE_textisur"));
    scratch.ok(&["seed", "--products", "200"]);
    let _indexer = Killed(
        scratch
            .command(&["indexer", "--index-sweep-seconds", "1"])
            .spawn()
            .expect("start indexer"),
    );
    let mut server = scratch
        .command(&[
            "serve",
            "--indexer",
            "off",
            "--no-demo-data",
            "--listen",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start server");
    let stdout = server.stdout.take().expect("stdout");
    let server = Killed(server);
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let base = lines
        .find_map(|line| {
            line.strip_prefix("TextiSur API listening on ")
                .map(|a| a.trim().to_owned())
        })
        .expect("server printed its address");
    // Keep reading, or the server's next line hits a closed pipe.
    std::thread::spawn(move || lines.for_each(drop));

    // Unready until the indexer has built the index, then ready with a search section.
    let ready = ready_until(&base, |b| b["search"]["status"] == "ok").await;
    assert_eq!(ready["status"], "ready", "{ready}");

    let pool = scratch.pool().await;
    let txid = sqlx::query_scalar!(
        r#"UPDATE products SET name = 'Chal de vicuña andina' WHERE id = 7
         RETURNING pg_current_xact_id()::text AS "txid!""#
    )
    .fetch_one(&pool)
    .await
    .expect("rename");
    let txid: u64 = txid.parse().expect("txid");
    // The reader learns the new commit's position and then its checkpoint (lag is measured
    // from the checkpoint), so one probe may see the first without the second: wait for both.
    ready_until(&base, |b| {
        b["search"]["appliedBelow"]
            .as_u64()
            .is_some_and(|a| a > txid)
            && b["search"]["lagRows"] == 0
    })
    .await;

    let found: Value = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .json(&serde_json::json!({
            "query": "{ products(query: \"vicuña andina\") { nodes { name } } }"
        }))
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    assert_eq!(
        found["data"]["products"]["nodes"][0]["name"], "Chal de vicuña andina",
        "{found}"
    );
    drop(server);
    pool.close().await;
}
