//! The contention experiment's lanes: each strategy's run of
//! [`run_contention_with_waves`] computed whole, then replayed in simulated time.

use super::record::{RetriesEvent, RetriesRecord};
use super::spec::{strategy_metric_ids, Setup};
use super::{push_mark, Marks, RetriesModel};
use crate::model::{Ctx, Metric, MetricValue};
use crate::models::lanes::{LaneView, MarkKind};
use crate::resilience::backoff::{
    run_contention_with_waves, Backoff, ContentionConfig, ContentionEventKind, NetDelay, Strategy,
};
use crate::time::SimTime;
use std::rc::Rc;

/// The most entries the contention log of one strategy keeps (about four per write; the
/// model's client cap keeps real runs far below it).
const MAX_LOG: u32 = 2_000_000;

/// One entry of a contention lane's log: what the replay shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Step {
    /// A write was accepted.
    Accepted,
    /// A write was refused as a conflict.
    Conflict,
    /// A client learnt its write succeeded.
    Done,
}

/// One strategy's lane of the contention experiment.
#[derive(Clone, Debug)]
pub(super) struct ContentionLane {
    pub(super) strategy: Strategy,
    /// The whole run, in time order (shared between checkpoints).
    pub(super) log: Rc<[(u64, Step)]>,
    /// The next entry to replay.
    pub(super) cursor: u32,
    /// When its pending replay event is due (an older one, left from before a wave was
    /// added, is ignored).
    pub(super) next_due: Option<u64>,
    /// The run's totals, for the invariants.
    pub(super) total_calls: u64,
    pub(super) calls: u64,
    pub(super) conflicts: u64,
    pub(super) done: u32,
    pub(super) completion_us: Option<u64>,
    pub(super) marks: Marks,
}

impl RetriesModel {
    pub(super) fn contention_config(
        setup: &Setup,
        strategy: Strategy,
        seed: u64,
    ) -> ContentionConfig {
        let net = if setup.net_sd_us == 0 {
            NetDelay::Fixed {
                us: setup.net_mean_us,
            }
        } else {
            NetDelay::Normal {
                mean_us: setup.net_mean_us,
                sd_us: setup.net_sd_us,
            }
        };
        ContentionConfig {
            clients: setup.clients,
            backoff: Backoff::new(strategy, setup.base_us, setup.cap_us)
                .expect("the setup checks 1 ≤ base ≤ cap"),
            net,
            seed,
            record_events: true,
            max_events: MAX_LOG,
        }
    }

    /// A strategy's whole run (with the waves so far) as the replay's log, and its calls.
    pub(super) fn contention_log(
        setup: &Setup,
        strategy: Strategy,
        seed: u64,
        waves: &[(SimTime, u32)],
    ) -> (Rc<[(u64, Step)]>, u64) {
        let cfg = Self::contention_config(setup, strategy, seed);
        let out = run_contention_with_waves(&cfg, waves)
            .expect("the setup and add-clients check the clients");
        debug_assert_eq!(out.events_dropped, 0);
        let log = out
            .events
            .iter()
            .filter_map(|e| {
                let step = match e.kind {
                    ContentionEventKind::WriteOk { .. } => Step::Accepted,
                    ContentionEventKind::WriteConflict { .. } => Step::Conflict,
                    ContentionEventKind::Done => Step::Done,
                    _ => return None,
                };
                Some((e.time.as_us(), step))
            })
            .collect();
        (log, out.calls)
    }

    pub(super) fn build_contention(setup: &Setup, seed: u64) -> Vec<ContentionLane> {
        setup
            .strategies
            .iter()
            .map(|&strategy| {
                let (log, total_calls) = Self::contention_log(setup, strategy, seed, &[]);
                ContentionLane {
                    strategy,
                    log,
                    cursor: 0,
                    next_due: None,
                    total_calls,
                    calls: 0,
                    conflicts: 0,
                    done: 0,
                    completion_us: None,
                    marks: Marks::default(),
                }
            })
            .collect()
    }

    /// Schedules each contention lane's next replay, if it has one not yet due.
    pub(super) fn schedule_replays(&mut self, ctx: &mut Ctx<'_, Self>) {
        for (i, l) in self.contention.iter_mut().enumerate() {
            if let Some(&(t, _)) = l.log.get(l.cursor as usize) {
                if l.next_due != Some(t) {
                    l.next_due = Some(t);
                    ctx.schedule(
                        SimTime::from_us(t).max(ctx.now),
                        RetriesEvent::Replay { lane: i as u8 },
                    );
                }
            }
        }
    }

    pub(super) fn clients_now(&self) -> u32 {
        self.setup.clients + self.waves.iter().map(|w| w.1).sum::<u32>()
    }

    pub(super) fn replay(&mut self, lane: u8, ctx: &mut Ctx<'_, Self>) {
        let span = self.span_us();
        let clients = self.clients_now();
        let now = ctx.now.as_us();
        let Some(l) = self.contention.get_mut(usize::from(lane)) else {
            return;
        };
        if l.next_due.is_none_or(|due| due > now) {
            // Superseded: a wave rescheduled this lane.
            return;
        }
        l.next_due = None;
        let (mut accepted, mut conflicts, mut finished) = (0u32, 0u32, 0u32);
        while let Some(&(t, step)) = l.log.get(l.cursor as usize) {
            if t > now {
                break;
            }
            l.cursor += 1;
            match step {
                Step::Accepted => {
                    l.calls += 1;
                    accepted += 1;
                    push_mark(&mut l.marks, t, MarkKind::Ok, span);
                }
                Step::Conflict => {
                    l.calls += 1;
                    l.conflicts += 1;
                    conflicts += 1;
                    push_mark(&mut l.marks, t, MarkKind::Rejected, span);
                }
                Step::Done => {
                    l.done += 1;
                    finished += 1;
                }
            }
        }
        if accepted + conflicts > 0 {
            ctx.record(RetriesRecord::Writes {
                strategy: l.strategy,
                accepted,
                conflicts,
                done: l.done,
                clients,
            });
        }
        if finished > 0 && l.done == clients {
            l.completion_us = Some(now);
            ctx.record(RetriesRecord::Finished {
                strategy: l.strategy,
                calls: l.calls,
                completion_us: now,
            });
        }
        self.schedule_replays(ctx);
    }

    /// `count` more clients start now: every lane's run is recomputed with them (its past is
    /// unchanged, see [`run_contention_with_waves`]) and replays on from where it is.
    pub(super) fn add_clients(&mut self, count: u32, ctx: &mut Ctx<'_, Self>) {
        self.waves.push((ctx.now, count));
        let seed = ctx.seed;
        for l in &mut self.contention {
            let (log, total_calls) =
                Self::contention_log(&self.setup, l.strategy, seed, &self.waves);
            debug_assert!(
                log[..l.cursor as usize] == l.log[..l.cursor as usize],
                "a wave changed the past"
            );
            l.log = log;
            l.total_calls = total_calls;
            // The lane is not done any more until the newcomers are.
            l.completion_us = None;
            l.next_due = None;
        }
        self.schedule_replays(ctx);
    }

    pub(super) fn contention_lane(&self, s: Strategy) -> Option<&ContentionLane> {
        self.contention.iter().find(|l| l.strategy == s)
    }

    pub(super) fn contention_metrics(&self, scalars: &mut Vec<Metric>) {
        let n = f64::from(self.clients_now());
        scalars.push(Metric {
            id: "clients",
            label: "Clients",
            value: MetricValue::Int(i64::from(self.clients_now())),
            unit: None,
            help: "Clients contending for the row.",
        });
        if let Some(h) = self.contention.first() {
            scalars.push(Metric {
                id: "calls",
                label: "Calls (writes)",
                value: MetricValue::Int(h.calls as i64),
                unit: None,
                help: "Conditional writes the server has received under the first strategy shown, accepted or refused.",
            });
            scalars.push(Metric {
                id: "conflicts",
                label: "Conflicts",
                value: MetricValue::Int(h.conflicts as i64),
                unit: None,
                help: "Writes the first strategy's clients made against a version someone else had already replaced.",
            });
            scalars.push(Metric {
                id: "done",
                label: "Clients done",
                value: MetricValue::Int(i64::from(h.done)),
                unit: None,
                help: "Clients of the first strategy whose write has succeeded.",
            });
            scalars.push(Metric {
                id: "completion_ms",
                label: "Time to finish",
                value: h
                    .completion_us
                    .map_or(MetricValue::None, |c| MetricValue::Float(c as f64 / 1e3)),
                unit: Some("ms"),
                help: "When the first strategy's last client learnt its write succeeded.",
            });
            scalars.push(Metric {
                id: "downstream_load",
                label: "Calls per client",
                value: MetricValue::Float(h.calls as f64 / n),
                unit: None,
                help: "Writes the server received per client under the first strategy: 1 would be no contention at all.",
            });
        }
        for l in &self.contention {
            let ids = strategy_metric_ids(l.strategy);
            scalars.push(Metric {
                id: ids[0],
                label: ids[3],
                value: MetricValue::Int(l.calls as i64),
                unit: None,
                help: "Conditional writes the server received under this strategy.",
            });
            scalars.push(Metric {
                id: ids[1],
                label: ids[4],
                value: l
                    .completion_us
                    .map_or(MetricValue::None, |c| MetricValue::Float(c as f64 / 1e3)),
                unit: Some("ms"),
                help: "When this strategy's last client learnt its write succeeded.",
            });
            scalars.push(Metric {
                id: ids[2],
                label: ids[5],
                value: MetricValue::Int(i64::from(l.done)),
                unit: None,
                help: "Clients of this strategy whose write has succeeded.",
            });
        }
        if let (Some(e), Some(f)) = (
            self.contention_lane(Strategy::Exponential),
            self.contention_lane(Strategy::FullJitter),
        ) {
            scalars.push(Metric {
                id: "calls_ratio_exp_vs_full",
                label: "Calls: exponential ÷ full jitter",
                value: if f.calls > 0 {
                    MetricValue::Float(e.calls as f64 / f.calls as f64)
                } else {
                    MetricValue::None
                },
                unit: Some("×"),
                help: "Writes made under exponential backoff without jitter over those made under full jitter.",
            });
            scalars.push(Metric {
                id: "time_ratio_exp_vs_full",
                label: "Time: exponential ÷ full jitter",
                value: match (e.completion_us, f.completion_us) {
                    (Some(a), Some(b)) if b > 0 => MetricValue::Float(a as f64 / b as f64),
                    _ => MetricValue::None,
                },
                unit: Some("×"),
                help: "How many times longer exponential backoff without jitter takes to get every client through than full jitter.",
            });
        }
    }

    /// One lane per strategy, its strip drawn by `strip`.
    pub(super) fn contention_views(&self, strip: &dyn Fn(&Marks) -> Vec<u64>) -> Vec<LaneView> {
        let n = self.clients_now();
        self.contention
            .iter()
            .map(|l| LaneView {
                bands: Vec::new(),
                id: l.strategy.id().to_string(),
                label: l.strategy.label().to_string(),
                fill: f64::from(l.done) / f64::from(n.max(1)),
                gauge: format!("{} of {n} done", l.done),
                marks: strip(&l.marks),
                ticks_us: 0,
                window_us: 0,
                admitted: l.calls - l.conflicts,
                rejected: l.conflicts,
                extra: match l.completion_us {
                    Some(c) => format!("{} calls, all done at {:.2} s", l.calls, c as f64 / 1e6),
                    None => format!("{} calls", l.calls),
                },
            })
            .collect()
    }

    /// The contention lanes' invariants (see the module docs of the model).
    pub(super) fn validate_contention(&self) -> Result<(), String> {
        let n = self.clients_now();
        for l in &self.contention {
            let name = l.strategy.label();
            if l.done > n {
                return Err(format!("{name}: {} clients done of {n}", l.done));
            }
            if l.calls > l.total_calls {
                return Err(format!(
                    "{name}: {} writes replayed, more than the run's {}",
                    l.calls, l.total_calls
                ));
            }
            if l.calls - l.conflicts < u64::from(l.done) {
                return Err(format!(
                    "{name}: {} clients done but only {} writes accepted",
                    l.done,
                    l.calls - l.conflicts
                ));
            }
            if l.completion_us.is_some() != (l.done == n) {
                return Err(format!(
                    "{name}: a completion time without every client done"
                ));
            }
        }
        Ok(())
    }
}
