//! One view per kind of diagram: each draws its model's frame as SVG.
//!
//! [`kind`] is the one place in the app that knows every kind of [`Frame`]: an exhaustive match
//! (no wildcard arm), one line per kind, giving that kind's [`DiagramKind`]. Everything the app
//! does differently per kind of frame goes through it: the drawing ([`Diagram`]), the colours of
//! the things it draws ([`server_colors`]), the load chart's label and the embed's aspect ratio.
//! A variant added to `Frame` (one line in `sim/src/registry.rs`) without a line here does not
//! compile.
//!
//! A new kind of diagram: a module here (`pub mod name;`) that implements [`DiagramKind`] for
//! `Rc<ItsFrame>`, and its line in [`kind`].

pub mod ring;
pub mod shards;

use sim::frame::Frame;
use std::collections::BTreeMap;
use std::rc::Rc;
use yew::prelude::*;

/// What the app needs from one kind of diagram, implemented for `Rc` of the frame type it
/// draws.
pub trait DiagramKind {
    /// The drawing.
    fn view(&self, reduced_motion: bool) -> Html;
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
    kind(&props.frame).view(props.reduced_motion)
}
