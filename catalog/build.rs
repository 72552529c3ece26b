//! Compiles `lessons/` with `lessonc`: a lesson file that does not parse or does not fit its model
//! fails the build here, naming the file and line. Writes `$OUT_DIR/registry.rs` (included by
//! `src/lib.rs`) and every published file under `$OUT_DIR/files/`.
//!
//! `SDP_LESSONS_DIR` compiles another lessons folder instead (the benchmark that measures what
//! one more lesson adds builds with a copy holding one more).

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=SDP_LESSONS_DIR");
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("the crate sits in the repository")
        .to_path_buf();
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("OUT_DIR"));
    let lessons = std::env::var_os("SDP_LESSONS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("lessons"));
    let compiled = match lessonc::compile_dir(&lessons, &root.join("sim").join("src"), &root) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("error: {e}");
            }
            eprintln!(
                "error: {} problem(s) in the lesson files; the build stops here",
                errors.0.len()
            );
            std::process::exit(1);
        }
    };
    for input in &compiled.inputs {
        println!("cargo:rerun-if-changed={}", input.display());
    }
    let files = out.join("files");
    let _ = std::fs::remove_dir_all(&files);
    for (href, bytes) in &compiled.files {
        let path = files.join(href);
        std::fs::create_dir_all(path.parent().expect("a file in a folder"))
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        std::fs::write(&path, bytes)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }
    let registry = out.join("registry.rs");
    std::fs::write(
        &registry,
        lessonc::emit::registry_source(&compiled, "files"),
    )
    .unwrap_or_else(|e| panic!("cannot write {}: {e}", registry.display()));
}
