//! The laws of directory sharding, checked with proptest on random tenants, shards, cache
//! settings and random timelines of moves, rebalances, drains, new keys and outages:
//!
//! - the directory is always total (every tenant has exactly one live shard) and the per-shard
//!   key counts add up to all keys;
//! - a tenant move changes the shard of exactly that tenant's keys, and nothing else; adding a
//!   shard changes none;
//! - while the directory is down, no request without a fresh cache entry is served;
//! - with a TTL of 0 the directory sees every request;
//! - a rebalance never raises the fullest shard and moves each tenant at most once;
//! - the same seed and inputs give the same trace; seeking back and forth changes nothing.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use proptest::prelude::*;
use sim::engine::{Run, Simulation};
use sim::models::directory::{
    zipf_sizes, Directory, DirectoryModel, Naming, Placement, Route, Tenant,
};
use sim::models::sharding;
use sim::scenario::{Input, Scenario, TimedInput};
use sim::time::SimTime;

#[derive(Clone, Debug)]
struct Setup {
    shards: u32,
    tenants: u32,
    keys: u64,
    skew: f64,
    placement: &'static str,
    ttl_ms: u64,
    clients: u32,
    copy_rate: u64,
    rate: u64,
    seed: u64,
}

fn setup() -> impl Strategy<Value = Setup> {
    (
        1u32..=6,
        1u32..=16,
        0u64..300,
        prop_oneof![Just(0.0), Just(0.7), Just(1.0), Just(1.8)],
        prop_oneof![Just("least-loaded"), Just("round-robin"), Just("hash")],
        prop_oneof![Just(0u64), Just(300), Just(1_000), Just(30_000)],
        1u32..=5,
        prop_oneof![Just(0u64), Just(200), Just(5_000)],
        prop_oneof![Just(0u64), Just(40), Just(150)],
        any::<u64>(),
    )
        .prop_map(
            |(shards, tenants, extra, skew, placement, ttl_ms, clients, copy_rate, rate, seed)| {
                Setup {
                    shards,
                    tenants,
                    keys: u64::from(tenants) + extra,
                    skew,
                    placement,
                    ttl_ms,
                    clients,
                    copy_rate,
                    rate,
                    seed,
                }
            },
        )
}

fn name(n: u32) -> String {
    Naming::Companies.name(n)
}

/// A random action, as `action[:arg]`.
fn action() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => (0u32..18, 0u32..8).prop_map(|(t, s)| format!("move-tenant:{}:{s}", name(t))),
        2 => Just("add-shard".to_string()),
        1 => Just("remove-shard".to_string()),
        1 => (0u32..8).prop_map(|s| format!("remove-shard:{s}")),
        1 => (1u32..9).prop_map(|n| format!("resize:{n}")),
        2 => Just("rebalance".to_string()),
        1 => (1u64..60).prop_map(|n| format!("add-keys:{n}")),
        1 => (0u32..18, 1u64..40).prop_map(|(t, n)| format!("add-keys:{}:{n}", name(t))),
        2 => Just("directory-down".to_string()),
        2 => Just("directory-up".to_string()),
    ]
}

/// Actions at increasing times within the first 4 s.
fn timeline() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec((0u64..400, action()), 0..12).prop_map(|steps| {
        let mut t = 0;
        steps
            .into_iter()
            .map(|(gap, a)| {
                t += gap;
                format!("{t}:{a}")
            })
            .collect()
    })
}

fn scenario(s: &Setup, inputs: &[String]) -> Scenario {
    let mut sc = Scenario::new("directory", s.seed, SimTime::from_secs(5));
    for (k, v) in [
        ("shards", s.shards.to_string()),
        ("tenants", s.tenants.to_string()),
        ("keys", s.keys.to_string()),
        ("tenant_skew", s.skew.to_string()),
        ("placement", s.placement.to_string()),
        ("cache_ttl_ms", s.ttl_ms.to_string()),
        ("clients", s.clients.to_string()),
        ("copy_rate", s.copy_rate.to_string()),
        ("request_rate", s.rate.to_string()),
    ] {
        sc.params.insert(k.into(), v);
    }
    sc.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    sc
}

fn build(s: &Setup, inputs: &[String]) -> Run<DirectoryModel> {
    Run::<DirectoryModel>::new(&scenario(s, inputs)).expect("valid parameters")
}

/// The shard index of every key, by key id.
fn placement_of_keys(run: &Run<DirectoryModel>) -> Vec<u32> {
    let m = run.model();
    let keys = run.metrics().get("keys").and_then(|v| v.as_f64()).unwrap() as u64;
    (0..keys).map(|id| m.shard_of_key(id).unwrap()).collect()
}

fn check_total(run: &Run<DirectoryModel>) -> Result<(), TestCaseError> {
    run.validate().map_err(TestCaseError::fail)?;
    let d = run.model().directory();
    let n = d.shard_count();
    for t in d.tenants() {
        prop_assert!(d.shard_of(t.number) < n);
        prop_assert!(d.index_of(d.phys_of(t.number)).is_some());
    }
    let m = run.metrics();
    let per_shard = &m.group("keys_per_shard").unwrap().values;
    prop_assert_eq!(per_shard.len() as u32, n);
    let sum: f64 = per_shard.iter().map(|(_, v)| v).sum();
    prop_assert_eq!(sum, m.get("keys").unwrap().as_f64().unwrap());
    prop_assert_eq!(sharding::Placement::nodes(run.model()).len() as u32, n);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..common::config("directory_properties") })]

    #[test]
    fn the_directory_stays_total_through_any_timeline(s in setup(), inputs in timeline()) {
        let mut run = build(&s, &inputs);
        for ms in (0..=5_000).step_by(250) {
            run.seek(SimTime::from_ms(ms));
            check_total(&run)?;
        }
    }

    #[test]
    fn a_move_changes_exactly_the_moved_tenants_keys(
        s in setup(),
        inputs in timeline(),
        pick in any::<u32>(),
        target in any::<u32>(),
    ) {
        // An instant copy, so the move is complete as soon as it is applied.
        let mut s = s;
        s.copy_rate = 0;
        let mut inst = build(&s, &inputs);
        inst.seek(SimTime::from_secs(5));
        let d = inst.model().directory();
        let n = d.shard_count();
        let tenant = pick % d.tenants().len() as u32;
        let to = target % n;
        prop_assume!(n > 1 && d.shard_of(tenant) != to && inst.model().migration().is_none());
        let name = d.tenants()[tenant as usize].name.clone();
        let size = d.tenants()[tenant as usize].keys;
        let before = placement_of_keys(&inst);
        inst.apply_now(Input::new("move-tenant", Some(&format!("{name}:{to}"))));
        prop_assert!(inst.last_trace_line().is_some_and(|l| !l.rejected));
        if !inst.model().directory_up() {
            // The copy is done but the flip needs the directory: nothing has moved yet.
            prop_assert_eq!(&placement_of_keys(&inst), &before);
            inst.apply_now(Input::new("directory-up", None));
        }
        let after = placement_of_keys(&inst);
        for (id, (b, a)) in before.iter().zip(&after).enumerate() {
            let mine = inst.model().tenant_of_key(id as u64) == Some(tenant);
            prop_assert_eq!(a != b, mine, "key {} ({}): {} → {}", id, inst.model().key_name(id as u64), b, a);
            if mine {
                prop_assert_eq!(*a, to);
            }
        }
        let moved = inst.metrics().get("moved_keys").and_then(|v| v.as_f64());
        prop_assert_eq!(moved, Some(size as f64));
        prop_assert_eq!(sharding::Placement::last_moves(inst.model()).unwrap().len() as u64, size);
        check_total(&inst)?;
    }

    #[test]
    fn adding_a_shard_moves_no_key(s in setup(), inputs in timeline()) {
        let mut run = build(&s, &inputs);
        run.seek(SimTime::from_secs(5));
        prop_assume!(run.model().directory().shard_count() < 32);
        let before = placement_of_keys(&run);
        run.apply_now(Input::new("add-shard", None));
        prop_assert_eq!(placement_of_keys(&run), before);
        prop_assert_eq!(run.metrics().get("moved_keys").and_then(|v| v.as_f64()), Some(0.0));
        let modulo = run.metrics().get("modulo_moved_keys").and_then(|v| v.as_f64()).unwrap();
        prop_assert!(modulo <= run.metrics().get("keys").unwrap().as_f64().unwrap());
        check_total(&run)?;
    }

    #[test]
    fn while_down_only_fresh_cache_entries_serve_and_ttl_zero_always_asks(
        s in setup(),
        inputs in timeline(),
    ) {
        let mut s = s;
        s.rate = 150;
        // Instant hops: every request is routed and answered in the step it arrives in, so the
        // step's last request is the one that arrived (the routing rule is what is checked here;
        // queueing has its own tests).
        let mut sc = scenario(&s, &inputs);
        sc.params.insert("directory_latency_ms".into(), "0".into());
        sc.params.insert("shard_latency_ms".into(), "0".into());
        let mut run = Run::<DirectoryModel>::new(&sc).expect("valid parameters");
        let end = SimTime::from_secs(5);
        while run.now() < end {
            let caches = run.model().caches().clone();
            let up_before = run.model().directory_up();
            let requests_before = run.model().stats().requests;
            let t = run.step_forward();
            let m = run.model();
            if m.stats().requests != requests_before + 1 {
                continue;
            }
            let r = m.last_request().unwrap().clone();
            let tenant = m.directory().find(r.key.split('/').next().unwrap()).unwrap();
            let fresh = caches.fresh(r.client, tenant, t);
            if s.ttl_ms == 0 {
                prop_assert!(fresh.is_none());
                prop_assert!(matches!(r.route, Route::Lookup | Route::FailedNoEntry));
            }
            if !up_before && !m.directory_up() {
                if fresh.is_none() {
                    prop_assert!(!r.route.served(), "request {} served while down without an entry", r.id);
                }
                prop_assert!(r.route != Route::Lookup && r.route != Route::StaleThenLookup);
            }
        }
        let st = run.model().stats();
        if s.ttl_ms == 0 {
            prop_assert_eq!(st.cache_hits, 0);
            prop_assert_eq!(st.needed_directory, st.requests);
            prop_assert_eq!(st.lookups, st.served);
        }
        prop_assert!(st.misrouted <= st.cache_hits);
    }

    #[test]
    fn rebalancing_never_raises_the_peak_and_moves_each_tenant_once(
        sizes in prop::collection::vec(1u64..200, 1..20),
        shards in 1u32..8,
        placement in prop_oneof![Just("least-loaded"), Just("round-robin"), Just("hash")],
    ) {
        let tenants: Vec<Tenant> = sizes
            .iter()
            .enumerate()
            .map(|(i, k)| Tenant::new(i as u32, name(i as u32), *k))
            .collect();
        let mut d = Directory::new(tenants, shards, Placement::parse(placement));
        let peak = *d.loads().iter().max().unwrap();
        let plan = d.plan_rebalance();
        let mut seen = std::collections::BTreeSet::new();
        for m in &plan {
            prop_assert!(seen.insert(m.tenant), "tenant {} moved twice", m.tenant);
            prop_assert_eq!(d.phys_of(m.tenant), m.from);
            prop_assert!(m.from != m.to);
        }
        for m in &plan {
            d.set(m.tenant, m.to);
        }
        d.validate().map_err(TestCaseError::fail)?;
        prop_assert!(*d.loads().iter().max().unwrap() <= peak);
        prop_assert_eq!(d.loads().iter().sum::<u64>(), sizes.iter().sum::<u64>());
        // Running it again on its own result moves nobody back onto the peak.
        let again = d.plan_rebalance();
        for m in &again {
            prop_assert!(!plan.iter().any(|p| p.tenant == m.tenant && p.from == m.to));
        }
    }

    #[test]
    fn sizes_always_add_up(total in 1u64..5_000, tenants in 1u32..64, skew in 0.0f64..3.0) {
        let sizes = zipf_sizes(total, tenants, skew);
        prop_assert_eq!(sizes.len() as u32, tenants);
        prop_assert_eq!(sizes.iter().sum::<u64>(), total.max(u64::from(tenants)));
        prop_assert!(sizes.iter().all(|k| *k >= 1));
        prop_assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{:?}", sizes);
    }

    #[test]
    fn same_inputs_same_trace_and_seeking_is_pure(s in setup(), inputs in timeline()) {
        let mut a = build(&s, &inputs);
        let mut b = build(&s, &inputs);
        a.seek(SimTime::from_secs(5));
        b.seek(SimTime::from_ms(3_100));
        b.seek(SimTime::from_ms(700));
        b.seek(SimTime::from_secs(5));
        prop_assert_eq!(a.digest(), b.digest());
        prop_assert_eq!(a.metrics(), b.metrics());
        prop_assert_eq!(a.frame(), b.frame());
    }
}

#[test]
fn different_seeds_give_different_traffic() {
    let s = Setup {
        shards: 4,
        tenants: 12,
        keys: 600,
        skew: 1.0,
        placement: "least-loaded",
        ttl_ms: 1_000,
        clients: 4,
        copy_rate: 500,
        rate: 50,
        seed: 1,
    };
    let mut a = build(&s, &[]);
    let mut b = build(
        &Setup {
            seed: 2,
            ..s.clone()
        },
        &[],
    );
    let mut c = build(&s, &[]);
    for r in [&mut a, &mut b, &mut c] {
        r.seek(SimTime::from_secs(5));
    }
    assert_ne!(a.digest(), b.digest());
    assert_eq!(a.digest(), c.digest());
}
