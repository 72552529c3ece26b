//! The simulation engines: where the app's runs happen.
//!
//! The app links no model (its `sim` dependency names no family): each family's models are a
//! wasm of their own, an *engine* (`worker/`, bins `engine-hashing`, `engine-caching`,
//! `engine-balancing`, `engine-resilience`), which a lesson page loads into its own thread before it renders
//! ([`crate::lessons::load`] waits for it), so home downloads no model and a lesson page only its
//! family's. [`load`] asks `index.html`'s loader (`window.__SDP_ENGINE__(family)`: a dynamic
//! `import()` of the engine's wasm-bindgen glue, once per family; a single-file copy's loader
//! unpacks the copy it carries instead) for the engine's `call` function and installs it as the
//! registry's source of runs ([`sim::registry::install`] with a [`RemoteModels`]): from then on
//! every `registry::start`, `start_with` and `specs` of that family's models is answered there,
//! and the app holds `sim::remote::RemoteRun`s, which it uses as any other `Simulation`.
//!
//! Calls are synchronous (the engine shares the page's thread), JSON text both ways
//! (`sim::remote::Call` and `Reply`); the app's serde_json reads floats back bit for bit
//! (`float_roundtrip`), so what a page shows is exactly what the CLI prints for the same run.
//!
//! Natively (the app's unit tests) and in the app's wasm tests every model is linked (the tests
//! take `sim` with its default features), so [`ready`] is true at once and nothing is loaded.

use sim::remote::{Engine, RemoteModels};
use std::cell::RefCell;
use std::collections::BTreeSet;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The window property of `index.html`'s engine loader: `(family) => Promise<call function>`.
pub const LOADER: &str = "__SDP_ENGINE__";

thread_local! {
    /// The families whose engine is installed.
    static INSTALLED: RefCell<BTreeSet<String>> = const { RefCell::new(BTreeSet::new()) };
}

/// An engine in this page: its exported `call(json) -> json`.
pub struct JsEngine {
    call: js_sys::Function,
    family: String,
}

impl Engine for JsEngine {
    fn call_json(&self, call: &str) -> String {
        // A throw or a non-string is a bug (an engine panicked, or app and engine come from
        // different builds): `RemoteRun` panics on a reply it cannot read, with both sides.
        match self.call.call1(&JsValue::NULL, &JsValue::from_str(call)) {
            Ok(reply) => reply.as_string().unwrap_or_default(),
            Err(e) => panic!(
                "the {} engine failed answering {call}: {}",
                self.family,
                describe(&e)
            ),
        }
    }
}

/// True when the registry can run `model`: linked into this build, or its family's engine is
/// installed.
pub fn ready(model: &str) -> bool {
    sim::registry::specs(model).is_some()
}

/// The loader's promise of `family`'s engine (the loader keeps one per family, so asking again
/// costs nothing).
fn start(family: &str) -> Result<js_sys::Promise, String> {
    let window = gloo::utils::window();
    let loader = js_sys::Reflect::get(&window, &JsValue::from_str(LOADER))
        .ok()
        .and_then(|l| l.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| "this page has no way to load the simulation".to_string())?;
    loader
        .call1(&JsValue::NULL, &JsValue::from_str(family))
        .map_err(|e| describe(&e))?
        .dyn_into::<js_sys::Promise>()
        .map_err(|_| "the simulation loader did not start a load".to_string())
}

/// Starts loading `family`'s engine, if it is not installed, without waiting for it ([`load`]
/// reports how it went).
pub fn prefetch(family: &str) {
    if !INSTALLED.with(|i| i.borrow().contains(family)) {
        // A rejection is handled by the loader itself; `load` asks again and reports it.
        let _ = start(family);
    }
}

/// Loads and installs the engine of `family` (once per page; a failure can be tried again).
pub async fn load(family: &str) -> Result<(), String> {
    if INSTALLED.with(|i| i.borrow().contains(family)) {
        return Ok(());
    }
    let call = JsFuture::from(start(family)?)
        .await
        .map_err(|e| {
            format!(
                "the simulation could not be loaded ({}; are you offline? The app keeps it for offline use once a visit has saved it)",
                describe(&e)
            )
        })?
        .dyn_into::<js_sys::Function>()
        .map_err(|_| "the simulation loaded without its entry point".to_string())?;
    // Two loads of one family may have been in flight (the loader shares one import): install
    // once.
    if INSTALLED.with(|i| i.borrow_mut().insert(family.to_string())) {
        let engine = Rc::new(JsEngine {
            call,
            family: family.to_string(),
        });
        sim::registry::install(Rc::new(RemoteModels::new(engine)));
    }
    Ok(())
}

fn describe(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "an unknown error".to_string())
}
