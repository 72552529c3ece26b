//! The lesson page: prose and guided steps on one side; the diagram, transport, interventions,
//! metrics, parameters and event log on the other. Owns the playback reducer, the animation
//! loop, the keyboard shortcuts and keeping the URL in step with the run.

use crate::components::actions::{use_choices, ActionsPanel};
use crate::components::animation::use_animation_frames;
use crate::components::code_view::CodeView;
use crate::components::compare::CompareView;
use crate::components::event_log::EventLog;
use crate::components::load_chart::LoadChart;
use crate::components::metrics::MetricsPanel;
use crate::components::notices::UrlNotices;
use crate::components::offline::LessonDownload;
use crate::components::param_controls::ParamControls;
use crate::components::prefs::ReducedMotion;
use crate::components::preset_menu::PresetMenu;
use crate::components::progress::LessonMemory;
use crate::components::run_tools::RunTools;
use crate::components::shortcuts::{use_shortcuts, Shortcut, ShortcutsDialog};
use crate::components::steps::{StepFollowUp, StepGuide};
use crate::components::sweep_chart::MarkValue;
use crate::components::sweep_panel::SweepPanel;
use crate::components::trace_input::TraceInput;
use crate::components::transport::{Mark, MarkKind, Transport, TransportPart};
use crate::diagrams::Diagram;
use crate::lessons;
use crate::playback::{Playback, PlaybackAction};
use crate::route::LessonRoute;
use sim::lesson::Lesson;
use sim::time::SimTime;
use sim::trace::TraceLine;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`LessonPage`].
#[derive(Properties, PartialEq)]
pub struct LessonPageProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// What the URL asked for.
    pub route: Rc<LessonRoute>,
    /// What was wrong with the URL.
    pub notices: Rc<[String]>,
}

#[derive(Clone, Copy, PartialEq)]
enum Tab {
    Lesson,
    Code,
}

use crate::components::share::page_base;

fn replace_hash(hash: &str) {
    let window = gloo::utils::window();
    if window.location().hash().ok().as_deref() == Some(hash) {
        return;
    }
    if let Ok(h) = window.history() {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash));
    }
}

/// Callbacks derived from the dispatcher once, so they compare equal across renders.
struct ViewCallbacks {
    preset: Callback<String>,
    apply: Callback<sim::scenario::Input>,
    dismiss: Callback<()>,
    set_param: Callback<(String, String)>,
    check: Callback<String>,
}

/// Props of [`LessonView`].
#[derive(Properties, PartialEq)]
struct LessonViewProps {
    playback: Rc<Playback>,
    notices: Rc<[String]>,
    on_action: Callback<PlaybackAction>,
    on_shortcuts: Callback<()>,
}

/// The lesson page (starts the run the URL describes).
#[function_component(LessonPage)]
pub fn lesson_page(props: &LessonPageProps) -> Html {
    let started = use_memo((), {
        let lesson = props.lesson.clone();
        let route = props.route.clone();
        move |_| {
            crate::components::trace_input::restore(&route.params);
            Playback::from_route(lesson, &route)
        }
    });
    match &*started {
        Ok((playback, extra)) => {
            let notices: Rc<[String]> = props.notices.iter().chain(extra.iter()).cloned().collect();
            html! { <LessonRunner initial={Rc::new(playback.clone())} {notices} /> }
        }
        Err(e) => html! {
            <div class="banner banner-error" data-testid="lesson-error" role="alert">
                <p>{ format!("This lesson could not start: {e}") }</p>
                <a href="#/">{ "Back to all lessons" }</a>
            </div>
        },
    }
}

/// Props of [`LessonRunner`].
#[derive(Properties, PartialEq)]
struct LessonRunnerProps {
    initial: Rc<Playback>,
    notices: Rc<[String]>,
}

/// Owns the reducer, the clock, the shortcuts and the URL.
#[function_component(LessonRunner)]
fn lesson_runner(props: &LessonRunnerProps) -> Html {
    let state = use_reducer({
        let initial = props.initial.clone();
        move || (*initial).clone()
    });
    // One callback for the page's lifetime, so children's props stay equal between frames.
    let dispatch: Callback<PlaybackAction> = {
        let d = state.dispatcher();
        (*use_memo((), move |_| Callback::from(move |a| d.dispatch(a)))).clone()
    };
    let shortcuts_open = use_state(|| false);

    use_animation_frames(state.playing, dispatch.reform(PlaybackAction::Tick));
    {
        let dispatch = dispatch.clone();
        let open = shortcuts_open.setter();
        use_shortcuts(Callback::from(move |s: Shortcut| match s {
            Shortcut::Playback(a) | Shortcut::Step(a) => dispatch.emit(a),
            Shortcut::Help => open.set(true),
            Shortcut::Close => open.set(false),
        }));
    }

    // The URL follows the run: every change while paused, only changes to the run itself while
    // playing (not sixty time updates a second).
    let hash = state.share_hash();
    {
        let key = if state.playing {
            (state.run_key(), true)
        } else {
            (hash.clone(), false)
        };
        let hash = hash.clone();
        use_effect_with(key, move |_| replace_hash(&hash));
    }

    let open_shortcuts = {
        let o = shortcuts_open.setter();
        (*use_memo((), move |_| Callback::from(move |()| o.set(true)))).clone()
    };

    html! {
        <>
            <LessonMemory lesson={state.lesson.clone()} hash={AttrValue::from(hash.clone())} playing={state.playing} />
            <LessonView playback={Rc::new((*state).clone())} notices={props.notices.clone()} on_action={dispatch}
                on_shortcuts={open_shortcuts} />
            if *shortcuts_open {
                <ShortcutsDialog on_close={{ let o = shortcuts_open.clone(); Callback::from(move |()| o.set(false)) }} />
            }
        </>
    }
}

/// Everything the lesson page shows for one state of the run.
#[function_component(LessonView)]
fn lesson_view(props: &LessonViewProps) -> Html {
    let pb = &props.playback;
    let lesson = pb.lesson.clone();
    let version = pb.version;
    let reduced_motion = use_context::<ReducedMotion>().unwrap_or_default().0;
    let tab = use_state(|| Tab::Lesson);
    // What is below the first screen is built after the first paint (see `use_deferred`).
    let below_fold = crate::components::deferred::use_deferred();

    let frame = {
        let pb = pb.clone();
        use_memo(version, move |_| pb.sim().frame())
    };
    let metrics = {
        let pb = pb.clone();
        use_memo(version, move |_| pb.sim().metrics())
    };
    // Memoised by value: the same servers give the same `Rc`, so the panels that take them skip
    // re-rendering while only the clock moves.
    let colors = use_memo(crate::diagrams::server_colors(&frame), |c| c.clone());
    let (specs, actions) = crate::playback::use_run_specs(pb);
    let run_key = pb.run_key();
    let params = {
        let pb = pb.clone();
        use_memo(run_key.clone(), move |_| pb.sim().params().clone())
    };
    // While playing, the log and the timeline marks refresh a few times per simulated second
    // rather than every frame: narrating the whole trace is the costliest thing on the page, and
    // a screen reader cannot keep up with sixty updates a second anyway.
    let trace_len = pb.sim().trace_len();
    let trace_key = if pb.playing {
        (pb.now().as_us() / 250_000, true)
    } else {
        (trace_len, false)
    };
    let lines: Rc<[TraceLine]> = {
        let pb = pb.clone();
        (*use_memo((run_key.clone(), trace_key), move |_| -> Rc<[TraceLine]> {
            pb.sim().trace_lines().into()
        }))
        .clone()
    };
    let choices = use_choices(pb.sim().as_ref(), &actions);
    let marks: Rc<[Mark]> = {
        let pb = pb.clone();
        let lines = lines.clone();
        (*use_memo((run_key.clone(), lines.len()), move |_| -> Rc<[Mark]> {
            let sim = pb.sim();
            let actions = sim.actions();
            let inputs = sim.inputs().iter().map(|i| Mark {
                at: i.at,
                kind: MarkKind::Input,
                label: format!(
                    "{} — {}",
                    i.at,
                    sim::model::describe_input(actions, &i.input)
                )
                .into(),
            });
            let milestones = lines
                .iter()
                .filter(|l| l.milestone && l.time > SimTime::ZERO)
                .map(|l| Mark {
                    at: l.time,
                    kind: if l.rejected {
                        MarkKind::Rejected
                    } else {
                        MarkKind::Milestone
                    },
                    label: format!("{} — {}", l.time, l.text).into(),
                });
            inputs.chain(milestones).collect()
        }))
        .clone()
    };

    let sweep_base = crate::components::sweep_panel::use_sweep_base(pb);
    // A sweep drawn beside the diagram, following the run (`beside = true`).
    let beside: Option<Rc<sim::sweep::SweepDef>> = (*use_memo(lesson.id.clone(), {
        let lesson = lesson.clone();
        move |_| {
            lesson
                .sweeps
                .iter()
                .find(|s| s.beside)
                .cloned()
                .map(Rc::new)
        }
    }))
    .clone();
    let beside_base = crate::components::sweep_panel::use_sweep_base_for(pb, beside.clone());
    let beside_now = beside.as_ref().and_then(|d| {
        let id = d.metrics.first()?;
        let v = metrics.scalars.iter().find(|m| m.id == id.as_str())?;
        // Rounded to about a pixel of the plot: the ring (the only part of the chart that reads
        // it) redraws when it would move, not on every frame.
        v.value.as_f64().map(|y| (y * 500.0).round() / 500.0)
    });
    let share_url: AttrValue = format!("{}{}", page_base(), pb.share_hash()).into();
    let family = lessons::family(&lesson.family);
    let on_action = props.on_action.clone();
    let cbs = use_memo(on_action.clone(), |a| ViewCallbacks {
        preset: a.reform(PlaybackAction::LoadPreset),
        apply: a.reform(PlaybackAction::Apply),
        dismiss: a.reform(|()| PlaybackAction::DismissActionError),
        set_param: a.reform(|(n, v)| PlaybackAction::SetParam(n, v)),
        check: a.reform(PlaybackAction::CheckQuestion),
    });
    let on_preset = cbs.preset.clone();
    let active_preset: Option<AttrValue> = pb.preset.clone().map(AttrValue::from);
    let set_tab = |t: Tab| {
        let tab = tab.clone();
        Callback::from(move |_: MouseEvent| tab.set(t))
    };
    let (now, until, playing, speed, seed) = {
        let s = pb.sim();
        (s.now(), s.until(), pb.playing, pb.speed, s.seed())
    };

    let comparing = pb.compare.is_some();
    let open_compare = {
        let a = on_action.clone();
        Callback::from(move |_: MouseEvent| a.emit(PlaybackAction::SetCompare(Some(Vec::new()))))
    };

    // The step's focus: the metrics it names (the rest behind "All metrics").
    let step = lesson.steps.get(pb.step);
    let focus: Rc<[String]> = {
        let step_metrics = step.map(|s| s.metrics.clone()).unwrap_or_default();
        let metrics = metrics.clone();
        (*use_memo((pb.step, run_key.clone()), move |_| -> Rc<[String]> {
            crate::components::metrics::focus_ids(&metrics, &step_metrics).into()
        }))
        .clone()
    };
    let other_count = metrics.scalars.len().saturating_sub(focus.len());
    // Questions answered on this visit: a step's giveaway labels stay hidden until its questions
    // are answered.
    let answered = use_state(|| Rc::new(std::collections::BTreeSet::<String>::new()));
    let on_answered = {
        let answered = answered.clone();
        (*use_memo((), move |_| {
            Callback::from(move |id: String| {
                let mut set = (**answered).clone();
                if set.insert(id) {
                    answered.set(Rc::new(set));
                }
            })
        }))
        .clone()
    };
    let on_check = cbs.check.clone();
    // While a question's run plays towards the moment its answer is read, the answer waits.
    let running_question: Option<AttrValue> = pb
        .checking
        .as_ref()
        .filter(|_| pb.playing && pb.pause_at.is_some())
        .map(|id| AttrValue::from(id.to_string()));
    // What an unanswered question of this step would give away stays hidden until it is answered.
    let step_number = pb.step as u32 + 1;
    let open_questions: Vec<&sim::lesson::Question> = lesson
        .questions
        .iter()
        .filter(|q| q.step == Some(step_number) && !answered.contains(&q.id))
        .collect();
    let conceal = !open_questions.is_empty();
    // The entities this step is about, emphasised in the diagram.
    let highlight: Rc<[String]> = {
        let names = step.map(|s| s.highlight.clone()).unwrap_or_default();
        (*use_memo(pb.step, move |_| -> Rc<[String]> { names.into() })).clone()
    };
    let concealed: Rc<[String]> = open_questions
        .iter()
        .flat_map(|q| q.concealed_metrics())
        .map(str::to_string)
        .collect();
    // The tabs are one Tab stop; ←/→ (and Home/End) move between them, as in a tab list.
    let on_tabs_key = {
        let tab = tab.clone();
        Callback::from(move |e: KeyboardEvent| {
            let to = match e.key().as_str() {
                "ArrowLeft" | "Home" => Tab::Lesson,
                "ArrowRight" | "End" => Tab::Code,
                _ => return,
            };
            e.prevent_default();
            tab.set(to);
            use wasm_bindgen::JsCast;
            let id = if to == Tab::Lesson {
                "tab-lesson"
            } else {
                "tab-code"
            };
            if let Some(b) = gloo::utils::document()
                .get_element_by_id(id)
                .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = b.focus();
            }
        })
    };
    let skip_to_stage = Callback::from(|e: MouseEvent| {
        e.prevent_default();
        use wasm_bindgen::JsCast;
        if let Some(stage) = gloo::utils::document()
            .get_element_by_id("stage")
            .and_then(|s| s.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = stage.focus();
        }
    });

    html! {
        <div class="lesson-page" data-testid="lesson-page">
            <a class="skip-link" href="#stage" data-testid="skip-to-stage" onclick={skip_to_stage}>{ "Skip to the diagram" }</a>
            <UrlNotices notices={props.notices.clone()} />
            <div class={classes!("lesson-grid", (*tab == Tab::Code).then_some("is-code"), comparing.then_some("is-compare"))}>
                <header class="lesson-head">
                    <nav class="breadcrumbs" aria-label="Breadcrumb">
                        <a href="#/">{ "Lessons" }</a>
                        <span aria-hidden="true">{ "/" }</span>
                        <span>{ family.map(|f| f.title).unwrap_or("") }</span>
                    </nav>
                    <h1 class="lesson-title">{ &lesson.title }</h1>
                    <p class="lead">{ &lesson.summary }</p>
                </header>
                <div class="tabs" role="tablist" aria-label="Lesson or code" onkeydown={on_tabs_key}>
                    <button type="button" role="tab" id="tab-lesson" class="tab" data-testid="tab-lesson"
                        aria-selected={(*tab == Tab::Lesson).to_string()} aria-controls="tabpanel"
                        tabindex={if *tab == Tab::Lesson { "0" } else { "-1" }}
                        onclick={set_tab(Tab::Lesson)}>{ "Lesson" }</button>
                    <button type="button" role="tab" id="tab-code" class="tab" data-testid="tab-code"
                        aria-selected={(*tab == Tab::Code).to_string()} aria-controls="tabpanel"
                        tabindex={if *tab == Tab::Code { "0" } else { "-1" }}
                        onclick={set_tab(Tab::Code)}>{ "Code" }</button>
                </div>
                <div id="tabpanel" class="tabpanel" role="tabpanel"
                    aria-labelledby={if *tab == Tab::Lesson { "tab-lesson" } else { "tab-code" }}>
                    if *tab == Tab::Lesson {
                        <StepGuide lesson={lesson.clone()} index={pb.step} playing={pb.playing}
                            pausing={pb.pause_at.is_some()} on_action={on_action.clone()} />
                    } else {
                        <CodeView lesson={lesson.clone()} />
                    }
                </div>
                <section id="stage" class="card stage" aria-label="Simulation" tabindex="-1" data-testid="stage">
                    <div class="stage-pin" data-testid="stage-pin">
                        // Compare mode takes the diagram's place (nothing above or beside it moves) and
                        // has the one way back, its Close button.
                        if !lesson.compare.is_empty() && !comparing {
                            <div class="stage-tools">
                                <button type="button" class="button button-secondary" data-testid="compare-toggle"
                                    onclick={open_compare}
                                    title="Run the lesson's strategies side by side on this seed, these parameters and this timeline">
                                    { "Compare strategies" }
                                </button>
                            </div>
                        }
                        if comparing {
                            <CompareView playback={pb.clone()} {reduced_motion} on_action={on_action.clone()} />
                        } else {
                            <div class="diagram-wrap">
                                <Diagram frame={(*frame).clone()} {reduced_motion} {highlight} {conceal} />
                            </div>
                        }
                        <Transport {playing} {now} {until} {speed} {seed} marks={marks.clone()}
                            share_url={share_url.clone()} on_action={on_action.clone()}
                            on_shortcuts={props.on_shortcuts.clone()} part={TransportPart::Clock} />
                    </div>
                    <Transport {playing} {now} {until} {speed} {seed} {marks}
                        {share_url} on_action={on_action.clone()}
                        on_shortcuts={props.on_shortcuts.clone()} part={TransportPart::Settings} />
                    // Kept while comparing (hidden by CSS: the columns show theirs), so the page's
                    // own figures stay readable by tests and the layout does not jump.
                    <MetricsPanel metrics={metrics.clone()} ids={focus.clone()} focus=true concealed={concealed.clone()} />
                    if let (Some(d), true, false) = (&beside, below_fold, comparing) {
                        <section class="live-sweep" aria-label={d.title.clone()} data-testid="live-sweep">
                            // A curve of a metric an open question hides would give its answer
                            // away: it waits for the answer.
                            if d.metrics.iter().any(|m| concealed.iter().any(|c| c == m)) {
                                <p class="muted" data-testid="live-sweep-concealed">
                                    { format!("{}: shown once you have answered this step's question.", d.title) }
                                </p>
                            } else {
                                <ContextProvider<MarkValue> context={MarkValue(beside_now)}>
                                    <SweepPanel base={beside_base} on_action={on_action.clone()} live=true follow=true />
                                </ContextProvider<MarkValue>>
                            }
                            if !d.description.is_empty() {
                                <div class="sweep-description muted">
                                    { Html::from_html_unchecked(AttrValue::from(d.description.clone())) }
                                </div>
                            }
                        </section>
                    }
                </section>
                if *tab == Tab::Lesson && below_fold {
                    <StepFollowUp lesson={lesson.clone()} index={pb.step} answered={(*answered).clone()}
                        {on_check} {on_answered} running={running_question} />
                }
            </div>
            <div class="workbench">
                <section class="card interventions" aria-labelledby="interventions-title">
                    <div class="card-head">
                        <h2 class="card-title" id="interventions-title">{ "Intervene" }</h2>
                        <span class="card-hint muted">{ format!("Applied at {now}") }</span>
                    </div>
                    if below_fold {
                        <ActionsPanel actions={actions} {choices} colors={colors.clone()}
                            error={pb.action_error.clone()} on_apply={cbs.apply.clone()}
                            on_dismiss_error={cbs.dismiss.clone()} />
                    }
                </section>
                if below_fold {
                    <div class="results" hidden={comparing}>
                        <section class="card" aria-labelledby="metrics-title">
                            <details class="all-metrics" data-testid="all-metrics">
                                <summary><h2 class="card-title" id="metrics-title">{ format!("All metrics ({other_count} more)") }</h2></summary>
                                <MetricsPanel metrics={metrics.clone()} ids={focus.clone()} {concealed} />
                            </details>
                        </section>
                        <div class="results-side">
                            <section class="card" aria-label={crate::diagrams::kind(&frame).load_label()}>
                                <LoadChart metrics={metrics.clone()} colors={colors.clone()} />
                            </section>
                            <EventLog lines={lines} />
                        </div>
                    </div>
                }
                <section class="card parameters" aria-labelledby="params-title">
                    <div class="card-head">
                        <h2 class="card-title" id="params-title">{ "Parameters" }</h2>
                        <span class="card-hint muted">{ "Changes rebuild the run with the same seed and interventions." }</span>
                    </div>
                    if below_fold {
                        <PresetMenu lesson={lesson.clone()} active={active_preset} on_load={on_preset} />
                        if specs.iter().any(|s| s.name == sim::cache::attach::TRACE_PARAM) {
                            <TraceInput current={params.get(sim::cache::attach::TRACE_PARAM)
                                .map(|v| AttrValue::from(v.to_text())).unwrap_or_default()}
                                on_set={cbs.set_param.clone()} />
                        }
                        <ParamControls specs={specs} values={params} errors={pb.param_errors.clone()}
                            on_set={cbs.set_param.clone()} />
                    }
                </section>
                <section class="card sweep-card" aria-labelledby="sweep-title" data-testid="sweep-card">
                    <div class="card-head">
                        <h2 class="card-title" id="sweep-title">{ "Sweep" }</h2>
                        <span class="card-hint muted">{ "One parameter across a range, many seeds per point, in the background." }</span>
                    </div>
                    if below_fold {
                        <SweepPanel base={sweep_base} on_action={on_action.clone()} />
                    }
                </section>
                <section class="card" aria-label="Save and load">
                    <RunTools playback={pb.clone()} />
                    <LessonDownload lesson_id={AttrValue::from(lesson.id.clone())} />
                </section>
            </div>
        </div>
    }
}
