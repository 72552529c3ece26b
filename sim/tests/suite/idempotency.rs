//! The idempotency model (issue 14, lesson 6): every figure the lesson quotes, the float-cents
//! conversion against IEEE 754 arithmetic, the laws of each server policy on random networks and
//! seeds (a key kept longer than the retry window never charges twice; a unique key never does;
//! without a key the duplicates are exactly the responses the client never used, less the payments
//! it gave up on that were charged), the actions, bad input, determinism and the sweep.
#![cfg(feature = "resilience")]

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::Simulation;
use sim::models::idempotency::{broken_prices, decimal_cents, Cents};
use sim::registry;
use sim::rng::SimRng;
use sim::time::SimTime;

use crate::common;

const LESSON: &str = "idempotency-keys";

fn finish(s: &sim::scenario::Scenario) -> Box<dyn Simulation> {
    let mut run = registry::start(s).unwrap_or_else(|e| panic!("{e}"));
    run.seek(run.until());
    run.validate().unwrap();
    common::assert_all_accepted(&*run);
    run
}

fn run_preset(preset: &str, extra: &[(&str, &str)]) -> Box<dyn Simulation> {
    let mut s = common::preset(LESSON, Some(preset));
    for (k, v) in extra {
        s.params.insert((*k).into(), (*v).into());
    }
    finish(&s)
}

fn m(run: &dyn Simulation, id: &str) -> f64 {
    common::metric(run, id)
}

/// Every number the lesson's steps and questions quote, at the lesson's seed.
#[test]
fn the_lesson_figures() {
    let r = run_preset("lossy", &[]);
    assert_eq!(m(&*r, "payments"), 204.0);
    assert_eq!(
        (
            m(&*r, "duplicate_charges_no_key"),
            m(&*r, "lost_responses"),
            m(&*r, "duplicate_charges_key"),
            m(&*r, "duplicate_charges_db_unique"),
        ),
        (25.0, 25.0, 0.0, 0.0)
    );
    assert_eq!(
        (m(&*r, "charges_no_key"), m(&*r, "charges_key")),
        (229.0, 204.0)
    );
    assert_eq!(
        (m(&*r, "replays_key"), m(&*r, "replays_db_unique")),
        (25.0, 25.0)
    );
    // The name for the headline figure.
    assert_eq!(m(&*r, "duplicate_charges"), 25.0);

    let r = run_preset("no-retries", &[]);
    assert_eq!(
        (m(&*r, "unresolved"), m(&*r, "unresolved_charged")),
        (33.0, 22.0)
    );
    for id in ["no_key", "key", "key_short_ttl", "db_unique"] {
        assert_eq!(m(&*r, &format!("duplicate_charges_{id}")), 0.0, "{id}");
    }

    let r = run_preset("slow", &[]);
    assert_eq!(
        (m(&*r, "duplicate_charges_no_key"), m(&*r, "conflicts_key")),
        (67.0, 32.0)
    );
    assert_eq!(m(&*r, "duplicate_charges_key"), 0.0);
    assert_eq!(
        (
            m(&*r, "duplicate_charges_db_unique"),
            m(&*r, "conflicts_db_unique"),
            m(&*r, "replays_db_unique")
        ),
        (0.0, 0.0, 67.0)
    );

    let r = run_preset("short-ttl", &[]);
    assert_eq!(
        (
            m(&*r, "duplicate_charges_key"),
            m(&*r, "duplicate_charges_key_short_ttl")
        ),
        (0.0, 25.0)
    );

    let r = run_preset("reused-key", &[]);
    assert_eq!((m(&*r, "mismatches"), m(&*r, "charges")), (1.0, 203.0));

    let r = run_preset("float-cents", &[]);
    assert_eq!(
        (m(&*r, "amount_cents"), m(&*r, "correct_cents")),
        (1998.0, 1999.0)
    );
    assert_eq!((m(&*r, "charges"), m(&*r, "cents_lost")), (204.0, 204.0));
    assert_eq!(m(&*r, "broken_prices"), 137.0);
    for fixed in ["round", "decimal"] {
        let r = run_preset("float-cents", &[("cents", fixed)]);
        assert_eq!(
            (m(&*r, "amount_cents"), m(&*r, "cents_lost")),
            (1999.0, 0.0)
        );
    }
}

/// `int(amount * 100)` is one IEEE 754 binary64 multiply and a truncation toward zero: the
/// source's figures (19.99 → 1998, 0.29 → 28, 1.15 → 114, 4.35 → 434, 8.2 → 819), each
/// checked against the exact value of the double (its decimal expansion, by hand) and the exact
/// product; `round` and `Decimal` get every price from 0.01 to 20.00 right.
#[test]
fn float_cents_match_ieee_arithmetic() {
    // The nearest double to 19.99 is below it, and the correctly rounded product is the double
    // just below 1999 (1999 - 2^-42 = 1998.9999999999997726…, printed 1998.9999999999998).
    assert_eq!(19.99_f64 * 100.0, 1999.0 - 2f64.powi(-42));
    assert_eq!(format!("{}", 19.99_f64 * 100.0), "1998.9999999999998");
    assert_eq!((19.99_f64 * 100.0) as i64, 1998);
    for (price, cut) in [
        (19.99, 1998),
        (0.29, 28),
        (1.15, 114),
        (4.35, 434),
        (8.2, 819),
    ] {
        assert_eq!(Cents::Truncate.of(price), cut, "{price}");
        assert_eq!(Cents::Round.of(price), cut + 1, "{price}");
        assert_eq!(Cents::Decimal.of(price), cut + 1, "{price}");
    }
    let broken = broken_prices(2_000);
    assert_eq!(broken.len(), 137);
    for (c, cut) in [(1999, 1998), (29, 28), (115, 114), (435, 434), (820, 819)] {
        assert!(broken.contains(&(c, cut)), "{c}");
    }
    // Every wrong one is exactly a cent short, and round and Decimal get all 2,000 right.
    for c in 1..=2_000i64 {
        let price: f64 = format!("{}.{:02}", c / 100, c % 100).parse().unwrap();
        let cut = Cents::Truncate.of(price);
        assert!(cut == c || cut == c - 1, "{price}: {cut}");
        assert_eq!(Cents::Round.of(price), c, "{price}");
        assert_eq!(Cents::Decimal.of(price), c, "{price}");
    }
    // Decimal(str(x)) drops digits past the cent; whole amounts have no fraction.
    assert_eq!(decimal_cents(12.0), 1200);
    assert_eq!(decimal_cents(0.015), 1);
    assert_eq!(decimal_cents(1_000_000.0), 100_000_000);
}

/// Each lane runs its own server on the same fates: a lane's figures do not depend on which
/// other lanes run beside it.
#[test]
fn lanes_do_not_disturb_one_another() {
    for preset in ["lossy", "slow"] {
        let all = run_preset(preset, &[("servers", "all")]);
        for (lane, id) in [
            ("no-key", "no_key"),
            ("key", "key"),
            ("key-short-ttl", "key_short_ttl"),
            ("db-unique", "db_unique"),
        ] {
            let alone = run_preset(preset, &[("servers", lane)]);
            for what in [
                "duplicate_charges",
                "charges",
                "conflicts",
                "unresolved",
                "replays",
            ] {
                let k = format!("{what}_{id}");
                assert_eq!(m(&*all, &k), m(&*alone, &k), "{preset}: {k}");
            }
        }
    }
}

/// Random networks, retry policies and seeds. With a key kept longer than the client's whole
/// retry window (and than any charge takes), and with a unique key, no payment is ever charged
/// twice. Without a key, every response the client did not use (lost, or too late) is a charge
/// beyond the first, except for the charged payments it gave up on:
/// `duplicates = lost_responses + late_responses − unresolved_charged`.
#[test]
fn the_laws_hold_on_random_networks() {
    let mut r = SimRng::new(61);
    let backoffs = [
        "none",
        "constant",
        "exponential",
        "full-jitter",
        "decorrelated",
    ];
    for case in 0..30u64 {
        let timeout_ms = 100 * (1 + r.below(20));
        let retries = r.below(7);
        let cap_ms = 100 * (1 + r.below(50));
        // The client's last try comes at most retries × (timeout + cap) after its first.
        let window_s = (retries * (timeout_ms + cap_ms)) as f64 / 1e3;
        let params = vec![
            ("servers".to_string(), "all".to_string()),
            ("rate".into(), (1 + r.below(8)).to_string()),
            ("duration_s".into(), (5 + r.below(40)).to_string()),
            ("request_loss".into(), r.below(60).to_string()),
            ("response_loss".into(), r.below(60).to_string()),
            ("latency_ms".into(), (10 * r.below(30)).to_string()),
            ("process_ms".into(), (10 * (1 + r.below(150))).to_string()),
            ("timeout_ms".into(), timeout_ms.to_string()),
            ("retries".into(), retries.to_string()),
            (
                "backoff".into(),
                backoffs[r.below(backoffs.len() as u64) as usize].to_string(),
            ),
            ("base_ms".into(), "100".into()),
            ("cap_ms".into(), cap_ms.to_string()),
            ("ttl_s".into(), format!("{}", window_s + 3_600.0)),
            (
                "short_ttl_s".into(),
                format!("{}", 0.1 + r.below(50) as f64 / 10.0),
            ),
        ];
        let s = common::scenario(
            "idempotency",
            case,
            SimTime::from_secs(3_000),
            &params,
            common::NO_INPUTS,
        );
        let mut run = registry::start(&s).unwrap_or_else(|e| panic!("case {case}: {e}"));
        for t in [1, 3, 10, 30, 3_000] {
            run.seek(SimTime::from_secs(t));
            run.validate()
                .unwrap_or_else(|e| panic!("case {case} at {t} s: {e} ({params:?})"));
        }
        let run = &*run;
        assert_eq!(
            m(run, "duplicate_charges_key"),
            0.0,
            "case {case}: {params:?}"
        );
        assert_eq!(m(run, "duplicate_charges_db_unique"), 0.0, "case {case}");
        // The headline lane is the one without a key; everything has settled by 3,000 s.
        assert_eq!(
            m(run, "duplicate_charges_no_key"),
            m(run, "lost_responses") + m(run, "late_responses") - m(run, "unresolved_charged"),
            "case {case}: {params:?}"
        );
        assert_eq!(
            m(run, "confirmed") + m(run, "unresolved"),
            m(run, "payments"),
            "case {case}: every payment settles"
        );
    }
}

/// `lose-response` loses the next payment's first response in every lane (a duplicate without a
/// key, a replay with one); `reuse-key` sends the last key with another amount (a 422); unknown
/// actions and impossible settings are refused with a reason.
#[test]
fn actions_and_bad_input() {
    let mut s = common::preset(LESSON, Some("lossy"));
    s.params.insert("request_loss".into(), "0".into());
    s.params.insert("response_loss".into(), "0".into());
    s.inputs = common::inputs(&["10000:lose-response", "20000:reuse-key", "30000:charge"]);
    let mut r = registry::start(&s).unwrap();
    r.seek(r.until());
    r.validate().unwrap();
    let refused = r.trace_lines().iter().filter(|l| l.rejected).count();
    assert_eq!(refused, 1);
    assert_eq!(m(&*r, "lost_responses"), 1.0);
    assert_eq!(m(&*r, "duplicate_charges_no_key"), 1.0);
    assert_eq!(m(&*r, "duplicate_charges_key"), 0.0);
    assert_eq!(m(&*r, "replays_key"), 1.0);
    let mut only_key = s.clone();
    only_key.params.insert("servers".into(), "key".into());
    let k = finish(&{
        let mut k = only_key;
        k.inputs.pop();
        k
    });
    assert_eq!(m(&*k, "mismatches"), 1.0);

    for (k, v, named) in [
        ("rate", "1e9", "rate"),
        ("duration_s", "3600", "rate"),
        ("servers", "redis", "servers"),
        ("cap_ms", "100", "cap_ms"),
        ("amount", "-1", "amount"),
        ("process_ms", "15", "process_ms"),
    ] {
        let mut s = common::preset(LESSON, Some("lossy"));
        s.params.insert("rate".into(), "10".into());
        s.params.insert("base_ms".into(), "1000".into());
        s.params.insert(k.into(), v.into());
        let err = registry::start(&s).err().expect("refused");
        assert!(err.to_string().contains(named), "{err}");
    }
}

#[test]
fn same_seed_same_run_and_the_seed_matters() {
    let s = common::preset(LESSON, Some("slow"));
    let digest = |seed: u64| {
        let mut s = s.clone();
        s.seed = seed;
        let mut r = registry::start(&s).unwrap();
        r.seek(SimTime::from_secs(60));
        (r.digest(), m(&*r, "duplicate_charges"))
    };
    assert_eq!(digest(3), digest(3));
    assert_ne!(digest(3).0, digest(4).0);
}

/// The sweep: without a key the duplicates grow with the response loss from none at 0 %; with a
/// key there are none at any loss.
#[test]
fn the_response_loss_sweep() {
    let csv = common::sweep_csv(LESSON, "response-loss");
    let none = common::sweep_medians(&csv, "no-key", "duplicate_charges");
    let key = common::sweep_medians(&csv, "key", "duplicate_charges");
    assert_eq!(none.len(), 6);
    assert_eq!(none[0], 0.0);
    assert!(none.windows(2).all(|w| w[1] > w[0]), "{none:?}");
    assert!(key.iter().all(|d| *d == 0.0), "{key:?}");
}
