//! Scales, ticks and number formats of the sweep chart: pure layout math, no yew.
//!
//! Ticks are "nice" numbers, 1, 2 or 5 times a power of ten (Heckbert, "Nice numbers for graph
//! labels", Graphics Gems, 1990), always computed as a whole multiple of the step so that
//! rounding never accumulates. A log axis puts its ticks on powers of ten, with 2× and 5× between
//! them when the range spans few decades, and falls back to linear ticks when it spans too
//! little to hold two of those.

/// A map from data values to positions along one axis, linear or logarithmic (base 10).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scale {
    /// The domain's first end (the value drawn at `r0`).
    pub d0: f64,
    /// The domain's other end.
    pub d1: f64,
    /// Where `d0` is drawn.
    pub r0: f64,
    /// Where `d1` is drawn.
    pub r1: f64,
    /// Whether values are placed by their logarithm (the domain is then above zero).
    pub log: bool,
}

impl Scale {
    /// Where `v` is drawn. A domain of one value maps everything to the middle of the range.
    pub fn map(&self, v: f64) -> f64 {
        let f = |x: f64| if self.log { x.log10() } else { x };
        let (a, b) = (f(self.d0), f(self.d1));
        if b == a || !(b - a).is_finite() {
            return (self.r0 + self.r1) / 2.0;
        }
        self.r0 + (f(v) - a) / (b - a) * (self.r1 - self.r0)
    }
}

/// The nice step (1, 2 or 5 × 10ᵏ) nearest `raw`, Heckbert's rounding (below 1.5 → 1, below 3 →
/// 2, below 7 → 5, else 10); 1 for a step that is not a positive finite number.
pub fn nice_step(raw: f64) -> f64 {
    if !(raw > 0.0 && raw.is_finite()) {
        return 1.0;
    }
    let k = raw.log10().floor() as i32;
    let p = pow10(k);
    let f = raw / p;
    let m = if f < 1.5 {
        1.0
    } else if f < 3.0 {
        2.0
    } else if f < 7.0 {
        5.0
    } else {
        10.0
    };
    m * p
}

/// 10ᵏ, as a division for negative `k`: 1 / 100 is 0.01 exactly as the literal is, which
/// `powi(-2)` does not promise.
fn pow10(k: i32) -> f64 {
    if k >= 0 {
        10f64.powi(k)
    } else {
        1.0 / 10f64.powi(-k)
    }
}

/// The multiples of `step` from `lo` to `hi` (both included, with a little tolerance).
fn multiples(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let i0 = (lo / step - 1e-9).ceil() as i64;
    let i1 = (hi / step + 1e-9).floor() as i64;
    (i0..=i1.min(i0 + 1000)).map(|i| i as f64 * step).collect()
}

/// About `target` ticks inside `[lo, hi]` and their step; whole numbers only when `integer`.
pub fn linear_ticks(lo: f64, hi: f64, target: usize, integer: bool) -> (Vec<f64>, f64) {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    let mut step = nice_step((hi - lo) / target.max(1) as f64);
    if integer {
        step = step.max(1.0);
    }
    (multiples(lo, hi, step), step)
}

/// A y domain that holds `[lo, hi]` and ends on ticks, the ticks and their step. A domain of
/// one value is widened around it (to 0–1 for zero).
pub fn nice_domain(lo: f64, hi: f64, target: usize) -> ((f64, f64), Vec<f64>, f64) {
    let (mut lo, mut hi) = (lo.min(hi), lo.max(hi));
    if hi - lo <= f64::EPSILON * hi.abs().max(1.0) {
        if lo == 0.0 {
            hi = 1.0;
        } else {
            let pad = lo.abs() * 0.1;
            lo -= pad;
            hi += pad;
        }
    }
    let step = nice_step((hi - lo) / target.max(1) as f64);
    let d0 = (lo / step + 1e-9).floor() * step;
    let d1 = (hi / step - 1e-9).ceil() * step;
    ((d0, d1), multiples(d0, d1, step), step)
}

/// Ticks for a log axis over `[lo, hi]` (both above zero): powers of ten, with 2× and 5× between
/// them when those fit in `target`; every few powers when even the powers do not; linear ticks
/// when the range holds fewer than two of either. Whole numbers only when `integer`.
pub fn log_ticks(lo: f64, hi: f64, target: usize, integer: bool) -> Vec<f64> {
    let (lo, hi) = (lo.min(hi), lo.max(hi));
    if lo.is_nan() || lo <= 0.0 || !hi.is_finite() {
        return Vec::new();
    }
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let inside = |v: &f64| *v >= lo * (1.0 - 1e-9) && *v <= hi * (1.0 + 1e-9);
    let with = |mantissas: &[f64], every: i32| -> Vec<f64> {
        let mut out = Vec::new();
        for k in k0..=k1 {
            if (k - k0) % every != 0 {
                continue;
            }
            for m in mantissas {
                // m / 10^-k rather than m · 10^k: 5 / 100 is the literal 0.05.
                out.push(if k >= 0 { m * pow10(k) } else { m / pow10(-k) });
            }
        }
        out.retain(inside);
        if integer {
            out.retain(|v| v.fract() == 0.0);
        }
        out
    };
    let target = target.max(2);
    let rich = with(&[1.0, 2.0, 5.0], 1);
    if rich.len() >= 2 && rich.len() <= target {
        return rich;
    }
    let powers = with(&[1.0], 1);
    if powers.len() >= 2 {
        let every = powers.len().div_ceil(target) as i32;
        return with(&[1.0], every.max(1));
    }
    linear_ticks(lo, hi, target.min(4), integer).0
}

/// Number of decimals that tell apart multiples of `step`.
fn decimals_for(step: f64) -> usize {
    if !(step > 0.0 && step.is_finite()) {
        return 0;
    }
    (-(step.log10() + 1e-9).floor()).clamp(0.0, 12.0) as usize
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

fn grouped(v: f64, decimals: usize) -> String {
    let s = format!("{:.*}", decimals, v.abs());
    let (int, frac) = s.split_once('.').map_or((s.as_str(), ""), |(a, b)| (a, b));
    let mut out = String::new();
    if v < 0.0 && s.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.push('−');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push('.');
        out.push_str(frac);
    }
    out
}

/// A tick's label, as precise as the step between ticks: `0.05`, `2,500`, `20k`, `1.5M`, `2e-5`.
pub fn tick_label(v: f64, step: f64) -> String {
    let a = v.abs();
    if a < step * 1e-6 {
        return "0".to_string();
    }
    if step >= 1e5 {
        return format!("{}M", grouped(v / 1e6, decimals_for(step / 1e6)));
    }
    if step >= 1e3 {
        return format!("{}k", grouped(v / 1e3, decimals_for(step / 1e3)));
    }
    let d = decimals_for(step);
    if d > 4 {
        // 0.00002 reads worse than 2e-5.
        let e = a.log10().floor();
        let m = v / pow10(e as i32);
        return format!("{}e{}", trim_zeros(format!("{m:.1}")), e as i32);
    }
    grouped(v, d)
}

/// A measured value for people: four significant digits, thousands grouped, no trailing zeros:
/// `1.425`, `52.31`, `12,345`, `0.001234`.
pub fn value_label(v: f64) -> String {
    if !v.is_finite() {
        return "–".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-6..1e15).contains(&a) {
        // Scientific, written by hand: `{:e}` would bring its own formatting code into the wasm.
        let e = a.log10().floor();
        let m = v / pow10(e as i32);
        return format!("{}e{}", trim_zeros(format!("{m:.3}")), e as i32);
    }
    let d = (3.0 - a.log10().floor()).clamp(0.0, 9.0) as usize;
    let s = grouped(v, d);
    if d > 0 {
        trim_zeros(s)
    } else {
        s
    }
}

/// Which way the keyboard moves the readout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Move {
    /// To the point before (ArrowLeft).
    Prev,
    /// To the point after (ArrowRight).
    Next,
    /// To the first point (Home).
    First,
    /// To the last point (End).
    Last,
}

impl Move {
    /// The move a key asks for (`None` for other keys).
    pub fn from_key(key: &str) -> Option<Move> {
        match key {
            "ArrowLeft" => Some(Move::Prev),
            "ArrowRight" => Some(Move::Next),
            "Home" => Some(Move::First),
            "End" => Some(Move::Last),
            _ => None,
        }
    }
}

/// The point a move lands on, among those marked `ok` (points with data): from nowhere, Prev and
/// Next start at the first; at either end they stay.
pub fn step_point(ok: &[bool], from: Option<usize>, how: Move) -> Option<usize> {
    let first = ok.iter().position(|&b| b);
    let last = ok.iter().rposition(|&b| b);
    match (how, from) {
        (Move::First, _) | (Move::Prev | Move::Next, None) => first,
        (Move::Last, _) => last,
        (Move::Prev, Some(i)) => (0..i.min(ok.len()))
            .rev()
            .find(|&j| ok[j])
            .or(Some(i).filter(|&i| ok.get(i) == Some(&true)))
            .or(first),
        (Move::Next, Some(i)) => (i + 1..ok.len())
            .find(|&j| ok[j])
            .or(Some(i).filter(|&i| ok.get(i) == Some(&true)))
            .or(last),
    }
}

/// The point marked `ok` whose position is nearest `x` (the first of a tie).
pub fn nearest(positions: &[f64], ok: &[bool], x: f64) -> Option<usize> {
    positions
        .iter()
        .zip(ok)
        .enumerate()
        .filter(|(_, (_, &ok))| ok)
        .min_by(|(_, (a, _)), (_, (b, _))| (*a - x).abs().total_cmp(&(*b - x).abs()))
        .map(|(i, _)| i)
}

fn n1(v: f64) -> String {
    let s = format!("{v:.1}");
    if s == "-0.0" {
        "0.0".to_string()
    } else {
        s
    }
}

/// An SVG path through the points, broken where a point is missing (`None`): `M x y L x y …`.
pub fn line_path(points: &[Option<(f64, f64)>]) -> String {
    let mut d = String::new();
    let mut pen_down = false;
    for p in points {
        match p {
            Some((x, y)) => {
                d.push_str(if pen_down { "L" } else { "M" });
                d.push_str(&n1(*x));
                d.push(' ');
                d.push_str(&n1(*y));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    d
}

/// An SVG path of the area between two curves, `(x, y_low, y_high)` per point: one closed shape
/// for each run of points without a gap (a lone point is a vertical tick).
pub fn band_path(points: &[Option<(f64, f64, f64)>]) -> String {
    let mut d = String::new();
    for run in points.split(|p| p.is_none()) {
        let run: Vec<(f64, f64, f64)> = run.iter().flatten().copied().collect();
        if run.is_empty() {
            continue;
        }
        for (i, (x, _, hi)) in run.iter().enumerate() {
            d.push_str(if i == 0 { "M" } else { "L" });
            d.push_str(&format!("{} {}", n1(*x), n1(*hi)));
        }
        for (x, lo, _) in run.iter().rev() {
            d.push_str(&format!("L{} {}", n1(*x), n1(*lo)));
        }
        d.push('Z');
    }
    d
}

/// Marker shapes, one per series, so that series differ by more than colour: circle, square,
/// triangle, diamond.
pub const SHAPES: usize = 4;

/// One SVG path holding a marker of shape `shape` (mod [`SHAPES`]) of radius `r` at each point.
pub fn markers_path(points: &[(f64, f64)], shape: usize, r: f64) -> String {
    let mut d = String::new();
    for &(x, y) in points {
        let s = match shape % SHAPES {
            0 => format!(
                "M{} {}a{r} {r} 0 1 0 {} 0a{r} {r} 0 1 0 {} 0Z",
                n1(x - r),
                n1(y),
                n1(2.0 * r),
                n1(-2.0 * r)
            ),
            1 => {
                let s = r * 0.9;
                format!(
                    "M{} {}h{}v{}h{}Z",
                    n1(x - s),
                    n1(y - s),
                    n1(2.0 * s),
                    n1(2.0 * s),
                    n1(-2.0 * s)
                )
            }
            2 => {
                let s = r * 1.2;
                format!(
                    "M{} {}L{} {}L{} {}Z",
                    n1(x),
                    n1(y - s),
                    n1(x + s),
                    n1(y + s * 0.8),
                    n1(x - s),
                    n1(y + s * 0.8)
                )
            }
            _ => {
                let s = r * 1.25;
                format!(
                    "M{} {}L{} {}L{} {}L{} {}Z",
                    n1(x),
                    n1(y - s),
                    n1(x + s),
                    n1(y),
                    n1(x),
                    n1(y + s),
                    n1(x - s),
                    n1(y)
                )
            }
        };
        d.push_str(&s);
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(0.35), 0.5);
        assert_eq!(nice_step(1.0), 1.0);
        assert_eq!(nice_step(1.4), 1.0);
        assert_eq!(nice_step(1.6), 2.0);
        assert_eq!(nice_step(3.7), 5.0);
        assert_eq!(nice_step(7.5), 10.0);
        assert_eq!(nice_step(180.0), 200.0);
        assert_eq!(nice_step(0.021), 0.02);
        assert_eq!(nice_step(0.0), 1.0);
        assert_eq!(nice_step(f64::NAN), 1.0);
    }

    #[test]
    fn a_nice_domain_ends_on_ticks_and_holds_the_data() {
        let ((d0, d1), ticks, step) = nice_domain(1.07, 1.93, 4);
        assert_eq!(step, 0.2);
        assert!(
            (d0 - 1.0).abs() < 1e-12 && (d1 - 2.0).abs() < 1e-12,
            "{d0}..{d1}"
        );
        assert_eq!(ticks.len(), 6);
        assert!((ticks[5] - 2.0).abs() < 1e-12);
        // p99 latencies in ms.
        let ((d0, d1), ticks, _) = nice_domain(48.2, 61.0, 5);
        assert_eq!((d0, d1), (48.0, 62.0));
        assert_eq!(ticks, vec![48.0, 50.0, 52.0, 54.0, 56.0, 58.0, 60.0, 62.0]);
    }

    #[test]
    fn a_flat_domain_is_widened_around_its_value() {
        let ((d0, d1), _, _) = nice_domain(0.0, 0.0, 4);
        assert_eq!((d0, d1), (0.0, 1.0));
        let ((d0, d1), _, _) = nice_domain(50.0, 50.0, 4);
        assert!(d0 <= 45.0 && d1 >= 55.0 && d0 < 50.0, "{d0}..{d1}");
    }

    #[test]
    fn integer_parameters_get_whole_ticks() {
        let (ticks, step) = linear_ticks(1.0, 6.0, 8, true);
        assert_eq!(step, 1.0);
        assert_eq!(ticks, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
        let (ticks, _) = linear_ticks(2.0, 64.0, 6, true);
        assert_eq!(ticks, vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0]);
        let (ticks, step) = linear_ticks(0.0, 1.0, 2, false);
        assert_eq!(step, 0.5);
        assert_eq!(ticks, vec![0.0, 0.5, 1.0]);
    }

    #[test]
    fn log_ticks_sit_on_powers_of_ten_with_twos_and_fives_when_they_fit() {
        assert_eq!(
            log_ticks(1.0, 500.0, 10, true),
            vec![1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]
        );
        assert_eq!(
            log_ticks(1.0, 500.0, 4, true),
            vec![1.0, 10.0, 100.0],
            "too many 1-2-5 ticks for a narrow chart: powers only"
        );
        assert_eq!(
            log_ticks(1e-6, 1.0, 4, false),
            vec![1e-6, 1e-4, 1e-2, 1.0],
            "every other power when there are more powers than room"
        );
        assert_eq!(log_ticks(0.01, 0.1, 6, false), vec![0.01, 0.02, 0.05, 0.1]);
    }

    #[test]
    fn a_narrow_log_range_falls_back_to_linear_ticks() {
        let t = log_ticks(3.0, 8.0, 6, false);
        assert!(t.len() >= 2, "{t:?}");
        assert!(t.iter().all(|v| (3.0..=8.0).contains(v)));
    }

    #[test]
    fn a_log_scale_spaces_decades_evenly() {
        let s = Scale {
            d0: 1.0,
            d1: 1000.0,
            r0: 0.0,
            r1: 300.0,
            log: true,
        };
        assert!((s.map(10.0) - 100.0).abs() < 1e-9);
        assert!((s.map(100.0) - 200.0).abs() < 1e-9);
        let lin = Scale { log: false, ..s };
        assert!((lin.map(500.5) - 150.0).abs() < 1e-9);
        let flat = Scale { d1: 1.0, ..s };
        assert_eq!(
            flat.map(1.0),
            150.0,
            "a one-value domain draws in the middle"
        );
    }

    #[test]
    fn tick_labels_are_as_precise_as_the_step() {
        assert_eq!(tick_label(0.30000000000000004, 0.1), "0.3");
        assert_eq!(tick_label(1.0, 0.2), "1.0");
        assert_eq!(tick_label(2500.0, 500.0), "2,500");
        assert_eq!(tick_label(20000.0, 10000.0), "20k");
        assert_eq!(
            tick_label(5000.0, 5000.0),
            "5k",
            "one axis, one style: 5k beside 10k"
        );
        assert_eq!(tick_label(1_500_000.0, 500_000.0), "1.5M");
        assert_eq!(tick_label(1_200_000.0, 200_000.0), "1.2M");
        assert_eq!(tick_label(0.05, 0.05), "0.05");
        assert_eq!(tick_label(2e-5, 1e-5), "2e-5");
        assert_eq!(tick_label(-5.0, 5.0), "−5");
        assert_eq!(tick_label(1e-17, 0.5), "0");
    }

    #[test]
    fn values_read_with_four_significant_digits() {
        assert_eq!(value_label(1.4251), "1.425");
        assert_eq!(value_label(52.31), "52.31");
        assert_eq!(value_label(12345.6), "12,346");
        assert_eq!(value_label(0.0012346), "0.001235");
        assert_eq!(value_label(2.0), "2");
        assert_eq!(value_label(0.0), "0");
        assert_eq!(value_label(f64::NAN), "–");
        assert_eq!(value_label(2.5e-9), "2.5e-9");
        assert_eq!(value_label(-3.25e16), "-3.25e16");
    }

    #[test]
    fn the_keyboard_moves_between_points_with_data() {
        let ok = [false, true, true, false, true, false];
        assert_eq!(step_point(&ok, None, Move::Next), Some(1));
        assert_eq!(step_point(&ok, None, Move::Prev), Some(1));
        assert_eq!(step_point(&ok, Some(1), Move::Next), Some(2));
        assert_eq!(
            step_point(&ok, Some(2), Move::Next),
            Some(4),
            "skips a point without data"
        );
        assert_eq!(
            step_point(&ok, Some(4), Move::Next),
            Some(4),
            "stays at the end"
        );
        assert_eq!(
            step_point(&ok, Some(1), Move::Prev),
            Some(1),
            "stays at the start"
        );
        assert_eq!(step_point(&ok, Some(2), Move::Last), Some(4));
        assert_eq!(step_point(&ok, Some(4), Move::First), Some(1));
        assert_eq!(step_point(&[false, false], None, Move::Next), None);
        assert_eq!(Move::from_key("End"), Some(Move::Last));
        assert_eq!(Move::from_key("a"), None);
    }

    #[test]
    fn the_pointer_snaps_to_the_nearest_point_with_data() {
        let pos = [10.0, 50.0, 90.0, 130.0];
        let ok = [true, true, false, true];
        assert_eq!(nearest(&pos, &ok, 0.0), Some(0));
        assert_eq!(nearest(&pos, &ok, 31.0), Some(1));
        assert_eq!(
            nearest(&pos, &ok, 92.0),
            Some(3),
            "the nearest point has no data yet"
        );
        assert_eq!(nearest(&pos, &[false; 4], 50.0), None);
    }

    #[test]
    fn lines_break_where_a_point_is_missing() {
        let d = line_path(&[Some((0.0, 1.0)), Some((2.0, 3.25)), None, Some((4.0, 5.0))]);
        assert_eq!(d, "M0.0 1.0L2.0 3.2M4.0 5.0");
        assert_eq!(line_path(&[]), "");
    }

    #[test]
    fn a_band_is_one_closed_shape_per_unbroken_run() {
        let d = band_path(&[
            Some((0.0, 10.0, 5.0)),
            Some((2.0, 12.0, 6.0)),
            None,
            Some((4.0, 9.0, 8.0)),
        ]);
        assert_eq!(d, "M0.0 5.0L2.0 6.0L2.0 12.0L0.0 10.0ZM4.0 8.0L4.0 9.0Z");
    }

    #[test]
    fn every_marker_shape_is_one_closed_subpath() {
        for shape in 0..SHAPES {
            let d = markers_path(&[(10.0, 10.0), (20.0, 10.0)], shape, 3.0);
            assert_eq!(d.matches('M').count(), 2, "{d}");
            assert_eq!(d.matches('Z').count(), 2, "{d}");
        }
    }
}
