//! The guided steps of a lesson. The current step comes from the playback (it is part of the
//! run's URL); arriving at a step — by Next, a dot, a link or a key — loads its setup, and
//! "Try it" plays that setup and pauses just after its key event.
//!
//! Two parts, placed apart on the page so the diagram and its transport come between them (in
//! reading and Tab order): [`StepGuide`] (the step's text and its controls) and
//! [`StepFollowUp`] (its questions, takeaway and "Why?").

use crate::components::embed_dialog::EmbedButton;
use crate::components::icons;
use crate::components::questions::Questions;
use crate::playback::PlaybackAction;
use sim::lesson::Lesson;
use std::collections::BTreeSet;
use std::rc::Rc;
use yew::prelude::*;

/// A step's body, rendered from Markdown by the build (trusted: the repository's own prose).
pub fn step_body(html: &str) -> Html {
    Html::from_html_unchecked(AttrValue::from(html.to_string()))
}

/// The element with this id, as an `HtmlElement`.
fn element(id: &str) -> Option<web_sys::HtmlElement> {
    use wasm_bindgen::JsCast;
    gloo::utils::document()
        .get_element_by_id(id)
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
}

/// Props of [`StepGuide`].
#[derive(Properties)]
pub struct StepGuideProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// The step shown (from 0).
    pub index: usize,
    /// Whether the run is playing.
    pub playing: bool,
    /// Where the run will pause by itself, if it will.
    pub pausing: bool,
    /// Playback actions (go to a step, try it).
    pub on_action: Callback<PlaybackAction>,
}

impl PartialEq for StepGuideProps {
    /// Lessons are compared by identity: they never change while the page shows them.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.index == other.index
            && self.playing == other.playing
            && self.pausing == other.pausing
            && self.on_action == other.on_action
    }
}

/// The current step's text, "Try it", and the step navigation.
#[function_component(StepGuide)]
pub fn step_guide(props: &StepGuideProps) -> Html {
    let lesson = &props.lesson;
    let count = lesson.steps.len();
    // After the learner moves to another step, its heading is brought into view and focused
    // (not on the page's first render: the page opens at its top).
    let first = use_mut_ref(|| true);
    use_effect_with(props.index, move |index| {
        if std::mem::replace(&mut *first.borrow_mut(), false) {
            return;
        }
        // The focus stays where it is (Next, a dot): pressing again moves on. The heading is
        // scrolled to the top when it is out of view (clear of the sticky header: its
        // `scroll-margin-top` in main.css).
        if let Some(h) = element(&format!("step-{}-title", index + 1)) {
            let top = h.get_bounding_client_rect().top();
            let height = gloo::utils::window()
                .inner_height()
                .ok()
                .and_then(|v| v.as_f64())
                .unwrap_or(800.0);
            if !(72.0..height * 0.6).contains(&top) {
                h.scroll_into_view_with_bool(true);
            }
        }
    });
    // The link to this step's setup, for "Embed this step" (the dialog loops it around the
    // step's key event and starts the caption from the step's title).
    let step_url: AttrValue = {
        let lesson = props.lesson.clone();
        (*use_memo(props.index, move |&index| -> AttrValue {
            let base = crate::components::share::page_base();
            let run = lesson
                .step_scenario(index)
                .ok()
                .and_then(|s| sim::registry::start(&s).ok());
            match run {
                Some(run) => {
                    let mut hash = crate::route::lesson_hash(
                        &lesson,
                        run.params(),
                        run.seed(),
                        run.inputs(),
                        sim::time::SimTime::ZERO,
                    );
                    hash.push_str(&crate::route::step_field(index));
                    format!("{base}{hash}").into()
                }
                None => base.into(),
            }
        }))
        .clone()
    };
    if count == 0 {
        return html! {};
    }
    let index = props.index.min(count - 1);
    let step = &lesson.steps[index];
    let n = index + 1;
    let go = |i: usize| {
        props
            .on_action
            .reform(move |_: MouseEvent| PlaybackAction::GoToStep(i))
    };
    // ←/→ on a focused dot move between steps (and keep the focus on the dots).
    let on_dots_key = {
        let on_action = props.on_action.clone();
        Callback::from(move |e: KeyboardEvent| {
            let to = match e.key().as_str() {
                "ArrowLeft" if index > 0 => index - 1,
                "ArrowRight" if index + 1 < count => index + 1,
                "Home" => 0,
                "End" => count - 1,
                _ => return,
            };
            e.prevent_default();
            on_action.emit(PlaybackAction::GoToStep(to));
            if let Some(dot) = element(&format!("step-dot-{}", to + 1)) {
                let _ = dot.focus();
            }
        })
    };
    let pause = lesson.step_pause(index);
    let try_label = if props.playing && props.pausing {
        "Playing…"
    } else {
        "Try it"
    };
    let setup = step
        .preset
        .as_deref()
        .and_then(|p| lesson.preset(p))
        .map(|p| p.title.clone())
        .unwrap_or_else(|| "The lesson's starting setup".to_string());
    html! {
        <section class="steps" aria-label="Guided steps" data-testid="steps">
            <nav class="step-dots" aria-label="Steps" data-arrow-keys="" onkeydown={on_dots_key}>
                { for lesson.steps.iter().enumerate().map(|(i, s)| html! {
                    <button type="button" id={format!("step-dot-{}", i + 1)}
                        class={classes!("step-dot", (i == index).then_some("is-current"), (i < index).then_some("is-done"))}
                        aria-current={(i == index).then_some("step")} title={s.title.clone()}
                        data-testid={format!("step-dot-{}", i + 1)}
                        tabindex={if i == index { "0" } else { "-1" }}
                        aria-label={format!("Step {}: {}", i + 1, s.title)} onclick={go(i)}>
                        { i + 1 }
                    </button>
                }) }
            </nav>
            <article class="step card" data-testid={format!("step-{n}")} aria-labelledby={format!("step-{n}-title")}>
                <p class="step-kicker">{ format!("Step {n} of {count}") }</p>
                <h2 class="step-title" id={format!("step-{n}-title")} tabindex="-1">{ &step.title }</h2>
                <div class="try-it">
                    <button type="button" class="button button-primary" data-testid={format!("step-{n}-try")}
                        disabled={props.playing && props.pausing}
                        onclick={props.on_action.reform(|_: MouseEvent| PlaybackAction::TryStep)}>
                        { icons::play() }{ try_label }
                    </button>
                    <span class="try-it-label" title={format!("{setup} · plays to {pause}")}>
                        { setup.clone() }
                        <span class="muted">{ format!(" · plays to {pause}") }</span>
                    </span>
                    <span class="spacer" />
                    <EmbedButton share_url={step_url} caption_default={Some(AttrValue::from(step.title.clone()))}
                        label={AttrValue::Static("Embed step")} testid={AttrValue::from(format!("step-{n}-embed"))} />
                </div>
                <div class="prose">{ step_body(&step.body) }</div>
            </article>
            <div class="step-nav">
                <button type="button" class="button button-ghost" data-testid="step-prev"
                    disabled={index == 0} onclick={go(index.saturating_sub(1))} aria-keyshortcuts="P">
                    { icons::arrow_left() }{ "Previous" }
                </button>
                <span class="step-count num">{ format!("{n} / {count}") }</span>
                <button type="button" class="button button-ghost" data-testid="step-next"
                    disabled={index + 1 >= count} onclick={go((index + 1).min(count - 1))} aria-keyshortcuts="N">
                    { "Next" }{ icons::arrow_right() }
                </button>
            </div>
        </section>
    }
}

/// Props of [`StepFollowUp`].
#[derive(Properties)]
pub struct StepFollowUpProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// The step shown (from 0).
    pub index: usize,
    /// Ids of the questions answered so far.
    pub answered: Rc<BTreeSet<String>>,
    /// Plays a question's run in the diagram.
    pub on_check: Callback<String>,
    /// Records that a question was answered.
    pub on_answered: Callback<String>,
    /// The question whose run is playing in the diagram, if one is.
    #[prop_or_default]
    pub running: Option<AttrValue>,
}

impl PartialEq for StepFollowUpProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.index == other.index
            && self.answered == other.answered
            && self.on_check == other.on_check
            && self.on_answered == other.on_answered
            && self.running == other.running
    }
}

/// The current step's questions, its interview takeaway and its "Why?"; the questions that
/// belong to no step come after the last.
#[function_component(StepFollowUp)]
pub fn step_follow_up(props: &StepFollowUpProps) -> Html {
    let lesson = &props.lesson;
    let step = lesson.steps.get(props.index);
    let number = props.index as u32 + 1;
    let last = props.index + 1 >= lesson.steps.len();
    let takeaway = step.filter(|s| !s.takeaway.is_empty()).map(|s| {
        html! {
            <p class="takeaway" data-testid="step-takeaway">
                <strong>{ "Interview takeaway: " }</strong>{ &s.takeaway }
            </p>
        }
    });
    let why = step.filter(|s| !s.why.is_empty()).map(|s| {
        html! {
            <details class="why" data-testid="step-why">
                <summary>{ "Why?" }</summary>
                <div class="prose">{ step_body(&s.why) }</div>
            </details>
        }
    });
    html! {
        <div class="step-follow-up" data-testid="step-follow-up">
            <Questions lesson={lesson.clone()} step={Some(number)} answered={props.answered.clone()}
                on_check={props.on_check.clone()} on_answered={props.on_answered.clone()}
                running={props.running.clone()} />
            { for takeaway }
            { for why }
            if last || lesson.steps.is_empty() {
                <Questions lesson={lesson.clone()} step={None::<u32>} answered={props.answered.clone()}
                    on_check={props.on_check.clone()} on_answered={props.on_answered.clone()}
                    running={props.running.clone()} />
            }
        </div>
    }
}
