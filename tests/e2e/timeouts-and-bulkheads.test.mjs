// The timeouts-and-bulkheads lesson (traffic control, lesson 4): a service's worker threads, one
// shared pool or a bulkhead per dependency, with and without a timeout on B, on the same requests.
// Each lane is a strip of requests (answered above the line, a fallback a short tick, rejected or
// timed out below it) with its threads as the gauge. When B hangs the shared pool's threads all
// wait on B and A's requests are turned away; behind a bulkhead A keeps its 15 threads; a 250 ms
// timeout holds B to 2.5 threads (Little's law); compare mode slows B down in every column; the
// timeout sweep draws exactly the CLI's medians beside its theory.
// Every figure is `sdp run timeouts-and-bulkheads --preset ID --json` (or `sdp compare`).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { useApp, tid, waitForDataValue } from './harness.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const app = useApp();
const LESSON = '#/lesson/timeouts-and-bulkheads';
const ready = async (page) => {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('lanes-diagram')).waitFor();
};
const text = (page, id) => page.locator(tid(id)).first().textContent();
const attr = (page, id, name) => page.locator(tid(id)).getAttribute(name);

app.test('B hangs: the shared pool fills with B\'s calls and rejects A; the bulkhead keeps A\'s threads', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=hang&t=14000`);
  await ready(page);
  for (const id of ['shared', 'bulkhead']) {
    await page.locator(tid(`lane-${id}`)).waitFor({ state: 'attached' });
  }
  await page.waitForFunction((sel) => /^20\/20 busy · A 0 · B 20$/.test(document.querySelector(sel)?.textContent ?? ''), tid('lane-shared-gauge'));
  assert.match(await text(page, 'lane-bulkhead-gauge'), /^A \d+\/15 · B 5\/5$/);
  assert.ok(Number(await attr(page, 'lane-shared', 'data-rejected')) > 50, 'rejections drawn in the shared pool');
  assert.equal(await attr(page, 'lane-shared', 'data-state'), null, 'no state bands');

  const end = await open(`${LESSON}?v=1&preset=hang&t=45000`);
  await ready(end);
  assert.ok(Math.abs(await waitForDataValue(end, 'metric-a_ok_percent_shared', '>', 0) - 55.31) < 0.01);
  assert.equal(await waitForDataValue(end, 'metric-a_ok_percent_bulkhead', '>', 0), 100);
});

app.test('a 250 ms timeout holds a hung B to 2.5 threads, and a parameter change changes the run', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=timeout&t=45000`);
  await ready(page);
  assert.ok(Math.abs(await waitForDataValue(page, 'metric-threads_b_outage', '>', 0) - 2.52) < 0.005);
  assert.equal(await waitForDataValue(page, 'metric-threads_b_outage_theory', '>', 0), 2.5);
  assert.equal(await waitForDataValue(page, 'metric-ok_shared_timeout', '>', 0), 4273);

  const longer = await open(`${LESSON}?v=1&preset=timeout&timeout_ms=1000&t=45000`);
  await ready(longer);
  assert.equal(await waitForDataValue(longer, 'metric-threads_b_outage_theory', '>', 0), 10);
});

app.test('a fallback answers B\'s timeouts with a degraded answer, drawn as short ticks', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=fallback&t=14000`);
  await ready(page);
  await page.locator(tid('lane-bulkhead-timeout')).waitFor({ state: 'attached' });
  assert.ok(Number(await attr(page, 'lane-bulkhead-timeout', 'data-delayed')) > 5, 'fallbacks drawn');
  const end = await open(`${LESSON}?v=1&preset=fallback&t=45000`);
  await ready(end);
  assert.equal(await waitForDataValue(end, 'metric-fallbacks', '>', 0), 202);
  assert.equal(await waitForDataValue(end, 'metric-failed_shared', '>', 0), 1815);
});

app.test('compare mode: B slowed down 50× in every column, the shared pool alone loses A\'s requests', async ({ open }) => {
  const ids = ['shared', 'shared-timeout', 'bulkhead', 'bulkhead-timeout'];
  const page = await open(`${LESSON}?v=1&do=5000:slow:50&t=45000&compare=all`);
  await page.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  for (const id of ids) await cell(id, 'a_ok_percent').waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 0, tid('compare-cell-shared-a_ok_percent'));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  assert.ok(Math.abs(await value('shared', 'a_ok_percent') - 68.01) < 0.01);
  for (const id of ids.slice(1)) assert.equal(await value(id, 'a_ok_percent'), 100, id);
  assert.equal(await value('bulkhead', 'rejected'), 309);
  assert.equal(await value('shared-timeout', 'timed_out'), 366);

  // The header's button slows B down in every column and says so, here and in the link.
  const fresh = await open(`${LESSON}?v=1&compare=all&t=3000`);
  await fresh.locator(tid('compare-view')).waitFor();
  const button = fresh.locator(tid('compare-action'));
  assert.equal(await button.textContent(), 'Slow B down 50×');
  await button.click();
  await fresh.waitForFunction(() => /do=\d+:slow:50/.test(location.hash));
});

app.test('the timeout sweep runs in the worker and draws the CLI\'s medians beside the theory', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=timeout`);
  await ready(page);
  const panel = tid('sweep-panel');
  await page.waitForFunction((sel) => ['done', 'failed'].includes(document.querySelector(sel)?.dataset.status), panel, { timeout: 120_000 });
  assert.equal(await page.locator(panel).getAttribute('data-status'), 'done');
  await page.locator(tid('sweep-theory-timeout-false-percent')).first().waitFor({ state: 'attached' });
  // A sweep without variants is the lesson's own run: the page calls its series `lesson`, the
  // CLI leaves the series empty.
  const cli = JSON.parse(execFileSync('cargo', ['run', '-q', '-p', 'catalog', '--bin', 'sdp', '--', 'sweep', 'timeouts-and-bulkheads', '--sweep', 'timeout', '--json'], {
    cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 << 20,
  }));
  for (const metric of ['b_timed_out_percent', 'p99_b_ms']) {
    const raw = await page.locator(tid(`sweep-series-lesson-${metric}`)).first().getAttribute('data-points');
    const drawn = raw.split(',').filter((x) => x !== '').map(Number);
    const want = cli.points.filter((p) => p.series === '' && p.metric === metric).map((p) => p.median);
    assert.equal(want.length, 14, metric);
    assert.deepEqual(drawn, want, metric);
  }
  const failed = cli.points.filter((p) => p.metric === 'b_timed_out_percent').map((p) => p.median);
  assert.ok(failed[0] > 90 && failed[failed.length - 1] === 0, JSON.stringify(failed));
});
