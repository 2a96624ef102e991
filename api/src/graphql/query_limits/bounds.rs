//! What the cost rules need beyond the schema: the most elements each list without `first`
//! holds (and where that bound is kept), and the points of work some fields do beyond the
//! objects they return. A test keeps the table complete: every list of objects in the
//! schema is named here or paged.

use crate::catalogue::categories::MAX_CATEGORIES;
use crate::catalogue::media::MAX_IMAGES;
use crate::catalogue::products::mutations::UPSERT_MAX;
use crate::commerce::orders::OrderStatus;
use crate::graphql::user_errors::MAX_USER_ERRORS;

/// A list this table does not name costs as if it held this many elements.
pub(super) const DEFAULT_LIST_CAP: u64 = 100;

/// Lines of a cart (`carts::MAX_LINES`, checked by `addToCart`); an order's lines, a cart's
/// warnings and subtotals (one per currency), and a checkout's orders (one per store) come
/// from them.
const CART_LINES: u64 = crate::commerce::carts::MAX_LINES.unsigned_abs();

/// Values of one facet (`MAX_VALUES` of the index's and PostgreSQL's facet counts).
const FACET_VALUES: u64 = 30;

/// Price ranges of the price facet (`MAX_PRICE_BUCKETS` of both facet counts).
const PRICE_RANGES: u64 = 6;

/// `(type, field, most elements)`; type `*` is any type.
pub(super) const LIST_CAPS: &[(&str, &str, u64)] = &[
    // Enforced by `createCategory`, and the listing reads no more.
    ("Query", "categories", MAX_CATEGORIES as u64),
    ("Category", "children", MAX_CATEGORIES as u64),
    ("Cart", "lines", CART_LINES),
    ("Cart", "subtotals", CART_LINES),
    ("Cart", "warnings", CART_LINES),
    ("CheckoutPayload", "orders", CART_LINES),
    ("Order", "lines", CART_LINES),
    // Moves only go forward: each status at most once.
    ("Order", "history", OrderStatus::ALL.len() as u64),
    ("Product", "images", MAX_IMAGES as u64),
    ("ProductVariant", "images", MAX_IMAGES as u64),
    // `Product.variants` lists at most this many; options are checked by the product
    // mutations, and a variant or an order line has one value per option.
    (
        "Product",
        "variants",
        crate::catalogue::variants::VARIANTS_LISTED as u64,
    ),
    (
        "Product",
        "options",
        crate::catalogue::variants::OPTIONS_MAX as u64,
    ),
    (
        "ProductVariant",
        "options",
        crate::catalogue::variants::OPTIONS_MAX as u64,
    ),
    (
        "OrderLine",
        "options",
        crate::catalogue::variants::OPTIONS_MAX as u64,
    ),
    // The name and the description.
    ("ProductSearchEdge", "highlights", 2),
    ("ProductFacets", "categories", FACET_VALUES),
    ("ProductFacets", "stores", FACET_VALUES),
    ("ProductFacets", "materials", FACET_VALUES),
    ("ProductFacets", "colors", FACET_VALUES),
    ("ProductFacets", "sizes", FACET_VALUES),
    ("ProductFacets", "priceRanges", PRICE_RANGES),
    ("UpsertProductsPayload", "products", UPSERT_MAX as u64),
    // `accounts::db::sessions` reads at most 100.
    ("User", "sessions", 100),
    // Enforced by `addSearchVocabulary`, and the listing reads no more.
    (
        "Query",
        "searchVocabulary",
        crate::search::live_vocabulary::MAX_ENTRIES as u64,
    ),
    // Enforced by `addAddress` and `createShippingOption`.
    (
        "User",
        "addresses",
        crate::commerce::addresses::MAX_ADDRESSES as u64,
    ),
    (
        "AddressPayload",
        "addresses",
        crate::commerce::addresses::MAX_ADDRESSES as u64,
    ),
    (
        "DeleteAddressPayload",
        "addresses",
        crate::commerce::addresses::MAX_ADDRESSES as u64,
    ),
    (
        "Store",
        "shippingOptions",
        crate::commerce::shipping::MAX_OPTIONS as u64,
    ),
    // One per market's currency.
    (
        "Query",
        "exchangeRates",
        crate::commerce::markets::graphql::MAX_RATES as u64,
    ),
    ("*", "userErrors", MAX_USER_ERRORS as u64),
];

/// Lists as long as one of their arguments: `(type, field, argument, most elements)`.
pub(super) const LISTS_BY_ARGUMENT: &[(&str, &str, &str, u64)] = &[(
    "Query",
    "nodes",
    "ids",
    crate::graphql::node::MAX_NODES as u64,
)];

/// Points a field costs for its work, whatever it returns: `(type, field, points)`; type
/// `*` is any type (a more precise entry wins).
pub(super) const WORK: &[(&str, &str, u64)] = &[
    // Counting the whole match set instead of stopping at the page.
    ("ProductSearchConnection", "totalCount", 10),
    // Six counts over the whole match set.
    ("ProductSearchConnection", "facets", 50),
    // Looking up close spellings of each word, then searching again.
    ("ProductSearchConnection", "correctedQuery", 25),
    // A COUNT in PostgreSQL (reviews, orders, conversations, messages).
    ("*", "totalCount", 5),
];

/// The entry of `table` for `ty.field`, the type's own before `*`'s.
pub(super) fn lookup<T: Copy>(table: &[(&str, &str, T)], ty: &str, field: &str) -> Option<T> {
    let of = |want: &str| {
        table
            .iter()
            .find(|(t, f, _)| *t == want && *f == field)
            .map(|(_, _, v)| *v)
    };
    of(ty).or_else(|| of("*"))
}

#[cfg(test)]
mod tests {
    use async_graphql::parser::types::{BaseType, TypeKind, TypeSystemDefinition};

    use super::*;

    #[test]
    fn every_list_of_objects_in_the_schema_has_a_known_size() {
        let sdl = crate::graphql::schema::sdl();
        let document = async_graphql::parser::parse_schema(&sdl).expect("sdl");
        let mut composite = std::collections::HashSet::new();
        for definition in &document.definitions {
            if let TypeSystemDefinition::Type(ty) = definition
                && matches!(
                    ty.node.kind,
                    TypeKind::Object(_) | TypeKind::Interface(_) | TypeKind::Union(_)
                )
            {
                composite.insert(ty.node.name.node.to_string());
            }
        }
        let mut missing = Vec::new();
        for definition in &document.definitions {
            let TypeSystemDefinition::Type(ty) = definition else {
                continue;
            };
            let (TypeKind::Object(object), name) = (&ty.node.kind, ty.node.name.node.as_str())
            else {
                continue;
            };
            if name.ends_with("Connection") {
                continue; // Its lists are its page.
            }
            for field in &object.fields {
                let field = &field.node;
                let BaseType::List(inner) = &field.ty.node.base else {
                    continue;
                };
                let mut base = &inner.base;
                while let BaseType::List(inner) = base {
                    base = &inner.base;
                }
                let BaseType::Named(element) = base else {
                    continue;
                };
                let paged = field
                    .arguments
                    .iter()
                    .any(|a| matches!(a.node.name.node.as_str(), "first" | "last"));
                let field_name = field.name.node.as_str();
                let sized = lookup(LIST_CAPS, name, field_name).is_some()
                    || LISTS_BY_ARGUMENT
                        .iter()
                        .any(|(t, f, _, _)| *t == name && *f == field_name);
                if composite.contains(element.as_str()) && !paged && !sized {
                    missing.push(format!("{name}.{field_name}"));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "lists without a known size: {missing:?}"
        );
    }
}
