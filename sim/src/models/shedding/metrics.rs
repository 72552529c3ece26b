//! The load-shedding model's metrics: the headline lane's, each lane's under its own id, and the
//! groups the per-lane charts draw.

use super::lane::{Lane, Policy};
use super::SheddingModel;
use crate::model::{Metric, MetricGroup, MetricValue, Metrics};

/// Per-lane metrics: (id, label) for each of the lane's figures, in [`per_lane`]'s order.
macro_rules! lane_ids {
    ($id:literal, $name:literal) => {
        [
            (concat!("goodput_", $id), concat!($name, ": goodput")),
            (
                concat!("goodput_percent_", $id),
                concat!($name, ": goodput, % of capacity"),
            ),
            (concat!("shed_", $id), concat!($name, ": shed")),
            (concat!("late_", $id), concat!($name, ": answered late")),
            (
                concat!("critical_good_percent_", $id),
                concat!($name, ": critical answered in time"),
            ),
            (concat!("p99_ms_", $id), concat!($name, ": p99 response")),
            (
                concat!("max_queue_", $id),
                concat!($name, ": longest queue"),
            ),
            (
                concat!("last_late_s_", $id),
                concat!($name, ": last late answer"),
            ),
        ]
    };
}

const PER_LANE: usize = 8;

fn ids(p: Policy) -> [(&'static str, &'static str); PER_LANE] {
    match p {
        Policy::Fifo => lane_ids!("fifo", "No shedding"),
        Policy::Bounded => lane_ids!("bounded", "Bounded queue"),
        Policy::LoadLimit => lane_ids!("load_limit", "Load limit"),
        Policy::DeadCheck => lane_ids!("dead_check", "Dead load check"),
        Policy::Codel => lane_ids!("codel", "CoDel"),
        Policy::Priority => lane_ids!("priority", "Priorities"),
    }
}

impl SheddingModel {
    fn elapsed_s(&self) -> f64 {
        self.now.as_us().min(self.setup.duration_us) as f64 / 1e6
    }

    fn per_s(&self, n: u64) -> MetricValue {
        let s = self.elapsed_s();
        if s > 0.0 {
            MetricValue::Float(n as f64 / s)
        } else {
            MetricValue::None
        }
    }

    fn goodput_percent(&self, l: &Lane) -> MetricValue {
        let s = self.elapsed_s();
        if s > 0.0 {
            MetricValue::Float(100.0 * l.counts.good() as f64 / s / self.setup.capacity_per_s())
        } else {
            MetricValue::None
        }
    }

    fn per_lane(&self, l: &Lane) -> [MetricValue; PER_LANE] {
        let c = &l.counts;
        let int = |v: u64| MetricValue::Int(v as i64);
        let opt = |v: Option<f64>| v.map_or(MetricValue::None, MetricValue::Float);
        [
            self.per_s(c.good()),
            self.goodput_percent(l),
            int(c.shed()),
            int(c.late),
            opt((c.critical_offered > 0)
                .then(|| 100.0 * c.critical_good as f64 / c.critical_offered as f64)),
            opt(l.latencies.quantile_ms(0.99)),
            int(c.max_queue),
            opt(c.last_late_us.map(|us| us as f64 / 1e6)),
        ]
    }

    /// Every metric now.
    pub(super) fn all_metrics(&self) -> Metrics {
        let mut scalars = Vec::new();
        let int = |v: u64| MetricValue::Int(v as i64);
        let opt = |v: Option<f64>| v.map_or(MetricValue::None, MetricValue::Float);
        let m = |id, label, value, unit, help| Metric {
            id,
            label,
            value,
            unit,
            help,
        };
        scalars.push(m(
            "capacity",
            "Capacity",
            MetricValue::Float(self.setup.capacity_per_s()),
            Some("requests/s"),
            "What the workers can serve per second: workers ÷ mean work per request.",
        ));
        if let Some(h) = self.headline() {
            let c = &h.counts;
            let busy_us = self.now.as_us().max(1) as f64 * f64::from(self.setup.lane.workers);
            scalars.extend([
                m("offered", "Offered", int(c.offered), None, "Requests the clients sent (the same in every lane)."),
                m("admitted", "Admitted", int(c.admitted), None, "Requests the headline lane (the first that sheds) let in."),
                m("rejected", "Shed", int(c.shed()), None, "Requests the headline lane refused at the door or dropped from its queue."),
                m("served", "Served", int(c.served), None, "Requests the headline lane answered, in time or late."),
                m("served_late", "Answered late", int(c.late), None, "Answers after the client's deadline: the client had gone, the work was wasted."),
                m("goodput", "Goodput", self.per_s(c.good()), Some("requests/s"), "Answers within the deadline per second, in the headline lane."),
                m("goodput_percent", "Goodput, % of capacity", self.goodput_percent(h), Some("%"), "Goodput as a share of what the workers can serve."),
                m("critical_goodput", "Critical goodput", self.per_s(c.critical_good), Some("requests/s"), "Critical requests answered in time per second, in the headline lane."),
                m("critical_rejected", "Critical shed", int(c.critical_shed), None, "Critical requests the headline lane shed."),
                m("critical_offered", "Critical offered", int(c.critical_offered), None, "Critical requests the clients sent."),
                m("p50_ms", "Median response", opt(h.latencies.quantile_ms(0.5)), Some("ms"), "Median response time of the requests the headline lane served (1 ms buckets to 2 s, then 100 ms)."),
                m("p99_ms", "p99 response", opt(h.latencies.quantile_ms(0.99)), Some("ms"), "99th percentile response time of the requests the headline lane served."),
                m("max_queue", "Longest queue", int(c.max_queue), None, "The most requests the headline lane's queue held at once."),
                m("held_at_end", "Held now", int(h.held()), None, "Requests the headline lane holds now, in service and queued."),
                m("reject_work_percent", "Time spent refusing", MetricValue::Float(100.0 * c.reject_work_us as f64 / busy_us), Some("%"), "Share of the workers' time the headline lane spent refusing requests."),
                m("wasted_work_percent", "Work wasted on late answers", MetricValue::Float(100.0 * c.wasted_work_us as f64 / busy_us), Some("%"), "Share of the workers' time the headline lane spent on answers that came late."),
            ]);
        }
        for p in Policy::ALL {
            let lane = self.lanes.iter().find(|l| l.policy == p);
            let values = lane.map(|l| self.per_lane(l));
            for (k, (id, label)) in ids(p).into_iter().enumerate() {
                let value = values.as_ref().map_or(MetricValue::None, |v| v[k].clone());
                scalars.push(m(
                    id,
                    label,
                    value,
                    match k {
                        0 => Some("requests/s"),
                        1 | 4 => Some("%"),
                        5 => Some("ms"),
                        7 => Some("s"),
                        _ => None,
                    },
                    "Per lane (none when the lane is not shown): goodput, goodput as a share of capacity, requests shed, answers after the deadline, critical requests answered in time, p99 response time of served requests, the longest queue, when the latest answer after the deadline came.",
                ));
            }
        }
        let group =
            |id: &'static str, label: &'static str, unit, f: &dyn Fn(&Lane) -> f64| MetricGroup {
                id,
                label,
                unit,
                values: self.lanes.iter().map(|l| (l.label.clone(), f(l))).collect(),
            };
        let s = self.elapsed_s().max(1e-9);
        let groups = vec![
            group("goodput_per_lane", "Goodput", Some("requests/s"), &|l| {
                l.counts.good() as f64 / s
            }),
            group("shed_per_lane", "Requests shed", None, &|l| {
                l.counts.shed() as f64
            }),
            group("late_per_lane", "Answers after the deadline", None, &|l| {
                l.counts.late as f64
            }),
        ];
        Metrics { scalars, groups }
    }
}
