//! The idempotency model's parameters, read into a [`Setup`]: which server policies get a lane,
//! the client's payments and retry policy, the network's losses, the dedupe store's TTLs, and how
//! the client turns a price into cents.

use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::resilience::backoff::{Backoff, Strategy};

/// The highest payment rate, per second.
pub const MAX_RATE: f64 = 50.0;
/// The longest the client keeps paying, seconds.
pub const MAX_DURATION_S: i64 = 3_600;
/// The most payments a run may expect (rate × duration).
pub const MAX_PAYMENTS: f64 = 20_000.0;
/// The largest amount, in currency units.
pub const MAX_AMOUNT: f64 = 1_000_000.0;

/// One server policy: what the server does with the client's `Idempotency-Key` header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LaneKind {
    /// Ignores it: every request that arrives charges.
    NoKey,
    /// A dedupe store keyed by it, each key kept `ttl_s` (Stripe: 24 h).
    Key,
    /// The same store, forgetting keys after `short_ttl_s`.
    KeyShortTtl,
    /// No store: a unique constraint on the key in the ledger, inserted with the charge.
    DbUnique,
}

impl LaneKind {
    /// Every kind, in lane order.
    pub const ALL: [LaneKind; 4] = [
        LaneKind::NoKey,
        LaneKind::Key,
        LaneKind::KeyShortTtl,
        LaneKind::DbUnique,
    ];

    /// Its id in parameters, test ids and a step's highlight.
    pub const fn id(self) -> &'static str {
        match self {
            LaneKind::NoKey => "no-key",
            LaneKind::Key => "key",
            LaneKind::KeyShortTtl => "key-short-ttl",
            LaneKind::DbUnique => "db-unique",
        }
    }

    /// The kind an id names.
    pub fn parse(id: &str) -> Option<LaneKind> {
        LaneKind::ALL.into_iter().find(|k| k.id() == id)
    }

    /// Whether the server remembers keys in a store with a TTL.
    pub const fn ttl_store(self) -> bool {
        matches!(self, LaneKind::Key | LaneKind::KeyShortTtl)
    }

    /// Per kind: the ids of its per-lane metrics (duplicate charges, charges, conflicts,
    /// unresolved, replays, charged cents), then their labels.
    pub const fn metric_ids(self) -> [&'static str; 12] {
        match self {
            LaneKind::NoKey => [
                "duplicate_charges_no_key",
                "charges_no_key",
                "conflicts_no_key",
                "unresolved_no_key",
                "replays_no_key",
                "charged_cents_no_key",
                "No key: duplicate charges",
                "No key: charges",
                "No key: 409 Conflict",
                "No key: unresolved",
                "No key: replayed",
                "No key: charged (¢)",
            ],
            LaneKind::Key => [
                "duplicate_charges_key",
                "charges_key",
                "conflicts_key",
                "unresolved_key",
                "replays_key",
                "charged_cents_key",
                "Key: duplicate charges",
                "Key: charges",
                "Key: 409 Conflict",
                "Key: unresolved",
                "Key: replayed",
                "Key: charged (¢)",
            ],
            LaneKind::KeyShortTtl => [
                "duplicate_charges_key_short_ttl",
                "charges_key_short_ttl",
                "conflicts_key_short_ttl",
                "unresolved_key_short_ttl",
                "replays_key_short_ttl",
                "charged_cents_key_short_ttl",
                "Short TTL: duplicate charges",
                "Short TTL: charges",
                "Short TTL: 409 Conflict",
                "Short TTL: unresolved",
                "Short TTL: replayed",
                "Short TTL: charged (¢)",
            ],
            LaneKind::DbUnique => [
                "duplicate_charges_db_unique",
                "charges_db_unique",
                "conflicts_db_unique",
                "unresolved_db_unique",
                "replays_db_unique",
                "charged_cents_db_unique",
                "Unique key: duplicate charges",
                "Unique key: charges",
                "Unique key: 409 Conflict",
                "Unique key: unresolved",
                "Unique key: replayed",
                "Unique key: charged (¢)",
            ],
        }
    }
}

/// How the client turns the price into whole cents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cents {
    /// `int(amount * 100)`: binary floating point, truncated toward zero.
    Truncate,
    /// `int(round(amount * 100))`: the same product, rounded to the nearest (ties to even).
    Round,
    /// `int(Decimal(str(amount)) * 100)`: exact decimal arithmetic on the price as written.
    Decimal,
}

impl Cents {
    /// The cents for `amount` this way. The float ways are IEEE 754 binary64 arithmetic, as
    /// Python's `float` and Rust's `f64` do it on every target: one correctly rounded multiply.
    pub fn of(self, amount: f64) -> i64 {
        match self {
            Cents::Truncate => (amount * 100.0) as i64,
            Cents::Round => (amount * 100.0).round_ties_even() as i64,
            Cents::Decimal => decimal_cents(amount),
        }
    }
}

/// `int(Decimal(str(amount)) * 100)`: the shortest decimal that reads back as `amount` (what
/// Python's `str` and Rust's `Display` print), times 100 exactly, digits past the cent dropped.
pub fn decimal_cents(amount: f64) -> i64 {
    let text = format!("{}", amount.abs());
    let (whole, frac) = text.split_once('.').unwrap_or((&text, ""));
    let whole: i64 = whole.parse().unwrap_or(0);
    let mut digits = frac.bytes().chain(std::iter::repeat(b'0')).take(2);
    let mut cents = whole.saturating_mul(100);
    for scale in [10, 1] {
        let d = digits
            .next()
            .map_or(0, |b| i64::from(b.saturating_sub(b'0')));
        cents = cents.saturating_add(d * scale);
    }
    if amount < 0.0 {
        -cents
    } else {
        cents
    }
}

/// The prices a widely copied payment function gets wrong with `int(amount * 100)`, with what
/// it charges: every amount from 0.01 to `up_to_cents` / 100 whose truncated cents differ from
/// its exact ones.
pub fn broken_prices(up_to_cents: i64) -> Vec<(i64, i64)> {
    (1..=up_to_cents)
        .filter_map(|c| {
            let price: f64 = format!("{}.{:02}", c / 100, c % 100).parse().ok()?;
            let cut = Cents::Truncate.of(price);
            (cut != c).then_some((c, cut))
        })
        .collect()
}

/// The parameters, checked.
#[derive(Clone, Debug)]
pub struct Setup {
    pub lanes: Vec<LaneKind>,
    pub rate: f64,
    pub poisson: bool,
    pub duration_us: u64,
    /// Chance that a request is lost on its way to the server, 0–1.
    pub request_loss: f64,
    /// Chance that a response is lost on its way back, 0–1.
    pub response_loss: f64,
    pub latency_us: u64,
    /// The server's mean time to charge, µs (exponentially distributed).
    pub process_us: u64,
    pub timeout_us: u64,
    pub retries: u32,
    pub backoff: Backoff,
    pub ttl_us: u64,
    pub short_ttl_us: u64,
    pub amount: f64,
    pub cents: Cents,
}

const SETS: &[(&str, &str)] = &[
    ("all", "All four servers"),
    ("keys", "No key and a key"),
    ("ttls", "A key kept 24 h and a short TTL"),
    ("no-key", "No key"),
    ("key", "Idempotency key"),
    ("key-short-ttl", "Key with a short TTL"),
    ("db-unique", "Unique key in the ledger"),
];

/// The model's parameters.
pub fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice("servers", "Servers", "all", SETS)
            .help("Which server policies get a lane, each on its own copy of the same payments and the same network. The first one shown is the headline in the metrics."),
        ParamSpec::float("rate", "Payments", 2.0, 0.01, MAX_RATE, 0.5)
            .unit("per s")
            .help("Payments the client starts per second."),
        ParamSpec::choice(
            "arrivals",
            "Payments arrive",
            "poisson",
            &[("poisson", "Poisson"), ("steady", "Steady")],
        )
        .help("Randomly (Poisson) or evenly spaced."),
        ParamSpec::int("duration_s", "Pay for", 100, 1, MAX_DURATION_S, 1)
            .unit("s")
            .help("How long the client keeps starting payments; its retries carry on after."),
        ParamSpec::int("request_loss", "Requests lost", 5, 0, 100, 1)
            .unit("%")
            .help("Chance that a request never reaches the server (nothing is charged)."),
        ParamSpec::int("response_loss", "Responses lost", 10, 0, 100, 1)
            .unit("%")
            .help("Chance that the server's response never reaches the client (the charge stands, the client does not know)."),
        ParamSpec::int("latency_ms", "Network delay", 50, 0, 60_000, 10)
            .unit("ms")
            .help("One way, client to server or back."),
        ParamSpec::int("process_ms", "Time to charge", 100, 10, 600_000, 10)
            .unit("ms")
            .help("The server's mean time to charge a card (exponentially distributed)."),
        ParamSpec::int("timeout_ms", "Client timeout", 1_000, 100, 600_000, 100)
            .unit("ms")
            .help("How long the client waits for a response before it retries."),
        ParamSpec::int("retries", "Retries", 4, 0, 20, 1)
            .help("Retries after the first attempt; then the client gives up, not knowing whether it paid."),
        ParamSpec::choice(
            "backoff",
            "Backoff",
            "exponential",
            &[
                ("none", "None"),
                ("constant", "Constant"),
                ("exponential", "Exponential"),
                ("full-jitter", "Full jitter"),
                ("equal-jitter", "Equal jitter"),
                ("decorrelated", "Decorrelated jitter"),
            ],
        )
        .help("How long the client waits between a timeout (or a 409) and its next try."),
        ParamSpec::int("base_ms", "Backoff base", 500, 100, 600_000, 100)
            .unit("ms")
            .help("The first wait; exponential doubles it each retry."),
        ParamSpec::int("cap_ms", "Backoff cap", 8_000, 100, 3_600_000, 100)
            .unit("ms")
            .help("The longest wait (at least the base)."),
        ParamSpec::float("ttl_s", "Key kept", 86_400.0, 0.1, 604_800.0, 1.0)
            .unit("s")
            .help("How long the idempotency-key lane keeps a key from its first request (Stripe: 24 h = 86400 s)."),
        ParamSpec::float("short_ttl_s", "Short TTL", 2.0, 0.1, 604_800.0, 0.5)
            .unit("s")
            .help("How long the short-TTL lane keeps a key."),
        ParamSpec::float("amount", "Price", 19.99, 0.01, MAX_AMOUNT, 0.01)
            .unit("$")
            .help("What each payment is for, in dollars."),
        ParamSpec::choice(
            "cents",
            "To cents",
            "decimal",
            &[
                ("truncate", "int(amount * 100)"),
                ("round", "int(round(amount * 100))"),
                ("decimal", "Decimal(str(amount)) * 100"),
            ],
        )
        .help("How the client turns the price into whole cents before it sends it."),
    ]
}

impl Setup {
    /// Reads and checks the parameters.
    pub fn from_params(p: &ParamSet) -> Result<Setup, ParamError> {
        use LaneKind as K;
        let lanes = match p.text("servers") {
            "all" => vec![K::NoKey, K::Key, K::KeyShortTtl, K::DbUnique],
            "keys" => vec![K::NoKey, K::Key],
            "ttls" => vec![K::Key, K::KeyShortTtl],
            one => vec![K::parse(one).ok_or_else(|| {
                ParamError::new(
                    "servers",
                    one.to_string(),
                    "all, keys, ttls or one lane's id",
                )
            })?],
        };
        let rate = p.float_within("rate", 0.01, MAX_RATE)?;
        let duration_s = p.int("duration_s").clamp(1, MAX_DURATION_S);
        if rate * duration_s as f64 > MAX_PAYMENTS {
            return Err(ParamError::new(
                "rate",
                rate.to_string(),
                format!(
                    "at most {MAX_PAYMENTS} payments in a run: at most {:.2} per second for {duration_s} s",
                    MAX_PAYMENTS / duration_s as f64
                ),
            ));
        }
        let ms = |name: &str, lo: i64, hi: i64| p.int(name).clamp(lo, hi) as u64 * 1_000;
        let strategy = Strategy::parse(p.text("backoff")).ok_or_else(|| {
            ParamError::new(
                "backoff",
                p.text("backoff").to_string(),
                "none, constant, exponential, full-jitter, equal-jitter or decorrelated",
            )
        })?;
        let base_us = ms("base_ms", 100, 600_000);
        let cap_us = ms("cap_ms", 100, 3_600_000);
        let backoff = Backoff::new(strategy, base_us, cap_us).map_err(|e| {
            ParamError::new(
                "cap_ms",
                (cap_us / 1_000).to_string(),
                format!("at least the backoff base ({} ms): {e}", base_us / 1_000),
            )
        })?;
        let secs = |s: f64| (s * 1e6).round() as u64;
        let cents = match p.text("cents") {
            "truncate" => Cents::Truncate,
            "round" => Cents::Round,
            "decimal" => Cents::Decimal,
            other => {
                return Err(ParamError::new(
                    "cents",
                    other.to_string(),
                    "truncate, round or decimal",
                ))
            }
        };
        Ok(Setup {
            lanes,
            rate,
            poisson: p.text("arrivals") != "steady",
            duration_us: duration_s as u64 * 1_000_000,
            request_loss: p.int("request_loss").clamp(0, 100) as f64 / 100.0,
            response_loss: p.int("response_loss").clamp(0, 100) as f64 / 100.0,
            latency_us: ms("latency_ms", 0, 60_000),
            process_us: ms("process_ms", 10, 600_000),
            timeout_us: ms("timeout_ms", 100, 600_000),
            retries: p.int("retries").clamp(0, 20) as u32,
            backoff,
            ttl_us: secs(p.float_within("ttl_s", 0.1, 604_800.0)?),
            short_ttl_us: secs(p.float_within("short_ttl_s", 0.1, 604_800.0)?),
            amount: p.float_within("amount", 0.01, MAX_AMOUNT)?,
            cents,
        })
    }

    /// The cents the client sends for one payment.
    pub fn cents_sent(&self) -> i64 {
        self.cents.of(self.amount)
    }

    /// The cents the price is really worth.
    pub fn cents_meant(&self) -> i64 {
        decimal_cents(self.amount)
    }

    /// The TTL of a lane's store, µs (none for the lanes without one).
    pub fn ttl_for(&self, kind: LaneKind) -> Option<u64> {
        match kind {
            LaneKind::Key => Some(self.ttl_us),
            LaneKind::KeyShortTtl => Some(self.short_ttl_us),
            _ => None,
        }
    }

    /// One line on the setup.
    pub fn title(&self) -> String {
        let b = &self.backoff;
        let retry = if self.retries == 0 {
            "no retries".to_string()
        } else {
            format!(
                "{} {} ({} {})",
                self.retries,
                if self.retries == 1 {
                    "retry"
                } else {
                    "retries"
                },
                b.strategy().label().to_lowercase(),
                duration(b.base_us())
            )
        };
        format!(
            "{}/s · ${} → {} ¢ · {} % of requests, {} % of responses lost · timeout {}, {retry}",
            num(self.rate),
            self.amount,
            self.cents_sent(),
            num(self.request_loss * 100.0),
            num(self.response_loss * 100.0),
            duration(self.timeout_us),
        )
    }
}

/// A duration in words (`500 ms`, `2 s`, `24 h`).
pub fn duration(us: u64) -> String {
    if us >= 3_600_000_000 && us % 3_600_000_000 == 0 {
        format!("{} h", us / 3_600_000_000)
    } else if us >= 1_000_000 {
        format!("{} s", num(us as f64 / 1e6))
    } else {
        format!("{} ms", num(us as f64 / 1e3))
    }
}

/// A number without a needless fraction (`20`, `2.5`).
pub fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.1}")
    }
}
