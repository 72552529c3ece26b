//! nginx's smooth weighted round robin, step for step as nginx runs it.
//!
//! Source: nginx `src/http/ngx_http_upstream_round_robin.c` (read at commit
//! `3f6f7824d4e2eb1ac37dec76683d525ac0ff521c`), functions `ngx_http_upstream_init_round_robin`
//! (peer lists, `single`), `ngx_http_upstream_get_round_robin_peer` (single peer, the switch to
//! backups), `ngx_http_upstream_get_peer` (the weighted choice) and
//! `ngx_http_upstream_free_round_robin_peer_locked` (failure accounting). The algorithm came
//! with nginx commit `52327e062` ("Upstream: smooth weighted round-robin balancing", Maxim
//! Dounin, May 2012, first in release 1.3.0), whose message works weights {5, 1, 1} by hand:
//! `a a b a c a a` instead of the earlier `c b a a a a a`.
//!
//! Each peer keeps a `current_weight` (starts at 0) and an `effective_weight` (starts at its
//! configured `weight`). To pick, for every *eligible* peer in configuration order:
//!
//! 1. `current_weight += effective_weight`, `total += effective_weight`;
//! 2. `effective_weight += 1` if it is below `weight` (recovery, one step per pick);
//! 3. the peer becomes `best` if `best` is unset or its `current_weight` is **strictly** larger,
//!    so ties go to the peer listed first.
//!
//! Then `best.current_weight -= total`. A peer is not eligible if it was already tried for this
//! request, is `down`, has `fails >= max_fails` (with `max_fails > 0`) and its last failure or
//! check is at most `fail_timeout` seconds ago, or has `max_conns` connections open.
//!
//! Failure (`free` with `failed`): `fails += 1`, `accessed = checked = now`, and
//! `effective_weight -= weight / max_fails` (integer division, floored at 0; nothing when
//! `max_fails` is 0). Success: `fails = 0` only if the peer was picked after its `fail_timeout`
//! ran out (`accessed < checked`: a pick more than `fail_timeout` after the last check moves
//! `checked` to now). So failures add up across successes until a quiet `fail_timeout` passes.
//!
//! If no primary peer is eligible and backups exist, the request moves to the backup list (its
//! tried set cleared) and picks there the same way. With exactly one primary and no backups
//! (`single`), nginx skips all of this: the peer is used unless `down` or at `max_conns`, and its
//! failures are forgotten on release.
//!
//! Time: nginx reads `ngx_time()`, whole seconds, and so does this module (`now` is floored to a
//! second). Simplified away: the shared-memory zone and its locks, DNS re-resolution, sticky
//! sessions (`NGX_HTTP_UPSTREAM_SID`), TLS session reuse and NGINX Plus `slow_start`.

use crate::time::SimTime;

/// The most peers in one list (primary or backup).
pub const MAX_PEERS: u32 = 4_096;
/// The largest weight accepted (nginx itself takes any positive `ngx_int_t`).
pub const MAX_WEIGHT: u32 = 1_000_000;

/// One `server` line as the balancer needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerSpec {
    /// Its name (the address in nginx).
    pub name: String,
    /// `weight=` (default 1, at least 1).
    pub weight: u32,
    /// `max_fails=` (default 1; 0 turns failure accounting off).
    pub max_fails: u32,
    /// `fail_timeout=` in seconds (default 10).
    pub fail_timeout_s: u64,
    /// `max_conns=` (default 0: unlimited).
    pub max_conns: u32,
    /// `down`: never picked.
    pub down: bool,
}

impl PeerSpec {
    /// A peer with nginx's defaults (`weight=1 max_fails=1 fail_timeout=10`).
    pub fn new(name: &str, weight: u32) -> Self {
        PeerSpec {
            name: name.to_string(),
            weight,
            max_fails: 1,
            fail_timeout_s: 10,
            max_conns: 0,
            down: false,
        }
    }
}

/// Which list a peer is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The primary servers.
    Primary,
    /// `backup` servers, used only when no primary is eligible.
    Backup,
}

/// A peer: its list and its position there (configuration order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PeerId {
    /// The list.
    pub tier: Tier,
    /// Index in that list.
    pub index: u32,
}

/// A peer's live state, as in nginx's `ngx_http_upstream_rr_peer_t`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peer {
    /// Its configuration.
    pub spec: PeerSpec,
    /// `current_weight`: the smooth-WRR counter.
    pub current_weight: i64,
    /// `effective_weight`: `weight`, lowered by failures, recovering by one per pick.
    pub effective_weight: i64,
    /// Failures counted since the last reset.
    pub fails: u32,
    /// Seconds: the last failure, or a pick more than `fail_timeout` after the previous check.
    pub checked_s: u64,
    /// Seconds: the last failure.
    pub accessed_s: u64,
    /// Connections open (picked and not yet released).
    pub conns: u32,
    /// `down` (can be changed at run time, as the API of NGINX Plus does).
    pub down: bool,
}

/// Why a peer was passed over in a pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Skip {
    /// Already tried for this request.
    Tried,
    /// Marked `down`.
    Down,
    /// `fails >= max_fails` within `fail_timeout` of the last failure.
    Failed,
    /// At `max_conns`.
    Full,
}

/// One peer's part in a pick, for the "what the balancer sees" panel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Considered {
    /// The peer's index in the list picked from.
    pub index: u32,
    /// `None`: it took part; its `current_weight` after the addition is `current_weight`.
    pub skipped: Option<Skip>,
    /// `current_weight` after this pick's addition (before the winner's subtraction).
    pub current_weight: i64,
    /// The `effective_weight` it added.
    pub added: i64,
}

/// A decision and its reasons.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pick {
    /// The peer chosen.
    pub peer: PeerId,
    /// The sum of the effective weights added (subtracted from the winner); 0 for a single peer.
    pub total: i64,
    /// Every peer of the list picked from, in order (empty for a single peer).
    pub considered: Vec<Considered>,
}

/// One request's balancer state (nginx's `ngx_http_upstream_rr_peer_data_t`): which list it is
/// on, which peers it has tried, how many tries nginx allows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    tier: Tier,
    tried: Vec<bool>,
    tries: u32,
}

impl Attempt {
    /// Tries left (nginx's `pc->tries`: the non-`down` primaries plus the non-`down` backups,
    /// one spent per release).
    pub fn tries_left(&self) -> u32 {
        self.tries
    }
    /// The list the request is on.
    pub fn tier(&self) -> Tier {
        self.tier
    }
}

/// nginx's round-robin balancer over a primary list and an optional backup list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmoothWrr {
    primary: Vec<Peer>,
    backup: Vec<Peer>,
}

fn peers_of(specs: Vec<PeerSpec>, what: &str) -> Result<Vec<Peer>, String> {
    if specs.len() > MAX_PEERS as usize {
        return Err(format!(
            "{} {what} servers: at most {MAX_PEERS}",
            specs.len()
        ));
    }
    specs
        .into_iter()
        .map(|spec| {
            if spec.weight == 0 || spec.weight > MAX_WEIGHT {
                return Err(format!(
                    "server {}: weight {} is not within 1 and {MAX_WEIGHT}",
                    spec.name, spec.weight
                ));
            }
            Ok(Peer {
                current_weight: 0,
                effective_weight: i64::from(spec.weight),
                fails: 0,
                checked_s: 0,
                accessed_s: 0,
                conns: 0,
                down: spec.down,
                spec,
            })
        })
        .collect()
}

impl SmoothWrr {
    /// A balancer over `primary` (at least one) and `backup` servers, in configuration order.
    pub fn new(primary: Vec<PeerSpec>, backup: Vec<PeerSpec>) -> Result<Self, String> {
        if primary.is_empty() {
            return Err("no servers: an upstream needs at least one non-backup server".into());
        }
        Ok(SmoothWrr {
            primary: peers_of(primary, "primary")?,
            backup: peers_of(backup, "backup")?,
        })
    }

    /// nginx's `single`: one primary and no backups.
    pub fn single(&self) -> bool {
        self.primary.len() == 1 && self.backup.is_empty()
    }

    /// The peers of a list.
    pub fn peers(&self, tier: Tier) -> &[Peer] {
        match tier {
            Tier::Primary => &self.primary,
            Tier::Backup => &self.backup,
        }
    }

    /// One peer.
    pub fn peer(&self, id: PeerId) -> Option<&Peer> {
        self.peers(id.tier).get(id.index as usize)
    }

    fn list_mut(&mut self, tier: Tier) -> &mut Vec<Peer> {
        match tier {
            Tier::Primary => &mut self.primary,
            Tier::Backup => &mut self.backup,
        }
    }

    /// Mark a peer down or up (false when there is no such peer).
    pub fn set_down(&mut self, id: PeerId, down: bool) -> bool {
        match self.list_mut(id.tier).get_mut(id.index as usize) {
            Some(p) => {
                p.down = down;
                true
            }
            None => false,
        }
    }

    /// A new request's state (`ngx_http_upstream_init_round_robin_peer`).
    pub fn begin(&self) -> Attempt {
        let up = |l: &[Peer]| l.iter().filter(|p| !p.spec.down).count() as u32;
        Attempt {
            tier: Tier::Primary,
            tried: vec![false; self.primary.len().max(self.backup.len())],
            tries: up(&self.primary) + up(&self.backup),
        }
    }

    /// Pick a peer for `attempt` at `now` (`ngx_http_upstream_get_round_robin_peer`); `None` is
    /// nginx's `NGX_BUSY` ("no live upstreams"). The peer's connection count goes up by one.
    pub fn get(&mut self, attempt: &mut Attempt, now: SimTime) -> Option<Pick> {
        let now_s = now.as_us() / 1_000_000;
        let picked = if attempt.tier == Tier::Primary && self.single() {
            let p = &self.primary[0];
            let full = p.spec.max_conns > 0 && p.conns >= p.spec.max_conns;
            let ok = !(p.down || full);
            ok.then(|| Pick {
                peer: PeerId {
                    tier: Tier::Primary,
                    index: 0,
                },
                total: 0,
                considered: Vec::new(),
            })
        } else {
            self.get_peer(attempt, now_s)
        };
        match picked {
            Some(pick) => {
                self.list_mut(pick.peer.tier)[pick.peer.index as usize].conns += 1;
                Some(pick)
            }
            None if attempt.tier == Tier::Primary && !self.backup.is_empty() => {
                attempt.tier = Tier::Backup;
                attempt.tried.iter_mut().for_each(|t| *t = false);
                self.get(attempt, now)
            }
            None => None,
        }
    }

    /// `ngx_http_upstream_get_peer`: the smooth weighted choice over the attempt's list.
    fn get_peer(&mut self, attempt: &mut Attempt, now_s: u64) -> Option<Pick> {
        let tier = attempt.tier;
        let list = match tier {
            Tier::Primary => &mut self.primary,
            Tier::Backup => &mut self.backup,
        };
        let mut best: Option<usize> = None;
        let mut total: i64 = 0;
        let mut considered = Vec::with_capacity(list.len());
        for (i, peer) in list.iter_mut().enumerate() {
            let skip = if attempt.tried[i] {
                Some(Skip::Tried)
            } else if peer.down {
                Some(Skip::Down)
            } else if peer.spec.max_fails > 0
                && peer.fails >= peer.spec.max_fails
                && now_s.saturating_sub(peer.checked_s) <= peer.spec.fail_timeout_s
            {
                Some(Skip::Failed)
            } else if peer.spec.max_conns > 0 && peer.conns >= peer.spec.max_conns {
                Some(Skip::Full)
            } else {
                None
            };
            let added = if skip.is_none() {
                peer.effective_weight
            } else {
                0
            };
            if skip.is_none() {
                peer.current_weight += peer.effective_weight;
                total += peer.effective_weight;
                if peer.effective_weight < i64::from(peer.spec.weight) {
                    peer.effective_weight += 1;
                }
            }
            considered.push(Considered {
                index: i as u32,
                skipped: skip,
                current_weight: peer.current_weight,
                added,
            });
            if skip.is_none() {
                // Strictly greater: a tie keeps the peer listed first.
                if best.is_none_or(|b| considered[b].current_weight < peer.current_weight) {
                    best = Some(i);
                }
            }
        }
        let b = best?;
        let winner = &mut list[b];
        winner.current_weight -= total;
        attempt.tried[b] = true;
        if now_s.saturating_sub(winner.checked_s) > winner.spec.fail_timeout_s {
            winner.checked_s = now_s;
        }
        Some(Pick {
            peer: PeerId {
                tier,
                index: b as u32,
            },
            total,
            considered,
        })
    }

    /// Release a peer picked for `attempt` (`ngx_http_upstream_free_round_robin_peer`): the
    /// request to it failed (`failed`, nginx's `NGX_PEER_FAILED`: an error or timeout that
    /// `proxy_next_upstream` counts) or succeeded.
    pub fn free(&mut self, attempt: &mut Attempt, peer: PeerId, failed: bool, now: SimTime) {
        let now_s = now.as_us() / 1_000_000;
        let single = self.single();
        let Some(p) = self.list_mut(peer.tier).get_mut(peer.index as usize) else {
            return;
        };
        p.conns = p.conns.saturating_sub(1);
        if single {
            p.fails = 0;
            attempt.tries = 0;
            return;
        }
        if failed {
            p.fails = p.fails.saturating_add(1);
            p.accessed_s = now_s;
            p.checked_s = now_s;
            // Nothing when max_fails is 0 (failure accounting off).
            if let Some(step) = p.spec.weight.checked_div(p.spec.max_fails) {
                p.effective_weight -= i64::from(step);
            }
            p.effective_weight = p.effective_weight.max(0);
        } else if p.accessed_s < p.checked_s {
            p.fails = 0;
        }
        attempt.tries = attempt.tries.saturating_sub(1);
    }

    /// One request that succeeds at once: begin, pick, release. `None` when no peer is eligible.
    pub fn next(&mut self, now: SimTime) -> Option<PeerId> {
        let mut a = self.begin();
        let pick = self.get(&mut a, now)?;
        self.free(&mut a, pick.peer, false, now);
        Some(pick.peer)
    }
}
