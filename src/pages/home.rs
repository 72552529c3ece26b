//! The home page: the lesson list, grouped by family, with a search box.

use crate::components::icons;
use crate::components::notices::UrlNotices;
use crate::lessons;
use crate::route;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`HomePage`].
#[derive(Properties, PartialEq)]
pub struct HomePageProps {
    /// The search text from the URL.
    pub query: AttrValue,
    /// What was wrong with the URL.
    pub notices: Rc<[String]>,
}

fn replace_hash(hash: &str) {
    let history = gloo::utils::window().history();
    if let Ok(h) = history {
        let _ = h.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(hash));
    }
}

/// The lesson catalogue.
#[function_component(HomePage)]
pub fn home_page(props: &HomePageProps) -> Html {
    let query = use_state(|| props.query.to_string());
    let oninput = {
        let query = query.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let q = input.value();
            replace_hash(&route::home_hash(q.trim()));
            query.set(q);
        })
    };
    let groups = lessons::grouped(&query);
    let total = lessons::all().len();
    let shown: usize = groups.iter().map(|(_, ls)| ls.len()).sum();

    html! {
        <div class="home">
            <UrlNotices notices={props.notices.clone()} />
            <section class="hero">
                <p class="eyebrow">{ "Interactive system design" }</p>
                <h1 class="hero-title">{ "Run the mechanisms interviews talk about." }</h1>
                <p class="lead">
                    { "Each lesson is a real implementation driven by a seeded simulation: change a parameter, crash a server, \
                       scrub the timeline, and watch the numbers move. Every moment has a link you can share." }
                </p>
                <div class="search">
                    <span class="search-icon" aria-hidden="true">{ icons::search() }</span>
                    <label class="visually-hidden" for="lesson-search">{ "Search lessons" }</label>
                    <input id="lesson-search" type="search" data-testid="lesson-search" placeholder="Search lessons — try “ring” or “vnodes”"
                        value={(*query).clone()} {oninput} autocomplete="off" spellcheck="false" />
                    <span class="search-count muted" aria-live="polite">
                        { if query.trim().is_empty() { crate::layout::format::count(total as u64, "lesson", "lessons") } else { format!("{shown} of {total}") } }
                    </span>
                </div>
            </section>
            <div class="lesson-list" data-testid="lesson-list">
                { for groups.iter().map(|(family, ls)| html! {
                    <section class="family" aria-labelledby={format!("family-{}", family.id)} data-testid={format!("family-{}", family.id)}>
                        <div class="family-head">
                            <h2 id={format!("family-{}", family.id)}>{ family.title }</h2>
                            <p class="muted">{ family.blurb }</p>
                        </div>
                        <ul class="cards">
                            { for ls.iter().map(|l| html! { <li><LessonCard lesson={*l} /></li> }) }
                        </ul>
                    </section>
                }) }
                if groups.is_empty() {
                    <div class="empty-state" data-testid="no-results">
                        <p><strong>{ format!("No lesson matches “{}”.", query.trim()) }</strong></p>
                        <p class="muted">{ "Try a mechanism (“hash”, “ring”) or a system (“dynamo”, “cassandra”)." }</p>
                    </div>
                }
            </div>
        </div>
    }
}

/// Props of [`LessonCard`].
#[derive(Properties, PartialEq)]
pub struct LessonCardProps {
    /// The lesson.
    pub lesson: &'static catalog::Entry,
}

/// A card linking to a lesson.
#[function_component(LessonCard)]
pub fn lesson_card(props: &LessonCardProps) -> Html {
    let l = &props.lesson;
    html! {
        <a class="lesson-card card" href={format!("#/lesson/{}", l.id)} data-testid={format!("lesson-card-{}", l.id)}>
            <span class="lesson-card-art" aria-hidden="true">
                <img src={icons::brand_mark_src()} alt="" width="40" height="40" />
            </span>
            <span class="lesson-card-body">
                <span class="lesson-card-title">{ &l.title }</span>
                <span class="lesson-card-summary">{ &l.summary }</span>
                <span class="tags">
                    { for l.tags.iter().take(5).map(|t| html! { <span class="tag">{ t }</span> }) }
                </span>
                <crate::components::progress::ProgressBadges lesson={*l} />
            </span>
            <span class="lesson-card-go" aria-hidden="true">{ icons::arrow_right() }</span>
        </a>
    }
}
