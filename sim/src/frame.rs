//! Frames: what a view draws at one moment. One variant per kind of diagram, listed in
//! [`crate::registry`] (this module keeps the public path `sim::frame::Frame`).

pub use crate::registry::Frame;
