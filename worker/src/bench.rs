//! The miss-ratio-curve benchmark of issue 12, run by the shipped worker so that it is timed
//! where the app's miss-ratio sweeps run: the page (or a benchmark script) posts
//! `{"bench-mrc": {"id": N}}` ([`BenchRequest::Mrc`]) instead of a sweep. The worker builds the
//! benchmark trace (`sim::bench::cache_trace`: 1,000,000 requests, Zipf(0.8) over 100,000 keys,
//! next uses filled in for MIN), replays it through every policy of `sim::cache::POLICIES` at
//! each of the 20 sizes of `sim::bench::MRC_CAPACITIES`, each size on a fresh cache, and posts a
//! [`BenchReply::Trace`], one [`BenchReply::Policy`] per policy (its time and misses at each
//! size) and a [`BenchReply::Done`] with the total. The app never sends it; the benchmark is
//! `tests/e2e/bench/mrc-bench.mjs`, which checks the curves (MIN the floor, the same misses as
//! natively, where `sim::bench::check_mrc` checks them): the check is not shipped in the worker,
//! to keep the worker's growth to the replay loop.
//!
//! The second benchmark, `{"bench-requests": {"id": N, "requests": R}}` ([`BenchRequest::Requests`]),
//! runs the request simulator's standard workload (`sim::requests::bench`) under eight balancing
//! strategies, for the simulated requests per second in wasm (`tests/e2e/bench/requests-bench.mjs`).
//!
//! The third, `{"bench-resilience": {"id": N, "decisions": D, "clients": C, "seeds": S}}`
//! ([`BenchRequest::Resilience`]), times each rate limiter's decisions on
//! `sim::resilience::bench::limiter_run` and the backoff experiment's grid
//! (`sim::resilience::bench::backoff_grid`, clients 1…C × 5 strategies × S seeds)
//! (`tests/e2e/bench/resilience-bench.mjs`).

use serde::{Deserialize, Serialize};
use sim::cache::Request;
use sim::requests::bench::{bench_run, BenchRun, BENCH_STRATEGIES};
use sim::resilience::backoff::Strategy;
use sim::resilience::bench::{backoff_grid, limiter_run};
use sim::resilience::limiter::Algorithm;

/// A benchmark request (a message the app's sweeps never send).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum BenchRequest {
    /// The 20-size × every-policy miss-ratio curve on the 1M-request benchmark trace.
    #[serde(rename = "bench-mrc")]
    Mrc {
        /// Echoed in every reply.
        id: u32,
    },
    /// The request simulator's throughput: `sim::requests::bench::bench_config(requests)` run to
    /// its end under each of the eight `BENCH_STRATEGIES` in turn
    /// (`tests/e2e/bench/requests-bench.mjs`).
    #[serde(rename = "bench-requests")]
    Requests {
        /// Echoed in every reply.
        id: u32,
        /// About this many arrivals per strategy.
        requests: u64,
    },
    /// Rate-limiter decisions per second and the backoff experiment's grid
    /// (`tests/e2e/bench/resilience-bench.mjs`).
    #[serde(rename = "bench-resilience")]
    Resilience {
        /// Echoed in every reply.
        id: u32,
        /// Decisions per limiter.
        decisions: u64,
        /// The grid's largest client count.
        clients: u32,
        /// Seeds per grid cell.
        seeds: u64,
    },
}

/// The benchmark's replies, in order: `Trace`, one `Policy` per policy, `Done`. Times are in
/// milliseconds of the worker's clock.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(missing_docs)] // fields: as named
pub enum BenchReply {
    /// The trace is built: its requests and distinct keys, and the time that took.
    #[serde(rename = "bench-mrc-trace")]
    Trace {
        id: u32,
        requests: u64,
        keys: u64,
        ms: f64,
    },
    /// One policy's curve: misses at each size, and the time its replays took.
    #[serde(rename = "bench-mrc-policy")]
    Policy {
        id: u32,
        policy: String,
        ms: f64,
        misses: Vec<u64>,
    },
    /// Every policy has run: the sizes and the whole job's time (the trace included).
    #[serde(rename = "bench-mrc-done")]
    Done {
        id: u32,
        capacities: Vec<u64>,
        total_ms: f64,
    },
    /// One strategy's run of the request benchmark: its work and the time it took (the report
    /// with exact percentiles included). `error` is set, and the counts are 0, if it failed.
    #[serde(rename = "bench-requests-strategy")]
    RequestsStrategy {
        id: u32,
        strategy: String,
        requests: u64,
        events: u64,
        served: u64,
        p99_us: u64,
        ms: f64,
        error: Option<String>,
    },
    /// Every strategy has run: the whole job's time.
    #[serde(rename = "bench-requests-done")]
    RequestsDone { id: u32, total_ms: f64 },
    /// One limiter's decisions and their time.
    #[serde(rename = "bench-limiter")]
    Limiter {
        id: u32,
        algorithm: String,
        decisions: u64,
        admitted: u64,
        ms: f64,
    },
    /// One backoff strategy's share of the grid: its runs, calls and time.
    #[serde(rename = "bench-backoff")]
    Backoff {
        id: u32,
        strategy: String,
        runs: u64,
        calls: u64,
        ms: f64,
        error: Option<String>,
    },
    /// The whole job's time, and the grid's alone.
    #[serde(rename = "bench-resilience-done")]
    ResilienceDone {
        id: u32,
        grid_ms: f64,
        total_ms: f64,
    },
}

/// Answers a benchmark request: builds the benchmark trace and runs [`mrc`] on it with every
/// policy and the benchmark's sizes.
pub fn handle(message: BenchRequest, mut now: impl FnMut() -> f64, post: impl FnMut(BenchReply)) {
    match message {
        BenchRequest::Mrc { id } => {
            let start = now();
            let trace = sim::bench::cache_trace();
            let ids: Vec<&str> = sim::cache::POLICIES.iter().map(|p| p.0).collect();
            mrc(
                id,
                &trace,
                &ids,
                &sim::bench::MRC_CAPACITIES,
                start,
                now,
                post,
            );
        }
        BenchRequest::Requests { id, requests } => {
            requests_bench(id, requests, &BENCH_STRATEGIES, now, post)
        }
        BenchRequest::Resilience {
            id,
            decisions,
            clients,
            seeds,
        } => resilience_bench(id, decisions, clients, seeds, now, post),
    }
}

/// Times every limiter's `decisions` and the backoff grid, posting one reply per limiter and per
/// strategy, then [`BenchReply::ResilienceDone`].
pub fn resilience_bench(
    id: u32,
    decisions: u64,
    clients: u32,
    seeds: u64,
    mut now: impl FnMut() -> f64,
    mut post: impl FnMut(BenchReply),
) {
    let start = now();
    for alg in Algorithm::ALL {
        let t = now();
        let r = limiter_run(alg, decisions);
        post(BenchReply::Limiter {
            id,
            algorithm: alg.id().to_string(),
            decisions: r.decisions,
            admitted: r.admitted,
            ms: now() - t,
        });
    }
    let grid = now();
    for s in Strategy::CLASSIC {
        let t = now();
        let (g, error) = match backoff_grid(s, clients, seeds) {
            Ok(g) => (g, None),
            Err(e) => (Default::default(), Some(e)),
        };
        post(BenchReply::Backoff {
            id,
            strategy: s.id().to_string(),
            runs: g.runs,
            calls: g.calls,
            ms: now() - t,
            error,
        });
    }
    let end = now();
    post(BenchReply::ResilienceDone {
        id,
        grid_ms: end - grid,
        total_ms: end - start,
    });
}

/// Runs the request benchmark of `requests` arrivals under each of `strategies` and posts one
/// [`BenchReply::RequestsStrategy`] each, then [`BenchReply::RequestsDone`].
pub fn requests_bench(
    id: u32,
    requests: u64,
    strategies: &[&str],
    mut now: impl FnMut() -> f64,
    mut post: impl FnMut(BenchReply),
) {
    let start = now();
    for &strategy in strategies {
        let t = now();
        let run = bench_run(strategy, requests, 1);
        let ms = now() - t;
        let (r, error) = match run {
            Ok(r) => (r, None),
            Err(e) => (BenchRun::default(), Some(e)),
        };
        post(BenchReply::RequestsStrategy {
            id,
            strategy: strategy.to_string(),
            requests: r.requests,
            events: r.events,
            served: r.served,
            p99_us: r.p99_us,
            ms,
            error,
        });
    }
    post(BenchReply::RequestsDone {
        id,
        total_ms: now() - start,
    });
}

/// Replays `trace` (next uses filled in) through each of `policies` at each of `capacities`
/// and posts the replies; `start` is when the job began (before the trace was built).
pub fn mrc(
    id: u32,
    trace: &[Request],
    policies: &[&str],
    capacities: &[u64],
    start: f64,
    mut now: impl FnMut() -> f64,
    mut post: impl FnMut(BenchReply),
) {
    post(BenchReply::Trace {
        id,
        requests: trace.len() as u64,
        keys: trace.iter().filter(|r| r.next == sim::cache::NEVER).count() as u64,
        ms: now() - start,
    });
    for &policy in policies {
        let t = now();
        let misses = sim::bench::mrc_misses(policy, trace, capacities).unwrap_or_default();
        post(BenchReply::Policy {
            id,
            policy: policy.to_string(),
            ms: now() - t,
            misses,
        });
    }
    post(BenchReply::Done {
        id,
        capacities: capacities.to_vec(),
        total_ms: now() - start,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_posts_the_trace_every_policys_curve_and_the_verdict() {
        // A Zipf(0.8) trace of 20,000 requests over 2,000 keys and three sizes: the same code
        // path as the 1M job, small enough for a test.
        let trace = sim::cache::workload::Workload::Zipf {
            keys: 2_000,
            s: 0.8,
        }
        .generate(12, sim::cache::workload::SizeModel::Fixed(1), 20_000)
        .unwrap();
        let ids: Vec<&str> = sim::cache::POLICIES.iter().map(|p| p.0).collect();
        let caps = [10, 100, 2_000];
        let mut out = Vec::new();
        let mut t = 0.0;
        let clock = || {
            t += 1.0;
            t
        };
        mrc(5, &trace, &ids, &caps, 0.0, clock, |m| out.push(m));
        assert_eq!(out.len(), ids.len() + 2);
        let BenchReply::Trace {
            id: 5,
            requests: 20_000,
            keys,
            ..
        } = out[0]
        else {
            panic!("{:?}", out[0]);
        };
        assert!(keys > 1_000 && keys <= 2_000, "{keys}");
        for (m, id) in out[1..=ids.len()].iter().zip(&ids) {
            let BenchReply::Policy { policy, misses, .. } = m else {
                panic!("{m:?}");
            };
            assert_eq!(policy, id);
            // Each size replayed on a fresh cache, as cache::replay gives it.
            let want: Vec<u64> = caps
                .iter()
                .map(|&c| {
                    let mut p = sim::bench::cache_policy(id, c).unwrap();
                    sim::cache::replay(p.as_mut(), &trace).misses
                })
                .collect();
            assert_eq!(misses, &want, "{id}");
            // Every key fits at 2,000 objects: MIN misses once per key.
            if id == &"belady" {
                assert_eq!(misses[2], keys);
            }
        }
        let BenchReply::Done {
            id: 5, capacities, ..
        } = &out[ids.len() + 1]
        else {
            panic!("{:?}", out.last());
        };
        assert_eq!(capacities, &caps);
        // The curves pass the native check (MIN the floor, …).
        let curves: Vec<(String, Vec<u64>)> = out[1..=ids.len()]
            .iter()
            .map(|m| match m {
                BenchReply::Policy { policy, misses, .. } => (policy.clone(), misses.clone()),
                _ => unreachable!(),
            })
            .collect();
        let check = sim::bench::check_mrc(&trace, &caps, &curves);
        assert_eq!(check.problems, Vec::<String>::new());
    }

    #[test]
    fn the_request_benchmark_posts_each_strategys_run_then_the_total() {
        let mut out = Vec::new();
        let mut t = 0.0;
        let clock = || {
            t += 1.0;
            t
        };
        requests_bench(4, 3_000, &["round-robin", "nope"], clock, |m| out.push(m));
        assert_eq!(out.len(), 3, "{out:?}");
        let BenchReply::RequestsStrategy {
            id: 4,
            strategy,
            requests,
            events,
            served,
            error: None,
            ..
        } = &out[0]
        else {
            panic!("{:?}", out[0]);
        };
        assert_eq!(strategy, "round-robin");
        let native = bench_run("round-robin", 3_000, 1).unwrap();
        assert_eq!(
            (*requests, *events, *served),
            (native.requests, native.events, native.served)
        );
        assert!(
            matches!(&out[1], BenchReply::RequestsStrategy { error: Some(e), requests: 0, .. } if e.contains("nope")),
            "{:?}",
            out[1]
        );
        assert!(matches!(out[2], BenchReply::RequestsDone { id: 4, .. }));
        let request: BenchRequest =
            serde_json::from_str(r#"{"bench-requests": {"id": 2, "requests": 1000000}}"#).unwrap();
        assert_eq!(
            request,
            BenchRequest::Requests {
                id: 2,
                requests: 1_000_000
            }
        );
    }

    #[test]
    fn the_resilience_benchmark_posts_each_limiter_each_strategy_then_the_total() {
        let mut out = Vec::new();
        let mut t = 0.0;
        let clock = || {
            t += 1.0;
            t
        };
        resilience_bench(7, 1_000, 3, 2, clock, |m| out.push(m));
        assert_eq!(out.len(), 7 + 5 + 1, "{out:?}");
        let BenchReply::Limiter {
            id: 7,
            algorithm,
            decisions: 1_000,
            admitted,
            ..
        } = &out[0]
        else {
            panic!("{:?}", out[0]);
        };
        assert_eq!(algorithm, "token-bucket");
        assert_eq!(
            *admitted,
            limiter_run(Algorithm::TokenBucket, 1_000).admitted
        );
        assert!(
            matches!(&out[7], BenchReply::Backoff { runs: 6, error: None, strategy, .. } if strategy == "none"),
            "{:?}",
            out[7]
        );
        assert!(matches!(out[12], BenchReply::ResilienceDone { id: 7, .. }));
        let request: BenchRequest = serde_json::from_str(
            r#"{"bench-resilience": {"id": 1, "decisions": 10, "clients": 100, "seeds": 20}}"#,
        )
        .unwrap();
        assert_eq!(
            request,
            BenchRequest::Resilience {
                id: 1,
                decisions: 10,
                clients: 100,
                seeds: 20
            }
        );
    }

    #[test]
    fn the_request_and_replies_have_the_wire_names_the_benchmark_script_uses() {
        // Externally tagged, as serde-wasm-bindgen carries them too: the script
        // (tests/e2e/bench/mrc-bench.mjs) posts {"bench-mrc": {"id": N}} and reads these tags.
        let request: BenchRequest = serde_json::from_str(r#"{"bench-mrc": {"id": 3}}"#).unwrap();
        assert_eq!(request, BenchRequest::Mrc { id: 3 });
        let done = BenchReply::Done {
            id: 3,
            capacities: vec![100],
            total_ms: 1.5,
        };
        let json = serde_json::to_string(&done).unwrap();
        assert!(
            json.starts_with(r#"{"bench-mrc-done":{"id":3,"capacities":[100]"#),
            "{json}"
        );
    }
}
