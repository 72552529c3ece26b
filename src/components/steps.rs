//! The guided steps of a lesson, one at a time, with previous/next and a "Try it" button for
//! steps that name a preset.

use crate::components::icons;
use sim::lesson::Lesson;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`Steps`].
#[derive(Properties)]
pub struct StepsProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// The preset the run was loaded from.
    pub active_preset: Option<AttrValue>,
    /// Loads a preset.
    pub on_preset: Callback<String>,
}

impl PartialEq for StepsProps {
    /// Lessons are compared by identity: they never change while the page shows them.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.active_preset == other.active_preset
            && self.on_preset == other.on_preset
    }
}

/// A step's body, rendered from Markdown by the build (trusted: the repository's own prose).
pub fn step_body(html: &str) -> Html {
    Html::from_html_unchecked(AttrValue::from(html.to_string()))
}

/// Moves focus to the transport's play button, so Space then plays the setup just loaded
/// (rather than pressing "Try it" again).
fn focus_play_button() {
    use wasm_bindgen::JsCast;
    let button = gloo::utils::document()
        .query_selector("[data-testid=\"play-button\"]")
        .ok()
        .flatten();
    if let Some(b) = button.and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok()) {
        let _ = b.focus();
    }
}

/// The lesson's guided steps.
#[function_component(Steps)]
pub fn steps(props: &StepsProps) -> Html {
    let lesson = &props.lesson;
    let count = lesson.steps.len();
    let current = use_state(|| 0usize);
    if count == 0 {
        return html! {};
    }
    let index = (*current).min(count - 1);
    let go = |i: usize| {
        let current = current.clone();
        Callback::from(move |_: MouseEvent| current.set(i))
    };
    html! {
        <section class="steps" aria-label="Guided steps">
            <nav class="step-dots" aria-label="Steps">
                { for lesson.steps.iter().enumerate().map(|(i, s)| html! {
                    <button type="button" class={classes!("step-dot", (i == index).then_some("is-current"), (i < index).then_some("is-done"))}
                        aria-current={(i == index).then_some("step")} title={s.title.clone()}
                        aria-label={format!("Step {}: {}", i + 1, s.title)} onclick={go(i)}>
                        { i + 1 }
                    </button>
                }) }
            </nav>
            { for lesson.steps.iter().enumerate().map(|(i, step)| {
                let n = i + 1;
                let try_it = step.preset.clone().map(|p| {
                    let active = props.active_preset.as_deref() == Some(p.as_str());
                    let title = lesson.preset(&p).map(|x| x.title.clone()).unwrap_or_else(|| p.clone());
                    let cb = props.on_preset.clone();
                    let id = p.clone();
                    html! {
                        <div class="try-it">
                            <button type="button" class="button button-primary" data-testid={format!("step-{n}-try")}
                                onclick={Callback::from(move |_: MouseEvent| {
                                    cb.emit(id.clone());
                                    focus_play_button();
                                })}>
                                { icons::play() }{ if active { "Reload this setup" } else { "Try it" } }
                            </button>
                            <span class="try-it-label">{ title }</span>
                        </div>
                    }
                });
                html! {
                    <article class="step card" data-testid={format!("step-{n}")} hidden={i != index}
                        aria-labelledby={format!("step-{n}-title")}>
                        <p class="step-kicker">{ format!("Step {n} of {count}") }</p>
                        <h2 class="step-title" id={format!("step-{n}-title")}>{ &step.title }</h2>
                        <div class="prose">{ step_body(&step.body) }</div>
                        { for try_it }
                    </article>
                }
            }) }
            <div class="step-nav">
                <button type="button" class="button button-ghost" data-testid="step-prev"
                    disabled={index == 0} onclick={go(index.saturating_sub(1))}>
                    { icons::arrow_left() }{ "Previous" }
                </button>
                <span class="step-count num">{ format!("{} / {count}", index + 1) }</span>
                <button type="button" class="button button-ghost" data-testid="step-next"
                    disabled={index + 1 >= count} onclick={go((index + 1).min(count - 1))}>
                    { "Next" }{ icons::arrow_right() }
                </button>
            </div>
        </section>
    }
}
