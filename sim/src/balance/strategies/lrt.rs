//! Least response time.
//!
//! The lowest average latency of *served* responses, ties to the fewest in flight, then the
//! lowest id. The product is NGINX Plus `least_time` ("the lowest average response time and the
//! least number of active connections"); its averaging is not published, so this uses a
//! time-decayed EWMA with time constant `τ` (default 10 s, like peak EWMA but without the jump to
//! peaks): a sample after a gap `Δt` gets weight `1 − exp(−Δt / τ)`. A server with no served
//! response yet is tried first while it has nothing in flight (one probe), then waits for its
//! first answer. Errors, drops and timeouts are not latencies and are ignored, so a server that
//! fails fast keeps its old average: pair it with passive checks. The average only moves when a
//! response arrives, so a server that was slow and gets nothing is never measured again: it stays
//! out until the others' averages rise above its own (peak EWMA, whose idle cost decays towards
//! 0, probes it again). In-flight counts only break ties, so between responses every request goes
//! to the server with the lowest average: under load it herds (100 requests in flight on one
//! server while the others idle is typical), which is what multiplying by the in-flight count,
//! as peak EWMA does, prevents. Among nginx, HAProxy and Envoy no open-source balancer ships exactly this
//! (Envoy's `LEAST_REQUEST` counts requests, not time).

use super::ewma::{check_tau, decay};
use super::{ms, skipped_score};
use crate::requests::{
    BackendView, Balancer, Explanation, RequestInfo, Response, ServerId, ServerScore,
};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Least response time: the lowest time-decayed EWMA of served latency (see the module docs).
#[derive(Clone, Debug)]
pub struct LeastResponseTime {
    tau_us: u64,
    /// Per server: (EWMA µs, time of the last sample).
    ewma: Vec<Option<(f64, SimTime)>>,
    last: Option<Option<ServerId>>,
}

impl LeastResponseTime {
    /// An EWMA with time constant `tau_us`.
    pub fn new(tau_us: u64) -> Result<Self, String> {
        check_tau(tau_us)?;
        Ok(LeastResponseTime {
            tau_us,
            ewma: Vec::new(),
            last: None,
        })
    }

    /// Time constant 10 s.
    pub fn default_tau() -> Self {
        Self::new(10_000_000).expect("valid")
    }

    /// The EWMA (µs) of `server`, if it has served anything.
    pub fn ewma_us(&self, server: ServerId) -> Option<f64> {
        self.ewma
            .get(server.0 as usize)
            .copied()
            .flatten()
            .map(|e| e.0)
    }

    fn score(&self, v: &BackendView) -> f64 {
        match self.ewma_us(v.id) {
            Some(e) => e,
            None if v.in_flight == 0 => 0.0,
            None => f64::INFINITY,
        }
    }
}

impl Balancer for LeastResponseTime {
    fn name(&self) -> &str {
        "least response time"
    }

    fn pick(
        &mut self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        let mut best: Option<(&BackendView, f64)> = None;
        for v in servers.iter().filter(|v| v.eligible()) {
            let s = self.score(v);
            let better =
                best.is_none_or(|(b, bs)| s < bs || (s == bs && v.in_flight < b.in_flight));
            if better {
                best = Some((v, s));
            }
        }
        let chosen = best.map(|(v, _)| v.id);
        self.last = Some(chosen);
        chosen
    }

    fn on_response(&mut self, now: SimTime, response: &Response) {
        if !response.ok() {
            return;
        }
        let i = response.server.0 as usize;
        if self.ewma.len() <= i {
            self.ewma.resize(i + 1, None);
        }
        let x = response.latency_us as f64;
        self.ewma[i] = Some(match self.ewma[i] {
            None => (x, now),
            Some((e, at)) => {
                let w = decay(now.since(at), self.tau_us);
                (e * w + x * (1.0 - w), at.max(now))
            }
        });
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let chosen = self.last.flatten();
        let scores = servers
            .iter()
            .map(|v| {
                if !v.eligible() {
                    return skipped_score(v);
                }
                let s = self.score(v);
                let text = match self.ewma_us(v.id) {
                    Some(e) => format!("{}: {} EWMA, {} in flight", v.name, ms(e), v.in_flight),
                    None if v.in_flight == 0 => {
                        format!("{}: no response yet, idle: probe it first", v.name)
                    }
                    None => format!(
                        "{}: no response yet, {} in flight: wait for it",
                        v.name, v.in_flight
                    ),
                };
                ServerScore {
                    server: v.id,
                    score: Some(s),
                    text,
                }
            })
            .collect();
        let summary = match chosen {
            None => "no server available".to_string(),
            Some(c) => {
                let v = &servers[c.0 as usize];
                match self.ewma_us(c) {
                    Some(e) => format!(
                        "lowest average response time wins: {} ({}; ties go to fewer in flight)",
                        v.name,
                        ms(e)
                    ),
                    None => format!("{} has no response yet: probe it", v.name),
                }
            }
        };
        Explanation {
            chosen,
            scores,
            summary,
        }
    }
}
