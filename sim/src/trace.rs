//! The trace: what happened in a run, in order, with a stable digest.
//!
//! Every decision a model makes is recorded as an entry with its simulated time. The app's event
//! log narrates entries; determinism tests compare digests. The digest is FNV-1a 64 over each
//! entry's time, sequence number and `Debug` rendering, which is the same on every target because
//! it involves no addresses, no hash-map order and no platform-sized integers.

use crate::scenario::Input;
use crate::time::SimTime;
use serde::{Deserialize, Serialize};
use std::fmt;

/// FNV-1a, 64-bit (Fowler, Noll, Vo): a tiny, portable, well-specified hash for digests.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// A model's trace record can describe itself in words.
pub trait Narrate {
    /// One sentence for the event log and screen readers.
    fn narrate(&self) -> String;
    /// True for records worth a mark on the timeline (a server crash, not a routine request).
    fn is_milestone(&self) -> bool {
        false
    }
}

/// What an entry records.
#[derive(Clone, Debug, PartialEq)]
pub enum Entry<R> {
    /// Something the model did.
    Model(R),
    /// An input the model refused, and why.
    Rejected {
        /// The refused input.
        input: Input,
        /// The model's reason.
        reason: String,
    },
}

/// One line of the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceEntry<R> {
    /// When it happened.
    pub time: SimTime,
    /// Its position in the trace (0-based).
    pub seq: u64,
    /// What happened.
    pub entry: Entry<R>,
}

/// A trace entry rendered for display, independent of the model type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceLine {
    /// When it happened.
    pub time: SimTime,
    /// Its position in the trace.
    pub seq: u64,
    /// The narration.
    pub text: String,
    /// Worth a timeline mark.
    pub milestone: bool,
    /// An input that was refused.
    pub rejected: bool,
}

/// An append-only list of entries.
#[derive(Clone, Debug)]
pub struct Trace<R> {
    entries: Vec<TraceEntry<R>>,
}

impl<R> Default for Trace<R> {
    fn default() -> Self {
        Trace {
            entries: Vec::new(),
        }
    }
}

impl<R: fmt::Debug + Narrate> Trace<R> {
    /// Appends a model record.
    pub fn record(&mut self, time: SimTime, record: R) {
        self.push(time, Entry::Model(record));
    }
    /// Appends a refused input.
    pub fn reject(&mut self, time: SimTime, input: Input, reason: String) {
        self.push(time, Entry::Rejected { input, reason });
    }
    fn push(&mut self, time: SimTime, entry: Entry<R>) {
        let seq = self.entries.len() as u64;
        self.entries.push(TraceEntry { time, seq, entry });
    }
    /// All entries.
    pub fn entries(&self) -> &[TraceEntry<R>] {
        &self.entries
    }
    /// How many entries.
    pub fn len(&self) -> u64 {
        self.entries.len() as u64
    }
    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
    /// Drops every entry after the first `len`.
    pub fn truncate(&mut self, len: u64) {
        self.entries.truncate(len as usize);
    }
    /// The digest of the whole trace (see the module docs).
    pub fn digest(&self) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for e in &self.entries {
            let line = format!("{}|{}|{:?}\n", e.time.as_us(), e.seq, e.entry);
            h = (h ^ fnv1a64(line.as_bytes())).wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }
    /// An entry rendered for display.
    pub fn line(e: &TraceEntry<R>) -> TraceLine {
        match &e.entry {
            Entry::Model(r) => TraceLine {
                time: e.time,
                seq: e.seq,
                text: r.narrate(),
                milestone: r.is_milestone(),
                rejected: false,
            },
            Entry::Rejected { input, reason } => TraceLine {
                time: e.time,
                seq: e.seq,
                text: format!("Refused {input}: {reason}"),
                milestone: true,
                rejected: true,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug)]
    struct Note(&'static str);
    impl Narrate for Note {
        fn narrate(&self) -> String {
            self.0.to_string()
        }
    }

    #[test]
    fn fnv1a64_known_answers() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(fnv1a64(b"foobar"), 0x8594_4171_f739_67e8);
    }

    #[test]
    fn digest_depends_on_content_and_order() {
        let mut a = Trace::default();
        a.record(SimTime::ZERO, Note("x"));
        a.record(SimTime::from_ms(1), Note("y"));
        let mut b = Trace::default();
        b.record(SimTime::ZERO, Note("y"));
        b.record(SimTime::from_ms(1), Note("x"));
        assert_ne!(a.digest(), b.digest());
        let mut c = a.clone_entries();
        assert_eq!(a.digest(), c.digest());
        c.truncate(1);
        assert_ne!(a.digest(), c.digest());
    }

    impl<R: Clone> Trace<R> {
        fn clone_entries(&self) -> Trace<R> {
            Trace {
                entries: self.entries.clone(),
            }
        }
    }
}
