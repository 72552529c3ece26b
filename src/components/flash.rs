//! Navigating from inside a page with a message for the page that opens (a "flash"): an
//! imported run file opens its run as a shared link would, and the new page says what was
//! loaded and which fields of the file could not be used.

use crate::components::icons;
use std::rc::Rc;
use yew::prelude::*;

/// A message shown above the page a navigation opened, until dismissed or the next navigation.
#[derive(Clone, Debug, PartialEq)]
pub struct Flash {
    /// One line: what happened.
    pub title: String,
    /// What could not be used, one item each (none: a plain confirmation).
    pub problems: Vec<String>,
}

/// Goes to a URL hash as a new history entry and shows a flash on the page it opens, even when
/// the hash is the current one (the page is then rebuilt). Provided by the app shell.
#[derive(Clone, PartialEq)]
pub struct Navigator(pub Callback<(String, Option<Rc<Flash>>)>);

impl Navigator {
    /// Opens `hash` with `flash` above it.
    pub fn go(&self, hash: String, flash: Option<Flash>) {
        self.0.emit((hash, flash.map(Rc::new)));
    }
}

/// Props of [`FlashBanner`].
#[derive(Properties, PartialEq)]
pub struct FlashBannerProps {
    /// The message.
    pub flash: Rc<Flash>,
}

/// The flash: a confirmation, or a warning listing what could not be used.
#[function_component(FlashBanner)]
pub fn flash_banner(props: &FlashBannerProps) -> Html {
    let dismissed = use_state(|| false);
    if *dismissed {
        return html! {};
    }
    let f = &props.flash;
    let warn = !f.problems.is_empty();
    let onclick = {
        let dismissed = dismissed.clone();
        Callback::from(move |_: MouseEvent| dismissed.set(true))
    };
    html! {
        <div class={classes!("banner", "flash", (!warn).then_some("flash-ok"))} data-testid="flash"
            role={if warn { "alert" } else { "status" }}>
            <span class="banner-icon">{ if warn { icons::warning() } else { icons::check() } }</span>
            <div class="banner-body">
                <p class="banner-title" data-testid="flash-title">{ &f.title }</p>
                if warn {
                    <ul data-testid="flash-problems">
                        { for f.problems.iter().map(|p| html! { <li>{ p }</li> }) }
                    </ul>
                }
            </div>
            <button type="button" class="icon-button" data-testid="flash-dismiss" aria-label="Dismiss" {onclick}>
                { icons::close() }
            </button>
        </div>
    }
}
