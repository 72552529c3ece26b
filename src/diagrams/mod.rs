//! One view per kind of diagram: each draws its model's frame as SVG.
//!
//! [`kind`] is the one place in the app that knows every kind of [`Frame`]: a match with one
//! line per kind, giving that kind's [`DiagramKind`]. Everything the app
//! does differently per kind of frame goes through it: the drawing ([`Diagram`]), the colours of
//! the things it draws ([`server_colors`]), the load chart's label and the embed's aspect ratio.
//! A variant added to `Frame` (one line in `sim/src/registry.rs`) without a line here does not
//! compile, so every kind of frame has a drawing; every browser test of a lesson waits for its
//! `…-diagram`.
//!
//! A new kind of diagram: a module here (`pub mod name;`) that implements [`DiagramKind`] for
//! `Rc<ItsFrame>`, and its line in [`kind`].

pub mod balance;
pub mod cache;
pub mod lanes;
pub mod ring;
pub mod shards;
pub mod stores;

use sim::frame::Frame;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// What the app needs from one kind of diagram, implemented for `Rc` of the frame type it
/// draws.
pub trait DiagramKind {
    /// The drawing, with what a step or question asks to stress or hide.
    fn view(&self, reduced_motion: bool, emphasis: &Emphasis) -> Html;
    /// Name → palette index of the things it colours (servers, shards), for the panels beside
    /// it (load bars, intervention buttons) to use the same colours.
    fn colors(&self) -> BTreeMap<String, u32>;
    /// The label of the load chart's section (`Load per server`).
    fn load_label(&self) -> &'static str;
    /// Its `viewBox`'s width over its height: an embed fits its stage to it.
    fn aspect(&self) -> f64;
}

/// The kind of diagram that draws `frame`.
pub fn kind(frame: &Frame) -> &dyn DiagramKind {
    match frame {
        Frame::Ring(f) => f,
        Frame::Shards(f) => f,
        Frame::Stores(f) => f,
        Frame::Cache(f) => f,
        Frame::Balance(f) => f,
        Frame::Lanes(f) => f,
    }
}

/// The palette class of colour `index` (`s0` … `s11`, wrapping), styled in `main.css`.
pub(crate) fn palette_class(index: u32) -> String {
    format!("s{}", index % 12)
}

/// Name → palette index of whatever the frame draws.
pub fn server_colors(frame: &Frame) -> BTreeMap<String, u32> {
    kind(frame).colors()
}

/// An `Rc` compared by pointer: a layout computed once per change of the model's shape and
/// shared by a diagram's layers, which then need not compare its contents every frame.
#[derive(Clone)]
pub(crate) struct Shared<T>(pub(crate) Rc<T>);

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

/// What a lesson's step or question asks a diagram to stress or to hide.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Emphasis {
    /// Names of the entities to stress, as the frame names them: servers and shards (`B`,
    /// `3` or `Shard 3`) and keys by name (`User123`, `user 12`; a bare number is a shard).
    pub highlight: Rc<[String]>,
    /// Hide the numbers that give a share, a percentage or an arc's size away (a question asks
    /// about them before its reveal).
    pub conceal: bool,
}

impl Emphasis {
    /// Whether any of `names` (the ways the frame names one entity) is to be stressed.
    pub fn stresses<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> bool {
        !self.highlight.is_empty()
            && names
                .into_iter()
                .any(|n| self.highlight.iter().any(|h| h.trim() == n))
    }
}

/// `data-highlighted` for an entity: `Some("true")` when it is stressed.
pub(crate) fn highlighted_attr(on: bool) -> Option<AttrValue> {
    on.then_some(AttrValue::Static("true"))
}

/// `data-concealed` for a spot whose numbers are hidden: `Some("true")` when they are.
pub(crate) fn concealed_attr(on: bool) -> Option<AttrValue> {
    on.then_some(AttrValue::Static("true"))
}

/// How long after a change, in simulated time, a moved key keeps its old owner's colour.
pub(crate) const KEEP_COLOUR_US: u64 = 1_500_000;
/// How long after a change, in simulated time, a moved key shows its ghost and arrow.
pub(crate) const TRACE_US: u64 = 6_000_000;

/// Where the clock stands relative to the last change, for the keys it moved: a few discrete
/// phases of simulated time, so the layers that draw moved keys re-render only when one ends
/// (and reduced motion changes nothing: these are states, not motion).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum MovePhase {
    /// No change is visible.
    #[default]
    Quiet,
    /// Just after it: moved keys keep their old owner's colour; ghosts and arrows show where
    /// they were and where they went.
    Recent,
    /// A little later: moved keys in their new colour, ghosts and arrows still shown.
    Traced,
    /// Long after: only a halo marks a moved key.
    Settled,
}

impl MovePhase {
    /// The phase at `now` of a change made at `at` (`None`: no change yet).
    pub(crate) fn since(now: sim::time::SimTime, at: Option<sim::time::SimTime>) -> Self {
        match at.filter(|a| now >= *a).map(|a| now.since(a)) {
            None => MovePhase::Quiet,
            Some(age) if age < KEEP_COLOUR_US => MovePhase::Recent,
            Some(age) if age < TRACE_US => MovePhase::Traced,
            Some(_) => MovePhase::Settled,
        }
    }

    /// Whether ghosts and arrows are drawn.
    pub(crate) fn traced(self) -> bool {
        matches!(self, MovePhase::Recent | MovePhase::Traced)
    }
}

/// Props of [`Diagram`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// What to draw now.
    pub frame: Frame,
    /// Skip decorative motion (the user asked for reduced motion).
    pub reduced_motion: bool,
    /// Names of entities to stress (servers or shards as the frame labels them, or key names):
    /// a halo and a thicker stroke, and `data-highlighted="true"` on each.
    #[prop_or_default]
    pub highlight: Rc<[String]>,
    /// Hide the numeric labels that give a share, percentage or arc size away (marked
    /// `data-concealed="true"`), so a question can ask about them before the reveal.
    #[prop_or_default]
    pub conceal: bool,
}

/// The diagram for whatever kind of frame the lesson's model reports.
#[function_component]
pub fn Diagram(props: &DiagramProps) -> Html {
    let emphasis = Emphasis {
        highlight: props.highlight.clone(),
        conceal: props.conceal,
    };
    kind(&props.frame).view(props.reduced_motion, &emphasis)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::time::SimTime;

    #[test]
    fn moved_keys_keep_their_colour_then_their_trace_then_only_a_halo() {
        let at = Some(SimTime::from_secs(2));
        let phase = |ms| MovePhase::since(SimTime::from_ms(ms), at);
        assert_eq!(
            MovePhase::since(SimTime::from_secs(9), None),
            MovePhase::Quiet
        );
        assert_eq!(phase(1_999), MovePhase::Quiet, "a change still to come");
        assert_eq!(phase(2_000), MovePhase::Recent);
        assert_eq!(phase(3_499), MovePhase::Recent);
        assert_eq!(phase(3_500), MovePhase::Traced);
        assert!(phase(7_999).traced());
        assert_eq!(phase(8_000), MovePhase::Settled);
        assert!(!phase(8_000).traced());
    }

    #[test]
    fn emphasis_matches_any_name_of_an_entity() {
        let e = Emphasis {
            highlight: vec!["B".to_string(), " 3 ".to_string()].into(),
            conceal: false,
        };
        assert!(e.stresses(["B"]));
        assert!(e.stresses(["Shard 3", "3"]), "a shard by its index");
        assert!(!e.stresses(["C", "Shard 2"]));
        assert!(!Emphasis::default().stresses(["B"]), "nothing by default");
    }
}
