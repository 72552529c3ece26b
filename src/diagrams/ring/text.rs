//! The ring in words: the centre text and the `aria-label`.

use super::visible_change;
use crate::layout::format::{self, count, share, thousands};
use crate::layout::polar::num;
use crate::layout::ring::CENTRE;
use sim::models::hash_ring::RingFrame;
use yew::prelude::*;

/// The short name of the hash function a frame uses.
fn hash_name(id: &str) -> &str {
    match id {
        "murmur3" => "MurmurHash3",
        "fnv1a" => "FNV-1a",
        other => other,
    }
}

/// `server B removed` → `B crashed`; `server F added` → `F joined`.
fn change_title(what: &str) -> String {
    let name = what.strip_prefix("server ");
    match name {
        Some(rest) if rest.ends_with(" removed") => {
            format!("{} crashed", rest.trim_end_matches(" removed"))
        }
        Some(rest) if rest.ends_with(" added") => {
            format!("{} joined", rest.trim_end_matches(" added"))
        }
        _ => what.to_string(),
    }
}

/// The centre: the ring's vital statistics, and what the last server change moved (concealed:
/// only what changed, not how much moved).
pub(super) fn centre(frame: &RingFrame, conceal: bool) -> Html {
    let mut lines: Vec<(&'static str, String)> = vec![
        (
            "centre-title",
            format!(
                "{} · {}",
                count(frame.servers.len() as u64, "server", "servers"),
                count(frame.keys_total, "key", "keys")
            ),
        ),
        (
            "centre-sub",
            format!(
                "{} · {}",
                if frame.vnodes == 1 {
                    "1 point each".to_string()
                } else {
                    format!("{} vnodes each", thousands(u64::from(frame.vnodes)))
                },
                hash_name(frame.hash),
            ),
        ),
    ];
    let drawn = frame.keys.len() as u64;
    if drawn < frame.keys_total {
        lines.push((
            "centre-sub",
            format!(
                "showing {} of {} keys",
                thousands(drawn),
                thousands(frame.keys_total)
            ),
        ));
    }
    if let Some(c) = visible_change(frame) {
        lines.push(("centre-change", change_title(&c.what)));
        if conceal {
            lines.push(("centre-moved", "keys moved: ?".to_string()));
        }
    }
    if let Some(c) = visible_change(frame).filter(|_| !conceal) {
        let moved = c.moves.len() as u64;
        // Short lines: the space inside the keys is about 200 units wide.
        lines.push((
            "centre-moved",
            format!("{} of {} keys moved", thousands(moved), thousands(c.total)),
        ));
        lines.push((
            "centre-sub",
            format!(
                "{} · hash % N: {}",
                share(moved, c.total),
                share(c.modulo_moved, c.total)
            ),
        ));
    }
    let step = 15.0;
    let gap = if visible_change(frame).is_some() {
        8.0
    } else {
        0.0
    };
    let height = step * (lines.len() as f64 - 1.0) + gap;
    let mut y = CENTRE - height / 2.0 + 4.0;
    let items = lines.into_iter().enumerate().map(|(i, (class, text))| {
        if class == "centre-change" {
            y += gap;
        }
        let this = y;
        y += step;
        html! { <text key={i} class={class} x={num(CENTRE)} y={num(this)} text-anchor="middle">{ text }</text> }
    });
    html! { <g class="centre" data-testid="ring-centre" data-concealed={crate::diagrams::concealed_attr(conceal)}>{ for items }</g> }
}

/// The ring in words, for the `aria-label` (concealed: without shares, counts or what moved).
pub(super) fn describe(frame: &RingFrame, conceal: bool) -> String {
    let servers: Vec<String> = frame
        .servers
        .iter()
        .map(|s| {
            if conceal {
                return s.name.clone();
            }
            format!(
                "{} owns {} of the ring and {}",
                s.name,
                format::percent(s.arc_percent),
                count(s.keys, "key", "keys")
            )
        })
        .collect();
    let mut text = format!(
        "Hash ring, 0° at the top, keys owned by the next server clockwise. {}: {}. {} placed with {}, {}.",
        count(frame.servers.len() as u64, "server", "servers"),
        servers.join("; "),
        count(frame.keys_total, "key", "keys"),
        hash_name(frame.hash),
        count(u64::from(frame.vnodes), "point per server", "points per server"),
    );
    for g in &frame.removed {
        text.push_str(&format!(" {} has crashed.", g.name));
    }
    if let Some(c) = visible_change(frame).filter(|_| conceal) {
        text.push_str(&format!(" Last change: {}.", change_title(&c.what)));
    }
    if let Some(c) = visible_change(frame).filter(|_| !conceal) {
        text.push_str(&format!(
            " Last change: {}; {} of {} keys moved; hash % N would have moved {}.",
            change_title(&c.what),
            thousands(c.moves.len() as u64),
            thousands(c.total),
            thousands(c.modulo_moved)
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_titles_read_as_events() {
        assert_eq!(change_title("server B removed"), "B crashed");
        assert_eq!(change_title("server F added"), "F joined");
        assert_eq!(change_title("keys rebalanced"), "keys rebalanced");
    }
}
