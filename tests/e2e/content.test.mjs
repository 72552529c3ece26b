// Lesson content on demand: a lesson's compiled JSON is fetched when it opens (started by the
// page's boot script before the wasm arrives), its highlighted source when the Code tab opens;
// a failed fetch says so and offers a retry that works once the file can be had.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectErrors } from './browser.mjs';
import { tid, useApp, WAIT_MS } from './harness.mjs';

// One server and one browser for the file (the harness's); pages get their own contexts here.
const app = useApp();

/** A fresh page whose requests matching `pattern` fail with HTTP 503 while `failing.on` is true. */
async function pageFailing(pattern) {
  const context = await app.browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 800 } });
  context.setDefaultTimeout(WAIT_MS);
  const page = await context.newPage();
  const errors = collectErrors(page);
  const failing = { on: true, count: 0 };
  await page.route(pattern, (route) => {
    if (!failing.on) return route.continue();
    failing.count += 1;
    return route.fulfill({ status: 503, body: 'unavailable' });
  });
  return { page, context, errors, failing };
}

/** Console errors other than the browser's own report of the failed loads we caused. */
const unexpected = (errors) => errors.filter((e) => !/status of 503|Failed to load resource/.test(e));

test('a lesson whose content cannot be fetched says so, and Try again loads it', { timeout: 4 * WAIT_MS }, async () => {
  const { page, context, errors, failing } = await pageFailing(/\/content\/hot-keys\.[0-9a-f]+\.json$/);
  try {
    await page.goto(`${app.baseUrl}/#/lesson/hot-keys?v=1&seed=9`);
    const banner = page.locator(tid('lesson-load-error'));
    await banner.waitFor();
    assert.match(await banner.innerText(), /Hot keys and skew/, 'it names the lesson');
    assert.match(await banner.innerText(), /503/, 'and what went wrong');
    assert.ok(failing.count >= 1);
    failing.on = false;
    await page.locator(tid('lesson-retry')).click();
    await page.locator(`svg${tid('shard-diagram')}`).waitFor();
    assert.equal(await page.locator(tid('lesson-load-error')).count(), 0);
    assert.match(page.url(), /seed=9/, 'the URL the learner opened is kept');
    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
  }
});

test('the Code tab fetches the source when it opens, and retries after a failure', { timeout: 4 * WAIT_MS }, async () => {
  const { page, context, errors, failing } = await pageFailing(/\/code\/[^/]+\.html$/);
  const codeRequests = [];
  page.on('request', (r) => {
    if (/\/code\/[^/]+\.html$/.test(r.url())) codeRequests.push(r.url());
  });
  try {
    await page.goto(`${app.baseUrl}/#/lesson/consistent-hashing`);
    await page.locator(`svg${tid('ring-diagram')}`).waitFor();
    assert.equal(codeRequests.length, 0, 'no source is fetched before the Code tab opens');
    await page.locator(tid('tab-code')).click();
    await page.locator(tid('code-load-error')).waitFor();
    failing.on = false;
    await page.locator(tid('code-retry')).click();
    const view = page.locator(tid('code-view'));
    await view.locator('.code-gutter').waitFor();
    assert.ok((await view.locator('span.hl-k').count()) > 10, 'the source is highlighted');
    assert.match(await view.innerText(), /pub fn lookup/, 'and it is the ring source');
    // Another file of the lesson is fetched when picked.
    const before = codeRequests.length;
    await page.locator(tid('code-file-1')).click();
    await page.waitForFunction(() => document.querySelector('[data-testid="code-view"] .code-path')?.textContent.includes('hash.rs'));
    await view.locator('.code-gutter').waitFor();
    assert.ok(codeRequests.length > before, 'the second file was fetched on demand');
    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
  }
});

test('an embed of a lesson that cannot be fetched says so without the site around it', { timeout: 4 * WAIT_MS }, async () => {
  const { page, context, errors } = await pageFailing(/\/content\/range-sharding\.[0-9a-f]+\.json$/);
  try {
    await page.goto(`${app.baseUrl}/#/embed/range-sharding`);
    await page.locator(tid('lesson-load-error')).waitFor();
    assert.equal(await page.locator('.site-header').count(), 0, 'no site chrome in an embed');
    assert.equal(await page.locator('main').count(), 1, 'the message is in a main landmark');
    assert.deepEqual(unexpected(errors), []);
  } finally {
    await context.close();
  }
});
