// The choosing-a-shard-key lesson: the same chat traffic sharded by chat_id, by sender_id and by
// recipient asks different numbers of shards per operation; a big group heats one shard under a
// chat key and adding shards does not relieve it (a question answered by the sim); a link
// reproduces the run.
import assert from 'node:assert/strict';
import { useApp, tid, lessonReady, waitForDataValue, dataValue, settledSnapshot, showQuestion, setInputValue } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/choosing-a-shard-key';
const ready = (page) => lessonReady(page, 'shard-diagram');

app.test('by chat_id a send and an open ask one shard; by sender_id an inbox read asks every shard', async ({ open }) => {
  const byChat = await open(`${LESSON}?v=1&shard_key=chat&big_group=0&t=3000`);
  await ready(byChat);
  for (const s of [0, 1, 2, 3, 4, 5, 6, 7]) {
    await byChat.locator(tid(`shard-${s}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await waitForDataValue(byChat, 'metric-send_shards', '==', 1), 1);
  assert.equal(await waitForDataValue(byChat, 'metric-open_shards', '==', 1), 1);
  assert.equal(await waitForDataValue(byChat, 'metric-rows_per_send', '==', 1), 1);

  const bySender = await open(`${LESSON}?v=1&shard_key=sender&big_group=0&t=3000`);
  await ready(bySender);
  // Anyone may have written to me: the inbox asks all 8 shards.
  assert.equal(await waitForDataValue(bySender, 'metric-inbox_shards', '==', 8), 8);
  const open2 = await dataValue(bySender, 'metric-open_shards');
  assert.ok(open2 > 2 && open2 < 3.5, `opening a chat asks each member's shard: ${open2}`);
});

app.test('a copy per recipient reads one shard and writes one row per member', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&shard_key=recipient&big_group=0&t=3000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-inbox_shards', '==', 1), 1);
  assert.equal(await waitForDataValue(page, 'metric-open_shards', '==', 1), 1);
  // 0.7 · 2 + 0.3 · 7.5 = 3.65 rows per message on average (hand calculation).
  const rows = await dataValue(page, 'metric-rows_per_send');
  assert.ok(rows > 3.2 && rows < 4.1, `rows per message ${rows}`);
});

app.test('the big group going viral overloads its one shard: operations fail; the link reproduces it', async ({ open }) => {
  const url = `${LESSON}?v=1&preset=viral&t=10000`;
  const first = await open(url);
  await ready(first);
  const failed = await waitForDataValue(first, 'metric-failed_percent', '>', 1);
  assert.ok(failed > 1, `a full queue refuses work: ${failed}%`);
  assert.ok((await dataValue(first, 'metric-load_max_mean')) > 2.5, 'one shard carries the group');
  const a = await settledSnapshot(first);
  const second = await open(url);
  await ready(second);
  assert.deepEqual(await settledSnapshot(second), a);
});

app.test('the question on adding shards is answered by running the sim', async ({ open }) => {
  const page = await open(`${LESSON}?step=4`);
  await ready(page);
  const q = await showQuestion(page, 'more-shards');
  await q.scrollIntoViewIfNeeded();
  // About as many as on 8 shards: the viral group is one key on one shard; the run measures ~7%.
  await setInputValue(q.locator(tid('question-more-shards-input')), '7');
  await q.locator(tid('question-more-shards-submit')).click();
  const result = page.locator(tid('question-more-shards-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});
