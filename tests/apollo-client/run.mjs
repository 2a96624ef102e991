// Apollo Client's persisted-queries link against the real server and Redis.
// Usage: node run.mjs <base-url> [<second-base-url>]
//
// Every request the clients make goes through a recording fetch, so each step is proved from
// the wire, not from data coming back (the link silently resends the text after any miss):
//   1. miss:     client A POSTs the hash alone      -> PERSISTED_QUERY_NOT_FOUND
//   2. register: the link resends text + hash (POST) -> data
//   3. hit POST: a fresh client B POSTs the hash alone -> data, one request
//   4. hit GET:  a fresh client C (useGETForHashedQueries) GETs the hash alone -> data, one
//                request, no query text in the URL, a public Cache-Control
//   5. (with a second base URL) hit GET on another server on the same Redis: the hash is
//      known from Redis, not from the first server's memory.
// The operation's name carries a random nonce, so the first request really misses on a Redis
// shared with other tests and earlier runs. Prints the wire, then one JSON summary line;
// exits 1 on any failed check.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';

// Apollo Client 3 has no `exports` map: its CommonJS entry points are the ones node resolves.
const require = createRequire(import.meta.url);
const { ApolloClient, HttpLink, InMemoryCache, gql } = require('@apollo/client/core');
const { createPersistedQueryLink } = require('@apollo/client/link/persisted-queries');

const [base, secondBase] = process.argv.slice(2);
if (!base) {
  console.error('usage: node run.mjs <base-url> [<second-base-url>]');
  process.exit(2);
}
setTimeout(() => {
  console.log(JSON.stringify({ ok: false, problems: ['timed out after 60 s'] }));
  process.exit(1);
}, 60_000).unref();

const OPERATION = `ApolloApq_${randomBytes(8).toString('hex')}`;
const DOCUMENT = gql(`
  query ${OPERATION}($q: String!, $first: Int!) {
    products(query: $q, first: $first) { totalCount nodes { name } }
  }
`);
const VARIABLES = { q: 'camisa', first: 3 };
const sha256 = (text) => createHash('sha256').update(text).digest('hex');

/** Every request and its response, in order. */
const wire = [];
let step = 'setup';

/** A fetch that records what goes out and what comes back, for the client named `client`. */
function recordingFetch(client) {
  return async (input, init = {}) => {
    const url = new URL(typeof input === 'string' ? input : input.url);
    const method = (init.method ?? 'GET').toUpperCase();
    const body = typeof init.body === 'string' ? JSON.parse(init.body) : null;
    const params = url.searchParams;
    const extensions =
      body?.extensions ?? (params.has('extensions') ? JSON.parse(params.get('extensions')) : null);
    const queryText = body?.query ?? params.get('query') ?? null;
    const entry = {
      step,
      client,
      method,
      host: url.host,
      path: url.pathname,
      operationName: body?.operationName ?? params.get('operationName'),
      sentQueryText: typeof queryText === 'string' && queryText.length > 0,
      queryText,
      // The text or any piece of it in the URL, as a parameter or otherwise.
      urlHasQueryText:
        params.has('query') || decodeURIComponent(url.search).includes('products('),
      urlLength: url.href.length,
      hash: extensions?.persistedQuery?.sha256Hash ?? null,
    };
    wire.push(entry);
    const response = await fetch(input, init);
    const text = await response.clone().text();
    let json = null;
    try {
      json = JSON.parse(text);
    } catch {
      entry.bodyText = text.slice(0, 200);
    }
    Object.assign(entry, {
      status: response.status,
      contentType: response.headers.get('content-type'),
      cacheControl: response.headers.get('cache-control'),
      errorCodes: (json?.errors ?? []).map((e) => e.extensions?.code ?? null),
      errorMessages: (json?.errors ?? []).map((e) => e.message),
      data: json?.data ?? null,
    });
    return response;
  };
}

/** A client of its own (own link, own hash cache, no result cache) on `server`. */
function client(name, server, { get }) {
  return new ApolloClient({
    link: createPersistedQueryLink({ sha256, useGETForHashedQueries: get }).concat(
      new HttpLink({ uri: `${server}/graphql`, fetch: recordingFetch(name) }),
    ),
    cache: new InMemoryCache(),
    defaultOptions: { query: { fetchPolicy: 'no-cache' } },
  });
}

async function redisHealth(server) {
  const response = await fetch(`${server}/health/ready`);
  return (await response.json())?.checks?.redis;
}

/** Runs the operation as step `name` and returns the requests that step put on the wire. */
async function run(name, apollo) {
  step = name;
  const before = wire.length;
  const result = await apollo.query({ query: DOCUMENT, variables: VARIABLES });
  assert.equal(result.errors, undefined, `${name}: errors from Apollo`);
  assert.ok(result.data?.products, `${name}: Apollo returned no products`);
  return { requests: wire.slice(before), data: result.data };
}

const problems = [];
const check = (label, fn) => {
  try {
    fn();
  } catch (error) {
    const show = (value) => JSON.stringify(value)?.slice(0, 200);
    const values =
      error instanceof assert.AssertionError
        ? ` (actual ${show(error.actual)}, expected ${show(error.expected)})`
        : '';
    problems.push(`${label}: ${error.message.split('\n')[0]}${values}`);
  }
};
const names = (entry) => entry.data?.products?.nodes?.map((n) => n.name);
/** A hash-only request answered with data: a hit. */
const isHit = (entry, method, hash) => {
  assert.equal(entry.method, method, 'method');
  assert.equal(entry.sentQueryText, false, 'the query text was sent');
  assert.equal(entry.urlHasQueryText, false, 'the URL holds query text');
  assert.equal(entry.hash, hash, 'hash');
  assert.equal(entry.operationName, OPERATION, 'operationName');
  assert.equal(entry.status, 200, 'status');
  assert.deepEqual(entry.errorCodes, [], 'errors');
  assert.ok(entry.data?.products, 'data');
};

let hash = null;
let registeredQuery = null;
const redis = {};
try {
  redis.before = await redisHealth(base);
  check('redis before', () => assert.equal(redis.before, 'ok'));

  // 1 + 2: the miss, and the link's retry with the text, which registers it.
  const a = await run('miss+register', client('A', base, { get: false }));
  check('miss+register: two requests', () => assert.equal(a.requests.length, 2));
  const [miss, register] = a.requests;
  hash = miss?.hash ?? null;
  registeredQuery = register?.queryText ?? null;
  check('miss', () => {
    assert.equal(miss.method, 'POST', 'method');
    assert.equal(miss.sentQueryText, false, 'the query text was sent');
    assert.match(miss.hash ?? '', /^[0-9a-f]{64}$/, 'hash');
    assert.equal(miss.status, 200, 'status');
    assert.deepEqual(miss.errorCodes, ['PERSISTED_QUERY_NOT_FOUND'], 'error code');
    assert.deepEqual(miss.errorMessages, ['PersistedQueryNotFound'], 'error message');
    assert.equal(miss.data, null, 'data');
  });
  check('register', () => {
    assert.equal(register.method, 'POST', 'method');
    assert.equal(register.sentQueryText, true, 'the query text was not sent');
    assert.equal(register.hash, hash, 'hash');
    assert.equal(sha256(register.queryText), hash, 'sha256 of the text sent');
    assert.ok(register.queryText.includes(OPERATION), 'the text names the operation');
    assert.equal(register.status, 200, 'status');
    assert.deepEqual(register.errorCodes, [], 'errors');
    assert.ok(register.data.products.totalCount > 0, 'no product matched');
    assert.ok(names(register).length > 0, 'no product came back');
  });

  // 3: a fresh client (nothing remembered in the link) sends the hash alone over POST.
  const b = await run('hit POST', client('B', base, { get: false }));
  check('hit POST: one request', () => assert.equal(b.requests.length, 1));
  check('hit POST', () => {
    isHit(b.requests[0], 'POST', hash);
    assert.deepEqual(b.requests[0].data, register.data, 'same data as the registration');
  });

  // 4: the same over GET, the way a CDN could cache it.
  const c = await run('hit GET', client('C', base, { get: true }));
  check('hit GET: one request', () => assert.equal(c.requests.length, 1));
  check('hit GET', () => {
    isHit(c.requests[0], 'GET', hash);
    assert.deepEqual(c.requests[0].data, register.data, 'same data as the registration');
    assert.match(c.requests[0].cacheControl ?? '', /^public/, 'Cache-Control');
  });

  // 5: another server on the same Redis has never seen the text: it knows the hash from Redis.
  if (secondBase) {
    const d = await run('hit GET (other server)', client('D', secondBase, { get: true }));
    check('hit GET (other server): one request', () => assert.equal(d.requests.length, 1));
    check('hit GET (other server)', () => {
      assert.equal(d.requests[0].host, new URL(secondBase).host, 'host');
      isHit(d.requests[0], 'GET', hash);
      assert.deepEqual(names(d.requests[0]), names(register), 'same products');
    });
  }
  redis.after = await redisHealth(base);
  check('redis after', () => assert.equal(redis.after, 'ok'));
} catch (error) {
  problems.push(`${step}: ${error.message.split('\n')[0]}`);
}

for (const e of wire) {
  const sent = e.sentQueryText ? 'text+hash' : 'hash only';
  const answer = e.errorCodes?.length ? e.errorCodes.join(',') : e.data ? 'data' : 'no data';
  console.log(
    `${e.step.padEnd(24)} ${e.client} ${e.method.padEnd(4)} ${e.host} ${sent.padEnd(9)} ` +
      `urlHasQueryText=${e.urlHasQueryText} -> ${e.status} ${answer}` +
      (e.method === 'GET' ? ` (Cache-Control: ${e.cacheControl})` : ''),
  );
}
const summary = {
  ok: problems.length === 0,
  operationName: OPERATION,
  hash,
  registeredQuery,
  redis,
  steps: wire.map((e) => ({
    step: e.step,
    client: e.client,
    method: e.method,
    host: e.host,
    sentQueryText: e.sentQueryText,
    urlHasQueryText: e.urlHasQueryText,
    hash: e.hash,
    status: e.status,
    errorCodes: e.errorCodes,
    totalCount: e.data?.products?.totalCount ?? null,
    cacheControl: e.cacheControl,
  })),
  products: wire[1] ? names(wire[1]) : null,
  problems,
};
console.log(JSON.stringify(summary));
process.exit(problems.length === 0 ? 0 : 1);
