//! A trace the reader brings, attached to a run: how its bytes reach a model deterministically.
//!
//! A run stays a function of `(seed, params, inputs, trace bytes)`. The bytes are not a
//! parameter: a parameter (and so a link) carries only a **trace reference**, `name~hash`, the
//! file's name and the FNV-1a 64 hash of the bytes the run reads (16 lowercase hex digits, e.g.
//! `web.csv~9f3a0c1d2e4b5a60`). The bytes themselves are attached once per program
//! ([`attach`]): the app keeps them in the browser's storage so a reload finds them again, posts
//! them to the sweep worker with each sweep, and the CLI reads them from `--trace FILE`. A model
//! looks its trace up by reference ([`lookup`]); a reference whose bytes were never attached
//! (a link opened on another machine) is a clear error asking for the file, never a panic.
//!
//! The hash is over exactly the bytes a reader parses ([`TraceFile::bytes`]): the whole text or
//! CSV file, or for an oracleGeneral file the first [`REQUEST_CAP`] records (the browser reads
//! only that prefix of a large file, as a stream). How the bytes arrived (in one piece or in
//! chunks) cannot change the hash, and two files with the same hash give the same run.
//!
//! Format detection ([`detect`]): the extension first (`.csv`; `.oracleGeneral`, `.bin`), then
//! the content: a zero byte means binary (oracleGeneral), a comma on the first line CSV, anything
//! else one key per line.

use super::trace::{read_csv, read_oracle_general, read_text, TraceError, TraceRead};
use crate::trace::fnv1a64;
use serde::{Deserialize, Serialize};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::fmt;
use std::rc::Rc;

/// The name of the text parameter that holds a trace reference, in every model that reads one
/// (so a sweep knows which bytes its worker needs: [`files_named`]).
pub const TRACE_PARAM: &str = "trace";

/// The most requests a run reads from a trace (the page says "read the first 1,000,000 of N").
pub const REQUEST_CAP: u64 = 1_000_000;

/// The longest trace name a reference carries (longer names are cut).
pub const NAME_MAX: usize = 40;

/// A trace file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TraceFormat {
    /// One key per line.
    Text,
    /// `time,key[,size]` per line.
    Csv,
    /// libCacheSim's 24-byte binary records.
    OracleGeneral,
}

impl TraceFormat {
    /// The format in words, for the page.
    pub fn label(self) -> &'static str {
        match self {
            TraceFormat::Text => "one key per line",
            TraceFormat::Csv => "CSV time,key[,size]",
            TraceFormat::OracleGeneral => "libCacheSim oracleGeneral",
        }
    }
}

/// A trace as the reader gave it: its name, format and the bytes a run reads.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceFile {
    /// The file's name as given (a reference carries a URL-safe form of it, [`safe_name`]).
    pub name: String,
    /// Its format.
    pub format: TraceFormat,
    /// The bytes read: the whole file, or an oracleGeneral file's first [`REQUEST_CAP`] records.
    #[serde(with = "bytes")]
    pub bytes: Vec<u8>,
    /// The whole file's size in bytes (more than `bytes.len()` when only a prefix was read).
    pub file_bytes: u64,
}

/// Serialised as bytes (a `Uint8Array` across the wasm boundary, not an array of numbers).
mod bytes {
    use serde::{Deserializer, Serializer};
    pub fn serialize<S: Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(b)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Vec<u8>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("bytes")
            }
            fn visit_bytes<E>(self, v: &[u8]) -> Result<Vec<u8>, E> {
                Ok(v.to_vec())
            }
            fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<Vec<u8>, E> {
                Ok(v)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut a: A,
            ) -> Result<Vec<u8>, A::Error> {
                let mut out = Vec::new();
                while let Some(b) = a.next_element()? {
                    out.push(b);
                }
                Ok(out)
            }
        }
        d.deserialize_byte_buf(V)
    }
}

impl TraceFile {
    /// A file whose bytes were all read.
    pub fn new(name: &str, format: TraceFormat, bytes: Vec<u8>) -> Self {
        let file_bytes = bytes.len() as u64;
        TraceFile {
            name: name.to_string(),
            format,
            bytes,
            file_bytes,
        }
    }

    /// A file of `file_bytes` bytes of which `bytes` were read, keeping of an oracleGeneral file
    /// only its first [`REQUEST_CAP`] records (whatever was passed in).
    pub fn prefix(name: &str, format: TraceFormat, mut bytes: Vec<u8>, file_bytes: u64) -> Self {
        if format == TraceFormat::OracleGeneral {
            bytes.truncate(oracle_prefix_bytes(file_bytes) as usize);
        }
        TraceFile {
            name: name.to_string(),
            format,
            bytes,
            file_bytes,
        }
    }

    /// The hash of the bytes a run reads (FNV-1a 64).
    pub fn hash(&self) -> u64 {
        fnv1a64(&self.bytes)
    }

    /// The reference a parameter and a link carry, `name~hash`.
    pub fn reference(&self) -> String {
        format!("{}~{:016x}", safe_name(&self.name), self.hash())
    }

    /// Parses the bytes, at most [`REQUEST_CAP`] requests.
    pub fn parse(&self) -> Result<Attached, TraceError> {
        let mut trace = match self.format {
            TraceFormat::Text => read_text(&self.bytes, REQUEST_CAP)?,
            TraceFormat::Csv => read_csv(&self.bytes, REQUEST_CAP)?,
            TraceFormat::OracleGeneral => read_oracle_general(&self.bytes, REQUEST_CAP)?,
        };
        if self.file_bytes > self.bytes.len() as u64 {
            trace.truncated = true;
        }
        if trace.requests.is_empty() {
            return Err(TraceError {
                at: super::trace::Position::Byte(0),
                message: "the trace holds no requests".into(),
            });
        }
        Ok(Attached {
            reference: self.reference(),
            format: self.format,
            total: self.total_requests(&trace),
            trace,
        })
    }

    /// Requests in the whole file where that is known without reading it all (oracleGeneral:
    /// its size over 24), else the requests read.
    fn total_requests(&self, trace: &TraceRead) -> u64 {
        match self.format {
            TraceFormat::OracleGeneral => self.file_bytes / super::trace::ORACLE_RECORD_BYTES,
            _ => trace.read + trace.skipped,
        }
    }
}

/// How many leading bytes of an oracleGeneral file of `file_bytes` bytes a run reads: the first
/// [`REQUEST_CAP`] records (a browser reads no further).
pub fn oracle_prefix_bytes(file_bytes: u64) -> u64 {
    file_bytes.min(REQUEST_CAP * super::trace::ORACLE_RECORD_BYTES)
}

/// The format of a file by its name and first bytes (see the module docs).
pub fn detect(name: &str, head: &[u8]) -> TraceFormat {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".csv") {
        return TraceFormat::Csv;
    }
    if lower.ends_with(".oraclegeneral") || lower.ends_with(".bin") || head.contains(&0) {
        return TraceFormat::OracleGeneral;
    }
    let first = head.split(|b| *b == b'\n').next().unwrap_or(&[]);
    if first.contains(&b',') {
        TraceFormat::Csv
    } else {
        TraceFormat::Text
    }
}

/// A name safe in a link: letters, digits, `.`, `_` and `-` kept, anything else `_`, at most
/// [`NAME_MAX`] characters, `trace` when nothing is left.
pub fn safe_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let out: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(NAME_MAX)
        .collect();
    if out.is_empty() {
        "trace".into()
    } else {
        out
    }
}

/// A trace reference split into its name and hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceRef {
    /// The name.
    pub name: String,
    /// The hash of the bytes.
    pub hash: u64,
}

impl TraceRef {
    /// Parses `name~hash` (16 hex digits).
    pub fn parse(text: &str) -> Result<TraceRef, AttachError> {
        let bad = || {
            AttachError(format!(
                "{text:?} is not a trace reference: expected `name~` and 16 hex digits"
            ))
        };
        let (name, hex) = text.rsplit_once('~').ok_or_else(bad)?;
        if hex.len() != 16 || name.is_empty() || safe_name(name) != name {
            return Err(bad());
        }
        let hash = u64::from_str_radix(hex, 16).map_err(|_| bad())?;
        Ok(TraceRef {
            name: name.to_string(),
            hash,
        })
    }
}

impl fmt::Display for TraceRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}~{:016x}", self.name, self.hash)
    }
}

/// A parsed trace, ready for a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Attached {
    /// Its reference, `name~hash`.
    pub reference: String,
    /// The file's format.
    pub format: TraceFormat,
    /// The requests read, and whether the cap cut them.
    pub trace: TraceRead,
    /// Requests in the whole file, as far as known (see [`TraceFile`]).
    pub total: u64,
}

impl Attached {
    /// The key as the file writes it: a text or CSV trace's own key string (the table
    /// [`TraceRead::names`] built while parsing), an oracleGeneral record's object id in decimal.
    /// For the page and the narration only: a run never reads it.
    pub fn key_name(&self, key: u64) -> Option<String> {
        match self.format {
            TraceFormat::OracleGeneral => Some(key.to_string()),
            _ => self.trace.names.name(key).map(str::to_string),
        }
    }

    /// What was read, in words: "read all 5,000 requests" or "read the first 1,000,000 of
    /// 3,200,000 requests".
    pub fn summary(&self) -> String {
        let read = group(self.trace.read);
        let skipped = if self.trace.skipped > 0 {
            format!(" ({} of size 0 skipped)", group(self.trace.skipped))
        } else {
            String::new()
        };
        if self.trace.truncated {
            if self.total > self.trace.read {
                format!(
                    "read the first {read} of {} requests{skipped}",
                    group(self.total)
                )
            } else {
                format!("read the first {read} requests{skipped}; the rest were not read")
            }
        } else {
            format!("read all {read} requests{skipped}")
        }
    }
}

/// `1234567` as `1,234,567`.
fn group(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A trace that cannot be used, in words a reader can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttachError(pub String);

impl fmt::Display for AttachError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for AttachError {}

/// A stored trace: the file as given (for a sweep's worker), what a run reads from it, and when
/// it was last attached (a count of attachments, for eviction).
type Entry = (Rc<TraceFile>, Rc<Attached>, u64);

thread_local! {
    /// The attached traces by hash. A program (a page, the worker, the CLI) is single-threaded.
    static STORE: RefCell<BTreeMap<u64, Entry>> = const { RefCell::new(BTreeMap::new()) };
    /// Attachments so far: the clock [`Entry`]'s last field reads.
    static ATTACHED: Cell<u64> = const { Cell::new(0) };
}

/// The most traces kept attached at once (past it, the one attached longest ago is dropped, so
/// the file just uploaded, and the one before it, are always still there).
const STORE_MAX: usize = 4;

/// Parses `file` and attaches it; returns it (with its reference). A file already attached is
/// not parsed again (attaching it again counts as its latest attachment).
pub fn attach(file: &TraceFile) -> Result<Rc<Attached>, TraceError> {
    let hash = file.hash();
    let now = ATTACHED.with(|c| {
        c.set(c.get() + 1);
        c.get()
    });
    let known = STORE.with(|s| {
        s.borrow_mut().get_mut(&hash).map(|e| {
            e.2 = now;
            e.1.clone()
        })
    });
    if let Some(a) = known {
        return Ok(a);
    }
    let attached = Rc::new(file.parse()?);
    STORE.with(|s| {
        let mut s = s.borrow_mut();
        while s.len() >= STORE_MAX {
            let oldest = s
                .iter()
                .min_by_key(|(_, e)| e.2)
                .map(|(h, _)| *h)
                .expect("non-empty");
            s.remove(&oldest);
        }
        s.insert(hash, (Rc::new(file.clone()), attached.clone(), now));
    });
    // Runs in an engine read the engine's own store: it gets the file too.
    crate::registry::attached(file);
    Ok(attached)
}

/// Every attached file, in hash order (what a newly installed engine is given).
pub fn files() -> Vec<TraceFile> {
    STORE.with(|s| s.borrow().values().map(|(f, _, _)| (**f).clone()).collect())
}

/// The attached trace a reference names, or an error saying to upload it.
pub fn lookup(reference: &str) -> Result<Rc<Attached>, AttachError> {
    let r = TraceRef::parse(reference)?;
    STORE
        .with(|s| s.borrow().get(&r.hash).map(|(_, a, _)| a.clone()))
        .ok_or_else(|| {
            AttachError(format!(
                "this run uses the trace {:?}, which is not loaded here: upload the file \
                 (the same bytes, hash {:016x}) under \"Your trace\" to run it",
                r.name, r.hash
            ))
        })
}

/// The attached files that these references name (duplicates and unattached ones left out),
/// in hash order: what a sweep request carries to its worker.
pub fn files_named<'a>(references: impl Iterator<Item = &'a String>) -> Vec<TraceFile> {
    let hashes: std::collections::BTreeSet<u64> = references
        .filter_map(|r| TraceRef::parse(r).ok())
        .map(|r| r.hash)
        .collect();
    STORE.with(|s| {
        let s = s.borrow();
        hashes
            .iter()
            .filter_map(|h| s.get(h).map(|(f, _, _)| (**f).clone()))
            .collect()
    })
}

/// Whether the trace a reference names is attached.
pub fn is_attached(reference: &str) -> bool {
    lookup(reference).is_ok()
}

/// The key a page stores a trace under: `sdp-trace:` and its hash.
pub fn storage_key(hash: u64) -> String {
    format!("sdp-trace:{hash:016x}")
}

/// A trace file as one string for the browser's storage: a header line
/// `sdp-trace 1 FORMAT FILE_BYTES NAME`, then the bytes, as they are when they are UTF-8 text,
/// else in base64 (the header's `FORMAT` is then followed by `+b64`).
pub fn to_stored(file: &TraceFile) -> String {
    let tag = match file.format {
        TraceFormat::Text => "text",
        TraceFormat::Csv => "csv",
        TraceFormat::OracleGeneral => "oracle",
    };
    let (enc, body) = match std::str::from_utf8(&file.bytes) {
        Ok(text) if file.format != TraceFormat::OracleGeneral => ("", text.to_string()),
        _ => ("+b64", base64(&file.bytes)),
    };
    let name: String = file.name.chars().filter(|c| *c != '\n').collect();
    format!("sdp-trace 1 {tag}{enc} {} {name}\n{body}", file.file_bytes)
}

/// Reads what [`to_stored`] wrote; `None` for anything else (a corrupt or foreign entry).
pub fn from_stored(text: &str) -> Option<TraceFile> {
    let (head, body) = text.split_once('\n')?;
    let mut parts = head.splitn(5, ' ');
    if (parts.next()?, parts.next()?) != ("sdp-trace", "1") {
        return None;
    }
    let tag = parts.next()?;
    let file_bytes: u64 = parts.next()?.parse().ok()?;
    let name = parts.next().unwrap_or("trace");
    let (tag, b64) = match tag.strip_suffix("+b64") {
        Some(t) => (t, true),
        None => (tag, false),
    };
    let format = match tag {
        "text" => TraceFormat::Text,
        "csv" => TraceFormat::Csv,
        "oracle" => TraceFormat::OracleGeneral,
        _ => return None,
    };
    let bytes = if b64 {
        unbase64(body)?
    } else {
        body.as_bytes().to_vec()
    };
    Some(TraceFile {
        name: name.to_string(),
        format,
        bytes,
        file_bytes,
    })
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 §4) with padding.
fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unbase64(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=').as_bytes();
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in text {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_thousands() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
    }

    #[test]
    fn base64_matches_rfc_4648_test_vectors() {
        // RFC 4648 §10.
        for (plain, enc) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), enc);
            assert_eq!(unbase64(enc).unwrap(), plain.as_bytes());
        }
        assert_eq!(unbase64("Zm9v!"), None);
    }

    #[test]
    fn attaching_the_same_bytes_again_parses_them_once() {
        // A fresh thread: a store of its own, as a fresh worker has.
        std::thread::spawn(|| {
            let bytes = b"1\n2\n1\n3\n".to_vec();
            let file = TraceFile::new("a.txt", TraceFormat::Text, bytes.clone());
            assert!(lookup(&file.reference()).is_err(), "nothing attached yet");
            let first = attach(&file).unwrap();
            // The same bytes again (as every sweep request carries them to the worker), even
            // under another name: the stored parse is handed back, not a new one.
            let again = attach(&TraceFile::new("b.txt", TraceFormat::Text, bytes)).unwrap();
            assert!(Rc::ptr_eq(&first, &again), "parsed once");
            assert!(Rc::ptr_eq(&first, &lookup(&file.reference()).unwrap()));
            assert_eq!(first.trace.read, 4);
            // Other bytes are other requests: parsed on their own.
            let other = TraceFile::new("a.txt", TraceFormat::Text, b"1\n2\n".to_vec());
            let second = attach(&other).unwrap();
            assert!(!Rc::ptr_eq(&first, &second));
            assert_eq!(second.trace.read, 2);
            assert!(Rc::ptr_eq(&first, &attach(&file).unwrap()), "both kept");
        })
        .join()
        .unwrap();
    }

    /// Past [`STORE_MAX`] files the one attached longest ago goes, whatever the hashes: the file
    /// just attached and the one before it are always there (tests on one thread, as wasm runs
    /// them, attach many files into one store).
    #[test]
    fn the_store_drops_the_file_attached_longest_ago() {
        std::thread::spawn(|| {
            let file = |i: u32| {
                TraceFile::new(
                    &format!("t{i}.txt"),
                    TraceFormat::Text,
                    format!("{i}\n{}\n", i + 1).into_bytes(),
                )
            };
            let files: Vec<TraceFile> = (0..12).map(file).collect();
            for (i, f) in files.iter().enumerate() {
                attach(f).unwrap();
                if i >= 1 {
                    assert!(
                        lookup(&files[i - 1].reference()).is_ok(),
                        "file {} kept",
                        i - 1
                    );
                }
                let kept = files[..=i]
                    .iter()
                    .filter(|f| lookup(&f.reference()).is_ok());
                assert_eq!(kept.count(), (i + 1).min(STORE_MAX));
                if i >= STORE_MAX {
                    assert!(lookup(&files[i - STORE_MAX].reference()).is_err());
                }
            }
            // Attaching a kept file again makes it the newest: the next new file drops another.
            attach(&files[8]).unwrap();
            attach(&file(99)).unwrap();
            assert!(lookup(&files[8].reference()).is_ok());
            assert!(lookup(&files[9].reference()).is_err());
        })
        .join()
        .unwrap();
    }
}
