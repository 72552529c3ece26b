//! One view per mechanism: each draws its model's frame as SVG.
//!
//! [`Diagram`] picks the view for a [`Frame`]; adding a lesson family adds a variant to `Frame`
//! and an arm here.

pub mod ring;
pub mod shards;

use sim::frame::Frame;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// The palette class of colour `index` (`s0` … `s11`, wrapping), styled in `main.css`.
pub(crate) fn palette_class(index: u32) -> String {
    format!("s{}", index % 12)
}

/// Server name → palette index, from whatever the frame draws.
pub fn server_colors(frame: &Frame) -> BTreeMap<String, u32> {
    match frame {
        Frame::Ring(r) => r
            .servers
            .iter()
            .map(|s| (s.name.clone(), s.color))
            .chain(r.removed.iter().map(|g| (g.name.clone(), g.color)))
            .collect(),
        Frame::Shards(f) => f
            .shards
            .iter()
            .map(|s| (s.index.to_string(), s.index))
            .collect(),
    }
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

/// Props of [`Diagram`].
#[derive(Properties, PartialEq)]
pub struct DiagramProps {
    /// What to draw now.
    pub frame: Frame,
    /// Skip decorative motion (the user asked for reduced motion).
    pub reduced_motion: bool,
}

/// The diagram for whatever kind of frame the lesson's model reports.
#[function_component]
pub fn Diagram(props: &DiagramProps) -> Html {
    match &props.frame {
        Frame::Ring(f) => {
            html! { <ring::RingDiagram frame={f.clone()} reduced_motion={props.reduced_motion} /> }
        }
        Frame::Shards(f) => {
            html! { <shards::ShardDiagram frame={f.clone()} reduced_motion={props.reduced_motion} /> }
        }
    }
}
