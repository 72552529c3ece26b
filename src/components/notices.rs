//! The banner listing what was wrong with the URL (non-fatal, dismissible).

use crate::components::icons;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`UrlNotices`].
#[derive(Properties, PartialEq)]
pub struct UrlNoticesProps {
    /// One message per ignored field.
    pub notices: Rc<[String]>,
}

/// "Some of this link could not be used" and why.
#[function_component(UrlNotices)]
pub fn url_notices(props: &UrlNoticesProps) -> Html {
    let dismissed = use_state(|| false);
    if props.notices.is_empty() || *dismissed {
        return html! {};
    }
    let onclick = {
        let dismissed = dismissed.clone();
        Callback::from(move |_: MouseEvent| dismissed.set(true))
    };
    html! {
        <div class="banner banner-warning" data-testid="url-error" role="alert">
            <span class="banner-icon">{ icons::warning() }</span>
            <div class="banner-body">
                <p class="banner-title">{ "Part of this link could not be used; the rest was applied." }</p>
                <ul>
                    { for props.notices.iter().map(|n| html! { <li>{ n }</li> }) }
                </ul>
            </div>
            <button type="button" class="icon-button" data-testid="url-error-dismiss" aria-label="Dismiss" {onclick}>
                { icons::close() }
            </button>
        </div>
    }
}
