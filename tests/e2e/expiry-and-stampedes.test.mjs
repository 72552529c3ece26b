// The expiry-and-stampedes lesson: the herd preset spikes the database when product 1 expires,
// single flight removes the spike, the flash sale's warm-up expires as one storm that jitter
// spreads, compare mode runs every strategy on the same reads, and the questions are answered by
// the sim. Figures are the model's (`sdp run expiry-and-stampedes --preset … --until …`).
import assert from 'node:assert/strict';
import { useApp, tid, waitForDataValue, dataValue, setInputValue, showQuestion } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/expiry-and-stampedes';
// The store diagram is HTML (a figure), not an SVG like the ring.
async function ready(page) {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('store-diagram')).waitFor();
}

app.test('the herd: product 1 expires at 10 s and about 40 queries hit the database in that second', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=herd&t=11000`);
  await ready(page);
  // The diagram draws the three tiers, product 1 among the cache's entries.
  for (const t of ['clients', 'cache', 'db']) {
    await page.locator(tid(`tier-${t}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await waitForDataValue(page, 'metric-peak_db_reads_per_s', '==', 40), 40);
  assert.equal(await dataValue(page, 'metric-peak_db_in_flight'), 34);
  assert.ok((await dataValue(page, 'metric-peak_db_load')) > 4, 'over four times the connections');
  assert.equal(await dataValue(page, 'metric-coalesced'), 0);
});

app.test('single flight turns the herd into one query per key', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=herd-single-flight&t=11000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-peak_db_in_flight', '==', 2), 2);
  assert.equal(await dataValue(page, 'metric-peak_db_reads_per_s'), 4);
  assert.equal(await dataValue(page, 'metric-coalesced'), 73, 'the herd waited on its leader');
});

app.test('a step plays to its pause: Try it on the herd step', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&step=2`);
  await ready(page);
  await page.locator(tid('step-2-try')).click();
  assert.equal(await waitForDataValue(page, 'metric-peak_db_reads_per_s', '==', 40), 40);
});

app.test('the flash sale storm and the jitter that spreads it', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=flash-sale&t=12000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-peak_db_reads_per_s', '==', 1221), 1221);
  const fixed = await open(`${LESSON}?v=1&preset=flash-sale-jitter&t=12000`);
  await ready(fixed);
  assert.equal(await waitForDataValue(fixed, 'metric-peak_db_reads_per_s', '==', 36), 36);
});

app.test('compare mode runs every strategy on the same reads', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=herd&compare=all&t=11000`);
  await page.locator(tid('compare-view')).waitFor();
  const ids = ['none', 'single-flight', 'xfetch', 'swr', 'jitter'];
  for (const id of ids) await waitForDataValue(page, `compare-cell-${id}-requests`, '==', 11071);
  assert.equal(await waitForDataValue(page, 'compare-cell-none-peak_db_in_flight', '==', 34), 34);
  assert.equal(await waitForDataValue(page, 'compare-cell-single-flight-peak_db_in_flight', '==', 2), 2);
  assert.ok((await dataValue(page, 'compare-cell-swr-stale_served')) > 0);
  assert.ok((await dataValue(page, 'compare-cell-xfetch-early_refreshes')) > 0);
});

app.test('the burst question is answered by the sim: 50 queries without single flight', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&step=3`);
  await ready(page);
  const q = await showQuestion(page, 'burst-none');
  await q.scrollIntoViewIfNeeded();
  await setInputValue(q.locator(tid('question-burst-none-input')), '1');
  await q.locator(tid('question-burst-none-submit')).click();
  const result = page.locator(tid('question-burst-none-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /not quite/i, 'one query is the single-flight answer');
  assert.match((await result.textContent()) ?? '', /50/);
});

app.test('on a 360 px phone the lesson never scrolls sideways', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=herd&t=11000`);
  await page.setViewportSize({ width: 360, height: 740 });
  await ready(page);
  await waitForDataValue(page, 'metric-peak_db_reads_per_s', '==', 40);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 360, `the page is ${width} px wide at 360`);
});
