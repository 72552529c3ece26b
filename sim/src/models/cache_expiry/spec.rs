//! The model's parameters and actions, and reading them into the mechanism's settings.

use super::store::{Config, Strategy};
use crate::model::ActionSpec;
use crate::params::{ParamSet, ParamSpec};

/// Most products a run may have.
pub const MAX_KEYS: i64 = 100_000;
/// Most base reads a second (times the traffic multiplier): keeps a minute's run well under a
/// second natively.
pub const MAX_RATE: i64 = 3_000;
/// The largest traffic multiplier.
pub const MAX_TRAFFIC: f64 = 10.0;
/// The longest TTL, in seconds (two hours).
pub const MAX_TTL_S: f64 = 7_200.0;

/// The strategies, as `(value, label)`.
pub const STRATEGIES: &[(&str, &str)] = &[
    ("none", "No protection"),
    ("single-flight", "Single flight (request coalescing)"),
    ("jitter", "TTL jitter"),
    ("xfetch", "Probabilistic early refresh (XFetch)"),
    ("swr", "Stale-while-revalidate"),
    ("jitter+single-flight", "TTL jitter and single flight"),
];

pub(super) fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::int("keys", "Products", 1_000, 1, MAX_KEYS, 1)
            .unit("keys")
            .help("Distinct keys clients read; product 1 is the most popular."),
        ParamSpec::float("zipf_s", "Zipf exponent", 1.0, 0.0, 2.0, 0.05)
            .help("Popularity skew: product r is read in proportion to 1/r^s (0: all equal)."),
        ParamSpec::int("request_rate", "Reads per second", 500, 0, MAX_RATE, 1)
            .unit("req/s")
            .help("Base read rate of all clients together, a Poisson stream."),
        ParamSpec::float("traffic_x", "Traffic multiplier", 1.0, 1.0, MAX_TRAFFIC, 0.5)
            .unit("×")
            .help("Multiplies the read rate (a sale day)."),
        ParamSpec::float("ttl_s", "TTL", 10.0, 0.0, MAX_TTL_S, 0.1)
            .unit("s")
            .help("How long a value read from the database after a miss stays in the cache."),
        ParamSpec::int("warm_keys", "Warmed products", 0, 0, MAX_KEYS, 1)
            .unit("keys")
            .help("The most popular products put in the cache before the run (at most all of them)."),
        ParamSpec::float("warm_ttl_s", "Warm-up TTL", 10.0, 0.0, MAX_TTL_S, 0.1)
            .unit("s")
            .help("The TTL the warm-up gave them."),
        ParamSpec::float("warm_age_s", "Warm-up age", 0.0, 0.0, MAX_TTL_S, 0.1)
            .unit("s")
            .help("How long before the run starts the warm-up happened: the run joins the day later."),
        ParamSpec::boolean("steady_start", "Start in steady state", false).help(
            "Products not warmed start cached with the probability a TTL cache holds them, λT/(1+λT).",
        ),
        ParamSpec::int("not_found_percent", "Missing products", 0, 0, 50, 1)
            .unit("%")
            .help("Share of products the database does not have (deleted, mistyped links)."),
        ParamSpec::float("negative_ttl_s", "Not-found TTL", 0.0, 0.0, MAX_TTL_S, 0.1)
            .unit("s")
            .help("How long a \"not found\" answer is cached (0: never, each look-up queries the database)."),
        ParamSpec::int("db_connections", "Database connections", 8, 1, 256, 1)
            .help("Queries the database runs at once; more wait in line."),
        ParamSpec::float("db_query_ms", "Query time", 20.0, 0.1, 2_000.0, 0.1)
            .unit("ms")
            .help("How long one query takes once it runs."),
        ParamSpec::choice("strategy", "Stampede protection", "none", STRATEGIES)
            .help("What stops many clients querying the database for the same expired key."),
        ParamSpec::int("jitter_percent", "Jitter", 10, 0, 50, 1)
            .unit("%")
            .help("With TTL jitter: each TTL is drawn from ±this share of its value."),
        ParamSpec::float("xfetch_beta", "XFetch β", 1.0, 0.1, 10.0, 0.1)
            .help("With XFetch: above 1 refreshes earlier, below 1 later."),
        ParamSpec::float("swr_s", "Stale window", 5.0, 0.1, 600.0, 0.1)
            .unit("s")
            .help("With stale-while-revalidate: how long past expiry a stale value may be served."),
    ]
}

pub(super) fn actions() -> Vec<ActionSpec> {
    vec![
        ActionSpec::new("burst", "Burst of reads of product 1")
            .arg("clients", Some("50"))
            .help("That many clients read the most popular product at the same instant."),
        ActionSpec::new("expire", "Expire product")
            .arg("product number", Some("1"))
            .help("Deletes the product's cache entry now, as an invalidation or its TTL would."),
        ActionSpec::new("traffic", "Set traffic to")
            .arg("multiplier", Some("10"))
            .help("Multiplies the base read rate from now on (1 to 10)."),
    ]
}

fn us(seconds: f64) -> u64 {
    (seconds.max(0.0) * 1_000_000.0).round() as u64
}

/// The strategy a `strategy` value names (unknown values were refused at the boundary).
pub fn strategy(params: &ParamSet) -> Strategy {
    let name = params.text("strategy");
    let mut s = Strategy::default();
    for part in name.split('+') {
        match part {
            "single-flight" => s.single_flight = true,
            "jitter" => s.jitter = params.int("jitter_percent").clamp(0, 50) as f64 / 100.0,
            "xfetch" => s.xfetch_beta = Some(params.float("xfetch_beta").clamp(0.1, 10.0)),
            "swr" => s.swr_us = Some(us(params.float("swr_s"))),
            _ => {}
        }
    }
    s
}

/// The mechanism's settings.
pub fn config(params: &ParamSet) -> Config {
    Config {
        fill_ttl_us: us(params.float("ttl_s")),
        negative_ttl_us: us(params.float("negative_ttl_s")),
        connections: params.int("db_connections").clamp(1, 256) as u32,
        query_us: us(params.float("db_query_ms") / 1_000.0).max(1),
        cache_us: super::CACHE_US,
        strategy: strategy(params),
    }
}

/// In words, for the caption (`single flight: one query per key, the other readers wait`).
pub fn describe(s: &Strategy) -> String {
    let mut parts = Vec::new();
    if s.single_flight {
        parts.push("single flight: one query per key, the others wait".to_string());
    }
    if s.jitter > 0.0 {
        parts.push(format!("TTLs jittered ±{:.0} %", s.jitter * 100.0));
    }
    if let Some(beta) = s.xfetch_beta {
        parts.push(format!("XFetch early refresh, β = {beta}"));
    }
    if let Some(w) = s.swr_us {
        parts.push(format!(
            "stale served up to {} s past expiry while one refresh runs",
            w as f64 / 1e6
        ));
    }
    if parts.is_empty() {
        "no stampede protection: every miss queries the database".to_string()
    } else {
        parts.join("; ")
    }
}
