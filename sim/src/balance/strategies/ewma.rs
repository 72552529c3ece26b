//! Finagle's / Linkerd's peak EWMA.
//!
//! Source: Finagle `finagle-core/.../loadbalancer/PeakEwma.scala`
//! (the per-node `Metric`), `Balancers.p2cPeakEwma` (default `decayTime = 10.seconds`) and
//! `p2c/P2CPick.scala` (two distinct draws, "if a's load < b's then a else b", so a tie goes to
//! the second draw); Linkerd's proxy uses the same idea through tower's `PeakEwma` (also with a
//! 10 s decay by default). Each server keeps a `cost`, a moving average of round-trip times in
//! microseconds that is *peak-sensitive*: a sample above the current cost replaces it at once,
//! a sample below it is blended in with weight `1 − w`, `w = exp(−Δt / τ)` for the time `Δt`
//! since the previous observation (an average over an unevenly spaced series). Reading a load
//! first observes a 0, so an idle cost decays towards 0 with time constant `τ`. The load is
//! `cost × (in flight + 1)`, "the cost if one more request were sent"; a server with no history
//! (`cost = 0`) but requests in flight gets Finagle's penalty, `(Long.MaxValue >> 16) +
//! in flight`, so a new server is probed with one request, not flooded. Every outcome is
//! observed, failures included, as Finagle's `Metric.end` does for a `Throw`: a server that fails
//! fast looks fast (Finagle pairs this balancer with failure accrual; wrap it in
//! [`PassiveChecks`](super::PassiveChecks) for that). With `choices: None` every eligible server
//! is compared (ties: lowest id); with `Some(d)` `d` distinct eligible servers are drawn and the
//! cheapest wins, ties going to the later draw as in `P2CPick`; `Some(2)` is Finagle's
//! `p2cPeakEwma`. Simplified: Finagle's node status (Open/Busy) ordering and its `maxEffort`
//! re-picks are replaced by drawing among eligible servers only.

use super::random::sample_distinct;
use super::{ms, name_of, num, skipped_score};
use crate::requests::{
    BackendView, Balancer, Explanation, RequestInfo, Response, ServerId, ServerScore,
};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Finagle's penalty for a server with requests in flight and no latency yet:
/// `Long.MaxValue >> 16` (about 1.4 × 10¹⁴).
pub const FINAGLE_PENALTY: f64 = (i64::MAX >> 16) as f64;

/// The longest decay time constant accepted (one day).
const MAX_TAU_US: u64 = 86_400_000_000;

pub(crate) fn check_tau(tau_us: u64) -> Result<(), String> {
    if tau_us == 0 || tau_us > MAX_TAU_US {
        return Err(format!(
            "the decay time must be between 1 µs and one day ({MAX_TAU_US} µs), got {tau_us} µs"
        ));
    }
    Ok(())
}

pub(crate) fn decay(dt_us: u64, tau_us: u64) -> f64 {
    libm::exp(-(dt_us as f64) / tau_us as f64)
}

/// One server's peak-EWMA metric.
#[derive(Clone, Debug)]
struct Metric {
    /// Microseconds.
    cost: f64,
    stamp: SimTime,
}

impl Metric {
    fn observe(&mut self, now: SimTime, rtt: f64, tau_us: u64) {
        let w = decay(now.since(self.stamp), tau_us);
        if rtt > self.cost {
            self.cost = rtt;
        } else {
            self.cost = self.cost * w + rtt * (1.0 - w);
        }
        self.stamp = self.stamp.max(now);
    }
}

/// Finagle's / Linkerd's peak-EWMA balancer (see the module docs).
#[derive(Clone, Debug)]
pub struct PeakEwma {
    choices: Option<u32>,
    tau_us: u64,
    metrics: Vec<Metric>,
    last: Option<PeakLast>,
}

#[derive(Clone, Debug)]
struct PeakLast {
    chosen: Option<ServerId>,
    /// (server, cost after decay, in flight, load), in draw order.
    considered: Vec<(ServerId, f64, u32, f64)>,
}

impl PeakEwma {
    /// Compares `choices` random eligible servers (`None`: all of them), decay time `tau_us`.
    pub fn new(choices: Option<u32>, tau_us: u64) -> Result<Self, String> {
        check_tau(tau_us)?;
        if let Some(d) = choices {
            if !(1..=1_000).contains(&d) {
                return Err(format!("choices must be 1–1000 (or all), got {d}"));
            }
        }
        Ok(PeakEwma {
            choices,
            tau_us,
            metrics: Vec::new(),
            last: None,
        })
    }

    /// Finagle's `p2cPeakEwma()`: two choices, decay time 10 s.
    pub fn finagle() -> Self {
        Self::new(Some(2), 10_000_000).expect("valid")
    }

    /// Scanning every eligible server, decay time 10 s.
    pub fn scan_all() -> Self {
        Self::new(None, 10_000_000).expect("valid")
    }

    /// The cost (µs) of `server` as last observed, without decaying it to now.
    pub fn cost_us(&self, server: ServerId) -> Option<f64> {
        self.metrics.get(server.0 as usize).map(|m| m.cost)
    }

    fn grow(&mut self, n: usize, now: SimTime) {
        if self.metrics.len() < n {
            self.metrics.resize(
                n,
                Metric {
                    cost: 0.0,
                    stamp: now,
                },
            );
        }
    }

    /// Finagle's `Metric.get`: observe a 0 (decay), then the load.
    fn load(&mut self, v: &BackendView, now: SimTime) -> (f64, f64) {
        let tau = self.tau_us;
        let m = &mut self.metrics[v.id.0 as usize];
        m.observe(now, 0.0, tau);
        let load = if m.cost == 0.0 && v.in_flight != 0 {
            FINAGLE_PENALTY + f64::from(v.in_flight)
        } else {
            m.cost * (f64::from(v.in_flight) + 1.0)
        };
        (m.cost, load)
    }
}

impl Balancer for PeakEwma {
    fn name(&self) -> &str {
        match self.choices {
            None => "peak EWMA",
            Some(2) => "peak EWMA, power of two choices",
            Some(_) => "peak EWMA, d choices",
        }
    }

    fn pick(
        &mut self,
        now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        self.grow(servers.len(), now);
        let eligible: Vec<&BackendView> = servers.iter().filter(|v| v.eligible()).collect();
        let drawn: Vec<&BackendView> = match self.choices {
            None => eligible,
            Some(d) => sample_distinct(rng, eligible.len() as u32, d)
                .into_iter()
                .map(|i| eligible[i as usize])
                .collect(),
        };
        let mut considered = Vec::with_capacity(drawn.len());
        let mut best: Option<(ServerId, f64)> = None;
        for v in drawn {
            let (cost, load) = self.load(v, now);
            considered.push((v.id, cost, v.in_flight, load));
            let better = match (best, self.choices) {
                (None, _) => true,
                // Scanning: strictly lower (ties keep the lowest id).
                (Some((_, b)), None) => load < b,
                // Sampling: P2CPick keeps the earlier draw only if strictly lower.
                (Some((_, b)), Some(_)) => load <= b,
            };
            if better {
                best = Some((v.id, load));
            }
        }
        let chosen = best.map(|(id, _)| id);
        self.last = Some(PeakLast { chosen, considered });
        chosen
    }

    fn on_response(&mut self, now: SimTime, response: &Response) {
        self.grow(response.server.0 as usize + 1, now);
        let tau = self.tau_us;
        self.metrics[response.server.0 as usize].observe(now, response.latency_us as f64, tau);
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let last = self.last.clone().unwrap_or(PeakLast {
            chosen: None,
            considered: Vec::new(),
        });
        let scores = servers
            .iter()
            .map(|v| match last.considered.iter().find(|c| c.0 == v.id) {
                Some(&(_, cost, inf, load)) => ServerScore {
                    server: v.id,
                    score: Some(load),
                    text: if cost == 0.0 && inf != 0 {
                        format!(
                            "{}: no latency yet and {inf} in flight: penalty {}",
                            v.name,
                            num(load)
                        )
                    } else {
                        format!(
                            "{}: ({inf} in flight + 1) × {} EWMA = {}",
                            v.name,
                            ms(cost),
                            ms(load)
                        )
                    },
                },
                None if v.eligible() => ServerScore {
                    server: v.id,
                    score: None,
                    text: format!("{}: not drawn", v.name),
                },
                None => skipped_score(v),
            })
            .collect();
        let summary = match last.chosen {
            None => "no server available".to_string(),
            Some(c) => {
                let load = last
                    .considered
                    .iter()
                    .find(|x| x.0 == c)
                    .map_or(0.0, |x| x.3);
                let drew = if self.choices.is_some() {
                    let names: Vec<&str> = last
                        .considered
                        .iter()
                        .map(|x| name_of(servers, x.0))
                        .collect();
                    format!("drew {}; ", names.join(" and "))
                } else {
                    String::new()
                };
                let shown = if load >= FINAGLE_PENALTY {
                    "penalty".to_string()
                } else {
                    ms(load)
                };
                format!("{drew}lowest score wins: {} ({shown})", name_of(servers, c))
            }
        };
        Explanation {
            chosen: last.chosen,
            scores,
            summary,
        }
    }
}
