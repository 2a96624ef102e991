//! The limits and the cost rules on documents, without a server.

use serde_json::json;

use super::*;

fn shape() -> &'static SchemaShape {
    static SHAPE: std::sync::OnceLock<SchemaShape> = std::sync::OnceLock::new();
    SHAPE.get_or_init(|| SchemaShape::from_sdl(&crate::graphql::schema::sdl()))
}

fn run(query: &str) -> Result<Option<Analysis>, Rejection> {
    check(query, None, &Map::new(), &QueryLimits::default(), shape())
}

fn cost(query: &str) -> Option<u64> {
    run(query).ok().flatten().map(|a| a.cost)
}

/// The cost of `query` with `variables`, when it was read from them.
fn cost_from_variables(query: &str, variables: serde_json::Value) -> Option<u64> {
    let variables = variables.as_object().cloned().unwrap_or_default();
    match check(query, None, &variables, &QueryLimits::default(), shape()) {
        Ok(Some(Analysis {
            cost,
            cost_reads_variables: true,
            ..
        })) => Some(cost),
        _ => None,
    }
}

fn limit(result: Result<Option<Analysis>, Rejection>) -> &'static str {
    match result {
        Err(Rejection::TooComplex { limit, .. }) => limit,
        other => panic!("not refused: {other:?}"),
    }
}

/// An introspection query shaped like graphql-js's, `TypeRef` nesting `ofType` `levels` times.
fn introspection(levels: usize) -> String {
    let mut type_ref = "kind name".to_owned();
    for _ in 0..levels {
        type_ref = format!("kind name ofType {{ {type_ref} }}");
    }
    format!(
        "query IntrospectionQuery {{ __schema {{ types {{ ...FullType }} }} }}
        fragment FullType on __Type {{ fields {{ args {{ ...InputValue }} type {{ ...TypeRef }} }} }}
        fragment InputValue on __InputValue {{ type {{ ...TypeRef }} }}
        fragment TypeRef on __Type {{ {type_ref} }}"
    )
}

#[test]
fn the_standard_introspection_query_may_go_deeper_than_other_queries() {
    let standard = run(&introspection(9));
    assert!(
        matches!(standard, Ok(Some(_))),
        "{standard:?}: {}",
        introspection(9)
    );
    assert_eq!(limit(run(&introspection(10))), "depth");
    // Mixing in an ordinary field loses the allowance.
    let mixed = introspection(9).replace("__schema {", "categories { name } __schema {");
    assert_eq!(limit(run(&mixed)), "depth");
}

#[test]
fn a_single_named_operation_is_checked_without_an_operation_name() {
    let costly = "query Costly { products(first: 100) { nodes {
        reviews(first: 100) { nodes { author { name } } } } } }";
    assert_eq!(limit(run(costly)), "cost");
}

#[test]
fn costs_follow_api_md() {
    let nested = "{ products(first: 100) { nodes { store { name } category { name }
        reviews(first: 3) { nodes { rating author { name } } } } } }";
    assert_eq!(cost(nested), Some(1102));
    // A list costs its most elements: 200 categories.
    assert_eq!(cost("{ categories { name } }"), Some(2 + 200));
    // `totalCount` counts the whole match set: 10 points of work.
    assert_eq!(cost("{ products { totalCount } }"), Some(2 + 10));
    assert_eq!(
        cost_from_variables(
            "query($n: Int) { products(first: $n) { nodes { name } } }",
            json!({ "n": 5 })
        ),
        Some(7)
    );
    let by_default = "query($n: Int = 7) { products(first: $n) { nodes { name } } }";
    assert_eq!(cost(by_default), Some(9));
    assert_eq!(
        cost("mutation { logout(refreshToken: \"x\") { ok } }"),
        Some(11)
    );
}

#[test]
fn every_connection_of_the_schema_is_paged_whatever_its_name() {
    let s = shape();
    for (parent, field) in [
        ("Query", "products"),
        ("Query", "stores"),
        ("Query", "users"),
        ("Query", "suggest"),
        ("Product", "reviews"),
        ("Store", "products"),
        ("Store", "orders"),
        ("User", "orders"),
        ("User", "conversations"),
        ("Conversation", "messages"),
    ] {
        assert!(s.is_paged(parent, field), "{parent}.{field}");
    }
    assert!(!s.is_paged("Query", "categories"));
    assert!(!s.is_paged("Order", "lines"));
    // `first` and `last` default to 20 when the schema gives no default.
    let inbox =
        "{ me { conversations { nodes { messages(last: 5) { nodes { body sender { name } } } } }
        orders { nodes { store { name } } } store { orders(first: 3) { nodes { number } } } } }";
    // me 1 + conversations 2 + 20 × (nodes 1 + messages (2 + 5 × (1 + sender 1)))
    // + orders 2 + 20 × (1 + 1) + store (1 + 2 + 3 × 1)
    assert_eq!(
        cost(inbox),
        Some(1 + (2 + 20 * (1 + 2 + 5 * 2)) + (2 + 20 * 2) + 6)
    );
    // A field of the same name on a type where it is a plain list costs by its size:
    // an order has at most 100 lines (a cart's).
    let lines = "{ order(id: \"x\") { lines { product { name } } } }";
    assert_eq!(cost(lines), Some(1 + 2 + 100 * (1 + 1)));
    // Inside fragments the type condition says which `orders` is meant.
    let fragment =
        "query { node(id: \"x\") { ...S } } fragment S on Store { orders { nodes { number } } }";
    assert_eq!(cost(fragment), Some(1 + 2 + 20));
    assert_eq!(
        cost("{ suggest(prefix: \"li\") { product { name } } }"),
        Some(2 + 8 * (1 + 1))
    );
}

#[test]
fn nodes_cost_by_their_ids_like_a_connection_page() {
    let ids: Vec<String> = (0..41).map(|i| format!("\"id{i}\"")).collect();
    let selection = "... on Store { name products(first: 20) { nodes { name } } }";
    let by_ids = format!("{{ nodes(ids: [{}]) {{ {selection} }} }}", ids.join(", "));
    let page = format!("{{ stores(first: 41) {{ nodes {{ {selection} }} }} }}");
    assert_eq!(run(&by_ids).ok().flatten().map(|a| a.cost), cost(&page));
    assert_eq!(cost(&page), Some(2 + 41 * (1 + 2 + 20)));
    // From a variable: its length, so the cost is walked again per request.
    assert_eq!(
        cost_from_variables(
            "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
            json!({ "ids": ["a", "b", "c"] })
        ),
        Some(5)
    );
    // Past 100 ids the field refuses without working: priced at 100.
    let many: Vec<String> = (0..150).map(|i| format!("\"{i}\"")).collect();
    let many = format!("{{ nodes(ids: [{}]) {{ id }} }}", many.join(","));
    assert_eq!(cost(&many), Some(2 + 100));
}

#[test]
fn search_work_is_paid_even_for_an_empty_page() {
    let empty_page = "{ products(first: 0, query: \"algodn\") { totalCount correctedQuery
        facets { categories { value } stores { value } materials { value } colors { value }
        sizes { value } priceRanges { count } } } }";
    let facets = 1 + 50 + 5 * (2 + 30) + (2 + 6);
    assert_eq!(cost(empty_page), Some(2 + 10 + 25 + facets));
    // What a connection does once is not multiplied by its page.
    let page = "{ products(first: 100) { totalCount pageInfo { hasNextPage } } }";
    assert_eq!(cost(page), Some(2 + 10 + 1));
    // And the actual cost keeps the work, whatever came back.
    let analysis = run(empty_page).ok().flatten().expect("accepted");
    let data = async_graphql::Value::from_json(json!({ "products": {
        "totalCount": 0, "correctedQuery": null, "facets": { "categories": [], "stores": [],
        "materials": [], "colors": [], "sizes": [], "priceRanges": [] } } }))
    .expect("data");
    let actual = actual_cost(&analysis.document, None, shape(), &data);
    assert_eq!(actual, Some(2 + 10 + 25 + 1 + 50 + 6 * 2));
}

#[test]
fn every_trusted_operation_fits_the_limits() {
    let trusted =
        textisur_persisted_queries::TrustedDocuments::embedded().expect("embedded manifests");
    let mut refused = Vec::new();
    for operation in trusted.operations() {
        match run(&operation.body) {
            Ok(Some(analysis)) => println!("{}: {}", operation.name, analysis.cost),
            other => refused.push(format!("{}: {other:?}", operation.name)),
        }
    }
    assert!(refused.is_empty(), "{refused:#?}");
}

#[test]
fn mutations_in_fragments_count_like_mutations_at_the_root() {
    let seven: String = (0..7)
        .map(|i| format!("m{i}: logout(refreshToken: \"x\") {{ ok }} "))
        .collect();
    let inline = format!("mutation {{ ... on Mutation {{ {seven} }} }}");
    assert_eq!(limit(run(&inline)), "mutations");
    let named = format!("mutation {{ ...M }} fragment M on Mutation {{ {seven} }}");
    assert_eq!(limit(run(&named)), "mutations");
    let two = "mutation { ...A ... on Mutation { b: logout(refreshToken: \"x\") { ok } } }
        fragment A on Mutation { a: logout(refreshToken: \"x\") { ok } }";
    assert_eq!(cost(two), Some(2 * (10 + 1)));
}

#[test]
fn the_actual_cost_counts_the_nodes_returned() {
    let query = "{ products(first: 50) { nodes { name reviews(first: 10) { nodes { rating author { name } } } } } }";
    let analysis = run(query).ok().flatten().expect("accepted");
    assert_eq!(analysis.cost, 2 + 50 * (1 + 2 + 10 * 2));
    let data = async_graphql::Value::from_json(json!({ "products": { "nodes": [
        { "name": "a", "reviews": { "nodes": [] } },
        { "name": "b", "reviews": { "nodes": [
            { "rating": 5, "author": { "name": "x" } },
            { "rating": 4, "author": { "name": "y" } } ] } },
    ] } }))
    .expect("data");
    let actual = actual_cost(&analysis.document, None, shape(), &data);
    assert_eq!(actual, Some(2 + 2 * (1 + 2 + 2 * 2)));
    let nothing = async_graphql::Value::from_json(json!({ "products": null })).expect("data");
    let actual = actual_cost(&analysis.document, None, shape(), &nothing);
    assert_eq!(actual, Some(2));
}

#[test]
fn hostile_documents_are_refused_by_the_right_limit() {
    let aliases: String = (0..10_000).map(|i| format!("a{i}: __typename ")).collect();
    assert_eq!(limit(run(&format!("{{ {aliases} }}"))), "characters");
    let few_aliases: String = (0..40).map(|i| format!("a{i}: __typename ")).collect();
    assert_eq!(limit(run(&format!("{{ {few_aliases} }}"))), "aliases");
    let deep = format!("{}{}", "{ a ".repeat(5_000), "}".repeat(5_000));
    assert_eq!(limit(run(&deep)), "characters");
    let deep = format!("{}{}", "{a".repeat(20), "}".repeat(20));
    assert_eq!(limit(run(&deep)), "depth");
    let tokens = format!("{{ {} }}", "a ".repeat(6_000));
    assert_eq!(limit(run(&tokens)), "tokens");
    let expensive = "{ products(first: 100) { nodes { reviews(first: 100) { nodes { product { store { products(first: 100) { nodes { name } } } } } } } } }";
    assert_eq!(limit(run(expensive)), "cost");
    let directives: String = (0..40).map(|_| "@include(if: true) ").collect();
    assert_eq!(
        limit(run(&format!("{{ __typename {directives} }}"))),
        "directives"
    );
    let mutations: String = (0..6)
        .map(|i| format!("m{i}: logout(refreshToken: \"x\") {{ ok }} "))
        .collect();
    assert_eq!(
        limit(run(&format!("mutation {{ {mutations} }}"))),
        "mutations"
    );
}

#[test]
fn fragment_cycles_and_bombs_end_quickly() {
    let cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
    assert!(matches!(run(cycle), Err(Rejection::Invalid(_))));
    // Each fragment doubles the previous one: 2^20 fields if expanded naively.
    let mut bomb = String::from("query { ...F0 } fragment F20 on Query { __typename } ");
    for i in 0..20 {
        bomb.push_str(&format!(
            "fragment F{i} on Query {{ ...F{n} ...F{n} }} ",
            n = i + 1
        ));
    }
    assert!(run(&bomb).is_ok());
}

#[tokio::test]
async fn limit_messages_read_in_the_requests_language_with_exact_counts() {
    use crate::graphql::i18n::{Locale, scope};
    let rejection = Rejection::TooComplex {
        limit: "cost",
        max: 2_000,
        actual: u64::MAX,
    };
    let english = scope(Locale::English, async { rejection.message() }).await;
    assert_eq!(
        english,
        format!("query exceeds the cost limit ({} > 2000)", u64::MAX)
    );
    // Outside a request, Spanish.
    assert_eq!(
        rejection.message(),
        format!(
            "la consulta supera el límite de costo ({} > 2000)",
            u64::MAX
        )
    );
    let cycle = "query { ...A } fragment A on Query { ...A }";
    let english = scope(Locale::English, async { run(cycle) }).await;
    assert_eq!(
        english.map(|_| ()).map_err(|r| r.message()),
        Err("fragment A spreads itself (a cycle)".to_owned())
    );
}
