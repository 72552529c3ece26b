// The cross-shard-queries lesson: users on user_id % 4 as in the notes, a read by shard key asks
// one shard while a read by attribute asks all of them, 64 shards make the scatter's tail the
// common case (and a link reproduces it), and the owner question is answered by the sim.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, valuesByPrefix, settledSnapshot, setInputValue, dataValue, showQuestion } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/cross-shard-queries';
const ready = (page) => lessonReady(page, 'shard-diagram');

/** Waits until some event-log entry's text matches `re`. */
async function logShows(page, re) {
  await page.waitForFunction(
    ([sel, source]) => [...document.querySelectorAll(sel)].some((e) => new RegExp(source).test(e.textContent)),
    [`${tid('event-log')} ${tid('event-log-entry')}`, re.source],
  );
}

app.test('users sit on user_id % 4 as in the notes, 50 per shard', async ({ open }) => {
  const page = await open(LESSON);
  await ready(page);
  for (const s of [0, 1, 2, 3]) {
    await page.locator(tid(`shard-${s}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('shard-4')).count(), 0, 'four shards, not five');
  assert.equal(await page.locator(tid('shard-1')).getAttribute('data-keys'), '50');
  assert.equal(await page.locator(tid('shard-key-13')).count(), 1, 'user 13 is drawn');
  // The first metric group is users (rows) per shard.
  assert.deepEqual(await valuesByPrefix(page, 'load-bar-'), { 0: 50, 1: 50, 2: 50, 3: 50 });
});

app.test('a read by key asks one shard; a read by attribute asks all four', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&query_rate=0`);
  await ready(page);
  const input = page.locator(tid('action-query-input'));
  const submit = page.locator(tid('action-query-submit'));

  await setInputValue(input, 'by-key:13');
  await submit.click();
  await logShows(page, /You fired query 1: a read of user 13/);
  // Requests are counted when the router sends them: one for a read by shard key…
  assert.equal(await waitForDataValue(page, 'metric-requests', '==', 1), 1);

  await setInputValue(input, 'by-attribute:3');
  await submit.click();
  await logShows(page, /You fired query 2/);
  // …and four more for a read by attribute on four shards.
  assert.equal(await waitForDataValue(page, 'metric-requests', '==', 5), 5);
});

app.test('64 shards: every read waits for 64 answers and the tail becomes common; the link reproduces the run', async ({ open }) => {
  const url64 = `${LESSON}?v=1&seed=3&shards=64&by_attribute_percent=100&t=3000`;
  const first = await open(url64);
  await ready(first);
  assert.equal(await waitForDataValue(first, 'metric-query_fanout', '==', 64), 64);
  // 1 − 0.99^64 = 47.4 % of scatters meet at least one of the 1 % pauses (theory).
  const theory = await dataValue(first, 'metric-slow_hit_theory_percent');
  assert.ok(Math.abs(theory - 47.44) < 0.01, `theory ${theory}%`);
  const a = await settledSnapshot(first);
  const measured = Number(a['metric-slow_hit_percent']);
  assert.ok(measured > 35 && measured < 60, `measured ${measured}%`);

  const second = await open(url64);
  await ready(second);
  assert.deepEqual(await settledSnapshot(second), a, 'the same link gives the same run');

  const four = await open(`${LESSON}?v=1&seed=3&shards=4&by_attribute_percent=100&t=3000`);
  await ready(four);
  assert.equal(await waitForDataValue(four, 'metric-query_fanout', '==', 4), 4);
  const b = await settledSnapshot(four);
  assert.ok(
    Number(b['metric-p50_attr_ms']) * 3 < Number(a['metric-p50_attr_ms']),
    `p50 on 4 shards ${b['metric-p50_attr_ms']} ms vs 64 shards ${a['metric-p50_attr_ms']} ms`,
  );
});

app.test('the question on user 13 is answered by running the sim', async ({ open }) => {
  const page = await open(LESSON);
  await ready(page);
  const q = await showQuestion(page, 'user-13-shard');
  await q.scrollIntoViewIfNeeded();
  await q.locator(tid('choice-1')).click();
  const result = page.locator(tid('question-user-13-shard-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});

app.test('a cure cuts the p99 and shows its cost: hedged requests and partial results against no cure', async ({ open }) => {
  // The same 64 shards on 2 replicas, 10 s of reads by attribute, without and with a cure.
  const plain = await open(`${LESSON}?v=1&preset=replicated-64&t=10000`);
  await ready(plain);
  const a = await settledSnapshot(plain);
  assert.equal(Number(a['metric-extra_requests_percent']), 0, 'no cure sends no extra copies');

  const hedged = await open(`${LESSON}?v=1&preset=hedged&t=10000`);
  await ready(hedged);
  const b = await settledSnapshot(hedged);
  assert.ok(
    Number(b['metric-p99_attr_ms']) < 0.8 * Number(a['metric-p99_attr_ms']),
    `p99 without a cure ${a['metric-p99_attr_ms']} ms, hedged ${b['metric-p99_attr_ms']} ms`,
  );
  // Hedging at the 95th percentile costs about 5 % more requests (Dean and Barroso).
  const extra = Number(b['metric-extra_requests_percent']);
  assert.ok(extra > 3 && extra < 8, `extra requests ${extra} %`);
  assert.ok(Number(b['metric-extra_busy_percent']) > 0, 'the hedges did some work');

  const partial = await open(`${LESSON}?v=1&preset=partial&t=10000`);
  await ready(partial);
  const c = await settledSnapshot(partial);
  // Deadline 20 ms plus the 0.5 ms merge caps every percentile; completeness pays for it.
  assert.ok(Number(c['metric-p99_attr_ms']) <= 20.6, `p99 ${c['metric-p99_attr_ms']} ms`);
  const complete = Number(c['metric-complete_percent']);
  assert.ok(complete > 0 && complete < 100, `complete ${complete} %`);
  assert.ok(Number(c['metric-coverage_percent']) > 90);
});
