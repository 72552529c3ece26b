//! `sdp-content`: writes the compiled lesson files into a build of the app.
//!
//! ```text
//! sdp-content <DIR>            writes DIR/content/*.json, DIR/code/*.html and DIR/content/index.json
//! sdp-content --list           prints every file's path, one per line
//! ```
//!
//! The app's wasm names these files (the registry is compiled into it); the trunk hook
//! (`scripts/offline/build.mjs`) runs this after trunk has built the app so the names it asks
//! for exist. `content/index.json` is the same registry for scripts: every family and lesson,
//! with each lesson's JSON file.

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [flag] if flag == "--list" => {
            for (href, _) in catalog::FILES {
                println!("{href}");
            }
            ExitCode::SUCCESS
        }
        [dir] if !dir.starts_with('-') => match write(&PathBuf::from(dir)) {
            Ok(n) => {
                println!("sdp-content: wrote {n} files into {dir}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sdp-content: {e}");
                ExitCode::FAILURE
            }
        },
        _ => {
            eprintln!("usage: sdp-content <DIR> | sdp-content --list");
            ExitCode::from(2)
        }
    }
}

fn write(dir: &std::path::Path) -> Result<usize, String> {
    for (href, bytes) in catalog::FILES {
        let path = dir.join(href);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        std::fs::write(&path, bytes)
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    }
    let index = dir.join("content").join("index.json");
    std::fs::create_dir_all(index.parent().expect("content/"))
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    std::fs::write(&index, index_json())
        .map_err(|e| format!("cannot write {}: {e}", index.display()))?;
    Ok(catalog::FILES.len() + 1)
}

/// The registry as JSON, for the build's scripts.
fn index_json() -> String {
    use serde_json::json;
    let families: Vec<_> = catalog::FAMILIES
        .iter()
        .map(|f| json!({ "id": f.id, "title": f.title, "blurb": f.blurb }))
        .collect();
    let lessons: Vec<_> = catalog::LESSONS
        .iter()
        .map(|l| {
            json!({
                "id": l.id, "title": l.title, "family": l.family, "model": l.model,
                "content": l.content, "source": l.source,
            })
        })
        .collect();
    let files: Vec<&str> = catalog::FILES.iter().map(|(h, _)| *h).collect();
    serde_json::to_string_pretty(
        &json!({ "families": families, "lessons": lessons, "files": files }),
    )
    .expect("plain JSON")
}
