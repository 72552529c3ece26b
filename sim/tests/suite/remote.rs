//! Remote runs (`sim::remote`): every lesson's every setup, run in an engine behind the JSON
//! wire, reads exactly as the same run in process — time, frames, metrics, trace, digest,
//! choices, inputs and the sharding family's placement answers — through seeks, steps, a step
//! back and an input applied now. This is what lets the app hold a `RemoteRun` where it held a
//! `Run<M>` without a learner seeing any difference.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::compare::Comparison;
use sim::engine::{BuildError, Simulation};
use sim::models::balancer::balancing;
use sim::models::sharding::placement;
use sim::params::{ParamSet, ParamSpec};
use sim::registry::{self, Models};
use sim::remote::{Engine, Host, Loopback, RemoteModels, Reply};
use sim::scenario::{Input, Scenario, TimedInput};
use sim::time::SimTime;
use std::rc::Rc;

/// Asserts `a == b`; a failure names the first place their Debug forms differ (a frame is long).
fn equal<T: PartialEq + std::fmt::Debug>(a: &T, b: &T, what: &str) {
    if a == b {
        return;
    }
    let (a, b) = (format!("{a:?}"), format!("{b:?}"));
    let i = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    let from = a[..i].char_indices().rev().nth(120).map_or(0, |(k, _)| k);
    panic!(
        "{what} differs at byte {i}:\n  in process: …{}\n  remote:     …{}",
        a[from..].chars().take(240).collect::<String>(),
        b[from..].chars().take(240).collect::<String>()
    );
}

/// Asserts that the two runs read the same now; `at` names the moment in a failure.
fn same(local: &dyn Simulation, remote: &dyn Simulation, at: &str, thorough: bool) {
    assert_eq!(local.now(), remote.now(), "{at}: time");
    assert_eq!(local.inputs(), remote.inputs(), "{at}: inputs");
    assert_eq!(local.trace_len(), remote.trace_len(), "{at}: trace length");
    assert_eq!(local.digest(), remote.digest(), "{at}: digest");
    equal(&local.frame(), &remote.frame(), &format!("{at}: frame"));
    equal(
        &local.metrics(),
        &remote.metrics(),
        &format!("{at}: metrics"),
    );
    assert_eq!(
        local.last_trace_line(),
        remote.last_trace_line(),
        "{at}: last line"
    );
    assert_eq!(local.scenario(), remote.scenario(), "{at}: scenario");
    for a in local.actions().iter().filter(|a| a.picks) {
        assert_eq!(
            local.choices(a.name),
            remote.choices(a.name),
            "{at}: choices of {}",
            a.name
        );
    }
    match (placement(local), placement(remote)) {
        (None, None) => {}
        (Some(l), Some(r)) => {
            let nodes = l.nodes();
            assert_eq!(nodes, r.nodes(), "{at}: nodes");
            assert_eq!(l.last_moved(), r.last_moved(), "{at}: last moved");
            if thorough {
                // Every key a change moved (thousands in a large setup): compared per model.
                assert_eq!(l.last_moves(), r.last_moves(), "{at}: last moves");
            }
            for key in ["User123", "user:1", "k0", "k42", "nope"] {
                assert_eq!(l.owners(key), r.owners(key), "{at}: owners of {key}");
                assert_eq!(l.slot_of(key), r.slot_of(key), "{at}: slot of {key}");
            }
        }
        (l, r) => panic!(
            "{at}: placement answered locally {} and remotely {}",
            l.is_some(),
            r.is_some()
        ),
    }
    match (balancing(local), balancing(remote)) {
        (None, None) => {}
        (Some(l), Some(r)) => {
            assert_eq!(l.picks(), r.picks(), "{at}: picks");
            assert_eq!(l.strategy(), r.strategy(), "{at}: strategy");
            assert_eq!(l.notices(), r.notices(), "{at}: notices");
        }
        (l, r) => panic!(
            "{at}: balancing answered locally {} and remotely {}",
            l.is_some(),
            r.is_some()
        ),
    }
}

/// An input the run accepts now: the first action, with its first pickable choice or its
/// default argument.
fn some_input(run: &dyn Simulation) -> Option<Input> {
    run.actions().iter().find_map(|a| {
        let arg = if a.picks {
            Some(
                run.choices(a.name)
                    .into_iter()
                    .find(|c| c.unavailable.is_none())?
                    .value,
            )
        } else if a.arg.is_some() {
            Some(a.default_arg?.to_string())
        } else {
            None
        };
        Some(Input {
            action: a.name.to_string(),
            arg,
        })
    })
}

/// Plays `scenario` locally and through `engine` side by side and compares them at every turn;
/// `thorough` adds quarter-way points and several steps (a lesson's large setups skip them:
/// their frames are large, and the models' own tests cover stepping).
fn compare(engine: &std::rc::Rc<Loopback>, scenario: &Scenario, name: &str, thorough: bool) {
    let mut local = registry::start(scenario).unwrap();
    let mut remote = engine.start(scenario).unwrap();
    assert_eq!(local.model_id(), remote.model_id(), "{name}");
    assert_eq!(local.specs(), remote.specs(), "{name}: specs");
    assert_eq!(local.actions(), remote.actions(), "{name}: actions");
    assert_eq!(local.params(), remote.params(), "{name}: params");
    assert_eq!(local.seed(), remote.seed(), "{name}: seed");
    assert_eq!(local.until(), remote.until(), "{name}: until");
    same(
        local.as_ref(),
        remote.as_ref(),
        &format!("{name} at start"),
        thorough,
    );
    let until = local.until().as_us();
    let times: &[u64] = if thorough {
        &[until / 4, until / 2]
    } else {
        &[until / 2]
    };
    for &t in times {
        let t = SimTime::from_us(t);
        local.seek(t);
        remote.seek(t);
        same(
            local.as_ref(),
            remote.as_ref(),
            &format!("{name} at {t}"),
            thorough,
        );
    }
    for i in 0..if thorough { 3 } else { 1 } {
        assert_eq!(local.step_forward(), remote.step_forward(), "{name}");
        same(
            local.as_ref(),
            remote.as_ref(),
            &format!("{name} step {i}"),
            thorough,
        );
    }
    if thorough {
        assert_eq!(local.step_back(), remote.step_back(), "{name}");
        same(
            local.as_ref(),
            remote.as_ref(),
            &format!("{name} back"),
            thorough,
        );
    }
    if let Some(input) = some_input(local.as_ref()) {
        local.apply_now(input.clone());
        remote.apply_now(input.clone());
        same(
            local.as_ref(),
            remote.as_ref(),
            &format!("{name} after {input}"),
            thorough,
        );
    }
    if thorough {
        // Backwards over the input (a checkpoint restored), then to the end.
        local.seek(SimTime::from_us(until / 8));
        remote.seek(SimTime::from_us(until / 8));
        same(
            local.as_ref(),
            remote.as_ref(),
            &format!("{name} back to 1/8"),
            thorough,
        );
    }
    local.seek(local.until());
    remote.seek(remote.until());
    same(
        local.as_ref(),
        remote.as_ref(),
        &format!("{name} at the end"),
        thorough,
    );
    assert_eq!(local.trace_lines(), remote.trace_lines(), "{name}: trace");
    assert_eq!(local.validate(), remote.validate(), "{name}: invariants");
}

// Natively only: a lesson's large setups take a while in a debug build, and the models' test
// below already crosses the wire as wasm (where a float's text form would drift first).
#[cfg(not(target_arch = "wasm32"))]
#[test]
fn every_lesson_setup_reads_the_same_through_the_engine() {
    let engine = Loopback::new();
    let mut setups = 0;
    for lesson in catalog::lessons() {
        let mut presets: Vec<Option<String>> = vec![None];
        presets.extend(lesson.presets.iter().map(|p| Some(p.id.clone())));
        for preset in presets {
            let scenario = lesson.scenario(preset.as_deref()).unwrap();
            let name = format!(
                "{} / {}",
                lesson.id,
                preset.as_deref().unwrap_or("defaults")
            );
            compare(&engine, &scenario, &name, false);
            setups += 1;
        }
    }
    assert!(setups > 20, "every lesson's setups ran ({setups})");
    assert_eq!(engine.runs(), 0, "a dropped remote run frees its run");
}

#[test]
fn every_registered_model_answers_through_the_engine() {
    // Models no lesson drives yet are covered too (a new model before its lesson).
    let engine = Loopback::new();
    for id in registry::MODELS {
        let scenario = Scenario::new(id, 7, SimTime::from_secs(4));
        compare(&engine, &scenario, id, true);
    }
}

#[test]
fn several_runs_share_one_engine_independently() {
    // Compare mode: several handles of one engine at once, each its own timeline.
    let engine = Loopback::new();
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let scenario = lesson.scenario(None).unwrap();
    let mut a = engine.start(&scenario).unwrap();
    let mut other = scenario.clone();
    other.seed += 1;
    let mut b = engine.start(&other).unwrap();
    assert_eq!(engine.runs(), 2);
    a.seek(a.until());
    assert_eq!(b.now(), SimTime::ZERO, "moving one run leaves the other");
    b.seek(b.until());
    let mut la = registry::start(&scenario).unwrap();
    let mut lb = registry::start(&other).unwrap();
    la.seek(la.until());
    lb.seek(lb.until());
    assert_eq!(a.digest(), la.digest());
    assert_eq!(b.digest(), lb.digest());
    assert_ne!(a.digest(), b.digest(), "another seed, another run");
    drop(a);
    assert_eq!(engine.runs(), 1);
    assert_eq!(b.frame(), lb.frame(), "the other run lives on");
}

#[test]
fn a_bad_start_fails_with_the_registrys_error() {
    let engine = Loopback::new();
    let bad = Scenario::new("no-such-model", 1, SimTime::from_secs(1));
    assert_eq!(
        engine.start(&bad).err(),
        registry::start(&bad).err(),
        "the same error as in process"
    );
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let mut s = lesson.scenario(None).unwrap();
    s.params.insert("vnodes".into(), "-3".into());
    let want = registry::start(&s).err().expect("a bad parameter fails");
    assert_eq!(engine.start(&s).err(), Some(want));
    assert_eq!(engine.runs(), 0, "nothing kept of a failed start");
}

#[test]
fn the_host_answers_unknown_runs_and_garbage_with_an_error_not_a_panic() {
    let mut host = Host::new();
    let reply: Reply = serde_json::from_str(&host.call_json(r#"{"Frame":9}"#)).unwrap();
    assert_eq!(reply, Reply::Error("the engine has no run 9".into()));
    let reply: Reply = serde_json::from_str(&host.call_json("not json")).unwrap();
    assert!(
        matches!(&reply, Reply::Error(e) if e.starts_with("not a call the engine understands")),
        "{reply:?}"
    );
}

/// How large each lesson setup's frame is on the wire, at its middle and its end, largest first:
/// a figure for docs/first-load-size.md (a frame crosses once per animation tick that changes
/// it). `cargo test -p sim --test suite remote::frame_sizes -- --ignored --nocapture`.
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore = "prints figures; asserts nothing"]
fn frame_sizes() {
    let mut rows = Vec::new();
    for lesson in catalog::lessons() {
        let mut presets: Vec<Option<String>> = vec![None];
        presets.extend(lesson.presets.iter().map(|p| Some(p.id.clone())));
        for preset in presets {
            let scenario = lesson.scenario(preset.as_deref()).unwrap();
            let mut run = registry::start(&scenario).unwrap();
            let mut size = 0;
            for t in [run.until().as_us() / 2, run.until().as_us()] {
                run.seek(SimTime::from_us(t));
                size = size.max(serde_json::to_string(&run.frame()).unwrap().len());
            }
            let metrics = serde_json::to_string(&run.metrics()).unwrap().len();
            let name = format!(
                "{} / {}",
                lesson.id,
                preset.as_deref().unwrap_or("defaults")
            );
            rows.push((size, metrics, name));
        }
    }
    rows.sort();
    rows.reverse();
    for (frame, metrics, name) in &rows {
        println!("{frame:>9} {metrics:>7}  {name}");
    }
}

/// An engine that keeps every call it was asked and the size of each reply (a [`Host`] behind
/// the JSON wire).
#[derive(Default)]
struct Recorder {
    host: std::cell::RefCell<Host>,
    calls: std::cell::RefCell<Vec<String>>,
    replies: std::cell::RefCell<Vec<usize>>,
}

impl Engine for Recorder {
    fn call_json(&self, call: &str) -> String {
        self.calls.borrow_mut().push(call.to_string());
        let reply = self.host.borrow_mut().call_json(call);
        self.replies.borrow_mut().push(reply.len());
        reply
    }
}

/// The moves of a sharding frame's last change (a ring's or buckets').
fn moves_of(frame: &sim::frame::Frame) -> Option<Rc<[sim::models::shard_view::ShardMove]>> {
    match frame {
        sim::frame::Frame::Shards(f) => f.last_change.as_ref().map(|c| c.moves.clone()),
        _ => None,
    }
}

#[test]
fn a_frames_shared_parts_cross_once_per_run() {
    // The largest frame of any lesson: ~15,000 keys moved by losing a site, in every frame after.
    let lesson = catalog::lesson("hashing-strategies").unwrap();
    let scenario = lesson.scenario(Some("whatsapp-lose-site")).unwrap();
    let engine = Rc::new(Recorder::default());
    let mut local = registry::start(&scenario).unwrap();
    let mut remote = engine.start(&scenario).unwrap();
    let end = remote.until().as_us();
    let mut sizes = Vec::new();
    let mut parts = Vec::new();
    for t in [end - 3_000, end - 2_000, end - 1_000, end] {
        local.seek(SimTime::from_us(t));
        remote.seek(SimTime::from_us(t));
        engine.replies.borrow_mut().clear();
        let frame = remote.frame();
        equal(&local.frame(), &frame, &format!("frame at {t} µs"));
        sizes.push(engine.replies.borrow()[0]);
        parts.push(moves_of(&frame).expect("the site was lost before the end"));
    }
    println!("reply bytes, frame after frame: {sizes:?}");
    assert!(parts[0].len() > 10_000, "{} moves", parts[0].len());
    assert!(
        sizes[0] > 300_000,
        "the first frame carries the moves: {sizes:?}"
    );
    for (i, size) in sizes.iter().enumerate().skip(1) {
        assert!(*size < sizes[0] / 10, "frame {i} refers to them: {sizes:?}");
        assert!(
            Rc::ptr_eq(&parts[0], &parts[i]),
            "frame {i} shares the app's copy"
        );
    }
    // Back before the change and forward again: the same part, still a reference (kept).
    remote.seek(SimTime::ZERO);
    let _ = remote.frame();
    remote.seek(SimTime::from_us(end));
    engine.replies.borrow_mut().clear();
    let frame = remote.frame();
    assert!(engine.replies.borrow()[0] < sizes[0] / 10);
    assert!(Rc::ptr_eq(&parts[0], &moves_of(&frame).unwrap()));
    // A second run of the same engine keeps its own memo: its first frame carries the moves.
    let mut other = engine.start(&scenario).unwrap();
    other.seek(SimTime::from_us(end));
    engine.replies.borrow_mut().clear();
    equal(&local.frame(), &other.frame(), "the second run's frame");
    assert!(engine.replies.borrow()[0] > 300_000);
}

/// A source that runs `far-<id>` as the engine's `<id>`: a model this build does not link, as
/// every model will be for the app (the tests link them all, so the names must differ).
struct Far(RemoteModels<Loopback>);

impl Models for Far {
    fn specs(&self, model: &str) -> Option<Vec<ParamSpec>> {
        self.0.specs(model.strip_prefix("far-")?)
    }

    fn start_with(
        &self,
        model: &str,
        params: ParamSet,
        seed: u64,
        inputs: Vec<TimedInput>,
        until: SimTime,
    ) -> Result<Box<dyn Simulation>, BuildError> {
        let Some(model) = model.strip_prefix("far-") else {
            return Err(BuildError::UnknownModel(model.to_string()));
        };
        self.0.start_with(model, params, seed, inputs, until)
    }
}

/// Installs [`Far`] on this thread for one test and takes it away again, even on a panic.
struct Installed(Rc<Loopback>);

impl Installed {
    fn far() -> Installed {
        registry::uninstall_all();
        let engine = Loopback::new();
        registry::install(Rc::new(Far(RemoteModels::new(engine.clone()))));
        Installed(engine)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        registry::uninstall_all();
    }
}

#[test]
fn the_engine_answers_specs_before_any_run() {
    let engine = Loopback::new();
    let models = RemoteModels::new(engine.clone());
    for model in registry::MODELS {
        assert_eq!(models.specs(model), registry::specs(model), "{model}");
    }
    assert_eq!(models.specs("no-such-model"), None);
    assert_eq!(engine.runs(), 0, "asking for specs starts nothing");
}

#[test]
fn a_model_the_build_does_not_link_runs_through_an_installed_source() {
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let scenario = lesson.scenario(None).unwrap();
    let mut far = scenario.clone();
    far.model = "far-hash-ring".into();
    assert_eq!(registry::specs(&far.model), None, "nothing installed yet");
    assert_eq!(
        registry::start(&far).err(),
        Some(BuildError::UnknownModel("far-hash-ring".into()))
    );

    let installed = Installed::far();
    assert_eq!(registry::specs(&far.model), registry::specs("hash-ring"));
    let mut remote = registry::start(&far).unwrap();
    let mut local = registry::start(&scenario).unwrap();
    assert_eq!(installed.0.runs(), 1, "the run lives in the engine");
    for t in [local.until().as_us() / 2, local.until().as_us()] {
        local.seek(SimTime::from_us(t));
        remote.seek(SimTime::from_us(t));
        assert_eq!(local.digest(), remote.digest(), "at {t} µs");
        equal(&local.frame(), &remote.frame(), &format!("frame at {t} µs"));
    }
    // A model this build links is still run here, whatever is installed.
    let linked = registry::start(&scenario).unwrap();
    assert_eq!(
        installed.0.runs(),
        1,
        "a linked model does not go to the engine"
    );
    drop((linked, remote));
    assert_eq!(installed.0.runs(), 0);

    drop(installed);
    assert_eq!(registry::specs(&far.model), None, "uninstalled");
}

#[test]
fn lessons_reveal_and_compare_through_an_installed_source() {
    // What the app does once it links no model: a lesson's answers and its compare columns come
    // from runs in the engine, and read exactly as in process.
    let lesson = catalog::lesson("consistent-hashing").unwrap();
    let mut far = lesson.clone();
    far.model = "far-hash-ring".into();
    for v in &mut far.compare {
        if let Some(m) = &mut v.model {
            *m = format!("far-{m}");
        }
    }
    let installed = Installed::far();

    assert!(!lesson.questions.is_empty());
    for q in &lesson.questions {
        assert_eq!(
            format!("{:?}", far.reveal(q)),
            format!("{:?}", lesson.reveal(q)),
            "question {}",
            q.id
        );
    }
    assert_eq!(far.default_params(), lesson.default_params());

    assert!(lesson.compare.len() >= 2);
    let mut primary = registry::start(&lesson.scenario(None).unwrap()).unwrap();
    let mut far_primary = registry::start(&far.scenario(None).unwrap()).unwrap();
    let mut here = Comparison::new(&lesson, &[]);
    let mut there = Comparison::new(&far, &[]);
    for t in [SimTime::ZERO, primary.until()] {
        primary.seek(t);
        far_primary.seek(t);
        here.sync(primary.as_ref());
        there.sync(far_primary.as_ref());
        assert_eq!(
            format!("{:?}", there.rows()),
            format!("{:?}", here.rows()),
            "compare rows at {t}"
        );
    }
    assert!(
        installed.0.runs() > lesson.compare.len(),
        "the columns run in the engine"
    );
}

#[test]
fn a_balancer_run_answers_its_picks_through_the_engine() {
    let engine = Loopback::new();
    let mut s = Scenario::new("load-balancer", 4, SimTime::from_secs(2));
    s.params
        .insert("strategy".into(), "weighted-round-robin".into());
    s.params.insert("weights".into(), "5,1,1".into());
    s.params.insert("servers".into(), "3".into());
    let mut local = registry::start(&s).unwrap();
    let mut remote = engine.start(&s).unwrap();
    for t in [
        SimTime::from_ms(20),
        SimTime::from_ms(900),
        SimTime::from_secs(2),
    ] {
        local.seek(t);
        remote.seek(t);
        let (l, r) = (
            balancing(local.as_ref()).unwrap(),
            balancing(remote.as_ref()).unwrap(),
        );
        assert_eq!(l.picks(), r.picks(), "at {t}");
        assert_eq!(r.strategy(), l.strategy());
    }
    let picks = balancing(remote.as_ref()).unwrap().picks();
    assert!(picks.len() > 100, "{} picks", picks.len());
    let first: Vec<_> = picks
        .iter()
        .take(7)
        .map(|p| p.server.clone().unwrap())
        .collect();
    assert_eq!(
        first,
        ["A", "A", "B", "A", "C", "A", "A"],
        "nginx's smooth WRR, remotely"
    );
}

#[test]
fn an_uploaded_trace_reaches_every_installed_engine() {
    use sim::cache::attach::{self, TraceFile, TraceFormat};
    let _clean = Installed(Loopback::new());
    registry::uninstall_all();
    let attaches = |r: &Recorder| {
        r.calls
            .borrow()
            .iter()
            .filter(|c| c.starts_with("{\"Attach\""))
            .count()
    };
    // A trace attached before the engine is installed is given to it on install …
    let before = TraceFile::new("before.txt", TraceFormat::Text, b"a\nb\na\n".to_vec());
    attach::attach(&before).unwrap();
    let engine = Rc::new(Recorder::default());
    registry::install(Rc::new(RemoteModels::new(engine.clone())));
    assert!(attaches(&engine) >= 1, "{:?}", engine.calls.borrow());
    let given = attaches(&engine);
    // … and one attached after, when it is attached; the engine answers Done (it parsed it).
    let after = TraceFile::new("after.txt", TraceFormat::Text, b"x\ny\nz\n".to_vec());
    attach::attach(&after).unwrap();
    assert_eq!(attaches(&engine), given + 1);
    assert!(engine.calls.borrow().last().unwrap().contains("after.txt"));
    // Attaching the same bytes again parses nothing and sends nothing.
    attach::attach(&after).unwrap();
    assert_eq!(attaches(&engine), given + 1);
}
