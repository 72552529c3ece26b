// Guided steps drive the diagram: arriving at a step loads its setup, "Try it" plays it and pauses
// just after its key event, going back restores the earlier step's setup, the URL names the step,
// keys move between steps, and questions sit inside their step and play their run when checked.
import assert from 'node:assert/strict';
import { useApp, tid, LESSON, lessonReady, showQuestion } from './harness.mjs';
import { newPage } from './browser.mjs';

const app = useApp();

const hashOf = (page) => page.evaluate(() => decodeURIComponent(location.hash));
const simTime = (page) => page.locator(tid('sim-time')).textContent();
const ringServer = (page, s) => page.locator(`svg${tid('ring-diagram')} ${tid(`server-${s}`)}`);

app.test('Next loads the next step’s setup, Previous restores the earlier one, and the URL names the step', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await page.locator(tid('step-1')).waitFor();
  assert.doesNotMatch(await hashOf(page), /step=/, 'step 1 is not written');

  await page.locator(tid('step-next')).click();
  await page.locator(tid('step-2')).waitFor();
  // Step 2 is "Crash B": its setup scripts B's removal at 2 s.
  await page.waitForFunction(() => /step=2/.test(location.hash) && /do=2000:remove-server:B/.test(decodeURIComponent(location.hash)));
  assert.equal((await simTime(page)).trim(), '0.000 s', 'a step opens at time zero, paused');
  assert.equal(await page.locator(tid('play-button')).getAttribute('aria-pressed'), 'false');

  await page.locator(tid('step-prev')).click();
  await page.locator(tid('step-1')).waitFor();
  await page.waitForFunction(() => !/step=/.test(location.hash) && !/do=/.test(location.hash));
});

app.test('Try it plays the step and pauses just after its key event, with the server gone', async ({ open }) => {
  const page = await open(`${LESSON}?step=2`);
  await lessonReady(page);
  await page.locator(tid('step-2')).waitFor();
  await ringServer(page, 'B').first().waitFor({ state: 'attached' });
  await page.locator(tid('step-2-try')).click();
  // B is removed at 2 s; the step pauses one second later.
  await page.waitForFunction(
    (sel) => document.querySelector(sel)?.getAttribute('aria-pressed') === 'false' && document.querySelector('[data-testid="sim-time"]')?.textContent.trim() === '3.000 s',
    tid('play-button'),
    { timeout: 15_000 },
  );
  await ringServer(page, 'B').waitFor({ state: 'detached' });
  const moved = Number(await page.locator(tid('metric-moved_keys')).getAttribute('data-value'));
  assert.ok(moved > 0, `keys moved when B crashed (${moved})`);
});

app.test('a step link with nothing else loads the step’s setup; a bad step is a notice', async ({ open }) => {
  const page = await open(`${LESSON}?step=4`);
  await lessonReady(page);
  await page.locator(tid('step-4')).waitFor();
  // Step 4 ("A server joins") runs five servers with virtual nodes and F joining at 2 s.
  await page.waitForFunction(() => /do=2000:add-server:F/.test(decodeURIComponent(location.hash)));
  const vnodes = await page.locator(tid('param-vnodes')).inputValue();
  assert.notEqual(vnodes, '1', `step 4's setup has virtual nodes (vnodes = ${vnodes})`);

  const bad = await open(`${LESSON}?step=99`);
  await lessonReady(bad);
  const notices = await bad.locator(tid('url-error')).textContent();
  assert.match(notices, /step: "99" is not allowed; expected a step from 1 to \d+/);
  await bad.locator(tid('step-1')).waitFor();
});

app.test('N and P move between steps; arrows on the step dots move the step, not the clock', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await page.locator(tid('step-1')).waitFor();
  await page.locator('body').press('n');
  await page.locator(tid('step-2')).waitFor();
  await page.locator('body').press('n');
  await page.locator(tid('step-3')).waitFor();
  await page.locator('body').press('p');
  await page.locator(tid('step-2')).waitFor();
  // After moving on, the new step's heading is in view, clear of the sticky header.
  const heading = await page.locator(`${tid('step-2')} .step-title`).boundingBox();
  assert.ok(heading.y >= 56 && heading.y + heading.height <= 800, `heading in view (${JSON.stringify(heading)})`);

  await page.locator(tid('step-dot-2')).focus();
  await page.keyboard.press('ArrowRight');
  await page.locator(tid('step-3')).waitFor();
  assert.equal((await simTime(page)).trim(), '0.000 s', 'the arrow moved the step, not the simulation');
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'step-dot-3', 'focus follows the dots');

  // The shortcuts dialog lists the step keys.
  await page.locator('body').press('?');
  const dialog = await page.locator(tid('shortcuts-dialog')).textContent();
  assert.match(dialog, /Next guided step/);
  assert.match(dialog, /Previous guided step/);
});

app.test('at 1280×800 the step, the whole diagram and Play are in view together, with at most 6 metric tiles', async ({ open }) => {
  const page = await open(`${LESSON}?step=2`);
  await lessonReady(page);
  await page.locator(tid('step-2')).waitFor();
  const box = async (sel) => page.locator(sel).first().boundingBox();
  const title = await box(`${tid('step-2')} .step-title`);
  const diagram = await box(`svg${tid('ring-diagram')}`);
  const play = await box(tid('play-button'));
  const inView = (b) => b && b.y >= 0 && b.y + b.height <= 800;
  assert.ok(inView(title), `step title in view (${JSON.stringify(title)})`);
  assert.ok(inView(diagram), `whole diagram in view (${JSON.stringify(diagram)})`);
  assert.ok(inView(play), `Play in view (${JSON.stringify(play)})`);
  const tiles = await page.locator('[data-testid^="metric-"]').evaluateAll((els) => els.filter((e) => e.checkVisibility()).length);
  assert.ok(tiles >= 1 && tiles <= 6, `${tiles} metric tiles visible by default`);
  // The rest are one click away.
  await page.locator(`${tid('all-metrics')} summary`).click();
  const after = await page.locator('[data-testid^="metric-"]').evaluateAll((els) => els.filter((e) => e.checkVisibility()).length);
  assert.ok(after > tiles, `All metrics shows the others (${after})`);
});

app.test('on a 390×844 phone the diagram and Play stay in view while the step text scrolls', async () => {
  const page = await newPage(app.browser, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  try {
    await page.goto(app.url(`${LESSON}?step=2`));
    await lessonReady(page);
    const step = page.locator(tid('step-2'));
    await step.waitFor();
    // Scroll until the step's text runs under the pinned stage.
    const stageBottom = async () => (await page.locator(tid('stage-pin')).boundingBox()).height;
    const top = (await step.boundingBox()).y;
    await page.evaluate((dy) => window.scrollBy(0, dy), top - (await stageBottom()) + 120);
    const diagram = await page.locator(`svg${tid('ring-diagram')}`).boundingBox();
    const play = await page.locator(tid('play-button')).boundingBox();
    assert.ok(diagram.y >= 0 && diagram.y + diagram.height <= 844, `diagram pinned in view (${JSON.stringify(diagram)})`);
    assert.ok(play.y >= 0 && play.y + play.height <= 844, `Play pinned in view (${JSON.stringify(play)})`);
    assert.ok(diagram.height <= 844 * 0.4, `the pinned diagram is compact (${diagram.height}px)`);
    const text = await page.locator(`${tid('step-2')} .prose`).boundingBox();
    assert.ok(text.y + text.height > diagram.y + diagram.height, 'the step text is below the pinned stage');
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 390), 'nothing runs off the side');
    assert.deepEqual(page.errors, []);
  } finally {
    await page.context().close();
  }
});

app.test('a question sits in its step, shows no answer before it is answered, and Check plays its run', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  // Find the step that holds the first question.
  const steps = await page.locator('.step-dot').count();
  let found = null;
  for (let n = 1; n <= steps && !found; n++) {
    await page.locator(tid(`step-dot-${n}`)).click();
    await page.locator(tid(`step-${n}`)).waitFor();
    const q = page.locator(`${tid('step-follow-up')} [data-testid^="question-"][data-testid$="-submit"], ${tid('step-follow-up')} .chip`);
    if (await q.count()) found = n;
  }
  assert.ok(found, 'some step holds a question');
  const card = page.locator(`${tid('step-follow-up')} article.question`).first();
  const id = (await card.getAttribute('data-testid')).replace(/^question-/, '');
  assert.equal(await page.locator(tid(`question-${id}-result`)).count(), 0, 'no answer on screen before answering');

  const chip = card.locator('.chip').first();
  if (await chip.count()) {
    await chip.click();
  } else {
    await card.locator('input').fill('50');
    await card.locator(tid(`question-${id}-submit`)).click();
  }
  // Check plays the question's run in the diagram; the answer waits for the moment it is read.
  await page.locator(tid(`question-${id}-running`)).waitFor();
  await page.locator(tid(`question-${id}-result`)).waitFor();
  assert.equal((await simTime(page)).trim(), '10.000 s', 'the answer appears when the run reaches the end, where it is read');
  await page.waitForFunction(() => document.querySelector('[data-testid="sim-time"]')?.textContent.trim() === '10.000 s', null, { timeout: 15_000 });
  assert.match(await page.locator(tid(`question-${id}-result`)).textContent(), /The run in the diagram says/);
});

app.test('the skip link moves focus to the stage, and Play comes before the questions in Tab order', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await page.locator(tid('step-1')).waitFor();
  const active = () => page.evaluate(() => document.activeElement?.dataset.testid ?? document.activeElement?.id ?? '');
  // Tab from the top of the page: the skip link comes within the first few stops, and Play within
  // twenty (it was 24–37 before the steps and the stage were reordered).
  let stops = 0;
  let skip = null;
  while (stops < 40) {
    await page.keyboard.press('Tab');
    stops += 1;
    const now = await active();
    if (now === 'skip-to-stage' && skip === null) skip = stops;
    if (now === 'play-button') break;
  }
  assert.ok(skip !== null && skip <= 6, `the skip link is Tab stop ${skip}`);
  assert.ok(stops <= 20, `Play is Tab stop ${stops}`);
  await page.locator(tid('skip-to-stage')).focus();
  await page.keyboard.press('Enter');
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'stage');
  const order = await page.evaluate(() => {
    const play = document.querySelector('[data-testid="play-button"]');
    const q = document.querySelector('[data-testid="step-follow-up"]');
    return q ? play.compareDocumentPosition(q) & Node.DOCUMENT_POSITION_FOLLOWING : 1;
  });
  assert.ok(order, 'the questions follow the transport in document (Tab) order');
});

app.test('a figure that would give an open question away stays hidden until it is answered', async ({ open }) => {
  // Cross-shard step 3 asks what share of 64-shard reads meet a pause; the theory tile knows.
  const page = await open('#/lesson/cross-shard-queries?step=3');
  await lessonReady(page, 'shard-diagram');
  await page.locator(tid('step-3')).waitFor();
  const theory = page.locator(tid('metric-slow_hit_theory_percent'));
  await theory.waitFor({ state: 'attached' });
  assert.equal(await theory.getAttribute('data-concealed'), 'true');
  assert.doesNotMatch(await theory.textContent(), /47/, 'no figure before the answer');
  const q = page.locator(tid('question-pause-share-64'));
  await q.locator('input').fill('47');
  await q.locator(tid('question-pause-share-64-submit')).click();
  await page.locator(tid('question-pause-share-64-result')).waitFor();
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('data-concealed') === null, tid('metric-slow_hit_theory_percent'));
  assert.match(await theory.getAttribute('data-value'), /^47\.4/);
});

app.test('Embed this step opens the embed dialog on the step’s setup, looped around its key event, captioned with its title', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  // From step 1, explore something else first: the step's embed still takes the step's setup.
  await page.locator(tid('step-next')).click();
  await page.locator(tid('step-2')).waitFor();
  await page.locator(tid('step-2-embed')).click();
  await page.locator(tid('embed-dialog')).waitFor();
  assert.equal(await page.locator('#embed-dialog-title').textContent(), 'Embed this step');
  assert.equal(await page.locator(tid('embed-opt-title')).inputValue(), 'Crash B');
  assert.equal(await page.locator(tid('embed-opt-loop-from')).inputValue(), '1');
  const snippet = (await page.locator(tid('embed-snippet')).inputValue()).replaceAll('%3A', ':').replaceAll('&amp;', '&');
  assert.match(snippet, /do=2000:remove-server:B/, 'the step’s setup');
  assert.match(snippet, /loop=1000-4000/, 'a loop tight around the crash at 2 s');
});

app.test('a step highlights its entities, and the ring hides its shares while the step’s questions are open', async ({ open }) => {
  const page = await open(`${LESSON}?step=2`);
  await lessonReady(page);
  await page.locator(tid('step-2')).waitFor();
  const ring = page.locator(`svg${tid('ring-diagram')}`);
  await ring.locator('[data-highlighted="true"]').first().waitFor({ state: 'attached' });
  await ring.locator('[data-concealed="true"]').first().waitFor({ state: 'attached' });
  assert.doesNotMatch(await ring.textContent(), /20\.8/, 'B’s share of the ring is not on screen before the questions');
  // Answer both questions of the step: the shares come back.
  const where = await showQuestion(page, 'where-user123');
  await where.locator(tid('choice-C')).click();
  const share = await showQuestion(page, 'share-moved-b');
  await share.locator('input').fill('21');
  await share.locator(tid('question-share-moved-b-submit')).click();
  await page.locator(tid('question-share-moved-b-result')).waitFor();
  await page.waitForFunction((sel) => !document.querySelector(sel).querySelector('[data-concealed="true"]'), `svg${tid('ring-diagram')}`);
});

app.test('at 1280×800 every step of every lesson shares the first screen with the whole diagram and Play', async ({ open }) => {
  const home = await open('#/');
  await home.locator(tid('lesson-list')).waitFor();
  const ids = await home.$$eval('[data-testid^="lesson-card-"]', (els) => els.map((e) => e.dataset.testid.replace('lesson-card-', '')));
  assert.ok(ids.length >= 7, `lessons: ${ids}`);
  const misses = [];
  const hashes = [];
  // One page; each lesson is reached the way an in-app link reaches it, through the home page.
  const page = home;
  for (const id of ids) {
    await page.goto(app.url('#/'));
    await page.locator(tid('lesson-list')).waitFor();
    await page.goto(app.url(`#/lesson/${id}`));
    await page.locator(tid('play-button')).waitFor();
    const steps = await page.locator('.step-dot').count();
    for (let n = 1; n <= steps; n++) {
      await page.locator(tid(`step-dot-${n}`)).click();
      await page.locator(tid(`step-${n}`)).waitFor();
      if (n > 1) await page.waitForFunction((n) => location.hash.includes(`step=${n}`), n);
      hashes.push([id, n, await page.evaluate(() => location.hash)]);
      await page.evaluate(() => window.scrollTo(0, 0));
      const fits = await page.evaluate((n) => {
        const bottom = (sel) => document.querySelector(sel)?.getBoundingClientRect().bottom ?? Infinity;
        const top = (sel) => document.querySelector(sel)?.getBoundingClientRect().top ?? -1;
        return {
          text: bottom(`[data-testid="step-${n}"] .prose`),
          title: top(`[data-testid="step-${n}"] .step-title`),
          diagram: bottom('.diagram-wrap [data-testid$="-diagram"]'),
          play: bottom('[data-testid="play-button"]'),
        };
      }, n);
      if (!(fits.title >= 0 && fits.text <= 800 && fits.diagram <= 800 && fits.play <= 800)) {
        misses.push(`${id} step ${n}: ${JSON.stringify(fits)}`);
      }
    }
  }
  assert.deepEqual(misses, [], 'steps whose text, diagram or Play leave the first screen');

  // Arriving by a link loads the same setup as arriving by the step's dot, in every lesson.
  const differ = [];
  for (const [id, n, hash] of hashes) {
    await page.goto(app.url(`#/lesson/${id}?step=${n}`));
    await page.locator(tid(`step-${n}`)).waitFor();
    await page.waitForFunction(() => /[?&]t=/.test(location.hash));
    const got = await page.evaluate(() => location.hash);
    if (got !== hash) differ.push(`${id} step ${n}: by dot ${hash}, by link ${got}`);
  }
  assert.deepEqual(differ, [], 'a step link loads what the step dot loads');
}, { timeout: 240_000 });

app.test('at 360 px the step dots stay on one row, for up to twelve steps', async () => {
  const page = await newPage(app.browser, { viewport: { width: 360, height: 800 }, isMobile: true, hasTouch: true });
  try {
    // Hot keys has eleven steps, the most of any lesson.
    await page.goto(app.url('#/lesson/hot-keys'));
    await lessonReady(page, 'shard-diagram');
    await page.locator(tid('step-dot-11')).waitFor();
    const rows = () =>
      page.evaluate(() => {
        const dots = [...document.querySelectorAll('[data-testid^="step-dot-"]')].map((d) => d.getBoundingClientRect());
        return { count: dots.length, tops: [...new Set(dots.map((r) => Math.round(r.top)))], right: Math.max(...dots.map((r) => r.right)), smallest: Math.min(...dots.map((r) => Math.min(r.width, r.height))) };
      });
    const eleven = await rows();
    assert.equal(eleven.count, 11);
    assert.equal(eleven.tops.length, 1, `one row of dots (${JSON.stringify(eleven)})`);
    assert.ok(eleven.smallest >= 24, `each dot is still a 24 px target (${eleven.smallest})`);
    // A twelfth dot (a copy of the last) still fits the row.
    await page.locator(tid('step-dot-11')).evaluate((d) => {
      const twelfth = d.cloneNode(true);
      twelfth.dataset.testid = 'step-dot-12';
      twelfth.textContent = '12';
      d.after(twelfth);
    });
    const twelve = await rows();
    assert.equal(twelve.count, 12);
    assert.equal(twelve.tops.length, 1, `twelve dots on one row (${JSON.stringify(twelve)})`);
    assert.ok(twelve.right <= 360, `the row ends on the screen (${twelve.right})`);
    assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= 360), 'nothing runs off the side');
  } finally {
    await page.context().close();
  }
});
