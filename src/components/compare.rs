//! Compare mode: the lesson's variants side by side, each a small diagram of its own run, all on
//! the page's one timeline and controls, and a table of their metrics — every scalar metric,
//! what each change on the timeline moved, and the per-shard request load as small bars.
//!
//! The columns are runs owned by the playback state (`sim::compare::Comparison`); this view only
//! reads them. Its header holds the lesson's key intervention (`compare_action` in the lesson
//! file: "Crash B"), applied to the page's run and so to every column, and the one way out.
//! Inputs are named in words by their model's actions (`sim::model::describe_input`), as the
//! Intervene panel labels them, never as a URL writes them.

use crate::components::metrics::{display_value, raw_value};
use crate::diagrams::{palette_class, server_colors, Diagram};
use crate::playback::{Playback, PlaybackAction};
use sim::compare::{Comparison, MovedAt};
use sim::frame::Frame;
use sim::lesson::CompareAction;
use sim::model::{MetricGroup, MetricValue, Metrics};
use sim::scenario::Input;
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

/// What one change did in one column, in words: "47 keys moved (23.5%)".
fn moved_words(c: &MovedAt) -> String {
    if c.refused {
        return "this strategy cannot do that".to_string();
    }
    match (c.moved, c.percent) {
        (Some(1), Some(p)) => format!("1 key moved ({p:.1}%)"),
        (Some(m), Some(p)) => format!(
            "{} keys moved ({p:.1}%)",
            crate::layout::format::thousands(m.max(0) as u64)
        ),
        (Some(m), None) => format!("{m} keys moved"),
        // A model that does not move keys says what happened in its own words.
        _ => c.said.clone().unwrap_or_else(|| "applied".to_string()),
    }
}

/// What to do before anything changed: press the header's button, or use Intervene.
fn nothing_yet(action: Option<&CompareAction>) -> String {
    match action {
        Some(a) => format!(
            "Nothing has changed yet. Press “{}” above to apply it to every column.",
            a.label
        ),
        None => {
            "Nothing has changed yet. Apply a change under Intervene to see it in every column."
                .to_string()
        }
    }
}

fn changes_cell(id: &str, changes: &[MovedAt], action: Option<&CompareAction>) -> Html {
    if changes.is_empty() {
        return html! { <td data-testid={format!("compare-moves-{id}")} data-value="" class="muted cmp-empty">{ nothing_yet(action) }</td> };
    }
    let total: i64 = changes.iter().filter_map(|c| c.moved).sum();
    html! {
        <td data-testid={format!("compare-moves-{id}")} data-value={total.to_string()}>
            <ul class="cmp-changes">
                { for changes.iter().map(|c| html! {
                    <li><span class="cmp-change-what">{ format!("{} — ", c.described) }</span><span class="num">{ moved_words(c) }</span></li>
                }) }
            </ul>
        </td>
    }
}

/// A column's one-line summary under its title: the latest change and what it moved here, or
/// what to do first.
fn column_summary(id: &str, changes: &[MovedAt], action: Option<&CompareAction>) -> Html {
    let tid = format!("compare-summary-{id}");
    match changes.last() {
        None => {
            html! { <p class="cmp-summary muted" data-testid={tid} data-value="">{ nothing_yet(action) }</p> }
        }
        Some(c) => html! {
            <p class={classes!("cmp-summary", c.refused.then_some("is-refused"))} data-testid={tid}
               data-value={c.moved.map(|m| m.to_string()).unwrap_or_default()}>
                <span class="cmp-change-what">{ format!("{} — ", c.described) }</span>
                // A count stands out; a model's own sentence reads as one.
                if c.moved.is_some() {
                    <strong class="num">{ moved_words(c) }</strong>
                } else {
                    <span>{ moved_words(c) }</span>
                }
            </p>
        },
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
    let action = lesson.compare_action.as_ref();
    let header_action = action.and_then(|a| {
        let input = Input::parse(&a.input).ok()?;
        // Once on the timeline, pressing it again would only be refused.
        let done = pb.sim().inputs().iter().any(|t| t.input == input && t.at <= pb.now());
        let on_action = props.on_action.clone();
        let onclick = Callback::from(move |_: MouseEvent| on_action.emit(PlaybackAction::Apply(input.clone())));
        Some(html! {
            <button type="button" class="button button-primary cmp-action" data-testid="compare-action"
                disabled={done} {onclick}
                title="Applies the change now, to the lesson's run and so to every column">{ &a.label }</button>
        })
    });

    let grid = cols.iter().enumerate().map(|(i, c)| {
        html! {
            <article class="cmp-col" data-testid={format!("compare-column-{}", c.id)} aria-label={c.label.clone()}>
                <h3 class="cmp-title">{ &c.label }</h3>
                if !c.description.is_empty() {
                    <p class="cmp-desc muted">{ &c.description }</p>
                }
                if c.error.is_none() {
                    { column_summary(&c.id, changes.get(i).map(Vec::as_slice).unwrap_or(&[]), action) }
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
    let moves = cols.iter().enumerate().map(|(i, c)| {
        changes_cell(
            &c.id,
            changes.get(i).map(Vec::as_slice).unwrap_or(&[]),
            action,
        )
    });
    // Up to three side by side; more, two to a row, so each diagram keeps room for labels.
    let per_row = match cols.len() {
        0 | 1 => 1,
        3 => 3,
        _ => 2,
    };

    html! {
        <section class="card compare" data-testid="compare-view" aria-labelledby="compare-title">
            <div class="card-head cmp-head">
                <h2 class="card-title" id="compare-title">{ "Compare strategies" }</h2>
                { header_action.unwrap_or_default() }
                <button type="button" class="button button-ghost cmp-close" data-testid="compare-close" onclick={close}>{ "Close compare" }</button>
            </div>
            <p class="card-hint muted cmp-hint">{ "Same seed, parameters and timeline; each column runs its own strategy." }</p>
            if let Some(e) = &pb.action_error {
                <p class="banner banner-error" role="alert" data-testid="compare-action-error">{ e.to_string() }</p>
            }
            <fieldset class="cmp-picker">
                <legend class="visually-hidden">{ "Columns" }</legend>
                { for picker }
            </fieldset>
            <div class="cmp-grid" style={format!("--cmp-cols: {per_row}")}>{ for grid }</div>
            <div class="cmp-table-wrap">
                <table class="cmp-table" data-testid="compare-table">
                    <thead><tr><th scope="col">{ "Metric" }</th>{ for head }</tr></thead>
                    <tbody>
                        <tr data-testid="compare-row-moves">
                            <th scope="row" title="Keys each input on the timeline moved, in this column's run.">{ "What each change moved" }</th>
                            { for moves }
                        </tr>
                        { for body }
                    </tbody>
                </table>
            </div>
        </section>
    }
}
