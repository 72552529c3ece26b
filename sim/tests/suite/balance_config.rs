//! Pasted nginx and HAProxy configs (`sim::balance::config`): the products' own documentation
//! examples read to the right pool, every unmodelled directive listed, malformed input an error
//! with its line (quickly, never a panic).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

#[cfg(not(target_arch = "wasm32"))] // used by the proptest blocks only
use crate::common;

use sim::balance::config::{haproxy, nginx, ActiveCheck, LoadMeasure, PassiveCheck};
use sim::balance::{Method, PoolConfig, SmoothWrr, Source};
use sim::time::SimTime;

fn unsupported_lines(p: &PoolConfig) -> Vec<u32> {
    p.unsupported.iter().map(|u| u.line).collect()
}

/// The first example of nginx's `ngx_http_upstream_module` documentation ("Example
/// Configuration"), with the `server { … }` block that uses it.
const NGINX_DOCS_EXAMPLE: &str = "\
upstream backend {
    server backend1.example.com       weight=5;
    server backend2.example.com:8080;
    server unix:/tmp/backend3;

    server backup1.example.com:8080   backup;
    server backup2.example.com:8080   backup;
}

server {
    location / {
        proxy_pass http://backend;
    }
}
";

#[test]
fn nginx_docs_example() {
    let p = PoolConfig::parse(NGINX_DOCS_EXAMPLE).unwrap();
    assert_eq!(p.source, Source::Nginx);
    assert_eq!(p.name, "backend");
    assert_eq!(p.method, Method::RoundRobin);
    assert_eq!(p.method_line, None);
    let names: Vec<&str> = p.servers.iter().map(|s| s.address.as_str()).collect();
    assert_eq!(
        names,
        [
            "backend1.example.com",
            "backend2.example.com:8080",
            "unix:/tmp/backend3",
            "backup1.example.com:8080",
            "backup2.example.com:8080"
        ]
    );
    let weights: Vec<u32> = p.servers.iter().map(|s| s.weight).collect();
    assert_eq!(weights, [5, 1, 1, 1, 1]);
    let backup: Vec<bool> = p.servers.iter().map(|s| s.backup).collect();
    assert_eq!(backup, [false, false, false, true, true]);
    // nginx's defaults: max_fails=1, fail_timeout=10s.
    for s in &p.servers {
        assert_eq!(
            s.passive,
            Some(PassiveCheck {
                max_fails: 1,
                fail_timeout_ms: 10_000
            })
        );
        assert!(!s.down && s.max_conns == 0 && s.slow_start_ms.is_none());
    }
    assert_eq!(unsupported_lines(&p), [10]);
    assert!(p.unsupported[0].directive.starts_with("server {"));

    // The docs: "with the default configuration … every 7 requests will be distributed as
    // follows: 5 requests go to backend1.example.com and one request to each of the second and
    // third servers", and nginx's smooth order is a a b a c a a.
    let (primary, backup) = p.peer_specs();
    assert_eq!((primary.len(), backup.len()), (3, 2));
    let mut wrr = SmoothWrr::new(primary, backup).unwrap();
    let seq: Vec<u32> = (0..7)
        .map(|_| wrr.next(SimTime::ZERO).unwrap().index)
        .collect();
    assert_eq!(seq, [0, 0, 1, 0, 2, 0, 0]);
}

/// The docs' `server` example lines and the NGINX Plus "dynamically configurable group".
#[test]
fn nginx_docs_dynamic_group_lists_what_it_does_not_model() {
    let text = "\
resolver 10.0.0.1;

upstream dynamic {
    zone upstream_dynamic 64k;

    server backend1.example.com      weight=5;
    server backend2.example.com:8080 fail_timeout=5s slow_start=30s;
    server 192.0.2.1                 max_fails=3;
    server backend3.example.com      resolve;
    server backend4.example.com      service=http resolve;

    server backup1.example.com:8080  backup;
    server backup2.example.com:8080  backup;
}
";
    let p = nginx::parse(text).unwrap();
    assert_eq!(p.servers.len(), 7);
    let s = &p.servers[1];
    assert_eq!(s.passive.unwrap().fail_timeout_ms, 5_000);
    assert_eq!(s.slow_start_ms, Some(30_000));
    assert_eq!(p.servers[2].passive.unwrap().max_fails, 3);
    // resolver (outside), zone, resolve, service=http + resolve.
    assert_eq!(unsupported_lines(&p), [1, 4, 9, 10, 10]);
    for u in &p.unsupported {
        assert!(!u.reason.is_empty(), "{u:?}");
    }
}

#[test]
fn nginx_methods() {
    let cases: [(&str, Method); 8] = [
        ("least_conn;", Method::LeastConn),
        ("ip_hash;", Method::IpHash),
        (
            "hash $request_uri consistent;",
            Method::Hash {
                key: "$request_uri".into(),
                consistent: true,
            },
        ),
        (
            "hash \"${scheme}${host}\";",
            Method::Hash {
                key: "${scheme}${host}".into(),
                consistent: false,
            },
        ),
        (
            "random;",
            Method::Random {
                draws: 1,
                by: LoadMeasure::Connections,
            },
        ),
        (
            "random two;",
            Method::Random {
                draws: 2,
                by: LoadMeasure::Connections,
            },
        ),
        (
            "random two least_time=last_byte;",
            Method::Random {
                draws: 2,
                by: LoadMeasure::TimeToLastByte,
            },
        ),
        (
            "least_time header;",
            Method::LeastTime(LoadMeasure::TimeToHeader),
        ),
    ];
    for (line, want) in cases {
        let text = format!("upstream u {{\n  {line}\n  server a;\n  server b;\n}}");
        let p = PoolConfig::parse(&text).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(p.method, want, "{line}");
        assert_eq!(p.method_line, Some(2));
    }
}

#[test]
fn nginx_ip_hash_example_with_down() {
    // The docs' ip_hash example.
    let p = PoolConfig::parse(
        "upstream backend {
    ip_hash;

    server backend1.example.com;
    server backend2.example.com;
    server backend3.example.com down;
    server backend4.example.com;
}",
    )
    .unwrap();
    assert_eq!(p.method, Method::IpHash);
    let down: Vec<bool> = p.servers.iter().map(|s| s.down).collect();
    assert_eq!(down, [false, false, true, false]);
    assert!(p.unsupported.is_empty());
}

#[test]
fn nginx_unmodelled_directives_are_each_listed() {
    let p = PoolConfig::parse(
        "upstream u {          # comment
    server a:80 max_conns=10;
    keepalive 32;
    keepalive_requests 1000;
    keepalive_time 1h;
    keepalive_timeout 60s;
    ntlm;
    queue 100 timeout=70;
    sticky cookie srv_id expires=1h;
    least_conn;
    ip_hash;
}",
    )
    .unwrap();
    // keepalive ×4, ntlm, queue, sticky, and least_conn replaced by ip_hash (nginx warns).
    assert_eq!(unsupported_lines(&p), [3, 4, 5, 6, 7, 8, 9, 10]);
    assert_eq!(p.method, Method::IpHash);
    assert_eq!(p.unsupported[7].directive, "least connections");
    assert!(p.unsupported[7].reason.contains("redefined on line 11"));
    assert_eq!(p.servers[0].max_conns, 10);
}

#[test]
fn nginx_times_follow_ngx_parse_time_in_seconds() {
    for (t, s) in [
        ("10", 10),
        ("30s", 30),
        ("1m", 60),
        ("1m30s", 90),
        ("2h", 7_200),
        ("1d", 86_400),
        ("1w", 604_800),
        ("3w3d", 2_073_600),
        ("1h 1m", 3_660),
        ("0", 0),
    ] {
        assert_eq!(nginx::time_s(1, "t", t).unwrap(), s, "{t}");
    }
    for bad in [
        "",
        "500ms",
        "10x",
        "1s1m",
        "1m1m",
        "s",
        "99999999999y",
        "1.5s",
        "-1",
    ] {
        assert!(nginx::time_s(1, "t", bad).is_err(), "{bad:?} should fail");
    }
    // Quotes open only at the start of a word, as in nginx: the whole parameter is quoted.
    let text = "upstream u { server a 'fail_timeout=1m 30s'; }";
    let p = PoolConfig::parse(text).unwrap();
    assert_eq!(p.servers[0].passive.unwrap().fail_timeout_ms, 90_000);
    let text = "upstream u { server a fail_timeout='1m 30s'; }";
    assert!(PoolConfig::parse(text)
        .unwrap_err()
        .to_string()
        .contains("unknown unit `'`"));
}

#[test]
fn nginx_quoting_comments_and_escapes() {
    let text = "# a comment before\nupstream \"my up\" { # trailing\n server 'a b' weight=2; server a\\;b; }\n";
    let p = PoolConfig::parse(text).unwrap();
    assert_eq!(p.name, "my up");
    assert_eq!(p.servers[0].address, "a b");
    // nginx keeps a backslash before a character it does not escape (only \" \' \\ \t \r \n).
    assert_eq!(p.servers[1].address, "a\\;b");
    assert_eq!(p.servers[1].line, 3);
}

#[test]
fn nginx_inside_http_block_and_max_fails_zero() {
    let text = "http {\n  include mime.types;\n  upstream u {\n    server a max_fails=0;\n  }\n}\n";
    let p = PoolConfig::parse(text).unwrap();
    assert_eq!(p.servers[0].passive, None);
    assert_eq!(unsupported_lines(&p), [2]);
}

fn error_of(text: &str) -> (u32, String) {
    let e = PoolConfig::parse(text).unwrap_err();
    (e.line, e.to_string())
}

#[test]
fn nginx_malformed_input_names_the_line() {
    let cases: [(&str, u32, &str); 14] = [
        ("upstream u {\n server a;\n", 1, "expected `}`"),
        ("upstream u {\n server a\n}", 3, "expected `;`"),
        (
            "upstream u {\n server a weight=0;\n}",
            2,
            "weight 0 is out of range",
        ),
        ("upstream u {\n server a weight=x;\n}", 2, "weight `x`"),
        (
            "upstream u {\n server a weight=99999999999;\n}",
            2,
            "weight",
        ),
        (
            "upstream u {\n server a fail_timeout=10q;\n}",
            2,
            "unknown unit `q`",
        ),
        (
            "upstream u {\n server a fail_timeout=500ms;\n}",
            2,
            "milliseconds",
        ),
        (
            "upstream u {\n server a bogus;\n}",
            2,
            "invalid parameter `bogus`",
        ),
        (
            "upstream u {\n frobnicate;\n server a;\n}",
            2,
            "unknown directive",
        ),
        ("upstream u {\n}", 1, "no servers"),
        ("upstream u {\n server a;\n}\n}", 4, "unexpected `}`"),
        ("upstream {\n server a;\n}", 1, "expected `upstream name {`"),
        (
            "upstream u {\n hash;\n server a;\n}",
            2,
            "invalid number of arguments",
        ),
        (
            "upstream u {\n ip_hash;\n server a backup;\n}",
            3,
            "does not support parameter `backup`",
        ),
    ];
    for (text, line, needle) in cases {
        let (l, msg) = error_of(text);
        assert_eq!(l, line, "{text:?}: {msg}");
        assert!(msg.contains(needle), "{text:?}: {msg} lacks {needle:?}");
    }
    for bad in ["a:0", "a:65536", "a:http", "[::1]:99999"] {
        let (l, msg) = error_of(&format!("upstream u {{\n server {bad};\n}}"));
        assert_eq!(l, 2, "{bad}: {msg}");
        assert!(msg.contains("port"), "{bad}: {msg}");
    }
    for good in [
        "a:1",
        "10.0.0.1:65535",
        "[::1]:80",
        "[::1]",
        "unix:/tmp/x:y",
    ] {
        let text = format!("upstream u {{ server {good}; }}");
        assert!(PoolConfig::parse(&text).is_ok(), "{good}");
    }
    let (_, msg) = error_of("upstream u { server \"a ; }");
    assert!(msg.contains("closing"), "{msg}");
    let (_, msg) = error_of("location / { }");
    assert!(msg.contains("expected `upstream`"), "{msg}");
}

#[test]
fn ten_megabytes_of_garbage_is_refused_at_once() {
    let garbage: String = "upstream {{{ ;;; \u{0} ".repeat(10 * 1024 * 1024 / 20);
    // Timed natively only: wasm32 without a browser has no clock in std.
    #[cfg(not(target_arch = "wasm32"))]
    let started = std::time::Instant::now();
    let e = PoolConfig::parse(&garbage).unwrap_err();
    assert!(e.to_string().contains("at most 65536"), "{e}");
    assert!(nginx::parse(&garbage).is_err() && haproxy::parse(&garbage).is_err());
    #[cfg(not(target_arch = "wasm32"))]
    assert!(started.elapsed().as_millis() < 200);
}

#[test]
fn too_many_servers_is_an_error() {
    let mut text = String::from("upstream u {\n");
    for i in 0..1_100 {
        text.push_str(&format!("server s{i};\n"));
    }
    text.push('}');
    assert!(error_of(&text).1.contains("more than 1024 servers"));
}

/// The `server` examples of HAProxy's configuration manual (§4.2 `server`), in a backend.
#[test]
fn haproxy_docs_server_examples() {
    let text = "\
backend app
    balance roundrobin
    server first  10.1.1.1:1080 cookie first  check inter 1000
    server second 10.1.1.2:1080 cookie second check inter 1000
    server backup \"${SRV_BACKUP}:1080\" backup
";
    let p = PoolConfig::parse(text).unwrap();
    assert_eq!(p.source, Source::Haproxy);
    assert_eq!(
        (p.name.as_str(), p.method.clone()),
        ("app", Method::RoundRobin)
    );
    assert_eq!(p.servers.len(), 3);
    assert_eq!(p.servers[0].name, "first");
    assert_eq!(p.servers[0].address, "10.1.1.1:1080");
    assert_eq!(
        p.servers[0].active,
        Some(ActiveCheck {
            inter_ms: 1_000,
            fall: 3,
            rise: 2
        })
    );
    assert_eq!(p.servers[2].address, "${SRV_BACKUP}:1080");
    assert!(p.servers[2].backup && p.servers[2].active.is_none());
    assert!(p
        .servers
        .iter()
        .all(|s| s.weight == 1 && s.passive.is_none()));
    // `cookie first` and `cookie second`, each with its argument.
    assert_eq!(unsupported_lines(&p), [3, 4]);
    assert!(p.unsupported[0].directive.ends_with("cookie first"));
}

/// The `stick` example (§4.2): two backends; the first is read, the second listed.
#[test]
fn haproxy_docs_stick_example() {
    let text = "\
    # forward SMTP users to the same server they just used for POP in the
    # last 30 minutes
    backend pop
        mode tcp
        balance roundrobin
        stick store-request src
        stick-table type ip size 200k expire 30m
        server s1 192.168.1.1:110
        server s2 192.168.1.1:110

    backend smtp
        mode tcp
        balance roundrobin
        stick match src table pop
        server s1 192.168.1.1:25
        server s2 192.168.1.1:25
";
    let p = PoolConfig::parse(text).unwrap();
    assert_eq!(p.name, "pop");
    assert_eq!(p.servers.len(), 2);
    assert_eq!(unsupported_lines(&p), [4, 6, 7, 11, 12, 13, 14, 15, 16]);
}

#[test]
fn haproxy_defaults_and_methods() {
    let text = "\
defaults
    mode http
    timeout connect 5s
    balance leastconn
    default-server inter 3s fall 2 rise 4 check

backend b
    server a 10.0.0.1:80 weight 256 slowstart 60s maxconn 100
    server z 10.0.0.2:80 weight 0 disabled no-check
";
    let p = PoolConfig::parse(text).unwrap();
    assert_eq!(p.method, Method::LeastConn);
    assert_eq!(p.method_line, Some(4));
    let a = &p.servers[0];
    assert_eq!(
        a.active,
        Some(ActiveCheck {
            inter_ms: 3_000,
            fall: 2,
            rise: 4
        })
    );
    assert_eq!(
        (a.weight, a.slow_start_ms, a.max_conns),
        (256, Some(60_000), 100)
    );
    let z = &p.servers[1];
    assert_eq!((z.weight, z.down, z.active), (0, true, None));
    assert_eq!(unsupported_lines(&p), [2, 3]);
    assert_eq!(
        p.peer_specs().0.len(),
        1,
        "weight 0 takes no balanced traffic"
    );

    for (alg, want) in [
        ("static-rr", Method::StaticRoundRobin),
        ("first", Method::First),
        (
            "source",
            Method::Hash {
                key: "source".into(),
                consistent: false,
            },
        ),
        (
            "hdr(Host)",
            Method::Hash {
                key: "hdr(host)".into(),
                consistent: false,
            },
        ),
        (
            "random(3)",
            Method::Random {
                draws: 3,
                by: LoadMeasure::Connections,
            },
        ),
    ] {
        let p = PoolConfig::parse(&format!(
            "backend b\n balance {alg}\n server a 1.2.3.4:80\n"
        ))
        .unwrap();
        assert_eq!(p.method, want, "{alg}");
    }
    // No balance line: HAProxy's default since 3.3, random with 2 draws.
    let p = PoolConfig::parse("listen l\n server a 1.2.3.4:80\n").unwrap();
    assert_eq!(
        (p.method, p.method_line),
        (
            Method::Random {
                draws: 2,
                by: LoadMeasure::Connections
            },
            None
        )
    );
    // A valid algorithm that is not modelled is listed, and the default used.
    let p = PoolConfig::parse("backend b\n balance url_param userid\n server a x:1\n").unwrap();
    assert_eq!(unsupported_lines(&p), [2]);
}

#[test]
fn haproxy_times_follow_section_2_5() {
    for (t, ms) in [
        ("1000", 1_000),
        ("1500ms", 1_500),
        ("2s", 2_000),
        ("1m", 60_000),
        ("1h", 3_600_000),
        ("1d", 86_400_000),
        ("1500us", 2),
    ] {
        assert_eq!(haproxy::time_ms(1, "t", t).unwrap(), ms, "{t}");
    }
    for bad in ["", "1.5s", "2x", "25d", "s", "1m30s"] {
        assert!(haproxy::time_ms(1, "t", bad).is_err(), "{bad:?}");
    }
}

#[test]
fn haproxy_malformed_input_names_the_line() {
    let cases: [(&str, u32, &str); 8] = [
        (
            "backend b\n server a 1.2.3.4:80 weight 257\n",
            2,
            "out of range",
        ),
        (
            "backend b\n server a 1.2.3.4:80 weight\n",
            2,
            "expects an argument",
        ),
        (
            "backend b\n server a 1.2.3.4:80 inter 0\n",
            2,
            "greater than 0",
        ),
        (
            "backend b\n server a 1.2.3.4:80 fall 0\n",
            2,
            "fall 0 is out of range",
        ),
        (
            "backend b\n server a\n",
            2,
            "expected `server <name> <address>",
        ),
        (
            "backend b\n balance fastest\n server a x:1\n",
            2,
            "unknown balance algorithm",
        ),
        (
            "backend b\n server a x:1 \"unterminated\n",
            2,
            "unmatched quote",
        ),
        (
            "backend b\n balance roundrobin\n balance leastconn\n server a x:1\n",
            3,
            "only be set once",
        ),
    ];
    for (text, line, needle) in cases {
        let (l, msg) = error_of(text);
        assert_eq!(l, line, "{text:?}: {msg}");
        assert!(msg.contains(needle), "{text:?}: {msg} lacks {needle:?}");
    }
    assert!(error_of("backend b\n").1.contains("no servers"));
    assert!(error_of("global\n maxconn 10\n").1.contains("no `backend"));
}

#[cfg(not(target_arch = "wasm32"))] // proptest is a native-only dev-dependency
mod garbage {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..common::config("balance_config") })]

        /// Random bytes never panic either parser.
        #[test]
        fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = PoolConfig::parse(&text);
            let _ = nginx::parse(&text);
            let _ = haproxy::parse(&text);
        }

        /// Mutations of valid configs (a byte replaced, removed or duplicated) never panic, and what
        /// they parse to still has servers.
        #[test]
        fn mutated_configs_never_panic(
            which in 0usize..2,
            at in any::<prop::sample::Index>(),
            op in 0u8..3,
            byte in prop::sample::select(b" ;{}#\"'\\=\n0aZ$(".to_vec()),
        ) {
            let base = [NGINX_DOCS_EXAMPLE, "backend b\n balance random(2)\n server s1 10.0.0.1:80 weight 3 check inter 2s\n server s2 10.0.0.2:80 backup\n"][which];
            let mut bytes = base.as_bytes().to_vec();
            let i = at.index(bytes.len());
            match op {
                0 => bytes[i] = byte,
                1 => { bytes.remove(i); }
                _ => bytes.insert(i, byte),
            }
            let text = String::from_utf8_lossy(&bytes);
            if let Ok(p) = PoolConfig::parse(&text) {
                prop_assert!(!p.servers.is_empty());
            }
        }
    }
}
