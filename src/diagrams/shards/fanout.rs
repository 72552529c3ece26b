//! The query the diagram follows (a scatter-gather's fan-out): a line from the stage that sent
//! it to each shard it asked, one response bar per request growing in simulated time inside
//! the shard's bucket (its wait in the queue, then its service), and a line under the buckets
//! that says when the whole answer was in and which shard it waited for.
//!
//! Every time comes from the model's frame ([`FanOut`]): the bars are `now` against each
//! request's send, start and finish, so pausing, stepping and scrubbing show the same picture
//! as playing, and nothing runs on a CSS timer.

use super::front;
use crate::layout::polar::num;
use crate::layout::shards::{fit_font, BucketGrid, LabelMode, MARGIN, VIEW_H, VIEW_W};
use sim::models::shard_view::{FanLeg, FanOut, ShardFrame};
use sim::time::SimTime;
use std::collections::BTreeMap;
use yew::prelude::*;

/// `12.3 ms` (one decimal below 100 ms, whole above).
pub(super) fn ms_text(us: u64) -> String {
    let ms = us as f64 / 1_000.0;
    if ms < 100.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.0} ms")
    }
}

/// Where a leg's bar is at `now`, as fractions of the query's span (issue to done): where it
/// starts (sent), where its queueing ends (start) and how far its service has got, each clipped
/// to `now`; `None` before it was sent.
pub(super) fn bar_at(leg: &FanLeg, q: &FanOut, now: SimTime) -> Option<(f64, f64, f64)> {
    if now < leg.sent {
        return None;
    }
    let span = q.done.since(q.issued).max(1) as f64;
    let at = |t: SimTime| (t.min(now).since(q.issued) as f64 / span).clamp(0.0, 1.0);
    Some((at(leg.sent), at(leg.start), at(leg.finish)))
}

/// How the followed query stands at `now`: done (and what it waited for), or still waiting.
pub(super) fn status(q: &FanOut, now: SimTime) -> String {
    if now >= q.done {
        let slowest = q
            .slowest
            .map(|s| {
                let index = q
                    .legs
                    .iter()
                    .filter(|l| l.shard == s)
                    .max_by_key(|l| l.finish)
                    .is_some_and(|l| l.index);
                format!(
                    " — waited for shard {s}{}",
                    if index { " (index)" } else { "" }
                )
            })
            .unwrap_or_default();
        format!(
            "{}: done at {}{}",
            q.what,
            ms_text(q.done.since(q.issued)),
            if q.legs.len() > 1 {
                slowest
            } else {
                String::new()
            }
        )
    } else {
        let pending = q.legs.iter().filter(|l| l.finish > now).count();
        format!(
            "{}: waiting for {} of {} answers · {} so far",
            q.what,
            pending,
            q.legs.len(),
            ms_text(now.since(q.issued))
        )
    }
}

/// The lines from the sending stage to each shard asked (above the buckets, under the keys).
pub(super) fn lines(frame: &ShardFrame, grid: &BucketGrid, pos: &BTreeMap<u32, u32>) -> Html {
    let Some(q) = &frame.fanout else {
        return html! {};
    };
    let Some((_, from)) = front::boxes(frame)
        .into_iter()
        .find(|(f, _)| f.id == q.from)
    else {
        return html! {};
    };
    let (fx, fy) = (from.x + from.w / 2.0, from.y + from.h);
    let now = frame.now;
    // One line per shard asked (an index lookup and a fetch on one shard share it): by shard,
    // whether every request to it has been answered and whether one was an index lookup.
    let mut shards: Vec<(u32, bool, bool)> = Vec::new();
    for l in q.legs.iter().filter(|l| now >= l.sent) {
        match shards.iter_mut().find(|e| e.0 == l.shard) {
            Some(e) => {
                e.1 &= now >= l.finish;
                e.2 |= l.index;
            }
            None => shards.push((l.shard, now >= l.finish, l.index)),
        }
    }
    let items = shards.iter().filter_map(|&(s, answered, index)| {
        let at = *pos.get(&s)?;
        if at >= grid.n {
            return None;
        }
        let b = grid.bucket(at);
        let (tx, ty) = (b.x + b.w / 2.0, b.y);
        let slowest = q.slowest == Some(s);
        Some(html! {
            <path key={s} class={classes!("fan-line", answered.then_some("answered"), slowest.then_some("slowest"), index.then_some("index"))}
                  data-testid={format!("fan-line-{s}")} d={format!("M{} {}L{} {}", num(fx), num(fy), num(tx), num(ty))} />
        })
    });
    html! { <g class="fan-lines" aria-hidden="true">{ for items }</g> }
}

/// One response bar per request, in the bucket of the shard asked: the track is the whole
/// query (issue to done); the bar fills from when the request was sent, lighter while it
/// queued, solid while the shard worked on it, up to `now`.
pub(super) fn bars(frame: &ShardFrame, grid: &BucketGrid, pos: &BTreeMap<u32, u32>) -> Html {
    let Some(q) = &frame.fanout else {
        return html! {};
    };
    let now = frame.now;
    let full = grid.label == LabelMode::Full;
    let bar_h = if full {
        5.0
    } else {
        (grid.h * 0.16).clamp(2.0, 4.0)
    };
    let items = q.legs.iter().filter_map(|l| {
        let at = *pos.get(&l.shard)?;
        if at >= grid.n {
            return None;
        }
        let (sent, start, reached) = bar_at(l, q, now)?;
        let b = grid.bucket(at);
        let inset = if full { 5.0 } else { 2.5 };
        let (x0, w) = (b.x + inset, b.w - 2.0 * inset);
        // An index lookup sits just above its shard's data bar.
        let lift = if l.index { bar_h + 1.5 } else { 0.0 };
        let y = b.y + b.h - inset - bar_h - lift;
        let answered = now >= l.finish;
        let slowest = q.slowest == Some(l.shard) && Some(l) == q.legs.iter().filter(|x| x.shard == l.shard).max_by_key(|x| x.finish);
        let testid = if l.index { format!("fan-index-{}", l.shard) } else { format!("fan-bar-{}", l.shard) };
        let title = format!(
            "Shard {}{}: sent at +{}, {}answered at +{}{}",
            l.shard,
            if l.index { " (index lookup)" } else { "" },
            ms_text(l.sent.since(q.issued)),
            if l.start > l.sent { format!("queued {}, ", ms_text(l.start.since(l.sent))) } else { String::new() },
            ms_text(l.finish.since(q.issued)),
            if l.paused { " (met a pause)" } else { "" }
        );
        Some(html! {
            <g key={format!("{}-{}", l.shard, l.index)} class={classes!("fan-bar", answered.then_some("answered"), slowest.then_some("slowest"), l.paused.then_some("paused"), l.index.then_some("index"))}
               data-testid={testid} data-shard={l.shard.to_string()} data-finish-us={l.finish.since(q.issued).to_string()}
               data-answered={answered.to_string()}>
                <title>{ title }</title>
                <rect class="fan-track" x={num(x0)} y={num(y)} width={num(w)} height={num(bar_h)} rx={num(bar_h / 2.0)} />
                if start > sent {
                    <rect class="fan-wait" x={num(x0 + w * sent)} y={num(y)} width={num(w * (start - sent))} height={num(bar_h)} />
                }
                if reached > start {
                    <rect class="fan-serve" x={num(x0 + w * start)} y={num(y)} width={num(w * (reached - start))} height={num(bar_h)} />
                }
            </g>
        })
    });
    html! { <g class="fan-bars">{ for items }</g> }
}

/// The line under the buckets: how the followed query stands.
pub(super) fn caption(frame: &ShardFrame) -> Html {
    let Some(q) = &frame.fanout else {
        return html! {};
    };
    let text = status(q, frame.now);
    let width = VIEW_W - 2.0 * MARGIN;
    let font = fit_font(&text, 10.0, width, true);
    let done = frame.now >= q.done;
    html! {
        <text class={classes!("fanout-caption", done.then_some("done"))} data-testid="fanout-caption" data-done={done.to_string()}
              x={num(VIEW_W / 2.0)} y={num(VIEW_H - MARGIN - 3.0)} text-anchor="middle"
              style={format!("font-size:{}px", num(font))}>{ text }</text>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leg(shard: u32, sent: u64, start: u64, finish: u64) -> FanLeg {
        FanLeg {
            shard,
            sent: SimTime::from_ms(sent),
            start: SimTime::from_ms(start),
            finish: SimTime::from_ms(finish),
            paused: false,
            index: false,
        }
    }

    fn query() -> FanOut {
        FanOut {
            query: 1,
            what: "read by attribute = 3".into(),
            from: "router".into(),
            issued: SimTime::from_ms(100),
            done: SimTime::from_ms(150),
            legs: vec![leg(0, 100, 100, 110), leg(1, 100, 120, 149)],
            slowest: Some(1),
        }
    }

    #[test]
    fn bars_grow_with_the_simulated_clock_and_stop_at_their_answer() {
        let q = query();
        let at = |ms| bar_at(&q.legs[1], &q, SimTime::from_ms(ms));
        assert_eq!(at(99), None, "not sent yet");
        assert_eq!(at(100), Some((0.0, 0.0, 0.0)));
        // Queued until 120 (0.4 of the 50 ms span), then served.
        assert_eq!(at(110), Some((0.0, 0.2, 0.2)));
        assert_eq!(at(130), Some((0.0, 0.4, 0.6)));
        assert_eq!(at(500), Some((0.0, 0.4, 0.98)), "answered at 149 of 150");
    }

    #[test]
    fn the_status_names_the_slowest_shard_once_the_answer_is_in() {
        let q = query();
        assert_eq!(
            status(&q, SimTime::from_ms(112)),
            "read by attribute = 3: waiting for 1 of 2 answers · 12.0 ms so far"
        );
        assert_eq!(
            status(&q, SimTime::from_ms(150)),
            "read by attribute = 3: done at 50.0 ms — waited for shard 1"
        );
    }
}
