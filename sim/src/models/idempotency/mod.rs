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

mod flow;
mod lane;
mod metrics;
mod record;
mod spec;

use crate::model::{ActionSpec, Ctx, InputError, Metrics, Model};
use crate::models::lanes::{LaneView, LanesFrame, Recent};
use crate::params::{ParamError, ParamSet, ParamSpec};
use crate::query::Queries;
use crate::rng::SimRng;
use crate::scenario::Input;
use crate::time::SimTime;
use lane::{Lane, Payment};
pub use record::{IdemEvent, IdemRecord, Reply};
pub use spec::{broken_prices, decimal_cents, Cents, LaneKind};
use spec::{duration, Setup};

/// How much history a strip shows, µs.
const SPAN_US: u64 = 30_000_000;

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
                    ctx.now.secs_text()
                )
            }
            "reuse-key" => {
                if self.payments.is_empty() {
                    self.reuse_next = false;
                    format!(
                        "{}: no payment yet, so no key to reuse: the next payment gets its own.",
                        ctx.now.secs_text()
                    )
                } else {
                    self.reuse_next = true;
                    format!(
                        "{}: the next payment will reuse payment {}'s key for 1 $ more.",
                        ctx.now.secs_text(),
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
            offered: Some("Payments started".into()),
            counts: Some(("payments confirmed".into(), "duplicate charges".into())),
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
