//! What the hashing strategies share, and nginx's map-based `hash $key`.
//!
//! [`crc32`] is CRC-32/ISO-HDLC, nginx's `ngx_crc32_short`/`ngx_crc32_long` (`src/core/
//! ngx_crc32.h`), written out here: `sim` has no CRC-32. The retry memo keeps, per request id,
//! where nginx's per-request hash state stood (its `ngx_http_upstream_*_peer_data_t` lives as long
//! as the request), so a retry continues where the previous attempt stopped.
//!
//! **Map-based hash** ([`KeyHash`], nginx `hash $key` without `consistent`). Source: nginx
//! `src/http/modules/ngx_http_upstream_hash_module.c` (`ngx_http_upstream_get_hash_peer`),
//! "compatible with Cache::Memcached": per request `hash = 0`, `rehash = 0`; each round adds
//! `(crc32([rehash in decimal, omitted when 0] ‖ key) >> 16) & 0x7fff` to `hash`, then
//! `rehash += 1`, and `w = hash mod total weight` walks the peer list by configured weight, as
//! `ip_hash` does. An unusable peer (tried, down, failed, full) costs a try and another round;
//! after 20 tries, or with fewer than two peers, nginx falls back to round robin. Changing the
//! number of servers moves most keys (the "mod N" problem consistent hashing solves). The key is
//! the request's `key` in decimal.

use super::wrr::WeightedRoundRobin;
use super::{listed, name_of, skipped_text};
use crate::requests::{
    BackendView, Balancer, Explanation, RequestInfo, Response, ServerId, ServerScore,
};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// Requests whose retry state is remembered; the oldest ids are forgotten first.
pub const RETRY_MEMO: usize = 65_536;
/// nginx's limit on rehashes / ring steps before falling back to round robin.
pub(crate) const MAX_TRIES: u32 = 20;

const fn crc_table() -> [u32; 256] {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
}

const CRC_TABLE: [u32; 256] = crc_table();

pub(crate) fn crc32_update(mut crc: u32, bytes: &[u8]) -> u32 {
    for &b in bytes {
        crc = CRC_TABLE[((crc ^ u32::from(b)) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

/// CRC-32 (ISO-HDLC: reflected polynomial 0xEDB88320, initial and final XOR 0xFFFFFFFF), as
/// nginx's `ngx_crc32_long`. `crc32(b"123456789") == 0xCBF43926`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32_update(0xffff_ffff, bytes) ^ 0xffff_ffff
}

/// Per-request hash state for retries, bounded to [`RETRY_MEMO`] requests.
#[derive(Clone, Debug)]
pub(crate) struct RetryMemo<T>(BTreeMap<u64, T>);

impl<T> Default for RetryMemo<T> {
    fn default() -> Self {
        RetryMemo(BTreeMap::new())
    }
}

impl<T: Copy> RetryMemo<T> {
    pub(crate) fn get(&self, request: &RequestInfo) -> Option<T> {
        (request.attempt > 1)
            .then(|| self.0.get(&request.id).copied())
            .flatten()
    }
    pub(crate) fn put(&mut self, id: u64, state: T) {
        self.0.insert(id, state);
        while self.0.len() > RETRY_MEMO {
            self.0.pop_first();
        }
    }
    pub(crate) fn forget(&mut self, id: u64) {
        self.0.remove(&id);
    }
}

/// The opening every hashing strategy's `explain` shares, given its last pick (`None`: no pick
/// yet) and how to read that pick's fallback. Before any pick: "no pick yet"; after falling back
/// to round robin: round robin's own explanation, prefixed with why (both `Err`, the explanation
/// to return). `Ok(last)`: the pick was the hash's, to explain.
pub(crate) fn opening<'a, L>(
    last: Option<&'a L>,
    fallback: fn(&L) -> Option<&'static str>,
    rr: &WeightedRoundRobin,
    now: SimTime,
    request: &RequestInfo,
    servers: &[BackendView],
) -> Result<&'a L, Explanation> {
    let Some(last) = last else {
        return Err(Explanation {
            summary: "no pick yet".into(),
            ..Explanation::default()
        });
    };
    match fallback(last) {
        Some(why) => {
            let mut e = rr.explain(now, request, servers);
            e.summary = format!("{why}: {}", e.summary);
            Err(e)
        }
        None => Ok(last),
    }
}

/// The peer `w` (already reduced mod the total weight) names in `list`, walking by weight as
/// nginx does (`while (w >= peer->weight) { w -= peer->weight; peer = peer->next; }`).
pub(crate) fn walk_by_weight(list: &[(ServerId, u32)], mut w: u64) -> ServerId {
    let mut k = 0;
    while w >= u64::from(list[k].1) {
        w -= u64::from(list[k].1);
        k += 1;
    }
    list[k].0
}

/// One round of nginx's map-based hash: the 15 bits added to the running hash.
pub fn key_hash_round(key: &[u8], rehash: u32) -> u32 {
    let mut crc = 0xffff_ffff;
    if rehash > 0 {
        crc = crc32_update(crc, rehash.to_string().as_bytes());
    }
    crc = crc32_update(crc, key) ^ 0xffff_ffff;
    (crc >> 16) & 0x7fff
}

/// Per request: (hash, rehash, tries).
type KeyState = (u64, u32, u32);

#[derive(Clone, Debug)]
struct KeyLast {
    chosen: Option<ServerId>,
    /// (running hash, w, peer named, usable).
    steps: Vec<(u64, u64, ServerId, bool)>,
    total: u64,
    fallback: Option<&'static str>,
}

/// nginx `hash $key` (map-based; see the module docs).
#[derive(Clone, Debug, Default)]
pub struct KeyHash {
    rr: WeightedRoundRobin,
    memo: RetryMemo<KeyState>,
    last: Option<KeyLast>,
}

impl KeyHash {
    /// nginx `hash $key` over the request keys.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Balancer for KeyHash {
    fn name(&self) -> &str {
        "hash"
    }

    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        _rng: &mut SimRng,
    ) -> Option<ServerId> {
        let key = request.key.to_string();
        let list: Vec<(ServerId, u32)> = listed(servers).map(|v| (v.id, v.weight)).collect();
        let total: u64 = list.iter().map(|l| u64::from(l.1)).sum();
        let mut last = KeyLast {
            chosen: None,
            steps: Vec::new(),
            total,
            fallback: None,
        };
        let (mut hash, mut rehash, mut tries) = self.memo.get(request).unwrap_or((0, 0, 0));
        if list.len() < 2 || total == 0 {
            last.fallback = Some("fewer than two servers: round robin");
        } else if tries > MAX_TRIES {
            last.fallback = Some("more than 20 tries: round robin");
        } else {
            loop {
                hash += u64::from(key_hash_round(key.as_bytes(), rehash));
                rehash += 1;
                let id = walk_by_weight(&list, hash % total);
                let ok = servers[id.0 as usize].eligible();
                last.steps.push((hash, hash % total, id, ok));
                if ok {
                    last.chosen = Some(id);
                    break;
                }
                tries += 1;
                if tries > MAX_TRIES {
                    last.fallback = Some("more than 20 tries: round robin");
                    break;
                }
            }
        }
        self.memo.put(request.id, (hash, rehash, tries));
        if last.fallback.is_some() {
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
                let hit = last.steps.iter().rev().find(|s| s.2 == v.id);
                ServerScore {
                    server: v.id,
                    score: hit.map(|s| s.1 as f64),
                    text: match hit {
                        Some(s) if s.3 => {
                            format!("{}: hash {} mod {} = {}", v.name, s.0, last.total, s.1)
                        }
                        Some(s) => {
                            format!("{}, though hash {} named it: rehash", skipped_text(v), s.0)
                        }
                        None if v.eligible() => format!("{}: not hashed to", v.name),
                        None => skipped_text(v),
                    },
                }
            })
            .collect();
        let summary = match last.chosen {
            Some(c) => format!(
                "key {}: hash {} mod total weight {} = {} → {}{}",
                request.key,
                last.steps.last().map_or(0, |s| s.0),
                last.total,
                last.steps.last().map_or(0, |s| s.1),
                name_of(servers, c),
                if last.steps.len() > 1 {
                    format!(" after {} rehashes", last.steps.len() - 1)
                } else {
                    String::new()
                }
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
