// Accessibility: axe-core (its default rule set: WCAG A/AA plus best practices such as one main
// landmark, all content in landmarks, and colour contrast) finds no violation on the home page,
// every lesson (taken from the home page's links, so a new lesson is covered without editing this
// file), compare mode and embeds, each in the light and the dark theme.
//
// One page per theme visits every route by changing the URL's hash (the app's own routing, as a
// link inside it does; the wasm is compiled once per theme, not once per route). The themes differ
// only in colour custom properties (www/styles/*.css), so the dark pass runs the rules colours can
// break (contrast, links told apart by colour, names that mention the theme) and the light pass
// runs every rule.
//
// On failure the log lists every violation: page, rule, impact, and for each node its selector and
// axe's summary of what fails (for contrast: the two colours, the ratio and the one required).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { useApp, tid } from './harness.mjs';

const app = useApp();
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const THEMES = ['light', 'dark'];

// Default rules, and label-content-name-mismatch named explicitly: the issue asks for it, and axe
// would drop it silently if a release moved it back among the experimental rules.
const AXE_OPTIONS = {
  resultTypes: ['violations'],
  rules: { 'label-content-name-mismatch': { enabled: true } },
};
// The rules a change of colours alone can break.
const COLOUR_RULES = ['color-contrast', 'link-in-text-block', 'button-name', 'label-content-name-mismatch'];
const AXE_OPTIONS_BY_THEME = {
  light: AXE_OPTIONS,
  dark: { resultTypes: ['violations'], runOnly: { type: 'rule', values: COLOUR_RULES } },
};

/** Waits for the home page's lesson list. */
async function homeReady(page) {
  await page.locator(tid('lesson-list')).waitFor();
  await page.locator('[data-testid^="lesson-card-"]').first().waitFor();
}

/** Waits for a lesson page and its diagram. */
async function lessonReady(page) {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(`${tid('lesson-page')} .diagram-wrap [data-testid$="-diagram"]`).waitFor();
}

/** Waits for compare mode: its table and every column's diagram. */
async function compareReady(page) {
  await page.locator(tid('lesson-page')).waitFor();
  await page.locator(tid('compare-view')).waitFor();
  await page.waitForFunction(() => {
    const cols = [...document.querySelectorAll('[data-testid^="compare-column-"]')];
    return cols.length > 0 && cols.every((c) => c.querySelector('[data-testid$="-diagram"]'));
  });
}

/** Waits for an embed's diagram (and its controls when the URL asks for them). */
async function embedReady(page) {
  await page.locator(`${tid('embed-stage')} [data-testid$="-diagram"]`).waitFor();
  if ((await page.locator(tid('embed')).getAttribute('data-controls')) !== 'none') {
    await page.locator(tid('embed-controls')).waitFor();
  }
}

/** The lesson ids the home page links to, in its order. */
async function lessonIds(open) {
  const page = await open('#/');
  await homeReady(page);
  const hrefs = await page
    .locator('[data-testid="lesson-list"] a[href^="#/lesson/"]')
    .evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  await page.context().close();
  const ids = [...new Set(hrefs.map((h) => h.slice('#/lesson/'.length).split('?')[0]))];
  assert.ok(ids.length > 0, 'the home page links to at least one lesson');
  return ids;
}

/** A fresh page with `theme` stored as the preference (read before first paint), at `where`. */
async function openThemed(open, where, theme) {
  return open(where, { init: `localStorage.setItem('sdp.theme', ${JSON.stringify(JSON.stringify(theme))})` });
}

/**
 * Moves `page` to the route `hash` the way an in-app link does, and waits with `ready`. It passes
 * through the home page, so that `ready` cannot be met by the route it leaves.
 */
async function visit(page, hash, theme, ready) {
  await leave(page);
  await page.goto(app.url(hash));
  await ready(page);
  await page.locator(`html[data-theme="${theme}"]`).waitFor({ state: 'attached' });
  // Let the frame that follows the last render paint, so contrast is measured on what is shown.
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Goes to the home page (unless there) and waits for it. */
async function leave(page) {
  if (new URL(page.url()).hash !== '#/') await page.goto(app.url('#/'));
  await homeReady(page);
}

/** Runs axe (already injected) on the page with `options`; returns its violations. */
async function axe(page, options) {
  return page.evaluate((o) => window.axe.run(document, o), options).then((r) => r.violations);
}

/** One line per violating node, grouped by rule, for the log. */
function report(label, violations) {
  return violations
    .map((v) => {
      const nodes = v.nodes
        .map((n) => `    ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replace(/\n\s*/g, '\n      ')}`)
        .join('\n');
      return `  [${label}] ${v.id} (${v.impact}, ${v.nodes.length} node${v.nodes.length === 1 ? '' : 's'}): ${v.help}\n${nodes}`;
    })
    .join('\n');
}

app.test(
  'axe finds no violation on home, every lesson, compare mode and embeds, light and dark',
  async ({ open, t }) => {
    const pages = [['home', '#/', homeReady]];
    for (const id of await lessonIds(open)) pages.push([`lesson ${id}`, `#/lesson/${id}`, lessonReady]);
    pages.push(['compare consistent-hashing', '#/lesson/consistent-hashing?v=1&compare=all', compareReady]);
    pages.push(['embed consistent-hashing', '#/embed/consistent-hashing?v=1', embedReady]);
    pages.push(['embed consistent-hashing controls=full', '#/embed/consistent-hashing?v=1&controls=full', embedReady]);

    // One page per theme, both at once; embeds last (an embed's theme= field sets the theme).
    const perTheme = await Promise.all(
      THEMES.map(async (theme) => {
        const page = await openThemed(open, '#/', theme);
        await homeReady(page);
        await page.addScriptTag({ path: AXE_PATH });
        const out = [];
        for (const [name, hash, ready] of pages) {
          const where = hash.startsWith('#/embed/') ? `${hash}&theme=${theme}` : hash;
          await visit(page, where, theme, ready);
          out.push({ label: `${name}, ${theme}`, violations: await axe(page, AXE_OPTIONS_BY_THEME[theme]) });
        }
        await page.context().close();
        return out;
      }),
    );
    const results = perTheme.flat();

    const counts = [];
    const failures = [];
    for (const { label, violations } of results) {
      const nodes = violations.reduce((n, v) => n + v.nodes.length, 0);
      counts.push(`${label}: ${nodes}${nodes ? ` (${violations.map((v) => `${v.id} ${v.nodes.length}`).join(', ')})` : ''}`);
      if (nodes) failures.push(report(label, violations));
    }
    const total = results.reduce((n, r) => n + r.violations.reduce((m, v) => m + v.nodes.length, 0), 0);
    t.diagnostic(`axe: ${results.length} pages, ${total} violating nodes`);
    if (total) for (const line of counts) t.diagnostic(`  ${line}`);
    assert.equal(failures.length, 0, `axe violations on ${failures.length} of ${counts.length} pages:\n${failures.join('\n')}`);
  },
  { timeout: 120_000 },
);

// WCAG 1.4.10 (Reflow): at 320 CSS px content must not need scrolling in two directions; our
// narrowest supported phone is 360 px. A long segment label or sweep title once pushed
// cross-shard-queries to 370 px.
app.test('at 360 px wide no lesson page scrolls sideways', async ({ open }) => {
  const wide = [];
  const page = await open('about:blank');
  await page.setViewportSize({ width: 360, height: 800 });
  await page.goto(app.url('#/'));
  for (const id of await lessonIds(open)) {
    await leave(page);
    await page.goto(app.url(`#/lesson/${id}`));
    await lessonReady(page);
    const { scroll, client } = await page.evaluate(() => ({
      scroll: document.documentElement.scrollWidth,
      client: document.documentElement.clientWidth,
    }));
    if (scroll > client) wide.push(`${id}: ${scroll} px`);
  }
  assert.deepEqual(wide, [], 'lesson pages wider than a 360 px screen');
});
