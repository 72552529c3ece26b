// The rate-limiters lesson (traffic control, lesson 1): seven limiters on one stream, each a
// lane of ticks (admitted) and crosses (429); the token bucket, its meter and GCRA admit the same
// requests; the boundary attack gets twice the limit through a fixed window and no other; four
// gateways limiting alone admit about four times the limit, and compare mode puts the four ways
// of sharing a limit side by side; the gateways sweep draws exactly the CLI's medians.
// Every figure is `sdp run rate-limiters --preset ID --json` at 20 s.
import assert from 'node:assert/strict';
import { useApp, tid, waitForDataValue, sweepMatchesCli } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/rate-limiters';
// The lanes are HTML rows with a stretched SVG strip each: wait for the block, not an <svg>.
const ready = async (page) => {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('lanes-diagram')).waitFor();
};
const text = (page, id) => page.locator(tid(id)).first().textContent();

app.test('seven lanes on one stream: playing fills them, and at 20 s the buckets and GCRA agree', async ({ open }) => {
  const page = await open(`${LESSON}?v=1`);
  await ready(page);
  const ids = ['token-bucket', 'leaky-meter', 'leaky-queue', 'fixed-window', 'sliding-log', 'sliding-counter', 'gcra'];
  for (const id of ids) await page.locator(tid(`lane-${id}`)).waitFor({ state: 'attached' });
  assert.equal(await page.locator(tid('lane-token-bucket')).getAttribute('data-ok'), '0');
  await page.locator(tid('play-button')).click();
  await waitForDataValue(page, 'metric-offered', '>', 20);
  await page.locator(tid('play-button')).click();
  assert.ok(Number(await page.locator(tid('lane-token-bucket')).getAttribute('data-ok')) > 0, 'ticks drawn');
  assert.ok(Number(await page.locator(tid('lanes-arrivals')).getAttribute('data-count')) > 0, 'arrivals drawn');
  assert.match(await text(page, 'lane-token-bucket-gauge'), /of 10 tokens/);

  const end = await open(`${LESSON}?v=1&t=20000`);
  await ready(end);
  assert.equal(await waitForDataValue(end, 'metric-offered', '>', 0), 284);
  assert.equal(await waitForDataValue(end, 'metric-admitted', '>', 0), 203);
  for (const id of ['token-bucket', 'leaky-meter', 'gcra']) assert.equal(await text(end, `lane-${id}-admitted`), '✓ 203', id);
  assert.equal(await text(end, 'lane-sliding-log-admitted'), '✓ 175');
  assert.equal(await text(end, 'lane-token-bucket-rejected'), '✗ 81');
});

app.test('the boundary attack: 20 through the fixed window in one second, 10 through any other; a parameter picks one limiter', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=boundary&t=20000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-max_window', '>', 0), 10, 'the token bucket, headline');
  assert.equal(await text(page, 'lane-fixed-window-admitted'), '✓ 200');
  assert.equal(await text(page, 'lane-fixed-window-rejected'), '✗ 0');
  const only = await open(`${LESSON}?v=1&preset=boundary&limiters=fixed-window&t=20000`);
  await ready(only);
  assert.equal(await waitForDataValue(only, 'metric-max_window', '>', 0), 20);
  assert.equal(await only.locator('[data-testid^="lane-"][data-ok]').count(), 1, 'one lane');
  // Dashed window boundaries on the fixed window's strip.
  await only.locator(`${tid('lane-fixed-window')} .lane-tick`).waitFor({ state: 'attached' });
});

app.test('compare mode: four gateways alone admit about four times the limit; an atomic store holds it; a racy one loses updates', async ({ open }) => {
  const ids = ['local', 'share', 'shared-racy', 'shared-atomic'];
  const page = await open(`${LESSON}?v=1&preset=gateways-local&compare=${ids.join(',')}&t=20000`);
  await page.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  for (const id of ids) await cell(id, 'admitted_per_window').waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 0, tid('compare-cell-shared-atomic-admitted_per_window'));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  assert.ok(Math.abs(await value('local', 'admitted_per_window') - 41.55) < 0.01);
  assert.ok(Math.abs(await value('shared-atomic', 'admitted_per_window') - 10.46) < 0.01);
  assert.ok(Math.abs(await value('shared-racy', 'admitted_per_window') - 23.4) < 0.01);
  assert.equal(await value('shared-racy', 'lost_updates'), 826);
  assert.equal(await value('shared-atomic', 'lost_updates'), 0);
});

app.test('the gateways sweep runs in the worker and draws the CLI\'s medians', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=gateways`);
  await ready(page);
  const cli = await sweepMatchesCli(page, {
    lesson: 'rate-limiters', sweep: 'gateways', metric: 'admitted_per_window',
    series: ['local', 'shared-atomic', 'share'],
  });
  const at = (series, i) => cli.points.filter((p) => p.series === series)[i].median;
  assert.ok(at('local', 3) > 40 && at('shared-atomic', 3) < 11, JSON.stringify([at('local', 3), at('shared-atomic', 3)]));
});
