//! The layers that change only with the shards or the keys: the buckets, and the keys as chips
//! (the ones the last resize moved on top, with a halo and a travel animation).

use super::{same_change, visible_change, Placement, Shared};
use crate::diagrams::{concealed_attr, highlighted_attr, palette_class, Emphasis, MovePhase};
use crate::layout::format::{count, thousands};
use crate::layout::polar::{num, Point};
use crate::layout::shards::{fit_text, BucketGrid, ChipGrid, LabelMode, Rect};
use sim::models::shard_view::{ShardFrame, ShardKeyView};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`Buckets`].
#[derive(Properties)]
pub(super) struct BucketsProps {
    pub(super) frame: Rc<ShardFrame>,
    pub(super) grid: BucketGrid,
    pub(super) emphasis: Emphasis,
}

impl PartialEq for BucketsProps {
    /// Equal when the grid, the emphasis and the shards agree: keys, requests in flight and the
    /// clock do not matter to the buckets.
    fn eq(&self, other: &Self) -> bool {
        self.grid == other.grid
            && self.emphasis == other.emphasis
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

/// A share as the bucket writes it: `23%`, `4.5%` under 10, `<1%` for a sliver.
pub(super) fn share_text(percent: f64) -> String {
    if percent <= 0.0 {
        "0%".to_string()
    } else if percent < 1.0 {
        "<1%".to_string()
    } else if percent < 10.0 {
        let s = format!("{percent:.1}");
        format!("{}%", s.strip_suffix(".0").unwrap_or(&s))
    } else {
        format!("{percent:.0}%")
    }
}

/// A load over the mean as the hot badge writes it: `3.2× mean`.
pub(super) fn of_mean_text(of_mean: f64) -> String {
    format!("{of_mean:.1}× mean")
}

/// Diagonal hatching inside `b` (lines `spacing` apart at 45°), as one path: the pattern that
/// tells apart shards whose hue repeats (the palette has 12 colours).
pub(super) fn hatch_path(b: &Rect, spacing: f64, offset: f64) -> String {
    let mut d = String::new();
    // Lines x − y = c for c from −h to w: each runs from the left or top edge to the bottom
    // or right edge.
    let mut c = -b.h + offset.rem_euclid(spacing);
    while c < b.w {
        let (x0, y0) = if c >= 0.0 { (c, 0.0) } else { (0.0, -c) };
        let t = (b.w - x0).min(b.h - y0);
        if t > 0.5 {
            d.push_str(&format!(
                "M{} {}L{} {}",
                num(b.x + x0),
                num(b.y + y0),
                num(b.x + x0 + t),
                num(b.y + y0 + t)
            ));
        }
        c += spacing;
    }
    d
}

/// One bucket per shard: a rounded box tinted with the shard's colour, its name, and what the
/// model says about it: its share of the load (a fill from the bottom and the percentage), a
/// caption line (its range, its latency), read replicas as boxes stacked behind it, a warning
/// outline and a `hot: 3.2× mean` badge when it is hot, hatching when it is down. Shards whose
/// hue repeats an earlier shard's (from the 13th) are hatched as well, so no two shards are told
/// apart by hue alone; every bucket carries its index or name.
#[function_component]
pub(super) fn Buckets(props: &BucketsProps) -> Html {
    let g = &props.grid;
    let emphasis = &props.emphasis;
    let conceal = emphasis.conceal;
    let buckets = props.frame.shards.iter().enumerate().map(|(i, s)| {
        let b = g.bucket(i as u32);
        let index = s.index.to_string();
        let stressed = emphasis.stresses([s.name.as_str(), index.as_str()]);
        let load = s.load.filter(|_| !conceal);
        let mut title = if conceal {
            s.name.clone()
        } else {
            format!(
                "{}: {} · {} served",
                s.name,
                count(s.keys, "key", "keys"),
                count(s.requests, "request", "requests")
            )
        };
        if let Some(l) = load {
            title.push_str(&format!(" · {} of the load ({:.1}× the mean)", share_text(l.percent), l.of_mean));
        }
        if let Some(c) = s.caption.as_ref().filter(|c| !(conceal && c.contains('%'))) {
            title.push_str(&format!(" · {c}"));
        }
        if s.replicas > 0 {
            title.push_str(&format!(" · {}", count(u64::from(s.replicas), "read replica", "read replicas")));
        }
        if s.hot && !conceal {
            title.push_str(" · hot spot");
        }
        if s.down {
            title.push_str(" · down");
        }
        let full = g.label == LabelMode::Full;
        // With a load, the share comes first; the key count follows when it fits.
        let mut count_line = match load {
            Some(l) => {
                let both = format!("{} of load · {}", share_text(l.percent), count(s.keys, "key", "keys"));
                if crate::layout::shards::text_width(&both, 9.0, false) <= b.w - 12.0 {
                    both
                } else {
                    format!("{} of load", share_text(l.percent))
                }
            }
            None => count(s.keys, "key", "keys"),
        };
        if s.replicas > 0 {
            count_line.push_str(&format!(" · +{} rep.", s.replicas));
        }
        if conceal {
            count_line = if s.replicas > 0 { format!("+{} rep.", s.replicas) } else { String::new() };
        }
        if s.down {
            count_line = "down".to_string();
        }
        // A caption that states a share (`23% of load`, `40% busy`) is hidden with the numbers.
        let caption = s.caption.as_ref().filter(|c| !(conceal && c.contains('%')));
        let labels = match g.label {
            LabelMode::Full => html! {
                <>
                    <text class="shard-name" x={num(b.x + 7.0)} y={num(b.y + 13.5)}>{ &s.name }</text>
                    if !count_line.is_empty() {
                        { fitted("shard-count", Some(format!("shard-count-{}", s.index)), &count_line, 9.0, b.x + 7.0, b.y + 23.5, b.w - 12.0) }
                    }
                    if let (Some(c), true) = (caption, g.caption_h > 0.0) {
                        { fitted("shard-caption", Some(format!("shard-caption-{}", s.index)), c, 8.5, b.x + 7.0, b.y + 33.0, b.w - 12.0) }
                    }
                </>
            },
            LabelMode::Compact => html! {
                <>
                    <text class="shard-name compact" x={num(b.x + 3.0)} y={num(b.y + 9.5)}>{ s.index }</text>
                    if !conceal || s.down {
                        <text class={classes!("shard-count", "compact", load.is_some().then_some("share"))} data-testid={format!("shard-count-{}", s.index)}
                              x={num(b.x + b.w - 3.0)} y={num(b.y + 9.5)} text-anchor="end">
                            { match (s.down, load) {
                                (true, _) => "down".to_string(),
                                (false, Some(l)) => share_text(l.percent),
                                (false, None) => thousands(s.keys),
                            } }
                        </text>
                    }
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
        // The load fill rises from the bottom in proportion to the shard's share of all load.
        let fill = load.map(|l| {
            let h = (b.h * l.percent / 100.0).clamp(0.0, b.h);
            html! {
                <rect class="load-fill" data-testid={format!("shard-load-{}", s.index)} data-percent={format!("{:.2}", l.percent)}
                      x={num(b.x)} y={num(b.y + b.h - h)} width={num(b.w)} height={num(h)} rx={num(r.min(h / 2.0))} />
            }
        });
        // The badge sits inside the bucket at its bottom, centred, fitted to its width.
        let badge = load.filter(|_| s.hot && !s.down).map(|l| {
            let text = format!("hot: {}", of_mean_text(l.of_mean));
            let font = crate::layout::shards::fit_font(&text, if full { 8.5 } else { 7.0 }, b.w - 14.0, true);
            let w = (crate::layout::shards::text_width(&text, font, true) + 8.0).min(b.w - 4.0);
            let h = font + 5.0;
            let x = b.x + (b.w - w) / 2.0;
            let y = b.y + b.h - h - 2.0;
            html! {
                <g class="hot-badge" data-testid={format!("hot-badge-{}", s.index)}>
                    <rect x={num(x)} y={num(y)} width={num(w)} height={num(h)} rx={num(h / 2.0)} />
                    <text x={num(x + w / 2.0)} y={num(y + h / 2.0 + font * 0.36)} text-anchor="middle" style={format!("font-size:{}px", num(font))}>{ text }</text>
                </g>
            }
        });
        let repeat = s.index / 12;
        let hatch = (repeat > 0).then(|| {
            html! { <path class={classes!("hue-hatch", format!("h{}", repeat.min(4)))} d={hatch_path(&b, 9.0 - f64::from(repeat.min(4)) * 1.5, f64::from(repeat) * 2.0)} /> }
        });
        html! {
            <g key={s.index} data-testid={format!("shard-{}", s.index)}
               class={classes!("shard", palette_class(s.index), s.hot.then_some("hot"), s.down.then_some("down"), stressed.then_some("highlighted"))}
               data-keys={(!conceal).then(|| s.keys.to_string())} data-replicas={s.replicas.to_string()}
               data-hot={s.hot.to_string()} data-down={s.down.to_string()}
               data-highlighted={highlighted_attr(stressed)} data-concealed={concealed_attr(conceal)}>
                <title>{ title }</title>
                { for replicas }
                if stressed {
                    <rect class="highlight-halo" x={num(b.x - 3.5)} y={num(b.y - 3.5)} width={num(b.w + 7.0)} height={num(b.h + 7.0)} rx={num(r + 3.5)} />
                }
                <rect class="bucket" x={num(b.x)} y={num(b.y)} width={num(b.w)} height={num(b.h)} rx={num(r)} />
                { for fill }
                { for hatch }
                if s.hot {
                    <rect class="hot-outline" x={num(b.x - 1.5)} y={num(b.y - 1.5)} width={num(b.w + 3.0)} height={num(b.h + 3.0)} rx={num(r + 1.5)} />
                }
                { labels }
                { for badge }
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
