//! HAProxy: one directive per line, read as HAProxy's `parse_line` does (words split on spaces
//! and tabs, `"…"` with backslash escapes, `'…'` taken literally, a backslash escaping the next
//! character outside quotes, `#` starting a comment outside quotes); sections start with their
//! keyword (`backend name`, `listen name`, `defaults`, `global`, `frontend name`, …).
//!
//! The first `backend` or `listen` section is read. A `defaults` section before it gives its
//! `balance` and `default-server` to it, as HAProxy does; its other lines, and every other
//! section, are listed as unsupported. Keywords: `doc/configuration.txt` (§4.2 `balance`, §5.2
//! server options); defaults from `include/haproxy/defaults.h`.
//!
//! Stricter than HAProxy in one place: HAProxy reads `weight`, `fall` and `rise` with C's
//! `atol`, so `weight 5x` is 5 and `weight x` is 0; here both are errors naming the line.

use super::{
    check_size, clip, count, err, ActiveCheck, ConfigError, LoadMeasure, Method, PoolConfig,
    ServerConfig, Source, Unsupported, MAX_COUNT, MAX_SERVERS, MAX_TIME_MS, MAX_TOKENS_PER_LINE,
};

/// HAProxy's default check interval, `DEF_CHKINTR` (ms).
pub const DEFAULT_INTER_MS: u64 = 2_000;
/// `DEF_FALLTIME`.
pub const DEFAULT_FALL: u32 = 3;
/// `DEF_RISETIME`.
pub const DEFAULT_RISE: u32 = 2;
/// `SRV_UWGHT_MAX`.
pub const MAX_WEIGHT: u32 = 256;

const SECTIONS: &[&str] = &[
    "global",
    "defaults",
    "frontend",
    "backend",
    "listen",
    "peers",
    "resolvers",
    "userlist",
    "mailers",
    "cache",
    "program",
    "http-errors",
    "ring",
    "log-forward",
    "traces",
    "crt-store",
    "acme",
];

/// Server options that take one argument but are not modelled (so their argument is not read
/// as another option).
const ONE_ARG: &[&str] = &[
    "fastinter",
    "downinter",
    "cookie",
    "id",
    "addr",
    "port",
    "maxqueue",
    "minconn",
    "verify",
    "sni",
    "ca-file",
    "crt",
    "crl-file",
    "agent-port",
    "agent-inter",
    "agent-addr",
    "agent-send",
    "observe",
    "error-limit",
    "on-error",
    "on-marked-down",
    "on-marked-up",
    "resolvers",
    "resolve-prefer",
    "resolve-net",
    "resolve-opts",
    "init-addr",
    "source",
    "proto",
    "alpn",
    "check-alpn",
    "check-proto",
    "check-sni",
    "pool-max-conn",
    "pool-low-conn",
    "pool-purge-delay",
    "max-reuse",
    "track",
    "redir",
    "namespace",
    "socks4",
    "ws",
    "tcp-ut",
    "ciphers",
    "ciphersuites",
    "curves",
    "sigalgs",
    "client-sigalgs",
    "ssl-min-ver",
    "ssl-max-ver",
    "guid",
    "hash-key",
    "log-proto",
    "shard",
    "npn",
    "usesrc",
    "interface",
    "set-proxy-v2-tlv-fmt",
    "check-reuse-pool",
    "idle-ping",
    "strict-maxconn",
];

/// Split one line into words.
fn words(text: &str, line: u32) -> Result<Vec<String>, ConfigError> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let (mut dq, mut sq) = (false, false);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' if !dq => {
                sq = !sq;
                started = true;
            }
            '"' if !sq => {
                dq = !dq;
                started = true;
            }
            '\\' if !sq => {
                if let Some(n) = chars.next() {
                    word.push(n);
                }
                started = true;
            }
            '#' if !dq && !sq => break,
            ' ' | '\t' | '\r' if !dq && !sq => {
                if started {
                    if out.len() >= MAX_TOKENS_PER_LINE as usize {
                        return err(
                            line,
                            format!("more than {MAX_TOKENS_PER_LINE} words on one line"),
                        );
                    }
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            other => {
                word.push(other);
                started = true;
            }
        }
    }
    if dq || sq {
        return err(
            line,
            "unmatched quote: expected the closing quote on the same line",
        );
    }
    if started {
        out.push(word);
    }
    Ok(out)
}

/// HAProxy's `parse_time_err(…, TIME_UNIT_MS)`: an integer and at most one unit (us, ms, s, m,
/// h, d), milliseconds when none; microseconds round up to a whole millisecond.
pub fn time_ms(line: u32, what: &str, text: &str) -> Result<u64, ConfigError> {
    let digits = text.chars().take_while(|c| c.is_ascii_digit()).count();
    let (num, unit) = text.split_at(digits);
    let bad = |why: &str| {
        err(
            line,
            format!(
                "{what} `{}`: {why} (expected an integer with an optional unit us, ms, s, m, h, d)",
                clip(text)
            ),
        )
    };
    if num.is_empty() {
        return bad("no number");
    }
    if num.len() > 12 {
        return bad("too large");
    }
    let n: u64 = num.parse().unwrap_or(u64::MAX);
    let ms = match unit {
        "us" => Some(n.div_ceil(1_000)),
        "" | "ms" => Some(n),
        "s" => n.checked_mul(1_000),
        "m" => n.checked_mul(60_000),
        "h" => n.checked_mul(3_600_000),
        "d" => n.checked_mul(86_400_000),
        u => return bad(&format!("unknown unit `{}`", clip(u))),
    };
    match ms {
        Some(ms) if ms <= MAX_TIME_MS => Ok(ms),
        _ => bad("over HAProxy's maximum of 2147483647 ms"),
    }
}

/// Server settings that `default-server` can set.
#[derive(Clone, Debug)]
struct ServerDefaults {
    weight: u32,
    check: bool,
    inter_ms: u64,
    fall: u32,
    rise: u32,
    backup: bool,
    disabled: bool,
    slowstart_ms: Option<u64>,
    maxconn: u32,
}

impl Default for ServerDefaults {
    fn default() -> Self {
        ServerDefaults {
            weight: 1,
            check: false,
            inter_ms: DEFAULT_INTER_MS,
            fall: DEFAULT_FALL,
            rise: DEFAULT_RISE,
            backup: false,
            disabled: false,
            slowstart_ms: None,
            maxconn: 0,
        }
    }
}

/// Apply server options `opts` (from a `server` or `default-server` line) to `s`.
fn options(
    s: &mut ServerDefaults,
    opts: &[String],
    line: u32,
    who: &str,
    unsupported: &mut Vec<Unsupported>,
) -> Result<(), ConfigError> {
    let mut i = 0;
    while i < opts.len() {
        let key = opts[i].as_str();
        let arg = |i: usize| -> Result<&str, ConfigError> {
            match opts.get(i + 1) {
                Some(a) => Ok(a.as_str()),
                None => err(line, format!("`{key}` expects an argument")),
            }
        };
        match key {
            "weight" => s.weight = count(line, "weight", arg(i)?, 0, MAX_WEIGHT)?,
            "inter" => {
                s.inter_ms = time_ms(line, "inter", arg(i)?)?;
                if s.inter_ms == 0 {
                    return err(line, "inter must be greater than 0");
                }
            }
            "fall" => s.fall = count(line, "fall", arg(i)?, 1, MAX_COUNT)?,
            "rise" => s.rise = count(line, "rise", arg(i)?, 1, MAX_COUNT)?,
            "slowstart" => s.slowstart_ms = Some(time_ms(line, "slowstart", arg(i)?)?),
            "maxconn" => s.maxconn = count(line, "maxconn", arg(i)?, 0, MAX_COUNT)?,
            "check" => s.check = true,
            "no-check" => s.check = false,
            "backup" => s.backup = true,
            "no-backup" => s.backup = false,
            "disabled" => s.disabled = true,
            "enabled" => s.disabled = false,
            _ => {
                let takes_arg = ONE_ARG.contains(&key);
                let shown = if takes_arg {
                    format!(
                        "{} {}",
                        clip(key),
                        clip(opts.get(i + 1).map_or("", |a| a.as_str()))
                    )
                } else {
                    clip(key)
                };
                unsupported.push(Unsupported {
                    line,
                    directive: format!("{who} … {shown}"),
                    reason: match key {
                        "fastinter" | "downinter" => "one check interval (inter) is modelled",
                        "cookie" => "cookie persistence is not modelled",
                        "agent-check" | "agent-port" | "agent-inter" | "agent-addr"
                        | "agent-send" => "agent checks are not modelled",
                        "observe" | "error-limit" | "on-error" => {
                            "HAProxy's passive observation of live traffic is not modelled"
                        }
                        "ssl" | "verify" | "sni" | "ca-file" | "crt" | "alpn" => {
                            "TLS is not modelled"
                        }
                        "maxqueue" | "minconn" => "per-server queue limits are not modelled here",
                        _ => "server option not modelled",
                    }
                    .into(),
                });
                if takes_arg {
                    i += 1;
                }
                i += 1;
                continue;
            }
        }
        i += if matches!(
            key,
            "weight" | "inter" | "fall" | "rise" | "slowstart" | "maxconn"
        ) {
            2
        } else {
            1
        };
    }
    Ok(())
}

/// `balance …` → a method; `Ok(None)` for a valid algorithm that is not modelled (listed).
fn balance(
    w: &[String],
    line: u32,
    unsupported: &mut Vec<Unsupported>,
) -> Result<Option<Method>, ConfigError> {
    let Some(alg) = w.get(1) else {
        return err(line, "`balance` expects an algorithm");
    };
    let extra = |unsupported: &mut Vec<Unsupported>, from: usize| {
        if w.len() > from {
            unsupported.push(Unsupported {
                line,
                directive: clip(&w.join(" ")),
                reason: "the algorithm's options are not modelled (the whole key is hashed)".into(),
            });
        }
    };
    let method = match alg.as_str() {
        "roundrobin" => Method::RoundRobin,
        "static-rr" => Method::StaticRoundRobin,
        "leastconn" => Method::LeastConn,
        "first" => Method::First,
        "source" => Method::Hash { key: "source".into(), consistent: false },
        "uri" => {
            extra(unsupported, 2);
            Method::Hash { key: "uri".into(), consistent: false }
        }
        "random" => Method::Random { draws: 2, by: LoadMeasure::Connections },
        a if a.starts_with("random(") && a.ends_with(')') => {
            let n = &a["random(".len()..a.len() - 1];
            Method::Random { draws: count(line, "random draws", n, 1, 100)?, by: LoadMeasure::Connections }
        }
        a if a.starts_with("hdr(") && a.ends_with(')') && a.len() > 5 => {
            extra(unsupported, 2);
            Method::Hash { key: a.to_ascii_lowercase(), consistent: false }
        }
        "url_param" | "hash" | "log-hash" | "sticky" => {
            unsupported.push(Unsupported {
                line,
                directive: clip(&w.join(" ")),
                reason: "this algorithm is not modelled; HAProxy's default (random, 2 draws) is used".into(),
            });
            return Ok(None);
        }
        a if a.starts_with("rdp-cookie") => {
            unsupported.push(Unsupported {
                line,
                directive: clip(&w.join(" ")),
                reason: "RDP cookies are not modelled; HAProxy's default (random, 2 draws) is used".into(),
            });
            return Ok(None);
        }
        a => {
            return err(
                line,
                format!("unknown balance algorithm `{}`: expected roundrobin, static-rr, leastconn, first, source, uri, url_param, hdr(name), random[(N)], rdp-cookie, hash, log-hash or sticky", clip(a)),
            )
        }
    };
    if !matches!(alg.as_str(), "uri") && !alg.starts_with("hdr(") {
        extra(unsupported, 2);
    }
    Ok(Some(method))
}

fn reason_for(keyword: &str) -> &'static str {
    match keyword {
        "mode" => "HTTP vs TCP mode is not modelled: requests are abstract",
        "option" => "option not modelled",
        "timeout" => "timeouts are set in the simulator, not read from here",
        "retries" | "retry-on" => "retries are set in the simulator, not read from here",
        "hash-type" => {
            "the hash function and consistency are not modelled: map-based hashing is assumed"
        }
        "hash-balance-factor" => {
            "bounded loads for hashing are in the sharding family, not read from here"
        }
        "cookie" | "stick-table" | "stick" | "persist" => "session persistence is not modelled",
        "http-check" | "tcp-check" => "check contents are not modelled: a check passes or fails",
        "fullconn" => "dynamic maxconn is not modelled",
        _ => "directive not modelled",
    }
}

/// Read an HAProxy paste: the first `backend` or `listen` section.
pub fn parse(text: &str) -> Result<PoolConfig, ConfigError> {
    check_size(text)?;
    let mut unsupported = Vec::new();
    let mut defaults = ServerDefaults::default();
    let mut default_method: Option<(Method, u32)> = None;
    let mut pool: Option<PoolConfig> = None;
    let mut section = "";
    let mut server_defaults = defaults.clone();
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let w = words(raw, line)?;
        let Some(kw) = w.first().map(String::as_str) else {
            continue;
        };
        if SECTIONS.contains(&kw) {
            if (kw == "backend" || kw == "listen") && pool.is_none() {
                let Some(name) = w.get(1) else {
                    return err(line, format!("`{kw}` expects a name"));
                };
                pool = Some(PoolConfig {
                    source: Source::Haproxy,
                    name: name.clone(),
                    method: Method::Random {
                        draws: 2,
                        by: LoadMeasure::Connections,
                    },
                    method_line: None,
                    servers: Vec::new(),
                    unsupported: Vec::new(),
                });
                if let Some((m, l)) = default_method.clone() {
                    let p = pool.as_mut().expect("just set");
                    p.method = m;
                    p.method_line = Some(l);
                }
                server_defaults = defaults.clone();
                section = if kw == "backend" { "backend" } else { "listen" };
                continue;
            }
            if kw == "defaults" && pool.is_none() {
                defaults = ServerDefaults::default();
                default_method = None;
                section = "defaults";
                continue;
            }
            section = "other";
            unsupported.push(Unsupported {
                line,
                directive: clip(&w.join(" ")),
                reason: if kw == "backend" || kw == "listen" {
                    "only the first backend or listen section is read".into()
                } else {
                    format!("`{kw}` section: not read")
                },
            });
            continue;
        }
        match section {
            "defaults" => match kw {
                "balance" => {
                    if let Some(m) = balance(&w, line, &mut unsupported)? {
                        default_method = Some((m, line));
                    }
                }
                "default-server" => options(
                    &mut defaults,
                    &w[1..],
                    line,
                    "default-server",
                    &mut unsupported,
                )?,
                _ => unsupported.push(Unsupported {
                    line,
                    directive: clip(&w.join(" ")),
                    reason: format!("in defaults: {}", reason_for(kw)),
                }),
            },
            "backend" | "listen" => {
                let p = pool.as_mut().expect("a backend section has its pool");
                match kw {
                    "balance" => {
                        if p.method_line
                            .is_some_and(|l| default_method.as_ref().is_none_or(|(_, dl)| *dl != l))
                        {
                            return err(
                                line,
                                "the balance algorithm may only be set once per backend",
                            );
                        }
                        if let Some(m) = balance(&w, line, &mut p.unsupported)? {
                            p.method = m;
                            p.method_line = Some(line);
                        }
                    }
                    "default-server" => options(
                        &mut server_defaults,
                        &w[1..],
                        line,
                        "default-server",
                        &mut p.unsupported,
                    )?,
                    "server" => {
                        if p.servers.len() >= MAX_SERVERS as usize {
                            return err(line, format!("more than {MAX_SERVERS} servers"));
                        }
                        let (Some(name), Some(address)) = (w.get(1), w.get(2)) else {
                            return err(
                                line,
                                "expected `server <name> <address>[:port] [options]`",
                            );
                        };
                        let mut s = server_defaults.clone();
                        let who = format!("server {}", clip(name));
                        options(&mut s, &w[3..], line, &who, &mut p.unsupported)?;
                        p.servers.push(ServerConfig {
                            name: name.clone(),
                            address: address.clone(),
                            weight: s.weight,
                            max_conns: s.maxconn,
                            passive: None,
                            active: s.check.then_some(ActiveCheck {
                                inter_ms: s.inter_ms,
                                fall: s.fall,
                                rise: s.rise,
                            }),
                            backup: s.backup,
                            down: s.disabled,
                            slow_start_ms: s.slowstart_ms,
                            line,
                        });
                    }
                    _ => p.unsupported.push(Unsupported {
                        line,
                        directive: clip(&w.join(" ")),
                        reason: reason_for(kw).into(),
                    }),
                }
            }
            "" => {
                return err(
                    line,
                    format!(
                    "`{}` outside a section: expected `backend <name>` or `listen <name>` first",
                    clip(kw)
                ),
                )
            }
            _ => unsupported.push(Unsupported {
                line,
                directive: clip(&w.join(" ")),
                reason: "in a section that is not read".into(),
            }),
        }
    }
    let Some(mut p) = pool else {
        return err(0, "no `backend <name>` or `listen <name>` section found");
    };
    if p.servers.is_empty() {
        return err(0, format!("no servers in backend `{}`", clip(&p.name)));
    }
    p.unsupported.extend(unsupported);
    p.unsupported.sort_by_key(|u| u.line);
    Ok(p)
}
