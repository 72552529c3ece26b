// The least-connections lesson (load balancing): "what the balancer sees" shows each server's
// in-flight count and the pick goes to the lowest; when B turns ten times slower, compare mode
// shows round robin's backlog and least connections' and peak EWMA's short queues on the same
// arrivals; peak EWMA's panel scores each server as (in flight + 1) × EWMA; weighted least
// connections splits the first lesson's unequal servers as the CLI does; and on heavy-tailed work
// the longest request is as long under every strategy while the p99 is not.
// Every figure is `sdp run least-connections --preset ID --json` or `sdp compare
// least-connections --preset ID` at 30 s.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, balanceScores } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/least-connections';
const ready = (page) => lessonReady(page, 'balance-diagram');
const attr = (page, id, name) => page.locator(tid(id)).first().getAttribute(name);


app.test('least connections picks the server with the fewest requests in flight, and beats round robin on the same arrivals', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=equal`);
  await ready(page);
  for (const s of ['A', 'B', 'C', 'D']) await page.locator(tid(`balance-server-${s}`)).waitFor({ state: 'attached' });
  assert.match(await page.locator(tid('balance-sees')).textContent(), /no pick yet/);
  await page.locator(tid('play-button')).click();
  await waitForDataValue(page, 'metric-served', '>', 20);
  await page.locator(tid('play-button')).click();
  const chosen = await attr(page, 'balance-sees', 'data-chosen');
  assert.match(chosen, /^[ABCD]$/);
  assert.equal(await page.locator(`${tid('balance-sees')} [data-chosen="true"]`).count(), 1);
  assert.equal(await attr(page, `balance-score-${chosen}`, 'data-chosen'), 'true');
  assert.match(await page.locator(tid(`balance-score-${chosen}`)).textContent(), /in flight/);
  assert.match(await page.locator(tid('balance-summary')).textContent(), /lowest load wins/);
  // The chosen server's score (its in-flight count at the pick) is the lowest of the four.
  const s = await balanceScores(page);
  assert.equal(Object.keys(s).length, 4, 'a score per server');
  assert.equal(s[chosen], Math.min(...Object.values(s)), JSON.stringify(s));
  // 30 s: mean 158.0 ms, p99 580.6 ms (round robin on the same arrivals: 246.7 and 866.7).
  const end = await open(`${LESSON}?v=1&preset=equal&t=30000`);
  await ready(end);
  const mean = await waitForDataValue(end, 'metric-mean_ms', '>', 0);
  assert.ok(mean > 150 && mean < 166, `mean ${mean} ms`);
  const p99 = await waitForDataValue(end, 'metric-p99_ms', '>', 0);
  assert.ok(p99 > 560 && p99 < 600, `p99 ${p99} ms`);
});

app.test('B ten times slower: round robin builds a backlog at B, least connections and peak EWMA do not', async ({ open }) => {
  // `sdp compare least-connections --preset slow-lc`: unfinished 82 / 4 / 4, p99 13,170 /
  // 2,485 / 1,045 ms for round robin / least connections / peak EWMA.
  const page = await open(`${LESSON}?v=1&preset=slow-lc&compare=round-robin,least-connections,peak-ewma&t=30000`);
  await page.locator(tid('compare-view')).waitFor();
  for (const id of ['round-robin', 'least-connections', 'peak-ewma']) {
    await page.locator(tid(`compare-column-${id}`)).waitFor({ state: 'attached' });
  }
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 60, tid('compare-cell-round-robin-unfinished'));
  await cell('peak-ewma', 'p99_ms').waitFor({ state: 'attached' });
  assert.ok((await value('round-robin', 'unfinished')) > 60, 'the backlog waits at B');
  assert.ok((await value('least-connections', 'unfinished')) < 10, 'least connections leaves no backlog');
  assert.ok((await value('peak-ewma', 'unfinished')) < 10, 'nor does peak EWMA');
  const rr = await value('round-robin', 'p99_ms');
  const lc = await value('least-connections', 'p99_ms');
  const pe = await value('peak-ewma', 'p99_ms');
  assert.ok(lc * 4 < rr, `least connections' p99 (${lc} ms) is far below round robin's (${rr} ms)`);
  assert.ok(pe < lc, `peak EWMA's p99 (${pe} ms) is below least connections' (${lc} ms)`);
});

app.test('peak EWMA scores every server as (in flight + 1) × EWMA and picks the lowest; B shows it is ten times slower', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=slow-ewma&t=15000`);
  await ready(page);
  await page.waitForFunction((sel) => /^[ABCD]$/.test(document.querySelector(sel)?.dataset.chosen ?? ''), tid('balance-sees'));
  assert.match(await attr(page, 'balance-diagram', 'data-strategy'), /peak EWMA/i);
  assert.match(await page.locator(`${tid('balance-server-B')} title`).textContent(), /10× slower/);
  const chosen = await attr(page, 'balance-sees', 'data-chosen');
  assert.match(await page.locator(tid('balance-summary')).textContent(), /lowest score wins/);
  for (const s of ['A', 'B', 'C', 'D']) {
    assert.match(await page.locator(tid(`balance-score-${s}`)).textContent(), /in flight \+ 1\) × .*EWMA/);
  }
  const s = await balanceScores(page);
  assert.equal(s[chosen], Math.min(...Object.values(s)), JSON.stringify(s));
  // 30 s: p99 1,045 ms (least connections on the same run: 2,485 ms).
  const end = await open(`${LESSON}?v=1&preset=slow-ewma&t=30000`);
  await ready(end);
  const p99 = await waitForDataValue(end, 'metric-p99_ms', '>', 0);
  assert.ok(p99 > 1000 && p99 < 1100, `p99 ${p99} ms`);
});

app.test('weighted least connections splits speeds 5, 1, 1 as the CLI does, and heavy-tailed work keeps its longest request under every strategy', async ({ open }) => {
  // `sdp run least-connections --preset weighted --json`: served 727, 182, 162.
  const page = await open(`${LESSON}?v=1&preset=weighted&t=30000`);
  await ready(page);
  await page.waitForFunction((sel) => document.querySelector(sel)?.dataset.served === '727', tid('balance-server-A'));
  assert.equal(await attr(page, 'balance-server-B', 'data-served'), '182');
  assert.equal(await attr(page, 'balance-server-C', 'data-served'), '162');
  assert.match(await page.locator(tid('balance-score-A')).textContent(), /in flight \/ weight 5/);
  assert.match(await page.locator(tid('balance-score-B')).textContent(), /in flight \/ weight 1/);
  // `sdp compare least-connections --preset heavy-tail`: max 7,443 ms for both (the longest
  // request's own work), p99 6,665 ms for round robin and 1,059 ms for least connections.
  const tail = await open(`${LESSON}?v=1&preset=heavy-tail&compare=round-robin,least-connections&t=30000`);
  await tail.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => tail.locator(tid(`compare-cell-${id}-${m}`));
  await tail.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 0, tid('compare-cell-least-connections-max_ms'));
  await cell('round-robin', 'max_ms').waitFor({ state: 'attached' });
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  assert.equal(await value('least-connections', 'max_ms'), await value('round-robin', 'max_ms'));
  assert.ok(Math.abs((await value('least-connections', 'max_ms')) - 7443) < 1);
  assert.ok((await value('least-connections', 'p99_ms')) * 4 < (await value('round-robin', 'p99_ms')));
});
