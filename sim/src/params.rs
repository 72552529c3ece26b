//! Typed parameters and their validation.
//!
//! Every lesson model publishes a list of [`ParamSpec`]s. Values arrive as text from URLs,
//! sliders, lesson files and the command line; [`ParamSpec::parse`] turns one into a typed
//! [`ParamValue`] or a [`ParamError`] that names the parameter, the bad value and what is allowed.
//! Past this boundary nothing panics on user input.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

fn is_false(b: &bool) -> bool {
    !*b
}

/// The type and bounds of a parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ParamKind {
    /// A whole number in `min..=max`, moved by `step` in the UI.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
        /// Slider step.
        step: i64,
    },
    /// A real number in `min..=max`, moved by `step` in the UI.
    Float {
        /// Smallest allowed value.
        min: f64,
        /// Largest allowed value.
        max: f64,
        /// Slider step.
        step: f64,
    },
    /// One of a fixed list of values.
    Choice {
        /// The allowed values, in display order.
        options: Vec<ChoiceOption>,
    },
    /// Free text up to `max_len` characters; the model checks its syntax when it builds.
    Text {
        /// The longest accepted text, in characters.
        max_len: u32,
        /// A document of several lines (a pasted config): the UI gives it a text area, and its
        /// line breaks are part of the value.
        #[serde(default, skip_serializing_if = "is_false")]
        multiline: bool,
    },
    /// On or off.
    Bool,
}

/// One allowed value of a [`ParamKind::Choice`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChoiceOption {
    /// The value as written in URLs and lesson files.
    pub value: String,
    /// The label the UI shows.
    pub label: String,
}

/// A parameter's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// For [`ParamKind::Bool`].
    Bool(bool),
    /// For [`ParamKind::Int`].
    Int(i64),
    /// For [`ParamKind::Float`].
    Float(f64),
    /// For [`ParamKind::Choice`] and [`ParamKind::Text`].
    Text(String),
}

impl ParamValue {
    /// The value as it is written in a URL or on the command line.
    pub fn to_text(&self) -> String {
        match self {
            ParamValue::Bool(b) => b.to_string(),
            ParamValue::Int(i) => i.to_string(),
            ParamValue::Float(f) => format_float(*f),
            ParamValue::Text(s) => s.clone(),
        }
    }
}

/// Shortest decimal that reads back as the same float (`0.5`, `1`, `0.125`).
fn format_float(f: f64) -> String {
    let s = format!("{f}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

impl fmt::Display for ParamValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_text())
    }
}

/// The description of one parameter: what it is called, its unit, default and bounds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    /// Identifier used in URLs, lesson files and `--set name=value`.
    pub name: String,
    /// Human label.
    pub label: String,
    /// Unit shown after the value, if any (`keys`, `req/s`, `°`).
    pub unit: Option<String>,
    /// The value used when nothing else is given.
    pub default: ParamValue,
    /// Type and bounds.
    pub kind: ParamKind,
    /// One or two sentences for a tooltip.
    pub help: String,
}

/// A value rejected at the boundary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParamError {
    /// The parameter's name.
    pub param: String,
    /// The rejected text.
    pub value: String,
    /// What is allowed, in words (`a whole number from 1 to 500`).
    pub allowed: String,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "parameter `{}`: {:?} is not allowed; expected {}",
            self.param, self.value, self.allowed
        )
    }
}

impl std::error::Error for ParamError {}

impl ParamError {
    /// `value` of parameter `param` is refused; `allowed` says what would be taken.
    pub fn new(param: &str, value: impl Into<String>, allowed: impl Into<String>) -> Self {
        ParamError {
            param: param.to_string(),
            value: value.into(),
            allowed: allowed.into(),
        }
    }
}

impl ParamSpec {
    /// An integer parameter.
    pub fn int(name: &str, label: &str, default: i64, min: i64, max: i64, step: i64) -> Self {
        Self::new(
            name,
            label,
            ParamValue::Int(default),
            ParamKind::Int { min, max, step },
        )
    }
    /// A float parameter.
    pub fn float(name: &str, label: &str, default: f64, min: f64, max: f64, step: f64) -> Self {
        Self::new(
            name,
            label,
            ParamValue::Float(default),
            ParamKind::Float { min, max, step },
        )
    }
    /// A choice among `(value, label)` pairs; the default must be one of the values.
    pub fn choice(name: &str, label: &str, default: &str, options: &[(&str, &str)]) -> Self {
        let options = options
            .iter()
            .map(|(v, l)| ChoiceOption {
                value: (*v).to_string(),
                label: (*l).to_string(),
            })
            .collect();
        Self::new(
            name,
            label,
            ParamValue::Text(default.to_string()),
            ParamKind::Choice { options },
        )
    }
    /// A free-text parameter.
    pub fn text(name: &str, label: &str, default: &str, max_len: u32) -> Self {
        Self::free_text(name, label, default, max_len, false)
    }
    /// A free-text parameter of several lines (a pasted config file).
    pub fn text_block(name: &str, label: &str, default: &str, max_len: u32) -> Self {
        Self::free_text(name, label, default, max_len, true)
    }
    fn free_text(name: &str, label: &str, default: &str, max_len: u32, multiline: bool) -> Self {
        Self::new(
            name,
            label,
            ParamValue::Text(default.to_string()),
            ParamKind::Text { max_len, multiline },
        )
    }
    /// An on/off parameter.
    pub fn boolean(name: &str, label: &str, default: bool) -> Self {
        Self::new(name, label, ParamValue::Bool(default), ParamKind::Bool)
    }
    fn new(name: &str, label: &str, default: ParamValue, kind: ParamKind) -> Self {
        ParamSpec {
            name: name.to_string(),
            label: label.to_string(),
            unit: None,
            default,
            kind,
            help: String::new(),
        }
    }
    /// Sets the unit.
    pub fn unit(mut self, unit: &str) -> Self {
        self.unit = Some(unit.to_string());
        self
    }
    /// Sets the help text.
    pub fn help(mut self, help: &str) -> Self {
        self.help = help.to_string();
        self
    }

    /// What this parameter accepts, in words.
    pub fn allowed(&self) -> String {
        match &self.kind {
            ParamKind::Int { min, max, step } if *step > 1 => {
                format!("a whole number from {min} to {max} in steps of {step}")
            }
            ParamKind::Int { min, max, .. } => format!("a whole number from {min} to {max}"),
            ParamKind::Float { min, max, .. } => {
                format!(
                    "a number from {} to {}",
                    format_float(*min),
                    format_float(*max)
                )
            }
            ParamKind::Choice { options } => {
                let vs: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
                format!("one of {}", vs.join(", "))
            }
            ParamKind::Text { max_len, .. } => format!("text of at most {max_len} characters"),
            ParamKind::Bool => "true or false".to_string(),
        }
    }

    /// Parses and range-checks a textual value.
    pub fn parse(&self, raw: &str) -> Result<ParamValue, ParamError> {
        let err = || ParamError {
            param: self.name.clone(),
            value: raw.to_string(),
            allowed: self.allowed(),
        };
        let t = raw.trim();
        match &self.kind {
            ParamKind::Int { min, max, step } => {
                let v: i64 = t.parse().map_err(|_| err())?;
                let on_step = *step <= 1 || (v - min) % step == 0;
                if v < *min || v > *max || !on_step {
                    return Err(err());
                }
                Ok(ParamValue::Int(v))
            }
            ParamKind::Float { min, max, .. } => {
                let v: f64 = t.parse().map_err(|_| err())?;
                if !v.is_finite() || v < *min || v > *max {
                    return Err(err());
                }
                Ok(ParamValue::Float(v))
            }
            ParamKind::Choice { options } => options
                .iter()
                .find(|o| o.value == t)
                .map(|o| ParamValue::Text(o.value.clone()))
                .ok_or_else(err),
            ParamKind::Text { max_len, .. } => {
                if raw.chars().count() > *max_len as usize {
                    return Err(err());
                }
                Ok(ParamValue::Text(raw.to_string()))
            }
            ParamKind::Bool => match t {
                "true" | "1" | "on" | "yes" => Ok(ParamValue::Bool(true)),
                "false" | "0" | "off" | "no" => Ok(ParamValue::Bool(false)),
                _ => Err(err()),
            },
        }
    }

    /// Checks an already typed value (from a lesson file) against the bounds.
    pub fn check(&self, value: &ParamValue) -> Result<ParamValue, ParamError> {
        self.parse(&value.to_text())
    }
}

/// A complete, validated assignment of every parameter of a model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamSet {
    values: BTreeMap<String, ParamValue>,
}

/// The panic of a typed read of a parameter the set does not hold with that type.
#[cold]
#[track_caller]
fn undeclared(name: &str, kind: &str, found: Option<&ParamValue>) -> ! {
    match found {
        None => panic!(
            "the model reads parameter `{name}`, which its specs() do not declare \
             (a typo, or a missing ParamSpec)"
        ),
        Some(v) => panic!("the model reads parameter `{name}` as {kind}, but it holds {v:?}"),
    }
}

impl ParamSet {
    /// All defaults of `specs`, then `overrides` (name → text) applied in order. Every bad
    /// override is reported; the good ones still apply, so one typo does not lose the rest.
    pub fn resolve<'a>(
        specs: &[ParamSpec],
        overrides: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> (ParamSet, Vec<ParamError>) {
        let mut set = ParamSet::defaults(specs);
        let mut errors = Vec::new();
        for (name, raw) in overrides {
            match specs.iter().find(|s| s.name == name) {
                None => errors.push(ParamError {
                    param: name.to_string(),
                    value: raw.to_string(),
                    allowed: format!(
                        "one of the parameters {}",
                        specs
                            .iter()
                            .map(|s| s.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                }),
                Some(spec) => match spec.parse(raw) {
                    Ok(v) => {
                        set.values.insert(spec.name.clone(), v);
                    }
                    Err(e) => errors.push(e),
                },
            }
        }
        (set, errors)
    }

    /// Every parameter at its default.
    pub fn defaults(specs: &[ParamSpec]) -> ParamSet {
        ParamSet {
            values: crate::order::map_of(specs.iter().map(|s| (s.name.clone(), s.default.clone()))),
        }
    }

    /// Sets one parameter from text, validating it against `specs`.
    pub fn set(&mut self, specs: &[ParamSpec], name: &str, raw: &str) -> Result<(), ParamError> {
        let (one, mut errors) = ParamSet::resolve(specs, [(name, raw)]);
        if let Some(e) = errors.pop() {
            return Err(e);
        }
        if let Some(v) = one.values.get(name) {
            self.values.insert(name.to_string(), v.clone());
        }
        Ok(())
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&ParamValue> {
        self.values.get(name)
    }
    /// An integer parameter.
    ///
    /// # Panics
    ///
    /// If the set has no integer parameter `name`. A set built from a model's specs
    /// ([`ParamSet::resolve`], [`ParamSet::defaults`]) holds every parameter they declare with
    /// its declared type, so this is a programming error — a typo in the name, or a parameter the
    /// model reads but forgot to declare — and it fails loudly (every model is built with its
    /// defaults and every preset in the tests) instead of reading a silent 0. Use
    /// [`ParamSet::get`] for a parameter that may be absent.
    pub fn int(&self, name: &str) -> i64 {
        match self.values.get(name) {
            Some(ParamValue::Int(i)) => *i,
            other => undeclared(name, "whole-number", other),
        }
    }
    /// A float parameter (integers widen).
    ///
    /// # Panics
    ///
    /// If the set has no numeric parameter `name` (see [`ParamSet::int`]).
    pub fn float(&self, name: &str) -> f64 {
        match self.values.get(name) {
            Some(ParamValue::Float(f)) => *f,
            Some(ParamValue::Int(i)) => *i as f64,
            other => undeclared(name, "numeric", other),
        }
    }
    /// A float parameter brought into `[lo, hi]`; infinity and NaN (which a saved run or a
    /// hand-edited link can carry) are refused with a reason. Panics as [`ParamSet::float`].
    pub fn float_clamped(&self, name: &str, lo: f64, hi: f64) -> Result<f64, ParamError> {
        let v = self.float(name);
        if v.is_finite() {
            Ok(v.clamp(lo, hi))
        } else {
            Err(ParamError::new(
                name,
                v.to_string(),
                format!("a number from {lo} to {hi}"),
            ))
        }
    }
    /// A float parameter that must lie in `[lo, hi]` (and be finite): anything else is refused
    /// with a reason. Panics as [`ParamSet::float`].
    pub fn float_within(&self, name: &str, lo: f64, hi: f64) -> Result<f64, ParamError> {
        let v = self.float(name);
        if v.is_finite() && (lo..=hi).contains(&v) {
            Ok(v)
        } else {
            Err(ParamError::new(
                name,
                v.to_string(),
                format!("a number from {lo} to {hi}"),
            ))
        }
    }
    /// A text or choice parameter.
    ///
    /// # Panics
    ///
    /// If the set has no text or choice parameter `name` (see [`ParamSet::int`]).
    pub fn text(&self, name: &str) -> &str {
        match self.values.get(name) {
            Some(ParamValue::Text(s)) => s,
            other => undeclared(name, "text or choice", other),
        }
    }
    /// A boolean parameter.
    ///
    /// # Panics
    ///
    /// If the set has no on/off parameter `name` (see [`ParamSet::int`]).
    pub fn boolean(&self, name: &str) -> bool {
        match self.values.get(name) {
            Some(ParamValue::Bool(b)) => *b,
            other => undeclared(name, "on/off", other),
        }
    }
    /// `(name, value)` pairs, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v))
    }
    /// Only the parameters whose value differs from the spec's default, in name order.
    pub fn non_default<'a>(
        &'a self,
        specs: &'a [ParamSpec],
    ) -> impl Iterator<Item = (&'a str, &'a ParamValue)> {
        self.iter().filter(move |(name, v)| {
            specs
                .iter()
                .find(|s| s.name == *name)
                .is_some_and(|s| &s.default != *v)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Vec<ParamSpec> {
        vec![
            ParamSpec::int("vnodes", "Virtual nodes", 1, 1, 500, 1),
            ParamSpec::float("skew", "Zipf s", 1.0, 0.0, 2.0, 0.1),
            ParamSpec::choice(
                "hash",
                "Hash",
                "fnv1a",
                &[("fnv1a", "FNV-1a"), ("murmur3", "Murmur3")],
            ),
            ParamSpec::text("servers", "Servers", "A,B,C", 20),
            ParamSpec::boolean("show", "Show", true),
        ]
    }

    #[test]
    fn a_float_is_clamped_or_refused_and_never_taken_as_infinite() {
        let mut set = ParamSet::defaults(&specs());
        assert_eq!(set.float_clamped("skew", 0.0, 0.5), Ok(0.5));
        assert_eq!(set.float_within("skew", 0.0, 2.0), Ok(1.0));
        let refused = set.float_within("skew", 0.0, 0.5).unwrap_err();
        assert_eq!(
            (refused.param.as_str(), refused.value.as_str()),
            ("skew", "1")
        );
        assert_eq!(refused.allowed, "a number from 0 to 0.5");
        set.values
            .insert("skew".into(), ParamValue::Float(f64::INFINITY));
        assert!(set.float_clamped("skew", 0.0, 2.0).is_err());
        assert!(set.float_within("skew", 0.0, f64::INFINITY).is_err());
    }

    #[test]
    fn a_text_block_says_so_on_the_wire_and_a_one_line_text_as_before() {
        let line = serde_json::to_string(&ParamSpec::text("s", "S", "", 9).kind).unwrap();
        assert_eq!(line, r#"{"type":"text","max_len":9}"#);
        let block = ParamSpec::text_block("config", "C", "", 99);
        let json = serde_json::to_string(&block.kind).unwrap();
        assert_eq!(json, r#"{"type":"text","max_len":99,"multiline":true}"#);
        let back: ParamKind = serde_json::from_str(&json).unwrap();
        assert_eq!(back, block.kind);
        // Line breaks are part of the value.
        assert_eq!(
            block.parse("a {\n  b;\n}\n").unwrap(),
            ParamValue::Text("a {\n  b;\n}\n".into())
        );
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))] // catching a panic needs unwinding, which wasm32 lacks
    fn typed_reads_of_undeclared_parameters_fail_loudly() {
        let set = ParamSet::defaults(&specs());
        assert_eq!(set.int("vnodes"), 1);
        assert_eq!(set.float("vnodes"), 1.0);
        let typo = std::panic::catch_unwind(|| set.int("vnode")).unwrap_err();
        let message = typo.downcast_ref::<String>().expect("a formatted message");
        assert!(
            message.contains("`vnode`") && message.contains("specs()"),
            "{message}"
        );
        let wrong_type = std::panic::catch_unwind(|| set.text("vnodes")).unwrap_err();
        let message = wrong_type
            .downcast_ref::<String>()
            .expect("a formatted message");
        assert!(message.contains("as text or choice"), "{message}");
        assert!(std::panic::catch_unwind(|| set.boolean("nope")).is_err());
    }

    #[test]
    fn error_names_param_value_and_range() {
        let e = specs()[0].parse("501").unwrap_err();
        assert_eq!(e.param, "vnodes");
        assert_eq!(e.value, "501");
        assert_eq!(
            e.to_string(),
            "parameter `vnodes`: \"501\" is not allowed; expected a whole number from 1 to 500"
        );
    }

    #[test]
    fn rejects_garbage_of_every_kind() {
        let s = specs();
        assert!(s[0].parse("ten").is_err());
        assert!(s[1].parse("NaN").is_err());
        assert!(s[1].parse("2.5").is_err());
        assert!(s[2].parse("md5").is_err());
        assert!(s[3].parse(&"x".repeat(21)).is_err());
        assert!(s[4].parse("maybe").is_err());
    }

    #[test]
    fn resolve_keeps_good_overrides_and_reports_bad_ones() {
        let (set, errs) = ParamSet::resolve(
            &specs(),
            [
                ("vnodes", "50"),
                ("skew", "9"),
                ("nope", "1"),
                ("hash", "murmur3"),
            ],
        );
        assert_eq!(set.int("vnodes"), 50);
        assert_eq!(set.float("skew"), 1.0);
        assert_eq!(set.text("hash"), "murmur3");
        let names: Vec<_> = errs.iter().map(|e| e.param.as_str()).collect();
        assert_eq!(names, ["skew", "nope"]);
    }

    #[test]
    fn non_default_lists_only_changes() {
        let specs = specs();
        let (set, _) = ParamSet::resolve(&specs, [("vnodes", "1"), ("show", "false")]);
        let changed: Vec<_> = set
            .non_default(&specs)
            .map(|(n, v)| (n, v.to_text()))
            .collect();
        assert_eq!(changed, [("show", "false".to_string())]);
    }

    #[test]
    fn floats_print_short() {
        assert_eq!(ParamValue::Float(1.0).to_text(), "1");
        assert_eq!(ParamValue::Float(0.25).to_text(), "0.25");
    }
}
