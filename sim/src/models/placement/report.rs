//! What the placement model reports: the shard frame and the metrics.

use super::placer::Placer;
use super::{PlacementModel, FRAME_KEYS};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::common::{max_mean_metric, moved_metrics, requests_metric, share_percent};
use crate::models::shard_view::{ShardFrame, ShardKeyView, ShardView};
use crate::time::SimTime;
use std::rc::Rc;

/// One bar per shard index for whole-number counts.
fn count_bars(v: &[u64]) -> Vec<(String, f64)> {
    (0u32..)
        .zip(v)
        .map(|(i, c)| (i.to_string(), *c as f64))
        .collect()
}

impl PlacementModel {
    /// How the current strategy maps a key to a shard, in one line.
    pub fn rule(&self) -> String {
        let n = self.servers.len();
        match &self.placer {
            Placer::Modulo { hash, .. } => format!("shard = {}(user:id) % {n}", hash.id()),
            Placer::Ring { .. } if self.live.is_some() => format!(
                "request → next ring server clockwise with fewer live requests than its slots (factor {} %)",
                self.live.as_ref().map_or(0, |l| l.loads.factor())
            ),
            Placer::Jump { .. } => format!("shard = jump_hash(fnv1a64(user:id), {n})"),
            Placer::Ring { ring, .. } => format!(
                "shard = next of {} ring points clockwise ({})",
                ring.points().len(),
                self.settings.hash.id()
            ),
            Placer::Ketama { ketama, .. } => format!(
                "shard = next of {} {} MD5 points clockwise",
                ketama.points().len(),
                self.settings.flavor.id()
            ),
            Placer::Rendezvous { .. } => {
                "shard = the highest −weight / ln(hash(server, user:id))".to_string()
            }
            Placer::Bounded { bounded, .. } => format!(
                "shard = next ring point clockwise below {} keys (ε = {})",
                bounded.capacity(),
                crate::params::ParamValue::Float(bounded.epsilon()).to_text()
            ),
            Placer::Slots { owner } => {
                let mut count = vec![0u32; n];
                owner.iter().for_each(|&o| count[o as usize] += 1);
                let (lo, hi) = (count.iter().min(), count.iter().max());
                let each = match (lo, hi) {
                    (Some(a), Some(b)) if a == b => format!("{a} slots each"),
                    (Some(a), Some(b)) => format!("{a}–{b} slots each"),
                    _ => String::new(),
                };
                format!("shard = owner of slot crc16(user:id) % 16384 ({each})")
            }
        }
    }

    /// What to draw at `now`.
    pub(super) fn frame_at(&self, now: SimTime) -> ShardFrame {
        let capacity = self.placer.bounded().map(|b| b.capacity());
        let honours = self.settings.strategy.honours_weights(self.settings.flavor);
        let shards = self
            .servers
            .iter()
            .zip(0u32..)
            .map(|(s, i)| {
                let keys = self.keys_per_shard[i as usize];
                let mut caption = s.address();
                let fill = self.fill_percent(i as usize);
                if let Some(f) = fill {
                    caption.push_str(&format!(" · {f:.0} % full"));
                }
                let live = self.live.as_ref().map(|l| {
                    let n = l.loads.live()[i as usize];
                    caption.push_str(&format!(" · {n} live"));
                    n >= l.loads.slots_of(i as usize)
                });
                if s.weight != 1 {
                    caption.push_str(&format!(" · weight {}", s.weight));
                    if !honours {
                        caption.push_str(" (ignored)");
                    }
                }
                ShardView {
                    caption: Some(caption),
                    hot: capacity.is_some_and(|c| keys >= u64::from(s.weight) * c)
                        || fill.is_some_and(|f| f > 100.0)
                        || live == Some(true),
                    ..ShardView::new(
                        i,
                        format!("Shard {i}"),
                        keys,
                        self.requests_per_shard[i as usize],
                    )
                }
            })
            .collect();
        let mut keys: Vec<ShardKeyView> = self
            .ids
            .iter()
            .zip(self.owner.iter())
            .take(FRAME_KEYS)
            .map(|(&id, &shard)| ShardKeyView {
                name: format!("user {id}"),
                id,
                shard,
                hot: false,
                share: None,
            })
            .collect();
        crate::order::sort_by_key(&mut keys, |k| k.id);
        ShardFrame {
            now,
            ring: self.ring_frame(now).map(Rc::new),
            fanout: None,
            rule: self.rule(),
            shards,
            keys,
            keys_total: self.ids.len() as u64,
            last_change: self.last_change.clone(),
            requests: self.recent.shown(now),
            front: Vec::new(),
        }
    }

    /// Shard `i`'s users over its capacity, in per cent, when it has a capacity: its keys times
    /// the users each key stands for (1 without a population).
    pub fn fill_percent(&self, i: usize) -> Option<f64> {
        let cap = self.servers.get(i)?.capacity?;
        let users = self.keys_per_shard[i] as f64 * self.users_per_key.unwrap_or(1.0);
        Some(100.0 * users / cap as f64)
    }

    /// The metrics of bounded live loads (all empty for other runs). The "top key" is the first
    /// key, rank 1: the hottest under Zipf popularity.
    fn live_metrics(&self) -> (Vec<Metric>, Vec<MetricGroup>) {
        let live = self.live.as_ref();
        let pct = |a: u64, b: u64| {
            if b > 0 {
                MetricValue::Float(share_percent(a, b))
            } else {
                MetricValue::None
            }
        };
        let (fwd, fwd_keys, ratio, hot_fwd, now) = match live {
            Some(l) => {
                let asked = l.per_key.iter().filter(|k| k[0] > 0).count() as u64;
                let hit = l.per_key.iter().filter(|k| k[1] > 0).count() as u64;
                let top = l.per_key.first().filter(|k| k[0] > 0);
                (
                    pct(l.forwarded, l.routed),
                    pct(hit, asked),
                    if l.routed > 0 {
                        MetricValue::Float(l.ratio_sum / l.routed as f64)
                    } else {
                        MetricValue::None
                    },
                    top.map_or(MetricValue::None, |k| pct(u64::from(k[1]), u64::from(k[0]))),
                    MetricValue::Int(l.loads.total() as i64),
                )
            }
            None => (
                MetricValue::None,
                MetricValue::None,
                MetricValue::None,
                MetricValue::None,
                MetricValue::None,
            ),
        };
        let scalars = vec![
            Metric {
                id: "forwarded_requests_percent",
                label: "Requests forwarded",
                value: fwd,
                unit: Some("%"),
                help: "Live bound: requests served past their key's ring owner.",
            },
            Metric {
                id: "forwarded_keys_percent",
                label: "Keys ever forwarded",
                value: fwd_keys,
                unit: Some("%"),
                help: "Live bound: requested keys with a request forwarded.",
            },
            Metric {
                id: "live_max_mean",
                label: "Max / mean live",
                value: ratio,
                unit: Some("×"),
                help: "Live bound: busiest server over the mean, averaged over arrivals.",
            },
            Metric {
                id: "hot_key_forwarded_percent",
                label: "Top key forwarded",
                value: hot_fwd,
                unit: Some("%"),
                help: "Live bound: the rank-1 key's requests served past its ring owner.",
            },
            Metric {
                id: "live_requests",
                label: "Live requests",
                value: now,
                unit: None,
                help: "Live bound: requests in service now.",
            },
        ];
        let mut groups = Vec::new();
        if let Some(l) = live {
            groups.push(MetricGroup {
                id: "live_per_shard",
                label: "Live requests per shard",
                unit: Some("requests"),
                values: count_bars(l.loads.live()),
            });
            groups.push(MetricGroup {
                id: "hot_key_by_shard",
                label: "Top key's requests per shard",
                unit: Some("requests"),
                values: count_bars(&l.top_by_shard),
            });
        }
        (scalars, groups)
    }

    /// The fill metrics: the fullest shard's fill and every shard's (empty without capacities).
    fn fill_metrics(&self) -> (Metric, Option<MetricGroup>) {
        let fills: Vec<(String, f64)> = (0..self.servers.len())
            .filter_map(|i| Some((self.servers[i].address(), self.fill_percent(i)?)))
            .collect();
        let max = fills
            .iter()
            .map(|(_, f)| *f)
            .fold(None, |m: Option<f64>, f| Some(m.map_or(f, |m| m.max(f))));
        let metric = Metric {
            id: "max_fill_percent",
            label: "Fullest vs capacity",
            value: max.map_or(MetricValue::None, MetricValue::Float),
            unit: Some("%"),
            help: "The fullest shard's users over its capacity.",
        };
        let group = (!fills.is_empty()).then_some(MetricGroup {
            id: "fill_percent",
            label: "Users vs capacity",
            unit: Some("%"),
            values: fills,
        });
        (metric, group)
    }

    /// The metrics now.
    pub(super) fn metrics_now(&self) -> Metrics {
        let loads: Vec<f64> = self.keys_per_shard.iter().map(|c| *c as f64).collect();
        let n = loads.len().max(1) as f64;
        let mean = loads.iter().sum::<f64>() / n;
        let var = loads.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n;
        let m = self.ids.len() as f64;
        let total_weight: f64 = self.servers.iter().map(|s| f64::from(s.weight)).sum();
        let fair: Vec<f64> = self
            .servers
            .iter()
            .map(|s| m * f64::from(s.weight) / total_weight)
            .collect();
        let max_fair = loads
            .iter()
            .zip(&fair)
            .map(|(l, f)| l / f)
            .fold(0.0, f64::max);
        let change = self.last_change.as_ref();
        let [moved, moved_pct] = moved_metrics(change.map(|c| (c.moves.len() as u64, c.total)));
        let (modulo, modulo_pct) = match (change, self.last_modulo_moved) {
            (Some(c), Some(mm)) => (
                MetricValue::Int(mm as i64),
                MetricValue::Float(share_percent(mm, c.total)),
            ),
            _ => (MetricValue::None, MetricValue::None),
        };
        let opt = |v: Option<u64>| v.map_or(MetricValue::None, |v| MetricValue::Int(v as i64));
        let bars = |v: &[f64]| -> Vec<(String, f64)> {
            v.iter()
                .enumerate()
                .map(|(i, c)| (i.to_string(), *c))
                .collect()
        };
        let requests: Vec<f64> = self.requests_per_shard.iter().map(|c| *c as f64).collect();
        let mut metrics = Metrics {
            scalars: vec![
                Metric {
                    id: "strategy",
                    label: "Strategy",
                    value: MetricValue::Text(self.settings.strategy.id().to_string()),
                    unit: None,
                    help: "The placement rule in use.",
                },
                Metric {
                    id: "shards",
                    label: "Shards",
                    value: MetricValue::Int(self.servers.len() as i64),
                    unit: None,
                    help: "Servers the keys are spread over.",
                },
                Metric {
                    id: "keys",
                    label: "Keys",
                    value: MetricValue::Int(self.ids.len() as i64),
                    unit: None,
                    help: "User ids placed.",
                },
                max_mean_metric(&loads),
                Metric {
                    id: "max_fair_ratio",
                    label: "Max / fair share",
                    value: if m > 0.0 {
                        MetricValue::Float(max_fair)
                    } else {
                        MetricValue::None
                    },
                    unit: Some("×"),
                    help: "The fullest shard's keys over its share by weight (keys × weight / total weight); 1.00 is exactly fair.",
                },
                Metric {
                    id: "load_stddev",
                    label: "Load std. deviation",
                    value: MetricValue::Float(libm::sqrt(var)),
                    unit: Some("keys"),
                    help: "How far the shards' key counts spread around the mean.",
                },
                moved,
                moved_pct,
                Metric {
                    id: "modulo_moved_keys",
                    label: "hash % N would move",
                    value: modulo,
                    unit: None,
                    help: "Keys that hash % N over the same servers would have moved at the last change.",
                },
                Metric {
                    id: "modulo_moved_percent",
                    label: "hash % N share",
                    value: modulo_pct,
                    unit: Some("%"),
                    help: "The same, as a share of all keys.",
                },
                Metric {
                    id: "capacity",
                    label: "Capacity per server",
                    value: opt(self.placer.bounded().map(|b| b.capacity())),
                    unit: Some("keys"),
                    help: "Bounded loads: ⌈(1 + ε) · keys / servers⌉, the most keys a server (of weight 1) may hold.",
                },
                Metric {
                    id: "forwarded_keys",
                    label: "Keys past a full owner",
                    value: opt(self.forwarded),
                    unit: None,
                    help: "Bounded loads: keys whose plain ring owner was full, so they went further clockwise.",
                },
                requests_metric(self.requests_total),
            ],
            groups: vec![
                MetricGroup {
                    id: "keys_per_shard",
                    label: "Keys per shard",
                    unit: Some("keys"),
                    values: bars(&loads),
                },
                MetricGroup {
                    id: "requests_per_shard",
                    label: "Requests per shard",
                    unit: Some("requests"),
                    values: bars(&requests),
                },
                MetricGroup {
                    id: "fair_keys_per_shard",
                    label: "Fair share by weight",
                    unit: Some("keys"),
                    values: bars(&fair),
                },
            ],
        };
        let (fill, fill_group) = self.fill_metrics();
        metrics.scalars.push(fill);
        metrics.groups.extend(fill_group);
        let (scalars, groups) = self.live_metrics();
        metrics.scalars.extend(scalars);
        metrics.groups.extend(groups);
        metrics
    }
}
