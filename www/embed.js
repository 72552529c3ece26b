/*
 * System Design Playground: embed helper for host pages (docs/url-contract.md, "Embedding").
 *
 *   <iframe src="https://…/#/embed/consistent-hashing?v=1&…" data-sdp-embed
 *           width="100%" height="480" style="border:0"></iframe>
 *   <script src="https://…/embed.js" async></script>
 *
 * Sets the height of every <iframe data-sdp-embed> on the page to the height its embed asks for,
 * now and whenever it changes (the frame's width changed, a panel opened). Each embed posts
 *
 *   { type: "sdp-embed:height", version: 1, id: "<its id= field>", lesson: "<id>", height: 523 }
 *
 * to this page; a frame is matched by the window that sent the message, so any number of embeds
 * work on one page. This script asks every frame once for its height
 * ({ type: "sdp-embed:request-height" }) in case a frame spoke before the script was loaded, and
 * fires "sdp-embed:resize" (detail: { id, lesson, height }) on a frame it resized. Loading it
 * twice is harmless. No dependencies, no globals besides one flag.
 */
(function () {
  'use strict';
  if (window.__sdpEmbedHelper) return;
  window.__sdpEmbedHelper = true;

  var HEIGHT = 'sdp-embed:height';
  var REQUEST = 'sdp-embed:request-height';
  var SELECTOR = 'iframe[data-sdp-embed]';
  var MAX_HEIGHT = 10000;

  function frameOf(source) {
    var frames = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === source) return frames[i];
    }
    return null;
  }

  window.addEventListener('message', function (event) {
    var data = event.data;
    if (!data || data.type !== HEIGHT || typeof data.height !== 'number' || !(data.height > 0)) return;
    var frame = frameOf(event.source);
    if (!frame) return;
    var height = Math.ceil(Math.min(data.height, MAX_HEIGHT));
    if (frame.style.height !== height + 'px') {
      frame.style.height = height + 'px';
      frame.setAttribute('height', String(height));
    }
    var detail = { id: data.id, lesson: data.lesson, height: height };
    var resized;
    try {
      resized = new CustomEvent('sdp-embed:resize', { detail: detail });
    } catch (e) {
      return;
    }
    frame.dispatchEvent(resized);
  });

  function ask(frame) {
    try {
      if (frame.contentWindow) frame.contentWindow.postMessage({ type: REQUEST }, '*');
    } catch (e) {
      /* a frame that is going away */
    }
  }

  function askAll() {
    var frames = document.querySelectorAll(SELECTOR);
    for (var i = 0; i < frames.length; i++) ask(frames[i]);
  }

  // A frame that finishes loading later posts its height by itself; asking on each load covers a
  // frame that navigated to another embed.
  document.addEventListener(
    'load',
    function (event) {
      var t = event.target;
      if (t && t.tagName === 'IFRAME' && t.hasAttribute('data-sdp-embed')) ask(t);
    },
    true,
  );
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', askAll);
  else askAll();
})();
