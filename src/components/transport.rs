//! The transport: play/pause, step, restart, speed, the timeline scrubber with event marks, the
//! simulated clock, the seed, and the share link.

use crate::components::embed_dialog::EmbedButton;
use crate::components::icons;
use crate::components::select_sync::use_select_value;
use crate::components::share::ShareLink;
use crate::playback::{PlaybackAction, SPEEDS};
use sim::time::SimTime;
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What a timeline mark stands for.
#[derive(Clone, Debug, PartialEq)]
pub enum MarkKind {
    /// A learner's or preset's input.
    Input,
    /// A milestone the model recorded.
    Milestone,
    /// A refused input.
    Rejected,
}

/// A mark under the timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// When.
    pub at: SimTime,
    /// What kind.
    pub kind: MarkKind,
    /// Tooltip.
    pub label: AttrValue,
}

/// Which part of the transport a [`Transport`] draws: the lesson page pins the clock part (with
/// the diagram) on phones and lets the settings scroll.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum TransportPart {
    /// Both rows.
    #[default]
    All,
    /// Restart, step, play, the timeline and the clock.
    Clock,
    /// Speed, seed, shortcuts, share and embed.
    Settings,
}

/// Props of [`Transport`].
#[derive(Properties, PartialEq)]
pub struct TransportProps {
    /// Whether the clock runs.
    pub playing: bool,
    /// Now.
    pub now: SimTime,
    /// The end of the timeline.
    pub until: SimTime,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// The run's seed.
    pub seed: u64,
    /// Marks under the timeline.
    pub marks: Rc<[Mark]>,
    /// The full share URL.
    pub share_url: AttrValue,
    /// Sends playback actions.
    pub on_action: Callback<PlaybackAction>,
    /// Opens the keyboard shortcuts dialog.
    pub on_shortcuts: Callback<()>,
    /// Which rows to draw.
    #[prop_or_default]
    pub part: TransportPart,
}

fn speed_text(s: f64) -> String {
    // 0.25 → "0.25", 1 → "1".
    let t = format!("{s}");
    t.strip_suffix(".0").map(str::to_string).unwrap_or(t)
}

fn ms(t: SimTime) -> f64 {
    t.as_us() as f64 / 1_000.0
}

/// Play/pause, step, restart, speed, timeline, clock, seed and share link.
#[function_component(Transport)]
pub fn transport(props: &TransportProps) -> Html {
    let act = |a: PlaybackAction| {
        let cb = props.on_action.clone();
        Callback::from(move |_: MouseEvent| cb.emit(a.clone()))
    };
    let on_seek = {
        let cb = props.on_action.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            if let Ok(v) = input.value().parse::<f64>() {
                cb.emit(PlaybackAction::Seek(SimTime::from_us(
                    (v.max(0.0) * 1_000.0).round() as u64,
                )));
            }
        })
    };
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
    use_select_value(speed_node.clone(), speed_text(props.speed));
    let seed_error = use_state(|| None::<String>);
    let on_seed = {
        let cb = props.on_action.clone();
        let seed_error = seed_error.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            match input.value().trim().parse::<u64>() {
                Ok(s) => {
                    seed_error.set(None);
                    cb.emit(PlaybackAction::SetSeed(s));
                }
                Err(_) => seed_error.set(Some(format!(
                    "seed: {:?} is not allowed; expected a whole number from 0 to {}",
                    input.value(),
                    u64::MAX
                ))),
            }
        })
    };
    let until_ms = ms(props.until).max(1.0);
    let pct = |t: SimTime| format!("{:.3}%", (ms(t) / until_ms * 100.0).clamp(0.0, 100.0));
    let progress = pct(props.now);
    let play_label = if props.playing { "Pause" } else { "Play" };

    let clock = props.part != TransportPart::Settings;
    let settings = props.part != TransportPart::Clock;
    html! {
        <div class={classes!("transport", (!clock).then_some("transport-extra"))} role="group"
            aria-label={if clock { "Playback" } else { "Playback settings" }}>
            if clock {
            <div class="transport-row">
                <div class="transport-buttons">
                    <button type="button" class="icon-button" data-testid="restart-button" aria-keyshortcuts="r"
                        aria-label="Restart (R)" title="Restart (R)" onclick={act(PlaybackAction::Restart)}>
                        { icons::restart() }
                    </button>
                    <button type="button" class="icon-button" data-testid="step-back-button" aria-keyshortcuts="ArrowLeft"
                        aria-label="Step back (←)" title="Step back (←)" onclick={act(PlaybackAction::StepBack)}>
                        { icons::step_back() }
                    </button>
                    <button type="button" class={classes!("play-button", props.playing.then_some("is-playing"))}
                        data-testid="play-button" aria-pressed={props.playing.to_string()} aria-keyshortcuts="Space"
                        aria-label={format!("{play_label} (Space)")} title={format!("{play_label} (Space)")}
                        onclick={act(PlaybackAction::TogglePlay)}>
                        { if props.playing { icons::pause() } else { icons::play() } }
                    </button>
                    <button type="button" class="icon-button" data-testid="step-button" aria-keyshortcuts="ArrowRight"
                        aria-label="Step forward (→)" title="Step forward to the next event (→)"
                        onclick={act(PlaybackAction::StepForward)}>
                        { icons::step_forward() }
                    </button>
                </div>
                <div class="timeline-wrap" style={format!("--progress: {progress}")}>
                    <input type="range" class="timeline" data-testid="timeline" aria-label="Simulated time (ms)"
                        min="0" max={until_ms.to_string()} step="any" value={ms(props.now).to_string()}
                        aria-valuetext={props.now.to_string()} oninput={on_seek} />
                    <div class="timeline-marks" aria-hidden="true">
                        { for props.marks.iter().map(|m| {
                            let class = match m.kind {
                                MarkKind::Input => "mark mark-input",
                                MarkKind::Milestone => "mark mark-milestone",
                                MarkKind::Rejected => "mark mark-rejected",
                            };
                            html! { <span class={class} style={format!("left: {}", pct(m.at))} title={m.label.clone()} /> }
                        }) }
                    </div>
                </div>
                <output class="sim-time" data-testid="sim-time" aria-live="off">{ props.now.to_string() }</output>
            </div>
            }
            if settings {
            <div class="transport-row transport-settings">
                <label class="inline-field">
                    <span class="field-label">{ "Speed" }</span>
                    <select data-testid="speed-select" ref={speed_node} onchange={on_speed}>
                        { for SPEEDS.iter().map(|s| html! {
                            <option value={speed_text(*s)} selected={*s == props.speed}>{ format!("{}×", speed_text(*s)) }</option>
                        }) }
                    </select>
                </label>
                <label class="inline-field">
                    <span class="field-label">{ "Seed" }</span>
                    <input type="number" class="seed-input" data-testid="seed-input" min="0" step="1" inputmode="numeric"
                        value={props.seed.to_string()} onchange={on_seed}
                        aria-invalid={seed_error.is_some().then_some("true")}
                        title="Every random draw of the run comes from this seed: the same seed gives the same run." />
                </label>
                <span class="spacer" />
                <button type="button" class="text-button" aria-label="Keyboard shortcuts (?)"
                    onclick={props.on_shortcuts.reform(|_: MouseEvent| ())}>
                    { icons::keyboard() }<span class="hide-narrow">{ "Shortcuts" }</span>
                </button>
                <ShareLink url={props.share_url.clone()} />
                <EmbedButton share_url={props.share_url.clone()} />
            </div>
            if let Some(msg) = (*seed_error).clone() {
                <p class="field-error" role="alert">{ msg }</p>
            }
            }
        </div>
    }
}
