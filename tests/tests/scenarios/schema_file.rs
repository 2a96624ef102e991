//! `schema.graphql` at the repository root must be exactly what the code generates.
//!
//! After a schema change run `cargo run -p textisur-api --bin textisur -- export-schema
//! --output schema.graphql` (or this test with `UPDATE_SCHEMA=1`) and commit the file.

#[test]
fn committed_sdl_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let generated = textisur_api::graphql::schema::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test -p textisur-tests --test scenarios schema_file` and commit it"
    );
}

/// `field(argument: Type = default, ...): Type` of `Type.field`, descriptions left out.
fn signature(sdl: &str, type_name: &str, field_name: &str) -> Option<String> {
    use async_graphql::parser::types::{TypeKind, TypeSystemDefinition};
    let document = async_graphql::parser::parse_schema(sdl).expect("the schema parses");
    document.definitions.into_iter().find_map(|definition| {
        let TypeSystemDefinition::Type(ty) = definition else {
            return None;
        };
        if ty.node.name.node != type_name {
            return None;
        }
        let TypeKind::Object(object) = ty.node.kind else {
            return None;
        };
        let field = object
            .fields
            .into_iter()
            .find(|f| f.node.name.node == field_name)?
            .node;
        let arguments: Vec<String> = field
            .arguments
            .iter()
            .map(|a| {
                let a = &a.node;
                match &a.default_value {
                    Some(default) => format!("{}: {} = {}", a.name.node, a.ty.node, default.node),
                    None => format!("{}: {}", a.name.node, a.ty.node),
                }
            })
            .collect();
        let arguments = if arguments.is_empty() {
            String::new()
        } else {
            format!("({})", arguments.join(", "))
        };
        Some(format!("{}{arguments}: {}", field.name.node, field.ty.node))
    })
}

#[test]
fn contract_names_are_present() {
    let sdl = textisur_api::graphql::schema::sdl();
    for needle in [
        "interface Node",
        "type PageInfo",
        "scalar Decimal",
        "scalar DateTime",
        "enum ProductUnit",
        "enum Market",
        "type Address",
        "type ShippingOption",
        "input CheckoutDeliveryInput",
    ] {
        assert!(sdl.contains(needle), "schema lacks `{needle}`");
    }
    for (type_name, field, expected) in [
        ("Query", "node", "node(id: ID!): Node"),
        ("Query", "nodes", "nodes(ids: [ID!]!): [Node]!"),
        (
            "Query",
            "products",
            "products(query: String, filter: ProductFilter, sort: ProductSort! = RELEVANCE, first: Int = 20, after: String, consistencyToken: String, market: Market): ProductSearchConnection!",
        ),
        ("Query", "categories", "categories: [Category!]!"),
        (
            "Query",
            "suggest",
            "suggest(prefix: String!, first: Int! = 8, market: Market): [Suggestion!]!",
        ),
        (
            "Mutation",
            "checkout",
            "checkout(idempotencyKey: String!, delivery: [CheckoutDeliveryInput!]): CheckoutPayload!",
        ),
        (
            "Mutation",
            "setDefaultAddress",
            "setDefaultAddress(id: ID!): AddressPayload!",
        ),
        (
            "Mutation",
            "deleteAddress",
            "deleteAddress(id: ID!): DeleteAddressPayload!",
        ),
    ] {
        assert_eq!(
            signature(&sdl, type_name, field).as_deref(),
            Some(expected),
            "{type_name}.{field}"
        );
    }
}
