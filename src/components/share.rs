//! The share link: an anchor holding the full URL of this moment of the run, and a button that
//! copies it with the Clipboard API.

use crate::components::icons;
use gloo::timers::callback::Timeout;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use yew::prelude::*;

/// Props of [`ShareLink`].
#[derive(Properties, PartialEq)]
pub struct ShareLinkProps {
    /// The full URL.
    pub url: AttrValue,
}

#[derive(Clone, Copy, PartialEq)]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

/// Copies `text` to the clipboard; `done(true)` once written, `done(false)` if refused.
/// The page URL without its hash: what share, embed and step links start from.
pub fn page_base() -> String {
    let href = gloo::utils::window().location().href().unwrap_or_default();
    href.split('#').next().unwrap_or_default().to_string()
}

pub(crate) fn copy_to_clipboard(text: &str, done: Callback<bool>) {
    let promise = gloo::utils::window()
        .navigator()
        .clipboard()
        .write_text(text);
    let ok = {
        let done = done.clone();
        Closure::once(move |_: JsValue| done.emit(true))
    };
    let err = Closure::once(move |_: JsValue| done.emit(false));
    let _ = promise.then2(&ok, &err);
    // Each closure runs at most once; leaking them is the price of a click.
    ok.forget();
    err.forget();
}

/// "Copy link" plus the permalink itself.
#[function_component(ShareLink)]
pub fn share_link(props: &ShareLinkProps) -> Html {
    let state = use_state(|| CopyState::Idle);
    let timer = use_mut_ref(|| None::<Timeout>);
    let onclick = {
        let url = props.url.clone();
        let state = state.clone();
        Callback::from(move |_: MouseEvent| {
            let state = state.clone();
            let timer = timer.clone();
            copy_to_clipboard(
                &url,
                Callback::from(move |ok: bool| {
                    state.set(if ok {
                        CopyState::Copied
                    } else {
                        CopyState::Failed
                    });
                    let state = state.clone();
                    *timer.borrow_mut() =
                        Some(Timeout::new(2_000, move || state.set(CopyState::Idle)));
                }),
            );
        })
    };
    let (label, class) = match *state {
        CopyState::Idle => ("Copy link", ""),
        CopyState::Copied => ("Copied!", "is-done"),
        CopyState::Failed => ("Copy failed", "is-failed"),
    };
    html! {
        <span class="share">
            <button type="button" class={classes!("button", "button-secondary", class)} data-testid="copy-link" {onclick}
                title="Copy a link to exactly this moment of this run">
                { if *state == CopyState::Copied { icons::check() } else { icons::link() } }
                <span aria-live="polite">{ label }</span>
            </button>
            <a class="permalink" data-testid="share-url" href={props.url.clone()} data-url={props.url.clone()}
                title="Permalink to this moment (parameters, seed, interventions and time)">{ "Permalink" }</a>
        </span>
    }
}
