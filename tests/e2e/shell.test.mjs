// The first paint: index.html's static shell and the stylesheets that do not block it.
// - before the wasm has even arrived, the page has painted the site header (a first contentful
//   paint), and only main.css blocked it: the other stylesheets are still media="print";
// - the app's first render waits for those stylesheets: with the diagram's stylesheet held back,
//   the app has started but keeps the shell; when the diagram first enters the page, every
//   stylesheet applies;
// - the app replaces the shell in place: one header and one <main> afterwards, the header's
//   brand, link and bar exactly where the shell had them;
// - an embed never shows the shell (it has no site chrome);
// - the skip link moves focus to the page without touching the URL (the router's).
import assert from 'node:assert/strict';
import { useApp, tid, LESSON, lessonReady } from './harness.mjs';

const app = useApp();

/** Holds every request matching `glob` until `release()` is called. */
async function hold(page, glob) {
  let release;
  const released = new Promise((r) => {
    release = r;
  });
  await page.route(glob, async (route) => {
    await released;
    await route.continue();
  });
  return release;
}
const holdWasm = (page) => hold(page, '**/*_bg.wasm');

/** Where the header's parts are: `{ name: [x, y, width, height] }`. */
const headerLayout = (page, scope) =>
  page.evaluate((root) => {
    const out = {};
    const at = document.querySelector(root);
    for (const sel of ['.site-header', '.brand', '.brand-mark', '.brand-name', '.header-link', 'main']) {
      const r = at.querySelector(sel).getBoundingClientRect();
      out[sel] = [r.x, r.y, r.width, r.height].map((v) => Math.round(v * 10) / 10);
    }
    delete out.main[3]; // the page's height is the page's
    return out;
  }, scope);

app.test('the shell paints the header before the wasm arrives, and the app replaces it in place', async ({ open }) => {
  const page = await open('#/');
  // A fresh page, set up before it loads: hold the wasm, and note when the diagram first appears
  // whether every deferred stylesheet applied by then.
  await page.context().addInitScript(() => {
    addEventListener('TrunkApplicationStarted', () => {
      window.__sdpStarted = true;
    });
    new MutationObserver((_, observer) => {
      if (!document.querySelector('[data-testid="ring-diagram"]')) return;
      window.__sdpStylesAtDiagram = [...document.querySelectorAll('link[data-sdp-deferred]')].map((l) => [l.getAttribute('href'), l.media, l.sheet !== null]);
      observer.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
  const fresh = await page.context().newPage();
  fresh.errors = page.errors;
  const release = await holdWasm(fresh);
  const releaseRing = await hold(fresh, '**/ring-*.css');
  await fresh.goto(app.url(LESSON), { waitUntil: 'commit' });
  await fresh.locator('#sdp-shell .site-header').waitFor({ state: 'visible' });
  await fresh.waitForFunction(() => performance.getEntriesByName('first-contentful-paint').length === 1);
  const deferred = await fresh.evaluate(() => [...document.querySelectorAll('link[data-sdp-deferred]')].length);
  assert.ok(deferred >= 5, `the diagram, compare, code, share, embed and offline styles are deferred (${deferred})`);
  const blocking = await fresh.evaluate(() =>
    [...document.querySelectorAll('link[rel="stylesheet"]:not([data-sdp-deferred])')].map((l) => l.getAttribute('href')),
  );
  assert.equal(blocking.length, 1, `one blocking stylesheet (${blocking})`);
  assert.match(blocking[0], /main-[0-9a-f]+\.css$/);
  const shell = await headerLayout(fresh, '#sdp-shell');

  // The wasm arrives and the app starts; the diagram's stylesheet has not, so the app waits.
  release();
  await fresh.waitForFunction(() => window.__sdpStarted === true);
  await fresh.waitForFunction(() => [...document.querySelectorAll('link[data-sdp-deferred]:not([href*="ring-"])')].every((l) => l.sheet !== null));
  await fresh.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 0)))));
  assert.equal(await fresh.locator(tid('lesson-page')).count(), 0, 'no page rendered without its stylesheets');
  assert.equal(await fresh.locator('#sdp-shell').isVisible(), true, 'the shell is still up');

  releaseRing();
  await lessonReady(fresh);
  assert.equal(await fresh.locator('#sdp-shell').count(), 0, 'the shell is gone');
  assert.equal(await fresh.locator('header.site-header').count(), 1, 'one header');
  assert.equal(await fresh.locator('main').count(), 1, 'one <main>');
  assert.deepEqual(await headerLayout(fresh, '.app'), shell, 'the header did not move');
  const styles = await fresh.evaluate(() => window.__sdpStylesAtDiagram);
  assert.ok(styles.length === deferred && styles.every(([, media, loaded]) => media === 'all' && loaded), `every stylesheet applied at the first render: ${JSON.stringify(styles)}`);
  await fresh.close();
});

app.test('an embed never shows the shell', async ({ open }) => {
  const page = await open('#/');
  const fresh = await page.context().newPage();
  fresh.errors = page.errors;
  const release = await holdWasm(fresh);
  await fresh.goto(app.url('#/embed/consistent-hashing'));
  await fresh.locator('#sdp-shell').waitFor({ state: 'attached' });
  assert.equal(await fresh.locator('#sdp-shell').isVisible(), false, 'hidden in an embed');
  release();
  await fresh.locator(`svg${tid('ring-diagram')}`).waitFor();
  assert.equal(await fresh.locator('.site-header').count(), 0);
  await fresh.close();
});

app.test('the skip link moves focus to the page and leaves the URL alone', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  const hash = await page.evaluate(() => location.hash);
  await page.evaluate(() => document.activeElement?.blur?.());
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement?.className), 'skip-link', 'the first Tab reaches the skip link');
  await page.keyboard.press('Enter');
  await page.waitForFunction(() => document.activeElement?.id === 'main');
  assert.equal(await page.evaluate(() => location.hash), hash);
  await lessonReady(page);
});
