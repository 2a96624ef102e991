//! The tantivy schema: one index holds product and store documents, told apart by `kind`.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{FOLDED, STEMMED};

/// `kind` of product documents.
pub const PRODUCT: &str = "product";
/// `kind` of store documents.
pub const STORE: &str = "store";

/// Handles to every field of the schema.
#[derive(Clone, Debug)]
pub struct Fields {
    pub schema: Schema,
    /// `product` or `store`.
    pub kind: Field,
    /// `product:ID` / `store:ID`: the term a document is replaced or deleted by.
    pub key: Field,
    pub id: Field,
    pub fingerprint: Field,
    // Text, stemmed (ranking) and folded (typos, prefixes).
    pub name: Field,
    pub name_fold: Field,
    /// Products: the head of the name, the word that says what the product is ("Remera"
    /// in "Remera básica de algodón"), so a query's type word outranks its colour.
    pub head: Field,
    pub head_fold: Field,
    pub category: Field,
    pub category_fold: Field,
    /// Materials, colours and sizes as words.
    pub attrs: Field,
    pub attrs_fold: Field,
    pub description: Field,
    /// Stores: city and region.
    pub place: Field,
    pub place_fold: Field,
    // Filters, facets and sort keys.
    pub store_id: Field,
    /// Products: the store's country (ISO 3166-1 alpha-2), where a regional word means what
    /// it means (a "polera" is a t-shirt in CL, a sweatshirt in PE).
    pub country: Field,
    /// Products and stores: the market code of the store's country ([`crate::market`]).
    pub market: Field,
    pub category_ids: Field,
    pub materials: Field,
    pub colors: Field,
    pub sizes: Field,
    /// Products: what is in stock, as terms `v:<stem>` (a value of a variant in stock) and
    /// `p:<stem>|<stem>` (two values of one variant in stock), so a query that names a
    /// size and a colour ranks the products that have that very variant first
    /// ([`crate::variants`]).
    pub stocked: Field,
    pub price: Field,
    pub in_stock: Field,
    pub rating: Field,
    pub review_count: Field,
    pub sales_count: Field,
    /// The relevance multiplier of popularity and rating ([`crate::collect::rank`]), kept
    /// so a search reads one column per match instead of computing a logarithm.
    pub rank: Field,
    pub created_at: Field,
    pub lat: Field,
    pub lon: Field,
}

fn text(analyzer: &str, stored: bool) -> TextOptions {
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

impl Fields {
    /// The schema of [`crate::SCHEMA_VERSION`].
    pub fn new() -> Self {
        let mut b = Schema::builder();
        let keyword = || STRING.set_fast("raw");
        let kind = b.add_text_field("kind", STRING);
        let key = b.add_text_field("key", STRING);
        let id = b.add_u64_field("id", INDEXED | FAST | STORED);
        let fingerprint = b.add_u64_field("fingerprint", FAST);
        let name = b.add_text_field("name", text(STEMMED, true));
        let name_fold = b.add_text_field("name_fold", text(FOLDED, false));
        let head = b.add_text_field("head", text(STEMMED, false));
        let head_fold = b.add_text_field("head_fold", text(FOLDED, false));
        let category = b.add_text_field("category", text(STEMMED, false));
        let category_fold = b.add_text_field("category_fold", text(FOLDED, false));
        let attrs = b.add_text_field("attrs", text(STEMMED, false));
        let attrs_fold = b.add_text_field("attrs_fold", text(FOLDED, false));
        let description = b.add_text_field("description", text(STEMMED, true));
        let place = b.add_text_field("place", text(STEMMED, true));
        let place_fold = b.add_text_field("place_fold", text(FOLDED, false));
        let store_id = b.add_u64_field("store_id", INDEXED | FAST);
        let country = b.add_text_field("country", STRING);
        let market = b.add_u64_field("market", INDEXED | FAST);
        let category_ids = b.add_u64_field("category_ids", INDEXED | FAST);
        let materials = b.add_text_field("materials", keyword());
        let colors = b.add_text_field("colors", keyword());
        let sizes = b.add_text_field("sizes", keyword());
        let stocked = b.add_text_field("stocked", STRING);
        let price = b.add_i64_field("price", INDEXED | FAST);
        let in_stock = b.add_u64_field("in_stock", INDEXED | FAST);
        let rating = b.add_f64_field("rating", INDEXED | FAST);
        let review_count = b.add_u64_field("review_count", FAST);
        let sales_count = b.add_u64_field("sales_count", FAST);
        let rank = b.add_f64_field("rank", FAST);
        let created_at = b.add_i64_field("created_at", FAST);
        let lat = b.add_f64_field("lat", FAST);
        let lon = b.add_f64_field("lon", FAST);
        Self {
            schema: b.build(),
            kind,
            key,
            id,
            fingerprint,
            name,
            name_fold,
            head,
            head_fold,
            category,
            category_fold,
            attrs,
            attrs_fold,
            description,
            place,
            place_fold,
            store_id,
            country,
            market,
            category_ids,
            materials,
            colors,
            sizes,
            stocked,
            price,
            in_stock,
            rating,
            review_count,
            sales_count,
            rank,
            created_at,
            lat,
            lon,
        }
    }
}

impl Default for Fields {
    fn default() -> Self {
        Self::new()
    }
}

/// The lower-cased key a facet value is filtered and counted by.
pub fn facet_key(label: &str) -> String {
    label.trim().to_lowercase()
}

/// Words a name may start with that say nothing of what the product is: the head is the
/// word after them.
const CONTAINERS: [&str; 6] = ["set", "juego", "pack", "kit", "combo", "lote"];

/// Words kept with the one after them: a fabric's head is "tela" and the fabric's name.
pub const KEEP_NEXT: [&str; 2] = ["tela", "tejido"];

/// The head of a product name: its first word of three letters or more, after a leading
/// one-word brand ("Puna - osito de algodón") and container words ("Juego de sábanas"),
/// with the next word too after "tela" ("Tela lienzo").
pub fn head_of(name: &str) -> String {
    let mut segments = vec![name];
    for separator in [" - ", " | ", " – "] {
        segments = segments.iter().flat_map(|s| s.split(separator)).collect();
    }
    let segment = match segments.as_slice() {
        [brand, rest, ..] if brand.split_whitespace().count() == 1 => rest,
        [first, ..] => first,
        [] => name,
    };
    let words: Vec<&str> = segment
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 3)
        .filter(|w| {
            !matches!(
                w.to_lowercase().as_str(),
                "con" | "para" | "los" | "las" | "del"
            )
        })
        .collect();
    let mut head = Vec::new();
    for word in words {
        let lower = word.to_lowercase();
        if CONTAINERS.contains(&lower.as_str()) && head.is_empty() {
            continue;
        }
        head.push(word);
        if !KEEP_NEXT.contains(&lower.as_str()) {
            break;
        }
    }
    head.join(" ")
}

#[cfg(test)]
mod tests {
    use super::head_of;

    #[test]
    fn the_head_is_what_the_product_is() {
        assert_eq!(head_of("Remera básica de algodón"), "Remera");
        assert_eq!(head_of("Puna - osito de algodón blanco"), "osito");
        assert_eq!(head_of("Remera básica - Algodón"), "Remera");
        assert_eq!(head_of("Juego de sábanas 2 plazas"), "sábanas");
        assert_eq!(head_of("Tela lienzo 2,80 de ancho"), "Tela lienzo");
        assert_eq!(head_of("Canguro de frisa | Oversize"), "Canguro");
        assert_eq!(head_of("REMERA MANGA LARGA"), "REMERA");
    }
}
