//! The metrics panel: every scalar metric of the model as a labelled number.

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

/// Props of [`MetricsPanel`].
#[derive(Properties, PartialEq)]
pub struct MetricsPanelProps {
    /// The metrics now.
    pub metrics: Rc<Metrics>,
}

/// The scalar metrics.
#[function_component(MetricsPanel)]
pub fn metrics_panel(props: &MetricsPanelProps) -> Html {
    html! {
        <dl class="metrics">
            { for props.metrics.scalars.iter().map(|m| {
                let empty = matches!(m.value, MetricValue::None);
                html! {
                    <div class={classes!("metric", empty.then_some("is-empty"))} data-testid={format!("metric-{}", m.id)}
                        data-value={raw_value(&m.value)} title={m.help}>
                        <dt class="metric-label">{ m.label }</dt>
                        <dd class="metric-value">
                            <span class="num">{ display_value(&m.value) }</span>
                            if let (Some(u), false) = (m.unit, empty) {
                                <span class="metric-unit">{ u }</span>
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

    #[test]
    fn raw_values_are_plain_numbers_or_empty() {
        assert_eq!(raw_value(&MetricValue::Int(12)), "12");
        assert_eq!(raw_value(&MetricValue::Float(1.25)), "1.25");
        assert_eq!(raw_value(&MetricValue::None), "");
        assert_eq!(raw_value(&MetricValue::Text("A".into())), "");
        assert_eq!(raw_value(&MetricValue::Float(f64::NAN)), "");
    }
}
