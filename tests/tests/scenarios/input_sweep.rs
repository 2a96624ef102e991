//! Every `Decimal` and every `String` the schema takes from clients, found by introspecting
//! the running server, gets hostile values: `Decimal::MAX`, `-Decimal::MAX`, 28 decimals
//! and `1e28` (as strings and as JSON numbers), NUL and other control characters. Each is
//! sent through each argument or input field, at any depth, of every query and mutation
//! field, on the root types and on the objects reachable from `Query`, by an anonymous
//! caller, a buyer with a cart line, an order and a conversation, a seller with a store
//! and a product, and an admin, so the values reach the resolvers' code. Nothing may
//! answer 5xx or `INTERNAL_SERVER_ERROR`.
//!
//! The sweep is built from introspection alone: an argument added tomorrow is swept without
//! editing this file. Required arguments and fields around the swept one get plausible
//! values from their name and type (an `orderId` gets the buyer's order).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use reqwest::StatusCode;
use serde_json::{Map, Value, json};
use textisur_api::accounts::limits::AuthLimitConfig;
use textisur_tests::{Account, TEST_PASSWORD, TestApp, TestOptions};

const INTROSPECTION: &str = "{ __schema { queryType { name } mutationType { name }
    types { kind name enumValues { name } possibleTypes { name }
      fields { name args { ...V } type { ...T } }
      inputFields { ...V } } }
  }
  fragment V on __InputValue { name defaultValue type { ...T } }
  fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }";

/// Decimals past what the code may compute with.
fn hostile_decimals() -> Vec<Value> {
    vec![
        json!("79228162514264337593543950335"),
        json!("-79228162514264337593543950335"),
        json!("0.0000000000000000000000000001"),
        json!("7.9228162514264337593543950335"),
        json!("1e28"),
        json!(1e28),
        json!(-1e28),
        json!(79228162514264337593543950335_f64),
    ]
}

/// Text with control characters; the last is acceptable in long texts only.
fn hostile_texts() -> Vec<Value> {
    vec![
        json!("\u{0}"),
        json!("sweep\u{0}@example.com"),
        json!("nombre \u{1} \u{1f}"),
        json!("\u{1b}[31mrojo"),
        json!("borrar\u{7f}"),
        json!("next line\u{85}"),
        json!("línea\nnueva\tcon tab\r\n"),
    ]
}

/// A type reference of introspection: `kind`, `name`, `ofType`.
#[derive(Clone, Debug)]
struct TypeRef {
    kind: String,
    name: Option<String>,
    of_type: Option<Box<TypeRef>>,
}

impl TypeRef {
    fn parse(v: &Value) -> Self {
        Self {
            kind: v["kind"].as_str().unwrap_or_default().to_owned(),
            name: v["name"].as_str().map(str::to_owned),
            of_type: (!v["ofType"].is_null()).then(|| Box::new(Self::parse(&v["ofType"]))),
        }
    }

    fn named(&self) -> &str {
        match &self.of_type {
            Some(inner) => inner.named(),
            None => self.name.as_deref().unwrap_or_default(),
        }
    }

    fn sdl(&self) -> String {
        match (self.kind.as_str(), &self.of_type) {
            ("NON_NULL", Some(inner)) => format!("{}!", inner.sdl()),
            ("LIST", Some(inner)) => format!("[{}]", inner.sdl()),
            _ => self.named().to_owned(),
        }
    }

    /// Without a `NON_NULL` wrapper.
    fn nullable(&self) -> &TypeRef {
        match (self.kind.as_str(), &self.of_type) {
            ("NON_NULL", Some(inner)) => inner,
            _ => self,
        }
    }
}

#[derive(Clone, Debug)]
struct InputValue {
    name: String,
    ty: TypeRef,
    has_default: bool,
}

impl InputValue {
    fn parse(v: &Value) -> Self {
        Self {
            name: v["name"].as_str().unwrap_or_default().to_owned(),
            ty: TypeRef::parse(&v["type"]),
            has_default: !v["defaultValue"].is_null(),
        }
    }

    fn required(&self) -> bool {
        self.ty.kind == "NON_NULL" && !self.has_default
    }
}

#[derive(Clone, Debug)]
struct FieldDef {
    name: String,
    args: Vec<InputValue>,
    ty: TypeRef,
}

#[derive(Clone, Debug)]
struct TypeDef {
    kind: String,
    fields: Vec<FieldDef>,
    input_fields: Vec<InputValue>,
    enum_values: Vec<String>,
}

struct Schema {
    query: String,
    mutation: String,
    types: HashMap<String, TypeDef>,
}

impl Schema {
    fn parse(data: &Value) -> Self {
        let schema = &data["__schema"];
        let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
        let types = list(&schema["types"])
            .iter()
            .map(|t| {
                let def = TypeDef {
                    kind: t["kind"].as_str().unwrap_or_default().to_owned(),
                    fields: list(&t["fields"])
                        .iter()
                        .map(|f| FieldDef {
                            name: f["name"].as_str().unwrap_or_default().to_owned(),
                            args: list(&f["args"]).iter().map(InputValue::parse).collect(),
                            ty: TypeRef::parse(&f["type"]),
                        })
                        .collect(),
                    input_fields: list(&t["inputFields"])
                        .iter()
                        .map(InputValue::parse)
                        .collect(),
                    enum_values: list(&t["enumValues"])
                        .iter()
                        .filter_map(|e| e["name"].as_str().map(str::to_owned))
                        .collect(),
                };
                (t["name"].as_str().unwrap_or_default().to_owned(), def)
            })
            .collect();
        Self {
            query: schema["queryType"]["name"]
                .as_str()
                .unwrap_or("Query")
                .to_owned(),
            mutation: schema["mutationType"]["name"]
                .as_str()
                .unwrap_or("Mutation")
                .to_owned(),
            types,
        }
    }

    fn kind(&self, name: &str) -> &str {
        self.types.get(name).map_or("", |t| t.kind.as_str())
    }

    fn is_composite(&self, name: &str) -> bool {
        matches!(self.kind(name), "OBJECT" | "INTERFACE" | "UNION")
    }

    /// Every path from `ty` to a scalar named `scalar`, through input objects and lists.
    fn leaves(&self, ty: &TypeRef, scalar: &str, seen: &mut Vec<String>) -> Vec<Vec<String>> {
        let named = ty.named();
        if named == scalar {
            return vec![Vec::new()];
        }
        if self.kind(named) != "INPUT_OBJECT" || seen.iter().any(|s| s == named) {
            return Vec::new();
        }
        seen.push(named.to_owned());
        let mut paths = Vec::new();
        for field in &self.types[named].input_fields {
            for mut rest in self.leaves(&field.ty, scalar, seen) {
                rest.insert(0, field.name.clone());
                paths.push(rest);
            }
        }
        seen.pop();
        paths
    }
}

/// Ids of the objects the sweep's callers own, by type name.
struct Fixtures {
    ids: HashMap<&'static str, String>,
    counter: std::cell::Cell<u32>,
}

impl Fixtures {
    /// An id for an argument or input field named `name` of a field returning `returns`.
    fn id(&self, name: &str, returns: &str) -> String {
        let type_name = match name {
            "id" | "ids" => returns.trim_end_matches("Payload").to_owned(),
            "parentId" => "Category".to_owned(),
            other => {
                let stem = other.trim_end_matches("Ids").trim_end_matches("Id");
                let mut chars = stem.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        };
        self.ids
            .get(type_name.as_str())
            .unwrap_or(&self.ids["Product"])
            .clone()
    }

    fn unique(&self) -> u32 {
        let n = self.counter.get();
        self.counter.set(n + 1);
        n
    }

    /// A plausible text for a field named `name`.
    fn text(&self, name: &str) -> String {
        match name {
            "email" => format!("sweep{}@example.com", self.unique()),
            "password" => TEST_PASSWORD.to_owned(),
            "countryCode" => "AR".to_owned(),
            "currencyCode" => "ARS".to_owned(),
            "sku" | "slug" | "idempotencyKey" => format!("sweep-{}-key", self.unique()),
            "query" | "prefix" => "lino".to_owned(),
            _ => "Texto de prueba".to_owned(),
        }
    }
}

/// A valid value of type `ty` for the field or argument `name` of a field returning `returns`.
fn plausible(schema: &Schema, fx: &Fixtures, name: &str, ty: &TypeRef, returns: &str) -> Value {
    match (ty.kind.as_str(), &ty.of_type) {
        ("NON_NULL", Some(inner)) => plausible(schema, fx, name, inner, returns),
        ("LIST", Some(inner)) => json!([plausible(schema, fx, name, inner, returns)]),
        _ => {
            let named = ty.named();
            match (schema.kind(named), named) {
                ("ENUM", _) => json!(schema.types[named].enum_values[0]),
                ("INPUT_OBJECT", _) => json!(required_fields(schema, fx, named, returns)),
                (_, "ID") => json!(fx.id(name, returns)),
                (_, "String") => json!(fx.text(name)),
                (_, "Int") => json!(1),
                (_, "Float") => json!(1.0),
                (_, "Boolean") => json!(false),
                (_, "Decimal") => json!("1"),
                // The first file of a multipart request; a JSON body carries none, which the
                // upload refuses as a user error.
                (_, "Upload") => json!("#__graphql_file__:0"),
                _ => Value::Null,
            }
        }
    }
}

/// The required fields of `input`, and its optional texts: a store's region, say, is
/// optional in the type but required by the code, which would refuse before the swept
/// value reaches what it should.
fn required_fields(
    schema: &Schema,
    fx: &Fixtures,
    input: &str,
    returns: &str,
) -> Map<String, Value> {
    schema.types[input]
        .input_fields
        .iter()
        .filter(|f| f.required() || (f.ty.named() == "String" && !f.has_default))
        .map(|f| {
            (
                f.name.clone(),
                plausible(schema, fx, &f.name, &f.ty, returns),
            )
        })
        .collect()
}

/// A value of `ty` whose leaf at `path` is `leaf`, every required field around it plausible.
fn with_leaf(
    schema: &Schema,
    fx: &Fixtures,
    ty: &TypeRef,
    path: &[String],
    leaf: &Value,
    returns: &str,
) -> Value {
    match (ty.kind.as_str(), &ty.of_type) {
        ("NON_NULL", Some(inner)) => with_leaf(schema, fx, inner, path, leaf, returns),
        ("LIST", Some(inner)) => json!([with_leaf(schema, fx, inner, path, leaf, returns)]),
        _ => match path.split_first() {
            None => leaf.clone(),
            Some((field, rest)) => {
                let input = ty.named();
                let mut object = required_fields(schema, fx, input, returns);
                let def = schema.types[input]
                    .input_fields
                    .iter()
                    .find(|f| &f.name == field)
                    .expect("input field on the path");
                object.insert(
                    field.clone(),
                    with_leaf(schema, fx, &def.ty, rest, leaf, returns),
                );
                Value::Object(object)
            }
        },
    }
}

/// `value` written as a GraphQL literal of type `ty` (enums bare, objects unquoted keys).
fn literal(schema: &Schema, ty: &TypeRef, value: &Value) -> String {
    let ty = ty.nullable();
    match (value, ty.kind.as_str(), &ty.of_type) {
        (Value::Array(items), "LIST", Some(inner)) => format!(
            "[{}]",
            items
                .iter()
                .map(|v| literal(schema, inner, v))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        (Value::Object(fields), _, _) => {
            let def = &schema.types[ty.named()];
            let fields: Vec<String> = fields
                .iter()
                .map(|(k, v)| {
                    let field = def.input_fields.iter().find(|f| &f.name == k);
                    let field_ty = field.map_or(ty, |f| &f.ty);
                    format!("{k}: {}", literal(schema, field_ty, v))
                })
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        (Value::String(s), _, _) if schema.kind(ty.named()) == "ENUM" => s.clone(),
        _ => value.to_string(),
    }
}

/// How a caller gets to the objects of a type: the selections around a field of it, and
/// the variables those selections use.
#[derive(Clone, Debug, Default)]
struct Access {
    open: String,
    close: String,
    variables: Vec<(String, String, Value)>,
}

/// The shortest route from the query root to each object type, through fields that return
/// objects (interfaces are left out: a `node(id:)` route would need an id of each type).
fn routes(schema: &Schema, fx: &Fixtures) -> BTreeMap<String, Access> {
    let mut routes = BTreeMap::new();
    routes.insert(schema.query.clone(), Access::default());
    let mut queue = VecDeque::from([schema.query.clone()]);
    let mut n = 0;
    while let Some(type_name) = queue.pop_front() {
        let access = routes[&type_name].clone();
        for field in &schema.types[&type_name].fields {
            let target = field.ty.named();
            if schema.kind(target) != "OBJECT" || routes.contains_key(target) {
                continue;
            }
            let mut next = access.clone();
            let mut args = Vec::new();
            // An optional `id` too: `product(id:, slug:)` needs one of them.
            let needed = |a: &&InputValue| a.required() || a.name == "id";
            for arg in field.args.iter().filter(needed) {
                n += 1;
                let var = format!("r{n}");
                args.push(format!("{}: ${var}", arg.name));
                let value = plausible(schema, fx, &arg.name, &arg.ty, target);
                next.variables.push((var, arg.ty.sdl(), value));
            }
            let args = if args.is_empty() {
                String::new()
            } else {
                format!("({})", args.join(", "))
            };
            next.open = format!("{}{}{args} {{ ", access.open, field.name);
            next.close = format!(" }}{}", access.close);
            routes.insert(target.to_owned(), next);
            queue.push_back(target.to_owned());
        }
    }
    routes
}

/// A selection of `type_name`: its fields without required arguments, one level of objects.
fn selection(schema: &Schema, type_name: &str, depth: u32) -> String {
    if !schema.is_composite(type_name) {
        return String::new();
    }
    let mut parts = vec!["__typename".to_owned()];
    if let Some(def) = schema.types.get(type_name) {
        for field in &def.fields {
            if field.args.iter().any(InputValue::required) || field.name.starts_with("__") {
                continue;
            }
            let named = field.ty.named();
            if !schema.is_composite(named) {
                parts.push(field.name.clone());
            } else if depth == 0 {
                parts.push(format!("{} {}", field.name, selection(schema, named, 1)));
            }
        }
    }
    format!("{{ {} }}", parts.join(" "))
}

/// One request of the sweep: a document, its variables, and what it probes.
struct Probe {
    label: String,
    document: String,
    variables: Value,
}

/// The requests that put `leaf` at `path` of argument `arg` of `field` on `owner`: through a
/// variable, and (for text) inline as a literal.
#[allow(clippy::too_many_arguments)]
fn probes(
    schema: &Schema,
    fx: &Fixtures,
    routes: &BTreeMap<String, Access>,
    owner: &str,
    field: &FieldDef,
    arg: &InputValue,
    path: &[String],
    leaf: &Value,
    inline: bool,
) -> Vec<Probe> {
    let returns = field.ty.named();
    let (keyword, access) = if owner == schema.mutation {
        ("mutation", Access::default())
    } else {
        match routes.get(owner) {
            Some(access) => ("query", access.clone()),
            None => return Vec::new(),
        }
    };
    let mut forms = vec![false];
    if inline {
        forms.push(true);
    }
    forms
        .into_iter()
        .map(|inline| {
            let mut variables = access.variables.clone();
            let mut args = Vec::new();
            for a in &field.args {
                let value = if a.name == arg.name {
                    with_leaf(schema, fx, &a.ty, path, leaf, returns)
                } else if a.required() {
                    plausible(schema, fx, &a.name, &a.ty, returns)
                } else {
                    continue;
                };
                if inline && a.name == arg.name {
                    args.push(format!("{}: {}", a.name, literal(schema, &a.ty, &value)));
                } else {
                    let var = format!("a_{}", a.name);
                    args.push(format!("{}: ${var}", a.name));
                    variables.push((var, a.ty.sdl(), value));
                }
            }
            let declared: Vec<String> = variables
                .iter()
                .map(|(name, ty, _)| format!("${name}: {ty}"))
                .collect();
            let declared = if declared.is_empty() {
                String::new()
            } else {
                format!("({})", declared.join(", "))
            };
            let document = format!(
                "{keyword}{declared} {{ {}{}({}) {}{} }}",
                access.open,
                field.name,
                args.join(", "),
                selection(schema, returns, 0),
                access.close,
            );
            let variables: Map<String, Value> = variables
                .into_iter()
                .map(|(name, _, value)| (name, value))
                .collect();
            Probe {
                label: format!(
                    "{owner}.{}({}{}{}) = {leaf}{}",
                    field.name,
                    arg.name,
                    if path.is_empty() { "" } else { "." },
                    path.join("."),
                    if inline { " (inline)" } else { "" }
                ),
                document,
                variables: Value::Object(variables),
            }
        })
        .collect()
}

/// Every probe of the schema for values of `scalar`.
fn sweep(
    schema: &Schema,
    fx: &Fixtures,
    routes: &BTreeMap<String, Access>,
    scalar: &str,
    values: &[Value],
) -> Vec<Probe> {
    let mut owners: Vec<&String> = routes.keys().collect();
    owners.push(&schema.mutation);
    let mut all = Vec::new();
    for owner in owners {
        for field in &schema.types[owner.as_str()].fields {
            for arg in &field.args {
                for path in schema.leaves(&arg.ty, scalar, &mut Vec::new()) {
                    for (i, value) in values.iter().enumerate() {
                        all.extend(probes(
                            schema,
                            fx,
                            routes,
                            owner,
                            field,
                            arg,
                            &path,
                            value,
                            scalar == "String" && i == 0,
                        ));
                    }
                }
            }
        }
    }
    all
}

/// What a response must never say: a server error, or an internal error anywhere. A refusal
/// for cost or rate would hide whether the value reached the code, so it fails too.
fn finding(status: StatusCode, body: &Value) -> Option<String> {
    if status.is_server_error() {
        return Some(format!("status {status}"));
    }
    let errors = body["errors"].as_array().cloned().unwrap_or_default();
    errors
        .iter()
        .find(|e| {
            matches!(
                e["extensions"]["code"].as_str(),
                Some("INTERNAL_SERVER_ERROR" | "QUERY_TOO_COMPLEX" | "THROTTLED")
            )
        })
        .map(|e| format!("error {e}"))
}

struct Callers {
    buyer: Account,
    seller: Account,
    admin: Account,
}

async fn run(app: &TestApp, callers: &Callers, probes: &[Probe], findings: &mut Vec<String>) {
    for probe in probes {
        for (role, token) in [
            ("anonymous", None),
            ("buyer", Some(&callers.buyer.access_token)),
            ("seller", Some(&callers.seller.access_token)),
            ("admin", Some(&callers.admin.access_token)),
        ] {
            let (status, body) = match token {
                Some(token) => {
                    app.graphql_as(token, &probe.document, probe.variables.clone())
                        .await
                }
                None => app.graphql(&probe.document, probe.variables.clone()).await,
            };
            if let Some(finding) = finding(status, &body) {
                findings.push(format!(
                    "{} as {role}: {finding}\n  {}",
                    probe.label, probe.document
                ));
            }
        }
    }
}

/// A category, a seller with a store and a product, a buyer with an order, a cart line and
/// a conversation, a user to act on, and an admin.
async fn market(app: &TestApp) -> (Callers, Fixtures) {
    let category: i64 = sqlx::query_scalar!(
        "INSERT INTO categories (slug, name) VALUES ('telas', 'Telas') RETURNING id",
    )
    .fetch_one(app.db.pool())
    .await
    .expect("category");
    let category = textisur_api::graphql::ids::CategoryId(category)
        .to_global()
        .to_string();
    let seller = app.quick_account("Vendedora", "SELLER").await;
    let buyer = app.quick_account("Compradora", "BUYER").await;
    let admin = app.quick_account("Admin", "ADMIN").await;
    let victim = app.quick_account("Otra", "BUYER").await;
    let data = |body: Value, pointer: &str| -> String {
        body.pointer(pointer)
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("{pointer}: {body}"))
            .to_owned()
    };
    let (_, body) = app
        .graphql_as(
            &seller.access_token,
            "mutation { createStore(input: {name: \"Telas del Sur\", city: \"Rosario\", region: \"Santa Fe\", countryCode: \"AR\"}) { store { id } userErrors { message } } }",
            json!({}),
        )
        .await;
    let store = data(body, "/data/createStore/store/id");
    let (_, body) = app
        .graphql_as(
            &seller.access_token,
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }",
            json!({ "i": { "storeId": store, "categoryId": category, "name": "Lino azul",
                "price": "10", "unit": "PIECE", "stock": "100" } }),
        )
        .await;
    let product = data(body, "/data/createProduct/product/id");
    let add =
        "mutation($p: ID!) { addToCart(productId: $p, quantity: \"1\") { userErrors { code } } }";
    let (_, body) = app
        .graphql_as(&buyer.access_token, add, json!({ "p": product }))
        .await;
    assert_eq!(body["data"]["addToCart"]["userErrors"], json!([]), "{body}");
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation { checkout(idempotencyKey: \"sweep-checkout-1\") { orders { id } } }",
            json!({}),
        )
        .await;
    let order = data(body, "/data/checkout/orders/0/id");
    // The line `addToCart` adds to while it is swept.
    app.graphql_as(&buyer.access_token, add, json!({ "p": product }))
        .await;
    let (_, body) = app
        .graphql_as(
            &buyer.access_token,
            "mutation($s: ID!) { startConversation(storeId: $s, body: \"¿Hay stock?\") { conversation { id } } }",
            json!({ "s": store }),
        )
        .await;
    let conversation = data(body, "/data/startConversation/conversation/id");
    let ids = HashMap::from([
        ("Product", product),
        ("Store", store),
        ("Category", category),
        ("Order", order),
        ("Conversation", conversation),
        ("User", victim.id.clone()),
    ]);
    (
        Callers {
            buyer,
            seller,
            admin,
        },
        Fixtures {
            ids,
            counter: std::cell::Cell::new(0),
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_decimal_or_text_argument_of_the_schema_makes_an_internal_error() {
    let app = TestApp::spawn_with(TestOptions {
        // Every login and registration of the sweep must reach the code, not the limiter.
        auth_limits: Some(AuthLimitConfig {
            login_per_account_and_ip_per_minute: 100_000,
            login_per_account_and_ip_per_hour: 100_000,
            login_per_account_per_hour: 100_000,
            login_per_ip_per_minute: 100_000,
            register_per_ip_per_hour: 100_000,
            account_mail_per_address_per_hour: 100_000,
            account_mail_per_ip_per_hour: 100_000,
        }),
        ..TestOptions::default()
    })
    .await;
    let (callers, fx) = market(&app).await;
    let (_, body) = app
        .graphql_as(&callers.admin.access_token, INTROSPECTION, json!({}))
        .await;
    let schema = Schema::parse(&body["data"]);
    assert!(
        schema.types.contains_key("Decimal"),
        "introspection: {body}"
    );
    let routes = routes(&schema, &fx);

    // Each generated document must be valid: with plausible values it is not refused.
    let mut invalid = Vec::new();
    for scalar in ["Decimal", "String"] {
        let plain = if scalar == "Decimal" {
            json!("1")
        } else {
            json!("hola")
        };
        for probe in sweep(&schema, &fx, &routes, scalar, &[plain]) {
            // Run as nobody: checks the document without changing the fixtures.
            let (_, body) = app.graphql(&probe.document, probe.variables.clone()).await;
            let refused = body["errors"].as_array().is_some_and(|errors| {
                errors
                    .iter()
                    .any(|e| e["extensions"]["code"] == "BAD_USER_INPUT" && e.get("path").is_none())
            });
            if refused {
                invalid.push(format!("{}: {body}\n  {}", probe.label, probe.document));
            }
        }
    }
    assert!(
        invalid.is_empty(),
        "invalid sweep documents:\n{}",
        invalid.join("\n")
    );

    let decimals = sweep(&schema, &fx, &routes, "Decimal", &hostile_decimals());
    let texts = sweep(&schema, &fx, &routes, "String", &hostile_texts());
    let fields = |probes: &[Probe]| {
        probes
            .iter()
            .map(|p| p.label.split(" = ").next().unwrap_or_default().to_owned())
            .collect::<BTreeSet<_>>()
    };
    let (decimal_fields, text_fields) = (fields(&decimals), fields(&texts));
    println!(
        "sweep: {} decimal and {} text arguments or input fields, {} requests per caller",
        decimal_fields.len(),
        text_fields.len(),
        decimals.len() + texts.len()
    );
    for field in decimal_fields.iter().chain(&text_fields) {
        println!("  {field}");
    }
    for expected in [
        "Query.products(filter.minPrice)",
        "Mutation.addToCart(quantity)",
        "Mutation.login(input.email)",
        "Mutation.register(input.name)",
        "Mutation.createProduct(input.name)",
        "Store.products(filter.maxPrice)",
    ] {
        assert!(
            decimals
                .iter()
                .chain(&texts)
                .any(|p| p.label.starts_with(expected)),
            "the sweep misses {expected}"
        );
    }
    let mut findings = Vec::new();
    run(&app, &callers, &decimals, &mut findings).await;
    run(&app, &callers, &texts, &mut findings).await;
    assert!(
        findings.is_empty(),
        "{} findings:\n{}",
        findings.len(),
        findings.join("\n")
    );
}

/// The cases the review reported, with the answer each now gets.
#[tokio::test]
async fn the_reported_cases_answer_bad_user_input_or_a_user_error() {
    let app = TestApp::spawn().await;
    let (callers, fx) = market(&app).await;
    let code = |body: &Value| body["errors"][0]["extensions"]["code"].clone();

    let listing = "query($f: ProductFilter) { products(filter: $f) { nodes { id } } }";
    for filter in [
        json!({ "minPrice": "79228162514264337593543950335" }),
        json!({ "maxPrice": "-79228162514264337593543950335" }),
    ] {
        let (status, body) = app.graphql(listing, json!({ "f": filter })).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{body}");
    }

    // The buyer's line already holds 1: the sum overflows.
    let (status, body) = app
        .graphql_as(
            &callers.buyer.access_token,
            "mutation($p: ID!) { addToCart(productId: $p, quantity: \"79228162514264337593543950335\") {
                cart { lines { quantity } } userErrors { field code } } }",
            json!({ "p": fx.ids["Product"] }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["data"]["addToCart"]["userErrors"],
        json!([{ "field": ["quantity"], "code": "INSUFFICIENT_STOCK" }]),
        "{body}"
    );
    assert_eq!(
        body["data"]["addToCart"]["cart"],
        Value::Null,
        "nothing written: {body}"
    );

    let nul = [
        (
            "mutation($i: LoginInput!) { login(input: $i) { accessToken } }",
            json!({ "i": { "email": "a\u{0}@example.com", "password": TEST_PASSWORD } }),
            None,
        ),
        (
            "mutation($i: RegisterInput!) { register(input: $i) { accessToken } }",
            json!({ "i": { "email": "nul@example.com", "password": TEST_PASSWORD, "name": "Ana\u{0}" } }),
            None,
        ),
        (
            "mutation($i: CreateProductInput!) { createProduct(input: $i) { product { id } } }",
            json!({ "i": { "storeId": fx.ids["Store"], "categoryId": fx.ids["Category"],
                "name": "Lino\u{0}", "price": "10", "stock": "5" } }),
            Some(&callers.seller),
        ),
        (
            "mutation { login(input: {email: \"a\\u0000@example.com\", password: \"x\"}) { accessToken } }",
            json!({}),
            None,
        ),
    ];
    for (query, variables, caller) in nul {
        let (status, body) = match caller {
            Some(account) => {
                app.graphql_as(&account.access_token, query, variables)
                    .await
            }
            None => app.graphql(query, variables).await,
        };
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
        assert_eq!(code(&body), "BAD_USER_INPUT", "{query}: {body}");
        assert!(
            body["errors"][0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("control characters")),
            "{body}"
        );
    }

    // Line breaks stay allowed where people write paragraphs.
    let (_, body) = app
        .graphql_as(
            &callers.buyer.access_token,
            "mutation($c: ID!, $b: String!) { sendMessage(conversationId: $c, body: $b) {
                message { body } userErrors { code } } }",
            json!({ "c": fx.ids["Conversation"], "b": "Hola,\n\tgracias" }),
        )
        .await;
    assert_eq!(
        body["data"]["sendMessage"]["message"]["body"], "Hola,\n\tgracias",
        "{body}"
    );
}

/// A cursor is base64 over JSON, so the check on text arguments cannot see a NUL inside
/// it: a store name key with U+0000 reached PostgreSQL and answered 500.
#[tokio::test]
async fn a_control_character_inside_a_cursor_is_bad_user_input() {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let app = TestApp::spawn().await;
    let (callers, _) = market(&app).await;
    let cursors = [
        json!({ "Name": ["\u{0}", 1] }),
        json!({ "Name": ["Telas\u{7}", 1] }),
    ];
    for key in cursors {
        let cursor = URL_SAFE_NO_PAD.encode(key.to_string());
        let (status, body) = app
            .graphql(
                "query($a: String) { stores(first: 5, after: $a) { nodes { id } } }",
                json!({ "a": cursor }),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{key}: {body}");
        assert_eq!(
            body["errors"][0]["extensions"]["code"], "BAD_USER_INPUT",
            "{key}: {body}"
        );
    }
    // A cursor the server made still pages.
    let (_, body) = app
        .graphql("{ stores(first: 1) { pageInfo { endCursor } } }", json!({}))
        .await;
    let end = body["data"]["stores"]["pageInfo"]["endCursor"].clone();
    assert!(end.is_string(), "{body}");
    let (_, body) = app
        .graphql_as(
            &callers.buyer.access_token,
            "query($a: String) { stores(first: 5, after: $a) { nodes { id } } }",
            json!({ "a": end }),
        )
        .await;
    assert!(body["errors"].is_null(), "{body}");
}
