//! The bulkheads model's metrics: the headline lane's counts, response-time percentiles and
//! Little's-law figures with their theory, then every lane's own.

use super::pool::{quantile_us, Dep, Lane};
use super::spec::{mean_held, Outage};
use super::BulkheadModel;
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};

fn int(v: u64) -> MetricValue {
    MetricValue::Int(v as i64)
}

fn float(v: Option<f64>) -> MetricValue {
    match v {
        Some(v) if v.is_finite() => MetricValue::Float(v),
        _ => MetricValue::None,
    }
}

fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| 100.0 * part as f64 / whole as f64)
}

/// The `q`-quantile of every answer of a lane, ms.
fn quantile_ms(l: &Lane, deps: &[Dep], q: f64) -> Option<f64> {
    let times: Vec<u32> = deps
        .iter()
        .flat_map(|d| l.times[d.ix()].iter().copied())
        .collect();
    quantile_us(&times, q).map(|us| us as f64 / 1e3)
}

impl BulkheadModel {
    /// The lane the headline metrics describe: the last shown, the most protected.
    fn headline(&self) -> Option<&Lane> {
        self.lanes.last()
    }

    /// `rate_b × E[time a call to B holds its thread]` when B's latencies are `factor` times
    /// the healthy ones (`None`: hung), for a lane with or without a timeout; `None` where the
    /// calls never let go (a hang with no timeout) or retries make the formula wrong.
    fn threads_b_theory(&self, timeout: bool, factor: Option<f64>) -> Option<f64> {
        let s = &self.setup;
        if s.retries > 0 && timeout {
            return None;
        }
        let t = timeout.then_some(s.timeout_us as f64);
        let held_us = match factor {
            Some(f) => f * mean_held(&s.dist_b, t.map(|t| t / f)),
            None => t?,
        };
        Some(s.rate_b * held_us / 1e6)
    }

    pub(super) fn collect_metrics(&self) -> Metrics {
        let s = &self.setup;
        let now = self.now.as_us();
        let elapsed_s = now.min(s.duration.as_us()) as f64 / 1e6;
        let mut scalars = vec![Metric {
            id: "requests",
            label: "Requests",
            value: int(self.sent),
            unit: None,
            help: "Requests that have arrived (the same in every lane).",
        }];
        if let Some(h) = self.headline() {
            let timeout = h.kind.timeout();
            let answered_b = h.times[1].len() as u64;
            let answered_a = h.times[0].len() as u64;
            let unhealthy_us = self.unhealthy_by(now);
            let healthy_us = now.saturating_sub(unhealthy_us);
            let outage_factor = match s.outage {
                Outage::Slow => Some(Some(s.slow_factor)),
                Outage::Hang => Some(None),
                Outage::None => None,
            };
            let held_mean = |i: usize, us: u64| (us > 0).then(|| h.held_b[i] as f64 / us as f64);
            let erlang = s.bulkhead_loss(h.kind);
            scalars.extend([
                Metric {
                    id: "succeeded",
                    label: "Succeeded",
                    value: int(h.ok[0] + h.ok[1]),
                    unit: None,
                    help: "Requests of the headline lane (the last shown) answered by their dependency.",
                },
                Metric {
                    id: "failed",
                    label: "Failed",
                    value: int(h.failed()),
                    unit: None,
                    help: "Requests of the headline lane answered with an error: timed out or rejected, with no fallback.",
                },
                Metric {
                    id: "timed_out",
                    label: "Timed out",
                    value: int(h.timed_out),
                    unit: None,
                    help: "Requests of the headline lane whose call to B timed out (after any retries), fallback or not.",
                },
                Metric {
                    id: "rejected",
                    label: "Rejected",
                    value: int(h.rejected[0] + h.rejected[1]),
                    unit: None,
                    help: "Requests of the headline lane that found no free thread in their pool, fallback or not.",
                },
                Metric {
                    id: "fallbacks",
                    label: "Fallbacks",
                    value: int(h.fallbacks),
                    unit: None,
                    help: "Requests of the headline lane answered by B's fallback: a degraded answer, not an error.",
                },
                Metric {
                    id: "goodput",
                    label: "Goodput",
                    value: float((elapsed_s > 0.0).then(|| (h.ok[0] + h.ok[1]) as f64 / elapsed_s)),
                    unit: Some("req/s"),
                    help: "Requests per second of the headline lane answered by their dependency.",
                },
                Metric {
                    id: "downstream_calls_a",
                    label: "Calls to A",
                    value: int(h.calls_made[0]),
                    unit: None,
                    help: "Calls the headline lane made to A.",
                },
                Metric {
                    id: "downstream_calls_b",
                    label: "Calls to B",
                    value: int(h.calls_made[1]),
                    unit: None,
                    help: "Calls the headline lane made to B, retries included: the load B carried.",
                },
                Metric {
                    id: "b_calls_per_request",
                    label: "Calls to B per request",
                    value: float((h.requests[1] > 0).then(|| h.calls_made[1] as f64 / h.requests[1] as f64)),
                    unit: None,
                    help: "Calls to B per request to B in the headline lane: above 1 with retries, below 1 when requests are rejected before any call.",
                },
                Metric {
                    id: "abandoned_calls",
                    label: "Calls abandoned",
                    value: int(h.abandoned),
                    unit: None,
                    help: "Calls to B the headline lane gave up on at its timeout; B went on working on each.",
                },
                Metric {
                    id: "wasted_work_ms",
                    label: "Work done for nobody",
                    value: MetricValue::Float(h.wasted_us as f64 / 1e3),
                    unit: Some("ms"),
                    help: "Time B spent on calls after the headline lane abandoned them (counted as each ends).",
                },
                Metric {
                    id: "p50_ms",
                    label: "Response time p50",
                    value: float(quantile_ms(h, &[Dep::A, Dep::B], 0.5)),
                    unit: Some("ms"),
                    help: "Median time to answer a request in the headline lane, errors and fallbacks included.",
                },
                Metric {
                    id: "p99_ms",
                    label: "Response time p99",
                    value: float(quantile_ms(h, &[Dep::A, Dep::B], 0.99)),
                    unit: Some("ms"),
                    help: "99th percentile of the time to answer a request in the headline lane.",
                },
                Metric {
                    id: "p99_a_ms",
                    label: "A's requests, p99",
                    value: float(quantile_ms(h, &[Dep::A], 0.99)),
                    unit: Some("ms"),
                    help: "99th percentile response time of requests to A in the headline lane.",
                },
                Metric {
                    id: "p99_b_ms",
                    label: "B's requests, p99",
                    value: float(quantile_ms(h, &[Dep::B], 0.99)),
                    unit: Some("ms"),
                    help: "99th percentile response time of requests to B in the headline lane.",
                },
                Metric {
                    id: "a_ok_percent",
                    label: "A's requests answered",
                    value: float(pct(h.ok[0], answered_a)),
                    unit: Some("%"),
                    help: "Share of the requests to A the headline lane answered successfully.",
                },
                Metric {
                    id: "b_timed_out_percent",
                    label: "B's requests timed out",
                    value: float(pct(h.timed_out, answered_b)),
                    unit: Some("%"),
                    help: "Share of the requests to B that timed out in the headline lane.",
                },
                Metric {
                    id: "b_timeout_theory_percent",
                    label: "Timed out, theory",
                    value: float(s.false_timeouts(h.kind)),
                    unit: Some("%"),
                    help: "P(B's latency > timeout) to the power of the attempts, for a healthy B: the requests a timeout fails that would have succeeded.",
                },
                Metric {
                    id: "b_rejected_percent",
                    label: "B's requests rejected",
                    value: float(pct(h.rejected[1], answered_b)),
                    unit: Some("%"),
                    help: "Share of the requests to B that found no free thread in the headline lane.",
                },
                Metric {
                    id: "b_rejected_theory_percent",
                    label: "Rejected, Erlang B",
                    value: float(erlang),
                    unit: Some("%"),
                    help: "Erlang's loss formula for B's bulkhead with a healthy B: pool_b threads offered rate_b × E[time held] erlangs, no waiting.",
                },
                Metric {
                    id: "max_busy",
                    label: "Most threads busy",
                    value: int(u64::from(h.max_total)),
                    unit: None,
                    help: "The most threads the headline lane held at once.",
                },
                Metric {
                    id: "max_busy_a",
                    label: "Most held by A's calls",
                    value: int(u64::from(h.max_busy[0])),
                    unit: None,
                    help: "The most threads calls to A held at once in the headline lane.",
                },
                Metric {
                    id: "max_busy_b",
                    label: "Most held by B's calls",
                    value: int(u64::from(h.max_busy[1])),
                    unit: None,
                    help: "The most threads calls to B held at once in the headline lane.",
                },
                Metric {
                    id: "threads_b_healthy",
                    label: "B's threads, healthy",
                    value: float(held_mean(0, healthy_us)),
                    unit: None,
                    help: "Threads B's calls held on average while B was healthy, in the headline lane.",
                },
                Metric {
                    id: "threads_b_healthy_theory",
                    label: "B's threads, Little's law",
                    value: float(self.threads_b_theory(timeout, Some(1.0))),
                    unit: None,
                    help: "rate_b × E[min(latency, timeout)]: Little's law for a healthy B (no pool limit).",
                },
                Metric {
                    id: "threads_b_outage",
                    label: "B's threads, outage",
                    value: float(held_mean(1, unhealthy_us)),
                    unit: None,
                    help: "Threads B's calls held on average while B was slow or hung, in the headline lane.",
                },
                Metric {
                    id: "threads_b_outage_theory",
                    label: "B's threads in the outage, Little's law",
                    value: float(outage_factor.and_then(|f| self.threads_b_theory(timeout, f))),
                    unit: None,
                    help: "rate_b × E[time held] during the scripted outage: × the timeout when B hangs (none without a timeout: unbounded); ignores the pool's limit.",
                },
            ]);
        }
        for kind in super::spec::LaneKind::ALL {
            let (ids, labels) = kind.metric_ids();
            let lane = self.lanes.iter().find(|l| l.kind == kind);
            let values: [MetricValue; 9] = match lane {
                None => std::array::from_fn(|_| MetricValue::None),
                Some(l) => [
                    int(l.ok[0] + l.ok[1]),
                    int(l.failed()),
                    int(l.rejected[0] + l.rejected[1]),
                    int(l.timed_out),
                    int(l.fallbacks),
                    float(quantile_ms(l, &[Dep::A, Dep::B], 0.99)),
                    float(pct(l.ok[0], l.times[0].len() as u64)),
                    int(u64::from(l.max_busy[1])),
                    float(quantile_ms(l, &[Dep::B], 0.99)),
                ],
            };
            let units = [
                None,
                None,
                None,
                None,
                None,
                Some("ms"),
                Some("%"),
                None,
                Some("ms"),
            ];
            for (k, value) in values.into_iter().enumerate() {
                scalars.push(Metric {
                    id: ids[k],
                    label: labels[k],
                    value,
                    unit: units[k],
                    help: "Per lane (none when the lane is not shown): requests that succeeded, failed, were rejected, timed out, got a fallback; p99 response time; share of A's requests answered; the most threads B's calls held; p99 response time of B's requests.",
                });
            }
        }
        let group = |id, label, unit, f: &dyn Fn(&Lane) -> f64| MetricGroup {
            id,
            label,
            unit,
            values: self.lanes.iter().map(|l| (l.label.clone(), f(l))).collect(),
        };
        let groups = vec![
            group("ok_per_lane", "Requests answered", None, &|l| {
                (l.ok[0] + l.ok[1]) as f64
            }),
            group("failed_per_lane", "Requests failed", None, &|l| {
                l.failed() as f64
            }),
            group("p99_per_lane", "Response time p99", Some("ms"), &|l| {
                quantile_ms(l, &[Dep::A, Dep::B], 0.99).unwrap_or(0.0)
            }),
            group("a_ok_per_lane", "A's requests answered", Some("%"), &|l| {
                pct(l.ok[0], l.times[0].len() as u64).unwrap_or(0.0)
            }),
        ];
        Metrics { scalars, groups }
    }
}
