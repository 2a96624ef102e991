//! The breaking-change gate (`tests/schema-gate/gate.mjs`, graphql-inspector): the schema as
//! it is passes against the last released one with every kept manifest (the embedded ones
//! and `persisted-queries/kept/`). Removing a field fails unless the released schema had it
//! deprecated and the changelog gives a deprecation date six months old or more;
//! deprecating it passes; an operation of a kept manifest can never lose a field.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// Every kept manifest: the embedded ones and those of supported releases.
fn kept_manifests() -> Vec<PathBuf> {
    let root = root();
    let mut manifests = vec![
        root.join("persisted-queries/manifests/apollo.json"),
        root.join("persisted-queries/manifests/codegen.json"),
    ];
    let kept = std::fs::read_dir(root.join("persisted-queries/kept")).expect("kept manifests");
    for entry in kept {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            manifests.push(path);
        }
    }
    manifests
}

/// Runs the gate on `schema` against `released` with `changelog`; its exit status and output.
fn gate_against(released: &str, schema: &str, changelog: &str) -> (bool, String) {
    let root = root();
    let dir = root.join("tests/schema-gate");
    assert!(
        dir.join("node_modules/@graphql-inspector/core").exists(),
        "tests/schema-gate/node_modules is missing: run tests/run-all.sh, which installs it"
    );
    let work = tempfile::tempdir().expect("temp dir");
    let released_path = work.path().join("released.graphql");
    let schema_path = work.path().join("schema.graphql");
    let changelog_path = work.path().join("CHANGELOG.md");
    std::fs::write(&released_path, released).expect("write released");
    std::fs::write(&schema_path, schema).expect("write schema");
    std::fs::write(&changelog_path, changelog).expect("write changelog");
    let mut command = Command::new("node");
    command
        .current_dir(&dir)
        .arg("gate.mjs")
        .arg("--released")
        .arg(&released_path)
        .arg("--schema")
        .arg(&schema_path)
        .arg("--changelog")
        .arg(&changelog_path);
    for manifest in kept_manifests() {
        command.arg("--manifest").arg(manifest);
    }
    let output = command.output().expect("run node");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The gate against the last released schema.
fn gate(schema: &str, changelog: &str) -> (bool, String) {
    gate_against(
        &read("tests/schema-gate/released.graphql"),
        schema,
        changelog,
    )
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
fn a_field_goes_only_after_deprecation_and_six_months_in_the_changelog() {
    let changelog = read("CHANGELOG.md");
    let removed = with_sales_count("  unitsSold: Int!");
    let (ok, output) = gate(&removed, &changelog);
    assert!(!ok, "removing a field without warning must fail: {output}");
    assert!(output.contains("Product.salesCount"), "{output}");

    // Announced, but never deprecated in the released schema: still refused.
    let announced = |date: &str| {
        format!("{changelog}\n### Removed\n- `Product.salesCount`, deprecated on {date}.\n")
    };
    let (ok, output) = gate(&removed, &announced("2020-01-01"));
    assert!(!ok, "a field that was never deprecated cannot go: {output}");
    assert!(output.contains("did not deprecate"), "{output}");

    // Deprecating it is not breaking.
    let deprecated =
        with_sales_count("  salesCount: Int! @deprecated(reason: \"Counts order lines.\")");
    let (ok, output) = gate(&deprecated, &changelog);
    assert!(ok, "deprecating is not breaking: {output}");

    // Deprecated in the release: removal passes six months after the date, not before.
    let (ok, output) = gate_against(&deprecated, &removed, &announced("2020-01-01"));
    assert!(ok, "a deprecated field may go after its period: {output}");
    let (ok, output) = gate_against(&deprecated, &removed, &announced("2999-01-01"));
    assert!(!ok, "not before its period: {output}");
    assert!(output.contains("six months"), "{output}");
    let (ok, output) = gate_against(&deprecated, &removed, &changelog);
    assert!(!ok, "nor without the changelog: {output}");
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
