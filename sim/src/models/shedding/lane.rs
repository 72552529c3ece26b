//! One lane: a server of `workers` workers and a queue behind one admission policy, with its own
//! event loop. Every lane holds its own copy of the same [`Workload`], so every lane sees the same
//! requests at the same moments with the same work each; only what its policy admits, drops and
//! serves first differs.
//!
//! A worker serves one request at a time, for the work the request drew. An answer that reaches
//! the client after its deadline is **late**: the client has gone, so the work was wasted. A shed
//! request (refused at the door, or dropped from the queue) costs the server `reject_cost_us` of
//! a worker's time, queued ahead of requests: refusing is work too.

use super::workload::{Request, Workload};
use crate::models::lanes::{MarkKind, Recent};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// How much history a strip shows, µs.
pub const SPAN_US: u64 = 10_000_000;

/// An admission policy: one lane each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Policy {
    /// No shedding: an unbounded FIFO queue.
    Fifo,
    /// A FIFO queue of at most `queue_limit` requests; an arrival that finds it full is refused
    /// (drop tail).
    Bounded,
    /// Refuse an arrival while the load (requests held, in service and queued, per worker) is
    /// at or above `threshold` %.
    LoadLimit,
    /// The same check on a load figure that is never updated: it reads 0 % for ever.
    DeadCheck,
    /// Controlled delay as Facebook describes it: a queued request may wait `target` when the
    /// queue has not been empty within the last `interval`, else `interval`; LIFO while it has
    /// not been empty (adaptive LIFO).
    Codel,
    /// The load limit for sheddable requests; critical ones are refused only at the limit plus
    /// `critical_headroom` % of the workers, so they still get in when sheddable ones fill it.
    Priority,
}

impl Policy {
    /// Every policy, in lane order.
    pub const ALL: [Policy; 6] = [
        Policy::Fifo,
        Policy::Bounded,
        Policy::LoadLimit,
        Policy::DeadCheck,
        Policy::Codel,
        Policy::Priority,
    ];

    /// Its id in parameters, test ids and a step's highlight.
    pub const fn id(self) -> &'static str {
        match self {
            Policy::Fifo => "fifo",
            Policy::Bounded => "bounded",
            Policy::LoadLimit => "load-limit",
            Policy::DeadCheck => "dead-check",
            Policy::Codel => "codel",
            Policy::Priority => "priority",
        }
    }

    /// The policy an id names.
    pub fn parse(id: &str) -> Option<Policy> {
        Policy::ALL.into_iter().find(|p| p.id() == id)
    }

    /// Whether it ever refuses or drops a request.
    pub const fn sheds(self) -> bool {
        !matches!(self, Policy::Fifo | Policy::DeadCheck)
    }
}

/// The settings every lane shares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LaneConfig {
    pub workers: u32,
    pub deadline_us: u64,
    pub queue_limit: u32,
    /// Load limit, % of the workers.
    pub threshold_pct: u32,
    pub codel_target_us: u64,
    pub codel_interval_us: u64,
    /// Extra room for critical requests above the load limit, % of the workers.
    pub critical_headroom_pct: u32,
    /// Worker time a shed request costs, µs.
    pub reject_cost_us: u64,
}

/// A request waiting in the queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Queued {
    at_us: u64,
    cost_us: u64,
    critical: bool,
    /// When the policy drops it if it is still waiting (CoDel only).
    expires_us: Option<u64>,
}

/// A lane's own events.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ev {
    /// A worker finished a request that arrived at `at_us`.
    Done {
        at_us: u64,
        cost_us: u64,
        critical: bool,
    },
    /// A worker finished the work of refusing a request.
    Chore,
    /// A queued request's queue timeout.
    Expire { id: u64 },
}

/// Response times of served requests: 1 ms buckets to 2 s, then 100 ms buckets to 120 s (the
/// last bucket holds everything longer).
#[derive(Clone, Debug, PartialEq)]
pub struct Latencies {
    counts: Vec<u32>,
    total: u64,
}

const FINE: u64 = 2_000;
const COARSE: u64 = 1_180;

impl Default for Latencies {
    fn default() -> Self {
        Latencies {
            counts: vec![0; (FINE + COARSE) as usize],
            total: 0,
        }
    }
}

impl Latencies {
    fn add(&mut self, us: u64) {
        let ms = us / 1_000;
        let i = if ms < FINE {
            ms
        } else {
            (FINE + (ms - FINE) / 100).min(FINE + COARSE - 1)
        };
        self.counts[i as usize] += 1;
        self.total += 1;
    }

    /// The `q` quantile, ms: the upper edge of the bucket that holds it; `None` when empty.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += u64::from(c);
            if seen >= rank {
                let i = i as u64;
                return Some(if i < FINE {
                    (i + 1) as f64
                } else {
                    (FINE + (i - FINE + 1) * 100) as f64
                });
            }
        }
        None
    }
}

/// What a lane has counted.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    pub offered: u64,
    pub admitted: u64,
    /// Refused at the door.
    pub refused: u64,
    /// Dropped from the queue after a wait.
    pub dropped: u64,
    pub served: u64,
    pub late: u64,
    /// When the latest late answer came, µs.
    pub last_late_us: Option<u64>,
    pub critical_offered: u64,
    pub critical_shed: u64,
    pub critical_good: u64,
    pub max_queue: u64,
    /// Worker time spent refusing, µs.
    pub reject_work_us: u64,
    /// Worker time spent on requests whose answer came late, µs.
    pub wasted_work_us: u64,
}

impl Counts {
    /// Requests shed, at the door or from the queue.
    pub fn shed(&self) -> u64 {
        self.refused + self.dropped
    }

    /// Answers in time.
    pub fn good(&self) -> u64 {
        self.served - self.late
    }
}

/// One lane's server.
#[derive(Clone, Debug)]
pub struct Lane {
    pub policy: Policy,
    /// Its name on the diagram.
    pub label: String,
    cfg: LaneConfig,
    workload: Workload,
    events: BinaryHeap<Reverse<(u64, u64, Ev)>>,
    seq: u64,
    now_us: u64,
    /// Workers busy on requests.
    serving: u32,
    /// Workers busy refusing.
    chores_running: u32,
    /// Refusals whose work waits for a worker.
    chores_waiting: u64,
    queue: BTreeMap<u64, Queued>,
    /// When the queue was last empty, µs.
    last_empty_us: u64,
    pub counts: Counts,
    pub latencies: Latencies,
    pub marks: Recent,
    /// Recent arrival times, for the top strip.
    pub arrivals: Recent,
}

impl Lane {
    /// A lane at time zero.
    pub fn new(policy: Policy, label: String, cfg: LaneConfig, workload: Workload) -> Lane {
        Lane {
            policy,
            label,
            cfg,
            workload,
            events: BinaryHeap::new(),
            seq: 0,
            now_us: 0,
            serving: 0,
            chores_running: 0,
            chores_waiting: 0,
            queue: BTreeMap::new(),
            last_empty_us: 0,
            counts: Counts::default(),
            latencies: Latencies::default(),
            marks: Recent::default(),
            arrivals: Recent::default(),
        }
    }

    /// The offered stream this lane draws from.
    pub fn workload_mut(&mut self) -> &mut Workload {
        &mut self.workload
    }

    /// Requests held: in service and queued.
    pub fn held(&self) -> u64 {
        u64::from(self.serving) + self.queue.len() as u64
    }

    /// Requests queued.
    pub fn queued(&self) -> u64 {
        self.queue.len() as u64
    }

    /// How long the oldest queued request has waited, µs.
    pub fn oldest_wait_us(&self) -> u64 {
        self.queue
            .values()
            .map(|q| q.at_us)
            .min()
            .map_or(0, |at| self.now_us.saturating_sub(at))
    }

    /// The load a load check reads, %: requests held per worker (0 for the dead check).
    pub fn load_read_pct(&self) -> f64 {
        if self.policy == Policy::DeadCheck {
            0.0
        } else {
            self.load_pct()
        }
    }

    /// The real load, %: requests held per worker.
    pub fn load_pct(&self) -> f64 {
        100.0 * self.held() as f64 / f64::from(self.cfg.workers.max(1))
    }

    /// Whether CoDel sees a standing queue: not empty at any moment of the last interval.
    pub fn overloaded(&self) -> bool {
        !self.queue.is_empty()
            && self.now_us.saturating_sub(self.last_empty_us) > self.cfg.codel_interval_us
    }

    /// The load (held per worker, %) at which this lane refuses a request of this kind.
    pub fn limit_pct(&self, critical: bool) -> f64 {
        let t = f64::from(self.cfg.threshold_pct);
        if self.policy == Policy::Priority && critical {
            t + f64::from(self.cfg.critical_headroom_pct)
        } else {
            t
        }
    }

    /// Whether the policy admits an arrival now.
    fn admits(&self, r: &Request) -> bool {
        match self.policy {
            Policy::Fifo | Policy::Codel => true,
            Policy::Bounded => {
                self.serving + self.chores_running < self.cfg.workers
                    || self.queue.len() < self.cfg.queue_limit as usize
            }
            Policy::LoadLimit | Policy::DeadCheck | Policy::Priority => {
                self.load_read_pct() < self.limit_pct(r.critical)
            }
        }
    }

    fn schedule(&mut self, at_us: u64, ev: Ev) {
        self.seq += 1;
        self.events.push(Reverse((at_us, self.seq, ev)));
    }

    fn note_queue(&mut self) {
        if self.queue.is_empty() {
            self.last_empty_us = self.now_us;
        }
        self.counts.max_queue = self.counts.max_queue.max(self.queue.len() as u64);
    }

    /// Sheds a request: counts it, marks it and queues the work of refusing it.
    fn shed(&mut self, critical: bool, at_door: bool) {
        if at_door {
            self.counts.refused += 1;
        } else {
            self.counts.dropped += 1;
        }
        if critical {
            self.counts.critical_shed += 1;
        }
        self.marks.push(self.now_us, MarkKind::Rejected, SPAN_US);
        if self.cfg.reject_cost_us > 0 {
            self.chores_waiting += 1;
        }
    }

    /// Gives free workers work: refusals first, then the queue (LIFO while CoDel sees a
    /// standing queue).
    fn dispatch(&mut self) {
        while self.serving + self.chores_running < self.cfg.workers {
            if self.chores_waiting > 0 {
                self.chores_waiting -= 1;
                self.chores_running += 1;
                self.counts.reject_work_us += self.cfg.reject_cost_us;
                self.schedule(self.now_us + self.cfg.reject_cost_us, Ev::Chore);
                continue;
            }
            let lifo = self.policy == Policy::Codel && self.overloaded();
            let next = if lifo {
                self.queue.pop_last()
            } else {
                self.queue.pop_first()
            };
            let Some((_, q)) = next else { break };
            self.start(q.at_us, q.cost_us, q.critical);
            self.note_queue();
        }
    }

    fn start(&mut self, at_us: u64, cost_us: u64, critical: bool) {
        self.serving += 1;
        self.schedule(
            self.now_us + cost_us,
            Ev::Done {
                at_us,
                cost_us,
                critical,
            },
        );
    }

    fn arrive(&mut self, r: Request) {
        self.counts.offered += 1;
        self.arrivals.push(self.now_us, MarkKind::Ok, SPAN_US);
        if r.critical {
            self.counts.critical_offered += 1;
        }
        if !self.admits(&r) {
            self.shed(r.critical, true);
            self.dispatch();
            return;
        }
        self.counts.admitted += 1;
        if self.serving + self.chores_running < self.cfg.workers && self.chores_waiting == 0 {
            self.start(r.at_us, r.cost_us, r.critical);
            return;
        }
        if self.queue.is_empty() {
            // It was empty until this arrival.
            self.last_empty_us = self.now_us;
        }
        let expires_us = (self.policy == Policy::Codel).then(|| {
            let wait = if self.overloaded() {
                self.cfg.codel_target_us
            } else {
                self.cfg.codel_interval_us
            };
            self.now_us + wait
        });
        self.queue.insert(
            r.id,
            Queued {
                at_us: r.at_us,
                cost_us: r.cost_us,
                critical: r.critical,
                expires_us,
            },
        );
        if let Some(t) = expires_us {
            self.schedule(t, Ev::Expire { id: r.id });
        }
        self.note_queue();
    }

    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Done {
                at_us,
                cost_us,
                critical,
            } => {
                self.serving -= 1;
                let latency = self.now_us - at_us;
                self.counts.served += 1;
                self.latencies.add(latency);
                if latency <= self.cfg.deadline_us {
                    if critical {
                        self.counts.critical_good += 1;
                    }
                    self.marks.push(self.now_us, MarkKind::Ok, SPAN_US);
                } else {
                    self.counts.late += 1;
                    self.counts.last_late_us = Some(self.now_us);
                    self.counts.wasted_work_us += cost_us;
                    self.marks.push(self.now_us, MarkKind::Failed, SPAN_US);
                }
            }
            Ev::Chore => self.chores_running -= 1,
            Ev::Expire { id } => {
                if let Some(q) = self.queue.remove(&id) {
                    self.note_queue();
                    self.shed(q.critical, false);
                }
            }
        }
        self.dispatch();
    }

    /// Runs the lane to `t_us`: its own events and the arrivals, in time order (a completion
    /// before an arrival at the same microsecond).
    pub fn advance_to(&mut self, t_us: u64) {
        loop {
            let ev_at = self.events.peek().map(|Reverse((at, _, _))| *at);
            let arr_at = self.workload.peek_us();
            let next = match (ev_at, arr_at) {
                (Some(e), Some(a)) => e.min(a),
                (Some(e), None) => e,
                (None, Some(a)) => a,
                (None, None) => break,
            };
            if next > t_us {
                break;
            }
            self.now_us = next;
            if ev_at == Some(next) {
                if let Some(Reverse((_, _, ev))) = self.events.pop() {
                    self.handle(ev);
                }
            } else if let Some(r) = self.workload.take() {
                self.arrive(r);
            }
        }
        self.now_us = self.now_us.max(t_us);
    }

    /// Checks the lane's books.
    pub fn validate(&self) -> Result<(), String> {
        let c = &self.counts;
        let name = self.policy.id();
        if c.admitted + c.refused != c.offered {
            return Err(format!(
                "{name}: {} admitted + {} refused ≠ {} offered",
                c.admitted, c.refused, c.offered
            ));
        }
        let in_system = c.served + c.dropped + self.held();
        if in_system != c.admitted {
            return Err(format!(
                "{name}: {} served + {} dropped + {} held ≠ {} admitted",
                c.served,
                c.dropped,
                self.held(),
                c.admitted
            ));
        }
        if self.serving + self.chores_running > self.cfg.workers {
            return Err(format!(
                "{name}: {} workers busy of {}",
                self.serving + self.chores_running,
                self.cfg.workers
            ));
        }
        if self.policy == Policy::Bounded && self.queue.len() > self.cfg.queue_limit as usize {
            return Err(format!(
                "{name}: {} queued past the limit of {}",
                self.queue.len(),
                self.cfg.queue_limit
            ));
        }
        if !self.policy.sheds() && c.shed() > 0 {
            return Err(format!("{name} shed {} requests", c.shed()));
        }
        if self.serving + self.chores_running < self.cfg.workers
            && (!self.queue.is_empty() || self.chores_waiting > 0)
        {
            return Err(format!("{name}: a worker idles while work waits"));
        }
        if c.critical_good + c.critical_shed > c.critical_offered {
            return Err(format!(
                "{name}: more critical outcomes than critical requests"
            ));
        }
        Ok(())
    }
}
