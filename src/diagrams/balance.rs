//! Servers behind a load balancer: the balancer on the left, a card per server on the right
//! (its queue, its worker slots busy or idle, the requests the balancer counts in flight, what
//! it has served and lost), the newest requests as dots that travel to their server, wait in
//! its queue, sit in a worker slot and end there, and, under the drawing, **what the balancer
//! saw** when it made its last pick: each server's score in the strategy's own terms, the one
//! it chose marked.
//!
//! A server the balancer still believes up after it died is drawn dead with a warning stripe
//! (`unnoticed`): the errors it collects until the health checks notice are the point of the
//! health-check lesson. A server marked down that is really up is drawn hatched.
//!
//! Everything moves by the simulated clock against the model's times (a request's send, start
//! and end), never by a CSS timer; with reduced motion nothing travels. Geometry comes from
//! `crate::layout::balance`; [`dots`] decides where each request is, natively tested.

use super::{palette_class, DiagramKind, Emphasis, Shared};
use crate::layout::balance::{
    hop_us, linger_hops, phase, queue_scale, slots, BalanceLayout, Density, Phase, RequestTimes,
    Slots, NAME_FONT, TEXT_FONT,
};
use crate::layout::format::thousands;
use crate::layout::polar::Point;
use crate::layout::shards::{fit_text, Rect};
use sim::models::balancer::frame::{
    BalanceFrame, FramePick, FrameRequest, FrameScore, FrameServer,
};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

impl DiagramKind for Rc<BalanceFrame> {
    fn view(&self, reduced_motion: bool, emphasis: &Emphasis) -> Html {
        html! { <BalanceDiagram frame={self.clone()} {reduced_motion} emphasis={emphasis.clone()} /> }
    }
    fn colors(&self) -> BTreeMap<String, u32> {
        let servers = self.servers.iter().enumerate();
        sim::order::map_of(servers.map(|(i, s)| (s.name.clone(), i as u32)))
    }
    fn load_label(&self) -> &'static str {
        "Load per server"
    }
    fn aspect(&self) -> f64 {
        let l = BalanceLayout::new(self.servers.len() as u32);
        l.view_w / l.view_h
    }
}

/// Where one request's dot is drawn now.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dot {
    /// The request's id.
    pub id: u64,
    /// Its attempt's server (by position in the frame), if it has one.
    pub server: Option<u32>,
    /// Where.
    pub at: Point,
    /// What it is doing: `travelling`, `queued`, `in-service`, `retrying`, `no-server`, or how
    /// it ended (`served`, `dropped`, `error`, `timed-out`).
    pub state: &'static str,
    /// Whether it ended without being served.
    pub failed: bool,
}

/// How a request ended or what it does, as the frame says it.
fn state_name(r: &FrameRequest) -> &'static str {
    match r.state.as_str() {
        "served" => "served",
        "dropped" => "dropped",
        "timed-out" => "timed-out",
        "error" => "error",
        "retrying" => "retrying",
        "in-service" => "in-service",
        _ => "queued",
    }
}

/// Where each of the frame's requests is drawn at its `now`, oldest first; a request that ended
/// more than its linger ago is not drawn. Queued requests take the back of their server's queue
/// (the frame holds only the newest requests, so older ones may be queued ahead of them);
/// requests in service take worker slots in the order they started.
pub(crate) fn dots(frame: &BalanceFrame, layout: &BalanceLayout, reduced_motion: bool) -> Vec<Dot> {
    let now = frame.now;
    let mut latencies: Vec<u64> = frame
        .requests
        .iter()
        .filter(|r| r.state == "served")
        .filter_map(|r| Some(r.end?.as_us().saturating_sub(r.sent.as_us())))
        .collect();
    let hop = hop_us(&mut latencies);
    // Per server: its requests still queued (by send time) and in service (by start time) at
    // `now`, as the frame lists them.
    let mut queued: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    let mut serving: BTreeMap<u32, Vec<(u64, u64)>> = BTreeMap::new();
    for r in &frame.requests {
        let (Some(s), None) = (r.server, r.end.filter(|e| *e <= now)) else {
            continue;
        };
        match (r.state.as_str(), r.start) {
            ("in-service", Some(start)) => {
                serving.entry(s).or_default().push((start.as_us(), r.id))
            }
            ("queued", _) => queued.entry(s).or_default().push(r.id),
            _ => {}
        }
    }
    for v in serving.values_mut() {
        v.sort_unstable();
    }
    let rank = |r: &FrameRequest, s: u32| -> u32 {
        let srv = frame.servers.get(s as usize);
        if r.state == "in-service" {
            let order = serving
                .get(&s)
                .map_or(0, |v| v.iter().position(|(_, id)| *id == r.id).unwrap_or(0));
            let workers = srv.map_or(1, |v| v.workers.max(1));
            (order as u32).min(workers - 1)
        } else {
            let list = queued.get(&s).map_or(&[][..], Vec::as_slice);
            let present = list.len() as u32;
            let before = srv.map_or(0, |v| v.queue.saturating_sub(present));
            before + list.iter().position(|id| *id == r.id).unwrap_or(0) as u32
        }
    };
    frame
        .requests
        .iter()
        .filter_map(|r| {
            let ended = r.end.filter(|e| *e <= now);
            let state = if ended.is_none() && r.server.is_none() {
                "no-server"
            } else {
                state_name(r)
            };
            let failed = matches!(state, "dropped" | "timed-out" | "error")
                || (r.server.is_none() && ended.is_some());
            let times = RequestTimes {
                sent: r.sent,
                end: r.end,
                has_server: r.server.is_some(),
                retrying: r.state == "retrying",
                in_service: r.state == "in-service",
            };
            let s = r.server.unwrap_or(0);
            let ph = phase(times, rank(r, s), now, hop, reduced_motion);
            let gone = |since: u64| since > linger_hops(failed) * hop;
            match ph {
                Phase::Ended { age_us } if gone(age_us) => return None,
                Phase::AtBalancer => {
                    if let Some(e) = ended {
                        if gone(now.as_us().saturating_sub(e.as_us())) {
                            return None;
                        }
                    }
                }
                _ => {}
            }
            let workers = frame.servers.get(s as usize).map_or(1, |v| v.workers);
            let at = layout.place(r.server, ph, workers, failed)?;
            let state = match ph {
                Phase::Travelling(_) => "travelling",
                Phase::AtBalancer if r.server.is_none() => {
                    if ended.is_some() {
                        "error"
                    } else {
                        "no-server"
                    }
                }
                Phase::Queued(_) => "queued",
                Phase::InService(_) => "in-service",
                _ => state,
            };
            Some(Dot {
                id: r.id,
                server: r.server,
                at,
                state,
                failed,
            })
        })
        .collect()
}

/// A server's condition in words and as a class: the truth, and what the balancer believes
/// when it differs.
fn condition(s: &FrameServer) -> (&'static str, Option<&'static str>) {
    let class = match s.state.as_str() {
        "killed" => "killed",
        "draining" => "draining",
        "removed" => "removed",
        _ => "up",
    };
    // Believed down by its health checks, or kept out by the strategy's passive checks.
    let believed_up = s.healthy && !s.shunned;
    let belief = match (s.alive, believed_up) {
        (false, true) if class == "killed" => Some("unnoticed"),
        (true, false) => Some("marked-down"),
        _ => None,
    };
    (class, belief)
}

/// The state line of a full card: weight, speed, state and the balancer's belief.
fn state_text(s: &FrameServer) -> String {
    let mut parts = Vec::new();
    let w = if (s.effective_weight - f64::from(s.weight)).abs() > 0.005 {
        format!("w {} (now {:.1})", s.weight, s.effective_weight)
    } else {
        format!("w {}", s.weight)
    };
    parts.push(w);
    if (s.speed - 1.0).abs() > 1e-9 {
        if s.speed < 1.0 {
            parts.push(format!("{}× slower", trim(1.0 / s.speed)));
        } else {
            parts.push(format!("{}× faster", trim(s.speed)));
        }
    }
    let (class, belief) = condition(s);
    if class != "up" {
        parts.push(class.to_string());
    }
    match belief {
        Some("unnoticed") => parts.push("LB: up".into()),
        Some(_) => parts.push(lb_down(s).into()),
        None => {}
    }
    parts.join(" · ")
}

/// A short state for one-line cards (empty when up and believed up).
fn short_state(s: &FrameServer) -> String {
    let (class, belief) = condition(s);
    match (class, belief) {
        ("up", None) if (s.speed - 1.0).abs() > 1e-9 => format!("{}× slow", trim(1.0 / s.speed)),
        ("up", None) => String::new(),
        (_, Some("unnoticed")) => "dead, LB: up".into(),
        (_, Some(_)) => lb_down(s).into(),
        (c, None) => c.to_string(),
    }
}

/// What the balancer believes of a server it will not pick: down by its health checks, or out
/// by passive checks (nginx `max_fails`) while the health checks, if any, still pass it.
fn lb_down(s: &FrameServer) -> &'static str {
    if s.healthy && s.shunned {
        "LB: out (max_fails)"
    } else {
        "LB: down"
    }
}

/// A factor with at most two decimals and no trailing zeros.
fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// A server's counts in a full card.
fn counts_text(s: &FrameServer) -> String {
    let mut t = format!(
        "served {} · {:.0}% busy",
        thousands(s.served),
        (s.utilisation * 100.0).clamp(0.0, 100.0)
    );
    for (n, what) in [
        (s.dropped, "dropped"),
        (s.timed_out, "timed out"),
        (s.errors, "errors"),
    ] {
        if n > 0 {
            t.push_str(&format!(" · {} {what}", thousands(n)));
        }
    }
    t
}

/// Everything about a server, for its tooltip and screen readers (without its counts while a
/// question hides them).
fn describe(s: &FrameServer, conceal: bool) -> String {
    let mut t = format!(
        "{}: {}; {} in flight, {} queued, {} of {} workers busy",
        s.name,
        state_text(s),
        s.in_flight,
        s.queue,
        s.busy,
        s.workers
    );
    if !conceal {
        t.push_str("; ");
        t.push_str(&counts_text(s));
    }
    t
}

/// Props of [`BalanceDiagram`].
#[derive(Properties, PartialEq)]
pub struct BalanceDiagramProps {
    /// The pool now.
    pub frame: Rc<BalanceFrame>,
    /// Nothing travels.
    pub reduced_motion: bool,
    /// What to stress or hide.
    #[prop_or_default]
    pub emphasis: Emphasis,
}

/// The load-balancing diagram.
#[function_component]
pub fn BalanceDiagram(props: &BalanceDiagramProps) -> Html {
    let f = &props.frame;
    let n = f.servers.len() as u32;
    let layout = use_memo(n, |n| BalanceLayout::new(*n));
    let layout = Shared(layout);
    let l = &*layout.0;
    let scale = queue_scale(f.servers.iter().map(|s| s.queue).max().unwrap_or(0));
    let chosen = f.last_pick.as_ref().and_then(|p| p.chosen);
    let cards = f.servers.iter().enumerate().filter_map(|(i, s)| {
        let c = l.cards.get(i)?;
        Some(card(
            s,
            i as u32,
            c,
            l.density,
            scale,
            chosen == Some(i as u32),
            &props.emphasis,
        ))
    });
    let links = l.links().then(|| {
        l.cards.iter().zip(&f.servers).enumerate().map(|(i, (c, s))| {
            let (class, _) = condition(s);
            let picked = chosen == Some(i as u32);
            html! { <line class={classes!("balance-link", palette_class(i as u32), class, picked.then_some("picked"))}
                x1={l.port.x.to_string()} y1={l.port.y.to_string()} x2={c.entry.x.to_string()} y2={c.entry.y.to_string()} /> }
        }).collect::<Html>()
    });
    let dots = dots(f, l, props.reduced_motion);
    let dot_r = crate::layout::balance::dot_r(l.density);
    let drawn = dots.iter().map(|d| {
        let colour = d.server.map(palette_class);
        html! { <circle class={classes!("balance-request", colour, d.state, d.failed.then_some("failed"))}
            data-testid="balance-request" data-state={d.state} data-server={d.server.map(|s| s.to_string())}
            data-id={d.id.to_string()}
            cx={format!("{:.2}", d.at.x)} cy={format!("{:.2}", d.at.y)} r={dot_r.to_string()} /> }
    });
    let b = l.balancer;
    let waiting = f
        .requests
        .iter()
        .filter(|r| r.state == "retrying" && r.end.is_none_or(|e| e > f.now))
        .count();
    let label = format!(
        "{} over {} servers at {:.2} s: {}",
        f.strategy,
        n,
        f.now.as_us() as f64 / 1e6,
        f.servers
            .iter()
            .map(|s| format!("{} {} in flight", s.name, s.in_flight))
            .collect::<Vec<_>>()
            .join(", ")
    );
    html! {
        <div class="balance" data-testid="balance">
            <p class="balance-head">
                <b data-testid="balance-strategy">{ capitalise(&f.strategy) }</b>
                { format!(" · {} · t = {:.2} s", crate::layout::format::count(u64::from(n), "server", "servers"), f.now.as_us() as f64 / 1e6) }
            </p>
            <svg class={classes!("balance-svg", l.density.name())} viewBox={format!("0 0 {} {:.1}", l.view_w, l.view_h)}
                 role="img" aria-label={label} data-testid="balance-diagram" data-strategy={f.strategy.clone()}
                 data-servers={n.to_string()} data-density={l.density.name()}>
                <g class="balance-links">{ for links }</g>
                <g class="balance-balancer" data-testid="balance-balancer">
                    <rect x={b.x.to_string()} y={b.y.to_string()} width={b.w.to_string()} height={b.h.to_string()} rx="5" />
                    <text x={(b.x + b.w / 2.0).to_string()} y={(b.y + 16.0).to_string()} text-anchor="middle" class="balance-lb-name">{ "Balancer" }</text>
                    <text x={(b.x + b.w / 2.0).to_string()} y={(b.y + 30.0).to_string()} text-anchor="middle" class="balance-lb-sub">
                        { if waiting > 0 { format!("{waiting} to retry") } else { "picks →".to_string() } }
                    </text>
                </g>
                <g class="balance-cards">{ for cards }</g>
                <g class="balance-requests">{ for drawn }</g>
            </svg>
            { sees(f, &props.emphasis) }
            if !f.notices.is_empty() {
                <div class="balance-notices banner" data-testid="balance-notices">
                    <b>{ "Not modelled from the pasted config:" }</b>
                    <ul>{ for f.notices.iter().map(|t| html! { <li>{ t }</li> }) }</ul>
                </div>
            }
            <p class="balance-legend" aria-hidden="true">
                <span class="key travelling">{ "● on its way" }</span>
                <span class="key queued">{ "● queued" }</span>
                <span class="key busy">{ "■ busy worker" }</span>
                <span class="key failed">{ "○ dropped, timed out or failed" }</span>
            </p>
        </div>
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// One server's card.
fn card(
    s: &FrameServer,
    i: u32,
    c: &crate::layout::balance::CardParts,
    density: Density,
    scale: u32,
    picked: bool,
    emphasis: &Emphasis,
) -> Html {
    let (class, belief) = condition(s);
    let r = |r: &Rect, class: &'static str| {
        html! { <rect class={class} x={format!("{:.2}", r.x)} y={format!("{:.2}", r.y)} width={format!("{:.2}", r.w.max(0.0))} height={format!("{:.2}", r.h)} /> }
    };
    let full = density == Density::Full;
    let (name, name_w) = c.name;
    let (name_text, name_font) = fit_text(
        &s.name,
        if full { NAME_FONT } else { TEXT_FONT },
        name_w,
        true,
    );
    let state = c.state.map(|(p, w)| {
        let text = if full { state_text(s) } else { short_state(s) };
        let (t, font) = fit_text(&text, TEXT_FONT, w, false);
        html! { <text class="balance-state" x={format!("{:.2}", p.x)} y={format!("{:.2}", p.y)} style={format!("font-size:{font:.1}px")}>{ t }</text> }
    });
    let fill = Rect {
        w: c.queue.w * f64::from(s.queue.min(scale)) / f64::from(scale.max(1)),
        ..c.queue
    };
    let queue_num = c.queue_num.map(|p| html! {
        <text class="balance-num" x={format!("{:.2}", p.x)} y={format!("{:.2}", p.y)} text-anchor="end">{ s.queue }</text>
    });
    let workers = match slots(c.workers, s.workers) {
        Slots::Squares(rs) => rs
            .iter()
            .enumerate()
            .map(|(k, q)| {
                r(
                    q,
                    if (k as u32) < s.busy {
                        "balance-slot busy"
                    } else {
                        "balance-slot"
                    },
                )
            })
            .collect::<Html>(),
        Slots::Meter(m) => {
            let busy = Rect {
                w: m.w * f64::from(s.busy.min(s.workers)) / f64::from(s.workers.max(1)),
                ..m
            };
            html! { <>{ r(&m, "balance-meter") }{ r(&busy, "balance-meter busy") }</> }
        }
    };
    let concealed = emphasis.conceal;
    let counts = c.counts.map(|(p, w)| {
        let text = if concealed {
            "…".to_string()
        } else if full {
            counts_text(s)
        } else {
            thousands(s.served)
        };
        let (t, font) = fit_text(&text, TEXT_FONT, w, false);
        html! { <text class="balance-counts" x={format!("{:.2}", p.x)} y={format!("{:.2}", p.y)}
                style={format!("font-size:{font:.1}px")} data-concealed={super::concealed_attr(concealed)}>{ t }</text> }
    });
    let stressed = emphasis.stresses([s.name.as_str()]);
    html! {
        <g class={classes!("balance-server", palette_class(i), class, belief, picked.then_some("picked"), stressed.then_some("highlighted"))}
           data-testid={format!("balance-server-{}", s.name)} data-state={class} data-belief={belief}
           data-in-flight={s.in_flight.to_string()} data-queue={s.queue.to_string()} data-busy={s.busy.to_string()}
           data-served={s.served.to_string()} data-healthy={s.healthy.to_string()}
           data-highlighted={super::highlighted_attr(stressed)}>
            <title>{ describe(s, emphasis.conceal) }</title>
            { r(&c.card, "balance-card") }
            <text class="balance-name" x={format!("{:.2}", name.x)} y={format!("{:.2}", name.y)} style={format!("font-size:{name_font:.1}px")}>{ name_text }</text>
            { for state }
            { r(&c.queue, "balance-queue") }
            { r(&fill, "balance-queue-fill") }
            { for queue_num }
            { workers }
            <text class="balance-num balance-in-flight" x={format!("{:.2}", c.in_flight.x)} y={format!("{:.2}", c.in_flight.y)} text-anchor="end">{ s.in_flight }</text>
            { for counts }
        </g>
    }
}

/// What the balancer saw at its last pick: a sentence, then each server's score.
/// The most scores "what the balancer sees" lists; past it the panel would push the player off
/// a laptop's first screen (64 servers took thirteen rows).
const MAX_SCORES: usize = 12;

/// Which of a pick's scores to list, in their order, and how many are left out: all of them
/// up to [`MAX_SCORES`]; beyond, the chosen server, the highlighted ones, and the servers whose
/// number came closest to the chosen one's (the runners-up, whichever way the strategy
/// compares), the rest counted.
fn shown_scores(p: &FramePick, highlighted: impl Fn(u32) -> bool) -> (Vec<&FrameScore>, usize) {
    let n = p.scores.len();
    if n <= MAX_SCORES {
        return (p.scores.iter().collect(), 0);
    }
    let chosen = p
        .chosen
        .and_then(|c| p.scores.iter().find(|s| s.server == c))
        .and_then(|s| s.score);
    let mut keep = vec![false; n];
    for (k, s) in keep.iter_mut().zip(&p.scores) {
        *k = p.chosen == Some(s.server) || highlighted(s.server);
    }
    let mut kept = keep.iter().filter(|&&k| k).count();
    // The runners-up one at a time, nearest first, ties to the lower id: at most 12 passes over
    // at most 200 servers, and no sort (each sort instance costs kilobytes of wasm).
    while kept < MAX_SCORES {
        let mut best: Option<(f64, usize)> = None;
        for (i, s) in p.scores.iter().enumerate() {
            let Some(v) = s.score.filter(|_| !keep[i]) else {
                continue;
            };
            let d = (v - chosen.unwrap_or(v)).abs();
            if best.is_none_or(|(b, _)| d < b) {
                best = Some((d, i));
            }
        }
        let Some((_, i)) = best else { break };
        keep[i] = true;
        kept += 1;
    }
    let shown: Vec<&FrameScore> = p
        .scores
        .iter()
        .zip(&keep)
        .filter(|(_, &k)| k)
        .map(|(s, _)| s)
        .collect();
    let hidden = n - shown.len();
    (shown, hidden)
}

fn sees(f: &BalanceFrame, emphasis: &Emphasis) -> Html {
    let Some(p) = f.last_pick.as_ref().filter(|p| p.at <= f.now) else {
        return html! {
            <div class="balance-sees" data-testid="balance-sees">
                <p><b>{ "What the balancer sees" }</b>{ ": no pick yet. Press play." }</p>
            </div>
        };
    };
    let name = |id: u32| {
        f.servers
            .get(id as usize)
            .map_or_else(|| format!("#{id}"), |s| s.name.clone())
    };
    let (shown, hidden) = shown_scores(p, |id| emphasis.stresses([name(id).as_str()]));
    let items = shown.into_iter().map(|sc| {
        let n = name(sc.server);
        let on = p.chosen == Some(sc.server);
        let stressed = emphasis.stresses([n.as_str()]);
        html! {
            <li class={classes!(palette_class(sc.server), on.then_some("chosen"))} data-testid={format!("balance-score-{n}")}
                data-chosen={on.to_string()} data-score={sc.score.map(|v| format!("{v}"))}
                data-highlighted={super::highlighted_attr(stressed)}>
                { &sc.text }
            </li>
        }
    });
    let attempt = if p.attempt > 1 {
        format!(", attempt {}", p.attempt)
    } else {
        String::new()
    };
    html! {
        <div class="balance-sees" data-testid="balance-sees" data-chosen={p.chosen.map(name)}>
            <p>
                <b>{ "What the balancer sees" }</b>
                { format!(" for request {}{attempt} at {:.3} s: ", p.req, p.at.as_us() as f64 / 1e6) }
                <span data-testid="balance-summary">{ &p.summary }</span>
            </p>
            if !p.scores.is_empty() {
                <ol class="balance-scores">
                    { for items }
                    if hidden > 0 {
                        <li class="more" data-testid="balance-scores-more">{ format!("+ {hidden} more servers") }</li>
                    }
                </ol>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::models::balancer::frame::FramePick;
    use sim::time::SimTime;

    fn server(name: &str, queue: u32, busy: u32, workers: u32) -> FrameServer {
        FrameServer {
            name: name.into(),
            weight: 1,
            effective_weight: 1.0,
            speed: 1.0,
            healthy: true,
            shunned: false,
            alive: true,
            state: "up".into(),
            in_flight: queue + busy,
            queue,
            busy,
            workers,
            served: 0,
            dropped: 0,
            timed_out: 0,
            errors: 0,
            utilisation: 0.0,
        }
    }

    fn req(id: u64, server: Option<u32>, sent_ms: u64, state: &str) -> FrameRequest {
        FrameRequest {
            id,
            key: id,
            server,
            attempt: 1,
            arrived: SimTime::from_ms(sent_ms),
            sent: SimTime::from_ms(sent_ms),
            start: None,
            end: None,
            state: state.into(),
        }
    }

    fn frame(now_ms: u64, servers: Vec<FrameServer>, requests: Vec<FrameRequest>) -> BalanceFrame {
        BalanceFrame {
            now: SimTime::from_ms(now_ms),
            strategy: "round robin".into(),
            servers,
            requests,
            last_pick: None,
            notices: vec![],
        }
    }

    #[test]
    fn a_new_request_travels_and_older_ones_wait_or_work_at_their_server() {
        let mut busy = req(1, Some(0), 0, "in-service");
        busy.start = Some(SimTime::from_ms(0));
        let f = frame(
            100,
            vec![server("A", 1, 1, 1), server("B", 0, 0, 1)],
            vec![
                busy,
                req(2, Some(0), 10, "queued"),
                req(3, Some(1), 99, "queued"),
            ],
        );
        let l = BalanceLayout::new(2);
        let d = dots(&f, &l, false);
        let states: Vec<_> = d.iter().map(|d| (d.id, d.state)).collect();
        assert_eq!(
            states,
            [(1, "in-service"), (2, "queued"), (3, "travelling")],
            "no served request yet: the hop is 2 ms, so request 3 (sent 1 ms ago) is on its way"
        );
        let card = l.cards[0].card.inflate(0.5);
        assert!(card.contains(d[0].at) && card.contains(d[1].at));
        assert!(
            d[1].at.x < d[0].at.x,
            "the queued dot waits before the worker"
        );
        // With reduced motion nothing travels: request 3 is already in B's queue.
        let still = dots(&f, &l, true);
        assert_eq!(still[2].state, "queued");
        assert!(l.cards[1].card.inflate(0.5).contains(still[2].at));
    }

    #[test]
    fn ended_requests_linger_then_go_failed_ones_longer() {
        let mut served = req(1, Some(0), 0, "served");
        served.end = Some(SimTime::from_ms(8));
        let mut dropped = req(2, Some(1), 0, "dropped");
        dropped.end = Some(SimTime::from_ms(0));
        let servers = vec![server("A", 0, 0, 1), server("B", 0, 0, 1)];
        // One served request took 8 ms: the hop is 2 ms (a quarter, rounded down to 1-2-5).
        let at = |ms| {
            let f = frame(ms, servers.clone(), vec![served.clone(), dropped.clone()]);
            dots(&f, &BalanceLayout::new(2), false)
                .into_iter()
                .map(|d| (d.id, d.state, d.failed))
                .collect::<Vec<_>>()
        };
        assert_eq!(at(9), [(1, "served", false), (2, "dropped", true)]);
        // Served lingers 3 hops (6 ms) after its end at 8 ms; the drop, 12 hops after its dot
        // arrived at 2 ms.
        assert_eq!(at(14), [(1, "served", false), (2, "dropped", true)]);
        assert_eq!(at(15), [(2, "dropped", true)]);
        assert_eq!(at(26), [(2, "dropped", true)]);
        assert_eq!(at(27), vec![]);
    }

    #[test]
    fn a_request_without_a_server_waits_at_the_balancer() {
        let mut r = req(1, None, 0, "error");
        r.end = Some(SimTime::from_ms(0));
        let f = frame(
            1,
            vec![server("A", 0, 0, 1)],
            vec![r, req(2, Some(0), 0, "retrying")],
        );
        let l = BalanceLayout::new(1);
        let d = dots(&f, &l, false);
        assert_eq!(d[0].state, "error");
        assert!(d[0].failed);
        assert_eq!(d[1].state, "retrying");
        assert!(
            d[0].at.x < l.cards[0].card.x,
            "at the balancer, left of every card"
        );
    }

    #[test]
    fn queued_requests_take_the_back_of_a_queue_older_requests_fill() {
        // A holds 5 queued requests; the frame has only the newest two.
        let f = frame(
            1_000,
            vec![server("A", 5, 1, 1)],
            vec![req(8, Some(0), 10, "queued"), req(9, Some(0), 20, "queued")],
        );
        let l = BalanceLayout::new(1);
        let d = dots(&f, &l, true);
        let front = l.place(Some(0), Phase::Queued(0), 1, false).unwrap();
        let fourth = l.place(Some(0), Phase::Queued(3), 1, false).unwrap();
        assert_eq!(d[0].at, fourth, "the older of the two is fourth in line");
        assert!(d[1].at.x < d[0].at.x && d[0].at.x < front.x);
    }

    #[test]
    fn the_balancer_belief_and_the_truth_are_both_shown() {
        let mut dead = server("B", 0, 0, 1);
        dead.alive = false;
        dead.state = "killed".into();
        assert_eq!(condition(&dead), ("killed", Some("unnoticed")));
        assert_eq!(state_text(&dead), "w 1 · killed · LB: up");
        dead.healthy = false;
        assert_eq!(condition(&dead), ("killed", None));
        let mut marked = server("C", 0, 0, 1);
        marked.healthy = false;
        assert_eq!(condition(&marked), ("up", Some("marked-down")));
        assert_eq!(state_text(&marked), "w 1 · LB: down");
        // Passive checks: the health checks pass it, max_fails keeps it out.
        let mut out = server("E", 0, 0, 1);
        out.shunned = true;
        assert_eq!(condition(&out), ("up", Some("marked-down")));
        assert_eq!(state_text(&out), "w 1 · LB: out (max_fails)");
        assert_eq!(short_state(&out), "LB: out (max_fails)");
        // Dead and kept out: the balancer is right, nothing to flag.
        out.alive = false;
        out.state = "killed".into();
        assert_eq!(condition(&out), ("killed", None));
        let mut slow = server("D", 0, 0, 1);
        slow.speed = 0.25;
        slow.weight = 5;
        slow.effective_weight = 2.5;
        assert_eq!(state_text(&slow), "w 5 (now 2.5) · 4× slower");
        assert_eq!(short_state(&slow), "4× slow");
    }

    #[test]
    fn a_long_score_list_keeps_the_pick_the_highlighted_and_the_runners_up() {
        let pick = |n: u32, chosen: u32| FramePick {
            req: 1,
            attempt: 1,
            at: SimTime::ZERO,
            chosen: Some(chosen),
            summary: String::new(),
            scores: (0..n)
                .map(|i| FrameScore {
                    server: i,
                    // Server 3 was not considered; the others score their id.
                    score: (i != 3).then_some(f64::from(i)),
                    text: String::new(),
                })
                .collect(),
        };
        let ids = |v: Vec<&FrameScore>| v.iter().map(|s| s.server).collect::<Vec<_>>();
        let p = pick(12, 5);
        let (all, hidden) = shown_scores(&p, |_| false);
        assert_eq!((all.len(), hidden), (12, 0));
        // 64 servers, 40 chosen, 60 highlighted: the nearest numbers to 40's, in id order.
        let p = pick(64, 40);
        let (shown, hidden) = shown_scores(&p, |id| id == 60);
        assert_eq!(hidden, 52);
        assert_eq!(ids(shown), [35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 60]);
        // Chosen with no number: every numbered server is equally near; the lowest ids win.
        let mut p = pick(64, 3);
        p.chosen = Some(3);
        let (shown, _) = shown_scores(&p, |_| false);
        assert_eq!(ids(shown), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    }

    #[test]
    fn counts_name_only_what_happened() {
        let mut s = server("A", 0, 0, 1);
        s.served = 12_345;
        s.utilisation = 0.734;
        assert_eq!(counts_text(&s), "served 12,345 · 73% busy");
        s.timed_out = 2;
        assert_eq!(counts_text(&s), "served 12,345 · 73% busy · 2 timed out");
    }

    #[test]
    fn the_pick_is_read_from_the_frame() {
        let mut f = frame(5, vec![server("A", 0, 0, 1)], vec![]);
        f.last_pick = Some(FramePick {
            req: 3,
            attempt: 1,
            at: SimTime::from_ms(4),
            chosen: Some(0),
            summary: "next in turn: A".into(),
            scores: vec![],
        });
        let c = Rc::new(f).colors();
        assert_eq!(c.get("A"), Some(&0));
    }
}
