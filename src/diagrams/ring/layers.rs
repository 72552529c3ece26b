//! The layers that change only with the ring or the keys: the track, arcs and vnode ticks, the
//! keys, named keys and the keys the last change moved.

use super::{color_of, visible_change, FrameLayoutProps, Shared};
use crate::diagrams::MovePhase;
use crate::diagrams::{highlighted_attr, palette_class};
use crate::layout::format;
use crate::layout::polar::{angle_of, clockwise_span, label_outside, num};
use crate::layout::ring::{
    text_width, track, RingLayout, CENTRE, DEGREE_R, KEY_R, LABEL_R, MARGIN, RING_R, TRACK_W, VIEW,
};
use std::collections::BTreeSet;
use yew::prelude::*;

/// Props of [`RingBase`].
#[derive(Properties, PartialEq)]
pub(super) struct LayoutProps {
    pub(super) layout: Shared<RingLayout>,
}

/// The track, degree ticks, ownership arcs and virtual-node ticks.
#[function_component]
pub(super) fn RingBase(props: &LayoutProps) -> Html {
    let layout = &props.layout.0;
    let c = track();
    let mut minor = String::new();
    for deg in (0..360).step_by(30) {
        let (r_in, r_out) = if deg % 90 == 0 {
            (DEGREE_R.0, DEGREE_R.1 + 2.0)
        } else {
            (DEGREE_R.0, DEGREE_R.1)
        };
        c.push_tick(&mut minor, f64::from(deg), r_in, r_out);
    }
    // A degree label gives way to a server label near it.
    let labels: Vec<f64> = layout
        .servers
        .iter()
        .map(|s| s.label_deg)
        .chain(layout.ghosts.iter().map(|g| g.label_deg))
        .chain(layout.keys.iter().map(|k| k.label_deg))
        .collect();
    let degree_labels = [0, 90, 180, 270].into_iter().filter(|d| labels.iter().all(|l| clockwise_span(*l, f64::from(*d)).min(clockwise_span(f64::from(*d), *l)) > 9.0)).map(|d| {
        let spot = label_outside(&c.with_radius(DEGREE_R.2), f64::from(d), 1, 9.0);
        html! { <text key={d} class="degree-label" x={num(spot.x)} y={num(spot.y)} text-anchor={spot.anchor.as_str()}>{ format!("{d}°") }</text> }
    });
    html! {
        <g class="ring-base">
            <circle class="track" cx={num(CENTRE)} cy={num(CENTRE)} r={num(RING_R)} stroke-width={num(TRACK_W)} />
            <path class="degree-ticks" d={minor} />
            { for degree_labels }
            <g class="arcs">
                { for layout.servers.iter().map(|s| html! {
                    <path key={s.name.clone()} class={classes!("arc", palette_class(s.color))} d={s.arcs_d.clone()} stroke-width={num(TRACK_W)} />
                }) }
            </g>
            <g class="vnodes">
                { for layout.servers.iter().filter(|s| !s.ticks_d.is_empty()).map(|s| html! {
                    <path key={s.name.clone()} class={classes!("vnode-ticks", palette_class(s.color), (s.points.len() > 60).then_some("dense"))} d={s.ticks_d.clone()} />
                }) }
            </g>
        </g>
    }
}

/// The colour class of a key's owner (its first owner).
fn key_class(layout: &RingLayout, owners: &[String], named: bool) -> Classes {
    let color = owners
        .first()
        .and_then(|o| layout.server(o))
        .map(|s| palette_class(s.color));
    classes!("key", color, named.then_some("named"))
}

/// Generated keys as dots just inside the track, coloured by owner.
#[function_component]
pub(super) fn Keys(props: &FrameLayoutProps) -> Html {
    let layout = &props.layout.0;
    let at = track().with_radius(KEY_R);
    let dots = props.frame.keys.iter().filter(|k| !k.named).map(|k| {
        let p = at.point_of(k.position);
        html! { <circle key={k.name.clone()} class={key_class(layout, &k.owners, false)} cx={num(p.x)} cy={num(p.y)} r="2.3" /> }
    });
    html! { <g class="keys">{ for dots }</g> }
}

/// Named keys: larger dots, with their name outside the ring (among the server labels, so the
/// centre stays free) and a leader line to it.
#[function_component]
pub(super) fn NamedKeys(props: &FrameLayoutProps) -> Html {
    let layout = &props.layout.0;
    let at = track().with_radius(KEY_R);
    let labels = track().with_radius(LABEL_R);
    let named = props.frame.keys.iter().filter(|k| k.named).map(|k| {
        let stressed = props.emphasis.stresses([k.name.as_str()]);
        let deg = angle_of(k.position);
        let p = at.point_at(deg);
        let label_deg = layout.keys.iter().find(|l| l.name == k.name).map_or(deg, |l| l.label_deg);
        let spot = label_outside(&labels, label_deg, 1, 12.0).fit(text_width(&k.name, 12.0, true), MARGIN, VIEW - MARGIN);
        let a = track().with_radius(KEY_R + 6.0).point_at(deg);
        let b = track().with_radius(LABEL_R - 7.0).point_at(label_deg);
        html! {
            <g key={k.name.clone()} class={classes!("named-key", stressed.then_some("highlighted"))} data-testid={format!("key-{}", k.name)}
               data-highlighted={highlighted_attr(stressed)}>
                <title>{ format!("{} at {} · on {}", k.name, format::degrees(deg), k.owners.join(", then ")) }</title>
                if stressed {
                    <circle class="highlight-halo" cx={num(p.x)} cy={num(p.y)} r="9" />
                }
                <path class="key-leader" d={format!("M{} {}L{} {}", num(a.x), num(a.y), num(b.x), num(b.y))} />
                <circle class={key_class(layout, &k.owners, true)} cx={num(p.x)} cy={num(p.y)} r="4.5" />
                <text class="key-label" x={num(spot.x)} y={num(spot.y)} text-anchor={spot.anchor.as_str()}>{ &k.name }</text>
            </g>
        }
    });
    html! { <g class="named-keys">{ for named }</g> }
}

/// The keys the last server change moved (those drawn): a halo each and, for a while after the
/// change (simulated time, see [`MovePhase`]), a ghost of the key in its old owner's colour and
/// an arrow along the ring from the key to the point of its new owner that now serves it; just
/// after the change the key keeps its old owner's colour. Keyed by change time and key.
#[function_component]
pub(super) fn MovedKeys(props: &FrameLayoutProps) -> Html {
    let layout = &props.layout.0;
    let Some(change) = visible_change(&props.frame) else {
        return html! {};
    };
    let phase = props.phase;
    let drawn: BTreeSet<&str> =
        sim::order::set_of(props.frame.keys.iter().map(|k| k.name.as_str()));
    let at = track().with_radius(KEY_R);
    let walk = track().with_radius(KEY_R - 9.0);
    let stamp = change.at.as_us();
    let moved: Vec<_> = change
        .moves
        .iter()
        .filter(|m| drawn.contains(m.key.as_str()))
        .collect();
    let halos = moved.iter().map(|m| {
        let p = at.point_of(m.position);
        html! {
            <circle key={format!("{stamp}-{}", m.key)} class="moved-key" data-testid="moved-key"
                    cx={num(p.x)} cy={num(p.y)} r="4.8" />
        }
    });
    let traces = moved.iter().filter(|_| phase.traced()).map(|m| {
        let a0 = angle_of(m.position);
        let span = clockwise_span(a0, angle_of(m.point));
        let c0 = color_of(layout, &m.from).unwrap_or(0);
        let c1 = color_of(layout, &m.to).unwrap_or(0);
        let p = at.point_of(m.position);
        let end = a0 + span;
        // An arrowhead pointing clockwise at the end of the arc.
        let back = (4.0 / walk.r).to_degrees();
        let tip = walk.point_at(end);
        let w1 = track().with_radius(walk.r + 2.6).point_at(end - back);
        let w2 = track().with_radius(walk.r - 2.6).point_at(end - back);
        let head = format!("M{} {}L{} {}L{} {}", num(w1.x), num(w1.y), num(tip.x), num(tip.y), num(w2.x), num(w2.y));
        html! {
            <g key={format!("{stamp}-{}", m.key)} class="move-trace" data-testid="move-trace" data-key={m.key.clone()}
               data-from={m.from.clone()} data-to={m.to.clone()}>
                <circle class={classes!("move-ghost", palette_class(c0), (phase == MovePhase::Recent).then_some("old-colour"))}
                        data-testid="move-ghost" cx={num(p.x)} cy={num(p.y)} r="3.2" />
                if span > 0.5 {
                    <g class={classes!("move-arrow", palette_class(c1))} data-testid="move-arrow">
                        <path d={walk.arc_path(a0, span)} />
                        <path d={head} />
                    </g>
                }
            </g>
        }
    });
    html! {
        <g class="moved">
            <g class="traces">{ for traces }</g>
            <g class="halos">{ for halos }</g>
        </g>
    }
}
