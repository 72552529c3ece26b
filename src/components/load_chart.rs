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
    let scale = if max > 0.0 { max } else { 1.0 };
    let unit = group.unit;

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
            <div class="bars" style={format!("--mean: {:.3}%", mean / scale * 100.0)}>
                { for group.values.iter().map(|(name, v)| {
                    let color = props.colors.get(name).copied().unwrap_or(0) % 12;
                    html! {
                        <div class="bar-row" key={name.clone()}>
                            <span class="bar-name">{ name }</span>
                            <span class="bar-track">
                                <span class="bar" data-testid={bar_testid(current, group.id, name)} data-value={format!("{v}")}
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

#[cfg(test)]
mod tests {
    use super::*;

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
