//! The body of a GraphQL answer.
//!
//! An answer without errors is serialised once, straight from the executor's value to
//! bytes: building a `serde_json::Value` first allocated a `String` for every key of every
//! object of the page, a tenth of the server's time on a search page. Anything with errors
//! stays a `serde_json::Value`, which the error policy patches (codes, nulls) before it is
//! serialised.

use serde_json::{Map, Value};

/// A response body.
pub(super) enum Body {
    /// `data` without errors: `head` is `{"data":…}` serialised, `extensions` come after it.
    Clean {
        head: Vec<u8>,
        extensions: Map<String, Value>,
    },
    /// Anything else, as JSON.
    Json(Value),
}

impl Body {
    /// The answer of an execution without errors.
    pub(super) fn clean(data: &async_graphql::Value, extensions: Map<String, Value>) -> Self {
        let mut head = Vec::with_capacity(4096);
        head.extend_from_slice(b"{\"data\":");
        // Writing a value built by the executor to memory cannot fail: its map keys are
        // strings and its numbers finite.
        if serde_json::to_writer(&mut head, data).is_err() {
            head.truncate(8);
            head.extend_from_slice(b"null");
        }
        head.push(b'}');
        Self::Clean { head, extensions }
    }

    /// The serialised body.
    pub(super) fn into_bytes(self) -> Vec<u8> {
        match self {
            Body::Clean { head, extensions } if extensions.is_empty() => head,
            Body::Clean {
                mut head,
                extensions,
            } => {
                append_extensions(&mut head, &extensions);
                head
            }
            Body::Json(value) => serde_json::to_vec(&value).unwrap_or_default(),
        }
    }

    /// Whether the body reports errors.
    pub(super) fn has_errors(&self) -> bool {
        match self {
            Body::Clean { .. } => false,
            Body::Json(value) => value.get("errors").is_some(),
        }
    }

    /// The `extensions` member, if any.
    pub(super) fn extension(&self, name: &str) -> Option<&Value> {
        match self {
            Body::Clean { extensions, .. } => extensions.get(name),
            Body::Json(value) => value.get("extensions")?.get(name),
        }
    }

    /// `{"data":…}` of an answer another caller may be given: no errors and no extension
    /// but the cost report, which belongs to each caller.
    pub(super) fn shareable(&self) -> Option<&[u8]> {
        match self {
            Body::Clean { head, extensions } if extensions.keys().all(|k| k == "cost") => {
                Some(head)
            }
            _ => None,
        }
    }
}

/// `head`, a serialised JSON object, with one more member: `extensions`.
pub(super) fn with_extensions(head: &[u8], extensions: &Map<String, Value>) -> Vec<u8> {
    let mut out = Vec::with_capacity(head.len() + 256);
    out.extend_from_slice(head);
    append_extensions(&mut out, extensions);
    out
}

/// Adds `extensions` as the last member of the serialised JSON object in `object`.
fn append_extensions(object: &mut Vec<u8>, extensions: &Map<String, Value>) {
    // The object ends with its closing brace: the member goes before it.
    object.pop();
    object.extend_from_slice(b",\"extensions\":");
    if serde_json::to_writer(&mut *object, extensions).is_err() {
        object.extend_from_slice(b"{}");
    }
    object.push(b'}');
}

/// A batch's bodies as one JSON array.
pub(super) fn array(bodies: Vec<Body>) -> Vec<u8> {
    let mut out = vec![b'['];
    for (i, body) in bodies.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(&body.into_bytes());
    }
    out.push(b']');
    out
}

#[cfg(test)]
mod tests {
    use async_graphql::{Name, Value as GqlValue};
    use serde_json::json;

    use super::*;

    fn data() -> GqlValue {
        let mut page = async_graphql::indexmap::IndexMap::new();
        page.insert(
            Name::new("name"),
            GqlValue::String("Camisa \"lino\"".into()),
        );
        page.insert(Name::new("price"), GqlValue::Number(12.into()));
        GqlValue::Object(page)
    }

    #[test]
    fn a_clean_body_serialises_like_the_executor_response() {
        let mut extensions = Map::new();
        extensions.insert("cost".into(), json!({ "requestedQueryCost": 3 }));
        let body = Body::clean(&data(), extensions);
        assert_eq!(
            body.extension("cost"),
            Some(&json!({ "requestedQueryCost": 3 }))
        );
        let shared: Value =
            serde_json::from_slice(body.shareable().expect("shareable")).expect("valid JSON");
        assert_eq!(
            shared,
            json!({ "data": { "name": "Camisa \"lino\"", "price": 12 } })
        );
        assert!(!body.has_errors());
        let parsed: Value = serde_json::from_slice(&body.into_bytes()).expect("valid JSON");
        assert_eq!(
            parsed,
            json!({ "data": { "name": "Camisa \"lino\"", "price": 12 },
                    "extensions": { "cost": { "requestedQueryCost": 3 } } })
        );
        let bare = Body::clean(&data(), Map::new());
        let parsed: Value = serde_json::from_slice(&bare.into_bytes()).expect("valid JSON");
        assert_eq!(
            parsed,
            json!({ "data": { "name": "Camisa \"lino\"", "price": 12 } })
        );
    }

    #[test]
    fn errors_and_foreign_extensions_are_never_shared() {
        let mut extensions = Map::new();
        extensions.insert("trace".into(), json!(1));
        assert!(Body::clean(&data(), extensions).shareable().is_none());
        let failed = Body::Json(json!({ "data": null, "errors": [] }));
        assert!(failed.shareable().is_none());
        assert!(failed.has_errors());
        let batch: Value =
            serde_json::from_slice(&array(vec![failed, Body::clean(&data(), Map::new())]))
                .expect("valid JSON");
        assert_eq!(batch.as_array().map(Vec::len), Some(2));
    }
}
