//! Weighted round robin: nginx's smooth weighted round robin ([`SmoothWrr`]) driven by what the
//! balancer sees.
//!
//! Source: nginx `src/http/ngx_http_upstream_round_robin.c` (`ngx_http_upstream_get_peer`), as
//! [`crate::balance::swrr`] implements it step for step; this adapter only feeds it. For weights
//! {5, 1, 1} the first seven picks are nginx's `a a b a c a a`.
//!
//! **How the views drive it.** The peer list is every server not removed, in id order, each with
//! its weight; a server that is not [`eligible`](BackendView::eligible) (unhealthy, draining,
//! already tried, weight 0) is marked `down` for that pick, so it adds nothing and keeps its
//! `current_weight`, as a down peer does in nginx. Failure accounting inside [`SmoothWrr`] is off
//! (`max_fails=0`): passive health is [`PassiveChecks`](super::PassiveChecks)'s job, over any
//! strategy.
//!
//! **Slow start** (NGINX Plus `slow_start`, whose code is not public): the peers' weights are the
//! views' effective weights in tenths of a weight unit (`ceil(effective_weight_milli / 100)`, at
//! least 1), so a ramping server's share grows in steps of a tenth of its weight. Smooth WRR is
//! scale-free (weights ×10 give the same sequence), so without ramps this is exactly nginx.
//! Whenever the list or a weight changes the [`SmoothWrr`] is rebuilt and every
//! `current_weight` restarts at 0, as after an nginx reload; a ramp causes at most
//! `10 × weight` such restarts.

use super::{listed, name_of, num, skipped_score};
use crate::balance::swrr::{PeerId, PeerSpec, SmoothWrr, Tier};
use crate::requests::{BackendView, Balancer, Explanation, RequestInfo, ServerId, ServerScore};
use crate::rng::SimRng;
use crate::time::SimTime;

/// nginx smooth weighted round robin over the non-removed servers (see the module docs).
#[derive(Clone, Debug, Default)]
pub struct WeightedRoundRobin {
    wrr: Option<SmoothWrr>,
    /// Peer index → (server, weight in tenths) the [`SmoothWrr`] was built with.
    list: Vec<(ServerId, u32)>,
    /// Every weight taken as 1 (plain smooth round robin).
    equal: bool,
    last: Option<LastPick>,
}

#[derive(Clone, Debug)]
struct LastPick {
    chosen: Option<ServerId>,
    /// Sum of the weights added (tenths).
    total: i64,
    /// Per listed server: its current weight after the addition and the weight it added
    /// (`None`: it did not take part).
    considered: Vec<(ServerId, Option<(i64, i64)>)>,
    /// Whether this pick rebuilt the list (current weights restarted at 0).
    rebuilt: bool,
}

fn tenths(v: &BackendView, equal: bool) -> u32 {
    if equal {
        return 10;
    }
    let full = u64::from(v.weight.max(1)) * 10;
    v.effective_weight_milli.div_ceil(100).clamp(1, full) as u32
}

fn show(t: i64) -> String {
    num(t as f64 / 10.0)
}

impl WeightedRoundRobin {
    /// nginx's weighted round robin.
    pub fn new() -> Self {
        Self::default()
    }

    /// Smooth round robin with every weight 1 (the tie-breaker of unweighted least connections).
    pub(crate) fn equal_weights() -> Self {
        WeightedRoundRobin {
            equal: true,
            ..Self::default()
        }
    }

    /// One smooth-WRR step among the eligible servers for which `allow` holds (the others are
    /// `down` for this step). `None` when there is none.
    pub(crate) fn pick_among(
        &mut self,
        now: SimTime,
        servers: &[BackendView],
        allow: impl Fn(&BackendView) -> bool,
    ) -> Option<ServerId> {
        let want: Vec<(ServerId, u32)> = listed(servers)
            .map(|v| (v.id, tenths(v, self.equal)))
            .collect();
        let ok = |v: &BackendView| v.eligible() && allow(v);
        if !servers.iter().any(ok) {
            self.last = Some(LastPick {
                chosen: None,
                total: 0,
                considered: Vec::new(),
                rebuilt: false,
            });
            return None;
        }
        let rebuilt = self.wrr.is_none() || self.list != want;
        if rebuilt {
            let specs = want
                .iter()
                .map(|&(id, w)| PeerSpec {
                    max_fails: 0,
                    ..PeerSpec::new(name_of(servers, id), w)
                })
                .collect();
            self.wrr = Some(SmoothWrr::new(specs, Vec::new()).expect("1 ≤ weight ≤ 10,000"));
            self.list = want;
        }
        let wrr = self.wrr.as_mut().expect("built above");
        for (i, &(id, _)) in self.list.iter().enumerate() {
            let peer = PeerId {
                tier: Tier::Primary,
                index: i as u32,
            };
            wrr.set_down(peer, !ok(&servers[id.0 as usize]));
        }
        let mut attempt = wrr.begin();
        let pick = wrr.get(&mut attempt, now)?;
        wrr.free(&mut attempt, pick.peer, false, now);
        let chosen = self.list[pick.peer.index as usize].0;
        let considered = if pick.considered.is_empty() {
            // nginx's single peer: no arithmetic.
            vec![(chosen, None)]
        } else {
            pick.considered
                .iter()
                .map(|c| {
                    let id = self.list[c.index as usize].0;
                    (
                        id,
                        c.skipped.is_none().then_some((c.current_weight, c.added)),
                    )
                })
                .collect()
        };
        self.last = Some(LastPick {
            chosen: Some(chosen),
            total: pick.total,
            considered,
            rebuilt,
        });
        Some(chosen)
    }
}

impl Balancer for WeightedRoundRobin {
    fn name(&self) -> &str {
        if self.equal {
            "smooth round robin"
        } else {
            "weighted round robin"
        }
    }

    fn pick(
        &mut self,
        now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        self.pick_among(now, servers, |_| true)
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let Some(last) = &self.last else {
            return Explanation {
                summary: "no pick yet".into(),
                ..Explanation::default()
            };
        };
        let scores = servers
            .iter()
            .map(|v| {
                let part = last.considered.iter().find(|(id, _)| *id == v.id);
                match part {
                    Some((_, Some((cw, added)))) => {
                        let won = last.chosen == Some(v.id);
                        let text = format!(
                            "{}: current weight {} + weight {} = {}{}",
                            v.name,
                            show(cw - added),
                            show(*added),
                            show(*cw),
                            if won {
                                format!(
                                    ", largest: picked, then − {} = {}",
                                    show(last.total),
                                    show(cw - last.total)
                                )
                            } else {
                                String::new()
                            }
                        );
                        ServerScore {
                            server: v.id,
                            score: Some(*cw as f64 / 10.0),
                            text,
                        }
                    }
                    Some((_, None)) if last.chosen == Some(v.id) => ServerScore {
                        server: v.id,
                        score: None,
                        text: format!("{}: the only server", v.name),
                    },
                    _ => skipped_score(v),
                }
            })
            .collect();
        let summary = match last.chosen {
            None => "no server available".to_string(),
            Some(c) => {
                let cw = last
                    .considered
                    .iter()
                    .find(|(id, _)| *id == c)
                    .and_then(|(_, p)| *p);
                match cw {
                    Some((cw, _)) => format!(
                        "largest current weight wins: {} ({}); it gives back the total {}{}",
                        name_of(servers, c),
                        show(cw),
                        show(last.total),
                        if last.rebuilt {
                            " (server list or weights changed: current weights restarted at 0)"
                        } else {
                            ""
                        }
                    ),
                    None => format!("one server in the list: {}", name_of(servers, c)),
                }
            }
        };
        Explanation {
            chosen: last.chosen,
            scores,
            summary,
        }
    }
}
