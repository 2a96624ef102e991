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
}

/// Why a request's parameters were refused (always a 400).
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
            return Err(err("a GraphQL request must be a JSON object"));
        };
        let persisted = map
            .get("extensions")
            .and_then(|e| e.get("persistedQuery"))
            .is_some();
        let query = match map.remove("query") {
            Some(Value::String(q)) if !q.trim().is_empty() => q,
            // A persisted query may leave the text out: the hash names it.
            Some(Value::String(_)) | None | Some(Value::Null) if persisted => String::new(),
            Some(Value::String(_)) | None | Some(Value::Null) => {
                return Err(err("the request has no query"));
            }
            Some(_) => return Err(err("query must be a string")),
        };
        let operation_name = match map.remove("operationName") {
            None | Some(Value::Null) => None,
            Some(Value::String(name)) => Some(name),
            Some(_) => return Err(err("operationName must be a string")),
        };
        let variables = object_or_null(map.remove("variables"), "variables")?;
        let extensions = object_or_null(map.remove("extensions"), "extensions")?;
        Ok(Self {
            query,
            operation_name,
            variables,
            extensions,
        })
    }

    /// Reads the parameters of a GET request, where `variables` and `extensions` are JSON text.
    pub fn from_url(mut params: HashMap<String, String>) -> Result<Self, ParamsError> {
        let persisted = params
            .get("extensions")
            .is_some_and(|e| e.contains("persistedQuery"));
        let query = match params.remove("query").filter(|q| !q.trim().is_empty()) {
            Some(query) => query,
            None if persisted => String::new(),
            None => return Err(err("the request has no query")),
        };
        let operation_name = params.remove("operationName").filter(|n| !n.is_empty());
        let json = |name: &str, text: Option<String>| -> Result<Map<String, Value>, ParamsError> {
            match text.filter(|t| !t.is_empty()) {
                None => Ok(Map::new()),
                Some(text) => {
                    let value = serde_json::from_str(&text)
                        .map_err(|e| err(format!("{name} is not valid JSON: {e}")))?;
                    object_or_null(Some(value), name)
                }
            }
        };
        let variables = json("variables", params.remove("variables"))?;
        let extensions = json("extensions", params.remove("extensions"))?;
        Ok(Self {
            query,
            operation_name,
            variables,
            extensions,
        })
    }
}

fn object_or_null(value: Option<Value>, name: &str) -> Result<Map<String, Value>, ParamsError> {
    match value {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(err(format!("{name} must be a JSON object"))),
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
}
