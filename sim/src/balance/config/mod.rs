//! "Bring your own config": a pasted nginx `upstream name { … }` block or HAProxy `backend`
//! (or `listen`) section, read into one [`PoolConfig`].
//!
//! What is read, with each product's documented defaults:
//!
//! - nginx ([`nginx`]): `server address [weight=N] [max_fails=N] [fail_timeout=T] [max_conns=N]
//!   [backup] [down] [slow_start=T]` (defaults weight=1, max_fails=1, fail_timeout=10s,
//!   max_conns=0: `ngx_http_upstream_server` in `src/http/ngx_http_upstream.c`, and the
//!   `ngx_http_upstream_module` documentation), and the methods `least_conn`, `ip_hash`,
//!   `hash key [consistent]`, `random [two [least_conn|least_time=header|last_byte]]` and
//!   NGINX Plus `least_time header|last_byte`. Times as nginx's `ngx_parse_time(…, is_sec=1)`:
//!   whole seconds, units y M w d h m s in that order (`1m30s`), a bare number is seconds, and
//!   `ms` is refused.
//! - HAProxy ([`haproxy`]): `balance roundrobin|static-rr|leastconn|first|source|uri|hdr(name)|
//!   random[(draws)]` and `server name address [weight N] [check] [inter T] [fall N] [rise N]
//!   [backup] [disabled] [slowstart T] [maxconn N]`, with `default-server` (defaults weight 1,
//!   inter 2000 ms, fall 3, rise 2: `doc/configuration.txt` §5.2 and `include/haproxy/defaults.h`
//!   `DEF_CHKINTR`/`DEF_FALLTIME`/`DEF_RISETIME`; weight 0–256, `SRV_UWGHT_MAX`). Times as
//!   HAProxy's §2.5: an integer with one unit of us, ms, s, m, h, d; milliseconds by default.
//!   With no `balance` line the method is `random` (2 draws), HAProxy's default since 3.3
//!   (commit 93cc18ac4, "switch the default balancing algo to random"; `roundrobin` before).
//!
//! Everything else that is valid for the product but not modelled (keepalive, zones, TLS
//! options, cookies, timeouts, other sections, …) goes into [`PoolConfig::unsupported`] with its
//! line and a reason: nothing is silently ignored. What the product itself would reject (an
//! unknown nginx directive or parameter, `weight=0` in nginx, a bad number or unit, a missing
//! brace) is an [`Err`] naming the line and what was expected.
//!
//! Caps, so that a paste can never make the page hang: [`MAX_INPUT_BYTES`] of text,
//! [`MAX_SERVERS`] servers, [`MAX_TOKENS_PER_LINE`] words on a line, and every number and time
//! within the bound given in its error message.

pub mod haproxy;
pub mod nginx;
mod nginx_tokens;

use crate::balance::swrr::PeerSpec;
use std::fmt;

/// The longest paste read (64 KiB); longer input is refused before it is scanned.
pub const MAX_INPUT_BYTES: u32 = 64 * 1024;
/// The most servers in one pool.
pub const MAX_SERVERS: u32 = 1_024;
/// The most words in one directive.
pub const MAX_TOKENS_PER_LINE: u32 = 256;
/// The largest nginx weight accepted here (nginx takes any positive int; this bounds the
/// smooth-WRR cycle).
pub const MAX_NGINX_WEIGHT: u32 = 1_000_000;
/// The largest count (`max_fails`, `fall`, `rise`, `max_conns`, draws…).
pub const MAX_COUNT: u32 = 1_000_000;
/// The longest time, HAProxy's own limit: 2,147,483,647 ms (~24.8 days).
pub const MAX_TIME_MS: u64 = 2_147_483_647;

/// Which product a paste was written for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// An nginx `upstream` block.
    Nginx,
    /// An HAProxy `backend` or `listen` section.
    Haproxy,
}

/// What `random two` compares (nginx), or what HAProxy's `random(N)` compares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadMeasure {
    /// Active connections (nginx `least_conn`; HAProxy compares connections plus queued ones).
    Connections,
    /// NGINX Plus `least_time=header`: average time to the response header (with connections).
    TimeToHeader,
    /// NGINX Plus `least_time=last_byte`: average time to the full response.
    TimeToLastByte,
}

/// The load-balancing method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Method {
    /// Weighted round robin: nginx's default (smooth WRR) or HAProxy `roundrobin`.
    RoundRobin,
    /// HAProxy `static-rr`: weighted round robin whose weights cannot change at run time.
    StaticRoundRobin,
    /// nginx `least_conn` / HAProxy `leastconn`: fewest active connections, weighted.
    LeastConn,
    /// NGINX Plus `least_time`: lowest average response time × connections.
    LeastTime(LoadMeasure),
    /// nginx `ip_hash`: the first three octets of the client's IPv4 address (whole IPv6).
    IpHash,
    /// nginx `hash key` (`consistent`: ketama-style ring) or HAProxy `source`, `uri`, `hdr(…)`.
    Hash {
        /// The key: an nginx variable expression (`$request_uri`) or `source`, `uri`,
        /// `hdr(name)` for HAProxy.
        key: String,
        /// nginx `consistent`; HAProxy's `hash-type consistent` is listed as unsupported.
        consistent: bool,
    },
    /// HAProxy `first`: the first server (in order) with a free connection slot.
    First,
    /// Random: nginx `random` (1 draw, by weight), `random two …` (2 draws, the less loaded);
    /// HAProxy `random(N)` (N draws, default 2).
    Random {
        /// Servers sampled per request.
        draws: u32,
        /// What decides between the draws (irrelevant with one draw).
        by: LoadMeasure,
    },
}

impl fmt::Display for Method {
    /// A short name for narration (`least connections`, `random, best of 2 by connections`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let by = |m: &LoadMeasure| match m {
            LoadMeasure::Connections => "connections",
            LoadMeasure::TimeToHeader => "time to header",
            LoadMeasure::TimeToLastByte => "time to last byte",
        };
        match self {
            Method::RoundRobin => write!(f, "weighted round robin"),
            Method::StaticRoundRobin => write!(f, "static weighted round robin"),
            Method::LeastConn => write!(f, "least connections"),
            Method::LeastTime(m) => write!(f, "least time ({})", by(m)),
            Method::IpHash => write!(f, "IP hash"),
            Method::Hash { key, consistent } => {
                write!(
                    f,
                    "hash of {key}{}",
                    if *consistent { ", consistent" } else { "" }
                )
            }
            Method::First => write!(f, "first available"),
            Method::Random { draws: 1, .. } => write!(f, "random"),
            Method::Random { draws, by: m } => write!(f, "random, best of {draws} by {}", by(m)),
        }
    }
}

/// An active health check (HAProxy `check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ActiveCheck {
    /// `inter`: milliseconds between checks (default 2000).
    pub inter_ms: u64,
    /// `fall`: consecutive failures that mark the server down (default 3).
    pub fall: u32,
    /// `rise`: consecutive successes that mark it up again (default 2).
    pub rise: u32,
}

/// Passive health (nginx `max_fails` / `fail_timeout`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PassiveCheck {
    /// `max_fails` (default 1; 0 means off, and then there is no `PassiveCheck`).
    pub max_fails: u32,
    /// `fail_timeout` in milliseconds (default 10 s; whole seconds in nginx).
    pub fail_timeout_ms: u64,
}

/// One server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Its name: HAProxy's server name, nginx's address.
    pub name: String,
    /// Its address as written (`10.0.0.1:8080`, `backend1.example.com`, `unix:/tmp/b`).
    pub address: String,
    /// Weight (nginx 1 and up; HAProxy 0–256, where 0 takes no load-balanced traffic).
    pub weight: u32,
    /// nginx `max_conns` / HAProxy `maxconn`; 0 is unlimited.
    pub max_conns: u32,
    /// Passive checks (nginx), if on.
    pub passive: Option<PassiveCheck>,
    /// Active checks (HAProxy `check`), if on.
    pub active: Option<ActiveCheck>,
    /// Used only when no primary server is available.
    pub backup: bool,
    /// nginx `down` / HAProxy `disabled`: takes no traffic.
    pub down: bool,
    /// nginx `slow_start` (NGINX Plus) / HAProxy `slowstart`, in milliseconds.
    pub slow_start_ms: Option<u64>,
    /// The line it was declared on (1-based).
    pub line: u32,
}

/// A directive or option that is valid for the product but not modelled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported {
    /// 1-based line.
    pub line: u32,
    /// The directive or option as written (`keepalive 32`, `server s1 … ssl`).
    pub directive: String,
    /// Why it is not modelled, or what the model does instead.
    pub reason: String,
}

/// A pool of servers and how requests are spread over them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PoolConfig {
    /// The product the text was written for.
    pub source: Source,
    /// The upstream's or backend's name.
    pub name: String,
    /// The method.
    pub method: Method,
    /// The line of the method directive; `None` when the product's default applies.
    pub method_line: Option<u32>,
    /// The servers, in order.
    pub servers: Vec<ServerConfig>,
    /// Everything read but not modelled.
    pub unsupported: Vec<Unsupported>,
}

/// A syntax or value error: the line and what was expected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    /// 1-based line (0 for the input as a whole).
    pub line: u32,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

pub(crate) fn err<T>(line: u32, message: impl Into<String>) -> Result<T, ConfigError> {
    Err(ConfigError {
        line,
        message: message.into(),
    })
}

impl PoolConfig {
    /// Read a paste, telling nginx from HAProxy by its first word (`upstream`, `http`, `stream`
    /// → nginx; `backend`, `listen`, `defaults`, `global`, `frontend` → HAProxy).
    pub fn parse(text: &str) -> Result<PoolConfig, ConfigError> {
        check_size(text)?;
        let first = text
            .lines()
            .map(|l| l.trim())
            .find(|l| !l.is_empty() && !l.starts_with('#'))
            .and_then(|l| l.split_whitespace().next())
            .unwrap_or("");
        match first {
            "upstream" | "http" | "stream" => nginx::parse(text),
            w if w.starts_with("upstream") => nginx::parse(text),
            "backend" | "listen" | "defaults" | "global" | "frontend" => haproxy::parse(text),
            "" => err(0, "empty config: expected an nginx `upstream name { … }` block or an HAProxy `backend name` section"),
            w => err(
                1,
                format!(
                    "expected `upstream` (nginx) or `backend`/`listen` (HAProxy), found `{}`",
                    clip(w)
                ),
            ),
        }
    }

    /// The servers as nginx's round robin takes them: `(primary, backup)` peer lists for
    /// [`SmoothWrr::new`](crate::balance::swrr::SmoothWrr::new). A server with weight 0 (HAProxy)
    /// is left out, as it takes no load-balanced traffic; a time in milliseconds is rounded up
    /// to whole seconds.
    pub fn peer_specs(&self) -> (Vec<PeerSpec>, Vec<PeerSpec>) {
        let mut primary = Vec::new();
        let mut backup = Vec::new();
        for s in self.servers.iter().filter(|s| s.weight > 0) {
            let spec = PeerSpec {
                name: s.name.clone(),
                weight: s.weight,
                max_fails: s.passive.map_or(0, |p| p.max_fails),
                fail_timeout_s: s.passive.map_or(10, |p| p.fail_timeout_ms.div_ceil(1_000)),
                max_conns: s.max_conns,
                down: s.down,
            };
            if s.backup {
                backup.push(spec);
            } else {
                primary.push(spec);
            }
        }
        (primary, backup)
    }
}

pub(crate) fn check_size(text: &str) -> Result<(), ConfigError> {
    if text.len() > MAX_INPUT_BYTES as usize {
        return err(
            0,
            format!(
                "config is {} bytes; at most {MAX_INPUT_BYTES} are read (paste one upstream or backend)",
                text.len()
            ),
        );
    }
    Ok(())
}

/// At most 40 characters of `s`, for messages.
pub(crate) fn clip(s: &str) -> String {
    let mut out: String = s.chars().take(40).collect();
    if s.chars().nth(40).is_some() {
        out.push('…');
    }
    out
}

/// A decimal count in `lo..=hi`.
pub(crate) fn count(
    line: u32,
    what: &str,
    text: &str,
    lo: u32,
    hi: u32,
) -> Result<u32, ConfigError> {
    let ok = !text.is_empty() && text.len() <= 10 && text.bytes().all(|b| b.is_ascii_digit());
    let value = if ok { text.parse::<u64>().ok() } else { None };
    match value {
        Some(v) if v >= u64::from(lo) && v <= u64::from(hi) => Ok(v as u32),
        Some(v) => err(
            line,
            format!("{what} {v} is out of range: expected {lo} to {hi}"),
        ),
        None => err(
            line,
            format!(
                "{what} `{}`: expected a whole number from {lo} to {hi}",
                clip(text)
            ),
        ),
    }
}
