//! The lesson compiler on lesson folders written by the test: a good lesson compiles into its
//! JSON and an index entry; every kind of broken file fails with its path, its line where one
//! can be named, and the reason.

use lessonc::error::CompileError;
use std::path::{Path, PathBuf};

/// A fresh `lessons/` folder under the system temp dir, removed when dropped.
struct Tree {
    root: PathBuf,
}

impl Tree {
    fn new(name: &str) -> Tree {
        let root = std::env::temp_dir().join(format!("lessonc-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("lessons")).unwrap();
        Tree { root }
    }
    fn write(&self, rel: &str, text: &str) -> &Tree {
        let path = self.root.join("lessons").join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
        self
    }
    fn family(&self, id: &str) -> &Tree {
        self.write(
            &format!("{id}/family.toml"),
            "title = \"Family\"\nblurb = \"A family.\"\norder = 2\n",
        )
    }
    fn compile(&self) -> Result<lessonc::Compiled, Vec<CompileError>> {
        let code = Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim/src");
        lessonc::compile_dir(&self.root.join("lessons"), &code, &self.root).map_err(|e| e.0)
    }
    fn errors(&self) -> Vec<String> {
        match self.compile() {
            Ok(_) => panic!("expected the compile to fail"),
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// A valid lesson of the hash-ring model: line numbers below refer to this text.
const RING: &str = r#"id = "ring"
title = "A ring"
family = "demo"
model = "hash-ring"
summary = "Servers on a ring."
seed = 1
until_ms = 1000
code = ["hashing/ring.rs"]

[defaults]
vnodes = 4

[[preset]]
id = "crash"
title = "Crash A"
do = ["100:remove-server:A"]

[[step]]
title = "First"
body = "Keys move **only** from `A`."
preset = "crash"

[[question]]
id = "moved"
prompt = "How many keys move?"
preset = "crash"
answer = { kind = "metric", metric = "moved_keys", tolerance = 1.0 }
explain = "Those of *A*."
"#;

fn with(line: &str, replacement: &str) -> String {
    assert!(RING.contains(line), "the fixture has {line:?}");
    RING.replacen(line, replacement, 1)
}

#[test]
fn a_good_lesson_compiles_to_json_code_and_an_index_entry() {
    let t = Tree::new("good");
    t.family("demo").write("demo/ring.toml", RING);
    let c = t.compile().unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(c.families.len(), 1);
    let l = &c.families[0].lessons[0];
    assert_eq!(l.source, "lessons/demo/ring.toml");
    assert!(l.content.starts_with("content/ring.") && l.content.ends_with(".json"));
    assert_eq!(
        l.lesson.steps[0].body.trim(),
        "<p>Keys move <strong>only</strong> from <code>A</code>.</p>"
    );
    assert_eq!(
        l.lesson.questions[0].explain.trim(),
        "<p>Those of <em>A</em>.</p>"
    );
    assert_eq!(l.lesson.code_href.len(), 1);
    assert!(c.files.contains_key(&l.lesson.code_href[0]));
    let json: sim::lesson::Lesson = serde_json::from_slice(&c.files[&l.content]).unwrap();
    assert_eq!(json, l.lesson, "the published JSON is the compiled lesson");
    let registry = lessonc::emit::registry_source(&c, "files");
    assert!(registry.contains("Entry { id: \"ring\""), "{registry}");
    assert!(registry.contains("questions: &[\"moved\"]"), "{registry}");
}

#[test]
fn the_same_lessons_compile_to_the_same_file_names() {
    let a = Tree::new("same-a");
    a.family("demo").write("demo/ring.toml", RING);
    let b = Tree::new("same-b");
    b.family("demo").write("demo/ring.toml", RING);
    let (a, b) = (a.compile().unwrap(), b.compile().unwrap());
    assert_eq!(
        a.files.keys().collect::<Vec<_>>(),
        b.files.keys().collect::<Vec<_>>()
    );
    let c = Tree::new("same-c");
    c.family("demo")
        .write("demo/ring.toml", &with("A ring", "Another ring"));
    let c = c.compile().unwrap();
    assert_ne!(
        a.families[0].lessons[0].content, c.families[0].lessons[0].content,
        "a changed lesson gets a new name"
    );
}

#[test]
fn a_syntax_error_names_the_file_line_and_column() {
    let t = Tree::new("syntax");
    t.family("demo")
        .write("demo/ring.toml", &with("seed = 1", "seed = = 1"));
    let errors = t.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("lessons/demo/ring.toml:6:"),
        "{errors:?}"
    );
}

#[test]
fn a_wrong_type_or_an_unknown_field_names_its_line() {
    let t = Tree::new("types");
    t.family("demo")
        .write("demo/ring.toml", &with("seed = 1", "seed = \"one\""));
    let errors = t.errors();
    assert!(
        errors[0].starts_with("lessons/demo/ring.toml:6:"),
        "{errors:?}"
    );
    let t = Tree::new("unknown");
    t.family("demo").write(
        "demo/ring.toml",
        &with("until_ms = 1000", "until_ms = 1000\nuntil_s = 1"),
    );
    let errors = t.errors();
    assert!(
        errors[0].starts_with("lessons/demo/ring.toml:8:") && errors[0].contains("until_s"),
        "{errors:?}"
    );
}

#[test]
fn a_parameter_out_of_range_names_the_parameter_and_its_line() {
    let t = Tree::new("param");
    t.family("demo")
        .write("demo/ring.toml", &with("vnodes = 4", "vnodes = 0"));
    let errors = t.errors();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("lessons/demo/ring.toml:11: [defaults]: parameter `vnodes`"),
        "{errors:?}"
    );
}

#[test]
fn a_preset_with_an_unknown_action_or_parameter_fails_at_the_preset() {
    let t = Tree::new("action");
    t.family("demo")
        .write("demo/ring.toml", &with("remove-server:A", "explode:A"));
    let errors = t.errors();
    assert!(
        errors.iter().any(|e| e.starts_with("lessons/demo/ring.toml:14: preset crash: the model hash-ring has no action \"explode\"")),
        "{errors:?}"
    );
    let t = Tree::new("preset-param");
    t.family("demo").write(
        "demo/ring.toml",
        &with(
            "title = \"Crash A\"",
            "title = \"Crash A\"\nparams = { nodes = 3 }",
        ),
    );
    let errors = t.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("preset crash: parameter `nodes`")),
        "{errors:?}"
    );
}

#[test]
fn a_malformed_answer_names_its_line_and_the_right_form() {
    let t = Tree::new("answer");
    t.family("demo").write(
        "demo/ring.toml",
        &with(
            "metric = \"moved_keys\", tolerance = 1.0",
            "metric = \"moved_keys\"",
        ),
    );
    let errors = t.errors();
    assert!(
        errors[0].starts_with("lessons/demo/ring.toml:27:") && errors[0].contains("tolerance"),
        "{errors:?}"
    );
    let t = Tree::new("answer-kind");
    t.family("demo").write(
        "demo/ring.toml",
        &with("kind = \"metric\"", "kind = \"guess\""),
    );
    assert!(t.errors()[0].contains("unknown answer kind `guess`"));
}

#[test]
fn references_must_resolve() {
    let t = Tree::new("refs");
    t.family("demo").write(
        "demo/ring.toml",
        &RING.replace("preset = \"crash\"", "preset = \"nope\""),
    );
    let errors = t.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("step 1 (\"First\") names preset \"nope\"")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("question moved: no preset \"nope\"")),
        "{errors:?}"
    );
}

#[test]
fn an_unknown_model_metric_or_code_file_is_named() {
    let t = Tree::new("model");
    t.family("demo").write(
        "demo/ring.toml",
        &with("model = \"hash-ring\"", "model = \"hash-wheel\""),
    );
    let errors = t.errors();
    assert!(
        errors[0].starts_with("lessons/demo/ring.toml:4: no model is called \"hash-wheel\""),
        "{errors:?}"
    );
    let t = Tree::new("metric");
    t.family("demo").write(
        "demo/ring.toml",
        &with("metric = \"moved_keys\"", "metric = \"moved_bytes\""),
    );
    assert!(t
        .errors()
        .iter()
        .any(|e| e.contains("no metric \"moved_bytes\"")));
    let t = Tree::new("code");
    t.family("demo").write(
        "demo/ring.toml",
        &with("hashing/ring.rs", "hashing/wheel.rs"),
    );
    assert!(t
        .errors()
        .iter()
        .any(|e| e.contains("code file \"hashing/wheel.rs\"")));
}

#[test]
fn files_must_sit_where_their_ids_say() {
    let t = Tree::new("names");
    t.family("demo").write("demo/circle.toml", RING);
    assert!(t.errors()[0].contains("must match the file name (circle.toml)"));
    let t = Tree::new("family-field");
    t.family("other").write("other/ring.toml", RING);
    assert!(t.errors()[0].contains("does not match the folder"));
    let t = Tree::new("no-family-file");
    t.write("demo/ring.toml", RING);
    assert!(t.errors()[0].starts_with("lessons/demo/family.toml: missing"));
    let t = Tree::new("top-level");
    t.family("demo")
        .write("demo/ring.toml", RING)
        .write("ring.toml", RING);
    assert!(t.errors()[0]
        .starts_with("lessons/ring.toml: a lesson file belongs in its family's folder"));
    let t = Tree::new("duplicate");
    t.family("demo")
        .family("more")
        .write("demo/ring.toml", RING)
        .write(
            "more/ring.toml",
            &with("family = \"demo\"", "family = \"more\""),
        );
    assert!(t
        .errors()
        .iter()
        .any(|e| e.contains("already used by lessons/demo/ring.toml")));
}

#[test]
fn the_real_lessons_compile() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let c = lessonc::compile(&root).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.lessons().count() >= 7);
}

#[test]
fn a_compare_action_must_parse_name_an_action_the_model_takes_and_have_variants() {
    let variants = "\n[[compare]]\nid = \"one\"\nlabel = \"1 point\"\nparams = { vnodes = 1 }\n\n[[compare]]\nid = \"many\"\nlabel = \"100 points\"\nparams = { vnodes = 100 }\n";
    let action = |input: &str| {
        format!("{RING}{variants}\n[compare_action]\ninput = \"{input}\"\nlabel = \"Crash B\"\n")
    };

    let t = Tree::new("compare-action-good");
    t.family("demo")
        .write("demo/ring.toml", &action("remove-server:B"));
    let c = t.compile().unwrap_or_else(|e| panic!("{e:?}"));
    let a = c.families[0].lessons[0].lesson.compare_action.clone();
    assert_eq!(
        a.map(|a| (a.input, a.label)),
        Some(("remove-server:B".into(), "Crash B".into()))
    );

    let t = Tree::new("compare-action-unknown");
    t.family("demo")
        .write("demo/ring.toml", &action("explode:B"));
    let errors = t.errors();
    assert!(
        errors.iter().any(|e| e.contains(
            "[compare_action] \"explode:B\": the model hash-ring has no action \"explode\""
        )),
        "{errors:?}"
    );

    // The model refuses it: there is no server Z to crash.
    let t = Tree::new("compare-action-refused");
    t.family("demo")
        .write("demo/ring.toml", &action("remove-server:Z"));
    let errors = t.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("[compare_action] \"remove-server:Z\": Refused remove-server:Z")),
        "{errors:?}"
    );

    let t = Tree::new("compare-action-alone");
    t.family("demo").write(
        "demo/ring.toml",
        &format!("{RING}\n[compare_action]\ninput = \"remove-server:B\"\nlabel = \"Crash B\"\n"),
    );
    let errors = t.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("the lesson has no [[compare]] variants")),
        "{errors:?}"
    );
}

#[test]
fn a_step_setup_that_does_not_fit_names_the_step_and_its_line() {
    let t = Tree::new("steps");
    t.family("demo").write(
        "demo/ring.toml",
        &with(
            "preset = \"crash\"\n\n[[question]]",
            "preset = \"crash\"\npause_ms = 5000\nmetrics = [\"moved_keys\", \"nope\", \"a\", \"b\", \"c\", \"d\", \"e\"]\ntakeaway = \"two\\nlines\"\n\n[[question]]",
        )
        .replace(
            "answer = { kind",
            "step = 3\nat_ms = 2000\nanswer = { kind",
        ),
    );
    let errors = t.errors();
    let has = |s: &str| errors.iter().any(|e| e.contains(s));
    // The first `[[step]]` header is line 18 of the fixture.
    assert!(
        has("ring.toml:18: step 1 (\"First\"): pause_ms is after the end of the run (1000 ms)"),
        "{errors:?}"
    );
    assert!(
        has("step 1 (\"First\") names 7 metrics; a step shows at most 6"),
        "{errors:?}"
    );
    assert!(
        has("step 1 (\"First\"): the model reports no metric \"nope\""),
        "{errors:?}"
    );
    assert!(
        has("step 1 (\"First\"): the takeaway is one line"),
        "{errors:?}"
    );
    assert!(
        has("question moved: step 3 does not exist (the lesson has 1 step,"),
        "{errors:?}"
    );
    assert!(
        has("question moved: at_ms is after the end of the run"),
        "{errors:?}"
    );
}

#[test]
fn a_sweep_is_checked_against_its_model_and_named_by_its_line() {
    // Errors point at the sweep's `id = …` line: RING's lines, a blank, the header, then it.
    let sweep = |body: &str| {
        format!("{RING}\n[[sweep]]\nid = \"imbalance\"\ntitle = \"Imbalance\"\n{body}\n")
    };
    let good = "param = \"vnodes\"\nfrom = 1\nto = 100\nsteps = 5\nlog = true\nmetrics = [\"max_mean_ratio\"]\nseeds = 3";

    let t = Tree::new("sweep-good");
    t.family("demo").write("demo/ring.toml", &sweep(good));
    let c = t.compile().unwrap_or_else(|e| panic!("{e:?}"));
    let s = &c.families[0].lessons[0].lesson.sweeps[0];
    assert_eq!(
        (s.param.as_str(), s.from, s.to, s.steps, s.log, s.seeds),
        ("vnodes", 1.0, 100.0, 5, true, 3)
    );

    let cases = [
        (
            good.replace("\"vnodes\"", "\"servers\""),
            "parameter `servers` is not a number",
        ),
        (
            good.replace("to = 100", "to = 5000"),
            "sweep to 5000: parameter `vnodes` takes a whole number from 1 to 1000",
        ),
        (
            good.replace("max_mean_ratio", "happiness"),
            "the model hash-ring has no metric \"happiness\"; its numeric metrics are",
        ),
        (
            good.replace("steps = 5", "steps = 1"),
            "a sweep has from 2 to 60 points",
        ),
        (
            format!("{good}\nvariants = [\"nope\"]"),
            "the lesson has no compare variant \"nope\"",
        ),
        (
            format!("{good}\ntheory = [{{ metric = \"max_mean_ratio\", curve = \"astrology\" }}]"),
            "no theory curve is called \"astrology\"",
        ),
        (
            format!("{good}\npreset = \"missing\""),
            "no preset \"missing\"",
        ),
    ];
    for (i, (body, want)) in cases.iter().enumerate() {
        let t = Tree::new(&format!("sweep-bad-{i}"));
        t.family("demo").write("demo/ring.toml", &sweep(body));
        let errors = t.errors();
        let line = RING.lines().count() + 3;
        assert!(
            errors
                .iter()
                .any(|e| e.contains(want) && e.contains(&format!("ring.toml:{line}"))),
            "want {want:?} at line {line}: {errors:?}"
        );
    }

    // One sweep may follow the run beside the diagram; a second is refused, at its own line.
    let two = format!(
        "{}\nbeside = true\n\n[[sweep]]\nid = \"again\"\ntitle = \"Again\"\n{good}\nbeside = true\n",
        sweep(good)
    );
    let t = Tree::new("sweep-beside-twice");
    t.family("demo").write("demo/ring.toml", &two);
    let errors = t.errors();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("sweep again: only one sweep")),
        "{errors:?}"
    );
    let t = Tree::new("sweep-beside-once");
    t.family("demo")
        .write("demo/ring.toml", &sweep(&format!("{good}\nbeside = true")));
    let c = t.compile().unwrap_or_else(|e| panic!("{e:?}"));
    assert!(c.families[0].lessons[0].lesson.sweeps[0].beside);
}
