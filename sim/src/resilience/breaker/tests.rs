//! Unit tests of the breaker: state names, the windows, the verdicts, and each style's rules.

use super::*;

fn s(us: u64) -> SimTime {
    SimTime::from_us(us)
}

#[test]
fn state_names_match_gobreaker_strings() {
    // gobreaker's `State.String()`: "closed", "half-open", "open".
    assert_eq!(State::Closed.name(), "closed");
    assert_eq!(State::Open.name(), "open");
    assert_eq!(State::HalfOpen.name(), "half-open");
}

#[test]
fn count_window_forgets_the_oldest_result() {
    let mut w = Window::new(Trip::CountWindow {
        size: 3,
        min_calls: 1,
        failure_rate_pct: 50,
    });
    for o in [FAILED, FAILED, 0, SLOW] {
        w.record(s(0), o);
    }
    // F F S slow-S, size 3: the first F has gone.
    assert_eq!(
        w.total(),
        Counts {
            calls: 3,
            failures: 1,
            slow: 1
        }
    );
    assert_eq!(w.check(), Ok(()));
}

#[test]
fn time_window_drops_whole_seconds() {
    let mut w = Window::new(Trip::TimeWindow {
        window_secs: 2,
        min_calls: 1,
        failure_rate_pct: 50,
    });
    w.record(s(500_000), FAILED); // second 0
    w.record(s(1_200_000), FAILED); // second 1
    assert_eq!(w.total().calls, 2);
    w.slide(s(1_999_999)); // still second 1: both seconds kept
    assert_eq!(w.total().calls, 2);
    w.slide(s(2_000_000)); // second 2: second 0 leaves
    assert_eq!(w.total().calls, 1);
    w.slide(s(3_000_000_000)); // far later: everything leaves, no long loop
    assert_eq!(w.total(), Counts::default());
    assert_eq!(w.check(), Ok(()));
}

#[test]
fn rates_at_the_threshold_trip() {
    let c = Counts {
        calls: 4,
        failures: 2,
        slow: 0,
    };
    assert_eq!(judge(c, 4, 50, None), Verdict::Above(Why::FailureRate));
    assert_eq!(judge(c, 4, 51, None), Verdict::Below);
    assert_eq!(judge(c, 5, 50, None), Verdict::BelowMinimum);
    assert_eq!(judge(Counts::default(), 0, 50, None), Verdict::BelowMinimum);
}

#[test]
fn validate_names_the_bad_field() {
    let ok = BreakerConfig::resilience4j_defaults();
    assert_eq!(ok.validate(), Ok(()));
    assert_eq!(BreakerConfig::gobreaker_defaults().validate(), Ok(()));
    assert_eq!(BreakerConfig::notes(true).validate(), Ok(()));
    let cases = [
        (
            BreakerConfig {
                half_open_calls: 0,
                ..ok
            },
            "half_open_calls",
        ),
        (
            BreakerConfig {
                trip: Trip::CountWindow {
                    size: 0,
                    min_calls: 1,
                    failure_rate_pct: 50,
                },
                ..ok
            },
            "trip.size",
        ),
        (
            BreakerConfig {
                trip: Trip::CountWindow {
                    size: u32::MAX,
                    min_calls: 1,
                    failure_rate_pct: 50,
                },
                ..ok
            },
            "trip.size",
        ),
        (
            BreakerConfig {
                trip: Trip::TimeWindow {
                    window_secs: 10,
                    min_calls: 0,
                    failure_rate_pct: 50,
                },
                ..ok
            },
            "trip.min_calls",
        ),
        (
            BreakerConfig {
                trip: Trip::TimeWindow {
                    window_secs: 10,
                    min_calls: 1,
                    failure_rate_pct: 101,
                },
                ..ok
            },
            "trip.failure_rate_pct",
        ),
        (
            BreakerConfig {
                slow_rate_pct: 0,
                ..ok
            },
            "slow_rate_pct",
        ),
        (
            BreakerConfig {
                interval_us: Some(0),
                ..BreakerConfig::gobreaker_defaults()
            },
            "interval_us",
        ),
        (
            BreakerConfig {
                trip: Trip::Consecutive { failures: 5 },
                ..ok
            },
            "trip",
        ),
        (
            BreakerConfig {
                trip: Trip::Consecutive { failures: 0 },
                ..BreakerConfig::notes(false)
            },
            "trip.failures",
        ),
        (
            BreakerConfig {
                style: Style::Notes {
                    zero_clock_bug: false,
                },
                ..ok
            },
            "trip",
        ),
    ];
    for (cfg, field) in cases {
        let err = cfg.validate().expect_err(field);
        assert!(err.starts_with(field), "{field}: {err}");
        assert!(Breaker::new(cfg).is_err());
    }
}

#[test]
fn huge_durations_never_overflow() {
    let cfg = BreakerConfig {
        open_us: u64::MAX,
        interval_us: Some(u64::MAX),
        ..BreakerConfig::gobreaker_defaults()
    };
    let mut b = Breaker::new(cfg).unwrap();
    for _ in 0..6 {
        let p = b.try_acquire(SimTime::MAX).unwrap();
        b.on_result(p, SimTime::MAX, true, u64::MAX);
    }
    assert_eq!(b.state(), State::Open);
    assert_eq!(
        b.open_until(),
        None,
        "an open period past the end of time never ends"
    );
    assert_eq!(
        b.try_acquire(SimTime::MAX),
        Err(Rejected::Open { retry_at: None })
    );
    assert_eq!(b.validate(), Ok(()));
}

#[test]
fn earlier_times_count_as_the_latest() {
    let mut b = Breaker::new(BreakerConfig::notes(false)).unwrap();
    for t in [10, 5, 3, 2, 1] {
        let p = b.try_acquire(s(t)).unwrap();
        b.on_result(p, s(t), true, 0);
    }
    assert_eq!(b.last_failure(), Some(s(10)));
    assert_eq!(b.transitions()[0].at, s(10));
}
