// The highways lesson (load balancing): a capacity-threshold balancer from a widely copied
// interview answer. "What the balancer sees" names the mode of every pick (green wave or
// emergency); the published emergency mode refuses a request while A and B have room, the fixed
// one sends the same request to the least utilised server with room; compare mode counts the
// refusals of both on the same arrivals.
// Every figure is `sdp run highways --preset ID --json` (with `--until T` for a moment of the run),
// `sdp run highways --preset ID --events` for the pick at a moment, or `sdp compare highways
// --preset published` at 30 s.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/highways';
const ready = (page) => lessonReady(page, 'balance-diagram');
const attr = (page, id, name) => page.locator(tid(id)).first().getAttribute(name);
const summary = (page) => page.locator(tid('balance-summary')).textContent();

app.test('the summary names the mode: green wave while a server is below 80 % of its capacity', async ({ open }) => {
  // `--events`: the last pick before 500 ms is req 19 → B, green wave, (3 + 1)/8 = 0.5.
  const page = await open(`${LESSON}?v=1&preset=published&t=500`);
  await ready(page);
  for (const s of ['A', 'B', 'C']) await page.locator(tid(`balance-server-${s}`)).waitFor({ state: 'attached' });
  assert.equal(await attr(page, 'balance-diagram', 'data-servers'), '3');
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.chosen === 'B', tid('balance-sees'));
  assert.match(await summary(page), /^green wave: smallest predicted time among servers below 80 % wins: B \(\(3 \+ 1\)\/8 = 0\.5\)/);
  assert.equal(await attr(page, 'balance-score-B', 'data-chosen'), 'true');
  assert.equal(await page.locator(`${tid('balance-sees')} li`).count(), 3, 'a score per server');
  // `--until 500`: 20 arrivals, none refused yet.
  assert.equal(await waitForDataValue(page, 'metric-no_server', '>=', 0), 0);
});

app.test('the published emergency mode refuses a request while A and B have room; the fixed one places it', async ({ open }) => {
  // `--events`: req 44 at 992 ms is the first refusal; `--until 1000`: no_server 1.
  const page = await open(`${LESSON}?v=1&preset=published&t=1000`);
  await ready(page);
  await page.waitForFunction((sel) => /refused/.test(document.querySelector(sel)?.textContent ?? ''), tid('balance-summary'));
  assert.equal(
    await summary(page),
    'emergency (every server at 80 % or more): least load is C (6/6), full: refused, though A has room for 2, B for 1',
  );
  assert.equal(await attr(page, 'balance-sees', 'data-chosen'), null, 'no server chosen');
  assert.equal(await page.locator(`${tid('balance-sees')} [data-chosen="true"]`).count(), 0);
  assert.match(await page.locator(tid('balance-score-C')).textContent(), /load 6\/6, full/);
  assert.equal(await waitForDataValue(page, 'metric-no_server', '>', 0), 1);

  // The same arrivals with the fixed emergency mode: req 44 goes to C (5 of 6), the lowest
  // utilisation with room; `--until 1000`: nothing refused.
  const fixed = await open(`${LESSON}?v=1&preset=fixed&t=1000`);
  await ready(fixed);
  await fixed.waitForFunction((sel) => document.querySelector(sel)?.dataset.chosen === 'C', tid('balance-sees'));
  assert.equal(await summary(fixed), 'emergency (every server at 80 % or more): lowest utilisation with room wins: C (5/6)');
  assert.equal(await attr(fixed, 'balance-score-C', 'data-chosen'), 'true');
  assert.equal(await waitForDataValue(fixed, 'metric-no_server', '>=', 0), 0);
});

app.test('compare mode on the same arrivals: 16 refusals as published, 6 fixed, none for the strategies without a capacity', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=published&compare=all&t=30000`);
  await page.locator(tid('compare-view')).waitFor();
  const ids = ['threshold-notes', 'threshold', 'round-robin', 'weighted-round-robin', 'weighted-least-connections', 'least-connections'];
  for (const id of ids) await page.locator(tid(`compare-column-${id}`)).waitFor({ state: 'attached' });
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  const value = async (id, m) => {
    await page.waitForFunction((sel) => (document.querySelector(sel)?.dataset.value ?? '') !== '', tid(`compare-cell-${id}-${m}`));
    return Number(await cell(id, m).getAttribute('data-value'));
  };
  // `sdp compare highways --preset published`: no_server 16, 6, 0, 0, 0, 0; served 590 and 600.
  assert.equal(await value('threshold-notes', 'no_server'), 16);
  assert.equal(await value('threshold', 'no_server'), 6);
  assert.equal(await value('threshold-notes', 'served'), 590);
  assert.equal(await value('threshold', 'served'), 600);
  for (const id of ['round-robin', 'weighted-round-robin', 'weighted-least-connections', 'least-connections']) {
    assert.equal(await value(id, 'no_server'), 0, `${id} has no capacity to refuse by`);
  }
  // Round robin gives C a third of the traffic: 15 requests are still unfinished at 30 s.
  assert.equal(await value('round-robin', 'unfinished'), 15);
});
