//! Session affinity: requests of one key stick to the server that served the key first.
//!
//! Sources: HAProxy `cookie SERVERID insert` with a `cookie` value per `server` (configuration
//! manual §4.2 `cookie` and §5.2 `cookie`): the first response sets a cookie naming the server,
//! later requests carrying it go to that server while it is usable, and go elsewhere (with a new
//! cookie) when it is down (`option redispatch` for the retry case); NGINX Plus `sticky cookie`
//! and `sticky learn` behave alike. The cookie jar is modelled as a table key → server on the
//! balancer's side (the `key` is the client), which is equivalent while clients keep their
//! cookies.
//!
//! The first request of a key is placed by the inner strategy and the key is stuck to its pick.
//! A later request goes to the stuck server if it is [`eligible`](BackendView::eligible);
//! otherwise (down, draining, removed, or already tried by this request) the inner strategy picks
//! again and the key is **re-stuck** to the new server ([`SessionAffinity::re_sticks`] counts
//! these). Keys are never unstuck by time (no cookie expiry); the table keeps at most
//! [`MAX_STUCK_KEYS`] keys, forgetting the lowest key first beyond that.

use super::name_of;
use crate::requests::{
    BackendView, Balancer, Explanation, RequestInfo, Response, ServerId, ServerScore,
};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// The most keys the sticky table holds.
pub const MAX_STUCK_KEYS: usize = 1 << 20;

#[derive(Clone, Debug, PartialEq)]
enum How {
    Sticky(ServerId),
    New,
    ReStuck(ServerId),
    None,
}

/// Sticky sessions over an inner strategy (see the module docs).
#[derive(Clone)]
pub struct SessionAffinity {
    inner: Box<dyn Balancer>,
    table: BTreeMap<u64, ServerId>,
    re_sticks: u64,
    last: Option<(Option<ServerId>, How)>,
}

impl SessionAffinity {
    /// Sticky sessions whose first picks (and re-picks) come from `inner`.
    pub fn new(inner: Box<dyn Balancer>) -> Self {
        SessionAffinity {
            inner,
            table: BTreeMap::new(),
            re_sticks: 0,
            last: None,
        }
    }

    /// How many times a key moved to another server because its server was unusable.
    pub fn re_sticks(&self) -> u64 {
        self.re_sticks
    }

    /// The server `key` is stuck to.
    pub fn stuck(&self, key: u64) -> Option<ServerId> {
        self.table.get(&key).copied()
    }

    /// The number of keys in the table.
    pub fn keys(&self) -> usize {
        self.table.len()
    }
}

impl Balancer for SessionAffinity {
    fn name(&self) -> &str {
        "session affinity"
    }

    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        let stuck = self.table.get(&request.key).copied();
        if let Some(s) = stuck {
            if servers.get(s.0 as usize).is_some_and(|v| v.eligible()) {
                self.last = Some((Some(s), How::Sticky(s)));
                return Some(s);
            }
        }
        let picked = self.inner.pick(now, request, servers, rng);
        let how = match (picked, stuck) {
            (None, _) => How::None,
            (Some(p), Some(old)) => {
                self.table.insert(request.key, p);
                if p != old {
                    self.re_sticks += 1;
                }
                How::ReStuck(old)
            }
            (Some(p), None) => {
                self.table.insert(request.key, p);
                while self.table.len() > MAX_STUCK_KEYS {
                    self.table.pop_first();
                }
                How::New
            }
        };
        self.last = Some((picked, how));
        picked
    }

    fn shunned(&self, now: SimTime, servers: &[BackendView]) -> Vec<ServerId> {
        self.inner.shunned(now, servers)
    }

    fn on_response(&mut self, now: SimTime, response: &Response) {
        self.inner.on_response(now, response);
    }

    fn explain(&self, now: SimTime, request: &RequestInfo, servers: &[BackendView]) -> Explanation {
        let (chosen, how) = self.last.clone().unwrap_or((None, How::None));
        match how {
            How::Sticky(s) => Explanation {
                chosen,
                scores: servers
                    .iter()
                    .map(|v| ServerScore {
                        server: v.id,
                        score: None,
                        text: if v.id == s {
                            format!("{}: key {} is stuck here", v.name, request.key)
                        } else {
                            format!("{}: not this key's server", v.name)
                        },
                    })
                    .collect(),
                summary: format!(
                    "key {} is stuck to {}, which is usable: sent there",
                    request.key,
                    name_of(servers, s)
                ),
            },
            How::New | How::ReStuck(_) | How::None => {
                let mut e = self.inner.explain(now, request, servers);
                e.chosen = chosen;
                e.summary = match (how, chosen) {
                    (How::ReStuck(old), Some(c)) => format!(
                        "key {}'s server {} is unusable: re-picked and re-stuck to {}; {}",
                        request.key,
                        name_of(servers, old),
                        name_of(servers, c),
                        e.summary
                    ),
                    (How::New, Some(c)) => format!(
                        "first request of key {}: stuck to {}; {}",
                        request.key,
                        name_of(servers, c),
                        e.summary
                    ),
                    _ => e.summary,
                };
                e
            }
        }
    }
}
