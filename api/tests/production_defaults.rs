//! The `textisur` binary's production defaults, each on a fresh database: it refuses to
//! start without JWT keys, seeds nobody (and with `--demo-data` no account signs in with the
//! published demo password), and serves `/metrics` only on the metrics address. Development
//! keeps seeding and `/metrics` on the API port.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};

use serde_json::{Value, json};
use textisur_api::runtime::demo::{ADMIN_EMAIL, DEMO_PASSWORD};
use textisur_persisted_queries::TrustedDocuments;
use textisur_tests::scratch::Scratch;

const JWT_KEYS: &str = "prod:dGV4dGlzdXItdGVzdC1rZXktMzItYnl0ZXMtbG9uZyEhIQ==";

/// A running `textisur serve`, stopped when dropped.
struct Server {
    child: Child,
    base: String,
    /// The metrics URL it printed (none before `--metrics-listen` existed).
    metrics: Option<String>,
    /// Everything it printed until it served.
    printed: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// `textisur serve ARGS` on `scratch` with none of the configuration this test decides
/// taken from the environment.
fn serve(scratch: &Scratch, args: &[&str]) -> Command {
    let mut command = scratch.command(&[&["serve", "--listen", "127.0.0.1:0"], args].concat());
    for variable in [
        "TEXTISUR_ENV",
        "TEXTISUR_JWT_KEYS",
        "TEXTISUR_JWT_KEYS_FILE",
        "TEXTISUR_DEMO_DATA",
        "TEXTISUR_NO_DEMO_DATA",
        "TEXTISUR_METRICS_LISTEN",
        "TEXTISUR_PERSISTED_ONLY",
    ] {
        command.env_remove(variable);
    }
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    command
}

/// Starts the server and reads its addresses from what it prints; when it exits instead,
/// returns its exit status and standard error.
fn start(mut command: Command) -> Result<Server, (std::process::ExitStatus, String)> {
    let mut child = command.spawn().expect("start textisur");
    let stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
    let mut printed = String::new();
    let mut base = None;
    let mut metrics = None;
    for line in lines.by_ref() {
        printed.push_str(&line);
        printed.push('\n');
        if let Some(address) = line.strip_prefix("TextiSur API listening on ") {
            base = Some(address.trim().to_owned());
        }
        if let Some(url) = line.trim().strip_prefix("Metrics") {
            metrics = Some(url.trim().to_owned());
        }
        // The last line it prints once it serves.
        if line.trim().starts_with("Health") {
            let base = base.expect("the API address comes first");
            // Keep both pipes drained so the server never blocks on a full one.
            std::thread::spawn(move || lines.for_each(drop));
            std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
            return Ok(Server {
                child,
                base,
                metrics,
                printed,
            });
        }
    }
    let mut error = String::new();
    stderr.read_to_string(&mut error).expect("read stderr");
    let status = child.wait().expect("wait for textisur");
    Err((status, error))
}

/// Sends the trusted `Login` by document id alone, as the apps do; returns `login`.
async fn log_in(base: &str, email: &str, password: &str) -> Value {
    let trusted = TrustedDocuments::embedded().expect("embedded manifests");
    let login = trusted
        .operations()
        .iter()
        .find(|op| op.name == "Login")
        .expect("a trusted Login");
    let body = json!({
        "documentId": format!("sha256:{}", login.id),
        "variables": { "input": { "email": email, "password": password } },
    });
    let response = reqwest::Client::new()
        .post(format!("{base}/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body)
        .send()
        .await
        .expect("send login");
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert!(body.get("errors").is_none(), "{body}");
    body["data"]["login"].clone()
}

fn assert_refused(login: &Value, who: &str) {
    assert!(login["accessToken"].is_null(), "{who} signed in: {login}");
    assert_eq!(
        login["userErrors"][0]["code"], "INVALID_CREDENTIALS",
        "{who}: {login}"
    );
}

async fn get(url: &str) -> (u16, String) {
    let response = reqwest::get(url).await.expect("send");
    let status = response.status().as_u16();
    (status, response.text().await.expect("text"))
}

async fn count(scratch: &Scratch, table: &str) -> i64 {
    let pool = scratch.pool().await;
    let statement = format!("SELECT count(*) FROM {table}");
    let n = sqlx::query_scalar(sqlx::AssertSqlSafe(statement))
        .fetch_one(&pool)
        .await
        .expect("count");
    pool.close().await;
    n
}

#[tokio::test]
async fn production_refuses_to_start_without_jwt_keys() {
    let scratch = Scratch::new("prod_no_keys", env!("CARGO_BIN_EXE_textisur"));
    // Unset, and set but empty (an `.env` copied from `.env.example`).
    for keys in [None, Some("")] {
        let mut command = serve(
            &scratch,
            &["--environment", "production", "--demo-products", "20"],
        );
        if let Some(keys) = keys {
            command.env("TEXTISUR_JWT_KEYS", keys);
        }
        let Err((status, stderr)) = start(command) else {
            panic!("a production server started with JWT keys {keys:?}");
        };
        assert!(!status.success(), "{status:?}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "one line: {stderr}");
        assert!(lines[0].contains("TEXTISUR_JWT_KEYS"), "{stderr}");
    }
    // Refused before it touched PostgreSQL: the database was never created.
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&textisur_tests::admin_url())
        .await
        .expect("connect");
    let created: bool = sqlx::query_scalar!(
        r#"SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS "exists!""#,
        &scratch.database.name
    )
    .fetch_one(&admin)
    .await
    .expect("look up the database");
    assert!(!created, "a refused server created its database");
}

#[tokio::test]
async fn production_seeds_nobody_and_serves_metrics_only_apart() {
    let scratch = Scratch::new("prod_empty", env!("CARGO_BIN_EXE_textisur"));
    let mut command = serve(
        &scratch,
        &[
            "--environment",
            "production",
            "--demo-products",
            "20",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
    );
    command.env("TEXTISUR_JWT_KEYS", JWT_KEYS);
    let server = start(command).unwrap_or_else(|(status, e)| panic!("{status:?}: {e}"));

    for email in [ADMIN_EMAIL, "vendedor1@textisur.example"] {
        assert_refused(&log_in(&server.base, email, DEMO_PASSWORD).await, email);
    }
    assert_eq!(count(&scratch, "users").await, 0, "no account was seeded");
    assert_eq!(
        count(&scratch, "products").await,
        0,
        "no product was seeded"
    );

    let (status, body) = get(&format!("{}/metrics", server.base)).await;
    assert_eq!(status, 404, "no metrics on the API port: {body}");
    let metrics = server.metrics.clone().expect("a metrics address");
    assert_ne!(metrics, format!("{}/metrics", server.base));
    let (status, body) = get(&metrics).await;
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("textisur_http_requests_total{route=\"/graphql\""),
        "the API's requests are counted there: {body}"
    );
}

#[tokio::test]
async fn production_demo_data_publishes_no_password() {
    let scratch = Scratch::new("prod_demo", env!("CARGO_BIN_EXE_textisur"));
    let mut command = serve(
        &scratch,
        &[
            "--environment",
            "production",
            "--demo-data",
            "--demo-products",
            "20",
            "--metrics-listen",
            "127.0.0.1:0",
        ],
    );
    command.env("TEXTISUR_JWT_KEYS", JWT_KEYS);
    let server = start(command).unwrap_or_else(|(status, e)| panic!("{status:?}: {e}"));

    assert!(count(&scratch, "products").await >= 20, "demo catalogue");
    assert!(count(&scratch, "users").await > 0, "demo accounts");
    for email in [ADMIN_EMAIL, "vendedor1@textisur.example"] {
        assert_refused(&log_in(&server.base, email, DEMO_PASSWORD).await, email);
    }
    assert!(
        !server.printed.contains(DEMO_PASSWORD),
        "{}",
        server.printed
    );
}

#[tokio::test]
async fn development_keeps_demo_data_and_metrics_on_the_api_port() {
    let scratch = Scratch::new("dev_defaults", env!("CARGO_BIN_EXE_textisur"));
    let command = serve(&scratch, &["--demo-products", "20"]);
    let server = start(command).unwrap_or_else(|(status, e)| panic!("{status:?}: {e}"));

    let login = log_in(&server.base, ADMIN_EMAIL, DEMO_PASSWORD).await;
    assert!(login["accessToken"].is_string(), "{login}");
    let metrics = format!("{}/metrics", server.base);
    assert_eq!(server.metrics.as_deref(), Some(metrics.as_str()));
    let (status, body) = get(&metrics).await;
    assert_eq!(status, 200, "{body}");
}
