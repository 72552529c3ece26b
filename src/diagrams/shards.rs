//! Shards as buckets: which shard holds which key and how much of the load it serves, what the
//! last change moved and where to, which shards a query asked and which one it waited for.
//! Shared by every sharding lesson; a placement that lives on a ring is drawn as the ring.
//!
//! Layers, bottom to top: the caption (the rule, and the counts or what the last change moved,
//! see [`text`]); the front stages ([`front`]); the buckets with their labels, load fill, hot
//! badge and hatching where hues repeat ([`layers::Buckets`]); the followed query's lines from
//! the router ([`fanout`]); the keys as chips coloured by shard, a hot key with its popularity,
//! the keys the last change moved on top with a halo and, for a while after it, a ghost where
//! each was and a line to where it is ([`keys::Keys`]); the query's response bars and its
//! status line; and requests, a pulse on the serving bucket ([`overlay`]). The buckets and keys
//! change only with the shards, the keys and the [`MovePhase`], so they are child components
//! with cheap equality. Everything that moves is computed from the simulated clock against the
//! model's times (requests, response bars, move phases), never from a CSS timer. Geometry comes
//! from `crate::layout::shards`.

mod fanout;
mod front;
mod keys;
mod layers;
mod overlay;
mod text;

use super::ring::RingDiagram;
use super::{DiagramKind, Emphasis, MovePhase, Shared};
use crate::layout::polar::Point;
use crate::layout::shards::{Chrome, ShardLayout, VIEW_H, VIEW_W};
use keys::Keys;
use layers::Buckets;
use sim::models::shard_view::{ShardChange, ShardFrame};
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

impl DiagramKind for Rc<ShardFrame> {
    fn view(&self, reduced_motion: bool, emphasis: &Emphasis) -> Html {
        // A placement that lives on a ring is drawn as the ring (shards named by their index).
        if let Some(ring) = &self.ring {
            return html! { <RingDiagram frame={ring.clone()} {reduced_motion} emphasis={emphasis.clone()} /> };
        }
        html! { <ShardDiagram frame={self.clone()} {reduced_motion} emphasis={emphasis.clone()} /> }
    }
    fn colors(&self) -> BTreeMap<String, u32> {
        sim::order::map_of(self.shards.iter().map(|s| (s.index.to_string(), s.index)))
    }
    fn load_label(&self) -> &'static str {
        "Load per shard"
    }
    fn aspect(&self) -> f64 {
        if self.ring.is_some() {
            1.0
        } else {
            VIEW_W / VIEW_H
        }
    }
}

/// Props of [`ShardDiagram`].
#[derive(Properties, PartialEq)]
pub struct ShardDiagramProps {
    /// The shards at the current simulated time.
    pub frame: Rc<ShardFrame>,
    /// Skip decorative motion.
    pub reduced_motion: bool,
    /// What to stress or hide.
    #[prop_or_default]
    pub emphasis: Emphasis,
}

/// Where every drawn key goes now and, for the keys the last (visible) resize moved, where it
/// was drawn before.
#[derive(Debug, PartialEq)]
struct Placement {
    /// The buckets and chips now.
    layout: ShardLayout,
    /// Key id → the centre of its chip now.
    points: BTreeMap<u64, Point>,
    /// Moved key id → the centre of its chip before the resize.
    before: BTreeMap<u64, Point>,
}

/// What surrounds the buckets in this frame.
pub(super) fn chrome(frame: &ShardFrame) -> Chrome {
    Chrome {
        front: !frame.front.is_empty(),
        captions: frame.shards.iter().any(|s| s.caption.is_some()),
        footer: frame.fanout.is_some(),
    }
}

/// Shard id → its bucket's position. Models number shards by stable ids, which after a merge
/// or a removal need not be 0..N; buckets are drawn in the frame's order.
pub(super) fn positions(frame: &ShardFrame) -> BTreeMap<u32, u32> {
    sim::order::map_of(
        frame
            .shards
            .iter()
            .enumerate()
            .map(|(i, s)| (s.index, i as u32)),
    )
}

impl Placement {
    fn new(frame: &ShardFrame) -> Self {
        let n = frame.shards.len() as u32;
        let max_id = frame.keys.iter().map(|k| k.id).max().unwrap_or(0);
        let pos = positions(frame);
        let at = |id: u32| pos.get(&id).copied().unwrap_or(u32::MAX);
        let chrome = chrome(frame);
        let shards: Vec<u32> = frame.keys.iter().map(|k| at(k.shard)).collect();
        let layout = ShardLayout::with_chrome(n, &shards, max_id, chrome);
        let points = sim::order::map_of(
            frame
                .keys
                .iter()
                .enumerate()
                .filter_map(|(i, k)| Some((k.id, layout.key_centre(i, at(k.shard))?))),
        );
        let before = visible_change(frame)
            .map(|c| {
                // The keys as they were: a moved key on its old shard, the rest where they are.
                // (Old shard ids are drawn where that id's bucket is now, or the last bucket of
                // the old count when the shard is gone.)
                let last = c.from_shards.saturating_sub(1);
                let old: Vec<u32> = frame
                    .keys
                    .iter()
                    .map(|k| {
                        moved_from(c, k.id)
                            .map_or(at(k.shard), |s| pos.get(&s).copied().unwrap_or(s))
                            .min(last)
                    })
                    .collect();
                let was = ShardLayout::with_chrome(c.from_shards, &old, max_id, chrome);
                sim::order::map_of(
                    frame
                        .keys
                        .iter()
                        .zip(&old)
                        .enumerate()
                        .filter(|(_, (k, _))| moved_from(c, k.id).is_some())
                        .filter_map(|(i, (k, &s))| Some((k.id, was.key_centre(i, s)?))),
                )
            })
            .unwrap_or_default();
        Placement {
            layout,
            points,
            before,
        }
    }
}

/// The shard key `id` left in change `c`, if it moved (`moves` is in id order).
fn moved_from(c: &ShardChange, id: u64) -> Option<u32> {
    c.moves
        .binary_search_by_key(&id, |m| m.id)
        .ok()
        .map(|i| c.moves[i].from)
}

/// What the placement depends on: the shard count, the keys and the visible change.
struct PlacementKey(Rc<ShardFrame>);

impl PartialEq for PlacementKey {
    fn eq(&self, other: &Self) -> bool {
        let (a, b) = (&self.0, &other.0);
        Rc::ptr_eq(a, b)
            || (a.shards.len() == b.shards.len()
                && chrome(a) == chrome(b)
                && same_change(visible_change(a), visible_change(b))
                && a.keys == b.keys)
    }
}

/// Whether two changes are the same one: same time and sizes, and (cheaply, as frames share one
/// `Rc`) the same moves.
fn same_change(a: Option<&ShardChange>, b: Option<&ShardChange>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => {
            x.at == y.at
                && x.from_shards == y.from_shards
                && x.to_shards == y.to_shards
                && x.total == y.total
                && (Rc::ptr_eq(&x.moves, &y.moves) || x.moves == y.moves)
        }
        _ => false,
    }
}

/// The last resize, once the clock has reached it.
fn visible_change(frame: &ShardFrame) -> Option<&ShardChange> {
    frame.last_change.as_ref().filter(|c| frame.now >= c.at)
}

/// The shard diagram.
#[function_component]
pub fn ShardDiagram(props: &ShardDiagramProps) -> Html {
    let frame = &props.frame;
    let emphasis = &props.emphasis;
    let placement = use_memo(PlacementKey(frame.clone()), |k| Placement::new(&k.0));
    let shared = Shared(placement.clone());
    let pos = positions(frame);
    let grid = &placement.layout.grid;
    let class = classes!(
        "shard-diagram",
        props.reduced_motion.then_some("reduced-motion")
    );
    html! {
        <svg data-testid="shard-diagram" class={class} role="img" aria-label={text::describe(frame, emphasis.conceal)}
             viewBox={format!("0 0 {VIEW_W} {VIEW_H}")} preserveAspectRatio="xMidYMid meet">
            { text::caption(frame, emphasis.conceal) }
            { front::band(frame) }
            <Buckets frame={frame.clone()} grid={*grid} emphasis={emphasis.clone()} />
            { fanout::lines(frame, grid, &pos) }
            <Keys frame={frame.clone()} placement={shared} phase={MovePhase::since(frame.now, visible_change(frame).map(|c| c.at))} emphasis={emphasis.clone()} />
            { fanout::bars(frame, grid, &pos) }
            { fanout::caption(frame) }
            <g class="requests">{ overlay::requests(frame, &placement, props.reduced_motion) }</g>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::models::shard_view::{ShardKeyView, ShardMove, ShardView};
    use sim::time::SimTime;

    /// `keys` user ids on `n` shards by `id % n`, after a resize from `from` shards at 1 s.
    fn modulo_frame(keys: u64, from: u32, n: u32, now: SimTime) -> ShardFrame {
        let moves: Vec<ShardMove> = (0..keys)
            .filter(|id| id % u64::from(from) != id % u64::from(n))
            .map(|id| ShardMove {
                id,
                from: (id % u64::from(from)) as u32,
                to: (id % u64::from(n)) as u32,
            })
            .collect();
        ShardFrame {
            now,
            ring: None,
            fanout: None,
            rule: format!("user_id % {n}"),
            shards: (0..n)
                .map(|i| ShardView::new(i, format!("Shard {i}"), 0, 0))
                .collect(),
            keys: (0..keys)
                .map(|id| ShardKeyView {
                    name: format!("user {id}"),
                    id,
                    shard: (id % u64::from(n)) as u32,
                    hot: false,
                    share: None,
                })
                .collect(),
            keys_total: keys,
            last_change: Some(ShardChange {
                at: SimTime::from_secs(1),
                from_shards: from,
                to_shards: n,
                moves: moves.into(),
                total: keys,
            }),
            requests: Vec::new(),
            front: Vec::new(),
        }
    }

    #[test]
    fn moved_keys_start_where_they_were_drawn_before_the_resize() {
        let after = Placement::new(&modulo_frame(20, 4, 5, SimTime::from_secs(2)));
        let mut before = modulo_frame(20, 4, 4, SimTime::ZERO);
        before.last_change = None;
        let before = Placement::new(&before);
        assert_eq!(after.before.len(), 16, "4 → 5 moves 16 of 20 keys");
        for (id, p) in &after.before {
            assert_eq!(Some(p), before.points.get(id), "key {id}");
        }
    }

    #[test]
    fn a_change_in_the_future_is_not_shown() {
        let p = Placement::new(&modulo_frame(20, 4, 5, SimTime::from_ms(500)));
        assert!(p.before.is_empty());
    }

    #[test]
    fn the_old_place_of_a_key_is_looked_up_by_id() {
        let f = modulo_frame(20, 4, 8, SimTime::from_secs(2));
        let c = f.last_change.as_ref().unwrap();
        assert_eq!(moved_from(c, 1), None, "1 % 4 = 1 % 8");
        assert_eq!(moved_from(c, 11), None, "11 % 4 = 11 % 8");
        assert_eq!(moved_from(c, 4), Some(0));
        assert_eq!(moved_from(c, 7), Some(3));
    }
}
