//! `sdp`: the command-line runner over the same models the app runs.
//!
//! ```text
//! sdp list
//! sdp run <lesson> [--preset NAME] [--set name=value]... [--seed N] [--until TIME_MS]
//!         [--do TIME_MS:ACTION[:ARG]]... [--key NAME]... [--moves] [--json] [--events]
//!         [--trace FILE] [--config FILE] [--picks N]
//! sdp compare <lesson> [--only ID,ID...] [the run options above but --moves/--events/--picks]
//! sdp sweep <lesson> (--sweep ID | --param NAME --from A --to B --steps N [--log] --metric M...)
//!         [--seeds K] [--only ID,ID...] [--theory METRIC=CURVE]... [the run options]
//!         [--json | --csv]
//! ```
//!
//! `--trace FILE` runs a caching lesson on a trace: one key per line, CSV `time,key[,size]`, or a
//! libCacheSim oracleGeneral binary (by its `.oracleGeneral`/`.bin` extension or its content),
//! at most the first 1,000,000 requests (`sim::cache::attach`). `--events` prints the run's event
//! trace as JSON lines.
//!
//! `--config FILE` reads a pasted nginx `upstream { … }` block or HAProxy `backend` into the
//! load-balancing model's `config` parameter (it then decides the servers, weights and strategy;
//! what it holds that is not modelled is listed under `metrics.notices` and printed). `--picks N`
//! prints the servers the balancer chose for the first N requests, one per line with the
//! strategy's explanation. `sdp run` also takes a model id that no lesson uses yet
//! (`sdp run load-balancer`): its default parameters, for 10 s unless `--until` says otherwise.
//!
//! `--key NAME` reports the node serving a key (`metrics.owners`); for the hash-slots lesson
//! also the key's hash slot and that slot's node by name (`metrics.slots`).

use serde_json::{json, Map, Value};
use sim::compare::Comparison;
use sim::engine::Simulation;
use sim::lesson::Lesson;
use sim::model::MetricValue;
use sim::models::balancer::{balancing, KEPT_PICKS};
use sim::models::sharding::placement;
use sim::registry;
use sim::scenario::TimedInput;
use sim::time::SimTime;
use std::process::ExitCode;

const USAGE: &str = "usage:
  sdp list
  sdp run <lesson> [--preset NAME] [--set name=value]... [--seed N] [--until TIME_MS]
          [--do TIME_MS:ACTION[:ARG]]... [--key NAME]... [--moves] [--json] [--events]
          [--trace FILE] [--config FILE] [--picks N]
  sdp run <model> [the run options above]
  sdp compare <lesson> [--only ID,ID...] [--preset NAME] [--set name=value]... [--seed N]
          [--until TIME_MS] [--do TIME_MS:ACTION[:ARG]]... [--key NAME]... [--json]
          [--trace FILE] [--config FILE]
  sdp sweep <lesson> (--sweep ID | --param NAME --from A --to B --steps N [--log] --metric M...)
          [--seeds K] [--only ID,ID...] [--theory METRIC=CURVE]... [--preset NAME]
          [--set name=value]... [--seed N] [--until TIME_MS] [--do TIME_MS:ACTION[:ARG]]...
          [--trace FILE] [--config FILE] [--json | --csv]

  --trace FILE  the workload of a caching lesson: one key per line, CSV time,key[,size], or a
              libCacheSim oracleGeneral binary (.oracleGeneral/.bin); the first 1,000,000
              requests are read
  --config FILE  a pasted nginx upstream block or HAProxy backend, read into the load-balancing
              model's `config` parameter (servers, weights and strategy)
  --picks N   prints the servers the balancer chose for the first N requests (at most 1000),
              one per line with the strategy's explanation
  --events    prints the run's event trace as JSON lines
  --key NAME  prints the node serving the key under metrics.owners; for hash-slots also its
              hash slot and that node's name under metrics.slots (CLUSTER KEYSLOT's answer)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("list") => list(),
        Some("run") => run(&args[1..]),
        Some("compare") => compare(&args[1..]),
        Some("sweep") => sweep(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(format!("expected a command\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("sdp: {e}");
            ExitCode::from(2)
        }
    }
}

fn list() -> Result<(), String> {
    for family in catalog::FAMILIES {
        println!("{} — {}", family.id, family.title);
        for lesson in catalog::lessons() {
            if lesson.family == family.id {
                let presets: Vec<&str> = lesson.presets.iter().map(|p| p.id.as_str()).collect();
                println!(
                    "  {:<22} {} (presets: {})",
                    lesson.id,
                    lesson.title,
                    presets.join(", ")
                );
            }
        }
    }
    Ok(())
}

fn value(v: &MetricValue) -> Value {
    match v {
        MetricValue::Int(i) => json!(i),
        MetricValue::Float(f) => json!((f * 1e6).round() / 1e6),
        MetricValue::Text(s) => json!(s),
        MetricValue::None => Value::Null,
    }
}

/// What `run` and `compare` read from the command line.
#[derive(Default)]
struct Options {
    preset: Option<String>,
    sets: Vec<(String, String)>,
    seed: Option<u64>,
    until: Option<u64>,
    inputs: Vec<TimedInput>,
    keys: Vec<String>,
    only: Vec<String>,
    json: bool,
    events: bool,
    /// `--trace FILE`: a trace the run's workload reads.
    trace_file: Option<String>,
    /// `--config FILE`: a pasted nginx/HAProxy config for the load-balancing model.
    config_file: Option<String>,
    /// `--picks N`: print the first N requests' picks.
    picks: Option<u64>,
    moves: bool,
    /// `sdp sweep`: a declared sweep's id, and the pieces of one built on the command line.
    sweep: Option<String>,
    sweep_def: Vec<(String, String)>,
    metrics: Vec<String>,
    theory: Vec<String>,
    log: bool,
    csv: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Command {
    Run,
    Compare,
    Sweep,
}

fn options(args: &[String], cmd: Command) -> Result<(String, Options), String> {
    let compare = cmd == Command::Compare;
    let sweep = cmd == Command::Sweep;
    let mut it = args.iter();
    let id = it.next().ok_or("name a lesson (see `sdp list`)")?.clone();
    let mut o = Options::default();
    while let Some(flag) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--preset" => o.preset = Some(val()?),
            "--set" => {
                let v = val()?;
                let (k, x) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--set {v:?}: expected name=value"))?;
                o.sets.push((k.to_string(), x.to_string()));
            }
            "--seed" => {
                o.seed = Some(
                    val()?
                        .parse::<u64>()
                        .map_err(|_| "--seed needs a whole number")?,
                )
            }
            "--until" => {
                o.until = Some(
                    val()?
                        .parse::<u64>()
                        .map_err(|_| "--until needs milliseconds")?,
                )
            }
            "--do" => o
                .inputs
                .push(TimedInput::parse(&val()?).map_err(|e| format!("--do: {e}"))?),
            "--key" => o.keys.push(val()?),
            "--json" => o.json = true,
            "--only" if compare || sweep => {
                o.only = val()?.split(',').map(|s| s.trim().to_string()).collect()
            }
            "--events" if cmd == Command::Run => o.events = true,
            "--trace" => o.trace_file = Some(val()?),
            "--config" => o.config_file = Some(val()?),
            "--picks" if cmd == Command::Run => {
                let v = val()?;
                let n = v
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=KEPT_PICKS as u64).contains(n))
                    .ok_or_else(|| {
                        format!("--picks {v:?}: expected a whole number from 1 to {KEPT_PICKS}")
                    })?;
                o.picks = Some(n);
            }
            "--moves" if cmd == Command::Run => o.moves = true,
            "--sweep" if sweep => o.sweep = Some(val()?),
            "--param" | "--from" | "--to" | "--steps" | "--seeds" if sweep => {
                o.sweep_def.push((flag.clone(), val()?))
            }
            "--metric" if sweep => o.metrics.push(val()?),
            "--theory" if sweep => o.theory.push(val()?),
            "--log" if sweep => o.log = true,
            "--csv" if sweep => o.csv = true,
            other => return Err(format!("unknown flag {other:?}\n{USAGE}")),
        }
    }
    Ok((id, o))
}

/// How long `sdp run <model>` runs a model no lesson drives, unless `--until` says.
const BARE_MODEL_UNTIL_MS: u64 = 10_000;

/// The lesson, and its run (preset, overrides, seed, inputs) at its end.
fn primary(id: &str, o: &Options) -> Result<(Lesson, Box<dyn Simulation>), String> {
    let lesson = catalog::lesson(id).ok_or_else(|| format!("no lesson {id:?} (see `sdp list`)"))?;
    let scenario = lesson
        .scenario(o.preset.as_deref())
        .map_err(|e| e.to_string())?;
    let sim = start(scenario, o)?;
    Ok((lesson, sim))
}

/// `scenario` with the command line's trace, config, overrides, seed and inputs, run to its end.
fn start(
    mut scenario: sim::scenario::Scenario,
    o: &Options,
) -> Result<Box<dyn Simulation>, String> {
    attach_trace(&mut scenario, o)?;
    attach_config(&mut scenario, o)?;
    scenario.params.extend(o.sets.iter().cloned());
    if let Some(s) = o.seed {
        scenario.seed = s;
    }
    scenario.inputs.extend(o.inputs.iter().cloned());
    let end = run_end(&scenario, o)?;
    scenario.until = end;
    let mut sim = registry::start(&scenario).map_err(|e| e.to_string())?;
    sim.seek(end);
    sim.validate()
        .map_err(|e| format!("invariant broken: {e}"))?;
    Ok(sim)
}

/// `--config FILE`: the file's text becomes the model's `config` parameter (`--set` still
/// overrides it). A lesson whose model reads no config is an error, and so is a file larger
/// than the parser reads.
fn attach_config(scenario: &mut sim::scenario::Scenario, o: &Options) -> Result<(), String> {
    use sim::balance::config::MAX_INPUT_BYTES;
    let Some(path) = &o.config_file else {
        return Ok(());
    };
    let specs = registry::specs(&scenario.model).unwrap_or_default();
    if !specs.iter().any(|s| s.name == "config") {
        return Err(format!(
            "--config: this lesson's model ({}) does not read a config; the load-balancing              model does",
            scenario.model
        ));
    }
    let size = std::fs::metadata(path)
        .map_err(|e| format!("--config {path}: {e}"))?
        .len();
    if size > u64::from(MAX_INPUT_BYTES) {
        return Err(format!(
            "--config {path}: {size} bytes; at most {MAX_INPUT_BYTES} are read (one upstream              block or backend section)"
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("--config {path}: {e}"))?;
    scenario.params.insert("config".into(), text);
    Ok(())
}

/// `--trace FILE`: reads the file (an oracleGeneral one only up to the request cap), attaches
/// it (`sim::cache::attach`) and points the scenario's workload at it, as the page's "Your
/// trace" does: `workload=trace`, `trace=name~hash`. `--set` still overrides both. A bad file is
/// an error naming its line or byte; a lesson whose model reads no trace is an error too.
fn attach_trace(scenario: &mut sim::scenario::Scenario, o: &Options) -> Result<(), String> {
    use sim::cache::attach::{attach, detect, oracle_prefix_bytes, TraceFile, TRACE_PARAM};
    use std::io::Read;
    let Some(path) = &o.trace_file else {
        return Ok(());
    };
    let specs = registry::specs(&scenario.model).unwrap_or_default();
    if !specs.iter().any(|s| s.name == TRACE_PARAM) {
        return Err(format!(
            "--trace: this lesson's model ({}) does not read a trace; the caching lessons do",
            scenario.model
        ));
    }
    let file = std::fs::File::open(path).map_err(|e| format!("--trace {path}: {e}"))?;
    let size = file
        .metadata()
        .map_err(|e| format!("--trace {path}: {e}"))?
        .len();
    let mut head = Vec::new();
    (&file)
        .take(4096)
        .read_to_end(&mut head)
        .map_err(|e| format!("--trace {path}: {e}"))?;
    let format = detect(path, &head);
    let limit = match format {
        sim::cache::attach::TraceFormat::OracleGeneral => oracle_prefix_bytes(size),
        _ => size,
    };
    let mut bytes = head;
    (&file)
        .take(limit.saturating_sub(bytes.len() as u64))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("--trace {path}: {e}"))?;
    let trace = TraceFile::prefix(path, format, bytes, size);
    let attached = attach(&trace).map_err(|e| format!("--trace {path}: {e}"))?;
    eprintln!(
        "sdp: trace {} ({}): {}",
        attached.reference,
        format.label(),
        attached.summary()
    );
    scenario.params.insert("workload".into(), "trace".into());
    scenario
        .params
        .insert(TRACE_PARAM.into(), attached.reference.clone());
    Ok(())
}

/// The longest run `--until` may ask for, in simulated milliseconds: an hour, 360 times the
/// longest lesson timeline. Work grows with simulated time (every request is an event), so an
/// unbounded `--until` or a far-off `--do` could run for minutes; this keeps any run to seconds.
const MAX_UNTIL_MS: u64 = 3_600_000;

/// Where the run ends: `--until` if given (at most [`MAX_UNTIL_MS`]), else the lesson's timeline.
/// An intervention after the end is refused with a message, not silently dropped (and it no longer
/// stretches the run to reach it: `--do 999999999:…` once meant eleven simulated days).
fn run_end(scenario: &sim::scenario::Scenario, o: &Options) -> Result<SimTime, String> {
    let end = match o.until {
        Some(ms) if ms > MAX_UNTIL_MS => {
            return Err(format!(
                "--until {ms}: at most {MAX_UNTIL_MS} ms (one simulated hour) per run"
            ))
        }
        Some(ms) => SimTime::from_ms(ms),
        None => scenario.until,
    };
    if let Some(late) = scenario.inputs.iter().find(|i| i.at > end) {
        return Err(format!(
            "--do {late}: after the end of the run ({} ms); pass --until to run longer \
             (at most {MAX_UNTIL_MS} ms)",
            end.as_ms()
        ));
    }
    Ok(end)
}

/// A run's metrics as one JSON object: scalars, groups as objects, and `owners` of `keys`.
fn metrics_json(sim: &dyn Simulation, keys: &[String]) -> Map<String, Value> {
    let metrics = sim.metrics();
    let mut m = Map::new();
    for s in &metrics.scalars {
        m.insert(s.id.to_string(), value(&s.value));
    }
    for g in &metrics.groups {
        let obj: Map<String, Value> = g
            .values
            .iter()
            .map(|(k, v)| {
                // Counts print as integers; shares keep six decimals.
                let n = if v.fract() == 0.0 && v.abs() < 9e15 {
                    json!(*v as i64)
                } else {
                    json!((v * 1e6).round() / 1e6)
                };
                (k.clone(), n)
            })
            .collect();
        m.insert(g.id.to_string(), Value::Object(obj));
    }
    if !keys.is_empty() {
        let placement = placement(sim);
        let owners: Map<String, Value> = keys
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    placement
                        .and_then(|p| p.owners(k))
                        .and_then(|o| o.first().cloned())
                        .map_or(Value::Null, Value::from),
                )
            })
            .collect();
        m.insert("owners".into(), Value::Object(owners));
        // A slot-table model (hash-slots) also names each key's hash slot and its node by name.
        let slots: Map<String, Value> = keys
            .iter()
            .filter_map(|k| {
                let s = placement?.slot_of(k)?;
                Some((k.clone(), json!({"slot": s.slot, "node": s.node})))
            })
            .collect();
        if !slots.is_empty() {
            m.insert("slots".into(), Value::Object(slots));
        }
    }
    m
}

fn params_json(sim: &dyn Simulation) -> Map<String, Value> {
    sim.params()
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect()
}

fn print(out: &Value, compact: bool) -> Result<(), String> {
    let text = if compact {
        serde_json::to_string(out)
    } else {
        serde_json::to_string_pretty(out)
    };
    println!("{}", text.map_err(|e| e.to_string())?);
    Ok(())
}

fn compare(args: &[String]) -> Result<(), String> {
    let (id, o) = options(args, Command::Compare)?;
    let (lesson, sim) = primary(&id, &o)?;
    if lesson.compare.is_empty() {
        return Err(format!("lesson {id:?} declares no compare variants"));
    }
    if let Some(bad) = o
        .only
        .iter()
        .find(|x| !lesson.compare.iter().any(|v| &v.id == *x))
    {
        let known: Vec<&str> = lesson.compare.iter().map(|v| v.id.as_str()).collect();
        return Err(format!(
            "--only: no variant {bad:?}; expected some of {}",
            known.join(", ")
        ));
    }
    let mut cmp = Comparison::new(&lesson, &o.only);
    cmp.sync(sim.as_ref());
    let columns: Vec<Value> = cmp
        .columns()
        .iter()
        .enumerate()
        .map(|(i, c)| match &c.run {
            Ok(run) => {
                let changes: Vec<Value> = cmp
                    .moved_per_change(i, run.now())
                    .iter()
                    .map(|m| {
                        json!({"at_ms": m.at.as_ms(), "input": m.input, "moved_keys": m.moved,
                               "moved_percent": m.percent.map(|p| (p * 1e6).round() / 1e6),
                               "refused": m.refused})
                    })
                    .collect();
                json!({"id": c.variant.id, "label": c.variant.label, "model": c.model,
                       "params": params_json(run.as_ref()), "metrics": metrics_json(run.as_ref(), &o.keys),
                       "changes": changes, "notes": c.notes,
                       "digest": format!("{:016x}", run.digest())})
            }
            Err(e) => json!({"id": c.variant.id, "label": c.variant.label, "model": c.model, "error": e}),
        })
        .collect();
    let out = json!({
        "lesson": lesson.id,
        "seed": sim.seed(),
        "until_ms": sim.now().as_ms(),
        "inputs": sim.inputs().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "variants": columns,
    });
    print(&out, o.json)
}

fn run(args: &[String]) -> Result<(), String> {
    let (id, o) = options(args, Command::Run)?;
    let (lesson_id, sim) =
        if catalog::lesson(&id).is_none() && registry::MODELS.contains(&id.as_str()) {
            // A model no lesson drives yet: its defaults.
            if o.preset.is_some() {
                return Err(format!(
                    "--preset: {id} is a model, not a lesson; it has no presets"
                ));
            }
            let until = SimTime::from_ms(BARE_MODEL_UNTIL_MS);
            let scenario = sim::scenario::Scenario::new(&id, 1, until);
            (id.clone(), start(scenario, &o)?)
        } else {
            let (lesson, sim) = primary(&id, &o)?;
            (lesson.id, sim)
        };
    let (keys, as_json, trace, moves) = (&o.keys, o.json, o.events, o.moves);
    let end = sim.now();
    let mut m = metrics_json(sim.as_ref(), keys);
    if moves {
        let list: Vec<Value> = placement(sim.as_ref())
            .and_then(|p| p.last_moves())
            .unwrap_or_default()
            .into_iter()
            .map(|m| json!({"key": m.key, "from": m.from, "to": m.to}))
            .collect();
        m.insert("moves".into(), Value::Array(list));
    }
    let params = params_json(sim.as_ref());
    let rejected: Vec<String> = sim
        .trace_lines()
        .iter()
        .filter(|l| l.rejected)
        .map(|l| l.text.clone())
        .collect();
    let out = json!({
        "lesson": lesson_id,
        "model": sim.model_id(),
        "seed": sim.seed(),
        "until_ms": end.as_ms(),
        "params": params,
        "inputs": sim.inputs().iter().map(ToString::to_string).collect::<Vec<_>>(),
        "metrics": m,
        "rejected": rejected,
        "digest": format!("{:016x}", sim.digest()),
    });
    if trace {
        for l in sim.trace_lines() {
            println!(
                "{}",
                json!({"time_us": l.time.as_us(), "seq": l.seq, "text": l.text})
            );
        }
    }
    if let Some(n) = o.picks {
        print_picks(sim.as_ref(), n)?;
    }
    if as_json || !(trace || o.picks.is_some()) {
        print(&out, as_json)?;
    }
    Ok(())
}

/// `--picks N`: the picks of requests 0 … N−1 (retries included), one per line.
fn print_picks(sim: &dyn Simulation, n: u64) -> Result<(), String> {
    let b = balancing(sim).ok_or_else(|| {
        format!(
            "--picks: this lesson's model ({}) has no load balancer",
            sim.model_id()
        )
    })?;
    for notice in b.notices() {
        eprintln!("sdp: not modelled: {notice}");
    }
    let mut requests = 0;
    for p in b.picks().iter().filter(|p| p.req < n) {
        let retry = if p.attempt > 1 {
            format!(" (retry {})", p.attempt - 1)
        } else {
            String::new()
        };
        println!(
            "req {}{retry} → {}: {}",
            p.req,
            p.server.as_deref().unwrap_or("none"),
            p.summary
        );
        requests = requests.max(p.req + 1);
    }
    if requests < n {
        eprintln!("sdp: only {requests} requests arrived by the end of the run");
    }
    Ok(())
}

/// The sweep the command line asks for: a declared one (`--sweep ID`, its fields overridden by
/// any flag given) or one built from `--param`, `--from`, `--to`, `--steps` and `--metric`.
fn sweep_def(lesson: &Lesson, o: &Options) -> Result<sim::sweep::SweepDef, String> {
    use sim::sweep::{SweepDef, TheoryRef};
    let mut def = match &o.sweep {
        Some(id) => SweepDef::parse_url(id, &lesson.sweeps).map_err(|e| e.to_string())?,
        None => {
            let has = |f: &str| o.sweep_def.iter().any(|(k, _)| k == f);
            if let Some(missing) = ["--param", "--from", "--to", "--steps"]
                .into_iter()
                .find(|f| !has(f))
            {
                let ids: Vec<&str> = lesson.sweeps.iter().map(|s| s.id.as_str()).collect();
                return Err(format!(
                    "name a declared sweep with --sweep ID ({}) or give {missing}",
                    if ids.is_empty() {
                        "this lesson declares none".to_string()
                    } else {
                        ids.join(", ")
                    }
                ));
            }
            SweepDef::new("", 0.0, 0.0, 0, Vec::new())
        }
    };
    for (flag, v) in &o.sweep_def {
        let num = || {
            v.parse::<f64>()
                .map_err(|_| format!("{flag} needs a number, not {v:?}"))
        };
        let whole = || {
            v.parse::<u32>()
                .map_err(|_| format!("{flag} needs a whole number, not {v:?}"))
        };
        match flag.as_str() {
            "--param" => def.param = v.clone(),
            "--from" => def.from = num()?,
            "--to" => def.to = num()?,
            "--steps" => def.steps = whole()?,
            "--seeds" => def.seeds = whole()?,
            _ => {}
        }
    }
    if o.log {
        def.log = true;
    }
    if !o.metrics.is_empty() {
        def.metrics = o
            .metrics
            .iter()
            .flat_map(|m| m.split(','))
            .map(|m| m.trim().to_string())
            .filter(|m| !m.is_empty())
            .collect();
    }
    if !o.only.is_empty() {
        def.variants = o.only.clone();
    }
    for t in &o.theory {
        let (metric, curve) = t
            .split_once('=')
            .ok_or_else(|| format!("--theory {t:?}: expected METRIC=CURVE"))?;
        def.theory.push(TheoryRef {
            metric: metric.to_string(),
            curve: curve.to_string(),
        });
    }
    if def.metrics.is_empty() {
        return Err("name a metric to plot with --metric".into());
    }
    Ok(def)
}

fn sweep(args: &[String]) -> Result<(), String> {
    use sim::sweep::{SweepPlan, SweepRequest, SweepResult};
    let (id, mut o) = options(args, Command::Sweep)?;
    let lesson =
        catalog::lesson(&id).ok_or_else(|| format!("no lesson {id:?} (see `sdp list`)"))?;
    let def = sweep_def(&lesson, &o)?;
    // A declared sweep runs on its own setup unless --preset says otherwise, as the page loads it.
    if o.preset.is_none() {
        o.preset = def.preset.clone();
    }
    let mut scenario = lesson
        .scenario(o.preset.as_deref())
        .map_err(|e| e.to_string())?;
    attach_trace(&mut scenario, &o)?;
    attach_config(&mut scenario, &o)?;
    scenario.params.extend(o.sets.iter().cloned());
    if let Some(s) = o.seed {
        scenario.seed = s;
    }
    scenario.inputs.extend(o.inputs.iter().cloned());
    scenario.until = run_end(&scenario, &o)?;
    let request =
        SweepRequest::for_scenario(&lesson, &scenario, &def).map_err(|e| e.to_string())?;
    let plan = SweepPlan::new(request).map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let mut result = SweepResult::new(plan.meta());
    for k in 0..plan.total() {
        result.add(plan.run(k));
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "sdp sweep: {} runs ({} points) in {secs:.2} s: {:.0} runs/s, {:.1} points/s",
        plan.total(),
        plan.xs().len(),
        f64::from(plan.total()) / secs.max(1e-9),
        plan.xs().len() as f64 / secs.max(1e-9),
    );
    if o.csv {
        print!("{}", result.to_csv());
        return Ok(());
    }
    let meta = &result.meta;
    let mut points = Vec::new();
    for (si, s) in meta.series.iter().enumerate() {
        for (mi, m) in meta.metrics.iter().enumerate() {
            for (pi, &x) in meta.xs.iter().enumerate() {
                if let Some(sum) = result.summary(si, mi, pi) {
                    points.push(json!({"series": s.id, "metric": m.id, "x": x, "n": sum.n,
                        "median": sum.median, "p10": sum.p10, "p90": sum.p90,
                        "min": sum.min, "max": sum.max, "mean": sum.mean}));
                }
            }
        }
    }
    let declared = lesson.sweeps.iter().find(|d| d.id == def.id);
    let out = json!({
        "lesson": lesson.id,
        "sweep": def.to_url(declared),
        "seed": scenario.seed,
        "runs": plan.total(),
        "param": meta.param,
        "metrics": meta.metrics,
        "series": meta.series,
        "xs": meta.xs,
        "points": points,
        "theory": meta.theory,
        "digest": format!("{:016x}", result.digest()),
    });
    if o.json {
        return print(&out, true);
    }
    for (si, s) in meta.series.iter().enumerate() {
        for (mi, m) in meta.metrics.iter().enumerate() {
            let unit = m
                .unit
                .as_deref()
                .map(|u| format!(" ({u})"))
                .unwrap_or_default();
            let name = if s.id.is_empty() {
                s.label.clone()
            } else {
                format!("{} [{}]", s.label, s.id)
            };
            println!("{name}: {}{unit} against {}", m.label, meta.param.label);
            for (pi, &x) in meta.xs.iter().enumerate() {
                let Some(sum) = result.summary(si, mi, pi) else {
                    continue;
                };
                let theory = meta
                    .theory
                    .iter()
                    .filter(|t| t.metric == m.id)
                    .filter_map(|t| {
                        t.points
                            .iter()
                            .find(|p| p.0 == x)
                            .map(|p| format!("  theory {:.4}", p.1))
                    })
                    .collect::<String>();
                println!(
                    "  {:>10}  median {:>10.4}  10–90 % [{:.4}, {:.4}]  min–max [{:.4}, {:.4}]{theory}",
                    sim::sweep::format_x(x), sum.median, sum.p10, sum.p90, sum.min, sum.max
                );
            }
        }
    }
    println!("digest {:016x}", result.digest());
    Ok(())
}
