//! The embed route, `#/embed/<lesson>?…`: a lesson URL's fields plus the embed's own options.
//!
//! ```text
//! #/embed/<id>?v=1&<every lesson field>&controls=none|play|full&autoplay=1&loop=START-END
//!             &speed=X&theme=light|dark|auto&caption=0|1&title=TEXT&id=NAME
//! ```
//!
//! Every lesson field (`seed`, parameters, `preset`, `do`, `t`, `compare`) means exactly what it
//! means on `#/lesson/<id>` and goes through the same parser ([`super::parse_lesson_fields`]).
//! The options here only change how the run is shown. Like the rest of the contract, parsing
//! never fails: a bad option becomes a notice and keeps its default. `docs/url-contract.md`
//! specifies every field; `tests/fixtures/urls.toml` pins their parse.

use super::{encode, fmt_ms, parse_lesson_fields, parse_ms, LessonRoute, Notice};
use sim::lesson::Lesson;
use sim::scenario::TimedInput;
use sim::time::SimTime;
use std::fmt;
use std::rc::Rc;

/// The names of the embed's own fields, in the order [`embed_hash`] writes them.
pub const EMBED_FIELDS: &[&str] = &[
    "controls", "autoplay", "loop", "speed", "theme", "caption", "title", "id",
];

/// The slowest and fastest `speed=` (simulated seconds per wall-clock second).
pub const SPEED_RANGE: (f64, f64) = (0.1, 64.0);

/// The longest `id=`, in characters.
pub const MAX_ID_LEN: usize = 64;

/// The longest `title=` (the caption's heading), in characters.
pub const MAX_TITLE_LEN: usize = 160;

/// How long before the first intervention [`default_loop`] starts, in µs.
pub const LOOP_LEAD_US: u64 = 1_000_000;

/// How long after the last intervention [`default_loop`] ends, in µs: long enough to see what the
/// intervention changed settle.
pub const LOOP_TAIL_US: u64 = 2_000_000;

/// Which controls an embed shows under its diagram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Controls {
    /// The diagram alone (and the link back to the lesson).
    None,
    /// Play/pause, the progress of the run and its clock.
    #[default]
    Play,
    /// The whole transport (restart, step, scrub, speed), the interventions and the parameters.
    Full,
}

impl Controls {
    /// As written in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            Controls::None => "none",
            Controls::Play => "play",
            Controls::Full => "full",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "none" => Some(Controls::None),
            "play" => Some(Controls::Play),
            "full" => Some(Controls::Full),
            _ => None,
        }
    }
}

/// The embed's colour theme.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EmbedTheme {
    /// Follow `prefers-color-scheme` (what the host page's reader asked their system for).
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl EmbedTheme {
    /// As written in the URL.
    pub fn as_str(self) -> &'static str {
        match self {
            EmbedTheme::Auto => "auto",
            EmbedTheme::Light => "light",
            EmbedTheme::Dark => "dark",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "auto" => Some(EmbedTheme::Auto),
            "light" => Some(EmbedTheme::Light),
            "dark" => Some(EmbedTheme::Dark),
            _ => None,
        }
    }
}

/// `loop=START-END`: playback runs from `start` to `end`, then jumps back to `start`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopRange {
    /// Where each lap starts.
    pub start: SimTime,
    /// Where each lap ends (after `start`, at most the end of the run).
    pub end: SimTime,
}

impl fmt::Display for LoopRange {
    /// `START-END` in milliseconds, as the URL writes it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", fmt_ms(self.start), fmt_ms(self.end))
    }
}

/// How an embed shows its run. [`Default`] is what a URL without any option gets.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedOptions {
    /// `controls=`: which controls show.
    pub controls: Controls,
    /// `autoplay=1`: the clock starts on load.
    pub autoplay: bool,
    /// `loop=START-END`: playback loops between two times.
    pub loop_range: Option<LoopRange>,
    /// `speed=`: simulated seconds per wall-clock second.
    pub speed: f64,
    /// `theme=`: light, dark or following the reader's system.
    pub theme: EmbedTheme,
    /// `caption=`: the lesson's title and summary above the diagram.
    pub caption: bool,
    /// `title=`: the caption's heading in place of the lesson's title (empty: the lesson's).
    pub title: String,
    /// `id=`: names this embed in its height messages to the host page (empty: no name).
    pub frame_id: String,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            controls: Controls::Play,
            autoplay: false,
            loop_range: None,
            speed: 1.0,
            theme: EmbedTheme::Auto,
            caption: true,
            title: String::new(),
            frame_id: String::new(),
        }
    }
}

/// What an embed URL asks for.
#[derive(Clone, Debug, PartialEq)]
pub struct EmbedRoute {
    /// The lesson id as written in the URL.
    pub id: String,
    /// The run, or `None` when no lesson has that id.
    pub lesson: Option<Rc<LessonRoute>>,
    /// How to show it.
    pub options: EmbedOptions,
}

/// Parses an embed URL's fields for the lesson `id` (looked up with `find`).
pub fn parse_embed(
    id: String,
    fields: Vec<(String, String)>,
    find: impl Fn(&str) -> Option<Rc<Lesson>>,
) -> (EmbedRoute, Vec<Notice>) {
    let (own, rest): (Vec<_>, Vec<_>) = fields
        .into_iter()
        .partition(|(k, _)| EMBED_FIELDS.contains(&k.as_str()));
    let lesson = find(&id);
    let mut notices = Vec::new();
    let route = lesson.as_ref().map(|l| {
        let (route, lesson_notices) = parse_lesson_fields(l, rest);
        notices.extend(lesson_notices);
        Rc::new(route)
    });
    let until = lesson.as_ref().map(|l| SimTime::from_ms(l.until_ms));
    let options = parse_options(own, until, &mut notices);
    (
        EmbedRoute {
            id,
            lesson: route,
            options,
        },
        notices,
    )
}

/// Reads the embed's own fields; `until` (the end of the lesson's run) bounds the loop.
fn parse_options(
    fields: Vec<(String, String)>,
    until: Option<SimTime>,
    notices: &mut Vec<Notice>,
) -> EmbedOptions {
    let mut o = EmbedOptions::default();
    for (k, raw) in fields {
        let v = raw.trim();
        let bad = |expected: &str| format!("{k}: {raw:?} is not allowed; expected {expected}");
        match k.as_str() {
            "controls" => match Controls::parse(v) {
                Some(c) => o.controls = c,
                None => notices.push(bad("none, play or full")),
            },
            "autoplay" => match parse_flag(v) {
                Some(b) => o.autoplay = b,
                None => notices.push(bad("1 or 0")),
            },
            "caption" => match parse_flag(v) {
                Some(b) => o.caption = b,
                None => notices.push(bad("1 or 0")),
            },
            "theme" => match EmbedTheme::parse(v) {
                Some(t) => o.theme = t,
                None => notices.push(bad("light, dark or auto")),
            },
            "speed" => match v.parse::<f64>() {
                Ok(s) if (SPEED_RANGE.0..=SPEED_RANGE.1).contains(&s) => o.speed = s,
                _ => notices.push(bad(&format!(
                    "a number from {} to {}",
                    SPEED_RANGE.0, SPEED_RANGE.1
                ))),
            },
            "loop" => match parse_loop(v, until) {
                Ok((range, clamped)) => {
                    if clamped {
                        notices.push(format!(
                            "loop: {raw:?} ends after the end of the run; looping to {}",
                            fmt_ms(range.end)
                        ));
                    }
                    o.loop_range = Some(range);
                }
                Err(expected) => notices.push(bad(&expected)),
            },
            "title" => {
                let n = v.chars().count();
                if n <= MAX_TITLE_LEN && !v.chars().any(char::is_control) {
                    o.title = v.to_string();
                } else {
                    notices.push(bad(&format!(
                        "a heading of up to {MAX_TITLE_LEN} characters on one line"
                    )));
                }
            }
            "id" => {
                let ok = !v.is_empty()
                    && v.chars().count() <= MAX_ID_LEN
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
                if ok {
                    o.frame_id = v.to_string();
                } else {
                    notices.push(bad(&format!(
                        "up to {MAX_ID_LEN} letters, digits, '-', '_', '.' or ':'"
                    )));
                }
            }
            // Only the embed's fields are passed here; anything else is reported, never a panic.
            _ => notices.push(super::unknown_field(&k)),
        }
    }
    o
}

/// `1`/`0` (also `true`/`false`, `on`/`off`, `yes`/`no`, as boolean parameters read them); an
/// empty value (`&autoplay`) means on.
fn parse_flag(text: &str) -> Option<bool> {
    match text {
        "1" | "true" | "on" | "yes" | "" => Some(true),
        "0" | "false" | "off" | "no" => Some(false),
        _ => None,
    }
}

/// `START-END` in milliseconds; the range is clamped to `until` (the bool says it was).
fn parse_loop(text: &str, until: Option<SimTime>) -> Result<(LoopRange, bool), String> {
    let expected = || match until {
        Some(u) => format!(
            "START-END in milliseconds with START before END and before {}, e.g. 0-{}",
            fmt_ms(u),
            fmt_ms(u)
        ),
        None => "START-END in milliseconds, e.g. 0-5000".to_string(),
    };
    let (a, b) = text.split_once('-').ok_or_else(expected)?;
    let (Some(start), Some(mut end)) = (parse_ms(a), parse_ms(b)) else {
        return Err(expected());
    };
    let mut clamped = false;
    if let Some(u) = until {
        if start >= u {
            return Err(expected());
        }
        if end > u {
            end = u;
            clamped = true;
        }
    }
    if start >= end {
        return Err(expected());
    }
    Ok((LoopRange { start, end }, clamped))
}

/// Writes a speed the way the URL does (`2`, `0.5`).
pub fn fmt_speed(speed: f64) -> String {
    let t = format!("{speed}");
    t.strip_suffix(".0").map(str::to_string).unwrap_or(t)
}

/// The embed's own fields that differ from [`EmbedOptions::default`], in [`EMBED_FIELDS`]
/// order, each as `&name=value`.
pub fn options_query(o: &EmbedOptions) -> String {
    let d = EmbedOptions::default();
    let mut out = String::new();
    if o.controls != d.controls {
        out.push_str(&format!("&controls={}", o.controls.as_str()));
    }
    if o.autoplay != d.autoplay {
        out.push_str(&format!("&autoplay={}", u8::from(o.autoplay)));
    }
    if let Some(r) = o.loop_range {
        out.push_str(&format!("&loop={r}"));
    }
    if o.speed != d.speed {
        out.push_str(&format!("&speed={}", fmt_speed(o.speed)));
    }
    if o.theme != d.theme {
        out.push_str(&format!("&theme={}", o.theme.as_str()));
    }
    if o.caption != d.caption {
        out.push_str(&format!("&caption={}", u8::from(o.caption)));
    }
    if !o.title.is_empty() {
        out.push_str(&format!("&title={}", encode(&o.title)));
    }
    if !o.frame_id.is_empty() {
        out.push_str(&format!("&id={}", encode(&o.frame_id)));
    }
    out
}

/// The embed hash showing `route` (the run and its moment) of `lesson` with these options: the
/// lesson's share hash under `#/embed/`, then the options that differ from the defaults.
pub fn embed_hash(lesson: &Lesson, route: &LessonRoute, options: &EmbedOptions) -> String {
    let lesson_hash = super::lesson_hash(lesson, &route.params, route.seed, &route.inputs, route.t);
    let rest = lesson_hash
        .strip_prefix("#/lesson/")
        .unwrap_or(&lesson_hash);
    let mut out = format!("#/embed/{rest}");
    out.push_str(&super::compare_field(lesson, route.compare.as_deref()));
    out.push_str(&super::sweep_field(lesson, route.sweep.as_ref()));
    out.push_str(&options_query(options));
    out
}

/// The loop an embed of a run with these interventions gets by default: from shortly before the
/// first ([`LOOP_LEAD_US`]) to shortly after the last ([`LOOP_TAIL_US`]), in whole milliseconds,
/// within `0..=until`; so a reader watches the event, not seconds of nothing before and after
/// it. `None` without interventions (nothing to centre on) or when they all come at or after the
/// end of the run.
pub fn default_loop(inputs: &[TimedInput], until: SimTime) -> Option<LoopRange> {
    let first = inputs.iter().map(|i| i.at).min()?;
    let last = inputs.iter().map(|i| i.at).max()?;
    let start = SimTime::from_ms(first.as_us().saturating_sub(LOOP_LEAD_US) / 1_000);
    let end_us = last.as_us().saturating_add(LOOP_TAIL_US);
    let end = SimTime::from_ms(end_us.div_ceil(1_000)).min(until);
    (start < end).then_some(LoopRange { start, end })
}

/// The moment an embed opens at for a reader who asked their system for reduced motion: the
/// "after" state as a still instead of the "before" frame. With a loop, its end; without, when
/// the URL's moment comes before the last intervention, the end of [`default_loop`]; otherwise
/// the URL's moment.
pub fn still_moment(run: &LessonRoute, options: &EmbedOptions, until: SimTime) -> SimTime {
    if let Some(l) = options.loop_range {
        return l.end;
    }
    let last = run.inputs.iter().map(|i| i.at).max();
    match (last, default_loop(&run.inputs, until)) {
        (Some(last), Some(l)) if run.t <= last => l.end,
        _ => run.t,
    }
}

#[cfg(test)]
mod tests {
    use super::super::{parse, Route};
    use super::*;

    fn find(id: &str) -> Option<Rc<Lesson>> {
        catalog::lesson(id).map(Rc::new)
    }

    fn embed(hash: &str) -> (Rc<EmbedRoute>, Vec<Notice>) {
        let parsed = parse(hash, find);
        match parsed.route {
            Route::Embed(r) => (r, parsed.notices),
            other => panic!("{hash} should be an embed route, got {other:?}"),
        }
    }

    #[test]
    fn a_bare_embed_has_the_default_options_and_the_lessons_run() {
        let (r, notices) = embed("#/embed/consistent-hashing");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(r.options, EmbedOptions::default());
        let run = r.lesson.as_ref().expect("the lesson exists");
        assert_eq!(run.seed, find("consistent-hashing").unwrap().seed);
    }

    #[test]
    fn reads_every_option_and_every_lesson_field() {
        let (r, notices) = embed(
            "#/embed/consistent-hashing?v=1&seed=9&vnodes=20&do=0:remove-server:B&t=1500\
             &controls=full&autoplay=1&loop=1000-2500.5&speed=2&theme=dark&caption=0\
             &title=B%20crashes%2C%20C%20takes%20over&id=fig-3",
        );
        assert!(notices.is_empty(), "{notices:?}");
        let o = &r.options;
        assert_eq!(o.controls, Controls::Full);
        assert!(o.autoplay);
        assert_eq!(
            o.loop_range,
            Some(LoopRange {
                start: SimTime::from_ms(1_000),
                end: SimTime::from_us(2_500_500)
            })
        );
        assert_eq!(o.speed, 2.0);
        assert_eq!(o.theme, EmbedTheme::Dark);
        assert!(!o.caption);
        assert_eq!(o.title, "B crashes, C takes over");
        assert_eq!(o.frame_id, "fig-3");
        let run = r.lesson.as_ref().unwrap();
        assert_eq!(run.seed, 9);
        assert_eq!(run.params.int("vnodes"), 20);
        assert_eq!(run.inputs.len(), 1);
        assert_eq!(run.t, SimTime::from_ms(1_500));
    }

    #[test]
    fn bad_options_are_reported_and_keep_their_defaults() {
        let (r, notices) = embed(
            "#/embed/modulo-sharding?controls=some&autoplay=2&loop=3000-1000&speed=0&theme=pink\
             &caption=maybe&title=two%0Alines&id=a%20b",
        );
        assert_eq!(notices.len(), 8, "{notices:?}");
        for (n, field) in notices.iter().zip(EMBED_FIELDS) {
            assert!(n.starts_with(&format!("{field}:")), "{n} names {field}");
        }
        assert_eq!(r.options, EmbedOptions::default());
    }

    #[test]
    fn a_loop_past_the_end_is_clamped_with_a_notice() {
        let (r, notices) = embed("#/embed/consistent-hashing?loop=9000-20000");
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!(
            r.options.loop_range.map(|l| l.end),
            Some(SimTime::from_ms(10_000))
        );
        let (r, notices) = embed("#/embed/consistent-hashing?loop=10000-20000");
        assert_eq!(notices.len(), 1, "a loop starting at the end is refused");
        assert_eq!(r.options.loop_range, None);
    }

    #[test]
    fn an_empty_flag_means_on() {
        let (r, notices) = embed("#/embed/consistent-hashing?autoplay&caption=0");
        assert!(notices.is_empty(), "{notices:?}");
        assert!(r.options.autoplay);
        assert!(!r.options.caption);
    }

    #[test]
    fn an_unknown_lesson_keeps_the_options() {
        let (r, notices) = embed("#/embed/nope?controls=none&seed=3");
        assert!(r.lesson.is_none());
        assert_eq!(r.id, "nope");
        assert_eq!(r.options.controls, Controls::None);
        assert!(notices.is_empty(), "{notices:?}");
    }

    #[test]
    fn embed_options_on_a_lesson_url_are_unknown_fields() {
        let parsed = parse("#/lesson/consistent-hashing?controls=none", find);
        assert_eq!(parsed.notices.len(), 1);
        assert!(parsed.notices[0].contains("controls"));
    }

    #[test]
    fn the_built_hash_parses_back_to_the_same_run_and_options() {
        let l = find("range-sharding").unwrap();
        let (r, _) = embed(
            "#/embed/range-sharding?preset=hot-tail&seed=11&do=500:split:2&t=750.25&compare=all",
        );
        let run = r.lesson.clone().unwrap();
        let options = EmbedOptions {
            controls: Controls::None,
            autoplay: true,
            loop_range: Some(LoopRange {
                start: SimTime::from_ms(500),
                end: SimTime::from_ms(4_000),
            }),
            speed: 0.5,
            theme: EmbedTheme::Light,
            caption: true,
            title: "Sequential ids: the hot tail & a split".into(),
            frame_id: "hero".into(),
        };
        let hash = embed_hash(&l, &run, &options);
        let (back, notices) = embed(&hash);
        assert!(notices.is_empty(), "{hash}: {notices:?}");
        assert_eq!(back.options, options, "{hash}");
        let back_run = back.lesson.clone().unwrap();
        assert_eq!(back_run.params, run.params);
        assert_eq!(back_run.seed, run.seed);
        assert_eq!(back_run.inputs, run.inputs);
        assert_eq!(back_run.t, run.t);
        assert_eq!(back_run.compare, run.compare);
        assert_eq!(embed_hash(&l, &back_run, &back.options), hash, "stable");
    }

    #[test]
    fn defaults_are_not_written() {
        let l = find("consistent-hashing").unwrap();
        let (r, _) = embed("#/embed/consistent-hashing");
        assert_eq!(
            embed_hash(&l, r.lesson.as_ref().unwrap(), &EmbedOptions::default()),
            "#/embed/consistent-hashing?v=1&t=0"
        );
    }

    #[test]
    fn a_title_too_long_is_refused_and_an_empty_one_is_the_lessons() {
        let long = "x".repeat(MAX_TITLE_LEN + 1);
        let (r, notices) = embed(&format!("#/embed/consistent-hashing?title={long}"));
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].starts_with("title:"), "{notices:?}");
        assert_eq!(r.options.title, "");
        let (r, notices) = embed("#/embed/consistent-hashing?title=");
        assert!(notices.is_empty(), "{notices:?}");
        assert_eq!(r.options, EmbedOptions::default());
    }

    fn inputs(list: &[&str]) -> Vec<TimedInput> {
        list.iter()
            .map(|i| TimedInput::parse(i).expect("a valid input"))
            .collect()
    }

    fn range(start_ms: u64, end_ms: u64) -> Option<LoopRange> {
        Some(LoopRange {
            start: SimTime::from_ms(start_ms),
            end: SimTime::from_ms(end_ms),
        })
    }

    const TEN_S: SimTime = SimTime::from_ms(10_000);

    #[test]
    fn without_interventions_there_is_no_default_loop() {
        assert_eq!(default_loop(&[], TEN_S), None);
    }

    #[test]
    fn one_intervention_at_2_s_loops_from_1_s_to_4_s() {
        assert_eq!(
            default_loop(&inputs(&["2000:remove-server:B"]), TEN_S),
            range(1_000, 4_000)
        );
    }

    #[test]
    fn several_interventions_loop_from_before_the_first_to_after_the_last() {
        // Written out of order: the loop goes by time, not by the URL's order.
        let list = inputs(&[
            "5000:add-server:F",
            "1500:remove-server:B",
            "3000:add-server",
        ]);
        assert_eq!(default_loop(&list, TEN_S), range(500, 7_000));
    }

    #[test]
    fn the_default_loop_is_clamped_to_the_run_in_whole_milliseconds() {
        assert_eq!(
            default_loop(&inputs(&["0:remove-server:B"]), TEN_S),
            range(0, 2_000),
            "clamped at 0"
        );
        assert_eq!(
            default_loop(&inputs(&["400:remove-server:B"]), TEN_S),
            range(0, 2_400)
        );
        assert_eq!(
            default_loop(&inputs(&["9000:remove-server:B"]), TEN_S),
            range(8_000, 10_000),
            "clamped at the run's end"
        );
        // Interventions come in whole milliseconds from a URL; the loop stays whole whatever comes.
        let mut odd = inputs(&["1234:remove-server:B"]);
        odd[0].at = SimTime::from_us(1_234_567);
        assert_eq!(
            default_loop(&odd, TEN_S),
            range(234, 3_235),
            "whole milliseconds, around the event"
        );
        assert_eq!(
            default_loop(&inputs(&["10000:remove-server:B"]), TEN_S),
            range(9_000, 10_000)
        );
        assert_eq!(
            default_loop(&inputs(&["12000:remove-server:B"]), TEN_S),
            None,
            "nothing to loop around inside the run"
        );
    }

    #[test]
    fn reduced_motion_opens_after_the_event() {
        let (r, _) = embed("#/embed/consistent-hashing?preset=b-crashes");
        let run = r.lesson.clone().unwrap();
        let o = EmbedOptions::default();
        assert_eq!(
            still_moment(&run, &o, TEN_S),
            SimTime::from_ms(4_000),
            "before the crash: the end of the default loop"
        );
        let later = LessonRoute {
            t: SimTime::from_ms(6_000),
            ..(*run).clone()
        };
        assert_eq!(
            still_moment(&later, &o, TEN_S),
            SimTime::from_ms(6_000),
            "a moment already after the event stays"
        );
        let looped = EmbedOptions {
            loop_range: range(500, 3_000),
            ..EmbedOptions::default()
        };
        assert_eq!(
            still_moment(&run, &looped, TEN_S),
            SimTime::from_ms(3_000),
            "the loop's end"
        );
        let (plain, _) = embed("#/embed/consistent-hashing?t=1500");
        assert_eq!(
            still_moment(plain.lesson.as_ref().unwrap(), &o, TEN_S),
            SimTime::from_ms(1_500),
            "no intervention: the URL's moment"
        );
    }

    #[test]
    fn no_lesson_parameter_is_named_like_a_route_field() {
        let route_fields = ["v", "seed", "preset", "do", "t", "compare"];
        for lesson in catalog::lessons() {
            for spec in sim::registry::specs(&lesson.model).unwrap_or_default() {
                assert!(
                    !route_fields.contains(&spec.name.as_str())
                        && !EMBED_FIELDS.contains(&spec.name.as_str()),
                    "lesson {}: parameter `{}` would be shadowed by a URL field of the same name",
                    lesson.id,
                    spec.name
                );
            }
        }
    }
}
