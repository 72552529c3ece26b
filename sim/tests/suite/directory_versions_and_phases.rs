//! Version-checked caches and a tenant move in phases.
//!
//! Expectations come from outside the model: MongoDB's documented behaviour (routers cache the
//! routing table with no expiry and refresh once on a stale-version error; with no config-server
//! primary, routes already held keep working; a migration copies, catches up the writes made
//! meanwhile, then holds the range's requests in a short critical section before the commit),
//! hand arithmetic of the phases' timing (190 keys at 500 keys/s is 380 ms; a round of W writes
//! at 500 keys/s lasts 2·W ms; the freeze is the configured 50 ms), and counts read back from the
//! run's own request log, which the metrics must agree with. Also runs as wasm32 (except the
//! random-sequence property).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::registry;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;
use sim::trace::TraceLine;
use std::collections::BTreeSet;

fn run(params: &[(&str, &str)], inputs: &[&str]) -> Box<dyn Simulation> {
    let mut s = Scenario::new("directory", 7, SimTime::from_secs(10));
    for (k, v) in params {
        s.params.insert((*k).into(), (*v).into());
    }
    s.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    let mut r = registry::start(&s).unwrap_or_else(|e| panic!("{e}"));
    r.seek(SimTime::from_secs(10));
    r.validate().unwrap();
    r
}

fn num(run: &dyn Simulation, id: &str) -> Option<f64> {
    run.metrics().get(id).and_then(|v| v.as_f64())
}

/// A request line's (client, tenant), from `Request 12 (acme/3, client 2): …`.
fn who(line: &TraceLine) -> Option<(u32, String)> {
    let rest = line.text.strip_prefix("Request ")?;
    let inside = rest.split_once('(')?.1.split_once(')')?.0;
    let (key, client) = inside.split_once(", client ")?;
    Some((client.parse().ok()?, key.split('/').next()?.to_string()))
}

/// A served request line's latency in µs, from `…shard 3, 7 ms.` or `…, 9.4 ms (2.4 ms of it
/// queued).`
fn latency_us(line: &TraceLine) -> Option<u64> {
    let after = line.text.rsplit_once("shard ")?.1;
    let lat = after.split_once(", ")?.1;
    let ms: f64 = lat.split(" ms").next()?.parse().ok()?;
    Some((ms * 1_000.0).round() as u64)
}

const OUTAGE: [&str; 2] = ["3000:directory-down", "6000:directory-up"];

#[test]
fn versioned_caches_fail_only_tenants_a_client_never_looked_up() {
    let r = run(&[("cache", "versioned")], &OUTAGE);
    // Replay the request log: a client knows a tenant once it has been served a request for it.
    let mut known = BTreeSet::new();
    let mut expected_failures = 0;
    for l in r.trace_lines() {
        let Some((client, tenant)) = who(&l) else {
            continue;
        };
        if l.text.ends_with("failed.") {
            assert!(
                !known.contains(&(client, tenant.clone())),
                "a route client {client} held for {tenant} failed: {}",
                l.text
            );
            expected_failures += 1;
        } else {
            known.insert((client, tenant));
        }
    }
    assert!(
        expected_failures > 0,
        "the outage catches some unseen tenant"
    );
    assert_eq!(num(&*r, "failed_requests"), Some(expected_failures as f64));
    // Nothing expires, so no client ever re-asks the directory without a stale-version error.
    assert_eq!(num(&*r, "cache_refreshes"), Some(0.0));
    assert_eq!(num(&*r, "stale_version_errors"), Some(0.0));
    // The same outage with a 1 s TTL: entries expire inside the window and those requests fail.
    let ttl = run(&[("cache", "ttl"), ("cache_ttl_ms", "1000")], &OUTAGE);
    assert!(
        num(&*ttl, "failed_requests").unwrap() > 5.0 * expected_failures as f64,
        "TTL {:?} vs versioned {expected_failures}",
        num(&*ttl, "failed_requests")
    );
    assert!(num(&*ttl, "cache_refreshes").unwrap() > 50.0);
}

#[test]
fn a_move_costs_each_router_one_stale_version_error_and_one_refresh() {
    // acme (190 keys) moves from shard 3 to a new shard 4 at 3 s. MongoDB: a router holding the
    // old version is refused once (StaleConfig), refreshes, and carries on.
    let r = run(
        &[("placement", "hash"), ("cache", "versioned")],
        &["1000:add-shard", "3000:move-tenant:acme:4"],
    );
    assert_eq!(num(&*r, "moved_keys"), Some(190.0));
    assert_eq!(num(&*r, "stale_version_errors"), Some(4.0), "four clients");
    assert_eq!(num(&*r, "misrouted_requests"), Some(4.0));
    assert_eq!(num(&*r, "cache_refreshes"), Some(4.0));
    assert_eq!(num(&*r, "failed_requests"), Some(0.0));
    // After its error each client's acme requests go straight to shard 4.
    let mut refreshed = BTreeSet::new();
    for l in r.trace_lines() {
        let Some((client, tenant)) = who(&l) else {
            continue;
        };
        if tenant != "acme" || l.time < SimTime::from_ms(3_380) {
            continue;
        }
        if l.text.contains("stale-version error") {
            assert!(!l.text.contains("moved"), "{}", l.text);
            assert!(refreshed.insert(client), "client {client} refused twice");
        } else {
            assert!(l.text.contains("shard 4"), "{}", l.text);
        }
    }
    assert_eq!(refreshed.len(), 4);
}

#[test]
fn a_move_runs_copy_catch_up_freeze_then_flip_on_hand_computed_times() {
    let r = run(
        &[
            ("placement", "hash"),
            ("cache", "versioned"),
            ("request_rate", "500"),
            ("write_percent", "30"),
            ("freeze_ms", "50"),
            // 1 ms a request keeps acme's shard (about 230 requests a second) well below
            // saturation, so no request is dropped and the held ones are all served.
            ("shard_latency_ms", "1"),
        ],
        &["1000:add-shard", "3000:move-tenant:acme:4"],
    );
    let lines = r.trace_lines();
    let at = |prefix: &str| -> Vec<&TraceLine> {
        lines
            .iter()
            .filter(|l| l.text.starts_with(prefix))
            .collect()
    };
    // Copy: 190 keys at 500 keys/s = 380 ms, so the first catch-up round starts at 3.380 s.
    let rounds = at("Copy caught up, round");
    assert!(!rounds.is_empty());
    assert_eq!(rounds[0].time, SimTime::from_ms(3_380));
    // Each round replays W writes at 500 keys/s: it ends 2·W ms later, when the next phase starts.
    let writes = |l: &TraceLine| -> u64 {
        let w = l.text.split("replaying the ").nth(1).unwrap();
        w.split(' ').next().unwrap().parse().unwrap()
    };
    let mut caught_up = 0;
    let freeze = at("Cutover freeze")[0];
    for (i, round) in rounds.iter().enumerate() {
        let w = writes(round);
        caught_up += w;
        let next = rounds.get(i + 1).map_or(freeze.time, |n| n.time);
        assert_eq!(next, round.time.plus_us(w * 2_000), "round {}", i + 1);
        if let Some(n) = rounds.get(i + 1) {
            assert!(writes(n) < w, "each round replays less than the one before");
        }
    }
    // The freeze lasts the configured 50 ms, then the directory flips.
    let flip = at("Directory flipped")[0];
    assert_eq!(flip.time, freeze.time.plus_us(50_000));
    assert_eq!(num(&*r, "freeze_ms"), Some(50.0));
    let in_freeze = freeze.text.split("the last ").nth(1).unwrap();
    caught_up += in_freeze.split(' ').next().unwrap().parse::<u64>().unwrap();
    assert_eq!(num(&*r, "catch_up_writes"), Some(caught_up as f64));
    // During the freeze only acme waits: every request answered inside it is another tenant's,
    // or an acme request that had reached shard 3's queue before the freeze began (a request
    // is logged when it is answered, its latency after its arrival); acme's held requests are
    // served at the flip, as many as the metric says.
    let during: Vec<_> = lines
        .iter()
        .filter(|l| l.time > freeze.time && l.time < flip.time)
        .filter_map(|l| who(l).map(|w| (w, l)))
        .collect();
    assert!(!during.is_empty());
    for ((_, t), l) in &during {
        if t == "acme" {
            let arrived = l.time.as_us() - latency_us(l).expect("served");
            assert!(arrived <= freeze.time.as_us(), "{}", l.text);
        }
    }
    // The held ones: acme requests that arrived inside the freeze and were answered after it.
    let held = lines
        .iter()
        .filter(|l| who(l).is_some_and(|(_, t)| t == "acme"))
        .filter_map(|l| Some((l, l.time.as_us() - latency_us(l)?)))
        .filter(|(l, arrived)| {
            *arrived >= freeze.time.as_us() && *arrived < flip.time.as_us() && l.time >= flip.time
        })
        .count();
    assert!(held > 0);
    assert_eq!(num(&*r, "blocked_requests"), Some(held as f64));
}

#[test]
fn without_writes_or_a_freeze_the_copy_is_the_whole_move() {
    let r = run(
        &[("placement", "hash"), ("cache_ttl_ms", "30000")],
        &["1000:add-shard", "3000:move-tenant:acme:4"],
    );
    let flip = r
        .trace_lines()
        .into_iter()
        .find(|l| l.text.starts_with("Directory flipped"))
        .unwrap();
    assert_eq!(flip.time, SimTime::from_ms(3_380));
    assert_eq!(num(&*r, "blocked_requests"), Some(0.0));
    assert_eq!(num(&*r, "freeze_ms"), None);
    assert_eq!(
        num(&*r, "stale_version_errors"),
        None,
        "TTL caches have no versions"
    );
}

#[test]
fn the_flip_waits_for_a_directory_that_is_down_and_the_freeze_runs_when_it_returns() {
    let r = run(
        &[
            ("placement", "hash"),
            ("cache", "versioned"),
            ("freeze_ms", "20"),
        ],
        &[
            "1000:add-shard",
            "3000:move-tenant:acme:4",
            "3100:directory-down",
            "5000:directory-up",
        ],
    );
    let lines = r.trace_lines();
    let freeze = lines
        .iter()
        .find(|l| l.text.starts_with("Cutover freeze"))
        .unwrap();
    assert_eq!(freeze.time, SimTime::from_secs(5));
    let flip = lines
        .iter()
        .find(|l| l.text.starts_with("Directory flipped"))
        .unwrap();
    assert_eq!(flip.time, SimTime::from_ms(5_020));
}

#[test]
fn runs_with_phases_are_a_function_of_their_inputs() {
    let p = [
        ("cache", "versioned"),
        ("write_percent", "50"),
        ("freeze_ms", "30"),
        ("request_rate", "200"),
    ];
    let inputs = [
        "1000:move-tenant:acme:1",
        "4000:rebalance",
        "6000:directory-down",
    ];
    let a = run(&p, &inputs);
    let b = run(&p, &inputs);
    assert_eq!(a.digest(), b.digest());
}

/// Random moves, rebalances and outages with versioned caches: `validate` (which checks that an
/// entry carrying a tenant's current version names its current shard) holds after every step,
/// so no request is ever served by a shard that no longer owns its tenant; and every misroute is
/// a stale-version error.
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn versioned_caches_never_route_to_the_wrong_shard_under_random_moves() {
    use sim::rng::SimRng;
    let tenants = ["acme", "globex", "initech", "umbrella", "hooli", "stark"];
    let mut rng = SimRng::new(5);
    for round in 0..12u64 {
        let mut s = Scenario::new("directory", round, SimTime::from_secs(20));
        for (k, v) in [
            ("cache", "versioned"),
            ("request_rate", "200"),
            ("write_percent", "40"),
            ("freeze_ms", "25"),
            ("copy_rate", "2000"),
        ] {
            s.params.insert(k.into(), v.into());
        }
        let mut r = registry::start(&s).unwrap();
        let mut down = false;
        for step in 1..40u64 {
            r.seek(SimTime::from_ms(step * 250));
            let input = match rng.below(5) {
                0 | 1 => format!(
                    "move-tenant:{}:{}",
                    tenants[rng.below(6) as usize],
                    rng.below(4)
                ),
                2 => "rebalance".to_string(),
                _ if down => "directory-up".to_string(),
                _ => "directory-down".to_string(),
            };
            let before = r.trace_len();
            r.apply_now(sim::scenario::Input::parse(&input).unwrap());
            let refused = r
                .trace_lines()
                .into_iter()
                .skip(before as usize)
                .any(|l| l.rejected);
            if !refused && input.starts_with("directory-") {
                down = input == "directory-down";
            }
            r.validate()
                .unwrap_or_else(|e| panic!("after {input}: {e}"));
        }
        assert_eq!(
            num(&*r, "stale_version_errors"),
            num(&*r, "misrouted_requests")
        );
    }
}
