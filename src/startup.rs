//! Starting the app in the page.
//!
//! `index.html` paints a static shell (`#sdp-shell`: the site header and an empty page) while the
//! wasm downloads and compiles, and only `main.css` blocks that first paint: the other stylesheets
//! load without blocking it, and `window.__SDP_STYLES__` settles once they have, in a later task
//! than the one that settled it. The app's first render waits for it, so a diagram never shows
//! unstyled, and runs in a task of its own rather than in the one that instantiated the wasm (two
//! shorter main-thread tasks instead of one long one). Mounting the app empties `<body>` (yew
//! clears its root), so the shell goes in the same task as the app's first render: no frame shows
//! both, or neither.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The window property holding the promise of the deferred stylesheets (`index.html`).
pub const STYLES_READY: &str = "__SDP_STYLES__";

/// Waits until the deferred stylesheets have loaded (or failed: rendering unstyled beats not
/// rendering), and a new task has begun. Returns at once in a page without them.
pub async fn styles_ready() {
    let pending = js_sys::Reflect::get(&gloo::utils::window(), &JsValue::from_str(STYLES_READY))
        .unwrap_or(JsValue::UNDEFINED);
    if let Ok(promise) = pending.dyn_into::<js_sys::Promise>() {
        let _ = JsFuture::from(promise).await;
    }
}
