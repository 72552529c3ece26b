//! A cache: one eviction policy's own structure, as the policy keeps it. Each segment (an LRU
//! list, FIFO queues, ARC's T1/T2/B1/B2, W-TinyLFU's window/probation/protected, S3-FIFO's
//! small/main/ghost) is a row of key boxes in the policy's order, **the next victim last**, with
//! the policy's mark on each key (a visited or reference bit, a frequency, a sketch estimate, the
//! next use for MIN) and the CLOCK or SIEVE hand on its entry. The last request's keys are
//! coloured by what happened to them (hit, miss, insert, move, evict, refuse); keys that left the
//! cache are shown beside the structure, and the narration line under it says why. HTML, not
//! SVG: rows wrap at any width (never the page), and every key is text a screen reader reads.

use super::{DiagramKind, Emphasis};
use sim::models::cache_policy::frame::{
    CacheFrame, EventKind, FrameSegment, FrameSketch, LastRequest,
};
use sim::models::cache_policy::key_label;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

impl DiagramKind for Rc<CacheFrame> {
    fn view(&self, _reduced_motion: bool, emphasis: &Emphasis) -> Html {
        cache_view(self, emphasis)
    }
    fn colors(&self) -> BTreeMap<String, u32> {
        let segs = self.segments.iter().enumerate();
        sim::order::map_of(segs.map(|(i, s)| (s.name.clone(), i as u32)))
    }
    fn load_label(&self) -> &'static str {
        "Cache"
    }
    fn aspect(&self) -> f64 {
        1.6
    }
}

/// What a policy's mark on a key means.
fn mark_name(policy: &str) -> &'static str {
    match policy {
        "clock" => "reference bit",
        "sieve" => "visited bit",
        "lfu" => "use count",
        "lfu-da" => "priority",
        "s3fifo" => "frequency",
        "tinylfu" => "estimated frequency",
        "sampled-lru" => "idle requests",
        "belady" => "next use",
        _ => "mark",
    }
}

/// A value's name for people.
fn value_name(name: &str) -> String {
    match name {
        "p" => "target size of T1 (p)".into(),
        "c" => "capacity (c)".into(),
        "L" => "cache age (L)".into(),
        other => other.replace('_', " "),
    }
}

/// A key's name cut to 12 characters for a box (the full name goes in its `title`).
fn short(name: &str) -> String {
    if name.chars().count() > 12 {
        name.chars().take(11).chain(['…']).collect()
    } else {
        name.to_string()
    }
}

fn slug(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect()
}

fn segment(f: &CacheFrame, i: usize, s: &FrameSegment, emphasis: &Emphasis) -> Html {
    let last = f.last.as_ref().filter(|l| l.at <= f.now);
    let hand = f.hand.filter(|h| h.0 as usize == i).map(|h| h.1 as usize);
    let mark = mark_name(&f.policy);
    let unit = if f.bytes { " B" } else { "" };
    let used: u64 = s.entries.iter().map(|e| u64::from(e.size)).sum();
    let fill = match (s.ghost, s.capacity) {
        (false, Some(c)) if s.more == 0 => format!("{used} of {c}{unit}"),
        (_, Some(c)) if !s.ghost || s.more > 0 => format!("of {c}{unit}"),
        _ => String::new(),
    };
    let n = s.entries.len();
    let items = s.entries.iter().enumerate().map(|(j, e)| {
        let label = key_label(e.key);
        let name = f.label(e.key);
        let kind = last.and_then(|l| l.kind_of(e.key));
        let at_hand = hand == Some(j);
        let mark_text = e.mark.filter(|_| !emphasis.conceal).map(|m| {
            if m == u32::MAX { "∞".to_string() } else { m.to_string() }
        });
        let title = format!(
            "{name}{}{}{}",
            mark_text.as_ref().map(|m| format!(", {mark} {m}")).unwrap_or_default(),
            if f.bytes { format!(", {} bytes", e.size) } else { String::new() },
            if at_hand { ", under the hand" } else { "" },
        );
        html! {
            <li class={classes!("cache-key", kind.map(EventKind::name), at_hand.then_some("at-hand"),
                        (j + 1 == n && !s.ghost && f.hand.is_none() && !emphasis.conceal).then_some("victim"))}
                data-testid={format!("cache-key-{label}")} data-event={kind.map(EventKind::name)}
                data-highlighted={super::highlighted_attr(emphasis.stresses([label.as_str()]))}
                title={title.clone()} aria-label={title}>
                { short(&name) }
                if let Some(m) = mark_text { <sup aria-hidden="true">{ m }</sup> }
            </li>
        }
    });
    html! {
        <div class={classes!("cache-seg", s.ghost.then_some("ghost"))} data-testid={format!("cache-seg-{}", slug(&s.name))}>
            <div class="cache-seg-name">
                <b>{ &s.name }</b>
                if s.ghost { <span>{ if s.name.contains("ghost") { " keys only" } else { " ghost: keys only" } }</span> }
                if !fill.is_empty() { <span>{ format!(" {fill}") }</span> }
            </div>
            <ol class="cache-row" aria-label={format!("{}, next victim last", s.name)}>
                { for items }
                if s.more > 0 { <li class="cache-more">{ format!("+{} more", s.more) }</li> }
            </ol>
        </div>
    }
}

/// Keys the last request pushed out or turned away: no longer in any segment.
fn gone(f: &CacheFrame, last: &LastRequest) -> Html {
    let gone = last
        .events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Evict | EventKind::Refuse));
    gone.filter_map(|e| {
        let key = e.key?;
        let verb = if e.kind == EventKind::Evict { "evicted" } else { "not admitted" };
        Some(html! { <span class={classes!("cache-key", "gone", e.kind.name())} data-testid={format!("cache-gone-{}", key_label(key))}>
            { format!("{} {verb}", short(&f.label(key))) }</span> })
    })
    .collect()
}

fn cache_view(f: &CacheFrame, emphasis: &Emphasis) -> Html {
    let last = f.last.as_ref().filter(|l| l.at <= f.now);
    let unit = if f.bytes { "bytes" } else { "objects" };
    let values: Vec<&(String, i64)> = f
        .values
        .iter()
        .filter(|(k, _)| {
            !k.starts_with("duel_") && (f.sketch.is_empty() || !k.starts_with("sketch_"))
        })
        .collect();
    let duel = |k: &str| f.values.iter().find(|(n, _)| n == k).map(|v| v.1);
    let duel = duel("duel_candidate_freq")
        .zip(duel("duel_victim_freq"))
        .map(|(c, v)| {
            let won = duel("duel_admitted") == Some(1);
            format!(
                "Last admission duel: candidate {c} vs victim {v}: {}",
                if won { "admitted" } else { "refused" }
            )
        });
    html! {
        <div class="cache-diagram" data-testid="cache-diagram" data-policy={f.policy.clone()}>
            <p class="cache-head">
                <b>{ &f.policy_label }</b>
                <span data-testid="cache-used">{ format!(" {} of {} {unit}", f.used, f.capacity) }</span>
                { for values.iter().map(|(k, v)| html! { <span class="cache-value" data-testid={format!("cache-value-{}", slug(k))}>{ format!(" · {} {v}", value_name(k)) }</span> }) }
            </p>
            if let Some(d) = duel { <p class="cache-duel" data-testid="cache-duel">{ d }</p> }
            if let Some(s) = f.sketch() { { sketch(f, &s) } }
            { for f.segments.iter().enumerate().map(|(i, s)| segment(f, i, s, emphasis)) }
            <p class="cache-foot">
                if let Some(l) = last { { gone(f, l) } }
                if !f.upcoming.is_empty() {
                    <span class="cache-upcoming" data-testid="cache-upcoming">
                        { format!("Next requests: {}", f.upcoming.iter().map(|&k| short(&f.label(k))).collect::<Vec<_>>().join(" ")) }
                    </span>
                }
            </p>
            <p class="cache-narration" data-testid="cache-narration">
                { last.map_or_else(|| "No request yet: press play.".to_string(), LastRequest::narration) }
            </p>
        </div>
    }
}

/// W-TinyLFU's count-min sketch: its shape and sample count, then per row the counter each key
/// that matters now hashes to (`#column count`), the key's smallest counter (its estimate)
/// highlighted.
fn sketch(f: &CacheFrame, s: &FrameSketch) -> Html {
    let head = s.keys.iter().map(|k| {
        let name = f.label(k.key);
        html! { <th title={name.clone()}>{ format!("{} {} ({})", short(&name), k.role, k.at) }</th> }
    });
    // Per key, the row of its smallest counter (the first, on a tie): its estimate.
    let least: Vec<Option<usize>> = s
        .keys
        .iter()
        .map(|k| {
            k.cells
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.1)
                .map(|(r, _)| r)
        })
        .collect();
    let rows = (0..s.rows as usize).map(|r| {
        let cells = s.keys.iter().zip(&least).map(|(k, least)| {
            let (col, n) = k.cells[r];
            let min = *least == Some(r);
            html! { <td class={min.then_some("min")} data-count={n.to_string()}>{ format!("#{col} {n}") }</td> }
        });
        html! { <tr data-testid={format!("cache-sketch-row-{r}")}><th>{ r }</th>{ for cells }</tr> }
    });
    html! {
        <div class="cache-sketch" data-testid="cache-sketch">
            <p>{ format!("Count-min sketch: {} rows × {} counters, {}. Counters halve after {} increments; the count is {} (halving halves it too; {} halvings so far). A key's estimate is its smallest counter{}.",
                s.rows, s.width, if s.doorkeeper { "a doorkeeper in front" } else { "no doorkeeper" }, s.sample_size, s.sample, s.resets,
                if s.doorkeeper { ", plus 1 if the doorkeeper holds it" } else { "" }) }</p>
            <table>
                <tr><th>{ "row" }</th>{ for head }</tr>
                { for rows }
                <tr class="cache-sketch-est"><th>{ "estimate" }</th>{ for s.keys.iter().map(|k| html! { <td>{ k.estimate }</td> }) }</tr>
            </table>
        </div>
    }
}
