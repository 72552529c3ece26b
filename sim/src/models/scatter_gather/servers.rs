//! The shards as queues ([`crate::models::queueing::FifoServer`]: a FIFO queue in front of one
//! worker, by Lindley's recursion), how one answered a request, and the latency histogram the
//! percentiles are read from.

use crate::time::SimTime;

pub use crate::models::queueing::{FifoServer as ShardServer, LatencyHistogram};

/// How one shard answered one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Response {
    /// The shard.
    pub shard: u32,
    /// Which of the shard's copies served it (0 = the first; 1.. = the other replicas).
    pub replica: u32,
    /// The row it asked for, if any (an index partition or a shard without a match asks for none).
    pub key: Option<u64>,
    /// When the request reached it.
    pub arrived: SimTime,
    /// When the worker took it up (after the requests queued before it).
    pub start: SimTime,
    /// When it answered.
    pub finish: SimTime,
    /// Whether its service included a pause.
    pub paused: bool,
}

impl Response {
    /// Time from arrival to answer (queueing plus service), in microseconds.
    pub fn latency_us(&self) -> u64 {
        self.finish.since(self.arrived)
    }

    /// The worker's time on it, in microseconds.
    pub fn service_us(&self) -> u64 {
        self.finish.since(self.start)
    }
}
