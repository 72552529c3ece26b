//! Stores as columns: the tiers a read passes (client, caches, write-behind buffer, database),
//! left to right in read order, each with the entries it holds; the last flow's path numbered
//! on the tiers it visited and narrated below. Shared by the caching family's write-policy,
//! expiry and hierarchy lessons.
//!
//! Plain HTML, not SVG: the columns wrap on a narrow screen and the text stays text. An entry's
//! state is a tint AND a word (`stale`), never colour alone; its version reads `v3`; the time to
//! live left is a number. A flow that went wrong (`ok == false`) is drawn in the warning style.
//! Styles: `www/styles/stores.css`.

use super::{concealed_attr, highlighted_attr, DiagramKind, Emphasis};
use sim::models::store_view::{EntryState, EntryView, FlowKind, StoreFrame, TierKind, TierView};
use sim::time::SimTime;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

impl DiagramKind for Rc<StoreFrame> {
    fn view(&self, _reduced_motion: bool, emphasis: &Emphasis) -> Html {
        view(self, emphasis)
    }
    fn colors(&self) -> BTreeMap<String, u32> {
        sim::order::map_of(
            self.tiers
                .iter()
                .enumerate()
                .map(|(i, t)| (t.label.clone(), i as u32)),
        )
    }
    fn load_label(&self) -> &'static str {
        "Load per store"
    }
    fn aspect(&self) -> f64 {
        1.6
    }
}

/// The word that names a state (the tint is its class `st-<word>`).
pub(crate) fn state_word(s: EntryState) -> &'static str {
    match s {
        EntryState::Fresh => "fresh",
        EntryState::Stale => "stale",
        EntryState::Dirty => "dirty",
        EntryState::Expired => "expired",
        EntryState::Loading => "loading",
    }
}

/// The verb of a flow kind, for the narration's prefix.
fn flow_word(k: FlowKind) -> &'static str {
    match k {
        FlowKind::Read => "read",
        FlowKind::Write => "write",
        FlowKind::Invalidate => "delete",
        FlowKind::Fill => "fill",
        FlowKind::Flush => "flush",
        FlowKind::Expire => "expire",
    }
}

/// A time to live left, short: `0.4 s`, `12 s`, `5 min`.
fn ttl_text(t: SimTime) -> String {
    let ms = t.as_ms();
    match ms {
        0..=9_999 => format!("{}.{} s", ms / 1_000, (ms % 1_000) / 100),
        10_000..=599_999 => format!("{} s", ms / 1_000),
        _ => format!("{} min", ms / 60_000),
    }
}

/// The steps (1-based) at which the last flow visited tier `id`: `1·4`.
fn steps(frame: &StoreFrame, id: &str) -> Option<String> {
    let flow = frame.last.as_ref()?;
    let s: Vec<String> = flow
        .path
        .iter()
        .enumerate()
        .filter(|(_, p)| *p == id)
        .map(|(i, _)| (i + 1).to_string())
        .collect();
    (!s.is_empty()).then(|| s.join("·"))
}

fn entry(tier: &str, e: &EntryView, emphasis: &Emphasis) -> Html {
    let word = state_word(e.state);
    let stressed = emphasis.stresses([e.key.as_str()]);
    html! {
        <li class={classes!("sd-entry", format!("st-{word}"), e.hot.then_some("hot"))}
            data-testid={format!("entry-{tier}-{}", e.key)} data-state={word}
            data-version={e.version.map(|v| v.to_string())} data-highlighted={highlighted_attr(stressed)}>
            <span class="sd-key">{ &e.key }</span>
            if let Some(v) = e.version {
                <span class="sd-ver" data-concealed={concealed_attr(emphasis.conceal)}>
                    { if emphasis.conceal { "v?".to_string() } else { format!("v{v}") } }
                </span>
            }
            <span class="sd-state">{ word }</span>
            if let Some(t) = e.ttl_left {
                <span class="sd-ttl" title="time to live left">{ format!("⏱ {}", ttl_text(t)) }</span>
            }
            if let Some(n) = &e.note {
                <span class="sd-note">{ n }</span>
            }
        </li>
    }
}

fn tier(frame: &StoreFrame, t: &TierView, emphasis: &Emphasis) -> Html {
    let step = steps(frame, &t.id);
    let warn = step.is_some() && frame.last.as_ref().is_some_and(|f| !f.ok);
    let kind = match t.kind {
        TierKind::Client => "client",
        TierKind::Cache => "cache",
        TierKind::Buffer => "buffer",
        TierKind::Database => "db",
    };
    html! {
        <div class={classes!("sd-tier", format!("k-{kind}"), step.is_some().then_some("on-path"),
                warn.then_some("warn"), t.down.then_some("down"))}
            data-testid={format!("tier-{}", t.id)} data-highlighted={highlighted_attr(emphasis.stresses([t.id.as_str(), t.label.as_str()]))}>
            <div class="sd-head">
                <strong>{ &t.label }</strong>
                if let Some(s) = step {
                    <span class="sd-step" title="step of the last flow">{ s }</span>
                }
                if t.down {
                    <span class="sd-down">{ "down" }</span>
                }
            </div>
            if let Some(c) = &t.caption {
                <div class="sd-cap">{ c }</div>
            }
            if let Some(l) = t.load {
                <div class="sd-load" title="load">
                    <span class="sd-bar"><i style={format!("width:{:.0}%", (l * 100.0).clamp(0.0, 100.0))} /></span>
                    { format!("{:.0} %", l * 100.0) }
                </div>
            }
            if !t.entries.is_empty() {
                <ul class="sd-entries">{ for t.entries.iter().map(|e| entry(&t.id, e, emphasis)) }</ul>
            } else if t.kind != TierKind::Client {
                <div class="sd-cap">{ "empty" }</div>
            }
            if t.more > 0 {
                <div class="sd-cap">{ format!("+{} more", t.more) }</div>
            }
        </div>
    }
}

/// The diagram: a caption, one column per tier (tiers of one group stacked), the flow line.
fn view(frame: &Rc<StoreFrame>, emphasis: &Emphasis) -> Html {
    // Columns: consecutive tiers of the same group share one.
    let mut cols: Vec<Vec<&TierView>> = Vec::new();
    for t in &frame.tiers {
        match cols.last_mut() {
            Some(c) if t.group.is_some() && c[0].group == t.group => c.push(t),
            _ => cols.push(vec![t]),
        }
    }
    let label = |id: &str| {
        frame
            .tiers
            .iter()
            .find(|t| t.id == id)
            .map_or(id.to_string(), |t| t.label.clone())
    };
    html! {
        <figure class="store-diagram" data-testid="store-diagram">
            if let Some(c) = &frame.caption {
                <figcaption class="sd-caption">{ c }</figcaption>
            }
            <div class="sd-cols" tabindex="0" role="group" aria-label="Stores, in the order a read visits them">
                { for cols.iter().map(|c| html! {
                    <div class="sd-col">{ for c.iter().map(|t| tier(frame, t, emphasis)) }</div>
                }) }
            </div>
            if let Some(f) = &frame.last {
                <p class={classes!("sd-flow", (!f.ok).then_some("warn"))} data-testid="flow"
                   data-ok={f.ok.to_string()} data-kind={flow_word(f.kind)}>
                    <span class="sd-badge">{ if f.ok { "✓ " } else { "⚠ " } }{ flow_word(f.kind) }</span>
                    { " " }{ &f.text }
                    <span class="sd-path">{ f.path.iter().map(|p| label(p)).collect::<Vec<_>>().join(" → ") }</span>
                </p>
            }
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttl_reads_short() {
        assert_eq!(ttl_text(SimTime::from_ms(400)), "0.4 s");
        assert_eq!(ttl_text(SimTime::from_ms(12_345)), "12 s");
        assert_eq!(ttl_text(SimTime::from_secs(3_600)), "60 min");
    }

    #[test]
    fn steps_number_every_visit_of_a_tier() {
        let frame = StoreFrame {
            last: Some(sim::models::store_view::FlowView {
                path: ["client", "cache", "db", "cache"]
                    .map(String::from)
                    .to_vec(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(steps(&frame, "cache").as_deref(), Some("2·4"));
        assert_eq!(steps(&frame, "db").as_deref(), Some("3"));
        assert_eq!(steps(&frame, "buffer"), None);
    }
}
