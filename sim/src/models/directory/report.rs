//! What the directory model shows: the shard frame (buckets with their tenants, the client
//! caches and the directory in front) and the metrics.

use super::DirectoryModel;
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::common::{max_mean_metric, moved_metrics, requests_metric, share_percent};
use crate::models::shard_view::{FrontView, ShardFrame, ShardKeyView, ShardView};
use crate::time::SimTime;

fn int(id: &'static str, label: &'static str, v: u64, help: &'static str) -> Metric {
    Metric {
        id,
        label,
        value: MetricValue::Int(v as i64),
        unit: None,
        help,
    }
}

fn float_or_none(v: Option<f64>) -> MetricValue {
    v.map_or(MetricValue::None, MetricValue::Float)
}

/// `1 s`, `250 ms`.
fn ttl_text(us: u64) -> String {
    if us >= 1_000_000 && us % 1_000_000 == 0 {
        format!("{} s", us / 1_000_000)
    } else {
        format!("{} ms", us / 1_000)
    }
}

impl DirectoryModel {
    /// What a shard's caption says: the copy leaving it, a drain, or its biggest tenants.
    fn shard_caption(&self, index: u32, now: SimTime) -> Option<String> {
        let phys = self.dir.phys_at(index)?;
        if let Some(m) = &self.migration {
            if m.removing.contains(&phys) {
                return Some("draining".into());
            }
            if let Some(mv) = m.moves.iter().find(|mv| mv.from == phys) {
                let name = &self.dir.tenants()[mv.tenant as usize].name;
                let to = self.dir.index_of(mv.to).unwrap_or(0);
                if m.copied {
                    return Some(format!("{name} → {to}: copied, flip waits"));
                }
                let span = m.done_at.since(m.started).max(1);
                let pct = now.since(m.started).min(span) * 100 / span;
                return Some(format!("copying {name} → {to} ({pct}%)"));
            }
        }
        let on = self.dir.tenants_on(index);
        let names: Vec<&str> = on
            .iter()
            .take(2)
            .map(|t| self.dir.tenants()[*t as usize].name.as_str())
            .collect();
        match on.len() {
            0 => Some("empty".into()),
            1 | 2 => Some(names.join(", ")),
            n => Some(format!("{} +{}", names.join(", "), n - 2)),
        }
    }

    fn served_on(&self, index: u32) -> u64 {
        self.dir
            .phys_at(index)
            .and_then(|p| self.served_by_phys.get(&p).copied())
            .unwrap_or(0)
    }

    fn hit_rate(&self) -> Option<f64> {
        (self.stats.requests > 0).then(|| share_percent(self.stats.cache_hits, self.stats.requests))
    }

    /// The frame at `now`.
    pub(super) fn shard_frame(&self, now: SimTime) -> ShardFrame {
        let loads = self.dir.loads();
        let n = self.dir.shard_count();
        let total = self.key_tenant.len() as u64;
        let shards = (0..n)
            .map(|i| {
                let keys = loads[i as usize];
                let mut v = ShardView::new(i, format!("Shard {i}"), keys, self.served_on(i));
                v.caption = self.shard_caption(i, now);
                // A hot spot: at least 1.25 × the mean number of keys.
                v.hot = n > 1 && keys * u64::from(n) * 4 >= total * 5;
                v
            })
            .collect();
        let keys = self
            .drawn
            .iter()
            .map(|&id| ShardKeyView {
                name: self.key_name(id),
                id,
                shard: self.shard_of_key(id).unwrap_or(0),
                hot: false,
                share: None,
            })
            .collect();
        let cache_caption = if self.caches.is_versioned() {
            match self.hit_rate() {
                Some(r) => format!("versioned · hit {r:.0}%"),
                None => "versioned".to_string(),
            }
        } else if self.caches.enabled() {
            match self.hit_rate() {
                Some(r) => format!("TTL {} · hit {r:.0}%", ttl_text(self.caches.ttl_us())),
                None => format!("TTL {}", ttl_text(self.caches.ttl_us())),
            }
        } else {
            "off (TTL 0)".to_string()
        };
        let tenants = self.dir.tenants().len();
        let directory_caption = if self.directory_up {
            format!("{tenants} tenants → {n} shards")
        } else {
            format!("DOWN · {tenants} tenants")
        };
        ShardFrame {
            now,
            ring: None,
            fanout: None,
            rule: "shard = directory[tenant]".to_string(),
            shards,
            keys,
            keys_total: total,
            last_change: self.last_change.clone(),
            requests: self.recent.shown(now),
            front: vec![
                FrontView {
                    id: "cache".into(),
                    label: "Client cache".into(),
                    caption: Some(cache_caption),
                    down: false,
                },
                FrontView {
                    id: "directory".into(),
                    label: "Directory".into(),
                    caption: Some(directory_caption),
                    down: !self.directory_up,
                },
            ],
        }
    }

    /// The metrics.
    pub(super) fn report(&self) -> Metrics {
        let loads = self.dir.loads();
        let total = self.key_tenant.len() as u64;
        let s = &self.stats;
        let f: Vec<f64> = loads.iter().map(|c| *c as f64).collect();
        let [moved, moved_pct] = moved_metrics(
            self.last_change
                .as_ref()
                .map(|c| (c.moves.len() as u64, c.total)),
        );
        let (modulo, modulo_pct) = match self.last_modulo {
            Some((m, t)) => (
                MetricValue::Int(m as i64),
                MetricValue::Float(share_percent(m, t)),
            ),
            None => (MetricValue::None, MetricValue::None),
        };
        let largest = self.dir.tenants().iter().map(|t| t.keys).max().unwrap_or(0);
        let asked = (s.requests > 0).then_some(());
        let ms = |us: u64| us as f64 / 1_000.0;
        let scalars = vec![
            int("shards", "Shards", u64::from(self.dir.shard_count()), "Shards in the directory's list."),
            int("tenants", "Tenants", self.dir.tenants().len() as u64, "Tenants in the directory."),
            int("keys", "Keys", total, "All tenants' keys."),
            max_mean_metric(&f),
            moved,
            moved_pct,
            int(
                "keys_moved_total",
                "Keys moved (all flips)",
                self.keys_moved_total,
                "Keys copied to another shard by every directory flip so far.",
            ),
            Metric {
                id: "modulo_moved_keys",
                label: "… a % N rule would move",
                value: modulo,
                unit: None,
                help: "Keys a stateless tenant % N (or hash % N) rule would have moved at the last change of shard count.",
            },
            Metric {
                id: "modulo_moved_percent",
                label: "… as a share",
                value: modulo_pct,
                unit: Some("%"),
                help: "The same, as a share of all keys.",
            },
            Metric {
                id: "largest_tenant_percent",
                label: "Largest tenant",
                value: float_or_none((total > 0).then(|| share_percent(largest, total))),
                unit: Some("%"),
                help: "The biggest tenant's share of the keys: a tenant is never split, so its shard holds at least this much.",
            },
            requests_metric(s.requests),
            int(
                "directory_lookups",
                "Directory lookups",
                s.lookups,
                "Lookups the directory answered.",
            ),
            Metric {
                id: "directory_share",
                label: "Needed the directory",
                value: float_or_none(asked.map(|_| share_percent(s.needed_directory, s.requests))),
                unit: Some("%"),
                help: "Requests that had to ask the directory (no fresh cache entry, or a stale one).",
            },
            Metric {
                id: "cache_hit_rate",
                label: "Cache hit rate",
                value: float_or_none(self.hit_rate()),
                unit: Some("%"),
                help: "Requests that found a fresh entry in their client's cache (right or stale).",
            },
            int(
                "failed_requests",
                "Failed requests",
                s.failed,
                "Requests that needed the directory while it was down, or found a full queue.",
            ),
            int(
                "misrouted_requests",
                "Misrouted requests",
                s.misrouted,
                "Requests a stale cache entry sent to the wrong shard, which answered “moved” (or, to a versioned entry, a stale-version error).",
            ),
            Metric {
                id: "mean_latency_ms",
                label: "Mean latency",
                value: float_or_none(
                    (s.served > 0).then(|| ms(s.latency_sum_us) / s.served as f64),
                ),
                unit: Some("ms"),
                help: "Arrival to answer: directory if needed, then the shard (twice if misrouted), queueing included.",
            },
            Metric {
                id: "p50_latency_ms",
                label: "p50 latency",
                value: float_or_none(s.quantile_us(500).map(ms)),
                unit: Some("ms"),
                help: "Half took at most this long.",
            },
            Metric {
                id: "p95_latency_ms",
                label: "p95 latency",
                value: float_or_none(s.quantile_us(950).map(ms)),
                unit: Some("ms"),
                help: "95% took at most this long.",
            },
            Metric {
                id: "p99_latency_ms",
                label: "p99 latency",
                value: float_or_none(s.quantile_us(990).map(ms)),
                unit: Some("ms"),
                help: "99% took at most this long.",
            },
            Metric {
                id: "mean_wait_ms",
                label: "Mean queueing",
                value: float_or_none(
                    (s.served > 0).then(|| ms(s.wait_sum_us) / s.served as f64),
                ),
                unit: Some("ms"),
                help: "Average wait in queues (or a freeze) per served request.",
            },
            Metric {
                id: "directory_util",
                label: "Directory utilisation",
                value: MetricValue::Float(self.dir_server.utilisation_percent(self.now)),
                unit: Some("%"),
                help: "Share of its time the directory worked; near 100% its queue grows.",
            },
            int(
                "directory_dropped",
                "Dropped by the directory",
                s.directory_dropped,
                "Requests refused by its full queue.",
            ),
            Metric {
                id: "busiest_shard_util",
                label: "Busiest shard's utilisation",
                value: (0..self.dir.shard_count())
                    .filter_map(|i| self.shard_server(i))
                    .map(|q| q.utilisation_percent(self.now))
                    .max_by(f64::total_cmp)
                    .map_or(MetricValue::None, MetricValue::Float),
                unit: Some("%"),
                help: "Share of its time the busiest shard worked.",
            },
            int(
                "shard_dropped",
                "Requests dropped by shards",
                s.shard_dropped,
                "Requests refused by a full shard queue.",
            ),
            Metric {
                id: "stale_version_errors",
                label: "Stale-version errors",
                value: if self.caches.is_versioned() {
                    MetricValue::Int(s.stale_errors as i64)
                } else {
                    MetricValue::None
                },
                unit: None,
                help: "Requests a shard refused for an old entry version.",
            },
            int(
                "cache_refreshes",
                "Cache refreshes",
                s.refreshes,
                "Lookups for an entry that had expired or was refused as stale.",
            ),
            int(
                "blocked_requests",
                "Held by a freeze",
                s.blocked,
                "Requests that waited out a cutover freeze.",
            ),
            Metric {
                id: "freeze_ms",
                label: "Last freeze",
                value: float_or_none(self.last_freeze_us.map(ms)),
                unit: Some("ms"),
                help: "From the end of the catch-up to the flip.",
            },
            int(
                "catch_up_writes",
                "Writes caught up",
                self.catch_up_total,
                "Writes made during a copy, replayed before the flip.",
            ),
            Metric {
                id: "directory",
                label: "Directory",
                value: MetricValue::Text(if self.directory_up { "up" } else { "down" }.into()),
                unit: None,
                help: "Whether the directory answers lookups.",
            },
        ];
        let by_index = |v: Vec<u64>| -> Vec<(String, f64)> {
            v.into_iter()
                .enumerate()
                .map(|(i, c)| (i.to_string(), c as f64))
                .collect()
        };
        let served: Vec<u64> = (0..self.dir.shard_count())
            .map(|i| self.served_on(i))
            .collect();
        Metrics {
            scalars,
            groups: vec![
                MetricGroup {
                    id: "keys_per_shard",
                    label: "Keys per shard",
                    unit: Some("keys"),
                    values: by_index(loads),
                },
                MetricGroup {
                    id: "requests_per_shard",
                    label: "Requests per shard",
                    unit: Some("requests"),
                    values: by_index(served),
                },
                MetricGroup {
                    id: "keys_per_tenant",
                    label: "Keys per tenant",
                    unit: Some("keys"),
                    values: self
                        .dir
                        .tenants()
                        .iter()
                        .map(|t| (t.name.clone(), t.keys as f64))
                        .collect(),
                },
            ],
        }
    }
}
