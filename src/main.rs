//! The browser entry point; everything lives in the library so tests can reach it.

fn main() {
    playground::run();
}
