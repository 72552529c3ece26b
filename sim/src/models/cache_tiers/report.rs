//! The cache-hierarchy model's metrics and frame: what the page shows, computed from the
//! hierarchy's counters and levels (the view never re-runs anything).

use super::hierarchy::{Hierarchy, Hop, Message};
use super::tier::TierCache;
use super::{CacheTiers, Last, HOT_KEY};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::store_view::{
    EntryState, EntryView, FlowKind, FlowView, StoreFrame, TierKind, TierView,
};
use crate::time::SimTime;
use crate::trace::Narrate;

/// Entries a tier draws (most recently used first).
pub const FRAME_ENTRIES: u64 = 5;

fn ratio(num: u64, den: u64) -> MetricValue {
    if den == 0 {
        MetricValue::None
    } else {
        MetricValue::Float(num as f64 / den as f64)
    }
}

fn int(v: u64) -> MetricValue {
    MetricValue::Int(i64::try_from(v).unwrap_or(i64::MAX))
}

fn m(
    id: &'static str,
    label: &'static str,
    value: MetricValue,
    unit: Option<&'static str>,
    help: &'static str,
) -> Metric {
    Metric {
        id,
        label,
        value,
        unit,
        help,
    }
}

fn level_ratio(levels: &[TierCache], present: bool) -> MetricValue {
    if !present {
        return MetricValue::None;
    }
    let hits: u64 = levels.iter().map(|l| l.hits).sum();
    let lookups: u64 = levels.iter().map(|l| l.hits + l.misses).sum();
    ratio(hits, lookups)
}

/// The L2 shard holding the hot key, and its operations a second over the last 5 s.
pub fn hot_shard_rps(h: &Hierarchy, now: SimTime) -> Option<(u32, f64)> {
    let s = h.shard_of(HOT_KEY)?;
    Some((s, h.l2_rate[s as usize].per_sec(now)))
}

/// The metrics.
pub fn metrics(model: &CacheTiers) -> Metrics {
    let h = &model.hierarchy;
    let c = &h.counters;
    let now = model.now;
    let reads = c.reads;
    let edge: Vec<TierCache> = h.edge.iter().cloned().collect();
    let lat_mean = |sum: u64| {
        if reads == 0 {
            MetricValue::None
        } else {
            MetricValue::Float(sum as f64 / reads as f64 / 1_000.0)
        }
    };
    let total_latency: u64 = c.latency_sum_us.iter().sum();
    let evictions: u64 =
        h.l1.iter()
            .chain(&h.l2)
            .chain(h.edge.iter())
            .map(|l| l.evictions)
            .sum();
    let origin_rps = h.db_rate.per_sec(now);
    let scalars = vec![
        m("requests", "Requests", int(reads + c.writes), None, "Reads and writes so far."),
        m("hits", "Hits", int(c.hits()), None, "Reads answered by a cache at any level."),
        m("misses", "Misses", int(c.db_reads()), None, "Reads no cache could answer: each went to the database."),
        m("hit_ratio", "Hit ratio", ratio(c.hits(), reads), None, "Reads answered by some cache, over all reads (0 to 1)."),
        m("edge_hit_ratio", "Edge hit ratio", level_ratio(&edge, h.edge.is_some()), None, "Of the cacheable reads reaching the CDN edge, the share it answered."),
        m("l1_hit_ratio", "L1 hit ratio", level_ratio(&h.l1, h.has_l1()), None, "Of the reads reaching an app server's L1, the share it answered."),
        m("l2_hit_ratio", "L2 hit ratio", level_ratio(&h.l2, !h.l2.is_empty()), None, "Of the reads reaching the L2, the share it answered."),
        m("edge_served", "Answered by the edge", ratio(c.served[0], reads), None, "Share of all reads the CDN edge answered."),
        m("l1_served", "Answered by L1", ratio(c.served[1], reads), None, "Share of all reads the L1s answered."),
        m("l2_served", "Answered by L2", ratio(c.served[2], reads), None, "Share of all reads the L2 answered."),
        m("db_reads", "Database reads", int(c.db_reads()), None, "Reads that reached the database (the origin)."),
        m("db_writes", "Database writes", int(c.writes), None, "Writes: every one goes to the database."),
        m("origin_rps", "Origin load", MetricValue::Float(origin_rps), Some("req/s"), "Requests a second reaching the database (reads that missed every cache, and writes), over the last 5 s."),
        m(
            "hot_shard_rps",
            "Hot key's L2 shard",
            hot_shard_rps(h, now).map_or(MetricValue::None, |(_, r)| MetricValue::Float(r)),
            Some("ops/s"),
            "Operations a second at the L2 shard holding k0 (gets, fills, deletes), over the last 5 s.",
        ),
        m("latency_mean_ms", "Mean latency", lat_mean(total_latency), Some("ms"), "Mean read latency: the sum of the parts each read reached."),
        m(
            "latency_p99_ms",
            "p99 latency",
            h.latency
                .quantile_us(990)
                .map_or(MetricValue::None, |us| MetricValue::Float(us as f64 / 1_000.0)),
            Some("ms"),
            "99 reads in 100 are at least this fast.",
        ),
        m("stale_reads", "Stale reads", int(c.stale_reads()), None, "Reads that got an older version than the database held at that moment."),
        m("invalidations", "Invalidation messages", int(c.invalidations()), None, "L2 deletes, L1 invalidation messages and CDN purges sent."),
        m("l1_invalidations", "L1 invalidation messages", int(c.l1_messages), None, "Deletes broadcast to other app servers (N − 1 per write)."),
        m("evictions", "Evictions", int(evictions), None, "Copies any level evicted to make room."),
    ];
    let ms = |sum: u64| {
        if reads == 0 {
            0.0
        } else {
            sum as f64 / reads as f64 / 1_000.0
        }
    };
    let pct = |n: u64| {
        if reads == 0 {
            0.0
        } else {
            100.0 * n as f64 / reads as f64
        }
    };
    let s = &c.latency_sum_us;
    let groups = vec![
        MetricGroup {
            id: "served_by",
            label: "Reads answered by each level",
            unit: Some("%"),
            values: vec![
                ("CDN edge".into(), pct(c.served[0])),
                ("L1".into(), pct(c.served[1])),
                ("L2".into(), pct(c.served[2])),
                ("Database".into(), pct(c.served[3])),
            ],
        },
        MetricGroup {
            id: "latency_by_level",
            label: "Mean latency added by each part",
            unit: Some("ms"),
            values: vec![
                ("CDN edge".into(), ms(s[0])),
                ("Data centre network".into(), ms(s[1])),
                ("L1".into(), ms(s[2])),
                ("L2".into(), ms(s[3])),
                ("Database".into(), ms(s[4])),
            ],
        },
        MetricGroup {
            id: "l2_shard_rps",
            label: "L2 operations per shard",
            unit: Some("ops/s"),
            values: h
                .l2_rate
                .iter()
                .enumerate()
                .map(|(i, r)| (format!("Shard {}", i + 1), r.per_sec(now)))
                .collect(),
        },
        MetricGroup {
            id: "stale_by_level",
            label: "Stale reads by level",
            unit: Some("reads"),
            values: vec![
                ("CDN edge".into(), c.stale[0] as f64),
                ("L1".into(), c.stale[1] as f64),
                ("L2".into(), c.stale[2] as f64),
            ],
        },
    ];
    Metrics { scalars, groups }
}

fn hop_id(hop: Hop) -> String {
    match hop {
        Hop::Clients => "clients".into(),
        Hop::Edge => "edge".into(),
        Hop::L1(s) => format!("l1-{s}"),
        Hop::L2(s) => format!("l2-{s}"),
        Hop::Db => "db".into(),
    }
}

fn entries(h: &Hierarchy, level: &TierCache, now: SimTime, focus: Option<u64>) -> Vec<EntryView> {
    let mut keys = level.keys_by_recency();
    // The hot key and the last request's key first, when held: they are the story.
    for k in [focus, Some(HOT_KEY)].into_iter().flatten() {
        if let Some(pos) = keys.iter().position(|x| *x == k) {
            let k = keys.remove(pos);
            keys.insert(0, k);
        }
    }
    keys.dedup();
    keys.iter()
        .take(FRAME_ENTRIES as usize)
        .filter_map(|&k| {
            let held = level.held(k)?;
            let expired = held.expires.is_some_and(|at| at <= now);
            let state = if expired {
                EntryState::Expired
            } else if held.version < h.db_version(k) {
                EntryState::Stale
            } else {
                EntryState::Fresh
            };
            Some(EntryView {
                key: format!("k{k}"),
                version: Some(held.version),
                ttl_left: held.expires.map(|at| SimTime::from_us(at.since(now))),
                state,
                note: None,
                hot: Some(k) == focus,
            })
        })
        .collect()
}

fn percent(r: Option<f64>) -> String {
    r.map_or("no reads yet".into(), |r| {
        format!("hit ratio {:.0} %", 100.0 * r)
    })
}

/// The frame.
pub fn frame(model: &CacheTiers, now: SimTime) -> StoreFrame {
    let h = &model.hierarchy;
    let cfg = &h.config;
    let focus = match model.last() {
        Some(Last::Read(r, _)) => Some(r.key),
        Some(Last::Write(w, _)) => Some(w.key),
        Some(Last::Delivered(Message::InvalidateL1 { key, .. }, _, _)) => Some(*key),
        Some(Last::Delivered(Message::Purge { key, .. }, _, _)) => *key,
        Some(Last::PurgeSent(key, _)) => *key,
        None => None,
    };
    let mut tiers = vec![TierView {
        id: "clients".into(),
        label: "Clients".into(),
        kind: TierKind::Client,
        caption: Some(if model.hot_share > 0.0 {
            format!(
                "{} req/s · {:.0} % for k0",
                model.rate_per_sec,
                model.hot_share * 100.0
            )
        } else {
            format!("{} req/s", model.rate_per_sec)
        }),
        ..TierView::default()
    }];
    if let Some(edge) = &h.edge {
        tiers.push(TierView {
            id: "edge".into(),
            label: "CDN edge".into(),
            kind: TierKind::Cache,
            caption: Some(percent(edge.hit_ratio())),
            entries: entries(h, edge, now, focus),
            more: edge.len().saturating_sub(FRAME_ENTRIES),
            ..TierView::default()
        });
    }
    for (i, l1) in h.l1.iter().enumerate() {
        let has = h.has_l1();
        tiers.push(TierView {
            id: format!("l1-{i}"),
            label: if has {
                format!("App server {} · L1", i + 1)
            } else {
                format!("App server {}", i + 1)
            },
            kind: if has {
                TierKind::Cache
            } else {
                TierKind::Client
            },
            group: Some("l1".into()),
            caption: has.then(|| percent(l1.hit_ratio())),
            entries: entries(h, l1, now, focus),
            more: l1.len().saturating_sub(FRAME_ENTRIES),
            ..TierView::default()
        });
    }
    let capacity = model.l2_capacity as f64;
    for (i, l2) in h.l2.iter().enumerate() {
        let rps = h.l2_rate[i].per_sec(now);
        tiers.push(TierView {
            id: format!("l2-{i}"),
            label: format!("Redis shard {}", i + 1),
            kind: TierKind::Cache,
            group: Some("l2".into()),
            caption: Some(format!("{rps:.0} ops/s · {}", percent(l2.hit_ratio()))),
            load: Some(rps / capacity),
            entries: entries(h, l2, now, focus),
            more: l2.len().saturating_sub(FRAME_ENTRIES),
            ..TierView::default()
        });
    }
    let origin = h.db_rate.per_sec(now);
    tiers.push(TierView {
        id: "db".into(),
        label: "Database".into(),
        kind: TierKind::Database,
        caption: Some(format!("{origin:.0} req/s")),
        load: Some(origin / model.db_capacity as f64),
        ..TierView::default()
    });
    let last = model.last().map(|l| flow(l, h));
    let l1 = if h.has_l1() {
        let inv = match cfg.l1_invalidation {
            super::L1Invalidation::Broadcast => "broadcast deletes",
            super::L1Invalidation::TtlOnly => "no invalidation",
        };
        format!("L1 {} keys × {}, {inv}", cfg.l1_size, cfg.servers)
    } else {
        "no L1".into()
    };
    let l2 = if h.l2.is_empty() {
        "no L2".into()
    } else {
        format!("L2 {} keys on {} shards", cfg.l2_size, h.l2.len())
    };
    StoreFrame {
        tiers,
        last,
        caption: Some(format!("{l1} · {l2}")),
    }
}

fn flow(last: &Last, h: &Hierarchy) -> FlowView {
    match last {
        Last::Read(r, at) => FlowView {
            at: *at,
            kind: FlowKind::Read,
            key: format!("k{}", r.key),
            path: r.path.iter().map(|&p| hop_id(p)).collect(),
            ok: !r.stale(),
            text: super::TiersRecord::Read {
                key: r.key,
                server: r.server,
                served_by: r.served_by,
                version: r.version,
                current: r.current,
                latency_us: r.latency_us,
            }
            .narrate(),
        },
        Last::Write(w, at) => {
            let mut path = vec!["clients".to_string()];
            if h.edge.is_some() {
                path.push("edge".into());
            }
            path.push(format!("l1-{}", w.server));
            path.push("db".into());
            if let Some(s) = h.shard_of(w.key) {
                path.push(format!("l2-{s}"));
            }
            FlowView {
                at: *at,
                kind: FlowKind::Write,
                key: format!("k{}", w.key),
                path,
                ok: true,
                text: format!(
                    "App server {} wrote k{} v{}: database, then a delete to the L2{}.",
                    w.server + 1,
                    w.key,
                    w.version,
                    if w.messages.is_empty() {
                        String::new()
                    } else {
                        format!(" and {} invalidation message(s)", w.messages.len())
                    }
                ),
            }
        }
        Last::Delivered(msg, dropped, at) => {
            let (path, key, text) = match *msg {
                Message::InvalidateL1 { server, key } => (
                    vec![format!("l1-{server}")],
                    format!("k{key}"),
                    if *dropped > 0 {
                        format!("App server {} dropped its L1 copy of k{key}.", server + 1)
                    } else {
                        format!("App server {} held no copy of k{key}.", server + 1)
                    },
                ),
                Message::Purge { key } => (
                    vec!["edge".to_string()],
                    key.map_or("all".into(), |k| format!("k{k}")),
                    format!("The purge reached the edge: {dropped} object(s) dropped."),
                ),
            };
            FlowView {
                at: *at,
                kind: FlowKind::Invalidate,
                key,
                path,
                ok: true,
                text,
            }
        }
        Last::PurgeSent(key, at) => FlowView {
            at: *at,
            kind: FlowKind::Invalidate,
            key: key.map_or("all".into(), |k| format!("k{k}")),
            path: vec!["clients".into(), "edge".into()],
            ok: true,
            text: format!(
                "Purge sent to the CDN; it lands in {} ms.",
                h.config.purge_delay_us / 1_000
            ),
        },
    }
}
