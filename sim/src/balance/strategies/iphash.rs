//! nginx `ip_hash`.
//!
//! Source: nginx `src/http/modules/ngx_http_upstream_ip_hash_module.c`
//! (`ngx_http_upstream_init_ip_hash_peer`, `ngx_http_upstream_get_ip_hash_peer`). For IPv4 the
//! key is the first three octets of the client address (a /24 lands on one server). The hash
//! starts at 89; one round is `hash = (hash × 113 + octet) mod 6271` for each of the three octets;
//! then `w = hash mod total weight` walks the peer list subtracting configured weights until
//! `w < weight`. If that peer was tried, is down, failed or full, nginx does another round from
//! the current hash ("rehash"); after 20 such tries, or with fewer than two peers, it falls back
//! to round robin. A retry of the same request continues from the hash and try count where the
//! previous attempt stopped (kept per request id, see [`RETRY_MEMO`]). The request's `key`
//! becomes an address through [`KeyAddress`].

use super::hash::opening;
#[cfg(doc)]
use super::hash::RETRY_MEMO;
use super::hash::{walk_by_weight, RetryMemo, MAX_TRIES};
use super::wrr::WeightedRoundRobin;
use super::{listed, name_of, skipped_text};
use crate::requests::{
    BackendView, Balancer, Explanation, RequestInfo, Response, ServerId, ServerScore,
};
use crate::rng::SimRng;
use crate::time::SimTime;

/// How a request's `key` becomes the client's IPv4 address for [`IpHash`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyAddress {
    /// The key's low 32 bits are the address, most significant octet first
    /// (`0x0A000307` is 10.0.3.7). Keys below 256 all share 0.0.0.x, one /24.
    Ipv4,
    /// Client `k` gets 10.`(k >> 8) & 255`.`k & 255`.1: each of 65,536 clients its own /24, so
    /// the simulator's small client numbers spread.
    ClientSubnet,
}

impl KeyAddress {
    /// The four octets of `key`'s address.
    pub fn octets(self, key: u64) -> [u8; 4] {
        match self {
            KeyAddress::Ipv4 => (key as u32).to_be_bytes(),
            KeyAddress::ClientSubnet => [10, (key >> 8) as u8, key as u8, 1],
        }
    }
}

/// One `ip_hash` round from `hash` over the three octets.
fn ip_round(mut hash: u32, octets: [u8; 3]) -> u32 {
    for o in octets {
        hash = (hash * 113 + u32::from(o)) % 6271;
    }
    hash
}

/// The first `n` hashes nginx's `ip_hash` tries for a /24 (one round each, from 89).
pub fn ip_hash_candidates(octets: [u8; 3], n: u32) -> Vec<u32> {
    let mut h = 89;
    (0..n.min(10_000))
        .map(|_| {
            h = ip_round(h, octets);
            h
        })
        .collect()
}

#[derive(Clone, Debug)]
struct IpLast {
    chosen: Option<ServerId>,
    octets: [u8; 3],
    /// (hash, w, the peer it named, usable).
    steps: Vec<(u32, u32, ServerId, bool)>,
    total: u32,
    /// Why round robin decided, if it did.
    fallback: Option<&'static str>,
}

/// nginx `ip_hash` (see the module docs).
#[derive(Clone, Debug)]
pub struct IpHash {
    address: KeyAddress,
    rr: WeightedRoundRobin,
    memo: RetryMemo<(u32, u32)>,
    last: Option<IpLast>,
}

impl IpHash {
    /// `ip_hash`, reading keys as addresses through `address`.
    pub fn new(address: KeyAddress) -> Self {
        IpHash {
            address,
            rr: WeightedRoundRobin::new(),
            memo: RetryMemo::default(),
            last: None,
        }
    }
}

impl Balancer for IpHash {
    fn name(&self) -> &str {
        "IP hash"
    }

    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        let [a, b, c, _] = self.address.octets(request.key);
        let octets = [a, b, c];
        let list: Vec<(ServerId, u32)> = listed(servers).map(|v| (v.id, v.weight)).collect();
        let total: u32 = list.iter().map(|l| l.1).sum();
        let mut last = IpLast {
            chosen: None,
            octets,
            steps: Vec::new(),
            total,
            fallback: None,
        };
        let (mut hash, mut tries) = self.memo.get(request).unwrap_or((89, 0));
        if list.len() < 2 || total == 0 {
            last.fallback = Some("fewer than two servers: round robin");
        } else if tries > MAX_TRIES {
            last.fallback = Some("more than 20 tries: round robin");
        } else {
            loop {
                hash = ip_round(hash, octets);
                let id = walk_by_weight(&list, u64::from(hash % total));
                let ok = servers[id.0 as usize].eligible();
                last.steps.push((hash, hash % total, id, ok));
                if ok {
                    last.chosen = Some(id);
                    self.memo.put(request.id, (hash, tries));
                    break;
                }
                tries += 1;
                if tries > MAX_TRIES {
                    last.fallback = Some("more than 20 tries: round robin");
                    break;
                }
            }
        }
        if last.fallback.is_some() {
            self.memo.put(request.id, (hash, tries));
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
        let [a, b, c] = last.octets;
        let scores = servers
            .iter()
            .map(|v| {
                let hits: Vec<String> = last
                    .steps
                    .iter()
                    .filter(|s| s.2 == v.id)
                    .map(|s| format!("hash {} → w {}", s.0, s.1))
                    .collect();
                let text = if hits.is_empty() {
                    if v.eligible() {
                        format!("{}: not hashed to", v.name)
                    } else {
                        skipped_text(v)
                    }
                } else if v.eligible() {
                    format!("{}: {}", v.name, hits.join(", "))
                } else {
                    format!("{}: {}, but {}", skipped_text(v), hits.join(", "), "rehash")
                };
                ServerScore {
                    server: v.id,
                    score: last
                        .steps
                        .iter()
                        .rev()
                        .find(|s| s.2 == v.id)
                        .map(|s| f64::from(s.0)),
                    text,
                }
            })
            .collect();
        let chain: Vec<String> = last
            .steps
            .iter()
            .map(|s| {
                format!(
                    "{} (w = {} mod {} = {} → {}{})",
                    s.0,
                    s.0,
                    last.total,
                    s.1,
                    name_of(servers, s.2),
                    if s.3 { "" } else { ", unusable" }
                )
            })
            .collect();
        let summary = match last.chosen {
            Some(ch) => format!(
                "{a}.{b}.{c} hashes 89 → {}: {}",
                chain.join(" → "),
                name_of(servers, ch)
            ),
            None => "no server available".into(),
        };
        Explanation {
            chosen: last.chosen,
            scores,
            summary,
        }
    }
}
