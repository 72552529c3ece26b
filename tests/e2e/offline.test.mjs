// Offline use, end to end, against the release build in dist/:
// - after one visit the service worker controls the page and holds every build file; with the
//   browser offline and the server gone, a reload still shows the app and a lesson that plays,
//   and a lesson the visit never opened shows its prose and its Code tab (the lessons' files are
//   precached), and the sweep worker starts and runs a sweep (its files are not content-hashed:
//   precached by their SHA-256) (served under a sub-path, so relative URLs are tested too);
// - a first visit downloads the wasm (and every hashed file) once: the service worker takes what
//   the page has just downloaded from the HTTP cache, also from a server that sends no-cache on
//   everything and no validators; a hashed file whose copy does not match its digest is fetched
//   again from the server, once;
// - a second deployment's service worker takes over, offers a reload to the new version, and
//   leaves only its own cache; a deployment whose files do not match its list never installs;
// - the precache list in sw.js is exactly the build's files, generated at build time, and
//   index.html names the build's version.
// (The single-file downloads: download.test.mjs.)
//
// Each test serves its own copy of dist/ (a deployment it may change) on its own port, so service
// worker registrations and caches never leak between tests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchBrowser, newPage } from './browser.mjs';
import { DIST_DIR, startServer } from './server.mjs';
import { WAIT_MS, askWorker, codeShows, lessonReady, ringRequest, tid } from './harness.mjs';
import { buildOffline } from '../../scripts/offline/build.mjs';
import { buildVersion, isHashedName, listPrecache, readStamp } from '../../scripts/offline/precache.mjs';
import { readIndex } from '../../scripts/offline/content.mjs';

const quiet = () => {};
let browser;
const scratch = [];

before(async () => {
  assert.ok(existsSync(path.join(DIST_DIR, 'sw.js')), 'dist/sw.js exists: build the app first (trunk build --release --offline)');
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** A scratch copy of dist/ at `sub` (a sub-path) under a fresh web root; returns both paths. */
function deploy(sub = '') {
  const root = mkdtempSync(path.join(tmpdir(), 'sdp-offline-'));
  scratch.push(root);
  const app = path.join(root, sub);
  cpSync(DIST_DIR, app, { recursive: true });
  if (sub) writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Host</title><p>Another site.</p>');
  return { root, app };
}

/** The build description baked into a deployment's sw.js. */
function swBuild(appDir) {
  const src = readFileSync(path.join(appDir, 'sw.js'), 'utf8');
  const json = src.match(/const BUILD = (\{[\s\S]*?\n\});/)?.[1];
  assert.ok(json, 'sw.js holds the build description');
  return JSON.parse(json);
}

/** This app's precaches as { name: [urls] }. */
const cacheContents = (page) =>
  page.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) {
      if (!name.startsWith('sdp-precache ')) continue;
      out[name] = (await (await caches.open(name)).keys()).map((r) => r.url).sort();
    }
    return out;
  });

/** Waits until a service worker controls the page and the footer says the app is saved. */
async function savedForOffline(page) {
  await page.waitForFunction(() => navigator.serviceWorker?.controller != null, null, { timeout: 3 * WAIT_MS });
  await page.locator(`${tid('offline-status')}[data-state="ready"]`).waitFor();
}

/** Presses play and waits for the simulated clock to move, then pauses. */
async function plays(page) {
  const timeline = page.locator(tid('timeline'));
  await timeline.waitFor();
  const t0 = Number(await timeline.inputValue());
  await page.locator(tid('play-button')).click();
  await page.waitForFunction(([sel, t]) => Number(document.querySelector(sel)?.value) > t, [tid('timeline'), t0]);
  await page.locator(tid('play-button')).click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.getAttribute('aria-pressed') !== 'true', tid('play-button'));
}

/** The first guided step shows its prose. */
async function proseShows(page) {
  const step = page.locator(tid('step-1'));
  await step.waitFor({ state: 'visible' });
  assert.ok(((await step.textContent()) ?? '').trim().length > 80, 'the first step has prose');
}


const noErrors = (page) => assert.deepEqual(page.errors, [], 'no console errors or page errors');

test('after one visit, the app and its lessons work with the network off (under a sub-path)', { timeout: 12 * WAIT_MS }, async () => {
  const { root, app } = deploy('apps/playground');
  const server = await startServer({ root });
  const base = `${server.url}/apps/playground/`;
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  try {
    await page.goto(`${base}#/lesson/consistent-hashing`);
    await lessonReady(page);
    await savedForOffline(page);

    // The service worker's scope is the sub-path, and its cache holds exactly this build.
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    assert.equal(scope, base);
    const build = swBuild(app);
    const caches = await cacheContents(page);
    assert.deepEqual(Object.keys(caches), [`sdp-precache ${base} ${build.version}`], 'one precache, named for this build');
    assert.deepEqual(caches[Object.keys(caches)[0]], build.assets.map((a) => new URL(a.path, base).href).sort());

    // Network off: the browser is offline and the server is gone.
    await page.context().setOffline(true);
    await server.close();
    await page.reload();
    await lessonReady(page);
    await plays(page);
    // The sweep worker starts from the precache (a fetch of its own, never made before) and runs.
    const log = await askWorker(page, 1, ringRequest({ seeds: 1 }));
    assert.equal(log[0], 'Ready');
    assert.deepEqual(log.at(-1), { Done: { id: 1 } }, JSON.stringify(log.at(-1)));

    // The rest of the app too: home, then a lesson this visit never opened, by its card: its
    // prose and its Code tab (highlighted source) come from the precache.
    await page.goto(`${base}#/`);
    await page.locator(tid('lesson-list')).waitFor();
    await page.locator(tid('lesson-card-modulo-sharding')).click();
    await lessonReady(page, 'shard-diagram');
    await plays(page);
    await proseShows(page);
    await codeShows(page);
    // A fresh navigation to the bare sub-path is answered from the cache as well.
    await page.goto(base);
    await page.locator(tid('lesson-list')).waitFor();
    noErrors(page);
  } finally {
    await page.context().close();
    await server.close();
  }
});

test('a second deployment takes over: a reload offers the new version and only its cache is left', { timeout: 12 * WAIT_MS }, async () => {
  const { root, app } = deploy();
  const server = await startServer({ root });
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  try {
    await page.goto(`${server.url}/#/lesson/consistent-hashing`);
    await lessonReady(page);
    await savedForOffline(page);
    const v1 = swBuild(app).version;
    assert.deepEqual(Object.keys(await cacheContents(page)), [`sdp-precache ${server.url}/ ${v1}`]);

    // Deploy version 2 over it: a changed index.html and the sw.js the build makes for it.
    const indexFile = path.join(app, 'index.html');
    writeFileSync(indexFile, readFileSync(indexFile, 'utf8').replace('<head>', '<head>\n<meta name="sdp-deploy" content="2">'));
    buildOffline({ dir: app, log: quiet });
    const v2 = swBuild(app).version;
    assert.notEqual(v2, v1, 'a changed file gives a new precache version');

    // The next visit is still answered by version 1 (cache first), while the browser fetches the
    // new sw.js, which installs, takes over and tells the page.
    await page.reload();
    await lessonReady(page);
    await page.locator(tid('offline-updated')).waitFor();
    assert.equal(await page.locator('meta[name="sdp-deploy"]').count(), 0, 'this page is still version 1');
    // The page hears of the new controller as the new worker activates; its activate step then
    // deletes version 1's cache.
    const only = [`sdp-precache ${server.url}/ ${v2}`];
    await page
      .waitForFunction(
        async (want) => JSON.stringify((await caches.keys()).filter((n) => n.startsWith('sdp-precache '))) === want,
        JSON.stringify(only),
      )
      .catch(async () => assert.deepEqual(Object.keys(await cacheContents(page)), only, 'version 1 cache deleted'));

    // "Reload" shows version 2, at the same lesson; and version 2 is what works offline.
    await page.locator(tid('offline-reload')).click();
    await page.locator('meta[name="sdp-deploy"]').waitFor({ state: 'attached' });
    await lessonReady(page);
    await page.context().setOffline(true);
    await server.close();
    await page.reload();
    await lessonReady(page);
    assert.equal(await page.locator('meta[name="sdp-deploy"]').count(), 1, 'offline, the page is version 2');
    noErrors(page);
  } finally {
    await page.context().close();
    await server.close();
  }
});

test('a deployment whose files do not match its precache list never installs (no mixed versions)', { timeout: 6 * WAIT_MS }, async () => {
  const { root, app } = deploy();
  // The manifest changed after sw.js was written (half of a newer deployment, say): the list no
  // longer describes the files served. (Not a stylesheet: the page's own integrity check would
  // refuse that one before the service worker is asked.)
  const manifestFile = path.join(app, 'manifest.webmanifest');
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
  writeFileSync(manifestFile, JSON.stringify({ ...manifest, short_name: 'Changed' }));
  const server = await startServer({ root });
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  try {
    await page.goto(`${server.url}/#/lesson/consistent-hashing`);
    await lessonReady(page);
    // The footer says so rather than "saving" for ever.
    await page.locator(`${tid('offline-status')}[data-state="failed"]`).waitFor({ timeout: 3 * WAIT_MS });
    // The install fails: the worker ends redundant, never active, and nothing is cached. (The
    // app registered sw.js already; registering it again hands back that job or starts another.)
    const outcome = await page.evaluate(async () => {
      const reg = await navigator.serviceWorker.register('sw.js');
      const worker = reg.installing ?? reg.waiting ?? reg.active;
      if (!worker) return 'none';
      if (worker.state === 'redundant' || worker.state === 'activated') return worker.state;
      return new Promise((resolve) =>
        worker.addEventListener('statechange', () => {
          if (worker.state === 'redundant' || worker.state === 'activated') resolve(worker.state);
        }),
      );
    });
    assert.equal(outcome, 'redundant', 'the mismatched build is rejected');
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null);
    assert.deepEqual(await cacheContents(page), {}, 'no partial cache left');
    // The page itself is unaffected.
    await plays(page);
    noErrors(page);
  } finally {
    await page.context().close();
    await server.close();
  }
});

/** The 200 responses the server sent, by path. */
function transfers(server) {
  const out = new Map();
  for (const r of server.requests) if (r.status === 200) out.set(r.path, [...(out.get(r.path) ?? []), r.bytes]);
  return out;
}

for (const cache of ['static', 'no-cache']) {
  test(`a first visit downloads the wasm once: the service worker reuses the page's copy (server cache headers: ${cache})`, { timeout: 8 * WAIT_MS }, async (t) => {
    const { root, app } = deploy('apps/playground');
    const server = await startServer({ root, cache });
    const base = `${server.url}/apps/playground/`;
    const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
    try {
      await page.goto(`${base}#/lesson/consistent-hashing`);
      await lessonReady(page);
      await savedForOffline(page);
      const build = swBuild(app);
      const sent = transfers(server);
      const wasm = build.assets.find((a) => a.hashed && a.path.endsWith('.wasm'));
      assert.deepEqual(sent.get(`/apps/playground/${wasm.path}`), [wasm.bytes], 'the wasm went over the wire exactly once');
      // Every file under a hashed name at most once; every precached file at least once.
      for (const a of build.assets) {
        const times = sent.get(`/apps/playground/${a.path}`)?.length ?? 0;
        if (a.hashed) assert.ok(times <= 1, `${a.path} downloaded ${times} times`);
        const revalidated = server.requests.some((r) => r.path === `/apps/playground/${a.path}` && r.status === 304);
        assert.ok(times >= 1 || revalidated, `${a.path} was fetched (or revalidated) for the precache`);
      }
      const total = [...sent.values()].flat().reduce((a, b) => a + b, 0);
      t.diagnostic(`first visit, ${cache} server: ${server.requests.length} requests, ${(total / 1024).toFixed(1)} KB sent (${(wasm.bytes / 1024).toFixed(1)} KB of it the wasm)`);
      noErrors(page);
    } finally {
      await page.context().close();
      await server.close();
    }
  });
}

test('a hashed file that does not match its digest is fetched again from the server, once', { timeout: 8 * WAIT_MS }, async () => {
  const { root, app } = deploy();
  const build = swBuild(app);
  // A code file: the page does not load it, so the service worker's request is the first. The
  // first answer is damaged (as a bad copy in the HTTP cache would be), the second is right.
  const code = build.assets.find((a) => a.hashed && a.path.startsWith('code/'));
  const server = await startServer({
    root,
    replace: (file, nth) => (file === code.path && nth === 0 ? '<p>not this build</p>' : undefined),
  });
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  try {
    await page.goto(`${server.url}/#/lesson/consistent-hashing`);
    await lessonReady(page);
    await savedForOffline(page);
    const asked = server.requests.filter((r) => r.path === `/${code.path}`);
    assert.deepEqual(asked.map((r) => r.status), [200, 200], 'asked twice: the damaged copy, then the server again');
    const cached = await page.evaluate(async (url) => (await (await caches.match(url)).arrayBuffer()).byteLength, `${server.url}/${code.path}`);
    assert.equal(cached, code.bytes, 'the precache holds the right file');
    noErrors(page);
  } finally {
    await page.context().close();
    await server.close();
  }
});

test('the web app manifest is linked, parses, and its icons exist', { timeout: 4 * WAIT_MS }, async () => {
  const server = await startServer({ root: DIST_DIR });
  const page = await newPage(browser, { origin: server.url, defaultTimeout: WAIT_MS });
  try {
    await page.goto(`${server.url}/#/`);
    await page.locator(tid('lesson-list')).waitFor();
    const manifestHref = await page.locator('link[rel="manifest"]').getAttribute('href');
    const manifest = await (await fetch(new URL(manifestHref, `${server.url}/`))).json();
    assert.equal(manifest.start_url, './');
    assert.equal(manifest.display, 'standalone');
    for (const icon of manifest.icons) {
      assert.equal((await fetch(new URL(icon.src, `${server.url}/`))).status, 200, `${icon.src} exists`);
    }
    assert.ok(manifest.icons.some((i) => i.sizes === '512x512' && i.purpose === 'maskable'));
    noErrors(page);
  } finally {
    await page.context().close();
    await server.close();
  }
});

test('sw.js lists exactly the files trunk wrote, by their hashed names, and index.html names the version', () => {
  const build = swBuild(DIST_DIR);
  const listed = listPrecache(DIST_DIR);
  assert.deepEqual(build.assets, listed, 'the list in sw.js is the build in dist/');
  assert.equal(build.version, buildVersion(DIST_DIR));
  assert.equal(readStamp(readFileSync(path.join(DIST_DIR, 'index.html'), 'utf8')), build.version, 'index.html is stamped with it');
  const paths = new Set(listed.map((a) => a.path));
  for (const p of ['index.html', 'manifest.webmanifest', 'icons/favicon.svg', 'icons/icon-512.png', 'single-file.js']) assert.ok(paths.has(p), p);
  assert.ok(!paths.has('sw.js') && ![...paths].some((p) => p.startsWith('offline/')), 'neither sw.js nor build-time single files');
  // Every lesson's files, for offline use; the names that are content hashes are marked so.
  const index = readIndex(DIST_DIR);
  for (const f of [...index.lessons.map((l) => l.content), ...index.files]) assert.ok(paths.has(f), `${f} is precached`);
  for (const a of listed) assert.equal(a.hashed, isHashedName(a.path), a.path);
  assert.ok(listed.find((a) => /^playground-.*\.wasm$/.test(a.path)).hashed && !listed.find((a) => a.path === 'index.html').hashed);
  // The sweep worker's and every family's engine's files, under plain names: revalidated and
  // checked by their SHA-256.
  const families = [...new Set(index.lessons.map((l) => l.family))];
  const engines = families.flatMap((f) => [`engine-${f}.js`, `engine-${f}_bg.wasm`]);
  for (const p of ['sweep-worker_loader.js', 'sweep-worker.js', 'sweep-worker_bg.wasm', ...engines]) {
    assert.equal(listed.find((a) => a.path === p)?.hashed, false, `${p} is precached under its plain name`);
  }
  // Everything index.html loads is precached: the hashed glue, wasm and stylesheets.
  const html = readFileSync(path.join(DIST_DIR, 'index.html'), 'utf8');
  const refs = [...html.matchAll(/(?:href|src)="\.\/([^"]+)"|'\.\/([^']+\.(?:js|wasm))'/g)].map((m) => m[1] ?? m[2]);
  assert.ok(refs.some((r) => r.endsWith('.wasm')) && refs.some((r) => /-[0-9a-f]{8,}\.css$/.test(r)), 'hashed names in index.html');
  for (const r of refs) assert.ok(paths.has(r), `${r} is precached`);
});

test('hashed names are told from plain ones, whatever the length of trunk\'s hash', () => {
  for (const name of [
    'playground-94c2e3d6f021eab4_bg.wasm',
    'playground-6d92db0b8ddd22c_bg.wasm', // trunk drops leading zeros: 15 digits
    'playground-6d92db0b8ddd22c.js',
    'main-224d5b7a3ba89152.css',
    'content/consistent-hashing.651cc9b1efea119b.json',
    'code/models-modulo-rs.2b91b7ebf04a0901.html',
  ]) assert.ok(isHashedName(name), name);
  for (const name of ['index.html', 'embed.js', 'single-file.js', 'manifest.webmanifest', 'icons/icon-512.png', 'icons/favicon.svg', 'worker_loader.js', 'worker_bg.wasm', 'sweep-worker.js', 'sweep-worker_bg.wasm', 'sweep-worker_loader.js', 'engine-hashing.js', 'engine-caching_bg.wasm', 'engine-balancing_bg.wasm', 'content/index.json']) {
    assert.ok(!isHashedName(name), name);
  }
});

test('a debug build gets a self-removing service worker', () => {
  const { app } = deploy();
  buildOffline({ dir: app, profile: 'debug', log: quiet });
  const sw = readFileSync(path.join(app, 'sw.js'), 'utf8');
  assert.match(sw, /unregister\(\)/);
  assert.doesNotMatch(sw, /const BUILD/);
});
