// The hash-slots lesson (Redis Cluster): three masters own redis-cli's slot ranges, a key's slot
// is the one Redis's CLUSTER KEYSLOT documents, playing a reshard migrates slots to a new node,
// moving a hot slot shows ASK then one MOVED per client, a crashed master with no replica takes
// the whole cluster down, and a question is answered by the sim.
import assert from 'node:assert/strict';
import {
  useApp,
  tid,
  lessonReady,
  dataValue,
  waitForDataValue,
  setInputValue,
  showQuestion,
} from './harness.mjs';

const app = useApp();
const SLOTS = '#/lesson/hash-slots';
const ready = (page) => lessonReady(page, 'shard-diagram');
const text = async (page, id) => ((await page.locator(tid(id)).textContent()) ?? '').trim();

app.test("three masters hold redis-cli's ranges and a key's slot is Redis's", async ({ open }) => {
  // Step 2 (the MGET set-up): its question hides other tiles, not the key's slot and node.
  const page = await open(`${SLOTS}?v=1&step=2`);
  await ready(page);
  for (const s of [0, 1, 2]) {
    await page.locator(tid(`shard-${s}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('shard-3')).count(), 0, 'three masters');
  // redis-cli --cluster create's split for three masters.
  assert.match(await text(page, 'shard-caption-0'), /0–5460/);
  assert.match(await text(page, 'shard-caption-1'), /5461–10922/);
  assert.match(await text(page, 'shard-caption-2'), /10923–16383/);
  assert.match(await text(page, 'shard-rule'), /CRC16\(key\) mod 16384/);
  // Redis's documented CLUSTER KEYSLOT answers: somekey → 11058 (in C's range), foo{hash_tag} → 2515.
  assert.equal(await dataValue(page, 'metric-lookup_slot'), 11058);
  await page.locator(tid('other-metrics')).waitFor({ state: 'attached' });
  await setInputValue(page.locator(tid('param-lookup')), 'foo{hash_tag}');
  assert.equal(await waitForDataValue(page, 'metric-lookup_slot', '==', 2515), 2515);
  const node = await page.locator(`${tid('metric-lookup_node')} .metric-value`).textContent();
  assert.equal(node?.trim(), 'A', 'slot 2515 lies in A\'s range, 0–5460');
});

app.test('playing a reshard migrates slots to the new node', async ({ open }) => {
  const page = await open(`${SLOTS}?v=1&step_ms=1&do=0:add-node&do=0:reshard:400`);
  await ready(page);
  await page.locator(tid('shard-3')).waitFor({ state: 'attached' });
  await page.locator(tid('play-button')).click();
  assert.ok((await waitForDataValue(page, 'metric-slots_migrated', '>', 0)) > 0);
  await page.locator(tid('play-button')).click();
});

app.test('a slot moving under a hot key shows ASK during the migration and one MOVED per client after', async ({ open }) => {
  const page = await open(
    `${SLOTS}?v=1&popularity=zipf&step_ms=250&migrate_batch=1&do=2000:add-node&do=2000:move-slot:user:0&t=6000`,
  );
  await ready(page);
  await page.locator(tid('shard-3')).waitFor({ state: 'attached' });
  // Four clients, each fixing its table once after SETSLOT NODE: exactly four MOVED.
  assert.equal(await waitForDataValue(page, 'metric-moved', '==', 4), 4);
  const ask = await dataValue(page, 'metric-ask');
  assert.ok(ask > 0, `requests for user:0's moved keys got -ASK during the migration (${ask})`);
  assert.equal(await dataValue(page, 'metric-slots_migrated'), 1);
  assert.equal(await dataValue(page, 'metric-keys_migrated'), 2, 'user:0 and {user:0}.followers');
  assert.match(await text(page, 'front-slot-map'), new RegExp(`MOVED 4 · ASK ${ask}`));
  assert.equal(await page.locator(tid('shard-3')).getAttribute('data-keys'), '2');
});

app.test('a master crash with no replica takes the whole cluster down after the node timeout', async ({ open }) => {
  const page = await open(`${SLOTS}?v=1&do=3000:fail-node:B&t=15000`);
  await ready(page);
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-down') === 'true', tid('shard-1'));
  assert.ok((await waitForDataValue(page, 'metric-clusterdown', '>', 1000)) > 1000);
  const served = await dataValue(page, 'metric-availability_percent');
  assert.ok(served > 25 && served < 40, `about a third served (${served}%)`);
  assert.match(await text(page, 'shard-rule'), /CLUSTERDOWN/);
});

app.test('the MOVED-per-client question is answered by running the sim', async ({ open }) => {
  const page = await open(SLOTS);
  await ready(page);
  const q = await showQuestion(page, 'moved-per-client');
  await q.scrollIntoViewIfNeeded();
  await setInputValue(q.locator(tid('question-moved-per-client-input')), '4');
  await q.locator(tid('question-moved-per-client-submit')).click();
  const result = page.locator(tid('question-moved-per-client-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});
