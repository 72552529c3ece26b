//! Compare mode: several strategies run side by side on one seed, one set of shared parameters
//! and one timeline of inputs.
//!
//! A lesson declares its variants (`[[compare]]` in the lesson file): a model — the lesson's own
//! unless named — and the parameter values that make the variant what it is. A [`Comparison`]
//! follows a *primary* run (the lesson's own, which the page's controls drive): every column is
//! built from the primary's seed and inputs, and from the primary's parameters wherever the
//! column's model has a parameter of that name, with the variant's own values on top. So the
//! modulo lesson can put `id % N` beside a ring and jump hash on the same user ids, the same
//! requests and the same resize at 2 s. An input a column's model does not know is refused by
//! that column alone, and says so in its trace.
//!
//! Nothing here is specific to sharding but what each change moved, which a column's model
//! answers through the sharding family's query ([`Placement`](crate::models::sharding::Placement))
//! and other families' models leave empty: any family's lessons get compare mode by declaring
//! variants.

use crate::engine::Simulation;
use crate::lesson::{CompareVariant, Lesson};
use crate::model::MetricValue;
use crate::models::sharding::{placement, Moved};
use crate::params::ParamSet;
use crate::registry;
use crate::scenario::TimedInput;
use crate::time::SimTime;

/// What a column was last built from; a column is rebuilt only when this changes.
#[derive(Clone, Debug, PartialEq)]
struct BuildKey {
    seed: u64,
    shared: Vec<(String, String)>,
    inputs: Vec<TimedInput>,
}

/// One strategy's run.
pub struct Column {
    /// The variant, as the lesson file declares it.
    pub variant: CompareVariant,
    /// The model it runs.
    pub model: String,
    /// The run, or why it could not start.
    pub run: Result<Box<dyn Simulation>, String>,
    /// Shared parameters this column could not take (out of its model's range, say), each with
    /// the reason; the column uses its model's default for them.
    pub notes: Vec<String>,
    built: Option<BuildKey>,
}

/// A change on the timeline and what it moved in one column.
#[derive(Clone, Debug, PartialEq)]
pub struct MovedAt {
    /// When the input was applied.
    pub at: SimTime,
    /// The input, as the URL writes it (`resize:5`).
    pub input: String,
    /// The input in words, from the column's model ([`crate::model::describe_input`]):
    /// `Crash a server: B`.
    pub described: String,
    /// Keys it moved (`None`: the model does not move keys, or refused the input).
    pub moved: Option<i64>,
    /// The same as a share of the keys, in percent.
    pub percent: Option<f64>,
    /// Whether this column refused the input.
    pub refused: bool,
    /// What the column's model recorded for it, as its event log says it ("The directory went
    /// down…"), when it took the input.
    pub said: Option<String>,
}

/// One row of the comparison table: a metric across the columns.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The metric's id.
    pub id: &'static str,
    /// Its label.
    pub label: &'static str,
    /// Its unit, if any.
    pub unit: Option<&'static str>,
    /// One sentence on what it means.
    pub help: &'static str,
    /// The value in each column (`None` where the column's model has no such metric).
    pub cells: Vec<Option<MetricValue>>,
}

/// Several strategies following one primary run.
pub struct Comparison {
    lesson_model: String,
    defaults: Vec<(String, String)>,
    until: SimTime,
    columns: Vec<Column>,
}

impl Comparison {
    /// The lesson's variants whose ids are in `only` (all of them when `only` is empty), in the
    /// lesson's order. Nothing runs until [`Comparison::sync`].
    pub fn new(lesson: &Lesson, only: &[String]) -> Comparison {
        let columns = lesson
            .compare
            .iter()
            .filter(|v| only.is_empty() || only.iter().any(|o| o == &v.id))
            .map(|v| Column {
                variant: v.clone(),
                model: v.model.clone().unwrap_or_else(|| lesson.model.clone()),
                run: Err("not started".to_string()),
                notes: Vec::new(),
                built: None,
            })
            .collect();
        Comparison {
            lesson_model: lesson.model.clone(),
            defaults: lesson
                .defaults
                .iter()
                .map(|(k, v)| (k.clone(), v.to_text()))
                .collect(),
            until: SimTime::from_ms(lesson.until_ms),
            columns,
        }
    }

    /// The columns, in order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The ids of the columns, in order.
    pub fn ids(&self) -> Vec<String> {
        self.columns.iter().map(|c| c.variant.id.clone()).collect()
    }

    fn params_for(&self, col: &Column, shared: &[(String, String)]) -> (ParamSet, Vec<String>) {
        params_of(
            &self.lesson_model,
            &self.defaults,
            &col.model,
            &col.variant,
            shared,
        )
    }

    fn start(
        &self,
        col: &Column,
        key: &BuildKey,
    ) -> (Result<Box<dyn Simulation>, String>, Vec<String>) {
        let (params, notes) = self.params_for(col, &key.shared);
        let run =
            registry::start_with(&col.model, params, key.seed, key.inputs.clone(), self.until)
                .map_err(|e| e.to_string());
        (run, notes)
    }

    /// Brings every column to the primary's seed, parameters, inputs and time. Columns whose
    /// run would be the same are only moved in time.
    pub fn sync(&mut self, primary: &dyn Simulation) {
        let key = BuildKey {
            seed: primary.seed(),
            shared: primary
                .params()
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_text()))
                .collect(),
            inputs: primary.inputs().to_vec(),
        };
        let now = primary.now();
        for i in 0..self.columns.len() {
            if self.columns[i].built.as_ref() != Some(&key) {
                let (run, notes) = self.start(&self.columns[i], &key);
                let col = &mut self.columns[i];
                col.run = run;
                col.notes = notes;
                col.built = Some(key.clone());
            }
            if let Ok(run) = &mut self.columns[i].run {
                run.seek(now);
            }
        }
    }

    /// For one column, what each input on the timeline up to `now` moved, by replaying a fresh
    /// copy of its run to just after each input.
    pub fn moved_per_change(&self, column: usize, now: SimTime) -> Vec<MovedAt> {
        let Some(col) = self.columns.get(column) else {
            return Vec::new();
        };
        let Some(key) = &col.built else {
            return Vec::new();
        };
        let (Ok(mut run), _) = self.start(col, key) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for input in key.inputs.iter().filter(|i| i.at <= now) {
            run.seek(input.at);
            // An input's record (or its refusal) is the newest line of the trace at its time.
            let last = run.last_trace_line().filter(|l| l.time == input.at);
            let refused = last.as_ref().is_some_and(|l| l.rejected);
            let said = last.filter(|l| !l.rejected && l.milestone).map(|l| l.text);
            let moved = placement(run.as_ref())
                .and_then(|p| p.last_moved())
                .filter(|_| !refused);
            out.push(MovedAt {
                at: input.at,
                input: input.input.to_string(),
                described: crate::model::describe_input(run.actions(), &input.input),
                moved: moved.map(|m| m.keys as i64),
                percent: moved.map(Moved::percent),
                refused,
                said,
            });
        }
        out
    }

    /// The table: every scalar metric any column reports, in first-seen order, with each
    /// column's value.
    pub fn rows(&self) -> Vec<Row> {
        let metrics: Vec<Option<crate::model::Metrics>> = self
            .columns
            .iter()
            .map(|c| c.run.as_ref().ok().map(|r| r.metrics()))
            .collect();
        let mut rows: Vec<Row> = Vec::new();
        for m in metrics.iter().flatten() {
            for s in &m.scalars {
                if !rows.iter().any(|r| r.id == s.id) {
                    rows.push(Row {
                        id: s.id,
                        label: s.label,
                        unit: s.unit,
                        help: s.help,
                        cells: Vec::new(),
                    });
                }
            }
        }
        for row in &mut rows {
            row.cells = metrics
                .iter()
                .map(|m| m.as_ref().and_then(|m| m.get(row.id).cloned()))
                .collect();
        }
        rows
    }
}

/// The parameters of a variant's run given the primary's parameters (`shared`, name → text):
/// its model's defaults, then the lesson's defaults and the primary's values wherever its model
/// has a parameter of that name, then the variant's own values. Returns the reasons any shared
/// value was dropped. Compare mode's columns and a sweep's series are built by it.
pub fn variant_params(
    lesson: &Lesson,
    variant: &CompareVariant,
    model: &str,
    shared: &[(String, String)],
) -> (ParamSet, Vec<String>) {
    let defaults: Vec<(String, String)> = lesson
        .defaults
        .iter()
        .map(|(k, v)| (k.clone(), v.to_text()))
        .collect();
    params_of(&lesson.model, &defaults, model, variant, shared)
}

fn params_of(
    lesson_model: &str,
    defaults: &[(String, String)],
    model: &str,
    variant: &CompareVariant,
    shared: &[(String, String)],
) -> (ParamSet, Vec<String>) {
    let Some(specs) = registry::specs(model) else {
        return (ParamSet::default(), Vec::new());
    };
    let known = |k: &str| specs.iter().any(|s| s.name == k);
    let base: Vec<(String, String)> = if model == lesson_model {
        Vec::new()
    } else {
        defaults.iter().filter(|(k, _)| known(k)).cloned().collect()
    };
    let shared: Vec<(String, String)> = shared
        .iter()
        .filter(|(k, _)| known(k) && !variant.params.contains_key(k))
        .cloned()
        .collect();
    let (_, shared_errors) =
        ParamSet::resolve(&specs, shared.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let own: Vec<(String, String)> = variant
        .params
        .iter()
        .map(|(k, v)| (k.clone(), v.to_text()))
        .collect();
    let all = base.iter().chain(&shared).chain(&own);
    let (set, _) = ParamSet::resolve(&specs, all.map(|(k, v)| (k.as_str(), v.as_str())));
    let notes = shared_errors
        .iter()
        .map(|e| format!("{e}; this column uses its default"))
        .collect();
    (set, notes)
}
