//! Lanes: mechanisms side by side on one stream of requests (the traffic-control family). The top
//! strip shows the offered requests; below it each lane is one mechanism, with its name and a
//! gauge of its state on the left (tokens left, requests counted, requests queued), a strip of
//! its recent decisions over time in the middle (admitted above the line, rejected below it,
//! delayed on it; a fixed window's boundaries as ticks, a sliding window shaded at the strip's
//! end), and its totals on the right. Every strip ends at the simulated now and scrolls with it.
//!
//! The SVG is written as one string and inserted whole (no virtual-DOM node per element), and
//! the marks of one kind in one lane are a single path, so a lane costs a handful of nodes
//! however busy the stream is and the diagram adds little code to the app's wasm.

use super::{DiagramKind, Emphasis};
use sim::models::lanes::{LaneView, LanesFrame, MarkKind};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::rc::Rc;
use yew::prelude::*;

const VIEW_W: f64 = 1000.0;
const STRIP_X: f64 = 236.0;
const STRIP_W: f64 = 664.0;
const TOP_H: f64 = 34.0;
const ROW_H: f64 = 52.0;
const AXIS_H: f64 = 22.0;

fn view_h(lanes: usize) -> f64 {
    TOP_H + ROW_H * lanes as f64 + AXIS_H
}

impl DiagramKind for Rc<LanesFrame> {
    fn view(&self, _reduced_motion: bool, emphasis: &Emphasis) -> Html {
        html! {
            <div class="lanes-diagram" data-testid="lanes">
                <p class="lanes-title" data-testid="lanes-title">{ &self.title }</p>
                { Html::from_html_unchecked(AttrValue::from(svg(self, emphasis))) }
                <p class="lanes-note" data-testid="lanes-note">{ &self.note }</p>
            </div>
        }
    }
    fn colors(&self) -> BTreeMap<String, u32> {
        let lanes = self.lanes.iter().enumerate();
        sim::order::map_of(lanes.map(|(i, l)| (l.label.clone(), i as u32)))
    }
    fn load_label(&self) -> &'static str {
        "Per lane"
    }
    fn aspect(&self) -> f64 {
        VIEW_W / view_h(self.lanes.len())
    }
}

/// Text made safe inside SVG markup.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Where time `t` (µs) falls on a strip ending at `now` and showing `span` µs.
fn x_of(t: u64, now: u64, span: u64) -> f64 {
    let back = now.saturating_sub(t) as f64 / span.max(1) as f64;
    STRIP_X + STRIP_W * (1.0 - back.min(1.0))
}

/// One path drawing every mark of `kind` in `lane` on a row whose strip starts at `y`: a tick
/// up for admitted, a short tick for delayed, a cross below the line for rejected or failed.
fn marks_path(lane: &LaneView, kind: MarkKind, now: u64, span: u64, y: f64) -> String {
    let mut d = String::new();
    for (t, _) in lane.unpacked().filter(|(_, k)| *k == kind) {
        let x = x_of(t, now, span);
        let _ = match kind {
            MarkKind::Ok => write!(d, "M{x:.1},{:.1}v-12", y + 19.0),
            MarkKind::Delayed => write!(d, "M{x:.1},{:.1}v-7", y + 19.0),
            MarkKind::Rejected | MarkKind::Failed => {
                write!(d, "M{:.1},{:.1}l5,5m0,-5l-5,5", x - 2.5, y + 23.0)
            }
        };
    }
    d
}

fn lane_row(out: &mut String, f: &LanesFrame, i: usize, lane: &LaneView, emphasis: &Emphasis) {
    let now = f.now.as_us();
    let span = f.span_us.max(1);
    let y = TOP_H + ROW_H * i as f64;
    let hl = emphasis.stresses([lane.id.as_str(), lane.label.as_str()]);
    let count = |k: MarkKind| lane.unpacked().filter(|m| m.1 == k).count();
    let id = esc(&lane.id);
    let label = esc(&lane.label);
    let gauge = esc(&lane.gauge);
    let _ = write!(
        out,
        r#"<g class="lane{hl}" data-testid="lane-{id}"{hl_attr} data-ok="{}" data-rejected="{}" data-delayed="{}"><title>{label}: {gauge}; {} admitted, {} rejected</title>"#,
        count(MarkKind::Ok),
        count(MarkKind::Rejected),
        count(MarkKind::Delayed),
        lane.admitted,
        lane.rejected,
        hl = if hl { " lane-hl" } else { "" },
        hl_attr = if hl {
            r#" data-highlighted="true""#
        } else {
            ""
        },
    );
    let _ = write!(
        out,
        r#"<text class="lane-label" x="4" y="{:.1}">{label}</text><rect class="lane-gauge-bg" x="4" y="{gy:.1}" width="210" height="8" rx="2"/><rect class="lane-gauge" x="4" y="{gy:.1}" width="{:.1}" height="8" rx="2"/><text class="lane-gauge-text" x="4" y="{:.1}" data-testid="lane-{id}-gauge">{gauge}</text><rect class="lane-strip" x="{STRIP_X}" y="{sy:.1}" width="{STRIP_W}" height="34"/>"#,
        y + 16.0,
        210.0 * lane.fill.clamp(0.0, 1.0),
        y + 44.0,
        gy = y + 23.0,
        sy = y + 2.0,
    );
    if lane.window_us > 0 {
        let x0 = x_of(now.saturating_sub(lane.window_us), now, span);
        let _ = write!(
            out,
            r#"<rect class="lane-window" x="{x0:.1}" y="{:.1}" width="{:.1}" height="34"/>"#,
            y + 2.0,
            STRIP_X + STRIP_W - x0
        );
    }
    if lane.ticks_us > 0 && span / lane.ticks_us <= 60 {
        // Window boundaries within the strip (time zero is a start, not a boundary).
        let first = now.saturating_sub(span).div_ceil(lane.ticks_us).max(1) * lane.ticks_us;
        let mut d = String::new();
        let mut t = first;
        while t <= now {
            let _ = write!(d, "M{:.1},{:.1}v34", x_of(t, now, span), y + 2.0);
            t += lane.ticks_us;
        }
        if !d.is_empty() {
            let _ = write!(out, r#"<path class="lane-tick" d="{d}"/>"#);
        }
    }
    let _ = write!(
        out,
        r#"<path class="lane-axis" d="M{STRIP_X},{:.1}h{STRIP_W}"/>"#,
        y + 20.0
    );
    for kind in [
        MarkKind::Ok,
        MarkKind::Delayed,
        MarkKind::Rejected,
        MarkKind::Failed,
    ] {
        let d = marks_path(lane, kind, now, span, y);
        if !d.is_empty() {
            let _ = write!(out, r#"<path class="lane-mark {}" d="{d}"/>"#, kind.name());
        }
    }
    if emphasis.conceal {
        out.push_str(r#"<g data-concealed="true"></g>"#);
    } else {
        let _ = write!(
            out,
            r#"<text class="lane-count ok" x="910" y="{:.1}" data-testid="lane-{id}-admitted">✓ {}</text><text class="lane-count rejected" x="910" y="{:.1}" data-testid="lane-{id}-rejected">✗ {}</text>"#,
            y + 15.0,
            lane.admitted,
            y + 31.0,
            lane.rejected
        );
        if !lane.extra.is_empty() {
            let _ = write!(
                out,
                r#"<text class="lane-count extra" x="910" y="{:.1}">{}</text>"#,
                y + 46.0,
                esc(&lane.extra)
            );
        }
    }
    out.push_str("</g>");
}

/// The whole SVG.
fn svg(f: &LanesFrame, emphasis: &Emphasis) -> String {
    let now = f.now.as_us();
    let span = f.span_us.max(1);
    let h = view_h(f.lanes.len());
    let names: Vec<&str> = f.lanes.iter().map(|l| l.label.as_str()).collect();
    let mut out = String::with_capacity(4_096 + 2_048 * f.lanes.len());
    let _ = write!(
        out,
        r#"<svg class="lanes-svg" viewBox="0 0 {VIEW_W} {h:.1}" role="img" data-testid="lanes-diagram" aria-label="{}">"#,
        esc(&format!(
            "{}. The last {} s of requests: {}",
            f.title,
            span as f64 / 1e6,
            names.join(", ")
        ))
    );
    let mut arrivals = String::new();
    for &t in &f.arrivals {
        let _ = write!(arrivals, "M{:.1},8v16", x_of(t, now, span));
    }
    let _ = write!(
        out,
        r#"<text class="lane-label" x="4" y="21">Requests offered</text><rect class="lane-strip" x="{STRIP_X}" y="6" width="{STRIP_W}" height="20"/><path class="lane-arrival" d="{arrivals}" data-testid="lanes-arrivals" data-count="{}"/>"#,
        f.arrivals.len()
    );
    for (i, lane) in f.lanes.iter().enumerate() {
        lane_row(&mut out, f, i, lane, emphasis);
    }
    // Time labels back from now: every second (or half second on a short strip).
    let step = if span >= 4_000_000 {
        1_000_000
    } else {
        500_000
    };
    let mut back = 0;
    while back <= span {
        let x = STRIP_X + STRIP_W - back as f64 / span as f64 * STRIP_W;
        let _ = write!(
            out,
            r#"<text class="lane-time" x="{x:.1}" y="{:.1}">"#,
            h - 6.0
        );
        if back == 0 {
            out.push_str("now");
        } else {
            let _ = write!(out, "−{} s", back as f64 / 1e6);
        }
        out.push_str("</text>");
        back += step;
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimTime;

    #[test]
    fn strips_end_at_now_and_start_a_span_before() {
        assert_eq!(x_of(10_000_000, 10_000_000, 4_000_000), STRIP_X + STRIP_W);
        assert_eq!(x_of(6_000_000, 10_000_000, 4_000_000), STRIP_X);
        assert_eq!(
            x_of(8_000_000, 10_000_000, 4_000_000),
            STRIP_X + STRIP_W / 2.0
        );
        // Early in a run, time zero is a second back from the strip's end.
        assert_eq!(x_of(0, 1_000_000, 4_000_000), STRIP_X + STRIP_W * 0.75);
    }

    fn lane(marks: &[(u64, MarkKind)]) -> LaneView {
        LaneView {
            id: "token-bucket".into(),
            label: "Token <bucket>".into(),
            fill: 0.5,
            gauge: "5 of 10 tokens".into(),
            marks: marks.iter().map(|&(t, k)| k.pack(t)).collect(),
            ticks_us: 1_000,
            window_us: 0,
            admitted: 2,
            rejected: 1,
            extra: String::new(),
        }
    }

    #[test]
    fn one_path_segment_per_mark_of_its_kind() {
        let l = lane(&[
            (1_000, MarkKind::Ok),
            (2_000, MarkKind::Rejected),
            (3_000, MarkKind::Ok),
        ]);
        assert_eq!(
            marks_path(&l, MarkKind::Ok, 4_000, 4_000, 0.0)
                .matches('M')
                .count(),
            2
        );
        assert_eq!(
            marks_path(&l, MarkKind::Rejected, 4_000, 4_000, 0.0)
                .matches('M')
                .count(),
            1
        );
        assert!(marks_path(&l, MarkKind::Delayed, 4_000, 4_000, 0.0).is_empty());
    }

    #[test]
    fn the_svg_escapes_names_and_hides_counts_when_concealed() {
        let f = LanesFrame {
            now: SimTime::from_ms(4),
            span_us: 4_000,
            title: "t".into(),
            arrivals: vec![1_000],
            lanes: vec![lane(&[(1_000, MarkKind::Ok)])],
            note: String::new(),
        };
        let open = svg(&f, &Emphasis::default());
        assert!(open.contains("Token &lt;bucket&gt;") && !open.contains("<bucket>"));
        assert!(open.contains(r#"data-testid="lane-token-bucket-admitted">✓ 2<"#));
        // Boundaries at 1, 2, 3 and 4 ms.
        assert_eq!(open.matches("v34").count(), 4);
        let hidden = svg(
            &f,
            &Emphasis {
                conceal: true,
                ..Emphasis::default()
            },
        );
        assert!(!hidden.contains("lane-token-bucket-admitted"));
        assert!(hidden.contains(r#"data-concealed="true""#));
    }
}
