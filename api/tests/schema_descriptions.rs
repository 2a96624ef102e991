//! Every type, field, argument, enum value, input field and scalar of the schema has a
//! description: client teams read the schema in their IDE and generated code, not our
//! source. Lists everything that lacks one.

use async_graphql::parser::parse_schema;
use async_graphql::parser::types::{InterfaceType, ObjectType, TypeKind, TypeSystemDefinition};

/// `Type.field(argument)` paths without a description.
fn undescribed(sdl: &str) -> Vec<String> {
    let document = parse_schema(sdl).expect("the schema parses");
    let mut missing = Vec::new();
    let mut check = |description: Option<&str>, path: String| {
        if description.is_none_or(|d| d.trim().is_empty()) {
            missing.push(path);
        }
    };
    for definition in document.definitions {
        let TypeSystemDefinition::Type(ty) = definition else {
            continue;
        };
        let ty = ty.node;
        let name = ty.name.node.to_string();
        check(
            ty.description.as_ref().map(|d| d.node.as_str()),
            name.clone(),
        );
        match ty.kind {
            TypeKind::Object(ObjectType { fields, .. })
            | TypeKind::Interface(InterfaceType { fields, .. }) => {
                for field in fields {
                    let field = field.node;
                    let path = format!("{name}.{}", field.name.node);
                    check(
                        field.description.as_ref().map(|d| d.node.as_str()),
                        path.clone(),
                    );
                    for argument in field.arguments {
                        let argument = argument.node;
                        check(
                            argument.description.as_ref().map(|d| d.node.as_str()),
                            format!("{path}({})", argument.name.node),
                        );
                    }
                }
            }
            TypeKind::Enum(enumeration) => {
                for value in enumeration.values {
                    let value = value.node;
                    check(
                        value.description.as_ref().map(|d| d.node.as_str()),
                        format!("{name}.{}", value.value.node),
                    );
                }
            }
            TypeKind::InputObject(input) => {
                for field in input.fields {
                    let field = field.node;
                    check(
                        field.description.as_ref().map(|d| d.node.as_str()),
                        format!("{name}.{}", field.name.node),
                    );
                }
            }
            TypeKind::Scalar | TypeKind::Union(_) => {}
        }
    }
    missing
}

#[test]
fn every_part_of_the_schema_is_described() {
    let missing = undescribed(&textisur_api::graphql::schema::sdl());
    assert!(
        missing.is_empty(),
        "{} parts of the schema have no description:\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn the_check_sees_a_missing_description() {
    let sdl = "\"A type.\" type Query { \"A field.\" a(x: Int): Int b: Int \" \" c: Int }";
    assert_eq!(undescribed(sdl), ["Query.a(x)", "Query.b", "Query.c"]);
}

/// The scalars say where their format is specified, where async-graphql lets us say it:
/// `DateTime` (RFC 3339) and our `HTML`. `Decimal` and `JSON` are async-graphql's own types,
/// described in words.
#[tokio::test]
async fn scalars_name_their_specification() {
    let schema = textisur_api::graphql::schema::build();
    let response = schema
        .execute("{ dt: __type(name: \"DateTime\") { specifiedByURL } html: __type(name: \"HTML\") { specifiedByURL } }")
        .await;
    assert!(response.errors.is_empty(), "{:?}", response.errors);
    let data = response.data.into_json().expect("json");
    assert_eq!(
        data["dt"]["specifiedByURL"],
        "https://datatracker.ietf.org/doc/html/rfc3339"
    );
    assert!(data["html"]["specifiedByURL"].is_string(), "{data}");
}
