//! Browser test: mounts the real app in headless Chromium and checks that the lesson page
//! renders its diagram, metrics and load bars, and that the transport drives the clock.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p playground --target wasm32-unknown-unknown --test browser app_render::`

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

/// Resolves after `ms` milliseconds of wall time (lets yew's scheduler render).
fn sleep(ms: u32) -> gloo_timers::future::TimeoutFuture {
    gloo_timers::future::TimeoutFuture::new(ms)
}

/// The app's own root: the other modules of this test binary mount their components in the same
/// page, so queries stay inside it.
const ROOT_ID: &str = "app-render-root";

fn query(sel: &str) -> Option<Element> {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .query_selector(&format!("#{ROOT_ID} {sel}"))
        .unwrap()
}

/// Polls for an element for up to ~5 s.
async fn wait_for(sel: &str) -> Element {
    for _ in 0..100 {
        if let Some(el) = query(sel) {
            return el;
        }
        sleep(50).await;
    }
    panic!("{sel} never appeared");
}

fn tid(id: &str) -> String {
    format!("[data-testid=\"{id}\"]")
}

#[wasm_bindgen_test]
async fn lesson_page_renders_and_the_step_button_advances_the_clock() {
    let window = web_sys::window().unwrap();
    window
        .location()
        .set_hash("#/lesson/consistent-hashing?v=1&seed=7")
        .unwrap();
    let document = window.document().unwrap();
    let root = document.create_element("div").unwrap();
    root.set_id(ROOT_ID);
    document.body().unwrap().append_child(&root).unwrap();
    yew::Renderer::<playground::app::App>::with_root(root).render();

    wait_for(&tid("lesson-page")).await;
    wait_for(&format!("svg{}", tid("ring-diagram"))).await;
    for s in ["A", "B", "C"] {
        let bar = wait_for(&tid(&format!("load-bar-{s}"))).await;
        let v: f64 = bar.get_attribute("data-value").unwrap().parse().unwrap();
        assert!(v > 0.0, "server {s} holds keys");
    }
    let seed = wait_for(&tid("seed-input"))
        .await
        .dyn_into::<web_sys::HtmlInputElement>()
        .unwrap();
    assert_eq!(seed.value(), "7", "the seed comes from the URL");

    let time_before = wait_for(&tid("sim-time")).await.text_content().unwrap();
    assert_eq!(time_before, "0.000 s");
    wait_for(&tid("step-button"))
        .await
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    for _ in 0..40 {
        if query(&tid("sim-time")).unwrap().text_content().unwrap() != time_before {
            break;
        }
        sleep(50).await;
    }
    assert_ne!(
        query(&tid("sim-time")).unwrap().text_content().unwrap(),
        time_before,
        "step moved the clock"
    );
    let hash = window.location().hash().unwrap();
    assert!(
        hash.contains("seed=7") && hash.contains("&t="),
        "the URL follows the run: {hash}"
    );
}
