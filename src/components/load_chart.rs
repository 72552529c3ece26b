//! A bar chart of one metric group of the model (keys per server or per shard, requests, ring
//! share…), with the mean marked and a tab for each group the model reports.

use sim::model::Metrics;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// The `data-testid` of the bar labelled `label` in group `group_id`, the `index`-th group: the
/// first group's bars are `load-bar-{label}` (what the tests read), the others'
/// `{group_id}-bar-{label}`.
pub fn bar_testid(index: usize, group_id: &str, label: &str) -> String {
    if index == 0 {
        format!("load-bar-{label}")
    } else {
        format!("{group_id}-bar-{label}")
    }
}

/// Props of [`LoadChart`].
#[derive(Properties, PartialEq)]
pub struct LoadChartProps {
    /// The metrics now.
    pub metrics: Rc<Metrics>,
    /// Bar label (server name, shard index) → palette index.
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

/// The smallest "nice" step (1, 2 or 5 times a power of ten, from 0.001 to 10⁷) at least `x`,
/// read from a table (logarithms would cost the wasm their code).
fn nice_step(x: f64) -> f64 {
    if x.is_nan() || x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    const POWERS: [f64; 10] = [0.001, 0.01, 0.1, 1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6];
    for p in POWERS {
        for m in [1.0, 2.0, 5.0] {
            if m * p >= x {
                return m * p;
            }
        }
    }
    1e7
}

/// Where the bars start. Counts and shares start at zero (a bar's length is the quantity). A
/// latency (`ms`) group whose values sit close together (their spread under half the largest)
/// starts at a round value below the smallest, so the differences show: p99s of 50.1 to
/// 56.4 ms are drawn from 50 ms, and the chart says so.
pub fn baseline(values: &[f64], unit: Option<&str>) -> f64 {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // (`min` is +∞ without values; NaNs are skipped by the folds.)
    if unit != Some("ms") || values.len() < 2 || !min.is_finite() || min <= 0.0 || !max.is_finite()
    {
        return 0.0;
    }
    let spread = max - min;
    if spread <= 0.0 || spread >= 0.5 * max {
        return 0.0;
    }
    let step = nice_step(spread / 4.0);
    let base = (min / step).floor() * step;
    // A bar exactly at the base would vanish: keep the smallest visibly above it.
    let base = if base >= min { base - step } else { base };
    base.max(0.0)
}

/// Bars for the chosen group, one per server or shard, coloured as the diagram colours it.
#[function_component(LoadChart)]
pub fn load_chart(props: &LoadChartProps) -> Html {
    let chosen = use_state(|| None::<&'static str>);
    let groups = &props.metrics.groups;
    let Some((current, group)) = groups
        .iter()
        .enumerate()
        .find(|(_, g)| Some(g.id) == *chosen)
        .or(groups.iter().enumerate().next())
    else {
        return html! {};
    };
    let max = group.values.iter().map(|(_, v)| *v).fold(0.0, f64::max);
    let n = group.values.len().max(1) as f64;
    let mean = group.values.iter().map(|(_, v)| *v).sum::<f64>() / n;
    let unit = group.unit;
    let values: Vec<f64> = group.values.iter().map(|(_, v)| *v).collect();
    let base = baseline(&values, unit);
    let scale = if max - base > 0.0 { max - base } else { 1.0 };
    let width = |v: f64| ((v - base) / scale * 100.0).clamp(0.0, 100.0);

    html! {
        <figure class="load-chart" data-testid="load-chart" data-group={group.id}>
            <figcaption class="chart-head">
                if groups.len() > 1 {
                    <span class="segmented" role="group" aria-label="Show">
                        { for groups.iter().map(|g| {
                            let id = g.id;
                            let chosen = chosen.clone();
                            html! {
                                <button type="button" class="segment" aria-pressed={(id == group.id).to_string()}
                                    data-testid={format!("load-chart-view-{id}")}
                                    onclick={Callback::from(move |_: MouseEvent| chosen.set(Some(id)))}>{ g.label }</button>
                            }
                        }) }
                    </span>
                } else {
                    <span class="chart-title">{ group.label }</span>
                }
            </figcaption>
            if base > 0.0 {
                <p class="chart-axis" data-testid="load-chart-axis" data-baseline={format!("{base}")}>
                    { format!("Axis starts at {} {} (not 0), so the differences show", fmt(base, unit), unit.unwrap_or("")) }
                </p>
            }
            // The list scrolls past about 16 bars: focusable, so a keyboard can scroll it.
            <div class={classes!("bars", (base > 0.0).then_some("from-baseline"))} style={format!("--mean: {:.3}%", width(mean))}
                 tabindex="0" role="group" aria-label={group.label}>
                { for group.values.iter().map(|(name, v)| {
                    let color = props.colors.get(name).copied().unwrap_or(0) % 12;
                    html! {
                        <div class="bar-row" key={name.clone()}>
                            <span class="bar-name">{ name }</span>
                            <span class="bar-track">
                                <span class="bar" data-testid={bar_testid(current, group.id, name)} data-value={format!("{v}")}
                                    style={format!("width: {:.3}%; --bar-color: var(--server-{color})", width(*v))}
                                    role="img" aria-label={format!("{name}: {}", fmt(*v, unit))} />
                                <span class="bar-mean" aria-hidden="true" />
                            </span>
                            <span class="bar-value num">{ fmt(*v, unit) }</span>
                        </div>
                    }
                }) }
            </div>
            <p class="chart-foot">{ format!("Dashed line: mean {}", fmt(mean, unit)) }
                if base > 0.0 {
                    { format!(" · bars start at {} {}", fmt(base, unit), unit.unwrap_or("")) }
                }
            </p>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn close_latencies_are_drawn_from_a_round_value_below_them() {
        // The scatter p99s of 1 … 64 shards on the lesson's defaults span about 50–56 ms.
        let p99 = [50.1, 50.6, 51.4, 52.3, 53.5, 54.9, 56.4];
        assert_eq!(baseline(&p99, Some("ms")), 50.0);
        let b = baseline(&[50.0, 53.0], Some("ms"));
        assert!(b < 50.0, "the smallest bar stays visible: {b}");
    }

    #[test]
    fn counts_shares_and_spread_out_values_start_at_zero() {
        assert_eq!(baseline(&[48.0, 50.0, 53.0], None), 0.0, "keys per shard");
        assert_eq!(baseline(&[40.0, 45.0], Some("%")), 0.0, "shares");
        assert_eq!(baseline(&[2.1, 12.0, 52.0], Some("ms")), 0.0, "wide spread");
        assert_eq!(baseline(&[5.0, 5.0], Some("ms")), 0.0, "all equal");
        assert_eq!(baseline(&[], Some("ms")), 0.0);
        assert_eq!(baseline(&[f64::NAN, 3.0], Some("ms")), 0.0);
    }

    #[test]
    fn the_first_group_keeps_the_load_bar_ids() {
        assert_eq!(bar_testid(0, "keys_per_server", "A"), "load-bar-A");
        assert_eq!(bar_testid(0, "keys_per_shard", "3"), "load-bar-3");
        assert_eq!(
            bar_testid(1, "requests_per_shard", "3"),
            "requests_per_shard-bar-3"
        );
    }
}
