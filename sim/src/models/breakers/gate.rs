//! The breaker in the call path: a [`Balancer`] that wraps round robin and asks a
//! [`Breaker`] before every call, the place a client library's breaker sits (Resilience4j
//! decorates the call, gobreaker's `Execute` wraps it, Finagle's failure accrual is a module of the
//! client stack). A rejected call never reaches a server: the simulator ends it at once as "no
//! server available", which here means "failed fast". Every outcome is reported back to the
//! breaker with the call's duration, and every call is written to a shared list the model empties
//! after each advance (so the model's copies kept as checkpoints never see it non-empty).

use crate::requests::{
    BackendView, Balancer, Explanation, RequestInfo, Response, RoundRobin, ServerId,
};
use crate::resilience::breaker::{Breaker, Permit};
use crate::rng::SimRng;
use crate::time::SimTime;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One call, as the gate saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Sent to a server.
    Sent {
        /// When.
        at: SimTime,
    },
    /// Rejected by the breaker.
    Rejected {
        /// When.
        at: SimTime,
    },
    /// Its answer came back (or its timeout fired).
    Done {
        /// When.
        at: SimTime,
        /// Whether it succeeded.
        ok: bool,
        /// How long it took, µs.
        latency_us: u64,
    },
}

/// Round robin behind an optional breaker.
#[derive(Clone)]
pub struct Gate {
    inner: RoundRobin,
    breaker: Option<Breaker>,
    /// Permits of calls in flight, by (request, attempt).
    permits: BTreeMap<(u64, u32), Permit>,
    /// The breaker reads whole seconds since start-up.
    clock_seconds: bool,
    sink: Rc<RefCell<Vec<Call>>>,
}

impl Gate {
    /// A gate with `breaker` (or none) writing its calls to `sink`.
    pub fn new(
        breaker: Option<Breaker>,
        clock_seconds: bool,
        sink: Rc<RefCell<Vec<Call>>>,
    ) -> Gate {
        Gate {
            inner: RoundRobin::new(),
            breaker,
            permits: BTreeMap::new(),
            clock_seconds,
            sink,
        }
    }

    /// The breaker, if this lane has one.
    pub fn breaker(&self) -> Option<&Breaker> {
        self.breaker.as_ref()
    }

    /// Calls admitted whose result has not come back.
    pub fn in_flight(&self) -> usize {
        self.permits.len()
    }

    /// The time the breaker reads: exact, or whole seconds since start-up.
    pub fn clock(&self, now: SimTime) -> SimTime {
        if self.clock_seconds {
            SimTime::from_secs(now.as_us() / 1_000_000)
        } else {
            now
        }
    }
}

impl Balancer for Gate {
    fn name(&self) -> &str {
        "round robin behind a circuit breaker"
    }

    fn pick(
        &mut self,
        now: SimTime,
        request: &RequestInfo,
        servers: &[BackendView],
        rng: &mut SimRng,
    ) -> Option<ServerId> {
        let t = self.clock(now);
        if let Some(b) = self.breaker.as_mut() {
            match b.try_acquire(t) {
                Ok(permit) => {
                    self.permits.insert((request.id, request.attempt), permit);
                }
                Err(_) => {
                    self.sink.borrow_mut().push(Call::Rejected { at: now });
                    return None;
                }
            }
        }
        let chosen = self.inner.pick(now, request, servers, rng);
        if chosen.is_some() {
            self.sink.borrow_mut().push(Call::Sent { at: now });
        }
        chosen
    }

    fn on_response(&mut self, now: SimTime, response: &Response) {
        let t = self.clock(now);
        let key = (response.request.id, response.request.attempt);
        if let (Some(b), Some(permit)) = (self.breaker.as_mut(), self.permits.remove(&key)) {
            b.on_result(permit, t, !response.ok(), response.latency_us);
        }
        self.sink.borrow_mut().push(Call::Done {
            at: now,
            ok: response.ok(),
            latency_us: response.latency_us,
        });
        self.inner.on_response(now, response);
    }

    fn explain(&self, now: SimTime, request: &RequestInfo, servers: &[BackendView]) -> Explanation {
        self.inner.explain(now, request, servers)
    }
}
