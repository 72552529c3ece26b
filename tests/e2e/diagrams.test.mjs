// Diagrams that show the point (issue 9): the cross-shard fan-out waits for its slowest shard,
// the hot-keys buckets carry their share of the load, a hot shard its badge, moved keys can be
// traced to where they went, and at 16 shards every bucket is labelled (not told by hue alone).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useApp, tid, lessonReady } from './harness.mjs';

const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

const app = useApp();
const shardsReady = (page) => lessonReady(page, 'shard-diagram');

/** `attr` of every element matching `sel`, in document order. */
const attrs = (page, sel, attr) => page.$$eval(sel, (els, a) => els.map((e) => e.getAttribute(a)), attr);

app.test('cross-shard: one response bar per shard asked, and the caption names the slowest', async ({ open }) => {
  // Every read by attribute on 16 shards; paused at 3 s, after many queries have completed.
  const page = await open('#/lesson/cross-shard-queries?v=1&seed=3&shards=16&by_attribute_percent=100&t=3000');
  await shardsReady(page);
  await page.locator(tid('fanout-caption')).waitFor({ state: 'attached' });
  const bars = await attrs(page, '[data-testid^="fan-bar-"]', 'data-shard');
  assert.deepEqual(
    bars.map(Number).sort((a, b) => a - b),
    [...Array(16).keys()],
    'a scatter asks each of the 16 shards once: one bar each',
  );
  assert.equal(await page.locator('[data-testid^="fan-line-"]').count(), 16, 'a line from the router to each shard');
  // The caption is the model's: when the query is done it names the shard that answered last.
  const caption = page.locator(tid('fanout-caption'));
  const done = (await caption.getAttribute('data-done')) === 'true';
  const text = (await caption.textContent()) ?? '';
  if (done) {
    const m = text.match(/done at ([\d.]+) ms — waited for shard (\d+)/);
    assert.ok(m, `caption: ${text}`);
    // The shard it names is the bar that finished last.
    const finishes = await page.$$eval('[data-testid^="fan-bar-"]', (els) =>
      els.map((e) => [Number(e.getAttribute('data-shard')), Number(e.getAttribute('data-finish-us'))]),
    );
    const last = finishes.reduce((a, b) => (b[1] > a[1] || (b[1] === a[1] && b[0] > a[0]) ? b : a));
    assert.equal(Number(m[2]), last[0], 'the slowest bar is the shard named');
    assert.equal(await page.locator(`${tid(`fan-bar-${m[2]}`)}.slowest`).count(), 1, 'and it is drawn as the slowest');
    assert.ok(Number(m[1]) * 1000 >= last[1], 'done no earlier than the last answer');
  } else {
    assert.match(text, /waiting for \d+ of 16 answers/);
  }
});

app.test('cross-shard: a read by shard key draws one line and one bar', async ({ open }) => {
  const page = await open('#/lesson/cross-shard-queries?v=1&query_rate=0&do=100:query:by-key:13&t=1000');
  await shardsReady(page);
  await page.locator(tid('fanout-caption')).waitFor({ state: 'attached' });
  assert.deepEqual(await attrs(page, '[data-testid^="fan-bar-"]', 'data-shard'), ['1'], '13 % 4 = 1');
  assert.equal(await page.locator('[data-testid^="fan-line-"]').count(), 1);
  assert.match((await page.locator(tid('fanout-caption')).textContent()) ?? '', /read of user 13 by key: done at [\d.]+ ms/);
});

app.test('cross-shard: the scatter p99 chart starts its axis near the values and says so', async ({ open }) => {
  const page = await open('#/lesson/cross-shard-queries');
  await shardsReady(page);
  await page.locator(tid('load-chart-view-p99_by_shards')).click();
  const axis = page.locator(tid('load-chart-axis'));
  await axis.waitFor();
  const base = Number(await axis.getAttribute('data-baseline'));
  assert.match((await axis.textContent()) ?? '', /Axis starts at [\d.]+ ms \(not 0\)/);
  const values = (await attrs(page, '[data-testid^="p99_by_shards-bar-"]', 'data-value')).map(Number);
  assert.ok(base > 0 && base < Math.min(...values), `baseline ${base} below every value ${values}`);
  // With the axis near the values, the bars differ visibly: the widest is well over the
  // narrowest, where bars from zero would differ by the values' own ratio (max/min).
  const widths = await page.$$eval('[data-testid^="p99_by_shards-bar-"]', (els) => els.map((e) => e.getBoundingClientRect().width));
  const fromZero = Math.max(...values) / Math.min(...values);
  const shown = Math.max(...widths) / Math.min(...widths);
  assert.ok(shown > 1.5 && shown > 1.5 * fromZero, `widths ${widths} (ratio ${shown.toFixed(2)}; from zero it would be ${fromZero.toFixed(2)})`);
});

app.test('hot keys: every shard shows its share, the celebrity its popularity, its shard a hot badge', async ({ open }) => {
  const page = await open('#/lesson/hot-keys?v=1&t=10000');
  await shardsReady(page);
  await page.locator(tid('hot-badge-4')).waitFor({ state: 'attached' });
  let sum = 0;
  for (let s = 0; s < 8; s++) {
    const fill = page.locator(tid(`shard-load-${s}`));
    await fill.waitFor({ state: 'attached' });
    sum += Number(await fill.getAttribute('data-percent'));
    assert.match((await page.locator(tid(`shard-count-${s}`)).textContent()) ?? '', /\d+(\.\d)?% of load/);
  }
  assert.ok(Math.abs(sum - 100) < 0.1, `the shares add up to 100% (${sum})`);
  // Shard 4 serves 781 of 1,979 requests: 39.5%, 3.2x the mean of 8 shards.
  assert.match((await page.locator(tid('shard-count-4')).textContent()) ?? '', /^39% of load/);
  assert.match((await page.locator(tid('hot-badge-4')).textContent()) ?? '', /hot: 3\.2× mean/);
  assert.equal(await page.locator('[data-testid^="hot-badge-"]').count(), 1, 'only the celebrity\'s shard is hot');
  const celebrity = page.locator(tid('shard-key-0'));
  assert.ok(Number(await celebrity.getAttribute('data-share')) > 25, 'user 0 takes about 30% of the requests');
  assert.match((await page.locator(tid('key-share-0')).textContent()) ?? '', /^\d+%$/);
});

app.test('hot keys at 16 shards: every bucket is labelled, and hues that repeat are hatched', async ({ open }) => {
  const page = await open('#/lesson/hot-keys?v=1&shards=16&t=5000');
  await shardsReady(page);
  await page.locator(tid('shard-15')).waitFor({ state: 'attached' });
  for (let s = 0; s < 16; s++) {
    const label = page.locator(`${tid(`shard-${s}`)} .shard-name`);
    assert.equal((await label.textContent())?.trim(), String(s), `shard ${s} is labelled`);
    const box = await label.boundingBox();
    assert.ok(box && box.width > 2 && box.height > 2, `shard ${s}'s label is visible`);
  }
  // The palette has 12 hues: shards 12-15 repeat 0-3, so they are hatched.
  assert.equal(await page.locator('.shard-diagram .hue-hatch').count(), 4);
  for (const s of [12, 13, 14, 15]) assert.equal(await page.locator(`${tid(`shard-${s}`)} .hue-hatch`).count(), 1);
});

app.test('after a crash a moved key shows a ghost and an arrow, then its new colour', async ({ open }) => {
  // The notes' ring: B crashes at 2 s; 0.5 s later its keys are traced to C.
  const page = await open('#/lesson/consistent-hashing?v=1&do=2000:remove-server:B&t=2500');
  await lessonReady(page);
  const trace = page.locator(tid('move-trace')).first();
  await trace.waitFor({ state: 'attached' });
  assert.equal(await trace.getAttribute('data-from'), 'B');
  assert.equal(await trace.getAttribute('data-to'), 'C');
  assert.ok((await page.locator(tid('move-ghost')).count()) > 0);
  assert.equal(await page.locator(tid('move-ghost')).count(), await page.locator(tid('moved-key')).count(), 'one ghost per moved key');
  assert.ok((await page.locator(tid('move-arrow')).count()) > 0, 'arrows to the new owner');
  assert.ok((await page.locator(`${tid('move-ghost')}.old-colour`).count()) > 0, 'just after the crash the keys still wear B\'s colour');

  // Long after the crash only the halo is left.
  const later = await open('#/lesson/consistent-hashing?v=1&do=2000:remove-server:B&t=9000');
  await lessonReady(later);
  await later.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  assert.equal(await later.locator(tid('move-trace')).count(), 0);
});

app.test('after a resize a moved shard key shows its ghost and a line from its old bucket', async ({ open }) => {
  const page = await open('#/lesson/modulo-sharding?v=1&keys=20&do=1000:resize:5&t=1500');
  await shardsReady(page);
  await page.locator(tid('move-ghost')).first().waitFor({ state: 'attached' });
  assert.equal(await page.locator(tid('move-trace')).count(), 16, '4 -> 5 moves 16 of 20 keys');
  // Just after the change a moved key keeps its old shard's colour: user 4 went from 0 to 4.
  const key4 = page.locator(tid('shard-key-4'));
  assert.equal(await key4.getAttribute('data-from'), '0');
  assert.equal(await key4.getAttribute('data-colour'), '0');
  const later = await open('#/lesson/modulo-sharding?v=1&keys=20&do=1000:resize:5&t=4000');
  await shardsReady(later);
  await later.locator(tid('shard-key-4')).waitFor({ state: 'attached' });
  assert.equal(await later.locator(tid('shard-key-4')).getAttribute('data-colour'), '4', 'then its new one');
  assert.equal(await later.locator(tid('move-trace')).count(), 16, 'the traces stay a while');
});

app.test('axe finds no violation in the diagrams mid-run (fan-out, load, badge, traces), light and dark', async ({ open }) => {
  // a11y.test.mjs opens every lesson at 0 s; these are the states that only exist later.
  const states = [
    ['#/lesson/cross-shard-queries?v=1&seed=3&shards=16&by_attribute_percent=100&t=3000', 'fanout-caption'],
    ['#/lesson/hot-keys?v=1&t=10000', 'hot-badge-4'],
    ['#/lesson/modulo-sharding?v=1&keys=20&do=1000:resize:5&t=1500', 'move-ghost'],
    ['#/lesson/consistent-hashing?v=1&do=2000:remove-server:B&t=2500', 'move-ghost'],
  ];
  for (const theme of ['light', 'dark']) {
    // One page per theme, the preference stored before the app starts; each state is reached
    // the way an in-app link reaches it (a new hash), through the home page.
    const page = await open('#/', { init: `localStorage.setItem('sdp.theme', ${JSON.stringify(JSON.stringify(theme))})` });
    await page.addScriptTag({ path: AXE_PATH });
    for (const [hash, shown] of states) {
      await page.goto(new URL('#/', page.url()).href);
      await page.locator(tid('lesson-list')).waitFor();
      await page.goto(new URL(hash, page.url()).href);
      await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
      await page.locator(tid(shown)).first().waitFor({ state: 'attached' });
      const violations = await page.evaluate(async () => {
        const r = await window.axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
      });
      assert.deepEqual(violations, [], `${theme} ${hash}`);
    }
  }
});
