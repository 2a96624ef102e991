//! `schema.graphql` at the repository root must be exactly what the code generates.
//!
//! After a schema change run `cargo run -p textisur-api --bin textisur -- export-schema
//! --output schema.graphql` (or this test with `UPDATE_SCHEMA=1`) and commit the file.

#[test]
fn committed_sdl_matches_the_code() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../schema.graphql");
    let generated = textisur_api::schema::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test -p textisur-tests --test schema_file` and commit it"
    );
}

#[test]
fn contract_names_are_present() {
    let sdl = textisur_api::schema::sdl();
    for needle in [
        "interface Node",
        "node(id: ID!): Node",
        "nodes(ids: [ID!]!): [Node]!",
        "products(query: String, filter: ProductFilter, sort: ProductSort! = RELEVANCE, first: Int = 20, after: String): ProductSearchConnection!",
        "type PageInfo",
        "scalar Decimal",
        "scalar DateTime",
        "enum ProductUnit",
        "categories: [Category!]!",
    ] {
        assert!(sdl.contains(needle), "schema lacks `{needle}`");
    }
}
