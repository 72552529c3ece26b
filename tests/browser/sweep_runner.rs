//! Browser test: a sweep run by `playground::sweep_runner` on the page's own thread, in slices,
//! gives exactly what `sim::sweep::run_all` gives (the same `SweepResult::digest()`), whether the
//! page asked for no worker (`window.__sdpNoWorker`) or the worker's script could not be loaded
//! (this test page has no `sweep-worker_loader.js`); a cancelled sweep says nothing more; a
//! request that cannot run fails with the plan's reason. (The worker itself:
//! `tests/e2e/sweep-worker.test.mjs`.)
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p playground --target wasm32-unknown-unknown --test browser sweep_runner::`

use playground::sweep_runner::{self, Mode, SweepEvent, DISABLED_REASON};
use sim::sweep::{run_all, SweepDef, SweepRequest, SweepResult};
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;
use yew::Callback;

fn sleep(ms: u32) -> gloo_timers::future::TimeoutFuture {
    gloo_timers::future::TimeoutFuture::new(ms)
}

fn set_no_worker(on: bool) {
    js_sys::Reflect::set(
        &web_sys::window().unwrap(),
        &JsValue::from_str("__sdpNoWorker"),
        &JsValue::from_bool(on),
    )
    .unwrap();
}

/// A sweep of the consistent-hashing lesson's "add a sixth server" setup (500 keys): virtual
/// nodes from 1 to 60 at `points` points, `seeds` seeds each, two metrics.
fn request(points: u32, seeds: u32) -> SweepRequest {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let mut scenario = lesson.scenario(Some("add-a-server")).unwrap();
    scenario.params.insert("keys".into(), "500".into());
    let def = SweepDef::parse_url(
        &format!("vnodes:1..60:{points}/max_mean_ratio,moved_percent/seeds:{seeds}"),
        &[],
    )
    .unwrap();
    SweepRequest::for_scenario(&lesson, &scenario, &def).unwrap()
}

/// The lesson's declared "virtual nodes against imbalance" sweep (with its theory curves) on its
/// own setup, at `steps` points and `seeds` seeds.
fn declared(steps: u32, seeds: u32) -> SweepRequest {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let mut def = lesson
        .sweeps
        .iter()
        .find(|d| d.id == "vnodes-imbalance")
        .unwrap()
        .clone();
    (def.steps, def.seeds) = (steps, seeds);
    let scenario = lesson.scenario(def.preset.as_deref()).unwrap();
    SweepRequest::for_scenario(&lesson, &scenario, &def).unwrap()
}

/// Starts a sweep whose events go into the returned list.
fn start(request: SweepRequest) -> (sweep_runner::SweepHandle, Rc<RefCell<Vec<SweepEvent>>>) {
    let events = Rc::new(RefCell::new(Vec::new()));
    let sink = events.clone();
    let handle = sweep_runner::start(request, Callback::from(move |e| sink.borrow_mut().push(e)));
    (handle, events)
}

/// Waits (up to ~20 s) until the last event is Done or Failed.
async fn finished(events: &Rc<RefCell<Vec<SweepEvent>>>) {
    for _ in 0..400 {
        if matches!(
            events.borrow().last(),
            Some(SweepEvent::Done | SweepEvent::Failed(_))
        ) {
            return;
        }
        sleep(50).await;
    }
    panic!("the sweep never finished: {:?}", events.borrow().last());
}

/// Checks the events of a sweep that ran on the page: the reason first, then Started, results
/// for every run in order, Done; returns the reason and the result.
fn read_page_run(events: &[SweepEvent]) -> (String, SweepResult) {
    let Some(SweepEvent::MainThread { reason }) = events.first() else {
        panic!(
            "the first event says the sweep runs on the page: {:?}",
            events.first()
        );
    };
    let Some(SweepEvent::Started(meta)) = events.get(1) else {
        panic!("then Started: {:?}", events.get(1));
    };
    assert_eq!(events.last(), Some(&SweepEvent::Done));
    let mut result = SweepResult::new(meta.clone());
    let mut next = 0;
    for e in &events[2..events.len() - 1] {
        let SweepEvent::Results(batch) = e else {
            panic!("only results between Started and Done: {e:?}");
        };
        assert!(!batch.is_empty(), "no empty batch");
        for r in batch {
            assert_eq!(r.run, next, "runs arrive in order");
            next += 1;
            result.add(r.clone());
        }
    }
    assert!(
        result.complete(),
        "{} of {} runs",
        result.done(),
        result.total()
    );
    (reason.clone(), result)
}

#[wasm_bindgen_test]
async fn on_the_page_a_sweep_gives_what_run_all_gives() {
    set_no_worker(true);
    let req = request(4, 3);
    let want = run_all(req.clone()).unwrap();
    let (handle, events) = start(req);
    assert_eq!(
        handle.mode(),
        Mode::MainThread {
            reason: DISABLED_REASON.into()
        }
    );
    assert!(events.borrow().is_empty(), "no event from inside start()");
    finished(&events).await;
    let (reason, got) = read_page_run(&events.borrow());
    assert_eq!(reason, DISABLED_REASON);
    assert_eq!(got.meta, want.meta);
    assert_eq!(got.digest(), want.digest());
    assert!(handle.is_finished());
    let notice = handle.mode().notice().unwrap();
    assert!(
        notice.starts_with("This browser could not start a background worker (background workers are disabled on this page); the sweep runs on this page in small slices"),
        "{notice}"
    );
}

#[wasm_bindgen_test]
async fn a_declared_sweep_with_theory_curves_gives_what_run_all_gives_on_the_page() {
    set_no_worker(true);
    let req = declared(4, 2);
    let want = run_all(req.clone()).unwrap();
    assert_eq!(want.meta.theory.len(), 2, "two theory curves");
    let (_handle, events) = start(req);
    finished(&events).await;
    let (_, got) = read_page_run(&events.borrow());
    assert_eq!(got.meta, want.meta);
    assert_eq!(got.digest(), want.digest());
}

#[wasm_bindgen_test]
async fn a_worker_whose_script_cannot_load_hands_the_sweep_to_the_page_with_the_reason() {
    // This test page serves no sweep-worker_loader.js: the worker starts, then reports an error.
    set_no_worker(false);
    let req = request(3, 2);
    let want = run_all(req.clone()).unwrap();
    let (handle, events) = start(req);
    finished(&events).await;
    let (reason, got) = read_page_run(&events.borrow());
    assert!(!reason.is_empty() && reason != DISABLED_REASON, "{reason}");
    assert_eq!(handle.mode(), Mode::MainThread { reason });
    assert_eq!(got.digest(), want.digest());
    // A worker that failed to start is not tried again on this page.
    let (again, events) = start(request(2, 1));
    assert!(matches!(again.mode(), Mode::MainThread { .. }));
    finished(&events).await;
    assert_eq!(events.borrow().last(), Some(&SweepEvent::Done));
}

#[wasm_bindgen_test]
async fn a_cancelled_sweep_says_nothing_more() {
    set_no_worker(true);
    let (handle, events) = start(request(30, 20));
    for _ in 0..400 {
        if events
            .borrow()
            .iter()
            .any(|e| matches!(e, SweepEvent::Results(_)))
        {
            break;
        }
        sleep(5).await;
    }
    handle.cancel();
    assert!(handle.is_finished());
    let seen = events.borrow().len();
    sleep(300).await;
    assert_eq!(events.borrow().len(), seen, "nothing after cancel");
    assert!(
        !events
            .borrow()
            .iter()
            .any(|e| matches!(e, SweepEvent::Done)),
        "600 runs do not finish in one slice"
    );
    // Dropping a handle stops its sweep too; starting another stops the one before.
    let (first, first_events) = start(request(30, 20));
    let (_second, second_events) = start(request(2, 1));
    assert!(first.is_finished(), "superseded");
    finished(&second_events).await;
    assert!(
        first_events.borrow().is_empty(),
        "{:?}",
        first_events.borrow()
    );
}

#[wasm_bindgen_test]
async fn a_request_that_cannot_run_fails_with_the_reason() {
    set_no_worker(true);
    let mut req = request(3, 2);
    req.def.param = "no_such_param".into();
    let reason = sim::sweep::SweepPlan::new(req.clone())
        .err()
        .unwrap()
        .to_string();
    let (_handle, events) = start(req);
    finished(&events).await;
    assert_eq!(
        *events.borrow(),
        vec![
            SweepEvent::MainThread {
                reason: DISABLED_REASON.into()
            },
            SweepEvent::Failed(reason)
        ]
    );
}
