// The breaking-change gate. Compares a candidate schema with the last released one using
// graphql-inspector. A breaking change passes only when all of these hold (the README's
// deprecation policy):
//   - the released schema already had the element `@deprecated` (fields, arguments, input
//     fields and enum values; a type cannot be deprecated, so a type change needs only the
//     changelog),
//   - the changelog names its path in backquotes (`Product.description`) on a line with the
//     date it was deprecated (YYYY-MM-DD),
//   - and that date is at least six months ago.
// And every operation of a kept manifest (an app release still supported) must still
// validate against the candidate, whatever the changelog says.
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

/** The earliest date the changelog gives each backquoted path on a line with a date. */
function announced(changelog) {
  const dates = new Map();
  for (const line of changelog.split("\n")) {
    const found = [...line.matchAll(/\b(\d{4}-\d{2}-\d{2})\b/g)].map((m) => new Date(`${m[1]}T00:00:00Z`));
    if (found.length === 0) continue;
    const date = new Date(Math.min(...found.map((d) => d.getTime())));
    for (const match of line.matchAll(/`([A-Za-z_][\w.]*(?:\([\w]+\))?)`/g)) {
      const known = dates.get(match[1]);
      if (!known || date < known) dates.set(match[1], date);
    }
  }
  return dates;
}

/** Whether the element at `path` (Type.field, Type.field.argument, Enum.VALUE) is deprecated in `schema`. */
function deprecatedIn(schema, path) {
  const [typeName, member, argument] = path.split(".");
  const type = schema.getType(typeName);
  if (!type || !member) return false;
  if (typeof type.getValue === "function") {
    return type.getValue(member)?.deprecationReason != null;
  }
  if (typeof type.getFields !== "function") return false;
  const field = type.getFields()[member];
  if (!field) return false;
  if (argument) return field.args?.find((a) => a.name === argument)?.deprecationReason != null;
  return field.deprecationReason != null;
}

const SIX_MONTHS_MS = 183 * 24 * 3600 * 1000;

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
const now = Date.now();

const changes = await diff(released, candidate);
const failures = [];
for (const change of changes) {
  const level = change.criticality.level;
  const path = change.path ?? "";
  if (level !== CriticalityLevel.Breaking) {
    console.log(`${level.toLowerCase()}: ${change.message}`);
    continue;
  }
  // An argument's path is Type.field.argument; the changelog may name it Type.field(argument).
  const parts = path.split(".");
  const dates = [path, parts.length === 3 ? `${parts[0]}.${parts[1]}(${parts[2]})` : path]
    .map((p) => listed.get(p))
    .filter(Boolean);
  const deprecatable = parts.length >= 2;
  if (deprecatable && !deprecatedIn(released, path)) {
    failures.push(`breaking change to an element the released schema did not deprecate: ${change.message} (${path})`);
  } else if (dates.length === 0) {
    failures.push(`breaking change not in the changelog with its deprecation date: ${change.message} (${path})`);
  } else if (now - dates[0].getTime() < SIX_MONTHS_MS) {
    const since = dates[0].toISOString().slice(0, 10);
    failures.push(`breaking change before six months of deprecation (deprecated ${since}): ${change.message} (${path})`);
  } else {
    console.log(`breaking, deprecated and announced: ${change.message}`);
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
