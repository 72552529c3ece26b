//! One payment's trip, event by event: the client sends, the network may lose the request or the
//! response, the server checks the key (or the ledger's unique index) and charges, the client
//! times out and retries after a backoff or gives up.

use super::lane::{Client, Entry, Fate, Lane, Payment};
use super::record::{IdemEvent, IdemRecord, Reply};
use super::{IdempotencyModel, LaneKind, SPAN_US};
use crate::model::Ctx;
use crate::models::lanes::MarkKind;
use crate::rng::{splitmix64_fmix, SimRng};

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

    pub(super) fn schedule_arrival(&mut self, ctx: &mut Ctx<'_, Self>) {
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

    pub(super) fn arrive(&mut self, ctx: &mut Ctx<'_, Self>) {
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

    pub(super) fn send(&mut self, lane: u8, payment: u64, attempt: u32, ctx: &mut Ctx<'_, Self>) {
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

    pub(super) fn receive(
        &mut self,
        lane: u8,
        payment: u64,
        attempt: u32,
        ctx: &mut Ctx<'_, Self>,
    ) {
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

    pub(super) fn commit(&mut self, lane: u8, payment: u64, attempt: u32, ctx: &mut Ctx<'_, Self>) {
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
                    ctx.now.secs_text(),
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

    pub(super) fn respond(
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

    pub(super) fn timeout(
        &mut self,
        lane: u8,
        payment: u64,
        attempt: u32,
        ctx: &mut Ctx<'_, Self>,
    ) {
        let waiting = self.lanes[usize::from(lane)]
            .clients
            .get(&payment)
            .is_some_and(|c| !c.done && !c.timed_out && c.attempt == attempt);
        if waiting {
            self.next_try(lane, payment, ctx);
        }
    }

    pub(super) fn headline(&self) -> Option<&Lane> {
        self.lanes.first()
    }
}
