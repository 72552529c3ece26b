//! Placing named things on the ring: the `Name[@degrees]` list syntax of the `servers` and
//! `named_keys` parameters, and the `hash % N` owner the lesson compares against.

use crate::hashing::ring::{degrees_to_position, Position};
use crate::params::ParamError;
use std::collections::BTreeSet;

/// A key on the ring.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyPlace {
    /// Its name.
    pub name: String,
    /// Where it sits.
    pub position: Position,
    /// Named by the learner (drawn larger, always shown) rather than generated.
    pub named: bool,
}

/// Parses `Name` or `Name@degrees`.
pub(super) fn parse_placed(
    item: &str,
    what: &str,
    param: &str,
    raw: &str,
) -> Result<(String, Option<Position>), ParamError> {
    let bad = |allowed: String| ParamError {
        param: param.to_string(),
        value: raw.to_string(),
        allowed,
    };
    let item = item.trim();
    let (name, at) = match item.split_once('@') {
        Some((n, d)) => (n.trim(), Some(d.trim())),
        None => (item, None),
    };
    let name_ok = !name.is_empty()
        && name.len() <= 24
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c));
    if !name_ok {
        return Err(bad(format!(
            "a comma-separated list of {what} names (letters, digits, - _ . :), each optionally @degrees; {item:?} is not a valid name"
        )));
    }
    let pos = match at {
        None => None,
        Some(d) => {
            let deg: f64 = d
                .parse()
                .map_err(|_| bad(format!("degrees from 0 to 360 after @ in {item:?}")))?;
            if !(0.0..360.0).contains(&deg) {
                return Err(bad(format!(
                    "degrees from 0 to 360 (not 360 itself) after @ in {item:?}"
                )));
            }
            Some(degrees_to_position(deg))
        }
    };
    Ok((name.to_string(), pos))
}

pub(super) fn parse_list(
    raw: &str,
    what: &str,
    param: &str,
) -> Result<Vec<(String, Option<Position>)>, ParamError> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for item in raw.split(',').filter(|s| !s.trim().is_empty()) {
        let (name, pos) = parse_placed(item, what, param, raw)?;
        if !seen.insert(name.clone()) {
            return Err(ParamError {
                param: param.to_string(),
                value: raw.to_string(),
                allowed: format!("distinct {what} names; {name:?} appears twice"),
            });
        }
        out.push((name, pos));
    }
    Ok(out)
}

/// The owner under `hash % N` placement over the sorted server list.
pub(super) fn modulo_owner(servers: &[String], position: Position) -> Option<&str> {
    if servers.is_empty() {
        return None;
    }
    Some(&servers[(u64::from(position) % servers.len() as u64) as usize])
}
