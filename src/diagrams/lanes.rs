//! Lanes: mechanisms side by side on one stream of requests (the traffic-control family). The top
//! strip shows the offered requests; below it each lane is one mechanism, with its name and a
//! gauge of its state on the left (tokens left, requests counted, requests queued), a strip of
//! its recent decisions over time in the middle (admitted above the line, rejected below it,
//! delayed on it; a fixed window's boundaries as ticks, a sliding window shaded at the strip's
//! end), and its totals on the right. Every strip ends at the simulated now and scrolls with it.
//!
//! The marks of one kind in one lane are a single SVG path, so a lane costs a handful of nodes
//! however busy the stream is.

use super::{concealed_attr, highlighted_attr, DiagramKind, Emphasis};
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
        lanes_view(self, emphasis)
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

/// Where time `t` (µs) falls on a strip ending at `now`.
fn x_of(t: u64, now: u64, span: u64) -> f64 {
    let back = now.saturating_sub(t) as f64 / span.max(1) as f64;
    STRIP_X + STRIP_W * (1.0 - back.min(1.0))
}

/// One path drawing every mark of `kind` in `marks` on a row whose strip starts at `y`.
fn marks_path(marks: &[(u64, MarkKind)], kind: MarkKind, now: u64, span: u64, y: f64) -> String {
    let mut d = String::new();
    for &(t, k) in marks.iter().filter(|(_, k)| *k == kind) {
        let x = x_of(t, now, span);
        let _ = match k {
            MarkKind::Ok => write!(d, "M{:.1},{:.1}v-12", x, y + 19.0),
            MarkKind::Delayed => write!(d, "M{:.1},{:.1}v-7", x, y + 19.0),
            MarkKind::Rejected | MarkKind::Failed => {
                write!(d, "M{:.1},{:.1}l5,5m0,-5l-5,5", x - 2.5, y + 23.0)
            }
        };
    }
    d
}

fn lane_row(f: &LanesFrame, i: usize, lane: &LaneView, emphasis: &Emphasis) -> Html {
    let now = f.now.as_us();
    let span = f.span_us;
    let y = TOP_H + ROW_H * i as f64;
    let hl = emphasis.stresses([lane.id.as_str(), lane.label.as_str()]);
    let ticks = if lane.ticks_us > 0 && span / lane.ticks_us <= 60 {
        let first = now.saturating_sub(span).div_ceil(lane.ticks_us) * lane.ticks_us;
        // (Time zero is a boundary too, but not one a request can be let through twice at.)
        let first = first.max(lane.ticks_us);
        let mut d = String::new();
        let mut t = first;
        while t <= now {
            let _ = write!(d, "M{:.1},{:.1}v34", x_of(t, now, span), y + 2.0);
            t += lane.ticks_us;
        }
        d
    } else {
        String::new()
    };
    let window = (lane.window_us > 0).then(|| {
        let x0 = x_of(now.saturating_sub(lane.window_us), now, span);
        html! { <rect class="lane-window" x={format!("{x0:.1}")} y={format!("{:.1}", y + 2.0)}
        width={format!("{:.1}", STRIP_X + STRIP_W - x0)} height="34" /> }
    });
    let count = |what: &str| lane.counts.iter().find(|(k, _)| k == what).map(|c| c.1);
    let admitted = count("admitted").unwrap_or(0);
    let rejected = count("rejected").unwrap_or(0);
    let extra: Vec<&(String, u64)> = lane
        .counts
        .iter()
        .filter(|(k, _)| k != "admitted" && k != "rejected")
        .collect();
    let path = |kind: MarkKind| {
        let d = marks_path(&lane.marks, kind, now, span, y);
        (!d.is_empty()).then(|| html! { <path class={classes!("lane-mark", kind.name())} d={d} /> })
    };
    let n = |k: MarkKind| lane.marks.iter().filter(|m| m.1 == k).count().to_string();
    let summary = format!(
        "{}: {}; {admitted} admitted, {rejected} rejected",
        lane.label, lane.gauge
    );
    html! {
        <g class={classes!("lane", hl.then_some("lane-hl"))} data-testid={format!("lane-{}", lane.id)}
           data-highlighted={highlighted_attr(hl)} data-ok={n(MarkKind::Ok)}
           data-rejected={n(MarkKind::Rejected)} data-delayed={n(MarkKind::Delayed)}>
            <title>{ summary }</title>
            <text class="lane-label" x="4" y={format!("{:.1}", y + 16.0)}>{ &lane.label }</text>
            <rect class="lane-gauge-bg" x="4" y={format!("{:.1}", y + 23.0)} width="210" height="8" rx="2" />
            <rect class="lane-gauge" x="4" y={format!("{:.1}", y + 23.0)} width={format!("{:.1}", 210.0 * lane.fill.clamp(0.0, 1.0))} height="8" rx="2" />
            <text class="lane-gauge-text" x="4" y={format!("{:.1}", y + 44.0)} data-testid={format!("lane-{}-gauge", lane.id)}>{ &lane.gauge }</text>
            <rect class="lane-strip" x={STRIP_X.to_string()} y={format!("{:.1}", y + 2.0)} width={STRIP_W.to_string()} height="34" />
            { for window }
            if !ticks.is_empty() { <path class="lane-tick" d={ticks} /> }
            <path class="lane-axis" d={format!("M{STRIP_X},{:.1}h{STRIP_W}", y + 20.0)} />
            { for path(MarkKind::Ok) }
            { for path(MarkKind::Delayed) }
            { for path(MarkKind::Rejected) }
            { for path(MarkKind::Failed) }
            <g data-concealed={concealed_attr(emphasis.conceal)}>
                if !emphasis.conceal {
                    <text class="lane-count ok" x="910" y={format!("{:.1}", y + 15.0)} data-testid={format!("lane-{}-admitted", lane.id)}>{ format!("✓ {admitted}") }</text>
                    <text class="lane-count rejected" x="910" y={format!("{:.1}", y + 31.0)} data-testid={format!("lane-{}-rejected", lane.id)}>{ format!("✗ {rejected}") }</text>
                    { for extra.iter().map(|(k, v)| html! {
                        <text class="lane-count extra" x="910" y={format!("{:.1}", y + 46.0)}>{ format!("{v} {k}") }</text>
                    }) }
                }
            </g>
        </g>
    }
}

fn lanes_view(f: &LanesFrame, emphasis: &Emphasis) -> Html {
    let now = f.now.as_us();
    let span = f.span_us.max(1);
    let h = view_h(f.lanes.len());
    let mut arrivals = String::new();
    for &t in &f.arrivals {
        let _ = write!(arrivals, "M{:.1},8v16", x_of(t, now, span));
    }
    // Axis labels: whole seconds (or tenths) back from now.
    let step = if span >= 4_000_000 {
        1_000_000
    } else {
        500_000
    };
    let axis_y = h - 6.0;
    let mut labels = Vec::new();
    let mut back = 0;
    while back <= span {
        let x = STRIP_X + STRIP_W - back as f64 / span as f64 * STRIP_W;
        let text = if back == 0 {
            "now".to_string()
        } else {
            format!("−{} s", back as f64 / 1e6)
        };
        labels.push(html! { <text class="lane-time" x={format!("{x:.1}")} y={format!("{axis_y:.1}")}>{ text }</text> });
        back += step;
    }
    let label = format!(
        "{}. {} lanes, the last {} s of requests: {}",
        f.title,
        f.lanes.len(),
        span as f64 / 1e6,
        f.lanes
            .iter()
            .map(|l| l.label.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    html! {
        <div class="lanes-diagram" data-testid="lanes-diagram">
            <p class="lanes-title" data-testid="lanes-title">{ &f.title }</p>
            <svg class="lanes-svg" viewBox={format!("0 0 {VIEW_W} {h:.1}")} role="img" aria-label={label}>
                <text class="lane-label" x="4" y="21">{ "Requests offered" }</text>
                <rect class="lane-strip" x={STRIP_X.to_string()} y="6" width={STRIP_W.to_string()} height="20" />
                <path class="lane-arrival" d={arrivals} data-testid="lanes-arrivals" data-count={f.arrivals.len().to_string()} />
                { for f.lanes.iter().enumerate().map(|(i, l)| lane_row(f, i, l, emphasis)) }
                { for labels }
            </svg>
            <p class="lanes-note" data-testid="lanes-note">{ &f.note }</p>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn one_path_segment_per_mark_of_its_kind() {
        let marks = [
            (1_000, MarkKind::Ok),
            (2_000, MarkKind::Rejected),
            (3_000, MarkKind::Ok),
        ];
        let ok = marks_path(&marks, MarkKind::Ok, 4_000, 4_000, 0.0);
        assert_eq!(ok.matches('M').count(), 2);
        assert_eq!(
            marks_path(&marks, MarkKind::Rejected, 4_000, 4_000, 0.0)
                .matches('M')
                .count(),
            1
        );
        assert!(marks_path(&marks, MarkKind::Delayed, 4_000, 4_000, 0.0).is_empty());
    }
}
