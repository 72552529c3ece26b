//! The buckets: the layer that changes only with the shards (the keys are [`super::keys`]).

use crate::diagrams::{concealed_attr, highlighted_attr, palette_class, Emphasis};
use crate::layout::format::{count, thousands};
use crate::layout::polar::num;
use crate::layout::shards::{fit_text, BucketGrid, LabelMode, Rect};
use sim::models::shard_view::ShardFrame;
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
               data-keys={s.keys.to_string()} data-replicas={s.replicas.to_string()}
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
