//! Access and refresh tokens under attack: forged, expired, tampered, replayed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use textisur_tests::{Account, TEST_JWT_SECRET, TestApp};

const ME: &str = "{ me { id } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) {
    accessToken refreshToken userErrors { code } } }";

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("payload");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("json")
}

fn sign(claims: &Value, key: &[u8], kid: &str) -> String {
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.to_owned());
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(key)).expect("sign")
}

async fn assert_refused(app: &TestApp, token: &str, what: &str) {
    let (status, body) = app.graphql_as(token, ME, json!({})).await;
    assert_eq!(status, 401, "{what}: {body}");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{what}"
    );
    assert!(body.get("data").is_none(), "{what}");
}

#[tokio::test]
async fn forged_expired_and_tampered_access_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    let (status, body) = app.graphql_as(&ana.access_token, ME, json!({})).await;
    assert_eq!(
        (status.as_u16(), &body["data"]["me"]["id"]),
        (200, &json!(ana.id))
    );
    let claims = claims_of(&ana.access_token);

    // alg: none, with and without a signature.
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT","kid":"test"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    assert_refused(&app, &format!("{header}.{payload}."), "alg none").await;
    assert_refused(
        &app,
        &format!("{header}.{payload}.c2lnbmF0dXJl"),
        "alg none with a signature",
    )
    .await;

    // A key the server does not have, under the server's kid and under another one.
    assert_refused(
        &app,
        &sign(&claims, b"another-key-of-thirty-two-bytes!!", "test"),
        "wrong key",
    )
    .await;
    assert_refused(
        &app,
        &sign(&claims, TEST_JWT_SECRET, "unknown-kid"),
        "unknown kid",
    )
    .await;

    // Expired, even when correctly signed.
    let mut expired = claims.clone();
    expired["iat"] = json!(1_700_000_000);
    expired["exp"] = json!(1_700_000_900);
    assert_refused(&app, &sign(&expired, TEST_JWT_SECRET, "test"), "expired").await;

    // Tampered claims keep the old signature: pointing at another real user must fail.
    let other = app.register("otro@correo.cl", "Otro").await;
    let mut tampered = claims.clone();
    tampered["sub"] = json!(other.row_id().to_string());
    let parts: Vec<&str> = ana.access_token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(tampered.to_string()),
        parts[2]
    );
    assert_refused(&app, &forged, "tampered sub").await;

    // Wrong issuer or audience, correctly signed.
    for (claim, value) in [("iss", "otro"), ("aud", "otra-api")] {
        let mut wrong = claims.clone();
        wrong[claim] = json!(value);
        assert_refused(&app, &sign(&wrong, TEST_JWT_SECRET, "test"), claim).await;
    }

    assert_refused(&app, "not-a-jwt", "garbage").await;
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("authorization", format!("Basic {}", ana.access_token))
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), 401, "only Bearer is accepted");
    assert!(response.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn a_deleted_users_token_is_refused() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    sqlx::query!("DELETE FROM users WHERE id = $1", ana.row_id())
        .execute(app.db.pool())
        .await
        .expect("delete");
    assert_refused(&app, &ana.access_token, "deleted user").await;
}

#[tokio::test]
async fn a_refresh_token_used_twice_kills_the_family_for_attacker_and_victim() {
    let app = TestApp::spawn().await;
    let victim = app.register("ana@correo.cl", "Ana").await;
    let stolen = victim.refresh_token.clone();

    // The victim refreshes first; the attacker then replays the stolen (rotated) token.
    let victim_round = app
        .data(REFRESH, json!({ "t": victim.refresh_token }))
        .await;
    let victim_next = victim_round["refreshSession"]["refreshToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let victim_access = victim_round["refreshSession"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();
    let attacker = app.data(REFRESH, json!({ "t": stolen })).await;
    assert_eq!(
        attacker["refreshSession"]["userErrors"][0]["code"],
        "INVALID_TOKEN"
    );

    // The whole family is dead: the victim's newest refresh token and access token too.
    let victim_again = app.data(REFRESH, json!({ "t": victim_next })).await;
    assert_eq!(
        victim_again["refreshSession"]["userErrors"][0]["code"],
        "INVALID_TOKEN"
    );
    assert_refused(&app, &victim_access, "access token of a revoked family").await;
    let reason: String = sqlx::query_scalar!(
        r#"SELECT revoke_reason AS "revoke_reason!" FROM refresh_token_families"#
    )
    .fetch_one(app.db.pool())
    .await
    .expect("family");
    assert_eq!(reason, "refresh token reused");

    // Other sessions of the same user are not affected.
    let other: Account = app.register("otra@correo.cl", "Otra").await;
    assert_eq!(
        app.graphql_as(&other.access_token, ME, json!({})).await.0,
        200
    );
}

#[tokio::test]
async fn concurrent_use_of_one_refresh_token_yields_at_most_one_session() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    let attempts = (0..5).map(|_| app.data(REFRESH, json!({ "t": ana.refresh_token })));
    let results = futures::future::join_all(attempts).await;
    let winners = results
        .iter()
        .filter(|r| r["refreshSession"]["accessToken"].is_string())
        .count();
    assert!(winners <= 1, "{winners} refreshes succeeded with one token");
}

#[tokio::test]
async fn logout_then_refresh_fails() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    let out = app
        .data(
            "mutation($t: String!) { logout(refreshToken: $t) { ok } }",
            json!({ "t": ana.refresh_token }),
        )
        .await;
    assert_eq!(out["logout"]["ok"], true);
    let again = app.data(REFRESH, json!({ "t": ana.refresh_token })).await;
    assert_eq!(
        again["refreshSession"]["userErrors"][0]["code"],
        "INVALID_TOKEN"
    );
    assert_refused(&app, &ana.access_token, "access token after logout").await;
}
