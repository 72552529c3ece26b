//! The request simulator on small scenarios worked by hand: which server each request goes to,
//! when it starts and finishes; what a kill, a revival, a removal, health checks, timeouts,
//! retries and slow start do, with every number derived in the comments.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::requests::*;
use sim::rng::SimRng;
use sim::time::SimTime;
use std::cell::RefCell;
use std::rc::Rc;

const MS: u64 = 1_000;

fn at_us(times: &[u64]) -> Arrivals {
    Arrivals::Recorded(times.iter().map(|t| SimTime::from_us(*t)).collect())
}

fn recording() -> Recording {
    Recording {
        requests: true,
        events: true,
        explanations: true,
        sample_every_us: None,
    }
}

/// The hand-worked trace. Servers A (1 worker, unbounded) and B (1 worker, speed 0.5, one
/// waiting place); round robin; six requests at 0, 1, 2, 3, 4, 5 ms, each costing 2.5 ms;
/// a 7 ms timeout.
///
/// | req | arrives | server | waits? | starts | finishes | outcome |
/// |---|---|---|---|---|---|---|
/// | 0 | 0 | A | no | 0 | 2.5 | served, 2.5 ms |
/// | 1 | 1 | B | no | 1 | 6 (2.5 / 0.5 = 5 ms) | served, 5 ms |
/// | 2 | 2 | A | yes | 2.5 | 5 | served, 3 ms |
/// | 3 | 3 | B | yes (B's one place) | 6 | 11 | timed out at 3 + 7 = 10; B finishes at 11 anyway (wasted) |
/// | 4 | 4 | A | yes | 5 | 7.5 | served, 3.5 ms |
/// | 5 | 5 | B | no room: dropped at 5 | — | — | dropped |
///
/// The run ends at 11 ms, with B's wasted finish. A was busy 7.5 ms of 11, B 10 of 11.
/// Served latencies 2.5, 5, 3, 3.5 ms: nearest-rank p50 is the 2nd smallest, 3 ms; p99 the
/// 4th, 5 ms; mean 3.5 ms.
#[test]
fn a_hand_worked_trace() {
    let mut cfg = SimConfig::new(
        vec![
            ServerSpec::new("A"),
            ServerSpec::new("B").speed(0.5).queue_limit(1),
        ],
        at_us(&[0, MS, 2 * MS, 3 * MS, 4 * MS, 5 * MS]),
        CostDist::Constant { us: 2_500 },
        SimTime::from_ms(100),
    );
    cfg.timeout_us = Some(7 * MS);
    cfg.record = recording();
    let mut sim = Simulation::new(cfg, Box::new(RoundRobin::new()), 1).unwrap();
    let r = sim.run().unwrap();
    sim.validate().unwrap();

    let reqs = sim.requests();
    let row = |i: usize| {
        let a = &reqs[i].attempts[0];
        (
            a.server.map(|s| s.0),
            a.queued,
            a.start.map(|t| t.as_us()),
            a.server_finished.map(|t| t.as_us()),
            a.outcome,
        )
    };
    use AttemptOutcome::*;
    assert_eq!(row(0), (Some(0), false, Some(0), Some(2_500), Some(Served)));
    assert_eq!(
        row(1),
        (Some(1), false, Some(1_000), Some(6_000), Some(Served))
    );
    assert_eq!(
        row(2),
        (Some(0), true, Some(2_500), Some(5_000), Some(Served))
    );
    assert_eq!(
        row(3),
        (Some(1), true, Some(6_000), Some(11_000), Some(TimedOut))
    );
    assert_eq!(
        row(4),
        (Some(0), true, Some(5_000), Some(7_500), Some(Served))
    );
    assert_eq!(row(5), (Some(1), false, None, None, Some(Dropped)));
    assert_eq!(reqs[3].ended, Some(SimTime::from_ms(10)));
    assert_eq!(reqs[5].ended, Some(SimTime::from_ms(5)));

    assert_eq!(r.now_us, 11_000);
    assert_eq!(
        (r.arrivals, r.served, r.dropped, r.timed_out, r.errors),
        (6, 4, 1, 1, 0)
    );
    assert_eq!(r.latency.p50_us, Some(3_000));
    assert_eq!(r.latency.p99_us, Some(5_000));
    assert_eq!(r.latency.mean_us, Some(3_500.0));
    let (a, b) = (&r.servers[0], &r.servers[1]);
    assert_eq!((a.served, a.waited, a.max_queue), (3, 2, 1));
    assert_eq!((b.served, b.timed_out, b.dropped, b.wasted), (1, 1, 1, 1));
    assert!((a.utilisation - 7.5 / 11.0).abs() < 1e-12);
    assert!((b.utilisation - 10.0 / 11.0).abs() < 1e-12);
    // A's queue: one waiting over [2, 2.5] and [4, 5] ms: 1.5 ms of 11.
    assert!((a.mean_queue - 1.5 / 11.0).abs() < 1e-12);
    // Per-server latency is from sending to finishing: A's 2.5, 3, 3.5 ms.
    assert_eq!(a.latency.p50_us, Some(3_000));
    assert_eq!(a.mean_wait_us, Some((0.0 + 500.0 + 1_000.0) / 3.0));

    // The balancer saw every outcome, and explained each pick.
    let picks: Vec<&SimEvent> = sim
        .events()
        .iter()
        .filter(|(_, e)| matches!(e, SimEvent::Picked { .. }))
        .map(|(_, e)| e)
        .collect();
    assert_eq!(picks.len(), 6);
    match picks[1] {
        SimEvent::Picked {
            server,
            explanation: Some(x),
            ..
        } => {
            assert_eq!(*server, Some(ServerId(1)));
            assert_eq!(x.chosen, Some(ServerId(1)));
            assert_eq!(x.summary, "next in turn after the previous pick: B");
            assert_eq!(x.scores.len(), 2);
        }
        e => panic!("{e:?}"),
    }
}

/// A balancer that records what it saw and passes the pick to round robin.
#[derive(Clone)]
struct Spy {
    inner: RoundRobin,
    seen: Seen,
    responses: Rc<RefCell<Vec<Response>>>,
}

impl Balancer for Spy {
    fn name(&self) -> &str {
        "spy"
    }
    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        self.seen.borrow_mut().push((now, servers.to_vec()));
        self.inner.pick(now, request, servers, rng)
    }
    fn on_response(&mut self, _now: SimTime, response: &Response) {
        self.responses.borrow_mut().push(*response);
    }
    fn explain(&self, now: SimTime, request: &RequestInfo, servers: &[BackendView]) -> Explanation {
        self.inner.explain(now, request, servers)
    }
}

type Seen = Rc<RefCell<Vec<(SimTime, Vec<BackendView>)>>>;

fn spy() -> (Box<Spy>, Seen, Rc<RefCell<Vec<Response>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let responses = Rc::new(RefCell::new(Vec::new()));
    (
        Box::new(Spy {
            inner: RoundRobin::new(),
            seen: seen.clone(),
            responses: responses.clone(),
        }),
        seen,
        responses,
    )
}

/// Three servers under round robin, a request every 1 ms (request k at (k+1) ms) costing
/// 1 ms; health checks every 100 ms (first at 100 ms), timeout 20 ms, fall 3, rise 2.
///
/// B (id 1) is killed at 1,050.5 ms, between requests. Probes at 1,100, 1,200 and 1,300 ms
/// fail 20 ms later, so B is marked down at 1,320 ms. Until then round robin keeps sending it
/// every third request: ids k ≡ 1 (mod 3) arriving in (1,050.5, 1,320) ms, i.e. k = 1,051,
/// 1,054, …, 1,318: **90 errors** (the request at exactly 1,320 ms comes after the verdict:
/// the probe result was scheduled first). Nothing was in flight on B at the kill (its last
/// request, k = 1,048, ran 1,049–1,050 ms).
///
/// B is revived at 2,000 ms. The probe due at that same instant runs just after the revival
/// (the revival was scheduled first) and passes, so does the one at 2,100 ms: marked up at
/// 2,100 ms. None of its requests fail after the revival, and it gets none while marked down.
#[test]
fn a_killed_server_gets_traffic_until_fall_checks_fail() {
    let mut cfg = SimConfig::new(
        vec![
            ServerSpec::new("A"),
            ServerSpec::new("B"),
            ServerSpec::new("C"),
        ],
        Arrivals::Constant {
            rate_per_sec: 1_000.0,
        },
        CostDist::Constant { us: MS },
        SimTime::from_secs(3),
    );
    cfg.health = Some(HealthCheckConfig {
        interval_us: 100 * MS,
        timeout_us: 20 * MS,
        fall: 3,
        rise: 2,
    });
    cfg.actions = vec![
        (SimTime::from_us(1_050_500), Action::Kill(ServerId(1))),
        (SimTime::from_ms(2_000), Action::Revive(ServerId(1))),
    ];
    cfg.record = recording();
    let (b, seen, responses) = spy();
    let mut sim = Simulation::new(cfg, b, 1).unwrap();
    let r = sim.run().unwrap();
    sim.validate().unwrap();

    let marks: Vec<(u64, &SimEvent)> = sim
        .events()
        .iter()
        .filter(|(_, e)| e.is_milestone())
        .map(|(t, e)| (t.as_ms(), e))
        .collect();
    assert_eq!(
        marks,
        [
            (
                1_050,
                &SimEvent::Killed {
                    server: ServerId(1),
                    lost: 0
                }
            ),
            (
                1_320,
                &SimEvent::MarkedDown {
                    server: ServerId(1)
                }
            ),
            (
                2_000,
                &SimEvent::Revived {
                    server: ServerId(1)
                }
            ),
            (
                2_100,
                &SimEvent::MarkedUp {
                    server: ServerId(1)
                }
            ),
        ]
    );
    assert_eq!(r.errors, 90);
    assert_eq!(r.servers[1].errors, 90);
    let failed: Vec<u64> = sim
        .requests()
        .iter()
        .filter(|q| q.outcome == Some(AttemptOutcome::Error))
        .map(|q| q.id)
        .collect();
    assert_eq!(failed.first(), Some(&1_051));
    assert_eq!(failed.last(), Some(&1_318));
    assert!(failed.iter().all(|k| k % 3 == 1));
    // The balancer heard each error, at once (latency 0: connection refused).
    let errs = responses
        .borrow()
        .iter()
        .filter(|x| x.outcome == AttemptOutcome::Error)
        .count();
    assert_eq!(errs, 90);
    // While marked down (1,320–2,100 ms) B was never eligible and got nothing. (The request
    // at exactly 2,100 ms still sees it down: it was scheduled before the probe's result.)
    for (t, views) in seen.borrow().iter() {
        let down = (SimTime::from_ms(1_320)..=SimTime::from_ms(2_100)).contains(t);
        assert_eq!(views[1].healthy, !down, "at {t}");
    }
    let to_b_while_down = sim
        .requests()
        .iter()
        .filter(|q| (1_320..=2_100).contains(&q.arrived.as_ms()))
        .filter(|q| q.attempts[0].server == Some(ServerId(1)))
        .count();
    assert_eq!(to_b_while_down, 0);
    assert_eq!(r.served + r.errors, r.arrivals);
}

/// Without health checks the balancer never notices: every request round robin sends to the
/// dead server fails until it is revived. Here B dies at 100.5 ms and returns at 200.5 ms;
/// requests k ≡ 1 (mod 3) arriving at (k+1) ms in between: k = 100, 103, …, 199: 34 errors.
#[test]
fn without_health_checks_a_dead_server_fails_until_revived() {
    let mut cfg = SimConfig::new(
        vec![
            ServerSpec::new("A"),
            ServerSpec::new("B"),
            ServerSpec::new("C"),
        ],
        Arrivals::Constant {
            rate_per_sec: 1_000.0,
        },
        CostDist::Constant { us: 500 },
        SimTime::from_ms(300),
    );
    cfg.actions = vec![
        (SimTime::from_us(100_500), Action::Kill(ServerId(1))),
        (SimTime::from_us(200_500), Action::Revive(ServerId(1))),
    ];
    let r = Simulation::new(cfg, Box::new(RoundRobin::new()), 1)
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(r.errors, 34);
}

/// A kill loses what the server holds, as errors, at the instant of the kill: one worker,
/// requests at 0, 1 and 2 µs costing 1 ms; killed at 0.5 ms: one in service, two queued, all
/// three fail at 0.5 ms. With retries on error (nginx's `proxy_next_upstream error`), each
/// goes to the other server (round robin skips the tried one) and is served there; the retried
/// requests' latency includes the 0.5 ms lost.
#[test]
fn kill_loses_in_flight_and_queued_requests_and_retries_move_them() {
    let base = |retry: RetryPolicy| {
        let mut cfg = SimConfig::new(
            vec![ServerSpec::new("A"), ServerSpec::new("B")],
            at_us(&[0, 1, 2]),
            CostDist::Constant { us: MS },
            SimTime::from_ms(10),
        );
        cfg.retry = retry;
        cfg.record = recording();
        cfg.actions = vec![(SimTime::from_us(500), Action::Kill(ServerId(0)))];
        cfg
    };
    // A balancer that always picks server 0 when eligible, else the lowest eligible id.
    #[derive(Clone)]
    struct Lowest;
    impl Balancer for Lowest {
        fn name(&self) -> &str {
            "lowest"
        }
        fn pick(
            &mut self,
            _: SimTime,
            _: &RequestInfo,
            s: &[BackendView],
            _: &mut SimRng,
        ) -> Option<ServerId> {
            s.iter().find(|v| v.eligible()).map(|v| v.id)
        }
        fn explain(&self, _: SimTime, _: &RequestInfo, _: &[BackendView]) -> Explanation {
            Explanation::default()
        }
    }
    let mut sim = Simulation::new(base(RetryPolicy::default()), Box::new(Lowest), 1).unwrap();
    let r = sim.run().unwrap();
    assert_eq!((r.errors, r.served), (3, 0));
    assert!(sim.events().iter().any(|(t, e)| *t == SimTime::from_us(500)
        && *e
            == SimEvent::Killed {
                server: ServerId(0),
                lost: 3
            }));
    assert!(sim
        .requests()
        .iter()
        .all(|q| q.ended == Some(SimTime::from_us(500))));

    let mut sim =
        Simulation::new(base(RetryPolicy::next_upstream(1)), Box::new(Lowest), 1).unwrap();
    let r = sim.run().unwrap();
    sim.validate().unwrap();
    assert_eq!((r.errors, r.served, r.retries), (0, 3, 3));
    // On B (one worker) from 0.5 ms: 0.5–1.5, 1.5–2.5, 2.5–3.5 ms.
    let ends: Vec<u64> = sim
        .requests()
        .iter()
        .map(|q| q.ended.unwrap().as_us())
        .collect();
    assert_eq!(ends, [1_500, 2_500, 3_500]);
    assert!(sim.requests().iter().all(|q| q.attempts.len() == 2
        && q.attempts[0].outcome == Some(AttemptOutcome::Error)
        && q.attempts[1].server == Some(ServerId(1))));
    assert_eq!(r.latency.max_us, Some(3_498));
}

/// Retries cover only the outcomes the policy names: a timeout is not retried under
/// "error only". Servers A and B; one request costing 1 ms; a 0.3 ms timeout. With
/// `on_timeout` the retry goes to B, which times out too; A and B each finish their copy
/// anyway (both wasted work).
#[test]
fn retries_only_for_the_outcomes_named() {
    let run = |retry: RetryPolicy| {
        let mut cfg = SimConfig::new(
            vec![ServerSpec::new("A"), ServerSpec::new("B")],
            at_us(&[0]),
            CostDist::Constant { us: MS },
            SimTime::from_ms(10),
        );
        cfg.timeout_us = Some(300);
        cfg.retry = retry;
        let mut sim = Simulation::new(cfg, Box::new(RoundRobin::new()), 1).unwrap();
        sim.run().unwrap()
    };
    let errors_only = RetryPolicy {
        max_retries: 3,
        on_error: true,
        ..RetryPolicy::default()
    };
    let r = run(errors_only);
    assert_eq!((r.timed_out, r.retries, r.servers[1].received), (1, 0, 0));
    let r = run(RetryPolicy::next_upstream(3));
    // Only two servers: after both are tried none is eligible, so there is no third attempt
    // and the request ends with the last attempt's outcome, timed out (as nginx returns the
    // last error when it runs out of servers).
    assert_eq!(
        (r.retries, r.servers[0].timed_out, r.servers[1].timed_out),
        (1, 1, 1)
    );
    assert_eq!((r.timed_out, r.errors, r.no_server), (1, 0, 0));
    assert_eq!((r.servers[0].wasted, r.servers[1].wasted), (1, 1));
}

/// Removal drains: the server gets no new request, finishes what it holds (queued ones too),
/// then is removed. A and B, one worker each, round robin, requests at 0, 0, 0, 0 µs costing
/// 1 ms: A gets 0 and 2, B 1 and 3. A is removed at 0.5 ms: it still serves 0 (0–1 ms) and 2
/// (1–2 ms), is removed at 2 ms; requests at 0.6 and 0.7 ms both go to B.
#[test]
fn removal_drains_then_removes() {
    let mut cfg = SimConfig::new(
        vec![ServerSpec::new("A"), ServerSpec::new("B")],
        at_us(&[0, 0, 0, 0, 600, 700]),
        CostDist::Constant { us: MS },
        SimTime::from_ms(10),
    );
    cfg.actions = vec![(SimTime::from_us(500), Action::Remove(ServerId(0)))];
    cfg.record = recording();
    let mut sim = Simulation::new(cfg, Box::new(RoundRobin::new()), 1).unwrap();
    let r = sim.run().unwrap();
    sim.validate().unwrap();
    assert_eq!((r.served, r.errors), (6, 0));
    let servers: Vec<u32> = sim
        .requests()
        .iter()
        .map(|q| q.attempts[0].server.unwrap().0)
        .collect();
    assert_eq!(servers, [0, 1, 0, 1, 1, 1]);
    assert_eq!(sim.requests()[2].ended, Some(SimTime::from_ms(2)));
    let removed: Vec<(u64, &SimEvent)> = sim
        .events()
        .iter()
        .filter(|(_, e)| matches!(e, SimEvent::Draining { .. } | SimEvent::Removed { .. }))
        .map(|(t, e)| (t.as_us(), e))
        .collect();
    assert_eq!(
        removed,
        [
            (
                500,
                &SimEvent::Draining {
                    server: ServerId(0)
                }
            ),
            (
                2_000,
                &SimEvent::Removed {
                    server: ServerId(0)
                }
            ),
        ]
    );
    assert_eq!(r.servers[0].state, "removed");
    assert_eq!(sim.views()[0].membership, Membership::Removed);
    // A existed 2 ms and was busy all of it.
    assert!((r.servers[0].utilisation - 1.0).abs() < 1e-12);
}

/// nginx slow start: a server added at 1 s with `slow_start` 10 s has effective weight
/// `weight × (t − 1 s) / 10 s`: at 3.5 s, 25 % (weight 4 → 1,000 thousandths); full from 11 s.
/// The same ramp after health checks mark a server up again (B killed at 20 s, marked down
/// at 21 s, revived at 30 s, marked up at the 31 s probe: 50 % at 36 s).
#[test]
fn slow_start_ramps_a_new_or_recovered_servers_weight() {
    let mut cfg = SimConfig::new(
        vec![
            ServerSpec::new("A").weight(4),
            ServerSpec::new("B").weight(4),
        ],
        Arrivals::Constant { rate_per_sec: 10.0 },
        CostDist::Constant { us: MS },
        SimTime::from_secs(60),
    );
    cfg.slow_start_us = 10_000_000;
    cfg.health = Some(HealthCheckConfig {
        interval_us: 1_000_000,
        timeout_us: 100_000,
        fall: 1,
        rise: 1,
    });
    cfg.actions = vec![
        (
            SimTime::from_secs(1),
            Action::Add(ServerSpec::new("C").weight(4)),
        ),
        (SimTime::from_us(20_500_000), Action::Kill(ServerId(1))),
        (SimTime::from_us(30_500_000), Action::Revive(ServerId(1))),
    ];
    let (b, seen, _) = spy();
    let mut sim = Simulation::new(cfg, b, 1).unwrap();
    // Before the add, two servers at full weight.
    sim.advance_to(SimTime::from_ms(900)).unwrap();
    assert_eq!(sim.views().len(), 2);
    sim.advance_to(SimTime::from_ms(3_500)).unwrap();
    assert_eq!(sim.views()[2].effective_weight_milli, 1_000);
    sim.run().unwrap();
    let weight_at = |ms: u64, id: usize| {
        seen.borrow()
            .iter()
            .find(|(t, _)| t.as_ms() == ms)
            .map(|(_, v)| v[id].effective_weight_milli)
            .unwrap()
    };
    // Picks happen every 100 ms; at 1.1 s C is 0.1 s into its ramp: 4,000 × 0.01 = 40.
    assert_eq!(weight_at(1_100, 2), 40);
    assert_eq!(weight_at(6_000, 2), 2_000);
    assert_eq!(weight_at(11_000, 2), 4_000);
    assert_eq!(weight_at(6_000, 0), 4_000, "A never ramps");
    // B: killed 20.5 s, probe at 21 s fails at 21.1 s → down; revived 30.5 s, probe at 31 s
    // passes → up at 31 s, ramping: 36 s is half way.
    assert!(
        !seen
            .borrow()
            .iter()
            .find(|(t, _)| t.as_ms() == 25_000)
            .unwrap()
            .1[1]
            .healthy
    );
    assert_eq!(weight_at(36_000, 1), 2_000);
    assert_eq!(weight_at(41_000, 1), 4_000);
}

/// A run can be driven step by step and changed from outside; bad changes are refused with a
/// reason and change nothing.
#[test]
fn actions_applied_directly_are_checked() {
    let cfg = SimConfig::new(
        vec![ServerSpec::new("A")],
        Arrivals::Constant { rate_per_sec: 10.0 },
        CostDist::Constant { us: MS },
        SimTime::from_secs(1),
    );
    let mut sim = Simulation::new(cfg, Box::new(RoundRobin::new()), 1).unwrap();
    sim.advance_to(SimTime::from_ms(150)).unwrap();
    assert!(sim
        .apply(Action::Revive(ServerId(0)))
        .unwrap_err()
        .contains("up"));
    assert!(sim
        .apply(Action::Kill(ServerId(3)))
        .unwrap_err()
        .contains("no server #3"));
    assert!(sim.apply(Action::SetSpeed(ServerId(0), 0.0)).is_err());
    sim.apply(Action::Add(ServerSpec::new("B"))).unwrap();
    assert_eq!(sim.views().len(), 2);
    sim.apply(Action::SetSpeed(ServerId(1), 0.5)).unwrap();
    let r = sim.run().unwrap();
    assert_eq!(r.served, r.arrivals);
    assert!(r.servers[1].served > 0);
}

/// nginx ignores `slow_start` in a group of one server; so does the simulator: a server added
/// to an empty group (every other removed) takes full weight at once.
#[test]
fn slow_start_is_ignored_for_a_lone_server() {
    let mut cfg = SimConfig::new(
        vec![ServerSpec::new("A")],
        Arrivals::Constant { rate_per_sec: 10.0 },
        CostDist::Constant { us: MS },
        SimTime::from_secs(5),
    );
    cfg.slow_start_us = 10_000_000;
    cfg.actions = vec![
        (SimTime::from_ms(500), Action::Remove(ServerId(0))),
        (
            SimTime::from_ms(1_000),
            Action::Add(ServerSpec::new("B").weight(3)),
        ),
    ];
    let mut sim = Simulation::new(cfg, Box::new(RoundRobin::new()), 1).unwrap();
    sim.advance_to(SimTime::from_ms(1_500)).unwrap();
    assert_eq!(sim.views()[1].effective_weight_milli, 3_000);
    // The requests at 0.5, 0.6, 0.7, 0.8 and 0.9 s found no server (the removal and the add
    // were scheduled before the arrivals at their instants): 5 errors; the one at 1.0 s is
    // served by B.
    let r = sim.run().unwrap();
    assert_eq!((r.errors, r.no_server), (5, 5));
}

/// Uniform random spreads evenly: 30,000 picks over 3 servers, each share within 4 standard
/// deviations (√(n·p·(1−p)) ≈ 82) of 10,000; round robin exactly 10,000 each.
#[test]
fn reference_strategies_spread_evenly() {
    for (b, exact) in [
        (Box::new(UniformRandom::new()) as Box<dyn Balancer>, false),
        (Box::new(RoundRobin::new()) as Box<dyn Balancer>, true),
    ] {
        let cfg = SimConfig::new(
            vec![
                ServerSpec::new("A"),
                ServerSpec::new("B"),
                ServerSpec::new("C"),
            ],
            Arrivals::Constant {
                rate_per_sec: 1_000.0,
            },
            CostDist::Constant { us: 10 },
            SimTime::from_us(30_000_001),
        );
        let r = Simulation::new(cfg, b, 5).unwrap().run().unwrap();
        assert_eq!(r.arrivals, 30_000);
        for s in &r.servers {
            if exact {
                assert_eq!(s.received, 10_000);
            } else {
                assert!(
                    (s.received as f64 - 10_000.0).abs() < 330.0,
                    "{}",
                    s.received
                );
            }
        }
    }
}
