//! The request parameters of the GraphQL-over-HTTP spec, parsed from a JSON body or a URL.
//!
//! Parsing is strict about types (a `variables` that is not a map is a 400) so a client's
//! mistake is named before anything runs.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// One GraphQL request as sent by a client.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GraphqlParams {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Map<String, Value>,
    pub extensions: Map<String, Value>,
    /// A persisted document's id instead of the text: `documentId` (`sha256:<hex>`, as in
    /// the GraphQL-over-HTTP persisted documents proposal and GraphQL Codegen's clients) or
    /// Relay's `doc_id`.
    pub document_id: Option<String>,
    /// Set once `query` was taken from a hash the server knows (a trusted document or a
    /// registered query), never by parsing: the safelist lets such text through.
    pub persisted: bool,
    /// The SHA-256 of `query` when it is a persisted document's (resolved from a hash or
    /// registered with one): the key of its prepared document.
    pub persisted_hash: Option<String>,
    /// Files of a multipart request, which `variables` name by index (see
    /// [`super::upload`]).
    pub uploads: Uploads,
}

/// The files of a multipart request, in the order `variables` name them.
#[derive(Clone, Default)]
pub struct Uploads(pub std::sync::Arc<std::sync::Mutex<Vec<async_graphql::UploadValue>>>);

impl Uploads {
    /// Takes the files out (the executor's request owns them).
    pub fn take(&self) -> Vec<async_graphql::UploadValue> {
        self.0
            .lock()
            .map(|mut files| std::mem::take(&mut *files))
            .unwrap_or_default()
    }
}

impl std::fmt::Debug for Uploads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.0.lock().map(|files| files.len()).unwrap_or_default();
        write!(f, "Uploads({count})")
    }
}

impl PartialEq for Uploads {
    /// Parameters compare by their text: files never take part.
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// Why a request's parameters were refused (always a 400), in the request's language.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParamsError(pub String);

fn err(message: impl Into<String>) -> ParamsError {
    ParamsError(message.into())
}

impl GraphqlParams {
    /// Reads the parameters from one JSON object of a POST body.
    pub fn from_json(value: Value) -> Result<Self, ParamsError> {
        let Value::Object(mut map) = value else {
            return Err(err(crate::tr!("http-request-not-object")));
        };
        let string = |value: Option<Value>, name: &str| match value {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(err(crate::tr!("http-param-not-string", name = name))),
        };
        let document_id = one_document_id(
            string(map.remove("documentId"), "documentId")?,
            string(map.remove("doc_id"), "doc_id")?,
        )?;
        let apq = map
            .get("extensions")
            .and_then(|e| e.get("persistedQuery"))
            .is_some();
        let persisted = apq || document_id.is_some();
        let query = match map.remove("query") {
            Some(Value::String(q)) if !q.trim().is_empty() => q,
            // A persisted query may leave the text out: the hash names it.
            Some(Value::String(_)) | None | Some(Value::Null) if persisted => String::new(),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(err(crate::tr!("http-query-missing")));
            }
            Some(_) => return Err(err(crate::tr!("http-param-not-string", name = "query"))),
        };
        let operation_name = match map.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => {
                return Err(err(crate::tr!(
                    "http-param-not-string",
                    name = "operationName"
                )));
            }
        };
        let variables = object_or_null(map.remove("variables"), "variables")?;
        let extensions = object_or_null(map.remove("extensions"), "extensions")?;
        Self {
            query,
            operation_name,
            variables,
            extensions,
            document_id,
            persisted: false,
            persisted_hash: None,
            uploads: Uploads::default(),
        }
        .checked()
    }

    /// Reads the parameters of a GET request, where `variables` and `extensions` are JSON text.
    pub fn from_url(mut params: HashMap<String, String>) -> Result<Self, ParamsError> {
        let document_id = one_document_id(
            params.remove("documentId").filter(|id| !id.is_empty()),
            params.remove("doc_id").filter(|id| !id.is_empty()),
        )?;
        let persisted = document_id.is_some()
            || params
                .get("extensions")
                .is_some_and(|e| e.contains("persistedQuery"));
        let query = match params.remove("query").filter(|q| !q.trim().is_empty()) {
            Some(query) => query,
            None if persisted => String::new(),
            None => return Err(err(crate::tr!("http-query-missing"))),
        };
        let operation_name = params.remove("operationName").filter(|n| !n.is_empty());
        let json = |name: &str, text: Option<String>| -> Result<Map<String, Value>, ParamsError> {
            match text.filter(|t| !t.is_empty()) {
                None => Ok(Map::new()),
                Some(text) => {
                    let value = serde_json::from_str(&text).map_err(|e| {
                        err(crate::tr!(
                            "http-param-not-json",
                            name = name,
                            error = e.to_string()
                        ))
                    })?;
                    object_or_null(Some(value), name)
                }
            }
        };
        let variables = json("variables", params.remove("variables"))?;
        let extensions = json("extensions", params.remove("extensions"))?;
        Self {
            query,
            operation_name,
            variables,
            extensions,
            document_id,
            persisted: false,
            persisted_hash: None,
            uploads: Uploads::default(),
        }
        .checked()
    }

    /// A document id names the whole document: it comes alone, without text or an APQ hash
    /// that could disagree with it.
    fn checked(self) -> Result<Self, ParamsError> {
        if self.document_id.is_some() && !self.query.trim().is_empty() {
            return Err(err(crate::tr!("http-query-and-document-id")));
        }
        if self.document_id.is_some() && self.extensions.contains_key("persistedQuery") {
            return Err(err(crate::tr!("http-document-id-and-persisted-query")));
        }
        Ok(self)
    }
}

fn one_document_id(
    document_id: Option<String>,
    doc_id: Option<String>,
) -> Result<Option<String>, ParamsError> {
    match (document_id, doc_id) {
        (Some(_), Some(_)) => Err(err(crate::tr!("http-document-id-and-doc-id"))),
        (document_id, doc_id) => Ok(document_id.or(doc_id)),
    }
}

fn object_or_null(value: Option<Value>, name: &str) -> Result<Map<String, Value>, ParamsError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(err(crate::tr!("http-param-not-object", name = name))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn json_params_are_typed_strictly() {
        let ok = GraphqlParams::from_json(json!({"query": "{a}", "operationName": null,
            "variables": {"x": 1}}));
        assert_eq!(ok.map(|p| p.variables.len()), Ok(1));
        assert!(GraphqlParams::from_json(json!({"query": 1})).is_err());
        assert!(GraphqlParams::from_json(json!({"query": "{a}", "variables": [1]})).is_err());
        assert!(GraphqlParams::from_json(json!({"query": "{a}", "operationName": 3})).is_err());
        assert!(GraphqlParams::from_json(json!({})).is_err());
        assert!(GraphqlParams::from_json(json!("{a}")).is_err());
    }

    #[test]
    fn url_params_decode_json_fields() {
        let mut params = HashMap::new();
        params.insert("query".to_owned(), "{a}".to_owned());
        params.insert("variables".to_owned(), r#"{"x":1}"#.to_owned());
        assert!(GraphqlParams::from_url(params.clone()).is_ok());
        params.insert("variables".to_owned(), "{x".to_owned());
        assert!(GraphqlParams::from_url(params).is_err());
    }

    #[test]
    fn a_document_id_stands_in_for_the_query_and_comes_alone() {
        let id = "sha256:7f56e67dd21ab3f30d1ff8b7bed08893f0a0db86449836189b361dd1e56ddb4b";
        let params = GraphqlParams::from_json(json!({ "documentId": id, "variables": {} }));
        assert_eq!(
            params.map(|p| (p.query, p.document_id)),
            Ok((String::new(), Some(id.to_owned())))
        );
        let relay = GraphqlParams::from_json(json!({ "doc_id": "abc", "query": null }));
        assert_eq!(relay.map(|p| p.document_id), Ok(Some("abc".to_owned())));
        for refused in [
            json!({ "documentId": id, "query": "{ a }" }),
            json!({ "documentId": id, "doc_id": id }),
            json!({ "documentId": 3 }),
            json!({ "documentId": id, "extensions": { "persistedQuery": {} } }),
        ] {
            assert!(
                GraphqlParams::from_json(refused.clone()).is_err(),
                "{refused}"
            );
        }
        let url: HashMap<String, String> = [("doc_id".to_owned(), "abc".to_owned())].into();
        assert_eq!(
            GraphqlParams::from_url(url).map(|p| p.document_id),
            Ok(Some("abc".to_owned()))
        );
    }
}
