//! Login brute force is throttled per account and client address, so a stranger cannot lock
//! the owner out; a looser per-account tier catches guesses spread over many addresses.

use serde_json::{Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_api::runtime::http::HttpConfig;
use textisur_tests::{TEST_PASSWORD, TestApp, TestOptions};

const LOGIN: &str =
    "mutation($i: LoginInput!) { login(input: $i) { accessToken userErrors { code } } }";

async fn login_from(app: &TestApp, ip: &str, email: &str, password: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .header("x-forwarded-for", ip)
        .json(&json!({ "query": LOGIN, "variables": { "i": { "email": email, "password": password } } }))
        .send()
        .await
        .expect("send");
    (
        response.status().as_u16(),
        response.json().await.expect("json"),
    )
}

async fn behind_a_trusted_proxy(auth_limits: Option<AuthLimitConfig>) -> TestApp {
    TestApp::spawn_with(TestOptions {
        http: Some(HttpConfig {
            trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
            ..HttpConfig::default()
        }),
        auth_limits,
        ..TestOptions::default()
    })
    .await
}

fn assert_throttled(body: &Value) {
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "THROTTLED", "{body}");
    let retry = error["extensions"]["retryAfterMs"].as_u64().unwrap_or(0);
    assert!(retry > 0, "retryAfterMs {retry}");
    assert!(body["data"]["login"].is_null());
}

#[tokio::test]
async fn a_strangers_wrong_passwords_do_not_lock_the_owner_out_from_another_address() {
    let app = behind_a_trusted_proxy(None).await;
    app.register("ana@correo.cl", "Ana").await;
    let attacker = "198.51.100.7";

    for attempt in 1..=10 {
        let (status, body) = login_from(&app, attacker, "ana@correo.cl", "adivinanza-123").await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["login"]["userErrors"][0]["code"], "INVALID_CREDENTIALS",
            "attempt {attempt}: {body}"
        );
    }
    let (_, body) = login_from(&app, attacker, "ana@correo.cl", "adivinanza-123").await;
    assert_throttled(&body);
    let retry = body["errors"][0]["extensions"]["retryAfterMs"]
        .as_u64()
        .unwrap_or(0);
    assert!(retry <= 60_000, "retryAfterMs {retry}");
    // The attacker's address waits even with the right password: the limit counts attempts.
    let (_, body) = login_from(&app, attacker, "ana@correo.cl", TEST_PASSWORD).await;
    assert_throttled(&body);

    // The owner, at their own address, signs in as if nothing happened.
    let (_, body) = login_from(&app, "203.0.113.20", "ana@correo.cl", TEST_PASSWORD).await;
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
}

#[tokio::test]
async fn guesses_spread_over_many_addresses_reach_the_per_account_tier() {
    let app = behind_a_trusted_proxy(Some(AuthLimitConfig {
        login_per_account_per_hour: 25,
        ..AuthLimitConfig::default()
    }))
    .await;
    app.register("ana@correo.cl", "Ana").await;

    // Ten guesses from each address stay under the strict tier of every one of them.
    let mut refused_at = None;
    'guessing: for address in 1..=5 {
        for guess in 0..10 {
            let ip = format!("198.51.100.{address}");
            let (_, body) = login_from(&app, &ip, "ana@correo.cl", "adivinanza-123").await;
            if body["errors"][0]["extensions"]["code"] == "THROTTLED" {
                refused_at = Some((address - 1) * 10 + guess);
                break 'guessing;
            }
            assert_eq!(
                body["data"]["login"]["userErrors"][0]["code"], "INVALID_CREDENTIALS",
                "{body}"
            );
        }
    }
    assert_eq!(refused_at, Some(25), "the 26th guess on the account waits");
    // Every address shares that tier now, a fresh one included.
    let (_, body) = login_from(&app, "203.0.113.20", "ana@correo.cl", TEST_PASSWORD).await;
    assert_throttled(&body);
}

#[tokio::test]
async fn forwarded_for_is_ignored_from_untrusted_peers() {
    let app = TestApp::spawn().await;
    app.register("ana@correo.cl", "Ana").await;
    // Without trusted proxies every request comes from 127.0.0.1, whatever it claims: the
    // per-IP limit (60 a minute) is shared by all these "addresses".
    let mut throttled = false;
    for n in 0..70 {
        let (_, body) = login_from(
            &app,
            &format!("203.0.113.{n}"),
            &format!("nadie{n}@correo.cl"),
            "adivinanza-123",
        )
        .await;
        if body["errors"][0]["extensions"]["code"] == "THROTTLED" {
            throttled = true;
            break;
        }
    }
    assert!(
        throttled,
        "spoofed X-Forwarded-For must not escape the per-IP limit"
    );
}
