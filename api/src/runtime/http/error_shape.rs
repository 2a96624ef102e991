//! How errors look on the wire over HTTP: a failed field comes back as `null` instead of
//! missing, and an answer of nothing but "out of reach" is a 503. (Codes are
//! `graphql/error.rs`'s.)

use serde_json::Value;

use crate::graphql::error::ErrorCode;

/// Puts `null` back where a field failed.
///
/// async-graphql 7.2 leaves a failed field out of its object (and makes an object whose
/// every selected field failed `null`), where the spec wants the field present as `null`;
/// clients such as Apollo treat a missing key as a broken response. A root field that
/// failed inside a `null` data entry stays as it is: that is the spec's own bubbling.
pub(super) fn restore_null(data: &mut Value, path: &[Value]) {
    if data.is_null() {
        return;
    }
    let mut current = data;
    for (depth, segment) in path.iter().enumerate() {
        let last = depth + 1 == path.len();
        match segment {
            Value::String(key) => {
                if current.is_null() {
                    *current = Value::Object(serde_json::Map::new());
                }
                let Some(object) = current.as_object_mut() else {
                    return;
                };
                if last {
                    object.entry(key.clone()).or_insert(Value::Null);
                    return;
                }
                match object.get_mut(key) {
                    Some(next) => current = next,
                    None => return,
                }
            }
            Value::Number(index) => {
                let index = index.as_u64().unwrap_or(u64::MAX) as usize;
                match current.as_array_mut().and_then(|list| list.get_mut(index)) {
                    Some(next) if !last => current = next,
                    _ => return,
                }
            }
            _ => return,
        }
    }
}

/// Whether a response carries nothing but "PostgreSQL is out of reach": errors that all say
/// so, and no data (none at all, or every root field null). Such a response is a 503 with
/// `Retry-After`; one with any data stays 200, as the GraphQL-over-HTTP spec requires.
pub(super) fn only_unavailable(body: &Value) -> bool {
    let Some(errors) = body.get("errors").and_then(Value::as_array) else {
        return false;
    };
    let unavailable = |error: &Value| {
        let extensions = &error["extensions"];
        extensions["code"] == ErrorCode::InternalServerError.as_str()
            && extensions.get("retryAfterMs").is_some()
    };
    let no_data = match body.get("data") {
        None | Some(Value::Null) => true,
        Some(Value::Object(fields)) => fields.values().all(Value::is_null),
        Some(_) => false,
    };
    !errors.is_empty() && errors.iter().all(unavailable) && no_data
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::{only_unavailable, restore_null};

    #[test]
    fn failed_fields_come_back_as_null() {
        let mut data = json!({ "stores": { "nodes": [{ "name": "a" }, { "name": "b" }] } });
        restore_null(
            &mut data,
            &[json!("stores"), json!("nodes"), json!(1), json!("owner")],
        );
        assert_eq!(
            data,
            json!({ "stores": { "nodes": [{ "name": "a" }, { "name": "b", "owner": null }] } })
        );

        let mut data = json!({ "node": null });
        restore_null(&mut data, &[json!("node"), json!("email")]);
        assert_eq!(data, json!({ "node": { "email": null } }));

        let mut data = json!(null);
        restore_null(&mut data, &[json!("suspendUser")]);
        assert_eq!(data, json!(null), "a null data entry stays null");
    }

    #[test]
    fn only_a_dataless_out_of_reach_answer_is_unavailable() {
        let down = json!({ "message": "service unavailable: retry shortly",
            "extensions": { "code": "INTERNAL_SERVER_ERROR", "retryAfterMs": 2000 } });
        let bug = json!({ "message": "internal error",
            "extensions": { "code": "INTERNAL_SERVER_ERROR" } });
        assert!(only_unavailable(&json!({ "data": null, "errors": [down] })));
        assert!(only_unavailable(&json!({ "errors": [down] })));
        assert!(only_unavailable(
            &json!({ "data": { "product": null, "me": null }, "errors": [down, down] })
        ));
        assert!(
            !only_unavailable(
                &json!({ "data": { "product": null, "me": { "id": "x" } }, "errors": [down] })
            ),
            "partial data stays 200"
        );
        assert!(
            !only_unavailable(&json!({ "data": null, "errors": [down, bug] })),
            "a bug among them is a 500's business, not a retry"
        );
        assert!(!only_unavailable(&json!({ "data": { "product": null } })));
        assert!(!only_unavailable(&json!({ "data": null, "errors": [] })));
    }
}
