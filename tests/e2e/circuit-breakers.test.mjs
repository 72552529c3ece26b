// The circuit-breakers lesson (traffic control, lesson 2): no breaker and four breakers on copies
// of the same calls through an outage. Each lane is a strip of calls (succeeded above the line,
// failed and rejected below it) over bands of the breaker's state (open, half-open); the Python
// breaker opens 261 ms into the outage and stays open 30 s after it; with a clock of whole
// seconds, the version as written never leaves open; compare mode puts four settings side by
// side; the traffic sweep draws exactly the CLI's medians.
// Every figure is `sdp run circuit-breakers --preset ID --json` (or `sdp compare`).
import assert from 'node:assert/strict';
import { useApp, tid, waitForDataValue, sweepMatchesCli } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/circuit-breakers';
// The lanes are HTML rows with a stretched SVG strip each: wait for the block, not an <svg>.
const ready = async (page) => {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('lanes-diagram')).waitFor();
};
const text = (page, id) => page.locator(tid(id)).first().textContent();
const attr = (page, id, name) => page.locator(tid(id)).getAttribute(name);

app.test('the outage: without a breaker calls fail; the Python breaker opens 261 ms in and turns calls away', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&t=12000`);
  await ready(page);
  for (const id of ['none', 'python', 'gobreaker', 'count-window', 'time-window']) {
    await page.locator(tid(`lane-${id}`)).waitFor({ state: 'attached' });
  }
  assert.ok(Math.abs(await waitForDataValue(page, 'metric-first_open_ms', '>', 0) - 260.68) < 0.01);
  assert.equal(await attr(page, 'lane-python', 'data-state'), 'open');
  assert.equal(await attr(page, 'lane-count-window', 'data-state'), 'open');
  assert.equal(await attr(page, 'lane-time-window', 'data-state'), 'closed', 'the time window still holds 10 s of successes');
  assert.equal(await attr(page, 'lane-none', 'data-state'), null, 'no breaker, no state');
  // A strip draws at most one mark of a kind per 200th of its 20 s (100 ms): 2 s into the
  // outage at 20 calls a second, about 20 failure marks, and 17 rejection marks after 10.26 s.
  assert.ok(Number(await attr(page, 'lane-none', 'data-failed')) >= 15, 'failures drawn without a breaker');
  assert.ok(Number(await attr(page, 'lane-python', 'data-rejected')) >= 12, 'rejections drawn behind the breaker');
  await page.locator(`${tid('lane-python')} .lane-band.open`).waitFor({ state: 'attached' });
  assert.match(await text(page, 'lane-python-gauge'), /^open · [\d.]+ s to wait$/);

  const end = await open(`${LESSON}?v=1&t=120000`);
  await ready(end);
  assert.equal(await waitForDataValue(end, 'metric-downstream_calls', '>', 0), 1176);
  assert.equal(await text(end, 'lane-python-rejected'), '✗ 1231');
  assert.equal(await attr(end, 'lane-python', 'data-state'), 'closed');
});

app.test('a clock from zero: the breaker as written stays open for good; with None it half-opens at 60 s', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=zero-clock&t=120000`);
  await ready(page);
  await page.locator(tid('lane-python-zero')).waitFor({ state: 'attached' });
  assert.equal(await attr(page, 'lane-python-zero', 'data-state'), 'open');
  assert.match(await text(page, 'lane-python-zero-gauge'), /open for good/);
  assert.equal(await text(page, 'lane-python-zero-admitted'), '✓ 0');
  assert.equal(await text(page, 'lane-python-admitted'), '✓ 1187');
  assert.equal(await attr(page, 'lane-python', 'data-state'), 'closed');
});

app.test('compare mode: four settings through the same outage, and a recovery in every column', async ({ open }) => {
  const ids = ['python', 'tuned', 'r4j-defaults', 'hair-trigger'];
  const page = await open(`${LESSON}?v=1&compare=${ids.join(',')}&t=120000`);
  await page.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  for (const id of ids) await cell(id, 'rejected_healthy').waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 0, tid('compare-cell-hair-trigger-opens'));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  assert.equal(await value('python', 'rejected_healthy'), 609);
  assert.equal(await value('tuned', 'rejected_healthy'), 19);
  assert.equal(await value('r4j-defaults', 'failed'), 50);
  assert.equal(await value('hair-trigger', 'opens'), 15);
});

app.test('the traffic sweep runs in the worker and draws the CLI\'s medians', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=traffic`);
  await ready(page);
  const cli = await sweepMatchesCli(page, {
    lesson: 'circuit-breakers', sweep: 'traffic', metric: 'failed',
    series: ['python', 'tuned', 'r4j-defaults', 'hair-trigger'],
  });
  const at = (series, i) => cli.points.filter((p) => p.series === series)[i].median;
  assert.ok(at('python', 0) === 5 && at('r4j-defaults', 0) > 20, JSON.stringify([at('python', 0), at('r4j-defaults', 0)]));
});
