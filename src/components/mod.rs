//! Generic widgets of the lesson page and the shell, one concern per file.

pub mod actions;
pub mod animation;
pub mod code_view;
pub mod compare;
pub mod download;
pub mod embed_dialog;
pub mod embed_height;
pub mod event_log;
pub mod flash;
pub mod header;
pub mod icons;
pub mod load_chart;
pub mod metrics;
pub mod notices;
pub mod param_controls;
pub mod prefs;
pub mod preset_menu;
pub mod progress;
pub mod questions;
pub mod run_tools;
pub mod select_sync;
pub mod share;
pub mod shortcuts;
pub mod snapshot;
pub mod steps;
pub mod transport;
