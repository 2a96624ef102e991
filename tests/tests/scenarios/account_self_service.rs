//! Account self-service end to end, through a real SMTP server the test starts: every flow
//! is finished by the link of the mail that arrived, as a person would.
//!
//! Verification, password reset, password and email change, export and deletion; tokens
//! used twice, expired or presented by someone else; the same answer for known and unknown
//! addresses; and messages in Spanish by default, in English on request.

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_tests::mail::{MailServer, Received};
use textisur_tests::{TEST_PASSWORD, TestApp, TestOptions};

const NEW_PASSWORD: &str = "cortinas de voile crudo";

async fn app_with_mail() -> (TestApp, MailServer) {
    let mail = MailServer::start();
    let app = TestApp::spawn_with(TestOptions {
        smtp_url: Some(mail.url()),
        auth_limits: Some(AuthLimitConfig {
            account_mail_per_address_per_hour: 10_000,
            account_mail_per_ip_per_hour: 10_000,
            login_per_account_and_ip_per_minute: 10_000,
            login_per_account_and_ip_per_hour: 10_000,
            ..AuthLimitConfig::default()
        }),
        ..TestOptions::default()
    })
    .await;
    (app, mail)
}

/// A POST without the harness's `Accept-Language: en`, with `language` if given.
async fn post(
    app: &TestApp,
    language: Option<&str>,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> (reqwest::StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(language) = language {
        request = request.header("accept-language", language);
    }
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    (status, response.json().await.expect("json"))
}

/// Registers through the API in Spanish (the address stays unverified); returns the access
/// and refresh tokens.
async fn register(app: &TestApp, email: &str, name: &str) -> (String, String) {
    // Without Accept-Language: the verification mail goes out in Spanish.
    let (_, body) = post(
        app,
        None,
        None,
        "mutation($i: RegisterInput!) { register(input: $i) {
            accessToken refreshToken userErrors { code message } } }",
        json!({ "i": { "email": email, "password": TEST_PASSWORD, "name": name } }),
    )
    .await;
    let payload = &body["data"]["register"];
    assert_eq!(payload["userErrors"], json!([]), "{body}");
    (
        payload["accessToken"].as_str().expect("access").to_owned(),
        payload["refreshToken"]
            .as_str()
            .expect("refresh")
            .to_owned(),
    )
}

/// The one mail that arrived for `address` since the last look.
async fn one_mail(app: &TestApp, mail: &MailServer, address: &str) -> Received {
    app.drain_mail().await;
    let mut mails = mail.take_for(address);
    assert_eq!(
        mails.len(),
        1,
        "mails to {address}: {mails:#?}, others {:#?}",
        mail.take()
    );
    mails.remove(0)
}

fn codes(payload: &Value) -> Vec<String> {
    payload["userErrors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["code"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

const VERIFY: &str = "mutation($t: String!) { verifyEmail(token: $t) {
    ok user { emailVerified } userErrors { code message field } } }";
const ME: &str = "{ me { email emailVerified } }";
const CREATE_STORE: &str = "mutation { createStore(input: {name: \"Hilos de Ana\", city: \"Cusco\",
    region: \"Cusco\", countryCode: \"PE\"}) { store { id } userErrors { code message } } }";

async fn verified(app: &TestApp, email: &str) -> bool {
    sqlx::query_scalar!(
        r#"SELECT email_verified_at IS NOT NULL AS "verified!" FROM users WHERE email = $1"#,
        email
    )
    .fetch_one(app.db.pool())
    .await
    .expect("user")
}

#[tokio::test]
async fn the_mailed_link_verifies_once_and_unlocks_stores() {
    let (app, mail) = app_with_mail().await;
    let (token, _) = register(&app, "ana@hilos.pe", "Ana Quispe").await;

    // The mail is in Spanish (the request did not ask for English) and holds the link.
    let received = one_mail(&app, &mail, "ana@hilos.pe").await;
    assert!(received.subject.contains("Confirma"), "{received:?}");
    assert!(received.body.contains("Ana Quispe"), "{}", received.body);
    let (link, verify_token) = received
        .link("/cuenta/verificar")
        .expect("verification link");
    assert!(
        link.starts_with("http://localhost:5173/cuenta/verificar?token="),
        "{link}"
    );

    // Until verified: no store (EMAIL_NOT_VERIFIED), and nothing written.
    let data = app.graphql_as(&token, ME, json!({})).await.1;
    assert_eq!(data["data"]["me"]["emailVerified"], false, "{data}");
    let body = app.graphql_as(&token, CREATE_STORE, json!({})).await.1;
    assert_eq!(
        codes(&body["data"]["createStore"]),
        ["EMAIL_NOT_VERIFIED"],
        "{body}"
    );
    let stores: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM stores"#)
        .fetch_one(app.db.pool())
        .await
        .expect("count");
    assert_eq!(stores, 0);

    // Opened on another device, without signing in: verified.
    let body = app.graphql(VERIFY, json!({ "t": verify_token })).await.1;
    let payload = &body["data"]["verifyEmail"];
    assert_eq!(payload["ok"], true, "{body}");
    assert_eq!(payload["user"]["emailVerified"], true, "{body}");
    assert!(verified(&app, "ana@hilos.pe").await);

    // Twice: TOKEN_USED, and nothing changes.
    let body = app.graphql(VERIFY, json!({ "t": verify_token })).await.1;
    assert_eq!(
        codes(&body["data"]["verifyEmail"]),
        ["TOKEN_USED"],
        "{body}"
    );
    assert_eq!(body["data"]["verifyEmail"]["ok"], false);

    let body = app.graphql_as(&token, CREATE_STORE, json!({})).await.1;
    assert_eq!(
        codes(&body["data"]["createStore"]),
        Vec::<String>::new(),
        "{body}"
    );

    // An unknown token is INVALID_TOKEN; an already verified address asks for no mail.
    let body = app.graphql(VERIFY, json!({ "t": "no-such-token" })).await.1;
    assert_eq!(
        codes(&body["data"]["verifyEmail"]),
        ["INVALID_TOKEN"],
        "{body}"
    );
    let body = app
        .graphql_as(
            &token,
            "mutation { requestEmailVerification { ok userErrors { code } } }",
            json!({}),
        )
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["requestEmailVerification"]),
        ["INVALID"]
    );
}

#[tokio::test]
async fn expired_and_foreign_verification_tokens_change_nothing() {
    let (app, mail) = app_with_mail().await;
    let (ana, _) = register(&app, "ana@telas.cl", "Ana").await;
    let (beto, _) = register(&app, "beto@telas.cl", "Beto").await;
    let first = one_mail(&app, &mail, "ana@telas.cl").await;
    let (_, first_token) = first.link("/cuenta/verificar").expect("link");
    one_mail(&app, &mail, "beto@telas.cl").await;

    // A resent link replaces the first one.
    let body = app
        .graphql_as(
            &ana,
            "mutation { requestEmailVerification { ok userErrors { code } } }",
            json!({}),
        )
        .await
        .1;
    assert_eq!(
        body["data"]["requestEmailVerification"]["ok"], true,
        "{body}"
    );
    let resent = one_mail(&app, &mail, "ana@telas.cl").await;
    let (_, token) = resent.link("/cuenta/verificar").expect("link");
    let body = app.graphql(VERIFY, json!({ "t": first_token })).await.1;
    assert_eq!(
        codes(&body["data"]["verifyEmail"]),
        ["INVALID_TOKEN"],
        "{body}"
    );

    // Beto, signed in, presents Ana's token: INVALID_TOKEN, and it stays usable.
    let body = app.graphql_as(&beto, VERIFY, json!({ "t": token })).await.1;
    assert_eq!(
        codes(&body["data"]["verifyEmail"]),
        ["INVALID_TOKEN"],
        "{body}"
    );
    assert!(!verified(&app, "ana@telas.cl").await);
    assert!(!verified(&app, "beto@telas.cl").await);

    // Past its time: TOKEN_EXPIRED, nothing verified.
    sqlx::query!("UPDATE account_tokens SET created_at = now() - interval '3 days', expires_at = now() - interval '1 day'")
        .execute(app.db.pool())
        .await
        .expect("age tokens");
    let body = app.graphql_as(&ana, VERIFY, json!({ "t": token })).await.1;
    assert_eq!(
        codes(&body["data"]["verifyEmail"]),
        ["TOKEN_EXPIRED"],
        "{body}"
    );
    assert!(!verified(&app, "ana@telas.cl").await);
    let used: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM account_tokens WHERE used_at IS NOT NULL"#
    )
    .fetch_one(app.db.pool())
    .await
    .expect("count");
    assert_eq!(used, 0);
}

const RESET_REQUEST: &str =
    "mutation($e: String!) { requestPasswordReset(email: $e) { ok userErrors { code message } } }";
const RESET: &str =
    "mutation($t: String!, $p: String!) { resetPassword(token: $t, newPassword: $p) {
    accessToken refreshToken user { email emailVerified } userErrors { code message field } } }";
const REFRESH: &str = "mutation($r: String!) { refreshSession(refreshToken: $r) { accessToken userErrors { code } } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
    accessToken userErrors { code } } }";

/// Whether `access` still opens `me`.
async fn access_works(app: &TestApp, access: &str) -> bool {
    let (status, body) = app.graphql_as(access, ME, json!({})).await;
    status == 200 && body["data"]["me"].is_object()
}

/// Whether `refresh` still renews (which spends it: ask once per token).
async fn refresh_works(app: &TestApp, refresh: &str) -> bool {
    let body = app.graphql(REFRESH, json!({ "r": refresh })).await.1;
    body["data"]["refreshSession"]["accessToken"].is_string()
}

#[tokio::test]
async fn a_reset_link_sets_the_password_once_and_ends_every_session() {
    let (app, mail) = app_with_mail().await;
    let (access, refresh) = register(&app, "carla@lanas.uy", "Carla").await;
    one_mail(&app, &mail, "carla@lanas.uy").await;
    // A second device.
    let body = app
        .graphql(LOGIN, json!({ "e": "carla@lanas.uy", "p": TEST_PASSWORD }))
        .await
        .1;
    let other = body["data"]["login"]["accessToken"]
        .as_str()
        .expect("login")
        .to_owned();

    let known = app
        .graphql(RESET_REQUEST, json!({ "e": "Carla@Lanas.uy" }))
        .await
        .1;
    let unknown = app
        .graphql(RESET_REQUEST, json!({ "e": "nadie@lanas.uy" }))
        .await
        .1;
    assert_eq!(
        known, unknown,
        "a known and an unknown address answer alike"
    );
    assert_eq!(known["data"]["requestPasswordReset"]["ok"], true);
    let received = one_mail(&app, &mail, "carla@lanas.uy").await;
    assert!(mail.take_for("nadie@lanas.uy").is_empty());
    let (_, token) = received.link("/cuenta/restablecer").expect("reset link");

    // The policy holds, and a refused password does not spend the token.
    let body = app
        .graphql(RESET, json!({ "t": token, "p": "corta" }))
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["resetPassword"]),
        ["TOO_SHORT"],
        "{body}"
    );
    assert!(access_works(&app, &access).await);

    let body = app
        .graphql(RESET, json!({ "t": token, "p": NEW_PASSWORD }))
        .await
        .1;
    let payload = &body["data"]["resetPassword"];
    assert_eq!(codes(payload), Vec::<String>::new(), "{body}");
    assert!(payload["accessToken"].is_string(), "{body}");
    // The link proved the address.
    assert_eq!(payload["user"]["emailVerified"], true);
    let fresh = payload["accessToken"].as_str().expect("access").to_owned();

    // Every older access and refresh token is refused; the new session works.
    assert!(!access_works(&app, &access).await);
    assert!(!refresh_works(&app, &refresh).await);
    let (status, _) = app.graphql_as(&other, ME, json!({})).await;
    assert_eq!(status, 401);
    let (status, body) = app.graphql_as(&fresh, ME, json!({})).await;
    assert_eq!(status, 200, "{body}");

    // The old password no longer signs in, the new one does; the token works once.
    let body = app
        .graphql(LOGIN, json!({ "e": "carla@lanas.uy", "p": TEST_PASSWORD }))
        .await
        .1;
    assert_eq!(codes(&body["data"]["login"]), ["INVALID_CREDENTIALS"]);
    let body = app
        .graphql(LOGIN, json!({ "e": "carla@lanas.uy", "p": NEW_PASSWORD }))
        .await
        .1;
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
    let body = app
        .graphql(RESET, json!({ "t": token, "p": "otra clave bien larga" }))
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["resetPassword"]),
        ["TOKEN_USED"],
        "{body}"
    );
    let notice = one_mail(&app, &mail, "carla@lanas.uy").await;
    // The reset was asked in English (the harness's client): so is the notice.
    assert!(notice.subject.contains("password"), "{notice:?}");

    // A reset token is no verification token, and vice versa.
    let body = app.graphql(VERIFY, json!({ "t": token })).await.1;
    assert_eq!(codes(&body["data"]["verifyEmail"]), ["INVALID_TOKEN"]);
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// A known and an unknown address: the same body, and median times within 10 % over 50
/// tries each, alternating (the background work of each try is drained, untimed, before
/// the next one).
#[tokio::test]
async fn password_reset_answers_known_and_unknown_addresses_in_the_same_time() {
    let (app, mail) = app_with_mail().await;
    register(&app, "dora@sedas.py", "Dora").await;
    app.drain_mail().await;
    mail.take();
    let client = reqwest::Client::new();
    let url = format!("{}/graphql", app.base);
    let time = |email: &'static str| {
        let request = client
            .post(&url)
            .json(&json!({ "query": RESET_REQUEST, "variables": { "e": email } }));
        async move {
            let started = Instant::now();
            let body: Value = request
                .send()
                .await
                .expect("send")
                .json()
                .await
                .expect("json");
            (started.elapsed(), body)
        }
    };
    // Warm both paths.
    for _ in 0..5 {
        time("dora@sedas.py").await;
        time("nadie@sedas.py").await;
        app.drain_mail().await;
    }
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    // K U U K K U U K ...: what a drain leaves behind falls as often on either kind.
    for i in 0..100 {
        let is_known = matches!(i % 4, 0 | 3);
        let email = if is_known {
            "dora@sedas.py"
        } else {
            "nadie@sedas.py"
        };
        let (elapsed, body) = time(email).await;
        assert_eq!(body["data"]["requestPasswordReset"]["ok"], true, "{body}");
        assert_eq!(
            body["data"]["requestPasswordReset"]["userErrors"],
            json!([])
        );
        app.drain_mail().await;
        if is_known {
            known.push(elapsed);
        } else {
            unknown.push(elapsed);
        }
    }
    let (known, unknown) = (median(known), median(unknown));
    let gap = known.abs_diff(unknown).as_secs_f64() / known.max(unknown).as_secs_f64();
    println!(
        "median known {known:?}, unknown {unknown:?}, gap {:.1} %",
        gap * 100.0
    );
    assert!(gap < 0.10, "known {known:?} vs unknown {unknown:?}");
    assert_eq!(mail.take_for("nadie@sedas.py").len(), 0);
    assert_eq!(mail.take_for("dora@sedas.py").len(), 55);
}

const CHANGE_PASSWORD: &str = "mutation($c: String!, $n: String!) {
    changePassword(currentPassword: $c, newPassword: $n) {
    accessToken refreshToken userErrors { code field } } }";

#[tokio::test]
async fn changing_the_password_needs_the_current_one_and_ends_every_session() {
    let (app, mail) = app_with_mail().await;
    let (access, refresh) = register(&app, "eva@tejidos.ar", "Eva").await;
    one_mail(&app, &mail, "eva@tejidos.ar").await;

    let body = app
        .graphql_as(
            &access,
            CHANGE_PASSWORD,
            json!({ "c": "no es la clave", "n": NEW_PASSWORD }),
        )
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["changePassword"]),
        ["INVALID_CREDENTIALS"],
        "{body}"
    );
    assert!(access_works(&app, &access).await);

    let body = app
        .graphql_as(
            &access,
            CHANGE_PASSWORD,
            json!({ "c": TEST_PASSWORD, "n": NEW_PASSWORD }),
        )
        .await
        .1;
    let payload = &body["data"]["changePassword"];
    assert_eq!(codes(payload), Vec::<String>::new(), "{body}");
    let (new_access, new_refresh) = (
        payload["accessToken"].as_str().expect("access").to_owned(),
        payload["refreshToken"]
            .as_str()
            .expect("refresh")
            .to_owned(),
    );
    assert!(!access_works(&app, &access).await);
    assert!(!refresh_works(&app, &refresh).await);
    assert!(access_works(&app, &new_access).await);
    assert!(refresh_works(&app, &new_refresh).await);
    let notice = one_mail(&app, &mail, "eva@tejidos.ar").await;
    assert!(notice.body.contains("Eva"), "{notice:?}");

    // Anonymous callers are refused.
    let (_, body) = app
        .graphql(
            CHANGE_PASSWORD,
            json!({ "c": NEW_PASSWORD, "n": TEST_PASSWORD }),
        )
        .await;
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{body}"
    );
}

const REQUEST_EMAIL_CHANGE: &str = "mutation($p: String!, $e: String!) {
    requestEmailChange(password: $p, newEmail: $e) { ok userErrors { code field } } }";
const CONFIRM_EMAIL_CHANGE: &str = "mutation($t: String!) { confirmEmailChange(token: $t) {
    ok user { email emailVerified } userErrors { code } } }";

#[tokio::test]
async fn an_email_change_is_confirmed_from_the_new_address_and_told_to_the_old() {
    let (app, mail) = app_with_mail().await;
    let (fer, _) = register(&app, "fer@lino.cl", "Fernanda").await;
    let (gus, _) = register(&app, "gus@lino.cl", "Gustavo").await;
    app.drain_mail().await;
    mail.take();

    let ask = |token: &str, password: &str, email: &str| {
        let (token, password, email) = (token.to_owned(), password.to_owned(), email.to_owned());
        let app = &app;
        async move {
            app.graphql_as(
                &token,
                REQUEST_EMAIL_CHANGE,
                json!({ "p": password, "e": email }),
            )
            .await
            .1
        }
    };
    let body = ask(&fer, "mal", "fer@nuevo.cl").await;
    assert_eq!(
        codes(&body["data"]["requestEmailChange"]),
        ["INVALID_CREDENTIALS"],
        "{body}"
    );
    let body = ask(&fer, TEST_PASSWORD, "gus@lino.cl").await;
    assert_eq!(
        codes(&body["data"]["requestEmailChange"]),
        ["TAKEN"],
        "{body}"
    );
    let body = ask(&fer, TEST_PASSWORD, "no-es-correo").await;
    assert_eq!(
        codes(&body["data"]["requestEmailChange"]),
        ["INVALID"],
        "{body}"
    );
    app.drain_mail().await;
    assert!(mail.take().is_empty(), "refused requests send nothing");

    let body = ask(&fer, TEST_PASSWORD, "Fer@Nuevo.cl").await;
    assert_eq!(body["data"]["requestEmailChange"]["ok"], true, "{body}");
    let confirm = one_mail(&app, &mail, "fer@nuevo.cl").await;
    let (_, token) = confirm.link("/cuenta/confirmar-correo").expect("link");
    // Nothing changed yet.
    let me = app.graphql_as(&fer, ME, json!({})).await.1;
    assert_eq!(me["data"]["me"]["email"], "fer@lino.cl");

    // Gustavo, signed in, cannot use Fernanda's link.
    let body = app
        .graphql_as(&gus, CONFIRM_EMAIL_CHANGE, json!({ "t": token }))
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["confirmEmailChange"]),
        ["INVALID_TOKEN"],
        "{body}"
    );

    let body = app
        .graphql_as(&fer, CONFIRM_EMAIL_CHANGE, json!({ "t": token }))
        .await
        .1;
    let payload = &body["data"]["confirmEmailChange"];
    assert_eq!(payload["ok"], true, "{body}");
    assert_eq!(payload["user"]["email"], "fer@nuevo.cl");
    assert_eq!(payload["user"]["emailVerified"], true);
    let notice = one_mail(&app, &mail, "fer@lino.cl").await;
    assert!(
        notice.subject.contains("email address changed"),
        "{notice:?}"
    );
    assert!(
        !notice.body.contains("fer@nuevo.cl"),
        "the old address is not told the new one"
    );

    let body = app
        .graphql_as(&fer, CONFIRM_EMAIL_CHANGE, json!({ "t": token }))
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["confirmEmailChange"]),
        ["TOKEN_USED"],
        "{body}"
    );
    let body = app
        .graphql(LOGIN, json!({ "e": "fer@nuevo.cl", "p": TEST_PASSWORD }))
        .await
        .1;
    assert!(body["data"]["login"]["accessToken"].is_string(), "{body}");
    let body = app
        .graphql(LOGIN, json!({ "e": "fer@lino.cl", "p": TEST_PASSWORD }))
        .await
        .1;
    assert_eq!(codes(&body["data"]["login"]), ["INVALID_CREDENTIALS"]);
}

#[tokio::test]
async fn messages_are_spanish_by_default_and_english_on_request() {
    let (app, _mail) = app_with_mail().await;
    let query = "mutation { register(input: {email: \"x\", password: \"corta\", name: \"\"}) {
        userErrors { code message } } }";
    let spanish = post(&app, None, None, query, json!({})).await.1;
    let english = post(&app, Some("en-US,en;q=0.9"), None, query, json!({}))
        .await
        .1;
    let rioplatense = post(
        &app,
        Some("es-AR,es;q=0.9,en;q=0.5"),
        None,
        query,
        json!({}),
    )
    .await
    .1;
    let errors = |body: &Value| body["data"]["register"]["userErrors"].clone();
    let codes_of = |body: &Value| -> Vec<Value> {
        errors(body)
            .as_array()
            .expect("errors")
            .iter()
            .map(|e| e["code"].clone())
            .collect()
    };
    assert_eq!(codes_of(&spanish), codes_of(&english), "codes never change");
    assert_eq!(errors(&spanish), errors(&rioplatense));
    assert_eq!(
        errors(&english)[0]["message"],
        "email is not a valid address",
        "{english}"
    );
    assert_eq!(
        errors(&spanish)[0]["message"],
        "el correo no es una dirección válida",
        "{spanish}"
    );
    assert_eq!(
        errors(&spanish)[2]["message"],
        "la contraseña debe tener al menos 10 caracteres"
    );

    // errors[].message too, and the response says its language.
    let response = reqwest::Client::new()
        .post(format!("{}/graphql", app.base))
        .json(&json!({ "query": "{ exportMyData }" }))
        .send()
        .await
        .expect("send");
    assert_eq!(response.headers()["content-language"], "es");
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
    assert_eq!(
        body["errors"][0]["message"], "hace falta iniciar sesión",
        "{body}"
    );
    let body = post(&app, Some("en"), None, "{ exportMyData }", json!({}))
        .await
        .1;
    assert_eq!(
        body["errors"][0]["message"], "authentication required",
        "{body}"
    );
}

/// Every text column of every table that holds `needle` (case-insensitive), as `table.column`.
async fn where_text_appears(app: &TestApp, needle: &str) -> Vec<String> {
    let columns: Vec<(String, String)> = sqlx::query!(
        r#"SELECT table_name::text AS "table_name!", column_name::text AS "column_name!"
         FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name NOT LIKE '\_sqlx%'
           AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'USER-DEFINED')"#,
    )
    .fetch_all(app.db.pool())
    .await
    .expect("columns")
    .into_iter()
    .map(|r| (r.table_name, r.column_name))
    .collect();
    let mut found = Vec::new();
    for (table, column) in columns {
        let sql = format!(
            "SELECT count(*) FROM \"{table}\" WHERE \"{column}\"::text ILIKE '%' || $1 || '%'"
        );
        let count: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(needle)
            .fetch_one(app.db.pool())
            .await
            .unwrap_or_else(|e| panic!("{table}.{column}: {e}"));
        if count > 0 {
            found.push(format!("{table}.{column}"));
        }
    }
    found
}

#[tokio::test]
async fn export_holds_everything_and_deletion_leaves_the_seller_an_anonymous_order() {
    let (app, mail) = app_with_mail().await;
    let category: i64 = sqlx::query_scalar!(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    let category = textisur_api::graphql::ids::CategoryId(category)
        .to_global()
        .to_string();
    let seller = app.quick_account("Vendedora", "SELLER").await;
    let body = app
        .graphql_as(&seller.access_token, CREATE_STORE, json!({}))
        .await
        .1;
    let store = body["data"]["createStore"]["store"]["id"]
        .as_str()
        .expect("store")
        .to_owned();
    let body = app
        .graphql_as(
            &seller.access_token,
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }",
            json!({ "i": { "storeId": store, "categoryId": category, "name": "Alpaca gris",
                "price": "120.00", "stock": "5" } }),
        )
        .await
        .1;
    let product = body["data"]["createProduct"]["product"]["id"]
        .as_str()
        .expect("product")
        .to_owned();

    let name = "Zulema Quispetest";
    let email = "zulema.quispetest@correo.pe";
    let (buyer, _) = register(&app, email, name).await;
    let verify = one_mail(&app, &mail, email).await;
    let (_, token) = verify.link("/cuenta/verificar").expect("link");
    app.graphql(VERIFY, json!({ "t": token })).await;

    // An order, a conversation and, once delivered, a review.
    let body = app
        .graphql_as(
            &buyer,
            "mutation($p: ID!) { addToCart(productId: $p, quantity: \"2\") { userErrors { code } } }",
            json!({ "p": product }),
        )
        .await
        .1;
    assert_eq!(body["data"]["addToCart"]["userErrors"], json!([]), "{body}");
    let body = app
        .graphql_as(
            &buyer,
            "mutation { checkout(idempotencyKey: \"compra-zulema-1\") { orders { id } userErrors { code } } }",
            json!({}),
        )
        .await
        .1;
    let order = body["data"]["checkout"]["orders"][0]["id"]
        .as_str()
        .expect("order")
        .to_owned();
    let body = app
        .graphql_as(
            &buyer,
            "mutation($s: ID!, $p: ID!) { startConversation(storeId: $s, productId: $p, body: \"¿Tienen en beige?\") {
                conversation { id } userErrors { code } } }",
            json!({ "s": store, "p": product }),
        )
        .await
        .1;
    assert_eq!(
        body["data"]["startConversation"]["userErrors"],
        json!([]),
        "{body}"
    );

    // Open orders stand in the way of deletion, and nothing changes.
    let delete = "mutation($p: String!) { deleteMyAccount(password: $p) { ok userErrors { code message } } }";
    let body = app
        .graphql_as(&buyer, delete, json!({ "p": TEST_PASSWORD }))
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["deleteMyAccount"]),
        ["OPEN_ORDERS"],
        "{body}"
    );
    let body = app
        .graphql_as(&buyer, delete, json!({ "p": "otra cosa" }))
        .await
        .1;
    assert_eq!(
        codes(&body["data"]["deleteMyAccount"]),
        ["INVALID_CREDENTIALS"],
        "{body}"
    );
    assert_eq!(where_text_appears(&app, name).await, ["users.name"]);

    // Payment is the provider's (or an admin's) to record; shipping the seller's.
    let admin = app.quick_account("Admin", "ADMIN").await;
    for (by, status) in [
        (&admin, "PAID"),
        (&seller, "SHIPPED"),
        (&seller, "DELIVERED"),
    ] {
        let body = app
            .graphql_as(
                &by.access_token,
                "mutation($o: ID!, $s: OrderStatus!) { updateOrderStatus(orderId: $o, status: $s) { userErrors { code } } }",
                json!({ "o": order, "s": status }),
            )
            .await
            .1;
        assert_eq!(
            body["data"]["updateOrderStatus"]["userErrors"],
            json!([]),
            "{body}"
        );
    }
    let body = app
        .graphql_as(
            &buyer,
            "mutation($p: ID!) { addReview(productId: $p, rating: 4, body: \"Suave y abrigada\") { userErrors { code } } }",
            json!({ "p": product }),
        )
        .await
        .1;
    assert_eq!(body["data"]["addReview"]["userErrors"], json!([]), "{body}");

    // The export, field by field against PostgreSQL.
    let body = app
        .graphql_as(&buyer, "{ exportMyData }", json!({}))
        .await
        .1;
    let export = &body["data"]["exportMyData"];
    assert_eq!(export["profile"]["name"], name, "{body}");
    assert_eq!(export["profile"]["email"], email);
    assert!(export["profile"]["emailVerifiedAt"].is_string());
    let (number, status, total, currency): (String, String, String, String) = sqlx::query!(
        r#"SELECT number, status::text AS "status!", total::text AS "total!",
                  currency_code::text AS "currency!" FROM orders"#
    )
    .fetch_one(app.db.pool())
    .await
    .map(|r| (r.number, r.status, r.total, r.currency))
    .expect("order row");
    let exported = &export["orders"][0];
    assert_eq!(export["orders"].as_array().map(Vec::len), Some(1));
    assert_eq!(exported["number"], number);
    assert_eq!(exported["status"], status);
    assert_eq!(exported["total"].as_f64(), total.parse::<f64>().ok());
    assert_eq!(exported["currencyCode"], currency);
    assert_eq!(exported["store"], "Hilos de Ana");
    let (line_name, quantity, unit_price): (String, String, String) = sqlx::query!(
        r#"SELECT product_name, quantity::text AS "quantity!", unit_price::text AS "unit_price!"
           FROM order_lines"#
    )
    .fetch_one(app.db.pool())
    .await
    .map(|r| (r.product_name, r.quantity, r.unit_price))
    .expect("line");
    assert_eq!(exported["lines"][0]["productName"], line_name);
    assert_eq!(
        exported["lines"][0]["quantity"].as_f64(),
        quantity.parse::<f64>().ok()
    );
    assert_eq!(
        exported["lines"][0]["unitPrice"].as_f64(),
        unit_price.parse::<f64>().ok()
    );
    let messages: Vec<(String,)> = sqlx::query!("SELECT body FROM messages ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .expect("messages")
        .into_iter()
        .map(|r| (r.body,))
        .collect();
    let exported_messages = &export["conversations"][0]["messages"];
    assert_eq!(
        exported_messages.as_array().map(Vec::len),
        Some(messages.len())
    );
    assert_eq!(exported_messages[0]["body"], messages[0].0);
    assert_eq!(exported_messages[0]["sentByMe"], true);
    let (rating, review_body): (i16, String) = sqlx::query!("SELECT rating, body FROM reviews")
        .fetch_one(app.db.pool())
        .await
        .map(|r| (r.rating, r.body))
        .expect("review");
    assert_eq!(export["reviews"][0]["rating"], rating);
    assert_eq!(export["reviews"][0]["body"], review_body);
    assert_eq!(export["reviews"][0]["product"], "Alpaca gris");
    assert_eq!(export["addresses"], json!([]));
    assert!(export["sessions"].as_array().is_some_and(|s| !s.is_empty()));
    let history: Vec<String> = export["accountHistory"]
        .as_array()
        .expect("history")
        .iter()
        .map(|h| h["action"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(history, ["registered", "email_verified"]);

    // Deleted: cannot sign in, the token dies, the name and address are nowhere.
    let body = app
        .graphql_as(&buyer, delete, json!({ "p": TEST_PASSWORD }))
        .await
        .1;
    assert_eq!(body["data"]["deleteMyAccount"]["ok"], true, "{body}");
    let body = app
        .graphql(LOGIN, json!({ "e": email, "p": TEST_PASSWORD }))
        .await
        .1;
    assert_eq!(codes(&body["data"]["login"]), ["INVALID_CREDENTIALS"]);
    let (status, _) = app.graphql_as(&buyer, ME, json!({})).await;
    assert_eq!(status, 401);
    assert_eq!(where_text_appears(&app, name).await, Vec::<String>::new());
    assert_eq!(where_text_appears(&app, email).await, Vec::<String>::new());
    assert_eq!(
        where_text_appears(&app, "quispetest").await,
        Vec::<String>::new()
    );

    // The seller still has the order, its lines and total, with the buyer anonymised.
    app.settle_rows().await;
    let body = app
        .graphql_as(
            &seller.access_token,
            "query($o: ID!) { order(id: $o) { number status total { amount } buyer { name } lines { productName } } }",
            json!({ "o": order }),
        )
        .await
        .1;
    let seen = &body["data"]["order"];
    assert_eq!(seen["number"], number, "{body}");
    assert_eq!(seen["status"], "DELIVERED");
    assert_eq!(seen["buyer"]["name"], "Usuario eliminado");
    assert_eq!(seen["lines"][0]["productName"], "Alpaca gris");
    let audit: Vec<String> = sqlx::query_scalar!("SELECT action FROM account_audit ORDER BY id")
        .fetch_all(app.db.pool())
        .await
        .expect("audit");
    assert!(
        audit.ends_with(&["data_exported".to_owned(), "account_deleted".to_owned()]),
        "{audit:?}"
    );
}

#[tokio::test]
async fn old_mail_and_spent_tokens_are_swept_recent_ones_stay() {
    let (app, mail) = app_with_mail().await;
    register(&app, "vieja@lanas.pe", "Vieja").await;
    let (_, token) = one_mail(&app, &mail, "vieja@lanas.pe")
        .await
        .link("/cuenta/verificar")
        .expect("link");
    app.graphql(VERIFY, json!({ "t": token })).await;
    sqlx::query!("UPDATE mail_outbox SET created_at = now() - interval '31 days'")
        .execute(app.db.pool())
        .await
        .expect("age mail");
    sqlx::query!(
        "UPDATE account_tokens SET created_at = now() - interval '8 days',
                expires_at = now() - interval '6 days'",
    )
    .execute(app.db.pool())
    .await
    .expect("age tokens");
    register(&app, "nueva@lanas.pe", "Nueva").await;
    one_mail(&app, &mail, "nueva@lanas.pe").await;

    assert_eq!(app.mailer().sweep().await.expect("sweep"), 2);
    let left: Vec<String> = sqlx::query_scalar!("SELECT recipient FROM mail_outbox")
        .fetch_all(app.db.pool())
        .await
        .expect("mail");
    assert_eq!(left, ["nueva@lanas.pe"]);
    let tokens: i64 = sqlx::query_scalar!(r#"SELECT count(*) AS "count!" FROM account_tokens"#)
        .fetch_one(app.db.pool())
        .await
        .expect("tokens");
    assert_eq!(tokens, 1, "the new account's token stays");
}
