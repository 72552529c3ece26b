//! Browser test: mounts the real app in headless Chromium and checks that the lesson page
//! renders its diagram, metrics and load bars, and that the transport drives the clock.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p playground --target wasm32-unknown-unknown --test app_render`
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Resolves after `ms` milliseconds of wall time (lets yew's scheduler render).
struct Sleep {
    state: Rc<RefCell<(bool, Option<Waker>)>>,
    _closure: Closure<dyn FnMut()>,
}

fn sleep(ms: i32) -> Sleep {
    let state: Rc<RefCell<(bool, Option<Waker>)>> = Rc::default();
    let s = state.clone();
    let closure = Closure::<dyn FnMut()>::new(move || {
        let mut st = s.borrow_mut();
        st.0 = true;
        if let Some(w) = st.1.take() {
            w.wake();
        }
    });
    web_sys::window()
        .unwrap()
        .set_timeout_with_callback_and_timeout_and_arguments_0(closure.as_ref().unchecked_ref(), ms)
        .unwrap();
    Sleep {
        state,
        _closure: closure,
    }
}

impl Future for Sleep {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut st = self.state.borrow_mut();
        if st.0 {
            Poll::Ready(())
        } else {
            st.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    }
}

fn query(sel: &str) -> Option<Element> {
    web_sys::window()
        .unwrap()
        .document()
        .unwrap()
        .query_selector(sel)
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
