//! The site header: product name (a link home) and the theme toggle.

use crate::components::icons;
use crate::components::prefs::ThemePref;
use yew::prelude::*;

/// Props of [`SiteHeader`].
#[derive(Properties, PartialEq)]
pub struct SiteHeaderProps {
    /// The current theme preference.
    pub theme: ThemePref,
    /// Moves to the next preference.
    pub on_cycle_theme: Callback<()>,
}

/// The bar at the top of every page.
#[function_component(SiteHeader)]
pub fn site_header(props: &SiteHeaderProps) -> Html {
    let (icon, label) = match props.theme {
        ThemePref::Auto => (
            icons::theme_auto(),
            "Theme: automatic (follows your system). Switch to light",
        ),
        ThemePref::Light => (icons::sun(), "Theme: light. Switch to dark"),
        ThemePref::Dark => (icons::moon(), "Theme: dark. Switch to automatic"),
    };
    let onclick = props.on_cycle_theme.reform(|_: MouseEvent| ());
    html! {
        <header class="site-header">
            <a class="brand" href="#/" aria-label="System Design Playground, home">
                <img class="brand-mark" src={icons::brand_mark_src()} alt="" width="28" height="28" />
                <span class="brand-name">{ "System Design Playground" }</span>
            </a>
            <nav class="header-actions" aria-label="Site">
                <a class="header-link" href="#/">{ "Lessons" }</a>
                <button class="icon-button" data-testid="theme-toggle" type="button"
                    aria-label={label} title={label} data-theme-pref={props.theme.as_str()} {onclick}>
                    { icon }
                </button>
            </nav>
        </header>
    }
}
