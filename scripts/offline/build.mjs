// The offline layer of the build: run by trunk as a post_build hook (Trunk.toml), over the staging
// directory that becomes dist/, after trunk has written the hashed assets and index.html.
//
//   1. sw.js: www/sw.js with the precache list of this build (every file trunk wrote, by its hashed
//      name, with size and SHA-256) and a version derived from that list (the cache name);
//   2. offline/system-design-playground.html and offline/<lesson-id>.html: the whole app in one
//      self-contained HTML file each (CSS, JS glue and gzipped wasm inlined), opening at home or
//      at that lesson. Not precached: they are for downloading.
//
// Debug builds (`trunk serve`) get a service worker that removes itself and its caches instead, so
// that a development server is never answered from an old precache, and no single files.
//
//   node scripts/offline/build.mjs                       # as the trunk hook (TRUNK_* variables)
//   node scripts/offline/build.mjs --dir DIST [--profile release|debug] [--public-url ./]
//   node scripts/offline/build.mjs --report DIST          # sizes: precache and single files
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { fillBootMap, readIndex, writeContent } from './content.mjs';
import { listPrecache, OFFLINE_DIR, precacheVersion, renderServiceWorker, SW_FILE } from './precache.mjs';
import { buildSingleFile } from './single-file.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const SW_TEMPLATE = path.join(REPO_ROOT, 'www', 'sw.js');
/** The whole app's single file, under offline/. */
export const APP_FILE = 'system-design-playground.html';

// A service worker for debug builds: takes over, deletes this app's precaches, unregisters.
const DEV_SW = `// Debug build: no offline cache. Removes any precache a release build of this app left here.
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const mine = "sdp-precache " + self.registration.scope + " ";
    for (const name of await caches.keys()) if (name.startsWith(mine)) await caches.delete(name);
    await self.registration.unregister();
  })());
});
`;

/**
 * Writes the lessons' compiled files (unless `content: false`: they are there already), fills
 * index.html's boot map, then sw.js and the single files; returns what it wrote.
 */
export function buildOffline({ dir, profile = 'release', publicUrl = './', template = SW_TEMPLATE, content = true, log = console.log }) {
  const offlineDir = path.join(dir, OFFLINE_DIR);
  rmSync(offlineDir, { recursive: true, force: true });
  rmSync(path.join(dir, SW_FILE), { force: true });
  const index = content ? writeContent(dir, { repoRoot: REPO_ROOT, log }) : readIndex(dir);
  const indexPath = path.join(dir, 'index.html');
  const page = readFileSync(indexPath, 'utf8');
  if (page.includes('/* @sdp-content */')) writeFileSync(indexPath, fillBootMap(page, index));
  if (profile !== 'release') {
    writeFileSync(path.join(dir, SW_FILE), DEV_SW);
    log(`[offline] ${profile} build: self-removing ${SW_FILE}, no precache and no single files (release builds have them)`);
    return { assets: [], singles: [] };
  }

  const assets = listPrecache(dir);
  const version = precacheVersion(assets);
  writeFileSync(path.join(dir, SW_FILE), renderServiceWorker(readFileSync(template, 'utf8'), assets));

  const html = readFileSync(path.join(dir, 'index.html'), 'utf8');
  mkdirSync(offlineDir, { recursive: true });
  const targets = [{ file: APP_FILE, lesson: null }, ...index.lessons.map((l) => ({ file: `${l.id}.html`, lesson: l }))];
  const files = Object.fromEntries(index.files.map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
  const singles = targets.map(({ file, lesson }) => {
    const out = buildSingleFile({ root: dir, html, lesson, publicUrl, builtFrom: version, files });
    writeFileSync(path.join(offlineDir, file), out);
    return { file: `${OFFLINE_DIR}/${file}`, bytes: Buffer.byteLength(out) };
  });
  const total = assets.reduce((a, f) => a + f.bytes, 0);
  log(`[offline] ${SW_FILE}: precache ${version}: ${assets.length} files, ${kb(total)}`);
  log(`[offline] ${OFFLINE_DIR}/: ${singles.length} single files, ${kb(singles[0].bytes)} each`);
  return { assets, singles, version };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** Prints the precache (files, bytes) and every single file's size (raw, gzip), as in bench.sh. */
export function report(dir) {
  const assets = listPrecache(dir);
  const total = assets.reduce((a, f) => a + f.bytes, 0);
  const gz = assets.reduce((a, f) => a + gzipSync(readFileSync(path.join(dir, f.path)), { level: 9 }).length, 0);
  console.log(`precache (${SW_FILE}, version ${precacheVersion(assets)}): ${assets.length} files, ${kb(total)} raw, ${kb(gz)} gzip`);
  const singles = readIndex(dir).lessons.map((l) => `${l.id}.html`);
  const rows = [APP_FILE, ...singles].map((f) => {
    const data = readFileSync(path.join(dir, OFFLINE_DIR, f));
    return { f, raw: data.length, gzip: gzipSync(data, { level: 9 }).length };
  });
  const width = Math.max(...rows.map((r) => r.f.length));
  console.log(`single files (${OFFLINE_DIR}/):`);
  for (const r of rows) console.log(`  ${r.f.padEnd(width)}  ${kb(r.raw).padStart(10)} raw  ${kb(r.gzip).padStart(10)} gzip`);
  console.log(`precache_files=${assets.length} precache_bytes=${total} precache_gzip_bytes=${gz}`);
  console.log(`single_file_bytes=${rows[0].raw} single_file_gzip_bytes=${rows[0].gzip}`);
}

// Command line / trunk hook.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  try {
    if (opt('report')) {
      report(path.resolve(opt('report')));
    } else {
      const dir = opt('dir') ?? process.env.TRUNK_STAGING_DIR;
      if (!dir) throw new Error('no build directory: run as a trunk post_build hook, or pass --dir DIST');
      buildOffline({
        dir: path.resolve(dir),
        profile: opt('profile') ?? process.env.TRUNK_PROFILE ?? 'release',
        publicUrl: opt('public-url') ?? process.env.TRUNK_PUBLIC_URL ?? './',
      });
    }
  } catch (err) {
    console.error(`[offline] error: ${err.message}`);
    process.exit(1);
  }
}
