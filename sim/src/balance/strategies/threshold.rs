//! A capacity threshold with a least-loaded fallback: the "traffic signal" balancer of widely
//! copied interview-prep notes (catalogue B, D8), as written and fixed.
//!
//! **The notes' algorithm.** Three servers with capacities (western highway 1,000, eastern 800,
//! Sion–Panvel 600), each with a current load. *Green wave* (normal) mode: the candidates are
//! the servers whose load is below 80 % of their capacity; the one with the smallest predicted
//! response time gets the request, and the request's estimated load is added to its load. If no
//! server qualifies, *emergency* mode: the server with the least **absolute** load gets it,
//! unless that server is at or over its capacity, in which case the request is refused ("All
//! routes congested"). Python's `min` keeps the first of equal keys, so ties go to the server
//! listed first; here, to the lowest id.
//!
//! **On the simulator's terms.**
//! - *Load* is the server's requests in flight ([`BackendView::in_flight`]), as nginx and
//!   HAProxy count connections: one per request, released when the answer (or failure, or
//!   timeout) comes back. The notes only ever add load and never release it, so their balancer
//!   fills up for good: with estimated load 1 per request, green wave fills western to 800,
//!   eastern to 640 and Sion–Panvel to 480 (1,920 requests), emergency mode then sends 120 more to
//!   Sion–Panvel, and from the 2,041st request on every request is refused, forever, with 200 and
//!   160 units spare on the other two. Releasing on completion is what a real balancer does, and
//!   what makes the threshold mean anything over time.
//! - *Capacity* is the server's configured weight ([`BackendView::weight`], nginx `weight=`),
//!   read as the requests it may have in flight. One knob then serves every strategy of the
//!   lesson: weights 10, 8, 6 are the notes' capacities scaled by 1/100, the same weights give
//!   weighted round robin its 5 : 4 : 3, and weighted least connections (in flight ÷ weight) is
//!   least utilisation. Slow start's ramped weight is not used: capacity is configuration.
//! - *Below the threshold* is `in flight × 100 < threshold_percent × capacity`, in integers (80 %
//!   of 6 is 4.8: up to 4 in flight qualify, 5 does not).
//! - *Predicted response time* is not defined by the notes. Here it is `(in flight + 1) /
//!   capacity`: a request sent to a server with one worker waits for the requests ahead of it and
//!   then its own service, in-flight + 1 service times, and a server's service time is
//!   proportional to 1/capacity when capacity follows speed, as the notes' highways suggest (a
//!   wider road carries more). It is in units of one request's service on a capacity-1 server;
//!   the balancer does not know the mean service time, so it does not turn it into milliseconds.
//!   The + 1 matters: idle servers do not tie (1/10 < 1/8 < 1/6), the largest wins, as it would
//!   answer first. Compared as cross products, `(a + 1) × cap_b < (b + 1) × cap_a`: no floats.
//! - Refusing is returning `None` from [`Balancer::pick`]: the simulator ends the request at once
//!   as "no server available" (its `no_server` count and an error; HAProxy answers 503), and a
//!   retry, if any, stops there with the previous attempt's outcome.
//!
//! **The bug, and the fix.** [`ThresholdBalancer::notes`] keeps the notes' emergency rule. In
//! emergency every server is at 80 % or more, so the one with the least absolute load is usually
//! the *smallest* server, the first to be full: with loads 820 / 700 / 600 of 1,000 / 800 / 600 it
//! picks Sion–Panvel (600 of 600) and refuses, though western has 180 and eastern 100 spare.
//! [`ThresholdBalancer::fixed`] compares utilisation (in flight ÷ capacity) among the servers
//! with room (in flight < capacity), ties to the lowest id, and refuses only when every server is
//! full; green wave mode is the same in both.
//!
//! Like the notes, this is a sketch, not a product's algorithm: nginx and HAProxy have no
//! threshold-then-fallback mode. The nearest real knobs are nginx's `max_conns=` (a server with
//! that many connections is not picked; with none left, the request waits in a `queue` in NGINX
//! Plus or fails) and HAProxy's `maxconn` per server (excess requests wait in the backend's
//! queue), both with least connections or round robin doing the choosing.

use super::{name_of, skipped_score};
use crate::requests::{BackendView, Balancer, Explanation, RequestInfo, ServerId, ServerScore};
use crate::rng::SimRng;
use crate::time::SimTime;

/// Which mode the last pick was made in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ThresholdMode {
    /// At least one server was below the threshold: the smallest predicted time among them.
    GreenWave,
    /// No server was below the threshold: the emergency rule.
    Emergency,
}

impl ThresholdMode {
    /// `green wave` or `emergency`.
    pub fn name(self) -> &'static str {
        match self {
            ThresholdMode::GreenWave => "green wave",
            ThresholdMode::Emergency => "emergency",
        }
    }
}

/// The threshold balancer of the notes (`fixed: false`) or with least-utilisation emergency mode
/// (`fixed: true`); see the module docs.
#[derive(Clone, Debug)]
pub struct ThresholdBalancer {
    /// A server qualifies for green wave mode below this share of its capacity, in percent.
    percent: u32,
    /// Emergency mode by utilisation among servers with room (else the notes' least absolute load).
    fixed: bool,
    /// The last pick: its mode and server (`None`: refused or none eligible).
    last: Option<(ThresholdMode, Option<ServerId>)>,
}

/// The capacity of a server: its configured weight, in requests in flight (at least 1).
pub fn capacity(v: &BackendView) -> u64 {
    u64::from(v.weight.max(1))
}

impl ThresholdBalancer {
    /// A threshold balancer; `percent` must be 1–100.
    pub fn new(percent: u32, fixed: bool) -> Result<Self, String> {
        if !(1..=100).contains(&percent) {
            return Err(format!("a threshold from 1 to 100 %, not {percent}"));
        }
        Ok(ThresholdBalancer {
            percent,
            fixed,
            last: None,
        })
    }

    /// The notes' algorithm: emergency mode takes the least absolute load and refuses if that
    /// server is full.
    pub fn notes(percent: u32) -> Result<Self, String> {
        Self::new(percent, false)
    }

    /// Emergency mode takes the least utilisation among servers with room.
    pub fn fixed(percent: u32) -> Result<Self, String> {
        Self::new(percent, true)
    }

    /// The threshold, in percent of capacity.
    pub fn percent(&self) -> u32 {
        self.percent
    }

    /// Whether emergency mode is the fixed one.
    pub fn is_fixed(&self) -> bool {
        self.fixed
    }

    /// The mode of the last pick (`None` before the first).
    pub fn last_mode(&self) -> Option<ThresholdMode> {
        self.last.map(|l| l.0)
    }

    /// `v` is below the threshold: `in flight × 100 < percent × capacity`.
    pub fn below_threshold(&self, v: &BackendView) -> bool {
        u64::from(v.in_flight) * 100 < u64::from(self.percent) * capacity(v)
    }

    /// The mode the next pick over `servers` would use.
    fn mode(&self, servers: &[BackendView]) -> ThresholdMode {
        if servers
            .iter()
            .any(|v| v.eligible() && self.below_threshold(v))
        {
            ThresholdMode::GreenWave
        } else {
            ThresholdMode::Emergency
        }
    }

    /// Whether a server can take one more: in flight below capacity.
    fn has_room(v: &BackendView) -> bool {
        u64::from(v.in_flight) < capacity(v)
    }

    /// The first server (lowest id) minimising `lighter` among those `candidate` admits.
    fn first_min(
        servers: &[BackendView],
        candidate: impl Fn(&BackendView) -> bool,
        lighter: impl Fn(&BackendView, &BackendView) -> bool,
    ) -> Option<&BackendView> {
        let mut best: Option<&BackendView> = None;
        for v in servers.iter().filter(|v| v.eligible() && candidate(v)) {
            if best.is_none_or(|b| lighter(v, b)) {
                best = Some(v);
            }
        }
        best
    }
}

/// `(a + 1) / cap_a < (b + 1) / cap_b`, as cross products.
fn faster(a: &BackendView, b: &BackendView) -> bool {
    (u64::from(a.in_flight) + 1) * capacity(b) < (u64::from(b.in_flight) + 1) * capacity(a)
}

/// `a / cap_a < b / cap_b`, as cross products.
fn less_utilised(a: &BackendView, b: &BackendView) -> bool {
    u64::from(a.in_flight) * capacity(b) < u64::from(b.in_flight) * capacity(a)
}

/// A ratio for explanations: up to three decimals (`0.875`, `0.8`, `0.001`, `1`).
fn ratio(x: f64) -> String {
    super::num_places(x, 3)
}

fn load(v: &BackendView) -> String {
    format!("{}/{}", v.in_flight, capacity(v))
}

impl Balancer for ThresholdBalancer {
    fn name(&self) -> &str {
        if self.fixed {
            "threshold, least-utilisation emergency"
        } else {
            "threshold, least-load emergency (as published)"
        }
    }

    fn pick(
        &mut self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        let mode = self.mode(servers);
        let chosen = match mode {
            ThresholdMode::GreenWave => {
                Self::first_min(servers, |v| self.below_threshold(v), faster).map(|v| v.id)
            }
            ThresholdMode::Emergency if self.fixed => {
                Self::first_min(servers, Self::has_room, less_utilised).map(|v| v.id)
            }
            ThresholdMode::Emergency => {
                Self::first_min(servers, |_| true, |a, b| a.in_flight < b.in_flight)
                    .filter(|v| Self::has_room(v))
                    .map(|v| v.id)
            }
        };
        self.last = Some((mode, chosen));
        chosen
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let (mode, chosen) = self.last.unwrap_or((self.mode(servers), None));
        let p = self.percent;
        let scores = servers
            .iter()
            .map(|v| {
                if !v.eligible() {
                    return skipped_score(v);
                }
                let (n, c) = (v.in_flight, capacity(v));
                let (score, text) = match mode {
                    ThresholdMode::GreenWave if self.below_threshold(v) => {
                        let s = (f64::from(n) + 1.0) / c as f64;
                        (
                            Some(s),
                            format!(
                                "{}: {} < {p} %: predicted ({n} + 1)/{c} = {}",
                                v.name,
                                load(v),
                                ratio(s)
                            ),
                        )
                    }
                    ThresholdMode::GreenWave => {
                        (None, format!("{}: {} ≥ {p} %: left out", v.name, load(v)))
                    }
                    ThresholdMode::Emergency if self.fixed => {
                        if Self::has_room(v) {
                            let u = f64::from(n) / c as f64;
                            (
                                Some(u),
                                format!("{}: {} = {} utilised", v.name, load(v), ratio(u)),
                            )
                        } else {
                            (None, format!("{}: {} full: left out", v.name, load(v)))
                        }
                    }
                    ThresholdMode::Emergency => {
                        let full = if Self::has_room(v) { "" } else { ", full" };
                        (
                            Some(f64::from(n)),
                            format!("{}: load {}{full}", v.name, load(v)),
                        )
                    }
                };
                ServerScore {
                    server: v.id,
                    score,
                    text,
                }
            })
            .collect();
        let eligible: Vec<&BackendView> = servers.iter().filter(|v| v.eligible()).collect();
        let summary = match (mode, chosen) {
            (_, None) if eligible.is_empty() => "no server available".to_string(),
            (ThresholdMode::GreenWave, Some(c)) => {
                let v = &servers[c.0 as usize];
                format!(
                    "green wave: smallest predicted time among servers below {p} % wins: {} \
                     (({} + 1)/{} = {})",
                    v.name,
                    v.in_flight,
                    capacity(v),
                    ratio((f64::from(v.in_flight) + 1.0) / capacity(v) as f64)
                )
            }
            (ThresholdMode::Emergency, Some(c)) if self.fixed => {
                let v = &servers[c.0 as usize];
                format!(
                    "emergency (every server at {p} % or more): lowest utilisation with room \
                     wins: {} ({})",
                    v.name,
                    load(v)
                )
            }
            (ThresholdMode::Emergency, Some(c)) => format!(
                "emergency (every server at {p} % or more): least load wins: {} ({})",
                name_of(servers, c),
                load(&servers[c.0 as usize])
            ),
            (_, None) if self.fixed => {
                format!("emergency (every server at {p} % or more): every server is full: refused")
            }
            (_, None) => {
                let least = Self::first_min(servers, |_| true, |a, b| a.in_flight < b.in_flight)
                    .expect("an eligible server");
                let spare: Vec<String> = eligible
                    .iter()
                    .filter(|v| Self::has_room(v))
                    .enumerate()
                    .map(|(i, v)| {
                        let free = capacity(v) - u64::from(v.in_flight);
                        if i == 0 {
                            format!("{} has room for {free}", v.name)
                        } else {
                            format!("{} for {free}", v.name)
                        }
                    })
                    .collect();
                let spare = if spare.is_empty() {
                    String::new()
                } else {
                    format!(", though {}", spare.join(", "))
                };
                format!(
                    "emergency (every server at {p} % or more): least load is {} ({}), full: \
                     refused{spare}",
                    least.name,
                    load(least)
                )
            }
        };
        Explanation {
            chosen,
            scores,
            summary,
        }
    }
}
