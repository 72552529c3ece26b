//! What the hash-ring model reports: the frame the diagram draws and the metrics panel's numbers.

use super::view::{KeyView, RemovedServer, RingFrame, ServerView};
use super::{HashRingModel, FRAME_KEYS, REQUEST_SHOWN_US};
use crate::hashing::arcs::OwnedArc;
use crate::hashing::ring::{HashRing, Position};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};
use crate::models::common::{max_mean_metric, moved_metrics, requests_metric, share_percent};
use crate::time::SimTime;

/// Where one live server's points, marker and arcs are: what the frame draws of it, which
/// changes only with membership (so it is computed then, not every frame).
#[derive(Clone, Debug, PartialEq)]
pub(super) struct ServerShape {
    points: Vec<Position>,
    anchor: Position,
    arcs: Vec<OwnedArc>,
}

impl ServerShape {
    /// Where the server's marker is (its point 0).
    pub(super) fn anchor(&self) -> Position {
        self.anchor
    }
}

/// Every live server's shape on `ring`, in name order. Under `hash % N` (`modulo`) servers own
/// no arcs.
pub(super) fn server_shapes(ring: &HashRing, modulo: bool) -> Vec<ServerShape> {
    let names: Vec<&str> = ring.servers().collect();
    let mut shapes = vec![
        ServerShape {
            points: Vec::new(),
            anchor: 0,
            arcs: Vec::new(),
        };
        names.len()
    ];
    for p in ring.points() {
        if let Ok(i) = names.binary_search(&p.server.as_str()) {
            shapes[i].points.push(p.position);
            if p.index == 0 {
                shapes[i].anchor = p.position;
            }
        }
    }
    if !modulo {
        for a in ring.owned_arcs() {
            shapes[a.owner].arcs.push(a);
        }
    }
    shapes
}

impl HashRingModel {
    /// What to draw at `now`.
    pub(super) fn frame_at(&self, now: SimTime) -> RingFrame {
        let arcs = &self.arcs;
        let servers = self
            .ring
            .servers()
            .zip(self.shapes.iter())
            .map(|(s, shape)| ServerView {
                name: s.to_string(),
                color: self.colors.get(s).copied().unwrap_or(0),
                points: shape.points.clone(),
                anchor: shape.anchor,
                arcs: shape.arcs.clone(),
                arc_percent: arcs.get(s).copied().unwrap_or(0) as f64 * 100.0
                    / crate::hashing::ring::RING_SIZE as f64,
                pinned: self.ring.fixed_position(s).is_some(),
                keys: self.keys_per_server.get(s).copied().unwrap_or(0),
                requests: self.requests_per_server.get(s).copied().unwrap_or(0),
            })
            .collect();
        let mut shown = 0;
        let keys = self
            .keys
            .iter()
            .filter(|k| {
                let take = k.named || shown < FRAME_KEYS;
                if take && !k.named {
                    shown += 1;
                }
                take
            })
            .map(|k| KeyView {
                name: k.name.clone(),
                position: k.position,
                owners: if self.modulo {
                    vec![self.owner_of(k.position)]
                } else {
                    self.ring
                        .replicas(k.position, self.replicas)
                        .into_iter()
                        .map(str::to_string)
                        .collect()
                },
                named: k.named,
            })
            .collect();
        let requests = self
            .recent
            .iter()
            .filter(|r| now.since(r.at) < REQUEST_SHOWN_US && r.at <= now)
            .cloned()
            .collect();
        RingFrame {
            now,
            servers,
            removed: self
                .removed
                .iter()
                .map(|(name, anchor)| RemovedServer {
                    name: name.clone(),
                    color: self.colors.get(name).copied().unwrap_or(0),
                    anchor: *anchor,
                })
                .collect(),
            keys,
            keys_total: self.keys.len() as u64,
            last_change: self.last_change.clone(),
            requests,
            hash: self.ring.hash_fn().id(),
            vnodes: self.ring.vnodes_per_server(),
        }
    }

    /// The metrics now.
    pub(super) fn metrics_now(&self) -> Metrics {
        let loads: Vec<f64> = self.keys_per_server.values().map(|v| *v as f64).collect();
        let n = loads.len().max(1) as f64;
        let mean = loads.iter().sum::<f64>() / n;
        let var = loads.iter().map(|l| (l - mean) * (l - mean)).sum::<f64>() / n;
        let change = self.last_change.as_ref();
        let (modulo, modulo_pct) = match change {
            Some(c) => (
                MetricValue::Int(c.modulo_moved as i64),
                MetricValue::Float(share_percent(c.modulo_moved, c.total)),
            ),
            None => (MetricValue::None, MetricValue::None),
        };
        let [moved, moved_pct] = moved_metrics(change.map(|c| (c.moves.len() as u64, c.total)));
        let arcs = &self.arcs;
        Metrics {
            scalars: vec![
                Metric {
                    id: "servers",
                    label: "Servers",
                    value: MetricValue::Int(self.ring.server_count() as i64),
                    unit: None,
                    help: "Live servers on the ring.",
                },
                Metric {
                    id: "keys",
                    label: "Keys",
                    value: MetricValue::Int(self.keys.len() as i64),
                    unit: None,
                    help: "Keys placed on the ring.",
                },
                max_mean_metric(&loads),
                Metric {
                    id: "load_stddev",
                    label: "Load std. deviation",
                    value: MetricValue::Float(libm::sqrt(var)),
                    unit: Some("keys"),
                    help: "How far servers' key counts spread around the mean.",
                },
                moved,
                moved_pct,
                Metric {
                    id: "modulo_moved_keys",
                    label: "hash % N would move",
                    value: modulo,
                    unit: None,
                    help: "Keys that modulo placement over the same servers would have moved.",
                },
                Metric {
                    id: "modulo_moved_percent",
                    label: "hash % N share",
                    value: modulo_pct,
                    unit: Some("%"),
                    help: "The same, as a share of all keys.",
                },
                requests_metric(self.requests_total),
            ],
            groups: vec![
                MetricGroup {
                    id: "keys_per_server",
                    label: "Keys per server",
                    unit: Some("keys"),
                    values: self
                        .keys_per_server
                        .iter()
                        .map(|(k, v)| (k.clone(), *v as f64))
                        .collect(),
                },
                MetricGroup {
                    id: "requests_per_server",
                    label: "Requests per server",
                    unit: Some("requests"),
                    values: self
                        .ring
                        .servers()
                        .map(|s| {
                            (
                                s.to_string(),
                                self.requests_per_server.get(s).copied().unwrap_or(0) as f64,
                            )
                        })
                        .collect(),
                },
                MetricGroup {
                    id: "arc_percent",
                    label: "Ring share",
                    unit: Some("%"),
                    values: arcs
                        .iter()
                        .map(|(k, v)| {
                            (
                                k.clone(),
                                *v as f64 * 100.0 / crate::hashing::ring::RING_SIZE as f64,
                            )
                        })
                        .collect(),
                },
            ],
        }
    }
}
