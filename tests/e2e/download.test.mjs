// Single-file downloads, made in the browser (www/single-file.js), end to end against dist/:
// - "Download this lesson for offline use" gives system-design-playground-<lesson>.html, which,
//   opened from file:// in a fresh browser context with the network off, loads nothing else and
//   opens at exactly the state that was on screen (the same metrics and load bars, the same URL
//   hash), shows the step's prose and the Code tab's highlighted source; so does a compare-mode
//   download (the same table), and a download made from the downloaded file (a download of a
//   download);
// - the footer's whole-app download, made by a page the service worker serves with the network
//   off, opens every lesson with its Code tab;
// - the app is served under a sub-path here, so relative URLs are tested too;
// - a browser without CompressionStream, or a builder that cannot be fetched, gets a clear
//   message beside the button and no console error;
// - the glue inliner keeps every export and refuses what one file cannot hold.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchBrowser, newPage } from './browser.mjs';
import { DIST_DIR, REPO_ROOT, startServer } from './server.mjs';
import { WAIT_MS, codeShows, lessonReady, settledSnapshot, tid } from './harness.mjs';

let browser;
let server;
let base;
const scratch = [];

before(async () => {
  browser = await launchBrowser();
  // The app under a sub-path of another site.
  const root = mkdtempSync(path.join(tmpdir(), 'sdp-download-'));
  scratch.push(root);
  cpSync(DIST_DIR, path.join(root, 'apps', 'playground'), { recursive: true });
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Host</title><p>Another site.</p>');
  server = await startServer({ root });
  base = `${server.url}/apps/playground/`;
});
after(async () => {
  await browser?.close();
  await server?.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

const noErrors = (page, what) => assert.deepEqual(page.errors, [], `no console errors or page errors (${what})`);

function downloadsDir() {
  const dir = mkdtempSync(path.join(tmpdir(), 'sdp-downloads-'));
  scratch.push(dir);
  return dir;
}

/** Clicks a download button, saves the file into `dir`; returns its path and name. */
async function take(page, testid, dir) {
  const [download] = await Promise.all([page.waitForEvent('download', { timeout: 3 * WAIT_MS }), page.locator(tid(testid)).click()]);
  const name = download.suggestedFilename();
  const file = path.join(dir, name);
  await download.saveAs(file);
  // The page says what it made, beside the button.
  await page.locator(`${tid(`${testid}-note`)}[data-state="done"]`).filter({ hasText: name }).waitFor();
  return { file, name };
}

/**
 * Opens a downloaded file from file:// in a fresh context with the network off; records every
 * request, so a test can assert nothing was loaded from outside the file.
 */
async function openFile(file) {
  const page = await newPage(browser, { defaultTimeout: 2 * WAIT_MS, offline: true });
  page.requests = [];
  page.on('request', (r) => page.requests.push(r.url()));
  await page.goto(pathToFileURL(file).href);
  return page;
}

/** Asserts that `page` (a file) loaded nothing but itself, data: and blob: URLs. */
function loadedOnlyItself(page, file) {
  const href = pathToFileURL(file).href;
  const outside = page.requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && u.split('#')[0] !== href);
  assert.deepEqual(outside, [], 'nothing loaded from outside the file');
}

/** The visible step's text. */
const stepText = (page) => page.locator('article[data-testid^="step-"]:not([hidden])').textContent();


/** `{ testid: data-value }` of every compare-table cell. */
const compareTable = (page) =>
  page.evaluate(() => {
    const out = {};
    for (const el of document.querySelectorAll('[data-testid^="compare-cell-"]')) out[el.getAttribute('data-testid')] = el.getAttribute('data-value');
    return out;
  });

test('a lesson downloads as one file that opens offline at the state on screen, and can download itself again', { timeout: 12 * WAIT_MS }, async () => {
  const dir = downloadsDir();
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  let file1;
  let file2;
  try {
    // A state of the user's making: a seed, a parameter, and a server removed from the page.
    await page.goto(`${base}#/lesson/consistent-hashing?v=1&seed=7&vnodes=20&t=1500`);
    await lessonReady(page);
    await page.locator(tid('remove-server-B')).click();
    await page.waitForFunction(() => location.hash.includes('remove-server'));
    const metrics = await settledSnapshot(page);
    assert.ok(Object.keys(metrics).some((k) => k.startsWith('metric-')), 'the page shows metrics');
    const hash = await page.evaluate(() => location.hash);
    const prose = await stepText(page);
    const code = await codeShows(page);

    const got = await take(page, 'offline-download-lesson', dir);
    assert.equal(got.name, 'system-design-playground-consistent-hashing.html');
    const size = statSync(got.file).size;
    assert.ok(size > 100_000 && size < 4_000_000, `a sensible size (${size} bytes)`);
    noErrors(page, 'the page that made the download');

    // Opened from disk, network off: the same lesson at the same moment.
    file1 = await openFile(got.file);
    await lessonReady(file1);
    assert.equal(await file1.evaluate(() => location.hash), hash, 'the same URL state');
    assert.deepEqual(await settledSnapshot(file1), metrics, 'the same metrics and loads');
    assert.equal(await stepText(file1), prose, 'the step prose shows');
    assert.equal(await codeShows(file1), code, 'the Code tab shows the same highlighted source');
    assert.match(await file1.title(), /^Consistent hashing/);
    await file1.locator(`${tid('offline-status')}[data-state="single-file"]`).waitFor();
    assert.equal(await file1.evaluate(() => navigator.serviceWorker?.controller ?? null), null, 'no service worker');
    assert.equal(await file1.locator(tid('offline-download')).count(), 0, 'a lesson file does not offer the whole app');
    const marker = await file1.evaluate(() => window.__SDP_SINGLE_FILE__);
    const stamp = readFileSync(path.join(DIST_DIR, 'index.html'), 'utf8').match(/name="sdp-build" content="([0-9a-f]+)"/)[1];
    assert.deepEqual(marker, { lesson: 'consistent-hashing', built: stamp, hash });

    // The file moves on, and makes a download of itself at its new state.
    await file1.locator(tid('remove-server-C')).click();
    await file1.waitForFunction(() => location.hash.includes('remove-server:C'));
    const later = await settledSnapshot(file1);
    const again = await take(file1, 'offline-download-lesson', downloadsDir());
    assert.equal(again.name, got.name);
    file2 = await openFile(again.file);
    await lessonReady(file2);
    assert.deepEqual(await settledSnapshot(file2), later, 'a download of a download opens at its state');
    assert.equal(await codeShows(file2), code);
    loadedOnlyItself(file1, got.file);
    loadedOnlyItself(file2, again.file);
    noErrors(file1, 'the downloaded file');
    noErrors(file2, 'the download of the download');
  } finally {
    await page.context().close();
    await file1?.context().close();
    await file2?.context().close();
  }
});

test('a compare-mode download opens in compare mode with the same table', { timeout: 8 * WAIT_MS }, async () => {
  const dir = downloadsDir();
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  let file;
  try {
    await page.goto(`${base}#/lesson/consistent-hashing?v=1&compare=all&do=0:remove-server:B&t=500`);
    await page.locator(tid('compare-view')).waitFor();
    await page.locator('[data-testid^="compare-cell-"][data-value]').first().waitFor({ state: 'attached' });
    const table = await compareTable(page);
    assert.ok(Object.keys(table).length >= 6, 'the compare table has cells');
    const hash = await page.evaluate(() => location.hash);
    const got = await take(page, 'offline-download-lesson', dir);

    file = await openFile(got.file);
    await file.locator(tid('compare-view')).waitFor();
    await file.locator('[data-testid^="compare-cell-"][data-value]').first().waitFor({ state: 'attached' });
    assert.equal(await file.evaluate(() => location.hash), hash);
    assert.deepEqual(await compareTable(file), table, 'the same compare table');
    loadedOnlyItself(file, got.file);
    noErrors(page, 'the page');
    noErrors(file, 'the downloaded file');
  } finally {
    await page.context().close();
    await file?.context().close();
  }
});

test('the whole app downloads from a page the service worker serves offline, and opens every lesson', { timeout: 14 * WAIT_MS }, async () => {
  const dir = downloadsDir();
  // A server of its own, closed halfway: nothing can come from the network after that.
  const own = await startServer({ root: DIST_DIR });
  const page = await newPage(browser, { origin: own.url, defaultTimeout: WAIT_MS });
  let file;
  try {
    await page.goto(`${own.url}/#/`);
    await page.locator(tid('lesson-list')).waitFor();
    await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 3 * WAIT_MS });
    await page.context().setOffline(true);
    await own.close();
    await page.reload();
    await page.locator(tid('lesson-list')).waitFor();

    const got = await take(page, 'offline-download', dir);
    assert.equal(got.name, 'system-design-playground.html');
    file = await openFile(got.file);
    await file.locator(tid('lesson-list')).waitFor();
    const ids = await file.$$eval('[data-testid^="lesson-card-"]', (els) => els.map((e) => e.getAttribute('data-testid').slice('lesson-card-'.length)));
    assert.ok(ids.length >= 7, 'the home page lists the lessons');
    for (const id of ids) {
      await file.goto(`${pathToFileURL(got.file).href}#/lesson/${id}`);
      await file.locator(tid('lesson-page')).waitFor();
      await file.locator(tid('step-1')).waitFor({ state: 'visible' });
      await codeShows(file);
    }
    // The whole app's file offers both downloads again.
    assert.equal(await file.locator(tid('offline-download')).count(), 1);
    assert.equal(await file.locator(tid('offline-download-lesson')).count(), 1);
    loadedOnlyItself(file, got.file);
    noErrors(page, 'the offline page');
    noErrors(file, 'the downloaded file');
  } finally {
    await page.context().close();
    await file?.context().close();
    await own.close();
  }
});

test('without CompressionStream the page says why it cannot make the file, with no console error', { timeout: 4 * WAIT_MS }, async () => {
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  try {
    await page.addInitScript(() => {
      delete window.CompressionStream;
    });
    await page.goto(`${base}#/lesson/hot-keys`);
    await lessonReady(page, 'shard-diagram');
    await page.locator(tid('offline-download-lesson')).click();
    const error = page.locator(`${tid('offline-download-lesson-note')}[data-state="failed"]`);
    await error.waitFor();
    assert.match(await error.textContent(), /^Could not make the file: .*CompressionStream/);
    assert.equal(await error.getAttribute('role'), 'alert');
    noErrors(page, 'a failed download');
  } finally {
    await page.context().close();
  }
});

test('a download maker that cannot be fetched gives a message beside the button', { timeout: 4 * WAIT_MS }, async () => {
  // No service worker: it would answer from its precache, out of the test's routes' reach.
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS, serviceWorkers: 'block' });
  try {
    await page.goto(`${base}#/lesson/hot-keys`);
    await lessonReady(page, 'shard-diagram');
    await page.route('**/single-file.js', (route) => route.fulfill({ status: 503, body: 'down for maintenance' }));
    await page.locator(tid('offline-download-lesson')).click();
    const error = page.locator(`${tid('offline-download-lesson-note')}[data-state="failed"]`);
    await error.waitFor();
    assert.match(await error.textContent(), /could not load the download maker/);
    // The button works again: a second click, with the maker back, makes the file.
    await page.unroute('**/single-file.js');
    await take(page, 'offline-download-lesson', downloadsDir());
    // The browser itself reports the failed request; the app logs nothing of its own.
    const own = page.errors.filter((e) => !/Failed to load resource|single-file\.js/.test(e));
    assert.deepEqual(own, [], 'no console error from the app');
  } finally {
    await page.context().close();
  }
});

test('the glue inliner keeps every export and refuses what one file cannot hold', async () => {
  const source = readFileSync(path.join(REPO_ROOT, 'www', 'single-file.js'), 'utf8');
  const { inlineGlue, guardInline, openingHash } = await import(`data:text/javascript;base64,${Buffer.from(source).toString('base64')}`);
  const glue = 'let wasm;\nexport function greet() { return 1; }\nexport class Handle {}\nfunction __wbg_init() {}\nfunction initSync() {}\nexport { initSync, __wbg_init as default };\n';
  const out = inlineGlue(glue);
  assert.doesNotMatch(out, /^\s*export\b/m);
  const bindings = new Function(`${out}; return __sdpBindings;`)();
  assert.deepEqual(Object.keys(bindings).sort(), ['Handle', 'default', 'greet', 'initSync']);
  assert.equal(bindings.greet(), 1);
  assert.throws(() => inlineGlue(`import { f } from './snippets/x.js';\n${glue}`), /imports another module/);
  assert.throws(() => inlineGlue('export function f() {}\n'), /no default init/);
  assert.throws(() => guardInline('a </script> b', 'script', 'x'), /cannot be put inside one file/);
  // The builder is inlined into every file it makes: it passes its own check.
  assert.equal(guardInline(source, 'script', 'the builder'), source);
  // A file opens at the state on screen, unless that is not its lesson's page.
  assert.equal(openingHash('#/lesson/hot-keys?v=1&t=5', 'hot-keys'), '#/lesson/hot-keys?v=1&t=5');
  assert.equal(openingHash('#/', 'hot-keys'), '#/lesson/hot-keys');
  assert.equal(openingHash('#/lesson/hot-keys?v=1', null), '#/lesson/hot-keys?v=1');
});
