// The URL is the state: the same URL gives the same run, the share link reproduces it, and a bad
// value is reported without throwing away the valid ones.
import assert from 'node:assert/strict';
import { useApp, tid, LESSON, lessonReady, settledSnapshot } from './harness.mjs';

const app = useApp();
const URL_B_REMOVED = `${LESSON}?v=1&seed=7&vnodes=50&do=0:remove-server:B`;

app.test('the same URL twice gives identical metrics, and the share link reproduces them', async ({ open }) => {
  const first = await open(URL_B_REMOVED);
  await lessonReady(first);
  assert.equal(await first.locator(tid('seed-input')).inputValue(), '7', 'seed from the URL');
  assert.equal(await first.locator(tid('param-vnodes')).inputValue(), '50', 'vnodes from the URL');
  const a = await settledSnapshot(first);
  for (const m of ['max_mean_ratio', 'moved_keys', 'moved_percent', 'modulo_moved_percent']) {
    assert.ok(a[`metric-${m}`] !== undefined && a[`metric-${m}`] !== null, `metric-${m} has a data-value`);
  }
  assert.ok(Number(a['metric-moved_keys']) > 0, 'the do=0:remove-server:B intervention moved keys');

  const second = await open(URL_B_REMOVED);
  await lessonReady(second);
  const b = await settledSnapshot(second);
  assert.deepEqual(b, a, 'a fresh load of the same URL gives the same metrics');

  // The share link: the app exposes the current shareable URL on [data-testid=share-url].
  await first.locator(tid('copy-link')).click();
  const shareEl = first.locator(tid('share-url'));
  await shareEl.waitFor({ state: 'attached' });
  const raw = (await shareEl.getAttribute('data-url')) ?? (await shareEl.getAttribute('href'));
  assert.ok(raw, 'share-url carries the URL in data-url or href');
  const shareUrl = new URL(raw, first.url()).href;
  const copied = await first.evaluate(() => navigator.clipboard.readText());
  assert.equal(new URL(copied, first.url()).href, shareUrl, 'copy-link puts the share URL on the clipboard');

  const third = await open(shareUrl);
  await lessonReady(third);
  const c = await settledSnapshot(third);
  assert.deepEqual(c, a, `the share URL ${shareUrl} reproduces the metrics`);
});

app.test('an invalid URL value is reported and the valid ones still apply', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&seed=7&vnodes=abc`);
  await lessonReady(page);
  const error = page.locator(tid('url-error'));
  await error.waitFor({ state: 'visible' });
  await page.waitForFunction((sel) => /vnodes/.test(document.querySelector(sel)?.textContent ?? ''), tid('url-error'));
  assert.match(await error.textContent(), /vnodes/, 'the message names the bad parameter');
  assert.equal(await page.locator(tid('seed-input')).inputValue(), '7', 'seed=7 from the same URL applies');
});

app.test('an intervention after the end of the run is named in the page, not silently dropped', async ({ open }) => {
  const page = await open('#/lesson/hot-keys?v=1&do=999999999:add-keys:');
  await lessonReady(page, 'shard-diagram');
  const error = page.locator(tid('url-error'));
  await error.waitFor({ state: 'visible' });
  await page.waitForFunction((sel) => /after the end/.test(document.querySelector(sel)?.textContent ?? ''), tid('url-error'));
  assert.match(await error.textContent(), /do: 999999999:add-keys: is after the end of the run \(10000 ms\); ignored/);
});
