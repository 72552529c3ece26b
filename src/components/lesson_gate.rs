//! Waiting for a lesson: while its compiled JSON is on its way (usually already fetched by the
//! page's boot script by the time the app starts), a placeholder; if it cannot be had (offline on
//! a first visit, a server error), the reason and a way to try again.

use crate::lessons;
use yew::prelude::*;

/// Props of [`LessonGate`].
#[derive(Properties, PartialEq)]
pub struct LessonGateProps {
    /// The lesson to load.
    pub id: AttrValue,
    /// Called once the lesson is here.
    pub on_ready: Callback<()>,
}

/// Loads a lesson, then calls `on_ready`; shows progress or the failure meanwhile.
#[function_component(LessonGate)]
pub fn lesson_gate(props: &LessonGateProps) -> Html {
    let attempt = use_state(|| 0u32);
    let failed = use_state(|| None::<String>);
    {
        let failed = failed.setter();
        let on_ready = props.on_ready.clone();
        use_effect_with((props.id.clone(), *attempt), move |(id, _)| {
            let id = id.to_string();
            wasm_bindgen_futures::spawn_local(async move {
                match lessons::load(&id).await {
                    Ok(_) => on_ready.emit(()),
                    Err(e) => failed.set(Some(e.0)),
                }
            });
        });
    }
    let title = lessons::entry(&props.id).map_or("the lesson", |e| e.title);
    match &*failed {
        None => html! {
            <div class="lesson-loading" data-testid="lesson-loading" role="status">
                <p class="muted">{ format!("Loading {title}…") }</p>
            </div>
        },
        Some(reason) => {
            let retry = {
                let attempt = attempt.clone();
                let failed = failed.clone();
                Callback::from(move |_: MouseEvent| {
                    failed.set(None);
                    attempt.set(*attempt + 1);
                })
            };
            html! {
                <div class="banner banner-error lesson-load-error" data-testid="lesson-load-error" role="alert">
                    <p>{ reason }</p>
                    <p>
                        <button type="button" class="button button-primary" data-testid="lesson-retry" onclick={retry}>
                            { "Try again" }
                        </button>
                        { " " }
                        <a href="#/">{ "Back to all lessons" }</a>
                    </p>
                </div>
            }
        }
    }
}
