//! Mercado Pago's API, as the marketplace model uses it. The contract is the provider's
//! documentation; the calls this module makes, and where they are documented:
//!
//! - `POST /oauth/token` (grant `authorization_code`): a seller's authorization becomes the
//!   access token the marketplace acts with for that seller
//!   (<https://www.mercadopago.com.ar/developers/en/docs/security/oauth/creation>).
//! - `POST /checkout/preferences`, with the seller's token (the seller collects) and the
//!   marketplace's share in `marketplace_fee`
//!   (<https://www.mercadopago.com.ar/developers/en/reference/preferences/_checkout_preferences/post>,
//!   <https://www.mercadopago.com.ar/developers/en/docs/checkout-pro/how-tools/create-marketplace>).
//! - `GET /v1/payments/{id}`: what a payment is, read from the provider rather than from a
//!   webhook's body (<https://www.mercadopago.com.ar/developers/en/reference/payments/_payments_id/get>).
//! - Webhook signatures: `x-signature: ts=<ts>,v1=<hex>`, HMAC-SHA256 with the webhook
//!   secret over the manifest `id:<data.id>;request-id:<x-request-id>;ts:<ts>;`
//!   (<https://www.mercadopago.com.ar/developers/en/docs/your-integrations/notifications/webhooks>).
//!
//! The tests run against a simulator of these endpoints (`tests/src/mercadopago.rs`).

use std::time::Duration;

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::runtime::config::Secret;

/// Where the provider is and who the marketplace is there.
#[derive(Clone, Debug)]
pub struct MercadoPagoConfig {
    /// The API's base URL (`https://api.mercadopago.com`; the simulator's in tests).
    pub base_url: String,
    /// The marketplace application's id and secret (OAuth).
    pub client_id: String,
    pub client_secret: Secret,
    /// The secret webhook signatures are made with.
    pub webhook_secret: Secret,
    /// Where the provider sends webhooks: this API's public `/webhooks/mercadopago` (empty:
    /// the server fills in its own address when it starts).
    pub notification_url: String,
    /// Where the buyer comes back to after paying (the web front end's orders page).
    pub back_url: String,
    /// How far a webhook's timestamp may be from now.
    pub signature_tolerance: Duration,
    /// Longest wait for one call to the provider.
    pub timeout: Duration,
}

/// Why a call to the provider failed.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// Unreachable, too slow, or a server error after the retries.
    #[error("Mercado Pago is unavailable: {0}")]
    Unavailable(String),
    /// The provider refused the request (a 4xx other than 404).
    #[error("Mercado Pago refused the request ({status}): {body}")]
    Refused { status: u16, body: String },
}

/// A seller's account, from an OAuth code.
#[derive(Clone, Debug, Deserialize)]
pub struct SellerAccount {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// The seller's id at the provider (a number in the provider's JSON).
    pub user_id: serde_json::Value,
}

/// What a preference asks the buyer to pay.
#[derive(Clone, Debug, Serialize)]
pub struct PreferenceRequest {
    pub items: Vec<PreferenceItem>,
    pub external_reference: String,
    /// The provider's JSON has numbers for amounts.
    #[serde(with = "rust_decimal::serde::float")]
    pub marketplace_fee: Decimal,
    pub notification_url: String,
    pub back_urls: BackUrls,
    pub auto_return: &'static str,
    pub expires: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_date_to: Option<DateTime<Utc>>,
}

/// One line of a preference.
#[derive(Clone, Debug, Serialize)]
pub struct PreferenceItem {
    pub id: String,
    pub title: String,
    pub quantity: u32,
    #[serde(with = "rust_decimal::serde::float")]
    pub unit_price: Decimal,
    pub currency_id: String,
}

/// Where the buyer returns after paying, by outcome.
#[derive(Clone, Debug, Serialize)]
pub struct BackUrls {
    pub success: String,
    pub pending: String,
    pub failure: String,
}

/// A preference the provider made.
#[derive(Clone, Debug, Deserialize)]
pub struct Preference {
    pub id: String,
    pub init_point: String,
}

/// A payment, as the provider's API describes it.
#[derive(Clone, Debug, Deserialize)]
pub struct ProviderPayment {
    /// A number in the provider's JSON.
    pub id: serde_json::Value,
    /// `approved`, `pending`, `in_process`, `rejected`, `cancelled`, `refunded`, ...
    pub status: String,
    #[serde(with = "rust_decimal::serde::float")]
    pub transaction_amount: Decimal,
    pub currency_id: String,
    #[serde(default)]
    pub external_reference: Option<String>,
}

/// The provider's id of something, as text whether its JSON has a number or a string.
pub fn id_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The client of the provider's API.
pub struct MercadoPago {
    http: reqwest::Client,
    pub config: MercadoPagoConfig,
}

/// Attempts of one call when the provider is unavailable (a connection error, a timeout,
/// 429 or a 5xx), with a doubling pause from 200 ms between them.
const ATTEMPTS: u32 = 3;

impl MercadoPago {
    /// A client with the configured timeouts.
    pub fn new(config: MercadoPagoConfig) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("textisur/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { http, config })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.config.base_url.trim_end_matches('/'))
    }

    /// Sends the request `build` makes, again while the provider is unavailable; `None`
    /// for a 404.
    async fn call<T: serde::de::DeserializeOwned>(
        &self,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Option<T>, ProviderError> {
        let mut pause = Duration::from_millis(200);
        let mut last = String::new();
        for attempt in 1..=ATTEMPTS {
            match build().send().await {
                Ok(response) if response.status().is_success() => {
                    return response.json::<T>().await.map(Some).map_err(|e| {
                        ProviderError::Unavailable(format!("unreadable answer: {e}"))
                    });
                }
                Ok(response) if response.status() == reqwest::StatusCode::NOT_FOUND => {
                    return Ok(None);
                }
                Ok(response)
                    if response.status().is_server_error()
                        || response.status() == reqwest::StatusCode::TOO_MANY_REQUESTS =>
                {
                    last = format!("status {}", response.status());
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let body = response.text().await.unwrap_or_default();
                    return Err(ProviderError::Refused {
                        status,
                        body: body.chars().take(500).collect(),
                    });
                }
                Err(error) => last = error.to_string(),
            }
            if attempt < ATTEMPTS {
                tokio::time::sleep(pause).await;
                pause = pause.saturating_mul(2);
            }
        }
        Err(ProviderError::Unavailable(last))
    }

    /// Exchanges a seller's OAuth authorization code for their account.
    pub async fn connect_seller(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<Option<SellerAccount>, ProviderError> {
        let form = [
            ("client_id", self.config.client_id.as_str()),
            ("client_secret", self.config.client_secret.0.as_str()),
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
        ];
        match self
            .call(|| self.http.post(self.url("/oauth/token")).form(&form))
            .await
        {
            // An unknown or used code is the seller's mistake, not an outage.
            Err(ProviderError::Refused { status: 400, .. }) => Ok(None),
            other => other,
        }
    }

    /// Makes a preference as the seller whose token this is; `key` makes a retry of the
    /// same order's preference safe (`X-Idempotency-Key`).
    pub async fn create_preference(
        &self,
        seller_token: &str,
        key: &str,
        request: &PreferenceRequest,
    ) -> Result<Preference, ProviderError> {
        self.call(|| {
            self.http
                .post(self.url("/checkout/preferences"))
                .bearer_auth(seller_token)
                .header("X-Idempotency-Key", key)
                .json(request)
        })
        .await?
        .ok_or_else(|| ProviderError::Unavailable("preferences answered 404".to_owned()))
    }

    /// The payment with this id, as the seller whose token this is sees it; `None` when
    /// the provider has none.
    pub async fn payment(
        &self,
        seller_token: &str,
        payment_id: &str,
    ) -> Result<Option<ProviderPayment>, ProviderError> {
        let path = format!("/v1/payments/{}", urlencode(payment_id));
        self.call(|| self.http.get(self.url(&path)).bearer_auth(seller_token))
            .await
    }
}

impl MercadoPago {
    /// Gives the whole of a payment back, as the seller whose token this is; `key` makes
    /// a retry of the same refund safe (`X-Idempotency-Key`)
    /// (<https://www.mercadopago.com.ar/developers/en/reference/chargebacks/_payments_id_refunds/post>).
    pub async fn refund(
        &self,
        seller_token: &str,
        payment_id: &str,
        key: &str,
    ) -> Result<(), ProviderError> {
        let path = format!("/v1/payments/{}/refunds", urlencode(payment_id));
        self.call::<serde_json::Value>(|| {
            self.http
                .post(self.url(&path))
                .bearer_auth(seller_token)
                .header("X-Idempotency-Key", key)
                .json(&serde_json::json!({}))
        })
        .await?
        .map(|_| ())
        .ok_or_else(|| ProviderError::Refused {
            status: 404,
            body: "no such payment".to_owned(),
        })
    }
}

/// A path segment with everything but ASCII letters and digits percent-encoded.
fn urlencode(segment: &str) -> String {
    segment
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Why a webhook's signature does not verify.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    #[error("no x-signature header, or one without ts and v1")]
    Malformed,
    #[error("the signature's timestamp is too far from now")]
    Stale,
    #[error("the signature does not match")]
    Mismatch,
}

/// Checks a webhook's `x-signature` against the manifest the provider signs: the `data.id`
/// of the notification's URL (lower-cased), its `x-request-id` (left out of the manifest
/// when absent) and the header's `ts`, within `tolerance` of `now`.
pub fn verify_signature(
    secret: &str,
    header: Option<&str>,
    data_id: &str,
    request_id: Option<&str>,
    now: DateTime<Utc>,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Malformed)?;
    let mut ts = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("ts", value)) => ts = Some(value.trim()),
            Some(("v1", value)) => v1 = Some(value.trim()),
            _ => {}
        }
    }
    let (Some(ts), Some(v1)) = (ts, v1) else {
        return Err(SignatureError::Malformed);
    };
    let stamp: i64 = ts.parse().map_err(|_| SignatureError::Malformed)?;
    // The provider's examples give seconds; milliseconds are accepted too.
    let stamp_ms = if stamp > 100_000_000_000 {
        stamp
    } else {
        stamp.saturating_mul(1000)
    };
    let age_ms = now
        .timestamp_millis()
        .saturating_sub(stamp_ms)
        .unsigned_abs();
    if u128::from(age_ms) > tolerance.as_millis() {
        return Err(SignatureError::Stale);
    }
    let expected = hex::decode(v1).map_err(|_| SignatureError::Mismatch)?;
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| SignatureError::Mismatch)?;
    mac.update(manifest(data_id, request_id, ts).as_bytes());
    // Constant-time comparison.
    mac.verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

/// The text the provider signs.
pub fn manifest(data_id: &str, request_id: Option<&str>, ts: &str) -> String {
    let id = data_id.to_lowercase();
    match request_id {
        Some(request_id) => format!("id:{id};request-id:{request_id};ts:{ts};"),
        None => format!("id:{id};ts:{ts};"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sign(secret: &str, data_id: &str, request_id: Option<&str>, ts: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
        mac.update(manifest(data_id, request_id, ts).as_bytes());
        format!("ts={ts},v1={}", hex::encode(mac.finalize().into_bytes()))
    }

    #[test]
    fn signatures_verify_only_with_the_secret_the_id_and_a_fresh_timestamp() {
        let now = Utc::now();
        let ts = now.timestamp().to_string();
        let minute = Duration::from_secs(300);
        let header = sign("s3creto", "123456", Some("req-1"), &ts);
        let check = |header: &str, id: &str, request: Option<&str>| {
            verify_signature("s3creto", Some(header), id, request, now, minute)
        };
        assert_eq!(check(&header, "123456", Some("req-1")), Ok(()));
        assert_eq!(
            check(&header, "123457", Some("req-1")),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(&header, "123456", Some("req-2")),
            Err(SignatureError::Mismatch)
        );
        let forged = sign("otro", "123456", Some("req-1"), &ts);
        assert_eq!(
            check(&forged, "123456", Some("req-1")),
            Err(SignatureError::Mismatch)
        );
        let old = (now.timestamp() - 301).to_string();
        let stale = sign("s3creto", "123456", Some("req-1"), &old);
        assert_eq!(
            check(&stale, "123456", Some("req-1")),
            Err(SignatureError::Stale)
        );
        let in_ms = sign("s3creto", "ab12", None, &now.timestamp_millis().to_string());
        assert_eq!(check(&in_ms, "AB12", None), Ok(()), "ids are lower-cased");
        for malformed in ["", "ts=1", "v1=00", "ts=x,v1=00"] {
            assert_eq!(
                check(malformed, "1", None),
                Err(SignatureError::Malformed),
                "{malformed}"
            );
        }
        assert_eq!(
            verify_signature("s3creto", None, "1", None, now, minute),
            Err(SignatureError::Malformed)
        );
    }
}
