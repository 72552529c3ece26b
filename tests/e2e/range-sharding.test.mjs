// The range-sharding lesson: the notes' Dharavi sectors and train lines, the hot tail of
// sequential ids and a median split, a range-scan link that reproduces its run (and fans out to
// every shard once hash-partitioned), and a predict-then-reveal question answered by the sim.
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
const RANGE = '#/lesson/range-sharding';
const ready = (page) => lessonReady(page, 'shard-diagram');
const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);

/** The `data-keys` of every shard bucket, by index. */
async function bucketKeys(page, n) {
  const out = {};
  for (let i = 0; i < n; i++) {
    const bucket = page.locator(tid(`shard-${i}`));
    await bucket.waitFor({ state: 'attached' });
    out[i] = Number(await bucket.getAttribute('data-keys'));
  }
  return out;
}

app.test('the Dharavi sectors hold the families, and editing a split point adds a range', async ({ open }) => {
  const page = await open(RANGE);
  await ready(page);
  const keys = await bucketKeys(page, 3);
  assert.equal(await page.locator(tid('shard-3')).count(), 0, 'three sectors, not four');
  const bars = await valuesByPrefix(page, 'load-bar-');
  assert.deepEqual(bars, keys, 'the load bars are the keys in each bucket');
  assert.equal(sum(bars), 30, 'thirty families in all');
  assert.equal(await dataValue(page, 'metric-shards'), 3);

  await setInputValue(page.locator(tid('param-boundaries')), '50000,100000,200000');
  await page.locator(tid('shard-3')).waitFor({ state: 'attached' });
  assert.equal(await waitForDataValue(page, 'metric-shards', '==', 4), 4);
  const after = await valuesByPrefix(page, 'load-bar-');
  assert.equal(Object.keys(after).length, 4);
  assert.equal(sum(after), 30, 'the same families, cut into four ranges');
  assert.equal(after[2], bars[1], 'Sector 2 (100,001-200,000) is untouched, now shard 2');

  // The train lines: the notes' three demo users, one per line, and id 100,000,001 refused.
  const lines = await open(`${RANGE}?v=1&preset=train-lines&t=5000`);
  await ready(lines);
  assert.equal(await waitForDataValue(lines, 'metric-refused', '==', 1), 1);
  assert.deepEqual(await valuesByPrefix(lines, 'load-bar-'), { 0: 1, 1: 1, 2: 1 });
  for (const id of [15000000, 45000000, 75000000]) {
    await lines.locator(tid(`shard-key-${id}`)).waitFor({ state: 'attached' });
  }
  await lines.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /need a new range/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );
});

app.test('sequential sign-ups pile onto the last range, and a median split moves half of it', async ({ open }) => {
  // Ids 1-16 over ranges 1-4, 5-8, 9-12, 13-1000; sixteen more sign-ups get ids 17-32.
  const page = await open(
    `${RANGE}?v=1&min_id=1&max_id=1000&boundaries=4,8,12&keys=16&ids=sequential&request_rate=0&do=0:add-keys:16&t=500`,
  );
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-last_shard_write_share', '==', 100), 100);
  assert.deepEqual(await valuesByPrefix(page, 'load-bar-'), { 0: 4, 1: 4, 2: 4, 3: 20 });

  // Split shard 3 (ids 13-32) at its median: 13-22 stay, 23-32 move to the new shard 4.
  await setInputValue(page.locator(tid('action-split-input')), '3');
  await page.locator(tid('action-split-submit')).click();
  await page.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  assert.equal(await waitForDataValue(page, 'metric-moved_keys', '==', 10), 10);
  assert.equal(await waitForDataValue(page, 'metric-moved_percent', '==', 31.25), 31.25);
  assert.deepEqual(await bucketKeys(page, 5), { 0: 4, 1: 4, 2: 4, 3: 10, 4: 10 }, 'no other range moved');
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /Split .*median/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );

  // The hot tail follows the top half: new ids all land on the new last shard.
  await setInputValue(page.locator(tid('action-add-keys-input')), '5');
  await page.locator(tid('action-add-keys-submit')).click();
  await page.locator(tid('shard-key-37')).waitFor({ state: 'attached' });
  assert.equal(await waitForDataValue(page, 'load-bar-4', '==', 15), 15);
  assert.equal(await waitForDataValue(page, 'metric-last_shard_write_share', '==', 100), 100);
});

app.test('a range-scan link reproduces its run, and hash partitioning asks every shard', async ({ open }) => {
  const url = `${RANGE}?v=1&seed=11&keys=60&do=2000:scan:150000-250000&t=3000`;
  const first = await open(url);
  await ready(first);
  assert.equal(await waitForDataValue(first, 'metric-scan_shards', '==', 2), 2, 'Sectors 2 and 3 only');
  const a = await settledSnapshot(first);
  const second = await open(url);
  await ready(second);
  assert.deepEqual(await settledSnapshot(second), a, 'the same link gives the same run');

  await second.locator(tid('param-partition')).selectOption('hash');
  assert.equal(await waitForDataValue(second, 'metric-scan_shards', '==', 3), 3, 'every shard under hash');
  assert.equal(
    await dataValue(second, 'metric-scan_keys'),
    Number(a['metric-scan_keys']),
    'the scan returns the same families either way',
  );
});

app.test('the question on family 500,000 is answered by running the sim', async ({ open }) => {
  const page = await open(RANGE);
  await ready(page);
  const q = await showQuestion(page, 'where-500000');
  await q.scrollIntoViewIfNeeded();
  await q.locator(tid('choice-2')).click();
  const result = page.locator(tid('question-where-500000-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});

app.test('a split that only edits the table moves no key; the move action moves exactly the range', async ({ open }) => {
  // Ids 1-40 on ranges 1-10, 11-20, 21-30 and 31 up; twenty more sign-ups get ids 41-60.
  const page = await open(
    `${RANGE}?v=1&min_id=1&max_id=1000&boundaries=10,20,30&keys=40&ids=sequential&request_rate=0&split_moves=later&do=0:add-keys:20&t=500`,
  );
  await ready(page);
  assert.deepEqual(await valuesByPrefix(page, 'load-bar-'), { 0: 10, 1: 10, 2: 10, 3: 30 });

  // Split range 3 after id 45: both halves stay on node 3 and no key moves.
  await setInputValue(page.locator(tid('action-split-input')), '3:45');
  await page.locator(tid('action-split-submit')).click();
  await page.locator(tid('shard-4')).waitFor({ state: 'attached' });
  assert.equal(await waitForDataValue(page, 'metric-moved_keys', '==', 0), 0);
  assert.deepEqual(await bucketKeys(page, 5), { 0: 10, 1: 10, 2: 10, 3: 15, 4: 15 });
  assert.equal(await page.locator(tid('moved-key')).count(), 0, 'no key flies');
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /still on node 3/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );

  // Move range 4 (ids 46-60): exactly its 15 keys move, to node 0, the one with the fewest keys.
  await setInputValue(page.locator(tid('action-move-input')), '4');
  await page.locator(tid('action-move-submit')).click();
  assert.equal(await waitForDataValue(page, 'metric-moved_keys', '==', 15), 15);
  await page.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  assert.deepEqual(await bucketKeys(page, 5), { 0: 10, 1: 10, 2: 10, 3: 15, 4: 15 }, 'ranges keep their keys');
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /from node 3 to node 0/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );
});

app.test('a load split still leaves the hot tail on one range, and MySQL refuses a key without created_at', async ({ open }) => {
  const page = await open(`${RANGE}?v=1&preset=split-then-move&t=10000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-last_shard_write_share', '==', 100), 100);
  assert.ok((await dataValue(page, 'metric-moved_keys')) > 0, 'the rebalancer moved the new range');

  const mysql = await open(`${RANGE}?v=1&preset=mysql-messages&t=10000`);
  await ready(mysql);
  assert.equal(await waitForDataValue(mysql, 'metric-busiest_write_share', '==', 100), 100);
  await setInputValue(mysql.locator(tid('param-primary_key')), 'id');
  await mysql.waitForFunction(
    () => /A PRIMARY KEY must include all columns in the table's partitioning function/.test(document.body.textContent),
  );
});
