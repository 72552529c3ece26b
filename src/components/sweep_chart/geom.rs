//! What the sweep chart draws, as plain data: the summaries read once from a result, and for
//! each metric its plot's size, axes, ticks and paths. No yew; the component renders these.
//!
//! The plots are laid out at the width they are shown at (the viewBox is the container's width
//! in CSS pixels), so labels keep their size on a phone instead of shrinking with the drawing.

use super::scale::{self, Scale};
use sim::sweep::{Summary, SweepResult, TheoryCurve};

/// Which spread across seeds the shaded band shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Band {
    /// From the 10th to the 90th percentile.
    #[default]
    P10P90,
    /// From the smallest to the largest value.
    MinMax,
}

impl Band {
    /// The band's low and high ends for a point's summary.
    pub fn range(self, s: &Summary) -> (f64, f64) {
        match self {
            Band::P10P90 => (s.p10, s.p90),
            Band::MinMax => (s.min, s.max),
        }
    }

    /// Its name on the toggle and in column heads.
    pub fn short(self) -> &'static str {
        match self {
            // A no-break space: "10–90" and "%" stay on one line.
            Band::P10P90 => "10–90\u{a0}%",
            Band::MinMax => "min–max",
        }
    }

    /// What the band means, for the legend: `band: 10–90 % of 10 seeds`.
    pub fn describe(self, seeds: u32) -> String {
        let of = if seeds == 1 {
            "1 seed".to_string()
        } else {
            format!("{seeds} seeds")
        };
        format!("band: {} of {of}", self.short())
    }
}

/// The summaries of a result, read once per result: `[metric][series][point]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Digest {
    cells: Vec<Option<Summary>>,
    series: usize,
    points: usize,
    /// Whether every run of each point has finished.
    pub complete: Vec<bool>,
}

impl Digest {
    /// Summarises every metric, series and point of `r`.
    pub fn of(r: &SweepResult) -> Digest {
        let m = &r.meta;
        let (series, points) = (m.series.len(), m.xs.len());
        let mut cells = Vec::with_capacity(m.metrics.len() * series * points);
        for mi in 0..m.metrics.len() {
            for si in 0..series {
                for pi in 0..points {
                    cells.push(r.summary(si, mi, pi));
                }
            }
        }
        Digest {
            cells,
            series,
            points,
            complete: (0..points).map(|p| r.point_complete(p)).collect(),
        }
    }

    /// The summary of metric `m` for series `s` at point `p` so far.
    pub fn get(&self, m: usize, s: usize, p: usize) -> Option<&Summary> {
        if s >= self.series || p >= self.points {
            return None;
        }
        self.cells
            .get((m * self.series + s) * self.points + p)
            .and_then(Option::as_ref)
    }

    /// Whether any series has a value of metric `m` at point `p`.
    pub fn has(&self, m: usize, p: usize) -> bool {
        (0..self.series).any(|s| self.get(m, s, p).is_some())
    }

    /// How many points have finished every run.
    pub fn complete_points(&self) -> usize {
        self.complete.iter().filter(|&&c| c).count()
    }
}

/// The curve's value at `x`: the grid point equal to it (to a billionth, as floats computed two
/// ways may differ in the last bit).
pub fn theory_at(curve: &TheoryCurve, x: f64) -> Option<f64> {
    let tol = 1e-9 * x.abs().max(1.0);
    curve
        .points
        .iter()
        .find(|p| (p.0 - x).abs() <= tol)
        .map(|p| p.1)
}

/// An axis title: `p99 latency (ms)`.
pub fn axis_title(label: &str, unit: Option<&str>) -> String {
    // "Virtual nodes per server", unit "per server": the label says it already.
    match unit.filter(|u| !u.is_empty() && !label.ends_with(u)) {
        Some(u) => format!("{label} ({u})"),
        None => label.to_string(),
    }
}

/// One series' marks on one plot.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesPlot {
    /// The median line through the finished points.
    pub line: String,
    /// The median line on to the points still running (drawn lighter).
    pub partial: String,
    /// The band across seeds at the finished points.
    pub band: String,
    /// Markers at the finished points.
    pub markers: String,
    /// Markers at the points still running.
    pub partial_markers: String,
    /// The median's y at each point, where there is one.
    pub ys: Vec<Option<f64>>,
    /// The finished points' medians (`{}` of each f64), comma-separated.
    pub data_points: String,
    /// Their swept values, the same way.
    pub data_xs: String,
}

/// A theory curve on one plot.
#[derive(Clone, Debug, PartialEq)]
pub struct TheoryPlot {
    /// The curve's id.
    pub curve: String,
    /// Its legend label.
    pub label: String,
    /// Its path.
    pub d: String,
    /// Which dash pattern it is drawn with (its rank among the metric's curves).
    pub dash: usize,
}

/// One metric's plot, in viewBox units (CSS pixels at the width it was laid out for).
#[derive(Clone, Debug, PartialEq)]
pub struct Plot {
    /// Width of the drawing.
    pub w: f64,
    /// Height of the drawing.
    pub h: f64,
    /// The plot area's left edge.
    pub left: f64,
    /// Its top edge.
    pub top: f64,
    /// Its right edge.
    pub right: f64,
    /// Its bottom edge.
    pub bottom: f64,
    /// Ticks along x: position and label.
    pub x_ticks: Vec<(f64, String)>,
    /// Ticks along y: position and label.
    pub y_ticks: Vec<(f64, String)>,
    /// The y axis' title.
    pub y_title: String,
    /// The x axis' title.
    pub x_title: String,
    /// Each point's x.
    pub xpos: Vec<f64>,
    /// Whether each point has a value of this metric yet.
    pub has: Vec<bool>,
    /// One per series, in legend order.
    pub series: Vec<SeriesPlot>,
    /// The metric's theory curves.
    pub theory: Vec<TheoryPlot>,
    /// Whether no point has a value yet.
    pub empty: bool,
    /// Data to drawing, along x and along y.
    pub x_scale: Scale,
    pub y_scale: Scale,
}

/// Approximate width of a label in the chart's 12 px tabular figures.
fn text_width(s: &str) -> f64 {
    s.chars().count() as f64 * 7.0
}

fn join(v: impl Iterator<Item = f64>) -> String {
    v.map(|x| format!("{x}")).collect::<Vec<_>>().join(",")
}

/// Lays out metric `m` of `r` (summarised in `d`) at `width`, the band showing `band`, x on a
/// log scale when `log_x` (and every swept value is above zero).
pub fn plot(r: &SweepResult, d: &Digest, m: usize, band: Band, log_x: bool, width: f64) -> Plot {
    let meta = &r.meta;
    let metric = &meta.metrics[m];
    let xs = &meta.xs;
    let w = width.clamp(240.0, 1600.0);
    let (top, bottom_margin) = (26.0, 42.0);
    let ph = (w * 0.34).clamp(130.0, 220.0);
    let h = top + ph + bottom_margin;
    let bottom = top + ph;

    // x: the swept range, its ticks.
    let log = log_x && xs.iter().all(|&x| x > 0.0);
    let (mut x0, mut x1) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if !x0.is_finite() {
        (x0, x1) = (0.0, 1.0);
    }
    if x0 == x1 {
        (x0, x1) = if log {
            (x0 / 2.0, x1 * 2.0)
        } else {
            (x0 - 1.0, x1 + 1.0)
        };
    }
    let x_target = ((w - 70.0) / 72.0).floor().max(2.0) as usize;
    let x_tick_values: Vec<(f64, String)> = if log {
        scale::log_ticks(x0, x1, x_target, meta.integer)
            .into_iter()
            .map(|v| (v, scale::tick_label(v, v)))
            .collect()
    } else {
        let (t, step) = scale::linear_ticks(x0, x1, x_target, meta.integer);
        t.into_iter()
            .map(|v| (v, scale::tick_label(v, step)))
            .collect()
    };

    // y: every median, band end and (within reason) theory value.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for s in 0..meta.series.len() {
        for p in 0..xs.len() {
            if let Some(sum) = d.get(m, s, p) {
                let (a, b) = if d.complete[p] {
                    band.range(sum)
                } else {
                    (sum.median, sum.median)
                };
                lo = lo.min(a.min(sum.median));
                hi = hi.max(b.max(sum.median));
            }
        }
    }
    let curves: Vec<&TheoryCurve> = meta
        .theory
        .iter()
        .filter(|t| t.metric == metric.id)
        .collect();
    let in_x = |x: f64| x >= x0 - 1e-9 * x0.abs().max(1.0) && x <= x1 + 1e-9 * x1.abs().max(1.0);
    let (mut tlo, mut thi) = (f64::INFINITY, f64::NEG_INFINITY);
    for t in &curves {
        for &(_, y) in t.points.iter().filter(|p| in_x(p.0)) {
            tlo = tlo.min(y);
            thi = thi.max(y);
        }
    }
    let empty = !lo.is_finite();
    if tlo.is_finite() {
        if empty {
            (lo, hi) = (tlo, thi);
        } else {
            // A curve that runs off far beyond the data would flatten it: it may widen the axis
            // by at most the data's own span on each side (the rest is clipped).
            let span = (hi - lo).max(hi.abs() * 0.1).max(1e-12);
            lo = lo.min(tlo.max(lo - span));
            hi = hi.max(thi.min(hi + span));
        }
    }
    let y_target = (ph / 40.0).floor().max(3.0) as usize;
    let ((y0, y1), y_tick_values, y_step) = if lo.is_finite() {
        scale::nice_domain(lo, hi, y_target)
    } else {
        ((0.0, 1.0), Vec::new(), 1.0)
    };
    let y_ticks_text: Vec<(f64, String)> = y_tick_values
        .into_iter()
        .map(|v| (v, scale::tick_label(v, y_step)))
        .collect();
    let left = y_ticks_text
        .iter()
        .map(|(_, s)| text_width(s))
        .fold(0.0, f64::max)
        .max(14.0)
        + 12.0;
    // The last x tick's label is centred on it: room for its right half.
    let right_pad = x_tick_values
        .last()
        .filter(|(v, _)| (v - x1).abs() <= 1e-9 * x1.abs().max(1.0))
        .map_or(0.0, |(_, s)| text_width(s) / 2.0);
    let right = w - right_pad.max(14.0);

    let xs_scale = Scale {
        d0: x0,
        d1: x1,
        r0: left,
        r1: right,
        log,
    };
    let ys = Scale {
        d0: y0,
        d1: y1,
        r0: bottom,
        r1: top,
        log: false,
    };
    let xpos: Vec<f64> = xs.iter().map(|&x| xs_scale.map(x)).collect();
    let has: Vec<bool> = (0..xs.len()).map(|p| d.has(m, p)).collect();
    let spacing = (right - left) / xs.len().max(1) as f64;
    let r = (spacing / 3.0).clamp(1.8, 3.5);

    let series = (0..meta.series.len())
        .map(|s| {
            let sums: Vec<Option<&Summary>> = (0..xs.len()).map(|p| d.get(m, s, p)).collect();
            let done = |p: usize| sums[p].filter(|_| d.complete[p]);
            let line: Vec<Option<(f64, f64)>> = (0..xs.len())
                .map(|p| done(p).map(|v| (xpos[p], ys.map(v.median))))
                .collect();
            // From the last finished point on to those still running, so the line stays whole.
            let mut partial: Vec<Option<(f64, f64)>> = vec![None; xs.len()];
            for p in 0..xs.len() {
                if let (Some(v), false) = (sums[p], d.complete[p]) {
                    partial[p] = Some((xpos[p], ys.map(v.median)));
                    if p > 0 && line[p - 1].is_some() {
                        partial[p - 1] = line[p - 1];
                    }
                }
            }
            let bands: Vec<Option<(f64, f64, f64)>> = (0..xs.len())
                .map(|p| {
                    done(p).map(|v| {
                        let (a, b) = band.range(v);
                        (xpos[p], ys.map(a), ys.map(b))
                    })
                })
                .collect();
            let finished: Vec<(f64, f64)> = line.iter().flatten().copied().collect();
            let running: Vec<(f64, f64)> = (0..xs.len())
                .filter(|&p| !d.complete[p])
                .filter_map(|p| sums[p].map(|v| (xpos[p], ys.map(v.median))))
                .collect();
            let done_points: Vec<usize> = (0..xs.len()).filter(|&p| done(p).is_some()).collect();
            SeriesPlot {
                line: scale::line_path(&line),
                partial: scale::line_path(&partial),
                band: scale::band_path(&bands),
                markers: scale::markers_path(&finished, s, r),
                partial_markers: scale::markers_path(&running, s, r),
                ys: sums.iter().map(|v| v.map(|v| ys.map(v.median))).collect(),
                data_points: join(
                    done_points
                        .iter()
                        .filter_map(|&p| done(p).map(|v| v.median)),
                ),
                data_xs: join(done_points.iter().map(|&p| xs[p])),
            }
        })
        .collect();

    let theory = curves
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let pts: Vec<Option<(f64, f64)>> = t
                .points
                .iter()
                .filter(|p| in_x(p.0) && p.1.is_finite())
                .map(|&(x, y)| Some((xs_scale.map(x), ys.map(y))))
                .collect();
            TheoryPlot {
                curve: t.curve.clone(),
                label: t.label.clone(),
                d: scale::line_path(&pts),
                dash: i,
            }
        })
        .collect();

    let x_title = axis_title(&meta.param.label, meta.param.unit.as_deref());
    Plot {
        w,
        h,
        left,
        top,
        right,
        bottom,
        x_ticks: x_tick_values
            .into_iter()
            .map(|(v, s)| (xs_scale.map(v), s))
            .collect(),
        y_ticks: y_ticks_text
            .into_iter()
            .map(|(v, s)| (ys.map(v), s))
            .collect(),
        y_title: axis_title(&metric.label, metric.unit.as_deref()),
        x_title: if log {
            format!("{x_title}, log scale")
        } else {
            x_title
        },
        xpos,
        has,
        series,
        theory,
        empty,
        x_scale: xs_scale,
        y_scale: ys,
    }
}

/// Where `y` is drawn on a plot whose area spans `top` to `bottom`: held inside it (a value off
/// the axis sits on its edge).
pub fn place_y(y_scale: &Scale, top: f64, bottom: f64, y: f64) -> f64 {
    y_scale.map(y).clamp(top, bottom)
}

impl Plot {
    /// Where a point of data is drawn: `None` when `x` is outside the swept range; `y` is held
    /// inside the plot area (a value off the axis sits on its edge). (The ring places its x and
    /// its y apart: [`Plot::place_x`], [`place_y`].)
    #[cfg(test)]
    pub fn place(&self, x: f64, y: f64) -> Option<(f64, f64)> {
        if !y.is_finite() {
            return None;
        }
        Some((
            self.place_x(x)?,
            place_y(&self.y_scale, self.top, self.bottom, y),
        ))
    }

    /// Where `x` is drawn: `None` when it is outside the swept range.
    pub fn place_x(&self, x: f64) -> Option<f64> {
        let (lo, hi) = (
            self.x_scale.d0.min(self.x_scale.d1),
            self.x_scale.d0.max(self.x_scale.d1),
        );
        let slack = 1e-9 * hi.abs().max(1.0);
        (x.is_finite() && x >= lo - slack && x <= hi + slack).then(|| self.x_scale.map(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::sweep::{Axis, JobResult, SweepMeta};

    fn axis(id: &str, label: &str, unit: Option<&str>) -> Axis {
        Axis {
            id: id.into(),
            label: label.into(),
            unit: unit.map(str::to_string),
        }
    }

    /// Two series, three points, three seeds, one metric; values `10·series + point + j/10`.
    fn result(finished_runs: u32) -> SweepResult {
        let meta = SweepMeta {
            param: axis("vnodes", "Virtual nodes", None),
            integer: true,
            xs: vec![1.0, 10.0, 100.0],
            metrics: vec![axis("ratio", "Max / mean load", None)],
            series: vec![axis("", "Lesson", None), axis("jump", "Jump", None)],
            seeds: 3,
            theory: vec![TheoryCurve {
                metric: "ratio".into(),
                curve: "c".into(),
                label: "Theory".into(),
                points: vec![(1.0, 5.0), (10.0, 6.0), (55.0, 7.0), (100.0, 8.0)],
            }],
        };
        let mut r = SweepResult::new(meta);
        for k in 0..finished_runs {
            let (p, s, j) = (k / 6, (k / 3) % 2, k % 3);
            r.add(JobResult {
                run: k,
                values: vec![Some(10.0 * s as f64 + p as f64 + j as f64 / 10.0)],
            });
        }
        r
    }

    #[test]
    fn the_median_path_carries_the_finished_medians_exactly() {
        let r = result(18);
        let d = Digest::of(&r);
        let p = plot(&r, &d, 0, Band::P10P90, true, 640.0);
        assert_eq!(p.series[0].data_points, "0.1,1.1,2.1");
        assert_eq!(p.series[1].data_points, "10.1,11.1,12.1");
        assert_eq!(p.series[0].data_xs, "1,10,100");
        assert!(p.series[0].partial.is_empty() && p.series[0].partial_markers.is_empty());
        assert_eq!(p.series[0].line.matches('L').count(), 2);
        assert!(!p.empty);
    }

    #[test]
    fn a_point_still_running_is_drawn_apart_and_left_out_of_the_numbers() {
        // Point 0 finished (6 runs); point 1 has two of the first series' seeds.
        let r = result(8);
        let d = Digest::of(&r);
        assert_eq!(d.complete, vec![true, false, false]);
        let p = plot(&r, &d, 0, Band::P10P90, false, 640.0);
        assert_eq!(p.series[0].data_points, "0.1");
        assert_eq!(
            p.series[0].partial.matches('M').count(),
            1,
            "{}",
            p.series[0].partial
        );
        assert_eq!(
            p.series[0].partial.matches('L').count(),
            1,
            "joined to the finished point"
        );
        assert!(
            p.series[1].partial.is_empty(),
            "the second series has no value at point 1 yet"
        );
        assert_eq!(p.has, vec![true, true, false]);
        assert!(p.series[0].ys[1].is_some() && p.series[0].ys[2].is_none());
    }

    #[test]
    fn a_run_is_placed_where_its_curve_point_is_and_not_outside_the_range() {
        let r = result(18);
        let d = Digest::of(&r);
        let p = plot(&r, &d, 0, Band::P10P90, true, 640.0);
        // At a swept value with that series' median, the ring sits on the series' point.
        let (x, y) = p.place(10.0, 1.1).expect("inside the range");
        assert!((x - p.xpos[1]).abs() < 1e-9);
        assert!((y - p.series[0].ys[1].unwrap()).abs() < 1e-9);
        // Between points on a log axis: between their positions.
        let (x, _) = p.place(31.6, 1.1).unwrap();
        assert!(x > p.xpos[1] && x < p.xpos[2]);
        // Off the y axis: held on its edge; off the x range or not a number: not drawn.
        assert_eq!(p.place(10.0, 1e9).unwrap().1, p.top);
        assert_eq!(p.place(10.0, -1e9).unwrap().1, p.bottom);
        assert_eq!(p.place(1000.0, 1.0), None);
        assert_eq!(p.place(0.5, 1.0), None);
        assert_eq!(p.place(f64::NAN, 1.0), None);
    }

    #[test]
    fn a_log_axis_spaces_decades_evenly_and_ticks_them() {
        let r = result(18);
        let d = Digest::of(&r);
        let p = plot(&r, &d, 0, Band::MinMax, true, 640.0);
        let gap1 = p.xpos[1] - p.xpos[0];
        let gap2 = p.xpos[2] - p.xpos[1];
        assert!((gap1 - gap2).abs() < 1e-9, "{gap1} vs {gap2}");
        let labels: Vec<&str> = p.x_ticks.iter().map(|(_, s)| s.as_str()).collect();
        assert!(labels.contains(&"1") && labels.contains(&"10") && labels.contains(&"100"));
        assert!(p.x_title.ends_with("log scale"));
    }

    #[test]
    fn the_y_axis_holds_data_bands_and_theory() {
        let r = result(18);
        let d = Digest::of(&r);
        let p = plot(&r, &d, 0, Band::MinMax, false, 640.0);
        // Every drawn y lies inside the plot area.
        for s in &p.series {
            for y in s.ys.iter().flatten() {
                assert!(*y >= p.top - 1e-9 && *y <= p.bottom + 1e-9, "{y}");
            }
        }
        let top_label: f64 = p.y_ticks.last().unwrap().1.parse().unwrap();
        assert!(
            top_label >= 12.2,
            "the highest band end (12.2) is inside: {top_label}"
        );
        assert_eq!(p.theory.len(), 1);
        assert_eq!(p.theory[0].d.matches(['M', 'L']).count(), 4);
    }

    #[test]
    fn nothing_finished_is_an_empty_plot_with_the_theory_alone() {
        let r = result(0);
        let d = Digest::of(&r);
        let p = plot(&r, &d, 0, Band::P10P90, false, 360.0);
        assert!(p.empty);
        assert!(p
            .series
            .iter()
            .all(|s| s.line.is_empty() && s.data_points.is_empty()));
        assert!(!p.y_ticks.is_empty(), "the theory gives the axis its range");
        assert!(p.w == 360.0 && p.right < 360.0 && p.left > 0.0);
    }

    #[test]
    fn theory_values_are_read_at_the_swept_values() {
        let r = result(0);
        assert_eq!(theory_at(&r.meta.theory[0], 10.0), Some(6.0));
        assert_eq!(theory_at(&r.meta.theory[0], 10.000_000_000_001), Some(6.0));
        assert_eq!(theory_at(&r.meta.theory[0], 11.0), None);
    }

    #[test]
    fn the_band_says_what_it_spans() {
        assert_eq!(Band::P10P90.describe(10), "band: 10–90\u{a0}% of 10 seeds");
        assert_eq!(Band::MinMax.describe(1), "band: min–max of 1 seed");
        assert_eq!(axis_title("p99 latency", Some("ms")), "p99 latency (ms)");
        assert_eq!(axis_title("Max / mean load", None), "Max / mean load");
    }
}
