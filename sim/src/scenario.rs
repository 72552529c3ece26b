//! Scenarios: everything a run is a function of.
//!
//! A [`Scenario`] is plain serde data — model id, seed, parameter overrides, timed inputs and
//! an end time — so it can be written into a URL, saved to a file, or replayed by the CLI.

use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A learner's (or a preset's) intervention: an action name and an optional argument,
/// written `action` or `action:arg` (for example `remove-server:B`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Input {
    /// The action, in kebab case (`add-server`).
    pub action: String,
    /// Its argument, if any (`B`, `D@200`, `100`).
    pub arg: Option<String>,
}

impl Input {
    /// An input with an argument.
    pub fn new(action: &str, arg: Option<&str>) -> Self {
        Input {
            action: action.to_string(),
            arg: arg.map(str::to_string),
        }
    }
    /// Parses `action[:arg]`.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let (action, arg) = match text.split_once(':') {
            Some((a, rest)) => (a, Some(rest)),
            None => (text, None),
        };
        let ok = !action.is_empty()
            && action
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
        if !ok {
            return Err(ScenarioError(format!(
                "{text:?} is not an action: expected `name` or `name:argument`, e.g. `remove-server:B`"
            )));
        }
        Ok(Input::new(action, arg.filter(|a| !a.is_empty())))
    }
}

impl fmt::Display for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.arg {
            Some(a) => write!(f, "{}:{a}", self.action),
            None => f.write_str(&self.action),
        }
    }
}

/// An input applied at a simulated time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedInput {
    /// When it is applied.
    pub at: SimTime,
    /// What is applied.
    pub input: Input,
}

impl TimedInput {
    /// Parses `TIME_MS:action[:arg]`, as used by URLs and the CLI's `--do`.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        let (time, rest) = text.split_once(':').ok_or_else(|| {
            ScenarioError(format!(
                "{text:?} is not a timed action: expected `TIME_MS:action[:arg]`, e.g. `0:remove-server:B`"
            ))
        })?;
        let ms: u64 = time.trim().parse().map_err(|_| {
            ScenarioError(format!(
                "{text:?}: the time {time:?} is not a whole number of milliseconds"
            ))
        })?;
        Ok(TimedInput {
            at: SimTime::from_ms(ms),
            input: Input::parse(rest.trim())?,
        })
    }
}

impl fmt::Display for TimedInput {
    /// `TIME_MS:action[:arg]`; sub-millisecond times are written in whole milliseconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.at.as_ms(), self.input)
    }
}

/// A malformed scenario field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError(pub String);

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScenarioError {}

/// Everything a run is a function of.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Scenario {
    /// Which model runs (`hash-ring`).
    pub model: String,
    /// The seed of every random draw.
    pub seed: u64,
    /// Parameter overrides as text, by name (defaults fill the rest).
    pub params: BTreeMap<String, String>,
    /// Interventions, in time order.
    pub inputs: Vec<TimedInput>,
    /// Where the timeline ends.
    pub until: SimTime,
}

impl Scenario {
    /// A scenario with no overrides and no inputs.
    pub fn new(model: &str, seed: u64, until: SimTime) -> Self {
        Scenario {
            model: model.to_string(),
            seed,
            params: BTreeMap::new(),
            inputs: Vec::new(),
            until,
        }
    }
}

impl std::str::FromStr for TimedInput {
    type Err = ScenarioError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TimedInput::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_timed_inputs() {
        let t = TimedInput::parse("2500:remove-server:B").unwrap();
        assert_eq!(t.at, SimTime::from_ms(2_500));
        assert_eq!(t.input, Input::new("remove-server", Some("B")));
        assert_eq!(t.to_string(), "2500:remove-server:B");
        let bare = TimedInput::parse("0:reset").unwrap();
        assert_eq!(bare.input.arg, None);
        assert_eq!(
            TimedInput::parse("0:add-server:D@200")
                .unwrap()
                .input
                .arg
                .as_deref(),
            Some("D@200")
        );
    }

    #[test]
    fn rejects_malformed_inputs_with_a_reason() {
        assert!(TimedInput::parse("soon:remove-server:B")
            .unwrap_err()
            .0
            .contains("milliseconds"));
        assert!(TimedInput::parse("remove").is_err());
        assert!(TimedInput::parse("0:Remove Server").is_err());
    }
}
