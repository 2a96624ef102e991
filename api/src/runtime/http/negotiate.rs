//! `Accept` negotiation between the two media types of the GraphQL-over-HTTP spec.
//!
//! Hand-written because it is twenty lines with q-values; a general content-negotiation
//! crate would bring more than it saves.

use axum::http::HeaderMap;
use axum::http::header::ACCEPT;

/// The media type of a GraphQL response.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponseFormat {
    /// `application/graphql-response+json`: status codes tell request errors apart.
    GraphqlResponseJson,
    /// `application/json`: the legacy format, 200 for every well-formed request.
    Json,
}

impl ResponseFormat {
    /// The `Content-Type` value of a response in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::GraphqlResponseJson => "application/graphql-response+json; charset=utf-8",
            Self::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response format from `Accept`; `None` when neither type is acceptable.
///
/// Without an `Accept` header the spec says to answer `application/json`. On equal
/// preference `application/graphql-response+json` wins.
pub fn negotiate(headers: &HeaderMap) -> Option<ResponseFormat> {
    let values: Vec<&str> = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() || values.iter().all(|v| v.trim().is_empty()) {
        return Some(ResponseFormat::Json);
    }
    let mut graphql_q: Option<(u8, f32)> = None;
    let mut json_q: Option<(u8, f32)> = None;
    for range in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let specificity = |exact: &str| match media.as_str() {
            m if m == exact => Some(3),
            "application/*" => Some(2),
            "*/*" => Some(1),
            _ => None,
        };
        for (exact, best) in [
            ("application/graphql-response+json", &mut graphql_q),
            ("application/json", &mut json_q),
        ] {
            if let Some(s) = specificity(exact)
                && best.is_none_or(|(bs, _)| s > bs)
            {
                *best = Some((s, q));
            }
        }
    }
    let graphql = graphql_q.map_or(0.0, |(_, q)| q);
    let json = json_q.map_or(0.0, |(_, q)| q);
    match (graphql, json) {
        (g, j) if g <= 0.0 && j <= 0.0 => None,
        (g, j) if g >= j => Some(ResponseFormat::GraphqlResponseJson),
        _ => Some(ResponseFormat::Json),
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::ResponseFormat::{GraphqlResponseJson, Json};
    use super::*;

    fn pick(accept: &str) -> Option<ResponseFormat> {
        let mut headers = HeaderMap::new();
        headers.insert(ACCEPT, HeaderValue::from_str(accept).expect("header"));
        negotiate(&headers)
    }

    #[test]
    fn negotiates_like_the_spec() {
        assert_eq!(negotiate(&HeaderMap::new()), Some(Json));
        assert_eq!(pick("application/json"), Some(Json));
        assert_eq!(
            pick("application/graphql-response+json"),
            Some(GraphqlResponseJson)
        );
        assert_eq!(pick("*/*"), Some(GraphqlResponseJson));
        assert_eq!(
            pick("application/graphql-response+json, application/json;q=0.9"),
            Some(GraphqlResponseJson)
        );
        assert_eq!(
            pick("application/graphql-response+json;q=0.5, application/json"),
            Some(Json)
        );
        assert_eq!(pick("application/json, */*;q=0.1"), Some(Json));
        assert_eq!(pick("text/html"), None);
        assert_eq!(pick("application/json;q=0"), None);
    }
}
