//! The app's tests that need a browser (wasm32, headless Chromium through chromedriver), as one
//! test binary: one module per former `tests/*.rs` file, so the app is linked, processed by
//! wasm-bindgen and loaded into a browser once instead of once per file. Run one file's tests with
//! a filter: `cargo test -p playground --target wasm32-unknown-unknown --test browser app_render::`.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::wasm_bindgen_test_configure;

wasm_bindgen_test_configure!(run_in_browser);

mod app_render;
mod diagram_props;
mod sweep_runner;
