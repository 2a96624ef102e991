//! Trusted documents: the operations our own clients send, read from a manifest in Apollo's
//! persisted-query manifest format (`apollo-persisted-query-manifest`, version 1).
//!
//! Key rule: an operation's `id` is the SHA-256 of its `body`, checked when the manifest is
//! loaded, so an id can never name text other than its own.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::sha256_hex;

/// The web app's operations (`persisted-queries/manifests/apollo.json`), embedded at build
/// time.
pub const APOLLO_MANIFEST: &str = include_str!("../manifests/apollo.json");

const FORMAT: &str = "apollo-persisted-query-manifest";

/// One operation of a manifest.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
pub struct TrustedOperation {
    /// The SHA-256 of `body`, in lowercase hex.
    pub id: String,
    /// The operation's name.
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
    #[error("operation {name}: id is not the sha256 of its body")]
    IdMismatch { name: String },
    #[error("operation {name}: id {id} appears twice")]
    Duplicate { name: String, id: String },
}

/// The trusted documents of a manifest, by id.
#[derive(Clone, Debug, Default)]
pub struct TrustedDocuments {
    operations: Vec<TrustedOperation>,
    by_id: HashMap<String, usize>,
}

impl TrustedDocuments {
    /// Parses and checks a manifest in Apollo's format.
    pub fn from_apollo_manifest(text: &str) -> Result<Self, ManifestError> {
        let manifest: Manifest = serde_json::from_str(text)?;
        if manifest.format != FORMAT || manifest.version != 1 {
            return Err(ManifestError::Format {
                format: manifest.format,
                version: manifest.version,
            });
        }
        let mut by_id = HashMap::with_capacity(manifest.operations.len());
        for (index, operation) in manifest.operations.iter().enumerate() {
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
        Ok(Self {
            operations: manifest.operations,
            by_id,
        })
    }

    /// The embedded [`APOLLO_MANIFEST`].
    pub fn embedded() -> Result<Self, ManifestError> {
        Self::from_apollo_manifest(APOLLO_MANIFEST)
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

#[cfg(test)]
mod tests {
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
}
