//! One lane of the bulkheads model: a caller's worker threads, shared or split per dependency,
//! its wait queues, its calls in flight (each holding a thread until it is answered or, with a
//! timeout, abandoned), and what it has counted. Plain data with methods: it returns the events
//! it wants scheduled instead of scheduling them, so it runs without the engine.
//!
//! Invariants ([`Lane::validate`]): no pool holds more threads than it has; threads held =
//! calls in flight that are not abandoned; requests = answered + in progress; every answered
//! request has one response time.

use super::spec::LaneKind;
use crate::models::lanes::{MarkKind, Recent};
use std::collections::{BTreeMap, VecDeque};

/// A dependency the caller calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dep {
    /// The busy, healthy one.
    A = 0,
    /// The rarely called one that has the outage.
    B = 1,
}

impl Dep {
    /// Its index in the per-dependency arrays.
    pub const fn ix(self) -> usize {
        self as usize
    }

    /// Its name.
    pub const fn name(self) -> &'static str {
        match self {
            Dep::A => "A",
            Dep::B => "B",
        }
    }
}

/// B's health as a call to it starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Health {
    /// Calls take their drawn latency.
    Up,
    /// Calls take this many times longer.
    Slow(f64),
    /// Calls get no answer until B recovers.
    Hung,
}

/// A request as the model drew it, the same for every lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Req {
    /// Which dependency it calls.
    pub dep: Dep,
    /// When it arrived, µs.
    pub arrived_us: u64,
    /// The healthy latency of its first call and of up to two retries, µs.
    pub lat_us: [u64; 3],
}

/// How a request ended in one lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Its call was answered.
    Ok,
    /// Its call to B timed out or was rejected, and the fallback answered.
    Fallback,
    /// Its call to B timed out (after any retries): an error.
    TimedOut,
    /// No thread was free (within the wait): an error.
    Rejected,
}

/// Something the lane wants to happen later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Due {
    /// A call is answered.
    Done(u64),
    /// A call's timeout fires.
    Timeout(u64),
    /// A waiting request's wait is over.
    WaitOver(u64),
}

/// A call in flight (or abandoned and still running at the dependency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Call {
    req: u64,
    dep: Dep,
    attempt: u8,
    /// Its healthy latency, µs: a hung call answers this long after B recovers.
    base_us: u64,
    /// When the caller gave up on it.
    abandoned_at: Option<u64>,
}

/// A request in progress: waiting for a thread or holding one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Active {
    req: Req,
    attempt: u8,
}

/// One lane.
#[derive(Clone, Debug)]
pub struct Lane {
    /// Which policy.
    pub kind: LaneKind,
    /// Its name.
    pub label: String,
    /// Threads per pool: `[workers, 0]` shared, `[A's, B's]` for bulkheads.
    pub caps: [u32; 2],
    timeout_us: Option<u64>,
    retries: u8,
    fallback: bool,
    wait_us: u64,
    /// Threads held by calls to A and to B.
    pub busy: [u32; 2],
    queues: [VecDeque<u64>; 2],
    active: BTreeMap<u64, Active>,
    calls: BTreeMap<u64, Call>,
    hung: Vec<u64>,
    next_call: u64,
    /// Requests per dependency.
    pub requests: [u64; 2],
    /// Requests answered by their dependency, per dependency.
    pub ok: [u64; 2],
    /// Requests whose call to B timed out for good (fallback or not).
    pub timed_out: u64,
    /// Requests that found no thread (fallback or not), per dependency.
    pub rejected: [u64; 2],
    /// Requests the fallback answered.
    pub fallbacks: u64,
    /// Calls made per dependency (first calls and retries).
    pub calls_made: [u64; 2],
    /// Calls the caller gave up on.
    pub abandoned: u64,
    /// Time B spent on abandoned calls after the caller gave up, µs (counted as each ends).
    pub wasted_us: u64,
    /// The most threads each dependency's calls held at once.
    pub max_busy: [u32; 2],
    /// The most threads held at once in all.
    pub max_total: u32,
    /// Threads held by B's calls integrated over time, µs·threads: outside and inside outages.
    pub held_b: [u64; 2],
    last_us: u64,
    /// Response times of answered requests per dependency, µs (errors and fallbacks included).
    pub times: [Vec<u32>; 2],
    /// Recent outcomes for the strip.
    pub marks: Recent,
    /// Whether it has rejected a request since B's health last changed.
    pub rejected_since_change: bool,
}

impl Lane {
    /// A lane of `kind` with `workers` threads, `pool_b` of them B's when it has bulkheads.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        kind: LaneKind,
        label: String,
        workers: u32,
        pool_b: u32,
        timeout_us: u64,
        retries: u8,
        fallback: bool,
        wait_us: u64,
    ) -> Lane {
        Lane {
            kind,
            label,
            caps: if kind.bulkhead() {
                [workers - pool_b, pool_b]
            } else {
                [workers, 0]
            },
            timeout_us: kind.timeout().then_some(timeout_us),
            retries: if kind.timeout() { retries } else { 0 },
            fallback,
            wait_us,
            busy: [0; 2],
            queues: [VecDeque::new(), VecDeque::new()],
            active: BTreeMap::new(),
            calls: BTreeMap::new(),
            hung: Vec::new(),
            next_call: 0,
            requests: [0; 2],
            ok: [0; 2],
            timed_out: 0,
            rejected: [0; 2],
            fallbacks: 0,
            calls_made: [0; 2],
            abandoned: 0,
            wasted_us: 0,
            max_busy: [0; 2],
            max_total: 0,
            held_b: [0; 2],
            last_us: 0,
            times: [Vec::new(), Vec::new()],
            marks: Recent::default(),
            rejected_since_change: false,
        }
    }

    /// The pool a dependency's calls take their thread from.
    fn pool(&self, dep: Dep) -> usize {
        if self.kind.bulkhead() {
            dep.ix()
        } else {
            0
        }
    }

    /// Threads held in pool `p`.
    pub fn held(&self, p: usize) -> u32 {
        if self.kind.bulkhead() {
            self.busy[p]
        } else {
            self.busy[0] + self.busy[1]
        }
    }

    /// Requests waiting for a thread.
    pub fn waiting(&self) -> usize {
        self.queues[0].len() + self.queues[1].len()
    }

    /// Requests answered.
    pub fn answered(&self) -> u64 {
        (self.times[0].len() + self.times[1].len()) as u64
    }

    /// Requests answered with an error (timed out or rejected, no fallback).
    pub fn failed(&self) -> u64 {
        self.timed_out + self.rejected[0] + self.rejected[1] - self.fallbacks
    }

    /// Adds B's threads held since the last call to now to the integral (`outage`: B is not
    /// healthy). Call before any change of `busy` or of B's health.
    pub fn account(&mut self, now: u64, outage: bool) {
        let dt = now.saturating_sub(self.last_us);
        self.held_b[usize::from(outage)] += u64::from(self.busy[1]) * dt;
        self.last_us = self.last_us.max(now);
    }

    /// A request arrives.
    pub fn arrive(
        &mut self,
        id: u64,
        req: Req,
        health: Health,
        span: u64,
        due: &mut Vec<(u64, Due)>,
    ) {
        let now = req.arrived_us;
        self.requests[req.dep.ix()] += 1;
        self.active.insert(id, Active { req, attempt: 0 });
        let p = self.pool(req.dep);
        if self.held(p) < self.caps[p] {
            self.start(id, now, health, due);
        } else if self.wait_us > 0 {
            self.queues[p].push_back(id);
            due.push((now + self.wait_us, Due::WaitOver(id)));
        } else {
            self.reject(id, now, span);
        }
    }

    fn reject(&mut self, id: u64, now: u64, span: u64) {
        if let Some(a) = self.active.get(&id) {
            self.rejected[a.req.dep.ix()] += 1;
            self.rejected_since_change = true;
            let outcome = if a.req.dep == Dep::B && self.fallback {
                Outcome::Fallback
            } else {
                Outcome::Rejected
            };
            self.finish(id, outcome, now, span);
        }
    }

    /// Takes a thread for request `id` and makes its first call.
    fn start(&mut self, id: u64, now: u64, health: Health, due: &mut Vec<(u64, Due)>) {
        let Some(dep) = self.active.get(&id).map(|a| a.req.dep) else {
            return;
        };
        self.busy[dep.ix()] += 1;
        self.max_busy[dep.ix()] = self.max_busy[dep.ix()].max(self.busy[dep.ix()]);
        self.max_total = self.max_total.max(self.busy[0] + self.busy[1]);
        self.call(id, now, health, due);
    }

    /// Makes request `id`'s next call on the thread it holds.
    fn call(&mut self, id: u64, now: u64, health: Health, due: &mut Vec<(u64, Due)>) {
        let Some(a) = self.active.get(&id).copied() else {
            return;
        };
        let dep = a.req.dep;
        let base_us = a.req.lat_us[usize::from(a.attempt.min(2))];
        let latency = match (dep, health) {
            (Dep::A, _) | (Dep::B, Health::Up) => Some(base_us),
            (Dep::B, Health::Slow(f)) => Some(libm::round(base_us as f64 * f) as u64),
            (Dep::B, Health::Hung) => None,
        };
        let call = self.next_call;
        self.next_call += 1;
        self.calls_made[dep.ix()] += 1;
        self.calls.insert(
            call,
            Call {
                req: id,
                dep,
                attempt: a.attempt,
                base_us,
                abandoned_at: None,
            },
        );
        match latency {
            Some(l) => due.push((now + l.max(1), Due::Done(call))),
            None => self.hung.push(call),
        }
        if let (Dep::B, Some(t)) = (dep, self.timeout_us) {
            due.push((now + t, Due::Timeout(call)));
        }
    }

    /// A call is answered (or, abandoned, ends at B).
    pub fn done(
        &mut self,
        call: u64,
        now: u64,
        health: Health,
        span: u64,
        due: &mut Vec<(u64, Due)>,
    ) {
        let Some(c) = self.calls.remove(&call) else {
            return;
        };
        if let Some(at) = c.abandoned_at {
            self.wasted_us += now.saturating_sub(at);
            return;
        }
        self.finish(c.req, Outcome::Ok, now, span);
        self.release(c.dep, now, health, due);
    }

    /// A call's timeout fires: the caller abandons it, then retries or answers.
    pub fn timeout(
        &mut self,
        call: u64,
        now: u64,
        health: Health,
        span: u64,
        due: &mut Vec<(u64, Due)>,
    ) {
        let Some(c) = self.calls.get_mut(&call) else {
            return;
        };
        if c.abandoned_at.is_some() {
            return;
        }
        c.abandoned_at = Some(now);
        let c = *c;
        self.abandoned += 1;
        if c.attempt < self.retries {
            if let Some(a) = self.active.get_mut(&c.req) {
                a.attempt += 1;
            }
            self.call(c.req, now, health, due);
            return;
        }
        self.timed_out += 1;
        let outcome = if self.fallback {
            Outcome::Fallback
        } else {
            Outcome::TimedOut
        };
        self.finish(c.req, outcome, now, span);
        self.release(c.dep, now, health, due);
    }

    /// A waiting request's wait is over: rejected if it still has no thread. Returns the
    /// dependency of a request it rejected.
    pub fn wait_over(&mut self, id: u64, now: u64, span: u64) -> Option<Dep> {
        for q in &mut self.queues {
            if let Some(i) = q.iter().position(|&r| r == id) {
                q.remove(i);
                let dep = self.active.get(&id).map(|a| a.req.dep);
                self.reject(id, now, span);
                return dep;
            }
        }
        None
    }

    /// B recovers: the calls it had hung on answer after their healthy latency.
    pub fn recover(&mut self, now: u64, due: &mut Vec<(u64, Due)>) {
        for call in std::mem::take(&mut self.hung) {
            if let Some(c) = self.calls.get(&call) {
                due.push((now + c.base_us.max(1), Due::Done(call)));
            }
        }
    }

    /// A thread of `dep`'s pool is free: the oldest waiting request takes it.
    fn release(&mut self, dep: Dep, now: u64, health: Health, due: &mut Vec<(u64, Due)>) {
        self.busy[dep.ix()] -= 1;
        let p = self.pool(dep);
        if let Some(next) = self.queues[p].pop_front() {
            self.start(next, now, health, due);
        }
    }

    fn finish(&mut self, id: u64, outcome: Outcome, now: u64, span: u64) {
        let Some(a) = self.active.remove(&id) else {
            return;
        };
        let dep = a.req.dep;
        let t = now
            .saturating_sub(a.req.arrived_us)
            .min(u64::from(u32::MAX));
        self.times[dep.ix()].push(t as u32);
        let mark = match outcome {
            Outcome::Ok => {
                self.ok[dep.ix()] += 1;
                MarkKind::Ok
            }
            Outcome::Fallback => {
                self.fallbacks += 1;
                MarkKind::Delayed
            }
            Outcome::TimedOut => MarkKind::Failed,
            Outcome::Rejected => MarkKind::Rejected,
        };
        self.marks.push(now, mark, span);
    }

    /// The lane's invariants.
    pub fn validate(&self) -> Result<(), String> {
        let name = &self.label;
        for p in 0..2 {
            if self.caps[p] > 0 && self.held(p) > self.caps[p] {
                return Err(format!(
                    "{name}: pool {p} holds {} threads of {}",
                    self.held(p),
                    self.caps[p]
                ));
            }
        }
        for dep in [Dep::A, Dep::B] {
            let live = self
                .calls
                .values()
                .filter(|c| c.dep == dep && c.abandoned_at.is_none())
                .count() as u32;
            if live != self.busy[dep.ix()] {
                return Err(format!(
                    "{name}: {} threads held by {}'s calls, {live} calls in flight",
                    self.busy[dep.ix()],
                    dep.name()
                ));
            }
        }
        let requests = self.requests[0] + self.requests[1];
        if requests != self.answered() + self.active.len() as u64 {
            return Err(format!(
                "{name}: {requests} requests ≠ {} answered + {} in progress",
                self.answered(),
                self.active.len()
            ));
        }
        let answered = self.ok[0] + self.ok[1] + self.failed() + self.fallbacks;
        if answered != self.answered() {
            return Err(format!(
                "{name}: {answered} outcomes for {} answers",
                self.answered()
            ));
        }
        if self.fallbacks > 0 && !self.fallback {
            return Err(format!("{name}: a fallback with no fallback"));
        }
        if self.timeout_us.is_none() && (self.timed_out > 0 || self.abandoned > 0) {
            return Err(format!("{name}: a timeout in a lane without one"));
        }
        Ok(())
    }
}

/// The `q`-quantile of `times` by nearest rank, µs (`None` when empty).
pub fn quantile_us(times: &[u32], q: f64) -> Option<u64> {
    if times.is_empty() {
        return None;
    }
    let mut v = times.to_vec();
    v.sort_unstable();
    let rank = libm::ceil(q * v.len() as f64).max(1.0) as usize;
    Some(u64::from(v[rank.min(v.len()) - 1]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(dep: Dep, at: u64, lat: u64) -> Req {
        Req {
            dep,
            arrived_us: at,
            lat_us: [lat, lat, lat],
        }
    }

    #[test]
    fn a_shared_pool_full_of_hung_calls_rejects_the_other_dependency() {
        let mut l = Lane::new(LaneKind::Shared, "s".into(), 2, 1, 100, 0, false, 0);
        let mut due = Vec::new();
        l.arrive(0, req(Dep::B, 0, 10), Health::Hung, 1_000, &mut due);
        l.arrive(1, req(Dep::B, 1, 10), Health::Hung, 1_000, &mut due);
        l.arrive(2, req(Dep::A, 2, 10), Health::Hung, 1_000, &mut due);
        assert_eq!((l.busy, l.rejected), ([0, 2], [1, 0]));
        l.validate().unwrap();
    }

    #[test]
    fn a_bulkhead_keeps_a_thread_for_a() {
        let mut l = Lane::new(LaneKind::Bulkhead, "b".into(), 2, 1, 100, 0, false, 0);
        let mut due = Vec::new();
        l.arrive(0, req(Dep::B, 0, 10), Health::Hung, 1_000, &mut due);
        l.arrive(1, req(Dep::B, 1, 10), Health::Hung, 1_000, &mut due);
        l.arrive(2, req(Dep::A, 2, 10), Health::Hung, 1_000, &mut due);
        assert_eq!((l.busy, l.rejected), ([1, 1], [0, 1]));
        l.validate().unwrap();
    }

    #[test]
    fn a_timeout_frees_the_thread_and_counts_the_wasted_work() {
        let mut l = Lane::new(LaneKind::SharedTimeout, "t".into(), 2, 1, 100, 0, true, 0);
        let mut due = Vec::new();
        l.arrive(0, req(Dep::B, 0, 500), Health::Up, 1_000, &mut due);
        assert_eq!(due, vec![(500, Due::Done(0)), (100, Due::Timeout(0))]);
        l.timeout(0, 100, Health::Up, 1_000, &mut due);
        assert_eq!((l.busy, l.timed_out, l.fallbacks), ([0, 0], 1, 1));
        l.done(0, 500, Health::Up, 1_000, &mut due);
        assert_eq!(l.wasted_us, 400);
        assert_eq!(l.times[1], vec![100]);
        l.validate().unwrap();
    }

    #[test]
    fn nearest_rank_quantiles() {
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(quantile_us(&v, 0.99), Some(99));
        assert_eq!(quantile_us(&v, 0.5), Some(50));
        assert_eq!(quantile_us(&[], 0.5), None);
    }
}
