//! What the hot-keys model draws and reports: the shard frame (with the cache and the split
//! router as front stages, replicas beside each shard and hot shards and keys flagged) and the
//! metrics.

use super::{sub_key_id, HotKeys, SplitMode, FRAME_KEYS, HOT_KEY_PERCENT, HOT_MIN_REQUESTS};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::common::{
    max_mean_metric, moved_metrics, per_shard, requests_metric, share_percent,
};
use crate::models::queueing::FifoServer;
use crate::models::shard_view::{FrontView, LoadShare, ShardFrame, ShardKeyView, ShardView};
use crate::time::SimTime;

fn percent_or_none(n: u64, total: u64) -> MetricValue {
    if total == 0 {
        MetricValue::None
    } else {
        MetricValue::Float(share_percent(n, total))
    }
}

fn ratio_or_none(n: u64, d: u64) -> MetricValue {
    if d == 0 {
        MetricValue::None
    } else {
        MetricValue::Float(n as f64 / d as f64)
    }
}

impl HotKeys {
    /// Whether user `id` is drawn as hot: the celebrity (with a share), or any user with at least
    /// [`HOT_KEY_PERCENT`] % of this period's requests once there are enough of them.
    fn key_is_hot(&self, id: u64) -> bool {
        if id == self.celebrity && self.share > 0 {
            return true;
        }
        let n = self.load.requests;
        n >= HOT_MIN_REQUESTS
            && self.load.per_key.get(&id).copied().unwrap_or(0) * 100 >= HOT_KEY_PERCENT * n
    }

    /// A hot key's share of this period's client requests, in percent (`None` for the others,
    /// and before any request).
    fn key_share(&self, id: u64) -> Option<f64> {
        let n = self.load.requests;
        (n > 0 && self.key_is_hot(id))
            .then(|| share_percent(self.load.per_key.get(&id).copied().unwrap_or(0), n))
    }

    fn drawn_keys(&self) -> Vec<ShardKeyView> {
        let split = self.split_active();
        let mut ids: Vec<u64> = (0..self.keys.min(FRAME_KEYS)).collect();
        if self.celebrity >= FRAME_KEYS {
            ids.push(self.celebrity);
        }
        let mut out: Vec<ShardKeyView> = ids
            .into_iter()
            .filter(|id| !(split && *id == self.celebrity))
            .map(|id| ShardKeyView {
                name: format!("user {id}"),
                id,
                shard: self.shard_of_key(id),
                hot: self.key_is_hot(id),
                share: self.key_share(id),
            })
            .collect();
        let hot = self.key_is_hot(self.celebrity);
        out.extend(
            self.sub_shards
                .iter()
                .enumerate()
                .map(|(j, s)| ShardKeyView {
                    name: format!("user {}#{j}", self.celebrity),
                    id: sub_key_id(self.celebrity, j as u32),
                    shard: *s,
                    hot,
                    share: None,
                }),
        );
        out
    }

    /// The busiest cache node by operations this period: (node, its share of all cache ops).
    fn busiest_cache_node(&self) -> Option<(usize, f64)> {
        let ops = &self.load.cache_ops;
        let total: u64 = ops.iter().sum();
        let (i, max) = ops
            .iter()
            .enumerate()
            .fold((0, 0), |b, (i, c)| if *c > b.1 { (i, *c) } else { b });
        (total > 0).then(|| (i, share_percent(max, total)))
    }

    fn front(&self) -> Vec<FrontView> {
        let mut front = Vec::new();
        if !self.locals.is_empty() {
            let l = &self.load;
            let caption = if l.l1_lookups == 0 {
                format!("{} servers · no reads yet", self.app_servers)
            } else {
                // Short: the box is narrow (the hit rate is a metric).
                format!("{} stale reads", l.l1_stale)
            };
            front.push(FrontView {
                id: "local".to_string(),
                label: "Local caches".to_string(),
                caption: Some(caption),
                down: false,
            });
        }
        let cap = self.cache_size;
        if cap > 0 {
            let held: u32 = self.caches.iter().map(|c| c.len()).sum();
            let lookups = self.load.reads - self.load.l1_hits;
            let mut caption = if lookups == 0 {
                format!("{held} of {cap} keys · no reads yet")
            } else {
                format!(
                    "hit rate {:.0}% · {held} of {cap} keys",
                    share_percent(self.load.cache_hits, lookups)
                )
            };
            // With several nodes the caption is the busiest node's (the hit rate is a metric).
            if let Some((node, share)) = self.busiest_cache_node().filter(|_| self.cache_nodes > 1)
            {
                caption = match self.cache_servers.get(node) {
                    Some(s) => format!("node {node}: {:.0}% busy", s.utilisation_percent(self.now)),
                    None => format!("node {node}: {share:.0}% of ops"),
                };
            }
            let label = if self.cache_nodes > 1 {
                format!("{} cache nodes", self.cache_nodes)
            } else {
                "LRU cache".to_string()
            };
            front.push(FrontView {
                id: "cache".to_string(),
                label,
                caption: Some(caption),
                down: false,
            });
        }
        if self.split_active() {
            let how = match self.mode {
                SplitMode::Copies => "copies: read one, write all",
                SplitMode::Counter => "parts: write one, read all",
            };
            front.push(FrontView {
                id: "router".to_string(),
                label: "Split router".to_string(),
                caption: Some(format!(
                    "user {} → {} sub-keys ({how})",
                    self.celebrity, self.split
                )),
                down: false,
            });
        }
        front
    }

    pub(super) fn frame_at(&self, now: SimTime) -> ShardFrame {
        let loads = self.shard_loads();
        let total = self.load.hops();
        let per = self.replicas as usize + 1;
        let n = f64::from(self.shards.max(1));
        let shards = (0..self.shards)
            .map(|i| {
                let load = loads[i as usize];
                // The share itself is drawn from `load`; with replicas the caption says how the
                // busiest node of the shard fares.
                let servers = self
                    .shard_servers
                    .get(i as usize * per..(i as usize + 1) * per)
                    .unwrap_or(&[]);
                let queued = servers
                    .iter()
                    .max_by(|a, b| {
                        a.utilisation_percent(self.now)
                            .total_cmp(&b.utilisation_percent(self.now))
                    })
                    .map(|s| {
                        let dropped: u64 = servers.iter().map(|s| s.dropped).sum();
                        format!(
                            "{:.0}% busy · {dropped} dropped",
                            s.utilisation_percent(self.now)
                        )
                    });
                let caption = queued.or_else(|| {
                    (total > 0 && self.replicas > 0).then(|| {
                        let busiest = (0..per)
                            .map(|r| self.load.node(i as usize * per + r))
                            .max()
                            .unwrap_or(0);
                        format!("busiest node {:.0}%", share_percent(busiest, total))
                    })
                });
                let share = (total > 0).then(|| {
                    let percent = share_percent(load, total);
                    LoadShare {
                        percent,
                        of_mean: percent * n / 100.0,
                    }
                });
                ShardView {
                    caption,
                    replicas: self.replicas,
                    hot: self.hot.contains(&i),
                    load: share,
                    ..ShardView::new(
                        i,
                        format!("Shard {i}"),
                        self.keys_per_shard[i as usize],
                        load,
                    )
                }
            })
            .collect();
        ShardFrame {
            now,
            ring: None,
            fanout: None,
            rule: format!("shard = jump_hash(user:id, {})", self.shards),
            shards,
            keys: self.drawn_keys(),
            keys_total: self.keys_per_shard.iter().sum(),
            last_change: self.last_change.clone(),
            requests: self.recent.shown(now),
            front: self.front(),
        }
    }

    pub(super) fn metrics_now(&self) -> Metrics {
        let l = &self.load;
        let loads = self.shard_loads();
        let total = l.hops();
        let per = self.replicas as usize + 1;
        let nodes: Vec<u64> = (0..l.node_reads.len()).map(|i| l.node(i)).collect();
        let busiest_shard = loads.iter().copied().max().unwrap_or(0);
        let busiest_node = nodes.iter().copied().max().unwrap_or(0);
        let [moved, pct] = moved_metrics(
            self.last_change
                .as_ref()
                .map(|c| (c.moves.len() as u64, c.total)),
        );
        let loads_f: Vec<f64> = loads.iter().map(|c| *c as f64).collect();
        let node_bars: Vec<(String, f64)> = nodes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (s, r) = (i / per, i % per);
                let label = if r == 0 {
                    format!("{s}p")
                } else {
                    format!("{s}r{r}")
                };
                (label, *c as f64)
            })
            .collect();
        Metrics {
            scalars: vec![
                Metric {
                    id: "shards",
                    label: "Shards",
                    value: MetricValue::Int(i64::from(self.shards)),
                    unit: None,
                    help: "How many shards the users are hashed over.",
                },
                Metric {
                    id: "keys",
                    label: "Users",
                    value: MetricValue::Int(self.keys as i64),
                    unit: None,
                    help: "User ids stored (a split celebrity is stored as several sub-keys).",
                },
                Metric {
                    help: "Client requests since the last change (every change restarts the load counters).",
                    ..requests_metric(l.requests)
                },
                Metric {
                    help: "Request load (not key count) of the busiest shard, primary and replicas together, over the mean shard's; 1.00 is even.",
                    ..max_mean_metric(&loads_f)
                },
                Metric {
                    id: "hottest_share",
                    label: "Busiest shard's share",
                    value: percent_or_none(busiest_shard, total),
                    unit: Some("%"),
                    help: "The share of all shard requests that the busiest shard served. With a celebrity and no split or cache it never drops below the celebrity's share, however many shards there are.",
                },
                Metric {
                    id: "max_node_load",
                    label: "Busiest node's requests",
                    value: MetricValue::Int(busiest_node as i64),
                    unit: None,
                    help: "Requests served by the busiest single node (a shard's primary or one of its read replicas) since the last change.",
                },
                Metric {
                    id: "max_node_share",
                    label: "Busiest node's share",
                    value: percent_or_none(busiest_node, total),
                    unit: Some("%"),
                    help: "The share of all shard requests the busiest node served: replicas lower it, writes (primary only) keep a floor under it.",
                },
                Metric {
                    id: "celebrity_share_observed",
                    label: "Celebrity's observed share",
                    value: percent_or_none(l.celebrity_requests, l.requests),
                    unit: Some("%"),
                    help: "The share of client requests that asked for the celebrity (its share plus what its ordinary popularity adds).",
                },
                Metric {
                    id: "cache_hit_rate",
                    label: "Cache hit rate",
                    value: if self.cache_size > 0 {
                        percent_or_none(l.cache_hits, l.reads)
                    } else {
                        MetricValue::None
                    },
                    unit: Some("%"),
                    help: "The share of reads the cache answered (writes never hit; they delete the cached copy).",
                },
                Metric {
                    id: "cache_top_share",
                    label: "Ideal cache hit rate",
                    value: self
                        .cache_top
                        .map_or(MetricValue::None, |x| MetricValue::Float(x * 100.0)),
                    unit: Some("%"),
                    help: "The share of requests that go to the cache-size most popular users, computed exactly: what a perfect cache of this size would hit if writes never invalidated it.",
                },
                Metric {
                    id: "read_fanout",
                    label: "Shard requests per read",
                    value: ratio_or_none(l.read_hops, l.read_queries),
                    unit: Some("×"),
                    help: "Shard requests per read that reached the shards: above 1 when reads gather the parts of a split key.",
                },
                Metric {
                    id: "write_fanout",
                    label: "Shard requests per write",
                    value: ratio_or_none(l.write_hops, l.write_queries),
                    unit: Some("×"),
                    help: "Shard requests per write: above 1 when writes update every copy of a split key.",
                },
                moved,
                pct,
            ]
            .into_iter()
            .chain(self.capacity_metrics())
            .collect(),
            groups: [
                MetricGroup {
                    id: "requests_per_shard",
                    label: "Requests per shard",
                    unit: Some("requests"),
                    values: per_shard(&loads),
                },
                MetricGroup {
                    id: "keys_per_shard",
                    label: "Keys per shard",
                    unit: Some("keys"),
                    values: per_shard(&self.keys_per_shard),
                },
                MetricGroup {
                    id: "requests_per_node",
                    label: "Requests per node",
                    unit: Some("requests"),
                    values: node_bars,
                },
            ]
            .into_iter()
            .chain(self.cache_groups())
            .collect(),
        }
    }

    /// The busiest utilisation among `servers`, in percent (None without servers).
    fn busiest_utilisation(&self, servers: &[FifoServer]) -> MetricValue {
        servers
            .iter()
            .map(|s| s.utilisation_percent(self.now))
            .max_by(f64::total_cmp)
            .map_or(MetricValue::None, MetricValue::Float)
    }

    /// Queues, drops, latency and the two cache fixes' figures.
    fn capacity_metrics(&self) -> Vec<Metric> {
        let l = &self.load;
        let timed = self.cache_us > 0 || self.shard_us > 0;
        let quantile = |permille| {
            l.latency
                .quantile_us(permille)
                .filter(|_| timed)
                .map_or(MetricValue::None, |us| {
                    MetricValue::Float(us as f64 / 1_000.0)
                })
        };
        let count_if = |on: bool, n: u64| {
            if on {
                MetricValue::Int(n as i64)
            } else {
                MetricValue::None
            }
        };
        let local = !self.locals.is_empty();
        vec![
            Metric {
                id: "read_p50_ms",
                label: "Read latency p50",
                value: quantile(500),
                unit: Some("ms"),
                help: "Half the reads answered since the last change took at most this long, from arrival to answer, queueing included (local cache hits count 0). Needs a cache or shard operation time.",
            },
            Metric {
                id: "read_p99_ms",
                label: "Read latency p99",
                value: quantile(990),
                unit: Some("ms"),
                help: "99% of the reads answered took at most this long, queueing at cache nodes and shards included; dropped reads are not in it (see the drops).",
            },
            Metric {
                id: "busiest_shard_util",
                label: "Busiest shard node's utilisation",
                value: self.busiest_utilisation(&self.shard_servers),
                unit: Some("%"),
                help: "The share of the time since the last change that the busiest shard node (primary or replica) spent serving requests. Needs a shard request time.",
            },
            Metric {
                id: "shard_dropped",
                label: "Requests dropped by shards",
                value: count_if(self.shard_us > 0, l.shard_drops),
                unit: None,
                help: "Requests that failed because a shard node they needed had a full queue.",
            },
            Metric {
                id: "cache_node_share",
                label: "Busiest cache node's share",
                value: self
                    .busiest_cache_node()
                    .map_or(MetricValue::None, |(_, s)| MetricValue::Float(s)),
                unit: Some("%"),
                help: "The share of all cache operations (gets, sets, deletes) the busiest cache node served. Keys are hashed to nodes, so the celebrity's node serves at least its share.",
            },
            Metric {
                id: "busiest_cache_util",
                label: "Busiest cache node's utilisation",
                value: self.busiest_utilisation(&self.cache_servers),
                unit: Some("%"),
                help: "The share of the time since the last change that the busiest cache node spent serving operations. Needs a cache operation time.",
            },
            Metric {
                id: "cache_dropped",
                label: "Reads dropped by cache nodes",
                value: count_if(!self.cache_servers.is_empty(), l.cache_drops),
                unit: None,
                help: "Reads that failed because their cache node's queue was full.",
            },
            Metric {
                id: "l1_hit_rate",
                label: "Local cache hit rate",
                value: if local {
                    percent_or_none(l.l1_hits, l.l1_lookups)
                } else {
                    MetricValue::None
                },
                unit: Some("%"),
                help: "The share of reads an app server answered from its own memory, without asking the cache.",
            },
            Metric {
                id: "stale_reads",
                label: "Stale reads",
                value: count_if(local, l.l1_stale),
                unit: None,
                help: "Reads a local cache answered with a value a write had already replaced: nobody invalidates local caches, so this lasts until the entry's TTL runs out.",
            },
            Metric {
                id: "stale_read_percent",
                label: "Stale reads, share of reads",
                value: if local {
                    percent_or_none(l.l1_stale, l.reads)
                } else {
                    MetricValue::None
                },
                unit: Some("%"),
                help: "Stale reads as a share of all reads.",
            },
        ]
    }

    /// Operations and utilisation per cache node, when the cache has several nodes.
    fn cache_groups(&self) -> Vec<MetricGroup> {
        if self.cache_size == 0 || self.cache_nodes < 2 {
            return Vec::new();
        }
        let label = |i: usize| format!("c{i}");
        let mut groups = vec![MetricGroup {
            id: "ops_per_cache_node",
            label: "Operations per cache node",
            unit: Some("operations"),
            values: self
                .load
                .cache_ops
                .iter()
                .enumerate()
                .map(|(i, c)| (label(i), *c as f64))
                .collect(),
        }];
        if !self.cache_servers.is_empty() {
            groups.push(MetricGroup {
                id: "cache_node_utilisation",
                label: "Utilisation per cache node",
                unit: Some("%"),
                values: self
                    .cache_servers
                    .iter()
                    .enumerate()
                    .map(|(i, s)| (label(i), s.utilisation_percent(self.now)))
                    .collect(),
            });
        }
        groups
    }
}
