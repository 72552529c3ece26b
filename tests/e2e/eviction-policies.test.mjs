// The eviction-policies lesson: the cache diagram draws a policy's own structure and narrates
// each request, changing the policy changes the result, compare mode shows one column per policy,
// and the questions are answered by the model.
import assert from 'node:assert/strict';
import { useApp, tid, dataValue, showQuestion } from './harness.mjs';

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
