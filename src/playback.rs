//! Per-lesson playback: one reducer that wraps the lesson's run (`Box<dyn Simulation>`).
//!
//! The run lives in an `Rc<RefCell<…>>` shared by every state value; each action mutates it in
//! place and bumps [`Playback::version`], so a new state is a cheap clone and views memoise on the
//! version. Nothing here simulates: every change goes through the [`Simulation`] trait.

use crate::route::{self, LessonRoute};
use sim::compare::Comparison;
use sim::engine::Simulation;
use sim::lesson::Lesson;
use sim::params::ParamSet;
use sim::registry;
use sim::scenario::{Input, TimedInput};
use sim::sweep::SweepDef;
use sim::time::SimTime;
use std::cell::{Ref, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::Reducible;

/// The speeds the speed control offers.
pub const SPEEDS: &[f64] = &[0.25, 0.5, 1.0, 2.0, 4.0];

/// Longest wall-clock gap one tick may cover (a background tab must not jump the run to its end).
const MAX_TICK_MS: f64 = 100.0;

/// What the learner can do to a run.
#[derive(Clone, Debug, PartialEq)]
pub enum PlaybackAction {
    /// Start the clock (from the start if at the end).
    Play,
    /// Stop the clock.
    Pause,
    /// Play or pause.
    TogglePlay,
    /// Advance by this much wall-clock time (milliseconds) times the speed.
    Tick(f64),
    /// Pause and move to the next input or event.
    StepForward,
    /// Pause and move back before the last input or event.
    StepBack,
    /// Move to a time.
    Seek(SimTime),
    /// Change the speed.
    SetSpeed(f64),
    /// Change one parameter (as text); the run is rebuilt keeping seed, inputs and time.
    SetParam(String, String),
    /// Change the seed; the run is rebuilt keeping parameters, inputs and time.
    SetSeed(u64),
    /// Apply an input now (forks the timeline).
    Apply(Input),
    /// Back to time zero.
    Restart,
    /// Load one of the lesson's presets, at time zero, paused.
    LoadPreset(String),
    /// Hide the message about the last refused input.
    DismissActionError,
    /// Turn compare mode on with these variants (empty: all of them), or off (`None`).
    SetCompare(Option<Vec<String>>),
    /// Show a guided step (from 0) and load its setup, at time zero, paused.
    GoToStep(usize),
    /// The next guided step (as [`PlaybackAction::GoToStep`]), if there is one.
    NextStep,
    /// The previous guided step, if there is one.
    PrevStep,
    /// Load the current step's setup and play it, pausing just after its key event.
    TryStep,
    /// Play a question's run (by id) in the diagram: from just before its actions to the moment
    /// its answer is read.
    CheckQuestion(String),
    /// Show this sweep (`None`: none) over the current run.
    SetSweep(Option<SweepDef>),
    /// Show one of the lesson's declared sweeps (by id) and load its setup, at time zero, paused.
    LoadSweep(String),
}

/// The state of one lesson's playback.
#[derive(Clone)]
pub struct Playback {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    sim: Rc<RefCell<Box<dyn Simulation>>>,
    /// Bumped on every change to the run.
    pub version: u64,
    /// Whether the clock runs.
    pub playing: bool,
    /// Simulated seconds per wall-clock second.
    pub speed: f64,
    /// The preset the run was loaded from; cleared when a parameter or the seed changes (the run
    /// is then no longer the preset's), kept across interventions.
    pub preset: Option<String>,
    /// Parameter name → why the last value typed for it was refused.
    pub param_errors: Rc<BTreeMap<String, String>>,
    /// Why the last input was refused, if it was.
    pub action_error: Option<Rc<str>>,
    /// Fractional microseconds the clock has advanced beyond `now` (ticks are sub-microsecond).
    carry_us: f64,
    /// Compare mode: the lesson's variants following this run, if it is on.
    pub compare: Option<Rc<RefCell<Comparison>>>,
    /// A loop `(start, end)` (embeds): playing past `end` jumps back to `start` and keeps playing.
    pub loop_range: Option<(SimTime, SimTime)>,
    /// The guided step shown (from 0).
    pub step: usize,
    /// Where the clock stops by itself ("Try it" and "Check" play up to a moment, then pause).
    pub pause_at: Option<SimTime>,
    /// The question whose run the diagram shows, if the last thing loaded was one.
    pub checking: Option<Rc<str>>,
    /// The sweep shown under the run, if any: its definition (the panel runs it over this run).
    pub sweep: Option<Rc<SweepDef>>,
}

impl PartialEq for Playback {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.sim, &other.sim)
            && self.version == other.version
            && self.playing == other.playing
            && self.speed == other.speed
            && self.preset == other.preset
            && self.param_errors == other.param_errors
            && self.action_error == other.action_error
            && self.loop_range == other.loop_range
            && self.step == other.step
            && self.pause_at == other.pause_at
            && self.checking == other.checking
            && self.sweep == other.sweep
            && match (&self.compare, &other.compare) {
                (None, None) => true,
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                _ => false,
            }
    }
}

fn until_of(lesson: &Lesson) -> SimTime {
    SimTime::from_ms(lesson.until_ms)
}

impl Playback {
    /// Starts the run a lesson URL describes. If its parameters do not build (a text parameter
    /// the model rejects), the lesson's defaults are used and the reason is returned as a notice.
    pub fn from_route(
        lesson: Rc<Lesson>,
        route: &LessonRoute,
    ) -> Result<(Playback, Vec<String>), String> {
        let mut notices = Vec::new();
        let until = until_of(&lesson);
        let sim = match registry::start_with(
            &lesson.model,
            route.params.clone(),
            route.seed,
            route.inputs.clone(),
            until,
        ) {
            Ok(s) => s,
            Err(e) => {
                notices.push(format!("{e}; using the lesson's defaults"));
                registry::start_with(
                    &lesson.model,
                    lesson.default_params(),
                    route.seed,
                    route.inputs.clone(),
                    until,
                )
                .map_err(|e| format!("lesson {} does not start: {e}", lesson.id))?
            }
        };
        let p = Playback {
            lesson,
            sim: Rc::new(RefCell::new(sim)),
            version: 0,
            playing: false,
            speed: 1.0,
            preset: route.preset.clone(),
            param_errors: Rc::default(),
            action_error: None,
            carry_us: 0.0,
            compare: None,
            loop_range: None,
            step: route.step.map_or(0, |n| n as usize - 1),
            pause_at: None,
            checking: None,
            sweep: route.sweep.clone().map(Rc::new),
        };
        p.sim.borrow_mut().seek(route.t);
        let mut p = p;
        p.set_compare(route.compare.clone());
        notices.extend(
            p.sim()
                .trace_lines()
                .iter()
                .filter(|l| l.rejected)
                .map(|l| format!("at {}: {}", l.time, l.text)),
        );
        Ok((p, notices))
    }

    /// The same playback looping between `start` and `end` (clamped to the run), moved to
    /// `start` if it stands outside the loop.
    pub fn with_loop(mut self, start: SimTime, end: SimTime) -> Self {
        let end = end.min(self.until());
        if start < end {
            self.loop_range = Some((start, end));
            let now = self.now();
            if now < start || now >= end {
                self.sim.borrow_mut().seek(start);
            }
        }
        self
    }

    /// The run, for reading.
    pub fn sim(&self) -> Ref<'_, Box<dyn Simulation>> {
        self.sim.borrow()
    }

    /// The current simulated time.
    pub fn now(&self) -> SimTime {
        self.sim().now()
    }

    /// The end of the timeline.
    pub fn until(&self) -> SimTime {
        self.sim().until()
    }

    /// The URL hash that reproduces this run at this moment.
    pub fn share_hash(&self) -> String {
        self.hash_at(self.now())
    }

    /// The same hash without the time: it changes only when the run itself changes.
    pub fn run_key(&self) -> String {
        self.hash_at(SimTime::ZERO)
    }

    fn hash_at(&self, t: SimTime) -> String {
        let sim = self.sim();
        let mut hash = route::lesson_hash(&self.lesson, sim.params(), sim.seed(), sim.inputs(), t);
        let ids = self.compare.as_ref().map(|c| c.borrow().ids());
        hash.push_str(&route::compare_field(&self.lesson, ids.as_deref()));
        hash.push_str(&route::step_field(self.step));
        hash.push_str(&route::sweep_field(&self.lesson, self.sweep.as_deref()));
        hash
    }

    /// The variants shown in compare mode, if it is on.
    pub fn compare_ids(&self) -> Option<Vec<String>> {
        self.compare.as_ref().map(|c| c.borrow().ids())
    }

    /// Turns compare mode on with these variants (empty: all), or off.
    fn set_compare(&mut self, ids: Option<Vec<String>>) {
        self.compare = match ids {
            Some(ids) if !self.lesson.compare.is_empty() => {
                let mut c = Comparison::new(&self.lesson, &ids);
                c.sync(self.sim().as_ref());
                Some(Rc::new(RefCell::new(c)))
            }
            _ => None,
        };
    }

    fn rebuild(&mut self, params: ParamSet, seed: u64) -> Result<(), String> {
        let (inputs, now): (Vec<TimedInput>, SimTime) = {
            let s = self.sim();
            (s.inputs().to_vec(), s.now())
        };
        let mut run = registry::start_with(
            &self.lesson.model,
            params,
            seed,
            inputs,
            until_of(&self.lesson),
        )
        .map_err(|e| e.to_string())?;
        run.seek(now);
        *self.sim.borrow_mut() = run;
        Ok(())
    }

    /// Replaces the run with a scenario's, paused at time zero; `preset` is the preset it is (if
    /// any). False (and the reason noted) if it does not build.
    fn load(&mut self, scenario: &sim::scenario::Scenario, preset: Option<String>) -> bool {
        match registry::start(scenario) {
            Ok(run) => {
                *self.sim.borrow_mut() = run;
                self.preset = preset;
                self.playing = false;
                self.pause_at = None;
                self.checking = None;
                self.carry_us = 0.0;
                self.param_errors = Rc::default();
                self.action_error = None;
                true
            }
            Err(e) => {
                self.action_error = Some(e.to_string().into());
                false
            }
        }
    }

    /// Loads step `index`'s setup (its preset, or the lesson's defaults).
    fn load_step(&mut self, index: usize) -> bool {
        let Ok(scenario) = self.lesson.step_scenario(index) else {
            return false;
        };
        let preset = self.lesson.steps[index].preset.clone();
        self.step = index;
        self.load(&scenario, preset)
    }

    /// Starts the clock towards `until` (it pauses there by itself).
    fn play_to(&mut self, until: SimTime) {
        self.pause_at = Some(until);
        self.playing = true;
        self.carry_us = 0.0;
    }

    /// Records why the input just applied was refused, if the newest trace line says so.
    fn note_rejection(&mut self) {
        let text = self
            .sim()
            .last_trace_line()
            .filter(|l| l.rejected)
            .map(|l| l.text);
        if let Some(text) = text {
            self.action_error = Some(text.into());
        }
    }

    fn set_param(&mut self, name: &str, text: &str) {
        let mut errors = (*self.param_errors).clone();
        let (specs, mut params, seed) = {
            let s = self.sim();
            (s.specs().to_vec(), s.params().clone(), s.seed())
        };
        match params.set(&specs, name, text) {
            Err(e) => {
                errors.insert(name.to_string(), e.to_string());
            }
            Ok(()) if Some(params.get(name)) == Some(self.sim().params().get(name)) => {
                errors.remove(name);
            }
            Ok(()) => match self.rebuild(params, seed) {
                Ok(()) => {
                    errors.remove(name);
                    self.preset = None;
                }
                Err(msg) => {
                    errors.insert(name.to_string(), msg);
                }
            },
        }
        self.param_errors = Rc::new(errors);
    }
}

impl Reducible for Playback {
    type Action = PlaybackAction;

    fn reduce(self: Rc<Self>, action: PlaybackAction) -> Rc<Self> {
        use PlaybackAction as A;
        let mut next = (*self).clone();
        match action {
            A::Play | A::TogglePlay if !self.playing => {
                match next.loop_range {
                    Some((start, end)) if next.now() >= end => next.sim.borrow_mut().seek(start),
                    _ if next.now() >= next.until() => next.sim.borrow_mut().seek(SimTime::ZERO),
                    _ => {}
                }
                next.playing = true;
                next.carry_us = 0.0;
            }
            A::Play => return self,
            A::Pause | A::TogglePlay => {
                if !self.playing {
                    return self;
                }
                next.playing = false;
                next.pause_at = None;
            }
            A::Tick(wall_ms) => {
                if !self.playing || wall_ms.is_nan() || wall_ms <= 0.0 {
                    return self;
                }
                let advance = wall_ms.min(MAX_TICK_MS) * 1_000.0 * next.speed + next.carry_us;
                let whole = advance.floor();
                next.carry_us = advance - whole;
                let target = next.now().plus_us(whole as u64);
                if let Some(stop) = next.pause_at.filter(|&p| target >= p) {
                    next.sim.borrow_mut().seek(stop);
                    next.playing = false;
                    next.pause_at = None;
                    next.carry_us = 0.0;
                    next.version += 1;
                    return Rc::new(next);
                }
                let until = next.until();
                match next.loop_range {
                    Some((start, end)) if target >= end => {
                        next.sim.borrow_mut().seek(start);
                        next.carry_us = 0.0;
                    }
                    _ => {
                        next.sim.borrow_mut().seek(target.min(until));
                        if target >= until {
                            next.playing = false;
                        }
                    }
                }
            }
            A::StepForward => {
                next.playing = false;
                next.pause_at = None;
                next.sim.borrow_mut().step_forward();
            }
            A::StepBack => {
                next.playing = false;
                next.pause_at = None;
                next.sim.borrow_mut().step_back();
            }
            A::Seek(t) => {
                next.sim.borrow_mut().seek(t);
                next.carry_us = 0.0;
            }
            A::SetSpeed(s) => {
                if s.is_nan() || s <= 0.0 || s == self.speed {
                    return self;
                }
                next.speed = s;
            }
            A::SetParam(name, text) => next.set_param(&name, &text),
            A::SetSeed(seed) => {
                if seed == self.sim().seed() {
                    return self;
                }
                let params = next.sim().params().clone();
                match next.rebuild(params, seed) {
                    Ok(()) => next.preset = None,
                    Err(e) => next.action_error = Some(e.into()),
                }
            }
            A::Apply(input) => {
                // Inputs are written to URLs in whole milliseconds; apply at one so a reload
                // replays exactly this run.
                let (now, before, params, seed) = {
                    let s = next.sim();
                    (s.now(), s.inputs().to_vec(), s.params().clone(), s.seed())
                };
                let aligned = SimTime::from_ms(now.as_ms());
                if aligned != now {
                    next.sim.borrow_mut().seek(aligned);
                }
                next.sim.borrow_mut().apply_now(input);
                next.action_error = None;
                next.note_rejection();
                if next.action_error.is_some() {
                    // A refused input changes nothing: not the run, not its future, not the URL.
                    let until = until_of(&next.lesson);
                    if let Ok(mut run) =
                        registry::start_with(&next.lesson.model, params, seed, before, until)
                    {
                        run.seek(now);
                        *next.sim.borrow_mut() = run;
                    }
                }
            }
            A::Restart => {
                next.sim.borrow_mut().seek(SimTime::ZERO);
                next.pause_at = None;
                next.carry_us = 0.0;
            }
            A::LoadPreset(id) => {
                let Ok(scenario) = next.lesson.scenario(Some(&id)) else {
                    return self;
                };
                next.load(&scenario, Some(id));
            }
            A::GoToStep(index) => {
                if index >= next.lesson.steps.len() || !next.load_step(index) {
                    return self;
                }
            }
            A::NextStep => {
                let index = next.step + 1;
                if index >= next.lesson.steps.len() || !next.load_step(index) {
                    return self;
                }
            }
            A::PrevStep => {
                if next.step == 0 || !next.load_step(next.step - 1) {
                    return self;
                }
            }
            A::TryStep => {
                let index = next.step;
                if !next.load_step(index) {
                    return self;
                }
                let stop = next.lesson.step_pause(index);
                next.play_to(stop);
            }
            A::CheckQuestion(id) => {
                let lesson = next.lesson.clone();
                let Some(q) = lesson.questions.iter().find(|q| q.id == id) else {
                    return self;
                };
                let Ok(run) = lesson.question_run(q) else {
                    return self;
                };
                let preset = q.actions.is_empty().then(|| q.preset.clone()).flatten();
                if !next.load(&run.scenario, preset) {
                    return self;
                }
                // Play from a moment before the actions (or before the end when there are none)
                // to the moment the answer is read.
                let start =
                    SimTime::from_us(run.at.as_us().saturating_sub(sim::lesson::SETTLE.as_us()));
                next.sim.borrow_mut().seek(start);
                next.play_to(run.read);
                next.checking = Some(id.into());
            }
            A::DismissActionError => {
                if self.action_error.is_none() {
                    return self;
                }
                next.action_error = None;
            }
            A::SetCompare(ids) => {
                if ids.is_none() && self.compare.is_none() {
                    return self;
                }
                next.set_compare(ids);
            }
            A::SetSweep(def) => {
                let def = def.map(Rc::new);
                if def == self.sweep {
                    return self;
                }
                next.sweep = def;
            }
            A::LoadSweep(id) => {
                let lesson = next.lesson.clone();
                let Some(def) = lesson.sweeps.iter().find(|d| d.id == id) else {
                    return self;
                };
                let Ok(scenario) = lesson.scenario(def.preset.as_deref()) else {
                    return self;
                };
                if !next.load(&scenario, def.preset.clone()) {
                    return self;
                }
                next.sweep = Some(Rc::new(def.clone()));
            }
        }
        // Compare mode's columns follow the run: rebuilt when its seed, parameters or inputs
        // changed, moved to its time otherwise.
        if let Some(c) = &next.compare {
            c.borrow_mut().sync(next.sim().as_ref());
        }
        next.version += 1;
        Rc::new(next)
    }
}

/// The run's parameter specs and actions, read once per page (they never change during a run),
/// as shared slices so the panels that take them compare equal between frames.
#[yew::hook]
pub fn use_run_specs(
    pb: &Rc<Playback>,
) -> (Rc<[sim::params::ParamSpec]>, Rc<[sim::model::ActionSpec]>) {
    let specs = {
        let pb = pb.clone();
        (*yew::use_memo((), move |_| -> Rc<[sim::params::ParamSpec]> {
            pb.sim().specs().to_vec().into()
        }))
        .clone()
    };
    let actions = {
        let pb = pb.clone();
        (*yew::use_memo((), move |_| -> Rc<[sim::model::ActionSpec]> {
            pb.sim().actions().to_vec().into()
        }))
        .clone()
    };
    (specs, actions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::params::ParamValue;

    fn start(hash: &str) -> Rc<Playback> {
        let parsed = route::parse(hash, crate::lessons::find);
        let route::Route::Lesson(r) = parsed.route else {
            panic!("not a lesson route")
        };
        let lesson = crate::lessons::find(&r.id).unwrap();
        Rc::new(Playback::from_route(lesson, &r).unwrap().0)
    }

    fn metric(p: &Playback, id: &str) -> Option<f64> {
        p.sim().metrics().get(id).and_then(|v| v.as_f64())
    }

    /// The servers keys are placed on now.
    fn nodes(p: &Playback) -> Vec<String> {
        sim::models::sharding::placement(p.sim().as_ref())
            .unwrap()
            .nodes()
    }

    #[test]
    fn starts_paused_at_the_url_time() {
        let p = start("#/lesson/consistent-hashing?t=2500");
        assert!(!p.playing);
        assert_eq!(p.now(), SimTime::from_ms(2_500));
    }

    #[test]
    fn ticks_advance_by_wall_time_times_speed_and_stop_at_the_end() {
        let p = start("#/lesson/consistent-hashing");
        let p = p.reduce(PlaybackAction::SetSpeed(2.0));
        let p = p.reduce(PlaybackAction::Tick(16.0));
        assert_eq!(p.now(), SimTime::ZERO, "paused: ticks do nothing");
        let p = p.reduce(PlaybackAction::Play);
        let p = p.reduce(PlaybackAction::Tick(50.0));
        assert_eq!(p.now(), SimTime::from_ms(100));
        let mut p = p;
        for _ in 0..200 {
            p = p.reduce(PlaybackAction::Tick(100.0));
        }
        assert_eq!(p.now(), p.until());
        assert!(!p.playing, "stops at the end");
        let p = p.reduce(PlaybackAction::TogglePlay);
        assert!(p.playing);
        assert_eq!(p.now(), SimTime::ZERO, "play at the end starts over");
    }

    #[test]
    fn a_loop_wraps_back_to_its_start_and_keeps_playing() {
        let p = Rc::new(
            (*start("#/lesson/consistent-hashing?t=200"))
                .clone()
                .with_loop(SimTime::from_ms(1_000), SimTime::from_ms(1_500)),
        );
        assert_eq!(p.now(), SimTime::from_ms(1_000), "moved into the loop");
        let mut p = p.reduce(PlaybackAction::Play);
        let mut laps = 0;
        let mut latest = p.now();
        for _ in 0..40 {
            p = p.reduce(PlaybackAction::Tick(100.0));
            assert!(p.playing, "a loop never stops");
            assert!(
                p.now() >= SimTime::from_ms(1_000) && p.now() < SimTime::from_ms(1_500),
                "inside the loop: {}",
                p.now()
            );
            if p.now() < latest {
                laps += 1;
                assert_eq!(
                    p.now(),
                    SimTime::from_ms(1_000),
                    "a lap starts at the start"
                );
            }
            latest = p.now();
        }
        assert!(
            laps >= 5,
            "40 ticks of 100 ms over a 500 ms loop: {laps} laps"
        );
        // Scrubbed past the end and played again: back to the loop's start.
        let p = p.reduce(PlaybackAction::Pause);
        let p = p.reduce(PlaybackAction::Seek(SimTime::from_ms(9_000)));
        let p = p.reduce(PlaybackAction::Play);
        assert_eq!(p.now(), SimTime::from_ms(1_000));
    }

    #[test]
    fn a_loop_to_the_end_of_the_run_keeps_playing() {
        let p = (*start("#/lesson/consistent-hashing"))
            .clone()
            .with_loop(SimTime::from_ms(9_000), SimTime::from_ms(60_000));
        assert_eq!(p.loop_range.map(|l| l.1), Some(p.until()), "clamped");
        let mut p = Rc::new(p).reduce(PlaybackAction::Play);
        for _ in 0..30 {
            p = p.reduce(PlaybackAction::Tick(100.0));
        }
        assert!(p.playing);
        assert!(p.now() >= SimTime::from_ms(9_000) && p.now() < p.until());
    }

    #[test]
    fn set_param_keeps_time_and_reports_bad_values() {
        let p = start("#/lesson/consistent-hashing?t=3000&do=1000:remove-server:B");
        let before = p.sim().digest();
        let p = p.reduce(PlaybackAction::SetParam("vnodes".into(), "100".into()));
        assert_eq!(p.now(), SimTime::from_ms(3_000));
        assert_eq!(p.sim().params().get("vnodes"), Some(&ParamValue::Int(100)));
        assert_eq!(p.sim().inputs().len(), 1, "inputs survive a rebuild");
        assert_ne!(p.sim().digest(), before);
        let p = p.reduce(PlaybackAction::SetParam("vnodes".into(), "abc".into()));
        assert!(p.param_errors["vnodes"].contains("abc"));
        assert_eq!(
            p.sim().params().get("vnodes"),
            Some(&ParamValue::Int(100)),
            "the old value stays"
        );
        let p = p.reduce(PlaybackAction::SetParam("servers".into(), "A,A".into()));
        assert!(
            p.param_errors.contains_key("servers"),
            "a value the model refuses is reported too"
        );
        let p = p.reduce(PlaybackAction::SetParam("vnodes".into(), "50".into()));
        assert!(!p.param_errors.contains_key("vnodes"));
    }

    #[test]
    fn apply_forks_and_step_back_undoes() {
        let p = start("#/lesson/consistent-hashing");
        assert_eq!(metric(&p, "moved_keys"), None);
        let p = p.reduce(PlaybackAction::Apply(Input::new(
            "remove-server",
            Some("B"),
        )));
        assert!(metric(&p, "moved_keys").unwrap() > 0.0);
        assert!(!nodes(&p).contains(&"B".to_string()));
        assert_eq!(
            p.share_hash(),
            "#/lesson/consistent-hashing?v=1&do=0:remove-server:B&t=0"
        );
        let p = p.reduce(PlaybackAction::StepBack);
        assert!(nodes(&p).contains(&"B".to_string()));
        assert_eq!(metric(&p, "moved_keys"), None);
        // At time zero the undone input leaves the timeline, so the link shows what is on screen.
        assert_eq!(p.share_hash(), "#/lesson/consistent-hashing?v=1&t=0");
    }

    #[test]
    fn apply_mid_millisecond_aligns_to_the_millisecond_so_the_url_replays_it() {
        let p = start("#/lesson/consistent-hashing");
        let p = p.reduce(PlaybackAction::Seek(SimTime::from_us(1_234_567)));
        let p = p.reduce(PlaybackAction::Apply(Input::new(
            "remove-server",
            Some("A"),
        )));
        let digest = p.sim().digest();
        let again = start(&p.share_hash());
        assert_eq!(again.sim().digest(), digest);
    }

    #[test]
    fn refused_inputs_are_reported_and_change_nothing() {
        let p = start("#/lesson/consistent-hashing?do=5000:remove-server:A&t=2500.5");
        let (hash, digest) = (p.share_hash(), p.sim().digest());
        let p = p.reduce(PlaybackAction::Apply(Input::new(
            "remove-server",
            Some("Z"),
        )));
        assert!(p.action_error.is_some());
        assert_eq!(
            p.share_hash(),
            hash,
            "the refused input is not kept, and the later one survives"
        );
        assert_eq!(p.sim().digest(), digest);
        let p = p.reduce(PlaybackAction::DismissActionError);
        assert!(p.action_error.is_none());
    }

    #[test]
    fn presets_load_at_time_zero() {
        let p = start("#/lesson/consistent-hashing?t=5000");
        let p = p.reduce(PlaybackAction::LoadPreset("virtual-nodes".into()));
        assert_eq!(p.now(), SimTime::ZERO);
        assert_eq!(p.preset.as_deref(), Some("virtual-nodes"));
        assert_eq!(p.sim().params().int("vnodes"), 150);
        let p = p.reduce(PlaybackAction::Apply(Input::new(
            "remove-server",
            Some("A"),
        )));
        assert_eq!(
            p.preset.as_deref(),
            Some("virtual-nodes"),
            "an intervention keeps the preset"
        );
        let p = p.reduce(PlaybackAction::SetParam("vnodes".into(), "10".into()));
        assert_eq!(p.preset, None, "a parameter change leaves it");
    }

    #[test]
    fn share_hash_reproduces_the_run() {
        let p = start("#/lesson/consistent-hashing?seed=7&vnodes=50&do=0:remove-server:B");
        let p = p.reduce(PlaybackAction::Play);
        let p = p.reduce(PlaybackAction::Tick(33.3));
        let p = p.reduce(PlaybackAction::Pause);
        let again = start(&p.share_hash());
        assert_eq!(again.now(), p.now());
        assert_eq!(again.sim().digest(), p.sim().digest());
        assert_eq!(again.sim().metrics(), p.sim().metrics());
    }

    fn column_digests(p: &Playback) -> Vec<u64> {
        let c = p.compare.as_ref().expect("compare mode is on").borrow();
        c.columns()
            .iter()
            .map(|c| c.run.as_ref().unwrap().digest())
            .collect()
    }

    #[test]
    fn compare_columns_follow_every_change_to_the_run() {
        let p = start("#/lesson/consistent-hashing?compare=one-point,vnodes-100");
        assert_eq!(
            p.compare_ids(),
            Some(vec!["one-point".into(), "vnodes-100".into()])
        );
        let p = p.reduce(PlaybackAction::Seek(SimTime::from_ms(1_000)));
        let now_of = |p: &Playback| -> Vec<SimTime> {
            let c = p.compare.as_ref().unwrap().borrow();
            c.columns()
                .iter()
                .map(|c| c.run.as_ref().unwrap().now())
                .collect()
        };
        assert_eq!(now_of(&p), vec![SimTime::from_ms(1_000); 2], "time");
        let before = column_digests(&p);
        let p = p.reduce(PlaybackAction::Apply(Input::new(
            "remove-server",
            Some("B"),
        )));
        let after = column_digests(&p);
        assert!(before.iter().zip(&after).all(|(a, b)| a != b), "inputs");
        assert_eq!(
            after[0],
            p.sim().digest(),
            "one point per server is the lesson's own run"
        );
        let p = p.reduce(PlaybackAction::SetSeed(9));
        assert_ne!(column_digests(&p), after, "seed");
        let p = p.reduce(PlaybackAction::SetParam("keys".into(), "50".into()));
        let c = p.compare.as_ref().unwrap().borrow();
        assert!(c
            .columns()
            .iter()
            .all(|c| c.run.as_ref().unwrap().params().int("keys") == 50));
        drop(c);
        assert!(p.share_hash().contains("&compare=one-point,vnodes-100"));
        let p = p.reduce(PlaybackAction::SetCompare(None));
        assert!(p.compare.is_none() && !p.share_hash().contains("compare"));
        let p = p.reduce(PlaybackAction::SetCompare(Some(Vec::new())));
        assert!(
            p.share_hash().contains("&compare=all"),
            "every variant: all"
        );
        assert_eq!(p.compare_ids().unwrap().len(), 4);
    }

    #[test]
    fn a_compare_link_reproduces_every_column() {
        let p = start("#/lesson/consistent-hashing?do=500:remove-server:B&t=2000&compare=all");
        let again = start(&p.share_hash());
        assert_eq!(column_digests(&again), column_digests(&p));
    }
}
