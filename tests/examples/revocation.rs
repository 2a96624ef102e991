//! How long a logout through one replica takes to refuse the session's access token on the
//! others, end to end.
//!
//! ```sh
//! cargo run --release -p textisur-tests --example revocation -- \
//!     --urls http://127.0.0.1:18201,http://127.0.0.1:18202,http://127.0.0.1:18203 --tries 100
//! ```
//!
//! `tests/scale/revocation.sh` starts three servers on one database and runs it. Each try
//! signs in through the first server, makes one signed-in request to every other server (so
//! each holds the session in its 2 s cache of live sessions: the case a revocation must
//! beat), logs out through the first, and then polls `{ me { id } }` on every other server
//! until it answers `401`. A latency runs from the moment the logout's answer arrived to the
//! moment the refusal arrived, so it is late by at most one poll (`--poll-ms`, 1) plus one
//! request. Each try also holds a signed-in WebSocket (`graphql-transport-ws`) on the last
//! server and waits for it to close. Prints two summary lines over all tries and servers:
//!
//! `REVOCATION refusals p50_ms p95_ms p99_ms max_ms over_100ms`
//! `SOCKETS closed_with_4403 of p50_ms p99_ms max_ms`

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use textisur_tests::stats::percentile;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A `graphql-transport-ws` socket on `url`, initialised with `token` and acknowledged.
async fn signed_in_socket(url: &str, token: &str) -> anyhow::Result<Socket> {
    let mut request =
        format!("{}/graphql", url.replace("http://", "ws://")).into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "Authorization": format!("Bearer {token}") } });
    socket.send(Message::Text(init.to_string().into())).await?;
    match socket.next().await {
        Some(Ok(Message::Text(text))) if text.contains("connection_ack") => Ok(socket),
        other => bail!("no connection_ack: {other:?}"),
    }
}

/// The close code the server ends `socket` with (0: closed without one).
async fn close_code(socket: &mut Socket) -> u16 {
    loop {
        match tokio::time::timeout(GIVE_UP, socket.next()).await {
            Ok(Some(Ok(Message::Close(Some(frame))))) => return u16::from(frame.code),
            Ok(Some(Ok(_))) => {}
            _ => return 0,
        }
    }
}

/// How long a server may keep accepting the token before the try counts as a failure.
const GIVE_UP: Duration = Duration::from_secs(10);
const PASSWORD: &str = "revocacion-medida-2026";

/// How many tries against which servers.
#[derive(clap::Parser)]
struct Options {
    /// The servers, comma separated: logouts go to the first, the others are polled.
    #[arg(long, value_delimiter = ',', num_args = 1.., required = true)]
    urls: Vec<String>,
    /// Sign-in, logout and polling rounds.
    #[arg(long, default_value_t = 100)]
    tries: usize,
    /// Milliseconds between two polls of one server.
    #[arg(long = "poll-ms", default_value_t = 1)]
    poll_ms: u64,
}

async fn graphql(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    body: Value,
) -> anyhow::Result<(u16, Value)> {
    let mut request = client
        .post(format!("{url}/graphql"))
        .header("accept", "application/graphql-response+json")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut options = <Options as clap::Parser>::parse();
    for url in &mut options.urls {
        *url = url.trim_end_matches('/').to_owned();
    }
    if options.urls.len() < 2 {
        bail!("--urls needs at least two servers, comma separated");
    }
    let poll = Duration::from_millis(options.poll_ms);
    let client = reqwest::Client::new();
    let (first, others) = options.urls.split_first().context("no servers")?;
    let email = format!("revocacion-{}@example.com", std::process::id());
    let register = json!({
        "query": "mutation($i: RegisterInput!) { register(input: $i) { userErrors { code } } }",
        "variables": { "i": { "email": email, "password": PASSWORD, "name": "Medición" } }
    });
    let (status, body) = graphql(&client, first, None, register).await?;
    if status != 200 || body["data"]["register"]["userErrors"] != json!([]) {
        bail!("register: {status} {body}");
    }
    let me = json!({ "query": "{ me { id } }" });
    let mut latencies = Vec::new();
    let mut closes = Vec::new();
    let mut closed_with_4403 = 0;
    for attempt in 1..=options.tries {
        let login = json!({
            "query": "mutation($i: LoginInput!) { login(input: $i) { accessToken refreshToken userErrors { code } } }",
            "variables": { "i": { "email": email, "password": PASSWORD } }
        });
        let (_, body) = graphql(&client, first, None, login).await?;
        let access = body["data"]["login"]["accessToken"]
            .as_str()
            .with_context(|| format!("try {attempt}: login {body}"))?
            .to_owned();
        let refresh = body["data"]["login"]["refreshToken"]
            .as_str()
            .context("refresh token")?
            .to_owned();
        for url in others {
            let (status, body) = graphql(&client, url, Some(&access), me.clone()).await?;
            if status != 200 {
                bail!("try {attempt}: {url} refused a live session: {status} {body}");
            }
        }
        let last = others.last().context("another server")?;
        let mut socket = signed_in_socket(last, &access).await?;
        let logout = json!({
            "query": "mutation($t: String!) { logout(refreshToken: $t) { ok } }",
            "variables": { "t": refresh }
        });
        let (status, body) = graphql(&client, first, Some(&access), logout).await?;
        if status != 200 || body["data"]["logout"]["ok"] != true {
            bail!("try {attempt}: logout {status} {body}");
        }
        let logged_out = Instant::now();
        // Every other server polled at once, so one's wait never adds to another's.
        let refusals = others.iter().map(|url| {
            let (client, access, me) = (&client, access.as_str(), &me);
            async move {
                loop {
                    let (status, _) = graphql(client, url, Some(access), me.clone()).await?;
                    if status == 401 {
                        return anyhow::Ok(logged_out.elapsed().as_secs_f64() * 1000.0);
                    }
                    if logged_out.elapsed() > GIVE_UP {
                        bail!("try {attempt}: {url} still accepts the token after {GIVE_UP:?}");
                    }
                    tokio::time::sleep(poll).await;
                }
            }
        });
        let closed = async {
            let code = close_code(&mut socket).await;
            (code, logged_out.elapsed().as_secs_f64() * 1000.0)
        };
        let (refused, (code, closed_ms)) =
            futures::future::join(futures::future::join_all(refusals), closed).await;
        for latency in refused {
            latencies.push(latency?);
        }
        closed_with_4403 += usize::from(code == 4403);
        closes.push(closed_ms);
    }
    closes.sort_by(f64::total_cmp);
    latencies.sort_by(f64::total_cmp);
    let over = latencies.iter().filter(|ms| **ms > 100.0).count();
    println!(
        "REVOCATION {} {:.2} {:.2} {:.2} {:.2} {over}",
        latencies.len(),
        percentile(&latencies, 50.0),
        percentile(&latencies, 95.0),
        percentile(&latencies, 99.0),
        latencies.last().copied().unwrap_or(0.0),
    );
    println!(
        "SOCKETS {closed_with_4403} {} {:.2} {:.2} {:.2}",
        closes.len(),
        percentile(&closes, 50.0),
        percentile(&closes, 99.0),
        closes.last().copied().unwrap_or(0.0),
    );
    Ok(())
}
