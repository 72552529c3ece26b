//! # sweep-worker — a sweep's runs off the page's thread
//!
//! The `sim` crate compiled to a wasm of its own, without the UI, started by the page as a
//! classic Web Worker (`src/sweep_runner.rs` in the app). The page posts a
//! [`ToWorker::Run`](sim::sweep::ToWorker) with a sweep's [`SweepRequest`]; the worker answers
//! [`FromWorker::Started`] with the chart's axes, then [`FromWorker::Results`] in batches as the
//! runs finish, in run order, then [`FromWorker::Done`] (or [`FromWorker::Failed`] when the request
//! cannot run). Both directions are the typed Rust values of `sim::sweep`, converted with
//! serde-wasm-bindgen on each side. To stop a sweep the page terminates the worker.
//!
//! This library is the part with no browser in it, so it is tested natively: [`run`] takes the
//! clock and the way to post a message as arguments. `src/main.rs` is the browser glue.
//!
//! Besides sweeps it answers one benchmark request the app never sends ([`bench`]: the
//! miss-ratio curve of issue 12, timed in the shipped worker).

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod bench;

/// An engine's whole program: the wasm the app loads into its page's thread for a family's
/// lessons (`src/engine.rs` in the app; docs/first-load-size.md). It exports one function,
/// `call(json) -> json`: one [`sim::remote::Call`] answered with one [`sim::remote::Reply`] by the
/// [`sim::remote::Host`] that keeps this page's runs. Which models it runs is the build's
/// features (one family per engine). `main` runs once the wasm is instantiated and routes a
/// panic's message to the console (a panic is a bug: the app then fails loudly too).
///
/// Natively an engine is an empty program, so `cargo build --workspace` builds it anyway.
#[macro_export]
macro_rules! engine {
    () => {
        #[cfg(not(target_arch = "wasm32"))]
        fn main() {}

        #[cfg(target_arch = "wasm32")]
        fn main() {
            console_error_panic_hook::set_once();
        }

        #[cfg(target_arch = "wasm32")]
        thread_local! {
            static HOST: std::cell::RefCell<sim::remote::Host> =
                std::cell::RefCell::new(sim::remote::Host::new());
        }

        /// Answers one call (JSON) with its reply (JSON).
        #[cfg(target_arch = "wasm32")]
        #[wasm_bindgen::prelude::wasm_bindgen]
        pub fn call(call: &str) -> String {
            HOST.with(|host| host.borrow_mut().call_json(call))
        }
    };
}

use sim::sweep::{FromWorker, SweepPlan, SweepRequest, ToWorker};

/// How much work, in milliseconds of the worker's clock, goes into one batch of results: the
/// chart gets about 30 updates a second, whatever a run costs (a run longer than this is posted
/// on its own), and the page is never flooded with one message per run.
pub const BATCH_MS: f64 = 30.0;

/// Answers one message from the page: every reply goes to `post`, in order. `now` is a clock in
/// milliseconds (the worker's `performance.now()`); it only decides where batches end.
pub fn handle(message: ToWorker, now: impl FnMut() -> f64, post: impl FnMut(FromWorker)) {
    match message {
        ToWorker::Run { id, request } => run(id, request, now, post),
    }
}

/// Runs sweep `id`: [`FromWorker::Failed`] if the request cannot run; otherwise
/// [`FromWorker::Started`], then every run in order, posted in [`FromWorker::Results`] batches of
/// about [`BATCH_MS`] of work, then [`FromWorker::Done`].
pub fn run(
    id: u32,
    request: SweepRequest,
    mut now: impl FnMut() -> f64,
    mut post: impl FnMut(FromWorker),
) {
    let plan = match SweepPlan::new(request) {
        Ok(plan) => plan,
        Err(e) => {
            post(FromWorker::Failed {
                id,
                message: e.to_string(),
            });
            return;
        }
    };
    post(FromWorker::Started {
        id,
        meta: plan.meta(),
    });
    let mut batch = Vec::new();
    let mut since = now();
    for k in 0..plan.total() {
        batch.push(plan.run(k));
        let t = now();
        if t - since >= BATCH_MS {
            post(FromWorker::Results {
                id,
                results: std::mem::take(&mut batch),
            });
            since = t;
        }
    }
    if !batch.is_empty() {
        post(FromWorker::Results { id, results: batch });
    }
    post(FromWorker::Done { id });
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::sweep::{run_all, JobResult, SweepDef, SweepResult};

    /// A small sweep of the consistent-hashing lesson's "add a sixth server" setup (500 keys):
    /// virtual nodes 1 to 40, three points, two seeds each, two metrics, a theory curve.
    fn request() -> SweepRequest {
        let lesson = catalog::lesson("consistent-hashing").unwrap();
        let mut scenario = lesson.scenario(Some("add-a-server")).unwrap();
        scenario.params.insert("keys".into(), "500".into());
        let def =
            SweepDef::parse_url("vnodes:1..40:3/max_mean_ratio,moved_percent/seeds:2/theory:max_mean_ratio@ring-max-mean", &[]).unwrap();
        SweepRequest::for_scenario(&lesson, &scenario, &def).unwrap()
    }

    /// Every message a run posts, with a clock that moves `step` ms each time it is read.
    fn messages(id: u32, request: SweepRequest, step: f64) -> Vec<FromWorker> {
        let mut t = 0.0;
        let mut out = Vec::new();
        handle(
            ToWorker::Run { id, request },
            || {
                t += step;
                t
            },
            |m| out.push(m),
        );
        out
    }

    #[test]
    fn a_sweep_streams_every_run_in_order_and_gives_what_run_all_gives() {
        let req = request();
        let want = run_all(req.clone()).unwrap();
        let out = messages(7, req, 1.0);
        let Some(FromWorker::Started { id: 7, meta }) = out.first() else {
            panic!("Started comes first: {:?}", out.first());
        };
        assert_eq!(meta, &want.meta);
        assert_eq!(meta.theory.len(), 1, "with its theory curve");
        assert_eq!(out.last(), Some(&FromWorker::Done { id: 7 }));
        let mut got = SweepResult::new(meta.clone());
        let mut next = 0;
        for m in &out[1..out.len() - 1] {
            let FromWorker::Results { id: 7, results } = m else {
                panic!("only results between Started and Done: {m:?}");
            };
            assert!(!results.is_empty(), "no empty batch");
            for r in results {
                assert_eq!(r.run, next, "runs arrive in order");
                next += 1;
                got.add(r.clone());
            }
        }
        assert!(got.complete());
        assert_eq!(got.digest(), want.digest());
        assert_eq!(got, want);
    }

    #[test]
    fn results_are_batched_by_the_time_they_took() {
        let req = request();
        let total = SweepPlan::new(req.clone()).unwrap().total() as usize;
        // A run "takes" 1 ms: batches of BATCH_MS runs; 40 ms: a run a batch.
        let batches = |step: f64| {
            messages(1, req.clone(), step)
                .iter()
                .filter_map(|m| match m {
                    FromWorker::Results { results, .. } => Some(results.len()),
                    _ => None,
                })
                .collect::<Vec<_>>()
        };
        assert_eq!(total, 6);
        assert_eq!(batches(1.0), vec![6], "6 runs in 6 ms: one batch");
        assert_eq!(
            batches(40.0),
            vec![1; 6],
            "a run longer than a batch: one a batch"
        );
        assert_eq!(batches(10.0), vec![3, 3]);
    }

    #[test]
    fn a_request_that_cannot_run_fails_with_the_plans_reason() {
        let mut req = request();
        req.def.param = "no_such_param".into();
        let reason = SweepPlan::new(req.clone()).err().unwrap().to_string();
        assert_eq!(
            messages(3, req, 1.0),
            vec![FromWorker::Failed {
                id: 3,
                message: reason
            }]
        );
    }

    #[test]
    fn a_trace_carried_by_every_sweep_is_parsed_once_per_worker() {
        use sim::cache::attach::{lookup, TraceFile, TraceFormat};
        use std::rc::Rc;
        // The workloads lesson's miss-ratio sweep on an uploaded trace (the textbook reference
        // string 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1), capacity 1 to 4.
        let text = "7\n0\n1\n2\n0\n3\n0\n4\n2\n3\n0\n3\n2\n1\n2\n0\n1\n7\n0\n1\n";
        let file = TraceFile::new("ref.txt", TraceFormat::Text, text.as_bytes().to_vec());
        let reference = file.reference();
        // The page attaches it (on the test's thread) and builds the request, which carries the
        // file's bytes.
        sim::cache::attach::attach(&file).unwrap();
        let lesson = catalog::lesson("workloads").unwrap();
        let mut scenario = lesson.scenario(Some("zipf-mrc")).unwrap();
        scenario.params.insert("workload".into(), "trace".into());
        scenario.params.insert("trace".into(), reference.clone());
        scenario.params.insert("policy".into(), "lru".into());
        let def = SweepDef::parse_url("capacity:1..4:4/miss_ratio/seeds:1", &[]).unwrap();
        let req = SweepRequest::for_scenario(&lesson, &scenario, &def).unwrap();
        assert_eq!(req.traces, vec![file]);
        // A fresh thread is a fresh worker: a trace store of its own.
        std::thread::spawn(move || {
            assert!(lookup(&reference).is_err(), "a fresh worker has no trace");
            let first = messages(1, req.clone(), 1.0);
            let parsed = lookup(&reference).expect("the first sweep attached it");
            let second = messages(2, req, 1.0);
            let again = lookup(&reference).unwrap();
            assert!(
                Rc::ptr_eq(&parsed, &again),
                "the second sweep used the first one's parse"
            );
            let results = |out: &[FromWorker]| -> Vec<JobResult> {
                out.iter()
                    .flat_map(|m| match m {
                        FromWorker::Results { results, .. } => results.clone(),
                        _ => vec![],
                    })
                    .collect()
            };
            assert_eq!(results(&first).len(), 4, "{first:?}");
            // Silberschatz's count for this string: LRU with 3 frames faults 12 times of 20.
            assert_eq!(results(&first)[2].values, vec![Some(0.6)]);
            assert_eq!(results(&first), results(&second));
        })
        .join()
        .unwrap();
    }
}
