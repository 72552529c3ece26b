// Single-file downloads, built in the browser: "Download this lesson for offline use".
//
// Loaded only when the user asks (index.html's download script imports it on a click on a
// download button), so it costs the first page load nothing and adds nothing to the wasm. It writes one HTML file that opens from
// file:// with no network, at exactly the state on screen:
//
// - index.html as this build has it (the same shell, boot scripts and build stamp), with every
//   stylesheet inlined as a <style> (nothing is deferred in one file), the favicon as a data: URL,
//   and preloads, the manifest and touch icons dropped;
// - trunk's loader replaced by one module script: wasm-bindgen's glue with its exports turned into
//   a local object (a file:// page cannot import another file), then the unpacking below;
// - the wasm, gzipped (CompressionStream) and base64-encoded, in an inert <script>;
// - the simulation engine of each lesson's family (src/engine.rs): its glue inlined into the same
//   module script (each in a scope of its own) and its wasm packed like the app's, with a
//   window.__SDP_ENGINE__ that starts them instead of importing them from the server;
// - the lesson's files (its compiled JSON and highlighted code; every lesson's for the whole app),
//   the favicon and index.html itself as one gzipped JSON object, unpacked into
//   window.__SDP_FILES__ before the app starts (src/content.rs reads files there first);
// - window.__SDP_SINGLE_FILE__ = { lesson, built, hash }: the app registers no service worker,
//   and the file opens at `hash` (the URL hash on screen, compare mode included) unless the URL
//   it is opened with has a route of its own;
// - this module, as an inline module script, so that the file can make a download in turn: there,
//   every part comes from the page itself instead of the server.
//
// The wasm and the hashed files are fetched with 'force-cache' and trunk's integrity digests: the
// browser has them (HTTP cache, or the service worker's precache), so this costs no network.
// Every failure becomes an Error with a message a user can act on; nothing is logged.

/** The window property index.html's download script calls (`download`). */
export const GLOBAL = '__SDP_BUILDER__';
/** Ends the glue inside a single file's loader script (what a download of a download reuses). */
export const GLUE_END = '/* @sdp-glue-end */';
const SELF_ID = 'sdp-builder';
const LOADER_ID = 'sdp-loader';
const WASM_ID = 'sdp-wasm';
const FILES_ID = 'sdp-files';
/** The packed wasm of a family's engine. */
const engineId = (family) => `sdp-engine-${family}`;
/** Around an engine's inlined glue in the loader script (what a download of a download reads). */
const engineStart = (family) => `/* @sdp-engine ${family} */`;
const ENGINE_END = '/* @sdp-engine-end */';
/** A family's name as the engines' files spell it. */
const FAMILY = /^[a-z][a-z0-9-]*$/;

const NO_COMPRESSION =
  'this browser cannot compress the file (it has no CompressionStream); a current Chrome, Edge, Firefox or Safari can';

// The sequences that would end an inline element early, or open an HTML comment in a script, are
// built from pieces: this module is itself inlined into every single file, and must pass its own
// check.
const COMMENT_OPEN = '<' + '!--';

/** `text` if it can be the content of an inline `tag` (script or style) element; else an error. */
export function guardInline(text, tag, what) {
  if (new RegExp('<' + '/' + tag, 'i').test(text) || (tag === 'script' && text.includes(COMMENT_OPEN))) {
    throw new Error(`${what} contains the end of a ${tag} element or an HTML comment, and cannot be put inside one file`);
  }
  return text;
}

/**
 * wasm-bindgen's web-target glue as a script body: every `export` removed, and the exports
 * collected into `const <name> = { … }` (with `default` for the init function).
 */
export function inlineGlue(source, name = '__sdpBindings') {
  if (/^\s*import\s*[\w{*'"]/m.test(source) || /\bimport\s*\(/.test(source)) {
    throw new Error('the wasm-bindgen glue imports another module (a snippet?): one file cannot hold that');
  }
  const exported = [];
  let body = source.replace(/^export\s*\{([^}]*)\};?[ \t]*$/gm, (_, list) => {
    for (const item of list.split(',').map((s) => s.trim()).filter(Boolean)) {
      const m = item.match(/^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/);
      if (!m) throw new Error(`unexpected export in the wasm-bindgen glue: ${item}`);
      exported.push([m[2] ?? m[1], m[1]]);
    }
    return '';
  });
  body = body.replace(/^export\s+((?:async\s+)?function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*)/gm, (_, kind, id) => {
    exported.push([id, id]);
    return `${kind} ${id}`;
  });
  if (/^\s*export\b/m.test(body)) throw new Error('the wasm-bindgen glue has an export this builder does not understand');
  if (!exported.some(([as]) => as === 'default')) throw new Error('the wasm-bindgen glue exports no default init function');
  if (body.includes(GLUE_END) || body.includes('/* @sdp-engine')) throw new Error(`the wasm-bindgen glue contains ${GLUE_END} or an engine marker`);
  const members = exported.map(([as, local]) => `${JSON.stringify(as)}: ${local}`).join(', ');
  return `${body}\nconst ${name} = Object.freeze({ ${members} });\n`;
}

/** JSON that no HTML parser can end early: `<` escaped (also U+2028/9, for old engines). */
export function scriptJson(value) {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The file name a download is saved under. */
export function fileName(lesson) {
  return lesson ? `system-design-playground-${lesson}.html` : 'system-design-playground.html';
}

/** The hash the file opens at: the one on screen, unless it is not this lesson's page. */
export function openingHash(hash, lesson) {
  const h = hash && hash !== '#' ? hash : '';
  if (!lesson) return h;
  const m = /^#\/lesson\/([^?/]+)/.exec(h);
  return m && decodeURIComponent(m[1]) === lesson ? h : `#/lesson/${encodeURIComponent(lesson)}`;
}

// Runs first in the single file: marks it, makes the inlined-files table (filled by the loader
// before the app starts; index.html's prefetch sees it and fetches nothing), opens the state.
function markerScript(info) {
  return `window.__SDP_SINGLE_FILE__ = ${scriptJson(info)};
window.__SDP_FILES__ = {};
(function (info) {
  if (!info.hash || (location.hash && location.hash !== "#")) return;
  try { history.replaceState(null, "", info.hash); } catch (e) { location.hash = info.hash; }
})(window.__SDP_SINGLE_FILE__);`;
}

// The module script that replaces trunk's loader: the glue, the engines' glue (each in a scope of
// its own: they declare the same names), then unpack the files and the wasm and start the app (as
// trunk's loader would), with a window.__SDP_ENGINE__ that starts an engine from this file.
function loaderScript(glue, engines) {
  const scoped = Object.entries(engines).map(([family, g]) =>
    `${JSON.stringify(family)}: (() => {\n${engineStart(family)}\n${g}${ENGINE_END}\nreturn __sdpEngine;\n})(),`);
  return `${glue}
${GLUE_END}
const __sdpEngines = {
${scoped.join('\n')}
};
async function sdpUnpack(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error("part of this file is missing (#" + id + ")");
  const packed = atob(el.textContent.trim());
  const bytes = new Uint8Array(packed.length);
  for (let i = 0; i < packed.length; i++) bytes[i] = packed.charCodeAt(i);
  if (typeof DecompressionStream !== "function") {
    throw new Error("this browser cannot unpack the embedded WebAssembly (no DecompressionStream); use a current Chrome, Edge, Firefox or Safari");
  }
  const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
window.__SDP_ENGINE__ = (function () {
  const started = {};
  return function (family) {
    if (!Object.prototype.hasOwnProperty.call(__sdpEngines, family)) {
      return Promise.reject(new Error("this file does not hold the simulation of the " + family + " lessons"));
    }
    started[family] = started[family] || (async () => {
      await __sdpEngines[family].default({ module_or_path: await sdpUnpack("sdp-engine-" + family) });
      return __sdpEngines[family].call;
    })();
    return started[family];
  };
})();
try {
  Object.assign(window.__SDP_FILES__, JSON.parse(new TextDecoder().decode(await sdpUnpack(${JSON.stringify(FILES_ID)}))));
  const wasm = await __sdpBindings.default({ module_or_path: await sdpUnpack(${JSON.stringify(WASM_ID)}) });
  window.wasmBindings = __sdpBindings;
  dispatchEvent(new CustomEvent("TrunkApplicationStarted", { detail: { wasm } }));
} catch (err) {
  const p = document.createElement("p");
  p.setAttribute("role", "alert");
  p.setAttribute("data-testid", "single-file-error");
  p.style.cssText = "margin:2rem;font:16px/1.5 system-ui,sans-serif";
  p.textContent = "System Design Playground could not start from this file: " + (err && err.message ? err.message : err);
  document.body.prepend(p);
  throw err;
}`;
}

/** gzip of `data` (a Blob, an ArrayBuffer or bytes) as a Blob. */
async function gzip(data) {
  if (typeof CompressionStream !== 'function') throw new Error(NO_COMPRESSION);
  const stream = new Blob([data]).stream().pipeThrough(new CompressionStream('gzip'));
  return new Response(stream).blob();
}

/** A Blob's bytes in base64 (FileReader: no megabyte-long strings built a character at a time). */
function base64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(',') + 1));
    reader.onerror = () => reject(new Error(`could not encode the file (${reader.error?.message ?? 'read error'})`));
    reader.readAsDataURL(blob);
  });
}

const utf8Base64 = (text) => base64(new Blob([text]));

/**
 * Where the parts come from on a served page: the server (in practice the HTTP cache or the
 * service worker's precache). Hashed files are immutable: 'force-cache' takes the copy the
 * browser has without asking the server; trunk's integrity digest checks it.
 */
function servedSource() {
  const get = async (rel, { integrity = '', hashed = false } = {}) => {
    let res;
    try {
      res = await fetch(new URL(rel, document.baseURI).href, {
        cache: hashed ? 'force-cache' : 'no-cache',
        credentials: 'same-origin',
        integrity,
      });
    } catch (err) {
      throw new Error(`could not get ${rel} (${err.message}); are you offline? The app keeps its files for offline use once a visit has saved them`);
    }
    if (!res.ok) throw new Error(`the server answered ${res.status} for ${rel}`);
    return res;
  };
  const inlined = (rel) => window.__SDP_FILES__?.[rel];
  return {
    index: async () => (await get('index.html')).text(),
    text: async (rel) => inlined(rel) ?? (await get(rel, { hashed: HASHED.test(rel) })).text(),
    css: async (rel, integrity) => (await get(rel, { integrity, hashed: true })).text(),
    glue: async (rel, integrity) => inlineGlue(await (await get(rel, { integrity, hashed: true })).text()),
    wasm: async (rel, integrity) => base64(await gzip(await (await get(rel, { integrity, hashed: true })).blob())),
    // Not content-hashed (like the sweep worker): revalidated, so they match this build's app.
    engineGlue: async (family) => inlineGlue(await (await get(`engine-${family}.js`)).text(), '__sdpEngine'),
    engineWasm: async (family) => base64(await gzip(await (await get(`engine-${family}_bg.wasm`)).blob())),
    builder: async () => (await get(import.meta.url)).text(),
  };
}

/** Where the parts come from in a single file: the page itself (the file is not there to read). */
function pageSource() {
  const element = (id) => {
    const el = document.getElementById(id);
    if (!el) throw new Error(`this file has no #${id}: it was not made by this version of the playground`);
    return el;
  };
  const text = async (rel) => {
    const t = window.__SDP_FILES__?.[rel];
    if (typeof t !== 'string') throw new Error(`this file does not hold ${rel}, so it cannot make that download`);
    return t;
  };
  return {
    index: () => text('index.html'),
    text,
    css: async (rel) => {
      const style = [...document.querySelectorAll('style[data-from]')].find((s) => s.getAttribute('data-from') === rel);
      if (!style) throw new Error(`this file does not hold the stylesheet ${rel}`);
      return style.textContent;
    },
    glue: async () => {
      const [glue, rest] = element(LOADER_ID).textContent.split(GLUE_END);
      if (rest === undefined) throw new Error('this file\'s loader is not one this version of the playground made');
      return glue.replace(/\n$/, '');
    },
    wasm: async () => element(WASM_ID).textContent.trim(),
    engineGlue: async (family) => {
      const loader = element(LOADER_ID).textContent;
      const start = loader.indexOf(`${engineStart(family)}\n`);
      const end = start < 0 ? -1 : loader.indexOf(ENGINE_END, start);
      if (end < 0) throw new Error(`this file does not hold the simulation of the ${family} lessons, so it cannot make that download`);
      return loader.slice(start + engineStart(family).length + 1, end);
    },
    engineWasm: async (family) => element(engineId(family)).textContent.trim(),
    builder: async () => element(SELF_ID).textContent,
  };
}

/** A content-hashed name: never changes (scripts/offline/precache.mjs isHashedName). */
const HASHED = /[.-][0-9a-f]{8,16}(?:_bg)?\.[a-z0-9]+$/;
const isLocal = (url) => url !== '' && !/^(?:[a-z][a-z0-9+.-]*:|#|\/\/)/i.test(url);
const relOf = (href) => href.split(/[?#]/)[0].replace(/^(?:\.\/)+/, '');

/** The files a lesson needs beside the app: its compiled JSON and its highlighted code. */
async function lessonFiles(source, id, files) {
  const content = window.__SDP_CONTENT__?.[id];
  if (!content) throw new Error(`this copy of the app does not know the lesson "${id}"`);
  const json = await source.text(content);
  files[content] = json;
  let lesson;
  try {
    lesson = JSON.parse(json);
  } catch {
    throw new Error(`the file of the lesson "${id}" is damaged; reloading the page fetches it again`);
  }
  const code = lesson.code_href ?? [];
  const texts = await Promise.all(code.map((href) => source.text(href)));
  code.forEach((href, i) => {
    files[href] = texts[i];
  });
  return lesson;
}

/**
 * Builds the single file for `lesson` (an id) or the whole app (`null`), at `hash`; returns
 * `{ name, blob }`.
 */
export async function buildSingleFile({ lesson = null, hash = location.hash } = {}) {
  if (typeof CompressionStream !== 'function') throw new Error(NO_COMPRESSION);
  const single = window.__SDP_SINGLE_FILE__;
  const source = single ? pageSource() : servedSource();
  const html = await source.index();
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const built = doc.querySelector('meta[name="sdp-build"]')?.getAttribute('content') ?? '';
  const running = document.querySelector('meta[name="sdp-build"]')?.getAttribute('content') ?? '';
  if (built !== running) {
    throw new Error('a newer version of the playground is on the server: reload the page, then download');
  }

  // trunk's loader: which glue and wasm, and their integrity digests from the preload links.
  const loader = [...doc.querySelectorAll('script[type="module"]')].filter((s) => s.textContent.includes('module_or_path'));
  if (loader.length !== 1) throw new Error(`expected one trunk loader script in index.html, found ${loader.length}`);
  const glueHref = loader[0].textContent.match(/\bfrom\s*['"]([^'"]+\.js)['"]/)?.[1];
  const wasmHref = loader[0].textContent.match(/module_or_path\s*:\s*['"]([^'"]+\.wasm)['"]/)?.[1];
  if (!glueHref || !wasmHref) throw new Error('could not find the glue and the wasm in trunk\'s loader script');
  const integrityOf = (href) =>
    [...doc.querySelectorAll('link[rel="modulepreload"], link[rel="preload"]')].find((l) => relOf(l.getAttribute('href') ?? '') === relOf(href))?.getAttribute('integrity') ?? '';

  // The files the app reads beside its wasm, while the glue and the wasm are packed.
  const files = { 'index.html': html };
  const lessons = lesson ? [lesson] : Object.keys(window.__SDP_CONTENT__ ?? {});
  const [read, glue, wasm] = await Promise.all([
    Promise.all(lessons.map((id) => lessonFiles(source, id, files))),
    source.glue(relOf(glueHref), integrityOf(glueHref)),
    source.wasm(relOf(wasmHref), integrityOf(wasmHref)),
  ]);
  const title = lesson ? read[0].title : null;
  // The engines that run these lessons: one per family.
  const families = [...new Set(read.map((l) => l.family))].sort();
  for (const family of families) {
    if (typeof family !== 'string' || !FAMILY.test(family)) throw new Error(`a lesson names the family ${JSON.stringify(family)}, which has no engine`);
  }
  const [engineGlues, engineWasms] = await Promise.all([
    Promise.all(families.map((f) => source.engineGlue(f))),
    Promise.all(families.map((f) => source.engineWasm(f))),
  ]);

  const loaderEl = doc.createElement('script');
  loaderEl.type = 'module';
  loaderEl.id = LOADER_ID;
  const engines = Object.fromEntries(families.map((f, i) => [f, engineGlues[i]]));
  loaderEl.textContent = guardInline(loaderScript(glue, engines), 'script', 'the glue');
  loader[0].replaceWith(loaderEl);

  // Links: stylesheets inlined, an SVG icon as a data: URL, the rest has nothing to load.
  for (const link of [...doc.querySelectorAll('link[href]')]) {
    const href = link.getAttribute('href');
    if (!isLocal(href)) continue;
    const rels = (link.getAttribute('rel') ?? '').toLowerCase().split(/\s+/);
    const rel = relOf(href);
    if (rels.includes('stylesheet')) {
      const css = await source.css(rel, link.getAttribute('integrity') ?? '');
      if (/url\(\s*['"]?(?!data:|#)/i.test(css)) throw new Error(`${rel} refers to another file with url(): one file cannot hold that`);
      const style = doc.createElement('style');
      style.setAttribute('data-from', rel);
      style.textContent = guardInline(css, 'style', rel);
      link.replaceWith(style);
    } else if (rels.includes('icon') && rel.endsWith('.svg')) {
      files[rel] = await source.text(rel);
      link.setAttribute('href', `data:image/svg+xml;base64,${await utf8Base64(files[rel])}`);
    } else {
      link.remove();
    }
  }
  if (title) doc.title = `${title} — System Design Playground`;

  const info = { lesson, built, hash: openingHash(hash, lesson) };
  const marker = doc.createElement('script');
  marker.textContent = markerScript(info);
  const charset = doc.head.querySelector('meta[charset]');
  if (charset) charset.after(marker);
  else doc.head.prepend(marker);

  const leftover = [...doc.querySelectorAll('[src], [href]')]
    .map((el) => el.getAttribute('src') ?? el.getAttribute('href'))
    .filter(isLocal);
  if (leftover.length) throw new Error(`the page still refers to ${leftover.join(', ')}, which one file cannot hold`);

  // The large parts go in last, as text around the serialised page (no megabytes in a DOM). In
  // <head>: the app's first render empties <body> (yew mounts there), and a download of this
  // file reads them again.
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
  const parts = { [FILES_ID]: await base64(await gzip(new TextEncoder().encode(JSON.stringify(sorted)))), [WASM_ID]: wasm };
  families.forEach((f, i) => {
    parts[engineId(f)] = engineWasms[i];
  });
  for (const id of Object.keys(parts)) {
    const el = doc.createElement('script');
    el.type = 'application/octet-stream';
    el.id = id;
    el.textContent = `@${id}@`;
    doc.head.append(el);
  }
  const self = doc.createElement('script');
  self.type = 'module';
  self.id = SELF_ID;
  self.textContent = guardInline(await source.builder(), 'script', 'the download builder');
  doc.head.append(self);

  const page = `<!doctype html>\n${doc.documentElement.outerHTML}\n`;
  const pieces = page.split(/@(sdp-files|sdp-wasm|sdp-engine-[a-z0-9-]+)@/);
  if (pieces.length !== 1 + 2 * Object.keys(parts).length) throw new Error('could not assemble the file');
  const blob = new Blob(pieces.map((p, i) => (i % 2 ? parts[p] : p)), { type: 'text/html' });
  return { name: fileName(lesson), blob };
}

/** Builds the file and hands it to the browser as a download; resolves to a line for the page. */
export async function download({ lesson = null } = {}) {
  const { name, blob } = await buildSingleFile({ lesson, hash: location.hash });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // Long enough for the browser to have read it.
  setTimeout(() => URL.revokeObjectURL(a.href), 60_000);
  const mb = (blob.size / 1048576).toFixed(1);
  return `Downloaded ${name} (${mb} MB): open it from disk, no network needed.`;
}

globalThis[GLOBAL] = Object.freeze({ download, buildSingleFile });
