//! Running a sweep: in the background worker when the browser can start one, else on the page's
//! own thread in small slices. Either way the caller gets the same [`SweepEvent`]s.
//!
//! **In the worker.** The worker is the `sim` crate compiled to a wasm of its own (`worker/`,
//! built by trunk into `sweep-worker.js`, `sweep-worker_bg.wasm` and `sweep-worker_loader.js`),
//! started on first use as a classic worker on [`WORKER_URL`]: a first visit never downloads it.
//! Messages both ways are `sim::sweep`'s typed [`ToWorker`] and [`FromWorker`] values, converted by
//! serde-wasm-bindgen ([`to_js`], [`from_js`]). The request waits until the worker says
//! [`FromWorker::Ready`] (messages posted before that are lost); replies for another sweep's id are
//! ignored. One worker serves sweep after sweep; cancelling a sweep terminates it, and the next
//! sweep starts a fresh one.
//!
//! **On the page.** Where no worker can start (the constructor throws, its script fails to load
//! or does not start within [`READY_TIMEOUT_MS`], the page is a single-file copy, or a test set
//! `window.__sdpNoWorker = true` before the app started), the sweep runs here: runs until
//! [`SLICE_MS`] have passed, then a 0 ms timeout lets the page draw, and so on. The first event
//! is then [`SweepEvent::MainThread`] with the reason ([`Mode::notice`] words it for people). A
//! worker that failed to start is not tried again on this page.
//!
//! Both paths batch results by time ([`BATCH_MS`], as the worker does), so the chart updates
//! about 30 times a second. One sweep runs at a time: starting another stops the one before,
//! which gets no more events.

use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use serde::de::DeserializeOwned;
use serde::Serialize;
use sim::sweep::{FromWorker, JobResult, SweepMeta, SweepPlan, SweepRequest, ToWorker};
use std::cell::RefCell;
use std::rc::{Rc, Weak};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};
use yew::Callback;

/// The worker's loader script, relative to the page (trunk's `data-loader-shim`).
pub const WORKER_URL: &str = "./sweep-worker_loader.js";
/// On the page, how long one slice of runs may take before the page gets the thread back.
pub const SLICE_MS: f64 = 8.0;
/// How much work goes into one [`SweepEvent::Results`] on the page (the worker's batches:
/// `sweep_worker::BATCH_MS`).
pub const BATCH_MS: f64 = 30.0;
/// How long a new worker may take to say it is ready before the sweep runs on the page instead
/// (a worker whose wasm fails to load never says so, and reports no error either).
pub const READY_TIMEOUT_MS: u32 = 10_000;
/// The reason given when a test has disabled workers (`window.__sdpNoWorker = true`).
pub const DISABLED_REASON: &str = "background workers are disabled on this page";

/// What a running sweep reports, in this order: [`SweepEvent::MainThread`] (only on the page's
/// thread), [`SweepEvent::Started`], any number of [`SweepEvent::Results`], then
/// [`SweepEvent::Done`]; or [`SweepEvent::Failed`] at any point, and nothing after it.
#[derive(Clone, Debug, PartialEq)]
pub enum SweepEvent {
    /// The sweep runs on the page's own thread, not in a worker: why (as in [`Mode::MainThread`];
    /// [`Mode::notice`] words it for people). It can come after [`start`] has returned with
    /// [`Mode::Worker`], when the worker fails to start.
    MainThread {
        /// Why no worker runs it.
        reason: String,
    },
    /// The chart's axes, series and theory curves, before any run finishes.
    Started(SweepMeta),
    /// Finished runs, in run order.
    Results(Vec<JobResult>),
    /// Every run has finished.
    Done,
    /// The sweep cannot run, or its worker stopped: why, in words.
    Failed(String),
}

/// Where a sweep runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// In the background worker.
    Worker,
    /// On the page's own thread, in slices.
    MainThread {
        /// Why not in a worker (`background workers are disabled on this page`, the browser's
        /// error, …).
        reason: String,
    },
}

impl Mode {
    /// What to tell the learner when a sweep runs on the page (`None` in a worker).
    pub fn notice(&self) -> Option<String> {
        match self {
            Mode::Worker => None,
            Mode::MainThread { reason } => Some(format!(
                "This browser could not start a background worker ({reason}); the sweep runs on \
                 this page in small slices, so the animation may stutter."
            )),
        }
    }
}

/// A sweep that was started. Dropping it, or [`SweepHandle::cancel`], stops the sweep: no event
/// comes after that.
pub struct SweepHandle {
    sweep: Rc<RefCell<Sweep>>,
}

impl SweepHandle {
    /// Stops the sweep (nothing happens if it has finished): a worker running it is terminated,
    /// slices on the page stop.
    pub fn cancel(&self) {
        stop(&self.sweep);
    }

    /// Where the sweep runs now (it moves to the page if its worker fails to start).
    pub fn mode(&self) -> Mode {
        self.sweep.borrow().mode.clone()
    }

    /// Whether the sweep has finished, failed or been stopped.
    pub fn is_finished(&self) -> bool {
        self.sweep.borrow().finished
    }
}

impl Drop for SweepHandle {
    fn drop(&mut self) {
        self.cancel();
    }
}

/// Starts `request`; every [`SweepEvent`] goes to `on_event`, always from a later task (never
/// from inside this call). A sweep still running is stopped first.
pub fn start(request: SweepRequest, on_event: Callback<SweepEvent>) -> SweepHandle {
    let previous = POOL.with(|p| p.borrow_mut().last.take());
    if let Some(previous) = previous.and_then(|w| w.upgrade()) {
        stop(&previous);
    }
    let id = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        pool.next_id = pool.next_id.wrapping_add(1);
        pool.next_id
    });
    let sweep = Rc::new(RefCell::new(Sweep {
        id,
        on_event,
        request: Some(request),
        mode: Mode::Worker,
        finished: false,
        page: None,
    }));
    POOL.with(|p| p.borrow_mut().last = Some(Rc::downgrade(&sweep)));
    if let Err(reason) = run_in_worker(&sweep) {
        run_on_page(&sweep, reason);
    }
    SweepHandle { sweep }
}

/// Starts the worker now, if none runs and workers may run here, so that a sweep started soon
/// after does not wait for it to load (for example when a sweep panel opens).
pub fn warm_up() {
    if disabled_reason().is_some() {
        return;
    }
    let failed = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        if pool.unavailable.is_some() || pool.worker.is_some() {
            return None;
        }
        match Slot::spawn() {
            Ok(slot) => {
                pool.worker = Some(slot);
                None
            }
            Err(reason) => Some(reason),
        }
    });
    if let Some(reason) = failed {
        POOL.with(|p| p.borrow_mut().unavailable = Some(reason));
    }
}

/// A value in the worker's wire format: serde-wasm-bindgen with 64-bit integers as BigInts (a
/// seed above 2^53 crosses intact) and maps as plain objects (the worker's `src/main.rs` uses
/// the same settings).
pub fn to_js<T: Serialize>(value: &T) -> Result<JsValue, serde_wasm_bindgen::Error> {
    value.serialize(
        &serde_wasm_bindgen::Serializer::new()
            .serialize_large_number_types_as_bigints(true)
            .serialize_maps_as_objects(true),
    )
}

/// A value read from the worker's wire format.
pub fn from_js<T: DeserializeOwned>(value: JsValue) -> Result<T, serde_wasm_bindgen::Error> {
    serde_wasm_bindgen::from_value(value)
}

// ---- state ------------------------------------------------------------------------------------

struct Sweep {
    id: u32,
    on_event: Callback<SweepEvent>,
    /// The request, until a plan is made of it (kept for a fallback to the page).
    request: Option<SweepRequest>,
    mode: Mode,
    finished: bool,
    /// Running on the page: the slices' state.
    page: Option<PageRun>,
}

struct PageRun {
    /// Told in the first slice (as [`SweepEvent::MainThread`]).
    announce: Option<String>,
    plan: Option<SweepPlan>,
    next: u32,
    pending: Vec<JobResult>,
    flushed_at: f64,
    timer: Option<Timeout>,
}

/// The page's worker (at most one) and what the page knows about workers.
#[derive(Default)]
struct Pool {
    worker: Option<Slot>,
    /// Why workers cannot start on this page, once one has failed to.
    unavailable: Option<String>,
    next_id: u32,
    /// The sweep started last (stopped when another starts).
    last: Option<Weak<RefCell<Sweep>>>,
}

struct Slot {
    worker: Worker,
    ready: bool,
    /// The request posted when the worker is ready.
    queued: Option<JsValue>,
    /// The sweep it runs: its id and state.
    current: Option<(u32, Weak<RefCell<Sweep>>)>,
    ready_timer: Option<Timeout>,
    _on_message: EventListener,
    _on_error: EventListener,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}

thread_local! {
    static POOL: RefCell<Pool> = RefCell::default();
}

fn window_flag(name: &str) -> bool {
    js_sys::Reflect::get(&gloo::utils::window(), &JsValue::from_str(name))
        .is_ok_and(|v| v == JsValue::TRUE)
}

/// Why a worker must not even be tried on this page, if so.
fn disabled_reason() -> Option<String> {
    if window_flag("__sdpNoWorker") {
        return Some(DISABLED_REASON.to_string());
    }
    if crate::offline::single_file().is_some() {
        return Some("this copy of the app is a single file, which carries no worker".into());
    }
    None
}

/// A thrown JS value in words.
fn js_error_text(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "an unknown error".into())
}

fn now() -> f64 {
    gloo::utils::window()
        .performance()
        .map_or_else(js_sys::Date::now, |p| p.now())
}

/// Sends events to a sweep's callback: never while any state is borrowed, since the callback may
/// start or stop sweeps.
fn emit(on_event: &Callback<SweepEvent>, events: Vec<SweepEvent>) {
    for e in events {
        on_event.emit(e);
    }
}

/// Stops a sweep: no more events; its worker terminated, its slices dropped.
fn stop(sweep: &Rc<RefCell<Sweep>>) {
    let id = {
        let mut s = sweep.borrow_mut();
        if s.finished {
            return;
        }
        s.finished = true;
        s.page = None;
        s.id
    };
    // The worker is busy with it (a run cannot be interrupted): terminate it.
    let slot = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        if pool
            .worker
            .as_ref()
            .and_then(|w| w.current.as_ref())
            .map(|c| c.0)
            == Some(id)
        {
            pool.worker.take()
        } else {
            None
        }
    });
    drop(slot);
}

// ---- the worker path --------------------------------------------------------------------------

impl Slot {
    fn spawn() -> Result<Slot, String> {
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Classic);
        let worker =
            Worker::new_with_options(WORKER_URL, &options).map_err(|e| js_error_text(&e))?;
        let on_message = EventListener::new(&worker, "message", |e| {
            if let Some(e) = e.dyn_ref::<MessageEvent>() {
                on_message(e.data());
            }
        });
        let on_error = EventListener::new(&worker, "error", |e| {
            // A script that failed to load fires a plain Event; an error inside the worker an
            // ErrorEvent with the message.
            let detail = e
                .dyn_ref::<ErrorEvent>()
                .map(|e| e.message())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "its script could not be loaded".into());
            on_worker_error(detail);
        });
        let ready_timer = Timeout::new(READY_TIMEOUT_MS, || {
            on_worker_error(format!(
                "it did not start within {} s",
                READY_TIMEOUT_MS / 1000
            ))
        });
        Ok(Slot {
            worker,
            ready: false,
            queued: None,
            current: None,
            ready_timer: Some(ready_timer),
            _on_message: on_message,
            _on_error: on_error,
        })
    }
}

/// Hands the sweep to the worker (started if need be); `Err` with the reason when no worker can
/// run it.
fn run_in_worker(sweep: &Rc<RefCell<Sweep>>) -> Result<(), String> {
    if let Some(reason) = disabled_reason() {
        return Err(reason);
    }
    let (id, message) = {
        let s = sweep.borrow();
        let run = ToWorker::Run {
            id: s.id,
            request: s.request.clone().expect("a new sweep has its request"),
        };
        (s.id, to_js(&run).map_err(|e| e.to_string())?)
    };
    POOL.with(|p| {
        let mut pool = p.borrow_mut();
        if let Some(reason) = &pool.unavailable {
            return Err(reason.clone());
        }
        // Busy with a sweep that was not stopped (it cannot be, see `start`): a fresh worker.
        if pool.worker.as_ref().is_some_and(|w| w.current.is_some()) {
            pool.worker = None;
        }
        if pool.worker.is_none() {
            match Slot::spawn() {
                Ok(slot) => pool.worker = Some(slot),
                Err(reason) => {
                    pool.unavailable = Some(reason.clone());
                    return Err(reason);
                }
            }
        }
        let slot = pool.worker.as_mut().expect("spawned above");
        slot.current = Some((id, Rc::downgrade(sweep)));
        if slot.ready {
            slot.worker
                .post_message(&message)
                .map_err(|e| js_error_text(&e))?;
        } else {
            slot.queued = Some(message);
        }
        Ok(())
    })
}

/// The sweep the worker runs, if it still wants events.
fn current_sweep(slot: &Slot) -> Option<(u32, Rc<RefCell<Sweep>>)> {
    let (id, weak) = slot.current.as_ref()?;
    let sweep = weak.upgrade()?;
    let finished = sweep.borrow().finished;
    (!finished).then_some((*id, sweep))
}

fn on_message(data: JsValue) {
    let message = from_js::<FromWorker>(data);
    let mut out = None;
    POOL.with(|p| {
        let mut pool = p.borrow_mut();
        let Some(slot) = pool.worker.as_mut() else {
            return;
        };
        let current = current_sweep(slot);
        let (id, event) = match message {
            Ok(FromWorker::Ready) => {
                slot.ready = true;
                slot.ready_timer = None;
                if let Some(m) = slot.queued.take() {
                    if let Err(e) = slot.worker.post_message(&m) {
                        let id = current.as_ref().map_or(0, |c| c.0);
                        (id, SweepEvent::Failed(js_error_text(&e)))
                    } else {
                        return;
                    }
                } else {
                    return;
                }
            }
            Ok(FromWorker::Started { id, meta }) => (id, SweepEvent::Started(meta)),
            Ok(FromWorker::Results { id, results }) => (id, SweepEvent::Results(results)),
            Ok(FromWorker::Done { id }) => (id, SweepEvent::Done),
            Ok(FromWorker::Failed { id, message }) => (id, SweepEvent::Failed(message)),
            Err(e) => {
                let id = current.as_ref().map_or(0, |c| c.0);
                (
                    id,
                    SweepEvent::Failed(format!("the worker sent an unreadable message: {e}")),
                )
            }
        };
        let Some((current_id, sweep)) = current else {
            return;
        };
        if id != current_id {
            return;
        }
        if matches!(event, SweepEvent::Done | SweepEvent::Failed(_)) {
            sweep.borrow_mut().finished = true;
            slot.current = None;
        }
        let on_event = sweep.borrow().on_event.clone();
        out = Some((on_event, event));
    });
    if let Some((on_event, event)) = out {
        emit(&on_event, vec![event]);
    }
}

/// The worker reported an error, or did not start in time. Before it was ready: workers do not
/// work on this page, and its sweep moves to the page. After: its sweep fails.
fn on_worker_error(detail: String) {
    let (slot, ready) = POOL.with(|p| {
        let mut pool = p.borrow_mut();
        let Some(slot) = pool.worker.take() else {
            return (None, false);
        };
        let ready = slot.ready;
        if !ready {
            pool.unavailable = Some(detail.clone());
        }
        (Some(slot), ready)
    });
    let Some(slot) = slot else {
        return;
    };
    let current = current_sweep(&slot);
    drop(slot);
    let Some((_, sweep)) = current else {
        return;
    };
    if ready {
        let on_event = {
            let mut s = sweep.borrow_mut();
            s.finished = true;
            s.on_event.clone()
        };
        emit(
            &on_event,
            vec![SweepEvent::Failed(format!(
                "the background worker stopped: {detail}"
            ))],
        );
    } else {
        run_on_page(&sweep, detail);
    }
}

// ---- the page path ----------------------------------------------------------------------------

/// Runs the sweep on the page's thread from the next task on.
fn run_on_page(sweep: &Rc<RefCell<Sweep>>, reason: String) {
    let mut s = sweep.borrow_mut();
    s.mode = Mode::MainThread {
        reason: reason.clone(),
    };
    s.page = Some(PageRun {
        announce: Some(reason),
        plan: None,
        next: 0,
        pending: Vec::new(),
        flushed_at: now(),
        timer: Some(next_slice(Rc::downgrade(sweep))),
    });
}

fn next_slice(sweep: Weak<RefCell<Sweep>>) -> Timeout {
    Timeout::new(0, move || slice(sweep))
}

/// One slice: runs until [`SLICE_MS`] have passed, reports, and schedules the next.
fn slice(weak: Weak<RefCell<Sweep>>) {
    let Some(sweep) = weak.upgrade() else {
        return;
    };
    let mut events = Vec::new();
    let on_event = {
        let mut guard = sweep.borrow_mut();
        let s = &mut *guard;
        if s.finished {
            return;
        }
        let Some(run) = s.page.as_mut() else {
            return;
        };
        let began = now();
        if let Some(reason) = run.announce.take() {
            events.push(SweepEvent::MainThread { reason });
        }
        if run.plan.is_none() {
            let request = s
                .request
                .take()
                .expect("a sweep has its request until planned");
            match SweepPlan::new(request) {
                Ok(plan) => {
                    events.push(SweepEvent::Started(plan.meta()));
                    run.plan = Some(plan);
                }
                Err(e) => events.push(SweepEvent::Failed(e.to_string())),
            }
        }
        let done = match &run.plan {
            None => true,
            Some(plan) => {
                let total = plan.total();
                while run.next < total && now() - began < SLICE_MS {
                    run.pending.push(plan.run(run.next));
                    run.next += 1;
                }
                let done = run.next >= total;
                let t = now();
                if !run.pending.is_empty() && (done || t - run.flushed_at >= BATCH_MS) {
                    events.push(SweepEvent::Results(std::mem::take(&mut run.pending)));
                    run.flushed_at = t;
                }
                if done {
                    events.push(SweepEvent::Done);
                }
                done
            }
        };
        if done {
            s.finished = true;
            s.page = None;
        } else {
            run.timer = Some(next_slice(weak));
        }
        s.on_event.clone()
    };
    emit(&on_event, events);
}
