//! The common shape of every lesson's model.
//!
//! A model is built from validated parameters, takes inputs, handles the events it schedules for
//! itself, and reports a frame (what to draw), metrics and trace records. The engine
//! ([`crate::engine::Run`]) drives any model the same way; the app and the CLI only ever see the
//! object-safe [`crate::engine::Simulation`] view of it.
//!
//! What only one family of models can answer (where a key lives, what a change moved) is not
//! part of this shape: each family has its own query trait, and each model lists the ones it
//! answers in [`Model::queries`] (see [`crate::query`]).

use crate::event::EventQueue;
use crate::frame::Frame;
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::{Narrate, Trace};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An action a learner can apply, as the UI and `--do` name it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionSpec {
    /// The action's name (`remove-server`).
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub name: crate::wire::StaticStr,
    /// A short label (`Crash a server`).
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub label: crate::wire::StaticStr,
    /// What the argument is, if the action takes one (`server name`).
    #[serde(default, deserialize_with = "crate::wire::opt_static_str")]
    pub arg: Option<crate::wire::StaticStr>,
    /// The argument a form starts with (`10` keys), if any.
    #[serde(default, deserialize_with = "crate::wire::opt_static_str")]
    pub default_arg: Option<crate::wire::StaticStr>,
    /// Whether the argument names one of the model's current things (a live server), which
    /// [`Model::choices`] lists: the UI offers one button per choice instead of a text box.
    pub picks: bool,
    /// One sentence on what it does to the model, if the label does not say it all.
    #[serde(default, deserialize_with = "crate::wire::opt_static_str")]
    pub help: Option<crate::wire::StaticStr>,
}

impl ActionSpec {
    /// An action without an argument.
    pub const fn new(name: &'static str, label: &'static str) -> Self {
        ActionSpec {
            name,
            label,
            arg: None,
            default_arg: None,
            picks: false,
            help: None,
        }
    }

    /// The same action taking an argument described as `arg`, its form starting at `default`
    /// (if any).
    pub const fn arg(mut self, arg: &'static str, default: Option<&'static str>) -> Self {
        self.arg = Some(arg);
        self.default_arg = default;
        self
    }

    /// The same action taking an argument described as `arg` that names one of the model's
    /// current things, listed by [`Model::choices`].
    pub const fn pick(mut self, arg: &'static str) -> Self {
        self.arg = Some(arg);
        self.picks = true;
        self
    }

    /// The same action with a sentence on what it does.
    pub const fn help(mut self, help: &'static str) -> Self {
        self.help = Some(help);
        self
    }

    /// The action applied with `arg`, in words (`Crash a server: B`, `Resize to 5`): how the
    /// app names an input to a learner, instead of the URL's `remove-server:B`.
    pub fn describe(&self, arg: Option<&str>) -> String {
        match arg.map(str::trim).filter(|a| !a.is_empty()) {
            None => self.label.to_string(),
            // "Resize to 5", "Split the celebrity into 8": the label already leads into it.
            Some(a) if self.label.ends_with(" to") || self.label.ends_with(" into") => {
                format!("{} {a}", self.label)
            }
            Some(a) => format!("{}: {a}", self.label),
        }
    }
}

/// An input in words, from its model's actions (see [`ActionSpec::describe`]); an action the
/// model does not list is shown as written.
pub fn describe_input(actions: &[ActionSpec], input: &crate::scenario::Input) -> String {
    match actions.iter().find(|a| a.name == input.action) {
        Some(a) => a.describe(input.arg.as_deref()),
        None => input.to_string(),
    }
}

/// A value the argument of an action that [picks](ActionSpec::pick) can take now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// The argument (`B`).
    pub value: String,
    /// Why it cannot be picked now (`B is the last server`), if it cannot; the model would
    /// refuse the input with this reason.
    pub unavailable: Option<String>,
}

impl Choice {
    /// A value that can be picked.
    pub fn new(value: impl Into<String>) -> Self {
        Choice {
            value: value.into(),
            unavailable: None,
        }
    }

    /// The same value, which cannot be picked now, for `reason`.
    pub fn unavailable(mut self, reason: impl Into<String>) -> Self {
        self.unavailable = Some(reason.into());
        self
    }
}

/// Why an input was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// What a model gets while it builds, applies an input or handles an event: the current time,
/// the run's random stream, its event queue and its trace.
pub struct Ctx<'a, M: Model> {
    /// The current simulated time.
    pub now: SimTime,
    /// The run's random stream.
    pub rng: &'a mut SimRng,
    /// The run's seed, for a model that derives an independent stream from it
    /// ([`SimRng::stream`]) rather than drawing from `rng`, so that its draws leave the numbers
    /// the rest of the run sees unchanged.
    pub seed: u64,
    pub(crate) queue: &'a mut EventQueue<M::Event>,
    pub(crate) trace: &'a mut Trace<M::Record>,
}

impl<M: Model> Ctx<'_, M> {
    /// Schedules one of the model's own events.
    pub fn schedule(&mut self, at: SimTime, event: M::Event) {
        debug_assert!(at >= self.now, "events are never scheduled in the past");
        self.queue.push(at.max(self.now), event);
    }
    /// Schedules `event` after an exponential gap at `rate_per_sec` (the next arrival of a
    /// Poisson stream, drawn from the run's random stream); nothing when the rate is not positive.
    pub fn schedule_poisson(&mut self, rate_per_sec: f64, event: M::Event) {
        if let Some(gap) = crate::workload::poisson_gap_us(self.rng, rate_per_sec) {
            self.schedule(self.now.plus_us(gap), event);
        }
    }
    /// Records what happened, for the event log and the digest.
    pub fn record(&mut self, record: M::Record) {
        self.trace.record(self.now, record);
    }
}

/// The common shape of a lesson's model. Implementations are plain data (`Clone`) so the engine
/// can checkpoint them.
pub trait Model: Clone + 'static {
    /// Events the model schedules for itself (a request arriving, a timer firing).
    type Event: Clone + fmt::Debug;
    /// What the model records in the trace.
    type Record: Clone + fmt::Debug + Narrate;
    /// What its view draws (`RingFrame`, `ShardFrame`): a frame type listed in
    /// [`crate::registry`], which turns it into a [`Frame`].
    type Frame: Into<Frame>;

    /// The model's identifier in lesson files (`hash-ring`).
    const ID: &'static str;

    /// The parameters this model accepts.
    fn specs() -> Vec<ParamSpec>;
    /// The inputs this model accepts.
    fn actions() -> Vec<ActionSpec>;
    /// Builds the initial state at time zero. Text parameters are checked here; errors name the
    /// parameter.
    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError>;
    /// Applies an input at `ctx.now`; a refused input changes nothing.
    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError>;
    /// Handles one of its own events at `ctx.now`.
    fn handle(&mut self, event: Self::Event, ctx: &mut Ctx<'_, Self>);
    /// What to draw at `now`.
    fn frame(&self, now: SimTime) -> Self::Frame;
    /// The current metrics.
    fn metrics(&self) -> Metrics;
    /// The values the argument of `action` can take now, for an action that
    /// [picks](ActionSpec::pick) one of the model's current things (the servers
    /// `remove-server` can crash); empty for any other action.
    fn choices(&self, _action: &str) -> Vec<Choice> {
        Vec::new()
    }
    /// The family query traits this model answers, see [`crate::query`]. A sharding model:
    /// `Queries::new().with::<dyn Placement>(|m| m)`.
    fn queries() -> Queries<Self>;
    /// Checks the model's own invariants; the message states the broken one.
    fn validate(&self) -> Result<(), String>;
}

/// A metric's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum MetricValue {
    /// A count.
    Int(i64),
    /// A measurement.
    Float(f64),
    /// A name or a sentence.
    Text(String),
    /// Not defined yet (no change has happened).
    None,
}

impl MetricValue {
    /// The value as a number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            MetricValue::Int(i) => Some(*i as f64),
            MetricValue::Float(f) => Some(*f),
            _ => None,
        }
    }
    /// The value formatted for display (`12`, `1.42`, `—`).
    pub fn display(&self) -> String {
        match self {
            MetricValue::Int(i) => i.to_string(),
            MetricValue::Float(f) => format!("{f:.2}"),
            MetricValue::Text(s) => s.clone(),
            MetricValue::None => "—".to_string(),
        }
    }
}

/// One named number.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Identifier in JSON and `data-testid`s (`max_mean_ratio`).
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub id: crate::wire::StaticStr,
    /// Label for people.
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub label: crate::wire::StaticStr,
    /// The value.
    pub value: MetricValue,
    /// Unit suffix, if any.
    #[serde(default, deserialize_with = "crate::wire::opt_static_str")]
    pub unit: Option<crate::wire::StaticStr>,
    /// One sentence on what it means.
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub help: crate::wire::StaticStr,
}

/// What fills a metric that has no value yet, in the words of the page's controls (the empty
/// tile says it instead of a bare "—").
pub fn empty_hint(id: &str) -> &'static str {
    match id {
        "moved_keys" | "moved_percent" | "modulo_moved_keys" | "modulo_moved_percent" => {
            "change servers to see"
        }
        "scan_keys" | "scan_shards" => "run a scan to see",
        "capacity" | "forwarded_keys" => "bounded loads only",
        _ => "press play to see",
    }
}

/// A named series of labelled values, such as keys per server (drawn as bars).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MetricGroup {
    /// Identifier (`keys_per_server`).
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub id: crate::wire::StaticStr,
    /// Label for people.
    #[serde(deserialize_with = "crate::wire::static_str")]
    pub label: crate::wire::StaticStr,
    /// Unit of the values.
    #[serde(default, deserialize_with = "crate::wire::opt_static_str")]
    pub unit: Option<crate::wire::StaticStr>,
    /// `(label, value)` in display order.
    pub values: Vec<(String, f64)>,
}

/// All metrics of a moment.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Single numbers.
    pub scalars: Vec<Metric>,
    /// Series.
    pub groups: Vec<MetricGroup>,
}

impl Metrics {
    /// The scalar with this id.
    pub fn get(&self, id: &str) -> Option<&MetricValue> {
        self.scalars.iter().find(|m| m.id == id).map(|m| &m.value)
    }
    /// The group with this id.
    pub fn group(&self, id: &str) -> Option<&MetricGroup> {
        self.groups.iter().find(|g| g.id == id)
    }
}
