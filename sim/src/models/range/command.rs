//! The learner's inputs as typed commands: `split:1:150000` → [`Command::Split`], with ids
//! read the way people write them (`150,000`, `user-12`) and errors that say what is expected.

use super::spec::MAX_ADD_KEYS;
use super::table::MAX_SHARDS;
use crate::scenario::Input;

/// One input of the range-sharding model.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Split a shard after an id, or at its median key.
    Split {
        /// The shard.
        shard: u32,
        /// The last id the shard keeps, if given.
        at: Option<u64>,
    },
    /// Merge a shard with its right neighbour.
    Merge(u32),
    /// New split points, as written.
    SetBoundaries(String),
    /// Split the fullest shard at its median key.
    AddShard,
    /// Move a range's keys to another node.
    Move {
        /// The range (shard position).
        shard: u32,
        /// Where to: a node, a new node, or (None) the node holding the fewest keys.
        to: Option<MoveTo>,
    },
    /// Hand a shard's range to a neighbour (the last shard when None).
    RemoveShard(Option<u32>),
    /// Split or merge until there are this many shards.
    Resize(u32),
    /// This many new ids from the ids rule.
    AddKeys(u64),
    /// Write one id.
    Insert(i64),
    /// Read one id.
    Lookup(i64),
    /// Read every id in a span.
    Scan(i64, i64),
}

/// The node a `move` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoveTo {
    /// An existing node.
    Node(u32),
    /// A node with no range yet.
    New,
}

impl Command {
    /// Reads an input; the error names the action and shows a correct example.
    pub fn parse(input: &Input) -> Result<Command, String> {
        let arg = input.arg.as_deref().unwrap_or("").trim();
        let shard = |what: &str| -> Result<u32, String> {
            arg.parse()
                .map_err(|_| format!("{what} needs a shard number, e.g. {what}:0"))
        };
        let id = |what: &str| -> Result<i64, String> {
            parse_id(arg).ok_or_else(|| format!("{what} needs an id, e.g. {what}:150000"))
        };
        Ok(match input.action.as_str() {
            "split" => {
                let (s, at) = match arg.split_once(':') {
                    Some((s, at)) => (s.trim(), Some(at)),
                    None => (arg, None),
                };
                let shard = s
                    .parse()
                    .map_err(|_| "split needs a shard, e.g. split:1 or split:1:150000".to_string())?;
                let at = match at {
                    None => None,
                    Some(t) => Some(
                        parse_id(t)
                            .and_then(|v| u64::try_from(v).ok())
                            .ok_or_else(|| format!("{t:?} is not an id to split after"))?,
                    ),
                };
                Command::Split { shard, at }
            }
            "merge" => Command::Merge(shard("merge")?),
            "set-boundaries" => Command::SetBoundaries(arg.to_string()),
            "add-shard" => Command::AddShard,
            "move" => {
                let usage = "move needs a shard and optionally a node, e.g. move:4, move:4:0 or move:4:new";
                let (s, to) = match arg.split_once(':') {
                    Some((s, t)) => (s.trim(), Some(t.trim())),
                    None => (arg, None),
                };
                let shard = s.parse().map_err(|_| usage.to_string())?;
                let to = match to {
                    None | Some("") => None,
                    Some("new") => Some(MoveTo::New),
                    Some(t) => Some(MoveTo::Node(t.parse().map_err(|_| usage.to_string())?)),
                };
                Command::Move { shard, to }
            }
            "remove-shard" if arg.is_empty() => Command::RemoveShard(None),
            "remove-shard" => Command::RemoveShard(Some(shard("remove-shard")?)),
            "resize" => Command::Resize(arg.parse().map_err(|_| {
                format!("resize needs a shard count from 1 to {MAX_SHARDS}, e.g. resize:4")
            })?),
            "add-keys" => Command::AddKeys(
                arg.parse()
                    .ok()
                    .filter(|n| (1..=MAX_ADD_KEYS).contains(n))
                    .ok_or_else(|| {
                        format!("add-keys needs a count from 1 to {MAX_ADD_KEYS}, e.g. add-keys:10")
                    })?,
            ),
            "insert" => Command::Insert(id("insert")?),
            "lookup" => Command::Lookup(id("lookup")?),
            "scan" => {
                let (lo, hi) = parse_span(arg)
                    .ok_or_else(|| "scan needs a span of ids, e.g. scan:150000-250000".to_string())?;
                if lo > hi {
                    return Err(format!(
                        "scan needs its first id at most its last, not {lo}-{hi}"
                    ));
                }
                Command::Scan(lo, hi)
            }
            other => {
                return Err(format!(
                    "unknown action {other:?}; this lesson knows split, merge, set-boundaries, add-shard, move, remove-shard, resize, add-keys, insert, lookup and scan"
                ))
            }
        })
    }
}

/// Parses an id as a learner types it: `150000`, `150,000`, `150_000`, `id 150000`,
/// `user-12`, `family:7`, or a negative number (`-5`). Returns None for anything else.
pub fn parse_id(text: &str) -> Option<i64> {
    let t = text.trim();
    let word_end = t
        .char_indices()
        .find(|(_, c)| !c.is_ascii_alphabetic())
        .map_or(t.len(), |(i, _)| i);
    let (word, rest) = t.split_at(word_end);
    let rest = if word.is_empty() {
        rest
    } else {
        rest.trim_start_matches([' ', '_', ':', '#', '-'])
    };
    let (negative, digits) = match rest.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, rest),
    };
    if digits.is_empty() || !digits.chars().next()?.is_ascii_digit() {
        return None;
    }
    let clean: String = digits.chars().filter(|c| *c != ',' && *c != '_').collect();
    let v: i64 = clean.parse().ok()?;
    Some(if negative { -v } else { v })
}

/// Parses a scan's `lo-hi` (or `lo..hi`, `lo–hi`), each end as [`parse_id`] reads it.
pub fn parse_span(text: &str) -> Option<(i64, i64)> {
    let t = text.trim();
    let (lo, hi) = t
        .split_once("..")
        .or_else(|| t.split_once('–'))
        .or_else(|| {
            // The first '-' after a digit separates the ends (a leading '-' is a sign).
            let i = t
                .char_indices()
                .skip(1)
                .find(|(i, c)| *c == '-' && t[..*i].ends_with(|p: char| p.is_ascii_digit()))?
                .0;
            Some((&t[..i], &t[i + 1..]))
        })?;
    Some((parse_id(lo)?, parse_id(hi)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_become_commands() {
        let parse = |t: &str| Command::parse(&Input::parse(t).unwrap());
        assert_eq!(
            parse("split:1:150,000"),
            Ok(Command::Split {
                shard: 1,
                at: Some(150_000)
            })
        );
        assert_eq!(parse("split:2"), Ok(Command::Split { shard: 2, at: None }));
        assert_eq!(parse("remove-shard"), Ok(Command::RemoveShard(None)));
        assert_eq!(parse("scan:1-50000"), Ok(Command::Scan(1, 50_000)));
        assert!(parse("split:1:-5").unwrap_err().contains("split after"));
        assert!(parse("add-keys:0").unwrap_err().contains("1 to 10000"));
        assert!(parse("scan:9-3").unwrap_err().contains("at most"));
        assert!(parse("jump").unwrap_err().contains("unknown action"));
        assert_eq!(parse("move:4"), Ok(Command::Move { shard: 4, to: None }));
        assert_eq!(
            parse("move:4:new"),
            Ok(Command::Move {
                shard: 4,
                to: Some(MoveTo::New)
            })
        );
        assert_eq!(
            parse("move:4:0"),
            Ok(Command::Move {
                shard: 4,
                to: Some(MoveTo::Node(0))
            })
        );
        assert!(parse("move:x").unwrap_err().contains("move:4:new"));
    }

    #[test]
    fn ids_parse_the_way_people_write_them() {
        assert_eq!(parse_id("150000"), Some(150_000));
        assert_eq!(parse_id(" 150,000 "), Some(150_000));
        assert_eq!(parse_id("100_000_001"), Some(100_000_001));
        assert_eq!(parse_id("user-12"), Some(12));
        assert_eq!(parse_id("id 7"), Some(7));
        assert_eq!(parse_id("-5"), Some(-5));
        assert_eq!(parse_id("twelve"), None);
        assert_eq!(parse_id(""), None);
    }

    #[test]
    fn spans_parse_with_either_separator() {
        assert_eq!(parse_span("150000-250000"), Some((150_000, 250_000)));
        assert_eq!(parse_span("150,000..250,000"), Some((150_000, 250_000)));
        assert_eq!(parse_span("-5-10"), Some((-5, 10)));
        assert_eq!(parse_span("10"), None);
    }
}
