// The modulo-sharding lesson: the notes' user_id % 4 layout, resizing moves most keys, the URL
// reproduces the run, and the predict-then-reveal questions are answered by the sim.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, valuesByPrefix, settledSnapshot, setInputValue, showQuestion } from './harness.mjs';

const app = useApp();
const MODULO = '#/lesson/modulo-sharding';
const ready = (page) => lessonReady(page, 'shard-diagram');

app.test('the lesson lays users 0-15 out on user_id % 4 as the notes do', async ({ open }) => {
  const page = await open(MODULO);
  await ready(page);
  for (const s of [0, 1, 2, 3]) {
    await page.locator(tid(`shard-${s}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('shard-4')).count(), 0, 'four shards, not five');
  // User 13 sits in shard 1's bucket.
  const inShard1 = await page.locator(`${tid('shard-key-13')}`).count();
  assert.equal(inShard1, 1, 'user 13 is drawn');
  const bars = await valuesByPrefix(page, 'load-bar-');
  assert.deepEqual(bars, { 0: 4, 1: 4, 2: 4, 3: 4 }, 'four users per shard');
});

app.test('resizing 4 -> 5 with twenty users moves 80% of them and marks the moved keys', async ({ open }) => {
  const page = await open(`${MODULO}?v=1&keys=20`);
  await ready(page);
  const input = page.locator(tid('action-resize-input'));
  await setInputValue(input, '5');
  await page.locator(tid('action-resize-submit')).click();
  await page.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  assert.equal(await waitForDataValue(page, 'metric-moved_keys', '==', 16), 16);
  assert.equal(await waitForDataValue(page, 'metric-moved_percent', '==', 80), 80);
  await page.locator(tid('shard-4')).waitFor({ state: 'attached' });
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /5 shards/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );
});

app.test('a 4 -> 8 link reproduces the same run in a fresh page', async ({ open }) => {
  const url = `${MODULO}?v=1&seed=11&do=0:resize:8&t=500`;
  const first = await open(url);
  await ready(first);
  const a = await settledSnapshot(first);
  assert.equal(Number(a['metric-moved_percent']), 50, 'exactly half the keys move');
  const second = await open(url);
  await ready(second);
  assert.deepEqual(await settledSnapshot(second), a);
});

app.test('the question on user 13 is answered by running the sim', async ({ open }) => {
  const page = await open(MODULO);
  await ready(page);
  const q = await showQuestion(page, 'user-13-after-eight');
  await q.scrollIntoViewIfNeeded();
  await q.locator(tid('choice-5')).click();
  const result = page.locator(tid('question-user-13-after-eight-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});
