//! `sdp`: the command-line runner over the same models the app runs.
//!
//! ```text
//! sdp list
//! sdp run <lesson> [--preset NAME] [--set name=value]... [--seed N] [--until TIME_MS]
//!         [--do TIME_MS:ACTION[:ARG]]... [--key NAME]... [--moves] [--json] [--trace]
//! ```

use serde_json::{json, Map, Value};
use sim::catalog;
use sim::model::MetricValue;
use sim::scenario::TimedInput;
use sim::time::SimTime;
use std::process::ExitCode;

const USAGE: &str = "usage:
  sdp list
  sdp run <lesson> [--preset NAME] [--set name=value]... [--seed N] [--until TIME_MS]
          [--do TIME_MS:ACTION[:ARG]]... [--key NAME]... [--moves] [--json] [--trace]";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("list") => list(),
        Some("run") => run(&args[1..]),
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
            let lesson = lesson.map_err(|e| e.to_string())?;
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

fn run(args: &[String]) -> Result<(), String> {
    let mut it = args.iter();
    let id = it.next().ok_or("run: name a lesson (see `sdp list`)")?;
    let lesson = catalog::lesson(id).ok_or_else(|| format!("no lesson {id:?} (see `sdp list`)"))?;
    let (mut preset, mut sets, mut seed, mut until, mut inputs, mut keys) =
        (None, Vec::new(), None, None, Vec::new(), Vec::new());
    let (mut as_json, mut trace, mut moves) = (false, false, false);
    while let Some(flag) = it.next() {
        let mut val = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--preset" => preset = Some(val()?),
            "--set" => {
                let v = val()?;
                let (k, x) = v
                    .split_once('=')
                    .ok_or_else(|| format!("--set {v:?}: expected name=value"))?;
                sets.push((k.to_string(), x.to_string()));
            }
            "--seed" => {
                seed = Some(
                    val()?
                        .parse::<u64>()
                        .map_err(|_| "--seed needs a whole number")?,
                )
            }
            "--until" => {
                until = Some(
                    val()?
                        .parse::<u64>()
                        .map_err(|_| "--until needs milliseconds")?,
                )
            }
            "--do" => inputs.push(TimedInput::parse(&val()?).map_err(|e| format!("--do: {e}"))?),
            "--key" => keys.push(val()?),
            "--json" => as_json = true,
            "--trace" => trace = true,
            "--moves" => moves = true,
            other => return Err(format!("unknown flag {other:?}\n{USAGE}")),
        }
    }
    let mut scenario = lesson
        .scenario(preset.as_deref())
        .map_err(|e| e.to_string())?;
    scenario.params.extend(sets);
    if let Some(s) = seed {
        scenario.seed = s;
    }
    scenario.inputs.extend(inputs);
    let end = until.map(SimTime::from_ms).unwrap_or_else(|| {
        let last = scenario
            .inputs
            .iter()
            .map(|t| t.at)
            .max()
            .unwrap_or(SimTime::ZERO);
        scenario.until.max(last)
    });
    scenario.until = end;
    let mut sim = catalog::start(&scenario).map_err(|e| e.to_string())?;
    sim.seek(end);
    sim.validate()
        .map_err(|e| format!("invariant broken: {e}"))?;
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
        let owners: Map<String, Value> = keys
            .iter()
            .map(|k| {
                (
                    k.clone(),
                    sim.owners(k)
                        .and_then(|o| o.first().cloned())
                        .map_or(Value::Null, Value::from),
                )
            })
            .collect();
        m.insert("owners".into(), Value::Object(owners));
    }
    if moves {
        let list: Vec<Value> = sim
            .last_moves()
            .unwrap_or_default()
            .into_iter()
            .map(|(key, from, to)| json!({"key": key, "from": from, "to": to}))
            .collect();
        m.insert("moves".into(), Value::Array(list));
    }
    let params: Map<String, Value> = sim
        .params()
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    let rejected: Vec<String> = sim
        .trace_lines()
        .iter()
        .filter(|l| l.rejected)
        .map(|l| l.text.clone())
        .collect();
    let out = json!({
        "lesson": lesson.id,
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
    if as_json || !trace {
        let text = if as_json {
            serde_json::to_string(&out)
        } else {
            serde_json::to_string_pretty(&out)
        };
        println!("{}", text.map_err(|e| e.to_string())?);
    }
    Ok(())
}
