//! The app's pages.

pub mod bench;
pub mod embed;
pub mod home;
pub mod lesson;
pub mod not_found;
