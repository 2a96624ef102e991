//! `GET /playground`: the self-hosted GraphiQL built in `playground/` and embedded in the
//! binary, with the trusted operations it opens as tabs.
//!
//! Key rule: the page talks to this server only. Its Content-Security-Policy tells the
//! browser so, and a test reads every embedded file for absolute URLs to other hosts.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG,
    IF_NONE_MATCH, VARY,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;

use super::state::AppState;

/// `playground/dist`, the output of `playground/build.sh` (committed, so `cargo build` needs
/// no npm). `debug-embed` embeds it in debug builds too: tests see what ships.
#[derive(rust_embed::Embed)]
#[folder = "../playground/dist/"]
struct Assets;

/// The playground's Content-Security-Policy: scripts, workers, styles, fonts and requests
/// from this origin only, no inline or `eval`'d script. Inline styles are allowed because
/// Monaco and GraphiQL position elements with `style` attributes; `blob:` workers and `data:`
/// images and fonts are what Monaco creates at run time, never another host.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
    worker-src 'self' blob:; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
    font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; \
    form-action 'none'";

/// Hashed file names change with their content, so they may be cached for good.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// The playground's routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/playground", get(index))
        .route("/playground/", get(index))
        .route("/playground/operations.json", get(operations))
        .route("/playground/assets/{*path}", get(asset))
}

async fn index(headers: HeaderMap) -> Response {
    let Some(file) = Assets::get("index.html") else {
        return missing();
    };
    let etag = format!("\"{}\"", hex(&file.metadata.sha256_hash()));
    let fresh = headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        file.data.into_owned().into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static(content_type("index.html")),
    );
    // The page names the current asset hashes: revalidate it on every load.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(etag) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, etag);
    }
    with_policy(response)
}

/// An asset, gzipped at build time when the browser takes gzip and a `.gz` twin exists.
async fn asset(Path(path): Path<String>, headers: HeaderMap) -> Response {
    let name = format!("assets/{path}");
    let gzipped = accepts_gzip(&headers)
        .then(|| Assets::get(&format!("{name}.gz")))
        .flatten();
    let encoded = gzipped.is_some();
    let Some(file) = gzipped.or_else(|| Assets::get(&name)) else {
        return missing();
    };
    let mut response = file.data.into_owned().into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type(&path)));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE));
    headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if encoded {
        headers.insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    with_policy(response)
}

/// Whether `Accept-Encoding` allows gzip (named or `*`, without `q=0`).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// The trusted operations, for the page to open as tabs and to sign in with, and whether
/// only admins may explore and run their own operations (production).
async fn operations(State(state): State<AppState>) -> Response {
    let body = json!({
        "production": state.config.production || state.config.safelist,
        "operations": state.trusted.operations(),
    });
    let mut response = axum::Json(body).into_response();
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    with_policy(response)
}

fn with_policy(mut response: Response) -> Response {
    response.headers_mut().insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    response
}

fn missing() -> Response {
    (
        StatusCode::NOT_FOUND,
        axum::Json(json!({ "error": "not found" })),
    )
        .into_response()
}

/// The media type of an asset, by extension (`nosniff` makes browsers hold us to it).
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("ttf") => "font/ttf",
        Some("woff") => "font/woff",
        Some("woff2") => "font/woff2",
        Some("wasm") => "application/wasm",
        Some("gz") => "application/gzip",
        _ => "application/octet-stream",
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
