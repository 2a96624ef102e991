// End-to-end test of /playground in headless Chromium (Debian's /usr/bin/chromium; no
// browser download). Usage: node run.mjs <base-url> <screenshot-path>
//
// Opens the playground, signs in as the seeded admin, checks the trusted operations' tabs and
// the docs (introspection), types a products search into the editor, runs it and waits for a
// product name the server returned to show in the response pane and the history; then checks
// that no token sits in localStorage and that logging out ends the session on the server
// (renewal before expiry is timed in playground/src/session.test.js). Fails on any
// request to another origin, a missing Content-Security-Policy, a CSP violation, a console
// error or an uncaught page error. Prints one JSON summary line.
import { chromium } from 'playwright-core';

const [base, screenshot] = process.argv.slice(2);
if (!base || !screenshot) {
  console.error('usage: node run.mjs <base-url> <screenshot-path>');
  process.exit(2);
}
const origin = new URL(base).origin;
const ADMIN = { email: 'admin@textisur.example', password: 'lana de alpaca' };
const QUERY = '{ products(query: "lino", first: 3) { nodes { name } } }';
const TIMEOUT = 30_000;

/** Polls `condition` (state this script records) until it holds; throws `failure` after TIMEOUT. */
async function waitUntil(condition, failure) {
  const deadline = Date.now() + TIMEOUT;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(failure);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const problems = [];
const requests = [];
const exchanges = [];
let page;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
  ],
});
const started = Date.now();
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
  page = await context.newPage();
  page.setDefaultTimeout(TIMEOUT);
  // Injected by the browser (not a page script), so the policy under test does not apply.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  const productNames = [];
  page.on('response', async (response) => {
    if (!response.url().startsWith(`${origin}/graphql`)) return;
    const sent = response.request().postData() ?? '';
    const body = await response.json().catch(() => null);
    const query = JSON.parse(sent || '{}').query ?? '';
    exchanges.push(`${response.status()} ${query.replace(/\s+/g, ' ').slice(0, 60)} -> ${JSON.stringify(body).slice(0, 160)}`);
    if (!sent.includes('products(query')) return;
    for (const node of body?.data?.products?.nodes ?? []) productNames.push(node.name);
  });

  const response = await page.goto(`${origin}/playground`);
  const csp = response.headers()['content-security-policy'] ?? '';
  if (response.status() !== 200) problems.push(`GET /playground: ${response.status()}`);
  if (!/script-src 'self'/.test(csp) || /unsafe-eval/.test(csp)) {
    problems.push(`weak or missing Content-Security-Policy: "${csp}"`);
  }

  await page.fill('#login-email', ADMIN.email);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#session-status', { hasText: '(ADMIN)' }).waitFor();

  // The trusted operations are the ready-made tabs.
  for (const name of ['SearchPage', 'ProductPage', 'StorePage']) {
    await page.locator('.graphiql-tab', { hasText: name }).first().waitFor();
  }
  // The docs come from introspection, which only an admin may run in production.
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  await page.getByText('Root Types').waitFor();
  await page.getByRole('button', { name: 'Show GraphiQL Explorer' }).click();

  // A fresh tab, then the query typed into its editor.
  await page.getByRole('button', { name: 'New tab' }).click();
  await page.locator('.graphiql-tab-active', { hasText: '<untitled>' }).waitFor();
  await page.locator('.graphiql-query-editor .monaco-editor').first().click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(QUERY);
  // GraphiQL reads the operation 100 ms after the last keystroke and stores it: run after.
  await page.waitForFunction((q) => localStorage.getItem('graphiql:query') === q, QUERY);
  await page.getByRole('button', { name: /execute query/i }).click();

  await waitUntil(() => productNames.length > 0, 'the products search returned no product');
  const pane = page.locator('.graphiql-response');
  await pane.filter({ hasText: productNames[0] }).waitFor();
  const paneText = (await pane.innerText()).replace(/\u00a0/g, ' ');
  await page.getByRole('button', { name: 'Show History' }).click();
  await page.locator('.graphiql-history-item', { hasText: 'products' }).first().waitFor();

  await page.screenshot({ path: screenshot, fullPage: false });

  // Tokens stay in memory: nothing in localStorage looks like one ("remember me" is off).
  const stored = await page.evaluate(() => Object.entries(localStorage));
  const leaked = stored.filter(([k, v]) => /refreshToken/i.test(k) || /eyJ[\w-]+\.eyJ/.test(v));
  problems.push(...leaked.map(([key]) => `token in localStorage: ${key}`));

  // Renewal before expiry is timed in playground/src/session.test.js (fake timers).
  await page.click('#logout');
  await page.locator('#login-email').waitFor();
  if (!exchanges.some((e) => /^200 mutation Logout.*"ok":true/.test(e))) {
    problems.push('logout did not end the session on the server');
  }

  const violations = await page.evaluate(() => window.__cspViolations);
  problems.push(...violations.map((v) => `CSP violation: ${v}`));
  // data: and blob: URLs are made in the page (Monaco's workers and fonts): no network.
  const offsite = requests.filter(
    (url) => !url.startsWith(`${origin}/`) && !/^(data|blob):/.test(url),
  );
  problems.push(...offsite.map((url) => `request to another origin: ${url}`));

  console.log(
    JSON.stringify({
      ok: problems.length === 0,
      csp,
      requests: requests.length,
      offsite: offsite.length,
      firstProduct: productNames[0],
      paneHasProduct: paneText.includes(productNames[0]),
      seconds: (Date.now() - started) / 1000,
      problems,
    }),
  );
} catch (error) {
  problems.push(`failed: ${error.message}`);
  const pane = await page?.locator('.graphiql-query-editor').innerText().catch(() => '');
  await page?.screenshot({ path: screenshot }).catch(() => {});
  console.log(JSON.stringify({ ok: false, problems, exchanges, editor: pane, requests }));
} finally {
  await browser.close();
}
process.exit(problems.length === 0 ? 0 : 1);
