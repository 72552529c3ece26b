//! Passive health checks: nginx `max_fails` / `fail_timeout` as a wrapper over any strategy.
//!
//! Source: nginx `src/http/ngx_http_upstream_round_robin.c`
//! (`ngx_http_upstream_get_peer`, `ngx_http_upstream_free_round_robin_peer`) and the
//! `ngx_http_upstream_module` documentation of `server … max_fails= fail_timeout=`; the same
//! test is repeated in every nginx balancing module (`least_conn`, `ip_hash`, `hash`, `random`).
//! Per server it keeps `fails`, `checked` and `accessed` (whole seconds, nginx's `ngx_time()`):
//!
//! - a server is **skipped** while `max_fails > 0`, `fails ≥ max_fails` and
//!   `now − checked ≤ fail_timeout`;
//! - when a server is picked more than `fail_timeout` after `checked`, `checked = now`: once the
//!   timeout has passed one request goes through as a probe, and the server is skipped again
//!   until that request ends well;
//! - a **failure** sets `fails += 1`, `accessed = checked = now`; a **success** resets `fails` to 0
//!   only if `accessed < checked` (the server was picked after a quiet `fail_timeout`), so
//!   failures add up across successes within the window;
//! - with a single server in the list nginx never skips it (its `single` case).
//!
//! **What counts as a failure** (nginx `proxy_next_upstream`: "The cases of error, timeout and
//! invalid_header are always considered unsuccessful attempts, even if they are not specified in
//! the directive. The cases of http_500, http_502, http_503, http_504, and http_429 are considered
//! unsuccessful attempts only if they are specified in the directive"): an
//! [`Error`](crate::requests::AttemptOutcome::Error) (connection refused or reset) and a
//! [`TimedOut`](crate::requests::AttemptOutcome::TimedOut) always count; a
//! [`Dropped`](crate::requests::AttemptOutcome::Dropped) attempt is the server's 503 ("queue
//! full") and counts only with [`PassiveChecks::count_http_503`] (nginx's `proxy_next_upstream
//! … http_503`).
//!
//! Not reproduced: nginx's round robin also lowers a failed peer's `effective_weight` by
//! `weight / max_fails` and lets it recover by one per pick ([`SmoothWrr`] does this); a wrapper
//! cannot reach into the inner strategy's weights, so only the skipping is modelled here. When
//! `weight / max_fails` is 0 (e.g. weight 1, `max_fails ≥ 2`) the two agree pick for pick.
//!
//! [`SmoothWrr`]: crate::balance::swrr::SmoothWrr

use super::listed;
use crate::requests::{
    AttemptOutcome, BackendView, Balancer, Explanation, RequestInfo, Response, ServerId,
};
use crate::rng::SimRng;
use crate::time::SimTime;

/// The largest `max_fails` accepted.
pub const MAX_FAILS: u32 = 1_000_000;
/// The longest `fail_timeout` accepted, seconds (HAProxy's 2³¹ − 1 ms, about 24.8 days).
pub const MAX_FAIL_TIMEOUT_S: u64 = 2_147_483;

/// One server's `max_fails` and `fail_timeout`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassiveParams {
    /// Failures that take the server out (0: never).
    pub max_fails: u32,
    /// Seconds the failures are counted over and the server stays out.
    pub fail_timeout_s: u64,
}

impl Default for PassiveParams {
    /// nginx's defaults: `max_fails=1 fail_timeout=10`.
    fn default() -> Self {
        PassiveParams {
            max_fails: 1,
            fail_timeout_s: 10,
        }
    }
}

impl PassiveParams {
    fn check(&self) -> Result<(), String> {
        if self.max_fails > MAX_FAILS {
            return Err(format!(
                "max_fails must be at most {MAX_FAILS}, got {}",
                self.max_fails
            ));
        }
        if self.fail_timeout_s > MAX_FAIL_TIMEOUT_S {
            return Err(format!(
                "fail_timeout must be at most {MAX_FAIL_TIMEOUT_S} s, got {}",
                self.fail_timeout_s
            ));
        }
        Ok(())
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct PeerState {
    fails: u32,
    checked_s: u64,
    accessed_s: u64,
}

/// nginx passive health over an inner strategy (see the module docs).
#[derive(Clone)]
pub struct PassiveChecks {
    inner: Box<dyn Balancer>,
    default: PassiveParams,
    per_server: Vec<PassiveParams>,
    count_503: bool,
    state: Vec<PeerState>,
    last: Option<(Option<ServerId>, Vec<ServerId>)>,
}

impl PassiveChecks {
    /// `inner` with every server's passive checks set to `params`.
    pub fn new(inner: Box<dyn Balancer>, params: PassiveParams) -> Result<Self, String> {
        params.check()?;
        Ok(PassiveChecks {
            inner,
            default: params,
            per_server: Vec::new(),
            count_503: false,
            state: Vec::new(),
            last: None,
        })
    }

    /// Per-server parameters, by server id (ids beyond the list use the default).
    pub fn with_per_server(mut self, params: Vec<PassiveParams>) -> Result<Self, String> {
        for p in &params {
            p.check()?;
        }
        self.per_server = params;
        Ok(self)
    }

    /// Count a dropped attempt (the server's 503) as a failure, as nginx does with
    /// `proxy_next_upstream … http_503`.
    pub fn count_http_503(mut self, on: bool) -> Self {
        self.count_503 = on;
        self
    }

    fn params(&self, id: ServerId) -> PassiveParams {
        self.per_server
            .get(id.0 as usize)
            .copied()
            .unwrap_or(self.default)
    }

    fn state_mut(&mut self, id: ServerId) -> &mut PeerState {
        let i = id.0 as usize;
        if self.state.len() <= i {
            self.state.resize(i + 1, PeerState::default());
        }
        &mut self.state[i]
    }

    /// The failures counted against `server` now.
    pub fn fails(&self, server: ServerId) -> u32 {
        self.state.get(server.0 as usize).map_or(0, |s| s.fails)
    }

    /// The servers passive checks take out at `now` (none when fewer than two are listed).
    pub fn blocked(&self, now: SimTime, servers: &[BackendView]) -> Vec<ServerId> {
        if listed(servers).count() < 2 {
            return Vec::new();
        }
        let now_s = now.as_us() / 1_000_000;
        servers
            .iter()
            .filter(|v| {
                let p = self.params(v.id);
                let s = self.state.get(v.id.0 as usize).copied().unwrap_or_default();
                p.max_fails > 0
                    && s.fails >= p.max_fails
                    && now_s.saturating_sub(s.checked_s) <= p.fail_timeout_s
            })
            .map(|v| v.id)
            .collect()
    }

    fn masked(servers: &[BackendView], blocked: &[ServerId]) -> Vec<BackendView> {
        servers
            .iter()
            .map(|v| {
                let mut v = v.clone();
                if blocked.contains(&v.id) {
                    v.healthy = false;
                }
                v
            })
            .collect()
    }
}

impl Balancer for PassiveChecks {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        let blocked = self.blocked(now, servers);
        let chosen = if blocked.is_empty() {
            self.inner.pick(now, request, servers, rng)
        } else {
            let masked = Self::masked(servers, &blocked);
            self.inner.pick(now, request, &masked, rng)
        };
        if let Some(c) = chosen {
            let timeout = self.params(c).fail_timeout_s;
            let now_s = now.as_us() / 1_000_000;
            let st = self.state_mut(c);
            if now_s.saturating_sub(st.checked_s) > timeout {
                st.checked_s = now_s;
            }
        }
        self.last = Some((chosen, blocked));
        chosen
    }

    fn shunned(&self, now: SimTime, servers: &[BackendView]) -> Vec<ServerId> {
        let mut out = self.blocked(now, servers);
        out.extend(self.inner.shunned(now, servers));
        out.sort();
        out.dedup();
        out
    }

    fn on_response(&mut self, now: SimTime, response: &Response) {
        self.inner.on_response(now, response);
        let failed = match response.outcome {
            AttemptOutcome::Error | AttemptOutcome::TimedOut => true,
            AttemptOutcome::Dropped => self.count_503,
            AttemptOutcome::Served => false,
        };
        let now_s = now.as_us() / 1_000_000;
        let st = self.state_mut(response.server);
        if failed {
            st.fails = st.fails.saturating_add(1);
            st.accessed_s = now_s;
            st.checked_s = now_s;
        } else if st.accessed_s < st.checked_s {
            st.fails = 0;
        }
    }

    fn explain(&self, now: SimTime, request: &RequestInfo, servers: &[BackendView]) -> Explanation {
        let (chosen, blocked) = self.last.clone().unwrap_or((None, Vec::new()));
        let mut e = if blocked.is_empty() {
            self.inner.explain(now, request, servers)
        } else {
            self.inner
                .explain(now, request, &Self::masked(servers, &blocked))
        };
        e.chosen = chosen;
        for s in &mut e.scores {
            if blocked.contains(&s.server) {
                let p = self.params(s.server);
                let name = servers.get(s.server.0 as usize).map_or("?", |v| &v.name);
                s.score = None;
                s.text = format!(
                    "{name}: skipped, {} failures within fail_timeout {} s (max_fails {})",
                    self.fails(s.server),
                    p.fail_timeout_s,
                    p.max_fails
                );
            }
        }
        if !blocked.is_empty() {
            e.summary = format!(
                "{} out by max_fails; {}",
                blocked
                    .iter()
                    .map(|b| servers.get(b.0 as usize).map_or("?", |v| &*v.name))
                    .collect::<Vec<_>>()
                    .join(", "),
                e.summary
            );
        }
        e
    }
}
