// The write-policies lesson (caching): the store diagram renders every tier with each key's
// version and state, playing serves reads, the cache-aside race leaves a stale entry that reads
// then hit, a write-behind crash counts the writes it lost, and compare mode runs the five
// policies side by side.
import assert from 'node:assert/strict';
import { useApp, tid, dataValue, waitForDataValue } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/write-policies';
const ready = async (page) => {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('store-diagram')).first().waitFor();
};
const attr = (page, id, name) => page.locator(tid(id)).first().getAttribute(name);

app.test('the diagram shows clients, cache and database, and playing serves reads', async ({ open }) => {
  const page = await open(LESSON);
  await ready(page);
  for (const t of ['client', 'cache', 'db']) {
    await page.locator(tid(`tier-${t}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('tier-buffer')).count(), 0, 'no write-behind queue under cache-aside');
  // Every key starts at v1 in the database, its state in words as well as colour.
  const db = page.locator(tid('entry-db-k1'));
  assert.equal(await db.getAttribute('data-version'), '1');
  assert.match((await db.textContent()) ?? '', /v1.*fresh/);
  await page.locator(tid('play-button')).click();
  assert.ok((await waitForDataValue(page, 'metric-hits', '>', 0)) > 0);
  await page.locator(tid('play-button')).click();
  await page.locator(tid('flow')).waitFor();
});

app.test('the cache-aside race leaves v1 in the cache after v2 is written, and reads of it are stale', async ({ open }) => {
  // 2,221 ms: A's late fill has put v1 back after B committed v2 and deleted the key.
  const page = await open(`${LESSON}?v=1&preset=race&t=2300`);
  await ready(page);
  await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-state') === 'stale', tid('entry-cache-k1'));
  assert.equal(await attr(page, 'entry-cache-k1', 'data-version'), '1');
  assert.equal(await attr(page, 'entry-db-k1', 'data-version'), '2');
  assert.match((await page.locator(tid('entry-cache-k1')).textContent()) ?? '', /stale/i, 'the state is a word too');
  assert.equal(await attr(page, 'flow', 'data-ok'), 'false', 'the stale fill is drawn as a warning');
  assert.match((await page.locator(tid('flow')).textContent()) ?? '', /A filled the cache with k1 v1.*database has v2/);
  // Reads of k1 later in the run hit the stale entry; with leases the fill is refused.
  const later = await open(`${LESSON}?v=1&preset=race&t=12000`);
  await ready(later);
  assert.ok((await waitForDataValue(later, 'metric-stale_reads', '>', 0)) > 0);
  const leased = await open(`${LESSON}?v=1&preset=race-leases&t=12000`);
  await ready(leased);
  assert.ok((await waitForDataValue(leased, 'metric-hits', '>', 0)) > 0);
  assert.equal(await dataValue(leased, 'metric-stale_reads'), 0);
});

app.test('a write-behind crash loses the writes it had not flushed', async ({ open }) => {
  const before = await open(`${LESSON}?v=1&preset=crash&t=4999`);
  await ready(before);
  await before.locator(tid('tier-buffer')).waitFor({ state: 'attached' });
  const pending = await waitForDataValue(before, 'metric-pending_writes', '>', 0);
  assert.ok((await before.locator(`${tid('tier-buffer')} li`).count()) > 0, 'the queue column lists the dirty keys');
  const page = await open(`${LESSON}?v=1&preset=crash&t=5500`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-lost_writes', '>', 0), pending, 'exactly the writes pending at the crash');
  // Writes after the crash queue again; the lost ones are not among them.
  assert.ok((await dataValue(page, 'metric-pending_writes')) < pending + 3);
});

app.test('compare mode runs the five policies side by side', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all&t=8000`);
  await page.locator(tid('compare-view')).waitFor();
  for (const id of ['cache-aside', 'read-through', 'write-through', 'write-behind', 'write-around']) {
    await page.locator(tid(`compare-column-${id}`)).waitFor({ state: 'attached' });
  }
  const lat = async (id) => Number(await page.locator(tid(`compare-cell-${id}-write_latency_ms`)).getAttribute('data-value'));
  await page.locator(tid('compare-cell-write-behind-write_latency_ms')).waitFor({ state: 'attached' });
  assert.ok((await lat('write-behind')) < (await lat('write-through')), 'write-behind answers writes faster');
  const stale = Number(await page.locator(tid('compare-cell-write-around-stale_reads')).getAttribute('data-value'));
  assert.ok(stale > 0, `write-around serves stale reads (${stale})`);
});

app.test('a write-through that sets the cache first serves a value the database never stored; the database first does not', async ({ open }) => {
  // 2,031 ms: the write put k1 v2 in the cache at 2,001 and its database write failed.
  const page = await open(`${LESSON}?v=1&preset=buggy-cache-first&t=2100`);
  await ready(page);
  await page.waitForFunction((s) => document.querySelector(s)?.getAttribute('data-version') === '2', tid('entry-cache-k1'));
  assert.equal(await attr(page, 'entry-db-k1', 'data-version'), '1');
  assert.match((await page.locator(tid('entry-cache-k1')).textContent()) ?? '', /never committed/);
  assert.equal(await waitForDataValue(page, 'metric-failed_writes', '>', 0), 1);
  const later = await open(`${LESSON}?v=1&preset=buggy-cache-first&t=12000`);
  await ready(later);
  assert.ok((await waitForDataValue(later, 'metric-uncommitted_reads', '>', 0)) > 0, 'reads of k1 returned v2');
  // The correct order with the same failure: the cache keeps v1 and no read is uncommitted.
  const right = await open(`${LESSON}?v=1&preset=write-fails&t=12000`);
  await ready(right);
  assert.equal(await waitForDataValue(right, 'metric-failed_writes', '>', 0), 1);
  assert.ok((await waitForDataValue(right, 'metric-hits', '>', 0)) > 0);
  assert.equal(await dataValue(right, 'metric-uncommitted_reads'), 0);
  const after = await open(`${LESSON}?v=1&preset=write-fails&t=2100`);
  await ready(after);
  await after.locator(tid('entry-cache-k1')).waitFor();
  assert.equal(await attr(after, 'entry-cache-k1', 'data-version'), '1', 'k1 v1, filled at 28 ms, is still cached');
  assert.equal(await waitForDataValue(after, 'metric-failed_writes', '>', 0), 1);
});
