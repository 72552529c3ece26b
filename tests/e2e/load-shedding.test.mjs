// The load-shedding lesson (traffic control, lesson 5): one server fed more than it can serve,
// once per admission policy on copies of the same requests. Each lane is a strip of outcomes (a
// tall tick answered in time, a red mark below the line answered after the client's deadline, a
// grey one shed) with a gauge of the policy's state; without shedding goodput falls off a cliff
// at 1.5× capacity, CoDel holds it near capacity; a load check that is never updated never sheds;
// compare mode puts the policies side by side and spikes every column at once; the cliff sweep
// draws exactly the CLI's medians beside the ideal line.
// Every figure is `sdp run load-shedding --preset ID --json`.
import assert from 'node:assert/strict';
import { useApp, tid, waitForDataValue, sweepMatchesCli } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/load-shedding';
const ready = async (page) => {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('lanes-diagram')).waitFor();
};
const text = (page, id) => page.locator(tid(id)).first().textContent();
const attr = (page, id, name) => page.locator(tid(id)).getAttribute(name);
const near = (got, want, what) => assert.ok(Math.abs(got - want) < 0.06, `${what}: ${got}, want ${want}`);

app.test('the cliff: without shedding answers come late; CoDel sees a standing queue and holds goodput', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&t=8000`);
  await ready(page);
  for (const id of ['fifo', 'codel', 'bounded', 'load-limit', 'priority']) {
    await page.locator(tid(`lane-${id}`)).waitFor({ state: 'attached' });
  }
  await waitForDataValue(page, 'metric-offered', '>', 0);
  assert.ok(Number(await attr(page, 'lane-fifo', 'data-failed')) > 20, 'late answers drawn without shedding');
  assert.equal(Number(await attr(page, 'lane-fifo', 'data-rejected')), 0, 'nothing shed without shedding');
  assert.ok(Number(await attr(page, 'lane-codel', 'data-rejected')) > 20, 'CoDel drops from its queue');
  assert.equal(Number(await attr(page, 'lane-codel', 'data-failed')), 0, 'and answers nothing late');
  // CoDel's queue stands, drains under 5 ms timeouts, and stands again: either mode may show.
  assert.match(await text(page, 'lane-codel-gauge'), /^\d+ queued · (standing queue: 5 ms timeout, LIFO|100 ms timeout, FIFO)$/);
  assert.match(await text(page, 'lane-fifo-gauge'), /^\d+ queued · oldest waited \d+ ms$/);

  const end = await open(`${LESSON}?v=1&t=30000`);
  await ready(end);
  near(await waitForDataValue(end, 'metric-goodput_percent_fifo', '>', 0), 9.8, 'fifo');
  near(await waitForDataValue(end, 'metric-goodput_percent_codel', '>', 0), 98.2, 'codel');
  assert.equal(await waitForDataValue(end, 'metric-late_fifo', '>', 0), 5387);
});

app.test('a queue bound longer than the deadline falls off the cliff too', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&queue_limit=500&t=30000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-late_bounded', '>', 0), 5391);
  assert.match(await text(page, 'lane-bounded-gauge'), /of 500 queued$/);
});

app.test('the dead load check reads 0 % and sheds nothing', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=dead-check&t=30000`);
  await ready(page);
  await page.locator(tid('lane-dead-check')).waitFor({ state: 'attached' });
  assert.match(await text(page, 'lane-dead-check-gauge'), /^reads load 0 % · real \d+ %/);
  assert.equal(await text(page, 'lane-dead-check-rejected'), '✗ 0');
  assert.equal(await waitForDataValue(page, 'metric-late_dead_check', '>', 0), 5387);
});

app.test('a spike by hand is logged, and raises the load in every lane', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=below-capacity&do=5000:spike&t=7000`);
  await ready(page);
  await page.locator(tid('event-log-entry')).filter({ hasText: /A spike starts, for 5 s: offered load 3× capacity/ }).first().waitFor({ state: 'attached' });
  assert.match(await text(page, 'lanes-title'), /offered 3×/);
});

app.test('compare mode: the policies side by side, and a spike reaches every column', async ({ open }) => {
  const ids = ['fifo', 'bounded', 'load-limit', 'codel', 'priority'];
  const page = await open(`${LESSON}?v=1&compare=${ids.join(',')}&t=30000`);
  await page.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  for (const id of ids) await cell(id, 'goodput_percent').waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 0, tid('compare-cell-priority-goodput_percent'));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  near(await value('fifo', 'goodput_percent'), 9.8, 'fifo');
  near(await value('codel', 'goodput_percent'), 98.2, 'codel');
  near(await value('load-limit', 'goodput_percent'), 80.2, 'load limit');

  const spike = await open(`${LESSON}?v=1&compare=${ids.join(',')}&t=5000`);
  await spike.locator(tid('compare-view')).waitFor();
  const button = spike.locator(tid('compare-action'));
  assert.equal(await button.textContent(), 'Spike now');
  await button.click();
  await spike.waitForFunction(() => /do=5000:spike/.test(decodeURIComponent(location.hash)));
});

app.test('the cliff sweep runs in the worker and draws the CLI\'s medians beside the ideal line', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=cliff`);
  await ready(page);
  const cli = await sweepMatchesCli(page, {
    lesson: 'load-shedding', sweep: 'cliff', metric: 'goodput_percent',
    series: ['fifo', 'bounded', 'load-limit', 'codel'], theory: ['shedding-ideal-goodput'],
  });
  const at = (series, i) => cli.points.filter((p) => p.series === series)[i].median;
  assert.ok(at('fifo', 11) < 10 && at('codel', 11) > 95, JSON.stringify([at('fifo', 11), at('codel', 11)]));
});
