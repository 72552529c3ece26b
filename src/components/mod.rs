//! Generic widgets of the lesson page and the shell, one concern per file.

pub mod actions;
pub mod animation;
pub mod code_view;
pub mod compare;
pub mod event_log;
pub mod header;
pub mod icons;
pub mod load_chart;
pub mod metrics;
pub mod notices;
pub mod offline;
pub mod param_controls;
pub mod prefs;
pub mod preset_menu;
pub mod questions;
pub mod select_sync;
pub mod share;
pub mod shortcuts;
pub mod steps;
pub mod transport;
