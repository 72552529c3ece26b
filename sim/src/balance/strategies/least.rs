//! Least connections: the fewest requests in flight, per unit of weight.
//!
//! Source: nginx `src/http/modules/ngx_http_upstream_least_conn_module.c`
//! (`ngx_http_upstream_get_least_conn_peer`). nginx scans the peers for the lowest
//! `conns / weight`, compared as cross products (`conns_a × weight_b < conns_b × weight_a`, no
//! division, no floats), using the configured `weight`. If several peers tie at the minimum it
//! runs the smooth weighted round-robin step over exactly the tied peers (adding
//! `effective_weight` to their `current_weight`, the same counters plain round robin uses), so
//! ties rotate in proportion to weight instead of always going to the first. With one peer at
//! the minimum nothing is added or subtracted.
//!
//! HAProxy `balance leastconn` (configuration manual §4.2, `balance`) also picks the server with
//! the fewest connections, taking weights into account (it is a "dynamic" algorithm whose weights
//! can change on the fly), and "round-robin is performed within groups of servers of the same
//! load"; its ordering structure is a tree rather than nginx's scan, so its tie order differs.
//! The `weighted: false` variant here ignores weights altogether (the textbook "least
//! connections"), with smooth round robin over equal weights among the tied.
//!
//! Simplified: NGINX Plus `slow_start` does not scale the comparison here (it is not documented
//! how it would); `max_conns` and backup servers are not part of [`BackendView`].

use super::wrr::WeightedRoundRobin;
use super::{name_of, num, skipped_score};
use crate::requests::{BackendView, Balancer, Explanation, RequestInfo, ServerId, ServerScore};
use crate::rng::SimRng;
use crate::time::SimTime;

/// nginx `least_conn` (`weighted: true`) or plain least connections (`weighted: false`).
#[derive(Clone, Debug)]
pub struct LeastConnections {
    /// Compare `in_flight / weight` (nginx, HAProxy) rather than `in_flight`.
    weighted: bool,
    /// The smooth-WRR state ties are broken with.
    tie: WeightedRoundRobin,
    last: Option<(Option<ServerId>, Vec<ServerId>)>,
}

impl LeastConnections {
    /// nginx `least_conn` when `weighted`, else least connections ignoring weights.
    pub fn new(weighted: bool) -> Self {
        LeastConnections {
            weighted,
            tie: if weighted {
                WeightedRoundRobin::new()
            } else {
                WeightedRoundRobin::equal_weights()
            },
            last: None,
        }
    }

    /// Whether loads are per unit of weight.
    pub fn weighted(&self) -> bool {
        self.weighted
    }

    fn weight(&self, v: &BackendView) -> u64 {
        if self.weighted {
            u64::from(v.weight.max(1))
        } else {
            1
        }
    }

    /// `a` carries strictly less load per weight than `b`.
    fn lighter(&self, a: &BackendView, b: &BackendView) -> bool {
        u64::from(a.in_flight) * self.weight(b) < u64::from(b.in_flight) * self.weight(a)
    }

    fn same(&self, a: &BackendView, b: &BackendView) -> bool {
        u64::from(a.in_flight) * self.weight(b) == u64::from(b.in_flight) * self.weight(a)
    }
}

impl Balancer for LeastConnections {
    fn name(&self) -> &str {
        if self.weighted {
            "least connections (weighted)"
        } else {
            "least connections"
        }
    }

    fn pick(
        &mut self,
        now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        let mut best: Option<&BackendView> = None;
        for v in servers.iter().filter(|v| v.eligible()) {
            if best.is_none_or(|b| self.lighter(v, b)) {
                best = Some(v);
            }
        }
        let Some(best) = best else {
            self.last = Some((None, Vec::new()));
            return None;
        };
        let is_tied: Vec<bool> = servers
            .iter()
            .map(|v| v.eligible() && self.same(v, best))
            .collect();
        let tied: Vec<ServerId> = servers
            .iter()
            .filter(|v| is_tied[v.id.0 as usize])
            .map(|v| v.id)
            .collect();
        let chosen = if tied.len() > 1 {
            self.tie
                .pick_among(now, servers, |v| is_tied[v.id.0 as usize])
        } else {
            Some(best.id)
        };
        self.last = Some((chosen, tied));
        chosen
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let (chosen, tied) = self.last.clone().unwrap_or((None, Vec::new()));
        let scores = servers
            .iter()
            .map(|v| {
                if !v.eligible() {
                    return skipped_score(v);
                }
                let w = self.weight(v);
                let score = f64::from(v.in_flight) / w as f64;
                let text = if self.weighted {
                    format!(
                        "{}: {} in flight / weight {w} = {}",
                        v.name,
                        v.in_flight,
                        num(score)
                    )
                } else {
                    format!("{}: {} in flight", v.name, v.in_flight)
                };
                ServerScore {
                    server: v.id,
                    score: Some(score),
                    text,
                }
            })
            .collect();
        let summary = match chosen {
            None => "no server available".to_string(),
            Some(c) => {
                let v = &servers[c.0 as usize];
                let s = num(f64::from(v.in_flight) / self.weight(v) as f64);
                if tied.len() > 1 {
                    let names: Vec<&str> = tied.iter().map(|t| name_of(servers, *t)).collect();
                    format!(
                        "lowest load wins: {} tie at {s}; smooth weighted round robin among them picks {}",
                        names.join(", "),
                        v.name
                    )
                } else {
                    format!("lowest load wins: {} ({s})", v.name)
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
