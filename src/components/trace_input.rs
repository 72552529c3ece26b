//! "Your trace": the reader pastes keys or uploads a trace file, and the run's workload becomes
//! it. The bytes are attached by content hash (`sim::cache::attach`), kept in the browser's
//! storage so a reload finds them, and the run's `trace` parameter (so its link) carries only
//! `name~hash`. An oracleGeneral file is read only up to the request cap (a slice of the file,
//! however large it is). Storage I/O lives here, never in the model.

use sim::cache::attach::{self, TraceFile, TraceFormat};
use sim::params::ParamSet;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

fn storage() -> Option<web_sys::Storage> {
    gloo::utils::window().local_storage().ok().flatten()
}

/// Keeps `file` in the browser's storage (dropping older traces to make room); false when it
/// does not fit.
fn keep(file: &TraceFile) -> bool {
    let Some(s) = storage() else { return false };
    let key = attach::storage_key(file.hash());
    let text = attach::to_stored(file);
    if s.set_item(&key, &text).is_ok() {
        return true;
    }
    let n = s.length().unwrap_or(0);
    let old: Vec<String> = (0..n)
        .filter_map(|i| s.key(i).ok().flatten())
        .filter(|k| k.starts_with("sdp-trace:") && *k != key)
        .collect();
    for k in old {
        let _ = s.remove_item(&k);
    }
    s.set_item(&key, &text).is_ok()
}

/// Attaches the trace a run's `trace` parameter names from the browser's storage, if it is
/// kept there: called before a lesson's run starts, so a reload runs on the same trace.
pub fn restore(params: &ParamSet) {
    let Some(reference) = params.get(attach::TRACE_PARAM).map(|v| v.to_text()) else {
        return;
    };
    let Ok(r) = attach::TraceRef::parse(&reference) else {
        return;
    };
    if attach::is_attached(&reference) {
        return;
    }
    let stored = storage().and_then(|s| s.get_item(&attach::storage_key(r.hash)).ok().flatten());
    if let Some(file) = stored.as_deref().and_then(attach::from_stored) {
        let _ = attach::attach(&file);
    }
}

/// Reads bytes `[0, end)` of a file (`end` past its size: all of it).
async fn read(file: &web_sys::File, end: f64) -> Result<Vec<u8>, String> {
    let part = file
        .slice_with_f64_and_f64(0.0, end)
        .map_err(|_| "the file could not be read".to_string())?;
    let buf = JsFuture::from(part.array_buffer())
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    Ok(js_sys::Uint8Array::new(&buf).to_vec())
}

/// Reads an uploaded file: its first 4 KB decide the format, then the whole file is read, or an
/// oracleGeneral file's first [`attach::REQUEST_CAP`] records.
async fn load(file: web_sys::File) -> Result<TraceFile, String> {
    let name = file.name();
    let size = file.size();
    let head = read(&file, 4096.0).await?;
    let format = attach::detect(&name, &head);
    let end = match format {
        TraceFormat::OracleGeneral => attach::oracle_prefix_bytes(size as u64) as f64,
        _ => size,
    };
    let bytes = read(&file, end).await?;
    Ok(TraceFile::prefix(&name, format, bytes, size as u64))
}

/// Props of [`TraceInput`].
#[derive(Properties, PartialEq)]
pub struct TraceInputProps {
    /// The run's `trace` parameter (`name~hash`, or empty).
    pub current: AttrValue,
    /// `(name, text)` to set a parameter.
    pub on_set: Callback<(String, String)>,
}

/// The "Your trace" control: a text box for keys, a file picker and a status line.
#[function_component(TraceInput)]
pub fn trace_input(props: &TraceInputProps) -> Html {
    // (is an error, text): the last attempt's outcome.
    let status = use_state(|| None::<(bool, String)>);
    let text = use_node_ref();
    let apply = {
        let (status, on_set) = (status.clone(), props.on_set.clone());
        Callback::from(move |file: TraceFile| match attach::attach(&file) {
            Ok(a) => {
                let kept = if keep(&file) {
                    ""
                } else {
                    " It is too large to keep in this browser: after a reload, upload it again."
                };
                status.set(Some((
                    false,
                    format!(
                        "Using “{}” ({}): {}.{kept}",
                        file.name,
                        file.format.label(),
                        a.summary()
                    ),
                )));
                on_set.emit((attach::TRACE_PARAM.into(), a.reference.clone()));
                on_set.emit(("workload".into(), "trace".into()));
            }
            Err(e) => status.set(Some((true, format!("“{}” was not used: {e}.", file.name)))),
        })
    };
    let on_paste = {
        let (text, apply) = (text.clone(), apply.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(area) = text.cast::<HtmlTextAreaElement>() {
                let bytes = area.value().into_bytes();
                let format = attach::detect("pasted", &bytes);
                apply.emit(TraceFile::new("pasted", format, bytes));
            }
        })
    };
    let on_file = {
        let (apply, status) = (apply.clone(), status.clone());
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
            input.set_value("");
            let (apply, status) = (apply.clone(), status.clone());
            status.set(Some((false, format!("Reading “{}”…", file.name()))));
            wasm_bindgen_futures::spawn_local(async move {
                let name = file.name();
                match load(file).await {
                    Ok(f) => apply.emit(f),
                    Err(e) => status.set(Some((true, format!("“{name}” was not used: {e}.")))),
                }
            });
        })
    };
    // Without a fresh attempt, say what the run uses.
    let shown = (*status).clone().or_else(|| {
        (!props.current.is_empty()).then(|| match attach::lookup(&props.current) {
            Ok(a) => (false, format!("Trace {}: {}.", a.reference, a.summary())),
            Err(e) => (true, e.0),
        })
    });
    html! {
        <details class="trace-input" data-testid="trace-input">
            <summary>{ "Your trace" }</summary>
            <div class="trace-body">
            <label for="trace-text">{ "Keys, one per line (or CSV time,key[,size])" }</label>
            <textarea id="trace-text" ref={text} rows="3" data-testid="trace-text" spellcheck="false" />
            <button type="button" class="button button-secondary" onclick={on_paste} data-testid="trace-use">{ "Use these keys" }</button>
            <label for="trace-file">{ "Or a file: text, CSV or libCacheSim oracleGeneral (first 1,000,000 requests)" }</label>
            <input id="trace-file" type="file" onchange={on_file} data-testid="trace-file" />
            <p role="status" class={classes!(shown.as_ref().is_some_and(|s| s.0).then_some("trace-error"))}
                data-testid="trace-status">{ shown.map(|s| s.1).unwrap_or_default() }</p>
            </div>
        </details>
    }
}
