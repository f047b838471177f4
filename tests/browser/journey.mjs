// Browser tests: a real Chromium drives the real server, with JavaScript on (hydrated) and off.
// Usage: node tests/browser/journey.mjs http://127.0.0.1:PORT
// Prints "N passed, N failed" and exits non-zero on any failure.
import { createRequire } from 'node:module';
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(here, '../../.tools/package.json'));
const { chromium } = require('playwright-core');
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

const base = process.argv[2] ?? 'http://127.0.0.1:3000';
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

/** No serious or critical axe-core violations on the current page. */
async function accessible(page, label) {
  // Evaluated over the DevTools protocol: an injected <script> tag would (rightly) be blocked by
  // the page's Content-Security-Policy.
  await page.evaluate(axeSource);
  const results = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  assert(bad.length === 0, `${label}: ${bad.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`).join('; ')}`);
}

async function entryCount(page) {
  return await page.locator('[data-entry-id]').count();
}

async function signIn(page, email) {
  await page.goto(`${base}/login`);
  await page.fill('#email', email);
  await page.fill('#password', 'einblick-demo');
  await Promise.all([page.waitForURL(/\/timeline/), page.click('.login-form button[type=submit]')]);
}

async function journey(browser, javaScript) {
  const label = javaScript ? 'JS on' : 'JS off';
  const context = await browser.newContext({ javaScriptEnabled: javaScript, locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  page.on('pageerror', (error) => consoleErrors.push(String(error)));

  await check(`${label}: the sign-in page is German for a German browser and accessible`, async () => {
    await page.goto(`${base}/login`);
    assert((await page.locator('h1').textContent()).includes('Anmelden'), 'German heading');
    if (javaScript) await accessible(page, 'login');
  });

  await check(`${label}: a wrong password gets a clear message`, async () => {
    await page.fill('#email', 'anna@example.com');
    await page.fill('#password', 'falsch');
    await Promise.all([page.waitForURL(/error=invalid/), page.click('.login-form button[type=submit]')]);
    assert((await page.locator('[role=alert]').textContent()).includes('nicht korrekt'), 'error message');
  });

  await check(`${label}: a demo customer signs in and sees her timeline`, async () => {
    await signIn(page, 'anna@example.com');
    await page.waitForSelector('[data-entry-id]');
    assert((await entryCount(page)) === 50, 'fifty entries on the first page');
    assert((await page.locator('h1').textContent()).includes('Zugriffe auf Ihre Daten'), 'timeline heading');
    assert((await page.locator('.day-heading').count()) > 1, 'grouped by day');
    assert((await page.locator('.coverage').textContent()).includes('Support Console'), 'systems covered');
    if (javaScript) {
      await page.waitForSelector('html[data-hydrated=true]', { timeout: 20000 });
      await accessible(page, 'timeline');
    }
    await page.screenshot({ path: join(artifacts, `timeline-${javaScript ? 'js' : 'nojs'}.png`), fullPage: false });
  });

  await check(`${label}: a role's description opens on demand`, async () => {
    const first = page.locator('.entry-role').first();
    await first.locator('summary').click();
    assert(await first.locator('.role-description').isVisible(), 'description visible');
  });

  await check(`${label}: filtering by reason shows only unexplained accesses`, async () => {
    await page.selectOption('#filter-reason', 'none');
    await Promise.all([page.waitForURL(/reason=none/), page.click('.filters button[type=submit]')]);
    await page.waitForSelector('[data-entry-id]');
    const reasons = await page.locator('.entry-reason').allTextContents();
    assert(reasons.length > 0, 'some entries');
    assert(reasons.every((r) => r.includes('Kein Grund angegeben')), `only no-reason entries: ${reasons.slice(0, 3)}`);
    assert((await page.inputValue('#filter-reason')) === 'none', 'the form keeps the choice');
  });

  await check(`${label}: "show older" pages through the timeline`, async () => {
    await page.goto(`${base}/timeline`);
    await page.waitForSelector('[data-entry-id]');
    if (javaScript) await page.waitForSelector('html[data-hydrated=true]', { timeout: 20000 });
    const firstIds = await page.locator('[data-entry-id]').evaluateAll((els) => els.map((e) => e.dataset.entryId));
    await Promise.all([page.waitForURL(/cursor=/), page.click('.pager a.button')]);
    await page.waitForFunction((first) => {
      const ids = [...document.querySelectorAll('[data-entry-id]')].map((e) => e.dataset.entryId);
      return ids.length > 0 && !ids.includes(first);
    }, firstIds[0]);
    const olderIds = await page.locator('[data-entry-id]').evaluateAll((els) => els.map((e) => e.dataset.entryId));
    assert(olderIds.every((id) => !firstIds.includes(id)), 'older page has other entries');
    assert(await page.locator('text=Zu den neuesten Einträgen').isVisible(), 'way back to newest');
  });

  await check(`${label}: the language switch turns the page English and persists`, async () => {
    await Promise.all([page.waitForURL(/cursor=/), page.click('button[name=lang][value=en]')]);
    await page.waitForSelector('html[lang=en]');
    assert((await page.locator('h1').textContent()).includes('Accesses to your data'), 'English heading');
    await page.goto(`${base}/timeline`);
    assert((await page.locator('html').getAttribute('lang')) === 'en', 'still English after reload');
    if (javaScript) await accessible(page, 'timeline (English)');
  });

  await check(`${label}: signing out ends the session`, async () => {
    await Promise.all([page.waitForURL(/notice=signed_out/), page.click('.sign-out button')]);
    await page.goto(`${base}/timeline`);
    assert(page.url().includes('/login'), 'back at sign-in');
  });

  if (javaScript) {
    await check('JS on: no errors in the browser console', async () => {
      assert(consoleErrors.length === 0, consoleErrors.join('\n'));
    });
  }
  await context.close();
}

async function mobile(browser) {
  await check('mobile: the timeline fits a phone screen without sideways scrolling', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    await signIn(page, 'mara@example.com');
    await page.waitForSelector('[data-entry-id]');
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `page is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(artifacts, 'timeline-mobile.png') });
    await context.close();
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  await journey(browser, true);
  await journey(browser, false);
  await mobile(browser);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
