// The random-choices lesson (load balancing): two random choices draw two servers and send to the
// one with fewer in flight, and "what the balancer sees" shows exactly those two; 64 requests on
// 64 servers with nothing answered is balls into bins (random 5, two choices 2, least
// connections 1 in the fullest server); an aperture of 4 of 12 servers leaves the other eight
// idle; and the p99-against-servers sweep draws exactly the CLI's medians with its theory curves.
// Every figure is `sdp run random-choices --preset ID --json` or `sdp compare random-choices
// --preset ID` at 30 s.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, sweepMatchesCli, balanceScores } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/random-choices';
const ready = (page) => lessonReady(page, 'balance-diagram');
const attr = (page, id, name) => page.locator(tid(id)).first().getAttribute(name);


app.test('two random choices: the panel shows the two servers drawn, and the pick is the one with fewer in flight', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=two-choices`);
  await ready(page);
  for (const s of ['A', 'B', 'C', 'D']) await page.locator(tid(`balance-server-${s}`)).waitFor({ state: 'attached' });
  await page.locator(tid('play-button')).click();
  await waitForDataValue(page, 'metric-served', '>', 20);
  await page.locator(tid('play-button')).click();
  const chosen = await attr(page, 'balance-sees', 'data-chosen');
  assert.match(chosen, /^[ABCD]$/);
  assert.match(await page.locator(tid('balance-summary')).textContent(), /^drew [A-D], [A-D]; fewest in flight wins/);
  // Exactly two servers were drawn (they have a score); the others say so.
  const s = await balanceScores(page);
  const drawn = Object.entries(s).filter(([, v]) => v !== null);
  assert.equal(drawn.length, 2, JSON.stringify(s));
  assert.ok(drawn.some(([name]) => name === chosen), 'the pick is one of the two drawn');
  assert.equal(s[chosen], Math.min(...drawn.map(([, v]) => v)), JSON.stringify(s));
  for (const [name, v] of Object.entries(s)) {
    if (v === null) assert.match(await page.locator(tid(`balance-score-${name}`)).textContent(), /not drawn/);
  }
  // 30 s: mean 193.2 ms, p99 647.2 ms (random on the same arrivals: 352.4 and 1,407.3).
  const end = await open(`${LESSON}?v=1&preset=two-choices&t=30000`);
  await ready(end);
  const mean = await waitForDataValue(end, 'metric-mean_ms', '>', 0);
  assert.ok(Math.abs(mean - 193.2) < 0.5, `mean ${mean} ms`);
  const p99 = await waitForDataValue(end, 'metric-p99_ms', '>', 0);
  assert.ok(Math.abs(p99 - 647.2) < 0.5, `p99 ${p99} ms`);
});

app.test('balls into bins: the fullest of 64 servers holds 5 at random, 2 with two choices, 1 under least connections; d = 1 brings it back to 5', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=bins-random&compare=random,two-choices,least-connections&t=30000`);
  await page.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  for (const id of ['random', 'two-choices', 'least-connections']) {
    await cell(id, 'max_in_flight').waitFor({ state: 'attached' });
  }
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.value === '5', tid('compare-cell-random-max_in_flight'));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  assert.equal(await value('two-choices', 'max_in_flight'), 2);
  assert.equal(await value('least-connections', 'max_in_flight'), 1);
  for (const id of ['random', 'two-choices', 'least-connections']) {
    assert.equal(await value(id, 'unfinished'), 64, `${id}: nothing answered, every request still in flight`);
  }
  // A parameter changes the result: one choice instead of two.
  const one = await open(`${LESSON}?v=1&preset=bins-two&d=1&t=30000`);
  await ready(one);
  assert.equal(await waitForDataValue(one, 'metric-max_in_flight', '>', 0), 5);
  const two = await open(`${LESSON}?v=1&preset=bins-two&t=30000`);
  await ready(two);
  assert.equal(await waitForDataValue(two, 'metric-max_in_flight', '>', 0), 2);
  await two.locator(tid('balance-server-BL')).waitFor({ state: 'attached' });
});

app.test('aperture: a window of 4 of 12 servers takes every request and leaves the other eight idle', async ({ open }) => {
  // `sdp run random-choices --preset aperture --json`: served 2,217, 2,235, 2,260, 2,305 by A–D,
  // none by E–L; p99 84.5 ms (two choices over all twelve: 48.0 ms).
  const page = await open(`${LESSON}?v=1&preset=aperture&t=30000`);
  await ready(page);
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.served === '2217', tid('balance-server-A'));
  assert.equal(await attr(page, 'balance-server-D', 'data-served'), '2305');
  for (const s of ['E', 'H', 'L']) assert.equal(await attr(page, `balance-server-${s}`, 'data-served'), '0', s);
  assert.match(await page.locator(tid('balance-summary')).textContent(), /window of 4 servers/);
  assert.match(await page.locator(tid('balance-score-L')).textContent(), /outside this client's window/);
  const p99 = await waitForDataValue(page, 'metric-p99_ms', '>', 0);
  assert.ok(Math.abs(p99 - 84.5) < 0.5, `p99 ${p99} ms`);
});

app.test('the p99-against-servers sweep runs in the worker and draws the CLI\'s medians with both theory curves', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=p99-vs-servers`);
  await ready(page);
  const cli = await sweepMatchesCli(page, {
    lesson: 'random-choices', sweep: 'p99-vs-servers', metric: 'p99_ms',
    series: ['random', 'two-choices', 'least-connections'], theory: ['lb-random-p99', 'lb-pooled-p99'],
  });
  // Random stays near M/M/1's 230 ms however many servers; least connections falls below 60 ms.
  const last = (series) => cli.points.filter((p) => p.series === series).at(-1).median;
  assert.ok(last('random') > 180, `random at 32 servers: ${last('random')}`);
  assert.ok(last('least-connections') < 60, `least connections at 32 servers: ${last('least-connections')}`);
});
