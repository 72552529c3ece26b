//! The traffic-control family's frame: one lane per mechanism (a rate limiter, a breaker, a retry
//! strategy) fed the same requests, each a strip of the recent decisions over time with a gauge
//! of the mechanism's state beside it. Plain owned data (serde: frames cross the engine's wire),
//! holding at most [`MAX_MARKS`] marks per lane, so its size never grows with the run.

use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// Most marks a lane carries (the newest).
pub const MAX_MARKS: usize = 400;

/// Columns a strip's span is cut into for its marks: at most one mark of each kind per column
/// (a column is under 2 px of a strip on a wide screen, so nothing visible is lost).
pub const COLUMNS: u64 = 200;

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
    /// The top strip's name (`None`: "Requests offered"; empty: no top strip, for a model whose
    /// work does not arrive as a stream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offered: Option<String>,
    /// What a lane's two totals count (`None`: "admitted" and "rejected"), for their tooltips.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub counts: Option<(String, String)>,
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

/// A lane's recent marks, or the offered stream's arrivals, oldest first: at most
/// [`MAX_MARKS`], none more than a span older than the newest. A model keeps one per lane and
/// reads the part a frame shows with [`Recent::packed`] or [`Recent::times`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recent(VecDeque<(u64, MarkKind)>);

impl Recent {
    /// Adds a mark at `t_us` (not before the last one) and forgets what falls out. A mark of a
    /// kind already drawn in the same [`COLUMNS`]th of the span is left out: it would be drawn on
    /// top of the other, and a busy stream would otherwise use up [`MAX_MARKS`] in a fraction
    /// of the strip and leave the rest of it empty.
    pub fn push(&mut self, t_us: u64, kind: MarkKind, span_us: u64) {
        let column = (span_us / COLUMNS).max(1);
        let here = t_us / column;
        let drawn = self
            .0
            .iter()
            .rev()
            .take_while(|&&(m, _)| m / column == here)
            .any(|&(_, k)| k == kind);
        if drawn {
            return;
        }
        self.0.push_back((t_us, kind));
        while self
            .0
            .front()
            .is_some_and(|&(m, _)| m + span_us < t_us || self.0.len() > MAX_MARKS)
        {
            self.0.pop_front();
        }
    }

    fn within(&self, since: u64, now: u64) -> impl Iterator<Item = &(u64, MarkKind)> + '_ {
        self.0.iter().filter(move |(m, _)| *m >= since && *m <= now)
    }

    /// The marks from `since` to `now`, packed for [`LaneView::marks`].
    pub fn packed(&self, since: u64, now: u64) -> Vec<u64> {
        self.within(since, now).map(|&(m, k)| k.pack(m)).collect()
    }

    /// The marks' times from `since` to `now`, for [`LanesFrame::arrivals`].
    pub fn times(&self, since: u64, now: u64) -> Vec<u64> {
        self.within(since, now).map(|&(m, _)| m).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recent_keeps_one_mark_of_a_kind_per_column_so_a_busy_stream_fills_its_strip() {
        // 1,000 marks a second over a 10 s span: 50 ms columns.
        let span = 10_000_000;
        let mut r = Recent::default();
        for i in 0..20_000u64 {
            let kind = if i % 3 == 0 {
                MarkKind::Rejected
            } else {
                MarkKind::Ok
            };
            r.push(i * 1_000, kind, span);
        }
        let now = 19_999_000;
        let marks = r.packed(now - span, now);
        // Two kinds in each of the span's 200 columns (the oldest one partly).
        assert!(
            marks.len() <= 2 * 201 && marks.len() >= 2 * 199,
            "{}",
            marks.len()
        );
        // The strip is drawn from end to end, not only its newest part.
        assert!(r.times(0, now)[0] <= now - span + 50_000);
        for kind in [MarkKind::Ok, MarkKind::Rejected] {
            let cols: Vec<u64> = marks
                .iter()
                .filter(|&&m| MarkKind::from_code(m) == kind)
                .map(|&m| (m >> 2) / 50_000)
                .collect();
            let mut distinct = cols.clone();
            distinct.dedup();
            assert_eq!(cols, distinct, "one {kind:?} mark per column");
        }
    }

    #[test]
    fn recent_keeps_a_span_and_at_most_max_marks() {
        let mut r = Recent::default();
        for t in 0..10 {
            r.push(t * 1_000, MarkKind::Ok, 4_000);
        }
        // 5–9 ms are within 4 ms of the newest (9 ms).
        assert_eq!(r.times(0, 9_000), vec![5_000, 6_000, 7_000, 8_000, 9_000]);
        assert_eq!(r.packed(8_000, 8_500), vec![MarkKind::Ok.pack(8_000)]);
        // Four kinds a column (5 ms columns of a 1 s span) reach the cap within the span.
        for t in 0..(MAX_MARKS as u64 + 50) {
            r.push(
                10_000_000 + t / 4 * 5_000,
                MarkKind::from_code(t),
                1_000_000,
            );
        }
        assert_eq!(r.times(0, u64::MAX).len(), MAX_MARKS);
    }
}
