//! Routing by URL hash, and the shareable-URL contract (version 1).
//!
//! ```text
//! #/                        home
//! #/?q=ring                 home, search box filled
//! #/lesson/<id>?v=1&seed=N&<param>=<value>…&preset=<id>&do=<TIME_MS:action[:arg]>…&t=<ms>&step=<n>
//!     &sweep=<id | PARAM:FROM..TO:STEPS[:log]/METRICS…>
//! #/embed/<id>?<the lesson fields>&controls=…&autoplay=1&loop=A-B&speed=…&theme=…&caption=0&id=…
//! ```
//!
//! `docs/url-contract.md` specifies every field; `tests/fixtures/urls.toml` pins their parse.
//!
//! Parsing never fails: every invalid or unknown field becomes a [`Notice`] for the banner, and
//! every valid field still applies (parameters go through [`ParamSet::resolve`], which keeps the
//! good overrides). Building writes `v=1`, then only the parameters that differ from the lesson's
//! defaults, the seed if it differs from the lesson's, every input, and the time. This module is
//! pure (no web APIs) so the contract is tested natively.

use sim::lesson::Lesson;
use sim::params::ParamSet;
use sim::scenario::TimedInput;
use sim::sweep::{SweepDef, SweepRequest};
use sim::time::SimTime;
use std::rc::Rc;

pub mod embed;

/// The URL format version this app writes and reads.
pub const URL_VERSION: &str = "1";

/// A page of the app.
#[derive(Clone, Debug, PartialEq)]
pub enum Route {
    /// The lesson list, with the search box's text.
    Home {
        /// The search text (`q=`).
        query: String,
    },
    /// A lesson page with the state its URL describes.
    Lesson(Rc<LessonRoute>),
    /// `#/lesson/<id>` for an id no lesson has.
    LessonNotFound {
        /// The id asked for.
        id: String,
    },
    /// `#/embed/<id>`: a lesson's run without the site around it, for an iframe.
    Embed(Rc<embed::EmbedRoute>),
    /// `#/bench`: the in-browser benchmark page (not linked from the UI; `scripts/bench.sh`).
    Bench,
    /// Any other path.
    NotFound {
        /// The path asked for.
        path: String,
    },
}

/// Everything a lesson URL fixes: the run and the moment in it.
#[derive(Clone, Debug, PartialEq)]
pub struct LessonRoute {
    /// The lesson's id.
    pub id: String,
    /// The preset the URL started from, if any (its params, seed and inputs are the base).
    pub preset: Option<String>,
    /// Every parameter, validated: lesson defaults, then the preset, then the URL's good values.
    pub params: ParamSet,
    /// The seed.
    pub seed: u64,
    /// The interventions, in the URL's order.
    pub inputs: Vec<TimedInput>,
    /// The moment to show.
    pub t: SimTime,
    /// Compare mode: the variants shown side by side (`None`: compare mode is off).
    pub compare: Option<Vec<String>>,
    /// The guided step shown, numbered from 1 (`None`: the first).
    pub step: Option<u32>,
    /// The sweep shown (`None`: none), checked against the lesson and the run's parameters.
    pub sweep: Option<SweepDef>,
}

/// A message about a field of the URL that was ignored.
pub type Notice = String;

/// A parsed URL: the route plus what was wrong with it.
#[derive(Clone, Debug, PartialEq)]
pub struct Parsed {
    /// Where to go.
    pub route: Route,
    /// One message per ignored field.
    pub notices: Vec<Notice>,
}

/// The lesson a location hash opens (`#/lesson/<id>…` or `#/embed/<id>…`), if it opens one:
/// what the app must have loaded before it can [`parse`] the rest.
pub fn lesson_id(hash: &str) -> Option<String> {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    let path = hash.split_once('?').map_or(hash, |(p, _)| p);
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        ["lesson" | "embed", id] => Some(decode(id)),
        _ => None,
    }
}

/// Parses a location hash (with or without the leading `#`), looking lessons up with `find`.
pub fn parse(hash: &str, find: impl Fn(&str) -> Option<Rc<Lesson>>) -> Parsed {
    let hash = hash.strip_prefix('#').unwrap_or(hash);
    let (path, query) = hash.split_once('?').unwrap_or((hash, ""));
    let fields = parse_query(query);
    let path = path.trim_end_matches('/');
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [] => {
            let mut notices = Vec::new();
            let mut q = String::new();
            for (k, v) in fields {
                match k.as_str() {
                    "q" => q = v,
                    _ => notices.push(unknown_field(&k)),
                }
            }
            Parsed {
                route: Route::Home { query: q },
                notices,
            }
        }
        ["lesson", id] => {
            let id = decode(id);
            match find(&id) {
                Some(lesson) => {
                    let (route, notices) = parse_lesson_fields(&lesson, fields);
                    Parsed {
                        route: Route::Lesson(Rc::new(route)),
                        notices,
                    }
                }
                None => Parsed {
                    route: Route::LessonNotFound { id },
                    notices: Vec::new(),
                },
            }
        }
        ["embed", id] => {
            let (route, notices) = embed::parse_embed(decode(id), fields, find);
            Parsed {
                route: Route::Embed(Rc::new(route)),
                notices,
            }
        }
        ["bench"] => Parsed {
            route: Route::Bench,
            notices: Vec::new(),
        },
        _ => Parsed {
            route: Route::NotFound { path: decode(path) },
            notices: Vec::new(),
        },
    }
}

fn unknown_field(name: &str) -> Notice {
    format!("unknown field `{name}` (ignored)")
}

/// Applies a lesson URL's fields on top of the lesson (and the preset it names).
pub fn parse_lesson_fields(
    lesson: &Lesson,
    fields: Vec<(String, String)>,
) -> (LessonRoute, Vec<Notice>) {
    let mut notices = Vec::new();
    let specs = sim::registry::specs(&lesson.model).unwrap_or_default();

    // `step=N` shows step N. A link that says nothing about the run (no preset, parameter,
    // seed, input or time: "open this step") runs the step's setup; otherwise the other fields
    // describe the run, as the app writes them (it always writes `t=`).
    let mut step = None;
    for (k, v) in &fields {
        if k == "step" {
            match v.trim().parse::<u32>() {
                Ok(n) if n >= 1 && (n as usize) <= lesson.steps.len() => step = Some(n),
                _ if lesson.steps.is_empty() => {
                    notices.push("step: this lesson has no guided steps (ignored)".to_string())
                }
                _ => notices.push(format!(
                    "step: {v:?} is not allowed; expected a step from 1 to {}",
                    lesson.steps.len()
                )),
            }
        }
    }
    // `sweep=` names a declared sweep or writes one out; the last one wins. A link that says
    // nothing about the run opens a declared sweep on its own setup, as a step link does.
    let mut sweep = None;
    for (k, v) in &fields {
        if k == "sweep" {
            match SweepDef::parse_url(v, &lesson.sweeps) {
                Ok(def) => sweep = Some(def),
                Err(e) => notices.push(format!("sweep: {e} (ignored)")),
            }
        }
    }
    let step_only = fields
        .iter()
        .all(|(k, _)| matches!(k.as_str(), "v" | "step" | "compare" | "sweep"));

    // The preset is the base the other fields override, wherever it appears in the URL.
    let mut preset = match (step, &sweep) {
        (_, Some(def)) if step_only && def.preset.is_some() => def.preset.clone(),
        (Some(n), _) if step_only => lesson.steps[n as usize - 1].preset.clone(),
        _ => None,
    };
    for (k, v) in &fields {
        if k == "preset" {
            if lesson.preset(v).is_some() {
                preset = Some(v.clone());
            } else {
                let known: Vec<&str> = lesson.presets.iter().map(|p| p.id.as_str()).collect();
                notices.push(format!(
                    "preset {v:?} does not exist; expected one of {}",
                    known.join(", ")
                ));
            }
        }
    }
    let base = lesson
        .scenario(preset.as_deref())
        .or_else(|_| lesson.scenario(None))
        .unwrap_or_else(|_| {
            sim::scenario::Scenario::new(
                &lesson.model,
                lesson.seed,
                SimTime::from_ms(lesson.until_ms),
            )
        });

    let mut seed = base.seed;
    let mut inputs = base.inputs.clone();
    let mut t = SimTime::ZERO;
    let mut overrides: Vec<(String, String)> = Vec::new();
    let mut compare = None;
    for (k, v) in fields {
        match k.as_str() {
            "compare" => compare = parse_compare(lesson, &v, &mut notices),
            "v" => {
                if v != URL_VERSION {
                    notices.push(format!(
                        "link format version {v:?} is not known; read as version {URL_VERSION}"
                    ));
                }
            }
            "preset" | "step" | "sweep" => {}
            "seed" => match v.trim().parse::<u64>() {
                Ok(s) => seed = s,
                Err(_) => notices.push(format!(
                    "seed: {v:?} is not allowed; expected a whole number from 0 to {}",
                    u64::MAX
                )),
            },
            "do" => match TimedInput::parse(&v) {
                Ok(i) if i.at > SimTime::from_ms(lesson.until_ms) => notices.push(format!(
                    "do: {v} is after the end of the run ({} ms); ignored",
                    lesson.until_ms
                )),
                Ok(i) => inputs.push(i),
                Err(e) => notices.push(format!("do: {e}")),
            },
            "t" => match parse_ms(&v) {
                Some(time) => t = time,
                None => notices.push(format!(
                    "t: {v:?} is not allowed; expected a time in milliseconds from 0 to {}",
                    lesson.until_ms
                )),
            },
            name if specs.iter().any(|s| s.name == name) => overrides.push((k, v)),
            _ => notices.push(unknown_field(&k)),
        }
    }
    let until = SimTime::from_ms(lesson.until_ms);
    if t > until {
        notices.push(format!(
            "t: {} is after the end of the run ({} ms); showing the end",
            fmt_ms(t),
            lesson.until_ms
        ));
        t = until;
    }
    let all = base
        .params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .chain(overrides.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let (params, errors) = ParamSet::resolve(&specs, all);
    notices.extend(errors.iter().map(ToString::to_string));
    let preset = preset.or_else(|| matching_preset(lesson, &params, seed, &inputs));
    // The sweep must fit this run: its parameter, range, metrics and variants.
    let sweep =
        sweep.filter(
            |def| match SweepRequest::new(lesson, &params, seed, &inputs, until, def) {
                Ok(_) => true,
                Err(e) => {
                    notices.push(format!("sweep: {e} (ignored)"));
                    false
                }
            },
        );
    let route = LessonRoute {
        id: lesson.id.clone(),
        preset,
        params,
        seed,
        inputs,
        t,
        compare,
        step,
        sweep,
    };
    (route, notices)
}

/// Reads `compare=a,b` (or `compare=all`): the lesson's variants to show side by side. Unknown
/// ids are reported and skipped; a lesson without variants reports the field.
fn parse_compare(lesson: &Lesson, text: &str, notices: &mut Vec<Notice>) -> Option<Vec<String>> {
    if lesson.compare.is_empty() {
        notices.push("compare: this lesson has no compare mode (ignored)".to_string());
        return None;
    }
    let all: Vec<String> = lesson.compare.iter().map(|v| v.id.clone()).collect();
    if text.trim() == "all" || text.trim().is_empty() {
        return Some(all);
    }
    let mut ids = Vec::new();
    for id in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if all.iter().any(|a| a == id) {
            if !ids.iter().any(|i: &String| i == id) {
                ids.push(id.to_string());
            }
        } else {
            notices.push(format!(
                "compare: no variant {id:?} (ignored); expected some of {}",
                all.join(", ")
            ));
        }
    }
    if ids.is_empty() {
        Some(all)
    } else {
        // Columns keep the lesson's order whatever order the link lists them in.
        Some(all.into_iter().filter(|a| ids.contains(a)).collect())
    }
}

/// The `step=` field for the step shown (`index` from 0): nothing for the first step, so links
/// to lessons without steps, or on their first, stay as they were.
pub fn step_field(index: usize) -> String {
    if index == 0 {
        String::new()
    } else {
        format!("&step={}", index + 1)
    }
}

/// The `sweep=` field for the sweep shown (nothing when there is none): a declared sweep's id
/// while it is unchanged, else the sweep written out ([`SweepDef::to_url`]).
pub fn sweep_field(lesson: &Lesson, sweep: Option<&SweepDef>) -> String {
    match sweep {
        None => String::new(),
        Some(def) => {
            let declared = lesson.sweeps.iter().find(|d| d.id == def.id);
            format!("&sweep={}", encode(&def.to_url(declared)))
        }
    }
}

/// The `compare=` field for these variants (`None`: compare mode off): `all` when every
/// variant is shown, so links stay short and pick up variants a lesson adds later.
pub fn compare_field(lesson: &Lesson, compare: Option<&[String]>) -> String {
    match compare {
        None => String::new(),
        Some(ids) if ids.len() == lesson.compare.len() => "&compare=all".to_string(),
        Some(ids) => format!("&compare={}", encode(&ids.join(","))),
    }
}

/// The preset whose parameters, seed and inputs are exactly these, if any: a shared link to a
/// preset's run shows that preset in the menu again.
pub fn matching_preset(
    lesson: &Lesson,
    params: &ParamSet,
    seed: u64,
    inputs: &[TimedInput],
) -> Option<String> {
    let specs = sim::registry::specs(&lesson.model)?;
    lesson
        .presets
        .iter()
        .find(|p| {
            lesson.scenario(Some(&p.id)).is_ok_and(|s| {
                let (set, errors) = ParamSet::resolve(
                    &specs,
                    s.params.iter().map(|(k, v)| (k.as_str(), v.as_str())),
                );
                errors.is_empty() && &set == params && s.seed == seed && s.inputs == inputs
            })
        })
        .map(|p| p.id.clone())
}

/// Parses milliseconds with up to three decimals (microsecond precision): `2500`, `2500.125`.
fn parse_ms(text: &str) -> Option<SimTime> {
    let text = text.trim();
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ms: u64 = whole.parse().ok()?;
    let us_frac: u64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<3}").parse().ok()?
    };
    Some(SimTime::from_us(
        ms.checked_mul(1_000)?.checked_add(us_frac)?,
    ))
}

/// Milliseconds as the URL writes them: whole, or with the microseconds as three decimals.
pub fn fmt_ms(t: SimTime) -> String {
    let us = t.as_us();
    if us % 1_000 == 0 {
        (us / 1_000).to_string()
    } else {
        format!("{}.{:03}", us / 1_000, us % 1_000)
    }
}

/// The hash of a lesson at one moment of a run.
pub fn lesson_hash(
    lesson: &Lesson,
    params: &ParamSet,
    seed: u64,
    inputs: &[TimedInput],
    t: SimTime,
) -> String {
    let mut out = format!("#/lesson/{}?v={URL_VERSION}", encode(&lesson.id));
    for (k, v) in lesson.changed_params(params) {
        out.push('&');
        out.push_str(&encode(&k));
        out.push('=');
        out.push_str(&encode(&v));
    }
    if seed != lesson.seed {
        out.push_str(&format!("&seed={seed}"));
    }
    for i in inputs {
        out.push_str("&do=");
        out.push_str(&encode(&i.to_string()));
    }
    out.push_str("&t=");
    out.push_str(&fmt_ms(t));
    out
}

/// The hash of the home page with a search text.
pub fn home_hash(query: &str) -> String {
    if query.is_empty() {
        "#/".to_string()
    } else {
        format!("#/?q={}", encode(query))
    }
}

/// Splits `a=1&b=2` into decoded pairs, in order (empty pieces skipped).
pub fn parse_query(query: &str) -> Vec<(String, String)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// Percent-encodes a value for a query string. Unreserved characters stay, and so do `:`, `@`,
/// `,` and `/` (legal in a query and much easier to read in `do=0:remove-server:B`).
pub fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b':'
            | b'@'
            | b','
            | b'/' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Decodes `%XX` escapes (and `+` as a space, as forms write it); bad escapes stay as written.
pub fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) => {
                        out.push(v);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::params::ParamValue;
    use sim::scenario::Input;

    fn find(id: &str) -> Option<Rc<Lesson>> {
        catalog::lesson(id).map(Rc::new)
    }

    fn lesson() -> Rc<Lesson> {
        find("consistent-hashing").expect("the consistent-hashing lesson is compiled in")
    }

    fn lesson_route(hash: &str) -> (Rc<LessonRoute>, Vec<Notice>) {
        let parsed = parse(hash, find);
        match parsed.route {
            Route::Lesson(r) => (r, parsed.notices),
            other => panic!("{hash} should be a lesson route, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_root_hashes_are_home() {
        for h in ["", "#", "#/", "/"] {
            assert_eq!(
                parse(h, find).route,
                Route::Home {
                    query: String::new()
                },
                "{h:?}"
            );
        }
        assert_eq!(
            parse("#/?q=hash%20ring", find).route,
            Route::Home {
                query: "hash ring".into()
            }
        );
    }

    #[test]
    fn home_hash_round_trips_the_search() {
        let h = home_hash("ring & vnodes");
        assert_eq!(
            parse(&h, find).route,
            Route::Home {
                query: "ring & vnodes".into()
            }
        );
        assert_eq!(home_hash(""), "#/");
    }

    #[test]
    fn bare_lesson_url_gives_the_lesson_defaults() {
        let l = lesson();
        let (r, notices) = lesson_route("#/lesson/consistent-hashing");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(r.params, l.default_params());
        assert_eq!(r.seed, l.seed);
        assert!(r.inputs.is_empty());
        assert_eq!(r.t, SimTime::ZERO);
    }

    #[test]
    fn unknown_lesson_and_unknown_path() {
        assert_eq!(
            parse("#/lesson/nope", find).route,
            Route::LessonNotFound { id: "nope".into() }
        );
        assert!(matches!(
            parse("#/elsewhere/x", find).route,
            Route::NotFound { .. }
        ));
    }

    #[test]
    fn reads_every_field() {
        let (r, notices) =
            lesson_route("#/lesson/consistent-hashing?v=1&seed=7&vnodes=50&hash=fnv1a&do=0:remove-server:B&do=2500:add-server&t=1234.5");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(r.seed, 7);
        assert_eq!(r.params.get("vnodes"), Some(&ParamValue::Int(50)));
        assert_eq!(r.params.text("hash"), "fnv1a");
        assert_eq!(r.inputs.len(), 2);
        assert_eq!(r.inputs[0].input, Input::new("remove-server", Some("B")));
        assert_eq!(r.inputs[1].at, SimTime::from_ms(2_500));
        assert_eq!(r.inputs[1].input, Input::new("add-server", None));
        assert_eq!(r.t, SimTime::from_us(1_234_500));
    }

    #[test]
    fn round_trips_state_through_the_url() {
        let l = lesson();
        let specs = sim::registry::specs(&l.model).unwrap();
        let mut params = l.default_params();
        params.set(&specs, "vnodes", "100").unwrap();
        params.set(&specs, "servers", "A,B,C,D").unwrap();
        params.set(&specs, "named_keys", "User 1=2&x,Ünï").unwrap();
        params.set(&specs, "zipf_s", "1.5").unwrap();
        let inputs = vec![
            TimedInput::parse("0:remove-server:B").unwrap(),
            TimedInput::parse("1500:add-keys:10").unwrap(),
            TimedInput::parse("2000:add-server:X@200").unwrap(),
        ];
        let t = SimTime::from_us(3_141_593);
        let hash = lesson_hash(&l, &params, 99, &inputs, t);
        let (r, notices) = lesson_route(&hash);
        assert!(notices.is_empty(), "{hash}: {notices:?}");
        assert_eq!(r.params, params, "{hash}");
        assert_eq!(r.seed, 99);
        assert_eq!(r.inputs, inputs);
        assert_eq!(r.t, t);
        assert_eq!(
            lesson_hash(&l, &r.params, r.seed, &r.inputs, r.t),
            hash,
            "building again gives the same URL"
        );
    }

    #[test]
    fn writes_version_then_only_changed_params_and_seed() {
        let l = lesson();
        let defaults = l.default_params();
        assert_eq!(
            lesson_hash(&l, &defaults, l.seed, &[], SimTime::ZERO),
            "#/lesson/consistent-hashing?v=1&t=0"
        );
        let specs = sim::registry::specs(&l.model).unwrap();
        let mut p = defaults.clone();
        p.set(&specs, "vnodes", "50").unwrap();
        let inputs = [TimedInput::parse("0:remove-server:B").unwrap()];
        assert_eq!(
            lesson_hash(&l, &p, 7, &inputs, SimTime::from_ms(2_500)),
            "#/lesson/consistent-hashing?v=1&vnodes=50&seed=7&do=0:remove-server:B&t=2500"
        );
    }

    #[test]
    fn a_bad_param_names_the_param_value_and_range_and_the_rest_still_apply() {
        let (r, notices) =
            lesson_route("#/lesson/consistent-hashing?v=1&seed=7&vnodes=abc&keys=300");
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].contains("vnodes"), "{}", notices[0]);
        assert!(notices[0].contains("abc"), "{}", notices[0]);
        assert!(notices[0].contains("1 to 1000"), "{}", notices[0]);
        assert_eq!(r.seed, 7, "the valid seed applies");
        assert_eq!(r.params.int("keys"), 300, "the valid param applies");
        assert_eq!(
            r.params.int("vnodes"),
            1,
            "the bad one keeps the lesson's value"
        );
    }

    #[test]
    fn out_of_range_values_are_reported() {
        let (_, notices) =
            lesson_route("#/lesson/consistent-hashing?vnodes=5000&popularity=pareto");
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices[0].contains("vnodes") && notices[0].contains("5000"));
        assert!(notices[1].contains("popularity") && notices[1].contains("uniform"));
    }

    #[test]
    fn unknown_fields_are_reported_and_ignored() {
        let (r, notices) = lesson_route("#/lesson/consistent-hashing?v=1&colour=red&seed=3");
        assert_eq!(
            notices,
            vec!["unknown field `colour` (ignored)".to_string()]
        );
        assert_eq!(r.seed, 3);
        let home = parse("#/?q=x&foo=1", find);
        assert_eq!(home.notices.len(), 1);
    }

    #[test]
    fn other_versions_give_a_notice_but_still_parse() {
        let (r, notices) = lesson_route("#/lesson/consistent-hashing?v=2&seed=5");
        assert_eq!(notices.len(), 1);
        assert!(notices[0].contains("version"), "{}", notices[0]);
        assert_eq!(r.seed, 5);
        let (_, none) = lesson_route("#/lesson/consistent-hashing?seed=5");
        assert!(none.is_empty(), "a missing v reads as version 1");
    }

    #[test]
    fn bad_seed_time_and_inputs_are_reported() {
        let (r, notices) =
            lesson_route("#/lesson/consistent-hashing?seed=-1&t=soon&do=later:remove-server:B&do=0:Bad%20Action&do=10:add-keys:5");
        assert_eq!(notices.len(), 4, "{notices:?}");
        assert!(notices[0].starts_with("seed"));
        assert!(notices[1].starts_with("t:"));
        assert!(notices[2].contains("milliseconds"));
        assert!(notices[3].contains("not an action"));
        assert_eq!(
            r.inputs,
            vec![TimedInput::parse("10:add-keys:5").unwrap()],
            "the good input survives"
        );
        assert_eq!(r.seed, lesson().seed);
    }

    #[test]
    fn time_past_the_end_is_clamped_with_a_notice() {
        let (r, notices) = lesson_route("#/lesson/consistent-hashing?t=99999999");
        assert_eq!(r.t, SimTime::from_ms(lesson().until_ms));
        assert_eq!(notices.len(), 1);
    }

    #[test]
    fn preset_is_the_base_and_url_fields_override_it() {
        let l = lesson();
        let (r, notices) =
            lesson_route("#/lesson/consistent-hashing?preset=virtual-nodes&vnodes=20");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(r.preset.as_deref(), Some("virtual-nodes"));
        assert_eq!(r.params.int("keys"), 5000, "from the preset");
        assert_eq!(r.params.int("vnodes"), 20, "the URL wins over the preset");
        let (r, _) = lesson_route("#/lesson/consistent-hashing?preset=b-crashes");
        assert_eq!(
            r.inputs,
            vec![TimedInput::parse("2000:remove-server:B").unwrap()]
        );
        let (r, notices) = lesson_route("#/lesson/consistent-hashing?preset=nope&seed=4");
        assert_eq!(notices.len(), 1);
        assert!(notices[0].contains("nope"));
        assert_eq!(r.params, l.default_params());
        assert_eq!(r.seed, 4);
    }

    #[test]
    fn a_link_to_a_presets_run_names_the_preset_again() {
        let l = lesson();
        let scenario = l.scenario(Some("b-crashes")).unwrap();
        let specs = sim::registry::specs(&l.model).unwrap();
        let (params, _) = ParamSet::resolve(
            &specs,
            scenario
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let hash = lesson_hash(
            &l,
            &params,
            scenario.seed,
            &scenario.inputs,
            SimTime::from_ms(2_500),
        );
        let (r, _) = lesson_route(&hash);
        assert_eq!(r.preset.as_deref(), Some("b-crashes"));
        let (r, _) = lesson_route("#/lesson/consistent-hashing?vnodes=7");
        assert_eq!(r.preset, None);
    }

    #[test]
    fn encode_and_decode_are_inverse() {
        for s in [
            "plain",
            "a b&c=d#e%f+g",
            "Ünïcödé ✓",
            "0:remove-server:B",
            "A@45,B@120",
        ] {
            assert_eq!(decode(&encode(s)), s);
        }
        assert_eq!(encode("0:remove-server:B"), "0:remove-server:B");
        assert_eq!(decode("100%"), "100%", "a bad escape stays as written");
        assert_eq!(decode("%zz%4"), "%zz%4");
        assert_eq!(decode("%+1"), "% 1", "a sign is not a hex digit");
    }

    #[test]
    fn milliseconds_keep_microseconds() {
        assert_eq!(fmt_ms(SimTime::from_us(2_500_000)), "2500");
        assert_eq!(fmt_ms(SimTime::from_us(2_500_001)), "2500.001");
        assert_eq!(parse_ms("2500.001"), Some(SimTime::from_us(2_500_001)));
        assert_eq!(parse_ms("2500.5"), Some(SimTime::from_us(2_500_500)));
        assert_eq!(parse_ms("1.2345"), None);
        assert_eq!(parse_ms("-1"), None);
        assert_eq!(parse_ms(""), None);
    }

    #[test]
    fn compare_lists_known_variants_in_the_lessons_order() {
        let (r, notices) =
            lesson_route("#/lesson/consistent-hashing?compare=vnodes-100,nope,one-point");
        assert_eq!(
            r.compare,
            Some(vec!["one-point".to_string(), "vnodes-100".to_string()])
        );
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].contains("nope"));
        let (r, notices) = lesson_route("#/lesson/consistent-hashing?compare=all");
        assert_eq!(r.compare.as_ref().map(Vec::len), Some(4));
        assert!(notices.is_empty());
        let (r, _) = lesson_route("#/lesson/consistent-hashing");
        assert_eq!(r.compare, None, "off unless asked");
    }
}
