//! The friendly page for a link to nothing.

use yew::prelude::*;

/// Props of [`NotFoundPage`].
#[derive(Properties, PartialEq)]
pub struct NotFoundPageProps {
    /// What was asked for, in words (`lesson “foo”`).
    pub what: AttrValue,
}

/// "There is no such page" with a way home.
#[function_component(NotFoundPage)]
pub fn not_found_page(props: &NotFoundPageProps) -> Html {
    html! {
        <div class="not-found" data-testid="not-found">
            <div class="not-found-ring" aria-hidden="true">
                <img src={crate::components::icons::brand_mark_src()} alt="" width="96" height="96" />
            </div>
            <h1>{ "Nothing lives at this spot on the ring" }</h1>
            <p class="lead">{ format!("There is no {}. It may have been renamed, or the link was cut short.", props.what) }</p>
            <a class="button button-primary" href="#/" data-testid="home-link">{ "Browse all lessons" }</a>
        </div>
    }
}
