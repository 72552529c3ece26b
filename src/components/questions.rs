//! Predict-then-reveal questions, each inside the step it belongs to. The answer is computed by
//! running the lesson's model ([`Lesson::reveal`]) — never written by hand — and only shown after
//! the learner commits; committing also plays that same run in the diagram.

use crate::components::icons;
use sim::lesson::{Answer, Lesson, Question, Revealed};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`Questions`].
#[derive(Properties)]
pub struct QuestionsProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// The questions of this step (numbered from 1); `None`: those that belong to no step.
    pub step: Option<u32>,
    /// Ids of the questions answered so far (this visit).
    pub answered: Rc<std::collections::BTreeSet<String>>,
    /// Plays a question's run in the diagram (by id).
    pub on_check: Callback<String>,
    /// Records that a question was answered (by id).
    pub on_answered: Callback<String>,
    /// The question whose run the diagram is playing towards the moment its answer is read.
    #[prop_or_default]
    pub running: Option<AttrValue>,
}

impl PartialEq for QuestionsProps {
    /// Lessons are compared by identity: they never change while the page shows them.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.step == other.step
            && self.answered == other.answered
            && self.on_check == other.on_check
            && self.on_answered == other.on_answered
            && self.running == other.running
    }
}

/// The questions of one step (or those of none).
#[function_component(Questions)]
pub fn questions(props: &QuestionsProps) -> Html {
    let mine: Vec<usize> = props
        .lesson
        .questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.step == props.step)
        .map(|(i, _)| i)
        .collect();
    if mine.is_empty() {
        return html! {};
    }
    let title_id = format!("questions-title-{}", props.step.unwrap_or(0));
    html! {
        <section class="questions" aria-labelledby={title_id.clone()} data-testid="questions">
            <h3 class="section-title" id={title_id}>{ "Predict, then check" }</h3>
            <p class="muted">{ "Commit to an answer first: Check plays the scenario in the diagram and reads the answer from that run." }</p>
            { for mine.into_iter().map(|i| {
                let q = &props.lesson.questions[i];
                html! {
                    <QuestionCard key={q.id.clone()} lesson={props.lesson.clone()} index={i}
                        on_check={props.on_check.clone()} on_answered={props.on_answered.clone()}
                        running={props.running.as_deref() == Some(q.id.as_str())} />
                }
            }) }
        </section>
    }
}

/// Props of [`QuestionCard`].
#[derive(Properties)]
pub struct QuestionCardProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// Which question.
    pub index: usize,
    /// Plays the question's run in the diagram.
    pub on_check: Callback<String>,
    /// Records that it was answered.
    pub on_answered: Callback<String>,
    /// Its run is playing in the diagram: the answer waits for the moment it is read.
    #[prop_or_default]
    pub running: bool,
}

impl PartialEq for QuestionCardProps {
    /// Lessons are compared by identity: they never change while the page shows them.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.index == other.index
            && self.on_check == other.on_check
            && self.on_answered == other.on_answered
            && self.running == other.running
    }
}

/// What the learner said and what the run says.
#[derive(Clone, PartialEq)]
struct Outcome {
    guess: String,
    revealed: Result<Revealed, String>,
}

/// The explanation, rendered from Markdown by the build (trusted: the repository's own prose).
fn explain(q: &Question) -> Html {
    if q.explain.trim().is_empty() {
        return html! {};
    }
    Html::from_html_unchecked(AttrValue::from(q.explain.clone()))
}

fn fmt_number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// One question.
#[function_component(QuestionCard)]
pub fn question_card(props: &QuestionCardProps) -> Html {
    let lesson = props.lesson.clone();
    let q = &lesson.questions[props.index];
    let outcome = use_state(|| None::<Outcome>);
    let typed = use_state(String::new);
    // The choices of an owner question are the servers before the actions: they come from the
    // same run that computes the answer, so that run is made (once) when the card shows.
    let owner_choices = {
        let lesson = lesson.clone();
        let index = props.index;
        use_memo((), move |_| {
            let q = &lesson.questions[index];
            matches!(q.answer, Answer::Owner { .. }).then(|| lesson.reveal(q))
        })
    };
    let answer = {
        let outcome = outcome.clone();
        let lesson = lesson.clone();
        let index = props.index;
        let owner_choices = owner_choices.clone();
        let on_check = props.on_check.clone();
        let on_answered = props.on_answered.clone();
        Callback::from(move |guess: String| {
            on_check.emit(lesson.questions[index].id.clone());
            on_answered.emit(lesson.questions[index].id.clone());
            let q = &lesson.questions[index];
            let revealed = match &*owner_choices {
                Some(r) => r.clone(),
                None => lesson.reveal(q),
            };
            if let Ok(r) = &revealed {
                crate::components::progress::record_answer(&lesson.id, &q.id, r.is_right(&guess));
            }
            outcome.set(Some(Outcome {
                guess,
                revealed: revealed.map_err(|e| e.to_string()),
            }));
        })
    };
    let id = &q.id;
    let answered = outcome.is_some();

    let input = match (&q.answer, &*owner_choices) {
        (Answer::Owner { .. }, Some(Ok(Revealed::Owner { choices, .. }))) => html! {
            <div class="chip-row" role="group" aria-label="Your prediction">
                { for choices.iter().map(|c| {
                    let chosen = outcome.as_ref().is_some_and(|o| &o.guess == c);
                    let answer = answer.clone();
                    let c2 = c.clone();
                    html! {
                        <button type="button" class={classes!("chip", chosen.then_some("is-chosen"))}
                            data-testid={format!("choice-{c}")} aria-pressed={chosen.to_string()}
                            onclick={Callback::from(move |_: MouseEvent| answer.emit(c2.clone()))}>{ c.clone() }</button>
                    }
                }) }
            </div>
        },
        (Answer::Owner { .. }, Some(Err(e))) => {
            html! { <p class="field-error">{ e.to_string() }</p> }
        }
        _ => {
            let oninput = {
                let typed = typed.clone();
                Callback::from(move |e: InputEvent| {
                    let i: HtmlInputElement = e.target_unchecked_into();
                    typed.set(i.value());
                })
            };
            let onsubmit = {
                let typed = typed.clone();
                let answer = answer.clone();
                Callback::from(move |e: SubmitEvent| {
                    e.prevent_default();
                    if !typed.trim().is_empty() {
                        answer.emit((*typed).clone());
                    }
                })
            };
            let unit = match &q.answer {
                Answer::Metric { metric, .. } if metric.ends_with("percent") => Some("%"),
                _ => None,
            };
            html! {
                <form class="question-form" {onsubmit}>
                    <label class="visually-hidden" for={format!("question-{id}-input")}>{ "Your estimate" }</label>
                    <input type="number" step="any" inputmode="decimal" id={format!("question-{id}-input")}
                        data-testid={format!("question-{id}-input")} value={(*typed).clone()} {oninput}
                        placeholder="Your estimate" />
                    { for unit.map(|u| html! { <span class="param-unit">{ u }</span> }) }
                    <button type="submit" class="button button-primary" data-testid={format!("question-{id}-submit")}
                        disabled={typed.trim().is_empty()}>{ if answered { "Check again" } else { "Check" } }</button>
                </form>
            }
        }
    };

    let result = outcome.as_ref().map(|o| match &o.revealed {
        Ok(_) if props.running => html! {
            <p class="question-running muted" data-testid={format!("question-{id}-running")} role="status">
                { "Your answer is in. The diagram is playing the scenario; the answer is read when it stops." }
            </p>
        },
        Ok(r) => {
            let right = r.is_right(&o.guess);
            let computed = match r {
                Revealed::Owner { answer, .. } => format!("The run in the diagram says: {answer}."),
                Revealed::Number { value, tolerance, unit } => format!(
                    "The run in the diagram says: {}{} (answers within ±{} count as right).",
                    fmt_number(*value),
                    unit.as_deref().unwrap_or(""),
                    fmt_number(*tolerance)
                ),
            };
            html! {
                <div class={classes!("question-result", if right { "is-right" } else { "is-wrong" })}
                    data-testid={format!("question-{id}-result")} role="status">
                    <p class="verdict">
                        { if right { icons::check() } else { icons::warning() } }
                        <strong>{ if right { "Correct." } else { "Not quite." } }</strong>
                        { " " }{ computed }
                    </p>
                    <div class="prose">{ explain(q) }</div>
                </div>
            }
        }
        Err(e) => html! {
            <div class="question-result is-error" data-testid={format!("question-{id}-result")} role="status">
                <p>{ format!("This question could not be checked: {e}") }</p>
            </div>
        },
    });

    html! {
        <article class="question card" data-testid={format!("question-{id}")}>
            <p class="question-kicker">{ format!("Question {}", props.index + 1) }</p>
            <h4 class="question-prompt">{ &q.prompt }</h4>
            { input }
            { for result }
        </article>
    }
}
