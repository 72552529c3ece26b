//! Requests: a pulse on the bucket of the shard that served each, and a ring round the key's
//! chip when it is drawn. Size and fade come from `now − routed_at`, never from a CSS timer.

use super::keys::chip_outline;
use super::Placement;
use crate::diagrams::palette_class;
use crate::layout::polar::num;
use sim::models::shard_view::{RequestOutcome, ShardFrame, ShardRequest};
use std::collections::BTreeSet;
use yew::prelude::*;

/// How long a request's pulse lasts, in simulated microseconds.
pub(super) const PULSE_US: u64 = 400_000;

/// How far into its pulse a request routed at `at_us` is at `now_us`: `0` at routing, `1` when
/// gone; `None` before it is routed or once its pulse is over.
pub(super) fn pulse_progress(now_us: u64, at_us: u64) -> Option<f64> {
    let age = now_us.checked_sub(at_us)?;
    (age < PULSE_US).then(|| age as f64 / PULSE_US as f64)
}

/// Where a request pulses: the front stage, or a shard's bucket (which replica).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Target {
    Front,
    Shard(u32, u32),
}

fn target(r: &ShardRequest) -> Target {
    if r.outcome == RequestOutcome::AnsweredInFront {
        Target::Front
    } else {
        Target::Shard(r.shard, r.replica)
    }
}

/// The requests worth drawing: the newest per target (pulses on one bucket overlap and look the
/// same, and a fan-out of hundreds a second would otherwise flood the page with elements), in
/// time order; with whether each one's key still needs its own ring (the newest request per key).
fn newest_per_target(requests: &[ShardRequest]) -> Vec<(&ShardRequest, bool)> {
    let mut targets = BTreeSet::new();
    let mut keys = BTreeSet::new();
    let mut out: Vec<(&ShardRequest, bool)> = requests
        .iter()
        .rev()
        .filter(|r| targets.insert(target(r)))
        .map(|r| (r, keys.insert(r.key)))
        .collect();
    out.reverse();
    out
}

/// The requests in the frame that are still pulsing: on the bucket that served each (offset onto
/// the replica that did), on the front stage that answered it (a cache hit), red and dashed
/// when it failed, amber when a stale directory entry sent it to the wrong shard first.
pub(super) fn requests(frame: &ShardFrame, placement: &Placement, reduced_motion: bool) -> Html {
    let grid = &placement.layout.grid;
    let chips = &placement.layout.chips;
    let pos = super::positions(frame);
    let fronts = super::front::boxes(frame);
    let live: Vec<ShardRequest> = frame
        .requests
        .iter()
        .filter(|r| pulse_progress(frame.now.as_us(), r.at.as_us()).is_some())
        .cloned()
        .collect();
    let items = newest_per_target(&live).into_iter().filter_map(|(r, ring_key)| {
        let p = pulse_progress(frame.now.as_us(), r.at.as_us())?;
        // Ease out: a quick flash that lingers as it fades.
        let fade = (1.0 - p) * (1.0 - p);
        let grow = if reduced_motion { 1.5 } else { 1.0 + 5.0 * (1.0 - fade) };
        let outcome = match r.outcome {
            RequestOutcome::Served => None,
            RequestOutcome::AnsweredInFront => Some("in-front"),
            RequestOutcome::Misrouted => Some("misrouted"),
            RequestOutcome::Failed => Some("failed"),
        };
        if r.outcome == RequestOutcome::AnsweredInFront {
            // Answered by the first stage that can (a cache): pulse that box.
            let b = fronts.first()?.1.inflate(grow);
            return Some(html! {
                <g key={r.id} class={classes!("request", "in-front")} opacity={num(fade.max(0.0))} data-outcome="in-front">
                    <rect class="request-pulse" x={num(b.x)} y={num(b.y)} width={num(b.w)} height={num(b.h)}
                          rx="7" stroke-width={num(1.0 + 2.0 * (1.0 - p))} />
                </g>
            });
        }
        let at = *pos.get(&r.shard)?;
        if at >= grid.n {
            return None;
        }
        let d = 2.5 * f64::from(r.replica.min(3));
        let mut b = grid.bucket(at);
        b.x += d;
        b.y -= d;
        let b = b.inflate(grow);
        let key = r.key.and_then(|k| placement.points.get(&k)).filter(|_| ring_key).map(|k| {
            let grow = if reduced_motion { 2.5 } else { 1.5 + 4.0 * p };
            html! {
                <g transform={format!("translate({} {})", num(k.x), num(k.y))}>
                    { chip_outline(chips, grow, "request-key", None) }
                </g>
            }
        });
        Some(html! {
            <g key={r.id} class={classes!("request", palette_class(r.shard), outcome)} opacity={num(fade.max(0.0))}
               data-shard={r.shard.to_string()} data-outcome={outcome.unwrap_or("served")}>
                <rect class="request-pulse" x={num(b.x)} y={num(b.y)} width={num(b.w)} height={num(b.h)}
                      rx="7" stroke-width={num(1.0 + 2.0 * (1.0 - p))} />
                { for key }
            </g>
        })
    });
    html! { <>{ for items }</> }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(id: u64, key: u64, shard: u32) -> ShardRequest {
        ShardRequest::served(id, key, shard, sim::time::SimTime::from_us(id))
    }

    #[test]
    fn only_the_newest_request_per_bucket_is_drawn_and_each_key_is_ringed_once() {
        let rs = [
            req(1, 7, 0),
            req(2, 8, 1),
            req(3, 7, 0),
            req(4, 9, 0),
            req(5, 8, 2),
        ];
        let drawn: Vec<(u64, bool)> = newest_per_target(&rs)
            .iter()
            .map(|(r, k)| (r.id, *k))
            .collect();
        // Shard 0's newest is request 4, shard 1's is 2, shard 2's is 5; key 8 is ringed by 5 only.
        assert_eq!(drawn, vec![(2, false), (4, true), (5, true)]);
        let mut replica = req(6, 9, 0);
        replica.replica = 1;
        assert_eq!(
            newest_per_target(&[req(4, 9, 0), replica]).len(),
            2,
            "a replica is its own target"
        );
    }

    #[test]
    fn a_pulse_runs_from_routing_for_its_duration() {
        assert_eq!(pulse_progress(1_000, 2_000), None, "not routed yet");
        assert_eq!(pulse_progress(2_000, 2_000), Some(0.0));
        assert_eq!(pulse_progress(2_000 + PULSE_US / 2, 2_000), Some(0.5));
        assert_eq!(pulse_progress(2_000 + PULSE_US, 2_000), None, "over");
    }
}
