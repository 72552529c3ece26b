//! The shards in words: the caption (the rule; the counts, or what the last resize moved) and
//! the `aria-label`.

use super::visible_change;
use crate::layout::format::{count, thousands};
use crate::layout::polar::num;
use crate::layout::shards::{fit_font, CAPTION_Y, MARGIN, STATUS_Y, VIEW_W};
use sim::models::shard_view::{ShardChange, ShardFrame};
use yew::prelude::*;

/// `part` of `whole` as a percentage: whole when it is within 0.05 of whole (`80%`), else one
/// decimal (`33.3%`); `0%` of nothing.
pub(super) fn percent_of(part: u64, whole: u64) -> String {
    if whole == 0 {
        return "0%".to_string();
    }
    let p = part as f64 * 100.0 / whole as f64;
    let s = format!("{p:.1}");
    format!("{}%", s.strip_suffix(".0").unwrap_or(&s))
}

/// `4 → 5 shards · 16 of 20 keys moved (80%)`.
pub(super) fn headline(c: &ShardChange) -> String {
    let moved = c.moves.len() as u64;
    if c.from_shards == c.to_shards {
        // A move within the same shards (a tenant moved, a boundary edited).
        return format!(
            "{} of {} moved ({})",
            thousands(moved),
            count(c.total, "key", "keys"),
            percent_of(moved, c.total)
        );
    }
    format!(
        "{} → {} · {} of {} moved ({})",
        c.from_shards,
        count(u64::from(c.to_shards), "shard", "shards"),
        thousands(moved),
        count(c.total, "key", "keys"),
        percent_of(moved, c.total)
    )
}

/// What the last change did, without how much it moved: `4 → 5 shards · how many keys moved?`.
fn changed(c: &ShardChange) -> String {
    if c.from_shards == c.to_shards {
        "keys moved: ?".to_string()
    } else {
        format!(
            "{} → {} · keys moved: ?",
            c.from_shards,
            count(u64::from(c.to_shards), "shard", "shards")
        )
    }
}

/// `4 shards · 20 keys`, and how many are drawn when not all are.
fn counts(frame: &ShardFrame) -> String {
    let mut s = format!(
        "{} · {}",
        count(frame.shards.len() as u64, "shard", "shards"),
        count(frame.keys_total, "key", "keys")
    );
    let drawn = frame.keys.len() as u64;
    if drawn < frame.keys_total {
        s.push_str(&format!(" · showing {}", thousands(drawn)));
    }
    s
}

/// The rule as a formula: `shard = user_id % 4` (a rule that already reads as one is kept).
fn formula(rule: &str) -> String {
    if rule.contains('=') || rule.contains('→') {
        rule.to_string()
    } else {
        format!("shard = {rule}")
    }
}

/// The caption over the buckets: the rule, then the counts or the last resize's headline
/// (concealed: what changed, without how much moved).
pub(super) fn caption(frame: &ShardFrame, conceal: bool) -> Html {
    let width = VIEW_W - 2.0 * MARGIN;
    let rule = formula(&frame.rule);
    // Two sizes each: the usual, and a larger one for phones (shards.css), both fitted.
    let sizes = |text: &str, max: f64, bold: bool| {
        format!(
            "--fs:{}px;--fs-narrow:{}px",
            num(fit_font(text, max, width, bold)),
            num(fit_font(text, max * 1.15, width, bold))
        )
    };
    let rule_font = sizes(&rule, 12.0, true);
    let (class, testid, status) = match visible_change(frame) {
        Some(c) if conceal => ("shard-headline", "shard-change", changed(c)),
        Some(c) => ("shard-headline", "shard-change", headline(c)),
        None => ("shard-status", "shard-status", counts(frame)),
    };
    let status_font = sizes(&status, 11.5, class == "shard-headline");
    let mid = num(VIEW_W / 2.0);
    html! {
        <g class="caption">
            <text class="shard-rule" data-testid="shard-rule" x={mid.clone()} y={num(CAPTION_Y)} text-anchor="middle"
                  style={rule_font}>{ rule }</text>
            <text key={testid} class={class} data-testid={testid} x={mid} y={num(STATUS_Y)} text-anchor="middle"
                  style={status_font} data-concealed={crate::diagrams::concealed_attr(conceal && visible_change(frame).is_some())}>{ status }</text>
        </g>
    }
}

/// The shards in words, for the `aria-label` (concealed: without counts, shares or what moved).
pub(super) fn describe(frame: &ShardFrame, conceal: bool) -> String {
    let shards: Vec<String> = frame
        .shards
        .iter()
        .map(|s| {
            if conceal {
                return s.name.clone();
            }
            let mut t = format!("{} holds {}", s.name, count(s.keys, "key", "keys"));
            if let Some(l) = s.load {
                t.push_str(&format!(
                    " and serves {} of the load",
                    super::layers::share_text(l.percent)
                ));
                if s.hot {
                    t.push_str(&format!(
                        ", hot at {}",
                        super::layers::of_mean_text(l.of_mean)
                    ));
                }
            }
            t
        })
        .collect();
    let mut text = format!(
        "Shards as buckets of keys, placed by {}. {}: {}. {} in all",
        formula(&frame.rule),
        count(frame.shards.len() as u64, "shard", "shards"),
        shards.join("; "),
        count(frame.keys_total, "key", "keys"),
    );
    let drawn = frame.keys.len() as u64;
    if drawn < frame.keys_total {
        text.push_str(&format!(", {} drawn", thousands(drawn)));
    }
    text.push('.');
    match visible_change(frame) {
        Some(c) if conceal => text.push_str(&format!(" Last resize: {}.", changed(c))),
        Some(c) => text.push_str(&format!(" Last resize: {}.", headline(c))),
        None => {}
    }
    if let Some(q) = &frame.fanout {
        text.push_str(&format!(" {}.", super::fanout::status(q, frame.now)));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::models::shard_view::ShardMove;
    use sim::time::SimTime;

    fn change(from: u32, to: u32, moved: u64, total: u64) -> ShardChange {
        ShardChange {
            at: SimTime::ZERO,
            from_shards: from,
            to_shards: to,
            moves: (0..moved)
                .map(|id| ShardMove { id, from: 0, to: 1 })
                .collect::<Vec<_>>()
                .into(),
            total,
        }
    }

    #[test]
    fn the_headline_states_the_resize_and_its_cost() {
        assert_eq!(
            headline(&change(4, 5, 16, 20)),
            "4 → 5 shards · 16 of 20 keys moved (80%)"
        );
        assert_eq!(
            headline(&change(4, 8, 500, 1000)),
            "4 → 8 shards · 500 of 1,000 keys moved (50%)"
        );
    }

    #[test]
    fn a_change_that_keeps_the_shard_count_states_only_what_moved() {
        assert_eq!(
            headline(&change(5, 5, 190, 600)),
            "190 of 600 keys moved (31.7%)"
        );
    }

    #[test]
    fn percentages_are_whole_when_they_can_be() {
        assert_eq!(percent_of(16, 20), "80%");
        assert_eq!(percent_of(1, 3), "33.3%");
        assert_eq!(percent_of(0, 0), "0%");
    }

    #[test]
    fn rules_read_as_formulas() {
        assert_eq!(formula("user_id % 4"), "shard = user_id % 4");
        assert_eq!(
            formula("shard = lookup(user_id)"),
            "shard = lookup(user_id)"
        );
    }
}
