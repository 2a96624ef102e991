//! Text arguments free of control characters, checked once for every operation.
//!
//! Key rule: no string a client sends as an argument (inline or through a variable, at any
//! depth of an input object or list) carries a control character (Unicode `Cc`: U+0000 to
//! U+001F, U+007F to U+009F), so none reaches PostgreSQL (which refuses U+0000 in text),
//! the index or a log line. The only exceptions are line breaks and tabs (`\n`, `\r`, `\t`)
//! in the long texts people write on several lines: fields and arguments named
//! [`MULTILINE`]. A refused request answers `BAD_USER_INPUT` before anything runs.
//!
//! Every transport runs [`check_document`] on the parsed document and its variables before
//! executing it (`http::graphql::execute`, `http::ws::subscribe`). It walks the whole document,
//! so an argument added tomorrow is covered without anyone remembering to. It is not a schema
//! extension: with any extension installed, async-graphql builds a `ResolveInfo` (two registry
//! lookups) and runs the extension chain for every field of every response, which cost about
//! a fifth of the nested page's time.

use std::collections::{BTreeMap, HashSet};

use async_graphql::parser::types::{
    ExecutableDocument, OperationDefinition, Selection, SelectionSet,
};
use async_graphql::{ErrorExtensionValues, Name, Pos, ServerError, ServerResult, Variables};
use async_graphql_value::{ConstValue, Value};

use crate::graphql::error::ErrorCode;

/// Argument and input field names whose text may span lines (`\n`, `\r`, `\t`).
pub const MULTILINE: &[&str] = &["body", "description"];

/// Whether `text` may be the value of the argument or input field `name`.
pub fn acceptable(name: &str, text: &str) -> bool {
    let multiline = MULTILINE.contains(&name);
    !text
        .chars()
        .any(|c| c.is_control() && !(multiline && matches!(c, '\n' | '\r' | '\t')))
}

/// Checks every argument of every operation in `document`, variables included.
pub fn check_document(document: &ExecutableDocument, variables: &Variables) -> ServerResult<()> {
    for (_, operation) in document.operations.iter() {
        let mut walk = Walk {
            document,
            variables,
            defaults: defaults(&operation.node),
            visited: HashSet::new(),
        };
        walk.selection_set(&operation.node.selection_set.node)?;
        for directive in &operation.node.directives {
            walk.arguments(&directive.node.arguments)?;
        }
    }
    Ok(())
}

fn defaults(operation: &OperationDefinition) -> BTreeMap<&str, &ConstValue> {
    operation
        .variable_definitions
        .iter()
        .filter_map(|v| {
            let default = v.node.default_value.as_ref()?;
            Some((v.node.name.node.as_str(), &default.node))
        })
        .collect()
}

/// One operation's walk: its selections and the fragments they spread, each once.
struct Walk<'a> {
    document: &'a ExecutableDocument,
    variables: &'a Variables,
    defaults: BTreeMap<&'a str, &'a ConstValue>,
    visited: HashSet<&'a Name>,
}

type Arguments = [(
    async_graphql::Positioned<Name>,
    async_graphql::Positioned<Value>,
)];

impl<'a> Walk<'a> {
    fn selection_set(&mut self, set: &'a SelectionSet) -> ServerResult<()> {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    self.arguments(&field.node.arguments)?;
                    for directive in &field.node.directives {
                        self.arguments(&directive.node.arguments)?;
                    }
                    self.selection_set(&field.node.selection_set.node)?;
                }
                Selection::InlineFragment(fragment) => {
                    for directive in &fragment.node.directives {
                        self.arguments(&directive.node.arguments)?;
                    }
                    self.selection_set(&fragment.node.selection_set.node)?;
                }
                Selection::FragmentSpread(spread) => {
                    for directive in &spread.node.directives {
                        self.arguments(&directive.node.arguments)?;
                    }
                    let name = &spread.node.fragment_name.node;
                    // Validation (which runs later) refuses unknown and cyclic fragments;
                    // here each is walked once so a cycle cannot recurse forever.
                    if let Some(fragment) = self.document.fragments.get(name)
                        && self.visited.insert(name)
                    {
                        self.selection_set(&fragment.node.selection_set.node)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn arguments(&self, arguments: &'a Arguments) -> ServerResult<()> {
        for (name, value) in arguments {
            let mut path = vec![name.node.as_str()];
            self.value(&value.node, &mut path, value.pos)?;
        }
        Ok(())
    }

    fn value(&self, value: &'a Value, path: &mut Vec<&'a str>, pos: Pos) -> ServerResult<()> {
        match value {
            Value::Variable(name) => {
                let value = self
                    .variables
                    .get(name)
                    .or_else(|| self.defaults.get(name.as_str()).copied());
                match value {
                    Some(value) => const_value(value, path, pos),
                    None => Ok(()),
                }
            }
            Value::String(text) => check(text, path, pos),
            Value::List(items) => items.iter().try_for_each(|v| self.value(v, path, pos)),
            Value::Object(fields) => fields.iter().try_for_each(|(key, v)| {
                path.push(key.as_str());
                let checked = self.value(v, path, pos);
                path.pop();
                checked
            }),
            Value::Null | Value::Number(_) | Value::Boolean(_) | Value::Binary(_) => Ok(()),
            Value::Enum(_) => Ok(()),
        }
    }
}

fn const_value<'v>(value: &'v ConstValue, path: &mut Vec<&'v str>, pos: Pos) -> ServerResult<()> {
    match value {
        ConstValue::String(text) => check(text, path, pos),
        ConstValue::List(items) => items.iter().try_for_each(|v| const_value(v, path, pos)),
        ConstValue::Object(fields) => fields.iter().try_for_each(|(key, v)| {
            path.push(key.as_str());
            let checked = const_value(v, path, pos);
            path.pop();
            checked
        }),
        ConstValue::Null
        | ConstValue::Number(_)
        | ConstValue::Boolean(_)
        | ConstValue::Binary(_)
        | ConstValue::Enum(_) => Ok(()),
    }
}

/// The innermost name of `path` decides whether line breaks are allowed.
fn check(text: &str, path: &[&str], pos: Pos) -> ServerResult<()> {
    let name = path.last().copied().unwrap_or_default();
    if acceptable(name, text) {
        return Ok(());
    }
    let mut error = ServerError::new(
        crate::tr!("argument-control-characters", path = path.join(".")),
        Some(pos),
    );
    let mut extensions = ErrorExtensionValues::default();
    extensions.set("code", ErrorCode::BadUserInput.as_str());
    error.extensions = Some(extensions);
    Err(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_line_breaks_in_long_text() {
        assert!(acceptable("name", "Lino ñandú 100% €"));
        assert!(!acceptable("name", "a\u{0}b"));
        assert!(!acceptable("email", "a\u{1b}[31m@x.com"));
        assert!(!acceptable("name", "a\u{7f}"));
        assert!(!acceptable("name", "a\u{85}"));
        assert!(!acceptable("name", "dos\nlíneas"));
        assert!(acceptable("body", "dos\r\nlíneas\tcon tab"));
        assert!(acceptable("description", "dos\nlíneas"));
        assert!(!acceptable("body", "a\u{0}b"));
    }

    fn refused(query: &str, variables: serde_json::Value) -> Option<String> {
        let document = async_graphql::parser::parse_query(query).expect("parse");
        let variables = Variables::from_json(variables);
        check_document(&document, &variables)
            .err()
            .map(|e| e.message)
    }

    #[tokio::test]
    async fn inline_values_variables_defaults_and_fragments_are_all_checked() {
        let none = serde_json::json!({});
        // Outside a request the message is in the default language, Spanish.
        assert_eq!(
            refused(r#"{ suggest(prefix: "a\u0000") { text } }"#, none.clone()).as_deref(),
            Some("el argumento `prefix` no puede contener caracteres de control")
        );
        let english = crate::graphql::i18n::scope(crate::graphql::i18n::Locale::English, async {
            refused(
                "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
                serde_json::json!({ "i": { "email": "a@b.c", "name": ["x\u{1}"] } }),
            )
        })
        .await;
        assert_eq!(
            english.as_deref(),
            Some("argument `input.name` must not contain control characters")
        );
        assert!(
            refused(
                "query($p: String = \"\\u0007\") { ...F } fragment F on Query { suggest(prefix: $p) { text } }",
                none.clone(),
            )
            .is_some()
        );
        assert!(
            refused(
                "mutation($b: String!) { sendMessage(conversationId: \"x\", body: $b) { message { id } } }",
                serde_json::json!({ "b": "hola\nqué tal\tbien" }),
            )
            .is_none()
        );
        assert!(
            refused(
                "query { ...F } fragment F on Query { ...F suggest(prefix: \"ok\") { text } }",
                none,
            )
            .is_none()
        );
    }
}
