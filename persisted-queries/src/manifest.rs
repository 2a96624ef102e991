//! Trusted documents: the operations our own clients send, read from manifests in two
//! formats: Apollo's persisted-query manifest (`apollo-persisted-query-manifest`, version 1)
//! and the hash-to-document map that GraphQL Codegen's client preset
//! (`persisted-documents.json`) and Relay (`--persist-output`) write.
//!
//! Key rule: an operation's `id` is the SHA-256 of its `body`, checked when the manifest is
//! loaded, so an id can never name text other than its own. (Relay must be configured with
//! `persistConfig.algorithm: "SHA256"`; its default MD5 ids are refused.)

use std::collections::HashMap;

use async_graphql_parser::types::{DocumentOperations, OperationType};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sha256_hex;

/// The web app's operations (`persisted-queries/manifests/apollo.json`), embedded at build
/// time.
pub const APOLLO_MANIFEST: &str = include_str!("../manifests/apollo.json");

/// The same operations as the hash-to-document map GraphQL Codegen and Relay write
/// (`persisted-queries/manifests/codegen.json`), embedded at build time.
pub const CODEGEN_MANIFEST: &str = include_str!("../manifests/codegen.json");

/// Every embedded manifest, by its file name in `persisted-queries/manifests/`.
pub const EMBEDDED_MANIFESTS: &[(&str, &str)] = &[
    ("apollo.json", APOLLO_MANIFEST),
    ("codegen.json", CODEGEN_MANIFEST),
];

const FORMAT: &str = "apollo-persisted-query-manifest";

/// One operation of a manifest.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct TrustedOperation {
    /// The SHA-256 of `body`, in lowercase hex.
    pub id: String,
    /// The operation's name (empty for an anonymous operation of a hash-to-document map).
    pub name: String,
    /// `query`, `mutation` or `subscription`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The GraphQL document.
    pub body: String,
}

#[derive(Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    operations: Vec<TrustedOperation>,
}

/// Why a manifest was refused.
#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("malformed manifest: {0}")]
    Json(#[from] serde_json::Error),
    #[error("unsupported manifest format {format} version {version}")]
    Format { format: String, version: u32 },
    #[error("neither an Apollo persisted-query manifest nor a map of hashes to documents")]
    UnknownFormat,
    #[error("operation {name}: id is not the sha256 of its body")]
    IdMismatch { name: String },
    #[error("operation {name}: id {id} appears twice")]
    Duplicate { name: String, id: String },
    #[error("document {id} defines no operation")]
    NoOperation { id: String },
}

/// The trusted documents of a manifest, by id.
#[derive(Clone, Debug, Default)]
pub struct TrustedDocuments {
    operations: Vec<TrustedOperation>,
    by_id: HashMap<String, usize>,
}

impl TrustedDocuments {
    /// Parses and checks a manifest in either format, telling them apart by shape: Apollo's
    /// has a `format` and a list of `operations`; a map has only strings as values.
    pub fn from_manifest(text: &str) -> Result<Self, ManifestError> {
        let value: Value = serde_json::from_str(text)?;
        match &value {
            Value::Object(map) if map.contains_key("format") => Self::from_apollo_manifest(text),
            Value::Object(map) if map.values().all(Value::is_string) => {
                Self::from_document_map(text)
            }
            _ => Err(ManifestError::UnknownFormat),
        }
    }

    /// Parses and checks a manifest in Apollo's format.
    pub fn from_apollo_manifest(text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest = serde_json::from_str(text)?;
        if manifest.format != FORMAT || manifest.version != 1 {
            return Err(ManifestError::Format {
                format: manifest.format,
                version: manifest.version,
            });
        }
        Self::from_operations(manifest.operations)
    }

    /// Parses and checks a map of hashes to documents, as GraphQL Codegen's client preset
    /// (`persisted-documents.json`) and Relay (`--persist-output`) write it. Names and kinds
    /// are read from each document's first operation.
    pub fn from_document_map(text: &str) -> Result<Self, ManifestError> {
        let map: serde_json::Map<String, Value> = serde_json::from_str(text)?;
        let operations = map
            .into_iter()
            .map(|(id, body)| {
                let Value::String(body) = body else {
                    return Err(ManifestError::UnknownFormat);
                };
                let (kind, name) = operation_signature(&body)
                    .ok_or_else(|| ManifestError::NoOperation { id: id.clone() })?;
                Ok(TrustedOperation {
                    id,
                    name,
                    kind,
                    body,
                })
            })
            .collect::<Result<Vec<_>, ManifestError>>()?;
        Self::from_operations(operations)
    }

    fn from_operations(operations: Vec<TrustedOperation>) -> Result<Self, ManifestError> {
        let mut by_id = HashMap::with_capacity(operations.len());
        for (index, operation) in operations.iter().enumerate() {
            if sha256_hex(&operation.body) != operation.id {
                return Err(ManifestError::IdMismatch {
                    name: operation.name.clone(),
                });
            }
            if by_id.insert(operation.id.clone(), index).is_some() {
                return Err(ManifestError::Duplicate {
                    name: operation.name.clone(),
                    id: operation.id.clone(),
                });
            }
        }
        Ok(Self { operations, by_id })
    }

    /// Every [`EMBEDDED_MANIFESTS`] manifest, merged.
    pub fn embedded() -> Result<Self, ManifestError> {
        let mut trusted = Self::default();
        for (_, text) in EMBEDDED_MANIFESTS {
            trusted.merge(Self::from_manifest(text)?);
        }
        Ok(trusted)
    }

    /// Adds the operations of `other` not already here. An id names one text, so an id
    /// found in both manifests is the same operation.
    pub fn merge(&mut self, other: Self) {
        for operation in other.operations {
            if !self.by_id.contains_key(&operation.id) {
                self.by_id
                    .insert(operation.id.clone(), self.operations.len());
                self.operations.push(operation);
            }
        }
    }

    /// The operations as a hash-to-document map (the format of
    /// [`TrustedDocuments::from_document_map`]), pretty-printed, in order.
    pub fn to_document_map(&self) -> String {
        let map: serde_json::Map<String, Value> = self
            .operations
            .iter()
            .map(|op| (op.id.clone(), Value::String(op.body.clone())))
            .collect();
        let mut text = serde_json::to_string_pretty(&map).unwrap_or_default();
        text.push('\n');
        text
    }

    /// The operation whose id is `sha256`.
    pub fn get(&self, sha256: &str) -> Option<&TrustedOperation> {
        self.by_id.get(sha256).map(|&i| &self.operations[i])
    }

    /// Whether `query` is, byte for byte, the body of a trusted operation.
    pub fn contains_text(&self, query: &str) -> bool {
        self.by_id.contains_key(&sha256_hex(query))
    }

    /// Every operation, in manifest order.
    pub fn operations(&self) -> &[TrustedOperation] {
        &self.operations
    }
}

/// The kind and name (empty when anonymous) of the first operation of a document, in
/// source order; `None` when the document does not parse or holds no operation.
fn operation_signature(document: &str) -> Option<(String, String)> {
    let document = async_graphql_parser::parse_query(document).ok()?;
    let (name, operation) = match &document.operations {
        DocumentOperations::Single(operation) => (String::new(), operation),
        // A map: the first in the text is the one at the lowest position.
        DocumentOperations::Multiple(operations) => operations
            .iter()
            .min_by_key(|(_, operation)| (operation.pos.line, operation.pos.column))
            .map(|(name, operation)| (name.to_string(), operation))?,
    };
    let kind = match operation.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    Some((kind.to_owned(), name))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_embedded_manifest_loads_and_every_id_is_the_hash_of_its_body() {
        let trusted = TrustedDocuments::embedded().expect("embedded manifest");
        assert!(!trusted.operations().is_empty());
        for operation in trusted.operations() {
            assert_eq!(
                operation.id,
                sha256_hex(&operation.body),
                "{}",
                operation.name
            );
            assert!(trusted.contains_text(&operation.body));
            assert_eq!(trusted.get(&operation.id), Some(operation));
        }
    }

    #[test]
    fn a_wrong_id_or_format_is_refused() {
        let body = "query Me { me { id } }";
        let manifest = |format: &str, id: &str| {
            serde_json::json!({ "format": format, "version": 1, "operations": [
                { "id": id, "name": "Me", "type": "query", "body": body } ] })
            .to_string()
        };
        let good = manifest(FORMAT, &sha256_hex(body));
        assert!(TrustedDocuments::from_apollo_manifest(&good).is_ok());
        let wrong_id = manifest(FORMAT, &sha256_hex("query Me { me { name } }"));
        assert!(matches!(
            TrustedDocuments::from_apollo_manifest(&wrong_id),
            Err(ManifestError::IdMismatch { .. })
        ));
        let wrong_format = manifest("relay", &sha256_hex(body));
        assert!(matches!(
            TrustedDocuments::from_apollo_manifest(&wrong_format),
            Err(ManifestError::Format { .. })
        ));
    }

    #[test]
    fn a_document_map_loads_with_names_and_kinds_read_from_the_documents() {
        let documents = [
            "query Me { me { id } }",
            "# the cart\nmutation AddToCart($p: ID!) { addToCart(productId: $p, quantity: \"1\") { cart { subtotal { amount } } } }",
            "fragment F on Query { me { id } }\nsubscription OnMessage { messageAdded(conversationId: \"{\") { id } }",
            "{ categories { name } }",
            "query($q: String = \"query X {\") { products(query: $q) { totalCount } }",
            "query Zeta { me { id } }\nmutation Alpha { logout }",
        ];
        let map: serde_json::Map<String, Value> = documents
            .iter()
            .map(|d| (sha256_hex(d), Value::String((*d).to_owned())))
            .collect();
        let text = Value::Object(map).to_string();
        let trusted = TrustedDocuments::from_manifest(&text).expect("document map");
        let signatures: Vec<(&str, &str)> = trusted
            .operations()
            .iter()
            .map(|op| (op.kind.as_str(), op.name.as_str()))
            .collect();
        assert_eq!(
            signatures,
            [
                ("query", "Me"),
                ("mutation", "AddToCart"),
                ("subscription", "OnMessage"),
                ("query", ""),
                ("query", ""),
                ("query", "Zeta"),
            ]
        );
        let round_trip = TrustedDocuments::from_manifest(&trusted.to_document_map());
        assert_eq!(
            round_trip.map(|t| t.operations().to_vec()).ok(),
            Some(trusted.operations().to_vec())
        );
    }

    #[test]
    fn a_map_whose_keys_are_not_sha256_is_refused() {
        // Relay's default ids are MD5: refused, it must be told to use SHA256.
        let text = json!({ "8b8c0f1ad41bc4dc4c8c0f7b07c0d5d1": "query Me { me { id } }" });
        assert!(matches!(
            TrustedDocuments::from_manifest(&text.to_string()),
            Err(ManifestError::IdMismatch { .. })
        ));
        let not_a_manifest = json!({ "operations": 3 });
        assert!(matches!(
            TrustedDocuments::from_manifest(&not_a_manifest.to_string()),
            Err(ManifestError::UnknownFormat)
        ));
        let no_operation = "fragment F on Query { me { id } }";
        let text = json!({ sha256_hex(no_operation): no_operation });
        assert!(matches!(
            TrustedDocuments::from_manifest(&text.to_string()),
            Err(ManifestError::NoOperation { .. })
        ));
    }

    #[test]
    fn every_embedded_manifest_holds_the_same_operations() {
        let apollo = TrustedDocuments::from_manifest(APOLLO_MANIFEST).expect("apollo.json");
        for (file, text) in EMBEDDED_MANIFESTS {
            let manifest = TrustedDocuments::from_manifest(text).expect(file);
            let ids: Vec<&str> = manifest
                .operations()
                .iter()
                .map(|o| o.id.as_str())
                .collect();
            let expected: Vec<&str> = apollo.operations().iter().map(|o| o.id.as_str()).collect();
            assert_eq!(
                ids, expected,
                "{file} lists apollo.json's operations in its order"
            );
            for (op, theirs) in manifest.operations().iter().zip(apollo.operations()) {
                assert_eq!((&op.name, &op.kind), (&theirs.name, &theirs.kind), "{file}");
            }
        }
    }

    #[test]
    fn codegen_json_is_apollo_json_as_a_document_map() {
        // Regenerate with `UPDATE_MANIFESTS=1 cargo test -p textisur-persisted-queries`.
        let apollo = TrustedDocuments::from_manifest(APOLLO_MANIFEST).expect("apollo.json");
        let expected = apollo.to_document_map();
        if std::env::var_os("UPDATE_MANIFESTS").is_some() {
            let path = concat!(env!("CARGO_MANIFEST_DIR"), "/manifests/codegen.json");
            std::fs::write(path, &expected).expect("write codegen.json");
            return;
        }
        assert!(
            CODEGEN_MANIFEST == expected,
            "manifests/codegen.json is stale: run UPDATE_MANIFESTS=1 cargo test -p textisur-persisted-queries"
        );
    }
}
