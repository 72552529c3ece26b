//! The metrics: the few that matter to the current step, highlighted next to the diagram, and
//! the rest behind "All metrics (N)".

use sim::model::{MetricValue, Metrics};
use std::rc::Rc;
use yew::prelude::*;

/// The raw number of a metric for `data-value` (empty when it has none).
pub fn raw_value(v: &MetricValue) -> String {
    match v {
        MetricValue::Int(i) => i.to_string(),
        MetricValue::Float(f) if f.is_finite() => format!("{f}"),
        _ => String::new(),
    }
}

/// A metric value for people: thousands separators on counts, two decimals on measurements.
pub fn display_value(v: &MetricValue) -> String {
    match v {
        MetricValue::Int(i) if *i >= 0 => crate::layout::format::thousands(*i as u64),
        MetricValue::Float(f) if f.abs() >= 100.0 => format!("{f:.1}"),
        other => other.display(),
    }
}

/// The ids shown first: the step's own (those the run reports), else the first
/// [`sim::lesson::MAX_STEP_METRICS`] of the run's.
pub fn focus_ids(metrics: &Metrics, step: &[String]) -> Vec<String> {
    let known = |id: &String| metrics.scalars.iter().any(|m| m.id == id);
    let chosen: Vec<String> = step.iter().filter(|id| known(id)).cloned().collect();
    if !chosen.is_empty() {
        return chosen;
    }
    metrics
        .scalars
        .iter()
        .take(sim::lesson::MAX_STEP_METRICS)
        .map(|m| m.id.to_string())
        .collect()
}

/// Props of [`MetricsPanel`].
#[derive(Properties, PartialEq)]
pub struct MetricsPanelProps {
    /// The metrics now.
    pub metrics: Rc<Metrics>,
    /// The focus: with `focus`, only these ids, in this order; without, every metric but these.
    #[prop_or_default]
    pub ids: Rc<[String]>,
    /// Show the focus metrics (highlighted) rather than the others.
    #[prop_or_default]
    pub focus: bool,
    /// Metrics that would give an open question's answer away: shown without their value.
    #[prop_or_default]
    pub concealed: Rc<[String]>,
}

/// Scalar metrics as labelled tiles.
#[function_component(MetricsPanel)]
pub fn metrics_panel(props: &MetricsPanelProps) -> Html {
    let m = &props.metrics;
    let shown: Vec<&sim::model::Metric> = if props.focus {
        props
            .ids
            .iter()
            .filter_map(|id| m.scalars.iter().find(|s| s.id == id))
            .collect()
    } else {
        m.scalars
            .iter()
            .filter(|s| !props.ids.iter().any(|id| id == s.id))
            .collect()
    };
    html! {
        <dl class={classes!("metrics", props.focus.then_some("is-focus"))}
            data-testid={if props.focus { "focus-metrics" } else { "other-metrics" }}>
            { for shown.into_iter().map(|m| {
                if props.concealed.iter().any(|c| c == m.id) {
                    return html! {
                        // The value stays in `data-value` (not shown, not read out) for tools.
                        <div class="metric is-empty is-concealed" data-testid={format!("metric-{}", m.id)}
                            data-concealed="true" data-value={raw_value(&m.value)} title={m.help}>
                            <dt class="metric-label">{ m.label }</dt>
                            <dd class="metric-value"><span class="metric-hint">{ "answer first" }</span></dd>
                        </div>
                    };
                }
                let empty = matches!(m.value, MetricValue::None);
                html! {
                    <div class={classes!("metric", empty.then_some("is-empty"))} data-testid={format!("metric-{}", m.id)}
                        data-value={raw_value(&m.value)} title={m.help}>
                        <dt class="metric-label">{ m.label }</dt>
                        <dd class="metric-value">
                            if empty {
                                <span class="metric-hint">{ sim::model::empty_hint(m.id) }</span>
                            } else {
                                <span class="num">{ display_value(&m.value) }</span>
                                if let Some(u) = m.unit {
                                    <span class="metric-unit">{ u }</span>
                                }
                            }
                        </dd>
                    </div>
                }
            }) }
        </dl>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::model::Metric;

    #[test]
    fn raw_values_are_plain_numbers_or_empty() {
        assert_eq!(raw_value(&MetricValue::Int(12)), "12");
        assert_eq!(raw_value(&MetricValue::Float(1.25)), "1.25");
        assert_eq!(raw_value(&MetricValue::None), "");
        assert_eq!(raw_value(&MetricValue::Text("A".into())), "");
        assert_eq!(raw_value(&MetricValue::Float(f64::NAN)), "");
    }

    fn metric(id: &'static str) -> Metric {
        Metric {
            id,
            label: id,
            value: MetricValue::Int(1),
            unit: None,
            help: "",
        }
    }

    #[test]
    fn the_focus_is_the_steps_known_metrics_else_the_first_six() {
        let m = Metrics {
            scalars: ["a", "b", "c", "d", "e", "f", "g", "h"]
                .map(metric)
                .to_vec(),
            groups: vec![],
        };
        let ids = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(focus_ids(&m, &ids(&["g", "nope", "b"])), ids(&["g", "b"]));
        assert_eq!(focus_ids(&m, &[]), ids(&["a", "b", "c", "d", "e", "f"]));
        assert_eq!(
            focus_ids(&m, &ids(&["nope"])),
            ids(&["a", "b", "c", "d", "e", "f"])
        );
    }
}
