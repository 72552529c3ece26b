//! What the retries model records and the events it schedules.

use super::spec::Policy;
use crate::resilience::backoff::Strategy;
use crate::trace::Narrate;

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum RetriesRecord {
    /// Writes reached the row at one moment in one lane.
    Writes {
        /// The lane's strategy.
        strategy: Strategy,
        /// Writes accepted.
        accepted: u32,
        /// Writes refused as conflicts.
        conflicts: u32,
        /// Clients done so far in this lane.
        done: u32,
        /// Clients in all.
        clients: u32,
    },
    /// Every client of a lane is done.
    Finished {
        /// The lane's strategy.
        strategy: Strategy,
        /// Writes in all.
        calls: u64,
        /// When the last client learnt it was done, µs.
        completion_us: u64,
    },
    /// A request of the amplification experiment finished in one lane.
    Request {
        /// The lane's policy.
        policy: Policy,
        /// The request's number, from 1.
        id: u64,
        /// It succeeded.
        ok: bool,
        /// Calls it caused at the failing service.
        calls: u32,
        /// Retries a budget refused it.
        denied: u32,
    },
    /// More clients started.
    ClientsAdded {
        /// How many.
        count: u32,
    },
    /// The failing service's failure probability changed.
    FailureRate {
        /// The new probability.
        p: f64,
    },
}

impl Narrate for RetriesRecord {
    fn narrate(&self) -> String {
        match self {
            RetriesRecord::Writes {
                strategy,
                accepted,
                conflicts,
                done,
                clients,
            } => {
                let mut parts = Vec::new();
                if *accepted > 0 {
                    parts.push(format!(
                        "{accepted} write{} accepted",
                        if *accepted == 1 { "" } else { "s" }
                    ));
                }
                if *conflicts > 0 {
                    parts.push(format!("{conflicts} refused as conflicts",));
                }
                format!(
                    "{}: {} ({done} of {clients} clients done).",
                    strategy.label(),
                    parts.join(", ")
                )
            }
            RetriesRecord::Finished {
                strategy,
                calls,
                completion_us,
            } => format!(
                "{}: every client is done after {calls} writes, at {:.1} ms.",
                strategy.label(),
                *completion_us as f64 / 1e3
            ),
            RetriesRecord::Request {
                policy,
                id,
                ok,
                calls,
                denied,
            } => {
                let mut s = format!(
                    "{}: request {id} {} after {calls} call{} to the failing service",
                    policy.label(),
                    if *ok { "succeeded" } else { "failed" },
                    if *calls == 1 { "" } else { "s" }
                );
                if *denied > 0 {
                    s.push_str(&format!(
                        "; the budget refused {denied} retr{}",
                        if *denied == 1 { "y" } else { "ies" }
                    ));
                }
                s.push('.');
                s
            }
            RetriesRecord::ClientsAdded { count } => {
                format!("{count} more clients start: each reads the row and writes it back.")
            }
            RetriesRecord::FailureRate { p } => {
                format!("The service now fails {:.0} % of calls.", 100.0 * p)
            }
        }
    }

    fn is_milestone(&self) -> bool {
        matches!(
            self,
            RetriesRecord::Finished { .. }
                | RetriesRecord::FailureRate { .. }
                | RetriesRecord::ClientsAdded { .. }
        )
    }
}

/// The model's events.
#[derive(Clone, Debug)]
pub enum RetriesEvent {
    /// The next entries of a contention lane's log are due.
    Replay {
        /// Which lane.
        lane: u8,
    },
    /// The next request of the amplification experiment.
    Arrive,
    /// A call to the failing service comes back.
    Return {
        /// Which lane.
        lane: u8,
        /// Which request.
        request: u64,
    },
}
