//! The classic backoff experiment: N clients contending for one row under optimistic
//! concurrency control.
//!
//! # Source
//!
//! Marc Brooker, "Exponential Backoff And Jitter", AWS Architecture Blog, 4 March 2015, and its
//! simulator, `aws-samples/aws-arch-backoff-simulator` (`src/backoff_simulator.py`, a Python
//! discrete-event simulation). This module rebuilds that model:
//!
//! - One server holds one row with a version number, starting at 0.
//! - Every client starts at time 0 and wants to update the row once. It sends a read; the server
//!   answers with the current version; the client sends a conditional write carrying that
//!   version; the server applies it (and bumps the version) only if the version is unchanged,
//!   else rejects it as a conflict. Each of these four messages takes one network delay.
//! - On a conflict the client counts one more failed attempt (so its first retry is attempt 1,
//!   as in the simulator, which increments its counter before computing the delay), waits the
//!   reply's network delay plus its backoff delay, and starts again with a read.
//! - **Calls** are the conditional writes the server receives (the simulator counts only writes;
//!   reads are reported separately here). **Completion time** is the time the last client
//!   receives its successful write's reply, which is when the simulator's event loop runs dry.
//! - Network delay: the absolute value of a normal variable, mean 10 ms, standard deviation 2 ms;
//!   backoff base 5 ms, cap 2 s ([`ContentionConfig::classic`]).
//!
//! # Where this differs from the simulator
//!
//! - Integer microseconds instead of float milliseconds, and [`SimRng`] instead of Python's
//!   Mersenne Twister. The normal delay is drawn as an Irwin–Hall sum of twelve uniforms minus six
//!   (mean 0, variance 1, tails cut at ±6σ), computed in integers, so no transcendental function
//!   (whose last bit may differ between targets) is involved; [`NetDelay`] also offers fixed and
//!   uniform delays.
//! - Events at the same microsecond are handled in the order they were scheduled
//!   ([`EventQueue`]); with float times the simulator practically never sees a tie.
//! - Network delays and backoff draws come from two separate streams of the seed, so changing the
//!   strategy does not shift the network's draws until the runs diverge.
//! - The simulator averages 100 runs for N = 10, 20, …, 190; [`average_contention`] averages
//!   whatever seeds it is given.
//!
//! # What the published results say
//!
//! No backoff makes the most calls. Exponential backoff without jitter makes fewer once
//! contention is high, but it is the clear loser among the backoffs: it both makes more calls and
//! takes far longer than any jittered strategy, because clients that collided once stay in lock
//! step and collide again. Full, equal and decorrelated jitter land close together, full jitter
//! making the fewest calls, decorrelated finishing first and equal jitter last. The tests check
//! this ranking over 20 seeds and compare the means with the Python simulator's own.
//!
//! # Invariants
//!
//! Every client succeeds exactly once (the version ends at N), so calls ≥ N; calls = N +
//! conflicts; completion time is the latest client's finish.

use super::{Backoff, BackoffState, Strategy};
use crate::event::EventQueue;
use crate::rng::SimRng;
use crate::time::SimTime;
use std::fmt;

/// How long one message takes to cross the network.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetDelay {
    /// Always the same.
    Fixed {
        /// The delay, µs.
        us: u64,
    },
    /// Uniform in `[min_us, max_us]`.
    Uniform {
        /// The smallest delay, µs.
        min_us: u64,
        /// The largest delay, µs.
        max_us: u64,
    },
    /// `|X|` for X approximately normal (Irwin–Hall, twelve uniforms), as in the blog's
    /// simulator.
    Normal {
        /// Mean, µs.
        mean_us: u64,
        /// Standard deviation, µs.
        sd_us: u64,
    },
}

impl NetDelay {
    /// The published simulator's network: |N(10 ms, 2 ms)|.
    pub const CLASSIC: NetDelay = NetDelay::Normal {
        mean_us: 10_000,
        sd_us: 2_000,
    };

    /// One message's delay.
    pub fn sample_us(&self, rng: &mut SimRng) -> u64 {
        match *self {
            NetDelay::Fixed { us } => us,
            NetDelay::Uniform { min_us, max_us } => super::uniform_inclusive(rng, min_us, max_us),
            NetDelay::Normal { mean_us, sd_us } => {
                // Twelve 20-bit uniforms: their sum minus 6·2^20 is 2^20 · z, z ~ Irwin–Hall.
                const BITS: u32 = 20;
                let sum: i64 = (0..12)
                    .map(|_| (rng.next_u64() >> (64 - BITS)) as i64)
                    .sum();
                let z_scaled = i128::from(sum - (6i64 << BITS));
                // Rounded to the nearest µs (the shift alone would floor, a −½ µs bias).
                let offset = (i128::from(sd_us) * z_scaled + (1 << (BITS - 1))) >> BITS;
                let x = i128::from(mean_us) + offset;
                u64::try_from(x.unsigned_abs()).unwrap_or(u64::MAX)
            }
        }
    }
}

/// One run of the experiment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentionConfig {
    /// How many clients contend (at least 1).
    pub clients: u32,
    /// Every client's retry policy.
    pub backoff: Backoff,
    /// The network.
    pub net: NetDelay,
    /// The run's seed.
    pub seed: u64,
    /// Keep a log of what happened, for a diagram.
    pub record_events: bool,
    /// The most events the log keeps; later ones are counted but dropped.
    pub max_events: u32,
}

impl ContentionConfig {
    /// The blog's setting for `clients` clients and `strategy`: base 5 ms, cap 2 s, network
    /// |N(10 ms, 2 ms)|, no event log.
    pub fn classic(clients: u32, strategy: Strategy, seed: u64) -> Self {
        ContentionConfig {
            clients,
            backoff: Backoff::classic(strategy),
            net: NetDelay::CLASSIC,
            seed,
            record_events: false,
            max_events: 10_000,
        }
    }

    /// The same run with its event log on.
    pub fn with_events(mut self, max_events: u32) -> Self {
        self.record_events = true;
        self.max_events = max_events;
        self
    }
}

/// Why a run could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ContentionError {
    /// No clients.
    NoClients,
    /// More clients than the experiment allows.
    TooManyClients {
        /// The number asked for.
        clients: u32,
    },
    /// A uniform network delay with `min_us > max_us`.
    EmptyNetRange,
}

/// The most clients a run takes.
pub const MAX_CLIENTS: u32 = 10_000;

impl fmt::Display for ContentionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ContentionError::NoClients => write!(f, "the experiment needs at least one client"),
            ContentionError::TooManyClients { clients } => {
                write!(
                    f,
                    "{clients} clients is more than the {MAX_CLIENTS} allowed"
                )
            }
            ContentionError::EmptyNetRange => {
                write!(f, "the network delay's minimum is above its maximum")
            }
        }
    }
}

impl std::error::Error for ContentionError {}

/// What happened, for a diagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentionEventKind {
    /// The server answered a read with this version.
    Read {
        /// The version read.
        version: u64,
    },
    /// The server applied a write; the row is now at `version`.
    WriteOk {
        /// The version after the write.
        version: u64,
    },
    /// The server rejected a write made against a stale version.
    WriteConflict {
        /// The version the client read.
        read: u64,
        /// The row's version.
        current: u64,
    },
    /// The client learnt of its conflict and backs off before reading again.
    Sleep {
        /// Its failed attempts so far.
        attempt: u32,
        /// The backoff delay, µs.
        delay_us: u64,
    },
    /// The client learnt its write succeeded; it is done.
    Done,
}

/// One entry of the event log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ContentionEvent {
    /// When.
    pub time: SimTime,
    /// Which client (0-based).
    pub client: u32,
    /// What.
    pub kind: ContentionEventKind,
}

/// A run's results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContentionOutcome {
    /// Conditional writes the server received (the blog's "calls").
    pub calls: u64,
    /// Reads the server received.
    pub reads: u64,
    /// Writes rejected for a stale version.
    pub conflicts: u64,
    /// When the last client learnt its write succeeded, µs (the blog's "time").
    pub completion_us: u64,
    /// Writes each client made (its successful one included).
    pub attempts: Vec<u32>,
    /// When each client learnt its write succeeded, µs.
    pub finish_us: Vec<u64>,
    /// The event log, in time order (empty unless asked for).
    pub events: Vec<ContentionEvent>,
    /// Events that happened after the log was full.
    pub events_dropped: u64,
}

#[derive(Clone, Copy, Debug)]
enum Msg {
    ReadAtServer,
    ReadReply { version: u64 },
    WriteAtServer { version: u64 },
    WriteReply { ok: bool },
}

/// Runs the experiment once.
pub fn run_contention(cfg: &ContentionConfig) -> Result<ContentionOutcome, ContentionError> {
    run_contention_with_waves(cfg, &[])
}

/// Runs the experiment once with more clients joining later: `waves` lists `(time, count)`,
/// each wave's clients starting (sending their first read) at that time plus one network
/// delay. Clients are numbered in order: the first `cfg.clients`, then each wave's.
///
/// A wave changes nothing before its time: its first network delays come from a stream of
/// their own, and its first events are due only after it starts, so the run up to then is
/// exactly the run without it (a lesson can add a wave to a run already under way).
pub fn run_contention_with_waves(
    cfg: &ContentionConfig,
    waves: &[(SimTime, u32)],
) -> Result<ContentionOutcome, ContentionError> {
    if cfg.clients == 0 {
        return Err(ContentionError::NoClients);
    }
    let total = waves
        .iter()
        .try_fold(cfg.clients, |acc, &(_, k)| acc.checked_add(k))
        .unwrap_or(u32::MAX);
    if total > MAX_CLIENTS {
        return Err(ContentionError::TooManyClients { clients: total });
    }
    if let NetDelay::Uniform { min_us, max_us } = cfg.net {
        if min_us > max_us {
            return Err(ContentionError::EmptyNetRange);
        }
    }
    let n = total as usize;
    let mut net_rng = SimRng::stream(cfg.seed, "backoff/contention/net");
    let mut jitter_rng = SimRng::stream(cfg.seed, "backoff/contention/jitter");
    let mut states: Vec<BackoffState> = vec![cfg.backoff.start(); n];
    let mut failures = vec![0u32; n];
    let mut out = ContentionOutcome {
        calls: 0,
        reads: 0,
        conflicts: 0,
        completion_us: 0,
        attempts: vec![0; n],
        finish_us: vec![0; n],
        events: Vec::new(),
        events_dropped: 0,
    };
    let log = |out: &mut ContentionOutcome, time: SimTime, client: u32, kind| {
        if !cfg.record_events {
            return;
        }
        if (out.events.len() as u64) < u64::from(cfg.max_events) {
            out.events.push(ContentionEvent { time, client, kind });
        } else {
            out.events_dropped += 1;
        }
    };

    let mut version = 0u64;
    let mut queue: EventQueue<(u32, Msg)> = EventQueue::new();
    for c in 0..cfg.clients {
        let t = SimTime::ZERO.plus_us(cfg.net.sample_us(&mut net_rng));
        queue.push(t, (c, Msg::ReadAtServer));
    }
    let mut wave_rng = SimRng::stream(cfg.seed, "backoff/contention/waves");
    let mut next_client = cfg.clients;
    for &(at, k) in waves {
        for _ in 0..k {
            let t = at.plus_us(cfg.net.sample_us(&mut wave_rng));
            queue.push(t, (next_client, Msg::ReadAtServer));
            next_client += 1;
        }
    }
    while let Some(ev) = queue.pop() {
        let now = ev.time;
        let (c, msg) = ev.event;
        let ci = c as usize;
        let next = match msg {
            Msg::ReadAtServer => {
                out.reads += 1;
                log(&mut out, now, c, ContentionEventKind::Read { version });
                Some(Msg::ReadReply { version })
            }
            Msg::ReadReply { version: read } => Some(Msg::WriteAtServer { version: read }),
            Msg::WriteAtServer { version: read } => {
                out.calls += 1;
                out.attempts[ci] += 1;
                let ok = read == version;
                if ok {
                    version += 1;
                    log(&mut out, now, c, ContentionEventKind::WriteOk { version });
                } else {
                    out.conflicts += 1;
                    let current = version;
                    log(
                        &mut out,
                        now,
                        c,
                        ContentionEventKind::WriteConflict { read, current },
                    );
                }
                Some(Msg::WriteReply { ok })
            }
            Msg::WriteReply { ok: true } => {
                out.finish_us[ci] = now.as_us();
                out.completion_us = out.completion_us.max(now.as_us());
                log(&mut out, now, c, ContentionEventKind::Done);
                None
            }
            Msg::WriteReply { ok: false } => {
                failures[ci] += 1;
                let attempt = failures[ci];
                let delay_us = states[ci].next_delay_us(attempt, &mut jitter_rng);
                log(
                    &mut out,
                    now,
                    c,
                    ContentionEventKind::Sleep { attempt, delay_us },
                );
                // The simulator adds the backoff to the read request's network delay.
                let at = now
                    .plus_us(cfg.net.sample_us(&mut net_rng))
                    .plus_us(delay_us);
                queue.push(at, (c, Msg::ReadAtServer));
                continue;
            }
        };
        if let Some(m) = next {
            let at = now.plus_us(cfg.net.sample_us(&mut net_rng));
            queue.push(at, (c, m));
        }
    }
    debug_assert_eq!(version, u64::from(total), "every client wrote once");
    debug_assert_eq!(out.calls, u64::from(total) + out.conflicts);
    Ok(out)
}

/// Means over several runs of one setting.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ContentionAverage {
    /// Clients per run.
    pub clients: u32,
    /// The strategy.
    pub strategy: Strategy,
    /// Runs averaged.
    pub runs: u32,
    /// Mean calls (writes) per run.
    pub mean_calls: f64,
    /// Mean completion time per run, µs.
    pub mean_completion_us: f64,
}

/// Runs `cfg` once per seed in `seeds` (replacing its seed) and averages calls and completion
/// time, as the blog's charts do. Returns `None` for no seeds.
pub fn average_contention(
    cfg: &ContentionConfig,
    seeds: impl IntoIterator<Item = u64>,
) -> Result<Option<ContentionAverage>, ContentionError> {
    let mut runs = 0u32;
    let (mut calls, mut completion) = (0u64, 0u64);
    let mut run_cfg = cfg.clone();
    run_cfg.record_events = false;
    for seed in seeds {
        run_cfg.seed = seed;
        let out = run_contention(&run_cfg)?;
        runs += 1;
        calls += out.calls;
        completion += out.completion_us;
    }
    Ok((runs > 0).then(|| ContentionAverage {
        clients: cfg.clients,
        strategy: cfg.backoff.strategy(),
        runs,
        mean_calls: calls as f64 / f64::from(runs),
        mean_completion_us: completion as f64 / f64::from(runs),
    }))
}
