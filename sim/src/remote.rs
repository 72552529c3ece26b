//! Runs whose model lives in another wasm: the protocol between the app and a simulation engine.
//!
//! The app draws any model but should download only the models a page shows
//! (`docs/first-load-size.md`). So the models run in an *engine* (the `worker` crate's
//! `engine-<family>` bins: `sim` with one family's models, compiled to a wasm of its own; the
//! app's `src/engine.rs` loads it) and the app holds a [`RemoteRun`], which
//! implements [`Simulation`] by calling the engine. The app keeps `Box<dyn Simulation>`
//! everywhere; nothing above this module knows whether a run is local or remote.
//!
//! - **The engine side** is a [`Host`]: it keeps the runs it started, by number, and answers one
//!   [`Call`] with one [`Reply`]. [`Host::call_json`] takes and returns JSON text, the form both
//!   sides agree on (the same bytes natively and in wasm, and serde_json is in both builds).
//!   A float reads back bit for bit only where serde_json has its `float_roundtrip` feature (the
//!   app and the tests turn it on; without it a ratio's last bit can change).
//! - **The app side** is a [`RemoteRun`] over an [`Engine`], anything that carries a call's JSON
//!   to a host and brings the reply back, synchronously (the engine is loaded into the page's
//!   thread, so the playback reducer stays synchronous). [`Loopback`] is a host in the same
//!   process: the native and wasm tests drive every model through the whole wire with it.
//! - **What crosses**: frames, metrics, trace lines and choices as serde values; the parts that
//!   only change when the run does (specs, actions, parameters, seed, end, inputs, time, trace
//!   length) come back with the call that changed them and are kept, so reading them costs no
//!   call. The frame, metrics and digest are fetched when first read after a change, then kept.
//!   A frame's large shared parts (the moves of the last resize) cross once per run and as a
//!   reference after ([`crate::wire::shared`]), so an animation tick costs a small frame.
//! - **Family queries** ([`crate::query`]) cross as calls too: a remote run answers
//!   [`Placement`] through [`RemotePlacement`] and `Balancing` through `RemoteBalancing` when
//!   the engine says its model does. A family with a new query trait adds its questions to
//!   [`Call`] and a remote implementation here.
//!
//! A reply of the wrong kind means the app and the engine come from different builds (the
//! service worker precaches them together) or the engine lost the run: a bug, not bad input, so
//! [`RemoteRun`] panics with both sides of the mismatch in the message.

use crate::engine::{BuildError, Simulation};
use crate::frame::Frame;
use crate::model::{ActionSpec, Choice, Metrics};
use crate::models::balancer::{balancing, Balancing, PickLine};
use crate::models::sharding::{placement, Move, Moved, Placement, SlotOf};
use crate::params::{ParamSet, ParamSpec};
use crate::query::{Queries, QueryTable};
use crate::scenario::{Input, Scenario, TimedInput};
use crate::time::SimTime;
use crate::trace::TraceLine;
use crate::wire::shared;
use serde::{Deserialize, Serialize};
use std::any::Any;
use std::cell::OnceCell;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// A run's number in its engine.
pub type RunId = u32;

/// What the app asks an engine.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Call {
    /// Start a run of a scenario ([`crate::registry::start`]).
    Start(Scenario),
    /// Start a run from resolved parameters ([`crate::registry::start_with`]).
    StartWith {
        /// The model's id.
        model: String,
        /// Its parameters, already validated.
        params: ParamSet,
        /// The seed.
        seed: u64,
        /// The scripted inputs.
        inputs: Vec<TimedInput>,
        /// The end of the timeline.
        until: SimTime,
    },
    /// [`Simulation::seek`].
    Seek(RunId, SimTime),
    /// [`Simulation::step_forward`].
    StepForward(RunId),
    /// [`Simulation::step_back`].
    StepBack(RunId),
    /// [`Simulation::apply_now`].
    ApplyNow(RunId, Input),
    /// [`Simulation::frame`].
    Frame(RunId),
    /// [`Simulation::metrics`].
    Metrics(RunId),
    /// [`Simulation::choices`] of an action.
    Choices(RunId, String),
    /// [`Simulation::trace_lines`].
    TraceLines(RunId),
    /// [`Simulation::last_trace_line`].
    LastTraceLine(RunId),
    /// [`Simulation::digest`].
    Digest(RunId),
    /// A question of the sharding family's [`Placement`].
    Placement(RunId, PlacementAsk),
    /// The load-balancing family's `Balancing`, all of it at once.
    Balancing(RunId),
    /// [`Simulation::validate`] (engines built with the `validate` feature).
    Validate(RunId),
    /// Forget the run (its [`RemoteRun`] was dropped).
    Drop(RunId),
    /// The parameter specs of a model ([`crate::registry::specs`]), before any run starts.
    Specs(String),
    /// An uploaded trace for the engine's runs to read ([`crate::cache::attach::attach`]).
    Attach(crate::cache::attach::TraceFile),
}

/// What an engine answers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Reply {
    /// A run started.
    Started(Started),
    /// The run could not start.
    Failed(BuildError),
    /// The run moved or its timeline changed: its new state.
    State(RunState),
    /// A frame.
    Frame(Frame),
    /// Metrics.
    Metrics(Metrics),
    /// Choices.
    Choices(Vec<Choice>),
    /// Trace lines.
    Lines(Vec<TraceLine>),
    /// The newest trace line, if any.
    Line(Option<TraceLine>),
    /// A digest.
    Digest(u64),
    /// A placement answer.
    Placement(PlacementAnswer),
    /// What `Balancing` answers now.
    Balancing(BalancingAnswer),
    /// The invariants hold, or the broken one.
    Valid(Result<(), String>),
    /// Done (a run forgotten).
    Done,
    /// A model's parameter specs, or `None` for a model the engine does not run.
    Specs(Option<Vec<ParamSpec>>),
    /// The call could not be answered (no such run, a malformed call, no such query).
    Error(String),
}

/// What a started run reports once: everything about it that does not change as it plays.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Started {
    /// Its number, for later calls.
    pub run: RunId,
    /// The model's id.
    pub model: String,
    /// The model's parameter specs.
    pub specs: Vec<ParamSpec>,
    /// The model's actions.
    pub actions: Vec<ActionSpec>,
    /// The run's validated parameters.
    pub params: ParamSet,
    /// The seed.
    pub seed: u64,
    /// The end of the timeline.
    pub until: SimTime,
    /// Whether the model answers the sharding family's [`Placement`].
    pub placement: bool,
    /// Whether the model answers the load-balancing family's `Balancing` query.
    pub balancing: bool,
    /// Its state at the start.
    pub state: RunState,
}

/// What changes when a run moves: kept by [`RemoteRun`] so that reading it costs no call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    /// The current time.
    pub now: SimTime,
    /// The inputs, in time order (changed by `apply_now` and by `step_back` at zero).
    pub inputs: Vec<TimedInput>,
    /// How many trace entries exist up to now.
    pub trace_len: u64,
}

/// A question of [`Placement`], asked of a remote run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PlacementAsk {
    /// [`Placement::nodes`].
    Nodes,
    /// [`Placement::owners`] of a key.
    Owners(String),
    /// [`Placement::last_moved`].
    LastMoved,
    /// [`Placement::last_moves`].
    LastMoves,
    /// [`Placement::slot_of`] a key.
    SlotOf(String),
}

/// [`Placement`]'s answer to a [`PlacementAsk`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum PlacementAnswer {
    /// To [`PlacementAsk::Nodes`].
    Nodes(Vec<String>),
    /// To [`PlacementAsk::Owners`].
    Owners(Option<Vec<String>>),
    /// To [`PlacementAsk::LastMoved`].
    LastMoved(Option<Moved>),
    /// To [`PlacementAsk::LastMoves`].
    LastMoves(Option<Vec<Move>>),
    /// To [`PlacementAsk::SlotOf`].
    SlotOf(Option<SlotOf>),
}

/// Everything [`Balancing`] answers, in one reply (small: the picks are capped at
/// [`crate::models::balancer::KEPT_PICKS`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalancingAnswer {
    /// [`Balancing::picks`].
    pub picks: Vec<PickLine>,
    /// [`Balancing::strategy`].
    pub strategy: String,
    /// [`Balancing::notices`].
    pub notices: Vec<String>,
}

/// The engine side: the runs an engine started, answering calls about them.
pub struct Host {
    runs: BTreeMap<RunId, Box<dyn Simulation>>,
    /// Per run, the shared parts of its frames sent so far ([`shared`]).
    sent: BTreeMap<RunId, shared::Sent>,
    next: RunId,
}

impl Default for Host {
    fn default() -> Self {
        Host::new()
    }
}

fn state_of(run: &dyn Simulation) -> RunState {
    RunState {
        now: run.now(),
        inputs: run.inputs().to_vec(),
        trace_len: run.trace_len(),
    }
}

impl Host {
    /// A host with no runs.
    pub fn new() -> Self {
        Host {
            runs: BTreeMap::new(),
            sent: BTreeMap::new(),
            next: 1,
        }
    }

    /// How many runs it keeps.
    pub fn len(&self) -> usize {
        self.runs.len()
    }

    /// True when it keeps no run.
    pub fn is_empty(&self) -> bool {
        self.runs.is_empty()
    }

    fn started(&mut self, run: Result<Box<dyn Simulation>, BuildError>) -> Reply {
        let run = match run {
            Ok(run) => run,
            Err(e) => return Reply::Failed(e),
        };
        let id = self.next;
        self.next = self.next.wrapping_add(1).max(1);
        let started = Started {
            run: id,
            model: run.model_id().to_string(),
            specs: run.specs().to_vec(),
            actions: run.actions().to_vec(),
            params: run.params().clone(),
            seed: run.seed(),
            until: run.until(),
            placement: placement(run.as_ref()).is_some(),
            balancing: balancing(run.as_ref()).is_some(),
            state: state_of(run.as_ref()),
        };
        self.runs.insert(id, run);
        Reply::Started(started)
    }

    /// Answers one call.
    pub fn call(&mut self, call: Call) -> Reply {
        let id = match &call {
            Call::Start(scenario) => return self.started(crate::registry::start(scenario)),
            Call::StartWith {
                model,
                params,
                seed,
                inputs,
                until,
            } => {
                let run = crate::registry::start_with(
                    model,
                    params.clone(),
                    *seed,
                    inputs.clone(),
                    *until,
                );
                return self.started(run);
            }
            Call::Drop(id) => {
                self.runs.remove(id);
                self.sent.remove(id);
                return Reply::Done;
            }
            Call::Specs(model) => return Reply::Specs(crate::registry::specs(model)),
            Call::Attach(file) => {
                return match crate::cache::attach::attach(file) {
                    Ok(_) => Reply::Done,
                    Err(e) => Reply::Error(format!("the engine could not read the trace: {e}")),
                }
            }
            Call::Seek(id, _)
            | Call::StepForward(id)
            | Call::StepBack(id)
            | Call::ApplyNow(id, _)
            | Call::Frame(id)
            | Call::Metrics(id)
            | Call::Choices(id, _)
            | Call::TraceLines(id)
            | Call::LastTraceLine(id)
            | Call::Digest(id)
            | Call::Placement(id, _)
            | Call::Validate(id) => *id,
            Call::Balancing(id) => *id,
        };
        let Some(run) = self.runs.get_mut(&id) else {
            return Reply::Error(format!("the engine has no run {id}"));
        };
        match call {
            Call::Seek(_, t) => {
                run.seek(t);
                Reply::State(state_of(run.as_ref()))
            }
            Call::StepForward(_) => {
                run.step_forward();
                Reply::State(state_of(run.as_ref()))
            }
            Call::StepBack(_) => {
                run.step_back();
                Reply::State(state_of(run.as_ref()))
            }
            Call::ApplyNow(_, input) => {
                run.apply_now(input);
                Reply::State(state_of(run.as_ref()))
            }
            Call::Frame(_) => Reply::Frame(run.frame()),
            Call::Metrics(_) => Reply::Metrics(run.metrics()),
            Call::Choices(_, action) => Reply::Choices(run.choices(&action)),
            Call::TraceLines(_) => Reply::Lines(run.trace_lines()),
            Call::LastTraceLine(_) => Reply::Line(run.last_trace_line()),
            Call::Digest(_) => Reply::Digest(run.digest()),
            Call::Placement(_, ask) => match placement(run.as_ref()) {
                None => Reply::Error(format!("model {} answers no placement", run.model_id())),
                Some(p) => Reply::Placement(match ask {
                    PlacementAsk::Nodes => PlacementAnswer::Nodes(p.nodes()),
                    PlacementAsk::Owners(key) => PlacementAnswer::Owners(p.owners(&key)),
                    PlacementAsk::LastMoved => PlacementAnswer::LastMoved(p.last_moved()),
                    PlacementAsk::LastMoves => PlacementAnswer::LastMoves(p.last_moves()),
                    PlacementAsk::SlotOf(key) => PlacementAnswer::SlotOf(p.slot_of(&key)),
                }),
            },
            Call::Balancing(_) => match balancing(run.as_ref()) {
                None => Reply::Error(format!("model {} answers no balancing", run.model_id())),
                Some(b) => Reply::Balancing(BalancingAnswer {
                    picks: b.picks().to_vec(),
                    strategy: b.strategy().to_string(),
                    notices: b.notices().to_vec(),
                }),
            },
            #[cfg(feature = "validate")]
            Call::Validate(_) => Reply::Valid(run.validate()),
            #[cfg(not(feature = "validate"))]
            Call::Validate(_) => Reply::Error("this engine was built without validate".into()),
            Call::Start(_)
            | Call::StartWith { .. }
            | Call::Drop(_)
            | Call::Specs(_)
            | Call::Attach(_) => {
                unreachable!()
            }
        }
    }

    /// Answers one call written as JSON with its reply as JSON: what an engine exports.
    /// A frame is written with its run's memo of shared parts ([`shared`]): a part the app has
    /// already read crosses as a reference.
    pub fn call_json(&mut self, call: &str) -> String {
        let call = match serde_json::from_str::<Call>(call) {
            Ok(call) => call,
            Err(e) => {
                return to_json(&Reply::Error(format!(
                    "not a call the engine understands: {e}"
                )))
            }
        };
        let frame_of = match call {
            Call::Frame(id) => Some(id),
            _ => None,
        };
        let reply = self.call(call);
        match (frame_of, &reply) {
            (Some(id), Reply::Frame(_)) => {
                shared::sending(self.sent.entry(id).or_default(), || to_json(&reply))
            }
            _ => to_json(&reply),
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Every type on the wire serialises (no maps with non-string keys); a failure is a bug.
    serde_json::to_string(value).expect("engine values serialise to JSON")
}

/// The app side's view of an engine: carries one call's JSON to its [`Host`] and brings back the
/// reply's JSON, synchronously.
pub trait Engine: 'static {
    /// Answers `call` (a [`Call`] as JSON) with a [`Reply`] as JSON.
    fn call_json(&self, call: &str) -> String;

    /// Starts a run of `scenario` ([`crate::registry::start`], in the engine).
    fn start(self: &Rc<Self>, scenario: &Scenario) -> Result<Box<dyn Simulation>, BuildError>
    where
        Self: Sized,
    {
        RemoteRun::start(self, Call::Start(scenario.clone()))
    }

    /// Starts a run from resolved parameters ([`crate::registry::start_with`], in the engine).
    fn start_with(
        self: &Rc<Self>,
        model: &str,
        params: ParamSet,
        seed: u64,
        inputs: Vec<TimedInput>,
        until: SimTime,
    ) -> Result<Box<dyn Simulation>, BuildError>
    where
        Self: Sized,
    {
        let call = Call::StartWith {
            model: model.to_string(),
            params,
            seed,
            inputs,
            until,
        };
        RemoteRun::start(self, call)
    }
}

/// An engine as the registry's source of the models the app does not link
/// ([`crate::registry::install`]): specs are asked once per model and kept; runs are
/// [`RemoteRun`]s.
pub struct RemoteModels<E: Engine> {
    engine: Rc<E>,
    specs: RefCell<BTreeMap<String, Option<Vec<ParamSpec>>>>,
}

impl<E: Engine> RemoteModels<E> {
    /// The models `engine` runs.
    pub fn new(engine: Rc<E>) -> Self {
        RemoteModels {
            engine,
            specs: RefCell::default(),
        }
    }
}

impl<E: Engine> crate::registry::Models for RemoteModels<E> {
    fn specs(&self, model: &str) -> Option<Vec<ParamSpec>> {
        if let Some(known) = self.specs.borrow().get(model) {
            return known.clone();
        }
        let call = Call::Specs(model.to_string());
        let specs = match ask(self.engine.as_ref(), &call) {
            Reply::Specs(specs) => specs,
            other => mismatch(&call, &other),
        };
        self.specs
            .borrow_mut()
            .insert(model.to_string(), specs.clone());
        specs
    }

    fn start_with(
        &self,
        model: &str,
        params: ParamSet,
        seed: u64,
        inputs: Vec<TimedInput>,
        until: SimTime,
    ) -> Result<Box<dyn Simulation>, BuildError> {
        self.engine.start_with(model, params, seed, inputs, until)
    }

    fn attach(&self, file: &crate::cache::attach::TraceFile) {
        // The app parsed the same bytes already, so the engine cannot fail where it did not.
        match ask(self.engine.as_ref(), &Call::Attach(file.clone())) {
            Reply::Done => {}
            other => panic!("the engine answered {other:?} to the trace {:?}", file.name),
        }
    }
}

fn ask<E: Engine>(engine: &E, call: &Call) -> Reply {
    let reply = engine.call_json(&to_json(call));
    serde_json::from_str(&reply)
        .unwrap_or_else(|e| panic!("the engine's reply to {call:?} is not a reply ({e}): {reply}"))
}

#[track_caller]
fn mismatch(call: &Call, reply: &Reply) -> ! {
    panic!("the engine answered {reply:?} to {call:?}")
}

/// The parts of a remote run read after a change, each fetched once.
#[derive(Default)]
struct Fetched {
    frame: Option<Frame>,
    metrics: Option<Metrics>,
    digest: Option<u64>,
}

/// A run in an engine, seen as a [`Simulation`]: see the module docs.
pub struct RemoteRun<E: Engine> {
    engine: Rc<E>,
    run: RunId,
    model: &'static str,
    specs: Vec<ParamSpec>,
    actions: Vec<ActionSpec>,
    params: ParamSet,
    seed: u64,
    until: SimTime,
    state: RunState,
    fetched: RefCell<Fetched>,
    /// The shared parts of its frames read so far ([`shared`]).
    received: RefCell<shared::Received>,
    queries: QueryTable,
    families: RemoteFamilies<E>,
}

/// What a remote run's family queries are asked of (its [`Simulation::model_any`], which the
/// query table casts).
struct RemoteFamilies<E: Engine> {
    placement: RemotePlacement<E>,
    balancing: RemoteBalancing<E>,
}

impl<E: Engine> RemoteRun<E> {
    fn start(engine: &Rc<E>, call: Call) -> Result<Box<dyn Simulation>, BuildError> {
        let s = match ask(engine.as_ref(), &call) {
            Reply::Started(s) => s,
            Reply::Failed(e) => return Err(e),
            other => mismatch(&call, &other),
        };
        let mut queries = Queries::<RemoteFamilies<E>>::new();
        if s.placement {
            queries = queries.with::<dyn Placement>(|f| &f.placement);
        }
        if s.balancing {
            queries = queries.with::<dyn Balancing>(|f| &f.balancing);
        }
        Ok(Box::new(RemoteRun {
            engine: engine.clone(),
            run: s.run,
            model: crate::wire::intern(&s.model),
            specs: s.specs,
            actions: s.actions,
            params: s.params,
            seed: s.seed,
            until: s.until,
            state: s.state,
            fetched: RefCell::default(),
            received: RefCell::default(),
            queries: queries.into(),
            families: RemoteFamilies {
                placement: RemotePlacement {
                    engine: engine.clone(),
                    run: s.run,
                },
                balancing: RemoteBalancing {
                    engine: engine.clone(),
                    run: s.run,
                    answer: OnceCell::new(),
                },
            },
        }))
    }

    fn ask(&self, call: &Call) -> Reply {
        ask(self.engine.as_ref(), call)
    }

    fn moved(&mut self, call: Call) {
        match self.ask(&call) {
            Reply::State(state) => {
                self.state = state;
                self.fetched = RefCell::default();
                self.families.balancing.answer = OnceCell::new();
            }
            other => mismatch(&call, &other),
        }
    }
}

impl<E: Engine> Drop for RemoteRun<E> {
    fn drop(&mut self) {
        // An engine that no longer knows the run has nothing to free: the reply does not matter.
        let _ = self.engine.call_json(&to_json(&Call::Drop(self.run)));
    }
}

impl<E: Engine> Simulation for RemoteRun<E> {
    fn model_id(&self) -> &'static str {
        self.model
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
        self.state.now
    }
    fn until(&self) -> SimTime {
        self.until
    }
    fn inputs(&self) -> &[TimedInput] {
        &self.state.inputs
    }
    fn scenario(&self) -> Scenario {
        crate::engine::scenario_of(
            self.model,
            self.seed,
            self.until,
            &self.params,
            &self.specs,
            &self.state.inputs,
        )
    }
    fn seek(&mut self, t: SimTime) {
        self.moved(Call::Seek(self.run, t));
    }
    fn step_forward(&mut self) -> SimTime {
        self.moved(Call::StepForward(self.run));
        self.state.now
    }
    fn step_back(&mut self) -> SimTime {
        self.moved(Call::StepBack(self.run));
        self.state.now
    }
    fn apply_now(&mut self, input: Input) {
        self.moved(Call::ApplyNow(self.run, input));
    }
    fn frame(&self) -> Frame {
        if let Some(f) = &self.fetched.borrow().frame {
            return f.clone();
        }
        let call = Call::Frame(self.run);
        // Read with this run's memo of shared parts (`wire::shared`), as the host wrote it.
        let reply = self.engine.call_json(&to_json(&call));
        let parsed = shared::receiving(&mut self.received.borrow_mut(), || {
            serde_json::from_str::<Reply>(&reply)
        });
        let frame = match parsed {
            Ok(Reply::Frame(f)) => f,
            Ok(other) => mismatch(&call, &other),
            Err(e) => panic!("the engine's reply to {call:?} is not a reply ({e}): {reply}"),
        };
        self.fetched.borrow_mut().frame = Some(frame.clone());
        frame
    }
    fn metrics(&self) -> Metrics {
        if let Some(m) = &self.fetched.borrow().metrics {
            return m.clone();
        }
        let call = Call::Metrics(self.run);
        let metrics = match self.ask(&call) {
            Reply::Metrics(m) => m,
            other => mismatch(&call, &other),
        };
        self.fetched.borrow_mut().metrics = Some(metrics.clone());
        metrics
    }
    fn choices(&self, action: &str) -> Vec<Choice> {
        let call = Call::Choices(self.run, action.to_string());
        match self.ask(&call) {
            Reply::Choices(c) => c,
            other => mismatch(&call, &other),
        }
    }
    fn model_any(&self) -> &dyn Any {
        &self.families
    }
    fn queries(&self) -> &QueryTable {
        &self.queries
    }
    fn trace_lines(&self) -> Vec<TraceLine> {
        let call = Call::TraceLines(self.run);
        match self.ask(&call) {
            Reply::Lines(l) => l,
            other => mismatch(&call, &other),
        }
    }
    fn last_trace_line(&self) -> Option<TraceLine> {
        let call = Call::LastTraceLine(self.run);
        match self.ask(&call) {
            Reply::Line(l) => l,
            other => mismatch(&call, &other),
        }
    }
    fn trace_len(&self) -> u64 {
        self.state.trace_len
    }
    fn digest(&self) -> u64 {
        if let Some(d) = self.fetched.borrow().digest {
            return d;
        }
        let call = Call::Digest(self.run);
        let digest = match self.ask(&call) {
            Reply::Digest(d) => d,
            other => mismatch(&call, &other),
        };
        self.fetched.borrow_mut().digest = Some(digest);
        digest
    }
    #[cfg(feature = "validate")]
    fn validate(&self) -> Result<(), String> {
        let call = Call::Validate(self.run);
        match self.ask(&call) {
            Reply::Valid(v) => v,
            Reply::Error(e) => Err(e),
            other => mismatch(&call, &other),
        }
    }
}

/// A remote run's answers to [`Placement`], each a call to its engine (what
/// [`RemoteRun::model_any`](Simulation::model_any) returns for the query table to cast).
pub struct RemotePlacement<E: Engine> {
    engine: Rc<E>,
    run: RunId,
}

impl<E: Engine> RemotePlacement<E> {
    fn ask(&self, ask: PlacementAsk) -> PlacementAnswer {
        let call = Call::Placement(self.run, ask);
        match super::remote::ask(self.engine.as_ref(), &call) {
            Reply::Placement(a) => a,
            other => mismatch(&call, &other),
        }
    }
}

impl<E: Engine> Placement for RemotePlacement<E> {
    fn nodes(&self) -> Vec<String> {
        match self.ask(PlacementAsk::Nodes) {
            PlacementAnswer::Nodes(n) => n,
            other => panic!("the engine answered {other:?} to Nodes"),
        }
    }
    fn owners(&self, key: &str) -> Option<Vec<String>> {
        match self.ask(PlacementAsk::Owners(key.to_string())) {
            PlacementAnswer::Owners(o) => o,
            other => panic!("the engine answered {other:?} to Owners"),
        }
    }
    fn last_moved(&self) -> Option<Moved> {
        match self.ask(PlacementAsk::LastMoved) {
            PlacementAnswer::LastMoved(m) => m,
            other => panic!("the engine answered {other:?} to LastMoved"),
        }
    }
    fn last_moves(&self) -> Option<Vec<Move>> {
        match self.ask(PlacementAsk::LastMoves) {
            PlacementAnswer::LastMoves(m) => m,
            other => panic!("the engine answered {other:?} to LastMoves"),
        }
    }
    fn slot_of(&self, key: &str) -> Option<SlotOf> {
        match self.ask(PlacementAsk::SlotOf(key.to_string())) {
            PlacementAnswer::SlotOf(s) => s,
            other => panic!("the engine answered {other:?} to SlotOf"),
        }
    }
}

/// A remote run's answers to [`Balancing`]: one call fetches them all when first read after the
/// run moved (the trait hands out references, so they are kept until the next move).
pub struct RemoteBalancing<E: Engine> {
    engine: Rc<E>,
    run: RunId,
    answer: OnceCell<BalancingAnswer>,
}

impl<E: Engine> RemoteBalancing<E> {
    fn answer(&self) -> &BalancingAnswer {
        self.answer.get_or_init(|| {
            let call = Call::Balancing(self.run);
            match ask(self.engine.as_ref(), &call) {
                Reply::Balancing(a) => a,
                other => mismatch(&call, &other),
            }
        })
    }
}

impl<E: Engine> Balancing for RemoteBalancing<E> {
    fn picks(&self) -> &[PickLine] {
        &self.answer().picks
    }
    fn strategy(&self) -> &str {
        &self.answer().strategy
    }
    fn notices(&self) -> &[String] {
        &self.answer().notices
    }
}

/// An engine in the same process: a [`Host`] behind the JSON wire, for tests (every model
/// through the whole wire, natively and as wasm) and anything else that wants a remote run
/// without a second wasm.
#[derive(Default)]
pub struct Loopback {
    host: RefCell<Host>,
}

impl Loopback {
    /// A loopback engine with no runs, ready to start them.
    pub fn new() -> Rc<Self> {
        Rc::new(Loopback::default())
    }

    /// How many runs its host keeps (a dropped [`RemoteRun`] frees its run).
    pub fn runs(&self) -> usize {
        self.host.borrow().len()
    }
}

impl Engine for Loopback {
    fn call_json(&self, call: &str) -> String {
        self.host.borrow_mut().call_json(call)
    }
}
