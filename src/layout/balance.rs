//! The load-balancing diagram's layout: the balancer on the left, the servers as cards on the
//! right, and where each request's dot is at a moment.
//!
//! All sizes are in the diagram's `viewBox`: [`VIEW_W`] wide ([`VIEW_W_FULL`] with full cards, so
//! their text reads at 10 px or more on a 360 px phone), its height depending only on
//! the number of servers (so the same pool always draws the same way, whatever the screen), and
//! stays within [`VIEW_H_MAX`] up to 120 servers: drawn at least ~400 px tall beside the step text
//! at 1280 × 800, a unit is then at least 1.07 px, so the smallest text (10 units) reads at 10.7 px.
//!
//! Three densities, by the number of servers:
//! - [`Density::Full`] (up to [`FULL_MAX`]): a card of three lines per server (name, weight and
//!   state; queue, worker slots and requests in flight; its counts);
//! - [`Density::Row`] (up to [`ROW_MAX`]): one line per server, every number in its column;
//! - [`Density::Compact`]: one short line per server in up to [`COLUMNS_MAX`] columns (name,
//!   queue, workers, requests in flight; the rest in the card's tooltip).
//!
//! A request's dot travels a straight link from the balancer's port to its server's entry, then
//! waits in that server's queue or sits in one of its worker slots; when it ends it stays at the
//! server for a moment (see [`place`]). The travel is drawn, not simulated (the model has no
//! network delay): it takes [`hop_us`] of simulated time, a quarter of the frame's typical
//! latency rounded down to 1, 2 or 5 times a power of ten, so that the dots move at a speed that
//! suits the run and only change pace when its latency changes by a factor.

use super::polar::Point;
use super::shards::Rect;
use sim::time::SimTime;

/// Width of the `viewBox` with one-line cards.
pub const VIEW_W: f64 = 360.0;
/// Width of the `viewBox` with full cards (up to [`FULL_MAX`] servers): narrower, so the same
/// screen draws each unit larger.
pub const VIEW_W_FULL: f64 = 300.0;
/// The tallest `viewBox` up to 120 servers (more servers make it taller, never overlap).
pub const VIEW_H_MAX: f64 = 372.0;
/// The shortest `viewBox` (one server still gets room round the balancer).
pub const VIEW_H_MIN: f64 = 96.0;
/// Distance kept from the `viewBox` edges.
pub const MARGIN: f64 = 6.0;
/// Left edge of the servers' cards.
pub const SERVERS_X: f64 = 92.0;
/// The balancer's box width and height.
pub const BALANCER_W: f64 = 58.0;
/// The balancer's box height.
pub const BALANCER_H: f64 = 40.0;
/// At most this many servers get a full card.
pub const FULL_MAX: u32 = 6;
/// At most this many servers get a one-line row of every number.
pub const ROW_MAX: u32 = 16;
/// Rows in one column of compact lines before another column starts.
pub const COMPACT_ROWS: u32 = 20;
/// The most columns of compact lines (more servers make the columns longer).
pub const COLUMNS_MAX: u32 = 6;
/// A full card's height and the gap between cards.
pub const FULL_H: f64 = 52.0;
/// The gap between full cards.
pub const FULL_GAP: f64 = 6.0;
/// A row's height (row and compact densities).
pub const ROW_H: f64 = 16.0;
/// The gap between rows.
pub const ROW_GAP: f64 = 2.0;
/// The gap between columns of compact lines.
pub const COLUMN_GAP: f64 = 6.0;
/// The font size of a server's name in a full card.
pub const NAME_FONT: f64 = 12.0;
/// The font size of every other text (the smallest in the diagram).
pub const TEXT_FONT: f64 = 10.0;

/// How much each server's card holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Density {
    /// Three lines per server.
    Full,
    /// One line per server, every number.
    Row,
    /// One short line per server, in columns.
    Compact,
}

impl Density {
    /// Its name, for a class (`full`, `row`, `compact`).
    pub fn name(self) -> &'static str {
        match self {
            Density::Full => "full",
            Density::Row => "row",
            Density::Compact => "compact",
        }
    }
}

/// Where the parts of one server's card go. Texts are given by their baseline's start
/// (`text-anchor: start`) or end (`…_end`: `text-anchor: end`) and the width they may take.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CardParts {
    /// The whole card.
    pub card: Rect,
    /// Where a request enters it (its left edge, level with the queue).
    pub entry: Point,
    /// The name's baseline start and the width it may take.
    pub name: (Point, f64),
    /// The state (and weight) text: baseline start and width (none in compact lines).
    pub state: Option<(Point, f64)>,
    /// The queue bar: queued requests' dots sit in it, the next to start at its right end.
    pub queue: Rect,
    /// The queue's length: baseline end (none in narrow compact lines).
    pub queue_num: Option<Point>,
    /// The worker slots (or, when they do not fit as squares, a meter).
    pub workers: Rect,
    /// Requests in flight: baseline end.
    pub in_flight: Point,
    /// The counts (served, dropped, timed out, errors): baseline start and width (none in
    /// compact lines).
    pub counts: Option<(Point, f64)>,
}

/// The diagram's layout for a number of servers.
#[derive(Clone, Debug, PartialEq)]
pub struct BalanceLayout {
    /// Servers.
    pub n: u32,
    /// How much each card holds.
    pub density: Density,
    /// Width of the `viewBox`.
    pub view_w: f64,
    /// Columns of cards.
    pub columns: u32,
    /// Cards per column (the last column may hold fewer).
    pub rows: u32,
    /// Height of the `viewBox`.
    pub view_h: f64,
    /// The balancer's box.
    pub balancer: Rect,
    /// Where requests leave the balancer (the middle of its right edge).
    pub port: Point,
    /// Each server's card, in the frame's order.
    pub cards: Vec<CardParts>,
}

/// The density for `n` servers.
pub fn density(n: u32) -> Density {
    match n {
        0..=FULL_MAX => Density::Full,
        _ if n <= ROW_MAX => Density::Row,
        _ => Density::Compact,
    }
}

impl BalanceLayout {
    /// The layout for `n` servers.
    pub fn new(n: u32) -> Self {
        let density = density(n);
        let (columns, rows, pitch, card_h) = match density {
            Density::Full => (1, n, FULL_H + FULL_GAP, FULL_H),
            Density::Row => (1, n, ROW_H + ROW_GAP, ROW_H),
            Density::Compact => {
                let columns = n.div_ceil(COMPACT_ROWS).clamp(1, COLUMNS_MAX);
                (columns, n.div_ceil(columns), ROW_H + ROW_GAP, ROW_H)
            }
        };
        let stack = f64::from(rows.max(1)) * pitch - (pitch - card_h);
        let view_h = (stack + 2.0 * MARGIN).max(VIEW_H_MIN);
        let top = (view_h - stack) / 2.0;
        let view_w = if density == Density::Full {
            VIEW_W_FULL
        } else {
            VIEW_W
        };
        let width = view_w - MARGIN - SERVERS_X;
        let col_w = (width - f64::from(columns - 1) * COLUMN_GAP) / f64::from(columns);
        let cards = (0..n)
            .map(|i| {
                let (col, row) = (i / rows.max(1), i % rows.max(1));
                let card = Rect {
                    x: SERVERS_X + f64::from(col) * (col_w + COLUMN_GAP),
                    y: top + f64::from(row) * pitch,
                    w: col_w,
                    h: card_h,
                };
                match density {
                    Density::Full => full_parts(card),
                    _ => line_parts(card),
                }
            })
            .collect();
        let mid = view_h / 2.0;
        BalanceLayout {
            n,
            density,
            view_w,
            columns,
            rows,
            view_h,
            balancer: Rect {
                x: MARGIN,
                y: mid - BALANCER_H / 2.0,
                w: BALANCER_W,
                h: BALANCER_H,
            },
            port: Point {
                x: MARGIN + BALANCER_W,
                y: mid,
            },
            cards,
        }
    }

    /// Whether each server gets a drawn link from the balancer (not in columns: links to the
    /// far columns would cross the near ones' cards).
    pub fn links(&self) -> bool {
        self.columns == 1
    }
}

/// A full card: name and state on the first line; queue, worker slots and requests in flight
/// on the second; counts on the third.
fn full_parts(card: Rect) -> CardParts {
    let (x, y, w) = (card.x, card.y, card.w);
    let pad = 8.0;
    let line2 = y + 22.0;
    let queue = Rect {
        x: x + pad,
        y: line2,
        w: 62.0,
        h: 11.0,
    };
    let workers = Rect {
        x: x + pad + 88.0,
        y: line2,
        w: 76.0,
        h: 11.0,
    };
    CardParts {
        card,
        entry: Point {
            x,
            y: line2 + queue.h / 2.0,
        },
        name: (
            Point {
                x: x + pad,
                y: y + 15.0,
            },
            64.0,
        ),
        state: Some((
            Point {
                x: x + pad + 70.0,
                y: y + 15.0,
            },
            w - 2.0 * pad - 70.0,
        )),
        queue,
        queue_num: Some(Point {
            x: x + pad + 83.0,
            y: line2 + 9.0,
        }),
        workers,
        in_flight: Point {
            x: x + w - pad,
            y: line2 + 9.0,
        },
        counts: Some((
            Point {
                x: x + pad,
                y: y + 45.0,
            },
            w - 2.0 * pad,
        )),
    }
}

/// A one-line card: name, queue bar and length, worker slots, requests in flight, then (when
/// wide enough) the state and the counts.
fn line_parts(card: Rect) -> CardParts {
    let (x, y, w) = (card.x, card.y, card.w);
    let pad = 3.0;
    let gap = 3.0;
    let base = y + card.h / 2.0 + TEXT_FONT * 0.35;
    let wide = w >= 240.0;
    let name_w = (w * 0.16).clamp(14.0, 30.0);
    let num_w = if w >= 110.0 { 18.0 } else { 0.0 };
    let in_w = if w >= 60.0 { 16.0 } else { 0.0 };
    let (state_w, counts_w) = if wide { (60.0, 46.0) } else { (0.0, 0.0) };
    let used = 2.0 * pad + name_w + num_w + in_w + state_w + counts_w;
    let parts = [num_w, in_w, state_w, counts_w]
        .iter()
        .filter(|p| **p > 0.0)
        .count() as f64;
    let free = (w - used - gap * (2.0 + parts)).max(8.0);
    let bar_h = 9.0;
    let bar_y = y + (card.h - bar_h) / 2.0;
    let mut at = x + pad + name_w + gap;
    let queue = Rect {
        x: at,
        y: bar_y,
        w: free * 0.45,
        h: bar_h,
    };
    at += queue.w + gap;
    let queue_num = (num_w > 0.0).then_some(Point {
        x: at + num_w - gap,
        y: base,
    });
    at += num_w;
    let workers = Rect {
        x: at,
        y: bar_y,
        w: free * 0.55,
        h: bar_h,
    };
    at += workers.w + gap;
    let in_flight = Point {
        x: (at + in_w).min(x + w - pad),
        y: base,
    };
    at += in_w + gap;
    let state = wide.then_some((
        Point {
            x: at + 2.0,
            y: base,
        },
        state_w - 2.0,
    ));
    at += state_w + gap;
    let counts = wide.then_some((Point { x: at, y: base }, counts_w));
    CardParts {
        card,
        entry: Point {
            x,
            y: y + card.h / 2.0,
        },
        name: (
            Point {
                x: x + pad,
                y: base,
            },
            name_w,
        ),
        state,
        queue,
        queue_num,
        workers,
        in_flight,
        counts,
    }
}

/// How worker slots are drawn in their box.
#[derive(Clone, Debug, PartialEq)]
pub enum Slots {
    /// One square per worker, left to right.
    Squares(Vec<Rect>),
    /// Too many to draw one by one: a meter whose fill is busy over workers.
    Meter(Rect),
}

/// The smallest worker square drawn; with more workers than fit at this size, a meter.
pub const SLOT_MIN: f64 = 5.0;

/// The worker slots of `workers` workers in `area`.
pub fn slots(area: Rect, workers: u32) -> Slots {
    let gap = 2.0;
    let n = f64::from(workers.max(1));
    let side = ((area.w + gap) / n - gap).min(area.h);
    if side < SLOT_MIN {
        return Slots::Meter(area);
    }
    Slots::Squares(
        (0..workers)
            .map(|i| Rect {
                x: area.x + f64::from(i) * (side + gap),
                y: area.y + (area.h - side) / 2.0,
                w: side,
                h: side,
            })
            .collect(),
    )
}

impl Slots {
    /// The centre of worker `k`'s place (clamped to the last worker).
    pub fn centre(&self, k: u32, workers: u32) -> Point {
        match self {
            Slots::Squares(r) if !r.is_empty() => r[(k as usize).min(r.len() - 1)].centre(),
            Slots::Squares(_) => Point { x: 0.0, y: 0.0 },
            Slots::Meter(m) => {
                let n = f64::from(workers.max(1));
                let k = f64::from(k.min(workers.saturating_sub(1)));
                Point {
                    x: m.x + (k + 0.5) * m.w / n,
                    y: m.y + m.h / 2.0,
                }
            }
        }
    }
}

/// The scale of a queue bar: the smallest power of two, at least 4, that holds `max_queue` (so a
/// bar's length compares servers and changes scale only when the longest queue doubles).
pub fn queue_scale(max_queue: u32) -> u32 {
    max_queue.max(4).next_power_of_two()
}

/// How long a request's dot takes from the balancer to its server, in simulated µs: a quarter
/// of the median time from sending to ending among `latencies_us`, rounded down to 1, 2 or 5
/// times a power of ten, within 100 µs … 500 ms; 2 ms when there is none yet.
pub fn hop_us(latencies_us: &mut [u64]) -> u64 {
    if latencies_us.is_empty() {
        return 2_000;
    }
    latencies_us.sort_unstable();
    let median = latencies_us[latencies_us.len() / 2];
    let quarter = (median / 4).clamp(100, 500_000);
    let mut pow = 1;
    while pow * 10 <= quarter {
        pow *= 10;
    }
    [5, 2, 1]
        .into_iter()
        .map(|m| m * pow)
        .find(|v| *v <= quarter)
        .unwrap_or(pow)
}

/// Where a request is, in the diagram's terms.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// On its way to its server: `0` just sent, `1` arriving.
    Travelling(f64),
    /// Waiting in its server's queue, `0` the next to start.
    Queued(u32),
    /// In service in worker slot `k` of its server.
    InService(u32),
    /// Ended at its server `age_us` ago.
    Ended {
        /// Since it ended (or since its dot arrived, if later).
        age_us: u64,
    },
    /// At the balancer: waiting to retry, or no server was available.
    AtBalancer,
}

/// What [`phase`] reads of a request.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RequestTimes {
    /// When its latest attempt was sent.
    pub sent: SimTime,
    /// When it ended, if it has.
    pub end: Option<SimTime>,
    /// Whether it has a server.
    pub has_server: bool,
    /// Whether it waits to retry.
    pub retrying: bool,
    /// Whether a worker holds it.
    pub in_service: bool,
}

/// The phase of a request at `now`, given its rank among its server's queued (or in-service)
/// requests, and the [`hop_us`] of the frame. With `reduced_motion` nothing travels: a request
/// is where it is going.
pub fn phase(r: RequestTimes, rank: u32, now: SimTime, hop: u64, reduced_motion: bool) -> Phase {
    if !r.has_server || r.retrying {
        return Phase::AtBalancer;
    }
    let age = now.as_us().saturating_sub(r.sent.as_us());
    let hop = if reduced_motion { 0 } else { hop.max(1) };
    if age < hop {
        return Phase::Travelling(age as f64 / hop as f64);
    }
    if let Some(end) = r.end.filter(|e| *e <= now) {
        let arrived = end.as_us().max(r.sent.as_us() + hop);
        return Phase::Ended {
            age_us: now.as_us().saturating_sub(arrived),
        };
    }
    if r.in_service {
        Phase::InService(rank)
    } else {
        Phase::Queued(rank)
    }
}

/// How long an ended request stays drawn, in hops: a served one briefly, a failed one long
/// enough to be seen.
pub fn linger_hops(failed: bool) -> u64 {
    if failed {
        12
    } else {
        3
    }
}

/// The point between `a` and `b` at `t` (0 at `a`, 1 at `b`).
pub fn lerp(a: Point, b: Point, t: f64) -> Point {
    let t = t.clamp(0.0, 1.0);
    Point {
        x: a.x + (b.x - a.x) * t,
        y: a.y + (b.y - a.y) * t,
    }
}

/// A dot's radius at this density.
pub fn dot_r(density: Density) -> f64 {
    match density {
        Density::Full => 3.5,
        Density::Row => 3.0,
        Density::Compact => 2.5,
    }
}

impl BalanceLayout {
    /// Where a request in `phase` on server `i` (with `workers` workers) is drawn; `failed`
    /// for an ended request that did not succeed (drawn at the card's entry, where it was
    /// refused; a served one at its worker slots' right end). `None` for a server the layout
    /// does not have.
    pub fn place(&self, i: Option<u32>, phase: Phase, workers: u32, failed: bool) -> Option<Point> {
        let at_balancer = Point {
            x: self.port.x - 10.0,
            y: self.port.y + 9.0,
        };
        if phase == Phase::AtBalancer {
            return Some(at_balancer);
        }
        let c = self.cards.get(i? as usize)?;
        let r = dot_r(self.density);
        Some(match phase {
            Phase::AtBalancer => at_balancer,
            Phase::Travelling(t) => lerp(self.port, c.entry, t),
            Phase::Queued(k) => {
                let pitch = 2.0 * r + 1.0;
                let x = c.queue.x + c.queue.w - r - f64::from(k) * pitch;
                Point {
                    x: x.max(c.queue.x + r),
                    y: c.queue.y + c.queue.h / 2.0,
                }
            }
            Phase::InService(k) => slots(c.workers, workers).centre(k, workers),
            Phase::Ended { .. } if failed => Point {
                x: c.entry.x + r + 1.0,
                y: c.entry.y,
            },
            Phase::Ended { .. } => Point {
                x: c.workers.x + c.workers.w + r + 1.0,
                y: c.workers.y + c.workers.h / 2.0,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn overlaps(a: &Rect, b: &Rect) -> bool {
        a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
    }

    fn inside(outer: &Rect, inner: &Rect) -> bool {
        inner.x >= outer.x - 1e-9
            && inner.y >= outer.y - 1e-9
            && inner.x + inner.w <= outer.x + outer.w + 1e-9
            && inner.y + inner.h <= outer.y + outer.h + 1e-9
    }

    const COUNTS: [u32; 8] = [1, 3, 6, 7, 10, 16, 17, 50];

    #[test]
    fn cards_never_overlap_and_stay_in_the_view() {
        for n in COUNTS.into_iter().chain([120, 200]) {
            let l = BalanceLayout::new(n);
            let view = Rect {
                x: 0.0,
                y: 0.0,
                w: l.view_w,
                h: l.view_h,
            };
            assert_eq!(l.cards.len(), n as usize);
            for (i, a) in l.cards.iter().enumerate() {
                assert!(inside(&view, &a.card), "n = {n}: card {i} leaves the view");
                assert!(
                    !overlaps(&a.card, &l.balancer),
                    "n = {n}: card {i} covers the balancer"
                );
                for (j, b) in l.cards.iter().enumerate().skip(i + 1) {
                    assert!(
                        !overlaps(&a.card, &b.card),
                        "n = {n}: cards {i} and {j} overlap"
                    );
                }
            }
        }
    }

    #[test]
    fn the_view_stays_short_enough_to_read_up_to_120_servers() {
        for n in [1, 3, 6, 10, 16, 50, 120] {
            let h = BalanceLayout::new(n).view_h;
            assert!(h <= VIEW_H_MAX, "n = {n}: {h} units tall");
            assert!(h >= VIEW_H_MIN);
        }
    }

    #[test]
    fn density_follows_the_number_of_servers() {
        assert_eq!(BalanceLayout::new(3).density, Density::Full);
        assert_eq!(BalanceLayout::new(10).density, Density::Row);
        let l = BalanceLayout::new(50);
        assert_eq!(l.density, Density::Compact);
        assert_eq!((l.columns, l.rows), (3, 17), "50 servers: 3 columns of 17");
        assert!(!l.links(), "no links across columns");
        assert!(BalanceLayout::new(10).links());
    }

    /// Every part of a card sits inside it, and the parts of a line do not overlap one another.
    #[test]
    fn a_cards_parts_stay_inside_it_without_overlapping() {
        for n in COUNTS {
            let l = BalanceLayout::new(n);
            for c in &l.cards {
                let mut spans: Vec<(f64, f64, &str)> = Vec::new();
                assert!(inside(&c.card, &c.queue), "n = {n}: queue");
                assert!(inside(&c.card, &c.workers), "n = {n}: workers");
                assert!(c.in_flight.x <= c.card.x + c.card.w, "n = {n}: in flight");
                let (name, name_w) = c.name;
                assert!(name.x + name_w <= c.card.x + c.card.w);
                if let Some((p, w)) = c.counts {
                    assert!(p.x + w <= c.card.x + c.card.w + 1e-9, "n = {n}: counts");
                }
                if let Some((p, w)) = c.state {
                    assert!(p.x + w <= c.card.x + c.card.w + 1e-9, "n = {n}: state");
                }
                if l.density != Density::Full {
                    // One line: left to right without overlap.
                    spans.push((name.x, name.x + name_w, "name"));
                    spans.push((c.queue.x, c.queue.x + c.queue.w, "queue"));
                    spans.push((c.workers.x, c.workers.x + c.workers.w, "workers"));
                    if let Some((p, w)) = c.state {
                        spans.push((p.x, p.x + w, "state"));
                    }
                    if let Some((p, w)) = c.counts {
                        spans.push((p.x, p.x + w, "counts"));
                    }
                    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
                    for w in spans.windows(2) {
                        assert!(
                            w[0].1 <= w[1].0 + 1e-9,
                            "n = {n}: {} overlaps {}",
                            w[0].2,
                            w[1].2
                        );
                    }
                    if let Some(q) = c.queue_num {
                        assert!(
                            q.x <= c.workers.x,
                            "n = {n}: the queue length before the workers"
                        );
                    }
                    assert!(
                        c.in_flight.x > c.workers.x + c.workers.w,
                        "n = {n}: in flight after the workers"
                    );
                }
            }
        }
    }

    #[test]
    fn worker_slots_are_squares_while_they_fit_then_a_meter() {
        let area = Rect {
            x: 0.0,
            y: 0.0,
            w: 84.0,
            h: 11.0,
        };
        match slots(area, 4) {
            Slots::Squares(r) => {
                assert_eq!(r.len(), 4);
                assert!(r.iter().all(|s| inside(&area, s)));
                assert!(r.windows(2).all(|w| !overlaps(&w[0], &w[1])));
            }
            Slots::Meter(_) => panic!("4 workers fit as squares"),
        }
        assert!(matches!(slots(area, 100), Slots::Meter(_)));
        let meter = slots(area, 100);
        let first = meter.centre(0, 100);
        let last = meter.centre(99, 100);
        assert!(first.x < last.x && area.contains(first) && area.contains(last));
    }

    #[test]
    fn queue_bars_share_a_scale_that_doubles() {
        assert_eq!(queue_scale(0), 4);
        assert_eq!(queue_scale(4), 4);
        assert_eq!(queue_scale(5), 8);
        assert_eq!(queue_scale(100), 128);
    }

    #[test]
    fn the_hop_is_a_round_quarter_of_the_median_latency() {
        assert_eq!(hop_us(&mut []), 2_000, "nothing ended yet");
        assert_eq!(
            hop_us(&mut [40_000, 8_000, 12_000]),
            2_000,
            "median 12 ms → 3 → 2 ms"
        );
        assert_eq!(hop_us(&mut [100_000]), 20_000, "25 ms → 20 ms");
        assert_eq!(hop_us(&mut [4_000_000]), 500_000, "at most 500 ms");
        assert_eq!(hop_us(&mut [10]), 100, "at least 100 µs");
    }

    fn times(sent_us: u64, end_us: Option<u64>) -> RequestTimes {
        RequestTimes {
            sent: SimTime::from_us(sent_us),
            end: end_us.map(SimTime::from_us),
            has_server: true,
            retrying: false,
            in_service: false,
        }
    }

    #[test]
    fn a_request_travels_then_waits_then_ends_at_its_server() {
        let t = |us| SimTime::from_us(us);
        let r = times(1_000, None);
        assert_eq!(phase(r, 0, t(1_000), 2_000, false), Phase::Travelling(0.0));
        assert_eq!(phase(r, 0, t(2_000), 2_000, false), Phase::Travelling(0.5));
        assert_eq!(phase(r, 2, t(3_000), 2_000, false), Phase::Queued(2));
        let busy = RequestTimes {
            in_service: true,
            ..r
        };
        assert_eq!(phase(busy, 1, t(3_000), 2_000, false), Phase::InService(1));
        // Dropped at once: its dot still arrives first, then shows where it ended.
        let dropped = times(1_000, Some(1_000));
        assert_eq!(
            phase(dropped, 0, t(2_000), 2_000, false),
            Phase::Travelling(0.5)
        );
        assert_eq!(
            phase(dropped, 0, t(3_500), 2_000, false),
            Phase::Ended { age_us: 500 }
        );
        let served = times(1_000, Some(9_000));
        assert_eq!(
            phase(served, 0, t(9_000), 2_000, false),
            Phase::Ended { age_us: 0 }
        );
        assert_eq!(
            phase(served, 0, t(8_999), 2_000, false),
            Phase::Queued(0),
            "an end still to come is not shown"
        );
    }

    #[test]
    fn with_reduced_motion_nothing_travels() {
        let r = times(1_000, None);
        assert_eq!(
            phase(r, 0, SimTime::from_us(1_000), 2_000, true),
            Phase::Queued(0)
        );
    }

    #[test]
    fn retries_and_requests_without_a_server_wait_at_the_balancer() {
        let mut r = times(0, Some(0));
        r.has_server = false;
        assert_eq!(
            phase(r, 0, SimTime::from_us(5), 10, false),
            Phase::AtBalancer
        );
        let mut r = times(0, None);
        r.retrying = true;
        assert_eq!(
            phase(r, 0, SimTime::from_us(5), 10, false),
            Phase::AtBalancer
        );
    }

    /// Whether `p` lies on the segment from `a` to `b`.
    fn on_segment(p: Point, a: Point, b: Point) -> bool {
        let cross = (b.x - a.x) * (p.y - a.y) - (b.y - a.y) * (p.x - a.x);
        let within = p.x >= a.x.min(b.x) - 1e-9
            && p.x <= a.x.max(b.x) + 1e-9
            && p.y >= a.y.min(b.y) - 1e-9
            && p.y <= a.y.max(b.y) + 1e-9;
        cross.abs() < 1e-6 && within
    }

    #[test]
    fn travelling_dots_stay_on_their_link() {
        for n in [1, 3, 10, 50] {
            let l = BalanceLayout::new(n);
            for i in 0..n {
                let entry = l.cards[i as usize].entry;
                assert!(
                    (entry.x - l.cards[i as usize].card.x).abs() < 1e-9,
                    "entry on the left edge"
                );
                for step in 0..=10 {
                    let t = f64::from(step) / 10.0;
                    let p = l.place(Some(i), Phase::Travelling(t), 1, false).unwrap();
                    assert!(on_segment(p, l.port, entry), "n = {n}, server {i}, t = {t}");
                }
                let start = l.place(Some(i), Phase::Travelling(0.0), 1, false).unwrap();
                let end = l.place(Some(i), Phase::Travelling(1.0), 1, false).unwrap();
                assert_eq!((start, end), (l.port, entry));
            }
        }
    }

    #[test]
    fn waiting_serving_and_ended_requests_are_at_their_server() {
        for n in [1, 3, 10, 50] {
            let l = BalanceLayout::new(n);
            for i in 0..n {
                let card = l.cards[i as usize].card.inflate(0.5);
                for (phase, failed) in [
                    (Phase::Queued(0), false),
                    (Phase::Queued(40), false),
                    (Phase::InService(0), false),
                    (Phase::InService(3), false),
                    (Phase::Ended { age_us: 0 }, false),
                    (Phase::Ended { age_us: 0 }, true),
                ] {
                    let p = l.place(Some(i), phase, 4, failed).unwrap();
                    assert!(card.contains(p), "n = {n}, server {i}, {phase:?} at {p:?}");
                }
            }
        }
    }

    #[test]
    fn queued_dots_line_up_from_the_workers_back() {
        let l = BalanceLayout::new(3);
        let a = l.place(Some(0), Phase::Queued(0), 1, false).unwrap();
        let b = l.place(Some(0), Phase::Queued(1), 1, false).unwrap();
        assert!(a.x > b.x, "the next to start is nearest the workers");
        assert!(a.x < l.cards[0].workers.x);
    }

    #[test]
    fn an_unknown_server_has_no_place() {
        let l = BalanceLayout::new(3);
        assert_eq!(l.place(Some(7), Phase::Queued(0), 1, false), None);
        assert_eq!(l.place(None, Phase::Queued(0), 1, false), None);
        assert!(l.place(None, Phase::AtBalancer, 1, false).is_some());
    }
}
