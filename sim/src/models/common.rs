//! Metrics that every key-placement model reports the same way, so the same ids, labels and
//! arithmetic serve the ring, the shard lessons and the compare table.

use crate::model::{Metric, MetricValue};

/// `n` as a percentage of `total` (0 when there is nothing).
pub fn share_percent(n: u64, total: u64) -> f64 {
    if total == 0 {
        0.0
    } else {
        n as f64 * 100.0 / total as f64
    }
}

/// `max_mean_ratio`: the fullest bucket's load over the mean load (undefined with no load).
pub fn max_mean_metric(loads: &[f64]) -> Metric {
    let mean = loads.iter().sum::<f64>() / loads.len().max(1) as f64;
    let max = loads.iter().copied().fold(0.0, f64::max);
    Metric {
        id: "max_mean_ratio",
        label: "Max / mean load",
        value: if mean > 0.0 {
            MetricValue::Float(max / mean)
        } else {
            MetricValue::None
        },
        unit: Some("×"),
        help: "Keys on the busiest server or shard divided by the average; 1.00 is perfectly even.",
    }
}

/// `moved_keys` and `moved_percent` for the last placement change, given `(moved, total)`;
/// undefined before the first change.
pub fn moved_metrics(change: Option<(u64, u64)>) -> [Metric; 2] {
    let (count, pct) = match change {
        Some((moved, total)) => (
            MetricValue::Int(moved as i64),
            MetricValue::Float(share_percent(moved, total)),
        ),
        None => (MetricValue::None, MetricValue::None),
    };
    [
        Metric {
            id: "moved_keys",
            label: "Keys moved (last change)",
            value: count,
            unit: None,
            help: "Keys whose server or shard changed at the last change of servers or shards.",
        },
        Metric {
            id: "moved_percent",
            label: "Share moved",
            value: pct,
            unit: Some("%"),
            help: "The same, as a share of all keys.",
        },
    ]
}

/// `requests`: requests routed so far.
pub fn requests_metric(total: u64) -> Metric {
    Metric {
        id: "requests",
        label: "Requests served",
        value: MetricValue::Int(total as i64),
        unit: None,
        help: "Requests routed so far.",
    }
}

/// Per-shard counts as the `(label, value)` pairs of a metric group, labelled by shard index.
pub fn per_shard(counts: &[u64]) -> Vec<(String, f64)> {
    counts
        .iter()
        .enumerate()
        .map(|(i, c)| (i.to_string(), *c as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_mean_and_moved_share() {
        assert_eq!(max_mean_metric(&[1.0, 3.0]).value, MetricValue::Float(1.5));
        assert_eq!(max_mean_metric(&[]).value, MetricValue::None);
        let [n, p] = moved_metrics(Some((16, 20)));
        assert_eq!(
            (n.value, p.value),
            (MetricValue::Int(16), MetricValue::Float(80.0))
        );
        assert_eq!(moved_metrics(None)[0].value, MetricValue::None);
        assert_eq!(share_percent(1, 0), 0.0);
    }
}
