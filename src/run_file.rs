//! Run files: a run exported as a small JSON document that another user imports to replay it
//! exactly (format `sdp-run`, version 1; the fields are specified in the README).
//!
//! ```json
//! {
//!   "format": "sdp-run",
//!   "version": 1,
//!   "lesson": "consistent-hashing",
//!   "seed": 42,
//!   "params": { "vnodes": "100", "keys": "1000" },
//!   "inputs": ["0:remove-server:B"],
//!   "t": 2500,
//!   "digest": "6b1c0d0e9f3a2b41"
//! }
//! ```
//!
//! Reading a file is the same contract as reading a link ([`crate::route`]): a file that is not
//! a run at all (not JSON, another format, an unknown version or lesson) is refused with one
//! message; inside a run, every bad field is reported and skipped while the good ones still
//! apply. The result is the URL hash of the run, so an imported run is exactly a shared link.
//! Pure: no web APIs, tested natively.

use crate::route::{self, Notice};
use serde_json::{json, Map, Value};
use sim::lesson::Lesson;
use sim::params::ParamSet;
use sim::scenario::TimedInput;
use sim::time::SimTime;
use std::fmt;
use std::rc::Rc;

/// The `format` every run file carries.
pub const FORMAT: &str = "sdp-run";
/// The version of the run-file format this app writes and reads.
pub const VERSION: u64 = 1;
/// Larger files are refused unread (a run with thousands of interventions is a few hundred KB).
pub const MAX_BYTES: usize = 1 << 20;

/// Everything a run file records: the run and the moment in it.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRecord<'a> {
    /// The lesson.
    pub lesson: &'a Lesson,
    /// Every parameter of the run.
    pub params: &'a ParamSet,
    /// The seed.
    pub seed: u64,
    /// The interventions.
    pub inputs: &'a [TimedInput],
    /// The moment shown.
    pub t: SimTime,
    /// Compare mode's variants, if it is on.
    pub compare: Option<&'a [String]>,
    /// The sweep shown, if any (written as a link's `sweep=` writes it).
    pub sweep: Option<&'a sim::sweep::SweepDef>,
    /// The digest of the trace up to `t`, checked when the file is imported.
    pub digest: u64,
}

/// The run as a pretty-printed run file. Every parameter is written (not only those that differ
/// from the lesson's defaults), so the file replays the same run even if a later version of the
/// lesson changes a default.
pub fn export(run: &RunRecord<'_>) -> String {
    let mut params = Map::new();
    for (k, v) in run.params.iter() {
        params.insert(k.to_string(), Value::String(v.to_text()));
    }
    let mut doc = json!({
        "format": FORMAT,
        "version": VERSION,
        "lesson": run.lesson.id,
        "title": run.lesson.title,
        "seed": run.seed,
        "params": params,
        "inputs": run.inputs.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "t": time_value(run.t),
    });
    if let Some(ids) = run.compare {
        doc["compare"] = json!(ids);
    }
    if let Some(def) = run.sweep {
        let declared = run.lesson.sweeps.iter().find(|d| d.id == def.id);
        doc["sweep"] = json!(def.to_url(declared));
    }
    doc["digest"] = json!(format!("{:016x}", run.digest));
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}

/// The download name of a run file, snapshot or image: `<lesson>-<t>ms.<ext>`.
pub fn file_name(lesson_id: &str, t: SimTime, ext: &str) -> String {
    format!("{lesson_id}-{}ms.{ext}", route::fmt_ms(t))
}

/// Milliseconds as a JSON number: whole, or with the microseconds as decimals.
fn time_value(t: SimTime) -> Value {
    let us = t.as_us();
    if us % 1_000 == 0 {
        json!(us / 1_000)
    } else {
        json!(us as f64 / 1_000.0)
    }
}

/// Why a file is not a run this app can load at all.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError(pub String);

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ImportError {}

/// A run file read: where it leads and what in it could not be used.
#[derive(Clone, Debug, PartialEq)]
pub struct Imported {
    /// The lesson the run belongs to.
    pub lesson: Rc<Lesson>,
    /// The URL hash of the run (the same form as a shared link).
    pub hash: String,
    /// One message per field that was skipped, and a warning if the run replays differently.
    pub problems: Vec<Notice>,
}

fn refuse(msg: impl Into<String>) -> ImportError {
    ImportError(msg.into())
}

/// JSON's name for a value's type, for messages.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The lesson a run file names, if it is a JSON object with a `lesson` string (the app loads
/// that lesson before it [`import`]s the file).
pub fn lesson_id(text: &str) -> Option<String> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()?;
    doc.get("lesson")?.as_str().map(str::to_string)
}

/// Reads a run file, looking its lesson up with `find`.
pub fn import(
    text: &str,
    find: impl Fn(&str) -> Option<Rc<Lesson>>,
) -> Result<Imported, ImportError> {
    if text.len() > MAX_BYTES {
        return Err(refuse(format!(
            "this file is {} KB; a run file is at most {} KB",
            text.len().div_ceil(1024),
            MAX_BYTES / 1024
        )));
    }
    let doc: Value = serde_json::from_str(text.trim_start_matches('\u{feff}')).map_err(|e| {
        refuse(format!(
            "this is not a run file: it is not valid JSON ({e})"
        ))
    })?;
    let Value::Object(fields) = doc else {
        return Err(refuse(format!(
            "this is not a run file: expected a JSON object, found {}",
            kind(&doc)
        )));
    };
    match fields.get("format") {
        Some(Value::String(f)) if f == FORMAT => {}
        Some(Value::String(f)) => {
            return Err(refuse(format!(
                "this is not a run file: its format is {f:?}, expected {FORMAT:?}"
            )))
        }
        Some(other) => {
            return Err(refuse(format!(
                "this is not a run file: `format` is {}, expected the text {FORMAT:?}",
                kind(other)
            )))
        }
        None => {
            return Err(refuse(format!(
                "this is not a run file: it has no `format` field (expected {FORMAT:?})"
            )))
        }
    }
    match fields.get("version") {
        Some(v) if v.as_u64() == Some(VERSION) => {}
        Some(v) => match v.as_u64() {
            Some(n) if n > VERSION => {
                return Err(refuse(format!(
                    "this run file is version {n}, made by a newer version of the playground; \
                     this one reads version {VERSION}"
                )))
            }
            _ => {
                return Err(refuse(format!(
                "this run file's version {v} is not known; this playground reads version {VERSION}"
            )))
            }
        },
        None => return Err(refuse("this run file has no `version` field")),
    }
    let lesson = match fields.get("lesson") {
        Some(Value::String(id)) => find(id).ok_or_else(|| {
            refuse(format!(
                "this run is of a lesson {id:?} that this playground does not have"
            ))
        })?,
        Some(other) => {
            return Err(refuse(format!(
                "this run file's `lesson` is {}, expected a lesson id",
                kind(other)
            )))
        }
        None => return Err(refuse("this run file does not say which lesson it is of")),
    };
    let (run, mut problems) = read_run(&lesson, &fields);
    let mut hash = route::lesson_hash(&lesson, &run.params, run.seed, &run.inputs, run.t);
    hash.push_str(&route::compare_field(&lesson, run.compare.as_deref()));
    hash.push_str(&route::sweep_field(&lesson, run.sweep.as_ref()));
    if let Some(expected) = run.digest {
        if let Some(actual) = replay_digest(&lesson, &run) {
            if actual != expected {
                problems.push(
                    "this run replays differently here than where it was exported (the lesson's \
                     model has changed since): the same parameters, seed and interventions are \
                     applied, but the numbers may differ"
                        .to_string(),
                );
            }
        }
    }
    Ok(Imported {
        lesson,
        hash,
        problems,
    })
}

/// The fields of a run file, validated.
struct Run {
    params: ParamSet,
    seed: u64,
    inputs: Vec<TimedInput>,
    t: SimTime,
    compare: Option<Vec<String>>,
    sweep: Option<sim::sweep::SweepDef>,
    digest: Option<u64>,
}

const KNOWN: &[&str] = &[
    "format", "version", "lesson", "title", "seed", "params", "inputs", "t", "compare", "sweep",
    "digest",
];

fn read_run(lesson: &Lesson, fields: &Map<String, Value>) -> (Run, Vec<Notice>) {
    let mut problems = Vec::new();
    let specs = sim::registry::specs(&lesson.model).unwrap_or_default();

    let seed = match fields.get("seed") {
        None => lesson.seed,
        Some(v) => match v {
            Value::Number(n) if n.as_u64().is_some() => n.as_u64().unwrap_or(lesson.seed),
            Value::String(s) if s.trim().parse::<u64>().is_ok() => {
                s.trim().parse().unwrap_or(lesson.seed)
            }
            _ => {
                problems.push(format!(
                    "seed: {v} is not allowed; expected a whole number from 0 to {}; \
                     using the lesson's seed {}",
                    u64::MAX,
                    lesson.seed
                ));
                lesson.seed
            }
        },
    };

    let mut texts: Vec<(String, String)> = Vec::new();
    match fields.get("params") {
        None => {}
        Some(Value::Object(map)) => {
            for (name, v) in map {
                if !specs.iter().any(|s| &s.name == name) {
                    problems.push(format!(
                        "params: this lesson has no parameter `{name}` (ignored)"
                    ));
                    continue;
                }
                match v {
                    Value::String(s) => texts.push((name.clone(), s.clone())),
                    Value::Number(n) => texts.push((name.clone(), n.to_string())),
                    Value::Bool(b) => texts.push((name.clone(), b.to_string())),
                    other => problems.push(format!(
                        "parameter `{name}`: {} is not a value (ignored)",
                        kind(other)
                    )),
                }
            }
        }
        Some(other) => problems.push(format!(
            "params: expected an object of parameter values, found {} (ignored)",
            kind(other)
        )),
    }
    // Parameters the file leaves out take the lesson's defaults, as in a link.
    let defaults: Vec<(String, String)> = lesson
        .defaults
        .iter()
        .map(|(k, v)| (k.clone(), v.to_text()))
        .collect();
    let (params, errors) = ParamSet::resolve(
        &specs,
        defaults
            .iter()
            .chain(&texts)
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    problems.extend(errors.iter().map(ToString::to_string));

    let mut inputs = Vec::new();
    match fields.get("inputs") {
        None => {}
        Some(Value::Array(list)) => {
            for (i, v) in list.iter().enumerate() {
                match v {
                    Value::String(s) => match TimedInput::parse(s) {
                        Ok(input) if input.at > SimTime::from_ms(lesson.until_ms) => {
                            problems.push(format!(
                                "inputs[{i}]: {s:?} is after the end of the run ({} ms) (ignored)",
                                lesson.until_ms
                            ))
                        }
                        Ok(input) => inputs.push(input),
                        Err(e) => problems.push(format!("inputs[{i}]: {e} (ignored)")),
                    },
                    other => problems.push(format!(
                        "inputs[{i}]: {} is not an intervention; expected text such as \
                         \"0:remove-server:B\" (ignored)",
                        kind(other)
                    )),
                }
            }
        }
        Some(other) => problems.push(format!(
            "inputs: expected a list of interventions, found {} (ignored)",
            kind(other)
        )),
    }

    let until = SimTime::from_ms(lesson.until_ms);
    let mut t = SimTime::ZERO;
    match fields.get("t") {
        None => {}
        Some(v) => match v.as_f64().filter(|ms| ms.is_finite() && *ms >= 0.0) {
            Some(ms) => {
                let us = (ms * 1_000.0).round();
                t = if us > until.as_us() as f64 {
                    problems.push(format!(
                        "t: {v} ms is after the end of the run ({} ms); showing the end",
                        lesson.until_ms
                    ));
                    until
                } else {
                    SimTime::from_us(us as u64)
                };
            }
            None => problems.push(format!(
                "t: {v} is not allowed; expected a time in milliseconds from 0 to {}; \
                 showing the start",
                lesson.until_ms
            )),
        },
    }

    let compare = read_compare(lesson, fields.get("compare"), &mut problems);
    let sweep = match fields.get("sweep") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => {
            let until = SimTime::from_ms(lesson.until_ms);
            match sim::sweep::SweepDef::parse_url(text, &lesson.sweeps).and_then(|def| {
                sim::sweep::SweepRequest::new(lesson, &params, seed, &inputs, until, &def)
                    .map(|_| def)
            }) {
                Ok(def) => Some(def),
                Err(e) => {
                    problems.push(format!("sweep: {e} (ignored)"));
                    None
                }
            }
        }
        Some(other) => {
            problems.push(format!(
                "sweep: expected a sweep as a link writes it, found {} (ignored)",
                kind(other)
            ));
            None
        }
    };

    let digest = match fields.get("digest") {
        None => None,
        Some(Value::String(s)) if s.len() == 16 => u64::from_str_radix(s, 16).ok(),
        Some(_) => None,
    };
    if fields.get("digest").is_some() && digest.is_none() {
        problems.push("digest: not 16 hexadecimal digits (ignored; the run is not checked)".into());
    }

    for name in fields.keys() {
        if !KNOWN.contains(&name.as_str()) {
            problems.push(format!("unknown field `{name}` (ignored)"));
        }
    }
    (
        Run {
            params,
            seed,
            inputs,
            t,
            compare,
            sweep,
            digest,
        },
        problems,
    )
}

fn read_compare(
    lesson: &Lesson,
    value: Option<&Value>,
    problems: &mut Vec<Notice>,
) -> Option<Vec<String>> {
    let list = match value {
        None | Some(Value::Null) => return None,
        Some(Value::Array(list)) => list,
        Some(other) => {
            problems.push(format!(
                "compare: expected a list of variant ids, found {} (ignored)",
                kind(other)
            ));
            return None;
        }
    };
    if lesson.compare.is_empty() {
        problems.push("compare: this lesson has no compare mode (ignored)".to_string());
        return None;
    }
    let mut ids: Vec<String> = Vec::new();
    for v in list {
        match v.as_str() {
            Some(id) if lesson.compare.iter().any(|c| c.id == id) => ids.push(id.to_string()),
            _ => problems.push(format!(
                "compare: no variant {v} (ignored); expected some of {}",
                lesson
                    .compare
                    .iter()
                    .map(|c| c.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    // Columns keep the lesson's order, as links do; an empty list means every variant.
    Some(
        lesson
            .compare
            .iter()
            .map(|c| c.id.clone())
            .filter(|id| ids.is_empty() || ids.contains(id))
            .collect(),
    )
}

/// The digest of the run's trace at its time, or `None` if its parameters do not build (the
/// lesson page then reports why).
fn replay_digest(lesson: &Lesson, run: &Run) -> Option<u64> {
    let mut sim = sim::registry::start_with(
        &lesson.model,
        run.params.clone(),
        run.seed,
        run.inputs.clone(),
        SimTime::from_ms(lesson.until_ms),
    )
    .ok()?;
    sim.seek(run.t);
    Some(sim.digest())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::{Parsed, Route};

    fn find(id: &str) -> Option<Rc<Lesson>> {
        catalog::lesson(id).map(Rc::new)
    }

    fn lesson() -> Rc<Lesson> {
        find("consistent-hashing").expect("the consistent-hashing lesson is compiled in")
    }

    /// A run of the consistent-hashing lesson: vnodes 50, seed 7, B removed, at 2.5 s.
    fn sample() -> (Rc<Lesson>, ParamSet, Vec<TimedInput>, SimTime, u64) {
        let l = lesson();
        let specs = sim::registry::specs(&l.model).unwrap();
        let mut params = l.default_params();
        params.set(&specs, "vnodes", "50").unwrap();
        let inputs = vec![TimedInput::parse("1000:remove-server:B").unwrap()];
        let t = SimTime::from_us(2_500_500);
        let mut sim = sim::registry::start_with(
            &l.model,
            params.clone(),
            7,
            inputs.clone(),
            SimTime::from_ms(l.until_ms),
        )
        .unwrap();
        sim.seek(t);
        let digest = sim.digest();
        (l, params, inputs, t, digest)
    }

    fn sample_file() -> String {
        let (l, params, inputs, t, digest) = sample();
        export(&RunRecord {
            lesson: &l,
            params: &params,
            seed: 7,
            inputs: &inputs,
            t,
            compare: None,
            sweep: None,
            digest,
        })
    }

    fn lesson_route(hash: &str) -> Rc<route::LessonRoute> {
        match route::parse(hash, find) {
            Parsed {
                route: Route::Lesson(r),
                notices,
            } => {
                assert!(notices.is_empty(), "{hash}: {notices:?}");
                r
            }
            other => panic!("{hash} is not a lesson route: {other:?}"),
        }
    }

    /// Edits the sample file's JSON and imports it.
    fn import_edited(edit: impl FnOnce(&mut Value)) -> Result<Imported, ImportError> {
        let mut doc: Value = serde_json::from_str(&sample_file()).unwrap();
        edit(&mut doc);
        import(&doc.to_string(), find)
    }

    #[test]
    fn export_then_import_gives_the_same_run_and_moment() {
        let (l, params, inputs, t, _) = sample();
        let text = sample_file();
        let imported = import(&text, find).unwrap();
        assert!(imported.problems.is_empty(), "{:?}", imported.problems);
        assert_eq!(imported.lesson.id, l.id);
        assert_eq!(
            imported.hash,
            route::lesson_hash(&l, &params, 7, &inputs, t),
            "the import is the run's share link"
        );
        let r = lesson_route(&imported.hash);
        assert_eq!(
            (r.seed, &r.params, &r.inputs, r.t),
            (7, &params, &inputs, t)
        );
    }

    #[test]
    fn export_writes_the_documented_fields() {
        let doc: Value = serde_json::from_str(&sample_file()).unwrap();
        assert_eq!(doc["format"], "sdp-run");
        assert_eq!(doc["version"], 1);
        assert_eq!(doc["lesson"], "consistent-hashing");
        assert_eq!(doc["seed"], 7);
        assert_eq!(doc["params"]["vnodes"], "50");
        assert_eq!(
            doc["params"].as_object().unwrap().len(),
            sim::registry::specs("hash-ring").unwrap().len(),
            "every parameter is written"
        );
        assert_eq!(doc["inputs"], json!(["1000:remove-server:B"]));
        assert_eq!(doc["t"], json!(2500.5));
        assert_eq!(doc["digest"].as_str().map(str::len), Some(16));
        assert!(doc.get("compare").is_none(), "compare only when it is on");
    }

    #[test]
    fn compare_mode_round_trips() {
        let (l, params, inputs, t, digest) = sample();
        let ids = vec!["vnodes-100".to_string(), "one-point".to_string()];
        let text = export(&RunRecord {
            lesson: &l,
            params: &params,
            seed: 7,
            inputs: &inputs,
            t,
            compare: Some(&ids),
            sweep: None,
            digest,
        });
        let imported = import(&text, find).unwrap();
        assert!(imported.problems.is_empty(), "{:?}", imported.problems);
        assert_eq!(
            lesson_route(&imported.hash).compare,
            Some(vec!["one-point".to_string(), "vnodes-100".to_string()])
        );
    }

    #[test]
    fn a_sweep_round_trips_and_a_bad_one_is_reported() {
        let lesson = find("consistent-hashing").unwrap();
        let params = lesson.default_params();
        let def = sim::sweep::SweepDef::parse_url(
            "vnodes:1..200:6:log/max_mean_ratio,load_stddev/seeds:3",
            &[],
        )
        .unwrap();
        let text = export(&RunRecord {
            lesson: &lesson,
            params: &params,
            seed: 42,
            inputs: &[],
            t: SimTime::ZERO,
            compare: None,
            sweep: Some(&def),
            digest: 0,
        });
        let doc: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            doc["sweep"],
            json!("vnodes:1..200:6:log/max_mean_ratio,load_stddev/seeds:3")
        );
        let imported = import(&text, find).unwrap();
        assert_eq!(lesson_route(&imported.hash).sweep, Some(def));

        let mut bad: Value = serde_json::from_str(&text).unwrap();
        bad["sweep"] = json!("vnodes:1..9000:6/max_mean_ratio");
        let imported = import(&bad.to_string(), find).unwrap();
        assert!(
            imported
                .problems
                .iter()
                .any(|p| p.starts_with("sweep: sweep to 9000")),
            "{:?}",
            imported.problems
        );
        assert_eq!(lesson_route(&imported.hash).sweep, None);
        bad["sweep"] = json!(7);
        let imported = import(&bad.to_string(), find).unwrap();
        assert!(imported
            .problems
            .iter()
            .any(|p| p.starts_with("sweep: expected a sweep as a link writes it")));
    }

    #[test]
    fn things_that_are_not_run_files_are_refused_with_a_reason() {
        let cases: &[(&str, &str)] = &[
            ("", "not valid JSON"),
            ("{\"format\": \"sdp-run\",", "not valid JSON"),
            ("[1, 2]", "expected a JSON object, found a list"),
            ("{\"version\": 1}", "no `format` field"),
            (
                "{\"format\": \"other\", \"version\": 1}",
                "its format is \"other\"",
            ),
            ("{\"format\": 7}", "`format` is a number"),
            ("{\"format\": \"sdp-run\"}", "no `version` field"),
            (
                "{\"format\": \"sdp-run\", \"version\": 2, \"lesson\": \"consistent-hashing\"}",
                "made by a newer version",
            ),
            (
                "{\"format\": \"sdp-run\", \"version\": 0}",
                "version 0 is not known",
            ),
            (
                "{\"format\": \"sdp-run\", \"version\": \"1\"}",
                "is not known",
            ),
            (
                "{\"format\": \"sdp-run\", \"version\": 1}",
                "does not say which lesson",
            ),
            (
                "{\"format\": \"sdp-run\", \"version\": 1, \"lesson\": \"nope\"}",
                "lesson \"nope\" that this playground does not have",
            ),
            (
                "{\"format\": \"sdp-run\", \"version\": 1, \"lesson\": 3}",
                "`lesson` is a number",
            ),
        ];
        for (text, expected) in cases {
            let err = import(text, find).expect_err(text);
            assert!(err.0.contains(expected), "{text}: {err}");
        }
        let huge = " ".repeat(MAX_BYTES + 1);
        assert!(import(&huge, find).unwrap_err().0.contains("at most"));
    }

    #[test]
    fn a_minimal_file_is_the_lessons_defaults() {
        let l = lesson();
        let imported = import(
            r#"{"format":"sdp-run","version":1,"lesson":"consistent-hashing"}"#,
            find,
        )
        .unwrap();
        assert!(imported.problems.is_empty(), "{:?}", imported.problems);
        assert_eq!(
            imported.hash,
            route::lesson_hash(&l, &l.default_params(), l.seed, &[], SimTime::ZERO)
        );
    }

    #[test]
    fn bad_fields_are_reported_and_the_good_ones_still_apply() {
        let imported = import_edited(|d| {
            d["seed"] = json!(-3);
            d["params"]["vnodes"] = json!("many");
            d["params"]["keys"] = json!(300);
            d["params"]["colour"] = json!("red");
            d["params"]["hash"] = json!(["fnv1a"]);
            d["inputs"] = json!(["0:remove-server:B", "later:add-server", 5, "0:Bad Action"]);
            d["t"] = json!("soon");
            d["extra"] = json!(true);
        })
        .unwrap();
        let p = &imported.problems;
        let has = |needle: &str| p.iter().any(|m| m.contains(needle));
        assert!(has("seed: -3"), "{p:?}");
        assert!(has("parameter `vnodes`: \"many\""), "{p:?}");
        assert!(has("no parameter `colour`"), "{p:?}");
        assert!(has("parameter `hash`: a list is not a value"), "{p:?}");
        assert!(has("inputs[1]"), "{p:?}");
        assert!(has("inputs[2]: a number is not an intervention"), "{p:?}");
        assert!(has("inputs[3]"), "{p:?}");
        assert!(has("t: \"soon\""), "{p:?}");
        assert!(has("unknown field `extra`"), "{p:?}");
        let r = lesson_route(&imported.hash);
        assert_eq!(r.params.int("keys"), 300, "the good parameter applies");
        assert_eq!(
            r.seed,
            lesson().seed,
            "a bad seed falls back to the lesson's"
        );
        assert_eq!(
            r.inputs,
            vec![TimedInput::parse("0:remove-server:B").unwrap()],
            "the good input survives"
        );
    }

    #[test]
    fn wrong_container_types_are_reported() {
        let imported = import_edited(|d| {
            d["params"] = json!("vnodes=5");
            d["inputs"] = json!("0:remove-server:B");
            d["compare"] = json!("all");
            d["digest"] = json!(12);
        })
        .unwrap();
        let p = &imported.problems;
        assert!(
            p.iter()
                .any(|m| m.starts_with("params: expected an object")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m.starts_with("inputs: expected a list")),
            "{p:?}"
        );
        assert!(
            p.iter().any(|m| m.starts_with("compare: expected a list")),
            "{p:?}"
        );
        assert!(p.iter().any(|m| m.starts_with("digest:")), "{p:?}");
    }

    #[test]
    fn time_past_the_end_shows_the_end_and_numbers_and_strings_are_accepted() {
        let l = lesson();
        let imported = import_edited(|d| {
            d["t"] = json!(1e12);
            d["seed"] = json!("18446744073709551615");
            d["params"]["vnodes"] = json!(20);
            d.as_object_mut().unwrap().remove("digest");
        })
        .unwrap();
        assert_eq!(imported.problems.len(), 1, "{:?}", imported.problems);
        assert!(imported.problems[0].contains("after the end"));
        let r = lesson_route(&imported.hash);
        assert_eq!(r.t, SimTime::from_ms(l.until_ms));
        assert_eq!(r.seed, u64::MAX, "a seed past 2^53 survives as text");
        assert_eq!(r.params.int("vnodes"), 20);
    }

    #[test]
    fn an_intervention_past_the_end_is_named_and_left_out() {
        let imported = import_edited(|d| {
            d["inputs"] = json!(["1000:remove-server:B", "999999999:add-server"]);
            d.as_object_mut().unwrap().remove("digest");
        })
        .unwrap();
        assert_eq!(imported.problems.len(), 1, "{:?}", imported.problems);
        assert!(
            imported.problems[0].contains("inputs[1]")
                && imported.problems[0].contains("after the end of the run"),
            "{:?}",
            imported.problems
        );
        let r = lesson_route(&imported.hash);
        assert_eq!(
            r.inputs.len(),
            1,
            "only the intervention inside the run is kept"
        );
    }

    #[test]
    fn a_run_that_replays_differently_is_flagged() {
        let imported = import_edited(|d| d["digest"] = json!("0123456789abcdef")).unwrap();
        assert_eq!(imported.problems.len(), 1, "{:?}", imported.problems);
        assert!(imported.problems[0].contains("replays differently"));
    }

    #[test]
    fn a_run_of_another_lesson_leads_to_that_lesson() {
        let imported = import(
            r#"{"format":"sdp-run","version":1,"lesson":"modulo-sharding","inputs":["0:resize:5"],"t":10}"#,
            find,
        )
        .unwrap();
        assert!(imported.problems.is_empty(), "{:?}", imported.problems);
        assert!(
            imported.hash.starts_with("#/lesson/modulo-sharding?"),
            "{}",
            imported.hash
        );
        assert!(imported.hash.contains("do=0:resize:5"));
    }

    #[test]
    fn file_names_carry_lesson_and_time() {
        assert_eq!(
            file_name("consistent-hashing", SimTime::from_ms(2_500), "svg"),
            "consistent-hashing-2500ms.svg"
        );
        assert_eq!(
            file_name("x", SimTime::from_us(1_500), "png"),
            "x-1.500ms.png"
        );
    }
}
