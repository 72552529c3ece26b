//! Requests: a pulse on the bucket of the shard that served each, and a ring round the key's
//! chip when it is drawn. Size and fade come from `now − routed_at`, never from a CSS timer.

use super::layers::chip_outline;
use super::Placement;
use crate::diagrams::palette_class;
use crate::layout::polar::num;
use sim::models::shard_view::{RequestOutcome, ShardFrame};
use yew::prelude::*;

/// How long a request's pulse lasts, in simulated microseconds.
pub(super) const PULSE_US: u64 = 400_000;

/// How far into its pulse a request routed at `at_us` is at `now_us`: `0` at routing, `1` when
/// gone; `None` before it is routed or once its pulse is over.
pub(super) fn pulse_progress(now_us: u64, at_us: u64) -> Option<f64> {
    let age = now_us.checked_sub(at_us)?;
    (age < PULSE_US).then(|| age as f64 / PULSE_US as f64)
}

/// The requests in the frame that are still pulsing: on the bucket that served each (offset onto
/// the replica that did), on the front stage that answered it (a cache hit), red and dashed
/// when it failed, amber when a stale directory entry sent it to the wrong shard first.
pub(super) fn requests(frame: &ShardFrame, placement: &Placement, reduced_motion: bool) -> Html {
    let grid = &placement.layout.grid;
    let chips = &placement.layout.chips;
    let pos = super::positions(frame);
    let fronts = super::front::boxes(frame);
    let items = frame.requests.iter().filter_map(|r| {
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
        let key = placement.points.get(&r.key).map(|k| {
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

    #[test]
    fn a_pulse_runs_from_routing_for_its_duration() {
        assert_eq!(pulse_progress(1_000, 2_000), None, "not routed yet");
        assert_eq!(pulse_progress(2_000, 2_000), Some(0.0));
        assert_eq!(pulse_progress(2_000 + PULSE_US / 2, 2_000), Some(0.5));
        assert_eq!(pulse_progress(2_000 + PULSE_US, 2_000), None, "over");
    }
}
