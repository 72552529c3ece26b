// System Design Playground's service worker: after one visit, the whole app works offline.
//
// This file is a template. The build (scripts/offline/build.mjs, a trunk post_build hook) writes
// dist/sw.js with BUILD set to this build's precache list: every file trunk wrote, by its hashed
// name, with its size, its SHA-256 and whether its name is a content hash, and a version derived
// from all of them.
//
// - install: gets every file of the list and checks each against its SHA-256 (a file from another
//   deployment fails the install rather than mixing versions), stores them in this build's own
//   cache, and takes over at once. A file under a content-hashed name is taken from the browser's
//   HTTP cache when it is there, without asking the server (the page has usually just downloaded
//   it: the wasm, the largest file, is not downloaded twice, whatever the server's cache headers); any
//   other file is revalidated with the server;
// - activate: deletes every other precache of this app at this scope, and claims open pages;
// - fetch: answers the build's files from this build's cache only (never from another version's),
//   falling back to the network; a navigation to the app gets index.html from the cache.
//
// Paths are relative to this file, so the app works under any sub-path.
'use strict';

const BUILD = /* @sdp-build */ null;

const PREFIX = 'sdp-precache ';
const SCOPE = self.registration.scope;
/** This build's cache: the app's prefix, the scope (so two copies on one origin never clash), the version. */
const CACHE = `${PREFIX}${SCOPE} ${BUILD.version}`;

const urlOf = (p) => new URL(p, self.location.href).href;
const INDEX = urlOf('index.html');
const ASSETS = new Map(BUILD.assets.map((a) => [urlOf(a.path), a]));

const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/** One file as `{ res, body, digest }`, fetched with the given cache mode. */
async function download(url, path, cache) {
  const res = await fetch(new Request(url, { cache, credentials: 'same-origin' }));
  if (!res.ok) throw new Error(`precache: ${path}: HTTP ${res.status}`);
  const body = await res.arrayBuffer();
  return { res, body, digest: hex(await crypto.subtle.digest('SHA-256', body)) };
}

/** Fetches one file of the build and checks it is this build's. */
async function fetchVerified(asset) {
  const url = urlOf(asset.path);
  // A hashed name: 'force-cache' takes the HTTP cache's copy even when the server said no-cache
  // (the page downloaded it moments ago), and goes to the network only when there is none. Any
  // other name: 'no-cache' revalidates, so a stale copy of an older deployment is never taken for
  // this build's (and an unchanged file costs a 304 where the server sends validators).
  let got = await download(url, asset.path, asset.hashed ? 'force-cache' : 'no-cache');
  // The digest decides, not the name: a damaged or foreign cached copy is fetched again, once.
  if (got.digest !== asset.sha256 && asset.hashed) got = await download(url, asset.path, 'reload');
  if (got.digest !== asset.sha256) {
    throw new Error(`precache: ${asset.path} is not the file of build ${BUILD.version} (a newer deployment?)`);
  }
  const { res, body } = got;
  const headers = new Headers(res.headers);
  return [url, new Response(body, { status: res.status, statusText: res.statusText, headers })];
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      // Everything first, then the cache: a failed install leaves no half-filled cache behind.
      const entries = await Promise.all(BUILD.assets.map(fetchVerified));
      const cache = await caches.open(CACHE);
      await Promise.all(entries.map(([url, res]) => cache.put(url, res)));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      const mine = `${PREFIX}${SCOPE} `;
      const names = await caches.keys();
      await Promise.all(names.filter((n) => n.startsWith(mine) && n !== CACHE).map((n) => caches.delete(n)));
      await self.clients.claim();
    })(),
  );
});

/** True for a navigation to the app itself: the scope root or its index.html. */
function isAppPage(url) {
  const where = url.origin + url.pathname;
  if (!where.startsWith(SCOPE)) return false;
  const rest = where.slice(SCOPE.length);
  return rest === '' || rest === 'index.html';
}

async function fromCache(key, request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  return hit ?? fetch(request);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') {
    if (isAppPage(url)) event.respondWith(fromCache(INDEX, request));
    return;
  }
  const key = url.origin + url.pathname;
  if (ASSETS.has(key)) event.respondWith(fromCache(key, request));
});
