//! What the cross-shard-queries model shows: the shard diagram's frame and the metrics.

use super::servers::Response;
use super::{
    Cure, IndexMode, QueryKind, QuerySummary, ScatterGather, FRAME_KEYS, REQUEST_SHOWN_US,
};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::common::per_shard;
use crate::models::common::{max_mean_metric, moved_metrics, requests_metric};
use crate::models::scatter_gather::service::{scatter_quantile_us, THEORY_SHARDS};
use crate::models::shard_view::{FanLeg, FanOut, FrontView, ShardFrame, ShardKeyView, ShardView};
use crate::time::SimTime;

/// What the shard diagram draws at `now`.
pub(super) fn frame(m: &ScatterGather, now: SimTime) -> ShardFrame {
    let n = m.shards();
    let rows = m.rows_per_node();
    let held = m.parts.held(n);
    let per = m.parts.per_node();
    let hot_value = m.last_attr_value;
    let rule = match m.index {
        IndexMode::Local if per > 1 => format!(
            "owner of partition user_id % {} ({per} per shard at first)",
            m.parts.count()
        ),
        IndexMode::Local => format!("user_id % {n} · by attribute: ask all {n} shards"),
        IndexMode::Global => {
            format!("user_id % {n} · attribute index on partition hash(value) % {n}")
        }
    };
    let followed = m.followed_query();
    let router_caption = followed.map(|q| {
        format!(
            "asked {} shard{}",
            q.fanout(),
            if q.fanout() == 1 { "" } else { "s" },
        )
    });
    let mut front = vec![FrontView {
        id: "router".into(),
        label: "Router".into(),
        caption: router_caption,
        down: false,
    }];
    if m.index == IndexMode::Global {
        front.push(FrontView {
            id: "index".into(),
            label: "Global index".into(),
            caption: Some(format!("{} values over {n} partitions", m.table.values())),
            down: false,
        });
    }
    ShardFrame {
        now,
        ring: None,
        rule,
        shards: m
            .servers
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let mut caption = format!("{:.0}% busy", shard_utilisation(m, i as u32));
                if per > 1 || held[i] != 1 {
                    caption.push_str(&format!(" · {} partitions", held[i]));
                }
                if m.replicas > 1 {
                    caption.push_str(&format!(" · {} replicas", m.replicas));
                }
                let queued = s.backlog_us(now);
                if queued >= 1_000 {
                    caption.push_str(&format!(" · {} ms queued", queued / 1_000));
                }
                if s.degraded {
                    caption.push_str(&format!(" · {}× slow", m.degraded_factor));
                }
                ShardView {
                    caption: Some(caption),
                    hot: s.degraded,
                    ..ShardView::new(i as u32, format!("Shard {i}"), rows[i], s.requests)
                }
            })
            .collect(),
        keys: (0..m.table.rows().min(FRAME_KEYS as u64))
            .map(|id| ShardKeyView {
                name: format!("user {id}"),
                id,
                shard: m.parts.node_of(id),
                hot: hot_value.is_some() && m.table.value_of(id) == hot_value,
                share: None,
            })
            .collect(),
        keys_total: m.table.rows(),
        last_change: m.last_change.clone(),
        requests: m
            .recent
            .iter()
            .filter(|r| {
                r.at <= now
                    && (now.since(r.at) < REQUEST_SHOWN_US
                        || r.latency_us.is_some_and(|l| r.at.plus_us(l) > now))
            })
            .cloned()
            .collect(),
        front,
        fanout: followed.map(fan_out),
    }
}

/// A shard's utilisation: the mean over the servers holding its replicas.
fn shard_utilisation(m: &ScatterGather, shard: u32) -> f64 {
    let sum: f64 = (0..m.replicas)
        .map(|r| m.server(shard, r).utilisation_percent(m.now))
        .sum();
    sum / f64::from(m.replicas)
}

/// The followed query as the diagram draws it: each shard request's times, and the slowest.
fn fan_out(q: &QuerySummary) -> FanOut {
    let leg = |r: &Response, index: bool| FanLeg {
        shard: r.shard,
        sent: r.arrived,
        start: r.start,
        finish: r.finish,
        paused: r.paused,
        index,
    };
    let what = match q.kind {
        QueryKind::ByKey => format!("read of user {} by key", q.target),
        QueryKind::ByAttribute => format!("read by attribute = {}", q.target),
        QueryKind::Write => format!("write of user {}", q.target),
    };
    FanOut {
        query: q.id,
        what,
        from: "router".into(),
        issued: q.issued,
        done: q.done,
        legs: q
            .index
            .iter()
            .map(|r| leg(r, true))
            .chain(q.responses.iter().map(|r| leg(r, false)))
            .collect(),
        slowest: q.slowest().map(|r| r.shard),
    }
}

/// `(id, label, unit, help)` of the lesson's own scalars, in display order; [`metrics`] gives
/// their values in the same order.
const SCALARS: [(&str, &str, Option<&str>, &str); 26] = [
    ("shards", "Shards", None, "N in user_id % N; a scatter query asks all of them."),
    ("rows", "Users", None, "Rows in the sharded table."),
    ("queries", "Queries completed", None, "Queries (reads and writes) that have their whole answer."),
    ("query_fanout", "Mean fan-out", Some("shards"), "Shard requests per completed query: 1 by key, N for a scatter, 1 + the fetches with a global index."),
    ("p50_key_ms", "p50 by key", Some("ms"), "Median latency of reads by shard key (one shard)."),
    ("p99_key_ms", "p99 by key", Some("ms"), "99th-percentile latency of reads by shard key."),
    ("p999_key_ms", "p99.9 by key", Some("ms"), "99.9th-percentile latency of reads by shard key."),
    ("p50_attr_ms", "p50 by attribute", Some("ms"), "Median latency of reads by attribute (scatter-gather, or index lookup and fetches), measured in this run."),
    ("p99_attr_ms", "p99 by attribute", Some("ms"), "99th-percentile latency of reads by attribute, measured in this run, queueing included."),
    ("p999_attr_ms", "p99.9 by attribute", Some("ms"), "99.9th-percentile latency of reads by attribute."),
    ("p50_write_ms", "p50 write", Some("ms"), "Median latency of writes."),
    ("p99_write_ms", "p99 write", Some("ms"), "99th-percentile latency of writes (with a global index a write waits for two shards)."),
    ("p999_write_ms", "p99.9 write", Some("ms"), "99.9th-percentile latency of writes."),
    ("p99_scatter_theory_ms", "p99 of a scatter (theory)", Some("ms"), "The 0.99^(1/N) quantile of one shard's service time, plus the merge: a scatter over N idle, healthy shards."),
    ("slow_hit_percent", "Attribute reads that met a pause", Some("%"), "Share of completed reads by attribute in which at least one shard request itself paused (this run)."),
    ("slow_hit_theory_percent", "Scatters meeting a pause (theory)", Some("%"), "1 − (1 − p)^N: the chance that at least one of N shards pauses during a scatter."),
    ("utilisation_percent", "Mean shard utilisation", Some("%"), "Share of time the shards were busy, averaged over the shards."),
    ("max_utilisation_percent", "Busiest shard utilisation", Some("%"), "Share of time the busiest shard was busy."),
    ("extra_requests_percent", "Extra requests", Some("%"), "Second copies sent (hedges, tied twins), per read request sent without a cure."),
    ("extra_busy_percent", "Extra busy time", Some("%"), "Work done on second copies, as a share of the rest of the work."),
    ("hedge_delay_ms", "Hedge delay now", Some("ms"), "How long a request waits before hedging: fixed, or the p95 of recent latencies."),
    ("tied_both_percent", "Tied legs run twice", Some("%"), "Tied requests whose copies both started within the cancellation delay, so both ran."),
    ("complete_percent", "Scatters answered complete", Some("%"), "Scatter reads answered with every shard."),
    ("coverage_percent", "Mean coverage", Some("%"), "Share of the shards a scatter read's answer used, on average."),
    ("partitions_moved", "Partitions moved", None, "Partitions the rebalancer has moved off slow nodes."),
    ("max_partitions", "Most partitions on a node", None, "Partitions held by the node holding the most (each starts with the same number)."),
];

/// Counts as bars labelled by shard index.
/// The metrics now.
pub(super) fn metrics(m: &ScatterGather) -> Metrics {
    use QueryKind::{ByAttribute, ByKey, Write};
    let n = m.shards();
    let rows = m.rows_per_node();
    let held = m.parts.held(n);
    let loads: Vec<f64> = rows.iter().map(|c| *c as f64).collect();
    // Per shard: the mean over its replicas (one server each).
    let utilisation: Vec<f64> = (0..n).map(|i| shard_utilisation(m, i)).collect();
    let mean_util = utilisation.iter().sum::<f64>() / f64::from(n.max(1));
    let max_util = utilisation.iter().copied().fold(0.0, f64::max);
    let ratio = |num: u64, den: u64, scale: f64| {
        if den == 0 {
            MetricValue::None
        } else {
            MetricValue::Float(num as f64 * scale / den as f64)
        }
    };
    let p = |kind, permille| m.percentile_ms(kind, permille);
    let values = [
        MetricValue::Int(i64::from(n)),
        MetricValue::Int(m.table.rows() as i64),
        MetricValue::Int(m.completed as i64),
        ratio(m.fanout_total, m.completed, 1.0),
        p(ByKey, 500),
        p(ByKey, 990),
        p(ByKey, 999),
        p(ByAttribute, 500),
        p(ByAttribute, 990),
        p(ByAttribute, 999),
        p(Write, 500),
        p(Write, 990),
        p(Write, 999),
        MetricValue::Float(scatter_quantile_us(&m.dist, 0.99, n, m.gather_us) / 1_000.0),
        ratio(m.attr_paused, m.attr_completed, 100.0),
        MetricValue::Float(m.dist.any_paused(n) * 100.0),
        MetricValue::Float(mean_util),
        MetricValue::Float(max_util),
        ratio(m.copies_sent, m.legs, 100.0),
        ratio(m.dup_busy_us, m.busy_total_us() - m.dup_busy_us, 100.0),
        m.hedge_delay_us()
            .filter(|_| m.cure == Cure::Hedged)
            .map_or(MetricValue::None, |us| {
                MetricValue::Float(us as f64 / 1_000.0)
            }),
        ratio(m.tied_both, m.tied_legs, 100.0),
        ratio(m.scatter_complete, m.scatter_done, 100.0),
        ratio(m.scatter_legs_answered, m.scatter_legs, 100.0),
        m.rebalancer
            .as_ref()
            .map_or(MetricValue::None, |r| MetricValue::Int(r.moved as i64)),
        MetricValue::Int(i64::from(held.iter().copied().max().unwrap_or(0))),
    ];
    let mut scalars: Vec<Metric> = SCALARS
        .iter()
        .zip(values)
        .map(|(&(id, label, unit, help), value)| Metric {
            id,
            label,
            value,
            unit,
            help,
        })
        .collect();
    let [moved, moved_pct] = moved_metrics(
        m.last_change
            .as_ref()
            .map(|c| (c.moves.len() as u64, c.total)),
    );
    scalars.extend([
        max_mean_metric(&loads),
        moved,
        moved_pct,
        requests_metric(m.requests_total),
    ]);
    let theory = |f: &dyn Fn(u32) -> f64| -> Vec<(String, f64)> {
        THEORY_SHARDS
            .iter()
            .map(|&k| (k.to_string(), f(k)))
            .collect()
    };
    let quantile_ms =
        |q: f64| move |k: u32| scatter_quantile_us(&m.dist, q, k, m.gather_us) / 1_000.0;
    let per_shard_requests: Vec<u64> = (0..n)
        .map(|i| (0..m.replicas).map(|r| m.server(i, r).requests).sum())
        .collect();
    Metrics {
        scalars,
        groups: vec![
            MetricGroup {
                id: "keys_per_shard",
                label: "Users per shard",
                unit: Some("rows"),
                values: per_shard(&rows),
            },
            MetricGroup {
                id: "requests_per_shard",
                label: "Requests per shard (all its replicas)",
                unit: Some("requests"),
                values: per_shard(&per_shard_requests),
            },
            MetricGroup {
                id: "utilisation_per_shard",
                label: "Utilisation per shard",
                unit: Some("%"),
                values: utilisation
                    .iter()
                    .enumerate()
                    .map(|(i, u)| (i.to_string(), *u))
                    .collect(),
            },
            MetricGroup {
                id: "partitions_per_shard",
                label: "Partitions per shard",
                unit: None,
                values: per_shard(&held.iter().map(|h| u64::from(*h)).collect::<Vec<_>>()),
            },
            MetricGroup {
                id: "p99_by_shards",
                label: "Scatter p99 by shard count (theory)",
                unit: Some("ms"),
                values: theory(&quantile_ms(0.99)),
            },
            MetricGroup {
                id: "slow_hit_by_shards",
                label: "Scatters meeting a pause by shard count (theory)",
                unit: Some("%"),
                values: theory(&|k| m.dist.any_paused(k) * 100.0),
            },
        ],
    }
}
