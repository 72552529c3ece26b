//! Fetching what the build published beside the app: each lesson's compiled JSON
//! (`content/<id>.<digest>.json`) and each highlighted source file (`code/<file>.<digest>.html`).
//! The names carry a digest of the bytes, so a file never changes under its name: the HTTP cache
//! and the service worker's precache may keep them forever.
//!
//! Three places are tried, in order:
//!
//! 1. `window.__SDP_FILES__[path]`: files inlined into the page (a single-file download carries
//!    its lesson's files this way, so it opens from disk with no network);
//! 2. `window.__SDP_PREFETCH__[path]`: a fetch the page's boot script started before the wasm
//!    had even downloaded (it knows the lesson from the URL), so the lesson arrives in parallel;
//! 3. `fetch(path)`, relative to the page (answered by the service worker when offline).
//!
//! The HTML comes from the repository's own files, rendered by the build, so it is trusted.

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The window property single-file pages inline their files under.
pub const INLINE_FILES: &str = "__SDP_FILES__";
/// The window property the boot script keeps its prefetches under.
pub const PREFETCHES: &str = "__SDP_PREFETCH__";

fn property(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// A file inlined into this page, if it is.
pub fn inlined(path: &str) -> Option<String> {
    let files = property(&gloo::utils::window(), INLINE_FILES);
    if !files.is_object() {
        return None;
    }
    property(&files, path).as_string()
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "the network request failed".to_string())
}

/// The text of a published file (`content/…json`, `code/…html`), or why it could not be had.
pub async fn fetch(path: &str) -> Result<String, String> {
    if let Some(text) = inlined(path) {
        return Ok(text);
    }
    let window = gloo::utils::window();
    let prefetches = property(&window, PREFETCHES);
    if prefetches.is_object() {
        let started = property(&prefetches, path);
        // Used once: a retry after a failure must go to the network again.
        let _ = js_sys::Reflect::delete_property(
            prefetches.unchecked_ref::<js_sys::Object>(),
            &JsValue::from_str(path),
        );
        if let Ok(promise) = started.dyn_into::<js_sys::Promise>() {
            if let Ok(text) = JsFuture::from(promise).await {
                if let Some(text) = text.as_string() {
                    return Ok(text);
                }
            }
        }
    }
    let response = JsFuture::from(window.fetch_with_str(path))
        .await
        .map_err(|e| {
            format!(
                "{} (are you offline? The app keeps lessons for offline use once a visit has saved them)",
                describe(&e)
            )
        })?;
    let response: web_sys::Response = response
        .dyn_into()
        .map_err(|_| "the network answered with something that is not a response".to_string())?;
    if !response.ok() {
        return Err(format!(
            "the server answered {} for {path}",
            response.status()
        ));
    }
    let text = JsFuture::from(response.text().map_err(|e| describe(&e))?)
        .await
        .map_err(|e| describe(&e))?;
    text.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}
