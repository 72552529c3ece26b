//! The offered stream: Poisson arrivals at a rate that a spike can change, each request with an
//! exponentially distributed amount of work and a criticality. It draws from its own random
//! stream, a fixed number of draws per request, so every lane's copy yields the same requests
//! whatever the lane does with them.

use crate::rng::SimRng;
use crate::workload::poisson_gap_us;

/// One request as the clients send it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Request {
    /// Its number, from 1 in arrival order.
    pub id: u64,
    /// When it arrives, µs.
    pub at_us: u64,
    /// The work it needs from one worker, µs (at least 1).
    pub cost_us: u64,
    /// Critical (else sheddable).
    pub critical: bool,
}

/// The offered stream.
#[derive(Clone, Debug)]
pub struct Workload {
    rng: SimRng,
    rate_per_s: f64,
    mean_cost_us: f64,
    critical_share: f64,
    end_us: u64,
    next: Option<Request>,
    sent: u64,
}

impl Workload {
    /// A stream of `rate_per_s` requests a second from time zero until `end_us`.
    pub fn new(
        seed: u64,
        rate_per_s: f64,
        mean_cost_us: f64,
        critical_share: f64,
        end_us: u64,
    ) -> Workload {
        let mut w = Workload {
            rng: SimRng::stream(seed, "shedding-requests"),
            rate_per_s,
            mean_cost_us,
            critical_share,
            end_us,
            next: None,
            sent: 0,
        };
        w.draw_from(0);
        w
    }

    fn draw_from(&mut self, from_us: u64) {
        // Three draws per request, always, so that the streams of every lane stay in step.
        let gap = poisson_gap_us(&mut self.rng, self.rate_per_s);
        let u = 1.0 - self.rng.unit_f64();
        let critical = self.rng.chance(self.critical_share);
        let cost_us = (-libm::log(u) * self.mean_cost_us).max(1.0) as u64;
        self.next = gap
            .map(|g| from_us + g)
            .filter(|&at| at < self.end_us)
            .map(|at_us| Request {
                id: self.sent + 1,
                at_us,
                cost_us,
                critical,
            });
    }

    /// When the next request arrives, µs.
    pub fn peek_us(&self) -> Option<u64> {
        self.next.map(|r| r.at_us)
    }

    /// The next request, and draws the one after it.
    pub fn take(&mut self) -> Option<Request> {
        let r = self.next.take()?;
        self.sent += 1;
        self.draw_from(r.at_us);
        Some(r)
    }

    /// The rate from `now_us` on: the pending arrival is drawn again (a Poisson stream has no
    /// memory, so redrawing from now is exact).
    pub fn set_rate(&mut self, now_us: u64, rate_per_s: f64) {
        self.rate_per_s = rate_per_s;
        self.draw_from(now_us);
    }
}
