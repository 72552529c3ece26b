//! The lesson page's row of run tools: export the run as a file, import one, and snapshot the
//! diagram as SVG or PNG. Files are named `<lesson>-<t>ms.<ext>`.
//!
//! An imported file opens its run the way a shared link does (through the app's
//! [`Navigator`], so a run of another lesson opens that lesson), with a message on the new page
//! saying what was loaded and what in the file could not be used. A file that is not a run at
//! all is refused here, in the row, with the reason.

use crate::components::download;
use crate::components::flash::{Flash, Navigator};
use crate::components::snapshot;
use crate::lessons;
use crate::playback::Playback;
use crate::run_file::{self, RunRecord};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`RunTools`].
#[derive(Properties, PartialEq)]
pub struct RunToolsProps {
    /// The run.
    pub playback: Rc<Playback>,
}

fn icon(body: Html) -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="16" height="16" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            { body }
        </svg>
    }
}

fn icon_download() -> Html {
    icon(html! { <><path d="M12 4v11" /><path d="M7 10l5 5 5-5" /><path d="M5 20h14" /></> })
}

fn icon_upload() -> Html {
    icon(html! { <><path d="M12 15V4" /><path d="M7 9l5-5 5 5" /><path d="M5 20h14" /></> })
}

fn icon_image() -> Html {
    icon(
        html! { <><rect x="3" y="4" width="18" height="16" rx="2" /><circle cx="9" cy="10" r="2" /><path d="M21 16l-5-5-9 9" /></> },
    )
}

/// Reads the chosen file as text (`Err`: why it could not be read).
async fn read_file(file: &web_sys::File) -> Result<String, String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|e| format!("the file could not be read ({})", download::describe(e)))?;
    text.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}

/// Imports a run file, first loading the lesson it names if this visit has not yet.
async fn import(text: &str) -> Result<run_file::Imported, String> {
    if let Some(id) = run_file::lesson_id(text).filter(|id| lessons::pending(id)) {
        lessons::load(&id).await.map_err(|e| e.0)?;
    }
    run_file::import(text, lessons::find).map_err(|e| e.0)
}

/// What a snapshot shows: the lesson's diagram, or in compare mode every column's diagram
/// under the column's title.
fn panels() -> Vec<snapshot::Panel> {
    let document = gloo::utils::document();
    let all = |sel: &str| -> Vec<web_sys::Element> {
        let Ok(list) = document.query_selector_all(sel) else {
            return Vec::new();
        };
        (0..list.length())
            .filter_map(|i| list.item(i).and_then(|n| n.dyn_into().ok()))
            .collect()
    };
    let single = all("[data-testid=lesson-page] .stage .diagram-wrap");
    if !single.is_empty() {
        return single
            .into_iter()
            .map(|area| snapshot::Panel { area, label: None })
            .collect();
    }
    all("[data-testid=compare-view] .cmp-col")
        .into_iter()
        .filter_map(|col| {
            let area = col.query_selector(".cmp-diagram").ok().flatten()?;
            let label = col.query_selector(".cmp-title").ok().flatten();
            Some(snapshot::Panel { area, label })
        })
        .collect()
}

/// Export, import, SVG and PNG.
#[function_component(RunTools)]
pub fn run_tools(props: &RunToolsProps) -> Html {
    let pb = &props.playback;
    let lesson = pb.lesson.clone();
    let navigator = use_context::<Navigator>();
    let error = use_state(|| None::<String>);
    let file_input = use_node_ref();
    let comparing = pb.compare.is_some();

    let on_export = {
        let pb = pb.clone();
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            let sim = pb.sim();
            let ids = pb.compare_ids();
            let text = run_file::export(&RunRecord {
                lesson: &pb.lesson,
                params: sim.params(),
                seed: sim.seed(),
                inputs: sim.inputs(),
                t: sim.now(),
                compare: ids.as_deref(),
                sweep: pb.sweep.as_deref(),
                digest: sim.digest(),
            });
            let name = run_file::file_name(&pb.lesson.id, sim.now(), "json");
            let saved = download::text_blob(&text, "application/json")
                .and_then(|b| download::save(&b, &name));
            error.set(
                saved
                    .err()
                    .map(|e| format!("The run could not be exported: {e}")),
            );
        })
    };

    let on_pick = {
        let file_input = file_input.clone();
        Callback::from(move |_: MouseEvent| {
            if let Some(input) = file_input.cast::<HtmlInputElement>() {
                input.click();
            }
        })
    };
    let on_file = {
        let error = error.clone();
        Callback::from(move |e: Event| {
            let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
            else {
                return;
            };
            let Some(file) = input.files().and_then(|f| f.get(0)) else {
                return;
            };
            // Choosing the same file again must fire `change` again.
            input.set_value("");
            let name = file.name();
            let error = error.clone();
            let navigator = navigator.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let imported = match read_file(&file).await {
                    Ok(text) => import(&text).await,
                    Err(e) => Err(e),
                };
                match imported {
                    Ok(run) => {
                        error.set(None);
                        let title = if run.problems.is_empty() {
                            format!("Loaded the run from “{name}”: {}.", run.lesson.title)
                        } else {
                            format!(
                                    "Loaded the run from “{name}”: {}. Part of the file could not be used; the rest was applied:",
                                    run.lesson.title
                                )
                        };
                        let flash = Flash {
                            title,
                            problems: run.problems,
                        };
                        match &navigator {
                            Some(nav) => nav.go(run.hash, Some(flash)),
                            None => {
                                let _ = gloo::utils::window().location().set_hash(&run.hash);
                            }
                        }
                    }
                    Err(e) => error.set(Some(format!("“{name}” was not loaded: {e}."))),
                }
            });
        })
    };

    let snap = |png: bool| {
        let lesson = lesson.clone();
        let pb = pb.clone();
        let error = error.clone();
        Callback::from(move |_: MouseEvent| {
            let t = pb.now();
            let ext = if png { "png" } else { "svg" };
            let name = run_file::file_name(&lesson.id, t, ext);
            let title = format!("{} at {t}", lesson.title);
            let taken = snapshot::take(&panels(), &title);
            let snap = match taken {
                Ok(s) => s,
                Err(e) => return error.set(Some(format!("No snapshot: {e}."))),
            };
            if png {
                let error = error.clone();
                snapshot::to_png(
                    &snap,
                    Callback::from(move |blob: Result<web_sys::Blob, String>| {
                        let saved = blob.and_then(|b| download::save(&b, &name));
                        error.set(saved.err().map(|e| format!("No PNG: {e}.")));
                    }),
                );
            } else {
                let saved = download::text_blob(&snap.svg, "image/svg+xml")
                    .and_then(|b| download::save(&b, &name));
                error.set(saved.err().map(|e| format!("No SVG: {e}.")));
            }
        })
    };
    let snap_title = if comparing {
        "Save every column's diagram as it is now"
    } else {
        "Save the diagram as it is now"
    };
    let dismiss = {
        let error = error.clone();
        Callback::from(move |_: MouseEvent| error.set(None))
    };

    html! {
        <div class="run-tools" role="group" aria-label="Save and load">
            <div class="run-tools-group">
                <span class="run-tools-label">{ "Run file" }</span>
                <button type="button" class="text-button" data-testid="export-run" onclick={on_export}
                    title="Download this run (parameters, seed, interventions and time) as a JSON file">
                    { icon_download() }{ "Export" }
                </button>
                <button type="button" class="text-button" data-testid="import-run" onclick={on_pick}
                    title="Open a run file someone exported">
                    { icon_upload() }{ "Import…" }
                </button>
                <input type="file" class="visually-hidden" data-testid="import-file" ref={file_input}
                    accept=".json,application/json" tabindex="-1" aria-hidden="true" onchange={on_file} />
            </div>
            <div class="run-tools-group">
                <span class="run-tools-label">{ "Snapshot" }</span>
                <button type="button" class="text-button" data-testid="snapshot-svg" onclick={snap(false)}
                    title={snap_title}>
                    { icon_image() }{ "SVG" }
                </button>
                <button type="button" class="text-button" data-testid="snapshot-png" onclick={snap(true)}
                    title={snap_title}>
                    { icon_image() }{ "PNG" }
                </button>
            </div>
            if let Some(msg) = (*error).clone() {
                <p class="inline-alert run-tools-error" data-testid="run-tools-error" role="alert">
                    <span>{ msg }</span>
                    <button type="button" class="icon-button" aria-label="Dismiss" onclick={dismiss}>
                        { crate::components::icons::close() }
                    </button>
                </p>
            }
        </div>
    }
}
