//! Saved progress in the page: the storage I/O (read, repair, update) over the pure
//! [`crate::progress`] document, the one-time notice when the stored document was damaged, the
//! lesson page's memory (visit, last state, "Resume where you left off") and the home page's
//! progress badges.
//!
//! Storage that cannot be used (blocked, private mode, over quota) degrades silently: nothing is
//! remembered and nothing breaks.

use crate::components::icons;
use crate::progress::{self, Progress, StoreProblem, Summary};
use crate::route;
use gloo::events::EventListener;
use sim::lesson::Lesson;
use std::rc::Rc;
use yew::prelude::*;

fn storage() -> Option<web_sys::Storage> {
    gloo::utils::window().local_storage().ok().flatten()
}

/// The stored progress and what was wrong with it (nothing stored or no storage: empty).
fn read() -> (Progress, Option<StoreProblem>) {
    let text = storage().and_then(|s| s.get_item(progress::KEY).ok().flatten());
    progress::load(text.as_deref())
}

fn write(p: &Progress) {
    if let Some(s) = storage() {
        let _ = s.set_item(progress::KEY, &p.to_json());
    }
}

/// Reads the stored progress afresh (another tab may have written since), applies `change` and
/// writes it back, unless the stored document is from a newer version of the app.
fn update(change: impl FnOnce(&mut Progress)) {
    let (mut p, problem) = read();
    if problem.as_ref().is_some_and(|p| !p.repairs()) {
        return;
    }
    change(&mut p);
    write(&p);
}

/// Records a visit to a lesson.
pub fn record_visit(lesson: &str) {
    update(|p| p.visit(lesson));
}

/// Records the answer to a question, and whether it was right.
pub fn record_answer(lesson: &str, question: &str, right: bool) {
    update(|p| p.answer(lesson, question, right));
}

fn remember(lesson: &str, hash: &str) {
    update(|p| p.remember(lesson, hash));
}

/// The stored progress, read once when the component mounts.
#[hook]
pub fn use_progress() -> Rc<Progress> {
    (*use_state(|| Rc::new(read().0))).clone()
}

/// Checks the stored progress once per page load: a damaged or old document is repaired (what
/// can be kept is kept) and reported here once, dismissibly. Rendered by the app shell, so it
/// stays across navigations inside the app.
#[function_component(StorageNotice)]
pub fn storage_notice() -> Html {
    let problem = use_state(|| {
        let (p, problem) = read();
        if problem.as_ref().is_some_and(StoreProblem::repairs) {
            write(&p);
        }
        problem
    });
    let Some(msg) = problem.as_ref().map(ToString::to_string) else {
        return html! {};
    };
    let onclick = {
        let problem = problem.clone();
        Callback::from(move |_: MouseEvent| problem.set(None))
    };
    html! {
        <div class="banner storage-notice" data-testid="storage-notice" role="status">
            <span class="banner-icon">{ icons::warning() }</span>
            <div class="banner-body"><p>{ msg }</p></div>
            <button type="button" class="icon-button" data-testid="storage-notice-dismiss" aria-label="Dismiss" {onclick}>
                { icons::close() }
            </button>
        </div>
    }
}

/// Props of [`LessonMemory`].
#[derive(Properties, PartialEq)]
pub struct LessonMemoryProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// The share hash of the run now.
    pub hash: AttrValue,
    /// Whether the clock runs (the state is then saved when it stops, not every frame).
    pub playing: bool,
}

/// Remembers the lesson page: records the visit, saves the run's share link as the lesson's
/// last state whenever it changes (and when the page is left), and, on a lesson opened without
/// any state in its URL, offers to resume the last one. A visit that opened bare and changed
/// nothing does not overwrite the saved state, so it can still be resumed later.
#[function_component(LessonMemory)]
pub fn lesson_memory(props: &LessonMemoryProps) -> Html {
    let id = props.lesson.id.clone();
    // Read during the first render, before the page rewrites the URL to its full form.
    let opened = use_state(|| {
        let hash = gloo::utils::window().location().hash().unwrap_or_default();
        progress::is_bare_lesson_hash(&hash)
    });
    let initial = use_state(|| props.hash.clone());
    let saved = use_state(|| read().0.lesson(&id).last);
    let latest = use_mut_ref(|| props.hash.clone());
    *latest.borrow_mut() = props.hash.clone();
    let changed = props.hash != *initial;
    // Whether `hash` is worth saving: anything but an untouched bare visit.
    let keep = {
        let bare = *opened;
        let initial = (*initial).clone();
        move |hash: &AttrValue| !bare || *hash != initial
    };

    {
        let id = id.clone();
        let latest = latest.clone();
        let keep = keep.clone();
        use_effect_with((), move |_| {
            record_visit(&id);
            let save_latest = move || {
                let hash = latest.borrow().clone();
                if keep(&hash) {
                    remember(&id, &hash);
                }
            };
            let save = Rc::new(save_latest);
            let on_hide = {
                let save = save.clone();
                EventListener::new(&gloo::utils::window(), "pagehide", move |_| save())
            };
            move || {
                save();
                drop(on_hide);
            }
        });
    }
    {
        let id = id.clone();
        let key = (!props.playing).then(|| props.hash.clone());
        use_effect_with(key, move |key| {
            if let Some(hash) = key {
                if keep(hash) {
                    remember(&id, hash);
                }
            }
        });
    }

    let offer = match (*opened, &*saved) {
        (true, Some(last)) if !changed && last.as_str() != initial.as_str() => Some(last.clone()),
        _ => None,
    };
    let Some(last) = offer else {
        return html! {};
    };
    let what = describe(&props.lesson, &last);
    let resume = {
        let last = last.clone();
        Callback::from(move |_: MouseEvent| {
            let _ = gloo::utils::window().location().set_hash(&last);
        })
    };
    let dismiss = {
        let saved = saved.clone();
        Callback::from(move |_: MouseEvent| saved.set(None))
    };
    html! {
        <div class="banner resume-offer" data-testid="resume-offer" role="status">
            <div class="banner-body">
                <p class="banner-title">{ "You have been here before." }</p>
                <p class="muted">{ format!("Your last run of this lesson: {what}.") }</p>
            </div>
            <div class="resume-actions">
                <button type="button" class="button button-primary" data-testid="resume-button" onclick={resume}>
                    { "Resume where you left off" }
                </button>
                <button type="button" class="button button-ghost" data-testid="resume-dismiss" onclick={dismiss}>
                    { "Start fresh" }
                </button>
            </div>
        </div>
    }
}

/// "2 parameters changed, 1 intervention, at 2.500 s" for a saved link.
fn describe(lesson: &Lesson, hash: &str) -> String {
    let parsed = route::parse(hash, |id| {
        (id == lesson.id).then(|| Rc::new(lesson.clone()))
    });
    let route::Route::Lesson(r) = parsed.route else {
        return "saved".to_string();
    };
    let mut parts = Vec::new();
    if let Some(p) = r.preset.as_ref().and_then(|id| lesson.preset(id)) {
        parts.push(format!("preset “{}”", p.title));
    } else {
        let changed = lesson.changed_params(&r.params).len();
        if changed > 0 {
            parts.push(format!(
                "{} changed",
                crate::layout::format::count(changed as u64, "parameter", "parameters")
            ));
        }
    }
    if r.seed != lesson.seed {
        parts.push(format!("seed {}", r.seed));
    }
    if !r.inputs.is_empty() {
        parts.push(crate::layout::format::count(
            r.inputs.len() as u64,
            "intervention",
            "interventions",
        ));
    }
    if r.compare.is_some() {
        parts.push("compare mode".to_string());
    }
    parts.push(format!("at {}", r.t));
    parts.join(", ")
}

/// Props of [`ProgressBadges`].
#[derive(Properties, PartialEq)]
pub struct ProgressBadgesProps {
    /// The lesson.
    pub lesson: &'static catalog::Entry,
}

/// "Visited" and "2 of 3 questions" on a lesson card.
#[function_component(ProgressBadges)]
pub fn progress_badges(props: &ProgressBadgesProps) -> Html {
    let all = use_progress();
    let l = &props.lesson;
    let s: Summary = all.lesson(l.id).summary(l.questions.iter().copied());
    if !s.visited {
        return html! {};
    }
    let questions = (s.total > 0).then(|| {
        let title = format!(
            "{} of {} answered, {} right",
            s.answered, s.total, s.right
        );
        html! {
            <span class={classes!("progress-badge", (s.answered == s.total).then_some("is-complete"))}
                data-testid={format!("progress-questions-{}", l.id)} title={title.clone()} aria-label={title}>
                { format!("{} of {} questions", s.answered, s.total) }
            </span>
        }
    });
    html! {
        <span class="progress-badges">
            <span class="progress-badge is-visited" data-testid={format!("progress-visited-{}", l.id)}>
                { icons::check() }{ "Visited" }
            </span>
            { for questions }
        </span>
    }
}
