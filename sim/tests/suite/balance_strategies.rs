//! The load-balancing strategies (`sim::balance::strategies`): known answers worked by hand from
//! the nginx sources, eligibility on random views, convergence to weights, the behaviour each
//! strategy is for in the request simulator (P2C against random, latency-aware strategies against
//! a slowed server, bounded loads, stickiness), passive checks against nginx's own round robin,
//! determinism, and explanations that agree with the picks.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::balance::strategies::*;
use sim::balance::swrr::{PeerSpec, Skip, SmoothWrr};
use sim::balance::PoolConfig;
use sim::requests::*;
use sim::rng::SimRng;
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::rc::Rc;

fn view(id: u32, in_flight: u32, weight: u32) -> BackendView {
    BackendView {
        id: ServerId(id),
        name: Rc::from(((b'A' + id as u8) as char).to_string().as_str()),
        in_flight,
        weight,
        effective_weight_milli: u64::from(weight) * 1_000,
        healthy: true,
        membership: Membership::Active,
        tried: false,
    }
}

fn views(weights: &[u32]) -> Vec<BackendView> {
    weights
        .iter()
        .enumerate()
        .map(|(i, w)| view(i as u32, 0, *w))
        .collect()
}

fn req(id: u64, key: u64) -> RequestInfo {
    RequestInfo {
        id,
        key,
        attempt: 1,
    }
}

fn served(request: RequestInfo, server: ServerId, latency_us: u64) -> Response {
    Response {
        request,
        server,
        latency_us,
        outcome: AttemptOutcome::Served,
    }
}

fn names(servers: &[BackendView], picks: &[Option<ServerId>]) -> String {
    picks
        .iter()
        .map(|p| {
            p.map_or("-".to_string(), |s| {
                servers[s.0 as usize].name.to_lowercase()
            })
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Every strategy, freshly built, with its label.
fn all_strategies() -> Vec<(&'static str, Box<dyn Balancer>)> {
    vec![
        ("wrr", Box::new(WeightedRoundRobin::new())),
        ("least_conn", Box::new(LeastConnections::new(true))),
        (
            "least_conn unweighted",
            Box::new(LeastConnections::new(false)),
        ),
        ("least time", Box::new(LeastResponseTime::default_tau())),
        ("peak ewma all", Box::new(PeakEwma::scan_all())),
        ("peak ewma p2c", Box::new(PeakEwma::finagle())),
        ("random", Box::new(PowerOfD::new(1).unwrap())),
        ("p2c", Box::new(PowerOfD::new(2).unwrap())),
        ("p3c", Box::new(PowerOfD::new(3).unwrap())),
        ("aperture", Box::new(Aperture::new(3, 1, 4).unwrap())),
        ("ip_hash", Box::new(IpHash::new(KeyAddress::ClientSubnet))),
        ("ip_hash raw", Box::new(IpHash::new(KeyAddress::Ipv4))),
        ("hash", Box::new(KeyHash::new())),
        ("chash", Box::new(ConsistentHash::new(None).unwrap())),
        (
            "chash bounded",
            Box::new(ConsistentHash::new(Some(1.25)).unwrap()),
        ),
        (
            "affinity over p2c",
            Box::new(SessionAffinity::new(Box::new(PowerOfD::new(2).unwrap()))),
        ),
        (
            "passive over wrr",
            Box::new(
                PassiveChecks::new(
                    Box::new(WeightedRoundRobin::new()),
                    PassiveParams::default(),
                )
                .unwrap(),
            ),
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Known answers.
// ---------------------------------------------------------------------------------------------

#[test]
fn crc32_is_nginx_crc32_check_value() {
    assert_eq!(crc32(b"123456789"), 0xcbf4_3926);
    assert_eq!(crc32(b"42"), 0x3224_b088);
}

/// Points of `hash … consistent`: crc32(host ‖ 0 ‖ port ‖ previous point, little-endian), the
/// first with previous 0; checked against Python's `zlib.crc32` of the same bytes.
#[test]
fn consistent_hash_points_follow_nginx_recipe() {
    let p = chash_points("10.0.0.1:80", 1);
    assert_eq!(p.len(), 160);
    assert_eq!(&p[..3], &[0xa2ad_5d56, 0x0bde_b0ab, 0x75f0_0c5b]);
    // No port (a non-digit before any ':'): host "backend", empty port.
    assert_eq!(
        &chash_points("backend", 2)[..2],
        &[0x1ae7_0921, 0xe1e5_66a4]
    );
    assert_eq!(chash_points("backend", 2).len(), 320);
}

/// nginx commit 52327e062: weights {5, 1, 1} give `a a b a c a a`, every cycle.
#[test]
fn wrr_5_1_1_is_nginx_sequence() {
    let v = views(&[5, 1, 1]);
    let mut b = WeightedRoundRobin::new();
    let mut rng = SimRng::new(1);
    let picks: Vec<_> = (0..14)
        .map(|i| b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng))
        .collect();
    assert_eq!(names(&v, &picks), "a a b a c a a a a b a c a a");
    let e = b.explain(SimTime::ZERO, &req(13, 0), &v);
    assert_eq!(e.chosen, Some(ServerId(0)));
    assert!(
        e.summary.starts_with("largest current weight wins: A (7)"),
        "{}",
        e.summary
    );
}

/// A down server adds nothing and keeps its place: with B unhealthy, {5, 1, 1} rotates over
/// A and C as smooth WRR over {5, 1} does (a a a c a a).
#[test]
fn wrr_skips_an_unhealthy_server() {
    let mut v = views(&[5, 1, 1]);
    v[1].healthy = false;
    let mut b = WeightedRoundRobin::new();
    let mut rng = SimRng::new(1);
    let picks: Vec<_> = (0..6)
        .map(|i| b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng))
        .collect();
    assert_eq!(names(&v, &picks), "a a a c a a");
}

/// Slow start: a server ramping at a quarter of its weight (250 of 1,000 milli) counts as 3
/// tenths against its peer's 10, so over each 13 picks it gets 3; ramped fully, the rotation is
/// even again (after a restart of the current weights).
#[test]
fn wrr_follows_slow_start_weights() {
    let mut v = views(&[1, 1]);
    v[1].effective_weight_milli = 250;
    let mut b = WeightedRoundRobin::new();
    let mut rng = SimRng::new(1);
    let mut count = [0u32; 2];
    for i in 0..130 {
        count[b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng).unwrap().0 as usize] += 1;
    }
    assert_eq!(count, [100, 30]);
    v[1].effective_weight_milli = 1_000;
    let picks: Vec<_> = (0..4)
        .map(|i| b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng))
        .collect();
    assert_eq!(names(&v, &picks), "a b a b");
    let e = b.explain(SimTime::ZERO, &req(3, 0), &v);
    assert!(
        e.summary
            .starts_with("largest current weight wins: B (2); it gives back the total 2"),
        "{}",
        e.summary
    );
}

/// Aperture: four clients with windows of two over eight servers use disjoint windows that
/// together cover every server once; each client picks only inside its window.
#[test]
fn aperture_windows_spread_clients_over_servers() {
    let v: Vec<BackendView> = (0..8).map(|i| view(i, 0, 1)).collect();
    let mut rng = SimRng::new(8);
    let mut covered = Vec::new();
    for c in 0..4 {
        let mut b = Aperture::new(2, c, 4).unwrap();
        let w = b.window(&v);
        assert_eq!(w, vec![ServerId(2 * c), ServerId(2 * c + 1)]);
        for i in 0..50 {
            let s = b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng).unwrap();
            assert!(w.contains(&s), "client {c} picked {s} outside {w:?}");
        }
        covered.extend(w);
    }
    covered.sort();
    assert_eq!(covered, (0..8).map(ServerId).collect::<Vec<_>>());
}

/// ip_hash by hand: 192.168.1.x: h = 89; (89·113 + 192) mod 6271 = 3978; (3978·113 + 168) mod
/// 6271 = 4441; (4441·113 + 1) mod 6271 = 154. Three servers of weight 1: 154 mod 3 = 1 → B.
/// Rehashes from 154 give 5654 (→ C), 1196 (→ C), 723 (→ A).
#[test]
fn ip_hash_known_answers_by_hand() {
    assert_eq!(
        ip_hash_candidates([192, 168, 1], 4),
        vec![154, 5654, 1196, 723]
    );
    let key = u64::from(u32::from_be_bytes([192, 168, 1, 77]));
    let mut rng = SimRng::new(1);
    let mut v = views(&[1, 1, 1]);
    let mut b = IpHash::new(KeyAddress::Ipv4);
    assert_eq!(
        b.pick(SimTime::ZERO, &req(0, key), &v, &mut rng),
        Some(ServerId(1))
    );
    let e = b.explain(SimTime::ZERO, &req(0, key), &v);
    assert!(
        e.summary.starts_with("192.168.1 hashes 89 → 154"),
        "{}",
        e.summary
    );
    v[1].healthy = false;
    assert_eq!(
        b.pick(SimTime::ZERO, &req(1, key), &v, &mut rng),
        Some(ServerId(2))
    );
    v[2].healthy = false;
    assert_eq!(
        b.pick(SimTime::ZERO, &req(2, key), &v, &mut rng),
        Some(ServerId(0))
    );
    // Weights {5, 1, 1}: 154 mod 7 = 0 → A; with A down, 5654 mod 7 = 5 → B.
    let mut v = views(&[5, 1, 1]);
    let mut b = IpHash::new(KeyAddress::Ipv4);
    assert_eq!(
        b.pick(SimTime::ZERO, &req(0, key), &v, &mut rng),
        Some(ServerId(0))
    );
    v[0].healthy = false;
    assert_eq!(
        b.pick(SimTime::ZERO, &req(1, key), &v, &mut rng),
        Some(ServerId(1))
    );
    // The whole /24 shares a server; 0.0.0.x hashes to 295 (→ B of three).
    let v = views(&[1, 1, 1]);
    let mut b = IpHash::new(KeyAddress::Ipv4);
    for k in 0..256 {
        assert_eq!(
            b.pick(SimTime::ZERO, &req(k, k), &v, &mut rng),
            Some(ServerId(1))
        );
    }
    assert_eq!(ip_hash_candidates([0, 0, 0], 1), vec![295]);
}

/// nginx `hash $key` by hand (Python's `zlib.crc32`): key "42": crc32("42") = 0x3224b088, whose
/// bits 16–30 are 12836 → 12836 mod 3 = 2 → C; with C down the next round adds
/// (crc32("142") >> 16) & 0x7fff = 10517: 23353 mod 3 = 1 → B; with B down too, + 11091 =
/// 34444 → B again (unusable), and so on.
#[test]
fn map_based_hash_known_answers_by_hand() {
    assert_eq!(key_hash_round(b"42", 0), 12_836);
    assert_eq!(key_hash_round(b"42", 1), 23_353 - 12_836);
    assert_eq!(key_hash_round(b"42", 2), 34_444 - 23_353);
    let mut rng = SimRng::new(1);
    let mut v = views(&[1, 1, 1]);
    let mut b = KeyHash::new();
    assert_eq!(
        b.pick(SimTime::ZERO, &req(0, 42), &v, &mut rng),
        Some(ServerId(2))
    );
    let e = b.explain(SimTime::ZERO, &req(0, 42), &v);
    assert_eq!(e.summary, "key 42: hash 12836 mod total weight 3 = 2 → C");
    v[2].healthy = false;
    assert_eq!(
        b.pick(SimTime::ZERO, &req(1, 42), &v, &mut rng),
        Some(ServerId(1))
    );
    v[1].healthy = false;
    assert_eq!(
        b.pick(SimTime::ZERO, &req(2, 42), &v, &mut rng),
        Some(ServerId(0))
    );
}

/// A retry continues nginx's rehash chain where the first attempt stopped: the tried server is
/// not examined again, the next candidate is.
#[test]
fn ip_hash_retry_continues_the_chain() {
    let key = u64::from(u32::from_be_bytes([192, 168, 1, 1]));
    let mut rng = SimRng::new(1);
    let mut v = views(&[1, 1, 1]);
    let mut b = IpHash::new(KeyAddress::Ipv4);
    let first = req(5, key);
    assert_eq!(
        b.pick(SimTime::ZERO, &first, &v, &mut rng),
        Some(ServerId(1))
    );
    v[1].tried = true;
    let retry = RequestInfo {
        attempt: 2,
        ..first
    };
    assert_eq!(
        b.pick(SimTime::ZERO, &retry, &v, &mut rng),
        Some(ServerId(2))
    );
}

/// least_conn: cross products with weights; unweighted ignores them; ties by smooth WRR over
/// the tied servers ({2, 1, 1} all idle: a b c a, as smooth WRR over {2, 1, 1}).
#[test]
fn least_conn_weights_and_tie_breaking() {
    let mut rng = SimRng::new(1);
    // A: 2 in flight / weight 3 = 0.67 < B: 1 / 1.
    let v = vec![view(0, 2, 3), view(1, 1, 1)];
    let mut w = LeastConnections::new(true);
    let mut u = LeastConnections::new(false);
    assert_eq!(
        w.pick(SimTime::ZERO, &req(0, 0), &v, &mut rng),
        Some(ServerId(0))
    );
    assert_eq!(
        u.pick(SimTime::ZERO, &req(0, 0), &v, &mut rng),
        Some(ServerId(1))
    );
    let e = w.explain(SimTime::ZERO, &req(0, 0), &v);
    assert_eq!(e.scores[0].text, "A: 2 in flight / weight 3 = 0.67");
    assert_eq!(e.summary, "lowest load wins: A (0.67)");

    let v = views(&[2, 1, 1]);
    let mut b = LeastConnections::new(true);
    let picks: Vec<_> = (0..8)
        .map(|i| b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng))
        .collect();
    assert_eq!(names(&v, &picks), "a b c a a b c a");
    // Unweighted ties rotate evenly.
    let mut b = LeastConnections::new(false);
    let picks: Vec<_> = (0..6)
        .map(|i| b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng))
        .collect();
    assert_eq!(names(&v, &picks), "a b c a b c");
    // A tie between B and C only (A busier): B, C alternate.
    let v = vec![view(0, 5, 1), view(1, 2, 1), view(2, 2, 1)];
    let picks: Vec<_> = (0..4)
        .map(|i| b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng))
        .collect();
    assert_eq!(names(&v, &picks), "b c b c");
}

/// least_conn against a plain model of nginx's loop, over 3,000 random views (in-flight counts,
/// health, tries; fixed weights): the lowest `conns × weight_other` cross product, and among
/// several, smooth WRR over the tied with the model's own current weights.
#[test]
fn least_conn_matches_a_model_of_nginx() {
    let mut r = SimRng::new(12);
    let mut rng = SimRng::new(13);
    let weights = [3u32, 1, 2, 1, 5];
    let mut b = LeastConnections::new(true);
    let mut cw = [0i64; 5];
    for step in 0..3_000 {
        let mut v = views(&weights);
        for x in &mut v {
            x.in_flight = r.below(4) as u32;
            x.healthy = r.chance(0.85);
            x.tried = r.chance(0.1);
        }
        // The model.
        let ok: Vec<usize> = (0..5).filter(|&i| v[i].eligible()).collect();
        let load = |i: usize, j: usize| u64::from(v[i].in_flight) * u64::from(weights[j]);
        let mut want = None;
        if let Some(&first) = ok.first() {
            let mut best = first;
            for &i in &ok {
                if load(i, best) < load(best, i) {
                    best = i;
                }
            }
            let tied: Vec<usize> = ok
                .iter()
                .copied()
                .filter(|&i| load(i, best) == load(best, i))
                .collect();
            if tied.len() > 1 {
                let mut total = 0;
                let mut win = tied[0];
                for &i in &tied {
                    cw[i] += i64::from(weights[i]);
                    total += i64::from(weights[i]);
                    if cw[i] > cw[win] {
                        win = i;
                    }
                }
                cw[win] -= total;
                best = win;
            }
            want = Some(ServerId(best as u32));
        }
        let got = b.pick(SimTime::ZERO, &req(step, 0), &v, &mut rng);
        assert_eq!(got, want, "step {step}: {v:?}");
    }
}

/// Peak EWMA by hand (Finagle's `Metric`): a peak replaces the cost; a lower sample 10 s (τ)
/// later blends with weight 1 − e⁻¹; reading the load decays it first.
#[test]
fn peak_ewma_by_hand() {
    let mut b = PeakEwma::new(None, 10_000_000).unwrap();
    let v = views(&[1, 1]);
    let mut rng = SimRng::new(1);
    assert_eq!(
        b.pick(SimTime::ZERO, &req(0, 0), &v, &mut rng),
        Some(ServerId(0))
    );
    b.on_response(SimTime::from_ms(1), &served(req(0, 0), ServerId(0), 10_000));
    assert_eq!(b.cost_us(ServerId(0)), Some(10_000.0));
    b.on_response(SimTime::from_ms(2), &served(req(1, 0), ServerId(0), 30_000));
    assert_eq!(
        b.cost_us(ServerId(0)),
        Some(30_000.0),
        "a peak replaces the cost"
    );
    b.on_response(
        SimTime::from_ms(10_002),
        &served(req(2, 0), ServerId(0), 2_000),
    );
    let e1 = libm::exp(-1.0);
    let want = 30_000.0 * e1 + 2_000.0 * (1.0 - e1);
    assert!((b.cost_us(ServerId(0)).unwrap() - want).abs() < 1e-6);
    // B has no history and 1 in flight: Finagle's penalty; A idle costs its EWMA × 1.
    let v = vec![view(0, 0, 1), view(1, 1, 1)];
    assert_eq!(
        b.pick(SimTime::from_ms(10_002), &req(3, 0), &v, &mut rng),
        Some(ServerId(0))
    );
    let e = b.explain(SimTime::from_ms(10_002), &req(3, 0), &v);
    assert_eq!(e.scores[1].score, Some(FINAGLE_PENALTY + 1.0));
    assert!(
        e.scores[0].text.starts_with("A: (0 in flight + 1) × 12.3"),
        "{}",
        e.scores[0].text
    );
    assert!(
        e.summary.starts_with("lowest score wins: A (12.3"),
        "{}",
        e.summary
    );
    // The example: 3 in flight × 12 ms EWMA.
    let mut b = PeakEwma::scan_all();
    let v = vec![view(0, 3, 1)];
    b.on_response(SimTime::ZERO, &served(req(0, 0), ServerId(0), 12_000));
    b.pick(SimTime::ZERO, &req(1, 0), &v, &mut rng);
    let e = b.explain(SimTime::ZERO, &req(1, 0), &v);
    assert_eq!(
        e.scores[0].text,
        "A: (3 in flight + 1) × 12.0 ms EWMA = 48.0 ms"
    );
}

#[test]
fn bad_parameters_are_refused_with_reasons() {
    assert!(PowerOfD::new(0).unwrap_err().contains("d must be"));
    assert!(PowerOfD::new(1_001).is_err());
    assert!(PeakEwma::new(Some(0), 1).is_err());
    assert!(PeakEwma::new(None, 0).unwrap_err().contains("decay time"));
    assert!(LeastResponseTime::new(0).is_err());
    assert!(ConsistentHash::new(Some(0.9))
        .unwrap_err()
        .contains("within 1 and 1000"));
    assert!(ConsistentHash::new(Some(f64::NAN)).is_err());
    assert!(Aperture::new(0, 0, 1).is_err());
    assert!(Aperture::new(2, 3, 3).unwrap_err().contains("not one of 3"));
    let p = PassiveParams {
        max_fails: 1,
        fail_timeout_s: u64::MAX,
    };
    assert!(PassiveChecks::new(Box::new(WeightedRoundRobin::new()), p).is_err());
}

// ---------------------------------------------------------------------------------------------
// Properties on random views.
// ---------------------------------------------------------------------------------------------

/// Random views: 1–8 servers, random weights, in-flight counts, health, membership, tries and
/// slow-start weights.
fn random_views(r: &mut SimRng) -> Vec<BackendView> {
    let n = 1 + r.below(8) as u32;
    (0..n)
        .map(|i| {
            let mut v = view(i, r.below(6) as u32, 1 + r.below(5) as u32);
            v.healthy = r.chance(0.8);
            v.membership = match r.below(10) {
                0 => Membership::Draining,
                1 => Membership::Removed,
                _ => Membership::Active,
            };
            v.tried = r.chance(0.15);
            if r.chance(0.2) {
                v.effective_weight_milli = 1 + r.below(u64::from(v.weight) * 1_000);
            }
            v
        })
        .collect()
}

/// Runs `b` over `steps` random views, checking eligibility, `None` iff none eligible, that the
/// explanation names the pick and has a line per server, and, for the "lowest score wins"
/// strategies, that no server it scored beats the pick; feeds served responses back.
fn check_eligibility(label: &str, b: &mut dyn Balancer, seed: u64, steps: u64) {
    let mut r = SimRng::new(seed);
    let mut rng = SimRng::new(seed ^ 1);
    for i in 0..steps {
        let v = random_views(&mut r);
        let now = SimTime::from_ms(i * 7);
        let key = r.below(40);
        let q = RequestInfo {
            id: i,
            key,
            attempt: 1 + r.below(2) as u32,
        };
        let any = v.iter().any(|v| v.eligible());
        let pick = b.pick(now, &q, &v, &mut rng);
        match pick {
            Some(s) => assert!(
                v[s.0 as usize].eligible(),
                "{label} (seed {seed}, step {i}) picked ineligible {s}: {v:?}"
            ),
            None => assert!(
                !any,
                "{label} (seed {seed}, step {i}) found none among {v:?}"
            ),
        }
        let e = b.explain(now, &q, &v);
        assert_eq!(
            e.chosen, pick,
            "{label} (seed {seed}, step {i}): explain ≠ pick"
        );
        assert!(!e.summary.is_empty());
        assert_eq!(
            e.scores.len(),
            v.len(),
            "{label}: one score line per server"
        );
        if let (Some(s), true) = (pick, LOWEST_SCORE_WINS.contains(&label)) {
            let mine = e.scores[s.0 as usize].score.expect("the pick has a score");
            for other in &e.scores {
                if let Some(x) = other.score {
                    assert!(
                        mine <= x,
                        "{label} (seed {seed}, step {i}): picked score {mine} > {x}: {}",
                        other.text
                    );
                }
            }
        }
        if let Some(s) = pick {
            b.on_response(now, &served(q, s, 500 + r.below(20_000)));
        }
    }
}

/// Strategies whose explanation scores every server it compared, the pick having the lowest.
const LOWEST_SCORE_WINS: [&str; 9] = [
    "least_conn",
    "least_conn unweighted",
    "least time",
    "peak ewma all",
    "peak ewma p2c",
    "random",
    "p2c",
    "p3c",
    "aperture",
];

#[test]
fn every_strategy_picks_only_eligible_servers_and_explains_its_pick() {
    for (label, mut b) in all_strategies() {
        check_eligibility(label, b.as_mut(), 7, 300);
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod props {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        #[test]
        fn eligibility_holds_for_any_seed(seed in any::<u64>()) {
            for (label, mut b) in all_strategies() {
                check_eligibility(label, b.as_mut(), seed, 60);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Convergence to weights.
// ---------------------------------------------------------------------------------------------

/// Smooth WRR and tied least_conn honour weights exactly over whole cycles (Σw = 10 picks);
/// ip_hash over 6,000 distinct /24s within ±3 percentage points of the weight share; the
/// consistent-hash ring (480 of 640 points for weight 3 against 1): 20,000 keys within ±1.5
/// points of the arc share (binomial σ ≈ 0.3 points), the arc share within ±5 points of 75 %.
#[test]
fn weighted_strategies_converge_to_their_weights() {
    let mut rng = SimRng::new(3);
    let v = views(&[5, 3, 2]);
    for (label, mut b) in [
        (
            "wrr",
            Box::new(WeightedRoundRobin::new()) as Box<dyn Balancer>,
        ),
        ("least_conn idle", Box::new(LeastConnections::new(true))),
    ] {
        let mut count = [0u32; 3];
        for i in 0..1_000 {
            let s = b.pick(SimTime::ZERO, &req(i, 0), &v, &mut rng).unwrap();
            count[s.0 as usize] += 1;
        }
        assert_eq!(count, [500, 300, 200], "{label}");
    }
    let v = views(&[3, 1]);
    let share = |b: &mut dyn Balancer, keys: u64, rng: &mut SimRng| {
        let mut a = 0u64;
        for k in 0..keys {
            if b.pick(SimTime::ZERO, &req(k, k), &v, rng) == Some(ServerId(0)) {
                a += 1;
            }
        }
        a as f64 / keys as f64
    };
    let ip = share(&mut IpHash::new(KeyAddress::ClientSubnet), 6_000, &mut rng);
    assert!((ip - 0.75).abs() < 0.03, "ip_hash share {ip}");
    let mut chash = ConsistentHash::new(None).unwrap();
    let ch = share(&mut chash, 20_000, &mut rng);
    // The arc A owns: each point owns the arc that ends at it (keys hash to the first point ≥).
    let ring = chash.ring();
    let mut arc_a = 0u64;
    for (i, p) in ring.iter().enumerate() {
        let prev = if i == 0 {
            ring[ring.len() - 1].0
        } else {
            ring[i - 1].0
        };
        if p.1 == ServerId(0) {
            arc_a += u64::from(p.0.wrapping_sub(prev));
        }
    }
    let arc = arc_a as f64 / 4_294_967_296.0;
    assert!(
        (ch - arc).abs() < 0.015,
        "keys follow the arcs: {ch} against {arc}"
    );
    // Arc shares scatter around the point share with a relative spread of about 1/√points.
    assert!((arc - 0.75).abs() < 0.05, "ring share {arc}");
}

/// Consistent hashing moves only the keys of a server that leaves (its keys spread over the
/// rest); every other key keeps its server. Map-based `hash $key`, by contrast, moves most keys.
#[test]
fn removing_a_server_moves_only_its_keys_under_consistent_hashing() {
    let mut rng = SimRng::new(4);
    let mut v: Vec<BackendView> = (0..5).map(|i| view(i, 0, 1)).collect();
    for (i, x) in v.iter_mut().enumerate() {
        x.name = Rc::from(format!("10.0.0.{}:8080", i + 1).as_str());
    }
    let mut b = ConsistentHash::new(None).unwrap();
    let before: Vec<_> = (0..2_000)
        .map(|k| b.pick(SimTime::ZERO, &req(k, k), &v, &mut rng).unwrap())
        .collect();
    v[2].membership = Membership::Removed;
    let after: Vec<_> = (0..2_000)
        .map(|k| b.pick(SimTime::ZERO, &req(k, k), &v, &mut rng).unwrap())
        .collect();
    let mut moved_others = 0;
    let mut moved = 0;
    for (x, y) in before.iter().zip(&after) {
        if x != y {
            moved += 1;
            if *x != ServerId(2) {
                moved_others += 1;
            }
        }
    }
    assert_eq!(moved_others, 0, "keys not on the removed server must stay");
    assert!(
        (300..500).contains(&moved),
        "about a fifth of 2,000 keys move: {moved}"
    );
}

// ---------------------------------------------------------------------------------------------
// In the request simulator.
// ---------------------------------------------------------------------------------------------

/// `n` one-worker servers, Poisson arrivals at `load` of their capacity, exponential costs of
/// 1 ms, for `secs` seconds.
fn farm(n: u32, load: f64, secs: u64) -> SimConfig {
    SimConfig::new(
        (0..n).map(|i| ServerSpec::new(&format!("S{i}"))).collect(),
        Arrivals::Poisson {
            rate_per_sec: load * f64::from(n) * 1_000.0,
        },
        CostDist::Exponential { mean_us: 1_000.0 },
        SimTime::from_secs(secs),
    )
}

/// The largest in-flight count any server reaches, read after every event.
fn max_in_flight(cfg: SimConfig, b: Box<dyn Balancer>, seed: u64) -> u32 {
    let mut sim = Simulation::new(cfg, b, seed).unwrap();
    let mut max = 0;
    while sim.step().unwrap() {
        max = max.max(sim.views().iter().map(|v| v.in_flight).max().unwrap_or(0));
    }
    max
}

/// Ten servers at 90 % load, ~18,000 requests: the largest in-flight count under P2C is well
/// below uniform random's (the supermarket model: queue tails fall doubly exponentially with d = 2
/// and only geometrically with d = 1). Measured: random 65, P2C 12 on seed 11.
#[test]
fn p2c_beats_random_on_max_in_flight() {
    let random = max_in_flight(farm(10, 0.9, 2), Box::new(PowerOfD::new(1).unwrap()), 11);
    let p2c = max_in_flight(farm(10, 0.9, 2), Box::new(PowerOfD::new(2).unwrap()), 11);
    eprintln!("max in flight at 90 % load, 10 servers, seed 11: random {random}, P2C {p2c}");
    assert!(
        p2c * 2 <= random,
        "P2C max in flight {p2c} should be at most half of random's {random}"
    );
}

/// The share of first attempts sent to server 0 from `from` on.
fn share_to_first(sim: &Simulation, from: SimTime) -> f64 {
    let (mut all, mut zero) = (0u64, 0u64);
    for r in sim.requests() {
        if r.arrived >= from {
            all += 1;
            if r.attempts.first().and_then(|a| a.server) == Some(ServerId(0)) {
                zero += 1;
            }
        }
    }
    zero as f64 / all as f64
}

/// Four servers at 50 % load; server 0 slows to a tenth of its speed at 1 s. From 2 s on,
/// peak EWMA and least response time send it under 10 % of requests (round robin: 25 %).
/// Measured on seed 5: peak EWMA with P2C 1.0 %, scanning 0.3 %, least response time 0.0 %
/// (its average of the slow server is never refreshed, see `LeastResponseTime`).
#[test]
fn latency_aware_strategies_move_traffic_from_a_slowed_server() {
    let run = |b: Box<dyn Balancer>| {
        let mut cfg = farm(4, 0.5, 4);
        cfg.record.requests = true;
        cfg.actions
            .push((SimTime::from_secs(1), Action::SetSpeed(ServerId(0), 0.1)));
        let mut sim = Simulation::new(cfg, b, 5).unwrap();
        sim.run().unwrap();
        share_to_first(&sim, SimTime::from_secs(2))
    };
    let rr = run(Box::new(RoundRobin::new()));
    assert!(
        (rr - 0.25).abs() < 0.01,
        "round robin keeps sending 25 %: {rr}"
    );
    for (label, b) in [
        (
            "peak ewma p2c",
            Box::new(PeakEwma::finagle()) as Box<dyn Balancer>,
        ),
        ("peak ewma all", Box::new(PeakEwma::scan_all())),
        ("least time", Box::new(LeastResponseTime::default_tau())),
    ] {
        let s = run(b);
        eprintln!(
            "{label}: {:.1} % of requests to the slowed server",
            100.0 * s
        );
        assert!(s < 0.10, "{label} still sends {s} to the slowed server");
    }
}

/// Bounded-load consistent hashing on a skewed key set (three clients, eight servers): every
/// pick goes to a server below ⌈c·(T + 1)/n⌉ at that moment; plain consistent hashing piles
/// the three keys' requests on at most three servers.
#[test]
fn bounded_consistent_hash_never_exceeds_its_bound() {
    let mut r = SimRng::new(9);
    let mut rng = SimRng::new(10);
    for c in [1.0, 1.25, 2.0] {
        let mut b = ConsistentHash::new(Some(c)).unwrap();
        let mut v: Vec<BackendView> = (0..8).map(|i| view(i, 0, 1)).collect();
        let mut live: Vec<ServerId> = Vec::new();
        for i in 0..3_000 {
            // Complete a random in-flight request half the time.
            if !live.is_empty() && r.chance(0.5) {
                let k = r.below(live.len() as u64) as usize;
                let s = live.swap_remove(k);
                v[s.0 as usize].in_flight -= 1;
            }
            let bound = b.bound(&v).unwrap();
            let s = b
                .pick(SimTime::ZERO, &req(i, r.below(3)), &v, &mut rng)
                .unwrap();
            assert!(
                u64::from(v[s.0 as usize].in_flight) < bound,
                "c = {c}, step {i}: {s} had {} in flight, bound {bound}",
                v[s.0 as usize].in_flight
            );
            v[s.0 as usize].in_flight += 1;
            live.push(s);
        }
        let max = v.iter().map(|x| x.in_flight).max().unwrap();
        let total: u32 = v.iter().map(|x| x.in_flight).sum();
        assert!(f64::from(max) <= libm::ceil(c * f64::from(total) / 8.0) + 1.0);
    }
    // Unbounded: the same three keys use at most three servers.
    let mut b = ConsistentHash::new(None).unwrap();
    let v: Vec<BackendView> = (0..8).map(|i| view(i, 0, 1)).collect();
    let used: std::collections::BTreeSet<_> = (0..300)
        .map(|i| b.pick(SimTime::ZERO, &req(i, i % 3), &v, &mut rng).unwrap())
        .collect();
    assert!(used.len() <= 3);
}

/// Affinity: each key stays on its first server; when that server goes down its keys (and only
/// they) move, each once, and the re-sticks are counted.
#[test]
fn affinity_keeps_keys_sticky_and_resticks_when_a_server_dies() {
    let mut rng = SimRng::new(2);
    let mut v = views(&[1, 1, 1]);
    let mut b = SessionAffinity::new(Box::new(RoundRobin::new()));
    let mut first = BTreeMap::new();
    for i in 0..300 {
        let k = i % 30;
        let s = b.pick(SimTime::ZERO, &req(i, k), &v, &mut rng).unwrap();
        assert_eq!(*first.entry(k).or_insert(s), s, "key {k} moved");
        assert_eq!(b.explain(SimTime::ZERO, &req(i, k), &v).chosen, Some(s));
    }
    assert_eq!(b.re_sticks(), 0);
    assert_eq!(b.keys(), 30);
    v[1].healthy = false;
    let on_b = first.values().filter(|s| **s == ServerId(1)).count() as u64;
    assert!(on_b > 0);
    for i in 300..600 {
        let k = i % 30;
        let s = b.pick(SimTime::ZERO, &req(i, k), &v, &mut rng).unwrap();
        assert_ne!(s, ServerId(1));
        if first[&k] != ServerId(1) {
            assert_eq!(
                s, first[&k],
                "key {k} was not on the dead server and must stay"
            );
        }
    }
    assert_eq!(
        b.re_sticks(),
        on_b,
        "each key of the dead server re-sticks once"
    );
}

/// `PassiveChecks` over weighted round robin agrees pick for pick with nginx's own round robin
/// ([`SmoothWrr`] with the same `max_fails` / `fail_timeout`) when `weight / max_fails` is 0
/// (no effective-weight dip): three weight-1 servers, `max_fails=2 fail_timeout=3`, server B
/// failing every request from 2 s to 9 s, picks every 100 ms for 15 s. Both skip the same server
/// at the same times.
#[test]
fn passive_checks_agree_with_smooth_wrr() {
    let params = PassiveParams {
        max_fails: 2,
        fail_timeout_s: 3,
    };
    let mut ours = PassiveChecks::new(Box::new(WeightedRoundRobin::new()), params).unwrap();
    let spec = |n: &str| PeerSpec {
        max_fails: 2,
        fail_timeout_s: 3,
        ..PeerSpec::new(n, 1)
    };
    let mut nginx = SmoothWrr::new(vec![spec("A"), spec("B"), spec("C")], Vec::new()).unwrap();
    let v = views(&[1, 1, 1]);
    let mut rng = SimRng::new(1);
    let mut skipped_b = 0;
    for i in 0..150u64 {
        let now = SimTime::from_ms(i * 100);
        let q = req(i, 0);
        let ours_skips_b = ours.blocked(now, &v).contains(&ServerId(1));
        let mine = ours.pick(now, &q, &v, &mut rng).unwrap();
        let mut a = nginx.begin();
        let pick = nginx.get(&mut a, now).unwrap();
        assert_eq!(mine.0, pick.peer.index, "step {i} at {now}");
        let nginx_skips_b = pick.considered[1].skipped == Some(Skip::Failed);
        assert_eq!(nginx_skips_b, ours_skips_b, "step {i}");
        skipped_b += u32::from(ours_skips_b);
        let fail = mine == ServerId(1) && (2_000..9_000).contains(&now.as_ms());
        nginx.free(&mut a, pick.peer, fail, now);
        let outcome = if fail {
            AttemptOutcome::Error
        } else {
            AttemptOutcome::Served
        };
        ours.on_response(
            now,
            &Response {
                request: q,
                server: mine,
                latency_us: 1_000,
                outcome,
            },
        );
    }
    assert!(
        skipped_b > 40,
        "B must be out for a good part of the run: {skipped_b}"
    );
}

/// nginx counts errors and timeouts, not a 503 unless `proxy_next_upstream http_503`.
#[test]
fn passive_checks_count_errors_and_timeouts_not_drops() {
    let v = views(&[1, 1]);
    let mut rng = SimRng::new(1);
    for (outcome, count_503, out) in [
        (AttemptOutcome::Error, false, true),
        (AttemptOutcome::TimedOut, false, true),
        (AttemptOutcome::Dropped, false, false),
        (AttemptOutcome::Dropped, true, true),
    ] {
        let mut b = PassiveChecks::new(Box::new(RoundRobin::new()), PassiveParams::default())
            .unwrap()
            .count_http_503(count_503);
        let s = b.pick(SimTime::ZERO, &req(0, 0), &v, &mut rng).unwrap();
        b.on_response(
            SimTime::ZERO,
            &Response {
                request: req(0, 0),
                server: s,
                latency_us: 0,
                outcome,
            },
        );
        assert_eq!(
            b.blocked(SimTime::from_secs(5), &v).contains(&s),
            out,
            "{outcome:?}"
        );
        assert!(
            !b.blocked(SimTime::from_secs(11), &v).contains(&s),
            "fail_timeout passed"
        );
        if out {
            let e = {
                b.pick(SimTime::from_secs(1), &req(1, 0), &v, &mut rng);
                b.explain(SimTime::from_secs(1), &req(1, 0), &v)
            };
            assert!(e.scores[s.0 as usize]
                .text
                .contains("1 failures within fail_timeout 10 s"));
        }
    }
}

/// Every strategy in a simulated run with kills, revivals, retries and slow start: same seed,
/// same digest, and the digest pinned; every recorded explanation names the server picked.
#[test]
fn runs_are_deterministic_and_explanations_match_picks() {
    let cfg = || {
        let mut cfg = farm(4, 0.7, 1);
        cfg.timeout_us = Some(20_000);
        cfg.retry = RetryPolicy::next_upstream(2);
        cfg.slow_start_us = 200_000;
        cfg.clients = 50;
        cfg.record.events = true;
        cfg.record.explanations = true;
        cfg.actions = vec![
            (SimTime::from_ms(200), Action::Kill(ServerId(1))),
            (SimTime::from_ms(500), Action::Revive(ServerId(1))),
            (
                SimTime::from_ms(600),
                Action::Add(ServerSpec::new("S4").weight(2)),
            ),
            (SimTime::from_ms(700), Action::Remove(ServerId(3))),
        ];
        cfg
    };
    let mut digests = Vec::new();
    for ((label, a), (_, b)) in all_strategies().into_iter().zip(all_strategies()) {
        let mut s1 = Simulation::new(cfg(), a, 21).unwrap();
        let mut s2 = Simulation::new(cfg(), b, 21).unwrap();
        s1.run().unwrap();
        s2.run().unwrap();
        assert_eq!(s1.digest(), s2.digest(), "{label}");
        digests.push((label, s1.digest()));
        s1.validate().unwrap();
        let mut picks = 0;
        for (_, ev) in s1.events() {
            if let SimEvent::Picked {
                server,
                explanation: Some(e),
                ..
            } = ev
            {
                assert_eq!(e.chosen, *server, "{label}: {}", e.summary);
                picks += 1;
            }
        }
        assert!(picks > 1_000, "{label}: {picks} picks");
    }
    // Pinned, so that a difference between x86_64 and wasm32 (or an unintended change of any
    // strategy) fails here. Update deliberately, with the reason in the commit.
    assert_eq!(digests, PINNED_DIGESTS.to_vec());
}

const PINNED_DIGESTS: [(&str, u64); 17] = [
    ("wrr", 0x92899409dbfa383f),
    ("least_conn", 0x070bbc4bad4d21d5),
    ("least_conn unweighted", 0x5b61375f0d2d8dbb),
    ("least time", 0x9394d3b0d1aae5f4),
    ("peak ewma all", 0x4579660b986228de),
    ("peak ewma p2c", 0x2d9391ba534d206c),
    ("random", 0x961aa57b0c27539d),
    ("p2c", 0x0dc0d4ce36e5834a),
    ("p3c", 0x07761e288d405d5e),
    ("aperture", 0x50810a13a0b18d22),
    ("ip_hash", 0x60d35757e20c53a7),
    ("ip_hash raw", 0xa85f8707eceb3f64),
    ("hash", 0xdc438c06e3769663),
    ("chash", 0xd34ef791820b7982),
    ("chash bounded", 0xf193ce32203a1b56),
    ("affinity over p2c", 0xa56c95940d848cf2),
    ("passive over wrr", 0xe68a3d76608c016c),
];

/// A pasted nginx block runs: `least_conn` with `max_fails` becomes passive checks over least
/// connections; `hash`, `hash … consistent` and `random two least_conn` map too; HAProxy's
/// map-based `balance source` is refused with a reason.
#[test]
fn pasted_configs_run() {
    for (text, name) in [
        (
            "upstream b { least_conn; server 10.0.0.1 weight=2 max_fails=3; server 10.0.0.2; }",
            "least connections (weighted)",
        ),
        (
            "upstream b { hash $remote_addr consistent; server 10.0.0.1; server 10.0.0.2; }",
            "consistent hash",
        ),
        (
            "upstream b { random two least_conn; server 10.0.0.1; server 10.0.0.2; }",
            "power of two choices",
        ),
        ("upstream b { ip_hash; server 10.0.0.1; server 10.0.0.2; }", "IP hash"),
        ("upstream b { server 10.0.0.1 weight=5; server 10.0.0.2; }", "weighted round robin"),
        ("backend b\n balance leastconn\n server s1 10.0.0.1:80 weight 3\n server s2 10.0.0.2:80\n", "least connections (weighted)"),
    ] {
        let pool = PoolConfig::parse(text).unwrap();
        let b = from_pool(&pool).unwrap();
        assert_eq!(b.name(), name, "{text}");
        let mut sim = Simulation::new(farm(2, 0.5, 1), b, 3).unwrap();
        let report = sim.run().unwrap();
        assert!(report.served > 500, "{text}");
    }
    // max_fails=3 fail_timeout=5s: three errors take a server out for 5 s.
    let pool = PoolConfig::parse(
        "upstream b { server 10.0.0.1 max_fails=3 fail_timeout=5s; server 10.0.0.2; }",
    )
    .unwrap();
    let mut b = from_pool(&pool).unwrap();
    let v = views(&[1, 1]);
    let mut rng = SimRng::new(1);
    let mut picks_of_a = |b: &mut Box<dyn Balancer>, at: SimTime| {
        (0..10)
            .filter(|&i| b.pick(at, &req(i, 0), &v, &mut rng) == Some(ServerId(0)))
            .count()
    };
    for i in 0..3 {
        let e = Response {
            request: req(i, 0),
            server: ServerId(0),
            latency_us: 0,
            outcome: AttemptOutcome::Error,
        };
        assert!(picks_of_a(&mut b, SimTime::ZERO) > 0, "before error {i}");
        b.on_response(SimTime::ZERO, &e);
    }
    assert_eq!(picks_of_a(&mut b, SimTime::from_secs(5)), 0, "out for 5 s");
    assert!(
        picks_of_a(&mut b, SimTime::from_secs(6)) > 0,
        "back after fail_timeout"
    );
    let pool = PoolConfig::parse("upstream b { hash $request_uri; server a; server b; }").unwrap();
    assert_eq!(from_pool(&pool).unwrap().name(), "hash");
    let pool = PoolConfig::parse("backend b\n balance source\n server s1 10.0.0.1:80\n").unwrap();
    assert!(from_pool(&pool).err().unwrap().contains("not modelled"));
}
