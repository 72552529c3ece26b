//! Sweeps: one parameter across a range, many seeds per point, one or more metrics read at the
//! end of each run.
//!
//! A lesson file declares sweeps (`[[sweep]]`, a [`SweepDef`]); the page builds others from any
//! numeric parameter and numeric metric. Either way a sweep becomes a [`SweepRequest`]: fully
//! resolved series (the lesson's run and any compare variants, each a model and its parameters),
//! the scripted inputs, the timeline and the base seed. That request is plain serde data, so the
//! same value is run by the CLI (`sdp sweep`), by the page's Web Worker and, where no worker can
//! start, in slices on the page's own thread, and all three give the same numbers.
//!
//! **Seeds.** Replicate `j` (from 0) of every point and every series runs on
//! [`replicate_seed`]`(base, j)`: the base seed itself for `j = 0` (so the first replicate of a
//! point is exactly the run the page shows with the swept parameter set to that value), and for
//! `j ≥ 1` the `j`-th output of SplitMix64 started at the base seed (Steele, Lea & Flood, "Fast
//! splittable pseudorandom number generators", OOPSLA 2014). The seed does not depend on the
//! point: neighbouring points share their random draws (*common random numbers*), so the curve's
//! shape comes from the parameter and not from seed-to-seed noise, and every series at a point
//! runs on the same seeds, as compare mode does.
//!
//! **Order.** Runs are numbered point-major: run `k` is point `k / (S·R)`, series
//! `(k / R) % S`, replicate `k % R` (S series, R replicates), so results stream in from the left
//! of the chart and each point completes before the next starts.
//!
//! **Summaries.** Each (series, metric, point) is summarised over its replicates by the median,
//! the 10th and 90th percentiles (linear interpolation between order statistics, Hyndman & Fan's
//! definition 7, what NumPy and R use by default) and the minimum and maximum.

use crate::params::{ParamKind, ParamSet, ParamSpec};
use crate::registry;
use crate::scenario::TimedInput;
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The most points a sweep may have.
pub const MAX_POINTS: u32 = 60;
/// The most seeds per point.
pub const MAX_SEEDS: u32 = 200;
/// The most metrics a sweep plots.
pub const MAX_METRICS: usize = 4;
/// The most runs (points × series × seeds) one sweep may ask for.
pub const MAX_RUNS: u32 = 20_000;
/// Seeds per point when a definition does not say.
pub const DEFAULT_SEEDS: u32 = 5;

/// A theory curve drawn beside a metric: which metric, and which of the formulas in
/// [`crate::theory`] gives it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TheoryRef {
    /// The metric the curve predicts.
    pub metric: String,
    /// The formula's id in [`crate::theory::CURVES`].
    pub curve: String,
}

/// What a sweep varies, what it plots and how many seeds it runs: as a lesson file declares it
/// (`[[sweep]]`) and as a link's `sweep=` field carries it ([`SweepDef::to_url`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepDef {
    /// Identifier of a declared sweep (`vnodes-imbalance`); empty for one built in the page.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    /// Title of a declared sweep.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// What it shows: Markdown in the lesson file, HTML once compiled.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The setup it runs on: a preset of the lesson (the lesson's defaults when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// The numeric parameter it varies.
    pub param: String,
    /// The first value.
    pub from: f64,
    /// The last value.
    pub to: f64,
    /// How many values, `from` and `to` included (whole-number parameters drop repeats).
    pub steps: u32,
    /// Whether the values are spaced evenly on a log scale instead of a linear one.
    #[serde(default, skip_serializing_if = "is_false")]
    pub log: bool,
    /// The metrics it plots (numeric scalars of the model).
    pub metrics: Vec<String>,
    /// Runs per point, each on its own seed ([`replicate_seed`]).
    #[serde(default = "default_seeds")]
    pub seeds: u32,
    /// Compare variants drawn as series of their own (ids of the lesson's `[[compare]]`); empty:
    /// the lesson's own run only.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
    /// Reference curves from theory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub theory: Vec<TheoryRef>,
    /// Drawn beside the diagram on the lesson page, following the run: it runs by itself on the
    /// run's parameters, seed and inputs whenever they change (not on its preset), and marks
    /// where the run is now. At most one per lesson.
    #[serde(default, skip_serializing_if = "is_false")]
    pub beside: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn default_seeds() -> u32 {
    DEFAULT_SEEDS
}

/// Why a sweep cannot run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SweepError(pub String);

impl fmt::Display for SweepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for SweepError {}

fn err<T>(msg: impl Into<String>) -> Result<T, SweepError> {
    Err(SweepError(msg.into()))
}

/// The seed replicate `j` runs on: see the module documentation.
pub fn replicate_seed(base: u64, j: u32) -> u64 {
    if j == 0 {
        return base;
    }
    // SplitMix64: the state advances by the golden gamma; output j is the mix of state·j.
    crate::rng::splitmix64_fmix(
        base.wrapping_add(0x9e37_79b9_7f4a_7c15_u64.wrapping_mul(u64::from(j))),
    )
}

/// Formats a swept value the way the URL and CSV write it (`1`, `0.25`, `3.5e-5`).
pub fn format_x(x: f64) -> String {
    crate::params::ParamValue::Float(x).to_text()
}

impl SweepDef {
    /// A sweep built in the page or on the command line (no id, title, description or preset):
    /// `param` from `from` to `to` at `steps` points, linearly, plotting `metrics`, with the
    /// default seeds, no variants and no theory.
    pub fn new(param: &str, from: f64, to: f64, steps: u32, metrics: Vec<String>) -> SweepDef {
        SweepDef {
            id: String::new(),
            title: String::new(),
            description: String::new(),
            preset: None,
            param: param.to_string(),
            from,
            to,
            steps,
            log: false,
            metrics,
            seeds: DEFAULT_SEEDS,
            variants: Vec::new(),
            theory: Vec::new(),
            beside: false,
        }
    }

    /// The values the parameter takes, in order: `steps` values from `from` to `to`, linear or
    /// log-spaced; a whole-number parameter (`integer`) rounds them and drops repeats.
    pub fn values(&self, integer: bool) -> Vec<f64> {
        let n = self.steps.max(1);
        let mut xs: Vec<f64> = Vec::with_capacity(n as usize);
        for i in 0..n {
            let t = if n == 1 {
                0.0
            } else {
                f64::from(i) / f64::from(n - 1)
            };
            let x = if self.log {
                libm::exp(libm::log(self.from) + t * (libm::log(self.to) - libm::log(self.from)))
            } else {
                self.from + t * (self.to - self.from)
            };
            // The ends exactly as written, whatever the rounding of the formula above.
            let x = if i == 0 {
                self.from
            } else if i == n - 1 {
                self.to
            } else {
                x
            };
            // Ten significant digits: 10, not 9.999999999999998, in links and tables.
            let x = if integer {
                libm::round(x)
            } else {
                format!("{x:.9e}").parse().unwrap_or(x)
            };
            if xs.last() != Some(&x) {
                xs.push(x);
            }
        }
        xs
    }

    /// Checks the definition against the parameter's spec: numeric, inside its bounds, a range
    /// a log scale can take, and within the limits on points, seeds and metrics.
    pub fn check(&self, spec: &ParamSpec) -> Result<(), SweepError> {
        let (min, max) = match spec.kind {
            ParamKind::Int { min, max, .. } => (min as f64, max as f64),
            ParamKind::Float { min, max, .. } => (min, max),
            _ => {
                return err(format!(
                    "parameter `{}` is not a number, so it cannot be swept",
                    self.param
                ))
            }
        };
        for (what, v) in [("from", self.from), ("to", self.to)] {
            if !v.is_finite() || v < min || v > max {
                return err(format!(
                    "sweep {what} {}: parameter `{}` takes {}",
                    format_x(v),
                    self.param,
                    spec.allowed()
                ));
            }
        }
        if self.from == self.to {
            return err("a sweep needs two different ends (from and to are equal)");
        }
        if self.log && (self.from <= 0.0 || self.to <= 0.0) {
            return err("a log-scale sweep needs both ends above zero");
        }
        if !(2..=MAX_POINTS).contains(&self.steps) {
            return err(format!(
                "a sweep has from 2 to {MAX_POINTS} points, not {}",
                self.steps
            ));
        }
        if !(1..=MAX_SEEDS).contains(&self.seeds) {
            return err(format!(
                "a sweep runs from 1 to {MAX_SEEDS} seeds per point, not {}",
                self.seeds
            ));
        }
        if self.metrics.is_empty() || self.metrics.len() > MAX_METRICS {
            return err(format!(
                "a sweep plots from 1 to {MAX_METRICS} metrics, not {}",
                self.metrics.len()
            ));
        }
        Ok(())
    }

    /// The definition as a link's `sweep=` field writes it, in characters a URL leaves
    /// readable. A declared sweep, unchanged, is its id; any other is
    /// `PARAM:FROM..TO:STEPS[:log]/METRIC,…[/seeds:K][/only:VARIANT,…][/theory:METRIC@CURVE,…]`,
    /// for example `vnodes:1..500:12:log/max_mean_ratio,load_stddev/seeds:10`.
    pub fn to_url(&self, declared: Option<&SweepDef>) -> String {
        if !self.id.is_empty() && declared == Some(self) {
            return self.id.clone();
        }
        let mut s = format!(
            "{}:{}..{}:{}",
            self.param,
            format_x(self.from),
            format_x(self.to),
            self.steps
        );
        if self.log {
            s.push_str(":log");
        }
        s.push('/');
        s.push_str(&self.metrics.join(","));
        if self.seeds != DEFAULT_SEEDS {
            s.push_str(&format!("/seeds:{}", self.seeds));
        }
        if !self.variants.is_empty() {
            s.push_str("/only:");
            s.push_str(&self.variants.join(","));
        }
        if !self.theory.is_empty() {
            let t: Vec<String> = self
                .theory
                .iter()
                .map(|t| format!("{}@{}", t.metric, t.curve))
                .collect();
            s.push_str("/theory:");
            s.push_str(&t.join(","));
        }
        s
    }

    /// Reads a `sweep=` field: a declared sweep's id (looked up in `declared`) or the written
    /// form of [`SweepDef::to_url`]. Only the syntax is checked here; [`SweepRequest::new`]
    /// checks the definition against the lesson.
    pub fn parse_url(text: &str, declared: &[SweepDef]) -> Result<SweepDef, SweepError> {
        let text = text.trim();
        if text.is_empty() {
            return err("the sweep is empty");
        }
        if !text.contains(':') && !text.contains('/') {
            return declared.iter().find(|d| d.id == text).cloned().map_or_else(
                || {
                    let ids: Vec<&str> = declared.iter().map(|d| d.id.as_str()).collect();
                    err(if ids.is_empty() {
                        format!("this lesson declares no sweep called {text:?}")
                    } else {
                        format!(
                            "this lesson has no sweep {text:?}; it declares {}",
                            ids.join(", ")
                        )
                    })
                },
                Ok,
            );
        }
        let mut parts = text.split('/');
        let head = parts.next().unwrap_or_default();
        let bad_head = || {
            SweepError(format!(
                "{head:?} is not a sweep: expected PARAM:FROM..TO:STEPS[:log], e.g. vnodes:1..500:12:log"
            ))
        };
        let mut fields = head.split(':');
        let param = fields
            .next()
            .filter(|p| !p.is_empty())
            .ok_or_else(bad_head)?;
        let (from, to) = fields
            .next()
            .and_then(|r| r.split_once(".."))
            .ok_or_else(bad_head)?;
        let num = |t: &str| t.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let (from, to) = (
            num(from).ok_or_else(bad_head)?,
            num(to).ok_or_else(bad_head)?,
        );
        let steps = fields
            .next()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .ok_or_else(bad_head)?;
        let log = match fields.next() {
            None => false,
            Some("log") => true,
            Some(_) => return Err(bad_head()),
        };
        if fields.next().is_some() {
            return Err(bad_head());
        }
        let list = |v: &str| -> Vec<String> {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect()
        };
        let metrics = parts.next().map(list).unwrap_or_default();
        if metrics.is_empty() {
            return err("the sweep names no metric: add /METRIC after the range");
        }
        let mut def = SweepDef {
            log,
            ..SweepDef::new(param, from, to, steps, metrics)
        };
        for part in parts {
            match part.split_once(':') {
                Some(("seeds", v)) => {
                    def.seeds = v.trim().parse().map_err(|_| {
                        SweepError(format!("seeds {v:?} is not a whole number"))
                    })?
                }
                Some(("only", v)) => def.variants = list(v),
                Some(("theory", v)) => {
                    for pair in list(v) {
                        let (metric, curve) = pair.split_once('@').ok_or_else(|| {
                            SweepError(format!(
                                "theory {pair:?} is not METRIC@CURVE, e.g. max_mean_ratio@ring-max-mean"
                            ))
                        })?;
                        def.theory.push(TheoryRef {
                            metric: metric.to_string(),
                            curve: curve.to_string(),
                        });
                    }
                }
                _ => {
                    return err(format!(
                        "{part:?} is not part of a sweep: expected seeds:K, only:VARIANTS or theory:METRIC@CURVE"
                    ))
                }
            }
        }
        Ok(def)
    }
}

/// One series of a sweep: a model and its parameters before the swept one is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeriesSpec {
    /// Identifier: a compare variant's id, or empty for the lesson's own run.
    pub id: String,
    /// The legend's label.
    pub label: String,
    /// The model it runs.
    pub model: String,
    /// Every parameter as text, by name.
    pub params: BTreeMap<String, String>,
}

impl SeriesSpec {
    /// Its parameters with `param` set to `x`, validated against the model's `specs` (with the
    /// reasons any value was refused): one point of a sweep, as the runs and the theory see it.
    fn params_at(
        &self,
        specs: &[ParamSpec],
        param: &str,
        x: f64,
    ) -> (ParamSet, Vec<crate::params::ParamError>) {
        let text = format_x(x);
        let all = self
            .params
            .iter()
            .filter(|(k, _)| *k != param)
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .chain(std::iter::once((param, text.as_str())));
        ParamSet::resolve(specs, all)
    }
}

/// Everything a sweep is a function of, resolved: what the worker receives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepRequest {
    /// The definition.
    pub def: SweepDef,
    /// The base seed ([`replicate_seed`]).
    pub seed: u64,
    /// Where each run ends, in ms; the metrics are read there.
    pub until_ms: u64,
    /// Scripted inputs every run gets.
    pub inputs: Vec<TimedInput>,
    /// The series, in legend order.
    pub series: Vec<SeriesSpec>,
    /// Traces the reader brought that the runs name by reference (`trace=name~hash`): a worker
    /// has none of the page's, so the request carries their bytes and the plan attaches them
    /// ([`crate::cache::attach`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub traces: Vec<crate::cache::attach::TraceFile>,
}

impl SweepRequest {
    /// The request for `def` on a lesson's run: `params` are the run's parameters (the page's
    /// current ones), `seed`, `inputs` and `until` its timeline. The lesson's own run is the first
    /// series unless the definition lists variants, which become the series, each resolved as
    /// compare mode resolves its columns.
    pub fn new(
        lesson: &crate::lesson::Lesson,
        params: &ParamSet,
        seed: u64,
        inputs: &[TimedInput],
        until: SimTime,
        def: &SweepDef,
    ) -> Result<SweepRequest, SweepError> {
        let shared: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_text()))
            .collect();
        let series = if def.variants.is_empty() {
            vec![SeriesSpec {
                id: String::new(),
                label: lesson.title.clone(),
                model: lesson.model.clone(),
                params: crate::order::map_of(shared.iter().cloned()),
            }]
        } else {
            let mut out = Vec::new();
            for id in &def.variants {
                let v = lesson.compare.iter().find(|c| &c.id == id).ok_or_else(|| {
                    let ids: Vec<&str> = lesson.compare.iter().map(|c| c.id.as_str()).collect();
                    SweepError(format!(
                        "the lesson has no compare variant {id:?}; it has {}",
                        if ids.is_empty() {
                            "none".to_string()
                        } else {
                            ids.join(", ")
                        }
                    ))
                })?;
                let model = v.model.clone().unwrap_or_else(|| lesson.model.clone());
                let (set, _) = crate::compare::variant_params(lesson, v, &model, &shared);
                out.push(SeriesSpec {
                    id: v.id.clone(),
                    label: v.label.clone(),
                    model,
                    params: crate::order::map_of(
                        set.iter().map(|(k, v)| (k.to_string(), v.to_text())),
                    ),
                });
            }
            out
        };
        let traces = crate::cache::attach::files_named(
            series
                .iter()
                .filter_map(|s| s.params.get(crate::cache::attach::TRACE_PARAM)),
        );
        let req = SweepRequest {
            def: def.clone(),
            seed,
            until_ms: until.as_ms(),
            inputs: inputs.to_vec(),
            series,
            traces,
        };
        let plan = SweepPlan::new(req.clone())?;
        // Every metric must be one of the model's numbers: the model reports its metrics at
        // time zero already (a value may be empty until something happens, never text later).
        let first = &req.series[0];
        let run = registry::start_with(
            &first.model,
            plan.params[0][0].clone(),
            seed,
            Vec::new(),
            SimTime::ZERO,
        )
        .map_err(|e| SweepError(e.to_string()))?;
        let scalars = run.metrics().scalars;
        for m in &def.metrics {
            match scalars.iter().find(|s| s.id == m) {
                None => {
                    let numeric: Vec<&str> = scalars
                        .iter()
                        .filter(|s| !matches!(s.value, crate::model::MetricValue::Text(_)))
                        .map(|s| s.id)
                        .collect();
                    return err(format!(
                        "the model {} has no metric {m:?}; its numeric metrics are {}",
                        first.model,
                        numeric.join(", ")
                    ));
                }
                Some(s) if matches!(s.value, crate::model::MetricValue::Text(_)) => {
                    return err(format!("metric {m:?} is text, not a number"));
                }
                Some(_) => {}
            }
        }
        Ok(req)
    }
}

impl SweepRequest {
    /// The request for `def` on a scenario of the lesson (its parameters as text, seed, inputs
    /// and end), as `sdp sweep` and the tests build it; a parameter the model refuses is an
    /// error.
    pub fn for_scenario(
        lesson: &crate::lesson::Lesson,
        scenario: &crate::scenario::Scenario,
        def: &SweepDef,
    ) -> Result<SweepRequest, SweepError> {
        let specs = registry::specs(&scenario.model)
            .ok_or_else(|| SweepError(format!("no model is called {:?}", scenario.model)))?;
        let (params, errors) = ParamSet::resolve(
            &specs,
            scenario
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if let Some(e) = errors.first() {
            return err(e.to_string());
        }
        SweepRequest::new(
            lesson,
            &params,
            scenario.seed,
            &scenario.inputs,
            scenario.until,
            def,
        )
    }
}

/// One run of a sweep: which point, series and replicate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    /// Index of the swept value.
    pub point: u32,
    /// Index of the series.
    pub series: u32,
    /// Index of the replicate (its seed is [`replicate_seed`]`(base, replicate)`).
    pub replicate: u32,
}

/// What one run gave: the value of each of the sweep's metrics at the end (`None` where the
/// model has no value for it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    /// The run's number ([`SweepPlan::job`]).
    pub run: u32,
    /// One value per metric, in the definition's order.
    pub values: Vec<Option<f64>>,
}

/// A metric's or the parameter's label and unit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Axis {
    /// Identifier (`vnodes`, `max_mean_ratio`).
    pub id: String,
    /// Label for people.
    pub label: String,
    /// Unit, if any.
    pub unit: Option<String>,
}

/// A reference curve: `(x, y)` points from a formula.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TheoryCurve {
    /// The metric it predicts.
    pub metric: String,
    /// The formula's id.
    pub curve: String,
    /// Its legend label.
    pub label: String,
    /// The points, in x order (values where the formula is defined).
    pub points: Vec<(f64, f64)>,
}

/// What a chart needs before any run finishes: axes, series and reference curves.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    /// The swept parameter.
    pub param: Axis,
    /// Whether the parameter is a whole number.
    pub integer: bool,
    /// The swept values.
    pub xs: Vec<f64>,
    /// The metrics, in the definition's order.
    pub metrics: Vec<Axis>,
    /// The series' ids and labels, in legend order.
    pub series: Vec<Axis>,
    /// Replicates per point.
    pub seeds: u32,
    /// Reference curves.
    pub theory: Vec<TheoryCurve>,
}

/// A sweep ready to run: the request with every series' parameter set built for every point.
pub struct SweepPlan {
    request: SweepRequest,
    xs: Vec<f64>,
    integer: bool,
    /// `[series][point]`.
    params: Vec<Vec<ParamSet>>,
    inputs: Vec<TimedInput>,
}

impl SweepPlan {
    /// Checks the request and builds every run's parameters; the message says what is wrong.
    pub fn new(request: SweepRequest) -> Result<SweepPlan, SweepError> {
        let def = &request.def;
        for t in &request.traces {
            crate::cache::attach::attach(t)
                .map_err(|e| SweepError(format!("the trace {:?}: {e}", t.name)))?;
        }
        if request.series.is_empty() {
            return err("a sweep needs at least one series");
        }
        let first = &request.series[0];
        let specs = registry::specs(&first.model)
            .ok_or_else(|| SweepError(format!("no model is called {:?}", first.model)))?;
        let spec = specs.iter().find(|s| s.name == def.param).ok_or_else(|| {
            let numeric: Vec<&str> = specs
                .iter()
                .filter(|s| matches!(s.kind, ParamKind::Int { .. } | ParamKind::Float { .. }))
                .map(|s| s.name.as_str())
                .collect();
            SweepError(format!(
                "the model has no parameter `{}`; its numeric parameters are {}",
                def.param,
                numeric.join(", ")
            ))
        })?;
        def.check(spec)?;
        let integer = matches!(spec.kind, ParamKind::Int { .. });
        let xs = def.values(integer);
        let runs = xs.len() as u64 * request.series.len() as u64 * u64::from(def.seeds);
        if runs > u64::from(MAX_RUNS) {
            return err(format!(
                "{runs} runs ({} points × {} series × {} seeds) is more than a sweep may ask for ({MAX_RUNS}); use fewer points or seeds",
                xs.len(),
                request.series.len(),
                def.seeds
            ));
        }
        for t in &def.theory {
            if crate::theory::info(&t.curve).is_none() {
                return err(format!("no theory curve is called {:?}", t.curve));
            }
            if !def.metrics.contains(&t.metric) {
                return err(format!(
                    "theory curve {:?} is for metric `{}`, which the sweep does not plot",
                    t.curve, t.metric
                ));
            }
        }
        let mut params = Vec::with_capacity(request.series.len());
        for s in &request.series {
            let specs = registry::specs(&s.model)
                .ok_or_else(|| SweepError(format!("no model is called {:?}", s.model)))?;
            let mut row = Vec::with_capacity(xs.len());
            for &x in &xs {
                let (set, errors) = s.params_at(&specs, &def.param, x);
                if let Some(e) = errors.first() {
                    let who = if s.label.is_empty() { &s.id } else { &s.label };
                    return err(format!("{who}: {e}"));
                }
                row.push(set);
            }
            params.push(row);
        }
        let mut inputs = request.inputs.clone();
        crate::order::sort_by_key(&mut inputs, |t| t.at);
        Ok(SweepPlan {
            xs,
            integer,
            params,
            inputs,
            request,
        })
    }

    /// The request this plan runs.
    pub fn request(&self) -> &SweepRequest {
        &self.request
    }

    /// The swept values.
    pub fn xs(&self) -> &[f64] {
        &self.xs
    }

    /// How many runs the sweep makes.
    pub fn total(&self) -> u32 {
        self.xs.len() as u32 * self.request.series.len() as u32 * self.request.def.seeds
    }

    /// Which point, series and replicate run `k` is (see the module documentation).
    pub fn job(&self, k: u32) -> Job {
        let r = self.request.def.seeds;
        let s = self.request.series.len() as u32;
        Job {
            point: k / (s * r),
            series: (k / r) % s,
            replicate: k % r,
        }
    }

    /// Runs run `k` to the end of the timeline and reads the sweep's metrics.
    pub fn run(&self, k: u32) -> JobResult {
        let job = self.job(k);
        let series = &self.request.series[job.series as usize];
        let params = self.params[job.series as usize][job.point as usize].clone();
        let until = SimTime::from_ms(self.request.until_ms);
        let seed = replicate_seed(self.request.seed, job.replicate);
        let values =
            match registry::start_with(&series.model, params, seed, self.inputs.clone(), until) {
                Ok(mut run) => {
                    run.seek(until);
                    let m = run.metrics();
                    self.request
                        .def
                        .metrics
                        .iter()
                        .map(|id| m.get(id).and_then(|v| v.as_f64()))
                        .collect()
                }
                Err(_) => vec![None; self.request.def.metrics.len()],
            };
        JobResult { run: k, values }
    }

    /// Axes, series and theory curves: built from the first series' model at time zero.
    pub fn meta(&self) -> SweepMeta {
        let def = &self.request.def;
        let first = &self.request.series[0];
        let specs = registry::specs(&first.model).unwrap_or_default();
        let spec = specs.iter().find(|s| s.name == def.param);
        let param = Axis {
            id: def.param.clone(),
            label: spec.map_or_else(|| def.param.clone(), |s| s.label.clone()),
            unit: spec.and_then(|s| s.unit.clone()),
        };
        let scalars = registry::start_with(
            &first.model,
            self.params[0][0].clone(),
            self.request.seed,
            Vec::new(),
            SimTime::ZERO,
        )
        .map(|run| run.metrics().scalars)
        .unwrap_or_default();
        let metrics = def
            .metrics
            .iter()
            .map(|id| {
                let m = scalars.iter().find(|m| m.id == id);
                Axis {
                    id: id.clone(),
                    label: m.map_or_else(|| id.clone(), |m| m.label.to_string()),
                    unit: m.and_then(|m| m.unit.map(str::to_string)),
                }
            })
            .collect();
        let series = self
            .request
            .series
            .iter()
            .map(|s| Axis {
                id: s.id.clone(),
                label: s.label.clone(),
                unit: None,
            })
            .collect();
        SweepMeta {
            param,
            integer: self.integer,
            xs: self.xs.clone(),
            metrics,
            series,
            seeds: def.seeds,
            theory: self.theory(),
        }
    }

    /// The reference curves, each evaluated on a grid four times as fine as the sweep's (whole
    /// numbers only for a whole-number parameter), with the first series' other parameters.
    pub fn theory(&self) -> Vec<TheoryCurve> {
        let def = &self.request.def;
        if def.theory.is_empty() {
            return Vec::new();
        }
        let fine = SweepDef {
            steps: (def.steps.saturating_sub(1)) * 4 + 1,
            ..def.clone()
        };
        let grid = fine.values(self.integer);
        let first = &self.request.series[0];
        let specs = registry::specs(&first.model).unwrap_or_default();
        def.theory
            .iter()
            .map(|t| {
                let points = grid
                    .iter()
                    .filter_map(|&x| {
                        let (set, _) = first.params_at(&specs, &def.param, x);
                        crate::theory::curve(&t.curve, &set)
                            .filter(|y| y.is_finite())
                            .map(|y| (x, y))
                    })
                    .collect();
                TheoryCurve {
                    metric: t.metric.clone(),
                    curve: t.curve.clone(),
                    label: crate::theory::info(&t.curve)
                        .map_or_else(|| t.curve.clone(), |i| i.label.to_string()),
                    points,
                }
            })
            .collect()
    }
}

/// A metric's values at one point across its replicates, summarised.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// How many replicates gave a value.
    pub n: u32,
    /// The median.
    pub median: f64,
    /// The 10th percentile.
    pub p10: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
    /// The mean.
    pub mean: f64,
}

/// The `q` quantile (0 ≤ q ≤ 1) of sorted values, interpolating linearly between order
/// statistics (Hyndman & Fan definition 7).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        n => {
            let h = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let lo = libm::floor(h) as usize;
            let hi = (lo + 1).min(n - 1);
            sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
        }
    }
}

impl Summary {
    /// The summary of `values` (`None` when there are none).
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() {
            return None;
        }
        let mut v = values.to_vec();
        v.sort_unstable_by(f64::total_cmp);
        Some(Summary {
            n: v.len() as u32,
            median: quantile_sorted(&v, 0.5),
            p10: quantile_sorted(&v, 0.1),
            p90: quantile_sorted(&v, 0.9),
            min: v[0],
            max: v[v.len() - 1],
            mean: v.iter().sum::<f64>() / v.len() as f64,
        })
    }
}

/// A sweep's results so far: every run's values as they arrive, in any order.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepResult {
    /// Axes, series and theory.
    pub meta: SweepMeta,
    /// `[run][metric]`, `None` until the run has finished.
    values: Vec<Option<Vec<Option<f64>>>>,
    done: u32,
}

impl SweepResult {
    /// An empty result for a plan with this meta.
    pub fn new(meta: SweepMeta) -> SweepResult {
        let total = meta.xs.len() * meta.series.len() * meta.seeds as usize;
        SweepResult {
            meta,
            values: vec![None; total],
            done: 0,
        }
    }

    /// Runs in the sweep.
    pub fn total(&self) -> u32 {
        self.values.len() as u32
    }

    /// Runs finished.
    pub fn done(&self) -> u32 {
        self.done
    }

    /// Whether every run has finished.
    pub fn complete(&self) -> bool {
        self.done == self.total()
    }

    /// Records a run's values (a run recorded twice counts once; an unknown run is ignored).
    pub fn add(&mut self, r: JobResult) {
        if let Some(slot) = self.values.get_mut(r.run as usize) {
            if slot.is_none() {
                self.done += 1;
            }
            *slot = Some(r.values);
        }
    }

    fn index(&self, point: usize, series: usize, replicate: usize) -> usize {
        let r = self.meta.seeds as usize;
        (point * self.meta.series.len() + series) * r + replicate
    }

    /// The values of `metric` (index) at `point` for `series`, one per finished replicate that
    /// gave one, in replicate order.
    pub fn samples(&self, series: usize, metric: usize, point: usize) -> Vec<f64> {
        (0..self.meta.seeds as usize)
            .filter_map(|j| {
                self.values
                    .get(self.index(point, series, j))
                    .and_then(|v| v.as_ref())
                    .and_then(|v| v.get(metric).copied().flatten())
            })
            .collect()
    }

    /// Whether every replicate of `point` has finished, for every series.
    pub fn point_complete(&self, point: usize) -> bool {
        (0..self.meta.series.len()).all(|s| {
            (0..self.meta.seeds as usize)
                .all(|j| matches!(self.values.get(self.index(point, s, j)), Some(Some(_))))
        })
    }

    /// The summary of `metric` at `point` for `series`, over the replicates finished so far.
    pub fn summary(&self, series: usize, metric: usize, point: usize) -> Option<Summary> {
        Summary::of(&self.samples(series, metric, point))
    }

    /// Every finished value's bits folded into one number (FNV-1a over the runs in order), to
    /// compare a sweep across platforms.
    pub fn digest(&self) -> u64 {
        let mut bytes = Vec::with_capacity(self.values.len() * 9);
        for run in &self.values {
            match run {
                None => bytes.push(0),
                Some(vals) => {
                    bytes.push(1);
                    for v in vals {
                        match v {
                            Some(x) => bytes.extend_from_slice(&x.to_bits().to_le_bytes()),
                            None => bytes.push(2),
                        }
                    }
                }
            }
        }
        crate::trace::fnv1a64(&bytes)
    }

    /// The summaries as CSV, one row per series, metric and point (what the page exports and
    /// `sdp sweep --csv` prints): `series,metric,PARAM,seeds,median,p10,p90,min,max,mean,theory`.
    pub fn to_csv(&self) -> String {
        let mut out = format!(
            "series,metric,{},seeds,median,p10,p90,min,max,mean,theory\n",
            self.meta.param.id
        );
        let num = |v: f64| format!("{v}");
        for (si, s) in self.meta.series.iter().enumerate() {
            let name = if s.id.is_empty() { "lesson" } else { &s.id };
            for (mi, m) in self.meta.metrics.iter().enumerate() {
                for (pi, &x) in self.meta.xs.iter().enumerate() {
                    let Some(sum) = self.summary(si, mi, pi) else {
                        continue;
                    };
                    let theory = self
                        .meta
                        .theory
                        .iter()
                        .filter(|t| t.metric == m.id)
                        .find_map(|t| t.points.iter().find(|p| p.0 == x).map(|p| p.1))
                        .map(num)
                        .unwrap_or_default();
                    out.push_str(&format!(
                        "{name},{},{},{},{},{},{},{},{},{},{theory}\n",
                        m.id,
                        format_x(x),
                        sum.n,
                        num(sum.median),
                        num(sum.p10),
                        num(sum.p90),
                        num(sum.min),
                        num(sum.max),
                        num(sum.mean),
                    ));
                }
            }
        }
        out
    }
}

/// Runs a whole sweep on this thread (the CLI and the tests).
pub fn run_all(request: SweepRequest) -> Result<SweepResult, SweepError> {
    let plan = SweepPlan::new(request)?;
    let mut result = SweepResult::new(plan.meta());
    for k in 0..plan.total() {
        result.add(plan.run(k));
    }
    Ok(result)
}

/// A message from the page to the sweep worker. (To stop a sweep the page terminates the
/// worker: a run in progress cannot be interrupted from outside, and a fresh worker starts in
/// milliseconds from the cached wasm.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ToWorker {
    /// Run every run of this request, streaming the results.
    Run {
        /// The page's number for this sweep, echoed in every reply.
        id: u32,
        /// The sweep.
        request: SweepRequest,
    },
}

/// A message from the sweep worker to the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FromWorker {
    /// The worker's wasm is loaded and it listens: messages posted before this are lost.
    Ready,
    /// The request was accepted: the chart's axes, series and theory curves.
    Started {
        /// The sweep's number.
        id: u32,
        /// What the chart needs before any run finishes.
        meta: SweepMeta,
    },
    /// Finished runs, in run order.
    Results {
        /// The sweep's number.
        id: u32,
        /// The runs' values.
        results: Vec<JobResult>,
    },
    /// Every run has finished.
    Done {
        /// The sweep's number.
        id: u32,
    },
    /// The request could not run.
    Failed {
        /// The sweep's number.
        id: u32,
        /// Why, in words.
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(param: &str, from: f64, to: f64, steps: u32, log: bool) -> SweepDef {
        SweepDef {
            log,
            ..SweepDef::new(param, from, to, steps, vec!["max_mean_ratio".into()])
        }
    }

    #[test]
    fn linear_and_log_values_hit_both_ends() {
        assert_eq!(
            def("x", 0.0, 1.0, 5, false).values(false),
            vec![0.0, 0.25, 0.5, 0.75, 1.0]
        );
        assert_eq!(
            def("x", 1.0, 1000.0, 4, true).values(false),
            vec![1.0, 10.0, 100.0, 1000.0]
        );
        // Whole numbers: rounded, repeats dropped (1, 1.58, 2.5, 3.98, 6.3, 10 → 1, 2, 3, 4, 6, 10).
        assert_eq!(
            def("x", 1.0, 10.0, 6, true).values(true),
            vec![1.0, 2.0, 3.0, 4.0, 6.0, 10.0]
        );
        assert_eq!(
            def("x", 1.0, 3.0, 20, false).values(true),
            vec![1.0, 2.0, 3.0]
        );
    }

    #[test]
    fn replicate_seeds_follow_splitmix64() {
        assert_eq!(
            replicate_seed(42, 0),
            42,
            "replicate 0 is the page's own run"
        );
        // Vigna's splitmix64.c from state 0: the first outputs are these.
        assert_eq!(replicate_seed(0, 1), 0xe220_a839_7b1d_cdaf);
        assert_eq!(replicate_seed(0, 2), 0x6e78_9e6a_a1b9_65f4);
        assert_eq!(replicate_seed(0, 3), 0x06c4_5d18_8009_454f);
        let seeds: std::collections::BTreeSet<u64> =
            (0..1000).map(|j| replicate_seed(7, j)).collect();
        assert_eq!(seeds.len(), 1000, "a thousand distinct seeds");
    }

    #[test]
    fn quantiles_interpolate_between_order_statistics() {
        let v = [1.0, 2.0, 3.0, 4.0];
        assert_eq!(quantile_sorted(&v, 0.5), 2.5);
        assert!((quantile_sorted(&v, 0.1) - 1.3).abs() < 1e-12);
        assert!((quantile_sorted(&v, 0.9) - 3.7).abs() < 1e-12);
        assert_eq!(quantile_sorted(&v, 0.0), 1.0);
        assert_eq!(quantile_sorted(&v, 1.0), 4.0);
        let s = Summary::of(&[5.0, 1.0, 3.0]).unwrap();
        assert_eq!(
            (s.median, s.min, s.max, s.mean, s.n),
            (3.0, 1.0, 5.0, 3.0, 3)
        );
        assert!(Summary::of(&[]).is_none());
    }

    #[test]
    fn links_round_trip_custom_and_declared_sweeps() {
        let mut d = def("vnodes", 1.0, 500.0, 12, true);
        d.metrics.push("load_stddev".into());
        d.seeds = 10;
        d.variants = vec!["a".into(), "b".into()];
        d.theory = vec![TheoryRef {
            metric: "max_mean_ratio".into(),
            curve: "ring-max-mean".into(),
        }];
        let url = d.to_url(None);
        assert_eq!(
            url,
            "vnodes:1..500:12:log/max_mean_ratio,load_stddev/seeds:10/only:a,b/theory:max_mean_ratio@ring-max-mean"
        );
        assert_eq!(SweepDef::parse_url(&url, &[]).unwrap(), d);
        let plain = def("shards", 0.5, 2.25, 3, false);
        assert_eq!(plain.to_url(None), "shards:0.5..2.25:3/max_mean_ratio");
        assert_eq!(
            SweepDef::parse_url(&plain.to_url(None), &[]).unwrap(),
            plain
        );

        let mut declared = d.clone();
        declared.id = "imbalance".into();
        assert_eq!(declared.to_url(Some(&declared)), "imbalance");
        assert_eq!(
            SweepDef::parse_url("imbalance", std::slice::from_ref(&declared)).unwrap(),
            declared
        );
        // Changed from the declared one: written out in full.
        let mut changed = declared.clone();
        changed.seeds = 3;
        assert!(changed
            .to_url(Some(&declared))
            .starts_with("vnodes:1..500:12:log/"));
    }

    #[test]
    fn malformed_links_say_what_is_wrong() {
        let e = |t: &str| SweepDef::parse_url(t, &[]).unwrap_err().0;
        assert!(e("").contains("empty"));
        assert!(e("nope").contains("no sweep"));
        assert!(e("vnodes:1-5:3/a").contains("PARAM:FROM..TO:STEPS"));
        assert!(e("vnodes:1..x:3/a").contains("PARAM:FROM..TO:STEPS"));
        assert!(e("vnodes:1..5:3:lin/a").contains("PARAM:FROM..TO:STEPS"));
        assert!(e("vnodes:1..5:3").contains("no metric"));
        assert!(e("vnodes:1..5:3/a/seeds:many").contains("seeds"));
        assert!(e("vnodes:1..5:3/a/q:1").contains("not part of a sweep"));
        assert!(e("vnodes:1..5:3/a/theory:oops").contains("METRIC@CURVE"));
    }

    #[test]
    fn checks_bounds_points_seeds_and_log_ranges() {
        let spec = ParamSpec::int("vnodes", "V", 1, 1, 1000, 1);
        assert!(def("vnodes", 1.0, 500.0, 12, true).check(&spec).is_ok());
        let msg = |d: SweepDef| d.check(&spec).unwrap_err().0;
        assert!(msg(def("vnodes", 0.0, 500.0, 12, false)).contains("from 1 to 1000"));
        assert!(msg(def("vnodes", 1.0, 5000.0, 12, false)).contains("sweep to 5000"));
        assert!(msg(def("vnodes", 1.0, 1.0, 12, false)).contains("two different ends"));
        assert!(msg(def("vnodes", 1.0, 9.0, 1, false)).contains("from 2 to"));
        assert!(msg(def("vnodes", 1.0, 9.0, MAX_POINTS + 1, false)).contains("from 2 to"));
        let mut no_seeds = def("vnodes", 1.0, 9.0, 3, false);
        no_seeds.seeds = 0;
        assert!(msg(no_seeds).contains("seeds"));
        let fspec = ParamSpec::float("f", "F", 0.5, -1.0, 1.0, 0.1);
        assert!(def("f", -1.0, 1.0, 3, true)
            .check(&fspec)
            .unwrap_err()
            .0
            .contains("above zero"));
        let text = ParamSpec::text("servers", "S", "A", 10);
        assert!(def("servers", 1.0, 2.0, 3, false)
            .check(&text)
            .unwrap_err()
            .0
            .contains("not a number"));
    }
}
