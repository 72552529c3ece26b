// The hot-keys lesson: a celebrity key pins its shard (request load, not key count), doubling the
// shards does not cool it, splitting and caching do, a link reproduces the run, and the question
// on the celebrity shard's share is answered by the sim.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, dataValue, valuesByPrefix, settledSnapshot, setInputValue, showQuestion } from './harness.mjs';

const app = useApp();
const HOT = '#/lesson/hot-keys';
const ready = (page) => lessonReady(page, 'shard-diagram');

/** Keys held by shards 0..n-1, from the buckets' data-keys. */
async function keysPerShard(page, n) {
  const out = {};
  for (let s = 0; s < n; s++) {
    const loc = page.locator(tid(`shard-${s}`));
    await loc.waitFor({ state: 'attached' });
    out[s] = Number(await loc.getAttribute('data-keys'));
  }
  return out;
}

/** The bars of the first metric group (requests per shard), once they are drawn. */
async function requestBars(page) {
  await page.locator(tid('load-bar-0')).waitFor({ state: 'attached' });
  return valuesByPrefix(page, 'load-bar-');
}

app.test('the celebrity pins shard 4: even keys, uneven requests', async ({ open }) => {
  // The lesson's defaults (seed 7): 1,000 users on 8 shards, user 0 takes 30% of 200 req/s.
  const page = await open(`${HOT}?v=1&t=10000`);
  await ready(page);
  for (const s of [0, 1, 2, 3, 4, 5, 6, 7]) {
    await page.locator(tid(`shard-${s}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('shard-8')).count(), 0, 'eight shards');
  assert.equal(await page.locator(tid('shard-4')).getAttribute('data-keys'), '129');
  await page.locator(tid('shard-key-0')).waitFor({ state: 'attached' });
  // The same numbers as `sdp run hot-keys`: 1,979 requests, 781 of them on shard 4.
  assert.equal(await waitForDataValue(page, 'metric-requests', '==', 1979), 1979);
  const bars = await requestBars(page);
  assert.equal(bars[4], 781, 'shard 4 serves the celebrity');
  const total = Object.values(bars).reduce((a, b) => a + b, 0);
  assert.equal(total, 1979, 'every request reached a shard (no cache)');
  for (const [s, v] of Object.entries(bars)) {
    if (s !== '4') assert.ok(v * 3 < bars[4], `shard ${s} (${v}) is far below shard 4`);
  }
  // Keys are even: every shard holds 104-133 users.
  const keys = await keysPerShard(page, 8);
  for (const [s, v] of Object.entries(keys)) assert.ok(v >= 100 && v <= 140, `shard ${s} holds ${v} keys`);
  assert.ok((await dataValue(page, 'metric-hottest_share')) > 30, 'busiest shard over 30%');
  assert.ok((await dataValue(page, 'metric-max_mean_ratio')) > 2.5);
});

app.test('doubling to 16 shards moves half the keys but the busiest shard stays over 30%', async ({ open }) => {
  const url = `${HOT}?v=1&do=2000:resize:16&t=10000`;
  const page = await open(url);
  await ready(page);
  await page.locator(tid('shard-15')).waitFor({ state: 'attached' });
  assert.equal(await waitForDataValue(page, 'metric-moved_keys', '==', 510), 510);
  assert.equal(await dataValue(page, 'metric-moved_percent'), 51);
  await page.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  const bars = await requestBars(page);
  const busiest = Object.entries(bars).sort((a, b) => b[1] - a[1])[0][0];
  assert.equal(busiest, '15', 'the celebrity moved to the new shard 15, load and all');
  assert.ok((await dataValue(page, 'metric-hottest_share')) > 30);
  assert.ok((await dataValue(page, 'metric-max_mean_ratio')) > 4.5, 'worse than with 8 shards');
  // The link reproduces the same run in a fresh page.
  const a = await settledSnapshot(page);
  const again = await open(url);
  await ready(again);
  assert.deepEqual(await settledSnapshot(again), a);
});

app.test('splitting the celebrity spreads its load; a cache added live restarts the counters', async ({ open }) => {
  const page = await open(`${HOT}?v=1&do=0:split:8&t=10000`);
  await ready(page);
  // Sub-key #0 of user 0 is drawn with id 1,000,000; the unsplit key is gone.
  await page.locator(tid('shard-key-1000000')).waitFor({ state: 'attached' });
  await page.locator(tid('shard-key-7000000')).waitFor({ state: 'attached' });
  assert.equal(await page.locator(tid('shard-key-0')).count(), 0);
  assert.ok((await waitForDataValue(page, 'metric-hottest_share', '<', 25)) < 25);
  assert.ok((await dataValue(page, 'metric-write_fanout')) > 1, 'each celebrity write updates 8 copies');
  // 999 users and 8 sub-keys are stored.
  const keys = Object.values(await keysPerShard(page, 8)).reduce((a, b) => a + b, 0);
  assert.equal(keys, 1007);

  await setInputValue(page.locator(tid('action-cache-input')), '100');
  await page.locator(tid('action-cache-submit')).click();
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /Cache size 0 → 100/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );
  assert.equal(await waitForDataValue(page, 'metric-requests', '==', 0), 0, 'a change restarts the load counters');
  const ideal = await waitForDataValue(page, 'metric-cache_top_share', '>', 36.9);
  assert.ok(ideal < 37.1, `the celebrity and 99 other users: 37% (got ${ideal})`);
});

app.test('the question on the share of the celebrity shard is answered by running the sim', async ({ open }) => {
  const page = await open(HOT);
  await ready(page);
  const q = await showQuestion(page, 'celebrity-shard-share');
  await q.scrollIntoViewIfNeeded();
  // 30% + 70%/8 ≈ 39%; the run measures 39.5%.
  await setInputValue(q.locator(tid('question-celebrity-shard-share-input')), '39');
  await q.locator(tid('question-celebrity-shard-share-submit')).click();
  const result = page.locator(tid('question-celebrity-shard-share-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});

// The lesson's `cache-nodes` setup as a link: 200 users at 500 req/s, a cache hashed over 4 nodes
// that take 5 ms an operation (the same numbers as `sdp run hot-keys --preset cache-nodes`).
const CACHE_NODES = 'celebrity_share=30&keys=200&request_rate=500&cache_size=200&cache_nodes=4&cache_op_us=5000';

app.test('a sharded cache: the celebrity pins one cache node, which saturates and drops while the others idle', async ({ open }) => {
  const page = await open(`${HOT}?v=1&${CACHE_NODES}&t=5000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-cache_dropped', '==', 340), 340);
  assert.ok((await dataValue(page, 'metric-busiest_cache_util')) > 99.9, 'the celebrity\'s node is always busy');
  assert.ok((await dataValue(page, 'metric-cache_node_share')) > 45, 'it serves about half of all cache operations');
  // The p99 read waited behind a full queue: 100 operations × 5 ms.
  const p99 = await dataValue(page, 'metric-read_p99_ms');
  assert.ok(p99 > 450 && p99 <= 505, `p99 ${p99} ms`);
  const caption = await page.locator(tid('front-cache')).textContent();
  assert.match(caption ?? '', /4 cache nodes/);
  assert.match(caption ?? '', /node 1: 100% busy/);
});

app.test('a local cache in each app server cools the hot cache node and serves stale reads', async ({ open }) => {
  const page = await open(`${HOT}?v=1&${CACHE_NODES}&l1_size=10&l1_ttl_ms=1000&t=5000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-stale_reads', '==', 484), 484);
  assert.equal(await dataValue(page, 'metric-cache_dropped'), 0);
  assert.ok((await dataValue(page, 'metric-busiest_cache_util')) < 75);
  assert.ok((await dataValue(page, 'metric-l1_hit_rate')) > 25);
  assert.ok((await dataValue(page, 'metric-read_p99_ms')) < 60, 'no read waits behind a full queue');
  assert.match((await page.locator(tid('front-local')).textContent()) ?? '', /484 stale/);
});

app.test('the question on doubling the cache nodes is answered by the sim: still saturated', async ({ open }) => {
  const page = await open(`${HOT}?v=1&step=8`);
  await ready(page);
  const q = await showQuestion(page, 'double-cache-nodes');
  await q.scrollIntoViewIfNeeded();
  await setInputValue(q.locator(tid('question-double-cache-nodes-input')), '50');
  await q.locator(tid('question-double-cache-nodes-submit')).click();
  const result = page.locator(tid('question-double-cache-nodes-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /not quite/i, 'halving is the wrong guess');
  assert.match((await result.textContent()) ?? '', /100%/);
});

app.test('on a 360 px phone the hot-keys page never scrolls sideways', async ({ open }) => {
  for (const where of [`${HOT}?v=1&t=5000`, `${HOT}?v=1&step=9`]) {
    const page = await open(where);
    await page.setViewportSize({ width: 360, height: 740 });
    await ready(page);
    await page.locator(tid('load-bar-0')).waitFor({ state: 'attached' });
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 360, `${where}: the page is ${width} px wide at 360`);
    // A container that clips would hide an overflow from scrollWidth: the intervention forms
    // (the widest: "Make a user the celebrity" beside its input) must fit on the screen too.
    const widest = await page.evaluate(() =>
      Math.max(...[...document.querySelectorAll('.action-form, .action-form *')].map((e) => e.getBoundingClientRect().right)),
    );
    assert.ok(widest <= 360, `${where}: an intervention form reaches ${widest} px at 360`);
  }
});
