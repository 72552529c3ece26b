//! The live overlay: requests in flight, and server markers and ghosts with their labels and
//! tooltips.

use super::color_of;
use crate::diagrams::{concealed_attr, highlighted_attr, palette_class, Emphasis};
use crate::layout::format::{self, count};
use crate::layout::polar::{angle_of, clockwise_span, label_outside, num};
use crate::layout::ring::{
    text_width, track, RingLayout, CENTRE, KEY_R, LABEL_R, MARGIN, RING_R, TRACK_W, VIEW,
};
use sim::models::hash_ring::{RingFrame, REQUEST_SHOWN_US};
use yew::prelude::*;

/// Requests in flight: a dot walking clockwise from the key to the owner's serving point, then a
/// ring spreading from that point. Position from `now − routed_at`, never from a CSS timer.
pub(super) fn requests(frame: &RingFrame, layout: &RingLayout, reduced_motion: bool) -> Html {
    let walk = track().with_radius(KEY_R);
    let ring = track();
    let items = frame.requests.iter().map(|r| {
        let progress = (frame.now.since(r.at) as f64 / REQUEST_SHOWN_US as f64).clamp(0.0, 1.0);
        let color = color_of(layout, &r.server).map(palette_class);
        let (from, to) = (angle_of(r.position), angle_of(r.point));
        // The walk takes the first 60% of the time, easing out; the arrival ring the rest.
        let walk_t = (progress / 0.6).min(1.0);
        let eased = 1.0 - (1.0 - walk_t) * (1.0 - walk_t);
        let dot = if reduced_motion { walk.point_at(to) } else { walk.point_between(from, to, eased) };
        let dot_opacity = if reduced_motion { 1.0 - progress } else { 1.0 - ((progress - 0.6) / 0.4).clamp(0.0, 1.0) };
        let hit_t = ((progress - 0.45) / 0.55).clamp(0.0, 1.0);
        let hit = ring.point_at(to);
        let hit_r = if reduced_motion { 9.0 } else { 5.0 + 11.0 * hit_t };
        html! {
            <g key={r.id} class={classes!("request", color)}>
                if hit_t > 0.0 {
                    <circle class="request-hit" cx={num(hit.x)} cy={num(hit.y)} r={num(hit_r)} opacity={num(1.0 - hit_t)} />
                }
                <circle class="request-dot" cx={num(dot.x)} cy={num(dot.y)} r="3" opacity={num(dot_opacity)} />
            </g>
        }
    });
    html! { <>{ for items }</> }
}

/// Server markers (live, with their label and tooltip) and crashed servers' ghosts; a stressed
/// server gets a halo and a thicker marker, and a concealed one only its name.
pub(super) fn markers(frame: &RingFrame, layout: &RingLayout, emphasis: &Emphasis) -> Html {
    let conceal = emphasis.conceal;
    let ring = track();
    let labels = ring.with_radius(LABEL_R);
    let teaching = frame.servers.iter().any(|s| s.pinned);
    let live = frame.servers.iter().zip(&layout.servers).map(|(view, s)| {
        let true_deg = angle_of(s.anchor);
        let p = ring.point_at(true_deg);
        let arc_deg = view.arc_percent * 3.6;
        let share_text = format::percent(view.arc_percent);
        // In the 0–360° teaching mode the notes speak in degrees of arc (A owns 125°): a line of
        // its own above the share, so the label stays narrow.
        let arc_text = (teaching && !conceal).then(|| format::arc_degrees(arc_deg));
        let stressed = emphasis.stresses([s.name.as_str()]);
        let width = text_width(&s.name, 15.0, true).max(if conceal { 0.0 } else { text_width(&share_text, 11.5, false) });
        let lines = if conceal { 1 } else if teaching { 3 } else { 2 };
        let spot = label_outside(&labels, s.label_deg, lines, 12.0).fit(width, MARGIN, VIEW - MARGIN);
        let (lx, ly) = (spot.x - p.x, spot.y - p.y);
        let nudged = clockwise_span(true_deg, s.label_deg).min(clockwise_span(s.label_deg, true_deg)) > 0.5;
        let leader_a = ring.with_radius(RING_R + TRACK_W / 2.0 + 2.0).point_at(true_deg);
        let leader_b = ring.with_radius(LABEL_R - 8.0).point_at(s.label_deg);
        let points = if s.points.len() == 1 { format!("at {}", format::degrees(true_deg)) } else { count(s.points.len() as u64, "point", "points") };
        // Concealed, the tooltip keeps only what gives no share away.
        let tip_lines: Vec<String> = if conceal {
            vec![s.name.clone(), points]
        } else {
            vec![
                format!("{} owns {} of the ring ({})", s.name, format::percent(view.arc_percent), format::arc_degrees(arc_deg)),
                format!("{} · {}", count(view.keys, "key", "keys"), count(view.requests, "request", "requests")),
                points,
            ]
        };
        let title = tip_lines.join("\n");
        html! {
            <g key={s.name.clone()} data-testid={format!("server-{}", s.name)} class={classes!("server", palette_class(s.color), stressed.then_some("highlighted"))}
               transform={format!("translate({} {})", num(p.x), num(p.y))} tabindex="0"
               data-highlighted={highlighted_attr(stressed)} data-concealed={concealed_attr(conceal)}>
                <title>{ title }</title>
                if nudged {
                    <line class="leader" x1={num(leader_a.x - p.x)} y1={num(leader_a.y - p.y)} x2={num(leader_b.x - p.x)} y2={num(leader_b.y - p.y)} />
                }
                if stressed {
                    <circle class="highlight-halo" r="13" />
                }
                <circle class="marker" r="7" />
                <text class="server-name" x={num(lx)} y={num(ly)} text-anchor={spot.anchor.as_str()}>{ &s.name }</text>
                if let Some(arc_text) = arc_text {
                    <text class="server-share server-arc" x={num(lx)} y={num(ly + 12.0)} text-anchor={spot.anchor.as_str()}>{ arc_text }</text>
                }
                if !conceal {
                    <text class="server-share" x={num(lx)} y={num(ly + if teaching { 24.0 } else { 12.0 })} text-anchor={spot.anchor.as_str()}>{ share_text }</text>
                }
                { tip(&tip_lines, p.x, p.y) }
            </g>
        }
    });
    let ghosts = layout.ghosts.iter().map(|g| {
        let stressed = emphasis.stresses([g.name.as_str()]);
        let p = ring.point_of(g.anchor);
        let width = text_width(&g.name, 15.0, true).max(text_width("crashed", 11.5, false));
        let spot = label_outside(&labels, g.label_deg, 2, 12.0).fit(width, MARGIN, VIEW - MARGIN);
        let (lx, ly) = (spot.x - p.x, spot.y - p.y);
        html! {
            <g key={format!("ghost-{}", g.name)} data-testid={format!("server-ghost-{}", g.name)} class={classes!("server", "ghost", palette_class(g.color), stressed.then_some("highlighted"))}
               transform={format!("translate({} {})", num(p.x), num(p.y))} data-highlighted={highlighted_attr(stressed)}>
                <title>{ format!("{} crashed; its keys moved to the next server clockwise", g.name) }</title>
                if stressed {
                    <circle class="highlight-halo" r="13" />
                }
                <circle class="marker" r="7" />
                <path class="cross" d="M-3 -3L3 3M3 -3L-3 3" />
                <text class="server-name" x={num(lx)} y={num(ly)} text-anchor={spot.anchor.as_str()}>{ &g.name }</text>
                <text class="server-share" x={num(lx)} y={num(ly + 12.0)} text-anchor={spot.anchor.as_str()}>{ "crashed" }</text>
            </g>
        }
    });
    html! { <>{ for ghosts }{ for live }</> }
}

/// A tooltip box for a marker at `(px, py)`, drawn towards the centre so it stays in view;
/// shown by CSS on keyboard focus (the `<title>` serves the mouse).
fn tip(lines: &[String], px: f64, py: f64) -> Html {
    let w = lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as f64 * 5.6 + 14.0;
    let h = lines.len() as f64 * 13.0 + 8.0;
    let cx = px + (CENTRE - px) * 0.5;
    let cy = py + (CENTRE - py) * 0.5;
    let (x, y) = (
        (cx - w / 2.0).clamp(MARGIN, VIEW - MARGIN - w) - px,
        (cy - h / 2.0).clamp(MARGIN, VIEW - MARGIN - h) - py,
    );
    html! {
        <g class="tip" aria-hidden="true">
            <rect x={num(x)} y={num(y)} width={num(w)} height={num(h)} rx="4" />
            { for lines.iter().enumerate().map(|(i, l)| html! {
                <text x={num(x + 7.0)} y={num(y + 14.0 + i as f64 * 13.0)}>{ l }</text>
            }) }
        </g>
    }
}
