//! System Design Playground: the web app.
//!
//! A yew app over the pure `sim` crate. Data flows one way: lesson file → scenario → sim →
//! frame and metrics → view; the view changes the run only through new inputs
//! ([`playback`]). Routing is by URL hash ([`route`]) so any static host works and the URL
//! carries the whole state. Diagrams draw sim frames ([`diagrams`]) with pure geometry from
//! [`layout`]; lesson prose and highlighted source are rendered at build time ([`content`]).
//! After one visit the app works offline ([`offline`]: service worker and single-file copies).
//! [`startup`] hands the page over from `index.html`'s static shell to the app. The app links no
//! model: every run happens in its family's simulation engine, a wasm a lesson page loads beside
//! the app ([`engine`]). [`sweep_runner`] runs a sweep in the background worker (`worker/`), or on
//! the page where none can start.

pub mod app;
pub mod components;
pub mod content;
pub mod diagrams;
pub mod engine;
pub mod layout;
pub mod lessons;
pub mod offline;
pub mod pages;
pub mod playback;
pub mod progress;
pub mod route;
pub mod run_file;
pub mod startup;
pub mod sweep_runner;

/// Installs the panic hook, then, once the page's stylesheets and the lesson the URL opens are in,
/// renders the app into `<body>` in place of the static shell.
pub fn run() {
    console_error_panic_hook::set_once();
    wasm_bindgen_futures::spawn_local(async {
        startup::styles_ready().await;
        startup::lesson_ready().await;
        // Mounting empties <body>: the static shell goes as the app renders.
        yew::Renderer::<app::App>::new().render();
        offline::register_service_worker();
    });
}
