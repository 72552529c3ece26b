//! Modulo sharding: a key lives on shard `id % N`.
//!
//! The notes' example (catalogue D2): `user_id % 4` puts users 0, 4, 8, 12 on shard 0, users 1,
//! 5, 9, 13 on shard 1, and so on. It is perfectly even for sequential ids — until N changes:
//! a key stays put only when `id % N == id % M`, so going from 4 to 5 shards moves 80 % of the
//! keys (a key stays only if `id mod 20 < 4`) and from 4 to 8 exactly 50 % (each from shard `s` to
//! `s + 4`). In general, resizing N → kN moves a fraction 1 − 1/k of uniformly spread keys. That
//! is the cost consistent hashing avoids.
//!
//! Invariants checked by `validate`: every key's recorded shard is `id % N`; the per-shard key
//! counts add up to the number of keys.
//!
//! Simplifications: moving a key is instant (no copy traffic); requests go straight to the
//! key's shard (no network).

use crate::model::{ActionSpec, Ctx, InputError, Metric, MetricGroup, MetricValue, Metrics, Model};
use crate::models::common::{
    max_mean_metric, moved_metrics, per_shard, requests_metric, share_percent,
};
use crate::models::shard_view::{
    RecentRequests, ShardChange, ShardFrame, ShardKeyView, ShardMove, ShardRequest, ShardView,
};
use crate::models::sharding::{Move, Moved, Placement};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
use crate::workload::Popularity;
use std::collections::BTreeSet;
use std::rc::Rc;

/// Most shards a run may have.
pub const MAX_SHARDS: u32 = 64;
/// How many keys a frame draws.
pub const FRAME_KEYS: usize = 256;

/// What the modulo model records.
#[derive(Clone, Debug, PartialEq)]
pub enum ModuloRecord {
    /// Keys were placed.
    Built {
        /// Shards.
        shards: u32,
        /// Keys.
        keys: u64,
    },
    /// The shard count changed.
    Resized {
        /// Before.
        from: u32,
        /// After.
        to: u32,
        /// Keys that moved.
        moved: u64,
        /// Keys in all.
        total: u64,
    },
    /// A request was routed.
    Routed {
        /// The request's number.
        id: u64,
        /// The key's id.
        key: u64,
        /// The serving shard.
        shard: u32,
    },
}

impl Narrate for ModuloRecord {
    fn narrate(&self) -> String {
        match self {
            ModuloRecord::Built { shards, keys } => {
                format!("Placed {keys} keys on {shards} shards by id % {shards}.")
            }
            ModuloRecord::Resized {
                from,
                to,
                moved,
                total,
            } => {
                let pct = share_percent(*moved, *total);
                format!(
                    "Resized from {from} to {to} shards: {moved} of {total} keys ({pct:.1}%) changed shard, because id % {from} and id % {to} differ for them."
                )
            }
            ModuloRecord::Routed { key, shard, .. } => {
                format!("Request for user {key} served by shard {shard}.")
            }
        }
    }
    fn is_milestone(&self) -> bool {
        !matches!(self, ModuloRecord::Routed { .. })
    }
}

/// The model's own events.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModuloEvent {
    /// The next request arrives.
    Request,
}

/// The modulo-sharding lesson model.
#[derive(Clone, Debug)]
pub struct ModuloShards {
    shards: u32,
    /// Key ids, in creation order.
    keys: Rc<Vec<u64>>,
    keys_per_shard: Vec<u64>,
    requests_per_shard: Vec<u64>,
    requests_total: u64,
    popularity: Popularity,
    rate_per_sec: f64,
    last_change: Option<ShardChange>,
    recent: RecentRequests,
}

impl ModuloShards {
    /// The shard of key `id` under the current shard count.
    pub fn shard_of(&self, id: u64) -> u32 {
        (id % u64::from(self.shards)) as u32
    }

    fn recount(&mut self) {
        let mut counts = vec![0u64; self.shards as usize];
        for id in self.keys.iter() {
            counts[self.shard_of(*id) as usize] += 1;
        }
        self.keys_per_shard = counts;
        self.requests_per_shard.resize(self.shards as usize, 0);
    }

    fn resize(&mut self, to: u32, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        if !(1..=MAX_SHARDS).contains(&to) {
            return Err(InputError(format!(
                "a run has between 1 and {MAX_SHARDS} shards, not {to}"
            )));
        }
        let from = self.shards;
        let moves: Vec<ShardMove> = self
            .keys
            .iter()
            .filter_map(|&id| {
                let (a, b) = ((id % u64::from(from)) as u32, (id % u64::from(to)) as u32);
                (a != b).then_some(ShardMove { id, from: a, to: b })
            })
            .collect();
        self.shards = to;
        self.recount();
        let total = self.keys.len() as u64;
        ctx.record(ModuloRecord::Resized {
            from,
            to,
            moved: moves.len() as u64,
            total,
        });
        self.last_change = Some(ShardChange {
            at: ctx.now,
            from_shards: from,
            to_shards: to,
            moves: moves.into(),
            total,
        });
        Ok(())
    }

    fn schedule_request(&self, ctx: &mut Ctx<'_, Self>) {
        ctx.schedule_poisson(self.rate_per_sec, ModuloEvent::Request);
    }
}

impl Model for ModuloShards {
    type Event = ModuloEvent;
    type Record = ModuloRecord;
    type Frame = ShardFrame;
    const ID: &'static str = "modulo";

    fn specs() -> Vec<ParamSpec> {
        let mut specs = vec![
            ParamSpec::int("shards", "Shards", 4, 1, i64::from(MAX_SHARDS), 1)
                .help("N in id % N: how many shards the keys are spread over."),
            ParamSpec::int("keys", "Keys", 16, 1, 10_000, 1)
                .unit("keys")
                .help("How many user ids to place."),
            ParamSpec::choice(
                "ids",
                "User ids",
                "sequential",
                &[
                    ("sequential", "Sequential (0, 1, 2, …)"),
                    ("random", "Random (from the seed)"),
                ],
            )
            .help("Sequential ids are what the notes use; random ids behave like hashed keys."),
        ];
        specs.extend(crate::workload::specs(10));
        specs
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("add-shard", "Add a shard"),
            ActionSpec::new("remove-shard", "Remove a shard"),
            ActionSpec::new("resize", "Resize to").arg("shard count", Some("8")),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let count = params.int("keys").clamp(1, 10_000) as u64;
        let keys: Vec<u64> = match params.text("ids") {
            "random" => {
                let mut seen = BTreeSet::new();
                let mut ids = Vec::new();
                while (ids.len() as u64) < count {
                    let id = ctx.rng.below(1_000_000);
                    if seen.insert(id) {
                        ids.push(id);
                    }
                }
                ids
            }
            _ => (0..count).collect(),
        };
        let shards = params.int("shards").clamp(1, i64::from(MAX_SHARDS)) as u32;
        let mut model = ModuloShards {
            shards,
            popularity: Popularity::from_params(params, count),
            keys: Rc::new(keys),
            keys_per_shard: Vec::new(),
            requests_per_shard: vec![0; shards as usize],
            requests_total: 0,
            rate_per_sec: params.int("request_rate").max(0) as f64,
            last_change: None,
            recent: RecentRequests::default(),
        };
        model.recount();
        ctx.record(ModuloRecord::Built {
            shards,
            keys: count,
        });
        model.schedule_request(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let arg = input.arg.as_deref().unwrap_or("").trim();
        match input.action.as_str() {
            "add-shard" => self.resize(self.shards + 1, ctx),
            "remove-shard" => self.resize(self.shards.saturating_sub(1), ctx),
            "resize" => {
                let to: u32 = arg.parse().map_err(|_| {
                    InputError(format!(
                        "resize needs a shard count from 1 to {MAX_SHARDS}, e.g. resize:8"
                    ))
                })?;
                self.resize(to, ctx)
            }
            other => Err(InputError(format!(
                "unknown action {other:?}; this lesson knows add-shard, remove-shard and resize"
            ))),
        }
    }

    fn handle(&mut self, event: ModuloEvent, ctx: &mut Ctx<'_, Self>) {
        match event {
            ModuloEvent::Request => {
                if let Some(idx) = self.popularity.pick(ctx.rng, self.keys.len() as u64) {
                    let key = self.keys[idx as usize];
                    let shard = self.shard_of(key);
                    self.requests_total += 1;
                    self.requests_per_shard[shard as usize] += 1;
                    let id = self.requests_total;
                    self.recent
                        .push(ShardRequest::served(id, key, shard, ctx.now));
                    ctx.record(ModuloRecord::Routed { id, key, shard });
                }
                self.schedule_request(ctx);
            }
        }
    }

    fn frame(&self, now: SimTime) -> ShardFrame {
        ShardFrame {
            now,
            ring: None,
            fanout: None,
            rule: format!("user_id % {}", self.shards),
            shards: (0..self.shards)
                .map(|i| {
                    ShardView::new(
                        i,
                        format!("Shard {i}"),
                        self.keys_per_shard[i as usize],
                        self.requests_per_shard[i as usize],
                    )
                })
                .collect(),
            keys: self
                .keys
                .iter()
                .take(FRAME_KEYS)
                .map(|&id| ShardKeyView {
                    name: format!("user {id}"),
                    id,
                    shard: self.shard_of(id),
                    hot: false,
                    share: None,
                })
                .collect(),
            keys_total: self.keys.len() as u64,
            last_change: self.last_change.clone(),
            requests: self.recent.shown(now),
            front: Vec::new(),
        }
    }

    fn metrics(&self) -> Metrics {
        let loads: Vec<f64> = self.keys_per_shard.iter().map(|c| *c as f64).collect();
        let [moved, pct] = moved_metrics(
            self.last_change
                .as_ref()
                .map(|c| (c.moves.len() as u64, c.total)),
        );
        Metrics {
            scalars: vec![
                Metric {
                    id: "shards",
                    label: "Shards",
                    value: MetricValue::Int(i64::from(self.shards)),
                    unit: None,
                    help: "N in id % N.",
                },
                Metric {
                    id: "keys",
                    label: "Keys",
                    value: MetricValue::Int(self.keys.len() as i64),
                    unit: None,
                    help: "User ids placed.",
                },
                max_mean_metric(&loads),
                moved,
                pct,
                requests_metric(self.requests_total),
            ],
            groups: vec![
                MetricGroup {
                    id: "keys_per_shard",
                    label: "Keys per shard",
                    unit: Some("keys"),
                    values: per_shard(&self.keys_per_shard),
                },
                MetricGroup {
                    id: "requests_per_shard",
                    label: "Requests per shard",
                    unit: Some("requests"),
                    values: per_shard(&self.requests_per_shard),
                },
            ],
        }
    }

    fn queries() -> Queries<Self> {
        Queries::new().with::<dyn Placement>(|m| m)
    }

    fn validate(&self) -> Result<(), String> {
        if self.keys_per_shard.len() != self.shards as usize {
            return Err(format!(
                "{} shard counts for {} shards",
                self.keys_per_shard.len(),
                self.shards
            ));
        }
        let sum: u64 = self.keys_per_shard.iter().sum();
        if sum != self.keys.len() as u64 {
            return Err(format!(
                "per-shard key counts add up to {sum}, not the {} keys",
                self.keys.len()
            ));
        }
        if let Some(c) = &self.last_change {
            if let Some(m) = c
                .moves
                .iter()
                .find(|m| m.to != (m.id % u64::from(c.to_shards)) as u32)
            {
                return Err(format!(
                    "key {} was moved to {} but belongs on {}",
                    m.id,
                    m.to,
                    m.id % u64::from(c.to_shards)
                ));
            }
        }
        Ok(())
    }
}

impl Placement for ModuloShards {
    fn nodes(&self) -> Vec<String> {
        (0..self.shards).map(|i| i.to_string()).collect()
    }

    /// A key is named by its numeric user id (`12`, or `user-12`).
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        let id = crate::models::sharding::user_id(key)?;
        Some(vec![self.shard_of(id).to_string()])
    }

    fn last_moved(&self) -> Option<Moved> {
        self.last_change.as_ref().map(ShardChange::moved)
    }

    fn last_moves(&self) -> Option<Vec<Move>> {
        let c = self.last_change.as_ref()?;
        Some(c.listed(|id| id.to_string()))
    }
}
