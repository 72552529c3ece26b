//! Lanes: mechanisms side by side on one stream of requests (the traffic-control family). The top
//! strip shows the offered requests; below it each lane is one mechanism, with its name and a
//! gauge of its state on the left (tokens left, requests counted, requests queued), a strip of
//! its recent decisions over time in the middle (admitted above the line, rejected below it,
//! delayed on it; a fixed window's boundaries as ticks, a sliding window shaded at the strip's
//! end), and its totals on the right. Every strip ends at the simulated now and scrolls with it.
//!
//! Each lane is a row of HTML (its name and gauge, its strip, its totals) laid out by CSS: side by
//! side on a wide stage, the name above a full-width strip on a phone, so the text stays text at
//! a readable size. A strip is an SVG stretched to the row's width, its marks vertical ticks (which
//! stay ticks however it stretches), one path per kind, so a lane costs a handful of nodes however
//! busy the stream is. The whole block is written as one string and inserted at once (no
//! virtual-DOM node per element), which keeps the diagram's code in the app's wasm small.

use super::{DiagramKind, Emphasis};
use sim::models::lanes::{BandState, LaneView, LanesFrame, MarkKind};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::rc::Rc;
use yew::prelude::*;

/// A strip's drawing width (its `viewBox`); it stretches to the lane's width, its height fixed.
const STRIP_W: f64 = 1000.0;
/// A strip's height.
const STRIP_H: f64 = 40.0;
/// The line admitted ticks rise from and rejected ones fall from.
const MID: f64 = 20.0;

impl DiagramKind for Rc<LanesFrame> {
    fn view(&self, _reduced_motion: bool, emphasis: &Emphasis) -> Html {
        html! {
            <div class="lanes-diagram" data-testid="lanes">
                <p class="lanes-title" data-testid="lanes-title">{ &self.title }</p>
                { Html::from_html_unchecked(AttrValue::from(grid(self, emphasis))) }
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
        // A wide stage: about 52 px per lane at 1,000 px, plus the offered strip and the axis.
        1000.0 / (52.0 * self.lanes.len() as f64 + 90.0)
    }
}

/// Text made safe inside markup.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Where time `t` (µs) falls on a strip ending at `now` and showing `span` µs.
fn x_of(t: u64, now: u64, span: u64) -> f64 {
    let back = now.saturating_sub(t) as f64 / span.max(1) as f64;
    STRIP_W * (1.0 - back.min(1.0))
}

/// One path drawing every mark of `kind` in `lane`: vertical ticks, which stay ticks however the
/// strip stretches (up from the line: admitted; a short one: delayed; down: rejected or failed).
fn marks_path(lane: &LaneView, kind: MarkKind, now: u64, span: u64) -> String {
    let mut d = String::new();
    for (t, _) in lane.unpacked().filter(|(_, k)| *k == kind) {
        let x = x_of(t, now, span);
        let _ = match kind {
            MarkKind::Ok => write!(d, "M{x:.1},{MID}V4"),
            MarkKind::Delayed => write!(d, "M{x:.1},{MID}V11"),
            MarkKind::Rejected | MarkKind::Failed => write!(d, "M{x:.1},{}V36", MID + 3.0),
        };
    }
    d
}

/// The opening of a stretched strip.
fn strip_open(out: &mut String, extra: &str) {
    let _ = write!(
        out,
        r#"<svg class="lane-svg" viewBox="0 0 {STRIP_W} {STRIP_H}" preserveAspectRatio="none" aria-hidden="true"{extra}><rect class="lane-strip" x="0" y="0" width="{STRIP_W}" height="{STRIP_H}"/>"#
    );
}

/// A breaker's open and half-open periods within the strip, as shaded bands behind its marks.
fn bands_markup(lane: &LaneView, now: u64, span: u64) -> String {
    let bands: Vec<(u64, BandState)> = lane.unpacked_bands().collect();
    let mut out = String::new();
    for (i, &(from, state)) in bands.iter().enumerate() {
        let to = bands.get(i + 1).map_or(now, |b| b.0).min(now);
        if state == BandState::Closed || to < now.saturating_sub(span) {
            continue;
        }
        let (x0, x1) = (x_of(from, now, span), x_of(to, now, span));
        let _ = write!(
            out,
            r#"<rect class="lane-band {}" x="{x0:.1}" y="1" width="{:.1}" height="{}"/>"#,
            state.name(),
            (x1 - x0).max(1.0),
            STRIP_H - 2.0
        );
    }
    out
}

fn lane_row(out: &mut String, f: &LanesFrame, lane: &LaneView, emphasis: &Emphasis) {
    let now = f.now.as_us();
    let span = f.span_us.max(1);
    let hl = emphasis.stresses([lane.id.as_str(), lane.label.as_str()]);
    let count = |k: MarkKind| lane.unpacked().filter(|m| m.1 == k).count();
    let id = esc(&lane.id);
    let _ = write!(
        out,
        r#"<div class="lane{}{}" data-testid="lane-{id}"{}{} data-ok="{}" data-rejected="{}" data-delayed="{}" data-failed="{}"><div class="lane-head"><b class="lane-label">{}</b><span class="lane-gauge" aria-hidden="true"><i style="width:{:.1}%"></i></span><span class="lane-gauge-text" data-testid="lane-{id}-gauge">{}</span></div>"#,
        if hl { " lane-hl" } else { "" },
        if lane.bands.is_empty() {
            ""
        } else {
            " lane-stateful"
        },
        if hl {
            r#" data-highlighted="true""#
        } else {
            ""
        },
        match lane.unpacked_bands().last() {
            Some((_, state)) => format!(r#" data-state="{}""#, state.name()),
            None => String::new(),
        },
        count(MarkKind::Ok),
        count(MarkKind::Rejected),
        count(MarkKind::Delayed),
        count(MarkKind::Failed),
        esc(&lane.label),
        100.0 * lane.fill.clamp(0.0, 1.0),
        esc(&lane.gauge),
    );
    strip_open(out, "");
    out.push_str(&bands_markup(lane, now, span));
    if lane.window_us > 0 {
        let x0 = x_of(now.saturating_sub(lane.window_us), now, span);
        let _ = write!(
            out,
            r#"<rect class="lane-window" x="{x0:.1}" y="0" width="{:.1}" height="{STRIP_H}"/>"#,
            STRIP_W - x0
        );
    }
    if lane.ticks_us > 0 && span / lane.ticks_us <= 60 {
        // Window boundaries within the strip (time zero is a start, not a boundary).
        let first = now.saturating_sub(span).div_ceil(lane.ticks_us).max(1) * lane.ticks_us;
        let mut d = String::new();
        let mut t = first;
        while t <= now {
            let _ = write!(d, "M{:.1},0V{STRIP_H}", x_of(t, now, span));
            t += lane.ticks_us;
        }
        if !d.is_empty() {
            let _ = write!(out, r#"<path class="lane-tick" d="{d}"/>"#);
        }
    }
    let _ = write!(out, r#"<path class="lane-axis" d="M0,{MID}H{STRIP_W}"/>"#);
    for kind in [
        MarkKind::Ok,
        MarkKind::Delayed,
        MarkKind::Rejected,
        MarkKind::Failed,
    ] {
        let d = marks_path(lane, kind, now, span);
        if !d.is_empty() {
            let _ = write!(out, r#"<path class="lane-mark {}" d="{d}"/>"#, kind.name());
        }
    }
    out.push_str("</svg>");
    if emphasis.conceal {
        out.push_str(r#"<div class="lane-counts" data-concealed="true"></div>"#);
    } else {
        let (ok, no) = f
            .counts
            .as_ref()
            .map_or(("admitted", "rejected"), |(a, r)| (a.as_str(), r.as_str()));
        let _ = write!(
            out,
            r#"<div class="lane-counts"><span class="ok" data-testid="lane-{id}-admitted" title="{}">✓ {}</span><span class="rejected" data-testid="lane-{id}-rejected" title="{}">✗ {}</span>"#,
            esc(ok),
            lane.admitted,
            esc(no),
            lane.rejected
        );
        if !lane.extra.is_empty() {
            let _ = write!(out, r#"<span class="extra">{}</span>"#, esc(&lane.extra));
        }
        out.push_str("</div>");
    }
    out.push_str("</div>");
}

/// The lanes as one block of markup: a row per lane (its name and gauge, its strip, its totals),
/// under the offered requests' strip and over a time axis.
fn grid(f: &LanesFrame, emphasis: &Emphasis) -> String {
    let now = f.now.as_us();
    let span = f.span_us.max(1);
    let names: Vec<&str> = f.lanes.iter().map(|l| l.label.as_str()).collect();
    let mut out = String::with_capacity(4_096 + 2_048 * f.lanes.len());
    let offered = f.offered.as_deref().unwrap_or("Requests offered");
    let _ = write!(
        out,
        r#"<div class="lanes-grid{}" role="group" data-testid="lanes-diagram" aria-label="{}">"#,
        if offered.is_empty() {
            " lanes-bare"
        } else {
            ""
        },
        esc(&format!(
            "{}. The last {} s: {}",
            f.title,
            span as f64 / 1e6,
            names.join(", ")
        ))
    );
    if !offered.is_empty() {
        let _ = write!(
            out,
            r#"<div class="lane lanes-offered"><div class="lane-head"><b class="lane-label">{}</b></div>"#,
            esc(offered)
        );
        let mut arrivals = String::new();
        for &t in &f.arrivals {
            let _ = write!(arrivals, "M{:.1},4V36", x_of(t, now, span));
        }
        strip_open(
            &mut out,
            &format!(
                r#" data-testid="lanes-arrivals" data-count="{}""#,
                f.arrivals.len()
            ),
        );
        let _ = write!(
            out,
            r#"<path class="lane-arrival" d="{arrivals}"/></svg><div class="lane-counts"></div></div>"#
        );
    }
    for lane in &f.lanes {
        lane_row(&mut out, f, lane, emphasis);
    }
    // Time labels back from now: every second (or half second on a short strip).
    out.push_str(r#"<div class="lane lanes-axis" aria-hidden="true"><div class="lane-head"></div><div class="lane-times">"#);
    let step = match span {
        s if s >= 16_000_000 => 5_000_000,
        s if s >= 8_000_000 => 2_000_000,
        s if s >= 4_000_000 => 1_000_000,
        _ => 500_000,
    };
    let mut back = 0;
    while back <= span {
        let left = 100.0 * (1.0 - back as f64 / span as f64);
        let _ = write!(out, r#"<span style="left:{left:.2}%">"#);
        if back == 0 {
            out.push_str("now");
        } else {
            let _ = write!(out, "−{} s", back as f64 / 1e6);
        }
        out.push_str("</span>");
        back += step;
    }
    out.push_str("</div><div class=\"lane-counts\"></div></div></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimTime;

    #[test]
    fn strips_end_at_now_and_start_a_span_before() {
        assert_eq!(x_of(10_000_000, 10_000_000, 4_000_000), STRIP_W);
        assert_eq!(x_of(6_000_000, 10_000_000, 4_000_000), 0.0);
        assert_eq!(x_of(8_000_000, 10_000_000, 4_000_000), STRIP_W / 2.0);
        // Early in a run, time zero is a second back from the strip's end.
        assert_eq!(x_of(0, 1_000_000, 4_000_000), STRIP_W * 0.75);
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
            bands: Vec::new(),
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
            marks_path(&l, MarkKind::Ok, 4_000, 4_000)
                .matches('M')
                .count(),
            2
        );
        assert_eq!(
            marks_path(&l, MarkKind::Rejected, 4_000, 4_000)
                .matches('M')
                .count(),
            1
        );
        assert!(marks_path(&l, MarkKind::Delayed, 4_000, 4_000).is_empty());
    }

    #[test]
    fn bands_shade_open_and_half_open_periods_within_the_strip() {
        let mut l = lane(&[]);
        l.bands = vec![
            BandState::Closed.pack(0),
            BandState::Open.pack(1_000),
            BandState::HalfOpen.pack(3_000),
            BandState::Closed.pack(3_500),
        ];
        let m = bands_markup(&l, 4_000, 4_000);
        assert_eq!(m.matches("lane-band open").count(), 1);
        assert_eq!(m.matches("lane-band half-open").count(), 1);
        // Open from 1 ms to 3 ms: a quarter of the way along, half the strip wide.
        assert!(m.contains(r#"x="250.0" y="1" width="500.0""#), "{m}");
        // Long before the strip, nothing is drawn.
        assert!(bands_markup(&l, 100_000, 4_000).is_empty());
    }

    /// A 4 ms strip with one lane and one arrival.
    fn one_lane() -> LanesFrame {
        LanesFrame {
            now: SimTime::from_ms(4),
            span_us: 4_000,
            title: "t".into(),
            arrivals: vec![1_000],
            offered: None,
            counts: None,
            lanes: vec![lane(&[(1_000, MarkKind::Ok)])],
            note: String::new(),
        }
    }

    #[test]
    fn the_markup_escapes_names_and_hides_counts_when_concealed() {
        let f = one_lane();
        let open = grid(&f, &Emphasis::default());
        assert!(open.contains("Token &lt;bucket&gt;") && !open.contains("<bucket>"));
        assert!(open.contains(r#"data-testid="lane-token-bucket-admitted" title="admitted">✓ 2<"#));
        // Boundaries at 1, 2, 3 and 4 ms.
        assert_eq!(open.matches(&format!("V{STRIP_H}")).count(), 4);
        let hidden = grid(
            &f,
            &Emphasis {
                conceal: true,
                ..Emphasis::default()
            },
        );
        assert!(!hidden.contains("lane-token-bucket-admitted"));
        assert!(hidden.contains(r#"data-concealed="true""#));
    }

    #[test]
    fn the_top_strip_takes_the_models_name_or_is_left_out() {
        let mut f = one_lane();
        assert!(grid(&f, &Emphasis::default()).contains(">Requests offered</b>"));
        f.offered = Some("Payments <started>".into());
        let named = grid(&f, &Emphasis::default());
        assert!(
            named.contains(">Payments &lt;started&gt;</b>") && named.contains("lanes-arrivals")
        );
        f.offered = Some(String::new());
        let none = grid(&f, &Emphasis::default());
        assert!(!none.contains("lanes-offered") && !none.contains("lanes-arrivals"));
        assert!(
            none.contains("lane-token-bucket-admitted"),
            "the lanes are still drawn"
        );
    }
}
