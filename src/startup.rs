//! Starting the app in the page.
//!
//! `index.html` paints a static shell (`#sdp-shell`: the site header and an empty page) while the
//! wasm downloads and compiles, and only `main.css` blocks that first paint: the other stylesheets
//! load without blocking it, and `window.__SDP_STYLES__` settles once they have. The app's first
//! render waits for it, so a diagram never shows unstyled (they have usually arrived before the
//! wasm, and the render follows at once). Mounting the app empties `<body>` (yew clears its root),
//! so the shell goes in the same task as the app's first render: no frame shows both, or neither.
//!
//! (Rendering in a task of its own, after the one that instantiated the wasm, was measured: the
//! longest start-up task is the first render itself, so it did not get shorter, and the first
//! render came 15-45 ms later: medians of 30 alternated cold loads, home and a lesson.)

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The window property holding the promise of the deferred stylesheets (`index.html`).
pub const STYLES_READY: &str = "__SDP_STYLES__";

/// Waits until the deferred stylesheets have loaded (or failed: rendering unstyled beats not
/// rendering). Returns at once in a page without them.
pub async fn styles_ready() {
    let pending = js_sys::Reflect::get(&gloo::utils::window(), &JsValue::from_str(STYLES_READY))
        .unwrap_or(JsValue::UNDEFINED);
    if let Ok(promise) = pending.dyn_into::<js_sys::Promise>() {
        let _ = JsFuture::from(promise).await;
    }
}

/// Waits for the lesson the URL opens, if it is not here yet: `index.html`'s boot script fetched
/// it alongside the wasm, so it has usually arrived, and the app's first render is the lesson
/// page itself rather than a "Loading" placeholder followed by a second render (and layout) of
/// the whole page. A failure is left for the page to report (`components::lesson_gate`).
pub async fn lesson_ready() {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    if let Some(id) = crate::route::lesson_id(&hash).filter(|id| crate::lessons::pending(id)) {
        let _ = crate::lessons::load(&id).await;
    }
}
