//! Traces the reader brings: a text file with one key per line, a CSV `time,key[,size]`, or a
//! libCacheSim `oracleGeneral` binary trace read as a stream.
//!
//! Every reader stops after a cap on the requests it reads and says whether it stopped early
//! ([`TraceRead::truncated`]) and how many it read. Malformed input is an error naming the line
//! (text, CSV) or the byte offset (binary), never a panic: every reader is total on arbitrary
//! bytes (`tests/suite/cache_trace.rs` feeds it random ones) and does work linear in its input.
//!
//! Text keys may be any strings. They become u64 ids in order of first appearance (0, 1, 2, …)
//! through an ordered map, so the mapping is collision-free and the same on every target, and
//! [`KeyNames`] keeps the id → name table for a lesson to show the original names.
//!
//! **oracleGeneral** is libCacheSim's binary trace format: a flat array of packed 24-byte
//! little-endian records `{ u32 clock_time; u64 obj_id; u32 obj_size; i64 next_access_vtime }`
//! (libCacheSim, `libCacheSim/traceReader/customizedReader/oracle/oracleGeneralBin.h`, which reads
//! the fields at byte offsets 0, 4, 12 and 16 and treats a next-access time of −1 or `INT64_MAX`
//! as "never"). Like libCacheSim's reader by default (`ignore_size_zero_req`), records of size 0
//! are skipped; they are counted in [`TraceRead::skipped`]. The file's next-access times are not
//! trusted: after a cap they may point past the requests read, so [`annotate_next`] recomputes
//! them. Files compressed with zstd (libCacheSim's `.zst` traces) are recognised by their magic
//! number and refused with a message saying to decompress them first.

use super::{annotate_next, Request};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

/// Where in the input an error is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Position {
    /// A 1-based line number (text and CSV).
    Line(u64),
    /// A 0-based byte offset (binary).
    Byte(u64),
}

/// Malformed input: where, and what is wrong in words a reader can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceError {
    /// Where.
    pub at: Position,
    /// What.
    pub message: String,
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.at {
            Position::Line(n) => write!(f, "line {n}: {}", self.message),
            Position::Byte(n) => write!(f, "byte {n}: {}", self.message),
        }
    }
}

impl std::error::Error for TraceError {}

fn line_error(line: u64, message: impl Into<String>) -> TraceError {
    TraceError {
        at: Position::Line(line),
        message: message.into(),
    }
}

/// Key names → ids in order of first appearance, and back.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KeyNames {
    ids: BTreeMap<String, u64>,
    names: Vec<String>,
}

impl KeyNames {
    /// The id of `name`, giving it the next id if it is new.
    pub fn intern(&mut self, name: &str) -> u64 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u64;
        self.ids.insert(name.to_string(), id);
        self.names.push(name.to_string());
        id
    }

    /// The original name of `id`.
    pub fn name(&self, id: u64) -> Option<&str> {
        usize::try_from(id)
            .ok()
            .and_then(|i| self.names.get(i))
            .map(String::as_str)
    }

    /// The id of `name`, if seen.
    pub fn id(&self, name: &str) -> Option<u64> {
        self.ids.get(name).copied()
    }

    /// Distinct names seen.
    pub fn len(&self) -> u64 {
        self.names.len() as u64
    }

    /// True before any name is seen.
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }
}

/// A trace as read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceRead {
    /// The requests, `next` filled in by [`annotate_next`] over the requests read.
    pub requests: Vec<Request>,
    /// Each request's timestamp, in the file's own unit (CSV and oracleGeneral; empty for text).
    pub times: Vec<u64>,
    /// The original key names (text and CSV; empty for oracleGeneral, whose ids are numbers).
    pub names: KeyNames,
    /// Whether the file gave sizes (CSV with a size column, oracleGeneral); otherwise every
    /// size is 1.
    pub has_sizes: bool,
    /// Requests read (`requests.len()`).
    pub read: u64,
    /// Whether the cap stopped the reader before the end of the input.
    pub truncated: bool,
    /// Records skipped (oracleGeneral records of size 0).
    pub skipped: u64,
}

impl TraceRead {
    fn finish(mut self) -> Self {
        self.read = self.requests.len() as u64;
        annotate_next(&mut self.requests);
        self
    }
}

/// Lines of `input` with their 1-based numbers, `\n` or `\r\n` ended, a UTF-8 byte-order mark
/// dropped, each checked to be UTF-8.
fn lines(input: &[u8]) -> impl Iterator<Item = (u64, Result<&str, TraceError>)> {
    let input = input.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(input);
    input.split(|b| *b == b'\n').enumerate().map(|(i, raw)| {
        let n = i as u64 + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        let text = std::str::from_utf8(raw).map_err(|e| {
            line_error(
                n,
                format!(
                    "not UTF-8 text (invalid byte at column {})",
                    e.valid_up_to() + 1
                ),
            )
        });
        (n, text)
    })
}

/// Reads a text trace: one key per line (surrounding spaces trimmed, blank lines skipped), at
/// most `cap` requests. Every size is 1.
pub fn read_text(input: &[u8], cap: u64) -> Result<TraceRead, TraceError> {
    let mut out = TraceRead::default();
    for (_, line) in lines(input) {
        let full = out.requests.len() as u64 >= cap;
        let key = match line {
            Ok(text) => text.trim(),
            // Past the cap, any further line means the trace was cut, whatever it holds.
            Err(_) if full => {
                out.truncated = true;
                break;
            }
            Err(e) => return Err(e),
        };
        if key.is_empty() {
            continue;
        }
        if full {
            out.truncated = true;
            break;
        }
        let id = out.names.intern(key);
        out.requests.push(Request::unit(id));
    }
    Ok(out.finish())
}

/// Splits one CSV line into fields (RFC 4180 quoting within a line: `"a,b"` is one field and
/// `""` inside quotes is a quote). `Err` names the 1-based column of the problem.
fn csv_fields(line: &str) -> Result<Vec<Cow<'_, str>>, String> {
    let mut fields = Vec::new();
    let mut chars = line.char_indices().peekable();
    loop {
        if let Some((start, '"')) = chars.peek().copied() {
            chars.next();
            let mut field = String::new();
            loop {
                match chars.next() {
                    Some((_, '"')) => {
                        if let Some((_, '"')) = chars.peek() {
                            chars.next();
                            field.push('"');
                        } else {
                            break;
                        }
                    }
                    Some((_, c)) => field.push(c),
                    None => {
                        return Err(format!(
                            "the quote opened at column {} is never closed",
                            start + 1
                        ))
                    }
                }
            }
            fields.push(Cow::Owned(field));
            match chars.next() {
                None => return Ok(fields),
                Some((_, ',')) => {}
                Some((i, _)) => {
                    return Err(format!(
                        "unexpected text after a closing quote at column {}",
                        i + 1
                    ))
                }
            }
        } else {
            // Unquoted: borrow the slice up to the next comma, trimmed (no copy).
            let start = chars.peek().map_or(line.len(), |(i, _)| *i);
            loop {
                match chars.next() {
                    None => {
                        fields.push(Cow::Borrowed(line[start..].trim()));
                        return Ok(fields);
                    }
                    Some((i, ',')) => {
                        fields.push(Cow::Borrowed(line[start..i].trim()));
                        break;
                    }
                    Some((i, '"')) => {
                        return Err(format!(
                            "a quote in the middle of a field at column {} (quote the whole field)",
                            i + 1
                        ))
                    }
                    Some(_) => {}
                }
            }
        }
    }
}

/// Reads a CSV trace, `time,key[,size]` per line, at most `cap` requests.
///
/// - The first non-blank line is a header when its first field is not a number; it is skipped.
/// - `time` is a non-negative integer in the trace's own unit; `key` any string (quoted if it
///   holds a comma); `size` a positive integer of at most 4,294,967,295. The size column is on
///   every line or on none.
/// - Blank lines are skipped. Anything else wrong is an error naming its line.
pub fn read_csv(input: &[u8], cap: u64) -> Result<TraceRead, TraceError> {
    let mut out = TraceRead::default();
    let mut first = true;
    let mut sized: Option<bool> = None;
    for (n, line) in lines(input) {
        let full = out.requests.len() as u64 >= cap;
        // Past the cap, any further non-blank line means the trace was cut, whatever it holds
        // (the first line may still be the header).
        let line = match line {
            Ok(text) => text,
            Err(_) if full && !first => {
                out.truncated = true;
                break;
            }
            Err(e) => return Err(e),
        };
        if line.trim().is_empty() {
            continue;
        }
        if full && !first {
            out.truncated = true;
            break;
        }
        let fields = csv_fields(line).map_err(|m| line_error(n, m))?;
        if first {
            first = false;
            if fields[0].parse::<u64>().is_err() {
                continue;
            }
        }
        if full {
            out.truncated = true;
            break;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(line_error(
                n,
                format!(
                    "expected time,key or time,key,size but found {} fields",
                    fields.len()
                ),
            ));
        }
        let time = fields[0].parse::<u64>().map_err(|_| {
            line_error(
                n,
                format!(
                    "the time {:?} is not a whole number of time units",
                    fields[0]
                ),
            )
        })?;
        let key = &fields[1];
        if key.is_empty() {
            return Err(line_error(n, "the key is empty"));
        }
        let has_size = fields.len() == 3;
        match sized {
            None => sized = Some(has_size),
            Some(s) if s != has_size => {
                return Err(line_error(
                    n,
                    if s {
                        "this line has no size but the lines before it do"
                    } else {
                        "this line has a size but the lines before it do not"
                    },
                ))
            }
            Some(_) => {}
        }
        let size = if has_size {
            match fields[2].parse::<u32>() {
                Ok(s) if s >= 1 => s,
                _ => {
                    return Err(line_error(
                        n,
                        format!(
                            "the size {:?} is not a whole number from 1 to 4294967295",
                            fields[2]
                        ),
                    ))
                }
            }
        } else {
            1
        };
        let id = out.names.intern(key);
        out.requests.push(Request {
            size,
            ..Request::unit(id)
        });
        out.times.push(time);
    }
    out.has_sizes = sized == Some(true);
    Ok(out.finish())
}

/// Bytes per oracleGeneral record.
pub const ORACLE_RECORD_BYTES: u64 = 24;

/// The zstd frame magic number (RFC 8878 §3.1.1), little-endian on disk.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

fn zstd_error() -> TraceError {
    TraceError {
        at: Position::Byte(0),
        message: "this file is compressed with zstd: decompress it first".into(),
    }
}

/// One oracleGeneral record as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleRecord {
    /// The request's time (seconds in the published traces).
    pub clock_time: u32,
    /// The object id.
    pub obj_id: u64,
    /// The object's size in bytes.
    pub obj_size: u32,
    /// The file's next-access time (−1 or `i64::MAX`: never).
    pub next_access_vtime: i64,
}

impl OracleRecord {
    /// Decodes one 24-byte record.
    pub fn decode(b: &[u8; 24]) -> Self {
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let u64_at = |i: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&b[i..i + 8]);
            u64::from_le_bytes(w)
        };
        OracleRecord {
            clock_time: u32_at(0),
            obj_id: u64_at(4),
            obj_size: u32_at(12),
            next_access_vtime: u64_at(16) as i64,
        }
    }

    /// Encodes the record as the file stores it.
    pub fn encode(&self) -> [u8; 24] {
        let mut b = [0u8; 24];
        b[0..4].copy_from_slice(&self.clock_time.to_le_bytes());
        b[4..12].copy_from_slice(&self.obj_id.to_le_bytes());
        b[12..16].copy_from_slice(&self.obj_size.to_le_bytes());
        b[16..24].copy_from_slice(&self.next_access_vtime.to_le_bytes());
        b
    }
}

/// A streaming oracleGeneral reader: [`push`](Self::push) chunks of any size (a record may be
/// split across chunks), then [`finish`](Self::finish).
#[derive(Clone, Debug)]
pub struct OracleGeneralReader {
    cap: u64,
    partial: [u8; 24],
    filled: u8,
    offset: u64,
    out: TraceRead,
    error: Option<TraceError>,
}

impl OracleGeneralReader {
    /// A reader that keeps at most `cap` requests.
    pub fn new(cap: u64) -> Self {
        OracleGeneralReader {
            cap,
            partial: [0; 24],
            filled: 0,
            offset: 0,
            out: TraceRead {
                has_sizes: true,
                ..TraceRead::default()
            },
            error: None,
        }
    }

    /// True once nothing more will be read: the cap is reached and more input was seen, or an
    /// error occurred. A browser can cancel its file stream then.
    pub fn is_done(&self) -> bool {
        self.error.is_some() || self.out.truncated
    }

    /// Requests kept so far.
    pub fn read(&self) -> u64 {
        self.out.requests.len() as u64
    }

    /// Bytes consumed so far.
    pub fn bytes(&self) -> u64 {
        self.offset
    }

    /// Feeds the next chunk of the file. After an error every later push returns it again.
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<(), TraceError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        while !chunk.is_empty() && !self.out.truncated {
            if self.out.requests.len() as u64 >= self.cap {
                self.out.truncated = true;
                break;
            }
            let take = (24 - usize::from(self.filled)).min(chunk.len());
            let at = usize::from(self.filled);
            self.partial[at..at + take].copy_from_slice(&chunk[..take]);
            self.filled += take as u8;
            chunk = &chunk[take..];
            if self.filled == 24 {
                self.filled = 0;
                let start = self.offset;
                self.offset += ORACLE_RECORD_BYTES;
                if let Err(e) = self.record(start) {
                    self.error = Some(e.clone());
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    fn record(&mut self, start: u64) -> Result<(), TraceError> {
        if start == 0 && self.partial[..4] == ZSTD_MAGIC {
            return Err(zstd_error());
        }
        let r = OracleRecord::decode(&self.partial);
        if r.next_access_vtime < -1 {
            return Err(TraceError {
                at: Position::Byte(start + 16),
                message: format!(
                    "record {} has next-access time {}, which no oracleGeneral trace holds \
                     (is this the right file type?)",
                    start / ORACLE_RECORD_BYTES + 1,
                    r.next_access_vtime
                ),
            });
        }
        if r.obj_size == 0 {
            self.out.skipped += 1;
            return Ok(());
        }
        self.out.requests.push(Request {
            key: r.obj_id,
            size: r.obj_size,
            next: super::NEVER,
        });
        self.out.times.push(u64::from(r.clock_time));
        Ok(())
    }

    /// Ends the stream: an error if it stopped inside a record (unless the cap had already
    /// stopped reading), otherwise the trace.
    pub fn finish(self) -> Result<TraceRead, TraceError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.filled > 0 && !self.out.truncated {
            if self.offset == 0 && self.filled >= 4 && self.partial[..4] == ZSTD_MAGIC {
                return Err(zstd_error());
            }
            return Err(TraceError {
                at: Position::Byte(self.offset),
                message: format!(
                    "the file ends {} bytes into a record: an oracleGeneral trace is a whole \
                     number of 24-byte records",
                    self.filled
                ),
            });
        }
        Ok(self.out.finish())
    }
}

/// Reads a whole oracleGeneral file held in memory (one [`OracleGeneralReader::push`]).
pub fn read_oracle_general(input: &[u8], cap: u64) -> Result<TraceRead, TraceError> {
    let mut reader = OracleGeneralReader::new(cap);
    reader.push(input)?;
    reader.finish()
}
