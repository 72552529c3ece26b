//! Lessons: the data that turns a model into a lesson.
//!
//! A lesson file (TOML, under `lessons/<family>/<id>.toml`) names the model it drives and gives
//! default parameters, presets (named parameter sets with scripted inputs — the source material's
//! worked examples among them), guided steps in Markdown, and predict-then-reveal questions whose
//! answers are computed by running the model, never written by hand.
//!
//! [`Lesson`] is both the schema of that file and the compiled form the app reads: the build
//! (the `lessonc` crate) parses each file into it, validates it against its model, renders the
//! Markdown fields to HTML and writes it as JSON, which the app fetches when the lesson opens.
//! Nothing here parses TOML, so the browser never does. Unknown fields are errors, so a typo in
//! a lesson file fails the build instead of being ignored.

use crate::engine::{BuildError, Simulation};
use crate::registry;
use crate::scenario::{Input, Scenario, TimedInput};
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A parameter value as written in a lesson file (`vnodes = 100`, `servers = "A,B"`), kept as
/// the text parameters are validated in. A file may write it as a boolean, a number or a string;
/// the compiled lesson always holds the string.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(transparent)]
pub struct FileValue(pub String);

impl FileValue {
    /// The value as text, the form parameters are validated in.
    pub fn to_text(&self) -> String {
        self.0.clone()
    }
}

impl<'de> Deserialize<'de> for FileValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Scalar;
        impl serde::de::Visitor<'_> for Scalar {
            type Value = FileValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a boolean, a number or a string")
            }
            fn visit_bool<E>(self, v: bool) -> Result<FileValue, E> {
                Ok(FileValue(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<FileValue, E> {
                Ok(FileValue(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<FileValue, E> {
                Ok(FileValue(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<FileValue, E> {
                Ok(FileValue(crate::params::ParamValue::Float(v).to_text()))
            }
            fn visit_str<E>(self, v: &str) -> Result<FileValue, E> {
                Ok(FileValue(v.to_string()))
            }
        }
        d.deserialize_any(Scalar)
    }
}

/// A named starting point.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Preset {
    /// Identifier (`source-example`).
    pub id: String,
    /// Title for the preset menu.
    pub title: String,
    /// One or two sentences.
    #[serde(default)]
    pub description: String,
    /// Parameter values on top of the lesson's defaults.
    #[serde(default)]
    pub params: BTreeMap<String, FileValue>,
    /// Scripted inputs, `TIME_MS:action[:arg]`.
    #[serde(default, rename = "do")]
    pub inputs: Vec<String>,
    /// A seed other than the lesson's.
    pub seed: Option<u64>,
}

/// A guided step of the lesson: its prose and the setup it puts in the diagram. Arriving at a
/// step loads its setup (its preset, or the lesson's defaults) at time zero, paused; "Try it"
/// plays it and pauses just after its key event ([`Step::pause_at`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Heading.
    pub title: String,
    /// The body: Markdown in the lesson file, HTML once compiled (what the app receives).
    pub body: String,
    /// The step's setup: a preset of the lesson (the lesson's defaults when absent).
    pub preset: Option<String>,
    /// Where "Try it" pauses, in ms. Default: one second after the setup's last scripted input,
    /// or the end of the run when it has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pause_ms: Option<u64>,
    /// Entities the diagram emphasises on this step (server, shard or key names as the diagram
    /// labels them).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub highlight: Vec<String>,
    /// The metrics that matter to this step (ids, at most [`MAX_STEP_METRICS`]), shown first;
    /// the others sit behind "All metrics".
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<String>,
    /// One line: what to say about this in an interview.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub takeaway: String,
    /// A derivation or aside behind a "Why?" disclosure: Markdown in the file, HTML compiled.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
}

/// The most metrics a step may name.
pub const MAX_STEP_METRICS: usize = 6;

/// How long after the key event "Try it" and "Check" keep playing before they pause.
pub const SETTLE: SimTime = SimTime::from_ms(1_000);

/// How a question's answer is computed from the sim. Written `{ kind = "owner", key = "…" }` or
/// `{ kind = "metric", metric = "…", tolerance = … }` (read through the flat [`AnswerFields`]:
/// an internally tagged enum would make serde buffer the whole table first, which costs the app
/// ~6 KB of wasm to read).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "AnswerFields", into = "AnswerFields")]
pub enum Answer {
    /// The server that owns `key` afterwards; the choices are the servers before or after the
    /// actions.
    Owner {
        /// The key.
        key: String,
    },
    /// The value of a metric afterwards; a guess within `tolerance` counts as right.
    Metric {
        /// The metric's id.
        metric: String,
        /// Allowed absolute error.
        tolerance: f64,
    },
}

/// [`Answer`] as written: a kind and the fields the kinds use.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerFields {
    /// `owner` or `metric`.
    pub kind: String,
    /// For `owner`: the key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    /// For `metric`: the metric's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<String>,
    /// For `metric`: the allowed absolute error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tolerance: Option<f64>,
}

impl TryFrom<AnswerFields> for Answer {
    type Error = String;
    fn try_from(f: AnswerFields) -> Result<Answer, String> {
        match (f.kind.as_str(), f.key, f.metric, f.tolerance) {
            ("owner", Some(key), None, None) => Ok(Answer::Owner { key }),
            ("metric", None, Some(metric), Some(tolerance)) => {
                Ok(Answer::Metric { metric, tolerance })
            }
            ("owner", ..) => Err("an owner answer is { kind = \"owner\", key = \"…\" }".into()),
            ("metric", ..) => Err(
                "a metric answer is { kind = \"metric\", metric = \"…\", tolerance = … }".into(),
            ),
            (other, ..) => Err(format!(
                "unknown answer kind `{other}`: expected `owner` or `metric`"
            )),
        }
    }
}

impl From<Answer> for AnswerFields {
    fn from(a: Answer) -> AnswerFields {
        match a {
            Answer::Owner { key } => AnswerFields {
                kind: "owner".into(),
                key: Some(key),
                ..AnswerFields::default()
            },
            Answer::Metric { metric, tolerance } => AnswerFields {
                kind: "metric".into(),
                metric: Some(metric),
                tolerance: Some(tolerance),
                ..AnswerFields::default()
            },
        }
    }
}

/// A predict-then-reveal question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Identifier (`where-user123`).
    pub id: String,
    /// The question.
    pub prompt: String,
    /// The preset the question starts from (the lesson's defaults when absent).
    pub preset: Option<String>,
    /// Actions applied, at the end of the preset's timeline, before the answer is read.
    #[serde(default, rename = "do")]
    pub actions: Vec<String>,
    /// How the answer is computed.
    pub answer: Answer,
    /// The step (numbered from 1) the question belongs to: it is asked inside that step, before
    /// the step's reveal. Absent: after the steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    /// Other metrics (ids) that would give the answer away, hidden with the answer's own until
    /// the question is answered (a theory figure beside a measured one).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hides: Vec<String>,
    /// When the actions apply, in ms (see [`Lesson::question_run`]). Default: two seconds before the end
    /// of the run, or one second after the preset's last scripted input if that is later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_ms: Option<u64>,
    /// Why the answer is what it is, shown after the reveal: Markdown in the lesson file, HTML
    /// once compiled.
    #[serde(default)]
    pub explain: String,
}

impl Question {
    /// The metrics hidden until the question is answered: the answer's own and [`Question::hides`].
    pub fn concealed_metrics(&self) -> impl Iterator<Item = &str> {
        let own = match &self.answer {
            Answer::Metric { metric, .. } => Some(metric.as_str()),
            Answer::Owner { .. } => None,
        };
        own.into_iter().chain(self.hides.iter().map(String::as_str))
    }
}

/// A question's answer, computed by running the model.
#[derive(Clone, Debug, PartialEq)]
pub enum Revealed {
    /// The owner, among the offered choices.
    Owner {
        /// The servers to choose from.
        choices: Vec<String>,
        /// The right one.
        answer: String,
    },
    /// A number, and how close a guess must be.
    Number {
        /// The computed value.
        value: f64,
        /// Allowed absolute error.
        tolerance: f64,
        /// The metric's unit, if any.
        unit: Option<String>,
    },
}

impl Revealed {
    /// Whether `guess` (a server name or a number as text) is right.
    pub fn is_right(&self, guess: &str) -> bool {
        match self {
            Revealed::Owner { answer, .. } => guess.trim() == answer,
            Revealed::Number {
                value, tolerance, ..
            } => guess
                .trim()
                .trim_end_matches('%')
                .parse::<f64>()
                .is_ok_and(|g| (g - value).abs() <= *tolerance),
        }
    }
}

/// One strategy of the lesson's compare mode: a model (the lesson's own unless named) with
/// parameter values on top of the shared ones. Every variant runs on the same seed, the same
/// shared parameters and the same timeline of inputs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareVariant {
    /// Identifier, used in URLs and `data-testid`s (`jump`).
    pub id: String,
    /// Column heading (`Jump hash`).
    pub label: String,
    /// The model it runs, when not the lesson's.
    pub model: Option<String>,
    /// Parameter values that define the variant (`strategy = "jump"`).
    #[serde(default)]
    pub params: BTreeMap<String, FileValue>,
    /// One sentence on what it is.
    #[serde(default)]
    pub description: String,
}

/// The intervention compare mode puts in its header, so one press shows how the strategies
/// differ (`input = "remove-server:B"`, `label = "Crash B"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompareAction {
    /// The input, as a link's `do=` writes it without the time (`remove-server:B`); applied at
    /// the current time.
    pub input: String,
    /// The button's text (`Crash B`).
    pub label: String,
}

/// A lesson.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lesson {
    /// Identifier, used in URLs (`consistent-hashing`).
    pub id: String,
    /// Title.
    pub title: String,
    /// Family id: the folder under `lessons/` the file sits in.
    pub family: String,
    /// Position among the family's lessons (lower first; ties by id).
    #[serde(default = "default_order")]
    pub order: u32,
    /// The model it drives (`hash-ring`).
    pub model: String,
    /// One-sentence summary for the home page.
    pub summary: String,
    /// Search words.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Default seed.
    pub seed: u64,
    /// Timeline length in milliseconds.
    pub until_ms: u64,
    /// Source files under `sim/src/` shown in the Code tab.
    #[serde(default)]
    pub code: Vec<String>,
    /// Where the build wrote each of [`Lesson::code`]'s files, highlighted (same order; relative
    /// to the app). Written by the build: a lesson file must not set it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub code_href: Vec<String>,
    /// Parameter defaults on top of the model's.
    #[serde(default)]
    pub defaults: BTreeMap<String, FileValue>,
    /// Presets.
    #[serde(default, rename = "preset")]
    pub presets: Vec<Preset>,
    /// Guided steps.
    #[serde(default, rename = "step")]
    pub steps: Vec<Step>,
    /// Questions.
    #[serde(default, rename = "question")]
    pub questions: Vec<Question>,
    /// The strategies compare mode offers (two or more), in column order.
    #[serde(default, rename = "compare")]
    pub compare: Vec<CompareVariant>,
    /// The intervention compare mode offers in its header, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compare_action: Option<CompareAction>,
    /// Declared sweeps (`[[sweep]]`): a parameter across a range, plotted with its theory.
    #[serde(default, rename = "sweep", skip_serializing_if = "Vec::is_empty")]
    pub sweeps: Vec<crate::sweep::SweepDef>,
}

/// A lesson file that did not parse or does not fit its model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError(pub String);

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for LessonError {}

/// Where a lesson sits among its family's when the file does not say.
pub const DEFAULT_ORDER: u32 = 1000;

fn default_order() -> u32 {
    DEFAULT_ORDER
}

impl Lesson {
    /// The preset with this id.
    pub fn preset(&self, id: &str) -> Option<&Preset> {
        self.presets.iter().find(|p| p.id == id)
    }

    /// The scenario of the lesson's defaults, or of a preset on top of them.
    pub fn scenario(&self, preset: Option<&str>) -> Result<Scenario, LessonError> {
        let mut s = Scenario::new(&self.model, self.seed, SimTime::from_ms(self.until_ms));
        s.params =
            crate::order::map_of(self.defaults.iter().map(|(k, v)| (k.clone(), v.to_text())));
        if let Some(id) = preset {
            let p = self
                .preset(id)
                .ok_or_else(|| LessonError(format!("lesson {} has no preset {id:?}", self.id)))?;
            s.params
                .extend(p.params.iter().map(|(k, v)| (k.clone(), v.to_text())));
            if let Some(seed) = p.seed {
                s.seed = seed;
            }
            for text in &p.inputs {
                s.inputs.push(
                    TimedInput::parse(text)
                        .map_err(|e| LessonError(format!("preset {id}: {e}")))?,
                );
            }
        }
        Ok(s)
    }

    /// The setup step `index` (from 0) loads: its preset, or the lesson's defaults.
    pub fn step_scenario(&self, index: usize) -> Result<Scenario, LessonError> {
        let step = self
            .steps
            .get(index)
            .ok_or_else(|| LessonError(format!("lesson {} has no step {}", self.id, index + 1)))?;
        self.scenario(step.preset.as_deref())
    }

    /// Where step `index`'s "Try it" pauses: its `pause_ms`, else [`SETTLE`] after its setup's
    /// last scripted input, else the end of the run.
    pub fn step_pause(&self, index: usize) -> SimTime {
        let until = SimTime::from_ms(self.until_ms);
        let Some(step) = self.steps.get(index) else {
            return until;
        };
        if let Some(ms) = step.pause_ms {
            return SimTime::from_ms(ms).min(until);
        }
        self.step_scenario(index)
            .ok()
            .and_then(|s| s.inputs.iter().map(|i| i.at).max())
            .map_or(until, |last| last.plus_us(SETTLE.as_us()).min(until))
    }

    /// The run a question is checked on: its preset's scenario with the question's actions as
    /// scripted inputs at [`QuestionRun::at`]; the answer is read at the end of the run. The app
    /// plays exactly this run in the diagram when the learner checks an answer.
    pub fn question_run(&self, question: &Question) -> Result<QuestionRun, LessonError> {
        let mut scenario = self.scenario(question.preset.as_deref())?;
        let until = scenario.until;
        let at = match question.at_ms {
            Some(ms) => SimTime::from_ms(ms).min(until),
            None => {
                let last = scenario.inputs.iter().map(|i| i.at).max();
                let late = SimTime::from_us(until.as_us().saturating_sub(2 * SETTLE.as_us()));
                last.map_or(late, |l| late.max(l.plus_us(SETTLE.as_us())))
                    .min(until)
            }
        };
        for a in &question.actions {
            let input = Input::parse(a)
                .map_err(|e| LessonError(format!("question {}: {e}", question.id)))?;
            scenario.inputs.push(TimedInput { at, input });
        }
        Ok(QuestionRun {
            scenario,
            at,
            read: until,
        })
    }

    /// Runs a question's [`Lesson::question_run`] and computes its answer.
    pub fn reveal(&self, question: &Question) -> Result<Revealed, LessonError> {
        let q = self.question_run(question)?;
        let mut run =
            registry::start(&q.scenario).map_err(|e: BuildError| LessonError(e.to_string()))?;
        let nodes = |run: &dyn Simulation| {
            crate::models::sharding::placement(run)
                .map(|p| p.nodes())
                .unwrap_or_default()
        };
        // Offer every entity that exists before or after the actions (a crashed server is a
        // tempting wrong answer; a new shard may be the right one).
        run.seek(SimTime::from_us(q.at.as_us().saturating_sub(1)));
        let mut choices = nodes(run.as_ref());
        run.seek(q.read);
        for e in nodes(run.as_ref()) {
            if !choices.contains(&e) {
                choices.push(e);
            }
        }
        let refused = run
            .trace_lines()
            .into_iter()
            .find(|l| l.rejected && l.time >= q.at);
        if let Some(line) = refused {
            return Err(LessonError(format!(
                "question {}: {}",
                question.id, line.text
            )));
        }
        reveal_answer(run.as_ref(), &question.answer, choices)
            .map_err(|e| LessonError(format!("question {}: {e}", question.id)))
    }
}

/// A question's run: see [`Lesson::question_run`].
#[derive(Clone, Debug, PartialEq)]
pub struct QuestionRun {
    /// The scenario: the question's preset with its actions scripted at `at`.
    pub scenario: Scenario,
    /// When the question's actions apply.
    pub at: SimTime,
    /// When the answer is read (the end of the run).
    pub read: SimTime,
}

fn reveal_answer(
    run: &dyn Simulation,
    answer: &Answer,
    choices: Vec<String>,
) -> Result<Revealed, String> {
    match answer {
        Answer::Owner { key } => {
            let owner = crate::models::sharding::placement(run)
                .and_then(|p| p.owners(key))
                .and_then(|o| o.first().cloned())
                .ok_or_else(|| format!("the model places no key {key:?}"))?;
            Ok(Revealed::Owner {
                choices,
                answer: owner,
            })
        }
        Answer::Metric { metric, tolerance } => {
            let m = run.metrics();
            let found = m
                .scalars
                .iter()
                .find(|s| s.id == metric)
                .ok_or_else(|| format!("no metric {metric:?}"))?;
            let value = found
                .value
                .as_f64()
                .ok_or_else(|| format!("metric {metric:?} has no value"))?;
            Ok(Revealed::Number {
                value,
                tolerance: *tolerance,
                unit: found.unit.map(str::to_string),
            })
        }
    }
}

impl Lesson {
    /// The parameters a fresh visit starts from: the model's defaults with the lesson's on top.
    /// Lesson defaults that do not validate are skipped (the registry test rejects such files).
    pub fn default_params(&self) -> crate::params::ParamSet {
        let specs = registry::specs(&self.model).unwrap_or_default();
        let texts: Vec<(String, String)> = self
            .defaults
            .iter()
            .map(|(k, v)| (k.clone(), v.to_text()))
            .collect();
        crate::params::ParamSet::resolve(
            &specs,
            texts.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .0
    }

    /// The parameters of `set` that differ from [`Lesson::default_params`], as text, in name
    /// order: what a shareable URL must carry.
    pub fn changed_params(&self, set: &crate::params::ParamSet) -> Vec<(String, String)> {
        let base = self.default_params();
        set.iter()
            .filter(|(k, v)| base.get(k) != Some(*v))
            .map(|(k, v)| (k.to_string(), v.to_text()))
            .collect()
    }
}
