//! nginx: the `upstream` block and its `server` lines (after `ngx_http_upstream_server` in
//! `src/http/ngx_http_upstream.c`), the method directives (`src/http/modules/
//! ngx_http_upstream_{least_conn,ip_hash,hash,random}_module.c`), and `ngx_parse_time`
//! (`src/core/ngx_parse.c`) for times in seconds. Tokens come from `nginx_tokens`, after
//! `ngx_conf_read_token`.

use super::nginx_tokens::{tokenize, Directive, Reader, Tok};
use super::{
    check_size, clip, count, err, ConfigError, LoadMeasure, Method, PassiveCheck, PoolConfig,
    ServerConfig, Source, Unsupported, MAX_COUNT, MAX_NGINX_WEIGHT, MAX_SERVERS, MAX_TIME_MS,
    MAX_TOKENS_PER_LINE,
};

/// Read an nginx paste: the first `upstream` block, found at the top level or inside `http { }`
/// or `stream { }`. Every other directive or block is listed as unsupported.
pub fn parse(text: &str) -> Result<PoolConfig, ConfigError> {
    check_size(text)?;
    let mut r = Reader {
        toks: tokenize(text)?,
        pos: 0,
    };
    let mut pool: Option<PoolConfig> = None;
    let mut outside = Vec::new();
    walk(&mut r, &mut pool, &mut outside, 0)?;
    match pool {
        Some(mut p) => {
            p.unsupported.extend(outside);
            p.unsupported.sort_by_key(|u| u.line);
            Ok(p)
        }
        None => err(0, "no `upstream name { … }` block found"),
    }
}

fn walk(
    r: &mut Reader,
    pool: &mut Option<PoolConfig>,
    outside: &mut Vec<Unsupported>,
    depth: u32,
) -> Result<(), ConfigError> {
    while let Some(d) = r.next()? {
        match d.end {
            Tok::Close if d.words.is_empty() => {
                if depth == 0 {
                    return err(d.end_line, "unexpected `}`: no block is open");
                }
                return Ok(());
            }
            Tok::Open if d.words[0] == "upstream" && pool.is_none() => {
                *pool = Some(upstream(r, &d)?);
            }
            Tok::Open if (d.words[0] == "http" || d.words[0] == "stream") && d.words.len() == 1 => {
                walk(r, pool, outside, depth + 1)?;
            }
            Tok::Open => {
                outside.push(Unsupported {
                    line: d.line,
                    directive: format!("{} {{ … }}", clip(&d.words.join(" "))),
                    reason: if d.words[0] == "upstream" {
                        "only the first upstream block is read".into()
                    } else {
                        "a block outside the upstream: not read".into()
                    },
                });
                r.skip_block(d.end_line)?;
            }
            _ => outside.push(Unsupported {
                line: d.line,
                directive: clip(&d.words.join(" ")),
                reason: "outside the upstream block: not read".into(),
            }),
        }
    }
    if depth > 0 {
        return err(
            0,
            "unexpected end of input: expected `}` to close the http/stream block",
        );
    }
    Ok(())
}

fn upstream(r: &mut Reader, head: &Directive) -> Result<PoolConfig, ConfigError> {
    if head.words.len() != 2 {
        return err(head.line, "expected `upstream name {`");
    }
    let mut pool = PoolConfig {
        source: Source::Nginx,
        name: head.words[1].clone(),
        method: Method::RoundRobin,
        method_line: None,
        servers: Vec::new(),
        unsupported: Vec::new(),
    };
    loop {
        let Some(d) = r.next()? else {
            return err(
                head.line,
                format!(
                    "unexpected end of input: expected `}}` to close `upstream {}`",
                    clip(&pool.name)
                ),
            );
        };
        if d.end == Tok::Close {
            break;
        }
        if d.end == Tok::Open {
            return err(
                d.line,
                format!("`{}` takes no block: expected `;`", clip(&d.words[0])),
            );
        }
        directive(&mut pool, &d)?;
    }
    if pool.servers.is_empty() {
        return err(
            head.line,
            format!("no servers in upstream `{}`", clip(&pool.name)),
        );
    }
    check_method_flags(&mut pool)?;
    Ok(pool)
}

fn set_method(pool: &mut PoolConfig, method: Method, d: &Directive) {
    if let Some(prev) = pool.method_line {
        pool.unsupported.push(Unsupported {
            line: prev,
            directive: pool.method.to_string(),
            reason: format!(
                "load balancing method redefined on line {}: nginx warns and uses the later one",
                d.line
            ),
        });
    }
    pool.method = method;
    pool.method_line = Some(d.line);
}

fn args(d: &Directive, lo: usize, hi: usize) -> Result<&[String], ConfigError> {
    let a = &d.words[1..];
    if a.len() < lo || a.len() > hi {
        return err(
            d.line,
            format!(
                "invalid number of arguments in `{}` directive",
                clip(&d.words[0])
            ),
        );
    }
    Ok(a)
}

fn directive(pool: &mut PoolConfig, d: &Directive) -> Result<(), ConfigError> {
    let name = d.words[0].as_str();
    match name {
        "server" => {
            args(d, 1, MAX_TOKENS_PER_LINE as usize)?;
            if pool.servers.len() >= MAX_SERVERS as usize {
                return err(d.line, format!("more than {MAX_SERVERS} servers"));
            }
            let s = server(pool, d)?;
            pool.servers.push(s);
        }
        "least_conn" => {
            args(d, 0, 0)?;
            set_method(pool, Method::LeastConn, d);
        }
        "ip_hash" => {
            args(d, 0, 0)?;
            set_method(pool, Method::IpHash, d);
        }
        "hash" => {
            let a = args(d, 1, 2)?;
            let consistent = match a.get(1).map(String::as_str) {
                None => false,
                Some("consistent") => true,
                Some(other) => {
                    return err(
                        d.line,
                        format!("invalid parameter `{}`: expected `consistent`", clip(other)),
                    )
                }
            };
            set_method(
                pool,
                Method::Hash {
                    key: a[0].clone(),
                    consistent,
                },
                d,
            );
        }
        "random" => {
            let a = args(d, 0, 2)?;
            let method = match a.first().map(String::as_str) {
                None => Method::Random { draws: 1, by: LoadMeasure::Connections },
                Some("two") => Method::Random {
                    draws: 2,
                    by: match a.get(1).map(String::as_str) {
                        None | Some("least_conn") => LoadMeasure::Connections,
                        Some("least_time=header") => LoadMeasure::TimeToHeader,
                        Some("least_time=last_byte") => LoadMeasure::TimeToLastByte,
                        Some(o) => return err(d.line, format!("invalid parameter `{}`: expected `least_conn`, `least_time=header` or `least_time=last_byte`", clip(o))),
                    },
                },
                Some(o) => return err(d.line, format!("invalid parameter `{}`: expected `two`", clip(o))),
            };
            set_method(pool, method, d);
        }
        "least_time" => {
            let a = args(d, 1, 2)?;
            let m = match a[0].as_str() {
                "header" => LoadMeasure::TimeToHeader,
                "last_byte" => LoadMeasure::TimeToLastByte,
                o => {
                    return err(
                        d.line,
                        format!(
                            "invalid parameter `{}`: expected `header` or `last_byte`",
                            clip(o)
                        ),
                    )
                }
            };
            if let Some(extra) = a.get(1) {
                if extra != "inflight" {
                    return err(
                        d.line,
                        format!("invalid parameter `{}`: expected `inflight`", clip(extra)),
                    );
                }
                pool.unsupported.push(Unsupported {
                    line: d.line,
                    directive: "least_time … inflight".into(),
                    reason: "inflight (counting incomplete requests in the time) is not modelled"
                        .into(),
                });
            }
            set_method(pool, Method::LeastTime(m), d);
        }
        _ => {
            let reason = match name {
                "keepalive" | "keepalive_requests" | "keepalive_time" | "keepalive_timeout" => {
                    "connection reuse to upstreams is not modelled: every request costs the same"
                }
                "zone" | "state" => {
                    "shared memory and runtime state files: the simulation has one balancer process"
                }
                "resolver" | "resolver_timeout" => {
                    "DNS re-resolution is not modelled: addresses are fixed"
                }
                "ntlm" => "NTLM connection binding is not modelled",
                "queue" => "NGINX Plus upstream queue is not modelled",
                "sticky" | "sticky_cookie_insert" => {
                    "session persistence (NGINX Plus sticky) is not modelled"
                }
                _ => {
                    return err(
                        d.line,
                        format!(
                            "unknown directive `{}` in upstream (nginx rejects it too)",
                            clip(name)
                        ),
                    )
                }
            };
            pool.unsupported.push(Unsupported {
                line: d.line,
                directive: clip(&d.words.join(" ")),
                reason: reason.into(),
            });
        }
    }
    Ok(())
}

fn server(pool: &mut PoolConfig, d: &Directive) -> Result<ServerConfig, ConfigError> {
    let address = d.words[1].clone();
    if address.is_empty() {
        return err(d.line, "empty server address");
    }
    // As nginx's ngx_parse_url: a port, when given, is 1 to 65535 (`[v6]:port` included).
    if !address.starts_with("unix:") {
        if let Some((host, port)) = address.rsplit_once(':') {
            let v6_without_port = host.starts_with('[') && !host.ends_with(']');
            if (!v6_without_port && !host.contains(':')) || host.ends_with(']') {
                count(d.line, "port", port, 1, 65_535)?;
            }
        }
    }
    let mut s = ServerConfig {
        name: address.clone(),
        address,
        weight: 1,
        max_conns: 0,
        passive: None,
        active: None,
        backup: false,
        down: false,
        slow_start_ms: None,
        line: d.line,
    };
    let (mut max_fails, mut fail_timeout_s) = (1u32, 10u64);
    for p in &d.words[2..] {
        let (key, value) = match p.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (p.as_str(), None),
        };
        match (key, value) {
            ("weight", Some(v)) => s.weight = count(d.line, "weight", v, 1, MAX_NGINX_WEIGHT)?,
            ("max_fails", Some(v)) => max_fails = count(d.line, "max_fails", v, 0, MAX_COUNT)?,
            ("max_conns", Some(v)) => s.max_conns = count(d.line, "max_conns", v, 0, MAX_COUNT)?,
            ("fail_timeout", Some(v)) => fail_timeout_s = time_s(d.line, "fail_timeout", v)?,
            ("slow_start", Some(v)) => s.slow_start_ms = Some(time_s(d.line, "slow_start", v)? * 1_000),
            ("backup", None) => s.backup = true,
            ("down", None) => s.down = true,
            ("resolve" | "drain", None) | ("service" | "route", Some(_)) => pool.unsupported.push(Unsupported {
                line: d.line,
                directive: format!("server {} {}", clip(&s.address), clip(p)),
                reason: match key {
                    "resolve" | "service" => "DNS re-resolution is not modelled: the address is fixed",
                    "route" => "sticky routes (NGINX Plus) are not modelled",
                    _ => "draining (NGINX Plus) is not modelled here: use the simulator's drain",
                }
                .into(),
            }),
            _ => return err(d.line, format!("invalid parameter `{}`: expected weight=, max_fails=, fail_timeout=, max_conns=, slow_start=, backup or down", clip(p))),
        }
    }
    if max_fails > 0 {
        s.passive = Some(PassiveCheck {
            max_fails,
            fail_timeout_ms: fail_timeout_s * 1_000,
        });
    }
    Ok(s)
}

/// nginx's rule (`uscf->flags`, checked in `ngx_http_upstream_server`): `ip_hash`, `hash` and
/// `random` do not take `backup`. A `server … backup` after the method is refused as nginx
/// refuses it; one before it is accepted by nginx's parser and listed here.
fn check_method_flags(pool: &mut PoolConfig) -> Result<(), ConfigError> {
    let hashy = matches!(
        pool.method,
        Method::IpHash | Method::Hash { .. } | Method::Random { .. }
    );
    let Some(mline) = pool.method_line.filter(|_| hashy) else {
        return Ok(());
    };
    for s in &pool.servers {
        if s.backup && s.line > mline {
            return err(s.line, "balancing method does not support parameter `backup` (ip_hash, hash and random have no backup servers)");
        }
        if s.backup {
            pool.unsupported.push(Unsupported {
                line: s.line,
                directive: format!("server {} backup", clip(&s.address)),
                reason: "nginx accepts `backup` before ip_hash/hash/random but its docs say those methods cannot use it; the flag is kept".into(),
            });
        }
        if s.slow_start_ms.is_some() {
            pool.unsupported.push(Unsupported {
                line: s.line,
                directive: format!("server {} slow_start", clip(&s.address)),
                reason:
                    "slow_start cannot be used with hash and random (nginx docs); the value is kept"
                        .into(),
            });
        }
    }
    Ok(())
}

/// `ngx_parse_time(s, is_sec = 1)`: whole seconds; units `y` (365 d), `M` (30 d), `w`, `d`, `h`,
/// `m`, `s` in strictly decreasing order, a bare number meaning seconds, spaces allowed between
/// parts (inside quotes); `ms` is an error in seconds mode.
pub fn time_s(line: u32, what: &str, text: &str) -> Result<u64, ConfigError> {
    let max_s = MAX_TIME_MS / 1_000;
    let bad = |why: &str| {
        err(
            line,
            format!(
                "{what}=`{}`: {why} (expected e.g. 10, 30s, 1m30s; units y M w d h m s)",
                clip(text)
            ),
        )
    };
    let mut total: u64 = 0;
    let mut value: u64 = 0;
    let mut valid = false;
    let mut step = 0u8; // 0 start, then 1 y … 7 s, 8 last
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if let Some(dgt) = c.to_digit(10) {
            value = match value
                .checked_mul(10)
                .and_then(|v| v.checked_add(u64::from(dgt)))
            {
                Some(v) if v <= max_s => v,
                _ => return bad("too large"),
            };
            valid = true;
            continue;
        }
        let (next, scale) = match c {
            'y' => (1, 365 * 86_400),
            'M' => (2, 30 * 86_400),
            'w' => (3, 7 * 86_400),
            'd' => (4, 86_400),
            'h' => (5, 3_600),
            'm' if chars.peek() == Some(&'s') => {
                return bad("milliseconds are not allowed here (nginx counts this in seconds)")
            }
            'm' => (6, 60),
            's' => (7, 1),
            ' ' => (8, 1),
            _ => return bad(&format!("unknown unit `{c}`")),
        };
        if next <= step || (c == ' ' && step >= 7) {
            return bad("units must go from largest to smallest, each once");
        }
        step = next;
        total = match value.checked_mul(scale).and_then(|v| v.checked_add(total)) {
            Some(t) if t <= max_s => t,
            _ => return bad("too large"),
        };
        value = 0;
        while chars.peek() == Some(&' ') {
            chars.next();
        }
    }
    if !valid {
        return bad("no number");
    }
    match total.checked_add(value) {
        Some(t) if t <= max_s => Ok(t),
        _ => bad("too large"),
    }
}
