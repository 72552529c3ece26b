//! The laws of scatter-gather, checked with proptest: a read by shard key touches exactly its
//! key's shard; a read by attribute without a global index touches each of the N shards once;
//! a query is never faster than any shard it waited for (and is exactly the slowest plus the
//! merge); requests are conserved; each shard is a FIFO queue; the theory's tail never shrinks
//! as shards are added; and the histogram's percentiles stay within a bucket of the exact ones.
// proptest needs OS randomness for its own seeds; these laws run natively only.
#![cfg(not(target_arch = "wasm32"))]

use crate::common;

use proptest::prelude::*;
use sim::engine::{Run, Simulation};
use sim::model::MetricValue;
use sim::models::scatter_gather::servers::{LatencyHistogram, ShardServer};
use sim::models::scatter_gather::service::ServiceDist;
use sim::models::scatter_gather::{QueryKind, ScatterGather};
use sim::models::sharding::Placement;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;

fn scenario(seed: u64, params: &[(&str, String)], inputs: &[String], until_ms: u64) -> Scenario {
    let mut s = Scenario::new("scatter-gather", seed, SimTime::from_ms(until_ms));
    for (k, v) in params {
        s.params.insert((*k).to_string(), v.clone());
    }
    s.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).unwrap())
        .collect();
    s
}

fn run(s: &Scenario) -> Run<ScatterGather> {
    let mut r = Run::<ScatterGather>::new(s).expect("valid scenario");
    r.seek(s.until);
    r
}

fn metric(r: &Run<ScatterGather>, id: &str) -> f64 {
    r.metrics()
        .get(id)
        .and_then(MetricValue::as_f64)
        .unwrap_or(f64::NAN)
}

fn dist() -> impl Strategy<Value = ServiceDist> {
    (0.1f64..20.0, 0.0f64..1.5, 0.0f64..0.3, 0u32..500).prop_map(|(median, sigma, p, slow)| {
        ServiceDist {
            median_us: median * 1_000.0,
            sigma,
            slow_p: p,
            slow_us: f64::from(slow) * 1_000.0,
        }
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..common::config("scatter_properties") })]

    /// A read by shard key goes to shard `id % N` and nowhere else.
    #[test]
    fn a_read_by_key_touches_exactly_its_shard(
        shards in 1u32..=64, rows in 1u64..=500, pick in any::<u64>(),
        global in any::<bool>(), seed in any::<u64>(),
    ) {
        let id = pick % rows;
        let s = scenario(seed, &[
            ("shards", shards.to_string()), ("rows", rows.to_string()), ("query_rate", "0".into()),
            ("index", if global { "global" } else { "none" }.into()),
        ], &[format!("0:query:by-key:{id}")], 60_000);
        let r = run(&s);
        let q = r.model().last_query().expect("the query completed");
        prop_assert_eq!(q.kind, QueryKind::ByKey);
        prop_assert!(q.index.is_none());
        let touched: Vec<u32> = q.responses.iter().map(|x| x.shard).collect();
        prop_assert_eq!(touched, vec![(id % u64::from(shards)) as u32]);
        prop_assert_eq!(q.latency_us(), q.responses[0].latency_us());
        prop_assert_eq!(r.model().owners(&id.to_string()).unwrap(), vec![(id % u64::from(shards)).to_string()]);
    }

    /// Without a global index a read by attribute asks each of the N shards exactly once, and
    /// completes when the slowest answers, plus the merge.
    #[test]
    fn a_read_by_attribute_without_an_index_touches_all_shards(
        shards in 1u32..=64, matches in 1u32..=20, seed in any::<u64>(), gather in 0u32..=50,
    ) {
        let gather_ms = f64::from(gather) / 10.0;
        let s = scenario(seed, &[
            ("shards", shards.to_string()), ("matches", matches.to_string()),
            ("query_rate", "0".into()), ("gather_ms", gather_ms.to_string()),
        ], &["0:query:by-attribute".to_string()], 60_000);
        let r = run(&s);
        let q = r.model().last_query().expect("the query completed");
        let touched: Vec<u32> = q.responses.iter().map(|x| x.shard).collect();
        prop_assert_eq!(touched, (0..shards).collect::<Vec<u32>>());
        let slowest = q.responses.iter().map(|x| x.finish.since(q.issued)).max().unwrap();
        let merge = if shards > 1 { u64::from(gather) * 100 } else { 0 };
        prop_assert_eq!(q.latency_us(), slowest + merge);
        prop_assert_eq!(metric(&r, "query_fanout"), f64::from(shards));
    }

    /// Under any workload — mixed kinds, either index, resizes and degraded shards on the way —
    /// every completed query was at least as slow as every shard it touched (the model checks
    /// each one as it completes), requests are conserved, and the invariants hold.
    #[test]
    fn no_query_beats_its_slowest_shard_and_requests_are_conserved(
        shards in 1u32..=64, rows in 1u64..=400, matches in 1u32..=10,
        rate in 0u32..=300, attr in 0u32..=100, write in 0u32..=100,
        global in any::<bool>(), seed in any::<u64>(),
        resize_to in 1u32..=64, degrade in any::<bool>(),
    ) {
        let mut inputs = vec![format!("300:resize:{resize_to}")];
        if degrade {
            inputs.push("100:slow-shard:0".to_string());
        }
        let s = scenario(seed, &[
            ("shards", shards.to_string()), ("rows", rows.to_string()),
            ("matches", matches.to_string()), ("query_rate", rate.to_string()),
            ("by_attribute_percent", attr.to_string()), ("write_percent", write.to_string()),
            ("index", if global { "global" } else { "none" }.into()),
        ], &inputs, 800);
        let r = run(&s);
        prop_assert!(r.validate().is_ok(), "{:?}", r.validate());
        if let Some(q) = r.model().last_query() {
            for x in q.all_responses() {
                prop_assert!(q.latency_us() >= x.finish.since(q.issued));
            }
        }
        prop_assert!(r.trace_lines().iter().all(|l| !l.rejected));
        // Shards never removed: every request is on a current shard's count.
        if resize_to >= shards {
            let per_shard: f64 = r.metrics().group("requests_per_shard").unwrap()
                .values.iter().map(|(_, v)| v).sum();
            prop_assert_eq!(per_shard, metric(&r, "requests"));
        }
        for kind in ["key", "attr", "write"] {
            let p50 = metric(&r, &format!("p50_{kind}_ms"));
            let p99 = metric(&r, &format!("p99_{kind}_ms"));
            let p999 = metric(&r, &format!("p999_{kind}_ms"));
            if !p50.is_nan() {
                prop_assert!(p50 <= p99 && p99 <= p999, "{kind}: {p50} {p99} {p999}");
            }
        }
    }

    /// The tail's cures keep every law: the invariants hold (requests conserved over every
    /// replica, duplicated work within the work done, at most one second copy per request), no
    /// answered shard is later than its query, a partial answer comes by the deadline plus the
    /// merge, and only hedged and tied requests send extra copies.
    #[test]
    fn the_cures_keep_the_laws(
        shards in 1u32..=32, replicas in 1u32..=3, cure in 0u8..4,
        rate in 0u32..=300, attr in 0u32..=100, write in 0u32..=40,
        hedge_ms in prop_oneof![Just(0.0f64), 0.5f64..40.0], cancel_ms in 0.0f64..5.0,
        deadline_ms in 1.0f64..60.0, global in any::<bool>(), seed in any::<u64>(),
        resize_to in 1u32..=32, degrade in any::<bool>(),
    ) {
        let cure = ["none", "hedged", "tied", "partial"][cure as usize];
        let replicas = if matches!(cure, "hedged" | "tied") { replicas.max(2) } else { replicas };
        let mut inputs = vec![format!("300:resize:{resize_to}"), "310:query:by-attribute".into()];
        if degrade {
            inputs.push("100:slow-shard:0".to_string());
        }
        let s = scenario(seed, &[
            ("shards", shards.to_string()), ("replicas", replicas.to_string()),
            ("cure", cure.into()), ("hedge_ms", format!("{hedge_ms:.1}")),
            ("cancel_ms", format!("{cancel_ms:.1}")), ("deadline_ms", format!("{deadline_ms:.0}")),
            ("query_rate", rate.to_string()), ("by_attribute_percent", attr.to_string()),
            ("write_percent", write.to_string()),
            ("index", if global { "global" } else { "none" }.into()),
        ], &inputs, 800);
        let r = run(&s);
        prop_assert!(r.validate().is_ok(), "{:?}", r.validate());
        prop_assert!(r.trace_lines().iter().all(|l| !l.rejected));
        if let Some(q) = r.model().last_query() {
            for x in q.answered() {
                prop_assert!(q.latency_us() >= x.finish.since(q.issued));
            }
            if let Some(c) = q.cutoff {
                prop_assert!(q.done <= c.plus_us(500), "answered after the deadline and merge");
            }
        }
        let extra = metric(&r, "extra_requests_percent");
        if matches!(cure, "none" | "partial") {
            prop_assert!(extra == 0.0 || extra.is_nan(), "{cure} sent extra copies: {extra}");
        } else {
            prop_assert!(extra.is_nan() || extra <= 100.0, "{extra}");
        }
        if resize_to >= shards {
            let per_shard: f64 = r.metrics().group("requests_per_shard").unwrap()
                .values.iter().map(|(_, v)| v).sum();
            prop_assert_eq!(per_shard, metric(&r, "requests"));
        }
        if cure == "tied" {
            prop_assert!(extra.is_nan() || extra == 100.0, "a tied request always sends its twin");
        }
    }

    /// With only fired queries, once all have completed, the fan-outs add up to the requests.
    #[test]
    fn fired_queries_account_for_every_request(
        shards in 1u32..=64, kinds in prop::collection::vec(0u8..3, 1..12),
        global in any::<bool>(), seed in any::<u64>(),
    ) {
        let inputs: Vec<String> = kinds.iter().enumerate().map(|(i, k)| {
            let kind = ["by-key", "by-attribute", "write"][*k as usize];
            format!("{}:query:{kind}", i * 5)
        }).collect();
        let s = scenario(seed, &[
            ("shards", shards.to_string()), ("query_rate", "0".into()),
            ("index", if global { "global" } else { "none" }.into()),
        ], &inputs, 120_000);
        let r = run(&s);
        prop_assert_eq!(metric(&r, "queries"), kinds.len() as f64);
        let fanout = metric(&r, "query_fanout");
        prop_assert!((fanout * kinds.len() as f64 - metric(&r, "requests")).abs() < 1e-6);
    }

    /// The theory's tail never shrinks as shards are added (the max of more draws is larger),
    /// nor as the quantile rises.
    #[test]
    fn the_theory_tail_grows_with_the_shard_count(d in dist(), q in 0.01f64..0.999) {
        let mut last = 0.0;
        for n in [1u32, 2, 4, 8, 16, 32, 64] {
            let t = d.max_quantile(0.99, n);
            prop_assert!(t >= last - 1e-6, "N = {n}: {t} < {last}");
            last = t;
            prop_assert!(d.max_quantile(q, n) <= d.max_quantile(q.max(0.99), n) + 1e-6);
            let hit = d.any_paused(n);
            prop_assert!((0.0..=1.0).contains(&hit));
        }
        // The quantile inverts the CDF.
        let t = d.quantile(q);
        prop_assert!(d.cdf(t) >= q - 1e-9);
    }

    /// A shard is a FIFO queue: a request starts no earlier than it arrives or than the one
    /// before it finishes, and the worker is never busy longer than it has existed.
    #[test]
    fn each_shard_is_a_fifo_queue(jobs in prop::collection::vec((0u64..5_000, 1u64..3_000), 1..60)) {
        let mut s = ShardServer::new(SimTime::ZERO);
        let mut at = SimTime::ZERO;
        let mut last_finish = SimTime::ZERO;
        for (gap, service) in jobs {
            at = at.plus_us(gap);
            let (start, finish) = s.serve(at, service);
            prop_assert!(start >= at && start >= last_finish);
            prop_assert_eq!(finish.since(start), service);
            last_finish = finish;
            prop_assert!(s.busy_until(at) <= at.as_us());
        }
        prop_assert!(s.utilisation_percent(last_finish) <= 100.0 + 1e-9);
    }

    /// The histogram's percentile is within its bucket (1/32) of the exact nearest-rank value.
    #[test]
    fn histogram_percentiles_are_within_a_bucket(
        mut xs in prop::collection::vec(1u64..10_000_000, 1..400),
        permille in 1u64..=1000,
    ) {
        let mut h = LatencyHistogram::default();
        for x in &xs {
            h.record(*x);
        }
        xs.sort_unstable();
        let rank = ((permille * xs.len() as u64).div_ceil(1000)).max(1) as usize;
        let exact = xs[rank - 1] as f64;
        let got = h.quantile_us(permille).unwrap() as f64;
        prop_assert!((got - exact).abs() <= exact / 32.0 + 1.0, "{got} vs {exact}");
        prop_assert_eq!(h.count(), xs.len() as u64);
    }
}
