//! The engine: runs any [`Model`] through a [`Scenario`], with checkpoints, seeking and forking.
//!
//! Inputs are kept in a list sorted by time (ties keep insertion order) beside the model's own
//! event queue; at equal times inputs go first. Every [`CHECKPOINT_EVERY`] processed events the
//! whole state is cloned, so seeking backwards is "restore the latest checkpoint at or before the
//! target, replay forward" (the technique raftscope uses). An input inserted in the past forks the
//! timeline: later inputs are dropped and the run is replayed from a checkpoint before it.

use crate::event::EventQueue;
use crate::frame::Frame;
use crate::model::{ActionSpec, Choice, Ctx, InputError, Metrics, Model};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::QueryTable;
use crate::rng::SimRng;
use crate::scenario::{Input, Scenario, TimedInput};
use crate::time::SimTime;
use crate::trace::{Trace, TraceLine};
use std::any::Any;

/// How many processed events separate two checkpoints.
pub const CHECKPOINT_EVERY: u64 = 64;

/// The state the engine checkpoints.
#[derive(Clone)]
struct State<M: Model> {
    model: M,
    rng: SimRng,
    queue: EventQueue<M::Event>,
    /// Index of the next input to apply.
    next_input: usize,
    /// Time of the last processed event or input, if any.
    last_processed: Option<SimTime>,
    processed: u64,
    trace_len: u64,
}

/// A run of one model through one scenario.
pub struct Run<M: Model> {
    specs: Vec<ParamSpec>,
    actions: Vec<ActionSpec>,
    queries: QueryTable,
    params: ParamSet,
    seed: u64,
    until: SimTime,
    inputs: Vec<TimedInput>,
    state: State<M>,
    now: SimTime,
    trace: Trace<M::Record>,
    checkpoints: Vec<State<M>>,
}

/// Why a scenario could not start.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum BuildError {
    /// No model has this id.
    UnknownModel(String),
    /// One or more parameters were rejected.
    Params(Vec<ParamError>),
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::UnknownModel(m) => write!(f, "no model is called {m:?}"),
            BuildError::Params(errs) => {
                let msgs: Vec<String> = errs.iter().map(ToString::to_string).collect();
                f.write_str(&msgs.join("; "))
            }
        }
    }
}

impl std::error::Error for BuildError {}

impl<M: Model> Run<M> {
    /// Builds the model from `scenario` at time zero. Parameter overrides are validated; any bad
    /// one fails the build (callers that want to keep the good ones resolve first, see
    /// [`ParamSet::resolve`]).
    pub fn new(scenario: &Scenario) -> Result<Self, BuildError> {
        let specs = M::specs();
        let (params, errors) = ParamSet::resolve(
            &specs,
            scenario
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        if !errors.is_empty() {
            return Err(BuildError::Params(errors));
        }
        Self::with_params(
            params,
            scenario.seed,
            scenario.inputs.clone(),
            scenario.until,
        )
    }

    /// Builds the model from already validated parameters.
    pub fn with_params(
        params: ParamSet,
        seed: u64,
        mut inputs: Vec<TimedInput>,
        until: SimTime,
    ) -> Result<Self, BuildError> {
        crate::order::sort_by_key(&mut inputs, |t| t.at);
        let mut rng = SimRng::new(seed);
        let mut queue = EventQueue::new();
        let mut trace = Trace::default();
        let model = {
            let mut ctx = Ctx {
                now: SimTime::ZERO,
                rng: &mut rng,
                seed,
                queue: &mut queue,
                trace: &mut trace,
            };
            M::build(&params, &mut ctx).map_err(|e| BuildError::Params(vec![e]))?
        };
        let state = State {
            model,
            rng,
            queue,
            next_input: 0,
            last_processed: None,
            processed: 0,
            trace_len: trace.len(),
        };
        Ok(Run {
            specs: M::specs(),
            actions: M::actions(),
            queries: M::queries().into(),
            params,
            seed,
            until,
            inputs,
            checkpoints: vec![state.clone()],
            state,
            now: SimTime::ZERO,
            trace,
        })
    }

    /// The model as it is now.
    pub fn model(&self) -> &M {
        &self.state.model
    }

    fn next_time(&self) -> Option<SimTime> {
        let input = self.inputs.get(self.state.next_input).map(|t| t.at);
        match (input, self.state.queue.peek_time()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes the single next input or event, if it is at or before `limit`.
    fn process_one(&mut self, limit: SimTime) -> bool {
        let Some(t) = self.next_time() else {
            return false;
        };
        if t > limit {
            return false;
        }
        let st = &mut self.state;
        let input_first = self.inputs.get(st.next_input).is_some_and(|i| i.at == t);
        let mut ctx = Ctx {
            now: t,
            rng: &mut st.rng,
            seed: self.seed,
            queue: &mut st.queue,
            trace: &mut self.trace,
        };
        if input_first {
            let input = self.inputs[st.next_input].input.clone();
            st.next_input += 1;
            if let Err(InputError(reason)) = st.model.apply(&input, &mut ctx) {
                self.trace.reject(t, input, reason);
            }
        } else if let Some(ev) = ctx.queue.pop() {
            st.model.handle(ev.event, &mut ctx);
        }
        st.last_processed = Some(t);
        st.processed += 1;
        st.trace_len = self.trace.len();
        if st.processed % CHECKPOINT_EVERY == 0 {
            self.checkpoints.push(self.state.clone());
        }
        true
    }

    fn restore(&mut self, ok: impl Fn(Option<SimTime>) -> bool) {
        // The initial checkpoint (nothing processed) always qualifies.
        let idx = self
            .checkpoints
            .iter()
            .rposition(|c| ok(c.last_processed))
            .unwrap_or(0);
        self.checkpoints.truncate(idx + 1);
        self.state = self.checkpoints[idx].clone();
        self.trace.truncate(self.state.trace_len);
        self.now = self.state.last_processed.unwrap_or(SimTime::ZERO);
    }

    /// Moves to time `t` (clamped to the end): forwards by processing, backwards by restoring a
    /// checkpoint and replaying.
    pub fn seek(&mut self, t: SimTime) {
        let t = t.min(self.until);
        if t < self.now || self.state.last_processed.is_some_and(|lp| lp > t) {
            self.restore(|lp| lp.is_none_or(|lp| lp <= t));
        }
        while self.process_one(t) {}
        self.now = t;
    }

    /// Applies `input` at the current time. Inputs after now are dropped (the timeline forks) and
    /// the run is replayed up to now with the new input in place.
    pub fn apply_now(&mut self, input: Input) {
        let at = self.now;
        self.inputs.retain(|t| t.at <= at);
        self.inputs.push(TimedInput { at, input });
        self.restore(|lp| lp.is_none_or(|lp| lp < at));
        // Inputs are sorted and the kept ones are a prefix of the old list, so the restored
        // checkpoint's input cursor still points at the first input it has not applied; the new
        // input, last in the list, is applied in the order a fresh run would apply it.
        while self.process_one(at) {}
        self.now = at;
    }
}

/// The scenario that reproduces a run: outside `Run<M>`, so it is compiled once, not per model.
pub(crate) fn scenario_of(
    model: &str,
    seed: u64,
    until: SimTime,
    params: &ParamSet,
    specs: &[ParamSpec],
    inputs: &[TimedInput],
) -> Scenario {
    let mut s = Scenario::new(model, seed, until);
    s.params = crate::order::map_of(
        params
            .non_default(specs)
            .map(|(k, v)| (k.to_string(), v.to_text())),
    );
    s.inputs = inputs.to_vec();
    s
}

/// The object-safe view of a run that the app and the CLI use for every lesson alike.
pub trait Simulation {
    /// The model's id.
    fn model_id(&self) -> &'static str;
    /// The model's parameter specs.
    fn specs(&self) -> &[ParamSpec];
    /// The model's actions.
    fn actions(&self) -> &[ActionSpec];
    /// The validated parameters of this run.
    fn params(&self) -> &ParamSet;
    /// The seed.
    fn seed(&self) -> u64;
    /// The current time.
    fn now(&self) -> SimTime;
    /// The end of the timeline.
    fn until(&self) -> SimTime;
    /// The inputs of this run, in time order.
    fn inputs(&self) -> &[TimedInput];
    /// The scenario that reproduces this run (the parameters written as non-default overrides).
    fn scenario(&self) -> Scenario;
    /// Moves to `t`.
    fn seek(&mut self, t: SimTime);
    /// Moves to the time of the next input or event (or the end); returns the new time.
    fn step_forward(&mut self) -> SimTime;
    /// Moves back to just before the last processed input or event; returns the new time. At
    /// time zero, where there is no "before", it takes the last input applied at zero off the
    /// timeline instead.
    fn step_back(&mut self) -> SimTime;
    /// Applies an input now, forking the timeline.
    fn apply_now(&mut self, input: Input);
    /// What to draw now.
    fn frame(&self) -> Frame;
    /// The metrics now.
    fn metrics(&self) -> Metrics;
    /// The values the argument of `action` can take now, if it [picks](ActionSpec::pick) one
    /// of the model's things.
    fn choices(&self, action: &str) -> Vec<Choice>;
    /// The model as it is now, type-erased, for its family's queries: ask them with
    /// `run.query::<dyn Trait>()` ([`crate::query`]).
    fn model_any(&self) -> &dyn Any;
    /// The family query traits the model answers.
    fn queries(&self) -> &QueryTable;
    /// The trace up to now, rendered.
    fn trace_lines(&self) -> Vec<TraceLine>;
    /// The newest trace entry, rendered (without narrating the rest).
    fn last_trace_line(&self) -> Option<TraceLine>;
    /// How many trace entries exist up to now.
    fn trace_len(&self) -> u64;
    /// The digest of the trace up to now.
    fn digest(&self) -> u64;
    /// The model's invariants (with the `validate` feature: tests, the CLI and the lesson
    /// compiler check them; the app does not carry them).
    #[cfg(feature = "validate")]
    fn validate(&self) -> Result<(), String>;
}

impl<M: Model> Simulation for Run<M> {
    fn model_id(&self) -> &'static str {
        M::ID
    }
    fn specs(&self) -> &[ParamSpec] {
        &self.specs
    }
    fn actions(&self) -> &[ActionSpec] {
        &self.actions
    }
    fn params(&self) -> &ParamSet {
        &self.params
    }
    fn seed(&self) -> u64 {
        self.seed
    }
    fn now(&self) -> SimTime {
        self.now
    }
    fn until(&self) -> SimTime {
        self.until
    }
    fn inputs(&self) -> &[TimedInput] {
        &self.inputs
    }
    fn scenario(&self) -> Scenario {
        scenario_of(
            M::ID,
            self.seed,
            self.until,
            &self.params,
            &self.specs,
            &self.inputs,
        )
    }
    fn seek(&mut self, t: SimTime) {
        Run::seek(self, t);
    }
    fn step_forward(&mut self) -> SimTime {
        let target = match self.next_time() {
            Some(t) if t <= self.until => t.max(self.now),
            _ => self.until,
        };
        Run::seek(self, target);
        self.now
    }
    fn step_back(&mut self) -> SimTime {
        match self.state.last_processed {
            Some(lp) if lp > SimTime::ZERO => {
                Run::seek(self, SimTime::from_us(lp.as_us() - 1));
            }
            Some(_) => {
                // Nothing comes before time zero, so stepping back over an input applied at
                // zero takes it off the timeline (an undo); otherwise a link to `t=0` would
                // replay it and show a different state from the one on screen.
                let applied_at_zero = self
                    .state
                    .next_input
                    .checked_sub(1)
                    .filter(|&i| self.inputs.get(i).is_some_and(|t| t.at == SimTime::ZERO));
                if let Some(i) = applied_at_zero {
                    self.inputs.remove(i);
                }
                self.restore(|lp| lp.is_none());
                Run::seek(self, SimTime::ZERO);
            }
            None => {}
        }
        self.now
    }
    fn apply_now(&mut self, input: Input) {
        Run::apply_now(self, input);
    }
    fn frame(&self) -> Frame {
        self.state.model.frame(self.now).into()
    }
    fn metrics(&self) -> Metrics {
        self.state.model.metrics()
    }
    fn choices(&self, action: &str) -> Vec<Choice> {
        self.state.model.choices(action)
    }
    fn model_any(&self) -> &dyn Any {
        &self.state.model
    }
    fn queries(&self) -> &QueryTable {
        &self.queries
    }
    fn trace_lines(&self) -> Vec<TraceLine> {
        self.trace.entries().iter().map(Trace::line).collect()
    }
    fn last_trace_line(&self) -> Option<TraceLine> {
        self.trace.entries().last().map(Trace::line)
    }
    fn trace_len(&self) -> u64 {
        self.trace.len()
    }
    fn digest(&self) -> u64 {
        self.trace.digest()
    }
    #[cfg(feature = "validate")]
    fn validate(&self) -> Result<(), String> {
        self.state.model.validate()
    }
}
