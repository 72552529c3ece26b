// The retries lesson (traffic control, lesson 3): twenty clients racing for one row under five
// backoff strategies, a lane each (ticks: accepted writes; marks below: conflicts); a parameter
// changes the crowd and the lanes; the failing-service experiment shows the 4 × 4 × 4 = 64 retry
// storm and the budgets that stop it; compare mode runs each strategy alone and adds a wave of
// clients to every column; the N sweep draws exactly the CLI's medians.
// Every figure is `sdp run retries-and-backoff --preset ID --json` at 120 s.
import assert from 'node:assert/strict';
import { useApp, tid, waitForDataValue, sweepMatchesCli } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/retries-and-backoff';
const ready = async (page) => {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('lanes-diagram')).waitFor();
};
const text = (page, id) => page.locator(tid(id)).first().textContent();
const STRATEGIES = ['none', 'exponential', 'full-jitter', 'equal-jitter', 'decorrelated'];

app.test('five lanes on one row: playing draws writes, and at the end exponential backoff alone made the most of the backoffs', async ({ open }) => {
  const page = await open(`${LESSON}?v=1`);
  await ready(page);
  for (const id of STRATEGIES) await page.locator(tid(`lane-${id}`)).waitFor({ state: 'attached' });
  assert.equal(await page.locator(tid('lane-none')).getAttribute('data-ok'), '0');
  await page.locator(tid('play-button')).click();
  await waitForDataValue(page, 'metric-calls', '>', 40);
  await page.locator(tid('play-button')).click();
  assert.ok(Number(await page.locator(tid('lane-none')).getAttribute('data-rejected')) > 0, 'conflicts drawn');
  assert.match(await text(page, 'lane-full-jitter-gauge'), /of 20 done/);

  const end = await open(`${LESSON}?v=1&t=120000`);
  await ready(end);
  assert.equal(await waitForDataValue(end, 'metric-calls', '>', 0), 169, 'no backoff, the headline');
  // Accepted writes are the 20 clients; conflicts are the rest of the calls.
  assert.equal(await text(end, 'lane-exponential-admitted'), '✓ 20');
  assert.equal(await text(end, 'lane-exponential-rejected'), '✗ 120');
  assert.equal(await text(end, 'lane-full-jitter-rejected'), '✗ 80');
  assert.match(await text(end, 'lanes-title'), /20 clients on one row/);
});

app.test('a parameter changes the run: 100 clients, then one strategy alone', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=classic-100&t=120000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-calls', '>', 0), 2367);
  assert.equal(await text(page, 'lane-full-jitter-gauge'), '100 of 100 done');
  const one = await open(`${LESSON}?v=1&strategies=full-jitter&t=120000`);
  await ready(one);
  assert.equal(await waitForDataValue(one, 'metric-calls', '>', 0), 100);
  assert.equal(await one.locator('[data-testid^="lane-"][data-ok]').count(), 1, 'one lane');
});

app.test('the retry storm: 64 calls per request through three layers of four attempts; a budget stops it', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=storm&t=120000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-downstream_load', '>', 0), 64);
  assert.equal(await text(page, 'lane-retry-rejected'), '✗ 12800');
  assert.equal(await text(page, 'lane-no-retry-rejected'), '✗ 200');
  const budget = await open(`${LESSON}?v=1&preset=storm-budget&t=120000`);
  await ready(budget);
  await waitForDataValue(budget, 'metric-downstream_load', '>', 0);
  assert.match(await text(budget, 'lane-grpc-gauge'), /no retries/);
  assert.match(await text(budget, 'lane-grpc'), /retries refused/);
});

app.test('compare mode: each strategy alone, and a wave of 20 more clients reaches every column', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all&t=120000`);
  await page.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  for (const id of STRATEGIES) await cell(id, 'calls').waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 0, tid('compare-cell-decorrelated-calls'));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  const want = { none: 169, exponential: 140, 'full-jitter': 100, 'equal-jitter': 106, decorrelated: 104 };
  for (const [id, calls] of Object.entries(want)) assert.equal(await value(id, 'calls'), calls, id);
  assert.ok(Math.abs(await value('exponential', 'completion_ms') - 11087.05) < 0.01);

  const wave = await open(`${LESSON}?v=1&compare=all&t=3000`);
  await wave.locator(tid('compare-view')).waitFor();
  await wave.locator(tid('compare-action')).click();
  await wave.waitForFunction(() => /do=3000:add-clients:20/.test(decodeURIComponent(location.hash)));
  const waveCell = (id) => tid(`compare-cell-${id}-clients`);
  for (const id of STRATEGIES) {
    await wave.waitForFunction((sel) => document.querySelector(sel)?.dataset.value === '40', waveCell(id));
  }
});

app.test('the clients sweep runs in the worker and draws the CLI\'s medians', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=clients`);
  await ready(page);
  const cli = await sweepMatchesCli(page, {
    lesson: 'retries-and-backoff', sweep: 'clients', metric: 'calls', series: STRATEGIES,
  });
  const at = (series, i) => cli.points.filter((p) => p.series === series && p.metric === 'calls')[i].median;
  assert.ok(at('exponential', 11) > 2 * at('full-jitter', 11), JSON.stringify([at('exponential', 11), at('full-jitter', 11)]));
});
