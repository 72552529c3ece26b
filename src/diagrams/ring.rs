//! The consistent-hashing ring: who owns which arc, where the keys sit, what moved, what is
//! being served.
//!
//! Layers, bottom to top: the track with degree ticks, each server's ownership arcs, virtual-node
//! ticks and keys (these in a static SVG underneath, see [`layers`]); then, in the live SVG,
//! named keys, moved keys (a halo, and a one-shot CSS animation of a dot walking clockwise from
//! the key to its new owner), requests in flight, server markers and crashed servers' ghosts
//! with their labels ([`overlay`]), and the centre text ([`text`]). Layers that change only with
//! the servers or the keys are child components with cheap equality, so a frame that only
//! advances requests re-renders only the requests, the markers' counts and the centre text.
//! Continuous motion (requests) is computed from event timestamps; discrete changes (a key's
//! owner) are CSS transitions and animations on elements keyed by entity id
//! (`www/styles/ring.css`). Geometry comes from `crate::layout`.

mod layers;
mod overlay;
mod text;

use super::{DiagramKind, Emphasis, MovePhase, Shared};
use crate::layout::ring::RingLayout;
use layers::{Keys, MovedKeys, NamedKeys, RingBase};
use sim::hashing::ring::Position;
use sim::models::hash_ring::{Change, RingFrame};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

impl DiagramKind for Rc<RingFrame> {
    fn view(&self, reduced_motion: bool, emphasis: &Emphasis) -> Html {
        html! { <RingDiagram frame={self.clone()} {reduced_motion} emphasis={emphasis.clone()} /> }
    }
    fn colors(&self) -> BTreeMap<String, u32> {
        sim::order::map_of(
            self.servers
                .iter()
                .map(|s| (s.name.clone(), s.color))
                .chain(self.removed.iter().map(|g| (g.name.clone(), g.color))),
        )
    }
    fn load_label(&self) -> &'static str {
        "Load per server"
    }
    fn aspect(&self) -> f64 {
        1.0
    }
}

/// Props of [`RingDiagram`].
#[derive(Properties, PartialEq)]
pub struct RingDiagramProps {
    /// The ring at the current simulated time.
    pub frame: Rc<RingFrame>,
    /// Skip decorative motion.
    pub reduced_motion: bool,
    /// What to stress or hide.
    #[prop_or_default]
    pub emphasis: Emphasis,
}

/// What the layout depends on: the servers' names, colours, points, markers and arcs, and the
/// ghosts.
struct LayoutKey {
    frame: Rc<RingFrame>,
    ghosts: Vec<(String, u32, Position)>,
}

impl PartialEq for LayoutKey {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.frame, &other.frame);
        fn named(f: &RingFrame) -> impl Iterator<Item = (&str, Position)> {
            f.keys
                .iter()
                .filter(|k| k.named)
                .map(|k| (k.name.as_str(), k.position))
        }
        self.ghosts == other.ghosts
            && a.servers.len() == b.servers.len()
            && a.servers.iter().zip(&b.servers).all(|(x, y)| {
                x.name == y.name
                    && x.color == y.color
                    && x.anchor == y.anchor
                    && x.points == y.points
                    && x.arcs == y.arcs
            })
            && (Rc::ptr_eq(a, b) || named(a).eq(named(b)))
    }
}

/// The consistent-hash ring diagram.
#[function_component]
pub fn RingDiagram(props: &RingDiagramProps) -> Html {
    let frame = &props.frame;
    let emphasis = &props.emphasis;
    let ghosts: Vec<(String, u32, Position)> = frame
        .removed
        .iter()
        .map(|g| (g.name.clone(), g.color, g.anchor))
        .collect();
    let layout = use_memo(
        LayoutKey {
            frame: frame.clone(),
            ghosts,
        },
        |k| RingLayout::new(&k.frame, &k.ghosts),
    );
    let shared = Shared(layout.clone());
    let class = classes!(
        "ring-diagram",
        "ring-live",
        props.reduced_motion.then_some("reduced-motion")
    );

    // Two stacked SVGs: the ring, its arcs, vnode ticks and keys change only when the servers or
    // keys do, and sit in their own compositing layer (ring.css) so that requests moving every
    // frame in the live layer above do not re-raster thousands of ticks.
    html! {
        <div class={classes!("ring-stack", props.reduced_motion.then_some("reduced-motion"))}>
            <svg class={classes!("ring-diagram", "ring-static")} aria-hidden="true" focusable="false"
                 viewBox="0 0 400 400" preserveAspectRatio="xMidYMid meet">
                <RingBase layout={shared.clone()} />
                <Keys frame={frame.clone()} layout={shared.clone()} />
            </svg>
            <svg data-testid="ring-diagram" class={class} role="img" aria-label={text::describe(frame, emphasis.conceal)}
                 viewBox="0 0 400 400" preserveAspectRatio="xMidYMid meet">
                <NamedKeys frame={frame.clone()} layout={shared.clone()} emphasis={emphasis.clone()} />
                <MovedKeys frame={frame.clone()} layout={shared.clone()} reduced_motion={props.reduced_motion}
                           phase={MovePhase::since(frame.now, visible_change(frame).map(|c| c.at))} />
                <g class="requests">{ overlay::requests(frame, &layout, props.reduced_motion) }</g>
                { text::centre(frame, emphasis.conceal) }
                <g class="servers">{ overlay::markers(frame, &layout, emphasis) }</g>
            </svg>
        </div>
    }
}

/// Props of the layers drawn from the frame's keys and the layout.
#[derive(Properties)]
struct FrameLayoutProps {
    frame: Rc<RingFrame>,
    layout: Shared<RingLayout>,
    #[prop_or_default]
    reduced_motion: bool,
    #[prop_or_default]
    emphasis: Emphasis,
    #[prop_or_default]
    phase: MovePhase,
}

impl PartialEq for FrameLayoutProps {
    /// Equal when the keys, the layout and (for the moved-keys layer) the visible change agree:
    /// requests and the clock do not matter to the layers that take these props.
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.frame, &other.frame);
        self.layout == other.layout
            && self.reduced_motion == other.reduced_motion
            && self.emphasis == other.emphasis
            && self.phase == other.phase
            && same_change(visible_change(a), visible_change(b))
            && (Rc::ptr_eq(a, b) || a.keys == b.keys)
    }
}

/// Whether two changes are the same one: same time and description, and (cheaply, as frames share
/// one `Rc`) the same moves.
fn same_change(a: Option<&Change>, b: Option<&Change>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.at == y.at
                && x.what == y.what
                && (Rc::ptr_eq(&x.moves, &y.moves) || x.moves == y.moves)
        }
        _ => false,
    }
}

/// The last server change, once the clock has reached it.
fn visible_change(frame: &RingFrame) -> Option<&Change> {
    frame.last_change.as_ref().filter(|c| frame.now >= c.at)
}

/// Colour class of server `name`, live or crashed; `None` if unknown.
fn color_of(layout: &RingLayout, name: &str) -> Option<u32> {
    layout.server(name).map(|s| s.color).or_else(|| {
        layout
            .ghosts
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.color)
    })
}
