//! The idempotency model's metrics and invariants: the headline lane's figures, the per-lane
//! ones, the float-cents figures, and the checks that every lane's ledger agrees with its counts.

use super::{broken_prices, IdempotencyModel, Lane, LaneKind};
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};

pub(super) fn metrics(model: &IdempotencyModel) -> Metrics {
    let int = |v: u64| MetricValue::Int(v as i64);
    let cents = |v: i64| MetricValue::Int(v);
    let payments = model.payments.len() as u64;
    let sent = model.setup.cents_sent();
    let meant = model.setup.cents_meant();
    let intended: i64 = model.payments.iter().map(|p| p.meant).sum();
    let mut scalars = vec![
        Metric {
            id: "payments",
            label: "Payments",
            value: int(payments),
            unit: None,
            help: "Payments the client meant to make (the same in every lane).",
        },
        Metric {
            id: "intended_cents",
            label: "Meant to charge",
            value: cents(intended),
            unit: Some("¢"),
            help: "What the payments are worth, in exact cents.",
        },
        Metric {
            id: "amount_cents",
            label: "Cents sent per payment",
            value: cents(sent),
            unit: Some("¢"),
            help: "What the client's conversion makes of the price.",
        },
        Metric {
            id: "correct_cents",
            label: "Cents meant per payment",
            value: cents(meant),
            unit: Some("¢"),
            help: "The price in exact cents.",
        },
    ];
    if let Some(h) = model.headline() {
        scalars.extend([
            Metric {
                id: "charges",
                label: "Charges",
                value: int(h.charges),
                unit: None,
                help: "Rows the headline lane's ledger holds (the first lane shown).",
            },
            Metric {
                id: "duplicate_charges",
                label: "Duplicate charges",
                value: int(h.duplicates),
                unit: None,
                help: "Charges beyond the first for the same payment, in the headline lane.",
            },
            Metric {
                id: "charged_once",
                label: "Charged exactly once",
                value: int(h.charged.values().filter(|&&n| n == 1).count() as u64),
                unit: None,
                help: "Payments the headline lane charged once, no more.",
            },
            Metric {
                id: "confirmed",
                label: "Confirmed to the client",
                value: int(h.confirmed),
                unit: None,
                help: "Payments whose client got a 200 (charged now or replayed).",
            },
            Metric {
                id: "unresolved",
                label: "Unresolved",
                value: int(h.unresolved),
                unit: None,
                help: "Payments the client gave up on after its last retry, not knowing whether it paid.",
            },
            Metric {
                id: "unresolved_charged",
                label: "Unresolved but charged",
                value: int(
                    h.clients
                        .iter()
                        .filter(|(p, c)| c.gave_up && h.charged.contains_key(p))
                        .count() as u64,
                ),
                unit: None,
                help: "Payments the client gave up on that the ledger did charge.",
            },
            Metric {
                id: "retries",
                label: "Retries",
                value: int(h.retries),
                unit: None,
                help: "Attempts after a payment's first, in the headline lane.",
            },
            Metric {
                id: "lost_requests",
                label: "Requests lost",
                value: int(h.lost_requests),
                unit: None,
                help: "Requests the network lost before the server saw them.",
            },
            Metric {
                id: "lost_responses",
                label: "Responses lost",
                value: int(h.lost_responses),
                unit: None,
                help: "Responses the network lost after the server acted.",
            },
            Metric {
                id: "late_responses",
                label: "Responses too late",
                value: int(h.late_responses),
                unit: None,
                help: "Responses that arrived after their attempt timed out: the client had moved on.",
            },
            Metric {
                id: "conflicts",
                label: "409 Conflict",
                value: int(h.conflicts),
                unit: None,
                help: "Retries the server refused because the key's first request was still in flight.",
            },
            Metric {
                id: "mismatches",
                label: "422 key reused",
                value: int(h.mismatches),
                unit: None,
                help: "Requests refused because their key was used before with another amount.",
            },
            Metric {
                id: "replays",
                label: "Replayed",
                value: int(h.replays),
                unit: None,
                help: "Retries answered with the stored response instead of a new charge.",
            },
            Metric {
                id: "expired_keys",
                label: "Keys expired",
                value: int(h.expired_keys),
                unit: None,
                help: "Keys the headline lane's store forgot when their TTL ran out (counted when a request looks).",
            },
            Metric {
                id: "charged_cents",
                label: "Charged",
                value: cents(h.charged_cents),
                unit: Some("¢"),
                help: "What the headline lane's ledger charged in all.",
            },
            Metric {
                id: "overcharged_cents",
                label: "Charged twice",
                value: cents(h.duplicates as i64 * sent),
                unit: Some("¢"),
                help: "What the duplicate charges took from customers.",
            },
            Metric {
                id: "cents_lost",
                label: "Lost to rounding",
                value: cents((meant - sent) * h.charges as i64),
                unit: Some("¢"),
                help: "What the conversion to cents dropped, over every charge made.",
            },
        ]);
    }
    let broken = broken_prices(2_000);
    let first: Vec<String> = broken
        .iter()
        .take(8)
        .map(|(c, cut)| format!("{}.{:02} → {cut}", c / 100, c % 100))
        .collect();
    scalars.push(Metric {
        id: "broken_prices",
        label: "Prices int(x*100) gets wrong",
        value: int(broken.len() as u64),
        unit: None,
        help: "Of the 2,000 prices from 0.01 to 20.00, how many int(amount * 100) turns into one cent too few.",
    });
    scalars.push(Metric {
        id: "broken_examples",
        label: "The first of them",
        value: MetricValue::Text(format!("{}, …", first.join(", "))),
        unit: None,
        help: "The smallest prices int(amount * 100) gets wrong, with the cents it sends.",
    });
    for kind in LaneKind::ALL {
        let ids = kind.metric_ids();
        let lane = model.lanes.iter().find(|l| l.kind == kind);
        for k in 0..6 {
            let value = lane.map_or(MetricValue::None, |l| {
                MetricValue::Int(
                    [
                        l.duplicates as i64,
                        l.charges as i64,
                        l.conflicts as i64,
                        l.unresolved as i64,
                        l.replays as i64,
                        l.charged_cents,
                    ][k],
                )
            });
            scalars.push(Metric {
                id: ids[k],
                label: ids[k + 6],
                value,
                unit: None,
                help: "Per lane (none when the lane is not shown): duplicate charges, charges, 409s, unresolved payments, replayed responses, cents charged.",
            });
        }
    }
    let group = |id: &'static str, label: &'static str, f: fn(&Lane) -> u64| MetricGroup {
        id,
        label,
        unit: None,
        values: model
            .lanes
            .iter()
            .map(|l| (l.label().to_string(), f(l) as f64))
            .collect(),
    };
    let groups = vec![
        group("duplicates_per_lane", "Duplicate charges", |l| l.duplicates),
        group("conflicts_per_lane", "409 Conflict", |l| l.conflicts),
        group("unresolved_per_lane", "Unresolved", |l| l.unresolved),
    ];
    Metrics { scalars, groups }
}

pub(super) fn validate(model: &IdempotencyModel) -> Result<(), String> {
    let payments = model.payments.len() as u64;
    for l in &model.lanes {
        let name = l.label();
        if l.clients.len() as u64 != payments {
            return Err(format!(
                "{name}: {} clients for {payments} payments: every lane sees the same payments",
                l.clients.len()
            ));
        }
        let charges: u64 = l.charged.values().map(|&n| u64::from(n)).sum();
        if charges != l.charges {
            return Err(format!(
                "{name}: {} charges counted, {charges} in the ledger",
                l.charges
            ));
        }
        let dup: u64 = l.charged.values().map(|&n| u64::from(n) - 1).sum();
        if dup != l.duplicates {
            return Err(format!(
                "{name}: {} duplicates counted, {dup} in the ledger",
                l.duplicates
            ));
        }
        let done = l.clients.values().filter(|c| c.done).count() as u64;
        let mismatched_done = done - l.confirmed - l.unresolved;
        if l.confirmed + l.unresolved > done || mismatched_done > l.mismatches {
            return Err(format!(
                "{name}: {done} payments settled but {} confirmed, {} unresolved, {} refused",
                l.confirmed, l.unresolved, l.mismatches
            ));
        }
        if l.kind == LaneKind::DbUnique && l.duplicates > 0 {
            return Err(format!(
                "{name}: {} duplicates under a unique key",
                l.duplicates
            ));
        }
        if l.kind.ttl_store() && l.duplicates > l.recharged_after_expiry {
            return Err(format!(
                "{name}: {} duplicates, but only {} charges after a key expired",
                l.duplicates, l.recharged_after_expiry
            ));
        }
        if l.kind != LaneKind::NoKey && l.conflicts > 0 && !l.kind.ttl_store() {
            return Err(format!("{name}: a 409 without a key store"));
        }
        if l.retries > payments * u64::from(model.setup.retries) {
            return Err(format!(
                "{name}: {} retries, over {} per payment",
                l.retries, model.setup.retries
            ));
        }
    }
    Ok(())
}
