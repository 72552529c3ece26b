//! What the cache-hierarchy model records, and how each record reads in the event log.

use super::hierarchy::Level;
use crate::trace::Narrate;

/// One thing that happened.
#[derive(Clone, Debug, PartialEq)]
pub enum TiersRecord {
    /// A read was answered.
    Read {
        /// The key.
        key: u64,
        /// The app server (0-based).
        server: u32,
        /// Where it was answered.
        served_by: Level,
        /// The version it got.
        version: u64,
        /// The database's version.
        current: u64,
        /// Its latency, microseconds.
        latency_us: u64,
    },
    /// A write reached the database.
    Wrote {
        /// The key.
        key: u64,
        /// The app server (0-based).
        server: u32,
        /// The new version.
        version: u64,
        /// L1 invalidation messages sent.
        l1_messages: u64,
        /// Whether a CDN purge was sent.
        purge: bool,
        /// Whether the learner asked for it.
        manual: bool,
    },
    /// An invalidation message reached an app server.
    Invalidated {
        /// The server.
        server: u32,
        /// The key.
        key: u64,
        /// Whether it dropped a copy.
        dropped: bool,
    },
    /// A purge reached the edge.
    Purged {
        /// The key, or everything.
        key: Option<u64>,
        /// Objects dropped.
        dropped: u64,
    },
    /// The learner asked for a purge.
    PurgeSent {
        /// The key, or everything.
        key: Option<u64>,
        /// When it lands, microseconds from now.
        delay_us: u64,
    },
}

fn ms(us: u64) -> String {
    if us % 1_000 == 0 {
        format!("{} ms", us / 1_000)
    } else {
        format!("{:.1} ms", us as f64 / 1_000.0)
    }
}

impl Narrate for TiersRecord {
    fn narrate(&self) -> String {
        match *self {
            TiersRecord::Read {
                key,
                server,
                served_by,
                version,
                current,
                latency_us,
            } => {
                let via = match served_by {
                    Level::Edge => "the CDN edge".to_string(),
                    Level::L1 => format!("app server {}'s L1", server + 1),
                    Level::L2 => "the L2".to_string(),
                    Level::Origin => "the database".to_string(),
                };
                if version < current {
                    format!(
                        "Read k{key} from {via} in {}: v{version} is stale, the database has v{current}.",
                        ms(latency_us)
                    )
                } else {
                    format!("Read k{key} v{version} from {via} in {}.", ms(latency_us))
                }
            }
            TiersRecord::Wrote {
                key,
                server,
                version,
                l1_messages,
                purge,
                ..
            } => {
                let mut s = format!(
                    "App server {} wrote k{key} v{version} to the database and deleted it from the L2",
                    server + 1
                );
                if l1_messages > 0 {
                    s.push_str(&format!(
                        "; {l1_messages} invalidation message{} to the other L1s",
                        if l1_messages == 1 { "" } else { "s" }
                    ));
                }
                if purge {
                    s.push_str("; a purge to the CDN");
                }
                s.push('.');
                s
            }
            TiersRecord::Invalidated {
                server,
                key,
                dropped,
            } => {
                if dropped {
                    format!("App server {} dropped its L1 copy of k{key}.", server + 1)
                } else {
                    format!(
                        "App server {} got the invalidation of k{key}: it held no copy.",
                        server + 1
                    )
                }
            }
            TiersRecord::Purged { key, dropped } => match key {
                Some(k) if dropped > 0 => format!("The purge of k{k} reached the edge."),
                Some(k) => format!("The purge of k{k} reached the edge: it held no copy."),
                None => {
                    format!("The purge of everything reached the edge: {dropped} objects dropped.")
                }
            },
            TiersRecord::PurgeSent { key, delay_us } => {
                let what = key.map_or("everything".to_string(), |k| format!("k{k}"));
                format!(
                    "Purge of {what} sent to the CDN; it lands in {}.",
                    ms(delay_us)
                )
            }
        }
    }

    fn is_milestone(&self) -> bool {
        matches!(
            self,
            TiersRecord::Wrote { manual: true, .. }
                | TiersRecord::PurgeSent { .. }
                | TiersRecord::Purged { key: None, .. }
        )
    }
}
