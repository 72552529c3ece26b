//! Pure geometry and formatting for the diagrams: no yew, no DOM, tested natively.
//!
//! Diagrams in `crate::diagrams` ask this module *where* things go (angles, points, arc paths,
//! label spots) and *how* numbers read; they only decide what to draw.

pub mod balance;
pub mod format;
pub mod polar;
pub mod ring;
pub mod shards;
