//! The app's pages.

#[cfg(feature = "bench")]
pub mod bench;
pub mod embed;
pub mod home;
pub mod lesson;
pub mod not_found;
