// Compare mode: the lesson's variants side by side on one seed, one set of parameters and one
// timeline, with a table of their metrics; the link reproduces every column.
import assert from 'node:assert/strict';
import { useApp, tid, LESSON, lessonReady, dataValue, waitForDataValue } from './harness.mjs';

const app = useApp();

/** `{ variant: value }` of one table row's cells. */
async function row(page, metric) {
  return page.evaluate((m) => {
    const out = {};
    for (const el of document.querySelectorAll(`[data-testid^="compare-cell-"][data-testid$="-${m}"]`)) {
      const id = el.getAttribute('data-testid').slice('compare-cell-'.length, -(m.length + 1));
      out[id] = el.getAttribute('data-value');
    }
    return out;
  }, metric);
}

app.test('the Compare button shows every variant with its own diagram and a metrics table', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await page.locator(tid('compare-toggle')).click();
  const view = page.locator(tid('compare-view'));
  await view.waitFor();
  for (const id of ['one-point', 'vnodes-100', 'fnv-100']) {
    const col = view.locator(tid(`compare-column-${id}`));
    await col.locator(`svg${tid('ring-diagram')}`).waitFor();
    await col.locator(tid(`compare-load-${id}`)).waitFor();
  }
  const ratios = await row(page, 'max_mean_ratio');
  assert.deepEqual(Object.keys(ratios).sort(), ['fnv-100', 'one-point', 'vnodes-100']);
  assert.ok(Number(ratios['vnodes-100']) < Number(ratios['one-point']), `100 vnodes even out the load: ${JSON.stringify(ratios)}`);
  await page.waitForFunction(() => location.hash.includes('compare=all'));
  // Back to one run: the single diagram returns and the link forgets compare mode.
  await page.locator(tid('compare-toggle')).click();
  await page.locator(`.diagram-wrap svg${tid('ring-diagram')}`).waitFor();
  assert.equal(await page.locator(tid('compare-view')).count(), 0);
  await page.waitForFunction(() => !location.hash.includes('compare'));
});

app.test('an intervention applies to every column, and the table shows what it moved in each', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all&t=500`);
  await page.locator(tid('compare-view')).waitFor();
  await page.locator(tid('remove-server-B')).click();
  for (const id of ['one-point', 'vnodes-100', 'fnv-100']) {
    await waitForDataValue(page, `compare-moves-${id}`, '>', 0);
  }
  // The single-point column is the lesson's own run: it moved exactly what the lesson did.
  const own = await dataValue(page, 'metric-moved_keys');
  assert.equal(await dataValue(page, 'compare-moves-one-point'), own);
  const moved = await row(page, 'moved_keys');
  assert.equal(Number(moved['one-point']), own);
  await page.waitForFunction(() => location.hash.includes('do=500:remove-server:B'));
});

app.test('unticking a variant removes its column, and the link reproduces the table', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all&do=0:remove-server:B&t=1500`);
  await page.locator(tid('compare-view')).waitFor();
  await page.locator(tid('compare-pick-fnv-100')).uncheck();
  await page.locator(tid('compare-column-fnv-100')).waitFor({ state: 'detached' });
  await page.waitForFunction(() => location.hash.includes('compare=one-point,vnodes-100'));
  const url = await page.evaluate(() => location.hash);
  const table = async (p) => ({
    moved: await row(p, 'moved_keys'),
    ratio: await row(p, 'max_mean_ratio'),
    served: await row(p, 'requests'),
  });
  await waitForDataValue(page, 'compare-moves-vnodes-100', '>', 0);
  const a = await table(page);
  const second = await open(url);
  await second.locator(tid('compare-column-vnodes-100')).waitFor();
  await waitForDataValue(second, 'compare-moves-vnodes-100', '>', 0);
  assert.deepEqual(await table(second), a);
  assert.equal(await second.locator(tid('compare-column-fnv-100')).count(), 0);
});

app.test('playing advances every column on the one timeline', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=one-point,vnodes-100`);
  await page.locator(tid('compare-view')).waitFor();
  await page.locator(tid('play-button')).click();
  for (const id of ['one-point', 'vnodes-100']) {
    await waitForDataValue(page, `compare-cell-${id}-requests`, '>', 2);
  }
  await page.locator(tid('play-button')).click();
  // Same seed, same request stream: both columns served the same number of requests.
  const served = await row(page, 'requests');
  assert.equal(served['one-point'], served['vnodes-100']);
});

app.test('a compare link naming an unknown variant gives a notice and shows the rest', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=one-point,bogus`);
  await page.locator(tid('compare-column-one-point')).waitFor();
  await page.locator(tid('url-error')).waitFor();
  assert.match(await page.locator(tid('url-error')).textContent(), /bogus/);
});

app.test('modulo sharding beside the ring and jump hash: 4 -> 5 moves 80% against about a fifth', async ({ open }) => {
  const page = await open('#/lesson/modulo-sharding?v=1&keys=1000&compare=all');
  await page.locator(tid('compare-view')).waitFor();
  await page.locator(tid('action-resize-input')).fill('5');
  await page.locator(tid('action-resize-submit')).click();
  assert.equal(await waitForDataValue(page, 'compare-cell-modulo-moved_percent', '==', 80), 80);
  for (const id of ['ring', 'jump']) {
    const pct = await waitForDataValue(page, `compare-cell-${id}-moved_percent`, '>', 0);
    assert.ok(pct > 15 && pct < 25, `${id} moved ${pct}%, about 1/5`);
    await page.locator(tid(`compare-column-${id}`)).locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  }
  assert.equal(await dataValue(page, 'compare-moves-modulo'), 800);
});
