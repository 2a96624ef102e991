// The session's timing, with fake timers and a fake server: `node --test src/session.test.js`
// (tests/tests/playground.rs runs it; no npm packages needed). Not part of the bundle.
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { Session, tokenExpiry } from './session.js';

const MINUTE = 60_000;
const REMEMBER_KEY = 'textisur.playground.refreshToken';

/** A JWT-shaped token issued now, valid `minutes` (only the payload matters here). */
function accessToken(minutes, serial) {
  const iat = Math.floor(Date.now() / 1000);
  const payload = { sub: '1', iat, exp: iat + minutes * 60, serial };
  const encoded = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return `eyJhbGciOiJIUzI1NiJ9.${encoded}.signature`;
}

const operations = new Map(
  ['Login', 'RefreshSession', 'Logout'].map((name) => [name, { name, body: `mutation ${name}` }]),
);

/** A fake /graphql that issues 15-minute tokens and records what it was sent. */
function fakeServer() {
  const calls = [];
  let serial = 0;
  const tokens = () => {
    serial += 1;
    return {
      accessToken: accessToken(15, serial),
      refreshToken: `refresh-${serial}`,
      user: { id: 'VXNlcjox', name: 'Admin', role: 'ADMIN' },
      userErrors: [],
    };
  };
  globalThis.fetch = async (_url, init) => {
    const body = JSON.parse(init.body);
    calls.push({ name: body.operationName, variables: body.variables, auth: init.headers.authorization });
    const data = {
      Login: () => ({ login: tokens() }),
      RefreshSession: () => ({ refreshSession: tokens() }),
      Logout: () => ({ logout: { ok: true, userErrors: [] } }),
    }[body.operationName]();
    return { ok: true, status: 200, json: async () => ({ data }) };
  };
  return calls;
}

function memoryStorage() {
  const map = new Map();
  return {
    map,
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
  };
}

/** Lets pending promise callbacks (the fake fetch) run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('the expiry comes from the token lifetime, not the local clock', () => {
  const token = accessToken(15, 0);
  assert.equal(tokenExpiry(token, 1_000), 1_000 + 15 * MINUTE);
  assert.equal(tokenExpiry('not a token'), null);
});

test('the session renews itself a minute before the access token expires', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const calls = fakeServer();
    const storage = memoryStorage();
    const session = new Session(operations, { storage });
    await session.login('admin@textisur.example', 'lana de alpaca', false);
    const first = session.snapshot().accessToken;
    assert.equal(storage.map.size, 0, 'nothing stored without "remember me"');

    mock.timers.tick(13 * MINUTE);
    await settle();
    assert.deepEqual(calls.map((c) => c.name), ['Login'], 'too early to renew');

    mock.timers.tick(MINUTE + 1_000);
    await settle();
    assert.deepEqual(calls.map((c) => c.name), ['Login', 'RefreshSession']);
    assert.equal(calls[1].variables.refreshToken, 'refresh-1');
    assert.notEqual(session.snapshot().accessToken, first);
    assert.equal(await session.freshAccessToken(), session.snapshot().accessToken);

    await session.logout();
    assert.equal(calls[2].name, 'Logout');
    assert.equal(calls[2].variables.refreshToken, 'refresh-2');
    assert.match(calls[2].auth, /^Bearer /);
    assert.equal(session.snapshot().user, null);
  } finally {
    mock.timers.reset();
  }
});

test('"remember me" keeps only the refresh token, rotated, and a later visit restores it', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    fakeServer();
    const storage = memoryStorage();
    const session = new Session(operations, { storage });
    await session.login('admin@textisur.example', 'lana de alpaca', true);
    assert.deepEqual([...storage.map.keys()], [REMEMBER_KEY]);
    assert.equal(storage.getItem(REMEMBER_KEY), 'refresh-1');

    const later = new Session(operations, { storage });
    await later.restore();
    assert.equal(later.snapshot().user.role, 'ADMIN');
    assert.equal(storage.getItem(REMEMBER_KEY), 'refresh-2', 'rotated');
    await later.logout();
    assert.equal(storage.map.size, 0);
  } finally {
    mock.timers.reset();
  }
});
