//! Retry backoff (`sim::resilience::backoff`): the delay formulas against hand calculations and
//! the source material's totals, retry amplification against the geometric sum, the two retry
//! budgets against their specifications, and Brooker's contention experiment against the
//! published ranking over many seeds.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::resilience::backoff::budget::{BudgetError, FinagleRetryBudget, GrpcRetryThrottle};
use sim::resilience::backoff::*;
use sim::rng::SimRng;
use sim::time::SimTime;

const MS: u64 = 1_000;

fn backoff(strategy: Strategy, base_us: u64, cap_us: u64) -> Backoff {
    Backoff::new(strategy, base_us, cap_us).expect("a valid backoff")
}

// ---------------------------------------------------------------------------------------------
// Known answers: the formulas.
// ---------------------------------------------------------------------------------------------

/// The blog's exponential schedule with base 5 ms and cap 2 s: 5, 10, 20, … 1280 ms, then 2 s
/// (5 · 2^9 = 2560 ms is over the cap).
#[test]
fn exponential_doubles_from_the_base_and_stops_at_the_cap() {
    let b = Backoff::classic(Strategy::Exponential);
    let delays: Vec<u64> = (0..11)
        .map(|a| b.delay_us_with(a, 0, |_, _| unreachable!("no draw")))
        .collect();
    let ms = [5, 10, 20, 40, 80, 160, 320, 640, 1_280, 2_000, 2_000];
    assert_eq!(delays, ms.map(|m| m * MS).to_vec());
}

/// Catalogue B, A13: after k retries with base b the exponential client has waited b·(2^k − 1)
/// in all and the linear one b·k(k+1)/2 (b = 100 ms, no cap in reach).
#[test]
fn a13_totals_exponential_and_linear() {
    let b_us = 100 * MS;
    let exp = backoff(Strategy::Exponential, b_us, u64::MAX);
    let lin = backoff(Strategy::Linear, b_us, u64::MAX);
    for k in 0..=20u32 {
        let total =
            |bo: &Backoff| -> u64 { (0..k).map(|a| bo.delay_us_with(a, 0, |l, _| l)).sum() };
        assert_eq!(total(&exp), b_us * ((1 << k) - 1), "exponential, k = {k}");
        assert_eq!(
            total(&lin),
            b_us * u64::from(k) * u64::from(k + 1) / 2,
            "linear, k = {k}"
        );
    }
    // The worked numbers: 5 retries from 1 s wait 31 s exponentially, 15 s linearly.
    let exp_1s = backoff(Strategy::Exponential, 1_000 * MS, u64::MAX);
    let lin_1s = backoff(Strategy::Linear, 1_000 * MS, u64::MAX);
    let total = |bo: &Backoff| -> u64 { (0..5).map(|a| bo.delay_us_with(a, 0, |l, _| l)).sum() };
    assert_eq!(total(&exp_1s), 31_000 * MS);
    assert_eq!(total(&lin_1s), 15_000 * MS);
}

/// No backoff waits nothing; constant waits the base; linear grows by the base up to the cap.
#[test]
fn none_constant_and_linear_schedules() {
    for a in [0, 1, 7, 1_000] {
        assert_eq!(Backoff::classic(Strategy::None).bounds_us(a, 0), (0, 0));
        assert_eq!(
            Backoff::classic(Strategy::Constant).bounds_us(a, 0),
            (5 * MS, 5 * MS)
        );
    }
    let lin = Backoff::classic(Strategy::Linear);
    assert_eq!(lin.bounds_us(0, 0), (5 * MS, 5 * MS));
    assert_eq!(lin.bounds_us(3, 0), (20 * MS, 20 * MS));
    assert_eq!(lin.bounds_us(399, 0), (2_000 * MS, 2_000 * MS));
    assert_eq!(lin.bounds_us(u32::MAX, 0), (2_000 * MS, 2_000 * MS));
}

/// Full jitter: uniform in [0, min(cap, base·2^attempt)]. Attempt 3 from 5 ms: [0, 40 ms]; a draw
/// of 12.345 ms is the delay; past the cap the range is [0, 2 s].
#[test]
fn full_jitter_range_and_fixed_draws() {
    let b = Backoff::classic(Strategy::FullJitter);
    assert_eq!(b.bounds_us(3, 0), (0, 40 * MS));
    assert_eq!(b.delay_us_with(3, 0, |_, _| 12_345), 12_345);
    assert_eq!(b.bounds_us(30, 0), (0, 2_000 * MS));
    // A draw outside the range is clamped into it.
    assert_eq!(b.delay_us_with(3, 0, |_, _| 99 * MS), 40 * MS);
}

/// Equal jitter: ceiling/2 plus uniform in [0, ceiling − ceiling/2]. Attempt 2 from 5 ms:
/// ceiling 20 ms, so [10, 20] ms; a draw of 3 ms gives 13 ms. An odd ceiling (5 µs) splits 2 + [0, 3].
#[test]
fn equal_jitter_range_and_fixed_draws() {
    let b = Backoff::classic(Strategy::EqualJitter);
    assert_eq!(b.bounds_us(2, 0), (10 * MS, 20 * MS));
    assert_eq!(
        b.delay_us_with(2, 0, |lo, hi| {
            assert_eq!((lo, hi), (0, 10 * MS), "the random half's range");
            3 * MS
        }),
        13 * MS
    );
    let odd = backoff(Strategy::EqualJitter, 5, 1_000);
    assert_eq!(odd.bounds_us(0, 0), (2, 5));
    assert_eq!(b.bounds_us(40, 0), (1_000 * MS, 2_000 * MS));
}

/// Decorrelated jitter: min(cap, uniform in [base, 3·previous]). From the base (5 ms) the first
/// range is [5, 15] ms; always taking the top gives 5·3^k ms (15, 45, 135, 405, 1215) and then
/// the cap; after a 1 s sleep the top (3 s) is capped to 2 s. The attempt number is ignored.
#[test]
fn decorrelated_jitter_range_and_fixed_draws() {
    let b = Backoff::classic(Strategy::Decorrelated);
    assert_eq!(b.bounds_us(0, 5 * MS), (5 * MS, 15 * MS));
    assert_eq!(b.bounds_us(17, 5 * MS), (5 * MS, 15 * MS));
    let mut prev = b.base_us();
    let mut tops = Vec::new();
    for a in 0..7 {
        prev = b.delay_us_with(a, prev, |_, hi| hi);
        tops.push(prev / MS);
    }
    assert_eq!(tops, [15, 45, 135, 405, 1_215, 2_000, 2_000]);
    assert_eq!(
        b.delay_us_with(0, 1_000 * MS, |lo, hi| {
            assert_eq!((lo, hi), (5 * MS, 3_000 * MS));
            2_500 * MS
        }),
        2_000 * MS
    );
    // The bottom never goes under the base, whatever the previous delay.
    assert_eq!(b.bounds_us(0, 0).0, 5 * MS);
}

/// `next_delay_us` is the formula with a uniform integer draw from the given generator: its
/// value equals the range's low end plus `below(span)` on a copy of the generator.
#[test]
fn next_delay_draws_uniformly_from_the_range() {
    for strategy in [
        Strategy::FullJitter,
        Strategy::EqualJitter,
        Strategy::Decorrelated,
    ] {
        let b = Backoff::classic(strategy);
        let mut state = b.start();
        let mut rng = SimRng::new(99);
        for attempt in 1..12 {
            let mut copy = rng.clone();
            let prev = state.prev_sleep_us();
            let expected = b.delay_us_with(attempt, prev, |lo, hi| lo + copy.below(hi - lo + 1));
            assert_eq!(
                state.next_delay_us(attempt, &mut rng),
                expected,
                "{strategy}"
            );
            assert_eq!(state.prev_sleep_us(), expected);
        }
        state.reset();
        assert_eq!(state.prev_sleep_us(), b.base_us());
    }
}

#[test]
fn strategies_parse_from_their_ids() {
    let ids: Vec<&str> = Strategy::CLASSIC.iter().map(|s| s.id()).collect();
    assert_eq!(
        ids,
        [
            "none",
            "exponential",
            "full-jitter",
            "equal-jitter",
            "decorrelated"
        ]
    );
    for s in Strategy::ALL {
        assert_eq!(Strategy::parse(s.id()), Some(s));
        assert_eq!(s.to_string().parse::<Strategy>(), Ok(s));
    }
    let err = "fulljitter".parse::<Strategy>().unwrap_err();
    assert!(err.to_string().contains("full-jitter"), "{err}");
    assert!(Backoff::new(Strategy::FullJitter, 10, 5).is_err());
}

// ---------------------------------------------------------------------------------------------
// Known answers: amplification.
// ---------------------------------------------------------------------------------------------

/// 1 + p + … + p^(n−1) by hand: p = ½, 3 attempts: 1 + ½ + ¼ = 1.75; p = 0.1, 2 attempts: 1.1;
/// a dead service (p = 1) sees every attempt; a healthy one (p = 0) sees one.
#[test]
fn amplification_is_the_geometric_sum() {
    assert_eq!(amplification(0.5, 3), 1.75);
    assert!((amplification(0.1, 2) - 1.1).abs() < 1e-15);
    assert_eq!(amplification(1.0, 4), 4.0);
    assert_eq!(amplification(0.0, 5), 1.0);
    assert_eq!(amplification(0.5, 0), 0.0);
    // The closed form (1 − p^n)/(1 − p).
    for (p, n) in [(0.3f64, 5i32), (0.9, 10), (0.99, 3)] {
        let closed = (1.0 - p.powi(n)) / (1.0 - p);
        assert!(
            (amplification(p, n as u32) - closed).abs() < 1e-12,
            "p {p}, n {n}"
        );
    }
}

/// Retries at every layer: a dead bottom service sees attempts^layers calls per request (3 layers
/// of 3 attempts: 27; 5 layers: 243). By hand for p = ½, two layers of two attempts: the lower
/// layer sends 1 + ½ = 1.5 calls per call and fails with ¼; the upper layer sends 1 + ¼ = 1.25
/// calls into it: 1.875.
#[test]
fn layered_amplification_multiplies_per_layer() {
    assert_eq!(layered_amplification(1.0, 3, 3), 27.0);
    assert_eq!(layered_amplification(1.0, 3, 5), 243.0);
    assert_eq!(layered_amplification(0.5, 2, 2), 1.875);
    assert_eq!(layered_amplification(0.4, 3, 1), amplification(0.4, 3));
    assert_eq!(layered_amplification(0.4, 3, 0), 1.0);
}

// ---------------------------------------------------------------------------------------------
// Known answers: retry budgets.
// ---------------------------------------------------------------------------------------------

/// gRFC A6's example (maxTokens 10, tokenRatio 0.1): retries need more than 5 tokens. Four
/// failures leave 6 (retry allowed), the fifth leaves 5 (refused); one success brings 5.1
/// (allowed again). The count never exceeds 10 nor falls below 0.
#[test]
fn grpc_throttle_follows_a6() {
    let t0 = SimTime::ZERO;
    let mut t = GrpcRetryThrottle::a6_example();
    assert_eq!(t, GrpcRetryThrottle::new(10, 100).unwrap());
    for _ in 0..4 {
        t.on_failure(t0);
    }
    assert_eq!(t.milli_tokens(), 6_000);
    assert!(t.try_withdraw(t0));
    assert_eq!(t.milli_tokens(), 6_000, "checking spends nothing");
    t.on_failure(t0);
    assert_eq!(t.milli_tokens(), 5_000);
    assert!(!t.try_withdraw(t0), "5 tokens is not above the threshold 5");
    t.on_success(t0);
    assert_eq!(t.milli_tokens(), 5_100);
    assert!(t.try_withdraw(t0));
    for _ in 0..20 {
        t.on_failure(t0);
    }
    assert_eq!(t.milli_tokens(), 0);
    for _ in 0..200 {
        t.on_success(t0);
    }
    assert_eq!(t.milli_tokens(), 10_000);
    assert_eq!(
        GrpcRetryThrottle::new(0, 100),
        Err(BudgetError::ZeroMaxTokens)
    );
    assert_eq!(
        GrpcRetryThrottle::new(10, 0),
        Err(BudgetError::ZeroTokenRatio)
    );
}

/// Finagle's default budget (ttl 10 s, 10 retries/s, 20 %): a retry costs 1000/0.2 = 5000 units,
/// the reserve is 10 · 10 · 5000 = 500,000 units, i.e. 100 retries; five requests add one retry.
#[test]
fn finagle_default_budget_amounts() {
    let t0 = SimTime::ZERO;
    let mut b = FinagleRetryBudget::finagle_default(t0);
    assert_eq!(b.withdrawal_amount(), 5_000);
    assert_eq!(b.reserve(), 500_000);
    assert_eq!(b.balance(t0), 100);
    for _ in 0..5 {
        b.deposit(t0);
    }
    assert_eq!(b.balance(t0), 101);
    for _ in 0..101 {
        assert!(b.try_withdraw(t0));
    }
    assert!(!b.try_withdraw(t0), "the budget is spent");
    assert_eq!(b.balance(t0), 0);
}

/// Withdrawals expire after about the ttl, as `WindowedAdder` rolls its ten 1-second slices.
/// Spent at t = 0 and next looked at 10 s later, the roll finds ten slices gone and clears all.
/// Looked at 5 s and 9.5 s, each look starts a new slice there (the slice start is reset to the
/// time of the roll, not advanced by whole slices), so the slice holding the withdrawal is
/// dropped only at the roll at 10.5 s: "approximately ttl", as Finagle documents.
#[test]
fn finagle_withdrawals_expire_after_about_the_ttl() {
    let t0 = SimTime::ZERO;
    let mut once = FinagleRetryBudget::finagle_default(t0);
    while once.try_withdraw(t0) {}
    assert_eq!(once.balance(t0), 0);
    assert_eq!(once.balance(SimTime::from_secs(10)), 100);

    let mut watched = FinagleRetryBudget::finagle_default(t0);
    while watched.try_withdraw(t0) {}
    assert_eq!(watched.balance(SimTime::from_secs(5)), 0);
    assert_eq!(watched.balance(SimTime::from_ms(9_500)), 0);
    assert_eq!(watched.balance(SimTime::from_secs(10)), 0);
    assert_eq!(watched.balance(SimTime::from_ms(10_499)), 0);
    assert_eq!(watched.balance(SimTime::from_ms(10_500)), 100);
}

/// Deposits expire too: with no reserve and 50 % (a retry costs 2000), two requests buy one
/// retry; the same two requests are forgotten 10 s later.
#[test]
fn finagle_deposits_buy_retries_and_expire() {
    let t0 = SimTime::ZERO;
    let mut b = FinagleRetryBudget::new(10, 0, 0.5, t0).unwrap();
    assert_eq!(b.withdrawal_amount(), 2_000);
    assert!(!b.try_withdraw(t0));
    b.deposit(t0);
    b.deposit(t0);
    assert_eq!(b.balance(SimTime::from_secs(3)), 1);
    assert_eq!(b.balance(SimTime::from_secs(11)), 0);
    // Neither a reserve nor a percentage: never a retry (Finagle's `RetryBudget.Empty`).
    let mut empty = FinagleRetryBudget::new(10, 0, 0.0, t0).unwrap();
    empty.deposit(t0);
    assert!(!empty.try_withdraw(t0));
    assert!(FinagleRetryBudget::new(0, 10, 0.2, t0).is_err());
    assert!(FinagleRetryBudget::new(61, 10, 0.2, t0).is_err());
    assert!(FinagleRetryBudget::new(10, 10, -0.1, t0).is_err());
    assert!(FinagleRetryBudget::new(10, 10, f64::NAN, t0).is_err());
}

// ---------------------------------------------------------------------------------------------
// Fidelity: amplification.
// ---------------------------------------------------------------------------------------------

/// The standard deviation of the attempts one request makes: K ≥ k with probability p^(k−1), so
/// E[K²] = Σ_{k=1..n} (2k − 1) p^(k−1).
fn attempts_sd(p: f64, n: u32) -> f64 {
    let mean = amplification(p, n);
    let second: f64 = (1..=n)
        .map(|k| f64::from(2 * k - 1) * p.powi(k as i32 - 1))
        .sum();
    (second - mean * mean).max(0.0).sqrt()
}

/// Monte Carlo attempts per request within 5 standard errors of the geometric sum (20,000
/// requests each), and the failure rate within 5 standard errors of p^n.
#[test]
fn monte_carlo_amplification_matches_the_geometric_sum() {
    const R: u64 = 20_000;
    let mut rng = SimRng::stream(7, "amplification");
    for p in [0.05, 0.3, 0.5, 0.8, 0.95, 1.0] {
        for n in [1, 2, 3, 5, 8] {
            let s = simulate_amplification(p, n, R, &mut rng);
            let want = amplification(p, n);
            let tol = 5.0 * attempts_sd(p, n) / (R as f64).sqrt() + 1e-12;
            let got = s.attempts_per_request();
            assert!(
                (got - want).abs() <= tol,
                "p {p}, n {n}: {got:.4} attempts per request, formula {want:.4} ± {tol:.4}"
            );
            let fail = p.powi(n as i32);
            let fail_tol = 5.0 * (fail * (1.0 - fail) / R as f64).sqrt() + 1e-12;
            assert!(
                (s.failure_rate() - fail).abs() <= fail_tol,
                "p {p}, n {n}: failure rate {} vs p^n {fail}",
                s.failure_rate()
            );
        }
    }
}

/// The layered Monte Carlo within 3 % of the product formula (20,000 requests; the spread of the
/// mean is under 1 % in every case here), and exactly n^layers on a dead service.
#[test]
fn monte_carlo_layered_amplification_matches_the_product() {
    let mut rng = SimRng::stream(8, "layered");
    for (p, n, layers) in [
        (0.3, 3, 3),
        (0.7, 3, 3),
        (0.5, 2, 4),
        (0.9, 2, 3),
        (0.2, 4, 2),
    ] {
        let s = simulate_layered_amplification(p, n, layers, 20_000, &mut rng);
        let want = layered_amplification(p, n, layers);
        let got = s.attempts_per_request();
        assert!(
            (got / want - 1.0).abs() < 0.03,
            "p {p}, {n} attempts × {layers} layers: {got:.3} vs {want:.3}"
        );
    }
    let dead = simulate_layered_amplification(1.0, 3, 4, 100, &mut rng);
    assert_eq!(dead.attempts, 100 * 81);
    assert_eq!(dead.failed, 100);
}

/// A dead service (p = 1), 3 attempts per request, 1,000 requests a second for 10 s. Without a
/// budget it gets 3 calls per request. gRPC's A6 throttle (10 tokens, retries above 5): request 1
/// fails three times (tokens 9, 8, 7; two retries allowed), request 2 fails at 6 (a retry is
/// allowed) and at 5 (refused); from then on no retry goes out: one call per request plus 3. Finagle's default lets
/// 20 % of requests retry plus 10 retries a second: about 1.21 calls per request.
#[test]
fn retry_budgets_cap_amplification_on_a_dead_service() {
    let mut rng = SimRng::new(1);
    let unlimited = simulate_amplification(1.0, 3, 10_000, &mut rng);
    assert_eq!(unlimited.attempts_per_request(), 3.0);

    let mut grpc = GrpcRetryThrottle::a6_example();
    let s = simulate_budgeted_amplification(1.0, 3, 10_000, 1_000, &mut grpc, &mut rng);
    assert_eq!(s.attempts, 10_000 + 3);
    assert_eq!(s.failed, 10_000);

    let mut finagle = FinagleRetryBudget::finagle_default(SimTime::ZERO);
    let s = simulate_budgeted_amplification(1.0, 3, 10_000, 1_000, &mut finagle, &mut rng);
    let a = s.attempts_per_request();
    assert!(
        (1.18..=1.24).contains(&a),
        "Finagle: {a:.3} calls per request"
    );

    // Under A6's threshold (it throttles once failures pass ~10 % of attempts, where a failure's
    // −1 outweighs nine successes' +0.1) the throttle stays out of the way: at p = 5 % the
    // tokens drift up by 0.95 · 0.1 − 0.05 per attempt and hardly a retry is refused.
    let mut grpc = GrpcRetryThrottle::a6_example();
    let s = simulate_budgeted_amplification(0.05, 3, 10_000, 1_000, &mut grpc, &mut rng);
    assert!(s.retries_denied <= 10, "{s:?}");
    assert!((s.attempts_per_request() - amplification(0.05, 3)).abs() < 0.01);
}

// ---------------------------------------------------------------------------------------------
// The contention experiment.
// ---------------------------------------------------------------------------------------------

/// One client never conflicts: one read, one write, four network delays.
#[test]
fn a_lone_client_writes_once() {
    for strategy in Strategy::ALL {
        let mut cfg = ContentionConfig::classic(1, strategy, 3);
        cfg.net = NetDelay::Fixed { us: 10 * MS };
        let out = run_contention(&cfg).unwrap();
        assert_eq!((out.calls, out.reads, out.conflicts), (1, 1, 0));
        assert_eq!(out.completion_us, 40 * MS);
    }
}

/// Two clients with a fixed 10 ms network and exponential backoff, by hand: both read version 0
/// at 10 ms and write at 30 ms; client 0's write lands first (scheduled first) and wins; client
/// 1's conflicts, learns it at 40 ms, backs off 2·5 = 10 ms (attempt 1, as in the simulator) and
/// reads at 40 + 10 + 10 = 60 ms, writes at 80 ms, and is done at 90 ms.
#[test]
fn two_clients_by_hand() {
    let mut cfg = ContentionConfig::classic(2, Strategy::Exponential, 0).with_events(100);
    cfg.net = NetDelay::Fixed { us: 10 * MS };
    let out = run_contention(&cfg).unwrap();
    assert_eq!((out.calls, out.reads, out.conflicts), (3, 3, 1));
    assert_eq!(out.attempts, [1, 2]);
    assert_eq!(out.finish_us, [40 * MS, 90 * MS]);
    assert_eq!(out.completion_us, 90 * MS);
    use ContentionEventKind::*;
    let log: Vec<(u64, u32, ContentionEventKind)> = out
        .events
        .iter()
        .map(|e| (e.time.as_ms(), e.client, e.kind))
        .collect();
    assert_eq!(
        log,
        [
            (10, 0, Read { version: 0 }),
            (10, 1, Read { version: 0 }),
            (30, 0, WriteOk { version: 1 }),
            (
                30,
                1,
                WriteConflict {
                    read: 0,
                    current: 1
                }
            ),
            (40, 0, Done),
            (
                40,
                1,
                Sleep {
                    attempt: 1,
                    delay_us: 10 * MS
                }
            ),
            (60, 1, Read { version: 1 }),
            (80, 1, WriteOk { version: 2 }),
            (90, 1, Done),
        ]
    );
}

#[test]
fn rejects_bad_configs() {
    let mut cfg = ContentionConfig::classic(0, Strategy::FullJitter, 1);
    assert_eq!(run_contention(&cfg), Err(ContentionError::NoClients));
    cfg.clients = 20_000;
    assert!(matches!(
        run_contention(&cfg),
        Err(ContentionError::TooManyClients { .. })
    ));
    cfg.clients = 3;
    cfg.net = NetDelay::Uniform {
        min_us: 5,
        max_us: 4,
    };
    assert_eq!(run_contention(&cfg), Err(ContentionError::EmptyNetRange));
}

/// The log stops at its cap and counts the rest; it is in time order.
#[test]
fn event_log_is_ordered_and_capped() {
    let cfg = ContentionConfig::classic(20, Strategy::FullJitter, 5).with_events(50);
    let out = run_contention(&cfg).unwrap();
    assert_eq!(out.events.len(), 50);
    assert!(out.events_dropped > 0);
    assert!(out.events.windows(2).all(|w| w[0].time <= w[1].time));
    let full = run_contention(&cfg.clone().with_events(1_000_000)).unwrap();
    assert_eq!(full.events_dropped, 0);
    assert_eq!(full.events.len() as u64, 50 + out.events_dropped);
    let oks = full
        .events
        .iter()
        .filter(|e| matches!(e.kind, ContentionEventKind::WriteOk { .. }))
        .count();
    assert_eq!(oks, 20);
    let silent = run_contention(&ContentionConfig::classic(20, Strategy::FullJitter, 5)).unwrap();
    assert!(silent.events.is_empty());
    assert_eq!(
        (silent.calls, silent.completion_us),
        (full.calls, full.completion_us)
    );
}

/// Same config, same outcome; another seed, another outcome.
#[test]
fn contention_is_deterministic() {
    for strategy in Strategy::CLASSIC {
        let cfg = ContentionConfig::classic(30, strategy, 11).with_events(500);
        let a = run_contention(&cfg).unwrap();
        let b = run_contention(&cfg).unwrap();
        assert_eq!(a, b, "{strategy}: same seed twice");
        let mut other = cfg.clone();
        other.seed = 12;
        let c = run_contention(&other).unwrap();
        assert_ne!(
            (a.completion_us, &a.finish_us),
            (c.completion_us, &c.finish_us),
            "{strategy}: seeds 11 and 12 gave the same run"
        );
    }
}

/// A cross-target pin (native and wasm32 must agree): a run's totals for seed 42. A change of
/// generator, stream labels or draw order changes these; a change of target must not.
#[test]
fn contention_pinned_digest() {
    let digest: Vec<(u64, u64)> = Strategy::CLASSIC
        .iter()
        .map(|&s| {
            let out = run_contention(&ContentionConfig::classic(25, s, 42)).unwrap();
            (out.calls, out.completion_us)
        })
        .collect();
    println!("pinned digest: {digest:?}");
    assert_eq!(digest, PINNED_DIGEST);
}

const PINNED_DIGEST: [(u64, u64); 5] = [
    (209, 689_485),
    (207, 19_251_948),
    (136, 1_706_528),
    (151, 2_478_396),
    (135, 1_010_241),
];

/// Means over `seeds` of calls and completion time for each classic strategy at `clients`.
fn means(clients: u32, seeds: u64) -> Vec<ContentionAverage> {
    Strategy::CLASSIC
        .iter()
        .map(|&s| {
            average_contention(&ContentionConfig::classic(clients, s, 0), 0..seeds)
                .unwrap()
                .unwrap()
        })
        .collect()
}

fn print_table(rows: &[Vec<ContentionAverage>]) {
    println!(
        "{:>4} | {:>28} | {:>38}",
        "N", "mean calls (writes)", "mean completion time (ms)"
    );
    print!("{:>4} |", "");
    for s in Strategy::CLASSIC {
        print!(" {:>7}", &s.id()[..s.id().len().min(7)]);
    }
    print!(" |");
    for s in Strategy::CLASSIC {
        print!(" {:>7}", &s.id()[..s.id().len().min(7)]);
    }
    println!();
    for row in rows {
        print!("{:>4} |", row[0].clients);
        for a in row {
            print!(" {:>7.1}", a.mean_calls);
        }
        print!(" |");
        for a in row {
            print!(" {:>7.1}", a.mean_completion_us / 1_000.0);
        }
        println!();
    }
}

const NONE: usize = 0;
const EXP: usize = 1;
const FULL: usize = 2;
const EQUAL: usize = 3;
const DECORR: usize = 4;

/// Brooker's result over 20 seeds at N = 10, 25, 50 and 100 (the table is printed with
/// `--nocapture`; columns follow `Strategy::CLASSIC`). Measured (µs-exact, seeds 0..20):
/// exponential without jitter makes 1.31× (N = 10), 1.58× (25), 1.87× (50) and 2.35× (100) the
/// calls of full jitter and takes 7.1×, 14.0×, 12.4× and 12.9× as long. The bounds below leave
/// room for other seeds: calls ≥ 1.15× / 1.35× / 1.6× / 2× and time ≥ 4× / 8× / 8× / 8×.
/// Exponential takes over 3× (N = 10) and 6× (N ≥ 25) as long as every jittered strategy
/// (measured ≥ 4.4× and ≥ 8.3×). No backoff makes the most calls (tied with exponential within
/// 5 % up to N = 25, clearly more from 50 on); the three jittered strategies are within 1.35× of
/// each other in calls, full jitter makes the fewest (within 5 %), decorrelated is the fastest of
/// them (within 5 %) and equal jitter the slowest, as the blog reports.
#[test]
fn classic_experiment_reproduces_the_published_ranking() {
    let rows: Vec<Vec<ContentionAverage>> =
        [1, 10, 25, 50, 100].iter().map(|&n| means(n, 20)).collect();
    print_table(&rows);
    for row in &rows[1..] {
        let n = row[0].clients;
        let calls: Vec<f64> = row.iter().map(|a| a.mean_calls).collect();
        let time: Vec<f64> = row.iter().map(|a| a.mean_completion_us).collect();
        let (min_calls_ratio, min_time_ratio) = match n {
            10 => (1.15, 4.0),
            25 => (1.35, 8.0),
            50 => (1.6, 8.0),
            _ => (2.0, 8.0),
        };
        let calls_ratio = calls[EXP] / calls[FULL];
        let time_ratio = time[EXP] / time[FULL];
        println!(
            "N = {n}: exponential / full jitter: calls ×{calls_ratio:.2}, time ×{time_ratio:.1}"
        );
        assert!(
            calls_ratio >= min_calls_ratio,
            "N = {n}: exponential makes only ×{calls_ratio:.2} the calls of full jitter"
        );
        assert!(
            time_ratio >= min_time_ratio,
            "N = {n}: exponential takes only ×{time_ratio:.1} the time of full jitter"
        );
        let jittered = [FULL, EQUAL, DECORR];
        for j in jittered {
            assert!(
                calls[NONE] > calls[j],
                "N = {n}: no backoff makes fewer calls than column {j}"
            );
            let far = if n == 10 { 3.0 } else { 6.0 };
            assert!(
                time[EXP] > far * time[j],
                "N = {n}: exponential not far slower than column {j}"
            );
        }
        if n >= 50 {
            assert!(
                calls[NONE] > 1.05 * calls[EXP],
                "N = {n}: no backoff should make the most calls"
            );
        } else {
            assert!(calls[NONE] > 0.95 * calls[EXP], "N = {n}");
        }
        let min_j = jittered.iter().map(|&j| calls[j]).fold(f64::MAX, f64::min);
        let max_j = jittered.iter().map(|&j| calls[j]).fold(0.0, f64::max);
        assert!(
            max_j <= 1.35 * min_j,
            "N = {n}: jittered calls spread {min_j}..{max_j}"
        );
        assert!(
            calls[FULL] <= 1.05 * min_j,
            "N = {n}: full jitter not the fewest calls"
        );
        assert!(
            time[DECORR] <= 1.05 * time[FULL],
            "N = {n}: decorrelated slower than full"
        );
        assert!(
            time[EQUAL] > time[FULL] && time[EQUAL] > time[DECORR],
            "N = {n}"
        );
    }
}

/// The published simulator itself (`backoff_simulator.py`, run under Python 3 with
/// `random.seed(2015)`, 200 runs per cell, its own code otherwise unchanged): mean calls and
/// mean completion time in ms, per N, in `Strategy::CLASSIC` order. Across batches of 20 of its
/// runs the means spread by at most 2.2 % (calls) and 7.1 % (time), one standard deviation.
const REFERENCE: [(u32, [f64; 5], [f64; 5]); 4] = [
    (
        10,
        [50.7, 50.8, 39.1, 42.6, 38.0],
        [380.0, 3_476.4, 467.6, 723.1, 446.4],
    ),
    (
        25,
        [214.3, 209.1, 134.6, 144.6, 138.4],
        [686.8, 18_436.2, 1_331.2, 2_145.2, 1_033.3],
    ),
    (
        50,
        [691.9, 624.0, 332.3, 347.2, 374.1],
        [1_146.4, 36_483.8, 2_833.6, 4_253.7, 2_201.1],
    ),
    (
        100,
        [2_426.1, 1_856.7, 796.2, 812.1, 1_002.8],
        [2_027.6, 63_615.7, 4_929.2, 6_663.6, 4_568.4],
    ),
];

/// Our 20-seed means against the reference simulator's 200-run means: calls within 8 % and
/// completion time within 25 % in every cell (about 3.5 of its 20-run standard deviations; the
/// largest gaps measured are 2.6 % in calls and 8.2 % in time).
#[test]
fn classic_experiment_matches_the_reference_simulator() {
    for (n, ref_calls, ref_ms) in REFERENCE {
        let row = means(n, 20);
        for (k, a) in row.iter().enumerate() {
            let calls_gap = a.mean_calls / ref_calls[k] - 1.0;
            let time_gap = a.mean_completion_us / 1_000.0 / ref_ms[k] - 1.0;
            println!(
                "N = {n:>3} {:<13} calls {:>7.1} vs {:>7.1} ({:+.1} %), time {:>8.1} vs {:>8.1} ms ({:+.1} %)",
                a.strategy.id(),
                a.mean_calls,
                ref_calls[k],
                100.0 * calls_gap,
                a.mean_completion_us / 1_000.0,
                ref_ms[k],
                100.0 * time_gap
            );
            assert!(calls_gap.abs() < 0.08, "N = {n}, {}: calls", a.strategy);
            assert!(time_gap.abs() < 0.25, "N = {n}, {}: time", a.strategy);
        }
    }
}

/// The benchmark's whole grid, N = 1…100 × 5 strategies × 20 seeds, timed; every run finishes
/// with every client done. `cargo test -p sim --test suite backoff:: -- --ignored --nocapture`.
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore]
fn classic_experiment_full_grid() {
    let start = std::time::Instant::now();
    let mut runs = 0u32;
    for n in 1..=100 {
        for s in Strategy::CLASSIC {
            for seed in 0..20 {
                let out = run_contention(&ContentionConfig::classic(n, s, seed)).unwrap();
                assert_eq!(out.calls, u64::from(n) + out.conflicts);
                runs += 1;
            }
        }
    }
    println!("{runs} runs in {:.2?}", start.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Properties.
// ---------------------------------------------------------------------------------------------

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use super::*;
    use crate::common;
    use proptest::prelude::*;
    use proptest::strategy::Strategy as _;
    use sim::resilience::backoff::Strategy as Backoffs;

    fn strategy() -> impl proptest::strategy::Strategy<Value = Backoffs> {
        proptest::sample::select(Backoffs::ALL.to_vec())
    }

    fn net() -> impl proptest::strategy::Strategy<Value = NetDelay> {
        prop_oneof![
            (0u64..20_000).prop_map(|us| NetDelay::Fixed { us }),
            (0u64..10_000, 0u64..10_000).prop_map(|(a, b)| NetDelay::Uniform {
                min_us: a.min(b),
                max_us: a.max(b)
            }),
            (0u64..20_000, 0u64..10_000)
                .prop_map(|(mean_us, sd_us)| NetDelay::Normal { mean_us, sd_us }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..common::config("backoff") })]

        /// Every delay lies within its bounds, never above the cap, and a decorrelated one never
        /// below the base; a state's successive delays stay there too.
        #[test]
        fn delays_stay_within_base_and_cap(
            s in strategy(),
            base in 1u64..1_000_000,
            extra in 0u64..100_000_000,
            seed in any::<u64>(),
            attempts in proptest::collection::vec(any::<u32>(), 1..40),
        ) {
            let cap = base + extra;
            let b = Backoff::new(s, base, cap).unwrap();
            let mut state = b.start();
            let mut rng = SimRng::new(seed);
            for a in attempts {
                let a = a % 80;
                let (lo, hi) = b.bounds_us(a, state.prev_sleep_us());
                prop_assert!(lo <= hi && hi <= cap, "{s}: bounds {lo}..{hi}, cap {cap}");
                let d = state.next_delay_us(a, &mut rng);
                prop_assert!(lo <= d && d <= hi, "{s}: {d} outside {lo}..{hi}");
                if s == Backoffs::Decorrelated {
                    prop_assert!(d >= base);
                }
            }
        }

        /// Every client finishes: each writes at least once, calls = Σ writes = N + conflicts ≥ N,
        /// the completion time is the last finish, and the same config gives the same outcome.
        #[test]
        fn every_client_eventually_succeeds(
            clients in 1u32..40,
            s in strategy(),
            base in 1u64..20_000,
            extra in 0u64..2_000_000,
            net in net(),
            seed in any::<u64>(),
        ) {
            let cfg = ContentionConfig {
                clients,
                backoff: Backoff::new(s, base, base + extra).unwrap(),
                net,
                seed,
                record_events: true,
                max_events: 200,
            };
            let out = run_contention(&cfg).unwrap();
            prop_assert!(out.attempts.iter().all(|&a| a >= 1));
            prop_assert_eq!(out.calls, out.attempts.iter().map(|&a| u64::from(a)).sum::<u64>());
            prop_assert_eq!(out.calls, u64::from(clients) + out.conflicts);
            prop_assert!(out.calls >= u64::from(clients));
            prop_assert!(out.reads >= out.calls, "each write follows a read");
            prop_assert_eq!(out.completion_us, out.finish_us.iter().copied().max().unwrap());
            prop_assert_eq!(run_contention(&cfg).unwrap(), out);
        }
    }
}
