//! Polar geometry for ring diagrams.
//!
//! Conventions, matching "degrees on the ring" in the lessons: an angle is in degrees, 0° is
//! 12 o'clock, and angles grow **clockwise** on screen (SVG's y axis points down, so a clockwise
//! turn is SVG's positive sweep). A ring [`Position`] `p` of the 2^32-position ring sits at
//! `p / 2^32 × 360°`, so 0 is the top, 2^30 the right, 2^31 the bottom.

use sim::hashing::ring::{position_to_degrees, Position, RING_SIZE};
use std::fmt::Write;

/// Angles closer than this (in degrees) are treated as equal.
const EPS_DEG: f64 = 1e-9;

/// The angle of ring position `p`, in degrees clockwise from 12 o'clock, in `[0, 360)`.
pub fn angle_of(p: Position) -> f64 {
    position_to_degrees(p)
}

/// How far, in degrees, a clockwise walk goes from angle `from` to angle `to`: in `[0, 360)`.
pub fn clockwise_span(from: f64, to: f64) -> f64 {
    let span = (to - from).rem_euclid(360.0);
    // rem_euclid can round up to exactly 360 for a tiny negative difference.
    if span >= 360.0 {
        0.0
    } else {
        span
    }
}

/// A point in SVG user units.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    /// Rightwards.
    pub x: f64,
    /// Downwards.
    pub y: f64,
}

/// A circle in SVG user units, on which angles are measured clockwise from the top.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Circle {
    /// Centre, x.
    pub cx: f64,
    /// Centre, y.
    pub cy: f64,
    /// Radius.
    pub r: f64,
}

impl Circle {
    /// A circle centred at `(cx, cy)` with radius `r`.
    pub const fn new(cx: f64, cy: f64, r: f64) -> Self {
        Circle { cx, cy, r }
    }

    /// The same centre with radius `r`.
    pub const fn with_radius(&self, r: f64) -> Self {
        Circle {
            cx: self.cx,
            cy: self.cy,
            r,
        }
    }

    /// The point at `deg` degrees clockwise from the top.
    pub fn point_at(&self, deg: f64) -> Point {
        let rad = deg.to_radians();
        Point {
            x: self.cx + self.r * rad.sin(),
            y: self.cy - self.r * rad.cos(),
        }
    }

    /// The point of ring position `p`.
    pub fn point_of(&self, p: Position) -> Point {
        self.point_at(angle_of(p))
    }

    /// The point a fraction `t` (clamped to `[0, 1]`) of the way along the clockwise arc from
    /// angle `from` to angle `to`; for something travelling round the ring.
    pub fn point_between(&self, from: f64, to: f64, t: f64) -> Point {
        self.point_at(from + clockwise_span(from, to) * t.clamp(0.0, 1.0))
    }

    /// An SVG path `d` for the clockwise arc starting at angle `start` and running `span`
    /// degrees. A span of 360° or more is the full circle (drawn as two half-circles, since a
    /// single SVG arc cannot end where it starts); a span of (about) zero is the empty path.
    pub fn arc_path(&self, start: f64, span: f64) -> String {
        let mut d = String::new();
        self.push_arc(&mut d, start, span);
        d
    }

    /// Appends the arc of [`Circle::arc_path`] to `d` as a new subpath, so that many arcs can share
    /// one `<path>` element.
    pub fn push_arc(&self, d: &mut String, start: f64, span: f64) {
        if span <= EPS_DEG {
            return;
        }
        let r = self.r;
        let p0 = self.point_at(start);
        if span >= 360.0 - EPS_DEG {
            let p1 = self.point_at(start + 180.0);
            let _ = write!(
                d,
                "M{} {}A{r2} {r2} 0 1 1 {} {}A{r2} {r2} 0 1 1 {} {}",
                num(p0.x),
                num(p0.y),
                num(p1.x),
                num(p1.y),
                num(p0.x),
                num(p0.y),
                r2 = num(r)
            );
            return;
        }
        let p1 = self.point_at(start + span);
        let large = if span > 180.0 { 1 } else { 0 };
        let _ = write!(
            d,
            "M{} {}A{r2} {r2} 0 {large} 1 {} {}",
            num(p0.x),
            num(p0.y),
            num(p1.x),
            num(p1.y),
            r2 = num(r)
        );
    }

    /// Appends a radial tick at angle `deg` from radius `r_in` to `r_out` to `d`, so that
    /// thousands of ticks can share one `<path>` element.
    pub fn push_tick(&self, d: &mut String, deg: f64, r_in: f64, r_out: f64) {
        let a = self.with_radius(r_in).point_at(deg);
        let b = self.with_radius(r_out).point_at(deg);
        let _ = write!(d, "M{} {}L{} {}", num(a.x), num(a.y), num(b.x), num(b.y));
    }
}

/// A number for an SVG attribute: two decimals at most, no trailing zeros, no `-0`.
pub fn num(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() {
        "0".to_string()
    } else {
        s.to_string()
    }
}

/// How many degrees `len` ring positions cover, in `[0, 360]` (an arc of the whole ring is 360°).
pub fn span_of(len: u64) -> f64 {
    len as f64 * 360.0 / RING_SIZE as f64
}

/// Angles moved apart so that neighbours round the circle are at least `min_gap` degrees apart,
/// each moving as little as this simple relaxation manages (clusters spread about their middle,
/// isolated angles stay put). Returned in the input's order, each in `[0, 360)`. If `min_gap`
/// cannot fit `n` times round the circle it shrinks to `360 / n`.
pub fn spread_angles(angles: &[f64], min_gap: f64) -> Vec<f64> {
    let n = angles.len();
    if n < 2 {
        return angles.iter().map(|a| a.rem_euclid(360.0)).collect();
    }
    let gap = min_gap.min(360.0 / n as f64);
    let mut order: Vec<usize> = (0..n).collect();
    sim::order::sort_by(&mut order, |&a, &b| {
        angles[a]
            .rem_euclid(360.0)
            .total_cmp(&angles[b].rem_euclid(360.0))
            .then(a.cmp(&b))
    });
    // Unwrapped, non-decreasing angles; the gap from the last back to the first is
    // `x[0] + 360 - x[n-1]`.
    let mut x: Vec<f64> = order.iter().map(|&i| angles[i].rem_euclid(360.0)).collect();
    for _ in 0..400 {
        let mut worst: f64 = 0.0;
        for k in 0..n {
            let (i, j) = (k, (k + 1) % n);
            let d = if j == 0 {
                x[0] + 360.0 - x[n - 1]
            } else {
                x[j] - x[i]
            };
            let short = gap - d;
            if short > 1e-6 {
                worst = worst.max(short);
                x[i] -= short / 2.0;
                x[j] += short / 2.0;
            }
        }
        if worst <= 1e-6 {
            break;
        }
    }
    let mut out = vec![0.0; n];
    for (k, &i) in order.iter().enumerate() {
        out[i] = x[k].rem_euclid(360.0);
    }
    out
}

/// How a label beside a circle lines up with its anchor point: text to the right of points on
/// the right half, to the left on the left half, centred near the top and bottom.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// Text starts at the point.
    Start,
    /// Text is centred on the point.
    Middle,
    /// Text ends at the point.
    End,
}

impl Anchor {
    /// The SVG `text-anchor` value.
    pub fn as_str(self) -> &'static str {
        match self {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        }
    }

    /// The anchor for a label placed outside a circle at angle `deg`.
    pub fn outside(deg: f64) -> Anchor {
        let s = deg.to_radians().sin();
        if s > 0.34 {
            Anchor::Start
        } else if s < -0.34 {
            Anchor::End
        } else {
            Anchor::Middle
        }
    }

    /// The anchor for a label placed inside a circle at angle `deg` (facing the centre).
    pub fn inside(deg: f64) -> Anchor {
        match Anchor::outside(deg) {
            Anchor::Start => Anchor::End,
            Anchor::End => Anchor::Start,
            Anchor::Middle => Anchor::Middle,
        }
    }
}

/// A label's spot outside (or inside, for a negative `offset`) a circle: where to put an SVG
/// `<text>` whose block of `lines` lines of height `line_h` should sit beside the point at `deg`
/// without covering it. `y` is the first line's baseline.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LabelSpot {
    /// The text's x.
    pub x: f64,
    /// The first line's baseline.
    pub y: f64,
    /// Its `text-anchor`.
    pub anchor: Anchor,
}

/// Where to put a block of `lines` text lines (each `line_h` high, cap height about
/// `0.7 × line_h`) just outside `circle` at angle `deg`: centred vertically on the left and right,
/// above the point at the top and below it at the bottom.
pub fn label_outside(circle: &Circle, deg: f64, lines: u32, line_h: f64) -> LabelSpot {
    let p = circle.point_at(deg);
    let block = line_h * (lines.max(1) - 1) as f64 + 0.7 * line_h;
    let c = deg.to_radians().cos();
    // From "block hangs below the point" (c = -1, bottom) to "block sits above it" (c = 1, top).
    let top_of_block = p.y - block * (1.0 + c) / 2.0;
    LabelSpot {
        x: p.x,
        y: top_of_block + 0.7 * line_h,
        anchor: Anchor::outside(deg),
    }
}

impl LabelSpot {
    /// The same label moved sideways, if needed, so that text `width` wide stays within
    /// `[min_x, max_x]` (a long name at 3 o'clock would otherwise run off the `viewBox`).
    pub fn fit(self, width: f64, min_x: f64, max_x: f64) -> LabelSpot {
        let (left, right) = match self.anchor {
            Anchor::Start => (self.x, self.x + width),
            Anchor::Middle => (self.x - width / 2.0, self.x + width / 2.0),
            Anchor::End => (self.x - width, self.x),
        };
        let shift = if right > max_x {
            max_x - right
        } else if left < min_x {
            min_x - left
        } else {
            0.0
        };
        LabelSpot {
            x: self.x + shift,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Circle = Circle::new(200.0, 200.0, 100.0);

    fn close(a: Point, x: f64, y: f64) -> bool {
        (a.x - x).abs() < 1e-6 && (a.y - y).abs() < 1e-6
    }

    #[test]
    fn position_zero_is_the_top() {
        assert_eq!(angle_of(0), 0.0);
        assert!(close(C.point_of(0), 200.0, 100.0), "{:?}", C.point_of(0));
    }

    #[test]
    fn quarter_ring_is_the_right_half_ring_the_bottom() {
        assert_eq!(angle_of(1 << 30), 90.0);
        assert!(close(C.point_of(1 << 30), 300.0, 200.0));
        assert_eq!(angle_of(1 << 31), 180.0);
        assert!(close(C.point_of(1 << 31), 200.0, 300.0));
        assert_eq!(angle_of(3 << 30), 270.0);
        assert!(close(C.point_of(3 << 30), 100.0, 200.0));
    }

    #[test]
    fn angles_grow_clockwise_on_screen() {
        // 45° is up and to the right: x grows, y shrinks (SVG y points down).
        let p = C.point_at(45.0);
        assert!(p.x > 200.0 && p.y < 200.0, "{p:?}");
        let q = C.point_at(135.0);
        assert!(q.x > 200.0 && q.y > 200.0, "{q:?}");
    }

    #[test]
    fn clockwise_span_wraps_past_the_top() {
        assert_eq!(clockwise_span(350.0, 10.0), 20.0);
        assert_eq!(clockwise_span(10.0, 350.0), 340.0);
        assert_eq!(clockwise_span(120.0, 120.0), 0.0);
        assert_eq!(clockwise_span(0.0, -1e-18), 0.0);
    }

    #[test]
    fn arc_across_the_top_is_small_and_clockwise() {
        let d = C.arc_path(350.0, 20.0);
        let end = C.point_at(10.0);
        assert!(
            d.starts_with(&format!(
                "M{} {}",
                num(C.point_at(350.0).x),
                num(C.point_at(350.0).y)
            )),
            "{d}"
        );
        assert!(
            d.ends_with(&format!("A100 100 0 0 1 {} {}", num(end.x), num(end.y))),
            "{d}"
        );
    }

    #[test]
    fn arc_longer_than_half_sets_the_large_arc_flag() {
        let d = C.arc_path(120.0, 235.0);
        assert!(d.contains("A100 100 0 1 1 "), "{d}");
    }

    #[test]
    fn full_circle_is_two_half_arcs_back_to_the_start() {
        let d = C.arc_path(90.0, 360.0);
        assert_eq!(d, "M300 200A100 100 0 1 1 100 200A100 100 0 1 1 300 200");
    }

    #[test]
    fn empty_arc_draws_nothing() {
        assert_eq!(C.arc_path(10.0, 0.0), "");
    }

    #[test]
    fn point_between_walks_clockwise() {
        assert!(
            close(C.point_between(270.0, 90.0, 0.5), 200.0, 100.0),
            "halfway from 270° to 90° clockwise is the top"
        );
        assert!(close(
            C.point_between(350.0, 10.0, 0.0),
            C.point_at(350.0).x,
            C.point_at(350.0).y
        ));
        assert!(
            close(
                C.point_between(350.0, 10.0, 2.0),
                C.point_at(10.0).x,
                C.point_at(10.0).y
            ),
            "t is clamped"
        );
    }

    #[test]
    fn num_is_compact() {
        assert_eq!(num(200.0), "200");
        assert_eq!(num(12.345), "12.35");
        assert_eq!(num(-0.001), "0");
        assert_eq!(num(0.5), "0.5");
    }

    #[test]
    fn ticks_share_one_path() {
        let mut d = String::new();
        C.push_tick(&mut d, 0.0, 90.0, 110.0);
        C.push_tick(&mut d, 90.0, 90.0, 110.0);
        assert_eq!(d, "M200 110L200 90M290 200L310 200");
    }

    #[test]
    fn spans_are_shares_of_360_degrees() {
        assert_eq!(span_of(RING_SIZE), 360.0);
        assert_eq!(span_of(RING_SIZE / 4), 90.0);
        assert_eq!(span_of(0), 0.0);
    }

    fn gaps(angles: &[f64]) -> Vec<f64> {
        let mut s = angles.to_vec();
        s.sort_by(f64::total_cmp);
        let mut g: Vec<f64> = s.windows(2).map(|w| w[1] - w[0]).collect();
        g.push(s[0] + 360.0 - s[s.len() - 1]);
        g
    }

    #[test]
    fn spread_leaves_far_apart_labels_alone() {
        assert_eq!(
            spread_angles(&[45.0, 120.0, 280.0], 12.0),
            vec![45.0, 120.0, 280.0]
        );
    }

    #[test]
    fn spread_pushes_close_labels_apart_about_their_middle() {
        let out = spread_angles(&[10.0, 12.0], 10.0);
        assert!(
            (out[0] - 6.0).abs() < 1e-3 && (out[1] - 16.0).abs() < 1e-3,
            "{out:?}"
        );
    }

    #[test]
    fn spread_works_across_the_top() {
        let out = spread_angles(&[355.0, 3.0], 10.0);
        assert!(
            (out[0] - 354.0).abs() < 1e-3 && (out[1] - 4.0).abs() < 1e-3,
            "{out:?}"
        );
    }

    #[test]
    fn spread_keeps_every_gap_and_the_input_order() {
        let input = [1.0, 0.5, 2.0, 359.0, 180.0, 181.0, 90.0];
        let out = spread_angles(&input, 15.0);
        assert!(
            gaps(&out).iter().all(|g| *g >= 15.0 - 1e-3),
            "{out:?} gaps {:?}",
            gaps(&out)
        );
        assert!(
            (out[4] - 180.0).abs() < 8.0 && (out[6] - 90.0).abs() < 1e-9,
            "{out:?}"
        );
    }

    #[test]
    fn spread_shrinks_an_impossible_gap_to_fit() {
        let out = spread_angles(&[0.0, 0.0, 0.0, 0.0], 100.0);
        assert!(
            gaps(&out).iter().all(|g| (*g - 90.0).abs() < 1e-3),
            "{out:?}"
        );
    }

    #[test]
    fn a_label_is_pulled_back_inside_the_view() {
        let spot = LabelSpot {
            x: 350.0,
            y: 10.0,
            anchor: Anchor::Start,
        };
        assert_eq!(spot.fit(60.0, 2.0, 398.0).x, 338.0);
        assert_eq!(
            spot.fit(20.0, 2.0, 398.0).x,
            350.0,
            "a label that fits stays put"
        );
        let left = LabelSpot {
            x: 30.0,
            y: 10.0,
            anchor: Anchor::End,
        };
        assert_eq!(left.fit(40.0, 2.0, 398.0).x, 42.0);
        let mid = LabelSpot {
            x: 395.0,
            y: 10.0,
            anchor: Anchor::Middle,
        };
        assert_eq!(mid.fit(10.0, 2.0, 398.0).x, 393.0);
    }

    #[test]
    fn labels_sit_beside_their_point() {
        assert_eq!(Anchor::outside(90.0), Anchor::Start);
        assert_eq!(Anchor::outside(270.0), Anchor::End);
        assert_eq!(Anchor::outside(0.0), Anchor::Middle);
        assert_eq!(Anchor::inside(90.0), Anchor::End);
        let top = label_outside(&C, 0.0, 1, 10.0);
        assert!(
            top.y <= 100.0,
            "a label at the top sits above the point: {top:?}"
        );
        let bottom = label_outside(&C, 180.0, 1, 10.0);
        assert!(
            bottom.y - 7.0 >= 300.0 - 1e-9,
            "a label at the bottom hangs below the point: {bottom:?}"
        );
        let right = label_outside(&C, 90.0, 1, 10.0);
        assert!(
            (right.y - 3.5 - 200.0).abs() < 1e-9,
            "a label on the right is centred on the point: {right:?}"
        );
    }
}
