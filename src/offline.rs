//! Studying offline: how this copy of the app was delivered, the service worker's registration,
//! and the single-file downloads.
//!
//! The build writes `sw.js` (the precache of every build file, see `www/sw.js`). A single file is
//! made in the browser when asked: the app renders the download buttons
//! (`components::offline`), and index.html's download script, not the wasm, handles their clicks
//! with `www/single-file.js`, loaded only then: the app, a lesson's files (or every lesson's) and
//! the URL on screen in one HTML file. It marks itself with
//! `window.__SDP_SINGLE_FILE__ = { lesson, built, hash }` before the app starts: such a copy
//! registers no service worker (there is nothing to fetch), and offers again the downloads it
//! holds the files for.

use wasm_bindgen::{JsCast, JsValue};

/// The service worker, relative to the app (its folder is its scope).
pub const SW_URL: &str = "sw.js";

/// What `window.__SDP_SINGLE_FILE__` says about a copy running from one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleFile {
    /// The lesson it holds, if it is a lesson's file (`None`: every lesson, the whole app).
    pub lesson: Option<String>,
    /// The build it was made from (the precache version).
    pub built: String,
}

impl SingleFile {
    /// True when this file holds what a download of `lesson` (`None`: the whole app) needs.
    pub fn holds(&self, lesson: Option<&str>) -> bool {
        self.lesson.is_none() || self.lesson.as_deref() == lesson
    }
}

/// True when this page can offer the download of `lesson` (`None`: the whole app): a served
/// page always, a single file when it holds that lesson's files.
pub fn can_download(lesson: Option<&str>) -> bool {
    single_file().is_none_or(|s| s.holds(lesson))
}

fn get(target: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `Some` when this copy is a single-file download (whatever its URL scheme).
pub fn single_file() -> Option<SingleFile> {
    let marker = get(&gloo::utils::window(), "__SDP_SINGLE_FILE__");
    if !marker.is_object() {
        return None;
    }
    Some(SingleFile {
        lesson: get(&marker, "lesson").as_string(),
        built: get(&marker, "built").as_string().unwrap_or_default(),
    })
}

/// True when the page is opened straight from disk.
pub fn from_disk() -> bool {
    gloo::utils::window().location().protocol().ok().as_deref() == Some("file:")
}

/// The browser's service-worker container, when this page can have a service worker at all:
/// served over HTTP(S) in a secure context (HTTPS or localhost), not a single file.
pub fn service_worker_container() -> Option<web_sys::ServiceWorkerContainer> {
    if from_disk() || single_file().is_some() {
        return None;
    }
    let window = gloo::utils::window();
    if !window.is_secure_context() {
        return None;
    }
    let navigator = window.navigator();
    let container = get(&navigator, "serviceWorker");
    if container.is_undefined() || container.is_null() {
        return None;
    }
    container.dyn_into().ok()
}

/// The window event [`register_service_worker`] dispatches when this page's service worker failed
/// to install (the build was not saved for offline use).
pub const INSTALL_FAILED_EVENT: &str = "sdp-offline-install-failed";

thread_local! {
    static INSTALL_FAILED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// True once this page's service worker has failed to install (the event may have fired before
/// a component was listening for it).
pub fn install_failed() -> bool {
    INSTALL_FAILED.with(|f| f.get())
}

/// Registers `sw.js` (release builds only: a debug build's `sw.js` removes itself). If the worker
/// it starts installing fails (a file did not match the build's list, the network dropped), the
/// window gets an [`INSTALL_FAILED_EVENT`]. Failures are warnings on the console, never errors:
/// the app works without offline support.
pub fn register_service_worker() {
    use wasm_bindgen::closure::Closure;
    if cfg!(debug_assertions) {
        return;
    }
    let Some(container) = service_worker_container() else {
        return;
    };
    let registered = Closure::once(move |reg: JsValue| {
        let Ok(reg) = reg.dyn_into::<web_sys::ServiceWorkerRegistration>() else {
            return;
        };
        let Some(worker) = reg.installing() else {
            return;
        };
        let watched = worker.clone();
        let listener = gloo::events::EventListener::new(&worker, "statechange", move |_| {
            if watched.state() == web_sys::ServiceWorkerState::Redundant {
                gloo::console::warn!(
                    "Offline use is unavailable: the service worker did not install."
                );
                INSTALL_FAILED.with(|f| f.set(true));
                if let Ok(event) = web_sys::Event::new(INSTALL_FAILED_EVENT) {
                    let _ = gloo::utils::window().dispatch_event(&event);
                }
            }
        });
        // Lives as long as the worker it watches, which outlives this page's interest in it.
        listener.forget();
    });
    let failed = Closure::once(move |e: JsValue| {
        gloo::console::warn!(
            "Offline use is unavailable: the service worker did not register:",
            e
        );
    });
    let _ = container.register(SW_URL).then2(&registered, &failed);
    // Each runs at most once, once per page load: leaking them is the simplest owner.
    registered.forget();
    failed.forget();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(lesson: Option<&str>) -> SingleFile {
        SingleFile {
            lesson: lesson.map(String::from),
            built: "0123abcd".into(),
        }
    }

    #[test]
    fn a_whole_app_file_holds_every_download() {
        assert!(file(None).holds(None));
        assert!(file(None).holds(Some("hot-keys")));
    }

    #[test]
    fn a_lesson_file_holds_only_its_own_lesson() {
        let f = file(Some("hot-keys"));
        assert!(f.holds(Some("hot-keys")));
        assert!(!f.holds(Some("range-sharding")));
        assert!(
            !f.holds(None),
            "not the whole app: the other lessons are not in it"
        );
    }
}
