// The offline layer of the build: run by trunk as a post_build hook (Trunk.toml), over the staging
// directory that becomes dist/, after trunk has written the hashed assets and index.html.
//
//   1. the lessons' compiled files (content/*.json, code/*.html; see content.mjs) and index.html's
//      boot map of them; the static shell's images marked data-sdp-inline as data: URLs (so the
//      first paint needs no request for them, as the app's own header, which compiles them in);
//   2. index.html stamped with the build's version (<meta name="sdp-build">), which a single-file
//      download made from this build names;
//   3. sw.js: www/sw.js with the precache list of this build (every file trunk wrote, by its hashed
//      name, with size, SHA-256 and whether the name is a content hash) and that version (the
//      cache name).
//
// Single-file downloads are not built here: the page builds one in the browser when asked
// (www/single-file.js), from the files it already has and at the state on screen.
//
// Debug builds (`trunk serve`) get a service worker that removes itself and its caches instead, so
// that a development server is never answered from an old precache.
//
//   node scripts/offline/build.mjs                       # as the trunk hook (TRUNK_* variables)
//   node scripts/offline/build.mjs --dir DIST [--profile release|debug]
//   node scripts/offline/build.mjs --report DIST          # sizes: the precache
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { fillBootMap, readIndex, writeContent } from './content.mjs';
import { buildVersion, listPrecache, renderServiceWorker, stampBuild, SW_FILE } from './precache.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const REPO_ROOT = path.resolve(HERE, '..', '..');
export const SW_TEMPLATE = path.join(REPO_ROOT, 'www', 'sw.js');

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
 * index.html's boot map, stamps it and writes sw.js; returns `{ version, assets }`.
 */
export function buildOffline({ dir, profile = 'release', template = SW_TEMPLATE, content = true, log = console.log }) {
  rmSync(path.join(dir, SW_FILE), { force: true });
  const index = content ? writeContent(dir, { repoRoot: REPO_ROOT, log }) : readIndex(dir);
  const indexPath = path.join(dir, 'index.html');
  let page = readFileSync(indexPath, 'utf8');
  if (page.includes('/* @sdp-content */')) page = fillBootMap(page, index);
  writeFileSync(indexPath, inlineImages(page, dir));
  if (profile !== 'release') {
    writeFileSync(path.join(dir, SW_FILE), DEV_SW);
    log(`[offline] ${profile} build: self-removing ${SW_FILE}, no precache (release builds have one)`);
    return { version: null, assets: [] };
  }

  const build = stampBuild(dir);
  writeFileSync(path.join(dir, SW_FILE), renderServiceWorker(readFileSync(template, 'utf8'), build));
  const total = build.assets.reduce((a, f) => a + f.bytes, 0);
  log(`[offline] ${SW_FILE}: precache ${build.version}: ${build.assets.length} files, ${kb(total)}`);
  return build;
}

/**
 * `data:image/svg+xml,…` for an SVG document, encoded exactly as the app's
 * `icons::svg_data_url` does (bytes outside a safe set percent-encoded).
 */
export function svgDataUrl(svg) {
  let out = 'data:image/svg+xml,';
  for (const b of Buffer.from(svg.trim(), 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9\-_.!~*'()/:;=,+@?&$]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** index.html with each `<img … data-sdp-inline>`'s SVG (a file of the build) as a data: URL. */
export function inlineImages(html, dir) {
  return html.replace(/<img\b[^>]*\sdata-sdp-inline\b[^>]*>/gi, (tag) => {
    const src = tag.match(/\ssrc="([^"]+\.svg)"/)?.[1];
    if (!src) throw new Error(`index.html: ${tag} has data-sdp-inline but no SVG src`);
    const url = svgDataUrl(readFileSync(path.join(dir, src), 'utf8'));
    return tag.replace(/\s+data-sdp-inline(?:="")?/, '').replace(`src="${src}"`, () => `src="${url}"`);
  });
}

const kb = (n) => `${(n / 1024).toFixed(1)} KB`;

/** Prints the precache (files, bytes raw and gzip), as in bench.sh. */
export function report(dir) {
  const assets = listPrecache(dir);
  const total = assets.reduce((a, f) => a + f.bytes, 0);
  const gz = assets.reduce((a, f) => a + gzipSync(readFileSync(path.join(dir, f.path)), { level: 9 }).length, 0);
  const hashed = assets.filter((a) => a.hashed);
  console.log(`precache (${SW_FILE}, version ${buildVersion(dir)}): ${assets.length} files, ${kb(total)} raw, ${kb(gz)} gzip`);
  console.log(`  ${hashed.length} under content-hashed names (${kb(hashed.reduce((a, f) => a + f.bytes, 0))}): taken from the browser's HTTP cache when it has them`);
  console.log(`precache_files=${assets.length} precache_bytes=${total} precache_gzip_bytes=${gz}`);
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
      buildOffline({ dir: path.resolve(dir), profile: opt('profile') ?? process.env.TRUNK_PROFILE ?? 'release' });
    }
  } catch (err) {
    console.error(`[offline] error: ${err.message}`);
    process.exit(1);
  }
}
