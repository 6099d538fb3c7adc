// SPDX-License-Identifier: MIT
// console.js - drives the fngate console in Debian's Chromium (headless, playwright-core),
// for tests/integration/test_console.py. Environment:
//   ADMIN_URL   http://127.0.0.1:PORT of the admin listener     TOKEN  the admin token
//   FRONT_URL   the front door (to invoke HelloLambda)           SHOTS  screenshot directory
//   PROFILE     a fresh --user-data-dir
// Login refused then accepted, Functions, the seed's Test event saved and run with its
// Execution results, a Function page's tabs, the Monitor graphs counting an invocation and
// an error, an admin API error shown as a message, Operations, a dead letter of "Failing"
// redriven from the page and its delivery seen in the Logs tab.
// Prints "CONSOLE OK" at the end; any failure exits 1 with what was expected.
const { chromium } = require('playwright-core');
const path = require('path');

const env = (k) => { if (!process.env[k]) throw new Error(`${k} is not set`); return process.env[k]; };
const ADMIN = env('ADMIN_URL'), TOKEN = env('TOKEN'), SHOTS = env('SHOTS');
const T = 20000;                          // ms: the longest any one step may take

function fail(msg) { throw new Error(msg); }
const shot = (page, name) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

async function waitText(page, selector, text, what) {
  try {
    await page.locator(selector, { hasText: text }).first().waitFor({ timeout: T });
  } catch (e) {
    const seen = await page.locator('main').innerText().catch(() => '?');
    fail(`${what}: no ${selector} with ${JSON.stringify(text)} within ${T} ms; the page shows:\n${seen.slice(0, 2000)}`);
  }
}

async function totals(page, caption) {
  const fig = page.locator('figure.chart-box', { has: page.locator('figcaption', { hasText: caption }) }).first();
  const t = await fig.getAttribute('data-totals');
  return t ? JSON.parse(t) : {};
}

async function waitTotal(page, caption, series, pred, what) {
  const end = Date.now() + 30000;        // the tab refreshes every 10 s
  let last;
  while (Date.now() < end) {
    last = (await totals(page, caption))[series];
    if (pred(last)) return last;
    await page.waitForTimeout(500);
  }
  fail(`${what}: ${caption}/${series} is ${last} after 30 s`);
}

async function main() {
  // A fresh --user-data-dir (playwright passes PROFILE as it).
  const ctx = await chromium.launchPersistentContext(env('PROFILE'), {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  const errors = [];
  try {
    const page = ctx.pages()[0] || await ctx.newPage();
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('console', (m) => { if (/Content Security Policy|Refused to/.test(m.text())) errors.push(`console: ${m.text()}`); });

    // Login: a wrong token is refused with a message, the right one opens the Functions page.
    await page.goto(`${ADMIN}/`);
    if (!page.url().endsWith('/console/')) fail(`/ did not lead to /console/: ${page.url()}`);
    await page.locator('#token').fill('not-the-token-at-all');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitText(page, '.msg.error', 'not the admin token', 'a wrong token');
    if (await page.getByRole('link', { name: 'Operations' }).isVisible()) fail('the navigation shows before sign-in');
    await shot(page, 'login');
    if ((await ctx.cookies()).some((c) => c.name === 'fngate_session')) fail('a wrong token set a cookie');
    await page.locator('#token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await waitText(page, 'h1', 'Functions', 'the Functions page after login');
    const cookie = (await ctx.cookies()).find((c) => c.name === 'fngate_session');
    if (!cookie || !cookie.httpOnly || cookie.sameSite !== 'Strict') fail(`session cookie: ${JSON.stringify(cookie)}`);
    await page.getByRole('link', { name: 'HelloLambda' }).waitFor({ timeout: T });
    await waitText(page, 'td', 'python3', 'the runtime column');
    await shot(page, 'functions');

    // A Function page and each tab: content, or the admin API's error as a message.
    await page.getByRole('link', { name: 'HelloLambda' }).click();
    await waitText(page, 'h1', 'HelloLambda', 'the Function page');
    await page.locator('#ev-json').waitFor({ timeout: T });
    await page.locator('#ev-name').fill('Test');
    await page.locator('#ev-json').fill('{"name": "Himanshu"}');
    await page.getByRole('button', { name: 'Save' }).click();
    await waitText(page, '.msg.ok', 'The test event Test was saved', 'saving the test event');
    await page.getByRole('button', { name: 'Test', exact: true }).click();
    await waitText(page, '#execution-results', 'Hello Himanshu, welcome to AWS Lambda!', 'the Execution results');
    for (const k of ['Duration', 'Billed Duration', 'Max Memory Used'])
      await waitText(page, '#execution-results dt', k, `the Execution results' ${k}`);
    const dur = await page.locator('#execution-results dt:text-is("Duration") + dd').innerText();
    if (!/^\d+(\.\d+)? ms$/.test(dur)) fail(`Duration: ${dur}`);
    await shot(page, 'function-test');
    for (const [tab, expect] of [['Monitor', 'Invocations'], ['Logs', 'Log events'], ['Configuration', ''], ['Cost', 'Cost']]) {
      await page.getByRole('tab', { name: tab }).click();
      await page.locator(`.tabs a[aria-selected="true"]`, { hasText: tab }).waitFor({ timeout: T });
      if (expect) await waitText(page, '.tab-body', expect, `the ${tab} tab`);
      await page.waitForTimeout(300);
      await shot(page, `function-${tab.toLowerCase()}`);
    }
    await waitTotals(page);

    // An admin API error is a message in the panel, not a blank one.
    await page.goto(`${ADMIN}/console/#/functions/Nope`);
    await waitText(page, '.msg.error', 'HTTP 404: no function named Nope', 'an unknown function\'s 404 as a message');

    // Operations: redrive the dead letter the test made and see it delivered.
    await page.getByRole('link', { name: 'Operations' }).click();
    await waitText(page, 'h1', 'Operations', 'the Operations page');
    await page.getByRole('button', { name: /^Redrive dead letter \d+$/ }).first().waitFor({ timeout: T });
    await page.getByRole('button', { name: /^Show payload of dead letter/ }).first().click();
    await waitText(page, '#dlq-payload', 'redrive-me', 'the dead letter payload');
    await shot(page, 'operations');
    await page.getByRole('button', { name: /^Redrive dead letter \d+$/ }).first().click();
    await waitText(page, '.msg.ok', 'Redrove 1 dead letter(s)', 'the redrive');
    await waitText(page, '.msg.note', 'No dead letters.', 'the dead letter list after the redrive');
    // Purge asks first (a native dialog); Cancel leaves everything.
    await page.getByRole('button', { name: 'Purge all…' }).click();
    await page.locator('dialog#confirm[open]').waitFor({ timeout: T });
    await shot(page, 'operations-purge-confirm');
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('dialog#confirm[open]').waitFor({ state: 'detached', timeout: T });
    await page.goto(`${ADMIN}/console/#/functions/Failing/logs`);
    const end = Date.now() + T;
    while (!(await page.locator('ol.loglines li', { hasText: 'delivered redrive-me' }).count())) {
      if (Date.now() > end) fail('the redriven event never shows as delivered in the Logs tab');
      await page.waitForTimeout(500);
      await page.getByRole('button', { name: 'Search' }).click();
    }
    await shot(page, 'function-logs-redriven');

    // Phone width.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${ADMIN}/console/#/functions`);
    await page.getByRole('link', { name: 'HelloLambda' }).waitFor({ timeout: T });
    await shot(page, 'functions-390');
    await page.goto(`${ADMIN}/console/#/operations`);
    await waitText(page, 'h1', 'Operations', 'Operations at 390 px');
    await page.waitForTimeout(500);
    await shot(page, 'operations-390');
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    if (wide > 390) fail(`at 390 px the page is ${wide} px wide`);
    await page.goto(`${ADMIN}/console/#/functions/HelloLambda/test`);
    await page.locator('#ev-json').waitFor({ timeout: T });
    await shot(page, 'function-test-390');

    // Sign out: the cookie no longer works.
    await page.getByRole('button', { name: 'Sign out' }).click();
    await waitText(page, '.msg', 'Signed out.', 'signing out');
    if (errors.length) fail(errors.join('\n'));
    console.log('CONSOLE OK');
  } finally {
    await ctx.close();
  }
}

// The Monitor tab counts one more invocation, and an error of Failing.
async function waitTotals(page) {
  await page.getByRole('tab', { name: 'Monitor' }).click();
  const before = await waitTotal(page, 'Invocations', 'Invocations', (v) => v !== undefined, 'the Invocations graph');
  const r = await fetch(`${env('FRONT_URL')}/hello/Monitor`);
  if (r.status !== 200) fail(`GET /hello/Monitor: ${r.status}`);
  await waitTotal(page, 'Invocations', 'Invocations', (v) => v >= before + 1, 'the invocation count going up by one');
  await shot(page, 'function-monitor');
  await page.goto(`${ADMIN}/console/#/functions/Failing/monitor`);
  await waitTotal(page, 'Error count', 'Errors', (v) => v >= 1, 'the Errors graph of Failing');
  await shot(page, 'function-monitor-errors');
  await page.goto(`${ADMIN}/console/#/functions/HelloLambda/monitor`);
}

main().catch((e) => { console.error(`CONSOLE FAILED: ${e.stack || e}`); process.exit(1); });
