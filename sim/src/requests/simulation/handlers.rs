//! The event handlers: what each event does to the servers, the requests and the balancer.

use super::{Active, Counters, Ev, Simulation};
use crate::requests::balancer::{AttemptOutcome, BackendView, Membership, RequestInfo, Response};
use crate::requests::config::MAX_REQUESTS;
use crate::requests::health::{slow_start_weight_milli, HealthChange, HealthState};
use crate::requests::server::{InService, Job, Offer, Server, ServerSpec, ServerState};
use crate::requests::timeline::{AttemptRecord, RequestRecord, Sample, ServerSample, SimEvent};
use crate::requests::ServerId;
use crate::time::SimTime;
use std::rc::Rc;

impl Simulation {
    pub(super) fn add_server(&mut self, spec: ServerSpec, ramp: bool) {
        let id = ServerId(self.servers.len() as u32);
        let now = self.now;
        self.views.push(BackendView {
            id,
            name: Rc::from(spec.name.as_str()),
            in_flight: 0,
            weight: spec.weight,
            effective_weight_milli: u64::from(spec.weight) * 1_000,
            healthy: true,
            membership: Membership::Active,
            tried: false,
        });
        self.servers.push(Server::new(id, spec, now));
        self.health.push(HealthState::default());
        self.counters.push(Counters::default());
        self.ramp_from.push(None);
        if ramp {
            self.start_ramp(id.0 as usize);
        }
        if let Some(h) = self.cfg.health {
            let at = now.plus_us(h.interval_us);
            if at <= self.cfg.duration {
                self.queue.push(at, Ev::Probe(id.0));
            }
        }
        if now > SimTime::ZERO {
            self.note(SimEvent::Added { server: id });
        }
    }

    pub(super) fn start_ramp(&mut self, i: usize) {
        // nginx ignores slow_start in a group of one server.
        let active = self
            .views
            .iter()
            .filter(|v| v.membership == Membership::Active)
            .count();
        if self.cfg.slow_start_us == 0 || active < 2 {
            return;
        }
        if self.ramp_from[i].is_none() {
            self.ramping += 1;
        }
        self.ramp_from[i] = Some(self.now);
        self.views[i].effective_weight_milli = 1;
    }

    pub(super) fn update_ramps(&mut self) {
        if self.ramping == 0 {
            return;
        }
        for i in 0..self.servers.len() {
            if let Some(from) = self.ramp_from[i] {
                let w = slow_start_weight_milli(
                    self.views[i].weight,
                    self.now.since(from),
                    self.cfg.slow_start_us,
                );
                self.views[i].effective_weight_milli = w;
                if w >= u64::from(self.views[i].weight) * 1_000 {
                    self.ramp_from[i] = None;
                    self.ramping -= 1;
                }
            }
        }
    }

    pub(super) fn schedule_arrival(&mut self) {
        if let Some(t) = self.arrivals.next_arrival() {
            if t < self.cfg.duration {
                self.queue.push(t, Ev::Arrival);
            }
        }
    }

    pub(super) fn on_arrival(&mut self) -> Result<(), String> {
        if self.next_req >= self.cfg.max_requests {
            return Err(format!(
                "more than {} requests arrived by {}: lower the rate or the duration, or raise \
                 max_requests (at most {MAX_REQUESTS})",
                self.cfg.max_requests, self.now
            ));
        }
        let req = self.next_req;
        self.next_req += 1;
        let key = self
            .cfg
            .popularity
            .pick(&mut self.key_rng, self.cfg.clients)
            .unwrap_or(0);
        let cost_us = self.cfg.cost.draw(&mut self.cost_rng);
        self.mix2(8, req);
        self.mix(cost_us);
        self.active.insert(
            req,
            Active {
                key,
                arrived: self.now,
                cost_us,
                attempt: 0,
                tried: Vec::new(),
                current: None,
                last_outcome: None,
            },
        );
        if self.cfg.record.requests {
            self.records.push(RequestRecord {
                id: req,
                key,
                arrived: self.now,
                cost_us,
                attempts: Vec::new(),
                outcome: None,
                ended: None,
            });
        }
        self.note(SimEvent::Arrived { req, key, cost_us });
        self.schedule_arrival();
        self.dispatch(req)
    }

    /// Sends the next attempt of `req`.
    pub(super) fn dispatch(&mut self, req: u64) -> Result<(), String> {
        let now = self.now;
        let Some(a) = self.active.get_mut(&req) else {
            return Ok(());
        };
        a.attempt += 1;
        let info = RequestInfo {
            id: req,
            key: a.key,
            attempt: a.attempt,
        };
        let cost_us = a.cost_us;
        let last_outcome = a.last_outcome;
        let tried = std::mem::take(&mut a.tried);
        self.update_ramps();
        for t in &tried {
            self.views[t.0 as usize].tried = true;
        }
        let pick = self
            .balancer
            .pick(now, &info, &self.views, &mut self.balancer_rng);
        let explanation = (self.cfg.record.events && self.cfg.record.explanations)
            .then(|| Box::new(self.balancer.explain(now, &info, &self.views)));
        for t in &tried {
            self.views[t.0 as usize].tried = false;
        }
        if let Some(a) = self.active.get_mut(&req) {
            a.tried = tried;
        }
        if let Some(s) = pick {
            if s.0 as usize >= self.servers.len() {
                return Err(format!(
                    "balancer {:?} picked server {s}, which does not exist",
                    self.balancer.name()
                ));
            }
        }
        self.mix2(9, pick.map_or(u64::MAX, |s| u64::from(s.0)));
        self.note(SimEvent::Picked {
            req,
            attempt: info.attempt,
            server: pick,
            explanation,
        });
        if let (None, Some(previous)) = (pick, last_outcome) {
            // No server left to retry on: the request ends with its previous attempt's outcome
            // (nginx, ngx_http_upstream_module: "the client will receive the result of the
            // communication with the last server").
            if let Some(a) = self.active.get_mut(&req) {
                a.attempt -= 1;
            }
            self.end_request(req, previous);
            return Ok(());
        }
        if pick.is_some() && info.attempt > 1 {
            self.retries += 1;
        }
        if let Some(r) = self.record_mut(req) {
            r.attempts.push(AttemptRecord {
                attempt: info.attempt,
                server: pick,
                sent: now,
                queued: false,
                start: None,
                end: None,
                outcome: None,
                server_finished: None,
            });
        }
        let Some(server) = pick else {
            // No server for a first attempt: the request fails here (HAProxy's 503).
            self.no_server += 1;
            if let Some(at) = self.attempt_mut(req) {
                at.end = Some(now);
                at.outcome = Some(AttemptOutcome::Error);
            }
            self.note(SimEvent::Failed {
                req,
                attempt: info.attempt,
                server: None,
                outcome: AttemptOutcome::Error,
            });
            self.end_request(req, AttemptOutcome::Error);
            return Ok(());
        };
        let i = server.0 as usize;
        if let Some(a) = self.active.get_mut(&req) {
            a.current = Some((server, now));
        }
        self.views[i].in_flight += 1;
        self.counters[i].received += 1;
        let job = Job {
            req,
            attempt: info.attempt,
            cost_us,
            sent_at: now,
        };
        match self.servers[i].offer(now, job) {
            Offer::Started(svc) => self.started(server, svc),
            Offer::Queued(len) => {
                if let Some(at) = self.attempt_mut(req) {
                    at.queued = true;
                }
                self.note(SimEvent::Queued {
                    req,
                    attempt: info.attempt,
                    server,
                    queue_len: len,
                });
            }
            Offer::Dropped => return self.attempt_failed(req, server, AttemptOutcome::Dropped),
            Offer::Refused(_) => return self.attempt_failed(req, server, AttemptOutcome::Error),
        }
        if let Some(t) = self.cfg.timeout_us {
            self.timers += 1;
            self.queue.push(
                now.plus_us(t),
                Ev::Timeout {
                    req,
                    attempt: info.attempt,
                },
            );
        }
        Ok(())
    }

    pub(super) fn started(&mut self, server: ServerId, svc: InService) {
        self.queue.push(
            svc.finish,
            Ev::Finish {
                server: server.0,
                req: svc.job.req,
                attempt: svc.job.attempt,
            },
        );
        if self.is_current(svc.job.req, svc.job.attempt, server) {
            if let Some(at) = self.attempt_mut(svc.job.req) {
                at.start = Some(svc.start);
            }
        }
        self.note(SimEvent::Started {
            req: svc.job.req,
            attempt: svc.job.attempt,
            server,
            finish: svc.finish,
        });
    }

    /// Whether `(req, attempt)` on `server` is the request's live attempt.
    pub(super) fn is_current(&self, req: u64, attempt: u32, server: ServerId) -> bool {
        self.active
            .get(&req)
            .is_some_and(|a| a.attempt == attempt && a.current.is_some_and(|(s, _)| s == server))
    }

    pub(super) fn on_finish(&mut self, server: u32, req: u64, attempt: u32) -> Result<(), String> {
        let i = server as usize;
        let id = ServerId(server);
        let now = self.now;
        let Some((_, next)) = self.servers[i].finish(now, req, attempt) else {
            return Ok(()); // lost when the server was killed
        };
        if let Some(svc) = next {
            self.started(id, svc);
        }
        let live = self.is_current(req, attempt, id);
        self.note(SimEvent::Finished {
            req,
            attempt,
            server: id,
            late: !live,
        });
        if live {
            let (sent, arrived, key) = {
                let a = self.active.get(&req).expect("live");
                (a.current.map_or(now, |(_, t)| t), a.arrived, a.key)
            };
            let latency = now.since(sent);
            self.views[i].in_flight -= 1;
            self.counters[i].served += 1;
            self.counters[i].latency.record(latency);
            self.overall.record(now.since(arrived));
            if let Some(at) = self.attempt_mut(req) {
                at.end = Some(now);
                at.outcome = Some(AttemptOutcome::Served);
                at.server_finished = Some(now);
            }
            self.balancer.on_response(
                now,
                &Response {
                    request: RequestInfo {
                        id: req,
                        key,
                        attempt,
                    },
                    server: id,
                    latency_us: latency,
                    outcome: AttemptOutcome::Served,
                },
            );
            self.end_request(req, AttemptOutcome::Served);
        } else {
            self.counters[i].wasted += 1;
            if let Some(r) = self.record_mut(req) {
                if let Some(at) = r.attempts.iter_mut().find(|x| x.attempt == attempt) {
                    at.server_finished = Some(now);
                }
            }
        }
        self.after_drain_step(i);
        Ok(())
    }

    pub(super) fn after_drain_step(&mut self, i: usize) {
        if self.servers[i].finish_drain(self.now)
            || (self.servers[i].state() == ServerState::Removed
                && self.views[i].membership != Membership::Removed)
        {
            self.views[i].membership = Membership::Removed;
            if self.ramp_from[i].take().is_some() {
                self.ramping -= 1;
            }
            self.note(SimEvent::Removed {
                server: ServerId(i as u32),
            });
        }
    }

    pub(super) fn on_timeout(&mut self, req: u64, attempt: u32) -> Result<(), String> {
        let Some(a) = self.active.get(&req) else {
            return Ok(());
        };
        if a.attempt != attempt {
            return Ok(());
        }
        let Some((server, _)) = a.current else {
            return Ok(());
        };
        self.attempt_failed(req, server, AttemptOutcome::TimedOut)
    }

    /// The live attempt of `req` on `server` failed now: count it, tell the balancer, then
    /// retry or end the request.
    pub(super) fn attempt_failed(
        &mut self,
        req: u64,
        server: ServerId,
        outcome: AttemptOutcome,
    ) -> Result<(), String> {
        let now = self.now;
        let i = server.0 as usize;
        let Some(a) = self.active.get_mut(&req) else {
            return Ok(());
        };
        let sent = a.current.map_or(now, |(_, t)| t);
        a.current = None;
        a.last_outcome = Some(outcome);
        a.tried.push(server);
        let (key, attempt) = (a.key, a.attempt);
        self.views[i].in_flight -= 1;
        let c = &mut self.counters[i];
        match outcome {
            AttemptOutcome::Dropped => c.dropped += 1,
            AttemptOutcome::TimedOut => c.timed_out += 1,
            AttemptOutcome::Error => c.errors += 1,
            AttemptOutcome::Served => unreachable!("a failure"),
        }
        if let Some(at) = self.attempt_mut(req) {
            at.end = Some(now);
            at.outcome = Some(outcome);
        }
        self.note(SimEvent::Failed {
            req,
            attempt,
            server: Some(server),
            outcome,
        });
        self.balancer.on_response(
            now,
            &Response {
                request: RequestInfo {
                    id: req,
                    key,
                    attempt,
                },
                server,
                latency_us: now.since(sent),
                outcome,
            },
        );
        let policy = self.cfg.retry;
        if attempt <= policy.max_retries && policy.covers(outcome) {
            if policy.backoff_us == 0 {
                self.note(SimEvent::RetryScheduled {
                    req,
                    attempt: attempt + 1,
                    at: now,
                });
                return self.dispatch(req);
            }
            let at = now.plus_us(policy.backoff_us);
            self.note(SimEvent::RetryScheduled {
                req,
                attempt: attempt + 1,
                at,
            });
            self.queue.push(at, Ev::Dispatch(req));
            return Ok(());
        }
        self.end_request(req, outcome);
        Ok(())
    }

    pub(super) fn end_request(&mut self, req: u64, outcome: AttemptOutcome) {
        let Some(a) = self.active.remove(&req) else {
            return;
        };
        match outcome {
            AttemptOutcome::Served => self.served += 1,
            AttemptOutcome::Dropped => self.dropped += 1,
            AttemptOutcome::TimedOut => self.timed_out += 1,
            AttemptOutcome::Error => self.errors += 1,
        }
        let latency_us = self.now.since(a.arrived);
        self.mix2(10 + outcome as u64, req);
        self.mix(latency_us);
        let now = self.now;
        if let Some(r) = self.record_mut(req) {
            r.outcome = Some(outcome);
            r.ended = Some(now);
        }
        self.note(SimEvent::Ended {
            req,
            outcome,
            latency_us,
        });
    }

    pub(super) fn on_probe(&mut self, s: u32) {
        let Some(h) = self.cfg.health else { return };
        let i = s as usize;
        let state = self.servers[i].state();
        match state {
            ServerState::Removed => return,
            ServerState::Up | ServerState::Draining => {
                self.queue.push(
                    self.now,
                    Ev::ProbeResult {
                        server: s,
                        ok: true,
                    },
                );
            }
            ServerState::Killed => {
                self.queue.push(
                    self.now.plus_us(h.timeout_us),
                    Ev::ProbeResult {
                        server: s,
                        ok: false,
                    },
                );
            }
        }
        let next = self.now.plus_us(h.interval_us);
        if next <= self.cfg.duration {
            self.queue.push(next, Ev::Probe(s));
        }
    }

    pub(super) fn on_probe_result(&mut self, s: u32, ok: bool) {
        let Some(h) = self.cfg.health else { return };
        let i = s as usize;
        let id = ServerId(s);
        self.note(SimEvent::Probed { server: id, ok });
        match self.health[i].record(ok, &h) {
            HealthChange::None => {}
            HealthChange::MarkedDown => {
                self.views[i].healthy = false;
                self.note(SimEvent::MarkedDown { server: id });
            }
            HealthChange::MarkedUp => {
                self.views[i].healthy = true;
                self.note(SimEvent::MarkedUp { server: id });
                self.start_ramp(i);
            }
        }
    }

    pub(super) fn on_sample(&mut self) {
        let servers = self
            .servers
            .iter()
            .zip(&self.views)
            .map(|(s, v)| ServerSample {
                queue: s.queue_len(),
                busy: s.busy_workers(),
                in_flight: v.in_flight,
            })
            .collect();
        self.samples.push(Sample {
            time: self.now,
            servers,
        });
        if let Some(every) = self.cfg.record.sample_every_us {
            let next = self.now.plus_us(every);
            if next < self.cfg.duration {
                self.queue.push(next, Ev::Sample);
            }
        }
    }
}
