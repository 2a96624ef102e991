// The breaking-change gate. Compares a candidate schema with the last released one using
// graphql-inspector and fails when
//   - a breaking change is not listed in the changelog: a line naming its path in
//     backquotes (`Product.description`) with the date it was deprecated (YYYY-MM-DD), or
//   - an operation of a kept manifest (an app release still supported) no longer
//     validates against the candidate, whatever the changelog says.
// Non-breaking and dangerous changes are printed and pass.
//
//   node gate.mjs --released released.graphql --schema ../../schema.graphql \
//     --changelog ../../CHANGELOG.md --manifest ../../persisted-queries/manifests/apollo.json ...
//
// Manifests are Apollo's persisted-query manifests ({ operations: [{ name, body }] }) or
// GraphQL Codegen's hash-to-document maps.
import { readFileSync } from "node:fs";
import { Kind, buildASTSchema, parse, validate } from "graphql";
import { diff, CriticalityLevel } from "@graphql-inspector/core";

function args(argv) {
  const out = { manifest: [] };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, "");
    if (key === "manifest") out.manifest.push(argv[i + 1]);
    else out[key] = argv[i + 1];
  }
  for (const required of ["released", "schema", "changelog"]) {
    if (!out[required]) throw new Error(`--${required} is required`);
  }
  return out;
}

function operations(path) {
  const manifest = JSON.parse(readFileSync(path, "utf8"));
  if (Array.isArray(manifest.operations)) {
    return manifest.operations.map((op) => ({ name: op.name, body: op.body }));
  }
  return Object.entries(manifest).map(([id, body]) => ({ name: id, body }));
}

/** Paths the changelog lists with a date: `Type.field` ... 2026-12-06. */
function announced(changelog) {
  const paths = new Set();
  for (const line of changelog.split("\n")) {
    if (!/\b\d{4}-\d{2}-\d{2}\b/.test(line)) continue;
    for (const match of line.matchAll(/`([A-Za-z_][\w.]*(?:\([\w]+\))?)`/g)) {
      paths.add(match[1]);
    }
  }
  return paths;
}

/**
 * The schema of an SDL file. Declarations of the directives the spec defines (async-graphql
 * prints some of them, with its own descriptions) are left to graphql-js's built-ins, so a
 * server library's printing is never taken for a change to the API.
 */
function load(path) {
  const document = parse(readFileSync(path, "utf8"));
  const builtIn = new Set(["deprecated", "include", "skip", "specifiedBy", "oneOf"]);
  const definitions = document.definitions.filter(
    (d) => !(d.kind === Kind.DIRECTIVE_DEFINITION && builtIn.has(d.name.value)),
  );
  return buildASTSchema({ ...document, definitions });
}

const options = args(process.argv.slice(2));
const released = load(options.released);
const candidate = load(options.schema);
const listed = announced(readFileSync(options.changelog, "utf8"));

const changes = await diff(released, candidate);
const failures = [];
for (const change of changes) {
  const level = change.criticality.level;
  const path = change.path ?? "";
  if (level === CriticalityLevel.Breaking) {
    // An argument's path is Type.field.argument; the changelog may name it Type.field(argument).
    const parts = path.split(".");
    const alternatives = [path, parts.length === 3 ? `${parts[0]}.${parts[1]}(${parts[2]})` : path];
    if (alternatives.some((p) => listed.has(p))) {
      console.log(`breaking, announced: ${change.message}`);
    } else {
      failures.push(`breaking change not in the changelog with its deprecation date: ${change.message} (${path})`);
    }
  } else {
    console.log(`${level.toLowerCase()}: ${change.message}`);
  }
}

for (const manifest of options.manifest) {
  for (const op of operations(manifest)) {
    const errors = validate(candidate, parse(op.body));
    for (const error of errors) {
      failures.push(`${manifest}: operation ${op.name} no longer validates: ${error.message}`);
    }
  }
}

if (failures.length > 0) {
  for (const failure of failures) console.error(failure);
  console.error(`schema gate: ${failures.length} problem(s)`);
  process.exit(1);
}
console.log(`schema gate: ${changes.length} change(s) since the release, none unannounced`);
