//! App-wide preferences: the colour theme (auto → light → dark, kept in localStorage) and the
//! operating system's reduced-motion setting (shared with diagrams through a context).

use gloo::events::EventListener;
use yew::prelude::*;

/// The localStorage key of the theme preference.
pub const THEME_KEY: &str = "sdp.theme";

/// Whether the user asked the system for reduced motion. Provided by the app as a context.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ReducedMotion(pub bool);

/// The stored theme (a JSON string, as `index.html` reads it before the first paint); `None` when
/// absent, corrupt, or when storage cannot be used at all (blocked, private mode), which must
/// not break the page.
fn stored_theme() -> Option<ThemePref> {
    let storage = gloo::utils::window().local_storage().ok().flatten()?;
    let text = storage.get_item(THEME_KEY).ok().flatten()?;
    ThemePref::parse(&serde_json::from_str::<String>(&text).ok()?)
}

fn store_theme(pref: ThemePref) {
    if let Some(storage) = gloo::utils::window().local_storage().ok().flatten() {
        let _ = storage.set_item(THEME_KEY, &serde_json::json!(pref.as_str()).to_string());
    }
}

/// The theme the user picked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ThemePref {
    /// Follow `prefers-color-scheme`.
    #[default]
    Auto,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemePref {
    /// As stored.
    pub fn as_str(self) -> &'static str {
        match self {
            ThemePref::Auto => "auto",
            ThemePref::Light => "light",
            ThemePref::Dark => "dark",
        }
    }
    /// From storage; anything unknown is `None`.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auto" => Some(ThemePref::Auto),
            "light" => Some(ThemePref::Light),
            "dark" => Some(ThemePref::Dark),
            _ => None,
        }
    }
    /// The next preference of the toggle.
    pub fn next(self) -> Self {
        match self {
            ThemePref::Auto => ThemePref::Light,
            ThemePref::Light => ThemePref::Dark,
            ThemePref::Dark => ThemePref::Auto,
        }
    }
}

fn media_matches(query: &str) -> bool {
    gloo::utils::window()
        .match_media(query)
        .ok()
        .flatten()
        .is_some_and(|m| m.matches())
}

fn apply_theme(pref: ThemePref) {
    let dark = match pref {
        ThemePref::Auto => media_matches("(prefers-color-scheme: dark)"),
        ThemePref::Light => false,
        ThemePref::Dark => true,
    };
    if let Some(root) = gloo::utils::document().document_element() {
        let _ = root.set_attribute("data-theme", if dark { "dark" } else { "light" });
        let _ = root.set_attribute("data-theme-pref", pref.as_str());
    }
}

/// Calls `on_change` whenever the media query's result changes; the listener lives as long as the
/// returned guard.
fn watch_media(query: &str, on_change: impl Fn(bool) + 'static) -> Option<EventListener> {
    let mql = gloo::utils::window().match_media(query).ok().flatten()?;
    let target = mql.clone();
    Some(EventListener::new(&mql, "change", move |_| {
        on_change(target.matches())
    }))
}

/// The theme preference and a callback that cycles it.
pub struct ThemeHandle {
    /// The current preference.
    pub pref: ThemePref,
    /// Auto → light → dark → auto.
    pub cycle: Callback<()>,
}

/// Reads the stored theme (a corrupt value is ignored), applies it as `data-theme` on `<html>`,
/// follows the system while on auto, and stores every change. `forced` (an embed's `theme=`)
/// is applied instead of the stored preference, without storing it.
#[hook]
pub fn use_theme(forced: Option<ThemePref>) -> ThemeHandle {
    let pref = use_state(|| stored_theme().unwrap_or_default());
    use_effect_with(forced.unwrap_or(*pref), |pref| {
        let pref = *pref;
        apply_theme(pref);
        let guard = (pref == ThemePref::Auto)
            .then(|| {
                watch_media("(prefers-color-scheme: dark)", move |_| {
                    apply_theme(ThemePref::Auto)
                })
            })
            .flatten();
        move || drop(guard)
    });
    let cycle = {
        let pref = pref.clone();
        Callback::from(move |()| {
            let next = pref.next();
            store_theme(next);
            pref.set(next);
        })
    };
    ThemeHandle { pref: *pref, cycle }
}

/// `prefers-reduced-motion: reduce`, kept up to date.
#[hook]
pub fn use_reduced_motion() -> bool {
    let reduced = use_state(|| media_matches("(prefers-reduced-motion: reduce)"));
    {
        let reduced = reduced.clone();
        use_effect_with((), move |_| {
            let guard = watch_media("(prefers-reduced-motion: reduce)", move |m| reduced.set(m));
            move || drop(guard)
        });
    }
    *reduced
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn theme_cycles_auto_light_dark() {
        assert_eq!(ThemePref::Auto.next(), ThemePref::Light);
        assert_eq!(ThemePref::Light.next(), ThemePref::Dark);
        assert_eq!(ThemePref::Dark.next(), ThemePref::Auto);
    }

    #[test]
    fn stored_values_round_trip_and_junk_is_ignored() {
        for p in [ThemePref::Auto, ThemePref::Light, ThemePref::Dark] {
            assert_eq!(ThemePref::parse(p.as_str()), Some(p));
        }
        assert_eq!(ThemePref::parse("purple"), None);
    }
}
