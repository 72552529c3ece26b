// Embeds: a lesson's run inside an iframe on someone else's page. The host pages here come from a
// second little server (another origin than the app's), as a blog would embed them. The embed
// shows only the controls its URL asks for at any frame size, autoplays and loops as asked, takes
// its theme, reports its height to the host (embed.js sizes the frame), and links back to the
// full lesson at the state shown; the lesson page's Embed dialog builds the snippet.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { before, after } from 'node:test';
import { useApp, tid, LESSON, lessonReady, settledSnapshot, WAIT_MS } from './harness.mjs';

const app = useApp();
const EMBED = '#/embed/consistent-hashing';

// The blog: serves each test's host page at its own path. (On the loopback address like the app:
// Chromium refuses frames from a private address inside a public page.)
const posts = new Map();
let blogUrl = null;
let blog = null;
before(async () => {
  blog = createServer((req, res) => {
    const html = posts.get(req.url);
    res.writeHead(html ? 200 : 404, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(html ?? 'not found');
  });
  await new Promise((resolve) => blog.listen(0, '127.0.0.1', resolve));
  blogUrl = `http://127.0.0.1:${blog.address().port}`;
});
after(() => new Promise((resolve) => (blog ? (blog.closeAllConnections(), blog.close(resolve)) : resolve())));

/** Opens a blog post whose body is `body`, with a recorder of the messages the page receives. */
async function hostPage(open, body, { before: prepare } = {}) {
  const path = `/post-${posts.size + 1}.html`;
  posts.set(
    path,
    `<!doctype html><html><head><meta charset="utf-8"><title>A blog post</title>
    <link rel="icon" href="data:,">
    <script>
      window.__messages = [];
      addEventListener('message', (e) => window.__messages.push(e.data));
    </script></head><body style="margin:0;font-family:sans-serif">${body}</body></html>`,
  );
  const page = await open('about:blank');
  if (prepare) await prepare(page);
  await page.goto(`${blogUrl}${path}`);
  return page;
}

/** An iframe of the app at `hash` (an embed route). */
const frameTag = (name, hash, { width, height, attrs = '' }) =>
  `<iframe name="${name}" id="${name}" src="${app.url(hash)}" ${attrs}
     style="border:0;display:block;width:${width}px;height:${height}px"></iframe>`;

/** The Playwright frame named `name`, once its embed has rendered. */
async function embedFrame(page, name) {
  await page.waitForFunction((n) => {
    const f = document.getElementById(n);
    return !!f?.contentDocument?.querySelector('[data-testid="embed"]') || !!window.frames[n];
  }, name);
  const frame = page.frame({ name });
  assert.ok(frame, `frame ${name} exists`);
  await frame.locator(tid('embed')).waitFor();
  return frame;
}

/** The embed's simulated time in ms. */
const simMs = (frame) => frame.locator(tid('embed')).getAttribute('data-sim-ms').then(Number);

const SIZES = [
  [320, 240],
  [640, 480],
  [1200, 800],
];

app.test('at every size an embed shows only the controls it asks for, with its diagram in the frame', async ({ open }) => {
  const body = SIZES.flatMap(([w, h]) =>
    ['none', 'play', 'full'].map((c) => frameTag(`f-${c}-${w}`, `${EMBED}?v=1&t=1500&controls=${c}`, { width: w, height: h })),
  ).join('\n');
  const page = await hostPage(open, body);
  for (const [w, h] of SIZES) {
    for (const controls of ['none', 'play', 'full']) {
      const where = `${controls} at ${w}×${h}`;
      const frame = await embedFrame(page, `f-${controls}-${w}`);
      await frame.locator(`svg${tid('ring-diagram')}`).waitFor();
      assert.equal(await frame.locator(tid('embed')).getAttribute('data-controls'), controls, where);
      // No site chrome, whatever the controls.
      assert.equal(await frame.locator('.site-header, .site-footer, [data-testid="lesson-page"]').count(), 0, `${where}: no chrome`);
      const count = async (id) => frame.locator(tid(id)).count();
      const shown = {
        play: await count('embed-play'),
        progress: await frame.locator('.embed-progress').count(),
        timeline: await count('embed-timeline'),
        step: await count('embed-step'),
        speed: await count('embed-speed'),
        interventions: await count('embed-interventions'),
        parameters: await count('embed-parameters'),
      };
      const want = {
        none: { play: 0, progress: 0, timeline: 0, step: 0, speed: 0, interventions: 0, parameters: 0 },
        play: { play: 1, progress: 1, timeline: 0, step: 0, speed: 0, interventions: 0, parameters: 0 },
        full: { play: 1, progress: 0, timeline: 1, step: 1, speed: 1, interventions: 1, parameters: 1 },
      }[controls];
      assert.deepEqual(shown, want, `${where}: controls shown`);
      assert.ok(await frame.locator(tid('embed-open')).isVisible(), `${where}: the link back is visible`);
      const layout = await frame.evaluate(() => {
        const svg = document.querySelector('svg[data-testid="ring-diagram"]').getBoundingClientRect();
        const root = document.documentElement;
        return {
          overflowX: root.scrollWidth - root.clientWidth,
          svg: { left: svg.left, top: svg.top, right: svg.right, bottom: svg.bottom, width: svg.width },
          vw: root.clientWidth,
          vh: root.clientHeight,
        };
      });
      assert.ok(layout.overflowX <= 0, `${where}: nothing wider than the frame (${layout.overflowX} px over)`);
      assert.ok(layout.svg.left >= 0 && layout.svg.right <= layout.vw + 0.5, `${where}: the diagram fits the width ${JSON.stringify(layout)}`);
      assert.ok(layout.svg.width >= 80, `${where}: the diagram is not squeezed away ${JSON.stringify(layout)}`);
      if (controls !== 'full') {
        assert.ok(layout.svg.top >= 0 && layout.svg.bottom <= layout.vh + 0.5, `${where}: the diagram fits the height ${JSON.stringify(layout)}`);
      }
    }
  }
});

app.test('autoplay starts the clock, a loop wraps back to its start, and no autoplay stays put', async ({ open }) => {
  const page = await hostPage(
    open,
    [
      frameTag('looping', `${EMBED}?v=1&autoplay=1&speed=4&loop=500-1500&controls=none`, { width: 480, height: 360 }),
      frameTag('paused', `${EMBED}?v=1&t=700&controls=play`, { width: 480, height: 360 }),
    ].join('\n'),
  );
  const looping = await embedFrame(page, 'looping');
  assert.equal(await looping.locator(tid('embed')).getAttribute('data-playing'), 'true', 'autoplay=1 plays on load');
  const start = await simMs(looping);
  assert.ok(start >= 500 && start < 1500, `playback starts inside the loop (t=${start})`);
  // Near the loop's end, then back at its start: the clock wrapped instead of running on.
  await looping.waitForFunction(() => Number(document.querySelector('[data-testid="embed"]').dataset.simMs) >= 1250);
  // The wrapped time as seen when it first drops under 1 s: reading it again later races the
  // clock, which at 4× may have run past 1 s again (a CI run under load read 1,033.6 ms).
  const wrapped = await (await looping.waitForFunction(() => {
    const t = Number(document.querySelector('[data-testid="embed"]').dataset.simMs);
    return t < 1000 ? t : false;
  })).jsonValue();
  assert.ok(wrapped >= 500 && wrapped < 1000, `wrapped back to the loop's start, not to 0 (t=${wrapped})`);
  assert.equal(await looping.locator(tid('embed')).getAttribute('data-playing'), 'true', 'and keeps playing');

  const paused = await embedFrame(page, 'paused');
  assert.equal(await paused.locator(tid('embed')).getAttribute('data-playing'), 'false');
  assert.equal(await simMs(paused), 700, 'without autoplay the embed waits at its t');
  await paused.locator(tid('embed-play')).click();
  await paused.waitForFunction(() => Number(document.querySelector('[data-testid="embed"]').dataset.simMs) > 700);
});

app.test('with reduced motion, autoplay waits for a play button even without controls', async ({ open }) => {
  const page = await hostPage(open, frameTag('calm', `${EMBED}?v=1&autoplay=1&controls=none`, { width: 480, height: 360 }), {
    before: (p) => p.emulateMedia({ reducedMotion: 'reduce' }),
  });
  const frame = await embedFrame(page, 'calm');
  assert.equal(await frame.locator(tid('embed')).getAttribute('data-playing'), 'false');
  await frame.locator(tid('embed-play')).click();
  await frame.waitForFunction(() => document.querySelector('[data-testid="embed"]').dataset.playing === 'true');
});

app.test('theme=light and theme=dark apply; theme=auto follows the reader’s system', async ({ open }) => {
  const page = await hostPage(
    open,
    ['light', 'dark', 'auto']
      .map((t) => frameTag(`theme-${t}`, `${EMBED}?v=1&theme=${t}`, { width: 360, height: 300 }))
      .join('\n'),
    { before: (p) => p.emulateMedia({ colorScheme: 'dark' }) },
  );
  const themes = async () => {
    const out = {};
    for (const t of ['light', 'dark', 'auto']) {
      const frame = await embedFrame(page, `theme-${t}`);
      out[t] = await frame.evaluate(() => ({
        theme: document.documentElement.dataset.theme,
        background: getComputedStyle(document.querySelector('[data-testid="embed"]')).backgroundColor,
      }));
    }
    return out;
  };
  let seen = await themes();
  assert.equal(seen.light.theme, 'light');
  assert.equal(seen.dark.theme, 'dark');
  assert.equal(seen.auto.theme, 'dark', 'auto follows a dark system');
  assert.notEqual(seen.light.background, seen.dark.background, 'the theme changes the colours');
  assert.equal(seen.auto.background, seen.dark.background);
  await page.emulateMedia({ colorScheme: 'light' });
  const auto = await embedFrame(page, 'theme-auto');
  await auto.waitForFunction(() => document.documentElement.dataset.theme === 'light');
  seen = await themes();
  assert.equal(seen.dark.theme, 'dark', 'a fixed theme ignores the system');
});

app.test('the host receives height messages with each embed’s id, and embed.js sizes every frame', async ({ open }) => {
  const script = `<script src="${app.url('embed.js')}" async></script>`;
  const page = await hostPage(
    open,
    [
      frameTag('narrow', `${EMBED}?v=1&id=fig-narrow`, { width: 320, height: 150, attrs: 'data-sdp-embed' }),
      frameTag('wide', `${EMBED}?v=1&controls=full&id=fig-wide`, { width: 640, height: 150, attrs: 'data-sdp-embed' }),
      frameTag('unmanaged', `${EMBED}?v=1&id=fig-alone`, { width: 400, height: 150 }),
      script,
    ].join('\n'),
  );
  const lastHeight = (id) =>
    page.evaluate((i) => {
      const ms = window.__messages.filter((m) => m && m.type === 'sdp-embed:height' && m.id === i);
      return ms.length ? ms[ms.length - 1] : null;
    }, id);
  // Three whole apps start at once here (each its wasm and its engine): on a machine running
  // other browser tests beside this one that took over 20 s in a CI rehearsal, so this one wait
  // gets three times the usual.
  await page.waitForFunction(() =>
    ['fig-narrow', 'fig-wide', 'fig-alone'].every((id) => window.__messages.some((m) => m?.type === 'sdp-embed:height' && m.id === id)),
    null,
    { timeout: 3 * WAIT_MS },
  );
  const narrow = await lastHeight('fig-narrow');
  assert.deepEqual(Object.keys(narrow).sort(), ['height', 'id', 'lesson', 'type', 'version']);
  assert.equal(narrow.version, 1);
  assert.equal(narrow.lesson, 'consistent-hashing');
  assert.ok(Number.isInteger(narrow.height) && narrow.height > 150, `a whole number of pixels, taller than the frame: ${narrow.height}`);

  // embed.js sets each managed frame to the height its embed last asked for.
  const frameHeight = (name) => page.evaluate((n) => document.getElementById(n).getBoundingClientRect().height, name);
  const sized = (name, id) =>
    page.waitForFunction(
      ([n, i]) => {
        const ms = window.__messages.filter((m) => m?.type === 'sdp-embed:height' && m.id === i);
        const want = ms.length && ms[ms.length - 1].height;
        return want > 0 && Math.abs(document.getElementById(n).getBoundingClientRect().height - want) < 1;
      },
      [name, id],
    );
  await sized('narrow', 'fig-narrow');
  await sized('wide', 'fig-wide');
  assert.ok((await frameHeight('wide')) > (await frameHeight('narrow')), 'the wider frame with full controls is taller');
  assert.equal(await frameHeight('unmanaged'), 150, 'a frame without data-sdp-embed is left alone');
  // At its requested height nothing inside scrolls.
  const narrowFrame = await embedFrame(page, 'narrow');
  const inner = await narrowFrame.evaluate(() => {
    const e = document.querySelector('[data-testid="embed"]');
    return e.scrollHeight - e.clientHeight;
  });
  assert.ok(inner <= 1, `the narrow embed has no scroll at its height (${inner} px over)`);

  // A wider frame: the embed asks again, and the script follows.
  const before = (await lastHeight('fig-narrow')).height;
  await page.evaluate(() => {
    document.getElementById('narrow').style.width = '560px';
  });
  await page.waitForFunction(
    (h) => {
      const ms = window.__messages.filter((m) => m?.type === 'sdp-embed:height' && m.id === 'fig-narrow');
      return ms[ms.length - 1].height > h;
    },
    before,
  );
  await sized('narrow', 'fig-narrow');

  // Opening the parameters panel makes the full embed taller, and the frame grows with it.
  const wideBefore = await frameHeight('wide');
  const wide = await embedFrame(page, 'wide');
  await wide.locator(`${tid('embed-parameters')} > summary`).click();
  await page.waitForFunction((h) => document.getElementById('wide').getBoundingClientRect().height > h + 50, wideBefore);
});

app.test('the link back opens the full lesson at the state the embed shows', async ({ open }) => {
  const state = 'seed=7&vnodes=50&do=0:remove-server:B&t=2500';
  const page = await hostPage(open, frameTag('e', `${EMBED}?v=1&${state}&controls=full&theme=dark&caption=0`, { width: 640, height: 560 }));
  const frame = await embedFrame(page, 'e');
  assert.equal(await frame.locator(tid('embed-caption')).count(), 0, 'caption=0 hides the title');
  const link = frame.locator(tid('embed-open'));
  assert.equal(await link.getAttribute('target'), '_blank');
  const href = await link.getAttribute('href');
  const hash = new URL(href).hash;
  assert.ok(hash.startsWith('#/lesson/consistent-hashing?'), hash);
  for (const part of ['vnodes=50', 'seed=7', 'do=0:remove-server:B', 't=2500']) {
    assert.ok(hash.includes(part), `${hash} carries ${part}`);
  }
  for (const option of ['controls', 'theme', 'caption']) {
    assert.ok(!hash.includes(`${option}=`), `${hash} leaves the embed's ${option} behind`);
  }
  // The same run: the lesson page at that link shows the metrics a direct link shows.
  const lesson = await open(href);
  await lessonReady(lesson);
  const direct = await open(`${LESSON}?v=1&${state}`);
  await lessonReady(direct);
  assert.deepEqual(await settledSnapshot(lesson), await settledSnapshot(direct));
  // The link follows the reader: a step forward moves its time.
  await frame.locator(tid('embed-step')).click();
  await frame.waitForFunction(() => !document.querySelector('[data-testid="embed-open"]').href.includes('t=2500'));
});

app.test('bad embed fields give a small notice inside the embed, which still works', async ({ open }) => {
  const page = await hostPage(
    open,
    [
      frameTag('bad', `${EMBED}?v=1&controls=some&speed=fast&colour=red&autoplay=1`, { width: 480, height: 400 }),
      frameTag('missing', '#/embed/no-such-lesson?controls=none', { width: 480, height: 200 }),
    ].join('\n'),
  );
  const bad = await embedFrame(page, 'bad');
  const notices = bad.locator(tid('embed-notices'));
  await notices.waitFor();
  assert.match(await notices.locator('summary').textContent(), /3 parts/);
  await notices.locator('summary').click();
  const text = await notices.textContent();
  for (const field of ['controls', 'speed', 'colour']) assert.match(text, new RegExp(field));
  assert.equal(await bad.locator(tid('embed')).getAttribute('data-controls'), 'play', 'a bad controls= keeps the default');
  await bad.waitForFunction(() => Number(document.querySelector('[data-testid="embed"]').dataset.simMs) > 0);

  const missing = page.frame({ name: 'missing' });
  await missing.locator(tid('embed-missing')).waitFor();
  assert.match(await missing.locator(tid('embed-missing')).textContent(), /no-such-lesson/);
});

app.test('the Embed dialog previews the options live, and its snippet works on another site', async ({ open }) => {
  const page = await open(`${LESSON}?v=1&seed=7&do=0:remove-server:B&t=2500`);
  await lessonReady(page);
  await page.locator(tid('embed-button')).click();
  const dialog = page.locator(tid('embed-dialog'));
  await dialog.waitFor();
  const preview = page.locator(tid('embed-preview'));
  const src = () => preview.getAttribute('src');
  assert.match(await src(), /#\/embed\/consistent-hashing\?v=1&seed=7&do=0:remove-server:B&t=2500/);
  const frame = page.frameLocator(tid('embed-preview'));
  await frame.locator(tid('embed-play')).waitFor();

  // Options change the preview at once.
  await page.locator(tid('embed-opt-controls-none')).check();
  await page.waitForFunction((sel) => document.querySelector(sel).src.includes('controls=none'), tid('embed-preview'));
  await frame.locator(`${tid('embed')}[data-controls="none"]`).waitFor();
  assert.equal(await frame.locator(tid('embed-play')).count(), 0, 'the preview lost its controls');
  await page.locator(tid('embed-opt-theme')).selectOption('dark');
  const previewFrame = page.frames().find((f) => f.url().includes('#/embed/'));
  await previewFrame.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
  await page.locator(tid('embed-opt-start-beginning')).check();
  await page.waitForFunction((sel) => document.querySelector(sel).src.includes('t=0'), tid('embed-preview'));
  await page.locator(tid('embed-opt-autoplay')).check();
  await frame.locator(`${tid('embed')}[data-playing="true"]`).waitFor();
  // The preview is sized by the embed's own height message.
  await page.waitForFunction((sel) => document.querySelector(sel).style.height !== '480px', tid('embed-preview'));

  // The run's intervention at 0 s makes the loop 0–2 s by default.
  const snippet = await page.locator(tid('embed-snippet')).inputValue();
  assert.match(snippet, /^<iframe src="http:\/\/[^"]+#\/embed\/consistent-hashing\?v=1&amp;seed=7&amp;do=0:remove-server:B&amp;t=0&amp;controls=none&amp;autoplay=1&amp;loop=0-2000&amp;theme=dark&amp;id=consistent-hashing"/);
  assert.match(snippet, /data-sdp-embed/);
  assert.match(snippet, /<script src="http:\/\/[^"]+\/embed\.js" async><\/script>$/);
  await page.locator(tid('embed-copy')).click();
  await page.locator(`${tid('embed-copy')}.is-done`).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), snippet, 'Copy puts the snippet on the clipboard');

  // Escape closes the dialog and gives focus back to the button.
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'embed-button');

  // Pasted into someone's blog post, the snippet plays, and its script sizes the frame.
  const post = await hostPage(open, `<h1>Why consistent hashing</h1><div style="width:600px">${snippet}</div>`);
  await post.waitForFunction(() => window.__messages.some((m) => m?.type === 'sdp-embed:height'));
  await post.waitForFunction(() => {
    const f = document.querySelector('iframe[data-sdp-embed]');
    const ms = window.__messages.filter((m) => m?.type === 'sdp-embed:height');
    return Math.abs(f.getBoundingClientRect().height - ms[ms.length - 1].height) < 1;
  });
  const pasted = post.frames().find((f) => f.url().includes('#/embed/'));
  await pasted.locator(`${tid('embed')}[data-controls="none"][data-playing="true"]`).waitFor();
  await pasted.waitForFunction(() => document.documentElement.dataset.theme === 'dark');
});

/** Opens the Embed dialog on the lesson page at `hash` and waits for its preview. */
async function openDialog(open, hash) {
  const page = await open(hash);
  await lessonReady(page);
  await page.locator(tid('embed-button')).click();
  await page.locator(tid('embed-dialog')).waitFor();
  await page.frameLocator(tid('embed-preview')).locator(tid('embed')).waitFor();
  return page;
}

const snippetOf = (page) => page.locator(tid('embed-snippet')).inputValue();
/** Waits until the snippet matches `re`, and returns it. */
async function snippetMatching(page, re) {
  await page.waitForFunction(([sel, src]) => new RegExp(src).test(document.querySelector(sel).value), [tid('embed-snippet'), re.source]);
  return snippetOf(page);
}

app.test('the dialog loops around a preset’s event and starts its caption with the preset’s title', async ({ open }) => {
  // b-crashes: server B crashes at 2 s; the loop runs 1 s before it to 2 s after.
  const page = await openDialog(open, `${LESSON}?v=1&preset=b-crashes`);
  assert.equal(await page.locator(tid('embed-opt-loop')).isChecked(), true, 'a run with an intervention loops by default');
  assert.equal(await page.locator(tid('embed-opt-loop-from')).inputValue(), '1');
  assert.equal(await page.locator(tid('embed-opt-loop-to')).inputValue(), '4');
  assert.match(await snippetOf(page), /&amp;loop=1000-4000&amp;/);
  assert.equal(await page.locator(tid('embed-opt-title')).inputValue(), 'B crashes at 2 s');
  // The preview plays the loop: from 1 s, through the crash, back to 1 s.
  const preview = page.frames().find((f) => f.url().includes('#/embed/'));
  await preview.locator(tid('embed')).waitFor();
  assert.equal(await simMs(preview), 1000, 'the preview waits at the loop’s start');
  await preview.locator(tid('embed-play')).click();
  await preview.locator(tid('server-ghost-B')).waitFor();
  await preview.waitForFunction(() => Number(document.querySelector('[data-testid="embed"]').dataset.simMs) < 2000 && document.querySelector('[data-testid="server-B"]'));

  // A run without interventions keeps the whole run, unticked.
  const plain = await openDialog(open, `${LESSON}?v=1&seed=5`);
  assert.equal(await plain.locator(tid('embed-opt-loop')).isChecked(), false);
  assert.doesNotMatch(await snippetOf(plain), /loop=/);
  assert.equal(await plain.locator(tid('embed-opt-title')).inputValue(), 'Consistent hashing', 'not a preset: the lesson’s title');
  assert.doesNotMatch(await snippetOf(plain), /&amp;title=/, 'the lesson’s own title is the default, not written');
});

app.test('an edited caption reaches the snippet, the preview and the embed on another site', async ({ open }) => {
  const page = await openDialog(open, `${LESSON}?v=1&preset=b-crashes`);
  const heading = 'Only B’s keys move & C takes them';
  await page.locator(tid('embed-opt-title')).fill(heading);
  const snippet = await snippetMatching(page, /title=Only%20B%E2%80%99s%20keys%20move%20%26%20C%20takes%20them/);
  assert.match(snippet, /title="Only B’s keys move &amp; C takes them — System Design Playground"/, 'the frame’s accessible name');
  const preview = page.frameLocator(tid('embed-preview'));
  await preview.locator(`${tid('embed-caption')} h1`).filter({ hasText: heading }).waitFor();

  const post = await hostPage(open, `<div style="width:600px">${snippet}</div>`);
  const pasted = post.frameLocator('iframe');
  await pasted.locator(tid('embed-caption')).waitFor();
  assert.equal((await pasted.locator(`${tid('embed-caption')} h1`).textContent()).trim(), heading);

  // Unticked, the caption goes, and so does its heading from the link.
  await page.locator(tid('embed-opt-caption')).uncheck();
  const without = await snippetMatching(page, /caption=0/);
  assert.doesNotMatch(without, /title=Only/);
  assert.equal(await page.locator(tid('embed-opt-title')).isDisabled(), true);
});

app.test('Copy HTML stays in view on a laptop and on a phone, wherever the options are scrolled', async ({ open }) => {
  const page = await openDialog(open, `${LESSON}?v=1&preset=b-crashes`);
  const body = page.locator(tid('embed-dialog-body'));
  // In the viewport and not covered (by the page's sticky header, say): the dialog's close
  // button at its top and Copy at its bottom.
  const inView = (id) =>
    page.evaluate((sel) => {
      const b = document.querySelector(sel);
      const r = b.getBoundingClientRect();
      const top = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      return { inside: r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight && r.right <= innerWidth, onTop: b.contains(top), r: r.toJSON() };
    }, tid(id));
  const copyInView = async () => {
    const close = await inView('embed-dialog-close');
    assert.ok(close.inside && close.onTop, `the dialog's close button is visible ${JSON.stringify(close)}`);
    return inView('embed-copy');
  };
  for (const [width, height] of [
    [1280, 800],
    [390, 844],
  ]) {
    await page.setViewportSize({ width, height });
    for (const where of ['top', 'bottom']) {
      await body.evaluate((b, w) => b.scrollTo(0, w === 'top' ? 0 : b.scrollHeight), where);
      const seen = await copyInView();
      assert.ok(seen.inside && seen.onTop, `${width}×${height}, options scrolled to the ${where}: Copy is visible ${JSON.stringify(seen)}`);
    }
    const scrolls = await body.evaluate((b) => b.scrollHeight > b.clientHeight);
    assert.ok(scrolls, `${width}×${height}: the options scroll (so the test means something)`);
  }
  await page.locator(tid('embed-copy')).click();
  await page.locator(`${tid('embed-copy')}.is-done`).waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), await snippetOf(page));
});

app.test('the width and height options size the snippet’s frame and the preview', async ({ open }) => {
  const page = await openDialog(open, `${LESSON}?v=1&preset=b-crashes`);
  const previewBox = () => page.locator(tid('embed-preview')).evaluate((f) => f.getBoundingClientRect().toJSON());

  await page.locator(tid('embed-opt-width')).selectOption('360');
  await page.locator(tid('embed-opt-height')).selectOption('fixed');
  // fill() then an explicit change (what leaving the field fires), on the same element: a Tab
  // after fill() raced the form's re-render under load (CI, once).
  const px = page.locator(tid('embed-opt-height-px'));
  await px.fill('400');
  await px.dispatchEvent('change');
  const fixed = await snippetMatching(page, /height="400"/);
  assert.match(fixed, /width="360" height="400" style="border:0;width:360px;max-width:100%;height:400px"/);
  assert.doesNotMatch(fixed, /data-sdp-embed|<script/, 'a fixed height needs no resizing script');
  await page.waitForFunction((sel) => {
    const r = document.querySelector(sel).getBoundingClientRect();
    return Math.abs(r.width - 360) < 1 && Math.abs(r.height - 400) < 1;
  }, tid('embed-preview'));
  // Pasted, the frame keeps that size, and the embed fits its diagram into it.
  const post = await hostPage(open, fixed);
  const diagram = post.frameLocator('iframe').locator(`svg${tid('ring-diagram')}`);
  await diagram.waitFor();
  const fit = await diagram.evaluate((svg) => {
    const r = svg.getBoundingClientRect();
    return { bottom: r.bottom, right: r.right, vw: innerWidth, vh: innerHeight };
  });
  assert.deepEqual([fit.vw, fit.vh], [360, 400]);
  assert.ok(fit.bottom <= fit.vh && fit.right <= fit.vw, JSON.stringify(fit));

  await page.locator(tid('embed-opt-width')).selectOption('640');
  await page.locator(tid('embed-opt-height')).selectOption('auto');
  const auto = await snippetMatching(page, /data-sdp-embed width="640"/);
  assert.match(auto, /style="border:0;width:640px;max-width:100%"/);
  assert.match(auto, /<script src="[^"]+\/embed\.js" async><\/script>$/);
  await page.waitForFunction((sel) => Math.abs(document.querySelector(sel).getBoundingClientRect().width - 640) < 1, tid('embed-preview'));
  const box = await previewBox();
  assert.notEqual(Math.round(box.height), 400, 'an automatic height is the one the embed asks for');

  await page.locator(tid('embed-opt-width')).selectOption('fill');
  const fill = await snippetMatching(page, /width="100%"/);
  assert.match(fill, /style="border:0;width:100%;max-width:100%"/);
});

app.test('with reduced motion an embed shows the state after its event as a still', async ({ open }) => {
  const frames = [
    frameTag('looped', `${EMBED}?v=1&preset=b-crashes&loop=1000-4000`, { width: 480, height: 420 }),
    frameTag('unlooped', `${EMBED}?v=1&preset=b-crashes&controls=none`, { width: 480, height: 420 }),
  ].join('\n');
  const calm = await hostPage(open, frames, { before: (p) => p.emulateMedia({ reducedMotion: 'reduce' }) });
  for (const [name, ms] of [
    ['looped', 4000],
    ['unlooped', 4000],
  ]) {
    const frame = await embedFrame(calm, name);
    await frame.locator(tid('server-ghost-B')).waitFor();
    assert.equal(await simMs(frame), ms, `${name}: the still is the loop’s end, after the crash`);
    assert.equal(await frame.locator(tid('server-B')).count(), 0, `${name}: server B is gone`);
    assert.equal(await frame.locator(tid('embed')).getAttribute('data-playing'), 'false');
  }
  // The same embeds for a reader without the setting: the moment before the crash, B still there.
  const moving = await hostPage(open, frames);
  for (const [name, ms] of [
    ['looped', 1000],
    ['unlooped', 0],
  ]) {
    const frame = await embedFrame(moving, name);
    await frame.locator(tid('server-B')).waitFor();
    assert.equal(await simMs(frame), ms, `${name}: the URL's moment`);
  }
});

app.test('axe finds no violation in the Embed dialog, light and dark, on a laptop and a phone', async ({ open }) => {
  const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
  const found = [];
  for (const theme of ['light', 'dark']) {
    const page = await open('about:blank');
    await page.addInitScript((t) => localStorage.setItem('sdp.theme', JSON.stringify(t)), theme);
    await page.goto(app.url(`${LESSON}?v=1&preset=b-crashes`));
    await lessonReady(page);
    await page.locator(tid('embed-button')).click();
    await page.frameLocator(tid('embed-preview')).locator(tid('embed')).waitFor();
    await page.locator(tid('embed-opt-height')).selectOption('fixed');
    await page.locator(tid('embed-opt-height-px')).waitFor();
    await page.addScriptTag({ path: axePath });
    for (const [width, height] of [
      [1280, 800],
      [390, 844],
    ]) {
      await page.setViewportSize({ width, height });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const violations = await page.evaluate(
        (sel) => window.axe.run({ include: [sel], exclude: [[`${sel} iframe`]] }, { resultTypes: ['violations'] }).then((r) => r.violations),
        tid('embed-dialog'),
      );
      for (const v of violations) found.push(`${theme} ${width}: ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    }
  }
  assert.deepEqual(found, []);
});
