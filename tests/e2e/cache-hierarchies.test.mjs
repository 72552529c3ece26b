// The cache-hierarchies lesson: the levels render as tiers with the sim's numbers, playing
// serves reads, an L1 takes the hot key's load off its L2 shard, and compare mode runs L2 only,
// L1 + L2 and edge + L1 + L2 on the same requests.
import assert from 'node:assert/strict';
import { useApp, tid, dataValue, waitForDataValue, setInputValue } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/cache-hierarchies';
// The store diagram is HTML, not SVG: wait for the page and for it.
async function ready(page) {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('store-diagram')).first().waitFor();
}

app.test('the L2-only setup draws clients, four app servers, four Redis shards and the database', async ({ open }) => {
  // The lesson's defaults (seed 5) at 10 s; the same numbers as `sdp run cache-hierarchies --until 10000`.
  const page = await open(`${LESSON}?v=1&t=10000`);
  await ready(page);
  for (const id of ['clients', 'l1-0', 'l1-3', 'l2-0', 'l2-3', 'db']) {
    await page.locator(tid(`tier-${id}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('tier-edge')).count(), 0, 'no edge by default');
  assert.equal(await waitForDataValue(page, 'metric-requests', '==', 2957), 2957);
  assert.equal(await dataValue(page, 'metric-db_reads'), 995);
  const hit = await dataValue(page, 'metric-hit_ratio');
  assert.ok(Math.abs(hit - 0.659) < 0.001, `hit ratio ${hit}`);
  const origin = await dataValue(page, 'metric-origin_rps');
  assert.ok(Math.abs(origin - 93.8) < 0.1, `origin load ${origin}`);
});

app.test('playing serves reads and fills the caches', async ({ open }) => {
  const page = await open(LESSON);
  await ready(page);
  await page.locator(tid('play-button')).click();
  await waitForDataValue(page, 'metric-hits', '>', 20);
  await page.locator(tid('play-button')).click();
  await page.locator('[data-testid^="entry-l2-"]').first().waitFor({ state: 'attached' });
  assert.ok((await dataValue(page, 'metric-db_reads')) > 0, 'the first reads missed');
});

app.test('an L1 of 20 keys takes the hot key off its L2 shard', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&hot_share=30&t=10000`);
  await ready(page);
  // Without L1: k0's shard serves ~166 operations a second (sdp: 165.8), past its 150.
  const before = await waitForDataValue(page, 'metric-hot_shard_rps', '>', 150);
  assert.ok(before < 180, `hot shard without L1: ${before}`);
  // The L1 size control, as a learner would set it: the run restarts with the same requests.
  await setInputValue(page.locator(tid('param-l1_size')), 20);
  const after = await waitForDataValue(page, 'metric-hot_shard_rps', '<', before / 2);
  assert.ok(after > 30, `the shard still serves its other keys: ${after}`);
  assert.ok((await dataValue(page, 'metric-l1_hit_ratio')) > 0.3, 'the L1s answer the hot key');
});

app.test('compare mode runs L2 only, L1 + L2 and edge + L1 + L2 side by side', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all&t=10000`);
  const view = page.locator(tid('compare-view'));
  await view.waitFor();
  const ids = ['l2-only', 'l1-l2', 'edge-l1-l2'];
  for (const id of ids) {
    await view.locator(tid(`compare-column-${id}`)).locator(tid('store-diagram')).waitFor();
  }
  const row = (m) =>
    page.evaluate((metric) => {
      const out = {};
      for (const el of document.querySelectorAll(`[data-testid^="compare-cell-"][data-testid$="-${metric}"]`)) {
        out[el.getAttribute('data-testid').slice('compare-cell-'.length, -(metric.length + 1))] = Number(el.getAttribute('data-value'));
      }
      return out;
    }, m);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid^="compare-cell-"][data-testid$="-latency_mean_ms"][data-value]').length === 3);
  const latency = await row('latency_mean_ms');
  assert.deepEqual(Object.keys(latency).sort(), [...ids].sort());
  assert.ok(latency['edge-l1-l2'] < latency['l1-l2'] - 5, `the edge is closer: ${JSON.stringify(latency)}`);
  const hits = await row('hit_ratio');
  // An L1 in front of the L2 moves hits closer but adds almost none (the L2 held those keys).
  assert.ok(Math.abs(hits['l1-l2'] - hits['l2-only']) < 0.03, JSON.stringify(hits));
  await view.locator(tid('compare-column-edge-l1-l2')).locator(tid('tier-edge')).waitFor({ state: 'attached' });
});
