//! A bar chart of one per-server metric group (keys per server by default, or requests per
//! server, or ring share), with the mean marked.

use sim::model::{MetricGroup, Metrics};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// The groups the chart can show, in toggle order: `(group id, button label, testid prefix)`.
/// The keys chart keeps the `load-bar-` ids the tests rely on.
const VIEWS: &[(&str, &str, &str)] = &[
    ("keys_per_server", "Keys", "load-bar-"),
    ("requests_per_server", "Requests", "request-bar-"),
    ("arc_percent", "Ring share", "arc-bar-"),
];

/// Props of [`LoadChart`].
#[derive(Properties, PartialEq)]
pub struct LoadChartProps {
    /// The metrics now.
    pub metrics: Rc<Metrics>,
    /// Server name → palette index.
    pub colors: Rc<BTreeMap<String, u32>>,
}

fn fmt(v: f64, unit: Option<&str>) -> String {
    if unit == Some("%") {
        format!("{v:.1}%")
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        crate::layout::format::thousands(v.max(0.0) as u64)
    } else {
        format!("{v:.1}")
    }
}

/// Per-server bars.
#[function_component(LoadChart)]
pub fn load_chart(props: &LoadChartProps) -> Html {
    let view = use_state(|| 0usize);
    let available: Vec<(usize, &MetricGroup)> = VIEWS
        .iter()
        .enumerate()
        .filter_map(|(i, (id, _, _))| props.metrics.group(id).map(|g| (i, g)))
        .collect();
    let Some(&(current, group)) = available
        .iter()
        .find(|(i, _)| *i == *view)
        .or(available.first())
    else {
        return html! {};
    };
    let prefix = VIEWS[current].2;
    let max = group.values.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let n = group.values.len().max(1) as f64;
    let mean = group.values.iter().map(|(_, v)| *v).sum::<f64>() / n;
    let scale = if max > 0.0 { max } else { 1.0 };
    let unit = group.unit;

    html! {
        <figure class="load-chart" data-testid="load-chart" data-group={group.id}>
            <figcaption class="chart-head">
                <span class="chart-title">{ group.label }</span>
                if available.len() > 1 {
                    <span class="segmented" role="group" aria-label="Show per server">
                        { for available.iter().map(|(i, _)| {
                            let i = *i;
                            let view = view.clone();
                            html! {
                                <button type="button" class="segment" aria-pressed={(i == current).to_string()}
                                    data-testid={format!("load-chart-view-{}", VIEWS[i].0)}
                                    onclick={Callback::from(move |_: MouseEvent| view.set(i))}>{ VIEWS[i].1 }</button>
                            }
                        }) }
                    </span>
                }
            </figcaption>
            <div class="bars" style={format!("--mean: {:.3}%", mean / scale * 100.0)}>
                { for group.values.iter().map(|(name, v)| {
                    let color = props.colors.get(name).copied().unwrap_or(0) % 12;
                    html! {
                        <div class="bar-row" key={name.clone()}>
                            <span class="bar-name">{ name }</span>
                            <span class="bar-track">
                                <span class="bar" data-testid={format!("{prefix}{name}")} data-value={format!("{v}")}
                                    style={format!("width: {:.3}%; --bar-color: var(--server-{color})", v / scale * 100.0)}
                                    role="img" aria-label={format!("{name}: {}", fmt(*v, unit))} />
                                <span class="bar-mean" aria-hidden="true" />
                            </span>
                            <span class="bar-value num">{ fmt(*v, unit) }</span>
                        </div>
                    }
                }) }
            </div>
            <p class="chart-foot">{ format!("Dashed line: mean {}", fmt(mean, unit)) }</p>
        </figure>
    }
}
