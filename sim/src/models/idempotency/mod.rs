//! Idempotency keys (issue 14, lesson 6): the same payments from the same client over the same
//! lossy network, once per lane, each lane a server with its own policy for the client's
//! `Idempotency-Key` header.
//!
//! **The client.** Payments start at `rate` per second (Poisson or steady) for `duration_s`.
//! Each gets a fresh key, and the client sends it with every attempt. An attempt's request may be
//! lost on the way (`request_loss`), and its response on the way back (`response_loss`). The
//! client waits `timeout_ms` for a response; without one it retries after a backoff
//! ([`crate::resilience::backoff`]), up to `retries` times, then gives up **not knowing** whether
//! it paid (`unresolved`). A `409 Conflict` is retried the same way; a `422` ends the payment. A
//! response that arrives after its attempt timed out is dropped (the client closed that request).
//!
//! **The servers** (one lane each):
//! - `no-key`: ignores the header; every request that arrives charges.
//! - `key`: a dedupe store keyed by the header, each key kept `ttl_s` from its first request
//!   (Stripe keeps keys at least 24 hours). A new key is stored *in flight* and the charge runs;
//!   its response is stored with it. A retry finds the key: it gets the stored response replayed
//!   (no charge), or `409 Conflict` while the first request is still in flight, or `422` when the
//!   key comes with a different amount (Stripe: an `idempotency_error`; the IETF draft: 422).
//! - `key-short-ttl`: the same store, forgetting keys after `short_ttl_s`: a retry after that
//!   charges again.
//! - `db-unique`: no store: the key is a unique column of the ledger, inserted in the same
//!   transaction as the charge (Brandur Leach's design, 2017). Concurrent attempts both do the
//!   work, and the second to commit hits the constraint, rolls back and returns the first's
//!   charge: never a duplicate, never a 409, and no TTL (the row is the record).
//!
//! **Shared fates.** Whether attempt `k` of payment `p` loses its request or response, how long
//! its charge takes and its backoff draw are a function of (seed, p, k) only, so every lane sees
//! the same network: lanes differ only by what their server does.
//!
//! **Cents.** The client turns the price into cents with `cents` ([`spec::Cents`]):
//! `int(amount * 100)` in binary floating point charges 1998 ¢ for 19.99, because
//! 19.99 × 100 = 1998.9999999999998 in IEEE 754 binary64.
//!
//! **Marks.** Ok: a payment charged exactly once, confirmed to the client. Failed: a duplicate
//! charge (when the ledger takes it). Rejected: a 409 or 422 the client received, and a client
//! giving up. Delayed: a retry sent.
//!
//! **What it ignores.** The card network behind the server (a charge is one ledger row, so a
//! rolled-back transaction charges nothing); server crashes between the charge and storing its
//! response (Brandur's recovery points); 5xx errors; keys lost by a store failover; the client's
//! own crash (it always remembers its key); several clients sharing a key.

mod metrics;
mod spec;

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::lanes::{LaneView, LanesFrame, MarkKind, Recent};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::{splitmix64_fmix, SimRng};
use crate::scenario::Input;
use crate::time::SimTime;
use crate::trace::Narrate;
pub use spec::{broken_prices, decimal_cents, Cents, LaneKind};
use spec::{duration, Setup};
use std::collections::{BTreeMap, VecDeque};

/// How much history a strip shows, µs.
const SPAN_US: u64 = 30_000_000;

/// What a server answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// 200: charged now.
    Charged,
    /// 200: the stored response of an earlier request with this key, nothing charged.
    Replayed,
    /// 409 Conflict: a request with this key is still in flight.
    Conflict,
    /// 422: this key was used with another amount.
    Mismatch,
}

/// What the model records.
#[derive(Clone, Debug, PartialEq)]
pub enum IdemRecord {
    /// The client started a payment.
    Payment {
        /// Its number, from 1.
        id: u64,
        /// Its idempotency key (a payment's own number, or an earlier one's when reused).
        key: u64,
        /// The cents sent.
        cents: i64,
    },
    /// A lane's ledger charged a payment again.
    Duplicate {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
        /// How many times it is now charged.
        times: u32,
    },
    /// A lane's server answered 409 Conflict.
    Conflict {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
    },
    /// A lane's server answered 422: the key came with another amount.
    Mismatch {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
    },
    /// The client gave up on a payment in a lane, not knowing whether it was charged.
    GaveUp {
        /// The lane's name.
        lane: &'static str,
        /// The payment.
        payment: u64,
        /// Times it was charged (the client does not know).
        charged: u32,
    },
    /// An action, in words.
    Said(String),
}

impl Narrate for IdemRecord {
    fn narrate(&self) -> String {
        match self {
            IdemRecord::Payment { id, key, cents } if key == id => {
                format!("Payment {id}: {cents} ¢, key {key}.")
            }
            IdemRecord::Payment { id, key, cents } => {
                format!("Payment {id}: {cents} ¢, reusing the key of payment {key}.")
            }
            IdemRecord::Duplicate {
                lane,
                payment,
                times,
            } => format!("{lane}: payment {payment} charged again ({times} times)."),
            IdemRecord::Conflict { lane, payment } => {
                format!("{lane}: 409 Conflict for payment {payment}: its first request is still in flight.")
            }
            IdemRecord::Mismatch { lane, payment } => format!(
                "{lane}: 422 for payment {payment}: its key was already used with another amount."
            ),
            IdemRecord::GaveUp {
                lane,
                payment,
                charged,
            } => format!(
                "{lane}: the client gave up on payment {payment}, not knowing; it was charged {charged} {}.",
                if *charged == 1 { "time" } else { "times" }
            ),
            IdemRecord::Said(s) => s.clone(),
        }
    }

    fn is_milestone(&self) -> bool {
        matches!(self, IdemRecord::Duplicate { .. } | IdemRecord::Said(_))
    }
}

/// The model's events.
#[derive(Clone, Debug)]
pub enum IdemEvent {
    /// The client starts the next payment.
    Arrive,
    /// The client sends attempt `attempt` of `payment` in `lane`.
    Send {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt, from 0.
        attempt: u32,
    },
    /// The request reaches the server.
    Receive {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
    },
    /// The server's charge is done (commits).
    Commit {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
    },
    /// A response reaches the client.
    Respond {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
        /// What the server said.
        reply: Reply,
    },
    /// The attempt's timeout fires.
    Timeout {
        /// The lane.
        lane: u8,
        /// The payment.
        payment: u64,
        /// The attempt.
        attempt: u32,
    },
}

/// What the network and the server do to one attempt, the same in every lane.
#[derive(Clone, Copy, Debug)]
struct Fate {
    request_lost: bool,
    response_lost: bool,
    charge_us: u64,
    draw: u64,
}

/// One payment, as the client meant it.
#[derive(Clone, Debug)]
struct Payment {
    key: u64,
    cents: i64,
    meant: i64,
    /// Its first response is lost, whatever the network draws.
    lose_first: bool,
}

/// The client's state for one payment in one lane.
#[derive(Clone, Debug)]
struct Client {
    attempt: u32,
    timed_out: bool,
    done: bool,
    /// The client gave up on it.
    gave_up: bool,
    /// Entries the server's store made for it (more than one: its key expired and came back).
    stored: u32,
    prev_sleep_us: u64,
}

/// A key the server holds.
#[derive(Clone, Debug)]
struct Entry {
    cents: i64,
    created_us: u64,
    /// The stored response is there (false: the first request is still in flight).
    done: bool,
}

/// One server policy's lane.
#[derive(Clone, Debug)]
struct Lane {
    kind: LaneKind,
    clients: BTreeMap<u64, Client>,
    /// Keys held: the dedupe store, or the ledger's unique index.
    store: BTreeMap<u64, Entry>,
    /// Keys in the order they expire: (expires µs, key, created µs).
    expiry: VecDeque<(u64, u64, u64)>,
    charged: BTreeMap<u64, u32>,
    charges: u64,
    duplicates: u64,
    charged_cents: i64,
    delivered: u64,
    lost_requests: u64,
    lost_responses: u64,
    late_responses: u64,
    retries: u64,
    conflicts: u64,
    mismatches: u64,
    replays: u64,
    confirmed: u64,
    unresolved: u64,
    /// Charges made under a key whose earlier entry had expired.
    recharged_after_expiry: u64,
    /// Keys the store forgot when their TTL ran out.
    expired_keys: u64,
    /// Attempts the server is working on.
    working: u64,
    marks: Recent,
}

impl Lane {
    fn new(kind: LaneKind) -> Lane {
        Lane {
            kind,
            clients: BTreeMap::new(),
            store: BTreeMap::new(),
            expiry: VecDeque::new(),
            charged: BTreeMap::new(),
            charges: 0,
            duplicates: 0,
            charged_cents: 0,
            delivered: 0,
            lost_requests: 0,
            lost_responses: 0,
            late_responses: 0,
            retries: 0,
            conflicts: 0,
            mismatches: 0,
            replays: 0,
            confirmed: 0,
            unresolved: 0,
            recharged_after_expiry: 0,
            expired_keys: 0,
            working: 0,
            marks: Recent::default(),
        }
    }

    fn label(&self) -> &'static str {
        lane_label(self.kind)
    }

    /// Forgets the keys whose TTL is over by `now`.
    fn purge(&mut self, now: u64) {
        while let Some(&(expires, key, created)) = self.expiry.front() {
            if expires > now {
                break;
            }
            self.expiry.pop_front();
            if self
                .store
                .get(&key)
                .is_some_and(|e| e.created_us == created)
            {
                self.store.remove(&key);
                self.expired_keys += 1;
            }
        }
    }

    fn held(&self, now: u64, ttl: Option<u64>) -> u64 {
        match ttl {
            Some(ttl) => self
                .store
                .values()
                .filter(|e| e.created_us + ttl > now)
                .count() as u64,
            None => self.store.len() as u64,
        }
    }
}

fn lane_label(kind: LaneKind) -> &'static str {
    match kind {
        LaneKind::NoKey => "No key",
        LaneKind::Key => "Idempotency key",
        LaneKind::KeyShortTtl => "Key, short TTL",
        LaneKind::DbUnique => "Unique key in the ledger",
    }
}

/// The idempotency model.
#[derive(Clone, Debug)]
pub struct IdempotencyModel {
    setup: Setup,
    seed: u64,
    arrivals_rng: SimRng,
    payments: Vec<Payment>,
    lanes: Vec<Lane>,
    arrivals: Recent,
    /// The next payment's first response is lost.
    lose_next: bool,
    /// The next payment reuses the last one's key, for another amount.
    reuse_next: bool,
    now: SimTime,
    note: String,
}

impl IdempotencyModel {
    fn fate(&self, payment: u64, attempt: u32) -> Fate {
        let mix = splitmix64_fmix(
            self.seed
                ^ splitmix64_fmix(payment.wrapping_mul(0x9e37_79b9_7f4a_7c15))
                ^ (u64::from(attempt) << 48),
        );
        let mut rng = SimRng::new(mix);
        let request_lost = rng.chance(self.setup.request_loss);
        let response_lost = rng.chance(self.setup.response_loss);
        let u = 1.0 - rng.unit_f64();
        let charge_us = ((-libm::log(u) * self.setup.process_us as f64) as u64).max(1);
        Fate {
            request_lost,
            response_lost,
            charge_us,
            draw: rng.next_u64(),
        }
    }

    fn payment(&self, id: u64) -> &Payment {
        &self.payments[(id - 1) as usize]
    }

    fn schedule_arrival(&mut self, ctx: &mut Ctx<'_, Self>) {
        let gap = if self.setup.poisson {
            crate::workload::poisson_gap_us(&mut self.arrivals_rng, self.setup.rate)
        } else {
            Some(((1e6 / self.setup.rate) as u64).max(1))
        };
        if let Some(g) = gap {
            let at = ctx.now.plus_us(g);
            if at.as_us() < self.setup.duration_us {
                ctx.schedule(at, IdemEvent::Arrive);
            }
        }
    }

    fn arrive(&mut self, ctx: &mut Ctx<'_, Self>) {
        let id = self.payments.len() as u64 + 1;
        let sent = self.setup.cents_sent();
        let meant = self.setup.cents_meant();
        let reuse = self.reuse_next && id > 1;
        let payment = if reuse {
            Payment {
                key: self.payment(id - 1).key,
                cents: sent + 100,
                meant: meant + 100,
                lose_first: self.lose_next,
            }
        } else {
            Payment {
                key: id,
                cents: sent,
                meant,
                lose_first: self.lose_next,
            }
        };
        self.lose_next = false;
        self.reuse_next = false;
        ctx.record(IdemRecord::Payment {
            id,
            key: payment.key,
            cents: payment.cents,
        });
        self.payments.push(payment);
        self.arrivals.push(ctx.now.as_us(), MarkKind::Ok, SPAN_US);
        let base = self.setup.backoff.base_us();
        for lane in &mut self.lanes {
            lane.clients.insert(
                id,
                Client {
                    attempt: 0,
                    timed_out: false,
                    done: false,
                    gave_up: false,
                    stored: 0,
                    prev_sleep_us: base,
                },
            );
        }
        for i in 0..self.lanes.len() {
            self.send(i as u8, id, 0, ctx);
        }
    }

    fn send(&mut self, lane: u8, payment: u64, attempt: u32, ctx: &mut Ctx<'_, Self>) {
        let fate = self.fate(payment, attempt);
        let now = ctx.now;
        let l = &mut self.lanes[usize::from(lane)];
        if let Some(c) = l.clients.get_mut(&payment) {
            c.attempt = attempt;
            c.timed_out = false;
        }
        if attempt > 0 {
            l.retries += 1;
            l.marks.push(now.as_us(), MarkKind::Delayed, SPAN_US);
        }
        if fate.request_lost {
            l.lost_requests += 1;
        } else {
            ctx.schedule(
                now.plus_us(self.setup.latency_us),
                IdemEvent::Receive {
                    lane,
                    payment,
                    attempt,
                },
            );
        }
        ctx.schedule(
            now.plus_us(self.setup.timeout_us),
            IdemEvent::Timeout {
                lane,
                payment,
                attempt,
            },
        );
    }

    /// The server's reply goes back, unless the network loses it.
    fn reply(
        &mut self,
        lane: u8,
        payment: u64,
        attempt: u32,
        reply: Reply,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let lost = self.fate(payment, attempt).response_lost
            || (attempt == 0 && self.payment(payment).lose_first);
        let l = &mut self.lanes[usize::from(lane)];
        if lost {
            l.lost_responses += 1;
        } else {
            ctx.schedule(
                ctx.now.plus_us(self.setup.latency_us),
                IdemEvent::Respond {
                    lane,
                    payment,
                    attempt,
                    reply,
                },
            );
        }
    }

    fn receive(&mut self, lane: u8, payment: u64, attempt: u32, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now.as_us();
        let fate = self.fate(payment, attempt);
        let (key, cents) = {
            let p = self.payment(payment);
            (p.key, p.cents)
        };
        let l = &mut self.lanes[usize::from(lane)];
        l.delivered += 1;
        let work = |l: &mut Lane, ctx: &mut Ctx<'_, Self>| {
            l.working += 1;
            ctx.schedule(
                ctx.now.plus_us(fate.charge_us),
                IdemEvent::Commit {
                    lane,
                    payment,
                    attempt,
                },
            );
        };
        let Some(ttl) = self.setup.ttl_for(l.kind) else {
            // No store: the work runs (the ledger's unique index is checked when it commits).
            work(l, ctx);
            return;
        };
        l.purge(now);
        let answer = match l.store.get(&key) {
            None => {
                let again = l.clients.get_mut(&payment).is_some_and(|c| {
                    c.stored += 1;
                    c.stored > 1
                });
                l.store.insert(
                    key,
                    Entry {
                        cents,
                        created_us: now,
                        done: false,
                    },
                );
                l.expiry.push_back((now + ttl, key, now));
                if again {
                    l.recharged_after_expiry += 1;
                }
                work(l, ctx);
                None
            }
            Some(e) if e.cents != cents => Some(Reply::Mismatch),
            Some(e) if !e.done => Some(Reply::Conflict),
            Some(_) => Some(Reply::Replayed),
        };
        if let Some(reply) = answer {
            self.tally_reply(lane, payment, reply, ctx);
            self.reply(lane, payment, attempt, reply, ctx);
        }
    }

    fn tally_reply(&mut self, lane: u8, payment: u64, reply: Reply, ctx: &mut Ctx<'_, Self>) {
        let l = &mut self.lanes[usize::from(lane)];
        let name = l.label();
        match reply {
            Reply::Conflict => {
                l.conflicts += 1;
                ctx.record(IdemRecord::Conflict {
                    lane: name,
                    payment,
                });
            }
            Reply::Mismatch => {
                l.mismatches += 1;
                ctx.record(IdemRecord::Mismatch {
                    lane: name,
                    payment,
                });
            }
            Reply::Replayed => l.replays += 1,
            Reply::Charged => {}
        }
    }

    fn commit(&mut self, lane: u8, payment: u64, attempt: u32, ctx: &mut Ctx<'_, Self>) {
        let now = ctx.now.as_us();
        let (key, cents) = {
            let p = self.payment(payment);
            (p.key, p.cents)
        };
        let l = &mut self.lanes[usize::from(lane)];
        l.working = l.working.saturating_sub(1);
        let reply = match l.kind {
            LaneKind::NoKey => Reply::Charged,
            LaneKind::Key | LaneKind::KeyShortTtl => {
                if let Some(e) = l.store.get_mut(&key) {
                    e.done = true;
                }
                Reply::Charged
            }
            LaneKind::DbUnique => match l.store.get(&key) {
                None => {
                    l.store.insert(
                        key,
                        Entry {
                            cents,
                            created_us: now,
                            done: true,
                        },
                    );
                    Reply::Charged
                }
                Some(e) if e.cents != cents => Reply::Mismatch,
                Some(_) => Reply::Replayed,
            },
        };
        if reply == Reply::Charged {
            l.charges += 1;
            l.charged_cents += cents;
            let times = l.charged.entry(payment).or_insert(0);
            *times += 1;
            let times = *times;
            if times > 1 {
                l.duplicates += 1;
                l.marks.push(now, MarkKind::Failed, SPAN_US);
                self.note = format!(
                    "{}: {} charged payment {payment} again ({times} times).",
                    secs(ctx.now),
                    l.label()
                );
                ctx.record(IdemRecord::Duplicate {
                    lane: l.label(),
                    payment,
                    times,
                });
            }
        }
        self.tally_reply(lane, payment, reply, ctx);
        self.reply(lane, payment, attempt, reply, ctx);
    }

    /// The client's next move after a timeout or a 409: retry after a backoff, or give up.
    fn next_try(&mut self, lane: u8, payment: u64, ctx: &mut Ctx<'_, Self>) {
        let retries = self.setup.retries;
        let backoff = self.setup.backoff;
        let Some(c) = self.lanes[usize::from(lane)].clients.get(&payment) else {
            return;
        };
        let attempt = c.attempt;
        if attempt < retries {
            let draw = self.fate(payment, attempt).draw;
            let c = self.lanes[usize::from(lane)]
                .clients
                .get_mut(&payment)
                .expect("the client was just read");
            let delay = backoff.delay_us_with(attempt, c.prev_sleep_us, |lo, hi| {
                match (hi - lo).checked_add(1) {
                    Some(span) => lo + draw % span,
                    None => draw,
                }
            });
            c.prev_sleep_us = delay;
            c.timed_out = true;
            ctx.schedule(
                ctx.now.plus_us(delay),
                IdemEvent::Send {
                    lane,
                    payment,
                    attempt: attempt + 1,
                },
            );
        } else {
            let l = &mut self.lanes[usize::from(lane)];
            if let Some(c) = l.clients.get_mut(&payment) {
                c.done = true;
                c.gave_up = true;
            }
            l.unresolved += 1;
            l.marks.push(ctx.now.as_us(), MarkKind::Rejected, SPAN_US);
            let charged = l.charged.get(&payment).copied().unwrap_or(0);
            ctx.record(IdemRecord::GaveUp {
                lane: l.label(),
                payment,
                charged,
            });
        }
    }

    fn respond(
        &mut self,
        lane: u8,
        payment: u64,
        attempt: u32,
        reply: Reply,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let now = ctx.now.as_us();
        let l = &mut self.lanes[usize::from(lane)];
        let Some(c) = l.clients.get_mut(&payment) else {
            return;
        };
        if c.done || c.attempt != attempt || c.timed_out {
            l.late_responses += 1;
            return;
        }
        match reply {
            Reply::Charged | Reply::Replayed => {
                c.done = true;
                l.confirmed += 1;
                if l.charged.get(&payment) == Some(&1) {
                    l.marks.push(now, MarkKind::Ok, SPAN_US);
                }
            }
            Reply::Mismatch => {
                c.done = true;
                l.marks.push(now, MarkKind::Rejected, SPAN_US);
            }
            Reply::Conflict => {
                l.marks.push(now, MarkKind::Rejected, SPAN_US);
                self.next_try(lane, payment, ctx);
            }
        }
    }

    fn timeout(&mut self, lane: u8, payment: u64, attempt: u32, ctx: &mut Ctx<'_, Self>) {
        let waiting = self.lanes[usize::from(lane)]
            .clients
            .get(&payment)
            .is_some_and(|c| !c.done && !c.timed_out && c.attempt == attempt);
        if waiting {
            self.next_try(lane, payment, ctx);
        }
    }

    fn headline(&self) -> Option<&Lane> {
        self.lanes.first()
    }

    fn gauge(&self, l: &Lane) -> (f64, String) {
        let now = self.now.as_us();
        let paid = self.payments.len().max(1) as f64;
        match l.kind {
            LaneKind::NoKey => (0.0, "no store".into()),
            LaneKind::Key | LaneKind::KeyShortTtl => {
                let ttl = self.setup.ttl_for(l.kind);
                let held = l.held(now, ttl);
                let in_flight = l.store.values().filter(|e| !e.done).count();
                (
                    (held as f64 / paid).min(1.0),
                    if in_flight > 0 {
                        format!(
                            "kept {}: {held} keys, {in_flight} in flight",
                            duration(ttl.unwrap_or(0))
                        )
                    } else {
                        format!("kept {}: {held} keys", duration(ttl.unwrap_or(0)))
                    },
                )
            }
            LaneKind::DbUnique => {
                let held = l.store.len();
                (
                    (held as f64 / paid).min(1.0),
                    format!("{held} keys in its index"),
                )
            }
        }
    }
}

/// A time in seconds, to the millisecond (`12.345 s`).
fn secs(t: SimTime) -> String {
    let us = t.as_us();
    if us % 1_000_000 == 0 {
        format!("{} s", us / 1_000_000)
    } else {
        format!("{:.3} s", us as f64 / 1e6)
    }
}

impl Model for IdempotencyModel {
    type Event = IdemEvent;
    type Record = IdemRecord;
    type Frame = LanesFrame;
    const ID: &'static str = "idempotency";

    fn specs() -> Vec<ParamSpec> {
        spec::specs()
    }

    fn actions() -> Vec<ActionSpec> {
        vec![
            ActionSpec::new("lose-response", "Lose the next response").help(
                "The next payment's first response is lost on its way back, in every lane: the charge stands and the client does not know.",
            ),
            ActionSpec::new("reuse-key", "Reuse the last key").help(
                "The next payment reuses the previous payment's key for an amount 1 $ higher: a client bug a key store catches.",
            ),
        ]
    }

    fn build(params: &ParamSet, ctx: &mut Ctx<'_, Self>) -> Result<Self, ParamError> {
        let setup = Setup::from_params(params)?;
        let lanes = setup.lanes.iter().map(|&k| Lane::new(k)).collect();
        let mut model = IdempotencyModel {
            setup,
            seed: ctx.seed,
            arrivals_rng: SimRng::stream(ctx.seed, "idempotency-arrivals"),
            payments: Vec::new(),
            lanes,
            arrivals: Recent::default(),
            lose_next: false,
            reuse_next: false,
            now: SimTime::ZERO,
            note: "No payment yet: press play.".into(),
        };
        model.schedule_arrival(ctx);
        Ok(model)
    }

    fn apply(&mut self, input: &Input, ctx: &mut Ctx<'_, Self>) -> Result<(), InputError> {
        let said = match input.action.as_str() {
            "lose-response" => {
                self.lose_next = true;
                format!(
                    "{}: the next payment's first response will be lost on its way back.",
                    secs(ctx.now)
                )
            }
            "reuse-key" => {
                if self.payments.is_empty() {
                    self.reuse_next = false;
                    format!(
                        "{}: no payment yet, so no key to reuse: the next payment gets its own.",
                        secs(ctx.now)
                    )
                } else {
                    self.reuse_next = true;
                    format!(
                        "{}: the next payment will reuse payment {}'s key for 1 $ more.",
                        secs(ctx.now),
                        self.payments.len()
                    )
                }
            }
            other => {
                return Err(InputError(format!(
                    "unknown action {other:?}; this lesson knows lose-response and reuse-key"
                )))
            }
        };
        self.note = said.clone();
        ctx.record(IdemRecord::Said(said));
        Ok(())
    }

    fn handle(&mut self, event: IdemEvent, ctx: &mut Ctx<'_, Self>) {
        self.now = ctx.now;
        match event {
            IdemEvent::Arrive => {
                self.arrive(ctx);
                self.schedule_arrival(ctx);
            }
            IdemEvent::Send {
                lane,
                payment,
                attempt,
            } => self.send(lane, payment, attempt, ctx),
            IdemEvent::Receive {
                lane,
                payment,
                attempt,
            } => self.receive(lane, payment, attempt, ctx),
            IdemEvent::Commit {
                lane,
                payment,
                attempt,
            } => self.commit(lane, payment, attempt, ctx),
            IdemEvent::Respond {
                lane,
                payment,
                attempt,
                reply,
            } => self.respond(lane, payment, attempt, reply, ctx),
            IdemEvent::Timeout {
                lane,
                payment,
                attempt,
            } => self.timeout(lane, payment, attempt, ctx),
        }
    }

    fn frame(&self, now: SimTime) -> LanesFrame {
        let t = now.as_us();
        let since = t.saturating_sub(SPAN_US);
        let lanes = self
            .lanes
            .iter()
            .map(|l| {
                let (fill, gauge) = self.gauge(l);
                let mut extra = Vec::new();
                if l.conflicts > 0 {
                    extra.push(format!("{} × 409", l.conflicts));
                }
                if l.mismatches > 0 {
                    extra.push(format!("{} × 422", l.mismatches));
                }
                if l.replays > 0 {
                    extra.push(format!("{} replayed", l.replays));
                }
                if l.unresolved > 0 {
                    extra.push(format!("{} unresolved", l.unresolved));
                }
                extra.push(format!("{} charges", l.charges));
                LaneView {
                    id: l.kind.id().to_string(),
                    label: l.label().to_string(),
                    fill,
                    gauge,
                    marks: l.marks.packed(since, t),
                    ticks_us: 0,
                    window_us: 0,
                    admitted: l.confirmed,
                    rejected: l.duplicates,
                    extra: extra.join(" · "),
                    bands: Vec::new(),
                }
            })
            .collect();
        LanesFrame {
            now,
            span_us: SPAN_US,
            title: self.setup.title(),
            arrivals: self.arrivals.times(since, t),
            lanes,
            note: self.note.clone(),
        }
    }

    fn metrics(&self) -> Metrics {
        metrics::metrics(self)
    }

    fn queries() -> Queries<Self> {
        Queries::new()
    }

    fn validate(&self) -> Result<(), String> {
        metrics::validate(self)
    }
}
