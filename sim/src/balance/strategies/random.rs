//! Random sampling strategies: the power of d choices, and Finagle's aperture.
//!
//! **Power of d choices** ([`PowerOfD`]): draw `d` distinct eligible servers uniformly at random
//! and send the request to the one with the fewest in flight. Mitzenmacher, "The Power of Two
//! Choices in Randomized Load Balancing" (IEEE TPDS 12(10), 2001) shows why two draws already
//! cut the maximum load from `Θ(log n / log log n)` to `Θ(log log n)`. Products: nginx
//! `random two least_conn` (`ngx_http_upstream_random_module.c`,
//! `ngx_http_upstream_get_random2_peer`) and HAProxy `balance random(2)`. `d = 1` is uniform
//! random. Ties go to the later draw, as nginx's `random2` (it keeps the first draw only when the
//! second is strictly more loaded) and Finagle's `P2CPick` do. Differences from nginx, stated:
//! nginx draws each peer *by weight* (`ngx_http_upstream_peek_random_peer`, a draw in
//! `[0, total weight)`), compares `conns / weight`, redraws a repeated or unusable peer up to 20
//! times and then falls back to round robin; here draws are uniform and distinct among the eligible
//! servers (so there is nothing to redraw) and weights are ignored. HAProxy's draws are weighted
//! as well (configuration manual, `balance random`: a random number is the key on its
//! consistent-hash ring, so weights are respected) and are made with replacement, so a draw can
//! repeat the best server so far and leave nothing to compare (`get_server_rnd`, as discussed on
//! the haproxy mailing list); the least loaded of the draws wins.
//!
//! **Aperture** ([`Aperture`]): Finagle's deterministic aperture (`loadbalancer/aperture/
//! DeterministicAperture.scala`, `Balancers.aperture`; the Finagle user guide, "Aperture Least
//! Loaded", and the Twitter engineering post "Deterministic Aperture: A distributed, load
//! balancing algorithm", 2019). With many clients and many servers, each client talks only to a
//! window ("aperture") of the servers, and the windows of the clients are spread evenly around
//! the ring of servers, so every server gets about the same number of clients and each client
//! keeps few connections; inside its window a client balances by P2C least loaded. Here: the
//! eligible servers in id order form the ring; client `client` of `clients` starts its window at
//! index `⌊client × m / clients⌋` of the `m` eligible servers and takes `min(size, m)`
//! consecutive servers, then picks the less loaded (in flight) of two distinct random servers of
//! the window (ties to the later draw). Simplified, honestly: Finagle places clients and
//! servers on a continuous unit ring and gives the servers at a window's edges a fractional share
//! (its `Ring.pick(offset, width)`), sizes the window dynamically from load bands (`lowLoad`,
//! `highLoad`) or from the process coordinates, and can use peak EWMA as the load; here the window
//! is whole servers and of fixed size, and the load is the in-flight count. When servers become
//! ineligible the window shifts over the remaining ones (Finagle rebuilds its ring too).

use super::{name_of, skipped_score};
use crate::requests::{BackendView, Balancer, Explanation, RequestInfo, ServerId, ServerScore};
use crate::rng::SimRng;
use crate::time::SimTime;

/// The most draws per pick.
pub const MAX_D: u32 = 1_000;

/// `min(d, m)` distinct indices in `0..m`, uniformly, in draw order (a partial Fisher–Yates
/// shuffle). No draw when `m ≤ 1`.
pub(crate) fn sample_distinct(rng: &mut SimRng, m: u32, d: u32) -> Vec<u32> {
    if m == 0 {
        return Vec::new();
    }
    if m == 1 {
        return vec![0];
    }
    let k = d.min(m);
    let mut idx: Vec<u32> = (0..m).collect();
    for j in 0..k {
        let r = j + rng.below(u64::from(m - j)) as u32;
        idx.swap(j as usize, r as usize);
    }
    idx.truncate(k as usize);
    idx
}

/// Of the `drawn` servers, the one with the fewest in flight; ties go to the later draw.
fn least_loaded(drawn: &[&BackendView]) -> Option<ServerId> {
    let mut best: Option<&BackendView> = None;
    for v in drawn {
        if best.is_none_or(|b| v.in_flight <= b.in_flight) {
            best = Some(v);
        }
    }
    best.map(|v| v.id)
}

fn explain_draws(
    chosen: Option<ServerId>,
    drawn: &[ServerId],
    servers: &[BackendView],
    outside: impl Fn(&BackendView) -> Option<String>,
) -> Explanation {
    let scores = servers
        .iter()
        .map(|v| {
            if !v.eligible() {
                return skipped_score(v);
            }
            if drawn.contains(&v.id) {
                return ServerScore {
                    server: v.id,
                    score: Some(f64::from(v.in_flight)),
                    text: format!("{}: drawn, {} in flight", v.name, v.in_flight),
                };
            }
            ServerScore {
                server: v.id,
                score: None,
                text: outside(v).unwrap_or_else(|| format!("{}: not drawn", v.name)),
            }
        })
        .collect();
    let summary = match chosen {
        None => "no server available".to_string(),
        Some(c) => {
            let names: Vec<&str> = drawn.iter().map(|d| name_of(servers, *d)).collect();
            format!(
                "drew {}; fewest in flight wins: {} ({})",
                names.join(", "),
                name_of(servers, c),
                servers[c.0 as usize].in_flight
            )
        }
    };
    Explanation {
        chosen,
        scores,
        summary,
    }
}

/// The power of d choices (see the module docs).
#[derive(Clone, Debug)]
pub struct PowerOfD {
    d: u32,
    last: Option<(Option<ServerId>, Vec<ServerId>)>,
}

impl PowerOfD {
    /// `d` draws per pick, 1 to [`MAX_D`].
    pub fn new(d: u32) -> Result<Self, String> {
        if !(1..=MAX_D).contains(&d) {
            return Err(format!("d must be 1–{MAX_D}, got {d}"));
        }
        Ok(PowerOfD { d, last: None })
    }

    /// The number of draws.
    pub fn d(&self) -> u32 {
        self.d
    }
}

impl Balancer for PowerOfD {
    fn name(&self) -> &str {
        match self.d {
            1 => "random",
            2 => "power of two choices",
            _ => "power of d choices",
        }
    }

    fn pick(
        &mut self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        let eligible: Vec<&BackendView> = servers.iter().filter(|v| v.eligible()).collect();
        let drawn: Vec<&BackendView> = sample_distinct(rng, eligible.len() as u32, self.d)
            .into_iter()
            .map(|i| eligible[i as usize])
            .collect();
        let chosen = least_loaded(&drawn);
        self.last = Some((chosen, drawn.iter().map(|v| v.id).collect()));
        chosen
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let (chosen, drawn) = self.last.clone().unwrap_or((None, Vec::new()));
        explain_draws(chosen, &drawn, servers, |_| None)
    }
}

/// Finagle-style deterministic aperture with P2C least loaded inside the window (see the
/// module docs).
#[derive(Clone, Debug)]
pub struct Aperture {
    size: u32,
    client: u32,
    clients: u32,
    last: Option<(Option<ServerId>, Vec<ServerId>, Vec<ServerId>)>,
}

impl Aperture {
    /// A window of `size` servers (1–1000) for client `client` of `clients` (at most 1,000,000).
    pub fn new(size: u32, client: u32, clients: u32) -> Result<Self, String> {
        if !(1..=1_000).contains(&size) {
            return Err(format!("the aperture size must be 1–1000, got {size}"));
        }
        if !(1..=1_000_000).contains(&clients) {
            return Err(format!("clients must be 1–1,000,000, got {clients}"));
        }
        if client >= clients {
            return Err(format!(
                "client {client} is not one of {clients} clients (0–{})",
                clients - 1
            ));
        }
        Ok(Aperture {
            size,
            client,
            clients,
            last: None,
        })
    }

    /// This client's window: the eligible servers it may use now, in ring order.
    pub fn window(&self, servers: &[BackendView]) -> Vec<ServerId> {
        let eligible: Vec<ServerId> = servers
            .iter()
            .filter(|v| v.eligible())
            .map(|v| v.id)
            .collect();
        let m = eligible.len() as u64;
        if m == 0 {
            return Vec::new();
        }
        let start = u64::from(self.client) * m / u64::from(self.clients);
        let width = u64::from(self.size).min(m);
        (0..width)
            .map(|j| eligible[((start + j) % m) as usize])
            .collect()
    }
}

impl Balancer for Aperture {
    fn name(&self) -> &str {
        "aperture"
    }

    fn pick(
        &mut self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        let window = self.window(servers);
        let drawn: Vec<&BackendView> = sample_distinct(rng, window.len() as u32, 2)
            .into_iter()
            .map(|i| &servers[window[i as usize].0 as usize])
            .collect();
        let chosen = least_loaded(&drawn);
        self.last = Some((chosen, drawn.iter().map(|v| v.id).collect(), window));
        chosen
    }

    fn explain(
        &self,
        _now: SimTime,
        _request: &RequestInfo,
        servers: &[BackendView],
    ) -> Explanation {
        let (chosen, drawn, window) = self.last.clone().unwrap_or((None, Vec::new(), Vec::new()));
        let mut e = explain_draws(chosen, &drawn, servers, |v| {
            Some(if window.contains(&v.id) {
                format!("{}: in the window, not drawn", v.name)
            } else {
                format!("{}: outside this client's window", v.name)
            })
        });
        if chosen.is_some() {
            e.summary = format!(
                "client {} of {}: window of {} servers; {}",
                self.client,
                self.clients,
                window.len(),
                e.summary
            );
        }
        e
    }
}
