// Share: a run exported as a file and imported elsewhere replays the same run; bad files are
// refused or partly applied with a clear message; the diagram downloads as SVG and PNG; saved
// progress shows on the home page, the last state of a lesson can be resumed, and corrupt local
// storage is reported once without breaking the page.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { useApp, tid, LESSON, lessonReady, settledSnapshot, setInputValue, showQuestion } from './harness.mjs';

const app = useApp();
const RUN = `${LESSON}?v=1&seed=7&vnodes=50&do=0:remove-server:B&t=2500`;

/** Clicks `button` and returns the download it starts. */
async function download(page, button) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(tid(button)).click()]);
  return dl;
}

/** Imports a file with this text through the page's Import control. */
async function importText(page, text, name = 'run.json') {
  await page.locator(tid('import-file')).setInputFiles({
    name,
    mimeType: 'application/json',
    buffer: Buffer.from(text),
  });
}

/** Opens `where` in a page whose local storage holds `items` before the app starts. */
async function openWithStorage(open, where, items) {
  const page = await open('#/');
  // Written once per tab, before the app's own scripts, so a reload sees what the app left.
  await page.context().addInitScript((entries) => {
    if (sessionStorage.getItem('seeded')) return;
    sessionStorage.setItem('seeded', '1');
    for (const [k, v] of Object.entries(entries)) localStorage.setItem(k, v);
  }, items);
  await page.goto(app.url(where));
  await page.reload();
  return page;
}

app.test('an exported run file, imported in a fresh page of another lesson, reproduces the metrics', async ({ open }) => {
  const first = await open(RUN);
  await lessonReady(first);
  const before = await settledSnapshot(first);
  assert.ok(Number(before['metric-moved_keys']) > 0, 'the run has moved keys');

  const dl = await download(first, 'export-run');
  assert.equal(dl.suggestedFilename(), 'consistent-hashing-2500ms.json');
  const text = await readFile(await dl.path(), 'utf8');
  const run = JSON.parse(text);
  assert.equal(run.format, 'sdp-run');
  assert.equal(run.version, 1);
  assert.equal(run.lesson, 'consistent-hashing');
  assert.equal(run.seed, 7);
  assert.equal(run.params.vnodes, '50');
  assert.deepEqual(run.inputs, ['0:remove-server:B']);
  assert.equal(run.t, 2500);
  assert.match(run.digest, /^[0-9a-f]{16}$/);
  assert.ok(text.length < 4096, `a small file (${text.length} bytes)`);

  const second = await open('#/lesson/modulo-sharding');
  await lessonReady(second, 'shard-diagram');
  await importText(second, text, 'consistent-hashing-2500ms.json');
  const flash = second.locator(tid('flash'));
  await flash.waitFor();
  assert.match(await second.locator(tid('flash-title')).textContent(), /Loaded the run from “consistent-hashing-2500ms\.json”/);
  assert.equal(await second.locator(tid('flash-problems')).count(), 0, 'nothing in the file was skipped');
  await lessonReady(second);
  assert.match(second.url(), /#\/lesson\/consistent-hashing\?/, 'the file of another lesson opened its lesson');
  assert.equal(await second.locator(tid('seed-input')).inputValue(), '7');
  assert.equal(await second.locator(tid('sim-time')).textContent(), '2.500 s');
  assert.deepEqual(await settledSnapshot(second), before, 'the imported run gives the same metrics');

  // The import is a navigation: Back returns to the lesson the file was opened on.
  await second.goBack();
  await lessonReady(second, 'shard-diagram');
});

app.test('a copied link to a run made in the page (parameter, seed, intervention, time) reproduces its metrics', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await setInputValue(page.locator(tid('param-vnodes')), 20);
  const seed = page.locator(tid('seed-input'));
  await seed.fill('11');
  await seed.press('Enter');
  await page.locator(tid('remove-server-A')).click();
  await setInputValue(page.locator(tid('timeline')), 4321);
  await page.waitForFunction(() => /vnodes=20.*seed=11.*do=0:remove-server:A.*t=4321/.test(location.hash));
  const before = await settledSnapshot(page);
  await page.locator(tid('copy-link')).click();
  await page.waitForFunction((sel) => /Copied/.test(document.querySelector(sel)?.textContent ?? ''), tid('copy-link'));
  const copied = await page.evaluate(() => navigator.clipboard.readText());

  const other = await open(copied);
  await lessonReady(other);
  assert.equal(await other.locator(tid('sim-time')).textContent(), '4.321 s');
  assert.deepEqual(await settledSnapshot(other), before, `the copied link ${copied} gives the same metrics`);
});

app.test('a file that is not a run is refused with the reason, and the page keeps working', async ({ open }) => {
  const page = await open(RUN);
  await lessonReady(page);
  const url = page.url();
  const error = page.locator(tid('run-tools-error'));

  await importText(page, 'this is { not json', 'notes.json');
  await error.waitFor();
  assert.match(await error.textContent(), /“notes\.json” was not loaded: this is not a run file: it is not valid JSON/);

  await importText(page, JSON.stringify({ format: 'sdp-run', version: 9, lesson: 'consistent-hashing' }), 'future.json');
  await page.waitForFunction((sel) => /future\.json/.test(document.querySelector(sel)?.textContent ?? ''), tid('run-tools-error'));
  assert.match(await error.textContent(), /version 9, made by a newer version/);

  await importText(page, JSON.stringify({ format: 'sdp-run', version: 1, lesson: 'no-such-lesson' }), 'other.json');
  await page.waitForFunction((sel) => /other\.json/.test(document.querySelector(sel)?.textContent ?? ''), tid('run-tools-error'));
  assert.match(await error.textContent(), /lesson "no-such-lesson" that this playground does not have/);

  assert.equal(page.url(), url, 'a refused file changes nothing');
  assert.equal(await page.locator(tid('flash')).count(), 0);
  await page.locator(tid('step-button')).click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent !== '2.500 s', tid('sim-time'));
});

app.test('a run file with bad fields applies the good ones and lists the rest', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await importText(
    page,
    JSON.stringify({
      format: 'sdp-run',
      version: 1,
      lesson: 'consistent-hashing',
      seed: 'seven',
      params: { vnodes: 'many', keys: 300, colour: 'red' },
      inputs: ['0:remove-server:B', 'later:add-server'],
      t: 1500,
    }),
    'edited.json',
  );
  const problems = page.locator(tid('flash-problems'));
  await problems.waitFor();
  const text = await problems.textContent();
  for (const what of [/seed: "seven"/, /vnodes/, /no parameter `colour`/, /inputs\[1\]/]) assert.match(text, what);
  assert.match(await page.locator(tid('flash-title')).textContent(), /Part of the file could not be used; the rest was applied/);
  await page.waitForFunction((sel) => document.querySelector(sel)?.value === '300', tid('param-keys'));
  assert.equal(await page.locator(tid('sim-time')).textContent(), '1.500 s');
  assert.match(page.url(), /do=0:remove-server:B/, 'the good intervention applies');
  await page.locator(tid('flash-dismiss')).click();
  await page.locator(tid('flash')).waitFor({ state: 'detached' });
});

app.test('the diagram downloads as a standalone SVG (light, dark, compare mode) and as a PNG', async ({ open }) => {
  const page = await open(RUN);
  await lessonReady(page);

  const svgOf = async () => {
    const dl = await download(page, 'snapshot-svg');
    assert.equal(dl.suggestedFilename(), 'consistent-hashing-2500ms.svg');
    return readFile(await dl.path(), 'utf8');
  };
  // Parsed and drawn by the browser on its own, with no stylesheet of the app.
  const inspect = (svg) =>
    page.evaluate(async (text) => {
      const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
      const root = doc.documentElement;
      const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
      const img = new Image();
      img.src = url;
      await img.decode();
      URL.revokeObjectURL(url);
      const rect = root.querySelector(':scope > rect');
      return {
        errors: doc.getElementsByTagName('parsererror').length,
        root: root.localName,
        layers: root.querySelectorAll(':scope > svg').length,
        styled: root.querySelectorAll('[style*="fill"]').length,
        texts: [...root.querySelectorAll('text')].map((t) => t.textContent).join(' '),
        background: rect?.getAttribute('fill'),
        width: img.naturalWidth,
      };
    }, svg);

  const light = await inspect(await svgOf());
  assert.equal(light.errors, 0, 'the SVG parses');
  assert.equal(light.root, 'svg');
  assert.equal(light.layers, 2, 'both layers of the ring diagram');
  assert.ok(light.styled > 10, `computed styles are inlined (${light.styled} elements carry a fill)`);
  assert.match(light.texts, /A/, 'server labels are in the snapshot');
  assert.ok(light.width > 100, 'the SVG renders on its own');
  // Sum of the red, green and blue of '#rrggbb' or 'rgb(r, g, b)'.
  const lum = (c) =>
    (/^#[0-9a-f]{6}$/i.test(c) ? c.slice(1).match(/../g).map((h) => parseInt(h, 16)) : (c.match(/\d+/g) ?? []).slice(0, 3))
      .reduce((a, b) => a + Number(b), 0);

  await page.evaluate(() => document.documentElement.setAttribute('data-theme', 'dark'));
  const dark = await inspect(await svgOf());
  assert.ok(lum(dark.background) < lum(light.background), `dark background ${dark.background} vs light ${light.background}`);

  const png = await download(page, 'snapshot-png');
  assert.equal(png.suggestedFilename(), 'consistent-hashing-2500ms.png');
  const bytes = await readFile(await png.path());
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG file');
  assert.equal(bytes.readUInt32BE(16), 2 * light.width, 'drawn at twice the CSS size');

  // Compare mode: every column's diagram, side by side under its title.
  await page.locator(tid('compare-toggle')).click();
  await page.locator(tid('compare-column-vnodes-100')).waitFor();
  const columns = await page.locator('[data-testid^="compare-column-"]').count();
  const compared = await inspect(await svgOf());
  assert.equal(compared.errors, 0);
  assert.equal(compared.layers, 2 * columns, `two ring layers for each of the ${columns} columns`);
  for (const label of await page.locator('.cmp-title').allTextContents()) {
    assert.ok(compared.texts.includes(label), `the column title ${label} is in the snapshot`);
  }
  const expected = await page.evaluate(() => {
    const ws = [...document.querySelectorAll('.cmp-diagram')].map((d) => d.getBoundingClientRect().width);
    return ws.reduce((a, b) => a + b, 0) + 16 * (ws.length - 1) + 2 * 12;
  });
  assert.ok(Math.abs(compared.width - expected) <= 2, `the columns sit side by side, 16 px apart in a 12 px margin (${compared.width} vs ${expected})`);
});

for (const [name, stored, expected] of [
  ['not JSON', '{"v":1,"lessons":', /could not be read/],
  ['wrong types', '{"v":1,"lessons":{"consistent-hashing":{"visited":"yes"}}}', /1 lesson entry could not be read/],
  ['an old version', '{"v":0,"visited":["consistent-hashing"]}', /old format \(version 0\)/],
]) {
  app.test(`saved progress that is ${name} is reported once and reset without breaking the page`, async ({ open }) => {
    const page = await openWithStorage(open, LESSON, { 'sdp.progress': stored, 'sdp.theme': '{not json' });
    await lessonReady(page);
    const notice = page.locator(tid('storage-notice'));
    await notice.waitFor();
    assert.match(await notice.textContent(), expected);
    assert.equal(await notice.count(), 1);

    // The page works: play advances the clock.
    await page.locator(tid('play-button')).click();
    await page.waitForFunction((sel) => document.querySelector(sel)?.textContent !== '0.000 s', tid('sim-time'));
    await page.locator(tid('play-button')).click();

    // Reported once: not again on another page of the app, nor after a reload.
    await page.locator(tid('storage-notice-dismiss')).click();
    await notice.waitFor({ state: 'detached' });
    await page.locator('.breadcrumbs a[href="#/"]').click();
    await page.locator(tid('lesson-list')).waitFor();
    await page.reload();
    await page.locator(tid('lesson-list')).waitFor();
    await page.locator(tid('progress-visited-consistent-hashing')).waitFor();
    assert.equal(await notice.count(), 0, 'no notice after the reset');
    const saved = JSON.parse(await page.evaluate(() => localStorage.getItem('sdp.progress')));
    assert.equal(saved.v, 1, 'the reset document is the current version');
  });
}

app.test('storage that throws on every access does not break the page', async ({ open }) => {
  const page = await open('#/');
  await page.context().addInitScript(() => {
    Object.defineProperty(window, 'localStorage', {
      get() {
        throw new DOMException('denied', 'SecurityError');
      },
    });
  });
  await page.goto(app.url(RUN));
  await page.reload();
  await lessonReady(page);
  await (await showQuestion(page, 'where-user123')).locator(tid('choice-C')).click();
  await page.locator(tid('question-where-user123-result')).waitFor();
  assert.equal(await page.locator(tid('storage-notice')).count(), 0, 'unavailable storage degrades silently');
});

app.test('answering a question shows progress on the home page, and it survives a reload', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await (await showQuestion(page, 'where-user123')).locator(tid('choice-C')).click();
  await page.locator(tid('question-where-user123-result')).waitFor();
  await page.locator('.breadcrumbs a[href="#/"]').click();
  await page.locator(tid('lesson-list')).waitFor();
  await page.locator(tid('progress-visited-consistent-hashing')).waitFor();
  const questions = page.locator(tid('progress-questions-consistent-hashing'));
  assert.equal(await questions.textContent(), '1 of 4 questions');
  assert.equal(await questions.getAttribute('title'), '1 of 4 answered, 1 right');
  assert.equal(await page.locator(tid('progress-visited-modulo-sharding')).count(), 0, 'an unvisited lesson shows nothing');
  await page.reload();
  await page.locator(tid('progress-visited-consistent-hashing')).waitFor();
  assert.equal(await questions.textContent(), '1 of 4 questions');
});

app.test('a lesson opened without state offers to resume the last one, which reproduces it', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  assert.equal(await page.locator(tid('resume-offer')).count(), 0, 'nothing to resume on a first visit');
  const seed = page.locator(tid('seed-input'));
  await seed.fill('9');
  await seed.press('Enter');
  await page.locator(tid('remove-server-B')).click();
  await setInputValue(page.locator(tid('timeline')), 3000);
  await page.waitForFunction(() => /seed=9.*do=0:remove-server:B.*t=3000/.test(location.hash));
  const before = await settledSnapshot(page);

  // A reload keeps everything (the URL is the state).
  await page.reload();
  await lessonReady(page);
  assert.equal(await seed.inputValue(), '9');
  assert.deepEqual(await settledSnapshot(page), before, 'a reload restores the run');

  // Home, then the lesson card (a bare link): the page offers the last state.
  await page.locator('.breadcrumbs a[href="#/"]').click();
  await page.locator(tid('lesson-card-consistent-hashing')).click();
  const offer = page.locator(tid('resume-offer'));
  await offer.waitFor();
  assert.match(await offer.textContent(), /seed 9, 1 intervention, at 3\.000 s/);
  assert.equal(await seed.inputValue(), '42', 'the bare link starts fresh until asked');

  // Declining and leaving without a change keeps the saved state for later.
  await page.locator(tid('resume-dismiss')).click();
  await offer.waitFor({ state: 'detached' });
  await page.locator('.breadcrumbs a[href="#/"]').click();
  await page.locator(tid('lesson-card-consistent-hashing')).click();
  await offer.waitFor();
  await page.locator(tid('resume-button')).click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.value === '9', tid('seed-input'));
  assert.equal(await page.locator(tid('sim-time')).textContent(), '3.000 s');
  assert.deepEqual(await settledSnapshot(page), before, 'resuming reproduces the run');
  assert.equal(await offer.count(), 0);
});
