//! Login brute force is throttled per account (and per IP) without locking out others.

use serde_json::{Value, json};
use textisur_api::http::HttpConfig;
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

#[tokio::test]
async fn the_eleventh_wrong_password_in_a_minute_is_throttled_for_that_account_only() {
    let app = TestApp::spawn_with(TestOptions {
        http: Some(HttpConfig {
            trusted_proxies: vec!["127.0.0.1".parse().expect("ip")],
            ..HttpConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    app.register("ana@correo.cl", "Ana").await;
    app.register("beto@correo.cl", "Beto").await;

    for attempt in 1..=10 {
        let (status, body) =
            login_from(&app, "198.51.100.7", "ana@correo.cl", "adivinanza-123").await;
        assert_eq!(status, 200);
        assert_eq!(
            body["data"]["login"]["userErrors"][0]["code"], "INVALID_CREDENTIALS",
            "attempt {attempt}: {body}"
        );
    }
    let (_, body) = login_from(&app, "198.51.100.7", "ana@correo.cl", "adivinanza-123").await;
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "THROTTLED", "{body}");
    let retry = error["extensions"]["retryAfterMs"].as_u64().unwrap_or(0);
    assert!(retry > 0 && retry <= 60_000, "retryAfterMs {retry}");
    assert!(body["data"]["login"].is_null());

    // Even the right password waits now: the limit is on the account, not on failures.
    let (_, body) = login_from(&app, "198.51.100.9", "ana@correo.cl", TEST_PASSWORD).await;
    assert_eq!(body["errors"][0]["extensions"]["code"], "THROTTLED");

    // Another account from another address is not affected.
    let (_, body) = login_from(&app, "198.51.100.8", "beto@correo.cl", TEST_PASSWORD).await;
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
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
