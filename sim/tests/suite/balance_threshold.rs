//! The capacity-threshold balancer of the interview-prep notes (`ThresholdBalancer`, catalogue B
//! D8; lesson 6 of load balancing): the notes' known answer (loads 820 / 700 / 600 of 1,000 /
//! 800 / 600: the notes' emergency mode refuses, the fixed one picks the western highway), the
//! 80 % boundary, ties, what never releasing load does, determinism through the model, and
//! (natively) picks and explanations that agree on random views.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::balance::strategies::{capacity, ThresholdBalancer, ThresholdMode};
use sim::requests::*;
use sim::rng::SimRng;
use sim::time::SimTime;
use std::rc::Rc;

/// A server `id` named `name` with `in_flight` of capacity `cap` (its weight).
fn server(id: u32, name: &str, in_flight: u32, cap: u32) -> BackendView {
    BackendView {
        id: ServerId(id),
        name: Rc::from(name),
        in_flight,
        weight: cap,
        effective_weight_milli: u64::from(cap) * 1_000,
        healthy: true,
        membership: Membership::Active,
        tried: false,
    }
}

/// The notes' three highways with the given loads.
fn highways(loads: [u32; 3]) -> Vec<BackendView> {
    vec![
        server(0, "western-highway", loads[0], 1_000),
        server(1, "eastern-highway", loads[1], 800),
        server(2, "sion-panvel", loads[2], 600),
    ]
}

/// Servers A, B, C, … with these (in flight, capacity) pairs.
fn pool(servers: &[(u32, u32)]) -> Vec<BackendView> {
    servers
        .iter()
        .enumerate()
        .map(|(i, &(n, c))| {
            let name = ((b'A' + i as u8) as char).to_string();
            server(i as u32, &name, n, c)
        })
        .collect()
}

fn req(id: u64) -> RequestInfo {
    RequestInfo {
        id,
        key: 0,
        attempt: 1,
    }
}

fn pick(b: &mut ThresholdBalancer, v: &[BackendView]) -> Option<ServerId> {
    b.pick(SimTime::ZERO, &req(0), v, &mut SimRng::new(1))
}

fn notes() -> ThresholdBalancer {
    ThresholdBalancer::notes(80).unwrap()
}

fn fixed() -> ThresholdBalancer {
    ThresholdBalancer::fixed(80).unwrap()
}

/// The notes' own example: 820 / 700 / 600 is past 80 % everywhere (800, 640, 480), so
/// emergency mode; the least absolute load is Sion–Panvel's 600, which is its capacity: the
/// notes refuse, though western has 180 and eastern 100 spare. The fix compares utilisation among
/// the servers with room: western 0.82 < eastern 0.875.
#[test]
fn the_notes_example_refuses_and_the_fix_picks_the_western_highway() {
    let v = highways([820, 700, 600]);
    let mut b = notes();
    assert_eq!(pick(&mut b, &v), None);
    assert_eq!(b.last_mode(), Some(ThresholdMode::Emergency));
    let e = b.explain(SimTime::ZERO, &req(0), &v);
    assert_eq!(e.chosen, None);
    assert_eq!(
        e.summary,
        "emergency (every server at 80 % or more): least load is sion-panvel (600/600), full: \
         refused, though western-highway has room for 180, eastern-highway for 100"
    );
    assert_eq!(e.scores[2].text, "sion-panvel: load 600/600, full");
    assert_eq!(e.scores[2].score, Some(600.0));

    let mut f = fixed();
    assert_eq!(pick(&mut f, &v), Some(ServerId(0)));
    let e = f.explain(SimTime::ZERO, &req(0), &v);
    assert_eq!(e.chosen, Some(ServerId(0)));
    assert_eq!(
        e.summary,
        "emergency (every server at 80 % or more): lowest utilisation with room wins: \
         western-highway (820/1000)"
    );
    assert_eq!(e.scores[0].score, Some(0.82));
    assert_eq!(e.scores[1].score, Some(0.875));
    assert_eq!(e.scores[2].score, None, "a full server is left out");
    assert_eq!(e.scores[2].text, "sion-panvel: 600/600 full: left out");
}

/// Idle, the largest highway has the smallest predicted time, (0 + 1)/1000, in both variants.
#[test]
fn green_wave_sends_the_first_request_to_the_largest_server() {
    for mut b in [notes(), fixed()] {
        let v = highways([0, 0, 0]);
        assert_eq!(pick(&mut b, &v), Some(ServerId(0)));
        assert_eq!(b.last_mode(), Some(ThresholdMode::GreenWave));
        let e = b.explain(SimTime::ZERO, &req(0), &v);
        assert_eq!(
            e.summary,
            "green wave: smallest predicted time among servers below 80 % wins: western-highway \
             ((0 + 1)/1000 = 0.001)"
        );
        assert_eq!(
            e.scores[2].text,
            "sion-panvel: 0/600 < 80 %: predicted (0 + 1)/600 = 0.002"
        );
    }
}

/// Below 80 % means `in flight × 100 < 80 × capacity`: 7 of 10 qualifies, 8 of 10 does not;
/// 4 of 6 qualifies (4.8 is the line), 5 of 6 does not.
#[test]
fn the_threshold_is_strictly_below_80_percent() {
    let b = notes();
    let at = |n, c| b.below_threshold(&server(0, "A", n, c));
    assert!(at(7, 10));
    assert!(!at(8, 10));
    assert!(at(4, 6));
    assert!(!at(5, 6));
    assert!(at(6, 8));
    assert!(!at(7, 8));
    // A at 8 of 10 is out; B at 6 of 8 is the only candidate, though A's predicted time would
    // be lower.
    let v = pool(&[(8, 10), (6, 8), (5, 6)]);
    let mut b = notes();
    assert_eq!(pick(&mut b, &v), Some(ServerId(1)));
    assert_eq!(b.last_mode(), Some(ThresholdMode::GreenWave));
    let e = b.explain(SimTime::ZERO, &req(0), &v);
    assert_eq!(e.scores[0].text, "A: 8/10 ≥ 80 %: left out");
    assert_eq!(
        e.scores[1].text,
        "B: 6/8 < 80 %: predicted (6 + 1)/8 = 0.875"
    );
    // One fewer at A: A is back in green wave, and its (7 + 1)/10 = 0.8 beats B's 0.875.
    let v = pool(&[(7, 10), (6, 8), (5, 6)]);
    assert_eq!(pick(&mut b, &v), Some(ServerId(0)));
    // Any threshold: 100 % leaves only full servers out; 1 % of 10 admits only an idle server.
    let mut all = ThresholdBalancer::notes(100).unwrap();
    let v = pool(&[(10, 10), (7, 8), (4, 6)]);
    assert_eq!(
        pick(&mut all, &v),
        Some(ServerId(2)),
        "(4 + 1)/6 < (7 + 1)/8"
    );
    let v = pool(&[(10, 10), (7, 8), (5, 6)]);
    assert_eq!(
        pick(&mut all, &v),
        Some(ServerId(1)),
        "(7 + 1)/8 = (5 + 1)/6: B first"
    );
    let one = ThresholdBalancer::fixed(1).unwrap();
    assert!(one.below_threshold(&server(0, "A", 0, 10)));
    assert!(!one.below_threshold(&server(0, "A", 1, 10)));
    assert!(ThresholdBalancer::notes(0).is_err());
    assert!(ThresholdBalancer::fixed(101).is_err());
}

/// Ties go to the lowest id, as Python's `min` keeps the first: equal predicted times in green
/// wave, equal absolute loads (notes) and equal utilisations (fixed) in emergency.
#[test]
fn ties_go_to_the_first_server() {
    // (1 + 1)/10 = (0 + 1)/5: A, listed first.
    let v = pool(&[(1, 10), (0, 5)]);
    assert_eq!(pick(&mut notes(), &v), Some(ServerId(0)));
    let v = pool(&[(0, 5), (1, 10)]);
    assert_eq!(pick(&mut notes(), &v), Some(ServerId(0)));
    // Emergency, the notes: 9 of 10 and 9 of 10: A.
    let v = pool(&[(9, 10), (9, 10), (9, 10)]);
    assert_eq!(pick(&mut notes(), &v), Some(ServerId(0)));
    // Emergency with equal loads where the first is full: the notes still take the first (A,
    // 8 of 8, full) and refuse, though B has room.
    let v = pool(&[(8, 8), (8, 10)]);
    assert_eq!(pick(&mut notes(), &v), None);
    assert_eq!(pick(&mut fixed(), &v), Some(ServerId(1)));
    // Fixed: 8/10 = 4/5: A.
    let v = pool(&[(8, 10), (4, 5)]);
    assert_eq!(pick(&mut fixed(), &v), Some(ServerId(0)));
    let v = pool(&[(4, 5), (8, 10)]);
    assert_eq!(pick(&mut fixed(), &v), Some(ServerId(0)));
}

/// Every server full: both refuse; the fixed one says so.
#[test]
fn both_refuse_when_every_server_is_full() {
    let v = pool(&[(10, 10), (9, 8), (6, 6)]);
    assert_eq!(pick(&mut notes(), &v), None);
    let mut f = fixed();
    assert_eq!(pick(&mut f, &v), None);
    let e = f.explain(SimTime::ZERO, &req(0), &v);
    assert_eq!(
        e.summary,
        "emergency (every server at 80 % or more): every server is full: refused"
    );
    // The notes' refusal with nothing spare names no spare room.
    let mut b = notes();
    assert_eq!(pick(&mut b, &v), None);
    let e = b.explain(SimTime::ZERO, &req(0), &v);
    assert!(e.summary.ends_with("full: refused"), "{}", e.summary);
}

/// Ineligible servers are never picked and never count as candidates; none eligible: none.
#[test]
fn only_eligible_servers_are_considered() {
    let mut v = pool(&[(0, 10), (0, 8), (0, 6)]);
    v[0].healthy = false;
    v[1].membership = Membership::Draining;
    assert_eq!(pick(&mut notes(), &v), Some(ServerId(2)));
    v[2].tried = true;
    let mut b = fixed();
    assert_eq!(pick(&mut b, &v), None);
    let e = b.explain(SimTime::ZERO, &req(0), &v);
    assert_eq!(e.summary, "no server available");
    assert!(e.scores.iter().all(|s| s.score.is_none()));
}

/// The notes add load and never release it. Replayed on their capacities with an estimated load
/// of 1 per request: green wave fills 800 / 640 / 480 (1,920 requests), emergency sends 120 more
/// to Sion–Panvel, then every request is refused with 200 and 160 spare. The fixed emergency
/// mode fills all 2,400 before refusing.
#[test]
fn never_releasing_load_fills_the_notes_balancer_for_good() {
    for (mut b, accepted) in [(notes(), 2_040u32), (fixed(), 2_400)] {
        let mut v = highways([0, 0, 0]);
        let mut n = 0u32;
        for i in 0..3_000 {
            match b.pick(SimTime::ZERO, &req(i), &v, &mut SimRng::new(1)) {
                Some(s) => {
                    v[s.0 as usize].in_flight += 1;
                    n += 1;
                }
                None => break,
            }
        }
        assert_eq!(n, accepted);
        let loads: Vec<u32> = v.iter().map(|s| s.in_flight).collect();
        if b.is_fixed() {
            assert_eq!(loads, [1_000, 800, 600]);
        } else {
            assert_eq!(loads, [800, 640, 600]);
        }
    }
}

/// Through the model: the lesson's setup (speeds 1, 0.8, 0.6; capacities 10, 8, 6; bursts of
/// 20 a second on average) runs identically twice, every refusal of the notes' version has room
/// at A or B, and the fixed version's refusals come only with every server full. The notes'
/// version never uses A's and B's top 20 %: its longest queues stay at 7 and 6 (in flight 8 and
/// 7, one in service).
#[cfg(feature = "balancing")]
#[test]
fn the_lesson_setup_is_deterministic_and_refuses_as_the_variants_say() {
    use sim::model::MetricValue;
    use sim::scenario::Scenario;
    let run = |strategy: &str| {
        let mut s = Scenario::new("load-balancer", 17, SimTime::from_ms(30_000));
        for (k, v) in [
            ("servers", "3"),
            ("speeds", "1,0.8,0.6"),
            ("weights", "10,8,6"),
            ("mean_ms", "100"),
            ("rate", "20"),
            ("arrival", "bursts"),
            ("duration_s", "30"),
            ("strategy", strategy),
        ] {
            s.params.insert(k.to_string(), v.to_string());
        }
        let mut r = sim::registry::start(&s).unwrap();
        r.seek(r.until());
        r.validate().unwrap();
        r
    };
    for strategy in ["threshold-notes", "threshold"] {
        let a = run(strategy);
        let b = run(strategy);
        assert_eq!(a.digest(), b.digest(), "{strategy}");
        let picks = sim::models::balancer::balancing(a.as_ref())
            .unwrap()
            .picks()
            .to_vec();
        let refused: Vec<_> = picks.iter().filter(|p| p.server.is_none()).collect();
        assert!(!refused.is_empty(), "{strategy} reaches a refusal");
        for p in &refused {
            if strategy == "threshold" {
                assert!(
                    p.summary.ends_with("every server is full: refused"),
                    "{}",
                    p.summary
                );
            } else {
                assert!(p.summary.contains("has room for"), "{}", p.summary);
            }
        }
        let m = a.metrics();
        let no_server = match m.get("no_server") {
            Some(MetricValue::Int(i)) => *i,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            no_server as usize,
            refused.len(),
            "every refusal is counted"
        );
        let queues = m.group("max_queue_per_server").unwrap();
        let longest: Vec<f64> = queues.values.iter().map(|(_, q)| *q).collect();
        if strategy == "threshold" {
            assert!(longest[0] <= 9.0 && longest[1] <= 7.0 && longest[2] <= 5.0);
        } else {
            assert_eq!(longest, [7.0, 6.0, 5.0]);
        }
    }
}

/// The capacity is the weight, at least 1.
#[test]
fn capacity_is_the_weight() {
    assert_eq!(capacity(&server(0, "A", 0, 10)), 10);
    assert_eq!(capacity(&server(0, "A", 0, 0)), 1);
}

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn views() -> impl Strategy<Value = Vec<BackendView>> {
        prop::collection::vec((0u32..14, 1u32..12, any::<bool>()), 1..6).prop_map(|s| {
            s.iter()
                .enumerate()
                .map(|(i, &(n, c, up))| {
                    let mut v = server(i as u32, &format!("S{i}"), n, c);
                    v.healthy = up || i == 0;
                    v
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        /// On any views: a pick is eligible and has room; green wave picks a server below the
        /// threshold with the least (in flight + 1)/capacity; the fixed version refuses only
        /// when every eligible server is full, the notes' only when the least-loaded one is; the
        /// explanation agrees with the pick, scores every server and the pick's score is the
        /// lowest.
        #[test]
        fn picks_follow_the_rules(v in views(), percent in 1u32..=100, fixed in any::<bool>()) {
            let mut b = ThresholdBalancer::new(percent, fixed).unwrap();
            let p = pick(&mut b, &v);
            let e = b.explain(SimTime::ZERO, &req(0), &v);
            prop_assert_eq!(e.chosen, p);
            prop_assert_eq!(e.scores.len(), v.len());
            let eligible: Vec<&BackendView> = v.iter().filter(|s| s.eligible()).collect();
            let room = |s: &BackendView| u64::from(s.in_flight) < capacity(s);
            let green = eligible.iter().any(|s| b.below_threshold(s));
            prop_assert_eq!(b.last_mode() == Some(ThresholdMode::GreenWave), green);
            match p {
                Some(id) => {
                    let s = &v[id.0 as usize];
                    prop_assert!(s.eligible() && room(s));
                    let mine = e.scores[id.0 as usize].score.unwrap();
                    for o in e.scores.iter().filter_map(|o| o.score) {
                        prop_assert!(mine <= o + 1e-12);
                    }
                    if green {
                        prop_assert!(b.below_threshold(s));
                        prop_assert!(e.summary.starts_with("green wave"));
                    } else {
                        prop_assert!(e.summary.starts_with("emergency"));
                    }
                }
                None if fixed => prop_assert!(eligible.iter().all(|s| !room(s))),
                None => {
                    let least = eligible.iter().map(|s| s.in_flight).min();
                    if let Some(least) = least {
                        let first = eligible.iter().find(|s| s.in_flight == least).unwrap();
                        prop_assert!(!room(first));
                    }
                }
            }
            // The fixed version never refuses where the notes' version picks.
            let mut other = ThresholdBalancer::new(percent, !fixed).unwrap();
            let q = pick(&mut other, &v);
            let (notes_pick, fixed_pick) = if fixed { (q, p) } else { (p, q) };
            prop_assert!(notes_pick.is_none() || fixed_pick.is_some());
        }
    }
}
