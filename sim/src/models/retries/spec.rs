//! The retries model's parameters, read into a [`Setup`].

use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::resilience::backoff::contention::MAX_CLIENTS as ALGORITHM_MAX_CLIENTS;
use crate::resilience::backoff::Strategy;

/// The most contending clients the model takes (the algorithm takes more; a diagram and a
/// sweep do not need them).
pub const MAX_CLIENTS: u32 = 200;
const _: () = assert!(MAX_CLIENTS <= ALGORITHM_MAX_CLIENTS);

/// The most calls the failing service may receive in the worst case (every call failing):
/// `requests × attempts^layers`, per lane. It bounds the events of a run.
pub const MAX_WORST_CALLS: u64 = 200_000;

/// Which experiment runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scenario {
    /// N clients racing to update one row (Brooker's experiment).
    Contention,
    /// Requests into a service that fails each call with probability p, with retries.
    Amplification,
}

/// A retry policy of the amplification scenario: one lane each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// Up to `attempts` attempts at every layer.
    Retry,
    /// The same, each layer's client throttled as gRFC A6 specifies.
    Grpc,
    /// The same, each layer's client under Finagle's `RetryBudget`.
    Finagle,
    /// One attempt: no retries.
    NoRetry,
}

impl Policy {
    /// In lane order.
    pub const ALL: [Policy; 4] = [
        Policy::Retry,
        Policy::Grpc,
        Policy::Finagle,
        Policy::NoRetry,
    ];

    /// Its id in parameters and test ids.
    pub const fn id(self) -> &'static str {
        match self {
            Policy::Retry => "retry",
            Policy::Grpc => "grpc",
            Policy::Finagle => "finagle",
            Policy::NoRetry => "no-retry",
        }
    }

    /// Its lane's name.
    pub const fn label(self) -> &'static str {
        match self {
            Policy::Retry => "Retries",
            Policy::Grpc => "Retries, gRPC throttle",
            Policy::Finagle => "Retries, Finagle budget",
            Policy::NoRetry => "No retries",
        }
    }

    /// The policy whose id is `id`.
    pub fn parse(id: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.id() == id)
    }
}

/// The parameters, checked.
#[derive(Clone, Debug)]
pub struct Setup {
    pub scenario: Scenario,
    pub strategies: Vec<Strategy>,
    pub clients: u32,
    pub base_us: u64,
    pub cap_us: u64,
    pub net_mean_us: u64,
    pub net_sd_us: u64,
    pub policies: Vec<Policy>,
    pub p_fail: f64,
    pub attempts: u32,
    pub layers: u32,
    pub requests: u64,
    pub rate: f64,
    pub call_us: u64,
    pub max_tokens: u32,
    pub token_ratio_milli: u32,
    pub retry_percent: u32,
}

const STRATEGY_SETS: &[(&str, &str)] = &[
    ("all", "The five of the classic experiment"),
    ("exp-vs-full", "Exponential and full jitter"),
    ("jitter", "The three jittered"),
    ("schedules", "Linear, exponential, full jitter"),
    ("none", "No backoff"),
    ("constant", "Constant"),
    ("linear", "Linear"),
    ("exponential", "Exponential"),
    ("full-jitter", "Full jitter"),
    ("equal-jitter", "Equal jitter"),
    ("decorrelated", "Decorrelated jitter"),
];

const POLICY_SETS: &[(&str, &str)] = &[
    ("all", "All four"),
    ("budgets", "Retries, with and without a budget"),
    ("plain", "Retries and no retries"),
    ("retry", "Retries"),
    ("grpc", "Retries, gRPC throttle"),
    ("finagle", "Retries, Finagle budget"),
    ("no-retry", "No retries"),
];

/// The model's parameters.
pub fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice(
            "scenario",
            "Experiment",
            "contention",
            &[
                ("contention", "Clients contending on one row"),
                ("amplification", "A failing service"),
            ],
        )
        .help("Clients racing to update one row and retrying on conflict, or requests retried against a service that fails at random."),
        ParamSpec::choice("strategies", "Backoff strategies", "all", STRATEGY_SETS)
            .help("Which backoff strategies get a lane (contention). The first one shown is the headline in the metrics."),
        ParamSpec::int("clients", "Clients", 20, 1, i64::from(MAX_CLIENTS), 1)
            .help("Clients that each read the row and write it back conditionally, all starting at once."),
        ParamSpec::float("base_ms", "Base delay", 5.0, 0.1, 1_000.0, 0.1)
            .unit("ms")
            .help("The first backoff step: exponential waits base × 2^attempt."),
        ParamSpec::float("cap_ms", "Cap", 2_000.0, 1.0, 60_000.0, 1.0)
            .unit("ms")
            .help("No backoff delay is longer than this."),
        ParamSpec::float("net_ms", "Network delay", 10.0, 0.0, 1_000.0, 0.5)
            .unit("ms")
            .help("Mean one-way delay of each message (read, reply, write, reply)."),
        ParamSpec::float("net_sd_ms", "Network jitter", 2.0, 0.0, 1_000.0, 0.5)
            .unit("ms")
            .help("Standard deviation of the network delay (normal, its absolute value taken)."),
        ParamSpec::choice("policies", "Retry policies", "all", POLICY_SETS)
            .help("Which retry policies get a lane (failing service). The first one shown is the headline in the metrics."),
        ParamSpec::float("p_fail", "Failure probability", 0.5, 0.0, 1.0, 0.01)
            .help("The chance that the service fails any one call, independently of the others."),
        ParamSpec::int("attempts", "Attempts per call", 3, 1, 10, 1)
            .help("Tries each caller makes (the first and its retries) before it gives up."),
        ParamSpec::int("layers", "Retrying layers", 1, 1, 5, 1)
            .help("Services in the call chain, each retrying the one below; the last calls the failing service."),
        ParamSpec::int("requests", "Requests", 200, 1, 5_000, 1)
            .help("Requests the clients send in all."),
        ParamSpec::float("rate", "Request rate", 20.0, 0.1, 1_000.0, 0.1)
            .unit("req/s")
            .help("Requests per second, evenly spaced."),
        ParamSpec::float("call_ms", "Call time", 10.0, 0.1, 1_000.0, 0.1)
            .unit("ms")
            .help("How long one call to the failing service takes to succeed or fail; a retry follows at once."),
        ParamSpec::int("max_tokens", "gRPC maxTokens", 10, 1, 1_000, 1)
            .help("gRPC retry throttling: the token count's ceiling; retries go out only above half of it."),
        ParamSpec::float("token_ratio", "gRPC tokenRatio", 0.1, 0.001, 100.0, 0.001)
            .help("gRPC retry throttling: tokens a success gives back (a failure takes 1)."),
        ParamSpec::int("retry_percent", "Finagle percentCanRetry", 20, 0, 1_000, 1)
            .unit("%")
            .help("Finagle's RetryBudget: retries allowed per 100 requests over the last 10 s, on top of 10 a second."),
    ]
}

fn err(name: &str, value: String, allowed: String) -> ParamError {
    ParamError {
        param: name.to_string(),
        value,
        allowed,
    }
}

fn ms_to_us(ms: f64) -> u64 {
    (ms * 1_000.0).round() as u64
}

impl Setup {
    /// Reads and checks the parameters.
    pub fn from_params(p: &ParamSet) -> Result<Setup, ParamError> {
        let scenario = match p.text("scenario") {
            "amplification" => Scenario::Amplification,
            _ => Scenario::Contention,
        };
        let strategies = match p.text("strategies") {
            "all" => Strategy::CLASSIC.to_vec(),
            "exp-vs-full" => vec![Strategy::Exponential, Strategy::FullJitter],
            "jitter" => vec![
                Strategy::FullJitter,
                Strategy::EqualJitter,
                Strategy::Decorrelated,
            ],
            "schedules" => vec![
                Strategy::Linear,
                Strategy::Exponential,
                Strategy::FullJitter,
            ],
            one => vec![Strategy::parse(one).ok_or_else(|| {
                err(
                    "strategies",
                    one.to_string(),
                    "all, exp-vs-full, jitter, schedules or one strategy's id".into(),
                )
            })?],
        };
        let policies = match p.text("policies") {
            "all" => Policy::ALL.to_vec(),
            "budgets" => vec![Policy::Retry, Policy::Grpc, Policy::Finagle],
            "plain" => vec![Policy::Retry, Policy::NoRetry],
            one => vec![Policy::parse(one).ok_or_else(|| {
                err(
                    "policies",
                    one.to_string(),
                    "all, budgets, plain or one policy's id".into(),
                )
            })?],
        };
        let base_us = ms_to_us(p.float_clamped("base_ms", 0.1, 1_000.0)?).max(1);
        let cap_us = ms_to_us(p.float_clamped("cap_ms", 1.0, 60_000.0)?);
        if cap_us < base_us {
            return Err(err(
                "cap_ms",
                p.float("cap_ms").to_string(),
                format!("at least the base delay ({} ms)", p.float("base_ms")),
            ));
        }
        let attempts = p.int("attempts").clamp(1, 10) as u32;
        let layers = p.int("layers").clamp(1, 5) as u32;
        let requests = p.int("requests").clamp(1, 5_000) as u64;
        let worst = u64::from(attempts)
            .checked_pow(layers)
            .and_then(|w| w.checked_mul(requests));
        if scenario == Scenario::Amplification && worst.is_none_or(|w| w > MAX_WORST_CALLS) {
            return Err(err(
                "requests",
                requests.to_string(),
                format!(
                    "at most {} when each of {layers} layers makes up to {attempts} attempts \
                     (requests × attempts^layers ≤ {MAX_WORST_CALLS}, the calls a dead service \
                     would get); fewer requests, attempts or layers",
                    MAX_WORST_CALLS / u64::from(attempts).pow(layers).max(1)
                ),
            ));
        }
        Ok(Setup {
            scenario,
            strategies,
            clients: p.int("clients").clamp(1, i64::from(MAX_CLIENTS)) as u32,
            base_us,
            cap_us,
            net_mean_us: ms_to_us(p.float_clamped("net_ms", 0.0, 1_000.0)?),
            net_sd_us: ms_to_us(p.float_clamped("net_sd_ms", 0.0, 1_000.0)?),
            policies,
            p_fail: p.float_clamped("p_fail", 0.0, 1.0)?,
            attempts,
            layers,
            requests,
            rate: p.float_clamped("rate", 0.1, 1_000.0)?,
            call_us: ms_to_us(p.float_clamped("call_ms", 0.1, 1_000.0)?).max(1),
            max_tokens: p.int("max_tokens").clamp(1, 1_000) as u32,
            token_ratio_milli: (p.float_clamped("token_ratio", 0.001, 100.0)? * 1_000.0)
                .round()
                .max(1.0) as u32,
            retry_percent: p.int("retry_percent").clamp(0, 1_000) as u32,
        })
    }

    /// The gap between requests, µs (at least 1).
    pub fn interarrival_us(&self) -> u64 {
        ((1e6 / self.rate).round() as u64).max(1)
    }
}

/// Per strategy: the ids of its calls, completion and calls-per-client metrics, then labels.
pub fn strategy_metric_ids(s: Strategy) -> [&'static str; 6] {
    match s {
        Strategy::None => [
            "calls_none",
            "completion_ms_none",
            "done_none",
            "No backoff: calls",
            "No backoff: time to finish",
            "No backoff: clients done",
        ],
        Strategy::Constant => [
            "calls_constant",
            "completion_ms_constant",
            "done_constant",
            "Constant: calls",
            "Constant: time to finish",
            "Constant: clients done",
        ],
        Strategy::Linear => [
            "calls_linear",
            "completion_ms_linear",
            "done_linear",
            "Linear: calls",
            "Linear: time to finish",
            "Linear: clients done",
        ],
        Strategy::Exponential => [
            "calls_exponential",
            "completion_ms_exponential",
            "done_exponential",
            "Exponential: calls",
            "Exponential: time to finish",
            "Exponential: clients done",
        ],
        Strategy::FullJitter => [
            "calls_full_jitter",
            "completion_ms_full_jitter",
            "done_full_jitter",
            "Full jitter: calls",
            "Full jitter: time to finish",
            "Full jitter: clients done",
        ],
        Strategy::EqualJitter => [
            "calls_equal_jitter",
            "completion_ms_equal_jitter",
            "done_equal_jitter",
            "Equal jitter: calls",
            "Equal jitter: time to finish",
            "Equal jitter: clients done",
        ],
        Strategy::Decorrelated => [
            "calls_decorrelated",
            "completion_ms_decorrelated",
            "done_decorrelated",
            "Decorrelated: calls",
            "Decorrelated: time to finish",
            "Decorrelated: clients done",
        ],
    }
}

/// Per policy: the ids of its downstream-load and success metrics, then labels.
pub fn policy_metric_ids(p: Policy) -> [&'static str; 4] {
    match p {
        Policy::Retry => [
            "load_retry",
            "success_retry",
            "Retries: calls per request",
            "Retries: requests succeeded",
        ],
        Policy::Grpc => [
            "load_grpc",
            "success_grpc",
            "gRPC throttle: calls per request",
            "gRPC throttle: requests succeeded",
        ],
        Policy::Finagle => [
            "load_finagle",
            "success_finagle",
            "Finagle budget: calls per request",
            "Finagle budget: requests succeeded",
        ],
        Policy::NoRetry => [
            "load_no_retry",
            "success_no_retry",
            "No retries: calls per request",
            "No retries: requests succeeded",
        ],
    }
}
