//! The failing-service experiment's lanes: requests down a chain of retrying callers to a service
//! that fails each call with probability `p_fail`, one lane per retry policy.

use super::record::{RetriesEvent, RetriesRecord};
use super::spec::{policy_metric_ids, Policy, Setup};
use super::{push_mark, Marks, RetriesModel};
use crate::model::{Ctx, Metric, MetricValue};
use crate::models::lanes::{LaneView, MarkKind};
use crate::resilience::backoff::{
    layered_amplification, FinagleRetryBudget, GrpcRetryThrottle, RetryBudget,
};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// A retry budget of one caller.
#[derive(Clone, Debug)]
pub(super) enum Budget {
    Grpc(GrpcRetryThrottle),
    Finagle(FinagleRetryBudget),
}

impl Budget {
    pub(super) fn get(&mut self) -> &mut dyn RetryBudget {
        match self {
            Budget::Grpc(b) => b,
            Budget::Finagle(b) => b,
        }
    }
}

/// A request in flight in one amplification lane.
#[derive(Clone, Debug)]
pub(super) struct Flight {
    /// Attempts made so far by the caller at each depth (0: the client).
    pub(super) attempts: Vec<u32>,
    /// Calls it has caused at the failing service.
    pub(super) calls: u32,
    /// Retries refused.
    pub(super) denied: u32,
}

/// One policy's lane of the amplification experiment.
#[derive(Clone, Debug)]
pub(super) struct AmpLane {
    pub(super) policy: Policy,
    pub(super) rng: SimRng,
    /// One per layer's caller, for the budgeted policies.
    pub(super) budgets: Vec<Budget>,
    pub(super) flights: BTreeMap<u64, Flight>,
    pub(super) calls: u64,
    pub(super) ok_calls: u64,
    pub(super) failed_calls: u64,
    pub(super) denied: u64,
    pub(super) finished: u64,
    pub(super) succeeded: u64,
    pub(super) finished_calls: u64,
    pub(super) marks: Marks,
}

impl AmpLane {
    pub(super) fn max_attempts(&self, setup: &Setup) -> u32 {
        if self.policy == Policy::NoRetry {
            1
        } else {
            setup.attempts
        }
    }
}

impl RetriesModel {
    pub(super) fn build_amp(setup: &Setup, seed: u64) -> Vec<AmpLane> {
        setup
            .policies
            .iter()
            .map(|&policy| {
                let budgets = (0..setup.layers)
                    .filter_map(|_| match policy {
                        Policy::Grpc => Some(Budget::Grpc(
                            GrpcRetryThrottle::new(setup.max_tokens, setup.token_ratio_milli)
                                .expect("the setup keeps both above zero"),
                        )),
                        Policy::Finagle => Some(Budget::Finagle(
                            FinagleRetryBudget::new(
                                10,
                                10,
                                f64::from(setup.retry_percent) / 100.0,
                                SimTime::ZERO,
                            )
                            .expect("the setup keeps the percentage in range"),
                        )),
                        Policy::Retry | Policy::NoRetry => None,
                    })
                    .collect();
                AmpLane {
                    policy,
                    // Each policy flips its own coins: the same seed gives a lane the same
                    // outcomes whichever other lanes are shown.
                    rng: SimRng::stream(seed, &format!("retries/amplification/{}", policy.id())),
                    budgets,
                    flights: BTreeMap::new(),
                    calls: 0,
                    ok_calls: 0,
                    failed_calls: 0,
                    denied: 0,
                    finished: 0,
                    succeeded: 0,
                    finished_calls: 0,
                    marks: Marks::default(),
                }
            })
            .collect()
    }

    pub(super) fn arrive(&mut self, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now;
        self.sent += 1;
        let id = self.sent;
        let layers = self.setup.layers as usize;
        let call_us = self.setup.call_us;
        for (i, lane) in self.amp.iter_mut().enumerate() {
            for b in &mut lane.budgets {
                b.get().deposit(now);
            }
            lane.flights.insert(
                id,
                Flight {
                    attempts: vec![1; layers],
                    calls: 1,
                    denied: 0,
                },
            );
            lane.calls += 1;
            ctx.schedule(
                now.plus_us(call_us),
                RetriesEvent::Return {
                    lane: i as u8,
                    request: id,
                },
            );
        }
        let span = self.span_us();
        self.arrivals.push(now.as_us(), MarkKind::Ok, span);
        if self.sent < self.setup.requests {
            ctx.schedule(
                SimTime::from_us(self.sent * self.setup.interarrival_us()),
                RetriesEvent::Arrive,
            );
        }
    }

    /// A call to the failing service comes back: its outcome goes up the chain of callers,
    /// each retrying (if its attempts and budget allow) or passing the failure up.
    pub(super) fn call_returned(&mut self, lane: u8, request: u64, ctx: &mut Ctx<'_, Self>) {
        let span = self.span_us();
        let setup = &self.setup;
        let now = ctx.now;
        let t = now.as_us();
        let Some(l) = self.amp.get_mut(usize::from(lane)) else {
            return;
        };
        let max_attempts = l.max_attempts(setup);
        let Some(mut flight) = l.flights.remove(&request) else {
            return;
        };
        let ok = !l.rng.chance(setup.p_fail);
        if ok {
            l.ok_calls += 1;
            push_mark(&mut l.marks, t, MarkKind::Ok, span);
        } else {
            l.failed_calls += 1;
            push_mark(&mut l.marks, t, MarkKind::Failed, span);
        }
        let layers = setup.layers as usize;
        let mut depth = layers - 1;
        loop {
            if let Some(b) = l.budgets.get_mut(depth) {
                if ok {
                    b.get().on_success(now);
                } else {
                    b.get().on_failure(now);
                }
            }
            if !ok && flight.attempts[depth] < max_attempts {
                let allowed = l
                    .budgets
                    .get_mut(depth)
                    .is_none_or(|b| b.get().try_withdraw(now));
                if allowed {
                    flight.attempts[depth] += 1;
                    // The retry starts a fresh call down the rest of the chain.
                    for below in depth + 1..layers {
                        flight.attempts[below] = 1;
                        if let Some(b) = l.budgets.get_mut(below) {
                            b.get().deposit(now);
                        }
                    }
                    flight.calls += 1;
                    l.calls += 1;
                    l.flights.insert(request, flight);
                    ctx.schedule(
                        now.plus_us(setup.call_us),
                        RetriesEvent::Return { lane, request },
                    );
                    return;
                }
                flight.denied += 1;
                l.denied += 1;
                push_mark(&mut l.marks, t, MarkKind::Rejected, span);
            }
            // This caller's call into the layer below is over: `ok` is its outcome.
            if depth == 0 {
                break;
            }
            depth -= 1;
        }
        l.finished += 1;
        l.finished_calls += u64::from(flight.calls);
        if ok {
            l.succeeded += 1;
        }
        ctx.record(RetriesRecord::Request {
            policy: l.policy,
            id: request,
            ok,
            calls: flight.calls,
            denied: flight.denied,
        });
    }

    pub(super) fn amp_theory(&self, policy: Policy) -> f64 {
        let s = &self.setup;
        match policy {
            Policy::NoRetry => 1.0,
            _ => layered_amplification(s.p_fail, s.attempts, s.layers),
        }
    }

    pub(super) fn amp_metrics(&self, scalars: &mut Vec<Metric>) {
        let load = |l: &AmpLane| {
            if l.finished > 0 {
                MetricValue::Float(l.finished_calls as f64 / l.finished as f64)
            } else {
                MetricValue::None
            }
        };
        let success = |l: &AmpLane| {
            if l.finished > 0 {
                MetricValue::Float(100.0 * l.succeeded as f64 / l.finished as f64)
            } else {
                MetricValue::None
            }
        };
        scalars.push(Metric {
            id: "requests",
            label: "Requests sent",
            value: MetricValue::Int(self.sent as i64),
            unit: None,
            help: "Requests the clients have sent.",
        });
        if let Some(h) = self.amp.first() {
            scalars.push(Metric {
                id: "downstream_load",
                label: "Calls per request",
                value: load(h),
                unit: None,
                help: "Calls the failing service received per finished request, under the first policy shown: the load retries multiply.",
            });
            scalars.push(Metric {
                id: "amplification_theory",
                label: "Calls per request, theory",
                value: MetricValue::Float(self.amp_theory(h.policy)),
                unit: None,
                help: "1 + p + p² + … up to the attempts, multiplied across layers: what retries without a budget cost on average.",
            });
            scalars.push(Metric {
                id: "service_calls",
                label: "Calls to the service",
                value: MetricValue::Int(h.calls as i64),
                unit: None,
                help: "Calls the failing service has received under the first policy shown.",
            });
            scalars.push(Metric {
                id: "success_percent",
                label: "Requests succeeded",
                value: success(h),
                unit: Some("%"),
                help: "Share of the finished requests that got a success back, under the first policy shown.",
            });
            scalars.push(Metric {
                id: "goodput",
                label: "Goodput",
                value: match success(h) {
                    MetricValue::Float(s) => MetricValue::Float(self.setup.rate * s / 100.0),
                    other => other,
                },
                unit: Some("req/s"),
                help: "Successful requests per second: the request rate times the share that succeeded.",
            });
            scalars.push(Metric {
                id: "service_load",
                label: "Load on the service",
                value: match load(h) {
                    MetricValue::Float(a) => MetricValue::Float(self.setup.rate * a),
                    other => other,
                },
                unit: Some("calls/s"),
                help: "Calls per second the failing service receives: the request rate times the calls per request.",
            });
            scalars.push(Metric {
                id: "retries_denied",
                label: "Retries refused",
                value: MetricValue::Int(h.denied as i64),
                unit: None,
                help: "Retries the first policy's budget refused to send.",
            });
        }
        for l in &self.amp {
            let ids = policy_metric_ids(l.policy);
            scalars.push(Metric {
                id: ids[0],
                label: ids[2],
                value: load(l),
                unit: None,
                help: "Calls the failing service received per finished request under this policy.",
            });
            scalars.push(Metric {
                id: ids[1],
                label: ids[3],
                value: success(l),
                unit: Some("%"),
                help: "Share of this policy's finished requests that succeeded.",
            });
        }
    }

    /// One lane per policy, its strip drawn by `strip`.
    pub(super) fn amp_views(
        &self,
        now: SimTime,
        strip: &dyn Fn(&Marks) -> Vec<u64>,
    ) -> Vec<LaneView> {
        let worst = f64::from(self.setup.attempts).powi(self.setup.layers as i32);
        self.amp
            .iter()
            .map(|l| {
                let per_request = if l.finished > 0 {
                    l.finished_calls as f64 / l.finished as f64
                } else {
                    0.0
                };
                let (fill, gauge) = match l.budgets.last() {
                    Some(Budget::Grpc(g)) => (
                        g.milli_tokens() as f64 / (f64::from(self.setup.max_tokens) * 1e3),
                        format!(
                            "{:.1} of {} tokens{}",
                            g.milli_tokens() as f64 / 1e3,
                            self.setup.max_tokens,
                            if g.allows_retries() {
                                ""
                            } else {
                                ": no retries"
                            }
                        ),
                    ),
                    Some(Budget::Finagle(f)) => {
                        let mut f = f.clone();
                        let balance = f.balance(now).max(0);
                        (
                            (balance as f64 / 100.0).min(1.0),
                            format!("{balance} retries left"),
                        )
                    }
                    None => (
                        if worst > 0.0 {
                            per_request / worst
                        } else {
                            0.0
                        },
                        format!("{per_request:.2} calls per request"),
                    ),
                };
                LaneView {
                    bands: Vec::new(),
                    id: l.policy.id().to_string(),
                    label: l.policy.label().to_string(),
                    fill: fill.clamp(0.0, 1.0),
                    gauge,
                    marks: strip(&l.marks),
                    ticks_us: 0,
                    window_us: 0,
                    admitted: l.ok_calls,
                    rejected: l.failed_calls,
                    extra: if l.denied > 0 {
                        format!("{} retries refused", l.denied)
                    } else if l.finished > 0 {
                        format!("×{per_request:.2} per request")
                    } else {
                        String::new()
                    },
                }
            })
            .collect()
    }

    /// The amplification lanes' invariants (see the module docs of the model).
    pub(super) fn validate_amp(&self) -> Result<(), String> {
        let worst = u64::from(self.setup.attempts).pow(self.setup.layers);
        for l in &self.amp {
            let name = l.policy.label();
            let in_flight = l.flights.len() as u64;
            if l.calls != l.ok_calls + l.failed_calls + in_flight {
                return Err(format!(
                    "{name}: {} calls ≠ {} ok + {} failed + {in_flight} in flight",
                    l.calls, l.ok_calls, l.failed_calls
                ));
            }
            if l.succeeded > l.finished {
                return Err(format!("{name}: more successes than finished requests"));
            }
            if l.finished_calls < l.finished || l.finished_calls > l.finished * worst {
                return Err(format!(
                    "{name}: {} calls for {} finished requests, outside 1 to {worst} each",
                    l.finished_calls, l.finished
                ));
            }
            if l.policy == Policy::NoRetry && l.finished_calls != l.finished {
                return Err(format!("{name}: a retry without retries"));
            }
        }
        Ok(())
    }
}
