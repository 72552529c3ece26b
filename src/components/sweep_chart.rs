//! The chart of a sweep: for each metric a plot of the value against the swept parameter, one
//! median line per series with a band across seeds and the theory curve dashed, stacked as small
//! multiples that share the x axis.
//!
//! A pure view of a [`SweepResult`] that grows as runs finish: it reads the summaries once per
//! result ([`geom::Digest`]) and lays the plots out at the width they are shown at
//! ([`geom::plot`]). Points still running are drawn faint and left out of the numbers on the
//! median paths. A readout follows the pointer, or the arrow keys on a focused plot, and is
//! announced politely; the same numbers are in a table, and the CSV, SVG and PNG buttons save
//! them.
//!
//! Test ids: `sweep-chart`; `sweep-plot-<metric>` (each plot's `<svg>`);
//! `sweep-series-<series>-<metric>` (a median path, its finished medians in `data-points` and
//! their swept values in `data-xs`, comma-separated, each written by f64's `{}`; `<series>` is the
//! series id or `lesson`); `sweep-band-<series>-<metric>`; `sweep-theory-<curve>`;
//! `sweep-readout`, `sweep-live` (its announcement); `sweep-status`, `sweep-empty`;
//! `sweep-mark` (the run followed, with `data-x` and `data-y`);
//! `sweep-table` (the `<details>`), `sweep-table-<metric>`; `sweep-band-toggle` (with
//! `sweep-toggle-p10p90` and `sweep-toggle-minmax`); `sweep-export-csv`, `-svg`, `-png`.

mod export;
mod geom;
mod scale;
mod view;
mod width;

pub use geom::Band;

use geom::{Digest, Plot};
use scale::Move;
use sim::sweep::SweepResult;
use std::cell::Cell;
use std::rc::Rc;
use view::{Active, PlotView};
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::prelude::*;

/// A point drawn over the curves: where the run the chart follows is now (a ring labelled
/// "now", `sweep-mark`, its values in `data-x` and `data-y`). Its height, the metric's value in
/// the run so far, is not here but in a [`MarkValue`] context the page provides: it changes with
/// every frame while the run plays, and only the ring reads it, so only the ring re-renders.
#[derive(Clone, Debug, PartialEq)]
pub struct ChartMark {
    /// The metric whose plot it is on.
    pub metric: String,
    /// The swept parameter's value in the run.
    pub x: f64,
    /// The series with the run's parameters (the ring takes its colour), if any.
    pub series: Option<usize>,
}

/// The run's value of the marked metric now (`None`: no value yet, no ring), provided with
/// `ContextProvider<MarkValue>` around a chart that has a [`ChartMark`].
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct MarkValue(pub Option<f64>);

/// Props of [`SweepChart`].
#[derive(Properties)]
pub struct SweepChartProps {
    /// The results so far. A new batch of runs comes as a new `Rc` (the chart compares pointers,
    /// not contents).
    pub result: Rc<SweepResult>,
    /// Whether the swept values are spaced on a log scale (the sweep's `log`).
    #[prop_or_default]
    pub log_x: bool,
    /// The chart's title (also the exported figure's).
    pub title: AttrValue,
    /// File name of the exports without the extension, e.g. `hash-ring-sweep-vnodes`
    /// (default `sweep-<param>`).
    #[prop_or_default]
    pub file_stem: AttrValue,
    /// The band shown first (the chart's toggle changes it).
    #[prop_or_default]
    pub band: Band,
    /// Where the run the chart follows is now, if it follows one.
    #[prop_or_default]
    pub mark: Option<ChartMark>,
}

impl PartialEq for SweepChartProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.result, &other.result)
            && self.log_x == other.log_x
            && self.title == other.title
            && self.file_stem == other.file_stem
            && self.band == other.band
            && self.mark == other.mark
    }
}

/// An `Rc` compared by pointer, for memo keys.
#[derive(Clone)]
struct ByPtr<T>(Rc<T>);

impl<T> PartialEq for ByPtr<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// The pointer's x in the plot's viewBox units.
fn pointer_x(e: &PointerEvent, plot_w: f64) -> Option<f64> {
    let svg = e
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest("svg.sweep-plot")
        .ok()??;
    let r = svg.get_bounding_client_rect();
    (r.width() > 0.0).then(|| (f64::from(e.client_x()) - r.left()) / r.width() * plot_w)
}

/// The sweep chart.
#[function_component(SweepChart)]
pub fn sweep_chart(props: &SweepChartProps) -> Html {
    let band = use_state_eq(|| props.band);
    let active = use_state_eq(|| None::<Active>);
    let table_open = use_state_eq(|| false);
    let error = use_state_eq(|| None::<String>);
    let uid = use_state(|| {
        NEXT_ID.with(|n| {
            n.set(n.get() + 1);
            n.get()
        })
    });
    let plots_ref = use_node_ref();
    let figure_ref = use_node_ref();
    let title_ref = use_node_ref();
    let measured = width::use_width(plots_ref.clone());
    let width = if measured > 0.0 {
        measured
    } else {
        width::DEFAULT_WIDTH
    };

    let result = props.result.clone();
    let digest = use_memo(ByPtr(result.clone()), |r| Rc::new(Digest::of(&r.0)));
    let plots = use_memo(
        (
            ByPtr(result.clone()),
            ByPtr((*digest).clone()),
            *band,
            props.log_x,
            width.to_bits(),
        ),
        |(r, d, band, log_x, w)| {
            let w = f64::from_bits(*w);
            (0..r.0.meta.metrics.len())
                .map(|m| geom::plot(&r.0, &d.0, m, *band, *log_x, w))
                .collect::<Vec<Plot>>()
        },
    );
    let digest: &Digest = &digest;
    let meta = &result.meta;
    let running = digest
        .complete
        .iter()
        .enumerate()
        .any(|(p, &c)| !c && (0..meta.metrics.len()).any(|m| digest.has(m, p)));

    let set_band = |b: Band| {
        let band = band.clone();
        Callback::from(move |_: MouseEvent| band.set(b))
    };

    let plot_html = |m: usize, plot: &Plot| -> Html {
        let has: Rc<[bool]> = plot.has.clone().into();
        let xpos: Rc<[f64]> = plot.xpos.clone().into();
        let w = plot.w;
        let on_move = {
            let (active, has, xpos) = (active.clone(), has.clone(), xpos.clone());
            Callback::from(move |e: PointerEvent| {
                let Some(x) = pointer_x(&e, w) else {
                    return;
                };
                if let Some(point) = scale::nearest(&xpos, &has, x) {
                    active.set(Some(Active {
                        metric: m,
                        point,
                        keyboard: false,
                    }));
                }
            })
        };
        let on_leave = {
            let active = active.clone();
            Callback::from(move |e: PointerEvent| {
                let focused = gloo::utils::document().active_element();
                let here = e.target().and_then(|t| t.dyn_into::<Element>().ok());
                let keep = matches!((focused, here), (Some(f), Some(h)) if f == h);
                if !keep && active.is_some_and(|a| a.metric == m) {
                    active.set(None);
                }
            })
        };
        let on_key = {
            let (active, has) = (active.clone(), has.clone());
            Callback::from(move |e: KeyboardEvent| {
                let Some(how) = Move::from_key(&e.key()) else {
                    return;
                };
                e.prevent_default();
                let from = active.filter(|a| a.metric == m).map(|a| a.point);
                if let Some(point) = scale::step_point(&has, from, how) {
                    active.set(Some(Active {
                        metric: m,
                        point,
                        keyboard: true,
                    }));
                }
            })
        };
        let on_focus = {
            let (active, has) = (active.clone(), has.clone());
            Callback::from(move |_: FocusEvent| {
                // Keep the point the pointer chose; else start where the last plot left off.
                if active.is_some_and(|a| a.metric == m) {
                    return;
                }
                let from = active
                    .map(|a| a.point)
                    .filter(|&p| has.get(p) == Some(&true));
                let point = from.or_else(|| scale::step_point(&has, None, Move::First));
                active.set(point.map(|point| Active {
                    metric: m,
                    point,
                    keyboard: true,
                }));
            })
        };
        let on_blur = {
            let active = active.clone();
            Callback::from(move |_: FocusEvent| {
                if active.is_some_and(|a| a.metric == m) {
                    active.set(None);
                }
            })
        };
        let metric = &meta.metrics[m];
        let done = plot.has.iter().filter(|&&h| h).count();
        let label = format!(
            "{} against {}: {done} of {} values so far. Left and right arrow keys read each value; the table has them all.",
            plot.y_title,
            plot.x_title,
            meta.xs.len()
        );
        let view = PlotView {
            plot,
            meta,
            metric: m,
            clip: format!("sweep-clip-{}-{m}", *uid),
            active: active.map(|a| a.point),
            mark: props.mark.as_ref(),
        };
        html! {
            <div class="sweep-plot-wrap" key={metric.id.clone()}>
                <svg class="sweep-plot" data-testid={format!("sweep-plot-{}", metric.id)} data-metric={metric.id.clone()}
                    viewBox={format!("0 0 {} {:.0}", plot.w, plot.h)} width="100%"
                    tabindex="0" role="application" aria-roledescription="chart" aria-label={label}
                    onpointermove={on_move.clone()} onpointerdown={on_move} onpointerleave={on_leave}
                    onkeydown={on_key} onfocus={on_focus} onblur={on_blur}>
                    { view.layers() }
                </svg>
                if let Some(a) = active.filter(|a| a.metric == m) {
                    { view::readout(meta, digest, plot, a, *band) }
                }
            </div>
        }
    };

    let live = active
        .filter(|a| a.keyboard)
        .map(|a| view::announcement(meta, digest, a.metric, a.point, *band))
        .unwrap_or_default();

    let stem = props.file_stem.to_string();
    let param = meta.param.id.clone();
    let on_csv = {
        let (error, result, stem, param) =
            (error.clone(), result.clone(), stem.clone(), param.clone());
        Callback::from(move |_: MouseEvent| {
            let name = export::file_name(&stem, &param, "csv");
            error.set(export::save_csv(&result, &name).err());
        })
    };
    let figure_parts = {
        let (figure_ref, title_ref) = (figure_ref.clone(), title_ref.clone());
        move || Some((figure_ref.cast::<Element>()?, title_ref.cast::<Element>()?))
    };
    let on_svg = {
        let (error, stem, param, parts) = (
            error.clone(),
            stem.clone(),
            param.clone(),
            figure_parts.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let name = export::file_name(&stem, &param, "svg");
            let saved = parts()
                .ok_or_else(|| "the chart is not on the page".to_string())
                .and_then(|(f, t)| export::save_svg(&f, &t, &name));
            error.set(saved.err());
        })
    };
    let on_png = {
        let (error, parts) = (error.clone(), figure_parts);
        Callback::from(move |_: MouseEvent| {
            let name = export::file_name(&stem, &param, "png");
            let Some((f, t)) = parts() else {
                error.set(Some("the chart is not on the page".to_string()));
                return;
            };
            let error = error.clone();
            export::save_png(&f, &t, &name, Callback::from(move |e| error.set(e)));
        })
    };
    let on_toggle = {
        let table_open = table_open.clone();
        Callback::from(move |e: Event| {
            if let Some(el) = e.target().and_then(|t| t.dyn_into::<Element>().ok()) {
                table_open.set(el.has_attribute("open"));
            }
        })
    };
    let nothing = result.done() == 0;

    html! {
        <figure class="sweep-chart" data-testid="sweep-chart" data-done={result.done().to_string()} data-total={result.total().to_string()}>
            <figcaption class="sweep-head">
                <span class="sweep-title" ref={title_ref}>{ props.title.clone() }</span>
                // With one seed there is no spread across seeds to draw.
                if meta.seeds > 1 {
                    <span class="segmented" role="group" aria-label="Band across seeds" data-testid="sweep-band-toggle">
                        { for [Band::P10P90, Band::MinMax].into_iter().map(|b| html! {
                            <button type="button" class="segment" aria-pressed={(*band == b).to_string()}
                                data-testid={if b == Band::P10P90 { "sweep-toggle-p10p90" } else { "sweep-toggle-minmax" }}
                                onclick={set_band(b)}>{ b.short() }</button>
                        }) }
                    </span>
                }
            </figcaption>
            <p class="sweep-status num" data-testid="sweep-status">{ view::status(&result, digest) }</p>
            if nothing {
                <p class="sweep-empty" data-testid="sweep-empty">
                    { "No points yet: each value appears once all its seeds have run." }
                </p>
            }
            <div class="sweep-figure" ref={figure_ref}>
                { view::legend(meta, *band, running) }
                <div class="sweep-plots" ref={plots_ref}>
                    { for plots.iter().enumerate().map(|(m, p)| plot_html(m, p)) }
                </div>
            </div>
            <p class="visually-hidden" aria-live="polite" data-testid="sweep-live">{ live }</p>
            <div class="sweep-tools">
                <span class="sweep-tools-label">{ "Save" }</span>
                <button type="button" class="button button-secondary" data-testid="sweep-export-csv" onclick={on_csv} disabled={nothing}>{ "CSV" }</button>
                <button type="button" class="button button-secondary" data-testid="sweep-export-svg" onclick={on_svg}>{ "SVG" }</button>
                <button type="button" class="button button-secondary" data-testid="sweep-export-png" onclick={on_png}>{ "PNG" }</button>
                if let Some(e) = &*error {
                    <span class="sweep-error" role="alert">{ format!("Could not save: {e}") }</span>
                }
            </div>
            <details class="sweep-table-details" data-testid="sweep-table" ontoggle={on_toggle}>
                <summary>{ "Table of the numbers" }</summary>
                if *table_open {
                    { for (0..meta.metrics.len()).map(|m| view::table(meta, digest, m, *band, &props.title)) }
                }
            </details>
        </figure>
    }
}
