//! Accounts end to end: registration rules, login, sessions, rotation, logout, suspension.

use serde_json::{Value, json};
use textisur_tests::{TEST_PASSWORD, TestApp};

const REGISTER: &str = "mutation($i: RegisterInput!) { register(input: $i) {
    accessToken refreshToken user { id email role } userErrors { field message code } } }";
const LOGIN: &str = "mutation($i: LoginInput!) { login(input: $i) {
    accessToken refreshToken user { id } userErrors { field message code } } }";
const REFRESH: &str = "mutation($t: String!) { refreshSession(refreshToken: $t) {
    accessToken refreshToken userErrors { field code } } }";
const LOGOUT: &str =
    "mutation($t: String!) { logout(refreshToken: $t) { ok userErrors { code } } }";
const ME: &str = "{ me { id email sessions { id current } } }";

async fn users(app: &TestApp) -> i64 {
    sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM users"#)
        .fetch_one(app.db.pool())
        .await
        .expect("count")
}

#[tokio::test]
async fn registration_validates_and_writes_nothing_on_error() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"email": "no-es-un-correo", "password": TEST_PASSWORD, "name": "Ana"}),
            "email",
            "INVALID",
        ),
        (
            json!({"email": "ana@correo.cl", "password": "corta", "name": "Ana"}),
            "password",
            "TOO_SHORT",
        ),
        (
            json!({"email": "ana@correo.cl", "password": "1234567890", "name": "Ana"}),
            "password",
            "INVALID",
        ),
        (
            json!({"email": "ana@correo.cl", "password": TEST_PASSWORD, "name": "  "}),
            "name",
            "REQUIRED",
        ),
        (
            json!({"email": "ana@correo.cl", "password": "x".repeat(200), "name": "Ana"}),
            "password",
            "TOO_LONG",
        ),
    ];
    for (input, field, code) in cases {
        let data = app.data(REGISTER, json!({ "i": input })).await;
        let payload = &data["register"];
        assert!(payload["accessToken"].is_null(), "{payload}");
        assert_eq!(
            payload["userErrors"][0]["field"],
            json!(["input", field]),
            "{payload}"
        );
        assert_eq!(payload["userErrors"][0]["code"], code, "{payload}");
    }
    assert_eq!(
        users(&app).await,
        0,
        "nothing is written when userErrors is not empty"
    );

    let data = app
        .data(REGISTER, json!({ "i": { "email": "  Ana@Correo.CL ", "password": TEST_PASSWORD, "name": "Ana Pérez" } }))
        .await;
    assert_eq!(
        data["register"]["user"]["email"], "ana@correo.cl",
        "emails are normalised"
    );
    assert_eq!(data["register"]["user"]["role"], "BUYER");
    let again = app
        .data(
            REGISTER,
            json!({ "i": { "email": "ana@correo.cl", "password": TEST_PASSWORD, "name": "Otra" } }),
        )
        .await;
    assert_eq!(again["register"]["userErrors"][0]["code"], "TAKEN");
    assert_eq!(users(&app).await, 1);
    let stored: String =
        sqlx::query_scalar!(r#"SELECT password_hash AS "password_hash!" FROM users"#)
            .fetch_one(app.db.pool())
            .await
            .expect("hash");
    assert!(
        stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{stored}"
    );
}

#[tokio::test]
async fn login_refresh_logout_and_sessions() {
    let app = TestApp::spawn().await;
    let ana = app.register("ana@correo.cl", "Ana").await;

    let wrong = app
        .data(
            LOGIN,
            json!({ "i": { "email": "ana@correo.cl", "password": "telas de lino roja" } }),
        )
        .await;
    assert_eq!(
        wrong["login"]["userErrors"][0]["code"],
        "INVALID_CREDENTIALS"
    );
    let unknown = app
        .data(
            LOGIN,
            json!({ "i": { "email": "nadie@correo.cl", "password": TEST_PASSWORD } }),
        )
        .await;
    assert_eq!(
        unknown["login"]["userErrors"], wrong["login"]["userErrors"],
        "unknown emails look like wrong passwords"
    );

    let login = app
        .data(
            LOGIN,
            json!({ "i": { "email": "ANA@correo.cl", "password": TEST_PASSWORD } }),
        )
        .await;
    assert_eq!(login["login"]["user"]["id"], ana.id.as_str());
    let phone_access = login["login"]["accessToken"]
        .as_str()
        .expect("token")
        .to_owned();

    let (_, me) = app.graphql_as(&phone_access, ME, json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "ana@correo.cl");
    let sessions = me["data"]["me"]["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        sessions.len(),
        2,
        "register and login each opened a session"
    );
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);

    // Rotation: the new refresh token works, the old one no longer does.
    let rotated = app.data(REFRESH, json!({ "t": ana.refresh_token })).await;
    let next = rotated["refreshSession"]["refreshToken"]
        .as_str()
        .expect("rotated")
        .to_owned();
    assert_ne!(next, ana.refresh_token);
    let next_access = rotated["refreshSession"]["accessToken"]
        .as_str()
        .expect("access")
        .to_owned();
    assert_eq!(app.graphql_as(&next_access, ME, json!({})).await.0, 200);

    // Logout ends the session: its refresh token and its access tokens stop working.
    let out = app.data(LOGOUT, json!({ "t": next })).await;
    assert_eq!(out["logout"]["ok"], true);
    let after = app.data(REFRESH, json!({ "t": next })).await;
    assert_eq!(
        after["refreshSession"]["userErrors"][0]["code"],
        "INVALID_TOKEN"
    );
    let (status, body) = app.graphql_as(&next_access, ME, json!({})).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");

    // The phone's session is untouched; it can revoke the other ones by id.
    let (_, me) = app.graphql_as(&phone_access, ME, json!({})).await;
    let sessions = me["data"]["me"]["sessions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert_eq!(sessions.len(), 1);
    let (_, revoked) = app
        .graphql_as(
            &phone_access,
            "mutation($id: ID!) { revokeSession(id: $id) { ok } }",
            json!({ "id": sessions[0]["id"] }),
        )
        .await;
    assert_eq!(revoked["data"]["revokeSession"]["ok"], true);
    assert_eq!(app.graphql_as(&phone_access, ME, json!({})).await.0, 401);
}

#[tokio::test]
async fn suspension_ends_every_session_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.register("admin@textisur.cl", "Admin").await;
    app.set_role(&admin, "ADMIN").await;
    let ana = app.register("ana@correo.cl", "Ana").await;
    assert_eq!(
        app.graphql_as(&ana.access_token, ME, json!({})).await.0,
        200
    );

    let (_, body) = app
        .graphql_as(&admin.access_token, "mutation($u: ID!) { suspendUser(userId: $u) { user { suspendedAt } userErrors { code } } }", json!({ "u": ana.id }))
        .await;
    assert!(
        body["data"]["suspendUser"]["user"]["suspendedAt"].is_string(),
        "{body}"
    );
    assert_eq!(
        app.graphql_as(&ana.access_token, ME, json!({})).await.0,
        401,
        "access token dies at once"
    );
    let refresh = app.data(REFRESH, json!({ "t": ana.refresh_token })).await;
    assert_eq!(
        refresh["refreshSession"]["userErrors"][0]["code"],
        "INVALID_TOKEN"
    );
    let login = app
        .data(
            LOGIN,
            json!({ "i": { "email": "ana@correo.cl", "password": TEST_PASSWORD } }),
        )
        .await;
    assert_eq!(login["login"]["userErrors"][0]["code"], "SUSPENDED");

    let (_, body) = app
        .graphql_as(
            &admin.access_token,
            "mutation($u: ID!) { unsuspendUser(userId: $u) { user { suspendedAt } } }",
            json!({ "u": ana.id }),
        )
        .await;
    assert!(body["data"]["unsuspendUser"]["user"]["suspendedAt"].is_null());
    let login = app
        .data(
            LOGIN,
            json!({ "i": { "email": "ana@correo.cl", "password": TEST_PASSWORD } }),
        )
        .await;
    assert_eq!(login["login"]["userErrors"], json!([]));

    let (_, found) = app
        .graphql_as(
            &admin.access_token,
            "{ users(query: \"ana@\") { nodes { email } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        found["data"]["users"]["nodes"],
        json!([{ "email": "ana@correo.cl" }])
    );
}

#[tokio::test]
async fn seeded_admin_can_log_in_with_the_demo_password() {
    let app = TestApp::seeded(20).await;
    let login = app
        .data(LOGIN, json!({ "i": { "email": textisur_api::runtime::demo::ADMIN_EMAIL, "password": textisur_api::runtime::demo::DEMO_PASSWORD } }))
        .await;
    assert_eq!(login["login"]["userErrors"], json!([]));
    let token = login["login"]["accessToken"].as_str().expect("token");
    let (_, body) = app.graphql_as(token, "{ me { role } }", json!({})).await;
    assert_eq!(body["data"]["me"]["role"], "ADMIN");
    let _: Value = body;
}
