//! Circuit breakers (`sim::resilience::breaker`): the notes' Python breaker against the checks in
//! catalogue-b D9, Resilience4j and gobreaker against their own tests (cited per test), and the
//! laws every style keeps on random call sequences.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(not(target_arch = "wasm32"))] // used by the proptest blocks only
use crate::common;

use sim::resilience::breaker::{
    Breaker, BreakerConfig, Counts, Permit, Rejected, State, Style, Transition, Trip, Why,
};
use sim::time::SimTime;

fn ms(ms: u64) -> SimTime {
    SimTime::from_ms(ms)
}

fn secs(s: u64) -> SimTime {
    SimTime::from_secs(s)
}

/// One call at `at` that the breaker must let through, finishing at once.
fn call(b: &mut Breaker, at: SimTime, failed: bool) {
    let p = b
        .try_acquire(at)
        .unwrap_or_else(|r| panic!("call at {at} rejected: {r:?}"));
    b.on_result(p, at, failed, 0);
}

fn t(at: SimTime, from: State, to: State, why: Why) -> Transition {
    Transition { at, from, to, why }
}

fn counts(calls: u32, failures: u32, slow: u32) -> Counts {
    Counts {
        calls,
        failures,
        slow,
    }
}

// ---------------------------------------------------------------------------------------------
// The notes' Python breaker: the checks of catalogue-b D9 (run there with a fake clock).

/// The Python's five failures, one a second from t = 1 s; the fifth opens it.
fn notes_tripped_at_5s() -> Breaker {
    let mut b = Breaker::new(BreakerConfig::notes(false)).unwrap();
    for i in 1..=5 {
        call(&mut b, secs(i), true);
    }
    b
}

#[test]
fn notes_trips_on_the_fifth_consecutive_failure() {
    let mut b = Breaker::new(BreakerConfig::notes(false)).unwrap();
    for i in 1..=4 {
        call(&mut b, secs(i), true);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.consecutive_failures(), 4);
    call(&mut b, secs(5), true);
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.consecutive_failures(), 5);
    assert_eq!(
        b.transitions(),
        [t(
            secs(5),
            State::Closed,
            State::Open,
            Why::ConsecutiveFailures
        )]
    );
    assert_eq!(b.open_until(), Some(secs(65)));
}

#[test]
fn notes_calls_while_open_never_reach_the_service_and_are_not_counted() {
    let mut b = notes_tripped_at_5s();
    for at in [secs(5), secs(6), secs(30), SimTime::from_us(64_999_999)] {
        assert_eq!(
            b.try_acquire(at),
            Err(Rejected::Open {
                retry_at: Some(secs(65))
            })
        );
    }
    assert_eq!(b.consecutive_failures(), 5, "rejections are not failures");
    assert_eq!(b.not_permitted(), 4);
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.transitions().len(), 1);
}

#[test]
fn notes_lets_one_call_through_exactly_sixty_seconds_after_the_last_failure() {
    let mut b = notes_tripped_at_5s();
    assert!(b.try_acquire(secs(65)).is_ok(), "now - last_failure >= 60");
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(
        b.transitions()[1],
        t(secs(65), State::Open, State::HalfOpen, Why::WaitOver)
    );
}

#[test]
fn notes_failed_probe_reopens_with_count_six_and_restarts_the_wait() {
    let mut b = notes_tripped_at_5s();
    let p = b.try_acquire(secs(65)).unwrap();
    b.on_result(p, ms(65_500), true, 500_000);
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.consecutive_failures(), 6);
    assert_eq!(b.open_until(), Some(ms(125_500)));
    assert_eq!(
        b.try_acquire(SimTime::from_us(125_499_999)),
        Err(Rejected::Open {
            retry_at: Some(ms(125_500))
        })
    );
    assert!(b.try_acquire(ms(125_500)).is_ok());
    assert_eq!(
        b.transitions()[2..],
        [
            t(ms(65_500), State::HalfOpen, State::Open, Why::ProbeFailed),
            t(ms(125_500), State::Open, State::HalfOpen, Why::WaitOver),
        ]
    );
}

#[test]
fn notes_successful_probe_closes_and_resets_the_count() {
    let mut b = notes_tripped_at_5s();
    call(&mut b, secs(65), false);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.consecutive_failures(), 0);
    assert_eq!(
        b.transitions(),
        [
            t(
                secs(5),
                State::Closed,
                State::Open,
                Why::ConsecutiveFailures
            ),
            t(secs(65), State::Open, State::HalfOpen, Why::WaitOver),
            t(secs(65), State::HalfOpen, State::Closed, Why::ProbesPassed),
        ]
    );
    // Four more failures do not trip it: the count really restarted from 0.
    for i in 66..70 {
        call(&mut b, secs(i), true);
    }
    assert_eq!(b.state(), State::Closed);
}

#[test]
fn notes_half_open_lets_every_caller_through() {
    // catalogue-b D9, doubt 2: no probe limit.
    let mut b = notes_tripped_at_5s();
    let permits: Vec<Permit> = (0..20).map(|_| b.try_acquire(secs(65)).unwrap()).collect();
    assert_eq!(permits.len(), 20);
    assert_eq!(b.probes_in_flight(), 20);
    assert_eq!(b.state(), State::HalfOpen);
}

#[test]
fn notes_late_success_closes_an_open_breaker() {
    // The Python's `on_success` sets CLOSED whatever the state: a call that started before the
    // trip and succeeds after it closes the breaker at once.
    let mut b = Breaker::new(BreakerConfig::notes(false)).unwrap();
    let slow = b.try_acquire(secs(0)).unwrap();
    for i in 1..=5 {
        call(&mut b, secs(i), true);
    }
    assert_eq!(b.state(), State::Open);
    b.on_result(slow, secs(6), false, 6_000_000);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(
        b.transitions()[1],
        t(secs(6), State::Open, State::Closed, Why::LateSuccess)
    );
    assert_eq!(b.validate(), Ok(()));
}

/// F F F F S, `rounds` times, one call every 100 ms.
fn ffffs(b: &mut Breaker, rounds: u64) {
    for i in 0..rounds * 5 {
        if b.state() != State::Closed {
            return;
        }
        call(b, ms(100 * i), i % 5 != 4);
    }
}

#[test]
fn eighty_percent_failures_never_trip_a_consecutive_count() {
    // catalogue-b D9, doubt 1.
    let mut notes = Breaker::new(BreakerConfig::notes(false)).unwrap();
    ffffs(&mut notes, 200);
    assert_eq!(notes.state(), State::Closed);
    assert_eq!(notes.transitions(), &[] as &[Transition]);
    assert_eq!(notes.consecutive_failures(), 0);

    let mut gob = Breaker::new(BreakerConfig {
        trip: Trip::Consecutive { failures: 5 },
        ..BreakerConfig::gobreaker_defaults()
    })
    .unwrap();
    ffffs(&mut gob, 200);
    assert_eq!(gob.transitions(), &[] as &[Transition]);
}

#[test]
fn eighty_percent_failures_trip_a_failure_rate_window() {
    let mut b = Breaker::new(BreakerConfig {
        trip: Trip::CountWindow {
            size: 10,
            min_calls: 10,
            failure_rate_pct: 50,
        },
        ..BreakerConfig::resilience4j_defaults()
    })
    .unwrap();
    ffffs(&mut b, 200);
    // The tenth result fills the window: 8 failures of 10.
    assert_eq!(
        b.transitions(),
        [t(ms(900), State::Closed, State::Open, Why::FailureRate)]
    );
    assert_eq!(b.counts(), counts(10, 8, 0));
    assert_eq!(b.failure_rate_pct(), Some(80.0));
}

#[test]
fn notes_zero_clock_bug_keeps_it_open_for_ever() {
    // catalogue-b D9, doubt 4: `if self.last_failure_time and ...` with a clock starting at 0.
    let mut buggy = Breaker::new(BreakerConfig::notes(true)).unwrap();
    for _ in 0..5 {
        call(&mut buggy, SimTime::ZERO, true);
    }
    assert_eq!(buggy.state(), State::Open);
    assert_eq!(buggy.open_until(), None);
    for at in [secs(60), secs(3_600), secs(365 * 86_400)] {
        assert_eq!(
            buggy.try_acquire(at),
            Err(Rejected::Open { retry_at: None })
        );
    }
    assert_eq!(buggy.transitions().len(), 1);

    let mut fixed = Breaker::new(BreakerConfig::notes(false)).unwrap();
    for _ in 0..5 {
        call(&mut fixed, SimTime::ZERO, true);
    }
    assert_eq!(
        fixed.try_acquire(SimTime::from_us(59_999_999)),
        Err(Rejected::Open {
            retry_at: Some(secs(60))
        })
    );
    call(&mut fixed, secs(60), false);
    assert_eq!(fixed.state(), State::Closed);

    // The bug needs the last failure at exactly 0: one microsecond later it recovers.
    let mut late = Breaker::new(BreakerConfig::notes(true)).unwrap();
    for _ in 0..5 {
        call(&mut late, SimTime::from_us(1), true);
    }
    assert!(late.try_acquire(SimTime::from_us(60_000_001)).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Resilience4j: `CircuitBreakerStateMachineTest` (resilience4j-circuitbreaker, internal/). Its
// `setUp` breaker: TIME_BASED window of 20 s, minimumNumberOfCalls 5, failureRateThreshold 50,
// slowCallDurationThreshold 4 s, slowCallRateThreshold 50, 4 calls in half-open, 5 s open.

fn r4j_test_config() -> BreakerConfig {
    BreakerConfig {
        style: Style::Resilience4j,
        trip: Trip::TimeWindow {
            window_secs: 20,
            min_calls: 5,
            failure_rate_pct: 50,
        },
        slow_call_us: Some(4_000_000),
        slow_rate_pct: 50,
        open_us: 5_000_000,
        half_open_calls: 4,
        interval_us: None,
    }
}

/// Five failures at t = 0 open the test breaker; at 5 s + 1 µs it is half-open.
fn r4j_half_open() -> Breaker {
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    for _ in 0..5 {
        call(&mut b, SimTime::ZERO, true);
    }
    assert_eq!(b.state(), State::Open);
    // `clock.instant().isAfter(retryAfterWaitDuration)`: not at 5 s, one microsecond after.
    assert_eq!(
        b.try_acquire(secs(5)),
        Err(Rejected::Open {
            retry_at: Some(SimTime::from_us(5_000_001))
        })
    );
    b.advance(SimTime::from_us(5_000_001));
    assert_eq!(b.state(), State::HalfOpen);
    b
}

#[test]
fn r4j_opens_when_the_failure_rate_reaches_the_threshold() {
    // shouldOpenAfterFailureRateThresholdExceeded: F F F S S.
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    for (i, failed) in [true, true, true, false].into_iter().enumerate() {
        call(&mut b, SimTime::ZERO, failed);
        assert_eq!(b.state(), State::Closed);
        assert_eq!(
            b.failure_rate_pct(),
            None,
            "below minimumNumberOfCalls after {i}"
        );
    }
    assert_eq!(b.counts(), counts(4, 3, 0));
    call(&mut b, SimTime::ZERO, false);
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.counts(), counts(5, 3, 0));
    assert_eq!(b.failure_rate_pct(), Some(60.0));
    assert!(b.try_acquire(SimTime::ZERO).is_err());
    assert_eq!(b.not_permitted(), 1);
}

#[test]
fn r4j_opens_at_exactly_the_threshold() {
    // shouldOpenAfterFailureRateThresholdExceeded2: S S S F F a second apart (40 %), then F
    // (3 of 6 = 50 % >= 50 %).
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    for (i, failed) in [false, false, false, true, true].into_iter().enumerate() {
        call(&mut b, secs(i as u64), failed);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.failure_rate_pct(), Some(40.0));
    call(&mut b, secs(5), true);
    assert_eq!(
        b.transitions(),
        [t(secs(5), State::Closed, State::Open, Why::FailureRate)]
    );
}

#[test]
fn r4j_opens_on_the_slow_call_rate() {
    // shouldOpenAfterSlowCallRateThresholdExceeded: 5 s F, 5 s S, 100 ms F, 100 ms S, 5 s S:
    // failures 2 of 5 (40 %), slow 3 of 5 (60 %).
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    let calls = [
        (true, 5_000_000),
        (false, 5_000_000),
        (true, 100_000),
        (false, 100_000),
        (false, 5_000_000),
    ];
    for (failed, duration) in calls {
        let p = b.try_acquire(SimTime::ZERO).unwrap();
        b.on_result(p, SimTime::ZERO, failed, duration);
    }
    assert_eq!(
        b.transitions(),
        [t(
            SimTime::ZERO,
            State::Closed,
            State::Open,
            Why::SlowCallRate
        )]
    );
    assert_eq!(b.counts(), counts(5, 2, 3));
    assert_eq!(b.slow_rate_pct(), Some(60.0));
    assert_eq!(b.failure_rate_pct(), Some(40.0));
}

#[test]
fn r4j_slow_means_strictly_longer_than_the_threshold() {
    // `durationUnit.toNanos(duration) > slowCallDurationThresholdInNanos`.
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    for _ in 0..5 {
        let p = b.try_acquire(SimTime::ZERO).unwrap();
        b.on_result(p, SimTime::ZERO, false, 4_000_000);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.counts(), counts(5, 0, 0));
}

#[test]
fn r4j_no_trip_below_the_minimum_number_of_calls() {
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    for _ in 0..4 {
        call(&mut b, SimTime::ZERO, true);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.counts(), counts(4, 4, 0));
    assert_eq!(b.failure_rate_pct(), None);
}

#[test]
fn r4j_count_window_caps_the_minimum_at_its_size() {
    // CircuitBreakerMetrics: COUNT_BASED uses min(minimumNumberOfCalls, slidingWindowSize).
    let mut b = Breaker::new(BreakerConfig {
        trip: Trip::CountWindow {
            size: 5,
            min_calls: 100,
            failure_rate_pct: 50,
        },
        ..BreakerConfig::resilience4j_defaults()
    })
    .unwrap();
    for _ in 0..5 {
        call(&mut b, SimTime::ZERO, true);
    }
    assert_eq!(b.state(), State::Open);
}

#[test]
fn r4j_time_window_forgets_calls_older_than_its_seconds() {
    // Hand calculation with Resilience4j's per-second buckets: a 20 s window at second 20 holds
    // seconds 1..=20, so four failures at t = 0 have left it.
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    for _ in 0..4 {
        call(&mut b, SimTime::ZERO, true);
    }
    call(&mut b, secs(20), true);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.counts(), counts(1, 1, 0));

    let mut c = Breaker::new(r4j_test_config()).unwrap();
    for _ in 0..4 {
        call(&mut c, SimTime::ZERO, true);
    }
    call(&mut c, SimTime::from_us(19_999_999), true);
    assert_eq!(c.state(), State::Open, "second 19 still holds second 0");
}

#[test]
fn r4j_half_open_permits_exactly_n_calls() {
    // shouldOnlyPermitFourCallsInHalfOpenState.
    let mut b = r4j_half_open();
    let at = SimTime::from_us(5_000_001);
    let permits: Vec<Permit> = (0..4).map(|_| b.try_acquire(at).unwrap()).collect();
    assert_eq!(
        b.try_acquire(at),
        Err(Rejected::HalfOpenFull { admitted: 4 })
    );
    assert_eq!(
        b.try_acquire(at),
        Err(Rejected::HalfOpenFull { admitted: 4 })
    );
    assert_eq!(b.probes_in_flight(), 4);
    drop(permits);
}

#[test]
fn r4j_half_open_reopens_on_the_probes_failure_rate() {
    // shouldTransitionBackToOpenStateWhenFailureRateIsAboveThreshold: F F S F -> 75 %.
    let mut b = r4j_half_open();
    let at = SimTime::from_us(5_000_001);
    for failed in [true, true, false] {
        call(&mut b, at, failed);
        assert_eq!(b.state(), State::HalfOpen, "judged only after the 4th");
    }
    call(&mut b, at, true);
    assert_eq!(b.state(), State::Open);
    assert_eq!(
        b.transitions().last(),
        Some(&t(at, State::HalfOpen, State::Open, Why::FailureRate))
    );
    assert_eq!(b.counts(), counts(4, 3, 0));
    assert_eq!(b.failure_rate_pct(), Some(75.0));
}

#[test]
fn r4j_half_open_reopens_on_the_probes_slow_rate() {
    // shouldTransitionBackToOpenStateWhenSlowCallRateIsAboveThreshold: 3 × 5 s, 1 × 1 s.
    let mut b = r4j_half_open();
    let at = SimTime::from_us(5_000_001);
    for d in [5_000_000, 5_000_000, 5_000_000, 1_000_000] {
        let p = b.try_acquire(at).unwrap();
        b.on_result(p, at, false, d);
    }
    assert_eq!(
        b.transitions().last(),
        Some(&t(at, State::HalfOpen, State::Open, Why::SlowCallRate))
    );
    assert_eq!(b.slow_rate_pct(), Some(75.0));
    assert_eq!(b.failure_rate_pct(), Some(0.0));
}

#[test]
fn r4j_half_open_closes_below_the_thresholds() {
    // shouldTransitionBackToClosedStateWhenFailureIsBelowThreshold: F S S S -> 25 %, closed,
    // metrics reset.
    let mut b = r4j_half_open();
    let at = SimTime::from_us(5_000_001);
    for failed in [true, false, false, false] {
        call(&mut b, at, failed);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(
        b.transitions().last(),
        Some(&t(at, State::HalfOpen, State::Closed, Why::ProbesPassed))
    );
    assert_eq!(b.counts(), counts(0, 0, 0));
    call(&mut b, at, false);
    assert_eq!(b.counts(), counts(1, 0, 0));
}

#[test]
fn r4j_counts_a_late_result_as_a_probe() {
    // No generations in Resilience4j: a call admitted while closed that fails during half-open
    // is recorded by the half-open state.
    let mut b = Breaker::new(r4j_test_config()).unwrap();
    let old = b.try_acquire(SimTime::ZERO).unwrap();
    for _ in 0..5 {
        call(&mut b, SimTime::ZERO, true);
    }
    b.advance(SimTime::from_us(5_000_001));
    b.on_result(old, secs(6), true, 6_000_000);
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(b.counts(), counts(1, 1, 1));
    assert_eq!(b.probes_in_flight(), 0);
}

// ---------------------------------------------------------------------------------------------
// gobreaker: `gobreaker_test.go` (sony/gobreaker v1).

#[test]
fn gobreaker_default_breaker() {
    // TestDefaultCircuitBreaker: 5 failures stay closed, a success resets the run, 6 failures in
    // a row open it; 59 s later still open, after 60 s half-open; a failed probe reopens, a
    // successful one closes.
    let mut b = Breaker::new(BreakerConfig::gobreaker_defaults()).unwrap();
    for _ in 0..5 {
        call(&mut b, SimTime::ZERO, true);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.counts(), counts(5, 5, 0));
    assert_eq!(b.consecutive_failures(), 5);
    call(&mut b, SimTime::ZERO, false);
    assert_eq!(b.consecutive_failures(), 0);
    call(&mut b, SimTime::ZERO, true);
    assert_eq!(b.counts(), counts(7, 6, 0));
    for _ in 0..5 {
        call(&mut b, secs(1), true);
    }
    assert_eq!(b.state(), State::Open);
    assert_eq!(
        b.counts(),
        counts(0, 0, 0),
        "counts clear on every state change"
    );
    assert!(b.try_acquire(secs(1)).is_err());

    b.advance(secs(60));
    assert_eq!(b.state(), State::Open);
    b.advance(secs(61)); // `expiry.Before(now)`: at 61 s exactly still open
    assert_eq!(b.state(), State::Open);
    b.advance(SimTime::from_us(61_000_001));
    assert_eq!(b.state(), State::HalfOpen);

    call(&mut b, secs(62), true);
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.open_until(), Some(SimTime::from_us(122_000_001)));
    call(&mut b, SimTime::from_us(122_000_001), false);
    assert_eq!(b.state(), State::Closed);
    let whys: Vec<Why> = b.transitions().iter().map(|t| t.why).collect();
    assert_eq!(
        whys,
        [
            Why::ConsecutiveFailures,
            Why::WaitOver,
            Why::ProbeFailed,
            Why::WaitOver,
            Why::ProbesPassed
        ]
    );
}

/// gobreaker_test.go's `newCustom`: MaxRequests 3, Interval 30 s, Timeout 90 s, trip when at
/// least 3 requests and a failure ratio >= 0.6. Its counts live for one interval, which a
/// count window larger than any interval's calls reproduces.
fn gobreaker_custom() -> Breaker {
    Breaker::new(BreakerConfig {
        style: Style::Gobreaker,
        trip: Trip::CountWindow {
            size: 1_000,
            min_calls: 3,
            failure_rate_pct: 60,
        },
        slow_call_us: None,
        slow_rate_pct: 100,
        open_us: 90_000_000,
        half_open_calls: 3,
        interval_us: Some(30_000_000),
    })
    .unwrap()
}

#[test]
fn gobreaker_custom_breaker() {
    // TestCustomCircuitBreaker.
    let mut b = gobreaker_custom();
    for _ in 0..5 {
        call(&mut b, SimTime::ZERO, false);
        call(&mut b, SimTime::ZERO, true);
    }
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.counts(), counts(10, 5, 0));
    assert_eq!(b.consecutive_failures(), 1);
    call(&mut b, secs(29), false);
    assert_eq!(b.counts(), counts(11, 5, 0));
    // Over the interval: the counts restart before this failure is counted.
    call(&mut b, SimTime::from_us(30_000_001), true);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.counts(), counts(1, 1, 0));
    call(&mut b, secs(31), false);
    call(&mut b, secs(31), true); // 2 of 3 >= 0.6
    assert_eq!(b.state(), State::Open);
    assert_eq!(b.counts(), counts(0, 0, 0));

    b.advance(SimTime::from_us(121_000_001));
    assert_eq!(b.state(), State::HalfOpen);
    let at = secs(122);
    call(&mut b, at, false);
    call(&mut b, at, false);
    assert_eq!(b.state(), State::HalfOpen);
    assert_eq!(b.counts(), counts(2, 0, 0));
    let third = b.try_acquire(at).unwrap();
    assert_eq!(
        b.try_acquire(at),
        Err(Rejected::HalfOpenFull { admitted: 3 }),
        "over MaxRequests"
    );
    b.on_result(third, at, false, 0);
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.counts(), counts(0, 0, 0));
}

#[test]
fn gobreaker_ignores_a_result_from_an_earlier_generation() {
    // TestGeneration: a call admitted late in one interval and finishing in the next has no
    // effect on the new interval's counts.
    let mut b = gobreaker_custom();
    call(&mut b, secs(29), false);
    let late = b.try_acquire(ms(29_000)).unwrap();
    b.advance(ms(29_500));
    assert_eq!(
        b.admitted(),
        2,
        "gobreaker's Requests counts admitted calls"
    );
    assert_eq!(b.counts(), counts(1, 0, 0));
    b.advance(ms(30_001));
    assert_eq!(b.state(), State::Closed);
    assert_eq!(b.admitted(), 0);
    assert_eq!(b.counts(), counts(0, 0, 0));
    b.on_result(late, ms(30_500), true, 1_500_000);
    assert_eq!(b.counts(), counts(0, 0, 0));
    assert_eq!(b.consecutive_failures(), 0);
}

#[test]
fn gobreaker_stale_failure_does_not_reopen_half_open() {
    let mut b = Breaker::new(BreakerConfig::gobreaker_defaults()).unwrap();
    let old = b.try_acquire(SimTime::ZERO).unwrap();
    for _ in 0..6 {
        call(&mut b, SimTime::ZERO, true);
    }
    b.advance(SimTime::from_us(60_000_001));
    assert_eq!(b.state(), State::HalfOpen);
    b.on_result(old, secs(61), true, 61_000_000);
    assert_eq!(b.state(), State::HalfOpen);
    assert!(
        b.try_acquire(secs(61)).is_ok(),
        "the one probe is still free"
    );
}

#[test]
fn gobreaker_any_probe_failure_reopens() {
    let mut b = gobreaker_custom();
    for _ in 0..3 {
        call(&mut b, SimTime::ZERO, true);
    }
    b.advance(SimTime::from_us(90_000_001));
    call(&mut b, secs(91), false);
    call(&mut b, secs(91), false);
    call(&mut b, secs(91), true);
    assert_eq!(
        b.transitions().last(),
        Some(&t(secs(91), State::HalfOpen, State::Open, Why::ProbeFailed))
    );
}

// ---------------------------------------------------------------------------------------------
// Laws, on random sequences of time steps, acquires and outcomes, for every style.

#[cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency
mod properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        /// Let this many microseconds pass (and call `advance` if the flag is set).
        Wait(u64, bool),
        Acquire,
        /// Finish the outstanding call at this index (mod their number).
        Finish(u16, bool, u64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => (0u64..4_000_000, any::<bool>()).prop_map(|(d, a)| Op::Wait(d, a)),
            4 => Just(Op::Acquire),
            4 => (any::<u16>(), prop::bool::weighted(0.7), 0u64..3_000_000)
                .prop_map(|(i, f, d)| Op::Finish(i, f, d)),
        ]
    }

    fn config() -> impl Strategy<Value = BreakerConfig> {
        let window = prop_oneof![
            (1u32..12, 1u32..8, 1u8..=100).prop_map(|(size, min_calls, failure_rate_pct)| {
                Trip::CountWindow {
                    size,
                    min_calls,
                    failure_rate_pct,
                }
            }),
            (1u32..6, 1u32..8, 1u8..=100).prop_map(|(window_secs, min_calls, failure_rate_pct)| {
                Trip::TimeWindow {
                    window_secs,
                    min_calls,
                    failure_rate_pct,
                }
            }),
        ];
        let consecutive = (1u32..8).prop_map(|failures| Trip::Consecutive { failures });
        let style_trip = prop_oneof![
            window.clone().prop_map(|t| (Style::Resilience4j, t)),
            prop_oneof![window, consecutive.clone()].prop_map(|t| (Style::Gobreaker, t)),
            (any::<bool>(), consecutive).prop_map(|(b, t)| (Style::Notes { zero_clock_bug: b }, t)),
        ];
        (
            style_trip,
            prop::option::of(0u64..2_000_000),
            1u8..=100,
            0u64..5_000_000,
            1u32..5,
            prop::option::of(1u64..10_000_000),
        )
            .prop_map(
                |(
                    (style, trip),
                    slow_call_us,
                    slow_rate_pct,
                    open_us,
                    half_open_calls,
                    interval_us,
                )| {
                    BreakerConfig {
                        style,
                        trip,
                        slow_call_us,
                        slow_rate_pct,
                        open_us,
                        half_open_calls,
                        interval_us,
                    }
                },
            )
    }

    /// Runs `ops`, checking the laws after each; returns every answer and the transitions.
    fn run(cfg: BreakerConfig, ops: &[Op]) -> (Vec<String>, Vec<Transition>) {
        let mut b = Breaker::new(cfg).expect("generated configs are valid");
        let limited = !matches!(cfg.style, Style::Notes { .. });
        let mut now = SimTime::ZERO;
        let mut out: Vec<Permit> = Vec::new();
        let mut answers = Vec::new();
        for op in ops {
            match op {
                Op::Wait(d, adv) => {
                    now = now.plus_us(*d);
                    if *adv {
                        b.advance(now);
                    }
                }
                Op::Acquire => {
                    let was = b.state();
                    let opened_at = b.transitions().last().map(|t| t.at);
                    let r = b.try_acquire(now);
                    if r.is_ok() && was == State::Open {
                        let opened = opened_at.expect("open implies a transition");
                        assert!(
                            now.since(opened) >= cfg.open_us,
                            "a call at {now} got through a breaker opened at {opened} \
                             (open_us {})",
                            cfg.open_us
                        );
                    }
                    answers.push(format!("{r:?}"));
                    if let Ok(p) = r {
                        out.push(p);
                    }
                }
                Op::Finish(i, failed, d) => {
                    if !out.is_empty() {
                        let p = out.swap_remove(usize::from(*i) % out.len());
                        b.on_result(p, now, *failed, *d);
                    }
                }
            }
            assert_eq!(b.validate(), Ok(()));
            if limited && b.state() == State::HalfOpen {
                assert!(
                    b.probes_in_flight() <= cfg.half_open_calls
                        && b.admitted() <= cfg.half_open_calls,
                    "half-open admitted {} with {} in flight, limit {}",
                    b.admitted(),
                    b.probes_in_flight(),
                    cfg.half_open_calls
                );
            }
        }
        let ts = b.transitions().to_vec();
        for w in ts.windows(2) {
            assert!(w[0].at <= w[1].at, "transitions out of time order: {w:?}");
            assert_eq!(w[0].to, w[1].from, "transitions do not chain: {w:?}");
        }
        for tr in &ts {
            let legal = matches!(
                (tr.from, tr.to),
                (State::Closed, State::Open)
                    | (State::Open, State::HalfOpen)
                    | (State::HalfOpen, State::Open)
                    | (State::HalfOpen, State::Closed)
            );
            let notes_late = !limited
                && (tr.from, tr.to, tr.why) == (State::Open, State::Closed, Why::LateSuccess);
            assert!(legal || notes_late, "illegal transition {tr:?}");
        }
        (answers, ts)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, ..common::config("breaker") })]

        #[test]
        fn laws_hold_on_random_call_sequences(
            cfg in config(),
            ops in prop::collection::vec(op(), 0..300),
        ) {
            let first = run(cfg, &ops);
            let second = run(cfg, &ops);
            prop_assert_eq!(first, second, "same calls, different answers");
        }
    }

    #[test]
    fn random_sequences_do_reach_every_state() {
        // Guards the property above against a generator that never opens anything.
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..200 {
            let cfg = config().new_tree(&mut runner).unwrap().current();
            let ops = prop::collection::vec(op(), 200..300)
                .new_tree(&mut runner)
                .unwrap()
                .current();
            for tr in run(cfg, &ops).1 {
                seen.insert((tr.from, tr.to));
            }
        }
        assert!(seen.contains(&(State::Closed, State::Open)));
        assert!(seen.contains(&(State::Open, State::HalfOpen)));
        assert!(seen.contains(&(State::HalfOpen, State::Open)));
        assert!(seen.contains(&(State::HalfOpen, State::Closed)));
    }
}
