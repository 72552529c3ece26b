//! Compare mode: the lesson's variants side by side, each a small diagram of its own run, all on
//! the page's one timeline and controls, and a table of their metrics — every scalar metric,
//! what each change on the timeline moved, and the per-shard request load as small bars.
//!
//! The columns are runs owned by the playback state (`sim::compare::Comparison`); this view only
//! reads them.

use crate::components::metrics::{display_value, raw_value};
use crate::diagrams::{palette_class, server_colors, Diagram};
use crate::playback::{Playback, PlaybackAction};
use sim::compare::{Comparison, MovedAt};
use sim::frame::Frame;
use sim::model::{MetricGroup, MetricValue, Metrics};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`CompareView`].
#[derive(Properties, PartialEq)]
pub struct CompareViewProps {
    /// The page's playback (its `compare` is on).
    pub playback: Rc<Playback>,
    /// Skip decorative motion.
    pub reduced_motion: bool,
    /// Where picks and closing go.
    pub on_action: Callback<PlaybackAction>,
}

/// What one column shows at one moment.
struct ColumnView {
    id: String,
    label: String,
    description: String,
    frame: Option<Frame>,
    metrics: Option<Metrics>,
    error: Option<String>,
    notes: Vec<String>,
    changes: Vec<MovedAt>,
}

fn columns(cmp: &Comparison, with_changes: bool) -> Vec<ColumnView> {
    cmp.columns()
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let (frame, metrics, error, changes) = match &c.run {
                Ok(run) => (
                    Some(run.frame()),
                    Some(run.metrics()),
                    None,
                    if with_changes {
                        cmp.moved_per_change(i, run.now())
                    } else {
                        Vec::new()
                    },
                ),
                Err(e) => (None, None, Some(e.clone()), Vec::new()),
            };
            ColumnView {
                id: c.variant.id.clone(),
                label: c.variant.label.clone(),
                description: c.variant.description.clone(),
                frame,
                metrics,
                error,
                notes: c.notes.clone(),
                changes,
            }
        })
        .collect()
}

/// The request load per shard (or the first group, for models without one) as tiny bars.
fn load_bars(id: &str, metrics: &Metrics, frame: Option<&Frame>) -> Html {
    let colors = frame.map(server_colors).unwrap_or_default();
    let group: Option<&MetricGroup> = metrics
        .group("requests_per_shard")
        .or_else(|| metrics.group("requests_per_server"))
        .or_else(|| metrics.groups.first());
    let Some(g) = group else {
        return html! {};
    };
    let max = g.values.iter().map(|(_, v)| *v).fold(0.0_f64, f64::max);
    let n = g.values.len().max(1) as f64;
    let w = 100.0 / n;
    let bars = g.values.iter().enumerate().map(|(i, (label, v))| {
        let h = if max > 0.0 { 28.0 * v / max } else { 0.0 };
        html! {
            <rect class={classes!("cmp-bar", palette_class(colors.get(label).copied().unwrap_or(i as u32)))} x={format!("{:.2}", i as f64 * w + w * 0.1)}
                  y={format!("{:.2}", 30.0 - h)} width={format!("{:.2}", w * 0.8)} height={format!("{h:.2}")}>
                <title>{ format!("{label}: {}", display_value(&MetricValue::Float(*v))) }</title>
            </rect>
        }
    });
    html! {
        <figure class="cmp-load" data-testid={format!("compare-load-{id}")} data-group={g.id}>
            <svg viewBox="0 0 100 30" preserveAspectRatio="none" role="img"
                 aria-label={format!("{} across {} shards", g.label, g.values.len())}>
                { for bars }
            </svg>
            <figcaption class="muted">{ g.label }</figcaption>
        </figure>
    }
}

fn changes_cell(id: &str, changes: &[MovedAt]) -> Html {
    if changes.is_empty() {
        return html! { <td data-testid={format!("compare-moves-{id}")} data-value="" class="muted">{ "no changes yet" }</td> };
    }
    let total: i64 = changes.iter().filter_map(|c| c.moved).sum();
    html! {
        <td data-testid={format!("compare-moves-{id}")} data-value={total.to_string()}>
            <ul class="cmp-changes">
                { for changes.iter().map(|c| {
                    let what = if c.refused {
                        "refused".to_string()
                    } else {
                        match (c.moved, c.percent) {
                            (Some(m), Some(p)) => format!("{} keys ({p:.1}%)", crate::layout::format::thousands(m.max(0) as u64)),
                            (Some(m), None) => format!("{m} keys"),
                            _ => "—".to_string(),
                        }
                    };
                    html! { <li><code>{ &c.input }</code>{ " → " }<span class="num">{ what }</span></li> }
                }) }
            </ul>
        </td>
    }
}

/// Compare mode's grid of runs and table of metrics.
#[function_component(CompareView)]
pub fn compare_view(props: &CompareViewProps) -> Html {
    let pb = &props.playback;
    let Some(cmp) = pb.compare.clone() else {
        return html! {};
    };
    let lesson = pb.lesson.clone();
    let version = pb.version;
    // Replaying each column for its per-change moves costs a run per column: only when the run
    // itself changed or the clock paused, not every animation frame.
    let changes_key = (pb.run_key(), if pb.playing { 0 } else { pb.now().as_us() });
    let changes: Rc<Vec<Vec<MovedAt>>> = {
        let cmp = cmp.clone();
        (*use_memo(changes_key, move |_| {
            let c = cmp.borrow();
            Rc::new(
                columns(&c, true)
                    .into_iter()
                    .map(|v| v.changes)
                    .collect::<Vec<_>>(),
            )
        }))
        .clone()
    };
    let cols = {
        let cmp = cmp.clone();
        use_memo(version, move |_| columns(&cmp.borrow(), false))
    };
    let rows = {
        let cmp = cmp.clone();
        use_memo(version, move |_| cmp.borrow().rows())
    };
    let shown: Vec<String> = cols.iter().map(|c| c.id.clone()).collect();

    let picker = lesson.compare.iter().map(|v| {
        let on = shown.contains(&v.id);
        let ids: Vec<String> = if on {
            shown.iter().filter(|s| **s != v.id).cloned().collect()
        } else {
            lesson
                .compare
                .iter()
                .filter(|x| x.id == v.id || shown.contains(&x.id))
                .map(|x| x.id.clone())
                .collect()
        };
        // At least one column stays; unticking the last one closes compare mode.
        let next = if ids.is_empty() { None } else { Some(ids) };
        let on_action = props.on_action.clone();
        let onchange = Callback::from(move |_: Event| on_action.emit(PlaybackAction::SetCompare(next.clone())));
        html! {
            <label class="cmp-pick" title={v.description.clone()}>
                <input type="checkbox" checked={on} data-testid={format!("compare-pick-{}", v.id)} {onchange} />
                { &v.label }
            </label>
        }
    });
    let close = {
        let on_action = props.on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(PlaybackAction::SetCompare(None)))
    };

    let grid = cols.iter().map(|c| {
        html! {
            <article class="cmp-col" data-testid={format!("compare-column-{}", c.id)} aria-label={c.label.clone()}>
                <h3 class="cmp-title">{ &c.label }</h3>
                if !c.description.is_empty() {
                    <p class="cmp-desc muted">{ &c.description }</p>
                }
                if let Some(frame) = &c.frame {
                    <div class="cmp-diagram"><Diagram frame={frame.clone()} reduced_motion={props.reduced_motion} /></div>
                }
                if let Some(e) = &c.error {
                    <p class="banner banner-error" role="alert" data-testid={format!("compare-error-{}", c.id)}>{ format!("This column could not start: {e}") }</p>
                }
                { for c.notes.iter().map(|n| html! { <p class="cmp-note muted">{ n }</p> }) }
                if let Some(m) = &c.metrics {
                    { load_bars(&c.id, m, c.frame.as_ref()) }
                }
            </article>
        }
    });

    let head = cols
        .iter()
        .map(|c| html! { <th scope="col">{ &c.label }</th> });
    let body = rows.iter().map(|r| {
        let cells = r.cells.iter().zip(cols.iter()).map(|(v, c)| {
            let tid = format!("compare-cell-{}-{}", c.id, r.id);
            match v {
                Some(v) => html! {
                    <td data-testid={tid} data-value={raw_value(v)} class="num">
                        { display_value(v) }
                        if let (Some(u), false) = (r.unit, matches!(v, MetricValue::None)) {
                            <span class="metric-unit">{ format!(" {u}") }</span>
                        }
                    </td>
                },
                None => html! { <td data-testid={tid} data-value="" class="muted">{ "n/a" }</td> },
            }
        });
        html! {
            <tr data-testid={format!("compare-row-{}", r.id)}>
                <th scope="row" title={r.help}>{ r.label }</th>
                { for cells }
            </tr>
        }
    });
    let moves = cols
        .iter()
        .enumerate()
        .map(|(i, c)| changes_cell(&c.id, changes.get(i).map(Vec::as_slice).unwrap_or(&[])));

    html! {
        <section class="card compare" data-testid="compare-view" aria-labelledby="compare-title">
            <div class="card-head">
                <h2 class="card-title" id="compare-title">{ "Compare strategies" }</h2>
                <span class="card-hint muted">{ "Same seed, parameters and timeline; each column runs its own strategy." }</span>
                <button type="button" class="button button-ghost" data-testid="compare-close" onclick={close}>{ "Close compare" }</button>
            </div>
            <fieldset class="cmp-picker">
                <legend class="visually-hidden">{ "Columns" }</legend>
                { for picker }
            </fieldset>
            <div class="cmp-grid" style={format!("--cmp-cols: {}", cols.len().clamp(1, 3))}>{ for grid }</div>
            <div class="cmp-table-wrap">
                <table class="cmp-table" data-testid="compare-table">
                    <thead><tr><th scope="col">{ "Metric" }</th>{ for head }</tr></thead>
                    <tbody>
                        <tr data-testid="compare-row-moves">
                            <th scope="row" title="Keys each input on the timeline moved, in this column's run.">{ "Moved on each change" }</th>
                            { for moves }
                        </tr>
                        { for body }
                    </tbody>
                </table>
            </div>
        </section>
    }
}
