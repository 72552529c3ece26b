//! The embed view, `#/embed/<lesson>?…`: one lesson's run for an iframe on someone else's page.
//!
//! No site chrome: the diagram, the controls the URL asks for (`controls=none|play|full`), the
//! lesson's title (or the author's, `title=`) and summary unless `caption=0`, a small notice when part of the URL was
//! ignored, and a link back to the full lesson at the state shown. The diagram is fitted into
//! whatever frame it gets (any width, any height); [`use_height_messages`] tells the host page
//! how tall the embed would like to be. The run is the lesson page's: the same URL fields, the
//! same [`Playback`] reducer, the same diagrams and panels.

use crate::components::actions::{use_choices, ActionsPanel};
use crate::components::animation::use_animation_frames;
use crate::components::compare::CompareView;
use crate::components::embed_height::use_height_messages;
use crate::components::icons;
use crate::components::param_controls::ParamControls;
use crate::components::prefs::{ReducedMotion, ThemePref};
use crate::components::preset_menu::PresetMenu;
use crate::components::select_sync::use_select_value;
use crate::components::shortcuts::{use_shortcuts, Shortcut};
use crate::components::sweep_panel::SweepPanel;
use crate::diagrams::Diagram;
use crate::lessons;
use crate::playback::{Playback, PlaybackAction, SPEEDS};
use crate::route::embed::{
    fmt_speed, still_moment, Controls, EmbedOptions, EmbedRoute, EmbedTheme,
};
use crate::route::Route;
use sim::frame::Frame;
use sim::time::SimTime;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// The theme an embed URL forces on the app (`None`: not an embed; the stored preference).
pub fn forced_theme(route: &Route) -> Option<ThemePref> {
    match route {
        Route::Embed(r) => Some(match r.options.theme {
            EmbedTheme::Auto => ThemePref::Auto,
            EmbedTheme::Light => ThemePref::Light,
            EmbedTheme::Dark => ThemePref::Dark,
        }),
        _ => None,
    }
}

use crate::components::share::page_base;

/// ↗ (an arrow out of a box): opens elsewhere.
fn external_icon() -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d="M14 4h6v6M20 4l-9 9M18 14v5a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V7a1 1 0 0 1 1-1h5" />
        </svg>
    }
}

/// Props of [`EmbedPage`].
#[derive(Properties, PartialEq)]
pub struct EmbedPageProps {
    /// What the URL asked for.
    pub route: Rc<EmbedRoute>,
    /// What was wrong with the URL.
    pub notices: Rc<[String]>,
}

/// The embed (starts the run the URL describes, with its options).
#[function_component(EmbedPage)]
pub fn embed_page(props: &EmbedPageProps) -> Html {
    let reduced_motion = use_context::<ReducedMotion>().unwrap_or_default().0;
    let started = use_memo((), {
        let route = props.route.clone();
        move |_| {
            let run = route.lesson.as_ref()?;
            let lesson = lessons::find(&run.id)?;
            crate::components::trace_input::restore(&run.params);
            Some(Playback::from_route(lesson, run).map(|(p, notices)| {
                let o = &route.options;
                let mut p = p;
                p.speed = o.speed;
                if let Some(l) = o.loop_range {
                    p = p.with_loop(l.start, l.end);
                }
                // A reader who asked for less motion gets the point as a still: the state after
                // the event, not the frame before it.
                if reduced_motion {
                    let still = still_moment(run, o, p.until());
                    if still != p.now() {
                        p = (*Rc::new(p).reduce(PlaybackAction::Seek(still))).clone();
                    }
                }
                // Motion the reader did not start waits for them when they asked for less.
                let held = o.autoplay && reduced_motion;
                let p = if o.autoplay && !held {
                    Rc::new(p).reduce(PlaybackAction::Play)
                } else {
                    Rc::new(p)
                };
                (p, notices, held)
            }))
        }
    });
    match &*started {
        Some(Ok((playback, extra, held))) => {
            let notices: Rc<[String]> = props.notices.iter().chain(extra.iter()).cloned().collect();
            html! {
                <EmbedRunner initial={playback.clone()} options={Rc::new(props.route.options.clone())}
                    {notices} autoplay_held={*held} />
            }
        }
        Some(Err(e)) => html! {
            <EmbedMessage text={AttrValue::from(format!("This lesson could not start: {e}"))} notices={props.notices.clone()} />
        },
        None => html! {
            <EmbedMessage text={AttrValue::from(format!("There is no lesson “{}”.", props.route.id))} notices={props.notices.clone()} />
        },
    }
}

/// Props of [`EmbedMessage`].
#[derive(Properties, PartialEq)]
struct EmbedMessageProps {
    text: AttrValue,
    notices: Rc<[String]>,
}

/// An embed that cannot show its lesson: why, and a way to the playground.
#[function_component(EmbedMessage)]
fn embed_message(props: &EmbedMessageProps) -> Html {
    html! {
        <main class="embed embed-missing" data-testid="embed-missing">
            <EmbedNotices notices={props.notices.clone()} />
            <p>{ props.text.clone() }</p>
            <a class="embed-link" href={format!("{}#/", page_base())} target="_blank" rel="noopener">
                { "Browse System Design Playground" }{ external_icon() }
            </a>
        </main>
    }
}

/// Props of [`EmbedNotices`].
#[derive(Properties, PartialEq)]
struct EmbedNoticesProps {
    notices: Rc<[String]>,
}

/// A one-line notice that part of the URL was ignored; the reasons open below it.
#[function_component(EmbedNotices)]
fn embed_notices(props: &EmbedNoticesProps) -> Html {
    if props.notices.is_empty() {
        return html! {};
    }
    let n = props.notices.len();
    html! {
        <details class="embed-notices" data-testid="embed-notices" role="status">
            <summary>
                { icons::warning() }
                <span>{ if n == 1 { "1 part of this embed’s link was ignored".to_string() } else { format!("{n} parts of this embed’s link were ignored") } }</span>
            </summary>
            <ul>{ for props.notices.iter().map(|m| html! { <li>{ m }</li> }) }</ul>
        </details>
    }
}

/// Props of [`EmbedRunner`].
#[derive(Properties, PartialEq)]
struct EmbedRunnerProps {
    initial: Rc<Playback>,
    options: Rc<EmbedOptions>,
    notices: Rc<[String]>,
    /// `autoplay=1` was not honoured because the reader asked for reduced motion.
    autoplay_held: bool,
}

/// Owns the reducer and the clock; lays out caption, diagram and controls.
#[function_component(EmbedRunner)]
fn embed_runner(props: &EmbedRunnerProps) -> Html {
    let state = use_reducer({
        let initial = props.initial.clone();
        move || (*initial).clone()
    });
    let dispatch: Callback<PlaybackAction> = {
        let d = state.dispatcher();
        (*use_memo((), move |_| Callback::from(move |a| d.dispatch(a)))).clone()
    };
    let o = props.options.clone();
    let keys = o.controls != Controls::None || props.autoplay_held;
    use_animation_frames(state.playing, dispatch.reform(PlaybackAction::Tick));
    {
        let dispatch = dispatch.clone();
        use_shortcuts(Callback::from(move |s: Shortcut| {
            if let (true, Shortcut::Playback(a)) = (keys, s) {
                dispatch.emit(a);
            }
        }));
    }
    let reduced_motion = use_context::<ReducedMotion>().unwrap_or_default().0;
    let pb = Rc::new((*state).clone());
    let frame = {
        let pb = pb.clone();
        use_memo(pb.version, move |_| pb.sim().frame())
    };
    let comparing = pb.compare.is_some();
    let aspect = (!comparing).then(|| crate::diagrams::kind(&frame).aspect());
    let root = use_node_ref();
    let stage = use_node_ref();
    use_height_messages(
        root.clone(),
        stage.clone(),
        aspect,
        AttrValue::from(o.frame_id.clone()),
        AttrValue::from(pb.lesson.id.clone()),
    );

    let sweep_base = crate::components::sweep_panel::use_sweep_base(&pb);
    let lesson = pb.lesson.clone();
    let now = pb.now();
    let until = pb.until();
    let back_url = format!("{}{}", page_base(), pb.share_hash());
    let link_title = format!(
        "Open “{}” in System Design Playground at this moment",
        lesson.title
    );
    // The name comes from the text, so it starts with the words shown (long or short, by width)
    // and a voice user can say them; the hidden rest names the lesson for screen readers.
    let back_link = html! {
        <a class="embed-link" data-testid="embed-open" href={back_url} target="_blank" rel="noopener"
            title={link_title}>
            <span class="embed-link-long">{ "Open in System Design Playground" }</span>
            <span class="embed-link-short">{ "Full lesson" }</span>
            <span class="visually-hidden">{ format!(": “{}” at this moment (new tab)", lesson.title) }</span>
            { external_icon() }
        </a>
    };
    let diagram = if comparing {
        html! { <CompareView playback={pb.clone()} {reduced_motion} on_action={dispatch.clone()} /> }
    } else {
        html! { <div class="embed-fit"><Diagram frame={(*frame).clone()} {reduced_motion} /></div> }
    };
    let stage_style = aspect.map(|a| format!("--aspect: {a}"));
    let controls = match o.controls {
        Controls::None => html! {},
        Controls::Play => html! {
            <div class="embed-bar" data-testid="embed-controls">
                { play_button(pb.playing, &dispatch) }
                <Progress {now} {until} loop_range={pb.loop_range} />
                { clock(now) }
                { back_link.clone() }
            </div>
        },
        Controls::Full => html! {
            <>
                <div class="embed-bar embed-bar-full" data-testid="embed-controls">
                    <FullTransport playback={pb.clone()} on_action={dispatch.clone()} />
                </div>
                <FullPanels playback={pb.clone()} frame={frame.clone()} on_action={dispatch.clone()} />
                <div class="embed-foot">{ back_link.clone() }</div>
            </>
        },
    };

    html! {
        <main class="embed" ref={root} data-testid="embed" data-controls={o.controls.as_str()}
            data-playing={pb.playing.to_string()} data-sim-ms={format!("{}", now.as_us() as f64 / 1_000.0)}>
            if o.caption {
                <header class="embed-caption" data-testid="embed-caption">
                    <h1 class="embed-title" title={(!o.title.is_empty()).then(|| lesson.title.clone())}>
                        { if o.title.is_empty() { &lesson.title } else { &o.title } }
                    </h1>
                    <p class="embed-summary">{ &lesson.summary }</p>
                </header>
            }
            <EmbedNotices notices={props.notices.clone()} />
            <div ref={stage} class={classes!("embed-stage", aspect.is_some().then_some("is-fit"))} style={stage_style}
                data-testid="embed-stage">
                { diagram }
                if o.controls == Controls::None {
                    <div class="embed-overlay">
                        if props.autoplay_held {
                            { play_button(pb.playing, &dispatch) }
                        }
                        { back_link }
                    </div>
                }
            </div>
            { controls }
            if pb.sweep.is_some() {
                <section class="embed-sweep" aria-label="Sweep" data-testid="embed-sweep">
                    <SweepPanel base={sweep_base} on_action={dispatch.clone()} compact=true />
                </section>
            }
        </main>
    }
}

/// The round play/pause button.
fn play_button(playing: bool, on_action: &Callback<PlaybackAction>) -> Html {
    let label = if playing {
        "Pause (Space)"
    } else {
        "Play (Space)"
    };
    html! {
        <button type="button" class={classes!("play-button", "embed-play", playing.then_some("is-playing"))}
            data-testid="embed-play" aria-pressed={playing.to_string()} aria-label={label} title={label}
            onclick={on_action.reform(|_: MouseEvent| PlaybackAction::TogglePlay)}>
            { if playing { icons::pause() } else { icons::play() } }
        </button>
    }
}

/// The simulated clock.
fn clock(now: SimTime) -> Html {
    html! {
        <output class="sim-time embed-time" data-testid="embed-time" aria-live="off">{ now.to_string() }</output>
    }
}

/// Props of [`Progress`].
#[derive(Properties, PartialEq)]
struct ProgressProps {
    now: SimTime,
    until: SimTime,
    loop_range: Option<(SimTime, SimTime)>,
}

fn percent(t: SimTime, until: SimTime) -> f64 {
    (t.as_us() as f64 / until.as_us().max(1) as f64 * 100.0).clamp(0.0, 100.0)
}

/// How far the run has played (read-only), with the loop's span shaded.
#[function_component(Progress)]
fn progress(props: &ProgressProps) -> Html {
    let done = percent(props.now, props.until);
    html! {
        <div class="embed-progress" role="progressbar" aria-label="Simulated time"
            aria-valuemin="0" aria-valuemax={props.until.as_ms().to_string()} aria-valuenow={props.now.as_ms().to_string()}
            aria-valuetext={props.now.to_string()}>
            if let Some((a, b)) = props.loop_range {
                <span class="embed-progress-loop" style={format!("left: {:.3}%; width: {:.3}%", percent(a, props.until), percent(b, props.until) - percent(a, props.until))} />
            }
            <span class="embed-progress-done" style={format!("width: {done:.3}%")} />
        </div>
    }
}

/// Props of [`FullTransport`].
#[derive(Properties, PartialEq)]
struct FullTransportProps {
    playback: Rc<Playback>,
    on_action: Callback<PlaybackAction>,
}

/// Restart, step back, play, step forward, the scrubber, the clock and the speed, in one row
/// that wraps.
#[function_component(FullTransport)]
fn full_transport(props: &FullTransportProps) -> Html {
    let pb = &props.playback;
    let act = |a: PlaybackAction| props.on_action.reform(move |_: MouseEvent| a.clone());
    let until_ms = (pb.until().as_us() as f64 / 1_000.0).max(1.0);
    let now_ms = pb.now().as_us() as f64 / 1_000.0;
    let on_seek = props.on_action.reform(|e: InputEvent| {
        let input: HtmlInputElement = e.target_unchecked_into();
        let v = input.value().parse::<f64>().unwrap_or(0.0);
        PlaybackAction::Seek(SimTime::from_us((v.max(0.0) * 1_000.0).round() as u64))
    });
    let on_speed = {
        let cb = props.on_action.clone();
        Callback::from(move |e: Event| {
            let select: HtmlSelectElement = e.target_unchecked_into();
            if let Ok(v) = select.value().parse::<f64>() {
                cb.emit(PlaybackAction::SetSpeed(v));
            }
        })
    };
    let speed_node = use_node_ref();
    use_select_value(speed_node.clone(), fmt_speed(pb.speed));
    let mut speeds: Vec<f64> = SPEEDS.to_vec();
    if !speeds.contains(&pb.speed) {
        speeds.push(pb.speed);
        sim::order::sort_by(&mut speeds, f64::total_cmp);
    }
    html! {
        <>
            <div class="embed-buttons">
                <button type="button" class="icon-button" data-testid="embed-restart" aria-label="Restart (R)" title="Restart (R)"
                    onclick={act(PlaybackAction::Restart)}>{ icons::restart() }</button>
                <button type="button" class="icon-button" data-testid="embed-step-back" aria-label="Step back (←)" title="Step back (←)"
                    onclick={act(PlaybackAction::StepBack)}>{ icons::step_back() }</button>
                { play_button(pb.playing, &props.on_action) }
                <button type="button" class="icon-button" data-testid="embed-step" aria-label="Step forward (→)" title="Step forward to the next event (→)"
                    onclick={act(PlaybackAction::StepForward)}>{ icons::step_forward() }</button>
            </div>
            <div class="timeline-wrap embed-timeline" style={format!("--progress: {:.3}%", percent(pb.now(), pb.until()))}>
                <input type="range" class="timeline" data-testid="embed-timeline" aria-label="Simulated time (ms)"
                    min="0" max={until_ms.to_string()} step="any" value={now_ms.to_string()}
                    aria-valuetext={pb.now().to_string()} oninput={on_seek} />
            </div>
            { clock(pb.now()) }
            <label class="inline-field embed-speed">
                <span class="visually-hidden">{ "Speed" }</span>
                <select data-testid="embed-speed" ref={speed_node} onchange={on_speed} title="Simulated seconds per second">
                    { for speeds.iter().map(|s| html! {
                        <option value={fmt_speed(*s)} selected={*s == pb.speed}>{ format!("{}×", fmt_speed(*s)) }</option>
                    }) }
                </select>
            </label>
        </>
    }
}

/// Props of [`FullPanels`].
#[derive(Properties, PartialEq)]
struct FullPanelsProps {
    playback: Rc<Playback>,
    frame: Rc<Frame>,
    on_action: Callback<PlaybackAction>,
}

/// Callbacks derived from the dispatcher once, so the panels' props stay equal between frames.
struct PanelCallbacks {
    apply: Callback<sim::scenario::Input>,
    dismiss: Callback<()>,
    preset: Callback<String>,
    set_param: Callback<(String, String)>,
}

/// The interventions and the parameters, each folded under its heading.
#[function_component(FullPanels)]
fn full_panels(props: &FullPanelsProps) -> Html {
    let pb = props.playback.clone();
    let (specs, actions) = crate::playback::use_run_specs(&pb);
    let params = {
        let pb = pb.clone();
        use_memo(pb.run_key(), move |_| pb.sim().params().clone())
    };
    let choices = use_choices(pb.sim().as_ref(), &actions);
    let colors = use_memo(crate::diagrams::server_colors(&props.frame), |c| c.clone());
    let cbs = use_memo(props.on_action.clone(), |a| PanelCallbacks {
        apply: a.reform(PlaybackAction::Apply),
        dismiss: a.reform(|()| PlaybackAction::DismissActionError),
        preset: a.reform(PlaybackAction::LoadPreset),
        set_param: a.reform(|(n, v)| PlaybackAction::SetParam(n, v)),
    });
    let active: Option<AttrValue> = pb.preset.clone().map(AttrValue::from);
    html! {
        <div class="embed-panels">
            <details class="embed-panel" data-testid="embed-interventions">
                <summary>{ "Intervene" }<span class="muted">{ format!(" at {}", pb.now()) }</span></summary>
                <ActionsPanel actions={actions} {choices} colors={colors}
                    error={pb.action_error.clone()} on_apply={cbs.apply.clone()}
                    on_dismiss_error={cbs.dismiss.clone()} />
            </details>
            <details class="embed-panel" data-testid="embed-parameters">
                <summary>{ "Parameters" }</summary>
                <PresetMenu lesson={pb.lesson.clone()} {active} on_load={cbs.preset.clone()} />
                <ParamControls specs={specs} values={params} errors={pb.param_errors.clone()}
                    on_set={cbs.set_param.clone()} />
            </details>
        </div>
    }
}
