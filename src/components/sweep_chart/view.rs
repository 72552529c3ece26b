//! The sweep chart's pieces as HTML: a metric's plot (SVG), the legend, the hover readout and
//! the table. Each is a function of laid-out data ([`super::geom`]); the component owns the state
//! and the handlers.

use super::geom::{axis_title, theory_at, Band, Digest, Plot};
use super::scale::value_label;
use sim::sweep::{format_x, SweepMeta, SweepResult};
use yew::prelude::*;

/// The status line: how far the sweep has got, or what it ran.
pub fn status(r: &SweepResult, d: &Digest) -> String {
    let m = &r.meta;
    let points = m.xs.len();
    if r.total() == 0 {
        return "This sweep has no runs.".to_string();
    }
    let series = if m.series.len() > 1 {
        format!(" × {} series", m.series.len())
    } else {
        String::new()
    };
    let seeds = if m.seeds == 1 { "seed" } else { "seeds" };
    if r.complete() {
        format!(
            "{points} values × {} {seeds}{series}: {} runs",
            m.seeds,
            crate::layout::format::thousands(u64::from(r.total()))
        )
    } else {
        format!(
            "{} of {} runs · {} of {points} values complete",
            crate::layout::format::thousands(u64::from(r.done())),
            crate::layout::format::thousands(u64::from(r.total())),
            d.complete_points()
        )
    }
}

/// The id a series goes by in test ids: its own, or `lesson` for the lesson's run.
pub fn series_key(id: &str) -> &str {
    if id.is_empty() {
        "lesson"
    } else {
        id
    }
}

/// Where the readout points, shared by every plot (the same x on each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Active {
    /// The plot the pointer or the focus is on.
    pub metric: usize,
    /// The point.
    pub point: usize,
    /// Whether the keyboard moved it there (then it is announced).
    pub keyboard: bool,
}

/// A legend swatch: the series' band, median line and marker, drawn as on the plot.
pub fn series_swatch(s: usize) -> Html {
    let marker = super::scale::markers_path(&[(14.0, 7.0)], s, 3.2);
    html! {
        <svg class={classes!("sweep-swatch", format!("sweep-s{s}"))} viewBox="0 0 28 14" width="28" height="14" aria-hidden="true" focusable="false">
            <rect class="sweep-band" x="0" y="2" width="28" height="10" rx="2" />
            <path class="sweep-median" d="M1 7H27" />
            <path class="sweep-markers" d={marker} />
        </svg>
    }
}

fn theory_swatch(dash: usize) -> Html {
    html! {
        <svg class="sweep-swatch" viewBox="0 0 28 14" width="28" height="14" aria-hidden="true" focusable="false">
            <path class={classes!("sweep-theory", format!("sweep-dash-{}", dash % 3))} d="M1 7H27" />
        </svg>
    }
}

/// The legend: each series, each theory curve, what the band spans, and the lighter marks of
/// points still running (while there are any).
pub fn legend(meta: &SweepMeta, band: Band, running: bool) -> Html {
    // A curve drawn beside two metrics is one entry.
    let mut curves: Vec<(&str, &str, usize)> = Vec::new();
    for m in &meta.metrics {
        for (rank, t) in meta.theory.iter().filter(|t| t.metric == m.id).enumerate() {
            if !curves.iter().any(|c| c.0 == t.curve) {
                curves.push((&t.curve, &t.label, rank));
            }
        }
    }
    html! {
        <ul class="sweep-legend" aria-label="Legend">
            { for meta.series.iter().enumerate().map(|(i, s)| html! {
                <li key={format!("s-{}", s.id)} class="sweep-legend-item">
                    { series_swatch(i) }
                    <span class="sweep-legend-label" data-sweep-text="">{ &s.label }</span>
                </li>
            }) }
            { for curves.iter().map(|(id, label, dash)| html! {
                <li key={format!("t-{id}")} class="sweep-legend-item">
                    { theory_swatch(*dash) }
                    <span class="sweep-legend-label" data-sweep-text="">{ format!("theory: {label}") }</span>
                </li>
            }) }
            if meta.seeds > 1 {
                <li key="band" class="sweep-legend-item is-note">
                    <svg class="sweep-swatch sweep-neutral" viewBox="0 0 28 14" width="28" height="14" aria-hidden="true" focusable="false">
                        <rect class="sweep-band" x="0" y="2" width="28" height="10" rx="2" />
                        <path class="sweep-median" d="M1 7H27" />
                    </svg>
                    <span class="sweep-legend-label" data-sweep-text="">{ format!("line: median; {}", band.describe(meta.seeds)) }</span>
                </li>
            }
            if running {
                <li key="running" class="sweep-legend-item is-note">
                    <svg class="sweep-swatch sweep-neutral" viewBox="0 0 28 14" width="28" height="14" aria-hidden="true" focusable="false">
                        <path class="sweep-median is-partial" d="M1 7H27" />
                        <path class="sweep-markers is-partial" d={super::scale::markers_path(&[(14.0, 7.0)], 0, 3.2)} />
                    </svg>
                    <span class="sweep-legend-label" data-sweep-text="">{ "faint: seeds still running" }</span>
                </li>
            }
        </ul>
    }
}

/// What the readout says about metric `m` at point `p`: the x, then one line per series
/// (median and band, with how many seeds while the point runs) and one per theory curve.
pub fn readout_lines(
    meta: &SweepMeta,
    d: &Digest,
    m: usize,
    p: usize,
    band: Band,
) -> (String, Vec<(Option<usize>, String, String)>) {
    let x = meta.xs.get(p).copied().unwrap_or(f64::NAN);
    let head = format!(
        "{} = {}",
        axis_title(&meta.param.label, meta.param.unit.as_deref()),
        format_x(x)
    );
    let mut lines = Vec::new();
    for (s, series) in meta.series.iter().enumerate() {
        let text = match d.get(m, s, p) {
            None => "no value yet".to_string(),
            Some(v) => {
                let (lo, hi) = band.range(v);
                let mut t = format!(
                    "{} [{}–{}]",
                    value_label(v.median),
                    value_label(lo),
                    value_label(hi)
                );
                if !d.complete.get(p).copied().unwrap_or(false) {
                    t.push_str(&format!(" ({} of {} seeds)", v.n, meta.seeds));
                }
                t
            }
        };
        lines.push((Some(s), series.label.clone(), text));
    }
    if let Some(metric) = meta.metrics.get(m) {
        for t in meta.theory.iter().filter(|t| t.metric == metric.id) {
            if let Some(v) = theory_at(t, x) {
                lines.push((None, format!("theory: {}", t.label), value_label(v)));
            }
        }
    }
    (head, lines)
}

/// The readout as one sentence, for the live region.
pub fn announcement(meta: &SweepMeta, d: &Digest, m: usize, p: usize, band: Band) -> String {
    let (head, lines) = readout_lines(meta, d, m, p, band);
    let metric = meta
        .metrics
        .get(m)
        .map(|a| axis_title(&a.label, a.unit.as_deref()))
        .unwrap_or_default();
    let body: Vec<String> = lines
        .iter()
        .map(|(s, label, text)| match s {
            Some(_) => format!("{label}: median {text}"),
            None => format!("{label}: {text}"),
        })
        .collect();
    format!(
        "{head}. {metric}, band {}: {}.",
        band.short(),
        body.join("; ")
    )
}

/// The readout panel beside the crosshair on the active plot.
pub fn readout(meta: &SweepMeta, d: &Digest, plot: &Plot, a: Active, band: Band) -> Html {
    let Some(&x) = plot.xpos.get(a.point) else {
        return html! {};
    };
    let (head, lines) = readout_lines(meta, d, a.metric, a.point, band);
    let pct = x / plot.w * 100.0;
    let top = plot.top / plot.h * 100.0;
    let style = if pct > 55.0 {
        format!("right: calc({:.2}% + 10px); top: {top:.2}%", 100.0 - pct)
    } else {
        format!("left: calc({pct:.2}% + 10px); top: {top:.2}%")
    };
    html! {
        <div class="sweep-readout" data-testid="sweep-readout" data-metric={meta.metrics[a.metric].id.clone()}
            data-point={a.point.to_string()} data-x={format!("{}", meta.xs[a.point])} style={style} aria-hidden="true">
            <p class="sweep-readout-head">{ head }</p>
            <p class="sweep-readout-sub">{ format!("median [{}]", band.short()) }</p>
            <ul>
                { for lines.into_iter().map(|(s, label, text)| html! {
                    <li>
                        if let Some(s) = s {
                            <span class={classes!("sweep-key", format!("sweep-s{s}"))} />
                        } else {
                            <span class="sweep-key is-theory" />
                        }
                        <span class="sweep-readout-label">{ label }</span>
                        <span class="sweep-readout-value num">{ text }</span>
                    </li>
                }) }
            </ul>
        </div>
    }
}

/// One metric's plot as SVG, without its handlers (the component adds them through `attrs`).
pub struct PlotView<'a> {
    /// The laid-out plot.
    pub plot: &'a Plot,
    /// The sweep's axes and series.
    pub meta: &'a SweepMeta,
    /// Which metric.
    pub metric: usize,
    /// A page-unique id for the clip path.
    pub clip: String,
    /// The point the readout is on, if any.
    pub active: Option<usize>,
    /// The run beside the chart, if it is drawn on this plot.
    pub mark: Option<&'a super::ChartMark>,
}

impl PlotView<'_> {
    /// The drawing's layers: grid, axes, bands, theory, medians, markers, crosshair.
    pub fn layers(&self) -> Html {
        let p = self.plot;
        let metric_id = &self.meta.metrics[self.metric].id;
        let mid_x = (p.left + p.right) / 2.0;
        let n1 = |v: f64| format!("{v:.1}");
        // Grid lines as one path each way: one element, not one per tick.
        let grid_y: String = p
            .y_ticks
            .iter()
            .map(|(y, _)| format!("M{} {}H{}", n1(p.left), n1(*y), n1(p.right)))
            .collect();
        let grid_x: String = p
            .x_ticks
            .iter()
            .map(|(x, _)| format!("M{} {}V{}", n1(*x), n1(p.top), n1(p.bottom)))
            .collect();
        html! {
            <>
            <defs>
                <clipPath id={self.clip.clone()}>
                    <rect x={n1(p.left)} y={n1(p.top)} width={n1(p.right - p.left)} height={n1(p.bottom - p.top)} />
                </clipPath>
            </defs>
            <path class="sweep-grid" d={grid_y} />
            <path class="sweep-grid is-x" d={grid_x} />
            <g class="sweep-axis">
                <path class="sweep-axis-line" d={format!("M{} {}H{}", n1(p.left), n1(p.bottom), n1(p.right))} />
                { for p.x_ticks.iter().map(|(x, label)| html! {
                    <text class="sweep-tick" x={n1(*x)} y={n1(p.bottom + 16.0)} text-anchor="middle">{ label }</text>
                }) }
                { for p.y_ticks.iter().map(|(y, label)| html! {
                    <text class="sweep-tick" x={n1(p.left - 6.0)} y={n1(*y)} dy="0.32em" text-anchor="end">{ label }</text>
                }) }
                <text class="sweep-axis-title" x="0" y="13">{ &p.y_title }</text>
                <text class="sweep-axis-title is-x" x={n1(mid_x)} y={n1(p.h - 5.0)} text-anchor="middle">{ &p.x_title }</text>
            </g>
            { for p.series.iter().enumerate().map(|(i, s)| {
                let key = series_key(&self.meta.series[i].id);
                html! {
                    <g class={classes!("sweep-series", format!("sweep-s{i}"))} key={format!("s-{key}")}>
                        <path class="sweep-band" d={s.band.clone()} data-testid={format!("sweep-band-{key}-{metric_id}")} />
                    </g>
                }
            }) }
            <g clip-path={format!("url(#{})", self.clip)}>
                { for p.theory.iter().map(|t| html! {
                    <path class={classes!("sweep-theory", format!("sweep-dash-{}", t.dash % 3))} d={t.d.clone()}
                        data-testid={format!("sweep-theory-{}", t.curve)} data-metric={metric_id.clone()} />
                }) }
            </g>
            { for p.series.iter().enumerate().map(|(i, s)| {
                let key = series_key(&self.meta.series[i].id);
                html! {
                    <g class={classes!("sweep-series", format!("sweep-s{i}"))} key={format!("m-{key}")}>
                        <path class="sweep-median is-partial" d={s.partial.clone()} />
                        <path class="sweep-median" d={s.line.clone()} data-testid={format!("sweep-series-{key}-{metric_id}")}
                            data-points={s.data_points.clone()} data-xs={s.data_xs.clone()} />
                        <path class="sweep-markers is-partial" d={s.partial_markers.clone()} />
                        <path class="sweep-markers" d={s.markers.clone()} />
                    </g>
                }
            }) }
            if let Some((m, cx)) = self.mark.filter(|m| m.metric == *metric_id).and_then(|m| Some((m, p.place_x(m.x)?))) {
                <NowRing x={m.x} {cx} y_scale={p.y_scale} top={p.top} bottom={p.bottom} series={m.series} />
            }
            if p.empty {
                <text class="sweep-empty-note" x={n1(mid_x)} y={n1((p.top + p.bottom) / 2.0)} dy="0.32em" text-anchor="middle">{ "No points yet" }</text>
            }
            if let Some(i) = self.active.filter(|&i| i < p.xpos.len()) {
                <g class="sweep-cross">
                    <path d={format!("M{} {}V{}", n1(p.xpos[i]), n1(p.top), n1(p.bottom))} />
                    { for p.series.iter().enumerate().filter_map(|(s, sp)| sp.ys[i].map(|y| html! {
                        <circle class={format!("sweep-s{s}")} cx={n1(p.xpos[i])} cy={n1(y)} r="4.5" />
                    })) }
                </g>
            }
            </>
        }
    }
}

/// The table of one metric: x, then per series the median and the band, then theory (`chart`:
/// the chart's title, which names the scrolling region with the metric).
pub fn table(meta: &SweepMeta, d: &Digest, m: usize, band: Band, chart: &str) -> Html {
    let metric = &meta.metrics[m];
    let curves: Vec<_> = meta
        .theory
        .iter()
        .filter(|t| t.metric == metric.id)
        .collect();
    let title = axis_title(&metric.label, metric.unit.as_deref());
    let caption = format!(
        "{title}: median and {} of {} seeds per value",
        band.short(),
        meta.seeds
    );
    html! {
        <>
        // The caption, shown outside the scrolling box so that it is not cut off with the table.
        <p class="sweep-table-title" aria-hidden="true">{ caption.clone() }</p>
        <div class="sweep-table-scroll" tabindex="0" role="region" aria-label={format!("{chart}: {title}")}>
            <table class="sweep-table" data-testid={format!("sweep-table-{}", metric.id)}>
                <caption class="visually-hidden">{ caption }</caption>
                <thead>
                    <tr>
                        <th scope="col">{ axis_title(&meta.param.label, meta.param.unit.as_deref()) }</th>
                        { for meta.series.iter().map(|s| html! {
                            <>
                                <th scope="col">{ format!("{} median", s.label) }</th>
                                <th scope="col">{ format!("{} ", s.label) }<span class="sweep-nowrap">{ band.short() }</span></th>
                            </>
                        }) }
                        { for curves.iter().map(|t| html! { <th scope="col">{ format!("theory: {}", t.label) }</th> }) }
                    </tr>
                </thead>
                <tbody>
                    { for meta.xs.iter().enumerate().map(|(p, &x)| {
                        let running = !d.complete[p];
                        html! {
                            <tr class={classes!(running.then_some("is-partial"))}>
                                <th scope="row" class="num">
                                    { format_x(x) }
                                    if running && d.has(m, p) {
                                        <span class="sweep-running">{ " (running)" }</span>
                                    }
                                </th>
                                { for (0..meta.series.len()).map(|s| match d.get(m, s, p) {
                                    Some(v) => {
                                        let (lo, hi) = band.range(v);
                                        html! {
                                            <>
                                                <td class="num" data-value={format!("{}", v.median)}>{ value_label(v.median) }</td>
                                                <td class="num">{ format!("{} – {}", value_label(lo), value_label(hi)) }</td>
                                            </>
                                        }
                                    }
                                    None => html! { <><td class="num">{ "–" }</td><td class="num">{ "–" }</td></> },
                                }) }
                                { for curves.iter().map(|t| html! {
                                    <td class="num">{ theory_at(t, x).map_or_else(|| "–".to_string(), value_label) }</td>
                                }) }
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </div>
        </>
    }
}

/// Props of [`NowRing`].
#[derive(Properties, PartialEq)]
pub struct NowRingProps {
    /// The run's value of the swept parameter.
    pub x: f64,
    /// Where it is drawn.
    pub cx: f64,
    /// The plot's data-to-drawing map along y.
    pub y_scale: super::scale::Scale,
    /// The plot area's top edge.
    pub top: f64,
    /// The plot area's bottom edge.
    pub bottom: f64,
    /// The series whose colour it takes, if any.
    pub series: Option<usize>,
}

/// The ring marking the run now: the one part of a live chart that re-renders as the run plays
/// (its height comes from the page's [`MarkValue`](super::MarkValue) context).
#[function_component(NowRing)]
pub fn now_ring(props: &NowRingProps) -> Html {
    let Some(y) = use_context::<super::MarkValue>()
        .and_then(|v| v.0)
        .filter(|y| y.is_finite())
    else {
        return Html::default();
    };
    let n1 = |v: f64| format!("{v:.1}");
    let cy = super::geom::place_y(&props.y_scale, props.top, props.bottom, y);
    let class = props
        .series
        .map_or_else(|| "sweep-neutral".to_string(), |s| format!("sweep-s{s}"));
    html! {
        <g class={classes!("sweep-mark", class)} data-testid="sweep-mark"
            data-x={format_x(props.x)} data-y={format_x(y)}>
            <circle cx={n1(props.cx)} cy={n1(cy)} r="7" />
            <text x={n1(props.cx)} y={n1(cy - 11.0)} text-anchor="middle">{ "now" }</text>
        </g>
    }
}
