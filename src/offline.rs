//! Studying offline: how this copy of the app was delivered, the service worker's registration,
//! and where the single-file downloads live.
//!
//! The build writes `sw.js` (the precache of every build file, see `www/sw.js`) and
//! `offline/*.html` (the whole app in one file, see `scripts/offline/`). A single file marks itself
//! with `window.__SDP_SINGLE_FILE__ = { lesson, built }` before the app starts: such a copy
//! registers no service worker (there is nothing to fetch) and offers no downloads (it is one).

use wasm_bindgen::JsValue;

/// The folder of the single-file downloads, relative to the app.
pub const OFFLINE_DIR: &str = "offline";
/// The whole app's single file, under [`OFFLINE_DIR`].
pub const APP_FILE: &str = "system-design-playground.html";
/// The service worker, relative to the app (its folder is its scope).
pub const SW_URL: &str = "sw.js";

/// Where a single-file download lives and the name it is saved under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Download {
    /// The link, relative to the app (`offline/hot-keys.html`).
    pub href: String,
    /// The file name the browser saves it as.
    pub file_name: String,
}

/// The single file of the whole app (`lesson: None`) or of one lesson, which opens at it.
pub fn download(lesson: Option<&str>) -> Download {
    match lesson {
        None => Download {
            href: format!("{OFFLINE_DIR}/{APP_FILE}"),
            file_name: APP_FILE.to_string(),
        },
        Some(id) => Download {
            href: format!("{OFFLINE_DIR}/{id}.html"),
            file_name: format!("system-design-playground-{id}.html"),
        },
    }
}

/// What `window.__SDP_SINGLE_FILE__` says about a copy running from one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleFile {
    /// The lesson it opens at, if it is a lesson's file.
    pub lesson: Option<String>,
    /// The build it was made from (the precache version).
    pub built: String,
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
    use wasm_bindgen::JsCast;
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
    use wasm_bindgen::JsCast;
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

    #[test]
    fn whole_app_download_is_the_app_file() {
        assert_eq!(
            download(None),
            Download {
                href: "offline/system-design-playground.html".into(),
                file_name: "system-design-playground.html".into(),
            }
        );
    }

    #[test]
    fn lesson_download_is_named_after_the_lesson() {
        let d = download(Some("hot-keys"));
        assert_eq!(d.href, "offline/hot-keys.html");
        assert_eq!(d.file_name, "system-design-playground-hot-keys.html");
    }
}
