//! The sweep chart's files: the summaries as CSV (what `sdp sweep --csv` prints), and the figure
//! (title, legend and every plot) as a standalone SVG or a PNG, through [`snapshot`].

use crate::components::{download, snapshot};
use sim::sweep::SweepResult;
use wasm_bindgen::JsCast;
use web_sys::Element;
use yew::Callback;

/// The file name for an export: `<stem>.<ext>`, the stem defaulting to `sweep-<param>`.
pub fn file_name(stem: &str, param: &str, ext: &str) -> String {
    let stem = stem.trim();
    if stem.is_empty() {
        format!("sweep-{param}.{ext}")
    } else {
        format!("{stem}.{ext}")
    }
}

/// Saves the summaries as CSV.
pub fn save_csv(result: &SweepResult, name: &str) -> Result<(), String> {
    download::text_blob(&result.to_csv(), "text/csv").and_then(|b| download::save(&b, name))
}

/// The figure as a standalone SVG: its `<svg>`s (plots and legend swatches) with their styles
/// inlined, the title above, and the text of every `[data-sweep-text]` element where it is.
fn take(figure: &Element, title: &Element, text: &str) -> Result<snapshot::Snapshot, String> {
    let list = figure
        .query_selector_all("[data-sweep-text]")
        .map_err(download::describe)?;
    let texts: Vec<Element> = (0..list.length())
        .filter_map(|i| list.item(i).and_then(|n| n.dyn_into().ok()))
        .collect();
    let panel = snapshot::Panel {
        area: figure.clone(),
        label: Some(title.clone()),
    };
    snapshot::take_with_text(&[panel], &texts, text)
}

/// Saves the figure as SVG.
pub fn save_svg(figure: &Element, title: &Element, name: &str) -> Result<(), String> {
    let text = title.text_content().unwrap_or_default();
    let snap = take(figure, title, &text)?;
    download::text_blob(&snap.svg, "image/svg+xml").and_then(|b| download::save(&b, name))
}

/// Saves the figure as PNG (drawn from the SVG at twice its size); `done` gets the error, if any.
pub fn save_png(figure: &Element, title: &Element, name: &str, done: Callback<Option<String>>) {
    let text = title.text_content().unwrap_or_default();
    let snap = match take(figure, title, &text) {
        Ok(s) => s,
        Err(e) => return done.emit(Some(e)),
    };
    let name = name.to_string();
    snapshot::to_png(
        &snap,
        Callback::from(move |png: Result<web_sys::Blob, String>| {
            done.emit(png.and_then(|b| download::save(&b, &name)).err());
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_the_stem_or_the_parameter() {
        assert_eq!(
            file_name("hash-ring-sweep-vnodes", "vnodes", "csv"),
            "hash-ring-sweep-vnodes.csv"
        );
        assert_eq!(file_name("", "vnodes", "png"), "sweep-vnodes.png");
    }
}
