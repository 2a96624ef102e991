//! The breaking-change gate (`tests/schema-gate/gate.mjs`, graphql-inspector): the schema as
//! it is passes against the last released one with every kept manifest; removing a field
//! fails unless the changelog announces it with its deprecation date; deprecating it passes.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// Runs the gate on `schema` with `changelog`; its exit status and output.
fn gate(schema: &str, changelog: &str) -> (bool, String) {
    let root = root();
    let dir = root.join("tests/schema-gate");
    assert!(
        dir.join("node_modules/@graphql-inspector/core").exists(),
        "tests/schema-gate/node_modules is missing: run tests/run-all.sh, which installs it"
    );
    let work = tempfile::tempdir().expect("temp dir");
    let schema_path = work.path().join("schema.graphql");
    let changelog_path = work.path().join("CHANGELOG.md");
    std::fs::write(&schema_path, schema).expect("write schema");
    std::fs::write(&changelog_path, changelog).expect("write changelog");
    let output = Command::new("node")
        .current_dir(&dir)
        .arg("gate.mjs")
        .arg("--released")
        .arg("released.graphql")
        .arg("--schema")
        .arg(&schema_path)
        .arg("--changelog")
        .arg(&changelog_path)
        .arg("--manifest")
        .arg(root.join("persisted-queries/manifests/apollo.json"))
        .arg("--manifest")
        .arg(root.join("persisted-queries/manifests/codegen.json"))
        .output()
        .expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).expect("read")
}

/// The schema with the line of `Product.salesCount` (no kept operation selects it) replaced
/// by `edit`. A removal renames the field rather than deleting the line, so its description
/// keeps a field to describe.
fn with_sales_count(edit: &str) -> String {
    let schema = read("schema.graphql");
    let line = schema
        .lines()
        .find(|l| l.trim_start().starts_with("salesCount: Int!"))
        .expect("Product.salesCount in schema.graphql")
        .to_owned();
    schema.replacen(&line, edit, 1)
}

#[test]
fn the_schema_as_it_is_passes_the_gate() {
    let (ok, output) = gate(&read("schema.graphql"), &read("CHANGELOG.md"));
    assert!(ok, "{output}");
}

#[test]
fn a_removed_field_fails_unless_announced_and_a_deprecated_one_passes() {
    let changelog = read("CHANGELOG.md");
    let removed = with_sales_count("  unitsSold: Int!");
    let (ok, output) = gate(&removed, &changelog);
    assert!(
        !ok,
        "removing a field without a changelog entry must fail: {output}"
    );
    assert!(output.contains("Product.salesCount"), "{output}");

    let announced =
        format!("{changelog}\n### Removed\n- `Product.salesCount`, deprecated on 2026-12-06.\n");
    let (ok, output) = gate(&removed, &announced);
    assert!(ok, "an announced removal passes: {output}");

    let deprecated =
        with_sales_count("  salesCount: Int! @deprecated(reason: \"Counts order lines.\")");
    let (ok, output) = gate(&deprecated, &changelog);
    assert!(ok, "deprecating is not breaking: {output}");
}

#[test]
fn an_operation_a_kept_manifest_uses_cannot_go_even_when_announced() {
    let schema = read("schema.graphql");
    // `SearchPage` selects `totalCount` of the product search connection: rename it away.
    let start = schema
        .find("type ProductSearchConnection")
        .expect("ProductSearchConnection");
    let at = start
        + schema[start..]
            .find("totalCount: Int!")
            .expect("totalCount");
    let removed = format!(
        "{}matchCount{}",
        &schema[..at],
        &schema[at + "totalCount".len()..]
    );
    let changelog = format!(
        "{}\n- `ProductSearchConnection.totalCount`, deprecated on 2026-01-01.\n",
        read("CHANGELOG.md")
    );
    let (ok, output) = gate(&removed, &changelog);
    assert!(!ok, "{output}");
    assert!(output.contains("SearchPage"), "{output}");
}
