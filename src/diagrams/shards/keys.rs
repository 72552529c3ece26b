//! The keys as chips, the layer that changes only with the keys, the last change and its phase:
//! a hot key with its popularity, and the keys the last change moved on top, with a halo and,
//! for a while, a ghost where each was and a line to where it is.

use super::layers::share_text;
use super::{same_change, visible_change, Placement, Shared};
use crate::diagrams::{highlighted_attr, palette_class, Emphasis, MovePhase};
use crate::layout::polar::{num, Point};
use crate::layout::shards::ChipGrid;
use sim::models::shard_view::{ShardFrame, ShardKeyView};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`Keys`].
#[derive(Properties)]
pub(super) struct KeysProps {
    pub(super) frame: Rc<ShardFrame>,
    pub(super) placement: Shared<Placement>,
    pub(super) phase: MovePhase,
    pub(super) emphasis: Emphasis,
}

impl PartialEq for KeysProps {
    /// Equal when the placement, the keys, the visible change, its phase and the emphasis agree.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.frame, &other.frame);
        self.placement == other.placement
            && self.phase == other.phase
            && self.emphasis == other.emphasis
            && same_change(visible_change(a), visible_change(b))
            && (Rc::ptr_eq(a, b) || a.keys == b.keys)
    }
}

/// A chip's face, centred on the origin: a rounded square with the id when there is room,
/// else a dot.
fn chip_body(chips: &ChipGrid, id: u64) -> Html {
    let s = chips.size;
    match chips.font {
        Some(font) => html! {
            <>
                <rect class="chip" x={num(-s / 2.0)} y={num(-s / 2.0)} width={num(s)} height={num(s)} rx={num(s * 0.28)} />
                <text class="chip-id" y={num(font * 0.36)} text-anchor="middle" font-size={num(font)}>{ id }</text>
            </>
        },
        None => html! { <circle class="chip dot" r={num(s * 0.45)} /> },
    }
}

/// An outline `grow` units outside a chip centred on the origin, of the chip's shape.
pub(super) fn chip_outline(
    chips: &ChipGrid,
    grow: f64,
    class: &'static str,
    testid: Option<&'static str>,
) -> Html {
    let s = chips.size + 2.0 * grow;
    if chips.font.is_some() {
        html! {
            <rect class={class} data-testid={testid} x={num(-s / 2.0)} y={num(-s / 2.0)} width={num(s)} height={num(s)}
                  rx={num(chips.size * 0.28 + grow)} />
        }
    } else {
        html! { <circle class={class} data-testid={testid} r={num(chips.size * 0.45 + grow)} /> }
    }
}

/// Where a chip sits: a CSS transform, so that a chip that stays on its shard glides when the
/// buckets are re-laid out.
fn place(p: Point) -> String {
    format!("transform: translate({}px, {}px)", num(p.x), num(p.y))
}

/// A key's tooltip.
fn key_title(k: &ShardKeyView, frame: &ShardFrame) -> String {
    let shard = frame
        .shards
        .iter()
        .find(|s| s.index == k.shard)
        .map_or_else(|| format!("shard {}", k.shard), |s| s.name.clone());
    format!("{} (id {}) on {}", k.name, k.id, shard)
}

/// The keys, as chips coloured by shard, a hot key with a ring sized by its share of the
/// requests. The keys the last change moved are drawn last with a halo; for a while after the
/// change (in simulated time, see [`MovePhase`]) each also shows a ghost where it was drawn
/// before and a line from there to where it is, and at first keeps its old shard's colour, so
/// where the moved keys went can be traced.
#[function_component]
pub(super) fn Keys(props: &KeysProps) -> Html {
    let frame = &props.frame;
    let placement = &props.placement.0;
    let chips = &placement.layout.chips;
    let emphasis = &props.emphasis;
    let change = visible_change(frame);
    let moved = |id: u64| change.is_some() && placement.before.contains_key(&id);
    // Keys by name only: a bare number names a shard (`2`), not user 2.
    let stressed = |k: &ShardKeyView| emphasis.stresses([k.name.as_str()]);
    let still = frame.keys.iter().filter(|k| !moved(k.id)).filter_map(|k| {
        let p = *placement.points.get(&k.id)?;
        let on = stressed(k);
        let share = k.share.filter(|_| !emphasis.conceal);
        // A popularity ring whose area grows with the key's share of the requests.
        let ring = share.map(|pct| chips.size * 0.5 + 2.0 + 1.8 * pct.max(0.0).sqrt());
        Some(html! {
            <g key={k.id} data-testid={format!("shard-key-{}", k.id)} class={classes!("shard-key", palette_class(k.shard), k.hot.then_some("hot"), on.then_some("highlighted"))}
               data-shard={k.shard.to_string()} style={place(p)} data-highlighted={highlighted_attr(on)}
               data-share={share.map(|s| format!("{s:.2}"))}>
                <title>{ match (k.hot, share) {
                    (true, Some(pct)) => format!("{} · hot key: {} of the requests", key_title(k, frame), share_text(pct)),
                    (true, None) => format!("{} · hot key", key_title(k, frame)),
                    _ => key_title(k, frame),
                } }</title>
                if let Some(r) = ring {
                    <circle class="key-popularity" r={num(r)} />
                }
                if on {
                    { chip_outline(chips, 3.5, "highlight-halo", None) }
                }
                if k.hot {
                    { chip_outline(chips, 2.0, "hot-key", Some("hot-key")) }
                }
                { chip_body(chips, k.id) }
                if let (Some(_), Some(pct)) = (ring, share) {
                    <text class="key-share" data-testid={format!("key-share-{}", k.id)} y={num(chips.size * 0.5 + 8.5)} text-anchor="middle">{ share_text(pct) }</text>
                }
            </g>
        })
    });
    let stamp = change.map_or(0, |c| c.at.as_us());
    // Labelled chips have room for a halo round them; dense dots only for a thin ring in the gap.
    let halo_gap = if chips.font.is_some() {
        2.5
    } else {
        (chips.pitch * 0.5 - chips.size * 0.45).max(0.6)
    };
    let phase = props.phase;
    let moved_keys: Vec<(&ShardKeyView, Point, Point, u32)> = frame
        .keys
        .iter()
        .filter(|k| moved(k.id))
        .filter_map(|k| {
            let p = *placement.points.get(&k.id)?;
            let was = placement.before.get(&k.id).copied().unwrap_or(p);
            let from = change
                .and_then(|c| super::moved_from(c, k.id))
                .unwrap_or(k.shard);
            Some((k, p, was, from))
        })
        .collect();
    // Ghosts and the lines to the keys' new places, under the chips.
    let traces = moved_keys.iter().filter(|_| phase.traced()).map(|&(k, p, was, from)| {
        html! {
            <g key={format!("{stamp}-{}", k.id)} class={classes!("move-trace", palette_class(from))} data-testid="move-trace" data-key={k.id.to_string()}>
                <g class="ghost" style={place(was)}>{ chip_outline(chips, 0.0, "ghost-chip", Some("move-ghost")) }</g>
                <path class="move-line" d={arrow_path(was, p, chips.size * 0.62)} />
            </g>
        }
    });
    let travelling = moved_keys.iter().map(|&(k, p, _, from)| {
        // At first a moved key keeps its old shard's colour; then it takes its new one's.
        let colour = if phase == MovePhase::Recent { from } else { k.shard };
        let on = stressed(k);
        html! {
            <g key={format!("{stamp}-{}", k.id)} data-testid={format!("shard-key-{}", k.id)}
               class={classes!("shard-key", "moved", chips.font.is_none().then_some("dense"), palette_class(colour), on.then_some("highlighted"))} data-shard={k.shard.to_string()}
               data-from={from.to_string()} data-colour={colour.to_string()} style={place(p)} data-highlighted={highlighted_attr(on)}>
                <title>{ format!("{} · moved from shard {from}", key_title(k, frame)) }</title>
                { chip_outline(chips, halo_gap, "moved-halo", Some("moved-key")) }
                if on {
                    { chip_outline(chips, halo_gap + 2.5, "highlight-halo", None) }
                }
                { chip_body(chips, k.id) }
            </g>
        }
    });
    html! {
        <>
            <g class="keys">{ for still }</g>
            <g class="move-traces">{ for traces }</g>
            <g class="keys moved-keys">{ for travelling }</g>
        </>
    }
}

/// A line from `a` towards `b`, stopping `gap` short of it, with a small arrowhead at its end.
pub(super) fn arrow_path(a: Point, b: Point, gap: f64) -> String {
    let (dx, dy) = (b.x - a.x, b.y - a.y);
    let len = (dx * dx + dy * dy).sqrt();
    if len <= gap + 1.0 {
        return String::new();
    }
    let (ux, uy) = (dx / len, dy / len);
    let tip = Point {
        x: b.x - ux * gap,
        y: b.y - uy * gap,
    };
    let head = 3.0_f64.min(len / 3.0);
    let (bx, by) = (tip.x - ux * head, tip.y - uy * head);
    let (px, py) = (-uy * head * 0.6, ux * head * 0.6);
    format!(
        "M{} {}L{} {}M{} {}L{} {}L{} {}",
        num(a.x),
        num(a.y),
        num(tip.x),
        num(tip.y),
        num(bx + px),
        num(by + py),
        num(tip.x),
        num(tip.y),
        num(bx - px),
        num(by - py)
    )
}
