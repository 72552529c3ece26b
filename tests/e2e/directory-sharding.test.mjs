// The directory-sharding lesson: twelve tenants placed by a table (acme is the whale), moving one
// tenant moves exactly its keys, adding a shard moves nothing where user_id % 5 would move 80%,
// a directory outage without a cache fails requests and its link reproduces the run, and the
// rebalance question is answered by the sim.
import assert from 'node:assert/strict';
import {
  useApp,
  tid,
  lessonReady,
  dataValue,
  waitForDataValue,
  valuesByPrefix,
  settledSnapshot,
  setInputValue,
  showQuestion,
} from './harness.mjs';

const app = useApp();
const DIRECTORY = '#/lesson/directory-sharding';
const ready = (page) => lessonReady(page, 'shard-diagram');

app.test('twelve tenants sit on four shards by least-loaded placement, the whale alone on shard 0', async ({ open }) => {
  const page = await open(DIRECTORY);
  await ready(page);
  for (const s of [0, 1, 2, 3]) {
    await page.locator(tid(`shard-${s}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('shard-4')).count(), 0, 'four shards, not five');
  assert.equal(await page.locator(tid('shard-0')).getAttribute('data-keys'), '190', 'acme alone: 190 keys');
  const bars = await valuesByPrefix(page, 'load-bar-');
  assert.deepEqual(bars, { 0: 190, 1: 138, 2: 137, 3: 135 });
  const whale = await dataValue(page, 'metric-largest_tenant_percent');
  assert.ok(Math.abs(whale - 190 / 6) < 1e-6, `acme holds 190 of 600 keys (${whale}%)`);
  // acme's first key (id 0) is drawn.
  await page.locator(tid('shard-key-0')).waitFor({ state: 'attached' });

  // Predict-then-reveal: after round robin and a rebalance, acme stays on shard 0.
  const q = await showQuestion(page, 'whale-after-rebalance');
  await q.scrollIntoViewIfNeeded();
  await q.locator(tid('choice-0')).click();
  const result = page.locator(tid('question-whale-after-rebalance-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});

app.test('moving one tenant moves exactly its 39 keys and nothing else', async ({ open }) => {
  // An instant copy, so the directory flips as soon as the move is applied.
  const page = await open(`${DIRECTORY}?v=1&copy_rate=0`);
  await ready(page);
  await page.locator(tid('load-chart')).waitFor();
  const input = page.locator(tid('action-move-tenant-input'));
  await setInputValue(input, 'hooli:0');
  await page.locator(tid('action-move-tenant-submit')).click();
  assert.equal(await waitForDataValue(page, 'metric-moved_keys', '==', 39), 39);
  await page.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  // hooli's keys are ids 398–436; the frame draws its first 16 (398–413).
  await page.locator(tid('shard-key-398')).waitFor({ state: 'attached' });
  const bars = await valuesByPrefix(page, 'load-bar-');
  assert.deepEqual(bars, { 0: 229, 1: 138, 2: 137, 3: 96 }, 'only shards 0 and 3 change');
  assert.equal(await page.locator(tid('shard-0')).getAttribute('data-keys'), '229');
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /hooli/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );
});

app.test('adding a fifth shard to the notes layout moves nobody, where user_id % 5 would move 80%', async ({ open }) => {
  const page = await open(
    `${DIRECTORY}?v=1&naming=users&tenants=20&keys=20&tenant_skew=0&placement=round-robin`,
  );
  await ready(page);
  assert.deepEqual(await valuesByPrefix(page, 'load-bar-'), { 0: 5, 1: 5, 2: 5, 3: 5 });
  await page.locator(tid('action-add-shard-submit')).click();
  await page.locator(tid('shard-4')).waitFor({ state: 'attached' });
  assert.equal(await waitForDataValue(page, 'metric-modulo_moved_percent', '==', 80), 80);
  assert.equal(await waitForDataValue(page, 'metric-modulo_moved_keys', '==', 16), 16);
  assert.equal(await dataValue(page, 'metric-moved_keys'), 0);
  assert.equal(await page.locator(tid('shard-4')).getAttribute('data-keys'), '0', 'the new shard starts empty');
  assert.equal(await page.locator(tid('moved-key')).count(), 0, 'no key moved');
});

app.test('a directory outage without a cache fails requests, and its link reproduces the run', async ({ open }) => {
  const url = `${DIRECTORY}?v=1&cache_ttl_ms=0&do=3000:directory-down&do=6000:directory-up&t=7000`;
  const first = await open(url);
  await ready(first);
  const a = await settledSnapshot(first);
  assert.ok(Number(a['metric-failed_requests']) > 100, `about three seconds of requests fail: ${a['metric-failed_requests']}`);
  assert.equal(Number(a['metric-directory_share']), 100, 'without a cache every request needs the directory');
  const mean = Number(a['metric-mean_latency_ms']);
  const wait = Number(a['metric-mean_wait_ms']);
  assert.ok(Math.abs(mean - 7 - wait) < 1e-6, `directory 2 ms + shard 5 ms + ${wait} ms queued = ${mean}`);
  assert.ok(wait > 0 && wait < 1, `light load, short queues: ${wait} ms`);
  const second = await open(url);
  await ready(second);
  assert.deepEqual(await settledSnapshot(second), a);
});

app.test('version-checked caches ride out the outage; a phased move holds only the moving tenant', async ({ open }) => {
  const versioned = await open(`${DIRECTORY}?v=1&preset=outage-versioned&t=10000`);
  await ready(versioned);
  const v = await settledSnapshot(versioned);
  const ttl = await open(`${DIRECTORY}?v=1&cache=ttl&cache_ttl_ms=1000&do=3000:directory-down&do=6000:directory-up&t=10000`);
  await ready(ttl);
  const t = await settledSnapshot(ttl);
  assert.equal(Number(v['metric-requests']), Number(t['metric-requests']), 'the same arrivals');
  assert.ok(
    Number(v['metric-failed_requests']) * 5 < Number(t['metric-failed_requests']),
    `versioned ${v['metric-failed_requests']} vs TTL ${t['metric-failed_requests']} failures`,
  );
  assert.equal(Number(v['metric-cache_refreshes']), 0, 'nothing expires');

  const phases = await open(`${DIRECTORY}?v=1&preset=move-phases&t=10000`);
  await ready(phases);
  assert.equal(await waitForDataValue(phases, 'metric-freeze_ms', '==', 50), 50);
  // At least one per client: the requests the freeze held start together at the flip with the
  // old version, so several of a client's can meet the error at once.
  assert.ok((await dataValue(phases, 'metric-stale_version_errors')) >= 4, 'one per client at least');
  assert.ok((await dataValue(phases, 'metric-blocked_requests')) > 0);
  assert.ok((await dataValue(phases, 'metric-catch_up_writes')) > 0);
  for (const re of [/Copy caught up, round 1/, /Cutover freeze/, /Directory flipped/]) {
    await phases.waitForFunction(
      ([sel, src]) => [...document.querySelectorAll(sel)].some((e) => new RegExp(src).test(e.textContent)),
      [`${tid('event-log')} ${tid('event-log-entry')}`, re.source],
    );
  }
});
