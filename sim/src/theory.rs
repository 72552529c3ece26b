//! Reference curves from theory, drawn dashed beside a sweep's measured values.
//!
//! Each curve is a formula of a run's parameters (the swept one set to the point's value); a
//! lesson's `[[sweep]]` names the curve beside the metric it predicts. Each formula's source is
//! cited at its function, and `tests/theory.rs` checks it against an independent calculation.

use crate::params::ParamSet;

/// A curve's id, legend label and the metrics it may be drawn beside.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CurveInfo {
    /// Identifier in lesson files and links (`modulo-moved`).
    pub id: &'static str,
    /// The legend's label.
    pub label: &'static str,
    /// The model it describes.
    pub model: &'static str,
}

/// Every curve.
pub const CURVES: &[CurveInfo] = &[CurveInfo {
    id: "modulo-moved",
    label: "hash % N: N/(N+1) of the keys move",
    model: "placement",
}];

/// The curve with this id.
pub fn info(id: &str) -> Option<&'static CurveInfo> {
    CURVES.iter().find(|c| c.id == id)
}

/// The curve's value for a run with these parameters (`None` where it is not defined).
pub fn curve(id: &str, params: &ParamSet) -> Option<f64> {
    match id {
        "modulo-moved" => {
            let n = params.int("shards") as f64;
            Some(100.0 * n / (n + 1.0))
        }
        _ => None,
    }
}
