// apollo-upload-client's multipart uploads against the real server, in production mode.
// Usage: node upload.mjs <base-url> <access-token> <product-id> <file>...
//
// Each file goes up as its own `UploadProductImage` mutation, the way a seller's web app
// sends it: Apollo Client 3 with createUploadLink (GraphQL multipart request spec, a File
// per upload, the `Apollo-Require-Preflight` header) behind Apollo's persisted-queries link,
// which sends the operation's SHA-256 alone. The document is the trusted manifest's own
// (persisted-queries/manifests/apollo.json), so the hash is one the server knows and the
// safelist lets it through. A file's declared type comes from its name, as a browser's
// would: the server must look at the content.
//
// Every request goes through a recording fetch: the wire (the multipart parts sent, whether
// the query text went along) is printed with the results as one JSON line.
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import createUploadLink from 'apollo-upload-client/createUploadLink.mjs';

const require = createRequire(import.meta.url);
const { ApolloClient, InMemoryCache, gql, from } = require('@apollo/client/core');
const { createPersistedQueryLink } = require('@apollo/client/link/persisted-queries');

const [base, token, productId, ...files] = process.argv.slice(2);
if (!base || !token || !productId || files.length === 0) {
  console.error('usage: node upload.mjs <base-url> <access-token> <product-id> <file>...');
  process.exit(2);
}
setTimeout(() => {
  console.log(JSON.stringify({ ok: false, problems: ['timed out after 60 s'] }));
  process.exit(1);
}, 60_000).unref();

const here = dirname(fileURLToPath(import.meta.url));
const manifest = JSON.parse(
  await readFile(join(here, '../../persisted-queries/manifests/apollo.json'), 'utf8'),
);
const operation = manifest.operations.find((op) => op.name === 'UploadProductImage');
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

const TYPES = { jpg: 'image/jpeg', jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** What went out, per request. */
const wire = [];

async function recordingFetch(input, init = {}) {
  const entry = { method: init.method ?? 'GET', parts: [], sentQueryText: null, hash: null };
  if (init.body instanceof FormData) {
    for (const [name, value] of init.body.entries()) {
      entry.parts.push(typeof value === 'string' ? name : `${name}:file:${value.name}`);
      if (name === 'operations') {
        const operations = JSON.parse(value);
        entry.sentQueryText = Boolean(operations.query);
        entry.hash = operations.extensions?.persistedQuery?.sha256Hash ?? null;
      }
    }
  }
  const headers = new Headers(init.headers);
  entry.preflight = headers.get('apollo-require-preflight');
  const response = await fetch(input, init);
  entry.status = response.status;
  wire.push(entry);
  return response;
}

const client = new ApolloClient({
  link: from([
    createPersistedQueryLink({ sha256 }),
    createUploadLink({
      uri: `${base}/graphql`,
      fetch: recordingFetch,
      headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    }),
  ]),
  // No `__typename` added to the document: the hash must be the manifest body's.
  cache: new InMemoryCache({ addTypename: false }),
});

const results = [];
for (const path of files) {
  const name = basename(path);
  const type = TYPES[name.split('.').pop()] ?? 'application/octet-stream';
  const file = new File([await readFile(path)], name, { type });
  try {
    const { data, errors } = await client.mutate({
      mutation: gql(operation.body),
      variables: { productId, file, alt: `Foto de ${name}` },
      errorPolicy: 'all',
    });
    results.push({ file: name, data: data ?? null, errors: errors ?? null });
  } catch (error) {
    results.push({ file: name, data: null, errors: [{ message: String(error) }] });
  }
}
const problems = [];
if (sha256(operation.body) !== operation.id) problems.push('the manifest id is not the body hash');
console.log(JSON.stringify({ ok: problems.length === 0, problems, manifestId: operation.id, wire, results }));
