//! The URL contract, pinned: every row of `tests/fixtures/urls.toml` is a link (home, lesson,
//! embed, bench, or one to nothing) with the parse it must keep giving: the route, the lesson,
//! the preset, the parameters that differ from the lesson's defaults, the seed, the
//! interventions, the time, compare mode, the embed options and the exact notices. A change to
//! the parser that would break a shared link or an embed someone pasted into a page fails here.
//! The expected values are written in the fixture by hand; nothing here regenerates them.
//!
//! A row's `canonical`, when given, is the link the app writes for that state: building the
//! state again must give exactly it, and it must parse back to the same state with no notice.
//!
//! To draft a row for a new link (then check every value by hand before committing it):
//!
//! ```text
//! SDP_URL='#/embed/hot-keys?v=1&split=4' cargo test -p playground --test url_contract \
//!     print_fixture_row -- --ignored --nocapture
//! ```
#![cfg(not(target_arch = "wasm32"))]

use playground::lessons;
use playground::route::embed::{embed_hash, fmt_speed, EmbedOptions, EMBED_FIELDS};
use playground::route::{self, compare_field, fmt_ms, lesson_hash, LessonRoute, Parsed, Route};
use serde::Deserialize;
use sim::params::ParamKind;
use std::collections::{BTreeMap, BTreeSet};

const FIXTURE: &str = include_str!("fixtures/urls.toml");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    url: Vec<Row>,
}

/// One link and what it must parse to. Absent lists and maps are empty; absent options are off.
#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Row {
    /// Why the row is here.
    note: String,
    /// The location hash.
    url: String,
    /// `home`, `lesson`, `embed`, `lesson-not-found`, `embed-not-found`, `bench`, `not-found`.
    route: String,
    #[serde(default)]
    query: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    lesson: Option<String>,
    #[serde(default)]
    preset: Option<String>,
    #[serde(default)]
    params: BTreeMap<String, String>,
    #[serde(default)]
    seed: Option<u64>,
    #[serde(default)]
    inputs: Vec<String>,
    #[serde(default)]
    t: Option<String>,
    #[serde(default)]
    compare: Option<Vec<String>>,
    #[serde(default)]
    step: Option<u32>,
    /// The sweep shown, as the app writes it (a declared sweep's id, or written out).
    #[serde(default)]
    sweep: Option<String>,
    #[serde(default)]
    embed: Option<EmbedRow>,
    #[serde(default)]
    notices: Vec<String>,
    #[serde(default)]
    canonical: Option<String>,
}

/// Every embed option, written out in full (no defaults in the fixture), except `title`, added
/// later: the rows written before it have none, which reads as "" (the lesson's title).
#[derive(Deserialize, Clone, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct EmbedRow {
    controls: String,
    autoplay: bool,
    #[serde(rename = "loop")]
    loop_range: String,
    speed: String,
    theme: String,
    caption: bool,
    #[serde(default)]
    title: String,
    id: String,
}

/// A parse, reduced to what the contract promises.
#[derive(Debug, PartialEq)]
struct Normal {
    route: String,
    query: Option<String>,
    path: Option<String>,
    lesson: Option<String>,
    preset: Option<String>,
    params: BTreeMap<String, String>,
    seed: Option<u64>,
    inputs: Vec<String>,
    t: Option<String>,
    compare: Option<Vec<String>>,
    step: Option<u32>,
    sweep: Option<String>,
    embed: Option<EmbedRow>,
    notices: Vec<String>,
}

impl Normal {
    fn empty(route: &str) -> Self {
        Normal {
            route: route.to_string(),
            query: None,
            path: None,
            lesson: None,
            preset: None,
            params: BTreeMap::new(),
            seed: None,
            inputs: Vec::new(),
            t: None,
            compare: None,
            step: None,
            sweep: None,
            embed: None,
            notices: Vec::new(),
        }
    }

    fn with_run(mut self, run: &LessonRoute) -> Self {
        let lesson = lessons::find(&run.id).expect("a parsed run names a real lesson");
        self.lesson = Some(run.id.clone());
        self.preset = run.preset.clone();
        self.params = lesson.changed_params(&run.params).into_iter().collect();
        self.seed = Some(run.seed);
        self.inputs = run.inputs.iter().map(ToString::to_string).collect();
        self.t = Some(fmt_ms(run.t));
        self.compare = run.compare.clone();
        self.step = run.step;
        self.sweep = run.sweep.as_ref().map(|d| {
            let declared = lesson.sweeps.iter().find(|x| x.id == d.id);
            d.to_url(declared)
        });
        self
    }
}

fn embed_row(o: &EmbedOptions) -> EmbedRow {
    EmbedRow {
        controls: o.controls.as_str().to_string(),
        autoplay: o.autoplay,
        loop_range: o.loop_range.map(|l| l.to_string()).unwrap_or_default(),
        speed: fmt_speed(o.speed),
        theme: o.theme.as_str().to_string(),
        caption: o.caption,
        title: o.title.clone(),
        id: o.frame_id.clone(),
    }
}

fn normalise(parsed: &Parsed) -> Normal {
    let mut n = match &parsed.route {
        Route::Home { query } => Normal {
            query: Some(query.clone()),
            ..Normal::empty("home")
        },
        Route::Lesson(r) => Normal::empty("lesson").with_run(r),
        Route::LessonNotFound { id } => Normal {
            lesson: Some(id.clone()),
            ..Normal::empty("lesson-not-found")
        },
        Route::Embed(e) => {
            let base = match &e.lesson {
                Some(run) => Normal::empty("embed").with_run(run),
                None => Normal {
                    lesson: Some(e.id.clone()),
                    ..Normal::empty("embed-not-found")
                },
            };
            Normal {
                embed: Some(embed_row(&e.options)),
                ..base
            }
        }
        Route::Bench => Normal::empty("bench"),
        Route::NotFound { path } => Normal {
            path: Some(path.clone()),
            ..Normal::empty("not-found")
        },
    };
    n.notices = parsed.notices.clone();
    n
}

fn expected(row: &Row) -> Normal {
    Normal {
        route: row.route.clone(),
        query: row.query.clone(),
        path: row.path.clone(),
        lesson: row.lesson.clone(),
        preset: row.preset.clone(),
        params: row.params.clone(),
        seed: row.seed,
        inputs: row.inputs.clone(),
        t: row.t.clone(),
        compare: row.compare.clone(),
        step: row.step,
        sweep: row.sweep.clone(),
        embed: row.embed.clone(),
        notices: row.notices.clone(),
    }
}

fn parse(url: &str) -> Parsed {
    route::parse(url, lessons::find)
}

/// The link the app writes for a parsed lesson or embed state.
fn rebuild(parsed: &Parsed) -> Option<String> {
    match &parsed.route {
        Route::Lesson(r) => {
            let l = lessons::find(&r.id)?;
            let mut h = lesson_hash(&l, &r.params, r.seed, &r.inputs, r.t);
            h.push_str(&compare_field(&l, r.compare.as_deref()));
            h.push_str(&route::step_field(r.step.map_or(0, |n| n as usize - 1)));
            h.push_str(&route::sweep_field(&l, r.sweep.as_ref()));
            Some(h)
        }
        Route::Embed(e) => {
            let run = e.lesson.as_ref()?;
            let l = lessons::find(&run.id)?;
            Some(embed_hash(&l, run, &e.options))
        }
        Route::Home { query } => Some(route::home_hash(query)),
        _ => None,
    }
}

fn rows() -> Vec<Row> {
    toml::from_str::<Fixture>(FIXTURE)
        .unwrap_or_else(|e| panic!("tests/fixtures/urls.toml does not parse: {e}"))
        .url
}

#[test]
fn every_fixture_url_still_parses_as_recorded() {
    let mut failures = Vec::new();
    for (i, row) in rows().iter().enumerate() {
        let got = normalise(&parse(&row.url));
        let want = expected(row);
        if got != want {
            failures.push(format!(
                "row {} ({}): {}\n  want: {want:?}\n  got:  {got:?}",
                i + 1,
                row.note,
                row.url
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} fixture URL(s) no longer parse as recorded: a shared link or an embed would break.\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn canonical_links_are_what_the_app_writes_and_read_back_cleanly() {
    let mut failures = Vec::new();
    for row in rows() {
        let Some(canonical) = &row.canonical else {
            continue;
        };
        let parsed = parse(&row.url);
        let built = rebuild(&parsed);
        if built.as_deref() != Some(canonical.as_str()) {
            failures.push(format!(
                "{} ({}): the app writes {built:?}, the fixture says {canonical:?}",
                row.url, row.note
            ));
            continue;
        }
        let again = normalise(&parse(canonical));
        if !again.notices.is_empty() {
            failures.push(format!("{canonical}: notices {:?}", again.notices));
        }
        // The app never writes `preset=`: a link names a preset again only when its run is
        // exactly the preset's, so the preset a URL named is not part of the state compared.
        let again = Normal {
            preset: None,
            ..again
        };
        let same_state = Normal {
            notices: Vec::new(),
            preset: None,
            ..normalise(&parsed)
        };
        if again != same_state {
            failures.push(format!(
                "{canonical} reads back as {again:?}, not {same_state:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every lesson in the registry, bare and at each of its presets, as a lesson page and as an
/// embed: the link parses with no notice, and the link the app writes for that state reads back
/// as the same state. Generated from the registry, so a new lesson is covered the moment its file
/// exists.
#[test]
fn every_lesson_and_preset_link_round_trips() {
    let mut failures = Vec::new();
    let mut checked = 0;
    for entry in lessons::all() {
        let lesson = lessons::find(entry.id).expect("every indexed lesson is compiled in");
        let presets =
            std::iter::once(None).chain(lesson.presets.iter().map(|p| Some(p.id.clone())));
        for preset in presets {
            for kind in ["lesson", "embed"] {
                let query = preset
                    .as_ref()
                    .map_or(String::new(), |p| format!("&preset={p}"));
                let url = format!("#/{kind}/{}?v=1{query}", entry.id);
                let parsed = parse(&url);
                checked += 1;
                if !parsed.notices.is_empty() {
                    failures.push(format!("{url}: notices {:?}", parsed.notices));
                    continue;
                }
                let Some(built) = rebuild(&parsed) else {
                    failures.push(format!(
                        "{url}: not a lesson or embed state: {:?}",
                        parsed.route
                    ));
                    continue;
                };
                let again = parse(&built);
                let strip = |n: Normal| Normal {
                    preset: None,
                    notices: Vec::new(),
                    ..n
                };
                if !again.notices.is_empty()
                    || strip(normalise(&again)) != strip(normalise(&parsed))
                {
                    failures.push(format!(
                        "{url} → {built} does not read back as the same state"
                    ));
                }
            }
        }
    }
    assert!(checked >= 4 * lessons::all().len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The fixture must keep covering the whole contract: adding a model, a parameter kind, a route
/// or an embed option without a fixture row fails here.
#[test]
fn the_fixture_covers_every_lesson_route_field_and_parameter_kind() {
    let rows = rows();
    let all = lessons::all();
    for route in [
        "home",
        "lesson",
        "embed",
        "lesson-not-found",
        "embed-not-found",
        "bench",
        "not-found",
    ] {
        assert!(
            rows.iter().any(|r| r.route == route),
            "no fixture row for the {route} route"
        );
    }
    // Every model has hand-written rows; a lesson of a model the fixture already covers is
    // checked by `every_lesson_and_preset_link_round_trips` below, so dropping a lesson file into
    // a family folder needs no fixture edit.
    for entry in all.iter() {
        for route in ["lesson", "embed"] {
            assert!(
                rows.iter().any(|r| {
                    r.route == route
                        && r.lesson
                            .as_deref()
                            .and_then(lessons::entry)
                            .is_some_and(|l| l.model == entry.model)
                }),
                "no {route} row for a lesson of the model {} (lesson {})",
                entry.model,
                entry.id
            );
        }
    }

    // Every kind of parameter some lesson has is set (to a non-default value) by some row.
    let kind_name = |k: &ParamKind| match k {
        ParamKind::Int { .. } => "int",
        ParamKind::Float { .. } => "float",
        ParamKind::Choice { .. } => "choice",
        ParamKind::Text { .. } => "text",
        ParamKind::Bool => "bool",
    };
    let mut kinds_in_lessons = BTreeSet::new();
    let mut kinds_in_rows = BTreeSet::new();
    for lesson in all.iter() {
        let specs = sim::registry::specs(lesson.model).unwrap_or_default();
        for spec in &specs {
            kinds_in_lessons.insert(kind_name(&spec.kind));
        }
        for row in rows
            .iter()
            .filter(|r| r.lesson.as_deref() == Some(lesson.id))
        {
            for name in row.params.keys() {
                if let Some(spec) = specs.iter().find(|s| &s.name == name) {
                    kinds_in_rows.insert(kind_name(&spec.kind));
                }
            }
        }
    }
    assert_eq!(
        kinds_in_rows, kinds_in_lessons,
        "every parameter kind the lessons use is set by some fixture row"
    );

    let query_has = |r: &Row, field: &str| {
        let q = r.url.split_once('?').map_or("", |(_, q)| q);
        route::parse_query(q).iter().any(|(k, _)| k == field)
    };
    for field in ["v", "seed", "preset", "do", "t", "compare"] {
        for route in ["lesson", "embed"] {
            assert!(
                rows.iter()
                    .any(|r| r.route == route && r.notices.is_empty() && query_has(r, field)),
                "no clean {route} row uses `{field}`"
            );
        }
    }
    assert!(
        rows.iter()
            .any(|r| r.route == "lesson" && r.notices.is_empty() && query_has(r, "step")),
        "no clean lesson row uses `step`"
    );
    for field in EMBED_FIELDS {
        assert!(
            rows.iter()
                .any(|r| r.route == "embed" && r.notices.is_empty() && query_has(r, field)),
            "no clean embed row uses `{field}`"
        );
        assert!(
            rows.iter().any(|r| r
                .notices
                .iter()
                .any(|n| n.starts_with(&format!("{field}:")))),
            "no row gives `{field}` a bad value"
        );
    }
    let inputs: Vec<&String> = rows.iter().flat_map(|r| &r.inputs).collect();
    assert!(
        inputs.iter().any(|i| i.matches(':').count() >= 2),
        "an input with an argument"
    );
    assert!(
        inputs.iter().any(|i| i.matches(':').count() == 1),
        "an input without an argument"
    );
    assert!(
        rows.iter()
            .any(|r| r.t.as_deref().is_some_and(|t| t.contains('.'))),
        "a time with decimals"
    );
    for (what, needle) in [
        ("an unknown field", "unknown field"),
        ("another version", "version"),
        ("a bad parameter", "parameter `"),
        ("a bad seed", "seed:"),
        ("a bad time", "t:"),
        ("a bad intervention", "do:"),
        ("an unknown preset", "preset"),
        ("an unknown compare variant", "compare:"),
        ("a bad step", "step:"),
    ] {
        assert!(
            rows.iter()
                .any(|r| r.notices.iter().any(|n| n.contains(needle))),
            "no row with {what}"
        );
    }
}

/// Prints a draft fixture row for `SDP_URL` (see the module docs). Check it by hand.
#[test]
#[ignore]
fn print_fixture_row() {
    let url = std::env::var("SDP_URL").expect("set SDP_URL to the link to describe");
    let parsed = parse(&url);
    let n = normalise(&parsed);
    let q = |s: &str| format!("{s:?}");
    let list = |v: &[String]| {
        format!(
            "[{}]",
            v.iter().map(|s| q(s)).collect::<Vec<_>>().join(", ")
        )
    };
    println!(
        "\n[[url]]\nnote = \"\"\nurl = {}\nroute = {}",
        q(&url),
        q(&n.route)
    );
    for (k, v) in [
        ("query", &n.query),
        ("path", &n.path),
        ("lesson", &n.lesson),
        ("preset", &n.preset),
    ] {
        if let Some(v) = v {
            println!("{k} = {}", q(v));
        }
    }
    if !n.params.is_empty() {
        let kv: Vec<String> = n
            .params
            .iter()
            .map(|(k, v)| format!("{k} = {}", q(v)))
            .collect();
        println!("params = {{ {} }}", kv.join(", "));
    }
    if let Some(s) = n.seed {
        println!("seed = {s}");
    }
    if !n.inputs.is_empty() {
        println!("inputs = {}", list(&n.inputs));
    }
    if let Some(t) = &n.t {
        println!("t = {}", q(t));
    }
    if let Some(c) = &n.compare {
        println!("compare = {}", list(c));
    }
    if let Some(step) = n.step {
        println!("step = {step}");
    }
    if let Some(sweep) = &n.sweep {
        println!("sweep = {}", q(sweep));
    }
    if let Some(e) = &n.embed {
        println!(
            "embed = {{ controls = {}, autoplay = {}, loop = {}, speed = {}, theme = {}, caption = {}, {}id = {} }}",
            q(&e.controls), e.autoplay, q(&e.loop_range), q(&e.speed), q(&e.theme), e.caption,
            if e.title.is_empty() { String::new() } else { format!("title = {}, ", q(&e.title)) },
            q(&e.id)
        );
    }
    if !n.notices.is_empty() {
        println!("notices = [");
        for m in &n.notices {
            println!("  {},", q(m));
        }
        println!("]");
    }
    if let Some(c) = rebuild(&parsed).filter(|_| n.notices.is_empty()) {
        println!("canonical = {}", q(&c));
    }
}

/// Every declared sweep of every lesson, as a link that names only it: it opens on the sweep's
/// own setup with no notice, and the link the app writes for that state reads back the same.
#[test]
fn every_declared_sweep_opens_from_a_link_and_reads_back() {
    let mut failures = Vec::new();
    for entry in catalog::LESSONS {
        let lesson = lessons::find(entry.id).expect("registered");
        for sweep in &lesson.sweeps {
            for kind in ["lesson", "embed"] {
                let url = format!("#/{kind}/{}?sweep={}", lesson.id, sweep.id);
                let parsed = parse(&url);
                let run = match &parsed.route {
                    Route::Lesson(r) => Some(r.clone()),
                    Route::Embed(e) => e.lesson.clone(),
                    _ => None,
                };
                let Some(run) = run else {
                    failures.push(format!("{url}: no run"));
                    continue;
                };
                if !parsed.notices.is_empty() || run.sweep.as_ref() != Some(sweep) {
                    failures.push(format!(
                        "{url}: {:?}, sweep {:?}",
                        parsed.notices, run.sweep
                    ));
                    continue;
                }
                let want_preset = sweep.preset.clone().or(run.preset.clone());
                if run.preset != want_preset {
                    failures.push(format!(
                        "{url}: opens preset {:?}, not {want_preset:?}",
                        run.preset
                    ));
                }
                let Some(written) = rebuild(&parsed) else {
                    failures.push(format!("{url}: the app writes no link"));
                    continue;
                };
                let again = parse(&written);
                if !again.notices.is_empty() || normalise(&again).sweep != Some(sweep.id.clone()) {
                    failures.push(format!("{written}: reads back as {:?}", normalise(&again)));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
