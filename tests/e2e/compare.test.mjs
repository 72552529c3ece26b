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
  for (const id of ['modulo', 'one-point', 'vnodes-100', 'fnv-100']) {
    const col = view.locator(tid(`compare-column-${id}`));
    await col.locator(`svg${tid('ring-diagram')}`).waitFor();
    await col.locator(tid(`compare-load-${id}`)).waitFor();
  }
  const ratios = await row(page, 'max_mean_ratio');
  assert.deepEqual(Object.keys(ratios).sort(), ['fnv-100', 'modulo', 'one-point', 'vnodes-100']);
  assert.ok(Number(ratios['vnodes-100']) < Number(ratios['one-point']), `100 vnodes even out the load: ${JSON.stringify(ratios)}`);
  await page.waitForFunction(() => location.hash.includes('compare=all'));
  // Back to one run: the single diagram returns and the link forgets compare mode.
  await page.locator(tid('compare-close')).click();
  await page.locator(`.diagram-wrap svg${tid('ring-diagram')}`).waitFor();
  assert.equal(await page.locator(tid('compare-view')).count(), 0);
  await page.waitForFunction(() => !location.hash.includes('compare'));
});

app.test('an intervention applies to every column, and the table shows what it moved in each', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all&t=500`);
  await page.locator(tid('compare-view')).waitFor();
  await page.locator(tid('remove-server-B')).click();
  for (const id of ['modulo', 'one-point', 'vnodes-100', 'fnv-100']) {
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
  await page.waitForFunction(() => location.hash.includes('compare=modulo,one-point,vnodes-100'));
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

/** Where the things above and beside compare mode are: the lesson's title, tabs and step card,
 * and the stage it opens in. */
async function layout(page) {
  return page.evaluate(() => {
    const out = {};
    for (const [name, sel] of [
      ['title', '.lesson-title'],
      ['tabs', '[data-testid="tab-lesson"]'],
      ['step', '.lesson-grid > .tabpanel'],
      ['stage', '.stage'],
      ['grid', '.lesson-grid'],
    ]) {
      const r = document.querySelector(sel).getBoundingClientRect();
      // The stage and the grid grow downwards with compare mode; only where they start counts.
      out[name] = { x: r.x, y: r.y, width: r.width, ...(['stage', 'grid'].includes(name) ? {} : { height: r.height }) };
    }
    out.scrollY = window.scrollY;
    return out;
  });
}

app.test('opening compare mode moves nothing above or beside it', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  const before = await layout(page);
  await page.locator(tid('compare-toggle')).click();
  await page.locator(tid('compare-view')).locator(`svg${tid('ring-diagram')}`).first().waitFor();
  const after = await layout(page);
  for (const [name, box] of Object.entries(before)) {
    if (typeof box === 'number') {
      assert.equal(after[name], box, `${name} did not change`);
      continue;
    }
    for (const [k, v] of Object.entries(box)) {
      assert.ok(Math.abs(after[name][k] - v) < 0.5, `${name}.${k} stayed at ${v} (now ${after[name][k]})`);
    }
  }
  // It opens where the diagram was: its top is the stage's top, under nothing new.
  const top = await page.locator(tid('compare-view')).evaluate((el) => el.getBoundingClientRect().y);
  assert.ok(Math.abs(top - after.stage.y) < 2, `compare mode starts at the stage's top (${top} vs ${after.stage.y})`);
});

/** Every label drawn in compare mode's small diagrams, with its size as rendered. */
async function labelSizes(page) {
  return page.evaluate(() =>
    [...document.querySelectorAll('[data-testid="compare-view"] .cmp-diagram svg text')]
      .filter((t) => t.textContent.trim() !== '' && t.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true }))
      .map((t) => ({
        text: t.textContent.trim(),
        px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
      })),
  );
}

for (const [lesson, diagram, min] of [
  ['consistent-hashing', 'ring-diagram', 8],
  ['hashing-strategies', 'shard-diagram', 12],
  ['cross-shard-queries', 'shard-diagram', 4],
  // Three narrow columns: the client/cache/directory boxes keep their shapes but lose labels
  // that would not fit at 11 px; whatever is drawn is still at least 11 px.
  ['directory-sharding', 'shard-diagram', 0],
]) {
  app.test(`every label in ${lesson}'s compare diagrams is at least 11 px at 1280x800`, async ({ open }) => {
    const page = await open(`#/lesson/${lesson}?v=1&compare=all`);
    await page.locator(tid('compare-view')).waitFor();
    await page.locator(`[data-testid="compare-view"] svg${tid(diagram)}`).first().waitFor();
    await page.waitForFunction(() => document.fonts.status === 'loaded');
    const labels = await labelSizes(page);
    assert.ok(labels.length >= min, `the small diagrams still label things (${labels.length} labels)`);
    const small = labels.filter((l) => l.px < 11);
    assert.deepEqual(small, [], 'no label below 11 px');
  });
}

app.test('before any change each column says what to do; the header button changes every column', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all`);
  await page.locator(tid('compare-view')).waitFor();
  const ids = ['modulo', 'one-point', 'vnodes-100', 'fnv-100'];
  for (const id of ids) {
    const text = await page.locator(tid(`compare-summary-${id}`)).textContent();
    assert.match(text, /Press “Crash B”/, `${id} says what to do: ${text}`);
    assert.match(await page.locator(tid(`compare-moves-${id}`)).textContent(), /Press “Crash B”/);
  }
  const button = page.locator(tid('compare-action'));
  assert.equal(await button.textContent(), 'Crash B');
  await button.click();
  for (const id of ids) {
    await waitForDataValue(page, `compare-summary-${id}`, '>', 0);
    await waitForDataValue(page, `compare-moves-${id}`, '>', 0);
  }
  // Done: B is gone everywhere, so the button cannot be pressed again, and the link says so.
  assert.equal(await button.isDisabled(), true);
  await page.waitForFunction(() => /do=\d+:remove-server:B/.test(location.hash));
});

app.test('compare mode names changes in plain words, never as a link writes them', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all&t=500`);
  await page.locator(tid('compare-view')).waitFor();
  await page.locator(tid('compare-action')).click();
  await waitForDataValue(page, 'compare-summary-one-point', '>', 0);
  const moved = await dataValue(page, 'compare-summary-one-point');
  const summary = await page.locator(tid('compare-summary-one-point')).textContent();
  assert.match(summary, /^Crash a server: B — (\d+) keys moved \(\d+\.\d%\)$/);
  assert.equal(Number(summary.match(/— (\d+) keys/)[1]), moved);
  const cell = await page.locator(tid('compare-moves-one-point')).textContent();
  assert.equal(cell, summary, 'the table says it the same way');
  const all = await page.locator(tid('compare-view')).textContent();
  assert.doesNotMatch(all, /remove-server|→|no changes yet/, 'no internal names in compare mode');
});

app.test('compare mode has one close button, and it brings the single run back', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all`);
  await page.locator(tid('compare-view')).waitFor();
  const exits = await page.evaluate(() =>
    [...document.querySelectorAll('button, a')]
      .filter((b) => b.checkVisibility() && /close|back to one|exit|one run/i.test(`${b.textContent} ${b.getAttribute('aria-label') ?? ''}`))
      .map((b) => b.getAttribute('data-testid') ?? b.textContent),
  );
  assert.deepEqual(exits, ['compare-close']);
  assert.equal(await page.locator(tid('compare-toggle')).count(), 0, 'the Compare button is not a second way out');
  await page.locator(tid('compare-close')).click();
  await page.locator(`.diagram-wrap svg${tid('ring-diagram')}`).waitFor();
  await page.locator(tid('compare-toggle')).waitFor();
  assert.equal(await page.locator(tid('compare-view')).count(), 0);
});

app.test('consistent hashing beside hash % N: B crashing moves about 2/3 of the keys there, about 1/5 on the ring', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all`);
  await page.locator(tid('compare-column-modulo')).waitFor();
  await page.locator(tid('compare-action')).click();
  const modulo = await waitForDataValue(page, 'compare-cell-modulo-moved_percent', '>', 0);
  const ring = await waitForDataValue(page, 'compare-cell-one-point-moved_percent', '>', 0);
  assert.ok(modulo > 55 && modulo < 78, `hash % N moved ${modulo}%, about 2/3`);
  assert.ok(ring > 12 && ring < 30, `the ring moved ${ring}%, about 1/5`);
  // The ring's own estimate of hash % N is what the hash % N column actually did.
  assert.equal(await dataValue(page, 'compare-cell-one-point-modulo_moved_percent'), modulo);
  // hash % N is drawn as the same ring with no arcs: each key's colour is its server's.
  const col = page.locator(tid('compare-column-modulo'));
  await col.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
});

app.test('modulo sharding: the header adds a shard in every column', async ({ open }) => {
  const page = await open('#/lesson/modulo-sharding?v=1&keys=1000&compare=all');
  await page.locator(tid('compare-view')).waitFor();
  await page.locator(tid('compare-action')).click();
  assert.equal(await waitForDataValue(page, 'compare-cell-modulo-moved_percent', '==', 80), 80);
  for (const id of ['ring', 'jump']) {
    const pct = await waitForDataValue(page, `compare-cell-${id}-moved_percent`, '>', 0);
    assert.ok(pct > 15 && pct < 25, `${id} moved ${pct}%, about 1/5`);
  }
  assert.match(await page.locator(tid('compare-summary-modulo')).textContent(), /^Add a shard — 800 keys moved \(80\.0%\)$/);
});

app.test('on a phone compare mode fits the screen: the page never scrolls sideways', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&compare=all`);
  await page.setViewportSize({ width: 390, height: 844 });
  await page.locator(tid('compare-view')).locator(`svg${tid('ring-diagram')}`).first().waitFor();
  await page.locator(tid('compare-action')).click();
  await waitForDataValue(page, 'compare-summary-modulo', '>', 0);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 390, `the page is ${width} px wide at 390`);
});

app.test('the Compare button covers none of a shard diagram’s caption, from 961 to 1600 px wide', async ({ open }) => {
  // Range sharding's rule is the longest caption line: every split point.
  const page = await open('#/lesson/range-sharding');
  const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
  for (const width of [961, 1000, 1180, 1181, 1280, 1600]) {
    await page.setViewportSize({ width, height: 800 });
    await lessonReady(page, 'shard-diagram');
    const button = await page.locator(tid('compare-toggle')).boundingBox();
    assert.ok(button, `the Compare button shows at ${width} px`);
    for (const line of ['shard-rule', 'shard-status']) {
      const box = await page.locator(`svg${tid('shard-diagram')} ${tid(line)}`).boundingBox();
      assert.ok(!overlap(button, box), `${width} px: the button (${JSON.stringify(button)}) is clear of ${line} (${JSON.stringify(box)})`);
    }
  }
  // On a narrow stage a ring fills the corner too: the button sits above it.
  await page.goto(app.url(LESSON));
  for (const width of [961, 1100, 1180]) {
    await page.setViewportSize({ width, height: 800 });
    await lessonReady(page);
    const button = await page.locator(tid('compare-toggle')).boundingBox();
    const ring = await page.locator(`svg${tid('ring-diagram')}`).boundingBox();
    assert.ok(ring.y >= button.y + button.height, `${width} px: the ring (${JSON.stringify(ring)}) starts below the button (${JSON.stringify(button)})`);
  }
});
