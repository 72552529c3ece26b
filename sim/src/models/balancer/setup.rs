//! From the model's parameters to a request-simulator run: the servers, arrivals, costs,
//! timeouts, retries and health checks ([`SimConfig`]) and the strategy ([`Balancer`]), from the
//! parameters or from a pasted nginx/HAProxy config. Every refusal is a [`ParamError`] naming the
//! parameter and what to change.

use crate::balance::config::PoolConfig;
use crate::balance::strategies::{
    from_pool, Aperture, ConsistentHash, IpHash, KeyAddress, KeyHash, LeastConnections,
    LeastResponseTime, PassiveChecks, PassiveParams, PeakEwma, PowerOfD, SessionAffinity,
    ThresholdBalancer, WeightedRoundRobin,
};
use crate::params::{ParamError, ParamSet};
use crate::requests::{
    Arrivals, Balancer, CostDist, HealthCheckConfig, RetryPolicy, RoundRobin, ServerSpec,
    SimConfig, UniformRandom,
};
use crate::time::SimTime;

/// The strategies, by parameter value, with their labels.
pub const STRATEGIES: &[(&str, &str)] = &[
    ("round-robin", "Round robin"),
    (
        "weighted-round-robin",
        "Weighted round robin (nginx smooth)",
    ),
    ("least-connections", "Least connections"),
    (
        "weighted-least-connections",
        "Weighted least connections (nginx least_conn)",
    ),
    ("least-response-time", "Least response time"),
    ("peak-ewma", "Peak EWMA (every server)"),
    ("p2c-peak-ewma", "Peak EWMA, two choices (Finagle, Linkerd)"),
    ("random", "Random"),
    ("power-of-d", "Power of d choices"),
    ("aperture", "Aperture (Finagle)"),
    ("ip-hash", "IP hash (nginx ip_hash)"),
    ("hash", "Hash of the client (nginx hash)"),
    (
        "consistent-hash",
        "Consistent hash (nginx hash … consistent)",
    ),
    ("bounded-load", "Consistent hash with bounded loads"),
    (
        "session-affinity",
        "Session affinity over weighted round robin",
    ),
    (
        "threshold-notes",
        "Capacity threshold, least-load emergency (as published)",
    ),
    (
        "threshold",
        "Capacity threshold, least-utilisation emergency",
    ),
];

/// The most servers a run starts with (more can be added, up to the simulator's cap).
pub const MAX_SERVERS: i64 = 200;
/// The most requests a run may expect to arrive. The engine checkpoints the whole run every 64
/// steps, and the simulator keeps every latency for exact percentiles, so a run's memory grows
/// with its requests; this keeps a run in a page to tens of megabytes.
pub const MAX_REQUESTS: u64 = 50_000;

/// A parameter error.
pub(super) fn bad(param: &str, value: &str, allowed: impl Into<String>) -> ParamError {
    let value: String = value.chars().take(60).collect();
    ParamError {
        param: param.to_string(),
        value,
        allowed: allowed.into(),
    }
}

/// The name of the `i`-th server (from 0): A … Z, then AA, AB, …
pub fn server_name(i: u32) -> String {
    let mut n = i;
    let mut out = Vec::new();
    loop {
        out.push(b'A' + (n % 26) as u8);
        if n < 26 {
            break;
        }
        n = n / 26 - 1;
    }
    out.reverse();
    String::from_utf8(out).expect("ASCII")
}

/// A list of numbers separated by commas or spaces (`1,1,0.5`); empty text is an empty list.
fn numbers(param: &str, text: &str, count: u32, allowed: &str) -> Result<Vec<f64>, ParamError> {
    let words: Vec<&str> = text
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let wanted = || format!("{count} {allowed}, one per server, separated by commas (or nothing)");
    if words.len() != count as usize {
        return Err(bad(
            param,
            text,
            format!("{} (got {} values)", wanted(), words.len()),
        ));
    }
    words
        .iter()
        .map(|w| {
            w.parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(param, text, wanted()))
        })
        .collect()
}

/// The per-server weights (1–1000 each) for `count` servers; all 1 when empty.
fn weights(params: &ParamSet, count: u32) -> Result<Vec<u32>, ParamError> {
    let text = params.text("weights");
    let allowed = "whole numbers from 1 to 1000";
    let values = numbers("weights", text, count, allowed)?;
    if values.is_empty() {
        return Ok(vec![1; count as usize]);
    }
    values
        .into_iter()
        .map(|v| {
            if v == libm::floor(v) && (1.0..=1_000.0).contains(&v) {
                Ok(v as u32)
            } else {
                Err(bad(
                    "weights",
                    text,
                    format!("{count} {allowed}, one per server"),
                ))
            }
        })
        .collect()
}

/// The per-server speeds (0.001–1000) for `count` servers; all 1 when empty.
fn speeds(params: &ParamSet, count: u32) -> Result<Vec<f64>, ParamError> {
    let text = params.text("speeds");
    let allowed = "speeds from 0.001 to 1000 (1 nominal, 0.5 half as fast)";
    let values = numbers("speeds", text, count, allowed)?;
    if values.is_empty() {
        return Ok(vec![1.0; count as usize]);
    }
    if values.iter().any(|v| !(0.001..=1_000.0).contains(v)) {
        return Err(bad(
            "speeds",
            text,
            format!("{count} {allowed}, one per server"),
        ));
    }
    Ok(values)
}

/// The pool's arrival rate per second: `rate`, or `rate` times the `servers` at the start when
/// `rate_per` is `server` (so a sweep over the servers keeps each one as busy).
pub fn pool_rate(params: &ParamSet, servers: u32) -> f64 {
    let rate = params.float("rate");
    if params.text("rate_per") == "server" {
        rate * f64::from(servers)
    } else {
        rate
    }
}

/// The arrivals: the pool's rate ([`pool_rate`]) per second, evenly spaced, Poisson, or in
/// bursts (alternating seconds at 1.75 and 0.25 times the rate, Poisson within each: the mean
/// rate is the pool's rate).
fn arrivals(params: &ParamSet, servers: u32) -> Arrivals {
    let rate = pool_rate(params, servers);
    match params.text("arrival") {
        "constant" => Arrivals::Constant { rate_per_sec: rate },
        "bursts" => Arrivals::Bursts {
            on_rate_per_sec: rate * 1.75,
            on_us: 1_000_000,
            off_rate_per_sec: rate * 0.25,
            off_us: 1_000_000,
        },
        _ => Arrivals::Poisson { rate_per_sec: rate },
    }
}

/// The cost of a request at speed 1, with mean `mean_ms` for every shape (the Pareto's cap
/// lowers its mean a little below, by under 2 %):
/// - constant; exponential (the M/M/· queues);
/// - log-normal with σ = 1 (median `mean / e^0.5`);
/// - Pareto with α = 1.5 (minimum `mean / 3`), each draw capped at 1,000 times the mean;
/// - bimodal: 90 % cheap, 10 % ten times as expensive (cheap = `mean / 1.9`).
fn cost(params: &ParamSet) -> CostDist {
    let mean_us = params.float("mean_ms") * 1_000.0;
    let at_least_1 = |us: f64| libm::round(us).max(1.0) as u64;
    match params.text("cost") {
        "constant" => CostDist::Constant {
            us: at_least_1(mean_us),
        },
        "lognormal" => CostDist::LogNormal {
            median_us: mean_us / libm::exp(0.5),
            sigma: 1.0,
        },
        "pareto" => CostDist::Pareto {
            min_us: mean_us / 3.0,
            alpha: 1.5,
            cap_us: (mean_us * 1_000.0).min(crate::requests::cost::MAX_COST_US as f64),
        },
        "bimodal" => {
            let cheap = mean_us / 1.9;
            CostDist::Mix {
                cheap: Box::new(CostDist::Constant {
                    us: at_least_1(cheap),
                }),
                expensive: Box::new(CostDist::Constant {
                    us: at_least_1(cheap * 10.0),
                }),
                expensive_share: 0.1,
            }
        }
        _ => CostDist::Exponential { mean_us },
    }
}

/// The strategy a `strategy` parameter names (before passive checks).
pub fn strategy(params: &ParamSet) -> Result<Box<dyn Balancer>, ParamError> {
    let id = params.text("strategy");
    let err = |e: String| bad("ewma_ms", &params.int("ewma_ms").to_string(), e);
    Ok(match id {
        "round-robin" => Box::new(RoundRobin::new()),
        "weighted-round-robin" => Box::new(WeightedRoundRobin::new()),
        "least-connections" => Box::new(LeastConnections::new(false)),
        "weighted-least-connections" => Box::new(LeastConnections::new(true)),
        "least-response-time" => Box::new(
            LeastResponseTime::new(params.int("ewma_ms").max(1) as u64 * 1_000).map_err(err)?,
        ),
        "peak-ewma" => {
            Box::new(PeakEwma::new(None, params.int("ewma_ms").max(1) as u64 * 1_000).map_err(err)?)
        }
        "p2c-peak-ewma" => Box::new(
            PeakEwma::new(Some(2), params.int("ewma_ms").max(1) as u64 * 1_000).map_err(err)?,
        ),
        "random" => Box::new(UniformRandom::new()),
        "power-of-d" => {
            let d = params.int("d");
            Box::new(
                PowerOfD::new(u32::try_from(d).unwrap_or(0))
                    .map_err(|e| bad("d", &d.to_string(), e))?,
            )
        }
        "aperture" => {
            let size = params.int("aperture");
            Box::new(
                Aperture::new(u32::try_from(size).unwrap_or(0), 0, 1)
                    .map_err(|e| bad("aperture", &size.to_string(), e))?,
            )
        }
        "ip-hash" => Box::new(IpHash::new(KeyAddress::ClientSubnet)),
        "hash" => Box::new(KeyHash::new()),
        "consistent-hash" => Box::new(ConsistentHash::new(None).map_err(err)?),
        "bounded-load" => {
            let c = params.float("c");
            Box::new(ConsistentHash::new(Some(c)).map_err(|e| bad("c", &c.to_string(), e))?)
        }
        "session-affinity" => Box::new(SessionAffinity::new(Box::new(WeightedRoundRobin::new()))),
        "threshold-notes" | "threshold" => {
            let p = params.int("threshold_percent");
            Box::new(
                ThresholdBalancer::new(u32::try_from(p).unwrap_or(0), id == "threshold")
                    .map_err(|e| bad("threshold_percent", &p.to_string(), e))?,
            )
        }
        _ => {
            let ids: Vec<&str> = STRATEGIES.iter().map(|s| s.0).collect();
            return Err(bad("strategy", id, format!("one of {}", ids.join(", "))));
        }
    })
}

/// A run's configuration and strategy, and what of a pasted config is not modelled.
pub struct Setup {
    /// The simulator's configuration.
    pub cfg: SimConfig,
    /// The strategy.
    pub balancer: Box<dyn Balancer>,
    /// Its label.
    pub strategy: String,
    /// One sentence per unmodelled directive of a pasted config.
    pub notices: Vec<String>,
}

/// Builds the run the parameters describe.
pub fn setup(params: &ParamSet) -> Result<Setup, ParamError> {
    let duration_s = params.int("duration_s").clamp(1, 3_600) as u64;
    let duration = SimTime::from_secs(duration_s);
    let workers = params.int("workers").clamp(1, 1_000) as u32;
    let queue_limit = u32::try_from(params.int("queue_limit")).ok();
    let mut notices = Vec::new();
    let config = params.text("config");
    let (specs, balancer, label, pool_health, slow_start_ms) = if config.trim().is_empty() {
        let n = params.int("servers").clamp(1, MAX_SERVERS) as u32;
        let weights = weights(params, n)?;
        let specs: Vec<ServerSpec> = (0..n)
            .map(|i| ServerSpec::new(&server_name(i)).weight(weights[i as usize]))
            .collect();
        let label = STRATEGIES
            .iter()
            .find(|s| s.0 == params.text("strategy"))
            .map_or("?", |s| s.1)
            .to_string();
        (specs, strategy(params)?, label, None, None)
    } else {
        from_config(config, &mut notices)?
    };
    let n = specs.len() as u32;
    let speeds = speeds(params, n)?;
    let servers: Vec<ServerSpec> = specs
        .into_iter()
        .zip(speeds)
        .map(|(s, speed)| {
            let s = s.workers(workers).speed(speed);
            match queue_limit {
                Some(l) => s.queue_limit(l),
                None => s,
            }
        })
        .collect();
    let mut balancer = balancer;
    let max_fails = params.int("max_fails");
    if max_fails > 0 {
        let p = PassiveParams {
            max_fails: max_fails as u32,
            fail_timeout_s: params.int("fail_timeout_s").max(1) as u64,
        };
        balancer = Box::new(
            PassiveChecks::new(balancer, p)
                .map_err(|e| bad("max_fails", &max_fails.to_string(), e))?,
        );
    }
    let mut cfg = SimConfig::new(servers, arrivals(params, n), cost(params), duration);
    cfg.clients = params.int("clients").clamp(1, 1_000_000) as u64;
    cfg.popularity = crate::workload::Popularity::from_params(params, cfg.clients);
    let timeout_ms = params.int("timeout_ms");
    cfg.timeout_us = (timeout_ms > 0).then(|| timeout_ms as u64 * 1_000);
    cfg.retry = RetryPolicy::next_upstream(params.int("retries").clamp(0, 10) as u32);
    let interval_ms = params.int("check_interval_ms");
    cfg.health = match pool_health {
        Some(h) => Some(h),
        None if interval_ms > 0 => Some(HealthCheckConfig {
            interval_us: interval_ms as u64 * 1_000,
            timeout_us: params.int("check_timeout_ms").max(1) as u64 * 1_000,
            fall: params.int("fall").clamp(1, 100) as u32,
            rise: params.int("rise").clamp(1, 100) as u32,
        }),
        None => None,
    };
    cfg.slow_start_us = slow_start_ms.unwrap_or(params.int("slow_start_ms").max(0) as u64) * 1_000;
    let expected = cfg.arrivals.expected_count(duration);
    if expected > MAX_REQUESTS as f64 {
        return Err(bad(
            "rate",
            &params.float("rate").to_string(),
            format!(
                "a rate and duration with at most {MAX_REQUESTS} requests in a run (about \
                 {expected:.0} would arrive in {duration_s} s): lower the rate or the duration"
            ),
        ));
    }
    // Room for a Poisson stream's chance excess over its mean (far beyond 5 σ).
    cfg.max_requests = MAX_REQUESTS + MAX_REQUESTS / 5;
    cfg.max_events = 20 * cfg.max_requests;
    // A run that cannot drain its queues within as long again as it took arrivals stops with
    // the simulator's message (the model says so) instead of running on for simulated days.
    cfg.max_drain_us = duration.as_us().max(10_000_000);
    cfg.validate().map_err(|e| bad(culprit(&e), "", e))?;
    Ok(Setup {
        cfg,
        balancer,
        strategy: label,
        notices,
    })
}

/// The parameter a simulator refusal is most likely about, from its message.
fn culprit(message: &str) -> &'static str {
    if message.contains("health check") || message.contains("fall and rise") {
        "check_interval_ms"
    } else if message.contains("name") {
        "config"
    } else if message.contains("speed") {
        "speeds"
    } else if message.contains("weight") {
        "weights"
    } else {
        "rate"
    }
}

/// Servers, strategy, active checks and slow start from a pasted nginx `upstream` block or
/// HAProxy `backend`; everything the simulator does not model goes to `notices`.
#[allow(clippy::type_complexity)]
fn from_config(
    text: &str,
    notices: &mut Vec<String>,
) -> Result<
    (
        Vec<ServerSpec>,
        Box<dyn Balancer>,
        String,
        Option<HealthCheckConfig>,
        Option<u64>,
    ),
    ParamError,
> {
    let pool = PoolConfig::parse(text).map_err(|e| bad("config", text, e.to_string()))?;
    for u in &pool.unsupported {
        notices.push(format!("line {}: `{}`: {}", u.line, u.directive, u.reason));
    }
    let mut kept = pool.clone();
    kept.servers.clear();
    for s in &pool.servers {
        let left_out = if s.weight == 0 {
            Some("weight 0 takes no load-balanced traffic")
        } else if s.backup {
            Some("backup servers are not modelled")
        } else if s.down {
            Some("it is marked down")
        } else {
            None
        };
        if let Some(why) = left_out {
            notices.push(format!(
                "line {}: server {} is left out: {why}",
                s.line, s.name
            ));
            continue;
        }
        if s.weight > 1_000 {
            return Err(bad(
                "config",
                text,
                format!(
                    "weights of at most 1000 (line {}: server {} has weight {})",
                    s.line, s.name, s.weight
                ),
            ));
        }
        if s.max_conns > 0 {
            notices.push(format!(
                "line {}: max_conns {} of server {} is not modelled: its requests are not capped",
                s.line, s.max_conns, s.name
            ));
        }
        kept.servers.push(s.clone());
    }
    if kept.servers.is_empty() {
        return Err(bad(
            "config",
            text,
            "a pool with at least one server that takes traffic",
        ));
    }
    if kept.servers.len() as i64 > MAX_SERVERS {
        return Err(bad(
            "config",
            text,
            format!("at most {MAX_SERVERS} servers (got {})", kept.servers.len()),
        ));
    }
    let mut names = std::collections::BTreeSet::new();
    let mut specs = Vec::new();
    for s in &kept.servers {
        let name: String = s.name.chars().take(64).collect();
        if !names.insert(name.clone()) {
            return Err(bad(
                "config",
                text,
                format!("servers with distinct names ({name} appears twice)"),
            ));
        }
        specs.push(ServerSpec::new(&name).weight(s.weight));
    }
    let balancer = from_pool(&kept).map_err(|e| bad("config", text, e))?;
    // Active checks (HAProxy `check inter fall rise`): the simulator probes every server alike.
    let checked: Vec<_> = kept.servers.iter().filter_map(|s| s.active).collect();
    let health = checked.first().map(|a| HealthCheckConfig {
        interval_us: a.inter_ms.max(1) * 1_000,
        // HAProxy: without `timeout check`, `inter` is the check's timeout.
        timeout_us: a.inter_ms.max(1) * 1_000,
        fall: a.fall.clamp(1, 100),
        rise: a.rise.clamp(1, 100),
    });
    if !checked.is_empty()
        && (checked.len() < kept.servers.len() || checked.iter().any(|a| *a != checked[0]))
    {
        notices.push(
            "health checks differ between servers: every server is probed with the first \
             `check`'s inter, fall and rise"
                .into(),
        );
    }
    let slow: Vec<u64> = kept
        .servers
        .iter()
        .filter_map(|s| s.slow_start_ms)
        .collect();
    if slow.iter().any(|&v| v != slow[0]) || (!slow.is_empty() && slow.len() < kept.servers.len()) {
        notices.push(
            "slow start differs between servers: every server ramps over the first one's".into(),
        );
    }
    let label = format!("{} (from the pasted config)", pool.method);
    Ok((specs, balancer, label, health, slow.first().copied()))
}

#[cfg(test)]
mod tests {
    use super::server_name;

    #[test]
    fn server_names_run_a_to_z_then_two_letters() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702]
            .into_iter()
            .map(server_name)
            .collect();
        assert_eq!(names, ["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA"]);
    }
}
