// The eviction-policies lesson: the cache diagram draws a policy's own structure and narrates
// each request, changing the policy changes the result, compare mode shows one column per policy,
// and the questions are answered by the model.
import assert from 'node:assert/strict';
import { useApp, tid, dataValue, waitForDataValue, showQuestion, WAIT_MS } from './harness.mjs';

const app = useApp();
const LESSON = '#/lesson/eviction-policies';

/** Waits for the lesson page and its cache diagram (HTML, not SVG: its rows wrap). */
async function ready(page) {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(`.diagram-wrap ${tid('cache-diagram')}`).waitFor();
}

app.test('LRU with three slots: k4 evicts k2, the least recently used, and the line says why', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=lru-first&t=5500`);
  await ready(page);
  const narration = page.locator(tid('cache-narration'));
  await page.waitForFunction((sel) => /^Request 5:/.test(document.querySelector(sel)?.textContent ?? ''), tid('cache-narration'));
  const text = await narration.textContent();
  assert.match(text, /miss k4/);
  assert.match(text, /evicted k2 from LRU list: least recently used/);
  await page.locator(tid('cache-gone-k2')).waitFor();
  // The list, most recent first: k4 (just inserted), k1, k3 (the next victim).
  const keys = await page.locator(`${tid('cache-seg-lru-list')} li`).allTextContents();
  assert.deepEqual(keys, ['k4', 'k1', 'k3']);
  assert.equal(await page.locator(tid('cache-key-k4')).getAttribute('data-event'), 'insert');
  assert.equal(await dataValue(page, 'metric-evictions'), 1);
});

app.test('playing serves requests one by one', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=lru-first`);
  await ready(page);
  assert.match(await page.locator(tid('cache-narration')).textContent(), /No request yet/);
  await page.locator(tid('play-button')).click();
  await page.waitForFunction((sel) => /^Request \d+:/.test(document.querySelector(sel)?.textContent ?? ''), tid('cache-narration'));
  await page.locator(`${tid('cache-seg-lru-list')} li`).first().waitFor();
});

app.test('changing the policy changes the hit ratio on the same requests', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=zipf-lru&t=20000`);
  await ready(page);
  const lru = await dataValue(page, 'metric-hit_ratio');
  assert.ok(Math.abs(lru - 0.37) < 0.005, `LRU hits 0.37 (got ${lru})`);
  await page.locator(tid('param-policy')).selectOption('fifo');
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-policy') === 'fifo', tid('cache-diagram'));
  await page.waitForFunction(() => location.hash.includes('policy=fifo'));
  const fifo = Number(await page.locator(tid('metric-hit_ratio')).getAttribute('data-value'));
  assert.ok(Math.abs(fifo - 0.324) < 0.005, `FIFO hits 0.32 (got ${fifo})`);
});

app.test('ARC draws T1, T2 and its ghosts B1 and B2 with its target p', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=scan-arc&t=20000`);
  await ready(page);
  for (const s of ['t1', 't2', 'b1', 'b2']) await page.locator(tid(`cache-seg-${s}`)).waitFor();
  assert.match(await page.locator(tid('cache-value-p')).textContent(), /target size of T1 \(p\) \d+/);
});

app.test('compare mode shows a column per policy with the hit ratios of one workload', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&t=20000&compare=all`);
  await page.locator(tid('compare-view')).waitFor();
  const ids = ['lru', 'fifo', 'sieve', 's3fifo', 'arc', 'tinylfu', 'min'];
  const ratio = {};
  for (const id of ids) {
    await page.locator(`${tid(`compare-column-${id}`)} ${tid('cache-diagram')}`).waitFor();
    ratio[id] = await dataValue(page, `compare-cell-${id}-hit_ratio`);
  }
  for (const id of ids.filter((i) => i !== 'min')) {
    assert.ok(ratio.min >= ratio[id], `MIN is the floor: ${JSON.stringify(ratio)}`);
  }
  assert.ok(ratio.s3fifo > ratio.lru && ratio.sieve > ratio.lru, `one-hit wonders: ${JSON.stringify(ratio)}`);
});

app.test('the copied "LRU" question is answered by the model: dish 1 goes', async ({ open }) => {
  const page = await open(`${LESSON}?step=4`);
  await ready(page);
  const q = await showQuestion(page, 'copied-victim');
  await q.scrollIntoViewIfNeeded();
  const input = q.locator('input').first();
  await input.fill('1');
  await q.locator('button[type="submit"], button').filter({ hasText: /check/i }).first().click();
  const result = page.locator(tid('question-copied-victim-result'));
  await result.waitFor();
  assert.match((await result.textContent()) ?? '', /correct/i);
});

/** Waits for the curve beside the diagram to finish running on the current run's parameters. */
async function liveDone(page) {
  const panel = `${tid('live-sweep')} ${tid('sweep-panel')}`;
  await page.waitForFunction((sel) => ['done', 'failed'].includes(document.querySelector(sel)?.dataset.status), panel, {
    timeout: 6 * WAIT_MS,
  });
  assert.equal(await page.locator(panel).getAttribute('data-status'), 'done');
}

/** One series of the curve beside the diagram: its swept values and medians. */
async function liveSeries(page, series) {
  const path = page.locator(`${tid('live-sweep')} ${tid(`sweep-series-${series}-miss_ratio`)}`);
  const nums = async (a) => (await path.getAttribute(a)).split(',').filter((s) => s !== '').map(Number);
  return { xs: await nums('data-xs'), ys: await nums('data-points') };
}

/** How far the ring may sit from its curve's point: half the page's rounding step (1/500). */
const RING = 0.001 + 1e-9;

const CURVES = ['lru', 'fifo', 'sieve', 's3fifo', 'arc', 'tinylfu', 'min'];

app.test('the miss-ratio curve beside the diagram follows the run: MIN is the floor and the ring lands on its curve', async ({ open, t }) => {
  const page = await open(`${LESSON}?v=1&t=20000`);
  await ready(page);
  await liveDone(page);
  const min = await liveSeries(page, 'min');
  assert.equal(min.xs.length, 13);
  for (const id of CURVES) {
    const s = await liveSeries(page, id);
    assert.deepEqual(s.xs, min.xs, id);
    s.ys.forEach((y, i) => assert.ok(min.ys[i] <= y + 1e-12, `MIN is the floor: ${id} at ${s.xs[i]}: ${y} < ${min.ys[i]}`));
  }
  // The ring is the run: LRU (the first series) at capacity 10, its miss ratio at the end equal to
  // its curve's point there (the curve's run at 10 is this run: same requests, same seed).
  const mark = page.locator(`${tid('live-sweep')} ${tid('sweep-mark')}`);
  await mark.waitFor();
  assert.equal(Number(await mark.getAttribute('data-x')), 10);
  assert.match(await mark.getAttribute('class'), /sweep-s0/);
  const lru = await liveSeries(page, 'lru');
  const atTen = lru.ys[lru.xs.indexOf(10)];
  // The page rounds the ring's height to 1/500 (about a pixel) so the chart is not redrawn on
  // every frame: it sits within half of that of the curve's point.
  assert.ok(Math.abs(Number(await mark.getAttribute('data-y')) - atTen) <= RING, `ring ${await mark.getAttribute('data-y')} vs curve ${atTen}`);
  assert.ok(Math.abs((await dataValue(page, 'metric-miss_ratio')) - atTen) < 1e-4);
  t.diagnostic(`beside the diagram: ${await page.locator(`${tid('live-sweep')} ${tid('sweep-run-status')}`).textContent()}`);

  // Another policy: the ring takes SIEVE's colour and sits on SIEVE's curve; the curves stay.
  await page.locator(tid('param-policy')).selectOption('sieve');
  await page.waitForFunction((sel) => /sweep-s2/.test(document.querySelector(sel)?.getAttribute('class') ?? ''), `${tid('live-sweep')} ${tid('sweep-mark')}`);
  await liveDone(page);
  const sieve = await liveSeries(page, 'sieve');
  await page.waitForFunction(
    ([sel, want, ring]) => Math.abs(Number(document.querySelector(sel)?.dataset.y) - want) <= ring,
    [`${tid('live-sweep')} ${tid('sweep-mark')}`, sieve.ys[sieve.xs.indexOf(10)], RING],
  );
});

app.test('the curve beside the diagram is redrawn on an uploaded trace', async ({ open }) => {
  const page = await open(`${LESSON}?v=1`);
  await ready(page);
  await liveDone(page);
  const before = await page.locator(`${tid('live-sweep')} ${tid('sweep-series-min-miss_ratio')}`).getAttribute('data-points');
  const details = page.locator(tid('trace-input'));
  await details.waitFor();
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  // The textbook reference string with 3 slots: LRU faults 12 times (Silberschatz, ch. 9). The
  // textbook's OPT must load every miss and faults 9 times; MIN may also decline to store a key
  // used later than all it holds, and the optimum is then 8 (a brute force over every choice).
  const ref = '7\n0\n1\n2\n0\n3\n0\n4\n2\n3\n0\n3\n2\n1\n2\n0\n1\n7\n0\n1\n';
  await page.locator(tid('trace-file')).setInputFiles({ name: 'ref.txt', mimeType: 'text/plain', buffer: Buffer.from(ref) });
  await page.waitForFunction(() => /workload=trace/.test(location.hash));
  await page.waitForFunction(
    ([sel, old]) => {
      const points = document.querySelector(sel)?.getAttribute('data-points') ?? '';
      return points !== '' && points !== old && points.split(',').length === 13;
    },
    [`${tid('live-sweep')} ${tid('sweep-series-min-miss_ratio')}`, before],
    { timeout: 6 * WAIT_MS },
  );
  await liveDone(page);
  const lru = await liveSeries(page, 'lru');
  const min = await liveSeries(page, 'min');
  assert.equal(lru.ys[lru.xs.indexOf(3)], 12 / 20);
  assert.equal(min.ys[min.xs.indexOf(3)], 8 / 20);
});

app.test('the curve beside the diagram waits while a question would read its answer off it', async ({ open }) => {
  const page = await open(`${LESSON}?step=2`);
  await ready(page);
  // Step 2 asks LRU's hit ratio on a loop: the curve at capacity 4 would say it.
  await page.locator(`${tid('live-sweep')} ${tid('live-sweep-concealed')}`).waitFor();
  assert.equal(await page.locator(`${tid('live-sweep')} ${tid('sweep-panel')}`).count(), 0);
  const q = await showQuestion(page, 'loop-hit-ratio');
  await q.scrollIntoViewIfNeeded();
  await q.locator('input').first().fill('0');
  await q.locator('button').filter({ hasText: /check/i }).first().click();
  await page.locator(tid('question-loop-hit-ratio-result')).waitFor();
  await liveDone(page);
  // Then it shows the cliff: LRU misses every request with room for 3, only the 5 first ones of
  // 200 with room for 6.
  const lru = await liveSeries(page, 'lru');
  assert.equal(lru.ys[lru.xs.indexOf(3)], 1);
  assert.equal(lru.ys[lru.xs.indexOf(6)], 5 / 200);
});

app.test('W-TinyLFU draws its count-min sketch: each key\'s counters per row, the smallest its estimate, the duel\'s numbers', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&preset=onehit-tinylfu&t=20000`);
  await ready(page);
  const sketch = page.locator(tid('cache-sketch'));
  await sketch.waitFor();
  assert.match(await sketch.locator('p').textContent(), /4 rows × \d+ counters/);
  const table = await sketch.evaluate((el) => {
    const rows = [...el.querySelectorAll('[data-testid^="cache-sketch-row-"]')];
    return {
      head: [...el.querySelectorAll('tr:first-child th')].slice(1).map((th) => th.textContent),
      counts: rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.dataset.count))),
      least: rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.classList.contains('min'))),
      estimates: [...el.querySelectorAll('.cache-sketch-est td')].map((td) => Number(td.textContent)),
    };
  });
  assert.equal(table.counts.length, 4, 'one row per hash function');
  table.estimates.forEach((est, j) => {
    const column = table.counts.map((row) => row[j]);
    const least = Math.min(...column);
    // The estimate is the smallest counter, plus one when the doorkeeper holds the key.
    assert.ok(est === least || est === least + 1, `${table.head[j]}: estimate ${est}, counters ${column}`);
    const marked = table.least.map((row) => row[j]);
    assert.equal(marked.filter(Boolean).length, 1, `${table.head[j]}: one counter marked`);
    assert.equal(column[marked.indexOf(true)], least, `${table.head[j]}: the marked counter is the smallest`);
  });
  // The last admission duel's two numbers are the estimates of its candidate and victim.
  const duel = (await page.locator(tid('cache-duel')).textContent()).match(/candidate (\d+) vs victim (\d+)/);
  assert.ok(duel, 'a duel has been fought by request 20');
  const col = (role) => table.head.findIndex((h) => h.includes(role));
  assert.equal(table.estimates[col('candidate')], Number(duel[1]));
  assert.equal(table.estimates[col('victim')], Number(duel[2]));
});

app.test('an uploaded trace\'s own key names label the diagram and the narration', async ({ open }) => {
  const page = await open(`${LESSON}?v=1`);
  await ready(page);
  const details = page.locator(tid('trace-input'));
  await details.waitFor();
  if ((await details.getAttribute('open')) === null) await details.locator('summary').click();
  const names = 'user:alice\nuser:bob\nuser:carol\nuser:alice\nuser:dave-with-a-long-name\n';
  await page.locator(tid('trace-file')).setInputFiles({ name: 'names.txt', mimeType: 'text/plain', buffer: Buffer.from(names) });
  await page.waitForFunction(() => /workload=trace/.test(location.hash));
  const hash = await page.evaluate(() => location.hash);
  await page.goto(app.url(`${hash.replace(/&t=[^&]*/, '')}&policy=lru&capacity=3&t=20000`));
  await ready(page);
  assert.equal(await waitForDataValue(page, 'metric-requests', '==', 5), 5);
  // LRU with three slots: the fifth request evicts bob, the least recently used. Boxes cut long
  // names to 12 characters and keep the whole name in their title.
  const items = page.locator(`${tid('cache-seg-lru-list')} li`);
  assert.deepEqual(await items.allTextContents(), ['user:dave-w…', 'user:alice', 'user:carol']);
  assert.match(await items.first().getAttribute('title'), /^user:dave-with-a-long-name/);
  assert.match(await page.locator('[data-testid^="cache-gone-"]').textContent(), /user:bob evicted/);
  assert.match(await page.locator(tid('cache-narration')).textContent(), /user:dave-with-a-long-name/);
});
