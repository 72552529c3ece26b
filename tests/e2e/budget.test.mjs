// The size budget's list of first-load files (scripts/budget.mjs) against what a real browser
// loads: a cold visit to home, a lesson page and an embed (service worker blocked, so only the
// page's own requests count) requests nothing the budget does not count, and not the sweep worker,
// which waits for a sweep; a lesson page and an embed load their family's simulation engine and no
// other, home none. The budget figures themselves are checked by the `budget` layer of
// scripts/test.sh.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DIST_DIR } from './server.mjs';
import { tid, useApp, WAIT_MS } from './harness.mjs';
import { engineFiles, startupFiles } from '../../scripts/budget.mjs';

// One server and one browser for the file (the harness's); pages get their own contexts here.
const app = useApp();

const index = () => JSON.parse(readFileSync(path.join(DIST_DIR, 'content', 'index.json'), 'utf8'));

/** Every same-origin path a cold load of `hash` requests until the page is ready and idle. */
async function coldLoad(hash, ready) {
  const context = await app.browser.newContext({ serviceWorkers: 'block', viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const paths = new Set();
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (u.origin === app.baseUrl) paths.add(u.pathname.replace(/^\//, '') || 'index.html');
  });
  try {
    await page.goto(`${app.baseUrl}/${hash}`);
    await page.locator(ready).waitFor({ timeout: WAIT_MS });
    await page.waitForLoadState('networkidle');
    return [...paths].sort();
  } finally {
    await context.close();
  }
}

for (const [name, hash, ready] of [
  ['home', '#/', tid('lesson-list')],
  ['a lesson page', '#/lesson/hot-keys', `svg${tid('shard-diagram')}`],
  ['a caching lesson page', '#/lesson/write-policies', tid('store-diagram')],
  ['an embed', '#/embed/consistent-hashing', `svg${tid('ring-diagram')}`],
]) {
  test(`a cold load of ${name} requests only what the size budget counts`, { timeout: 4 * WAIT_MS }, async () => {
    const counted = new Set(startupFiles(DIST_DIR));
    for (const l of index().lessons) {
      counted.add(l.content);
      for (const f of engineFiles(l.family)) counted.add(f);
    }
    const requested = await coldLoad(hash, ready);
    const engines = requested.filter((p) => p.startsWith('engine-'));
    const uncounted = requested.filter((p) => !counted.has(p));
    assert.deepEqual(uncounted, [], `requested but not in the budget's first-load list: ${uncounted.join(', ')}`);
    assert.ok(requested.some((p) => p.endsWith('.wasm')), 'the wasm was loaded');
    assert.ok(!requested.some((p) => p.startsWith('sweep-worker')), 'the sweep worker waits for a sweep');
    if (hash === '#/') assert.deepEqual(engines, [], 'home loads no simulation engine');
    if (hash.includes('/lesson/') || hash.includes('/embed/')) {
      const id = hash.split('/')[2];
      const lesson = index().lessons.find((l) => l.id === id);
      assert.ok(requested.includes(lesson.content), `${id}'s JSON was loaded`);
      assert.deepEqual(engines, engineFiles(lesson.family).sort(), `the ${lesson.family} family's engine, and no other`);
      assert.equal(requested.filter((p) => p.startsWith('content/')).length, 1, 'and no other lesson');
      assert.ok(!requested.some((p) => p.startsWith('code/')), 'no source file until the Code tab opens');
    }
  });
}
