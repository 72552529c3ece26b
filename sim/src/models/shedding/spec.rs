//! The load-shedding model's parameters, read into a [`Setup`]: which policies get a lane, the
//! server's capacity, the clients' deadline, the offered load and its spike.

use super::lane::{LaneConfig, Policy};
use crate::params::{ParamError, ParamSet, ParamSpec};

/// The highest offered load, × capacity.
pub const MAX_LOAD: f64 = 6.0;
/// The longest run, seconds.
pub const MAX_DURATION_S: i64 = 300;
/// The most requests a run may expect per lane (peak rate × duration).
pub const MAX_REQUESTS: f64 = 200_000.0;

const SETS: &[(&str, &str)] = &[
    ("all", "No shedding and four policies"),
    ("dead-check", "No shedding, a dead load check, a live one"),
    ("priorities", "No shedding, priorities, one load limit"),
    ("fifo", "No shedding (FIFO)"),
    ("bounded", "Bounded queue"),
    ("load-limit", "Load limit"),
    ("dead-check-only", "Dead load check"),
    ("codel", "CoDel and adaptive LIFO"),
    ("priority", "Priorities"),
];

/// The parameters, checked.
#[derive(Clone, Debug)]
pub struct Setup {
    pub lanes: Vec<Policy>,
    pub lane: LaneConfig,
    pub load: f64,
    pub cost_us: f64,
    pub critical_share: f64,
    pub reject_cost_pct: f64,
    pub spike_load: f64,
    pub spike_at_us: u64,
    pub spike_for_us: u64,
    pub duration_us: u64,
}

/// The model's parameters.
pub fn specs() -> Vec<ParamSpec> {
    vec![
        ParamSpec::choice("policies", "Policies", "all", SETS)
            .help("Which lanes to run, each a copy of the same server fed the same requests. The second lane (the first that sheds) is the headline in the metrics."),
        ParamSpec::float("load", "Offered load", 1.5, 0.05, MAX_LOAD, 0.05)
            .unit("× capacity")
            .help("Requests offered per second, as a multiple of what the workers can serve (workers ÷ work per request)."),
        ParamSpec::int("workers", "Workers", 10, 1, 200, 1)
            .help("Requests the server works on at once; the rest wait in its queue."),
        ParamSpec::float("cost_ms", "Work per request", 50.0, 0.1, 10_000.0, 1.0)
            .unit("ms")
            .help("Mean time a worker spends on a request (exponentially distributed)."),
        ParamSpec::int("deadline_ms", "Client deadline", 1_000, 1, 600_000, 1)
            .unit("ms")
            .help("How long a client waits for its answer. An answer after it is wasted work: the client has gone."),
        ParamSpec::int("queue_limit", "Queue limit", 50, 0, 100_000, 1)
            .help("Bounded queue: requests that may wait; an arrival that finds it full is refused."),
        ParamSpec::int("threshold", "Load limit", 90, 1, 1_000, 1)
            .unit("%")
            .help("Load limit and priorities: refuse while the requests held (in service and queued) reach this share of the workers. Above 100 % it allows a queue."),
        ParamSpec::int("codel_target_ms", "CoDel short timeout", 5, 0, 10_000, 1)
            .unit("ms")
            .help("How long a request may wait in a queue that has not been empty within the interval."),
        ParamSpec::int("codel_interval_ms", "CoDel interval", 100, 1, 60_000, 1)
            .unit("ms")
            .help("A queue not empty for this long is a standing queue: short timeouts and LIFO. Otherwise a request may wait this long."),
        ParamSpec::int("critical_percent", "Critical traffic", 20, 0, 100, 1)
            .unit("%")
            .help("Share of the requests marked critical; the rest are sheddable."),
        ParamSpec::int("critical_headroom", "Extra room for critical", 50, 0, 1_000, 10)
            .unit("% of the workers")
            .help("Priorities: sheddable requests are refused at the load limit, critical ones only at the limit plus this."),
        ParamSpec::float("reject_cost_percent", "Cost of refusing", 0.0, 0.0, 100.0, 1.0)
            .unit("% of a request")
            .help("Worker time a shed request costs (reading it, answering the error), as a share of the mean work per request."),
        ParamSpec::float("spike_load", "Spike", 0.0, 0.0, MAX_LOAD, 0.5)
            .unit("× capacity")
            .help("Offered load during the spike (0: no spike)."),
        ParamSpec::float("spike_at_s", "Spike starts", 10.0, 0.0, MAX_DURATION_S as f64, 1.0)
            .unit("s")
            .help("When the spike starts."),
        ParamSpec::float("spike_for_s", "Spike lasts", 5.0, 0.1, MAX_DURATION_S as f64, 1.0)
            .unit("s")
            .help("How long it lasts (also the length of a spike started by the button)."),
        ParamSpec::int("duration_s", "Requests for", 30, 1, MAX_DURATION_S, 1)
            .unit("s")
            .help("How long the clients keep sending requests."),
    ]
}

impl Setup {
    /// Reads and checks the parameters.
    pub fn from_params(p: &ParamSet) -> Result<Setup, ParamError> {
        use Policy as P;
        let lanes = match p.text("policies") {
            "all" => vec![P::Fifo, P::Codel, P::Bounded, P::LoadLimit, P::Priority],
            "dead-check" => vec![P::Fifo, P::DeadCheck, P::LoadLimit],
            "priorities" => vec![P::Fifo, P::Priority, P::LoadLimit],
            "dead-check-only" => vec![P::DeadCheck],
            one => vec![P::parse(one).ok_or_else(|| {
                ParamError::new(
                    "policies",
                    one.to_string(),
                    "all, dead-check, priorities or one policy's id",
                )
            })?],
        };
        let load = p.float_clamped("load", 0.05, MAX_LOAD)?;
        let cost_us = p.float_clamped("cost_ms", 0.1, 10_000.0)? * 1e3;
        let workers = p.int("workers").clamp(1, 200) as u32;
        let spike_load = p.float_clamped("spike_load", 0.0, MAX_LOAD)?;
        let duration_s = p.int("duration_s").clamp(1, MAX_DURATION_S);
        let capacity = f64::from(workers) * 1e6 / cost_us;
        let peak = load.max(spike_load) * capacity;
        if peak * duration_s as f64 > MAX_REQUESTS {
            return Err(ParamError::new(
                "load",
                load.to_string(),
                format!(
                    "at most {MAX_REQUESTS} requests in a run: at most {:.0} requests/s for {duration_s} s, and this server serves {:.0}/s",
                    MAX_REQUESTS / duration_s as f64,
                    capacity
                ),
            ));
        }
        let reject_cost_pct = p.float_clamped("reject_cost_percent", 0.0, 100.0)?;
        let secs = |s: f64| (s * 1e6).round() as u64;
        Ok(Setup {
            lanes,
            lane: LaneConfig {
                workers,
                deadline_us: p.int("deadline_ms").clamp(1, 600_000) as u64 * 1_000,
                queue_limit: p.int("queue_limit").clamp(0, 100_000) as u32,
                threshold_pct: p.int("threshold").clamp(1, 1_000) as u32,
                codel_target_us: p.int("codel_target_ms").clamp(0, 10_000) as u64 * 1_000,
                codel_interval_us: p.int("codel_interval_ms").clamp(1, 60_000) as u64 * 1_000,
                critical_headroom_pct: p.int("critical_headroom").clamp(0, 1_000) as u32,
                reject_cost_us: (cost_us * reject_cost_pct / 100.0).round() as u64,
            },
            load,
            cost_us,
            critical_share: p.int("critical_percent").clamp(0, 100) as f64 / 100.0,
            reject_cost_pct,
            spike_load,
            spike_at_us: secs(p.float_clamped("spike_at_s", 0.0, MAX_DURATION_S as f64)?),
            spike_for_us: secs(p.float_clamped("spike_for_s", 0.1, MAX_DURATION_S as f64)?),
            duration_us: duration_s as u64 * 1_000_000,
        })
    }

    /// Requests the workers can serve per second.
    pub fn capacity_per_s(&self) -> f64 {
        f64::from(self.lane.workers) * 1e6 / self.cost_us
    }

    /// Whether a spike is scripted within the run.
    pub fn has_spike(&self) -> bool {
        self.spike_load > 0.0 && self.spike_at_us < self.duration_us
    }

    /// One line on the setup.
    pub fn title(&self, load_now: f64) -> String {
        let mut s = format!(
            "{} workers × {} ms = {} requests/s · offered {}× · deadline {} ms",
            self.lane.workers,
            num(self.cost_us / 1e3),
            num(self.capacity_per_s()),
            num(load_now),
            self.lane.deadline_us / 1_000
        );
        if self.reject_cost_pct > 0.0 {
            s.push_str(&format!(
                " · refusing costs {} % of a request",
                num(self.reject_cost_pct)
            ));
        }
        s
    }
}

/// A number without a needless fraction (`20`, `2.5`).
pub fn num(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else if (v * 10.0 - (v * 10.0).round()).abs() < 1e-9 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
