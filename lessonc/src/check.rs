//! Checking a parsed lesson against its model: everything that can be known without running the
//! timeline. The model exists; every default, preset and compare variant's parameters validate
//! against the model's specs and build a run; every scripted input parses and names one of the
//! model's actions; every reference (a step's or question's preset) resolves; ids are unique;
//! every code file exists. Running each scenario to its end and computing every question's answer
//! is the registry test's job (`catalog/tests/suite/lessons.rs`): it takes seconds, not milliseconds.

use crate::error::CompileError;
use crate::source::{
    entry_line, nth_entry_line, table_key_line, top_level_line, valid_id, LessonSource,
};
use sim::params::ParamSet;
use sim::registry;
use sim::scenario::{Input, TimedInput};
use std::collections::BTreeSet;
use std::path::Path;

/// Checks one lesson; every problem found goes to `errors`.
pub fn check_lesson(src: &LessonSource, code_root: &Path, errors: &mut Vec<CompileError>) {
    let l = &src.lesson;
    let err = |errors: &mut Vec<CompileError>, line: Option<u32>, msg: String| {
        errors.push(CompileError::at(&src.path, line, None, msg));
    };
    let Some(specs) = registry::specs(&l.model) else {
        err(
            errors,
            top_level_line(&src.text, "model"),
            format!(
                "no model is called {:?} (models: {})",
                l.model,
                registry::MODELS.join(", ")
            ),
        );
        return;
    };
    if !l.code_href.is_empty() {
        err(
            errors,
            top_level_line(&src.text, "code_href"),
            "code_href is written by the build; list source files under `code`".into(),
        );
    }
    for path in &l.code {
        if code_file(code_root, path).is_none_or(|p| !p.is_file()) {
            err(
                errors,
                top_level_line(&src.text, "code"),
                format!(
                    "code file {path:?} is not a file under sim/src/ (like \"hashing/ring.rs\")"
                ),
            );
        }
    }

    // Defaults.
    let defaults: Vec<(String, String)> = l
        .defaults
        .iter()
        .map(|(k, v)| (k.clone(), v.to_text()))
        .collect();
    let (_, bad) = ParamSet::resolve(
        &specs,
        defaults.iter().map(|(k, v)| (k.as_str(), v.as_str())),
    );
    let defaults_ok = bad.is_empty();
    for e in bad {
        let line = table_key_line(&src.text, "defaults", &e.param);
        err(errors, line, format!("[defaults]: {e}"));
    }
    // The default run must build: text parameters (server lists, boundaries) are checked by the
    // model itself.
    let default_run = match l.scenario(None).map(|s| registry::start(&s)) {
        _ if !defaults_ok => None,
        Ok(Ok(run)) => Some(run),
        Ok(Err(e)) => {
            err(
                errors,
                None,
                format!("the lesson's defaults do not build a run: {e}"),
            );
            None
        }
        Err(e) => {
            err(errors, None, e.to_string());
            None
        }
    };
    let actions: Option<Vec<&str>> = default_run
        .as_ref()
        .map(|r| r.actions().iter().map(|a| a.name).collect());
    let check_action =
        |errors: &mut Vec<CompileError>, line: Option<u32>, what: &str, input: &Input| {
            if let Some(actions) = &actions {
                if !actions.contains(&input.action.as_str()) {
                    err(
                        errors,
                        line,
                        format!(
                            "{what}: the model {} has no action {:?} (actions: {})",
                            l.model,
                            input.action,
                            actions.join(", ")
                        ),
                    );
                }
            }
        };

    // Presets.
    let mut ids = BTreeSet::new();
    for p in &l.presets {
        let line = entry_line(&src.text, "preset", &p.id);
        if !valid_id(&p.id) {
            err(
                errors,
                line,
                format!(
                    "preset id {:?}: use lowercase letters, digits and dashes",
                    p.id
                ),
            );
        }
        if !ids.insert(p.id.as_str()) {
            err(errors, line, format!("preset id {:?} is used twice", p.id));
            continue;
        }
        let mut ok = true;
        for text in &p.inputs {
            match TimedInput::parse(text) {
                Ok(t) => check_action(errors, line, &format!("preset {}", p.id), &t.input),
                Err(e) => {
                    ok = false;
                    err(errors, line, format!("preset {}: {e}", p.id));
                }
            }
        }
        let texts: Vec<(String, String)> = p
            .params
            .iter()
            .map(|(k, v)| (k.clone(), v.to_text()))
            .collect();
        let (_, bad) =
            ParamSet::resolve(&specs, texts.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        for e in &bad {
            err(errors, line, format!("preset {}: {e}", p.id));
        }
        if ok && bad.is_empty() && defaults_ok {
            match l.scenario(Some(&p.id)) {
                Err(e) => err(errors, line, format!("preset {}: {e}", p.id)),
                Ok(s) => {
                    if let Err(e) = registry::start(&s) {
                        err(
                            errors,
                            line,
                            format!("preset {}: does not build a run: {e}", p.id),
                        );
                    }
                }
            }
        }
    }

    // Steps.
    for (i, s) in l.steps.iter().enumerate() {
        let line = nth_entry_line(&src.text, "step", i);
        let what = format!("step {} ({:?})", i + 1, s.title);
        if let Some(p) = &s.preset {
            if l.preset(p).is_none() {
                err(
                    errors,
                    line,
                    format!("{what} names preset {p:?}, which the lesson does not have"),
                );
            }
        }
        if s.title.trim().is_empty() || s.body.trim().is_empty() {
            err(
                errors,
                line,
                format!("step {} needs a title and a body", i + 1),
            );
        }
        if s.pause_ms.is_some_and(|ms| ms > l.until_ms) {
            err(
                errors,
                line,
                format!(
                    "{what}: pause_ms is after the end of the run ({} ms)",
                    l.until_ms
                ),
            );
        }
        if s.metrics.len() > sim::lesson::MAX_STEP_METRICS {
            err(
                errors,
                line,
                format!(
                    "{what} names {} metrics; a step shows at most {}",
                    s.metrics.len(),
                    sim::lesson::MAX_STEP_METRICS
                ),
            );
        }
        // The step's metrics must be ones its own setup reports.
        let step_run = l
            .step_scenario(i)
            .ok()
            .and_then(|sc| registry::start(&sc).ok());
        if let Some(run) = step_run.as_ref().or(default_run.as_ref()) {
            let known: Vec<&str> = run.metrics().scalars.iter().map(|m| m.id).collect();
            for m in &s.metrics {
                if !known.contains(&m.as_str()) {
                    err(
                        errors,
                        line,
                        format!(
                            "{what}: the model reports no metric {m:?} (metrics: {})",
                            known.join(", ")
                        ),
                    );
                }
            }
        }
        if s.highlight.iter().any(|h| h.trim().is_empty()) {
            err(errors, line, format!("{what}: an empty name in highlight"));
        }
        if s.takeaway.contains('\n') {
            err(errors, line, format!("{what}: the takeaway is one line"));
        }
    }

    // Questions.
    let mut qids = BTreeSet::new();
    for q in &l.questions {
        let line = entry_line(&src.text, "question", &q.id);
        if !valid_id(&q.id) {
            err(
                errors,
                line,
                format!(
                    "question id {:?}: use lowercase letters, digits and dashes",
                    q.id
                ),
            );
        }
        if !qids.insert(q.id.as_str()) {
            err(
                errors,
                line,
                format!("question id {:?} is used twice", q.id),
            );
        }
        if let Some(p) = &q.preset {
            if l.preset(p).is_none() {
                err(errors, line, format!("question {}: no preset {p:?}", q.id));
            }
        }
        if let Some(n) = q.step {
            if n == 0 || n as usize > l.steps.len() {
                err(
                    errors,
                    line,
                    format!(
                        "question {}: step {n} does not exist (the lesson has {} step{}, numbered from 1)",
                        q.id,
                        l.steps.len(),
                        if l.steps.len() == 1 { "" } else { "s" }
                    ),
                );
            }
        }
        if q.at_ms.is_some_and(|ms| ms > l.until_ms) {
            err(
                errors,
                line,
                format!(
                    "question {}: at_ms is after the end of the run ({} ms)",
                    q.id, l.until_ms
                ),
            );
        }
        for a in &q.actions {
            match Input::parse(a) {
                Ok(input) => check_action(errors, line, &format!("question {}", q.id), &input),
                Err(e) => err(errors, line, format!("question {}: {e}", q.id)),
            }
        }
        // Like a step's metrics, a question's are the ones its own setup reports (a model whose
        // parameters pick an experiment reports that experiment's metrics).
        let question_run = q
            .preset
            .as_deref()
            .and_then(|p| l.scenario(Some(p)).ok())
            .and_then(|sc| registry::start(&sc).ok());
        if let Some(run) = question_run.as_ref().or(default_run.as_ref()) {
            let m = run.metrics();
            for h in &q.hides {
                if !m.scalars.iter().any(|s| s.id == h) {
                    err(
                        errors,
                        line,
                        format!(
                            "question {}: hides {h:?}, which the model does not report",
                            q.id
                        ),
                    );
                }
            }
        }
        if let sim::lesson::Answer::Metric { metric, .. } = &q.answer {
            if let Some(run) = question_run.as_ref().or(default_run.as_ref()) {
                let m = run.metrics();
                if !m.scalars.iter().any(|s| s.id == metric) {
                    let known: Vec<&str> = m.scalars.iter().map(|s| s.id).collect();
                    err(
                        errors,
                        line,
                        format!(
                            "question {}: the model reports no metric {metric:?} (metrics: {})",
                            q.id,
                            known.join(", ")
                        ),
                    );
                }
            }
        }
    }

    // Compare variants.
    if l.compare.len() == 1 {
        err(
            errors,
            entry_line(&src.text, "compare", &l.compare[0].id),
            "compare mode needs two or more variants".into(),
        );
    }
    let mut vids = BTreeSet::new();
    for v in &l.compare {
        let line = entry_line(&src.text, "compare", &v.id);
        if !valid_id(&v.id) {
            err(
                errors,
                line,
                format!(
                    "compare variant id {:?}: use lowercase letters, digits and dashes",
                    v.id
                ),
            );
        }
        if !vids.insert(v.id.as_str()) {
            err(
                errors,
                line,
                format!("compare variant id {:?} is used twice", v.id),
            );
            continue;
        }
        let model = v.model.as_deref().unwrap_or(&l.model);
        let Some(vspecs) = registry::specs(model) else {
            err(
                errors,
                line,
                format!("compare variant {}: no model is called {model:?}", v.id),
            );
            continue;
        };
        let texts: Vec<(String, String)> = v
            .params
            .iter()
            .map(|(k, val)| (k.clone(), val.to_text()))
            .collect();
        let (_, bad) = ParamSet::resolve(
            &vspecs,
            texts.iter().map(|(k, val)| (k.as_str(), val.as_str())),
        );
        for e in bad {
            err(errors, line, format!("compare variant {}: {e}", v.id));
        }
    }
    if let Some(a) = &l.compare_action {
        let line = table_key_line(&src.text, "compare_action", "input");
        let what = format!("[compare_action] {:?}", a.input);
        if l.compare.is_empty() {
            err(
                errors,
                line,
                format!("{what}: the lesson has no [[compare]] variants"),
            );
        }
        if a.label.trim().is_empty() {
            err(errors, line, format!("{what}: the button needs a label"));
        }
        match Input::parse(&a.input) {
            Err(e) => err(errors, line, format!("{what}: {e}")),
            Ok(input) => {
                check_action(errors, line, &what, &input);
                // The model must take it at the end of the lesson's own timeline.
                let scenario = l.scenario(None).ok();
                let run = scenario
                    .as_ref()
                    .and_then(|s| Some((s.until, registry::start(s).ok()?)));
                if let Some((until, mut run)) = run {
                    run.seek(until);
                    run.apply_now(input);
                    if let Some(refused) = run.last_trace_line().filter(|t| t.rejected) {
                        err(errors, line, format!("{what}: {}", refused.text));
                    }
                }
            }
        }
    }
    check_sweeps(src, errors);
}

/// Declared sweeps: ids, titles, presets, and everything [`SweepRequest::new`] checks (the
/// parameter is numeric and the range inside its bounds, points, seeds and runs within the
/// limits, variants exist, each metric is one of the model's numbers, theory curves are known
/// and for a plotted metric), plus: each theory curve describes a model the sweep runs.
fn check_sweeps(src: &LessonSource, errors: &mut Vec<CompileError>) {
    use sim::sweep::SweepRequest;
    let l = &src.lesson;
    let mut ids = BTreeSet::new();
    let mut beside = 0;
    for (n, sw) in l.sweeps.iter().enumerate() {
        let line = entry_line(&src.text, "sweep", &sw.id).or(nth_entry_line(&src.text, "sweep", n));
        let mut err = |msg: String| {
            errors.push(CompileError::at(
                &src.path,
                line,
                None,
                format!("sweep {}: {msg}", sw.id),
            ));
        };
        if !valid_id(&sw.id) {
            err("use lowercase letters, digits and dashes for the id".into());
        }
        if !ids.insert(sw.id.as_str()) {
            err("the id is used twice".into());
            continue;
        }
        if sw.title.trim().is_empty() {
            err("a declared sweep needs a title".into());
        }
        if sw.beside {
            beside += 1;
            if beside > 1 {
                err("only one sweep of a lesson may be drawn beside the diagram".into());
            }
        }
        let scenario = match l.scenario(sw.preset.as_deref()) {
            Ok(s) => s,
            Err(e) => {
                err(e.to_string());
                continue;
            }
        };
        if let Err(e) = SweepRequest::for_scenario(l, &scenario, sw) {
            err(e.to_string());
            continue;
        }
        for t in &sw.theory {
            if let Some(info) = sim::theory::info(&t.curve) {
                let models: Vec<String> = if sw.variants.is_empty() {
                    vec![l.model.clone()]
                } else {
                    l.compare
                        .iter()
                        .filter(|c| sw.variants.contains(&c.id))
                        .map(|c| c.model.clone().unwrap_or_else(|| l.model.clone()))
                        .collect()
                };
                if !models.iter().any(|m| m == info.model) {
                    err(format!(
                        "theory curve {:?} describes the model {}, which this sweep does not run",
                        t.curve, info.model
                    ));
                }
            }
        }
    }
}

/// `sim/src/<path>` if `path` is a plain relative path (no `..`, not absolute).
pub fn code_file(code_root: &Path, path: &str) -> Option<std::path::PathBuf> {
    use std::path::Component;
    let rel = Path::new(path);
    let plain = !path.is_empty()
        && !path.contains('\\')
        && rel.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then(|| code_root.join(rel))
}

/// Checks a whole lesson set: lesson ids unique across families.
pub fn check_unique_ids(lessons: &[&LessonSource], errors: &mut Vec<CompileError>) {
    let mut seen: std::collections::BTreeMap<&str, &str> = Default::default();
    for src in lessons {
        if let Some(other) = seen.insert(&src.lesson.id, &src.path) {
            errors.push(CompileError::at(
                &src.path,
                top_level_line(&src.text, "id"),
                None,
                format!("lesson id {:?} is already used by {other}", src.lesson.id),
            ));
        }
    }
}
