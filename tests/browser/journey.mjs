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

/** Waits until the browser has taken the page over, or until it is clear it never will: pages
 * that work as plain HTML (the timeline) get no browser code and say so with
 * `data-browser-code="none"`. */
async function ready(page) {
  await page.waitForSelector('html[data-hydrated=true], html[data-browser-code=none]', { timeout: 20000 });
}

/** Clicks "show older" and waits until other entries have replaced the first one shown (with the
 * browser's code the URL changes first and the entries a moment later). */
async function showOlder(page) {
  const entryIds = () => page.locator('[data-entry-id]').evaluateAll((els) => els.map((e) => e.dataset.entryId));
  const firstIds = await entryIds();
  await Promise.all([page.waitForURL(/cursor=/), page.click('.pager a.button')]);
  await page.waitForFunction((first) => {
    const ids = [...document.querySelectorAll('[data-entry-id]')].map((e) => e.dataset.entryId);
    return ids.length > 0 && !ids.includes(first);
  }, firstIds[0]);
  return { firstIds, olderIds: await entryIds() };
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
      await ready(page);
      assert((await page.locator('html').getAttribute('data-browser-code')) === 'none', 'the timeline needs no browser code');
      await accessible(page, 'timeline');
    }
    await page.screenshot({ path: join(artifacts, `timeline-${javaScript ? 'js' : 'nojs'}.png`), fullPage: false });
  });

  await check(`${label}: a role's description opens on demand`, async () => {
    const first = page.locator('.entry-role').first();
    await first.locator('summary').click();
    assert(await first.locator('.role-description').isVisible(), 'description visible');
  });

  await check(`${label}: an entry's proof downloads as a bundle anyone can verify`, async () => {
    const link = page.locator('.entry-verify').first();
    assert((await link.getAttribute('aria-describedby')) === 'proof-hint', 'the link is described by the hint');
    assert((await page.locator('#proof-hint').textContent()).includes('signierten'), 'the page says what a proof proves');
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    assert(/^einblick-proof-\d+\.json$/.test(download.suggestedFilename()), `file name ${download.suggestedFilename()}`);
    const bundle = JSON.parse(readFileSync(await download.path(), 'utf8'));
    assert(bundle.format === 'einblick.proof-bundle.v2', `a proof bundle (${bundle.format})`);
    const leaf = JSON.parse(bundle.leaf);
    assert(leaf.format === 'einblick.access-leaf.v2', `a v2 leaf (${leaf.format})`);
    assert(leaf.customer.startsWith('hmac-sha256:'), 'no customer number in the leaf');
    const access = JSON.parse(bundle.access);
    assert(access.data.actor.employee.startsWith('hmac-sha256:'), 'the employee only as a keyed hash');
    assert(!JSON.stringify(bundle).includes('employee_id'), 'no employee id anywhere in the bundle');
    assert(bundle.inclusion_proof.length > 5, 'an inclusion path');
    assert(page.url().includes('/timeline'), 'still on the timeline');
  });

  await check(`${label}: filtering by reason shows only unexplained accesses`, async () => {
    await page.selectOption('#filter-reason', 'none');
    await Promise.all([page.waitForURL(/reason=none/), page.click('.filters button[type=submit]')]);
    await page.waitForSelector('[data-entry-id]');
    // With JS on the URL changes first and the filtered entries replace the old ones a moment
    // later: wait for that (or time out and let the assertion below say what is shown).
    await page.waitForFunction(() => {
      const reasons = [...document.querySelectorAll('.entry-reason')];
      return reasons.length > 0 && reasons.every((r) => r.textContent.includes('Kein Grund angegeben'));
    }, null, { timeout: 15000 }).catch(() => {});
    const reasons = await page.locator('.entry-reason').allTextContents();
    assert(reasons.length > 0, 'some entries');
    assert(reasons.every((r) => r.includes('Kein Grund angegeben')), `only no-reason entries: ${reasons.slice(0, 3)}`);
    assert((await page.inputValue('#filter-reason')) === 'none', 'the form keeps the choice');
  });

  await check(`${label}: "show older" pages through the timeline`, async () => {
    await page.goto(`${base}/timeline`);
    await page.waitForSelector('[data-entry-id]');
    if (javaScript) await ready(page);
    const { firstIds, olderIds } = await showOlder(page);
    assert(olderIds.every((id) => !firstIds.includes(id)), 'older page has other entries');
    assert(await page.locator('text=Zu den neuesten Einträgen').isVisible(), 'way back to newest');
  });

  if (javaScript) {
    await check('JS on: reached from a page with browser code, the timeline is drawn in the browser', async () => {
      await page.goto(`${base}/disputes`);
      await page.waitForSelector('html[data-hydrated=true]', { timeout: 20000 });
      // A page load would forget this mark.
      await page.evaluate(() => { window.einblickStillHere = true; });
      await Promise.all([page.waitForURL(/\/timeline$/), page.click('.main-nav a[href="/timeline"]')]);
      await page.waitForSelector('[data-entry-id]');
      assert((await entryCount(page)) === 50, 'fifty entries');
      await showOlder(page);
      assert(await page.evaluate(() => window.einblickStillHere === true), 'the router drew both pages, without a page load');
      assert((await page.locator('.entry-reason').first().textContent()).trim().length > 0, 'entries with their reasons');
    });
  }

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

async function staffSignIn(page, email) {
  await page.goto(`${base}/staff/login`);
  await page.fill('#email', email);
  await page.fill('#password', 'einblick-demo');
  await Promise.all([page.waitForURL(/\/staff$/), page.click('.login-form button[type=submit]')]);
}

/** Customer disputes → analyst reviews → lead decides → customer reads the answer. */
async function disputeJourney(browser, javaScript) {
  const label = `${javaScript ? 'JS on' : 'JS off'}, dispute`;
  const newContext = () => browser.newContext({ javaScriptEnabled: javaScript, locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
  const customerContext = await newContext();
  const customer = await customerContext.newPage();
  const consoleErrors = [];
  customer.on('pageerror', (error) => consoleErrors.push(String(error)));
  let reference = '';
  let disputedIds = [];
  const hydrated = async (page) => { if (javaScript) await ready(page); };

  await check(`${label}: a customer selects two entries and disputes them`, async () => {
    // Each run disputes another customer's entries, so the second never disputes the first's staff looks.
    await signIn(customer, javaScript ? 'ben@example.com' : 'mara@example.com');
    await customer.waitForSelector('[data-entry-id]');
    await hydrated(customer);
    const boxes = customer.locator('input.entry-select');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    disputedIds = [await boxes.nth(0).getAttribute('value'), await boxes.nth(1).getAttribute('value')];
    await Promise.all([customer.waitForURL(/\/disputes\/new\?event=/), customer.click('.selection-bar button')]);
    await customer.waitForSelector('.dispute-form');
    await hydrated(customer);
    assert((await customer.locator('.disputed-entries [data-entry-id]').count()) === 2, 'both entries on the form');
    assert((await customer.locator('.due-note').textContent()).includes('spätestens am'), 'the due date is announced');
    if (javaScript) await accessible(customer, 'dispute form');
    await customer.check('#ground-never_contacted');
    await customer.fill('#statement', 'Ich hatte an diesen Tagen keinen Kontakt mit Ihnen.');
    await Promise.all([customer.waitForURL(/notice=filed/), customer.click('.dispute-form button[type=submit]')]);
    reference = customer.url().match(/disputes\/(EB-[0-9A-Z]{4}-[0-9A-Z]{4})/)[1];
    const notice = await customer.locator('[role=status]').first().textContent();
    assert(notice.includes(reference), `confirmation names the reference: ${notice}`);
    if (javaScript) await accessible(customer, 'dispute detail');
  });

  await check(`${label}: "My disputes" lists the new case with its status`, async () => {
    await customer.goto(`${base}/disputes`);
    const row = customer.locator('tr', { hasText: reference });
    assert((await row.locator('.status').textContent()).includes('Eingegangen'), 'status in words');
    if (javaScript) { await hydrated(customer); await accessible(customer, 'my disputes'); }
  });

  const analystContext = await newContext();
  const analyst = await analystContext.newPage();
  await check(`${label}: the analyst finds the case in the queue and sees who accessed`, async () => {
    await staffSignIn(analyst, 'analyst@einblick.example');
    assert(await analyst.locator(`a:text("${reference}")`).isVisible(), 'case in the queue');
    if (javaScript) { await hydrated(analyst); await accessible(analyst, 'queue'); }
    await Promise.all([analyst.waitForURL(new RegExp(`/staff/disputes/${reference}`)), analyst.click(`a:text("${reference}")`)]);
    await analyst.waitForSelector('.case-event');
    assert((await analyst.locator('.case-event').count()) === 2, 'both disputed events');
    assert(/^E-\d+$/.test((await analyst.locator('.employee-id').first().textContent()).trim()), 'the real employee id');
    assert((await analyst.locator('.employee-context').first().textContent()).includes('Zugriffe'), 'context figures');
    assert((await analyst.locator('form[action$="/decide"]').count()) === 0, 'no decide form for an analyst');
    if (javaScript) { await hydrated(analyst); await accessible(analyst, 'case view'); }
    await Promise.all([analyst.waitForURL(/notice=saved/), analyst.click('form[action$="/review"] button')]);
    await analyst.fill('#message-text', 'Wir prüfen die Zugriffe mit dem Team.');
    await Promise.all([analyst.waitForURL(/notice=saved/), analyst.click('form[action$="/message"] button')]);
    assert((await analyst.locator('.case-history').textContent()).includes('Wir prüfen die Zugriffe'), 'message in the history');
  });

  const leadContext = await newContext();
  const lead = await leadContext.newPage();
  await check(`${label}: the lead decides`, async () => {
    await staffSignIn(lead, 'lead@einblick.example');
    await lead.goto(`${base}/staff/disputes/${reference}`);
    await hydrated(lead);
    await lead.check('#outcome-rejected');
    await lead.fill('#explanation', 'Die Zugriffe gehörten zu Ihrer Rücksendung vom selben Tag.');
    await lead.fill('#internal-note', 'Ticket geprüft, alles in Ordnung.');
    await Promise.all([lead.waitForURL(/notice=saved/), lead.click('form[action$="/decide"] button')]);
    assert((await lead.locator('.case-facts .status').textContent()).includes('Abgelehnt'), 'decided');
  });

  await check(`${label}: the customer reads the answer, and the staff look in her timeline`, async () => {
    await customer.goto(`${base}/disputes/${reference}`);
    const answer = await customer.locator('.answer').textContent();
    assert(answer.includes('Rücksendung vom selben Tag'), 'the explanation');
    const page = await customer.content();
    assert(!page.includes('Ticket geprüft'), 'internal note stays inside');
    assert((await customer.locator('.case-history').textContent()).includes('Wir prüfen die Zugriffe'), 'the thread');
    await customer.goto(`${base}/timeline`);
    const newest = customer.locator('[data-entry-id]').first();
    assert((await newest.locator('.role-label').textContent()).includes('Datenschutz'), 'privacy staff role in the timeline');
    assert((await newest.locator('.entry-ticket').textContent()).includes(reference), 'the case as ticket');
  });

  if (javaScript) {
    await check(`${label}: no errors in the browser console`, async () => {
      assert(consoleErrors.length === 0, consoleErrors.join('\n'));
    });
  }
  await customerContext.close();
  await analystContext.close();
  await leadContext.close();
}

async function adminPages(browser) {
  await check('admin: the feed and account pages are reachable, readable and accessible', async () => {
    const context = await browser.newContext({ locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' } });
    const page = await context.newPage();
    await page.goto(`${base}/staff/login`);
    await page.fill('#email', 'admin@einblick.example');
    await page.fill('#password', 'einblick-demo');
    await Promise.all([page.waitForURL(/\/staff\/admin\/feed$/), page.click('.login-form button[type=submit]')]);
    await ready(page);
    assert((await page.locator('h1').textContent()).includes('Feed'), 'feed page');
    await accessible(page, 'feed admin');
    await page.fill('#token-label', 'Browser test');
    await page.fill('#token-sources', '/crm/browser-test');
    await Promise.all([page.waitForURL(/\/staff\/admin\/feed\/tokens$/), page.click('#new-token button')]);
    assert((await page.locator('#new-token').textContent()).startsWith('ebf_'), 'the token is shown once');
    await page.goto(`${base}/staff/admin/staff`);
    assert((await page.locator('tr[data-staff-email="analyst@einblick.example"]').count()) === 1, 'accounts listed');
    await ready(page);
    await accessible(page, 'staff accounts');
    await context.close();
  });
}

/** The access report form and its print-ready HTML; regulator cases; statistics with charts. */
async function reportPages(browser, javaScript) {
  const label = javaScript ? 'JS on' : 'JS off';
  await check(`${label}: a customer downloads her access report as a print-ready page`, async () => {
    const context = await browser.newContext({ javaScriptEnabled: javaScript, locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
    const page = await context.newPage();
    await signIn(page, 'anna@example.com');
    await page.click('nav.main-nav a[href="/reports"]');
    await page.waitForURL(/\/reports$/);
    if (javaScript) await ready(page);
    // One accessibility check of the form, with JS on: axe-core crashes Chromium on this page's
    // date fields when scripts are off (the markup is the same either way).
    if (javaScript) await accessible(page, 'report form');
    await page.fill('#from', '2026-01-01');
    await page.fill('#to', '2026-06-30');
    await page.check('#format-html');
    await Promise.all([page.waitForURL(/\/reports\/access\?/), page.click('.report-form button[type=submit]')]);
    assert((await page.locator('h1').textContent()).includes('Auskunft'), 'report title');
    assert((await page.locator('#period').textContent()).includes('2026-01-01 – 2026-06-30'), 'the period');
    assert(/^[0-9a-f]{64}$/.test((await page.locator('#content-sha256').textContent()).trim()), 'the checksum');
    assert((await page.locator('#rights').count()) === 1, 'the rights section');
    assert((await page.locator('#log-checkpoint').textContent()).includes('Checkpoint mit'), 'the signed log checkpoint');
    // The report itself runs no scripts, so one accessibility check (with JS on) covers it.
    if (javaScript) await accessible(page, 'report HTML');
    await context.close();
  });
  await check(`${label}: a customer chooses her notifications and they apply at once`, async () => {
    const context = await browser.newContext({ javaScriptEnabled: javaScript, locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
    const page = await context.newPage();
    // One customer per run: each starts from the quiet default.
    await signIn(page, javaScript ? 'ben@example.com' : 'lena@example.com');
    await page.click('nav.main-nav a[href="/settings/notifications"]');
    await page.waitForURL(/\/settings\/notifications$/);
    if (javaScript) await ready(page);
    assert(await page.isChecked('#mode-weekly_digest'), 'the quiet default is chosen');
    await page.check(javaScript ? '#mode-unexplained_only' : '#mode-every_access');
    await page.check('#always-payment_methods');
    await Promise.all([page.waitForURL(/notice=saved/), page.click('.settings-form button[type=submit]')]);
    assert((await page.locator('.notice').textContent()).includes('gespeichert'), 'the saved notice');
    assert(await page.isChecked(javaScript ? '#mode-unexplained_only' : '#mode-every_access'), 'the choice is kept');
    assert(await page.isChecked('#always-payment_methods'), 'the exception is kept');
    assert((await page.locator('.settings-form').textContent()).includes('Zuletzt geändert'), 'when it changed');
    if (javaScript) await accessible(page, 'notification settings');
    await context.close();
  });
  if (!javaScript) return;
  await check('regulator: opens a case, sees its log and the statistics with charts', async () => {
    const context = await browser.newContext({ locale: 'en-GB', extraHTTPHeaders: { 'Accept-Language': 'en-GB,en;q=0.9' } });
    const page = await context.newPage();
    await page.goto(`${base}/staff/login`);
    await page.fill('#email', 'regulator@einblick.example');
    await page.fill('#password', 'einblick-demo');
    await Promise.all([page.waitForURL(/\/staff\/regulator$/), page.click('.login-form button[type=submit]')]);
    await ready(page);
    await accessible(page, 'regulator cases');
    const reference = `BlnBDI-browser-${Date.now()}`;
    await page.fill('#case-reference', reference);
    await page.fill('#case-legal-basis', 'Art. 58(1)(a) GDPR');
    await page.fill('#case-subject', 'C-100001');
    await page.fill('#case-from', '2026-01-01');
    await page.fill('#case-to', '2026-10-31');
    await Promise.all([page.waitForURL(/\/staff\/regulator\/cases\/\d+$/), page.click('#open-case button[type=submit]')]);
    assert((await page.locator('h1').textContent()).includes(reference), 'case page');
    assert((await page.locator('.history li').count()) >= 2, 'opened and viewed are logged');
    await accessible(page, 'regulator case');
    await page.goto(`${base}/staff/statistics?from=2025-06-01&to=2026-11-20`);
    await page.waitForSelector('#chart-role svg rect');
    assert(Number(await page.locator('#total-accesses').textContent()) > 1000, 'the demo accesses are counted');
    await accessible(page, 'statistics');
    await context.close();
  });
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
  await check('mobile: the dispute form and the back office fit a phone screen', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    await signIn(page, 'mara@example.com');
    const id = await page.locator('input.entry-select').first().getAttribute('value');
    await page.goto(`${base}/disputes/new?event=${id}`);
    let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `dispute form is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(artifacts, 'dispute-form-mobile.png'), fullPage: true });
    await staffSignIn(page, 'lead@einblick.example');
    await page.click('table.queue a');
    await page.waitForSelector('.case-event');
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `case view is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(artifacts, 'case-mobile.png'), fullPage: true });
    await context.close();
  });
  await check('mobile: the report form and the statistics fit a phone screen', async () => {
    const context = await browser.newContext({ viewport: { width: 375, height: 740 }, deviceScaleFactor: 2, isMobile: true });
    const page = await context.newPage();
    await signIn(page, 'anna@example.com');
    await page.goto(`${base}/reports`);
    let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `report form is ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(artifacts, 'report-form-mobile.png'), fullPage: true });
    await page.goto(`${base}/settings/notifications`);
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `notification settings are ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(artifacts, 'notifications-mobile.png'), fullPage: true });
    await staffSignIn(page, 'lead@einblick.example');
    await page.goto(`${base}/staff/statistics`);
    await page.waitForSelector('#chart-role');
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert(overflow <= 1, `statistics are ${overflow}px wider than the screen`);
    await page.screenshot({ path: join(artifacts, 'statistics-mobile.png'), fullPage: true });
    await context.close();
  });
}

/** What a customer's first visit to `/timeline` may transfer in all, compressed bodies and headers.
 * The timeline works as plain HTML and gets no browser code, so the visit is the page and the
 * stylesheet (about 12 KB); the main WebAssembly alone would be 236 KB with brotli. */
const FIRST_VISIT_BUDGET = 150 * 1024;

/** What a customer's first visit to their timeline transfers: every request and its bytes on the
 * wire (compressed bodies plus headers). With JavaScript on or off, no script or WebAssembly may
 * be fetched. The total is printed for the record. */
async function firstVisit(browser, javaScript) {
  const label = javaScript ? 'JS on' : 'JS off';
  await check(`${label}: a customer's first visit to the timeline and what it transfers`, async () => {
    // Signed in elsewhere, so the sign-in page's downloads do not count as the timeline's.
    const signing = await browser.newContext({ javaScriptEnabled: false });
    await signIn(await signing.newPage(), 'anna@example.com');
    const storageState = await signing.storageState();
    await signing.close();
    const context = await browser.newContext({ javaScriptEnabled: javaScript, storageState, locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
    const page = await context.newPage();
    const transfers = [];
    page.on('requestfinished', async (request) => {
      const sizes = await request.sizes().catch(() => null);
      transfers.push({ url: request.url(), bytes: sizes ? sizes.responseBodySize + sizes.responseHeadersSize : 0 });
    });
    await page.goto(`${base}/timeline`, { waitUntil: 'networkidle' });
    if (javaScript) await ready(page);
    await page.waitForTimeout(300);
    const total = transfers.reduce((sum, t) => sum + t.bytes, 0);
    const listing = transfers.map((t) => `${new URL(t.url).pathname} ${t.bytes}`).join(', ');
    console.log(`     ${label}: first visit to /timeline transferred ${total} bytes in ${transfers.length} requests (${listing})`);
    const named = (extension) => transfers.filter((t) => new URL(t.url).pathname.endsWith(extension));
    assert(total <= FIRST_VISIT_BUDGET, `first visit to /timeline transferred ${total} bytes, over the budget of ${FIRST_VISIT_BUDGET}: ${listing}`);
    assert(named('.wasm').length === 0 && named('.js').length === 0, `no WebAssembly or script: ${listing}`);
    assert((await page.locator('[data-entry-id]').count()) === 50, 'the whole first page of entries');
    await context.close();
  });
}

/** A page opened before a release asks for a page's file under the old release's name, which the
 * new server no longer has: the page must load itself afresh and work, not stop answering. */
async function staleRelease(browser) {
  await check('JS on: a page whose next page\'s file is gone (a release since) loads itself afresh', async () => {
    const context = await browser.newContext({ locale: 'de-DE', extraHTTPHeaders: { 'Accept-Language': 'de-DE,de;q=0.9' } });
    const page = await context.newPage();
    await signIn(page, 'anna@example.com');
    // From a page that runs the browser's code (the timeline runs none).
    await page.click('.main-nav a[href="/reports"]');
    await page.waitForURL(/\/reports$/);
    await page.waitForSelector('html[data-hydrated=true]', { timeout: 20000 });
    await page.route(/split___my_disputes_view_/, (route) => route.fulfill({ status: 404, body: '' }), { times: 1 });
    await Promise.all([page.waitForEvent('load', { timeout: 20000 }), page.click('.main-nav a[href="/disputes"]')]);
    await ready(page);
    if (!page.url().endsWith('/disputes')) {
      await Promise.all([page.waitForURL(/\/disputes$/), page.click('.main-nav a[href="/disputes"]')]);
    }
    await page.waitForSelector('h1');
    assert((await page.locator('h1').textContent()).includes('Beschwerden'), `the disputes page after the reload: ${await page.locator('h1').textContent()}`);
    await context.close();
  });
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  await firstVisit(browser, true);
  await firstVisit(browser, false);
  await journey(browser, true);
  await journey(browser, false);
  await disputeJourney(browser, true);
  await disputeJourney(browser, false);
  await adminPages(browser);
  await reportPages(browser, true);
  await reportPages(browser, false);
  await mobile(browser);
  await staleRelease(browser);
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
