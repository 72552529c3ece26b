// The consistent-hashing lesson page: diagram, parameters, interventions, transport, code, questions.
import assert from 'node:assert/strict';
import {
  useApp,
  tid,
  LESSON,
  lessonReady,
  dataValue,
  waitForDataValue,
  valuesByPrefix,
  setInputValue,
  blur,
  showQuestion,
} from './harness.mjs';

const app = useApp();

app.test('the lesson renders the ring with servers A, B and C', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  const ring = page.locator(`svg${tid('ring-diagram')}`);
  for (const s of ['A', 'B', 'C']) {
    await ring.locator(tid(`server-${s}`)).first().waitFor({ state: 'attached' });
  }
  const bars = await valuesByPrefix(page, 'load-bar-');
  assert.deepEqual(Object.keys(bars).sort(), ['A', 'B', 'C'], 'one load bar per server');
  const total = Object.values(bars).reduce((a, b) => a + b, 0);
  assert.ok(total > 0, `keys are assigned to servers (load bars sum to ${total})`);
});

app.test('raising vnodes from 1 to 100 changes the load and lowers max/mean', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  const vnodes = page.locator(tid('param-vnodes'));
  assert.equal(await vnodes.inputValue(), '1', 'the default lesson has 1 vnode per server');
  await page.locator(tid('load-chart')).waitFor();
  const barsBefore = await valuesByPrefix(page, 'load-bar-');
  const ratioBefore = await dataValue(page, 'metric-max_mean_ratio');

  await setInputValue(vnodes, 100);
  const ratioAfter = await waitForDataValue(page, 'metric-max_mean_ratio', '!=', ratioBefore);
  assert.ok(ratioAfter < ratioBefore, `max/mean falls with 100 vnodes (${ratioBefore} -> ${ratioAfter})`);
  assert.ok(ratioAfter >= 1, `max/mean is at least 1 (${ratioAfter})`);

  const barsAfter = await valuesByPrefix(page, 'load-bar-');
  assert.deepEqual(Object.keys(barsAfter).sort(), Object.keys(barsBefore).sort());
  assert.notDeepEqual(barsAfter, barsBefore, 'the per-server loads change');
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  assert.equal(sum(barsAfter), sum(barsBefore), 'the same keys are distributed');
  assert.equal(await vnodes.inputValue(), '100');
});

app.test('removing server B moves keys, logs it, and step back restores B', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  const log = page.locator(tid('event-log'));
  await log.waitFor({ state: 'attached' });
  assert.equal(await log.getAttribute('aria-live'), 'polite', 'the event log is an aria-live region');
  const entriesBefore = await log.locator(tid('event-log-entry')).count();
  // Before any server change the app may show "no change yet" as an empty data-value.
  const moved = page.locator(tid('metric-moved_keys'));
  await moved.waitFor({ state: 'attached' });
  const movedBefore = await moved.getAttribute('data-value');

  await page.locator(tid('remove-server-B')).click();
  await page.locator(tid('moved-key')).first().waitFor({ state: 'attached' });
  await waitForDataValue(page, 'metric-moved_keys', '>', 0);
  await page.locator(`svg${tid('ring-diagram')} ${tid('server-B')}`).waitFor({ state: 'detached' });
  await page.waitForFunction(
    ([sel, n]) => {
      const entries = [...document.querySelectorAll(sel)];
      return entries.length > n && entries.some((e) => /\bB\b/.test(e.textContent));
    },
    [`${tid('event-log')} ${tid('event-log-entry')}`, entriesBefore],
  );

  await page.locator(tid('step-back-button')).click();
  await page.locator(`svg${tid('ring-diagram')} ${tid('server-B')}`).first().waitFor({ state: 'attached' });
  await page.waitForFunction(
    ([sel, before]) => document.querySelector(sel)?.getAttribute('data-value') === before,
    [tid('metric-moved_keys'), movedBefore],
  );
  // Stepping back over an intervention at time zero undoes it, so the share link matches the screen.
  await page.waitForFunction(
    (sel) => !/remove-server/.test(document.querySelector(sel)?.getAttribute('href') ?? 'remove-server'),
    tid('share-url'),
  );
});

app.test('play, pause, step, restart and the space shortcut drive the clock', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  const play = page.locator(tid('play-button'));
  const timeline = page.locator(tid('timeline'));
  await page.locator(tid('sim-time')).waitFor();
  await page.locator(tid('speed-select')).waitFor();
  assert.notEqual(await play.getAttribute('aria-pressed'), 'true', 'not playing on load');
  const t0 = Number(await timeline.inputValue());

  // Step advances simulated time by one step.
  await page.locator(tid('step-button')).click();
  await page.waitForFunction(
    ([sel, t]) => Number(document.querySelector(sel)?.value) > t,
    [tid('timeline'), t0],
  );

  // Play runs the clock until paused.
  const t1 = Number(await timeline.inputValue());
  const simTime1 = await page.locator(tid('sim-time')).textContent();
  await play.click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('aria-pressed') === 'true', tid('play-button'));
  await page.waitForFunction(
    ([sel, t]) => Number(document.querySelector(sel)?.value) > t,
    [tid('timeline'), t1],
  );
  await page.waitForFunction(
    ([sel, text]) => document.querySelector(sel)?.textContent !== text,
    [tid('sim-time'), simTime1],
  );
  await play.click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('aria-pressed') !== 'true', tid('play-button'));

  // Space toggles play from anywhere on the page (not only on the focused button).
  await blur(page);
  await page.keyboard.press('Space');
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('aria-pressed') === 'true', tid('play-button'));
  await blur(page);
  await page.keyboard.press('Space');
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('aria-pressed') !== 'true', tid('play-button'));

  // Restart returns to the start of the run.
  await page.locator(tid('restart-button')).click();
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.value) === 0, tid('timeline'));
});

app.test('? opens the keyboard shortcuts dialog', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await blur(page);
  await page.keyboard.press('?');
  await page.locator(tid('shortcuts-dialog')).waitFor({ state: 'visible' });
});

app.test('the code tab shows the highlighted Rust lookup', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  await page.locator(tid('tab-code')).click();
  const code = page.locator(tid('code-view'));
  await code.waitFor({ state: 'visible' });
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent.includes('fn lookup'), tid('code-view'));
  const highlighted = await code.evaluate((el) => el.querySelector('[class*="source"], span') !== null);
  assert.ok(highlighted, 'the code is syntax-highlighted (spans or source classes)');
});

app.test('answering where User123 lands with C reveals "correct"', async ({ open }) => {
  const page = await open(LESSON);
  await lessonReady(page);
  const question = await showQuestion(page, 'where-user123');
  await question.waitFor();
  const result = page.locator(tid('question-where-user123-result'));
  if ((await result.count()) > 0) {
    assert.doesNotMatch((await result.textContent()) ?? '', /correct/i, 'the answer is not revealed before choosing');
  }
  await question.locator(tid('choice-C')).click();
  await result.waitFor({ state: 'visible' });
  await page.waitForFunction((sel) => /correct/i.test(document.querySelector(sel)?.textContent ?? ''), tid('question-where-user123-result'));
  const text = await result.textContent();
  assert.match(text, /correct/i);
  assert.doesNotMatch(text, /incorrect|not correct|wrong/i, `C is the right answer (got "${text}")`);
});
