//! What the range-sharding model shows: the shard frame (ranges as captions, the router in
//! front, the hot tail flagged) and its metrics.

use super::record::{duration, span};
use super::spec::OutOfRange;
use super::table::grouped;
use super::{Layout, RangeShards, FRAME_KEYS};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::common::{
    max_mean_metric, moved_metrics, per_shard, requests_metric, share_percent,
};
use crate::models::shard_view::{FrontView, ShardFrame, ShardKeyView, ShardView};
use crate::time::SimTime;

/// A shard is flagged hot once it has taken more than this share of the writes since the last
/// change of shards (and at least [`HOT_MIN_WRITES`] of them).
pub const HOT_WRITE_SHARE: f64 = 50.0;
/// Writes needed before a shard can be flagged hot.
pub const HOT_MIN_WRITES: u64 = 4;

impl RangeShards {
    /// Shard `i`'s range in words (`ids 100,001–200,000`; `ids ≤ 100,000` for an end range that
    /// takes out-of-range ids), or its hash residue.
    pub fn caption(&self, i: u32) -> String {
        let range = self.range_caption(i);
        if self.splits_in_place() {
            format!("{range} · node {}", self.node(i))
        } else {
            range
        }
    }

    /// Work queued or in service at shard `i`'s node at `now`, µs.
    pub fn backlog_us(&self, i: u32, now: SimTime) -> u64 {
        self.servers
            .get(self.node(i) as usize)
            .map_or(0, |s| s.backlog_us(now))
    }

    /// The caption with the node's backlog when it has one (`ids 31–… · 1.20 s queued`).
    fn frame_caption(&self, i: u32, now: SimTime) -> String {
        let caption = self.caption(i);
        match self.backlog_us(i, now) {
            0 => caption,
            us => format!("{caption} · {} queued", duration(us)),
        }
    }

    fn range_caption(&self, i: u32) -> String {
        match &self.layout {
            Layout::Hash { n } => format!("hash % {n} = {i}"),
            Layout::Range(t) => {
                let (lo, hi) = t.range(i);
                let clamp = self.policy == OutOfRange::Clamp;
                let first = i == 0;
                let last = i + 1 == t.shards();
                match (clamp && first, clamp && last) {
                    (true, true) => "every id".to_string(),
                    (true, false) => format!("ids ≤ {}", grouped(hi)),
                    (false, true) => format!("ids ≥ {}", grouped(lo)),
                    (false, false) => format!("ids {}", span(lo, hi)),
                }
            }
        }
    }

    /// The share (percent) of the writes since the last change that went to the last shard.
    fn last_shard_write_share(&self) -> Option<f64> {
        let total: u64 = self.writes_per_shard.iter().sum();
        let last = *self.writes_per_shard.last()?;
        (total > 0).then(|| share_percent(last, total))
    }

    /// The largest share (percent) of the writes since the last change that one shard took.
    fn busiest_write_share(&self) -> Option<f64> {
        let total: u64 = self.writes_per_shard.iter().sum();
        let most = self.writes_per_shard.iter().copied().max()?;
        (total > 0).then(|| share_percent(most, total))
    }

    fn is_hot(&self, i: u32) -> bool {
        let total: u64 = self.writes_per_shard.iter().sum();
        let w = self.writes_per_shard[i as usize];
        self.shards() > 1 && w >= HOT_MIN_WRITES && share_percent(w, total) > HOT_WRITE_SHARE
    }

    fn rule(&self) -> String {
        match &self.layout {
            Layout::Hash { n } => format!("shard = murmur3(id) % {n}"),
            Layout::Range(t) => {
                let bounds: Vec<String> = t.bounds().iter().map(|b| grouped(*b)).collect();
                if bounds.is_empty() {
                    "shard = 0 (one range holds every id)".to_string()
                } else if bounds.len() <= 4 {
                    format!(
                        "shard = the range holding id · split after {}",
                        bounds.join(" | ")
                    )
                } else {
                    format!("shard = the range holding id · {} ranges", t.shards())
                }
            }
        }
    }

    fn router(&self) -> FrontView {
        let table = match &self.layout {
            Layout::Range(t) => format!("{} ranges", t.shards()),
            Layout::Hash { n } => format!("hash % {n}"),
        };
        let caption = match (self.refused, self.clamped) {
            (0, 0) => table,
            (r, 0) => format!("{table} · {r} refused"),
            (0, c) => format!("{table} · {c} clamped"),
            (r, c) => format!("{table} · {r} refused · {c} clamped"),
        };
        FrontView {
            id: "router".to_string(),
            label: "Router".to_string(),
            caption: Some(caption),
            down: false,
        }
    }

    /// Up to [`FRAME_KEYS`] keys in id order: all of them, or every k-th (a stride sample that
    /// stays put while new ids are appended at the top).
    fn drawn_keys(&self) -> Vec<ShardKeyView> {
        let stride = self.keys.len().div_ceil(FRAME_KEYS).max(1);
        self.keys
            .iter()
            .step_by(stride)
            .map(|&id| ShardKeyView {
                name: format!("id {}", grouped(id)),
                id,
                shard: self.shard_of(id),
                hot: false,
                share: None,
            })
            .collect()
    }

    /// The frame at `now`.
    pub(super) fn shard_frame(&self, now: SimTime) -> ShardFrame {
        ShardFrame {
            now,
            ring: None,
            fanout: None,
            rule: self.rule(),
            shards: (0..self.shards())
                .map(|i| ShardView {
                    caption: Some(self.frame_caption(i, now)),
                    hot: self.is_hot(i),
                    ..ShardView::new(
                        i,
                        self.name(i),
                        self.keys_per_shard[i as usize],
                        self.reads_per_shard[i as usize],
                    )
                })
                .collect(),
            keys: self.drawn_keys(),
            keys_total: self.keys.len() as u64,
            last_change: self.last_change.clone(),
            requests: self.recent.shown(now),
            front: vec![self.router()],
        }
    }

    /// The metrics now.
    pub(super) fn metric_set(&self) -> Metrics {
        let loads: Vec<f64> = self.keys_per_shard.iter().map(|c| *c as f64).collect();
        let [moved, pct] = moved_metrics(
            self.last_change
                .as_ref()
                .map(|c| (c.moves.len() as u64, c.total)),
        );
        let int = |v: u64| MetricValue::Int(v as i64);
        let ms = |us: Option<u64>| {
            us.map_or(MetricValue::None, |us| {
                MetricValue::Float(us as f64 / 1_000.0)
            })
        };
        let scan =
            |f: fn((u32, u64)) -> u64| self.last_scan.map_or(MetricValue::None, |s| int(f(s)));
        let mut groups = vec![
            MetricGroup {
                id: "keys_per_shard",
                label: "Keys per shard",
                unit: Some("keys"),
                values: per_shard(&self.keys_per_shard),
            },
            MetricGroup {
                id: "requests_per_shard",
                label: "Reads per shard",
                unit: Some("requests"),
                values: per_shard(&self.reads_per_shard),
            },
            MetricGroup {
                id: "writes_per_shard",
                label: "Writes per shard",
                unit: Some("writes"),
                values: per_shard(&self.writes_per_shard),
            },
        ];
        groups.push(MetricGroup {
            id: "queued_ms_per_shard",
            label: "Queued work per shard",
            unit: Some("ms"),
            values: (0..self.shards())
                .map(|i| (i.to_string(), self.backlog_us(i, self.now) as f64 / 1_000.0))
                .collect(),
        });
        if let Layout::Range(t) = &self.layout {
            groups.push(MetricGroup {
                id: "ids_per_shard",
                label: "Ids per range",
                unit: Some("ids"),
                values: (0..t.shards())
                    .map(|i| (i.to_string(), t.width(i) as f64))
                    .collect(),
            });
        }
        Metrics {
            scalars: vec![
                Metric {
                    id: "shards",
                    label: "Shards",
                    value: int(u64::from(self.shards())),
                    unit: None,
                    help: "Ranges in the table (or N in hash % N).",
                },
                Metric {
                    id: "keys",
                    label: "Keys",
                    value: int(self.keys.len() as u64),
                    unit: None,
                    help: "Ids stored.",
                },
                max_mean_metric(&loads),
                moved,
                pct,
                requests_metric(self.requests_total),
                Metric {
                    id: "writes",
                    label: "Writes",
                    value: int(self.writes_total),
                    unit: None,
                    help: "Keys written so far (new ids and updates).",
                },
                Metric {
                    id: "last_shard_write_share",
                    label: "Writes on the last shard",
                    value: self
                        .last_shard_write_share()
                        .map_or(MetricValue::None, MetricValue::Float),
                    unit: Some("%"),
                    help: "The last shard's share of the writes since the last change of shards: 100% is a hot tail.",
                },
                Metric {
                    id: "busiest_write_share",
                    label: "Writes on the busiest shard",
                    value: self
                        .busiest_write_share()
                        .map_or(MetricValue::None, MetricValue::Float),
                    unit: Some("%"),
                    help: "The busiest shard's share of the writes since the last change of shards.",
                },
                Metric {
                    id: "scan_shards",
                    label: "Shards the last scan asked",
                    value: scan(|(s, _)| u64::from(s)),
                    unit: None,
                    help: "A range scan asks only the ranges it crosses; under hash every shard.",
                },
                Metric {
                    id: "scan_keys",
                    label: "Keys the last scan returned",
                    value: scan(|(_, k)| k),
                    unit: None,
                    help: "Keys with ids inside the scanned span.",
                },
                Metric {
                    id: "mean_latency_ms",
                    label: "Mean latency",
                    value: ms((self.latency.count() > 0)
                        .then(|| self.latency_sum_us / self.latency.count())),
                    unit: Some("ms"),
                    help: "From arrival to answer, queueing included.",
                },
                Metric {
                    id: "p50_latency_ms",
                    label: "p50 latency",
                    value: ms(self.latency.quantile_us(500)),
                    unit: Some("ms"),
                    help: "Half took at most this long.",
                },
                Metric {
                    id: "p95_latency_ms",
                    label: "p95 latency",
                    value: ms(self.latency.quantile_us(950)),
                    unit: Some("ms"),
                    help: "95% took at most this long.",
                },
                Metric {
                    id: "p99_latency_ms",
                    label: "p99 latency",
                    value: ms(self.latency.quantile_us(990)),
                    unit: Some("ms"),
                    help: "99% took at most this long.",
                },
                Metric {
                    id: "shard_dropped",
                    label: "Requests dropped by shards",
                    value: int(self.dropped),
                    unit: None,
                    help: "Requests refused by a full queue.",
                },
                Metric {
                    id: "busiest_shard_util",
                    label: "Busiest node's utilisation",
                    value: self
                        .servers
                        .iter()
                        .map(|s| s.utilisation_percent(self.now))
                        .max_by(f64::total_cmp)
                        .map_or(MetricValue::None, MetricValue::Float),
                    unit: Some("%"),
                    help: "Share of its time the busiest node worked; near 100% its queue grows.",
                },
                Metric {
                    id: "refused",
                    label: "Refused ids",
                    value: int(self.refused),
                    unit: None,
                    help: "Reads and writes of ids outside the key space that the router refused.",
                },
                Metric {
                    id: "clamped",
                    label: "Clamped ids",
                    value: int(self.clamped),
                    unit: None,
                    help: "Reads and writes of ids outside the key space that landed silently on an end range.",
                },
            ],
            groups,
        }
    }
}
