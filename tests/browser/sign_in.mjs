// Browser tests for the ways in: a customer arrives from the shop (portal session), customers and
// staff sign in through a real OpenID provider (tests/oidc/provider.mjs), with JavaScript on and
// off. Started by run.sh against a second server configured for all of them.
// Usage: node tests/browser/sign_in.mjs APP_URL SHOP_PORT SERVICE_TOKEN FEED_TOKEN
import http from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../.tools/package.json'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const [base, shopPort, serviceToken, feedToken] = process.argv.slice(2);
const shop = `http://127.0.0.1:${shopPort}`;
const artifacts = join(here, 'artifacts');
mkdirSync(artifacts, { recursive: true });

let passed = 0;
let failed = 0;
async function check(name, body) {
  try {
    await body();
    passed += 1;
    console.log(`ok   ${name}`);
  } catch (error) {
    failed += 1;
    console.log(`FAIL ${name}\n     ${String(error?.stack ?? error).split('\n').slice(0, 4).join('\n     ')}`);
  }
}
function assert(condition, message) {
  if (!condition) throw new Error(message);
}
async function accessible(page, label) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `${label}: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
}
async function noSideways(page, label) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert(overflow <= 1, `${label} is ${overflow}px wider than the screen`);
}

// The shop: its account page, where "back to your account" leads.
const shopServer = http.createServer((req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
  res.end('<!DOCTYPE html><html lang="en"><head><title>Shop account</title></head><body><h1>Your shop account</h1></body></html>');
});
await new Promise((resolve) => shopServer.listen(Number(shopPort), '127.0.0.1', resolve));

/** What the shop's backend does: asks Einblick for a portal session. */
async function openPortal(body) {
  const response = await fetch(`${base}/api/v1/portal-sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${serviceToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  assert(response.status === 201, `portal session: ${response.status} ${text}`);
  return JSON.parse(text);
}

/** An access to a customer Einblick has never seen, sent by the feed before they come. */
async function feedEvent(customerRef, id) {
  const response = await fetch(`${base}/api/v1/feed/events`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${feedToken}`, 'Content-Type': 'application/cloudevents+json' },
    body: JSON.stringify({
      specversion: '1.0', id, source: '/shop/browser-test', type: 'einblick.access.v1',
      time: '2026-11-25T09:30:00Z', datacontenttype: 'application/json',
      data: {
        customer_ref: customerRef,
        actor: { employee_id: 'E-4242', role: 'cs_agent_t1', team: 'Support Berlin', country: 'DE' },
        data_category: 'purchase_history', action: 'view',
        reason: { code: 'customer_request', text: 'Asked where the parcel is', ticket: 'T-BROWSER-1' },
        system: 'support-console',
      },
    }),
  });
  const text = await response.text();
  assert(response.status === 200 && JSON.parse(text).accepted === 1, `feed: ${response.status} ${text}`);
}

async function fromTheShop(browser) {
  await feedEvent('C-990001', 'evt-browser-portal-1');
  // Made now, used at the very end: a minute later it must no longer work.
  const late = await openPortal({ customer_ref: 'C-990002', return_url: `${shop}/account` });
  const lateMadeAt = Date.now();

  await check('from the shop: a new customer lands on their timeline and goes back to the shop', async () => {
    const session = await openPortal({
      customer_ref: 'C-990001', name: 'Nina Neukundin', locale: 'en-GB', time_zone: 'Europe/Berlin',
      return_url: `${shop}/account?tab=privacy`,
    });
    const context = await browser.newContext({ locale: 'de-DE' });
    const page = await context.newPage();
    await page.goto(session.url);
    assert(page.url().endsWith('/timeline'), `landed on ${page.url()}`);
    await page.waitForSelector('[data-entry-id]');
    assert((await page.locator('[data-entry-id]').count()) === 1, 'the one event the feed stored for this customer');
    assert((await page.locator('.signed-in-as').textContent()).includes('Nina Neukundin'), 'signed in by name');
    // The shop said English; the portal speaks it.
    assert((await page.locator('html').getAttribute('lang')) === 'en', 'English from the shop');
    await page.screenshot({ path: join(artifacts, 'portal-session-timeline.png') });
    await accessible(page, 'timeline from the shop');
    await Promise.all([page.waitForURL(`${shop}/account?tab=privacy`), page.click('a.back-to-shop')]);
    assert((await page.locator('h1').textContent()) === 'Your shop account', 'at the shop');

    // The same link once more, in another browser: a clear page and no session.
    const other = await (await browser.newContext({ locale: 'en-GB' })).newPage();
    const again = await other.goto(session.url);
    assert(again.status() === 410, `reused link answered ${again.status()}`);
    assert((await other.locator('h1').textContent()).includes('no longer works'), 'says the link is spent');
    await other.screenshot({ path: join(artifacts, 'portal-link-spent.png') });
    const cookies = await other.context().cookies();
    assert(!cookies.some((c) => c.name.includes('einblick_session')), 'no session cookie');
    await other.goto(`${base}/timeline`);
    assert(other.url().includes('/login'), 'no session: sent to sign in');
    await other.context().close();
    await context.close();
  });

  await check('from the shop: the timeline fits a phone', async () => {
    const session = await openPortal({ customer_ref: 'C-990001', return_url: `${shop}/account` });
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    await page.goto(session.url);
    await page.waitForSelector('[data-entry-id]');
    await noSideways(page, 'timeline from the shop');
    await page.screenshot({ path: join(artifacts, 'portal-session-mobile.png'), fullPage: true });
    await context.close();
  });

  return async () => {
    await check('from the shop: a link used after 60 seconds signs nobody in', async () => {
      const wait = 61_000 - (Date.now() - lateMadeAt);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const context = await browser.newContext({ locale: 'de-DE' });
      const page = await context.newPage();
      const response = await page.goto(late.url);
      assert(response.status() === 410, `expired link answered ${response.status()}`);
      assert((await page.locator('h1').textContent()).includes('gilt nicht mehr'), 'German: no longer valid');
      await page.goto(`${base}/timeline`);
      assert(page.url().includes('/login'), 'no session');
      await context.close();
    });
  };
}

async function atProvider(page, login) {
  await page.waitForSelector('input[name=login]');
  await page.fill('input[name=login]', login);
  await page.click('button[type=submit]');
}

async function staffSso(browser, javaScript) {
  const label = javaScript ? 'JS on' : 'JS off';
  for (const [login, heading, statistics] of [['analyst', 'analyst', false], ['lead', 'lead', true]]) {
    await check(`${label}: a ${heading} signs in to the back office through the company's provider`, async () => {
      const context = await browser.newContext({ javaScriptEnabled: javaScript, locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' } });
      const page = await context.newPage();
      await page.goto(`${base}/staff/login`);
      if (javaScript) await accessible(page, 'staff sign-in');
      await page.screenshot({ path: join(artifacts, `staff-sign-in-${javaScript ? 'js' : 'nojs'}.png`) });
      await page.click('a[href="/staff/login/sso"]');
      await atProvider(page, login);
      await page.waitForURL(/\/staff$/, { timeout: 10000 }).catch(async (e) => {
        throw new Error(`not at /staff but ${page.url()}: ${(await page.content()).slice(0, 600)}`);
      });
      assert((await page.locator('.signed-in-as').textContent()).length > 0, 'signed in');
      const nav = await page.locator('nav.main-nav').textContent();
      assert(nav.includes('Statistics') === statistics, `statistics link for ${login}: ${nav}`);
      // Signing out also ends the session at the provider (it asks), then comes back.
      await page.click('form.sign-out button');
      await page.waitForURL((url) => !url.toString().startsWith(base), { timeout: 10000 }).catch(async () => {
        throw new Error(`sign-out stayed at ${page.url()}`);
      });
      await page.click('button[value=yes]');
      await page.waitForURL(`${base}/staff/login`);
      await page.goto(`${base}/staff`);
      assert(page.url().includes('/staff/login'), 'signed out here too');
      await context.close();
    });
  }
  await check(`${label}: someone in no Einblick group is refused with a clear page`, async () => {
    const context = await browser.newContext({ javaScriptEnabled: javaScript, locale: 'en-GB' });
    const page = await context.newPage();
    await page.goto(`${base}/staff/login/sso`);
    await atProvider(page, 'marketing');
    await page.waitForSelector('h1');
    assert((await page.locator('h1').textContent()).includes('No access'), 'refusal page');
    await page.goto(`${base}/staff`);
    assert(page.url().includes('/staff/login'), 'no session');
    await context.close();
  });
}

async function customerOidc(browser, javaScript) {
  const label = javaScript ? 'JS on' : 'JS off';
  await check(`${label}: a customer signs in with the retailer's customer account`, async () => {
    const context = await browser.newContext({ javaScriptEnabled: javaScript, locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' } });
    const page = await context.newPage();
    await page.goto(`${base}/login`);
    if (javaScript) await accessible(page, 'customer sign-in with every way');
    await page.screenshot({ path: join(artifacts, `customer-sign-in-ways-${javaScript ? 'js' : 'nojs'}.png`), fullPage: true });
    await page.click('a[href^="/login/oidc"]');
    await atProvider(page, 'nora');
    await page.waitForURL(/\/timeline$/);
    assert((await page.locator('.signed-in-as').textContent()).includes('Nora'), 'signed in');
    await context.close();
  });
}

async function mobileSignIn(browser) {
  await check('mobile: the sign-in pages fit a phone', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    for (const path of ['/login', '/staff/login', '/account/forgot-password']) {
      await page.goto(`${base}${path}`);
      await noSideways(page, path);
      await page.screenshot({ path: join(artifacts, `sign-in${path.replaceAll('/', '-')}-mobile.png`), fullPage: true });
    }
    await context.close();
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const afterAMinute = await fromTheShop(browser);
  await staffSso(browser, true);
  await staffSso(browser, false);
  await customerOidc(browser, true);
  await customerOidc(browser, false);
  await mobileSignIn(browser);
  await afterAMinute();
} finally {
  await browser.close();
  shopServer.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
