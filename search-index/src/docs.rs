//! The documents the index holds, as plain data the indexer builds from PostgreSQL rows.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A product as search sees it. Only active products are indexed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProductDoc {
    pub id: u64,
    pub store_id: u64,
    /// The store's country code (ISO 3166-1 alpha-2, upper case).
    #[serde(default)]
    pub country: String,
    /// The product's category first, then its ancestors up to the root.
    pub category_ids: Vec<u64>,
    /// Names of `category_ids`, in the same order.
    pub category_names: Vec<String>,
    pub name: String,
    /// Plain text (tags stripped by the caller).
    pub description: String,
    /// Labels as the seller wrote them; filters and facets use their lower-cased form.
    pub materials: Vec<String>,
    pub colors: Vec<String>,
    pub sizes: Vec<String>,
    /// Price in hundredths of the store's currency unit.
    pub price_cents: i64,
    /// Whether any variant on sale has the product's minimum in stock.
    pub in_stock: bool,
    /// The option values of each variant on sale with the minimum in stock (a product
    /// without options has none: its colours and sizes stand for it). Left out of the
    /// JSON when empty, so such a product's fingerprint did not change with variants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<Vec<String>>,
    /// 0 while there is no review.
    pub rating: f64,
    pub review_count: u64,
    pub sales_count: u64,
    /// Creation time in microseconds since the Unix epoch.
    pub created_at_micros: i64,
}

/// A store as search sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoreDoc {
    pub id: u64,
    /// The store's country code (ISO 3166-1 alpha-2, upper case).
    #[serde(default)]
    pub country: String,
    pub name: String,
    pub description: String,
    pub city: String,
    pub region: Option<String>,
    pub location: Option<(f64, f64)>,
    /// 0 while there is no rating.
    pub rating: f64,
}

/// A stable digest of a document's content: what `verify` compares between PostgreSQL and
/// the index (SHA-256 of its JSON, so it does not change with the Rust version).
pub(crate) fn fingerprint<T: Serialize>(doc: &T) -> u64 {
    let json = serde_json::to_vec(doc).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&digest[..8]);
    // Fast fields are u64; keep the top bit clear so the value also fits an i64 column.
    u64::from_le_bytes(bytes) >> 1
}

impl ProductDoc {
    /// Digest of the document, stored beside it for `verify`.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(self)
    }
}

impl StoreDoc {
    /// Digest of the document, stored beside it for `verify`.
    pub fn fingerprint(&self) -> u64 {
        fingerprint(self)
    }
}
