// The idempotency-keys lesson (traffic control, lesson 6): the same payments over the same lossy
// network to four servers. Without a key the 25 lost responses become 25 duplicate charges; with
// a key store or a unique key in the ledger, none; a store that forgets keys after 2 s lets 4
// through; the float-cents preset sends 1998 cents for $19.99, and a parameter change (round)
// sends 1999; compare mode puts the four servers side by side; the response-loss sweep draws
// exactly the CLI's medians.
// Every figure is `sdp run idempotency-keys --preset ID --json` (or `sdp compare`).
import assert from 'node:assert/strict';
import { useApp, tid, waitForDataValue, sweepMatchesCli } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/idempotency-keys';
// The lanes are HTML rows with a stretched SVG strip each: wait for the block, not an <svg>.
const ready = async (page) => {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('lanes-diagram')).waitFor();
};
const text = (page, id) => page.locator(tid(id)).first().textContent();

app.test('a lossy network: 25 duplicate charges without a key, none with one', async ({ open }) => {
  // Step 3 (the key store): the lossy setup, with no question hiding the lanes' counts.
  const page = await open(`${LESSON}?v=1&step=3&t=150000`);
  await ready(page);
  for (const id of ['no-key', 'key', 'key-short-ttl', 'db-unique']) {
    await page.locator(tid(`lane-${id}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await waitForDataValue(page, 'metric-duplicate_charges', '>', 0), 25);
  assert.equal(await text(page, 'lane-no-key-rejected'), '✗ 25');
  assert.equal(await text(page, 'lane-key-rejected'), '✗ 0');
  assert.equal(await text(page, 'lane-key-short-ttl-rejected'), '✗ 4');
  assert.equal(await text(page, 'lane-db-unique-rejected'), '✗ 0');
  assert.equal(await text(page, 'lane-key-admitted'), '✓ 204');
  assert.match(await text(page, 'lane-key'), /25 replayed/);
  assert.match(await text(page, 'lane-key-gauge'), /^kept 24 h: 204 keys$/);
});

app.test('what goes wrong: $19.99 becomes 1998 cents; round() sends 1999', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=float-cents&t=150000`);
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-amount_cents', '>', 0), 1998);
  assert.match(await text(page, 'lanes-title'), /\$19\.99 → 1998 ¢/);
  assert.equal(await waitForDataValue(page, 'metric-cents_lost', '>', 0), 204);

  const fixed = await open(`${LESSON}?v=1&preset=float-cents&cents=round&t=150000`);
  await ready(fixed);
  assert.equal(await waitForDataValue(fixed, 'metric-amount_cents', '>', 0), 1999);
  assert.match(await text(fixed, 'lanes-title'), /\$19\.99 → 1999 ¢/);
});

app.test('compare mode: the four servers on the same payments', async ({ open }) => {
  const ids = ['no-key', 'key', 'key-short-ttl', 'db-unique'];
  const page = await open(`${LESSON}?v=1&compare=${ids.join(',')}&t=150000`);
  await page.locator(tid('compare-view')).waitFor();
  const cell = (id, m) => page.locator(tid(`compare-cell-${id}-${m}`));
  for (const id of ids) await cell(id, 'duplicate_charges').waitFor({ state: 'attached' });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.dataset.value) > 0, tid('compare-cell-no-key-duplicate_charges'));
  const value = async (id, m) => Number(await cell(id, m).getAttribute('data-value'));
  assert.equal(await value('no-key', 'duplicate_charges'), 25);
  assert.equal(await value('key', 'duplicate_charges'), 0);
  assert.equal(await value('key-short-ttl', 'duplicate_charges'), 4);
  assert.equal(await value('db-unique', 'duplicate_charges'), 0);
  assert.equal(await value('key', 'replays'), 25);
});

app.test('the response-loss sweep runs in the worker and draws the CLI\'s medians', async ({ open }) => {
  const page = await open(`${LESSON}?sweep=response-loss`);
  await ready(page);
  const cli = await sweepMatchesCli(page, {
    lesson: 'idempotency-keys', sweep: 'response-loss', metric: 'duplicate_charges',
    series: ['no-key', 'key'],
  });
  const medians = (series) => cli.points.filter((p) => p.series === series && p.metric === 'duplicate_charges').map((p) => p.median);
  assert.equal(medians('no-key')[0], 0);
  assert.ok(medians('no-key')[5] > 50, JSON.stringify(medians('no-key')));
  assert.ok(medians('key').every((d) => d === 0), JSON.stringify(medians('key')));
});
