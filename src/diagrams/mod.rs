//! One view per mechanism: each draws its model's frame as SVG.
//!
//! [`Diagram`] picks the view for a [`Frame`]; adding a lesson family adds a variant to `Frame`
//! and an arm here.

pub mod ring;
pub mod shards;

use sim::frame::Frame;
use yew::prelude::*;

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
