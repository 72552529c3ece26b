//! The sweep worker's entry point: the browser glue around [`sweep_worker::handle`].
//!
//! trunk builds this bin with wasm-bindgen's `no-modules` target; its loader shim
//! (`sweep-worker_loader.js`) imports the glue and instantiates the wasm, then `main` runs: it
//! listens for the page's messages and posts [`FromWorker::Ready`] last, since messages posted to
//! the worker before that are dropped (the page queues its request until it sees Ready).
//!
//! Natively there is no worker: `main` is empty, so `cargo build --workspace` builds it anyway.

#[cfg(target_arch = "wasm32")]
fn main() {
    web::start();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {}

#[cfg(target_arch = "wasm32")]
mod web {
    use serde::de::DeserializeOwned;
    use serde::Serialize;
    use sim::sweep::{FromWorker, ToWorker};
    use wasm_bindgen::prelude::*;
    use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

    /// The wire format, the same on both sides (the app's `src/sweep_runner.rs`): serde-wasm-bindgen
    /// with 64-bit integers as BigInts (a seed above 2^53 crosses intact) and maps as plain objects.
    const WIRE: serde_wasm_bindgen::Serializer = serde_wasm_bindgen::Serializer::new()
        .serialize_large_number_types_as_bigints(true)
        .serialize_maps_as_objects(true);

    fn to_js<T: Serialize>(value: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
        value.serialize(&WIRE)
    }

    fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, serde_wasm_bindgen::Error> {
        serde_wasm_bindgen::from_value(value)
    }

    fn post<T: Serialize>(scope: &DedicatedWorkerGlobalScope, message: &T) {
        match to_js(message) {
            Ok(v) => {
                if let Err(e) = scope.post_message(&v) {
                    web_sys::console::error_2(&"sweep worker: could not post".into(), &e);
                }
            }
            Err(e) => web_sys::console::error_1(&format!("sweep worker: {e}").into()),
        }
    }

    pub fn start() {
        console_error_panic_hook::set_once();
        let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
        let performance = scope.performance();
        let on_message = {
            let scope = scope.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let now = || performance.as_ref().map_or(0.0, |p| p.now());
                let data = event.data();
                match from_js::<ToWorker>(data.clone()) {
                    Ok(message) => sweep_worker::handle(message, now, |reply| post(&scope, &reply)),
                    // Not a sweep: the benchmark (tests/e2e/bench/mrc-bench.mjs), or not a
                    // message of ours: say so where a developer looks, and carry on.
                    Err(e) => match from_js::<sweep_worker::bench::BenchRequest>(data) {
                        Ok(message) => {
                            sweep_worker::bench::handle(message, now, |reply| post(&scope, &reply))
                        }
                        Err(_) => web_sys::console::error_1(
                            &format!("sweep worker: not a request it understands ({e})").into(),
                        ),
                    },
                }
            })
        };
        scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // The worker lives as long as its global scope: the handler is never dropped.
        on_message.forget();
        post(&scope, &FromWorker::Ready);
    }
}
