//! The layers that change only with the shards or the keys: the buckets, and the keys as chips
//! (the ones the last resize moved on top, with a halo and a travel animation).

use super::{same_change, visible_change, Placement, Shared};
use crate::diagrams::palette_class;
use crate::layout::format::{count, thousands};
use crate::layout::polar::{num, Point};
use crate::layout::shards::{fit_text, BucketGrid, ChipGrid, LabelMode};
use sim::models::shard_view::{ShardFrame, ShardKeyView};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`Buckets`].
#[derive(Properties)]
pub(super) struct BucketsProps {
    pub(super) frame: Rc<ShardFrame>,
    pub(super) grid: BucketGrid,
}

impl PartialEq for BucketsProps {
    /// Equal when the grid and the shards' counts agree: keys, requests in flight and the clock
    /// do not matter to the buckets.
    fn eq(&self, other: &Self) -> bool {
        self.grid == other.grid
            && (Rc::ptr_eq(&self.frame, &other.frame) || self.frame.shards == other.frame.shards)
    }
}

/// A line of text at `(x, y)` shrunk (and if need be cut short) to fit `width`.
fn fitted(
    class: &'static str,
    testid: Option<String>,
    text: &str,
    max: f64,
    x: f64,
    y: f64,
    width: f64,
) -> Html {
    let (shown, font) = fit_text(text, max, width, false);
    html! {
        <text class={class} data-testid={testid} x={num(x)} y={num(y)} style={format!("font-size:{}px", num(font))}>{ shown }</text>
    }
}

/// One bucket per shard: a rounded box tinted with the shard's colour, its name and key count,
/// and what the model says about it: a caption line (its range, its latency), read replicas as
/// boxes stacked behind it, a warning outline when it is hot, hatching when it is down.
#[function_component]
pub(super) fn Buckets(props: &BucketsProps) -> Html {
    let g = &props.grid;
    let buckets = props.frame.shards.iter().enumerate().map(|(i, s)| {
        let b = g.bucket(i as u32);
        let mut title = format!(
            "{}: {} · {} served",
            s.name,
            count(s.keys, "key", "keys"),
            count(s.requests, "request", "requests")
        );
        if let Some(c) = &s.caption {
            title.push_str(&format!(" · {c}"));
        }
        if s.replicas > 0 {
            title.push_str(&format!(" · {}", count(u64::from(s.replicas), "read replica", "read replicas")));
        }
        if s.hot {
            title.push_str(" · hot spot");
        }
        if s.down {
            title.push_str(" · down");
        }
        let full = g.label == LabelMode::Full;
        let mut count_line = count(s.keys, "key", "keys");
        if s.replicas > 0 {
            count_line.push_str(&format!(" · +{} rep.", s.replicas));
        }
        if s.down {
            count_line = "down".to_string();
        }
        let labels = match g.label {
            LabelMode::Full => html! {
                <>
                    <text class="shard-name" x={num(b.x + 7.0)} y={num(b.y + 13.5)}>{ &s.name }</text>
                    { fitted("shard-count", None, &count_line, 9.0, b.x + 7.0, b.y + 23.5, b.w - 12.0) }
                    if let (Some(c), true) = (&s.caption, g.caption_h > 0.0) {
                        { fitted("shard-caption", Some(format!("shard-caption-{}", s.index)), c, 8.5, b.x + 7.0, b.y + 33.0, b.w - 12.0) }
                    }
                </>
            },
            LabelMode::Compact => html! {
                <>
                    <text class="shard-name compact" x={num(b.x + 3.0)} y={num(b.y + 9.5)}>{ s.index }</text>
                    <text class="shard-count compact" x={num(b.x + b.w - 3.0)} y={num(b.y + 9.5)} text-anchor="end">{ thousands(s.keys) }</text>
                </>
            },
        };
        let r = if full { 6.0 } else { 3.0 };
        // Replicas peek out behind the primary, up to three.
        let replicas = (1..=s.replicas.min(3)).rev().map(|k| {
            let d = 2.5 * f64::from(k);
            html! {
                <rect class="replica" x={num(b.x + d)} y={num(b.y - d)} width={num(b.w)} height={num(b.h)} rx={num(r)} />
            }
        });
        html! {
            <g key={s.index} data-testid={format!("shard-{}", s.index)}
               class={classes!("shard", palette_class(s.index), s.hot.then_some("hot"), s.down.then_some("down"))}
               data-keys={s.keys.to_string()} data-replicas={s.replicas.to_string()}
               data-hot={s.hot.to_string()} data-down={s.down.to_string()}>
                <title>{ title }</title>
                { for replicas }
                <rect class="bucket" x={num(b.x)} y={num(b.y)} width={num(b.w)} height={num(b.h)} rx={num(r)} />
                if s.hot {
                    <rect class="hot-outline" x={num(b.x - 1.5)} y={num(b.y - 1.5)} width={num(b.w + 3.0)} height={num(b.h + 3.0)} rx={num(r + 1.5)} />
                }
                { labels }
            </g>
        }
    });
    html! { <g class="buckets">{ for buckets }</g> }
}

/// Props of [`Keys`].
#[derive(Properties)]
pub(super) struct KeysProps {
    pub(super) frame: Rc<ShardFrame>,
    pub(super) placement: Shared<Placement>,
}

impl PartialEq for KeysProps {
    /// Equal when the placement, the keys and the visible change agree.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.frame, &other.frame);
        self.placement == other.placement
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

/// The keys, as chips coloured by shard. The keys the last resize moved are drawn last, keyed
/// by the resize's time and their id so their animation plays once per resize: a halo, and the
/// chip travelling from where it was drawn before, its colour easing from the old shard's
/// (`shards.css` turns the motion off for reduced motion).
#[function_component]
pub(super) fn Keys(props: &KeysProps) -> Html {
    let frame = &props.frame;
    let placement = &props.placement.0;
    let chips = &placement.layout.chips;
    let change = visible_change(frame);
    let moved = |id: u64| change.is_some() && placement.before.contains_key(&id);
    let still = frame.keys.iter().filter(|k| !moved(k.id)).filter_map(|k| {
        let p = *placement.points.get(&k.id)?;
        Some(html! {
            <g key={k.id} data-testid={format!("shard-key-{}", k.id)} class={classes!("shard-key", palette_class(k.shard), k.hot.then_some("hot"))}
               data-shard={k.shard.to_string()} style={place(p)}>
                <title>{ if k.hot { format!("{} · hot key", key_title(k, frame)) } else { key_title(k, frame) } }</title>
                if k.hot {
                    { chip_outline(chips, 2.0, "hot-key", Some("hot-key")) }
                }
                { chip_body(chips, k.id) }
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
    let travelling = frame.keys.iter().filter(|k| moved(k.id)).filter_map(|k| {
        let p = *placement.points.get(&k.id)?;
        let was = placement.before.get(&k.id).copied().unwrap_or(p);
        let from = change.and_then(|c| super::moved_from(c, k.id)).unwrap_or(k.shard);
        let style = format!(
            "--dx:{}px;--dy:{}px;--c0:var(--server-{})",
            num(was.x - p.x),
            num(was.y - p.y),
            from % 12
        );
        Some(html! {
            <g key={format!("{stamp}-{}", k.id)} data-testid={format!("shard-key-{}", k.id)}
               class={classes!("shard-key", "moved", chips.font.is_none().then_some("dense"), palette_class(k.shard))} data-shard={k.shard.to_string()}
               data-from={from.to_string()} style={place(p)}>
                <title>{ format!("{} · moved from shard {from}", key_title(k, frame)) }</title>
                { chip_outline(chips, halo_gap, "moved-halo", Some("moved-key")) }
                <g class="travel" style={style}>
                    { chip_body(chips, k.id) }
                </g>
            </g>
        })
    });
    html! {
        <>
            <g class="keys">{ for still }</g>
            <g class="keys moved-keys">{ for travelling }</g>
        </>
    }
}
