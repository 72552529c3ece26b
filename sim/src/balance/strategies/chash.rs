//! nginx `hash $key consistent`, optionally with bounded loads.
//!
//! **Consistent hash** ([`ConsistentHash`]). Source: nginx
//! `src/http/modules/ngx_http_upstream_hash_module.c` (`ngx_http_upstream_update_chash`,
//! `ngx_http_upstream_find_chash_point`, `ngx_http_upstream_get_chash_peer`), "compatible with
//! Cache::Memcached::Fast". Each server of weight `w` gets `160 × w` points: the server string
//! is split at its last `:` followed only by digits into host and port (`unix:` paths have no
//! port), `base = crc32(host ‖ 0x00 ‖ port)`, and point `j` is `crc32(base state ‖ prev)` where
//! `prev` is point `j − 1` as 4 little-endian bytes (0 for the first). Points are sorted and equal
//! values deduplicated (the first kept; nginx's `qsort` leaves which one unspecified). The key's
//! hash is `crc32(key)`; its point is the first one `≥` it (wrapping); if that point's server is
//! unusable nginx steps to the next point, up to 20 steps, then falls back to round robin; a retry
//! resumes at the point and try count where the previous attempt stopped. With a single server
//! nginx uses round robin. The key here is the request's `key` written in decimal (what
//! `hash $arg_client consistent` would see).
//!
//! **Bounded loads** (`bounded: Some(c)`): Mirrokni, Thorup & Zadimoghaddam, "Consistent Hashing
//! with Bounded Loads", SODA 2018 (arXiv:1608.01350), as HAProxy's `hash-balance-factor` applies
//! it to live connections. With `n` eligible servers holding `T` requests in flight in total, a
//! server is *full* when its in-flight count is at least `⌈c × (T + 1) / n⌉` (the `+ 1` counts
//! the request being placed); the walk goes clockwise from the key's point to the first eligible
//! server that is not full, with no 20-step limit (the paper's walk continues until it finds
//! room). Since the capacities sum to at least `T + 1 > T`, some eligible server always has room
//! for `c ≥ 1`. `c` is kept in millionths, so the bound is exact integer arithmetic.
//!
//! Simplified: servers with the same name would share points in nginx (and be balanced among by
//! smooth WRR); here names are assumed distinct. Rings above [`MAX_POINTS`] points are built with
//! each server's point count scaled down in proportion (nginx would build them all).

use super::hash::opening;
use super::hash::{crc32, crc32_update, RetryMemo, MAX_TRIES};
use super::wrr::WeightedRoundRobin;
use super::{listed, name_of, skipped_text};
use crate::requests::balancer::skipped_reason;
use crate::requests::{
    BackendView, Balancer, Explanation, RequestInfo, Response, ServerId, ServerScore,
};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::rc::Rc;

/// The most points a consistent-hash ring holds.
pub const MAX_POINTS: u32 = 1 << 20;

/// nginx's host and port split of a server string (see the module docs).
fn host_port(server: &str) -> (&[u8], &[u8]) {
    let s = server.as_bytes();
    if s.len() >= 5 && s[..5].eq_ignore_ascii_case(b"unix:") {
        return (&s[5..], &[]);
    }
    for j in 0..s.len() {
        let c = s[s.len() - j - 1];
        if c == b':' {
            return (&s[..s.len() - j - 1], &s[s.len() - j..]);
        }
        if !c.is_ascii_digit() {
            break;
        }
    }
    (s, &[])
}

/// The `160 × weight` points nginx gives a server named `server` (before sorting).
pub fn chash_points(server: &str, weight: u32) -> Vec<u32> {
    chash_points_n(server, 160 * weight)
}

fn chash_points_n(server: &str, n: u32) -> Vec<u32> {
    let (host, port) = host_port(server);
    let base = crc32_update(crc32_update(crc32_update(0xffff_ffff, host), &[0]), port);
    let mut prev: u32 = 0;
    (0..n)
        .map(|_| {
            let h = crc32_update(base, &prev.to_le_bytes()) ^ 0xffff_ffff;
            prev = h;
            h
        })
        .collect()
}

#[derive(Clone, Debug)]
struct ChLast {
    chosen: Option<ServerId>,
    key_hash: u32,
    /// Servers met on the walk, in order, with why they were passed over (`None`: taken).
    walk: Vec<(ServerId, Option<String>)>,
    bound: Option<u64>,
    fallback: Option<&'static str>,
}

/// nginx `hash $key consistent`, with optional bounded loads (see the module docs).
#[derive(Clone, Debug)]
pub struct ConsistentHash {
    /// `c` in millionths.
    bounded_micro: Option<u64>,
    /// What the ring was built from: (server, name, weight).
    built_from: Vec<(ServerId, Rc<str>, u32)>,
    /// Sorted, deduplicated points.
    ring: Vec<(u32, ServerId)>,
    rr: WeightedRoundRobin,
    memo: RetryMemo<(u32, u32)>,
    last: Option<ChLast>,
}

impl ConsistentHash {
    /// Plain (`None`) or bounded with load factor `c` (1 ≤ c ≤ 1000; 1.25 is Google's and
    /// HAProxy's typical 125 %).
    pub fn new(bounded: Option<f64>) -> Result<Self, String> {
        let bounded_micro = match bounded {
            None => None,
            Some(c) if c.is_finite() && (1.0..=1_000.0).contains(&c) => {
                Some(libm::round(c * 1e6) as u64)
            }
            Some(c) => {
                return Err(format!(
                    "the load bound c must be within 1 and 1000, got {c}"
                ))
            }
        };
        Ok(ConsistentHash {
            bounded_micro,
            built_from: Vec::new(),
            ring: Vec::new(),
            rr: WeightedRoundRobin::new(),
            memo: RetryMemo::default(),
            last: None,
        })
    }

    /// The ring: (point, server), sorted by point.
    pub fn ring(&self) -> &[(u32, ServerId)] {
        &self.ring
    }

    fn rebuild(&mut self, servers: &[BackendView]) {
        let want: Vec<(ServerId, Rc<str>, u32)> = listed(servers)
            .map(|v| (v.id, v.name.clone(), v.weight))
            .collect();
        if want == self.built_from && !self.ring.is_empty() {
            return;
        }
        let total: u64 = want.iter().map(|w| 160 * u64::from(w.2)).sum();
        let mut ring = Vec::new();
        for (id, name, w) in &want {
            let n = if total > u64::from(MAX_POINTS) {
                (160 * u64::from(*w) * u64::from(MAX_POINTS) / total).max(1) as u32
            } else {
                160 * w
            };
            ring.extend(chash_points_n(name, n).into_iter().map(|h| (h, *id)));
        }
        ring.sort_by_key(|p| p.0);
        ring.dedup_by_key(|p| p.0);
        self.ring = ring;
        self.built_from = want;
    }

    /// The bound `⌈c × (T + 1) / n⌉` for the current views (`None` when unbounded or none
    /// eligible).
    pub fn bound(&self, servers: &[BackendView]) -> Option<u64> {
        let c = self.bounded_micro?;
        let (n, t) = servers
            .iter()
            .filter(|v| v.eligible())
            .fold((0u64, 0u64), |(n, t), v| {
                (n + 1, t + u64::from(v.in_flight))
            });
        (n > 0).then(|| (c * (t + 1)).div_ceil(n * 1_000_000))
    }
}

impl Balancer for ConsistentHash {
    fn name(&self) -> &str {
        if self.bounded_micro.is_some() {
            "consistent hash, bounded loads"
        } else {
            "consistent hash"
        }
    }

    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        self.rebuild(servers);
        let key_hash = crc32(request.key.to_string().as_bytes());
        let bound = self.bound(servers);
        let mut last = ChLast {
            chosen: None,
            key_hash,
            walk: Vec::new(),
            bound,
            fallback: None,
        };
        let len = self.ring.len() as u32;
        if self.built_from.len() < 2 || self.ring.is_empty() {
            last.fallback = Some("a single server: round robin");
        } else if let Some(cap) = bound {
            let start = self.ring.partition_point(|p| p.0 < key_hash) as u32;
            for t in 0..len {
                let id = self.ring[((start + t) % len) as usize].1;
                let v = &servers[id.0 as usize];
                let why = if !v.eligible() {
                    Some(skipped_reason(v).to_string())
                } else if u64::from(v.in_flight) >= cap {
                    Some(format!("full: {} in flight ≥ bound {cap}", v.in_flight))
                } else {
                    None
                };
                if last.walk.last().is_none_or(|w| w.0 != id) {
                    last.walk.push((id, why.clone()));
                }
                if why.is_none() {
                    last.chosen = Some(id);
                    break;
                }
            }
        } else {
            let (mut point, mut tries) = self
                .memo
                .get(request)
                .unwrap_or_else(|| (self.ring.partition_point(|p| p.0 < key_hash) as u32, 0));
            if tries > MAX_TRIES {
                last.fallback = Some("more than 20 tries: round robin");
            }
            while last.fallback.is_none() {
                let id = self.ring[(point % len) as usize].1;
                let v = &servers[id.0 as usize];
                if v.eligible() {
                    last.walk.push((id, None));
                    last.chosen = Some(id);
                    self.memo.put(request.id, (point, tries));
                    break;
                }
                last.walk.push((id, Some(skipped_reason(v).to_string())));
                point = point.wrapping_add(1);
                tries += 1;
                if tries > MAX_TRIES {
                    last.fallback = Some("more than 20 tries: round robin");
                }
            }
            if last.fallback.is_some() {
                self.memo.put(request.id, (point, tries));
            }
        }
        if last.fallback.is_some() || last.chosen.is_none() {
            last.fallback.get_or_insert("no usable point: round robin");
            last.chosen = self.rr.pick_among(now, servers, |_| true);
        }
        let chosen = last.chosen;
        self.last = Some(last);
        chosen
    }

    fn on_response(&mut self, _now: SimTime, response: &Response) {
        if response.ok() {
            self.memo.forget(response.request.id);
        }
    }

    fn explain(&self, now: SimTime, request: &RequestInfo, servers: &[BackendView]) -> Explanation {
        let last = match opening(
            self.last.as_ref(),
            |l| l.fallback,
            &self.rr,
            now,
            request,
            servers,
        ) {
            Ok(last) => last,
            Err(e) => return e,
        };
        let scores = servers
            .iter()
            .map(|v| {
                let pos = last.walk.iter().position(|w| w.0 == v.id);
                let text = match pos.map(|p| &last.walk[p]) {
                    Some((_, None)) => format!(
                        "{}: first usable server clockwise (step {}), {} in flight",
                        v.name,
                        pos.unwrap_or(0) + 1,
                        v.in_flight
                    ),
                    Some((_, Some(why))) => format!(
                        "{}: met at step {}, passed: {why}",
                        v.name,
                        pos.unwrap_or(0) + 1
                    ),
                    None if v.eligible() => {
                        format!("{}: not reached, {} in flight", v.name, v.in_flight)
                    }
                    None => skipped_text(v),
                };
                ServerScore {
                    server: v.id,
                    score: v.eligible().then_some(f64::from(v.in_flight)),
                    text,
                }
            })
            .collect();
        let summary = match last.chosen {
            None => "no server available".into(),
            Some(c) => format!(
                "key {} → crc32 {:#010x} → clockwise to {}{}",
                request.key,
                last.key_hash,
                name_of(servers, c),
                match last.bound {
                    Some(b) => format!(", the first with fewer than {b} in flight (the bound)"),
                    None => String::new(),
                }
            ),
        };
        Explanation {
            chosen: last.chosen,
            scores,
            summary,
        }
    }
}
