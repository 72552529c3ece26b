//! The Sweep panel: a parameter across a range and many seeds over the current run, drawn as a
//! chart. The lesson's declared sweeps are one press each; any numeric parameter and metric can
//! be swept from the form. The runs go to a background worker ([`crate::sweep_runner`]) and
//! stream back; the panel shows progress, an estimate and a Cancel button, and says so when the
//! runs fall back to this page's own thread.
//!
//! The sweep shown is part of the run's state ([`Playback::sweep`]), so the link and the run file
//! carry it; its results are not: a link reproduces them by running the sweep again, which gives
//! the same numbers (a sweep is a function of the lesson, the run's parameters, its inputs, the
//! definition and the base seed).

use crate::components::sweep_chart::{ChartMark, SweepChart};
use crate::playback::{Playback, PlaybackAction};
use crate::sweep_runner::{self, Mode, SweepEvent, SweepHandle};
use gloo::timers::callback::Timeout;
use sim::model::MetricValue;
use sim::params::{ParamKind, ParamSpec};
use sim::sweep::JobResult;
use sim::sweep::{SweepDef, SweepRequest, SweepResult, MAX_METRICS};
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// What a sweep is built on: the run's lesson, parameters, seed, inputs and end, the sweep shown
/// and the model's parameters and numeric metrics. It changes only when the run does (not as
/// its clock moves), so the panel does not re-render with every frame.
#[derive(Clone, PartialEq)]
pub struct SweepBase {
    lesson: Rc<sim::lesson::Lesson>,
    params: sim::params::ParamSet,
    seed: u64,
    inputs: Vec<sim::scenario::TimedInput>,
    until: sim::time::SimTime,
    sweep: Option<Rc<SweepDef>>,
    /// The model's numeric parameters.
    specs: Rc<[ParamSpec]>,
    /// The model's numeric metrics: id and label, in the model's order.
    metrics: Rc<[(String, String)]>,
}

impl SweepBase {
    fn request(&self, def: &SweepDef) -> Result<SweepRequest, String> {
        SweepRequest::new(
            &self.lesson,
            &self.params,
            self.seed,
            &self.inputs,
            self.until,
            def,
        )
        .map_err(|e| e.to_string())
    }
}

/// The [`SweepBase`] of a playback, rebuilt only when its run or its sweep changes.
#[hook]
pub fn use_sweep_base(pb: &Playback) -> Rc<SweepBase> {
    use_sweep_base_for(pb, pb.sweep.clone())
}

/// The [`SweepBase`] of a playback for the sweep `sweep` (a lesson's `beside` sweep rather than
/// the one the Sweep card shows).
#[hook]
pub fn use_sweep_base_for(pb: &Playback, sweep: Option<Rc<SweepDef>>) -> Rc<SweepBase> {
    let pb = pb.clone();
    use_memo((pb.run_key(), sweep), move |(_, sweep)| {
        let sim = pb.sim();
        SweepBase {
            lesson: pb.lesson.clone(),
            params: sim.params().clone(),
            seed: sim.seed(),
            inputs: sim.inputs().to_vec(),
            until: sim.until(),
            sweep: sweep.clone(),
            specs: sim
                .specs()
                .iter()
                .filter(|s| matches!(s.kind, ParamKind::Int { .. } | ParamKind::Float { .. }))
                .cloned()
                .collect(),
            metrics: sim
                .metrics()
                .scalars
                .iter()
                .filter(|m| !matches!(m.value, MetricValue::Text(_)))
                .map(|m| (m.id.to_string(), m.label.to_string()))
                .collect(),
        }
    })
}

/// Props of [`SweepPanel`].
#[derive(Properties)]
pub struct SweepPanelProps {
    /// The run the sweep varies ([`use_sweep_base`]).
    pub base: Rc<SweepBase>,
    /// Playback actions (show or load a sweep).
    pub on_action: Callback<PlaybackAction>,
    /// An embed: the chart and its progress only, no form.
    #[prop_or_default]
    pub compact: bool,
    /// Beside the diagram: compact, and the sweep runs by itself whenever the run changes (no
    /// Run again, no stale notice).
    #[prop_or_default]
    pub live: bool,
    /// Mark the run on the chart, at its value of the swept parameter and (read from the page's
    /// [`MarkValue`](crate::components::sweep_chart::MarkValue) context) of the first metric now.
    #[prop_or_default]
    pub follow: bool,
}

/// The page re-renders with every frame: the base (the same `Rc` while the run is unchanged, see
/// [`use_sweep_base_for`]) is compared by pointer, not by walking the lesson it holds.
impl PartialEq for SweepPanelProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.base, &other.base)
            && self.on_action == other.on_action
            && self.compact == other.compact
            && self.live == other.live
            && self.follow == other.follow
    }
}

/// An `Rc` compared by pointer, for memo keys (it holds the `Rc`, so the address is not reused).
#[derive(Clone)]
struct ByPtr<T>(Rc<T>);

impl<T> PartialEq for ByPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// How long the run must stay unchanged before a live sweep starts (ms): a slider dragged across
/// its range starts one sweep, not one per value.
const LIVE_SETTLE_MS: u32 = 350;

/// Where the current sweep is.
#[derive(Clone, Debug, PartialEq)]
enum Status {
    /// Nothing has run.
    Idle,
    /// Waiting for the worker (or the first slice).
    Starting,
    /// Runs are arriving.
    Running,
    /// Every run finished.
    Done,
    /// Stopped by the learner.
    Cancelled,
    /// The sweep could not run.
    Failed(String),
}

/// The panel's state: one reducer, so events from an old sweep can be told apart and dropped.
#[derive(Clone, PartialEq)]
struct SweepUi {
    /// Bumped on every start; events carry the number of the sweep they belong to.
    run: u32,
    /// What the results were computed from (the request): stale when the run changes.
    ran: Option<Rc<SweepRequest>>,
    result: Option<Rc<SweepResult>>,
    status: Status,
    /// `performance.now()` at the start, and at the last event.
    started_ms: f64,
    last_ms: f64,
    /// Why the runs are on this page's thread, when they are.
    fallback: Option<String>,
}

enum SweepMsg {
    Begin {
        run: u32,
        ran: Rc<SweepRequest>,
        at: f64,
    },
    Event {
        run: u32,
        event: SweepEvent,
        at: f64,
    },
    Cancel {
        at: f64,
    },
    Clear,
}

impl Reducible for SweepUi {
    type Action = SweepMsg;
    fn reduce(self: Rc<Self>, msg: SweepMsg) -> Rc<Self> {
        let mut next = (*self).clone();
        match msg {
            SweepMsg::Begin { run, ran, at } => {
                next.run = run;
                next.ran = Some(ran);
                next.result = None;
                next.status = Status::Starting;
                next.started_ms = at;
                next.last_ms = at;
                next.fallback = None;
            }
            // After Cancel nothing more counts, not even runs that arrived just before it and
            // were waiting to be drawn.
            SweepMsg::Event { run, event, at }
                if run == self.run && self.status != Status::Cancelled =>
            {
                next.last_ms = at;
                match event {
                    SweepEvent::MainThread { reason } => {
                        next.fallback = Mode::MainThread { reason }.notice();
                    }
                    SweepEvent::Started(meta) => {
                        next.result = Some(Rc::new(SweepResult::new(meta)));
                        next.status = Status::Running;
                    }
                    SweepEvent::Results(results) => {
                        if let Some(r) = &mut next.result {
                            let r = Rc::make_mut(r);
                            for j in results {
                                r.add(j);
                            }
                        }
                    }
                    SweepEvent::Done => next.status = Status::Done,
                    SweepEvent::Failed(e) => next.status = Status::Failed(e),
                }
            }
            SweepMsg::Cancel { at }
                if matches!(self.status, Status::Starting | Status::Running) =>
            {
                next.status = Status::Cancelled;
                next.last_ms = at;
            }
            SweepMsg::Clear => {
                // Whatever the closed sweep still had on its way is not this panel's any more.
                next.run = self.run.wrapping_add(1);
                next.result = None;
                next.status = Status::Idle;
                next.fallback = None;
                next.ran = None;
            }
            _ => return self,
        }
        Rc::new(next)
    }
}

/// How often, at most, the chart is redrawn with newly arrived runs (ms).
const FLUSH_MS: u32 = 250;

fn now_ms() -> f64 {
    gloo::utils::window().performance().map_or(0.0, |p| p.now())
}

/// Seconds as the progress line writes them (`0.4 s`, `12 s`, `2 min 5 s`).
fn secs(ms: f64) -> String {
    let s = ms / 1000.0;
    if s < 10.0 {
        format!("{s:.1} s")
    } else if s < 120.0 {
        format!("{s:.0} s")
    } else {
        format!("{} min {} s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}

/// The sweep panel.
#[function_component(SweepPanel)]
pub fn sweep_panel(props: &SweepPanelProps) -> Html {
    let base = &props.base;
    let ui = use_reducer(|| SweepUi {
        run: 0,
        ran: None,
        result: None,
        status: Status::Idle,
        started_ms: 0.0,
        last_ms: 0.0,
        fallback: None,
    });
    let handle = use_mut_ref(|| None::<SweepHandle>);
    let def = base.sweep.clone();

    // Start (or restart) whenever the sweep shown changes: a link, a declared sweep, the form.
    let start = {
        let ui = ui.clone();
        let handle = handle.clone();
        Callback::from(move |req: Rc<SweepRequest>| {
            if let Some(h) = handle.borrow_mut().take() {
                h.cancel();
            }
            let run = ui.run.wrapping_add(1);
            ui.dispatch(SweepMsg::Begin {
                run,
                ran: req.clone(),
                at: now_ms(),
            });
            // Results arrive every few tens of milliseconds; the chart is redrawn with what has
            // arrived at most every FLUSH_MS, so drawing it never competes with the animation.
            let pending = Rc::new(RefCell::new(Vec::<JobResult>::new()));
            let timer = Rc::new(RefCell::new(None::<Timeout>));
            let flush = {
                let ui = ui.clone();
                let pending = pending.clone();
                let timer = timer.clone();
                Rc::new(move || {
                    timer.borrow_mut().take();
                    let results = std::mem::take(&mut *pending.borrow_mut());
                    if !results.is_empty() {
                        ui.dispatch(SweepMsg::Event {
                            run,
                            event: SweepEvent::Results(results),
                            at: now_ms(),
                        });
                    }
                })
            };
            let on_event = {
                let ui = ui.clone();
                Callback::from(move |event: SweepEvent| match event {
                    SweepEvent::Results(results) => {
                        pending.borrow_mut().extend(results);
                        if timer.borrow().is_none() {
                            let flush = flush.clone();
                            *timer.borrow_mut() = Some(Timeout::new(FLUSH_MS, move || flush()));
                        }
                    }
                    event => {
                        flush();
                        ui.dispatch(SweepMsg::Event {
                            run,
                            event,
                            at: now_ms(),
                        });
                    }
                })
            };
            *handle.borrow_mut() = Some(sweep_runner::start((*req).clone(), on_event));
        })
    };
    {
        let base = base.clone();
        let start = start.clone();
        let ui = ui.clone();
        let handle = handle.clone();
        let live = props.live;
        use_effect_with(def.clone(), move |def| match def {
            // A live sweep starts from the run (below), not from the sweep shown.
            Some(_) if live => {}
            Some(def) => match base.request(def) {
                Ok(req) => start.emit(Rc::new(req)),
                Err(e) => ui.dispatch(SweepMsg::Event {
                    run: ui.run,
                    event: SweepEvent::Failed(e),
                    at: now_ms(),
                }),
            },
            None => {
                // Closing the sweep stops its runs.
                if let Some(h) = handle.borrow_mut().take() {
                    h.cancel();
                }
                ui.dispatch(SweepMsg::Clear);
            }
        });
    }
    // Stop the runs when the panel goes away (another lesson, another page).
    {
        let handle = handle.clone();
        use_effect_with((), move |_| {
            move || {
                if let Some(h) = handle.borrow_mut().take() {
                    h.cancel();
                }
            }
        });
    }

    let cancel = {
        let ui = ui.clone();
        let handle = handle.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(h) = handle.borrow_mut().take() {
                h.cancel();
            }
            ui.dispatch(SweepMsg::Cancel { at: now_ms() });
        })
    };
    // The current run's request: when it differs from the one the results came from, they are
    // stale (a parameter, the seed or an intervention changed since).
    let current: Option<Result<Rc<SweepRequest>, String>> = {
        let base = base.clone();
        (*use_memo(ByPtr(base), |ByPtr(base)| {
            base.sweep.as_ref().map(|d| base.request(d).map(Rc::new))
        }))
        .clone()
    };
    let same_run = |req: &Rc<SweepRequest>| {
        ui.ran
            .as_ref()
            .is_some_and(|r| Rc::ptr_eq(r, req) || **r == **req)
    };
    let stale = match (&current, ui.result.is_some()) {
        (Some(Ok(req)), true) => !same_run(req),
        _ => false,
    };
    // Beside the diagram the sweep follows the run: once it has stayed unchanged a moment, the
    // sweep starts on it (cancelling one on an older run).
    {
        let settle = use_mut_ref(|| None::<Timeout>);
        let start = start.clone();
        let req = current.clone().and_then(Result::ok);
        let due = props.live && req.as_ref().is_some_and(|r| !same_run(r));
        use_effect_with(
            (due, req.as_ref().map(|r| Rc::as_ptr(r) as usize)),
            move |_| {
                settle.borrow_mut().take();
                if let (true, Some(req)) = (due, req) {
                    *settle.borrow_mut() =
                        Some(Timeout::new(LIVE_SETTLE_MS, move || start.emit(req)));
                }
                move || {
                    settle.borrow_mut().take();
                }
            },
        );
    }
    let rerun = {
        let start = start.clone();
        let req = current.clone().and_then(Result::ok);
        Callback::from(move |_: MouseEvent| {
            if let Some(req) = req.clone() {
                start.emit(req);
            }
        })
    };
    // The form's Run: show its sweep, or run it again when it is the one shown already.
    let on_run = {
        let a = props.on_action.clone();
        let start = start.clone();
        let base = base.clone();
        let shown = def.clone();
        Callback::from(move |d: SweepDef| {
            if shown.as_deref() == Some(&d) {
                if let Ok(req) = base.request(&d) {
                    start.emit(Rc::new(req));
                }
            } else {
                a.emit(PlaybackAction::SetSweep(Some(d)));
            }
        })
    };
    let clear = props
        .on_action
        .reform(|_: MouseEvent| PlaybackAction::SetSweep(None));

    let running = matches!(ui.status, Status::Starting | Status::Running);
    let progress = ui.result.as_ref().map_or((0, 0), |r| (r.done(), r.total()));
    // Points whose every run has finished, of all the points.
    let points = ui.result.as_ref().map_or((0, 0), |r| {
        let n = r.meta.xs.len();
        ((0..n).filter(|&p| r.point_complete(p)).count(), n)
    });
    let elapsed = ui.last_ms - ui.started_ms;
    let status_line = match &ui.status {
        Status::Idle => String::new(),
        Status::Starting => "Starting…".to_string(),
        Status::Running => {
            let (done, total) = progress;
            let left = if done > 0 {
                format!(
                    " · about {} left",
                    secs(elapsed / f64::from(done) * f64::from(total - done))
                )
            } else {
                String::new()
            };
            format!(
                "{} of {} points ({done} of {total} runs) · {}{left}",
                points.0,
                points.1,
                secs(elapsed)
            )
        }
        Status::Done => format!("{} runs in {}", progress.1, secs(elapsed)),
        Status::Cancelled => format!(
            "Cancelled after {} of {} runs ({})",
            progress.0,
            progress.1,
            secs(elapsed)
        ),
        Status::Failed(e) => e.clone(),
    };
    let lesson = &base.lesson;
    let title: AttrValue = def
        .as_ref()
        .map(|d| {
            if d.title.is_empty() {
                let label = ui
                    .result
                    .as_ref()
                    .map(|r| {
                        let ms: Vec<&str> =
                            r.meta.metrics.iter().map(|m| m.label.as_str()).collect();
                        format!("{} against {}", ms.join(", "), r.meta.param.label)
                    })
                    .unwrap_or_else(|| format!("{} against {}", d.metrics.join(", "), d.param));
                label
            } else {
                d.title.clone()
            }
        })
        .unwrap_or_default()
        .into();
    let stem: AttrValue = def
        .as_ref()
        .map(|d| {
            let what = if d.id.is_empty() { &d.param } else { &d.id };
            format!("{}-sweep-{what}", lesson.id)
        })
        .unwrap_or_default()
        .into();

    let load = {
        let a = props.on_action.clone();
        move |id: String| {
            let a = a.clone();
            Callback::from(move |_: MouseEvent| a.emit(PlaybackAction::LoadSweep(id.clone())))
        }
    };
    let compact = props.compact || props.live;
    // The run's own point: its value of the swept parameter against the first metric now, in the
    // colour of the series that has the run's other parameters.
    let mark = def.as_ref().filter(|_| props.follow).and_then(|d| {
        let x = match base.params.get(&d.param)? {
            sim::params::ParamValue::Int(i) => *i as f64,
            sim::params::ParamValue::Float(f) => *f,
            _ => return None,
        };
        let ran = ui.ran.as_ref()?;
        let series = ran.series.iter().position(|s| {
            s.params
                .iter()
                .filter(|(k, _)| **k != d.param)
                .all(|(k, v)| base.params.get(k).is_some_and(|p| p.to_text() == *v))
        });
        Some(ChartMark {
            metric: d.metrics.first()?.clone(),
            x,
            series,
        })
    });
    let declared = (!compact && lesson.sweeps.iter().any(|s| !s.beside)).then(|| {
        html! {
            <ul class="sweep-list" data-testid="sweep-list">
                { for lesson.sweeps.iter().filter(|s| !s.beside).map(|s| {
                    let active = def.as_ref().is_some_and(|d| d.id == s.id);
                    html! {
                        <li class={classes!("sweep-item", active.then_some("is-active"))}>
                            <button type="button" class="button button-secondary"
                                data-testid={format!("sweep-load-{}", s.id)}
                                aria-pressed={active.to_string()} onclick={load(s.id.clone())}>
                                { &s.title }
                            </button>
                            if !s.description.is_empty() {
                                <div class="sweep-description muted">
                                    { Html::from_html_unchecked(AttrValue::from(s.description.clone())) }
                                </div>
                            }
                        </li>
                    }
                }) }
            </ul>
        }
    });

    html! {
        <div class="sweep-panel" data-testid="sweep-panel" data-status={status_name(&ui.status)}>
            { declared.unwrap_or_default() }
            if !compact {
                <SweepForm base={base.clone()} on_run={on_run} />
            }
            if def.is_some() || !matches!(ui.status, Status::Idle) {
                <div class="sweep-run" data-testid="sweep-run">
                    <div class="sweep-progress-line" role="status" aria-live="polite">
                        if running {
                            <progress data-testid="sweep-progress" max={progress.1.max(1).to_string()}
                                value={progress.0.to_string()} aria-label="Sweep progress" />
                        }
                        <span data-testid="sweep-run-status" data-done={progress.0.to_string()}
                            data-total={progress.1.to_string()}>{ status_line }</span>
                    </div>
                    <div class="sweep-buttons">
                        if running {
                            <button type="button" class="button button-secondary" data-testid="sweep-cancel"
                                onclick={cancel}>{ "Cancel" }</button>
                        } else if def.is_some() && !props.live {
                            <button type="button" class="button button-secondary" data-testid="sweep-rerun"
                                onclick={rerun.clone()} disabled={!matches!(current, Some(Ok(_)))}>{ "Run again" }</button>
                        }
                        if !compact && def.is_some() {
                            <button type="button" class="button button-secondary" data-testid="sweep-clear"
                                onclick={clear}>{ "Close sweep" }</button>
                        }
                    </div>
                    if let Some(reason) = &ui.fallback {
                        <p class="banner sweep-note" data-testid="sweep-fallback">{ reason }</p>
                    }
                    if stale && !running && !props.live {
                        <p class="banner sweep-note" data-testid="sweep-stale">
                            { "The run has changed since this sweep ran (a parameter, the seed or an intervention). " }
                            <button type="button" class="text-button" onclick={rerun}>{ "Run it again" }</button>
                        </p>
                    }
                    if let Some(Err(e)) = &current {
                        <p class="banner banner-error sweep-note" role="alert" data-testid="sweep-error">{ e }</p>
                    }
                    if let Some(result) = &ui.result {
                        <SweepChart result={result.clone()} log_x={def.as_ref().is_some_and(|d| d.log)}
                            title={title} file_stem={stem} {mark} />
                    }
                </div>
            }
        </div>
    }
}

fn status_name(s: &Status) -> &'static str {
    match s {
        Status::Idle => "idle",
        Status::Starting => "starting",
        Status::Running => "running",
        Status::Done => "done",
        Status::Cancelled => "cancelled",
        Status::Failed(_) => "failed",
    }
}

/// Props of [`SweepForm`].
#[derive(Properties, PartialEq)]
struct SweepFormProps {
    base: Rc<SweepBase>,
    /// Run this sweep.
    on_run: Callback<SweepDef>,
}

/// The sweep the form starts from: the one shown, else the first numeric parameter across its
/// whole range against the first numeric metric.
fn draft_for(specs: &[ParamSpec], metrics: &[String], current: Option<&SweepDef>) -> SweepDef {
    if let Some(d) = current {
        // A declared sweep, once edited, is a sweep of the page's own.
        return SweepDef {
            log: d.log,
            seeds: d.seeds,
            variants: d.variants.clone(),
            theory: d.theory.clone(),
            ..SweepDef::new(&d.param, d.from, d.to, d.steps, d.metrics.clone())
        };
    }
    let (param, from, to) = specs
        .iter()
        .find_map(|s| match s.kind {
            ParamKind::Int { min, max, .. } => Some((s.name.clone(), min as f64, max as f64)),
            ParamKind::Float { min, max, .. } => Some((s.name.clone(), min, max)),
            _ => None,
        })
        .unwrap_or_default();
    SweepDef::new(
        &param,
        from,
        to,
        10,
        metrics.first().cloned().into_iter().collect(),
    )
}

/// Build a sweep: any numeric parameter, range, points, scale, metrics, seeds and variants.
#[function_component(SweepForm)]
fn sweep_form(props: &SweepFormProps) -> Html {
    let base = &props.base;
    let specs = base.specs.clone();
    let metrics = base.metrics.clone();
    let metric_ids: Vec<String> = metrics.iter().map(|m| m.0.clone()).collect();
    let draft = {
        let specs = specs.clone();
        let current = base.sweep.clone();
        use_state(move || draft_for(&specs, &metric_ids, current.as_deref()))
    };
    // A sweep shown from elsewhere (a link, a declared sweep) becomes the form's starting point.
    {
        let draft = draft.clone();
        let specs = specs.clone();
        let ids: Vec<String> = metrics.iter().map(|m| m.0.clone()).collect();
        use_effect_with(base.sweep.clone(), move |current| {
            if current.is_some() {
                draft.set(draft_for(&specs, &ids, current.as_deref()));
            }
        });
    }
    let error = use_state(|| None::<String>);
    let edit = |f: fn(&mut SweepDef, String)| {
        let draft = draft.clone();
        Callback::from(move |v: String| {
            let mut d = (*draft).clone();
            f(&mut d, v);
            draft.set(d);
        })
    };
    let on_param = {
        let draft = draft.clone();
        let specs = specs.clone();
        Callback::from(move |e: Event| {
            let sel: HtmlSelectElement = e.target_unchecked_into();
            let mut d = (*draft).clone();
            d.param = sel.value();
            if let Some(s) = specs.iter().find(|s| s.name == d.param) {
                (d.from, d.to) = match s.kind {
                    ParamKind::Int { min, max, .. } => (min as f64, max as f64),
                    ParamKind::Float { min, max, .. } => (min, max),
                    _ => (d.from, d.to),
                };
                d.log = false;
            }
            draft.set(d);
        })
    };
    let num = |cb: Callback<String>| {
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            cb.emit(input.value());
        })
    };
    let on_from = num(edit(|d, v| d.from = v.trim().parse().unwrap_or(f64::NAN)));
    let on_to = num(edit(|d, v| d.to = v.trim().parse().unwrap_or(f64::NAN)));
    let on_steps = num(edit(|d, v| d.steps = v.trim().parse().unwrap_or(0)));
    let on_seeds = num(edit(|d, v| d.seeds = v.trim().parse().unwrap_or(0)));
    let on_log = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut d = (*draft).clone();
            d.log = input.checked();
            draft.set(d);
        })
    };
    let toggle = |list: fn(&mut SweepDef) -> &mut Vec<String>, id: String| {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let mut d = (*draft).clone();
            let l = list(&mut d);
            l.retain(|x| x != &id);
            if input.checked() {
                l.push(id.clone());
            }
            draft.set(d);
        })
    };
    let run = {
        let draft = draft.clone();
        let base = base.clone();
        let error = error.clone();
        let on_run = props.on_run.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let mut d = (*draft).clone();
            // The lesson's order for metrics and variants, whatever order they were ticked in.
            d.metrics.sort_by_key(|m| {
                base.metrics
                    .iter()
                    .position(|s| &s.0 == m)
                    .unwrap_or(usize::MAX)
            });
            d.variants.sort_by_key(|v| {
                base.lesson
                    .compare
                    .iter()
                    .position(|c| &c.id == v)
                    .unwrap_or(usize::MAX)
            });
            match base.request(&d) {
                Ok(_) => {
                    error.set(None);
                    on_run.emit(d);
                }
                Err(e) => error.set(Some(e)),
            }
        })
    };
    let d = &*draft;
    let spec = specs.iter().find(|s| s.name == d.param);
    let step = match spec.map(|s| &s.kind) {
        Some(ParamKind::Int { .. }) => "1".to_string(),
        _ => "any".to_string(),
    };
    let show = |v: f64| {
        if v.is_finite() {
            sim::sweep::format_x(v)
        } else {
            String::new()
        }
    };
    let too_many = d.metrics.len() >= MAX_METRICS;
    html! {
        <details class="sweep-form-box" data-testid="sweep-builder">
            <summary>{ "Build a sweep" }</summary>
            <form class="sweep-form" onsubmit={run} novalidate=true>
                <label class="field">
                    <span>{ "Parameter" }</span>
                    <select data-testid="sweep-param" onchange={on_param}>
                        { for specs.iter().map(|s| html! {
                            <option value={s.name.clone()} selected={s.name == d.param}>{ &s.label }</option>
                        }) }
                    </select>
                </label>
                <div class="sweep-range">
                    <label class="field">
                        <span>{ "From" }</span>
                        <input type="number" data-testid="sweep-from" step={step.clone()}
                            value={show(d.from)} onchange={on_from} />
                    </label>
                    <label class="field">
                        <span>{ "To" }</span>
                        <input type="number" data-testid="sweep-to" step={step}
                            value={show(d.to)} onchange={on_to} />
                    </label>
                    <label class="field">
                        <span>{ "Points" }</span>
                        <input type="number" data-testid="sweep-steps" min="2" max={sim::sweep::MAX_POINTS.to_string()}
                            value={d.steps.to_string()} onchange={on_steps} />
                    </label>
                    <label class="field">
                        <span>{ "Seeds per point" }</span>
                        <input type="number" data-testid="sweep-seeds" min="1" max={sim::sweep::MAX_SEEDS.to_string()}
                            value={d.seeds.to_string()} onchange={on_seeds} />
                    </label>
                    <label class="field field-check">
                        <input type="checkbox" data-testid="sweep-log" checked={d.log} onchange={on_log} />
                        <span>{ "Log scale" }</span>
                    </label>
                </div>
                <fieldset class="sweep-metrics">
                    <legend>{ format!("Metrics (up to {MAX_METRICS})") }</legend>
                    { for metrics.iter().map(|(id, label)| {
                        let on = d.metrics.contains(id);
                        html! {
                            <label class="field-check">
                                <input type="checkbox" data-testid={format!("sweep-metric-{id}")} checked={on}
                                    disabled={!on && too_many}
                                    onchange={toggle(|d| &mut d.metrics, id.clone())} />
                                <span>{ label }</span>
                            </label>
                        }
                    }) }
                </fieldset>
                if !base.lesson.compare.is_empty() {
                    <fieldset class="sweep-variants">
                        <legend>{ "Series (none: this lesson's run)" }</legend>
                        { for base.lesson.compare.iter().map(|v| {
                            let on = d.variants.contains(&v.id);
                            html! {
                                <label class="field-check">
                                    <input type="checkbox" data-testid={format!("sweep-variant-{}", v.id)} checked={on}
                                        onchange={toggle(|d| &mut d.variants, v.id.clone())} />
                                    <span>{ &v.label }</span>
                                </label>
                            }
                        }) }
                    </fieldset>
                }
                if let Some(e) = &*error {
                    <p class="field-error" role="alert" data-testid="sweep-form-error">{ e }</p>
                }
                <button type="submit" class="button" data-testid="sweep-run-button">{ "Run sweep" }</button>
            </form>
        </details>
    }
}
