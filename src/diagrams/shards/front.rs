//! The band of front stages above the buckets — clients, then whatever every request passes
//! first (a cache, a directory, a router, a global index) — as boxes joined by arrows, each
//! with its caption (a hit rate, a table size); a stage that is down is hatched red.

use crate::layout::polar::num;
use crate::layout::shards::{fit_font, Rect, FRONT_H, GRID_TOP, MARGIN, VIEW_W};
use sim::models::shard_view::{FrontView, ShardFrame};
use yew::prelude::*;

/// Widest a stage's box gets.
const BOX_W_MAX: f64 = 104.0;
/// Space between boxes, where the arrows go.
const ARROW_GAP: f64 = 16.0;

/// The front stages with their boxes, left to right after the clients' box (empty without
/// stages).
pub(super) fn boxes(frame: &ShardFrame) -> Vec<(&FrontView, Rect)> {
    if frame.front.is_empty() {
        return Vec::new();
    }
    let (all, _) = layout(frame.front.len());
    frame.front.iter().zip(all.into_iter().skip(1)).collect()
}

/// The boxes of the clients and `n` stages, centred in the band, and the band's rectangle.
fn layout(n: usize) -> (Vec<Rect>, Rect) {
    let k = n as f64 + 1.0;
    let avail = VIEW_W - 2.0 * MARGIN;
    let w = ((avail - ARROW_GAP * (k - 1.0)) / k).min(BOX_W_MAX);
    let used = w * k + ARROW_GAP * (k - 1.0);
    let left = MARGIN + (avail - used) / 2.0;
    let band = Rect {
        x: MARGIN,
        y: GRID_TOP,
        w: avail,
        h: FRONT_H,
    };
    let boxes = (0..=n)
        .map(|i| Rect {
            x: left + i as f64 * (w + ARROW_GAP),
            y: GRID_TOP,
            w,
            h: FRONT_H,
        })
        .collect();
    (boxes, band)
}

fn stage_box(r: &Rect, label: &str, caption: Option<&str>, class: Classes, testid: String) -> Html {
    let cx = r.x + r.w / 2.0;
    let label_font = fit_font(label, 10.0, r.w - 8.0, true);
    html! {
        <g class={class} data-testid={testid}>
            <rect class="front-box" x={num(r.x)} y={num(r.y)} width={num(r.w)} height={num(r.h)} rx="6" />
            <text class="front-label" x={num(cx)} y={num(r.y + if caption.is_some() { 12.5 } else { 18.5 })}
                  text-anchor="middle" font-size={num(label_font)}>{ label }</text>
            if let Some(c) = caption {
                <text class="front-caption" x={num(cx)} y={num(r.y + 24.0)} text-anchor="middle"
                      font-size={num(fit_font(c, 8.5, r.w - 8.0, false))}>{ c }</text>
            }
        </g>
    }
}

/// The band: clients → stage → stage …, and a short arrow down to the shards.
pub(super) fn band(frame: &ShardFrame) -> Html {
    if frame.front.is_empty() {
        return html! {};
    }
    let (all, _) = layout(frame.front.len());
    let arrows = all.windows(2).map(|w| {
        let (a, b) = (&w[0], &w[1]);
        let y = a.y + a.h / 2.0;
        html! {
            <path class="front-arrow" d={format!("M{} {} L{} {}", num(a.x + a.w + 2.0), num(y), num(b.x - 3.0), num(y))}
                  marker-end="url(#front-arrowhead)" />
        }
    });
    let last = all.last().copied().unwrap_or(all[0]);
    let down = html! {
        <path class="front-arrow" d={format!("M{} {} L{} {}", num(last.x + last.w / 2.0), num(last.y + last.h + 1.0),
              num(last.x + last.w / 2.0), num(last.y + last.h + 6.5))} marker-end="url(#front-arrowhead)" />
    };
    let stages = frame.front.iter().zip(all.iter().skip(1)).map(|(f, r)| {
        let caption = if f.down {
            Some("down".to_string())
        } else {
            f.caption.clone()
        };
        let title = format!("{}{}", f.label, caption.as_deref().map(|c| format!(": {c}")).unwrap_or_default());
        html! {
            <g key={f.id.clone()} data-down={f.down.to_string()}>
                <title>{ title }</title>
                { stage_box(r, &f.label, caption.as_deref(), classes!("front", f.down.then_some("down")), format!("front-{}", f.id)) }
            </g>
        }
    });
    html! {
        <g class="front-band">
            <defs>
                <marker id="front-arrowhead" viewBox="0 0 6 6" refX="5" refY="3" markerWidth="5" markerHeight="5" orient="auto-start-reverse">
                    <path d="M0 0 L6 3 L0 6 z" class="front-arrowhead" />
                </marker>
            </defs>
            { stage_box(&all[0], "Clients", None, classes!("front", "clients"), "front-clients".to_string()) }
            { for arrows }
            { down }
            { for stages }
        </g>
    }
}
