// The round-robin lesson (load balancing): the balance diagram draws the servers and the
// requests flowing to them from a real run, "what the balancer sees" names each pick with nginx's
// smooth weighted round robin scores, weights split the requests 5 : 1 : 1, a slowed or killed
// server shows both the truth and what the balancer believes, compare mode runs the strategies on
// the same arrivals, and the p99-against-load sweep draws exactly the CLI's numbers.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, sweepMatchesCli } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/round-robin';
const ready = (page) => lessonReady(page, 'balance-diagram');
const attr = (page, id, name) => page.locator(tid(id)).first().getAttribute(name);

app.test('the diagram draws every server, and playing sends requests that travel, queue and get served', async ({ open }) => {
  const page = await open(LESSON);
  await ready(page);
  for (const s of ['A', 'B', 'C', 'D']) await page.locator(tid(`balance-server-${s}`)).waitFor({ state: 'attached' });
  assert.equal(await attr(page, 'balance-diagram', 'data-servers'), '4');
  assert.match(await page.locator(tid('balance-sees')).textContent(), /no pick yet/);
  await page.locator(tid('play-button')).click();
  await waitForDataValue(page, 'metric-served', '>', 3);
  await page.locator(tid('play-button')).click();
  // Requests are drawn: waited for, as the diagram's frame can land a moment after the metrics
  // (a CI run under load counted none at the instant the metric passed 3).
  await page.locator(tid('balance-request')).first().waitFor({ state: 'attached' });
  // Round robin: the scores panel marks exactly one chosen server, and it is the one the
  // summary names.
  const chosen = await attr(page, 'balance-sees', 'data-chosen');
  assert.match(chosen, /^[ABCD]$/);
  assert.equal(await page.locator(`${tid('balance-sees')} [data-chosen="true"]`).count(), 1);
  assert.equal(await attr(page, `balance-score-${chosen}`, 'data-chosen'), 'true');
  assert.match(await page.locator(tid('balance-summary')).textContent(), new RegExp(chosen));
});

app.test('weights 5, 1, 1 split the requests 5 : 1 : 1 and the scores are nginx current weights', async ({ open }) => {
  // 30 s: `sdp run round-robin --preset smooth-511 --json` serves 765, 153 and 153.
  const page = await open(`${LESSON}?v=1&preset=smooth-511&t=30000`);
  await ready(page);
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.served === '765', tid('balance-server-A'));
  assert.equal(await attr(page, 'balance-server-B', 'data-served'), '153');
  assert.equal(await attr(page, 'balance-server-C', 'data-served'), '153');
  assert.match(await page.locator(tid('balance-summary')).textContent(), /largest current weight wins/);
  const scores = await page.locator(`${tid('balance-sees')} li`).count();
  assert.equal(scores, 3, 'a score per server');
  const util = await waitForDataValue(page, 'metric-utilisation', '>', 0);
  assert.ok(util > 0.45 && util < 0.58, `about half busy (${util})`);
});

app.test('a slowed server keeps its turns; a killed one is drawn dead while the balancer still believes it up', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=stale-weights&t=30000`);
  await ready(page);
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.queue) > 20, tid('balance-server-C'));
  assert.match(await page.locator(`${tid('balance-server-C')} title`).textContent(), /4× slower/);
  assert.ok((await waitForDataValue(page, 'metric-unfinished', '>', 40)) > 40, 'the backlog waits at C');
  const killed = await open(`${LESSON}?v=1&do=2000:kill:B&t=2500`);
  await ready(killed);
  await killed.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'killed', tid('balance-server-B'));
  assert.equal(await attr(killed, 'balance-server-B', 'data-belief'), 'unnoticed', 'no health checks: nothing tells the balancer');
  assert.match(await killed.locator(`${tid('balance-server-B')} title`).textContent(), /LB: up/);
  assert.ok((await waitForDataValue(killed, 'metric-errors', '>', 0)) > 0, 'its turns now fail');
});

app.test('compare mode runs the strategies on the same arrivals: least connections beats round robin over unequal servers', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=wrong-weights&compare=all&t=30000`);
  await page.locator(tid('compare-view')).waitFor();
  for (const id of ['round-robin', 'weighted-round-robin', 'random', 'least-connections']) {
    await page.locator(tid(`compare-column-${id}`)).waitFor({ state: 'attached' });
  }
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  await cell('least-connections', 'p99_ms').waitFor({ state: 'attached' });
  const p99 = async (id) => Number(await cell(id, 'p99_ms').getAttribute('data-value'));
  assert.ok((await p99('least-connections')) * 5 < (await p99('round-robin')),
    `least connections sees B and C's queues (${await p99('least-connections')} ms vs ${await p99('round-robin')} ms)`);
});

app.test('the p99-against-load sweep runs in the worker and draws the CLI\'s medians with both theory curves', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=p99-vs-rate`);
  await ready(page);
  await sweepMatchesCli(page, {
    lesson: 'round-robin', sweep: 'p99-vs-rate', metric: 'p99_ms',
    series: ['round-robin', 'random', 'least-connections'], theory: ['lb-random-p99', 'lb-pooled-p99'],
  });
});
