//! The frame (clients → cache → database, the most popular products' entries, the database's
//! queries in flight as its load) and the metrics.

use super::{product, CacheExpiry, SHOWN};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::store_view::{EntryState, EntryView, StoreFrame, TierKind, TierView};
use crate::time::SimTime;

/// Seconds of database queries the per-second chart shows (the latest).
const CHART_SECONDS: usize = 60;

pub(super) fn frame(m: &CacheExpiry, now: SimTime) -> StoreFrame {
    let cache = &m.cache;
    let cfg = cache.config();
    let keys = cache.keys();
    let entries: Vec<EntryView> = (0..SHOWN.min(keys))
        .map(|k| {
            let e = cache.entry(k);
            let fresh = e.fresh_at(now);
            let stale_ok = cfg
                .strategy
                .swr_us
                .zip(e.expires)
                .is_some_and(|(w, x)| now < x.plus_us(w));
            let state = if fresh {
                EntryState::Fresh
            } else if e.loads > 0 {
                EntryState::Loading
            } else {
                EntryState::Expired
            };
            let note = if e.waiting > 0 {
                Some(format!("{} waiting", e.waiting))
            } else if e.loads > 1 {
                Some(format!("{} queries", e.loads))
            } else if e.loads == 1 && fresh {
                Some("refreshing".to_string())
            } else if !fresh && stale_ok && e.expires.is_some() {
                Some("served stale".to_string())
            } else if e.expires.is_none() && e.loads == 0 {
                Some("not cached".to_string())
            } else {
                None
            };
            EntryView {
                key: product(k),
                version: None,
                ttl_left: e
                    .expires
                    .filter(|_| fresh)
                    .map(|x| SimTime::from_us(x.since(now))),
                state,
                note,
                hot: m.last.as_ref().is_some_and(|f| f.key == product(k)),
            }
        })
        .collect();
    let cached = (0..keys).filter(|&k| cache.entry(k).fresh_at(now)).count() as u64;
    let shown_cached = entries
        .iter()
        .filter(|e| e.state == EntryState::Fresh)
        .count() as u64;
    let in_flight = cache.in_flight_at(now);
    let c = cache.counts();
    let rate = m.rate();
    StoreFrame {
        tiers: vec![
            TierView {
                id: "clients".into(),
                label: "Clients".into(),
                kind: TierKind::Client,
                caption: Some(if m.traffic_x > 1.0 {
                    format!("{:.0} reads/s (×{})", rate, m.traffic_x)
                } else {
                    format!("{rate:.0} reads/s")
                }),
                ..TierView::default()
            },
            TierView {
                id: "cache".into(),
                label: "Cache".into(),
                kind: TierKind::Cache,
                caption: Some(format!(
                    "TTL {} s · hit ratio {}",
                    cfg.fill_ttl_us as f64 / 1e6,
                    if c.requests == 0 {
                        "—".to_string()
                    } else {
                        format!("{:.0} %", c.hits as f64 * 100.0 / c.requests as f64)
                    }
                )),
                entries,
                more: cached.saturating_sub(shown_cached),
                ..TierView::default()
            },
            TierView {
                id: "db".into(),
                label: "Database".into(),
                kind: TierKind::Database,
                caption: Some(format!(
                    "{in_flight} queries in flight · {} connections",
                    cfg.connections
                )),
                load: Some(f64::from(in_flight) / f64::from(cfg.connections)),
                ..TierView::default()
            },
        ],
        last: m.last.clone(),
        caption: Some(m.caption.clone()),
    }
}

pub(super) fn metrics(m: &CacheExpiry) -> Metrics {
    let cache = &m.cache;
    let c = cache.counts();
    let cfg = cache.config();
    let int = |v: u64| MetricValue::Int(i64::try_from(v).unwrap_or(i64::MAX));
    let ratio = |num: u64, den: u64| {
        if den == 0 {
            MetricValue::None
        } else {
            MetricValue::Float(num as f64 / den as f64)
        }
    };
    let metric = |id, label, value, unit, help| Metric {
        id,
        label,
        value,
        unit,
        help,
    };
    let per_second = cache.per_second();
    let peak_per_s = per_second.iter().copied().max().unwrap_or(0);
    let p99 = cache
        .latency()
        .quantile_us(990)
        .map_or(MetricValue::None, |us| MetricValue::Float(us as f64 / 1e3));
    let p50 = cache
        .latency()
        .quantile_us(500)
        .map_or(MetricValue::None, |us| MetricValue::Float(us as f64 / 1e3));
    let mut scalars = vec![
        metric("requests", "Reads", int(c.requests), None, "Reads so far."),
        metric(
            "hits",
            "Hits",
            int(c.hits),
            None,
            "Reads answered by the cache without waiting for the database (stale values and cached \"not found\" included).",
        ),
        metric(
            "misses",
            "Misses",
            int(c.misses),
            None,
            "Reads that waited for the database: their own query, a leader's, or an early refresh.",
        ),
        metric(
            "hit_ratio",
            "Hit ratio",
            ratio(c.hits, c.requests),
            None,
            "Hits over reads (0 to 1).",
        ),
        metric(
            "db_reads",
            "Database reads",
            int(c.db_reads),
            None,
            "Queries sent to the database.",
        ),
        metric(
            "peak_db_in_flight",
            "Peak queries in flight",
            MetricValue::Int(i64::from(c.peak_in_flight)),
            None,
            "Most database queries running or queued at once.",
        ),
        metric(
            "peak_db_load",
            "Peak database load",
            MetricValue::Float(f64::from(c.peak_in_flight) / f64::from(cfg.connections)),
            Some("×"),
            "Peak queries in flight over connections: above 1, queries wait in line.",
        ),
        metric(
            "peak_db_reads_per_s",
            "Peak queries in one second",
            MetricValue::Int(i64::from(peak_per_s)),
            Some("/s"),
            "The most database queries sent in any one second of the run.",
        ),
        metric(
            "p99_ms",
            "p99 latency",
            p99,
            Some("ms"),
            "99 % of reads took at most this long (cache look-up, wait and query).",
        ),
        metric(
            "p50_ms",
            "Median latency",
            p50,
            Some("ms"),
            "Half of the reads took at most this long.",
        ),
        metric(
            "stale_served",
            "Stale reads served",
            int(c.stale_served),
            None,
            "Reads given an expired value while it was being refreshed (stale-while-revalidate).",
        ),
        metric(
            "coalesced",
            "Waits on a leader",
            int(c.coalesced),
            None,
            "Reads that waited for another reader's query of the same key (single flight).",
        ),
        metric(
            "early_refreshes",
            "Early refreshes",
            int(c.early_refreshes),
            None,
            "Reads that refreshed a value before it expired (XFetch).",
        ),
        metric(
            "negative_hits",
            "Cached \"not found\"",
            int(c.negative_hits),
            None,
            "Reads of missing products answered by a cached \"not found\".",
        ),
    ];
    scalars.push(metric(
        "db_in_flight",
        "Queries in flight",
        MetricValue::Int(i64::from(cache.in_flight_at(m.now))),
        None,
        "Database queries running or queued now.",
    ));
    let from = per_second.len().saturating_sub(CHART_SECONDS);
    let groups = vec![MetricGroup {
        id: "db_reads_per_second",
        label: "Database queries per second",
        unit: Some("queries"),
        values: per_second[from..]
            .iter()
            .enumerate()
            .map(|(i, n)| (format!("{} s", from + i), f64::from(*n)))
            .collect(),
    }];
    Metrics { scalars, groups }
}
