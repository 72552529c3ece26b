//! The app shell: reads the route from the URL hash, provides app-wide preferences (theme,
//! reduced motion) and shows the page.

use crate::components::flash::{Flash, FlashBanner, Navigator};
use crate::components::header::SiteHeader;
use crate::components::lesson_gate::LessonGate;
use crate::components::offline::OfflineFooter;
use crate::components::prefs::{use_reduced_motion, use_theme, ReducedMotion};
use crate::components::progress::StorageNotice;
use crate::lessons;
use crate::pages::embed::{forced_theme, EmbedPage};
use crate::pages::home::HomePage;
use crate::pages::lesson::LessonPage;
use crate::pages::not_found::NotFoundPage;
use crate::route::{self, Parsed, Route};
use gloo::events::EventListener;
use std::rc::Rc;
use yew::prelude::*;

/// The current location's hash, parsed; and the lesson it opens if that is not loaded yet (the
/// route is then parsed again once it is).
fn current() -> (Parsed, Option<String>) {
    let hash = gloo::utils::window().location().hash().unwrap_or_default();
    let pending = route::lesson_id(&hash).filter(|id| lessons::pending(id));
    (route::parse(&hash, lessons::find), pending)
}

/// What the shell shows: the parsed route and a counter that changes on every navigation, so a
/// page is rebuilt when the user follows a link or edits the URL (but not when the app itself
/// rewrites the URL with `history.replaceState`).
#[derive(Clone, PartialEq)]
struct Nav {
    parsed: Rc<Parsed>,
    /// The lesson the route needs and that is still on its way.
    pending: Option<AttrValue>,
    count: u64,
    /// A message for the page this navigation opened (see [`Navigator`]).
    flash: Option<Rc<Flash>>,
}

/// The root component.
#[function_component(App)]
pub fn app() -> Html {
    let nav = use_state(|| {
        let (parsed, pending) = current();
        Nav {
            parsed: Rc::new(parsed),
            pending: pending.map(AttrValue::from),
            count: 0,
            flash: None,
        }
    });
    // Shared by the hashchange listener and the navigator, so every navigation gets a new key.
    let counter = use_mut_ref(|| 0u64);
    let reduced_motion = use_reduced_motion();
    let theme = use_theme(forced_theme(&nav.parsed.route));

    {
        let nav = nav.clone();
        let counter = counter.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new(&gloo::utils::window(), "hashchange", move |_| {
                *counter.borrow_mut() += 1;
                let (parsed, pending) = current();
                nav.set(Nav {
                    parsed: Rc::new(parsed),
                    pending: pending.map(AttrValue::from),
                    count: *counter.borrow(),
                    flash: None,
                });
                gloo::utils::window().scroll_to_with_x_and_y(0.0, 0.0);
            });
            move || drop(listener)
        });
    }

    let navigator = {
        let nav = nav.setter();
        let counter = counter.clone();
        Navigator(
            (*use_memo((), move |_| {
                Callback::from(move |(hash, flash): (String, Option<Rc<Flash>>)| {
                    let window = gloo::utils::window();
                    if let Ok(h) = window.history() {
                        let _ =
                            h.push_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&hash));
                    }
                    *counter.borrow_mut() += 1;
                    let (parsed, pending) = current();
                    nav.set(Nav {
                        parsed: Rc::new(parsed),
                        pending: pending.map(AttrValue::from),
                        count: *counter.borrow(),
                        flash,
                    });
                    window.scroll_to_with_x_and_y(0.0, 0.0);
                })
            }))
            .clone(),
        )
    };

    // The route opens a lesson that is still being fetched: wait for it, then parse the URL again
    // (its parameters are validated against the lesson) and keep any message for the page.
    let gate = nav.pending.clone().map(|id| {
        let key = format!("{}-{}", nav.count, id);
        let nav = nav.clone();
        let on_ready = Callback::from(move |()| {
            let (parsed, pending) = current();
            nav.set(Nav {
                parsed: Rc::new(parsed),
                pending: pending.map(AttrValue::from),
                count: nav.count,
                flash: nav.flash.clone(),
            });
        });
        html! { <LessonGate {key} {id} {on_ready} /> }
    });
    if let (Some(gate), Route::Embed(_)) = (gate.clone(), &nav.parsed.route) {
        return html! { <main class="embed-loading">{ gate }</main> };
    }

    let notices: Rc<[String]> = nav.parsed.notices.clone().into();
    let page = if let Some(gate) = gate {
        gate
    } else {
        match &nav.parsed.route {
            Route::Home { query } => html! {
                <HomePage key={nav.count.to_string()} query={AttrValue::from(query.clone())} notices={notices} />
            },
            Route::Lesson(r) => match lessons::find(&r.id) {
                Some(lesson) => html! {
                    <LessonPage key={nav.count.to_string()} lesson={lesson} route={r.clone()} notices={notices} />
                },
                None => {
                    html! { <NotFoundPage what={AttrValue::from(format!("lesson “{}”", r.id))} /> }
                }
            },
            Route::LessonNotFound { id } => html! {
                <NotFoundPage what={AttrValue::from(format!("lesson “{id}”"))} />
            },
            #[cfg(feature = "bench")]
            Route::Bench => html! { <crate::pages::bench::BenchPage /> },
            // The benchmark page is built only into benchmark builds (scripts/bench.sh).
            #[cfg(not(feature = "bench"))]
            Route::Bench => html! {
                <NotFoundPage what={AttrValue::from("benchmark page (it is in benchmark builds only: scripts/bench.sh)")} />
            },
            // An embed is the page on its own: no header, footer or skip link.
            Route::Embed(r) => {
                return html! {
                    <ContextProvider<ReducedMotion> context={ReducedMotion(reduced_motion)}>
                        <EmbedPage key={nav.count.to_string()} route={r.clone()} notices={notices} />
                    </ContextProvider<ReducedMotion>>
                }
            }
            Route::NotFound { path } => html! {
                <NotFoundPage what={AttrValue::from(format!("page “{path}”"))} />
            },
        }
    };

    html! {
        <ContextProvider<ReducedMotion> context={ReducedMotion(reduced_motion)}>
        <ContextProvider<Navigator> context={navigator}>
            <a class="skip-link" href="#main" onclick={Callback::from(|e: MouseEvent| {
                // The hash is the router's: move focus without navigating.
                e.prevent_default();
                if let Some(main) = gloo::utils::document().get_element_by_id("main") {
                    use wasm_bindgen::JsCast;
                    if let Ok(el) = main.dyn_into::<web_sys::HtmlElement>() {
                        let _ = el.focus();
                    }
                }
            })}>{ "Skip to content" }</a>
            <div class="app">
                <SiteHeader theme={theme.pref} on_cycle_theme={theme.cycle.clone()} />
                <main id="main" tabindex="-1">
                    <StorageNotice />
                    if let Some(flash) = nav.flash.clone() {
                        <FlashBanner key={nav.count.to_string()} {flash} />
                    }
                    { page }
                </main>
                <footer class="site-footer">
                    <p>
                        { "System Design Playground — every lesson is a real implementation driven by a seeded simulation. " }
                        { "Press " }<kbd>{ "?" }</kbd>{ " on a lesson for keyboard shortcuts." }
                    </p>
                    <OfflineFooter />
                </footer>
            </div>
        </ContextProvider<Navigator>>
        </ContextProvider<ReducedMotion>>
    }
}
