// The health-checks lesson (load balancing): a killed server is drawn dead while the balancer
// still believes it up, until active checks mark it down; nginx's passive checks take it out after
// one failed request, which "what the balancer sees" names; compare mode counts the errors each
// kind of check costs on the same arrivals, and retries turn them into retries; a drained server
// finishes what it holds and leaves with no error.
// Every figure is `sdp run health-checks --preset ID --json [--until T]` or `sdp compare
// health-checks --preset no-checks`; the moments are the log's (`--events`).
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/health-checks';
const ready = (page) => lessonReady(page, 'balance-diagram');
const attr = (page, id, name) => page.locator(tid(id)).first().getAttribute(name);
const dataIs = (page, id, key, want) => page.waitForFunction(
  ([sel, k, w]) => document.querySelector(sel)?.dataset[k] === w,
  [tid(id), key, want],
);

app.test('active checks every 2 s, fall 3: B is dead but believed up until 11 s, then marked down', async ({ open }) => {
  // B killed at 5 s; probes at 6, 8 and 10 s fail after their 1 s timeout; the log marks B down
  // at 11.0 s. `--until 8000`: 15 errors; `--until 12000`: 32 errors, and 32 at 30 s.
  const page = await open(`${LESSON}?v=1&preset=active-2s&t=8000`);
  await ready(page);
  await dataIs(page, 'balance-server-B', 'state', 'killed');
  assert.equal(await attr(page, 'balance-server-B', 'data-belief'), 'unnoticed', 'dead, but the checks have not noticed');
  assert.equal(await attr(page, 'balance-server-B', 'data-healthy'), 'true');
  assert.match(await page.locator(`${tid('balance-server-B')} title`).textContent(), /LB: up/);
  assert.equal(await waitForDataValue(page, 'metric-errors', '==', 15), 15);

  const later = await open(`${LESSON}?v=1&preset=active-2s&t=12000`);
  await ready(later);
  await dataIs(later, 'balance-server-B', 'healthy', 'false');
  assert.equal(await attr(later, 'balance-server-B', 'data-state'), 'killed');
  assert.equal(await attr(later, 'balance-server-B', 'data-belief'), null, 'dead and believed dead');
  assert.match(await later.locator(tid('balance-score-B')).textContent(), /marked down by health checks/);
  assert.notEqual(await attr(later, 'balance-sees', 'data-chosen'), 'B');
  assert.equal(await waitForDataValue(later, 'metric-errors', '==', 32), 32);
});

app.test('passive checks: one failed request takes B out for fail_timeout, and the panel says so', async ({ open }) => {
  // `sdp run health-checks --preset passive --until 10000`: 1 error (the request B held when it
  // died), and every pick since says "B out by max_fails". At 30 s: 3 errors (B is tried again,
  // and fails, at 16.1 s and 27.2 s).
  const page = await open(`${LESSON}?v=1&preset=passive&t=10000`);
  await ready(page);
  await dataIs(page, 'balance-server-B', 'state', 'killed');
  await page.waitForFunction((sel) => /B out by max_fails/.test(document.querySelector(sel)?.textContent ?? ''), tid('balance-summary'));
  assert.match(await page.locator(tid('balance-score-B')).textContent(), /max_fails 1/);
  assert.notEqual(await attr(page, 'balance-sees', 'data-chosen'), 'B');
  assert.equal(await waitForDataValue(page, 'metric-errors', '==', 1), 1);
  const end = await open(`${LESSON}?v=1&preset=passive&t=30000`);
  await ready(end);
  assert.equal(await waitForDataValue(end, 'metric-errors', '==', 3), 3);
});

app.test('compare mode counts the errors each kind of check costs on the same arrivals, and retries absorb them', async ({ open }) => {
  // `sdp compare health-checks --preset no-checks`: errors 128 / 0 / 32 / 10 / 3 / 0 and retries
  // 0 / 171 / 0 / 0 / 0 / 3 for none / retry / active-2s / active-fast / passive / passive-retry.
  const page = await open(`${LESSON}?v=1&preset=no-checks&compare=all&t=30000`);
  await page.locator(tid('compare-view')).waitFor();
  const ids = ['none', 'retry', 'active-2s', 'active-fast', 'passive', 'passive-retry'];
  for (const id of ids) await page.locator(tid(`compare-column-${id}`)).waitFor({ state: 'attached' });
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 100, tid('compare-cell-none-errors'));
  for (const id of ids) await cell(id, 'errors').waitFor({ state: 'attached' });
  const errors = {};
  for (const id of ids) errors[id] = await value(id, 'errors');
  assert.deepEqual(errors, { none: 128, retry: 0, 'active-2s': 32, 'active-fast': 10, passive: 3, 'passive-retry': 0 });
  await cell('retry', 'retries').waitFor({ state: 'attached' });
  assert.equal(await value('retry', 'retries'), 171, 'every attempt on dead B is retried elsewhere');
  assert.equal(await value('passive-retry', 'retries'), 3, 'passive checks leave only their tests to retry');
});

app.test('draining: a removed server finishes what it holds, leaves, and no request fails', async ({ open }) => {
  // `sdp run health-checks --preset drain --until 5010`: B draining with its one request; the log
  // has B leave at 5,031.6 ms; 0 errors at 30 s, B served 23.
  const page = await open(`${LESSON}?v=1&preset=drain&t=5010`);
  await ready(page);
  await dataIs(page, 'balance-server-B', 'state', 'draining');
  assert.equal(await attr(page, 'balance-server-B', 'data-in-flight'), '1', 'it finishes the request it holds');
  const end = await open(`${LESSON}?v=1&preset=drain&t=30000`);
  await ready(end);
  await dataIs(end, 'balance-server-B', 'state', 'removed');
  assert.equal(await attr(end, 'balance-server-B', 'data-served'), '23');
  assert.equal(await waitForDataValue(end, 'metric-errors', '==', 0), 0);
  assert.ok((await waitForDataValue(end, 'metric-served', '>', 590)) === 596, 'every other request is served');
});
