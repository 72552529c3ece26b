//! The traffic-control family's frame: one lane per mechanism (a rate limiter, a breaker, a retry
//! strategy) fed the same requests, each a strip of the recent decisions over time with a gauge
//! of the mechanism's state beside it. Plain owned data (serde: frames cross the engine's wire),
//! holding at most [`MAX_MARKS`] marks per lane, so its size never grows with the run.

use crate::time::SimTime;
use serde::{Deserialize, Serialize};

/// Most marks a lane carries (the newest).
pub const MAX_MARKS: usize = 400;

/// What happened to one request in one lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkKind {
    /// Admitted, or succeeded.
    Ok = 0,
    /// Rejected (429), or failed fast.
    Rejected,
    /// Admitted after a wait (a leaky bucket's queue).
    Delayed,
    /// Failed downstream.
    Failed,
}

impl MarkKind {
    /// Its code in a packed mark (see [`LaneView::marks`]).
    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The kind a packed mark's low two bits name.
    pub const fn from_code(code: u64) -> MarkKind {
        match code & 3 {
            0 => MarkKind::Ok,
            1 => MarkKind::Rejected,
            2 => MarkKind::Delayed,
            _ => MarkKind::Failed,
        }
    }

    /// A mark of this kind at `t_us`, packed: `t_us << 2 | code`.
    pub const fn pack(self, t_us: u64) -> u64 {
        (t_us << 2) | self.code()
    }

    /// Its name in class names and test ids (`ok`, `rejected`).
    pub const fn name(self) -> &'static str {
        match self {
            MarkKind::Ok => "ok",
            MarkKind::Rejected => "rejected",
            MarkKind::Delayed => "delayed",
            MarkKind::Failed => "failed",
        }
    }
}

/// What the lanes diagram draws at one moment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LanesFrame {
    /// When.
    pub now: SimTime,
    /// How much history each strip shows, µs (the strip ends at `now`).
    pub span_us: u64,
    /// One line on the setup (`10 per 1 s, burst 10 · Poisson 15/s`).
    pub title: String,
    /// The offered stream's arrival times, µs, within the span (the top strip).
    pub arrivals: Vec<u64>,
    /// The lanes, top to bottom.
    pub lanes: Vec<LaneView>,
    /// What just happened, in words.
    pub note: String,
}

/// One mechanism's lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LaneView {
    /// Its id (`token-bucket`): test ids and a step's highlight.
    pub id: String,
    /// Its name (`Token bucket`).
    pub label: String,
    /// How full its gauge is, 0–1.
    pub fill: f64,
    /// The gauge in words (`7.3 of 10 tokens`).
    pub gauge: String,
    /// Its decisions within the span, oldest first, each packed as `time_us << 2 | kind`
    /// ([`MarkKind::pack`]): one number per mark on the engine's wire.
    pub marks: Vec<u64>,
    /// Boundaries drawn on its strip every `ticks_us` (a fixed window's), or 0 for none.
    pub ticks_us: u64,
    /// The trailing window it counts over, µs (shaded at the strip's end), or 0 for none.
    pub window_us: u64,
    /// Requests it admitted (or calls that succeeded).
    pub admitted: u64,
    /// Requests it rejected (or calls that failed).
    pub rejected: u64,
    /// One more total in words (`826 lost updates`), or empty.
    pub extra: String,
    /// The mechanism's state over time, for a breaker: each entry packed as
    /// `from_us << 2 | state` ([`BandState::pack`]), oldest first, each lasting until the next
    /// (the last until now); the first starts at or before the strip. Empty: no states to show.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub bands: Vec<u64>,
}

/// A breaker's state, as a band behind a lane's marks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum BandState {
    /// Calls flow (no band).
    Closed = 0,
    /// Calls are rejected.
    Open,
    /// Probes are let through.
    HalfOpen,
}

impl BandState {
    /// A band starting at `t_us`, packed: `t_us << 2 | code`.
    pub const fn pack(self, t_us: u64) -> u64 {
        (t_us << 2) | self as u64
    }

    /// The state a packed band's low two bits name.
    pub const fn from_code(code: u64) -> BandState {
        match code & 3 {
            1 => BandState::Open,
            2 => BandState::HalfOpen,
            _ => BandState::Closed,
        }
    }

    /// Its name in class names and test ids (`closed`, `open`, `half-open`).
    pub const fn name(self) -> &'static str {
        match self {
            BandState::Closed => "closed",
            BandState::Open => "open",
            BandState::HalfOpen => "half-open",
        }
    }
}

impl LaneView {
    /// The bands unpacked: (start µs, state).
    pub fn unpacked_bands(&self) -> impl Iterator<Item = (u64, BandState)> + '_ {
        self.bands
            .iter()
            .map(|&b| (b >> 2, BandState::from_code(b)))
    }

    /// The marks unpacked: (time µs, kind).
    pub fn unpacked(&self) -> impl Iterator<Item = (u64, MarkKind)> + '_ {
        self.marks.iter().map(|&m| (m >> 2, MarkKind::from_code(m)))
    }
}
