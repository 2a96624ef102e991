//! A **simulator** of Mercado Pago's API, for tests: the provider lies outside this network,
//! so the tests run the API against this stand-in. It serves the documented endpoints the
//! API calls (`POST /oauth/token`, `POST /checkout/preferences`, `GET /v1/payments/{id}`,
//! `POST /v1/payments/{id}/refunds`)
//! and sends signed webhooks the way the provider documents them (`x-signature:
//! ts=<seconds>,v1=<HMAC-SHA256 hex of id:<data.id>;request-id:<x-request-id>;ts:<ts>;>`,
//! `?data.id=<id>&type=payment`, a JSON body with `type`, `action`, `data.id` and
//! `user_id`). The contract is the provider's documentation, cited in
//! `api/src/commerce/payments/mercadopago.rs`; this file only has to speak it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use textisur_api::commerce::payments::PaymentsSetup;
use textisur_api::commerce::payments::mercadopago::MercadoPagoConfig;
use textisur_api::runtime::config::Secret;

/// The marketplace application the simulator knows.
pub const CLIENT_ID: &str = "textisur-app";
const CLIENT_SECRET: &str = "textisur-app-secret";
/// The secret webhooks are signed with.
pub const WEBHOOK_SECRET: &str = "firma-de-prueba";

#[derive(Default)]
struct World {
    /// Authorization codes not used yet, by the seller account they authorize.
    codes: HashMap<String, String>,
    /// Seller tokens, by the account (collector) id they act for.
    tokens: HashMap<String, String>,
    /// Preferences by id: the request, the collector, the idempotency key.
    preferences: HashMap<String, (Value, String)>,
    by_key: HashMap<(String, String), String>,
    /// Payments by id.
    payments: HashMap<String, Value>,
    next: u64,
    /// Calls still to answer with 500 (the provider down).
    failures: u32,
    /// Refunds still to refuse (400, as for a seller without the funds).
    refusals: u32,
    /// Refunds made, by payment id; and by idempotency key, the payment they refunded.
    refunds: HashMap<String, u32>,
    refund_keys: HashMap<String, String>,
    /// Every call, `METHOD path`.
    calls: Vec<String>,
}

/// A running simulator.
#[derive(Clone)]
pub struct MercadoPagoSimulator {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    world: Arc<Mutex<World>>,
    http: reqwest::Client,
}

type Shared = Arc<Mutex<World>>;

fn collector_of(world: &World, headers: &HeaderMap) -> Option<String> {
    let token = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?;
    world
        .tokens
        .iter()
        .find(|(_, t)| t.as_str() == token)
        .map(|(collector, _)| collector.clone())
}

/// The provider down: a 500 while failures are left to serve.
fn failing(world: &mut World, call: String) -> Option<Response> {
    world.calls.push(call);
    if world.failures > 0 {
        world.failures -= 1;
        return Some(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    None
}

async fn oauth_token(
    State(world): State<Shared>,
    Form(form): Form<HashMap<String, String>>,
) -> Response {
    let mut world = world.lock().expect("world");
    if let Some(down) = failing(&mut world, "POST /oauth/token".into()) {
        return down;
    }
    if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
        || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
    {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"error": "invalid_client"})),
        )
            .into_response();
    }
    let Some(collector) = form.get("code").and_then(|code| world.codes.remove(code)) else {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"error": "invalid_grant"})),
        )
            .into_response();
    };
    let token = format!("APP_USR-{collector}-{}", world.next);
    world.next += 1;
    world.tokens.insert(collector.clone(), token.clone());
    axum::Json(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": 15_552_000,
        "scope": "offline_access read write",
        "user_id": collector.parse::<u64>().map(Value::from).unwrap_or(Value::String(collector)),
        "refresh_token": "TG-refresh",
        "public_key": "APP_USR-public",
        "live_mode": false
    }))
    .into_response()
}

async fn create_preference(
    State(world): State<Shared>,
    headers: HeaderMap,
    axum::Json(request): axum::Json<Value>,
) -> Response {
    let mut world = world.lock().expect("world");
    if let Some(down) = failing(&mut world, "POST /checkout/preferences".into()) {
        return down;
    }
    let Some(collector) = collector_of(&world, &headers) else {
        return (
            StatusCode::UNAUTHORIZED,
            axum::Json(json!({"message": "invalid_token"})),
        )
            .into_response();
    };
    let valid = request["items"]
        .as_array()
        .is_some_and(|items| !items.is_empty())
        && request["external_reference"].is_string();
    if !valid {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "invalid items"})),
        )
            .into_response();
    }
    let key = headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(key) = &key
        && let Some(id) = world.by_key.get(&(collector.clone(), key.clone())).cloned()
    {
        return axum::Json(preference_json(&world, &id)).into_response();
    }
    let id = format!("{collector}-pref-{}", world.next);
    world.next += 1;
    world
        .preferences
        .insert(id.clone(), (request, collector.clone()));
    if let Some(key) = key {
        world.by_key.insert((collector, key), id.clone());
    }
    (
        StatusCode::CREATED,
        axum::Json(preference_json(&world, &id)),
    )
        .into_response()
}

fn preference_json(world: &World, id: &str) -> Value {
    let (request, collector) = &world.preferences[id];
    let mut answer = request.clone();
    answer["id"] = json!(id);
    answer["collector_id"] = json!(collector);
    answer["init_point"] = json!(format!(
        "https://www.mercadopago.com/checkout/v1/redirect?pref_id={id}"
    ));
    answer
}

async fn payment(
    State(world): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut world = world.lock().expect("world");
    if let Some(down) = failing(&mut world, format!("GET /v1/payments/{id}")) {
        return down;
    }
    let collector = collector_of(&world, &headers);
    match world.payments.get(&id) {
        // A seller sees only their own payments.
        Some(payment) if collector.as_deref() == payment["collector_id"].as_str() => {
            axum::Json(payment.clone()).into_response()
        }
        _ => (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Payment not found"})),
        )
            .into_response(),
    }
}

/// How a webhook is signed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signing {
    /// As the provider signs.
    Valid,
    /// With another secret.
    WrongSecret,
    /// With a timestamp ten minutes old.
    Stale,
    /// No `x-signature` header.
    Missing,
}

/// A webhook as it went out, to send again (a replay).
#[derive(Clone, Debug)]
pub struct Delivery {
    url: String,
    headers: Vec<(String, String)>,
    body: Value,
}

async fn refund(
    State(world): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let mut world = world.lock().expect("world");
    if let Some(down) = failing(&mut world, format!("POST /v1/payments/{id}/refunds")) {
        return down;
    }
    let collector = collector_of(&world, &headers);
    let Some(payment) = world.payments.get(&id).cloned() else {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Payment not found"})),
        )
            .into_response();
    };
    if collector.as_deref() != payment["collector_id"].as_str() {
        return (
            StatusCode::NOT_FOUND,
            axum::Json(json!({"message": "Payment not found"})),
        )
            .into_response();
    }
    let key = headers
        .get("x-idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    if let Some(done) = world.refund_keys.get(&key)
        && *done == id
    {
        return (
            StatusCode::CREATED,
            axum::Json(json!({"payment_id": id, "status": "approved"})),
        )
            .into_response();
    }
    if world.refusals > 0 {
        world.refusals -= 1;
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "insufficient_funds", "status": 400})),
        )
            .into_response();
    }
    if payment["status"] == "refunded" {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"message": "Payment already refunded", "status": 400})),
        )
            .into_response();
    }
    *world.refunds.entry(id.clone()).or_default() += 1;
    world.refund_keys.insert(key, id.clone());
    world.payments.get_mut(&id).expect("payment")["status"] = json!("refunded");
    (
        StatusCode::CREATED,
        axum::Json(json!({"id": world.next, "payment_id": id, "amount": payment["transaction_amount"], "status": "approved"})),
    )
        .into_response()
}

impl MercadoPagoSimulator {
    /// Starts the simulator on an ephemeral port.
    pub async fn start() -> Self {
        let world: Shared = Arc::default();
        let app = Router::new()
            .route("/oauth/token", post(oauth_token))
            .route("/checkout/preferences", post(create_preference))
            .route("/v1/payments/{id}", get(payment))
            .route("/v1/payments/{id}/refunds", post(refund))
            .with_state(world.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind simulator");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            axum::serve(listener, app).await.expect("simulator");
        });
        Self {
            url,
            world,
            http: reqwest::Client::new(),
        }
    }

    /// The API's payment settings for this simulator; the webhooks go to the server's own
    /// address.
    pub fn setup(&self) -> PaymentsSetup {
        PaymentsSetup {
            mercadopago: MercadoPagoConfig {
                base_url: self.url.clone(),
                client_id: CLIENT_ID.to_owned(),
                client_secret: Secret(CLIENT_SECRET.to_owned()),
                webhook_secret: Secret(WEBHOOK_SECRET.to_owned()),
                notification_url: String::new(),
                back_url: "http://localhost:5173/cuenta/pedidos".to_owned(),
                signature_tolerance: std::time::Duration::from_secs(300),
                timeout: std::time::Duration::from_secs(5),
            },
        }
    }

    /// An authorization code for the seller account `collector` (what the provider's OAuth
    /// page redirects with).
    pub fn authorize(&self, collector: &str) -> String {
        let mut world = self.world.lock().expect("world");
        let code = format!("TG-code-{collector}-{}", world.next);
        world.next += 1;
        world.codes.insert(code.clone(), collector.to_owned());
        code
    }

    /// The next `n` calls answer 500.
    pub fn fail_next(&self, n: u32) {
        self.world.lock().expect("world").failures = n;
    }

    /// The next `n` refunds are refused (400).
    pub fn refuse_refunds(&self, n: u32) {
        self.world.lock().expect("world").refusals = n;
    }

    /// How many times this payment was refunded.
    pub fn refunds(&self, payment: &str) -> u32 {
        self.world
            .lock()
            .expect("world")
            .refunds
            .get(payment)
            .copied()
            .unwrap_or_default()
    }

    /// Every call so far (`POST /checkout/preferences`, ...).
    pub fn calls(&self) -> Vec<String> {
        self.world.lock().expect("world").calls.clone()
    }

    /// The preference with this id as the API asked for it, with its collector.
    pub fn preference(&self, id: &str) -> Value {
        preference_json(&self.world.lock().expect("world"), id)
    }

    /// The id of the preference made for this external reference (an order number).
    pub fn preference_for(&self, reference: &str) -> Option<String> {
        let world = self.world.lock().expect("world");
        world
            .preferences
            .iter()
            .find(|(_, (request, _))| request["external_reference"] == reference)
            .map(|(id, _)| id.clone())
    }

    /// A buyer pays through a preference: a payment of `amount` in `currency` (the
    /// preference's own when `None`) with `status` (`approved`, `rejected`, ...).
    pub fn pay(
        &self,
        preference: &str,
        status: &str,
        amount: Option<&str>,
        currency: Option<&str>,
    ) -> String {
        let mut world = self.world.lock().expect("world");
        let (request, collector) = world.preferences[preference].clone();
        let item = &request["items"][0];
        let amount: Value = match amount {
            Some(amount) => json!(amount.parse::<f64>().expect("amount")),
            None => item["unit_price"].clone(),
        };
        let currency = currency.map_or(item["currency_id"].clone(), |c| json!(c));
        let id = 9_000_000 + world.next;
        world.next += 1;
        world.payments.insert(
            id.to_string(),
            json!({
                "id": id,
                "status": status,
                "status_detail": if status == "approved" { "accredited" } else { "cc_rejected_other_reason" },
                "transaction_amount": amount,
                "currency_id": currency,
                "external_reference": request["external_reference"],
                "collector_id": collector,
                "marketplace_fee": request["marketplace_fee"],
                "preference_id": preference,
            }),
        );
        id.to_string()
    }

    /// A payment to `collector` for a reference the API never made a preference for (an
    /// order it has not committed yet, say).
    pub fn pay_reference(
        &self,
        collector: &str,
        reference: &str,
        amount: &str,
        currency: &str,
    ) -> String {
        let mut world = self.world.lock().expect("world");
        let id = 9_000_000 + world.next;
        world.next += 1;
        world.payments.insert(
            id.to_string(),
            json!({
                "id": id, "status": "approved", "transaction_amount": amount.parse::<f64>().expect("amount"),
                "currency_id": currency, "external_reference": reference, "collector_id": collector,
            }),
        );
        id.to_string()
    }

    /// Changes a payment's status (`approved`, `refunded`, ...).
    pub fn set_status(&self, payment: &str, status: &str) {
        let mut world = self.world.lock().expect("world");
        world.payments.get_mut(payment).expect("payment")["status"] = json!(status);
    }

    /// The webhook the provider sends about `payment`, to `notification_url` (the one its
    /// preference named, or `to` when given), signed as `signing` says.
    pub fn webhook(&self, payment: &str, to: &str, signing: Signing) -> Delivery {
        let world = self.world.lock().expect("world");
        let collector = world.payments[payment]["collector_id"].clone();
        let now = chrono::Utc::now().timestamp();
        let ts = if signing == Signing::Stale {
            now - 600
        } else {
            now
        };
        let request_id = format!("req-{payment}-{}", world.next);
        let manifest = format!("id:{payment};request-id:{request_id};ts:{ts};");
        let secret = if signing == Signing::WrongSecret {
            "otra-firma"
        } else {
            WEBHOOK_SECRET
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(manifest.as_bytes());
        let signature = format!("ts={ts},v1={}", hex::encode(mac.finalize().into_bytes()));
        let mut headers = vec![("x-request-id".to_owned(), request_id)];
        if signing != Signing::Missing {
            headers.push(("x-signature".to_owned(), signature));
        }
        Delivery {
            url: format!("{to}?data.id={payment}&type=payment"),
            headers,
            body: json!({
                "action": "payment.updated",
                "api_version": "v1",
                "data": { "id": payment },
                "date_created": chrono::Utc::now().to_rfc3339(),
                "id": 1,
                "live_mode": false,
                "type": "payment",
                "user_id": collector.as_str().and_then(|c| c.parse::<u64>().ok()).map_or(collector.clone(), Value::from),
            }),
        }
    }

    /// Sends a webhook (again, for a replay); the API's status code.
    pub async fn deliver(&self, delivery: &Delivery) -> u16 {
        let mut request = self.http.post(&delivery.url).json(&delivery.body);
        for (name, value) in &delivery.headers {
            request = request.header(name, value);
        }
        request
            .send()
            .await
            .expect("deliver webhook")
            .status()
            .as_u16()
    }
}
