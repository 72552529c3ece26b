// The hashing-strategies lesson: the same 1,000 keys under six placement strategies. Switching
// the strategy changes the balance, a fifth server moves about a fifth of the keys (hash % N would
// move four fifths), jump hash pays for removing a middle shard, bounded loads cap every shard, a
// link reproduces the run, and the ketama question is answered by the sim. The strategies that live
// on a ring (the ring, ketama, bounded loads) are drawn as a ring; the others as buckets.
import assert from 'node:assert/strict';
import {
  useApp,
  tid,
  lessonReady,
  dataValue,
  waitForDataValue,
  valuesByPrefix,
  settledSnapshot,
  showQuestion,
} from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/hashing-strategies';
const ready = (page) => lessonReady(page, 'shard-diagram');
/** The default strategy, the ring with 100 virtual nodes per server, is drawn as a ring. */
const ringReady = (page) => lessonReady(page, 'ring-diagram');
const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);

app.test('four shards hold the 1,000 keys on a ring, and every shard on it reports its count', async ({ open }) => {
  const page = await open(LESSON);
  await ringReady(page);
  for (const s of [0, 1, 2, 3]) {
    await page.locator(tid(`server-${s}`)).waitFor({ state: 'attached' });
  }
  assert.equal(await page.locator(tid('server-4')).count(), 0, 'four shards, not five');
  assert.equal(await page.locator(tid('shard-diagram')).count(), 0, 'a ring, not buckets');
  const bars = await valuesByPrefix(page, 'load-bar-');
  assert.deepEqual(Object.keys(bars).sort(), ['0', '1', '2', '3'], 'one key bar per shard');
  assert.equal(sum(bars), 1000, 'every key is on exactly one shard');
  // Each shard's marker on the ring says how many keys it holds, as its bar does.
  const ringKeys = await page.evaluate(() =>
    [0, 1, 2, 3].map((i) => {
      const title = document.querySelector(`[data-testid="server-${i}"] title`)?.textContent ?? '';
      return Number((title.match(/([\d,]+) keys?/)?.[1] ?? 'NaN').replace(/,/g, ''));
    }),
  );
  assert.deepEqual(ringKeys, [0, 1, 2, 3].map((i) => bars[i]), 'the ring and the bars agree');
  // The ring with 100 virtual nodes per server is within about 12% of even.
  const ratio = await dataValue(page, 'metric-max_mean_ratio');
  assert.ok(ratio >= 1 && ratio < 1.3, `max/mean ${ratio}`);
  // 400 virtual nodes are drawn as ticks, and the keys as dots.
  assert.ok((await page.locator('.ring-static .key').count()) > 200, 'the keys sit on the ring');
});

app.test('ketama and bounded loads are rings too; hash % N, jump and rendezvous stay buckets', async ({ open }) => {
  for (const strategy of ['ketama', 'bounded']) {
    const page = await open(`${LESSON}?v=1&strategy=${strategy}`);
    await ringReady(page);
    await page.locator(tid('server-3')).waitFor({ state: 'attached' });
  }
  for (const strategy of ['modulo', 'jump', 'rendezvous']) {
    const page = await open(`${LESSON}?v=1&strategy=${strategy}`);
    await ready(page);
    await page.locator(tid('shard-3')).waitFor({ state: 'attached' });
  }
});

app.test('switching to jump hash evens the load; a fifth shard takes about a fifth of the keys', async ({ open }) => {
  const page = await open(LESSON);
  await ringReady(page);
  const before = await dataValue(page, 'metric-max_mean_ratio');
  await page.locator(tid('param-strategy')).selectOption('jump');
  await ready(page);
  const after = await waitForDataValue(page, 'metric-max_mean_ratio', '<', before);
  assert.ok(after < 1.05, `jump hash is nearly perfectly even (${after})`);

  await page.locator(tid('action-add-shard-submit')).click();
  await page.locator(tid('shard-4')).waitFor({ state: 'attached' });
  await page.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  const pct = await waitForDataValue(page, 'metric-moved_percent', '>', 0);
  assert.ok(pct > 12 && pct < 28, `about 1/5 of the keys move (${pct}%)`);
  const modulo = await dataValue(page, 'metric-modulo_moved_percent');
  assert.ok(modulo > 70 && modulo < 90, `hash % N would have moved about 4/5 (${modulo}%)`);
  const bars = await valuesByPrefix(page, 'load-bar-');
  assert.equal(Object.keys(bars).length, 5);
  assert.equal(sum(bars), 1000);
  await page.waitForFunction(
    (sel) => [...document.querySelectorAll(sel)].some((e) => /joined/.test(e.textContent)),
    `${tid('event-log')} ${tid('event-log-entry')}`,
  );
});

app.test('a link removing a middle jump shard reproduces the run; bounded loads cap every shard', async ({ open }) => {
  const url = `${LESSON}?v=1&seed=7&strategy=jump&shards=10&do=0:remove-shard:3&t=500`;
  const first = await open(url);
  await ready(first);
  const a = await settledSnapshot(first);
  assert.equal(Number(a['metric-moved_percent']), 68.5, 'renumbering six shards moves 68.5% of the keys');
  assert.equal(Object.keys(a).filter((k) => k.startsWith('load-bar-')).length, 9);
  const second = await open(url);
  await ready(second);
  assert.deepEqual(await settledSnapshot(second), a);

  const bounded = await open(`${LESSON}?v=1&strategy=bounded&vnodes=1&epsilon=0.25`);
  await ringReady(bounded);
  const b = await settledSnapshot(bounded);
  assert.equal(Number(b['metric-capacity']), 313, 'ceil(1.25 x 1000 / 4)');
  const loads = Object.entries(b)
    .filter(([k]) => k.startsWith('load-bar-'))
    .map(([, v]) => Number(v));
  assert.equal(loads.length, 4);
  assert.ok(Math.max(...loads) <= 313, `no shard above the capacity: ${loads}`);
  assert.equal(loads.reduce((x, y) => x + y, 0), 1000);
});

app.test('the ketama question is answered by running the sim', async ({ open }) => {
  const page = await open(LESSON);
  await ringReady(page);
  const q = await showQuestion(page, 'ketama-user-13');
  await q.scrollIntoViewIfNeeded();
  await q.locator(tid('choice-2')).click();
  const result = page.locator(tid('question-ketama-user-13-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
  assert.doesNotMatch((await result.textContent()) ?? '', /not quite/i);
});

app.test('md5(user_id) % 4 over four data centres puts hyderabad at about 250 % of its capacity', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=whatsapp-even&t=1000`);
  await ready(page);
  const s = await settledSnapshot(page);
  // 500 M users / 4 = 125 M on a site of 50 M: 250 %, give or take the 20,000-user sample.
  const fill = Number(s['metric-max_fill_percent']);
  assert.ok(fill > 237 && fill < 263, `hyderabad is about 250 % full (${fill})`);
  const caption = page.locator(tid('shard-caption-3'));
  await caption.waitFor({ state: 'attached' });
  assert.match((await caption.textContent()) ?? '', /hyderabad · 2\d\d % full/);
  // Losing hyderabad under % 3 moves about three quarters of the users.
  const lost = await open(`${LESSON}?v=1&preset=whatsapp-lose-site&t=3000`);
  await ready(lost);
  const moved = Number((await settledSnapshot(lost))['metric-moved_percent']);
  assert.ok(moved > 72 && moved < 78, `about 75 % move (${moved})`);
});

app.test('bounded loads on live requests forward part of a hot key\'s requests to other servers', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=bounded-live-hot&t=5000`);
  await ringReady(page);
  const s = await settledSnapshot(page);
  const forwarded = Number(s['metric-forwarded_requests_percent']);
  const hot = Number(s['metric-hot_key_forwarded_percent']);
  assert.ok(forwarded > 0, `some requests are forwarded (${forwarded} %)`);
  assert.ok(hot > 0, `the hot key spills over (${hot} %)`);
  const ratio = Number(s['metric-live_max_mean']);
  assert.ok(ratio >= 1 && ratio < 1.5, `max / mean live near the factor 1.25 (${ratio})`);
});
