//! The keyboard shortcuts: the dialog that lists them (`?`), and the hook that handles them.

use crate::components::icons;
use crate::playback::PlaybackAction;
use gloo::events::{EventListener, EventListenerOptions};
use wasm_bindgen::JsCast;
use web_sys::{Element, KeyboardEvent};
use yew::prelude::*;

/// Every shortcut: `(keys, what it does)`.
pub const SHORTCUTS: &[(&str, &str)] = &[
    ("Space", "Play or pause"),
    ("←", "Step back to before the last event"),
    ("→", "Step forward to the next event"),
    ("R", "Restart from time zero"),
    ("N", "Next guided step (loads its setup)"),
    ("P", "Previous guided step"),
    (
        "T",
        "Try the current step: play it to just after its key event",
    ),
    ("?", "Show this list"),
    ("Esc", "Close this list"),
];

/// What a key press on the page means.
#[derive(Clone, Debug, PartialEq)]
pub enum Shortcut {
    /// A playback action.
    Playback(PlaybackAction),
    /// A move between guided steps (the lesson page's, not an embed's).
    Step(PlaybackAction),
    /// Open the shortcuts dialog.
    Help,
    /// Close dialogs.
    Close,
}

/// Maps a key (as `KeyboardEvent.key` names it) to a shortcut.
pub fn shortcut_for(key: &str) -> Option<Shortcut> {
    Some(match key {
        " " | "Spacebar" => Shortcut::Playback(PlaybackAction::TogglePlay),
        "ArrowLeft" => Shortcut::Playback(PlaybackAction::StepBack),
        "ArrowRight" => Shortcut::Playback(PlaybackAction::StepForward),
        "r" | "R" => Shortcut::Playback(PlaybackAction::Restart),
        "n" | "N" => Shortcut::Step(PlaybackAction::NextStep),
        "p" | "P" => Shortcut::Step(PlaybackAction::PrevStep),
        "t" | "T" => Shortcut::Step(PlaybackAction::TryStep),
        "?" => Shortcut::Help,
        "Escape" => Shortcut::Close,
        _ => return None,
    })
}

/// True when the key belongs to the focused control (typing, a slider, a button's own Space,
/// arrows inside a group that moves with them, such as the step dots or a tab list).
fn owned_by_control(target: Option<Element>, key: &str) -> bool {
    let Some(el) = target else { return false };
    let arrow = key.starts_with("Arrow");
    if arrow
        && el
            .closest("[data-arrow-keys], [role=tablist], [role=radiogroup], [role=slider]")
            .ok()
            .flatten()
            .is_some()
    {
        return true;
    }
    let tag = el.tag_name().to_ascii_lowercase();
    match tag.as_str() {
        "input" | "textarea" | "select" => true,
        "button" | "a" | "summary" => key == " " || key == "Enter",
        _ => el.closest("[contenteditable]").ok().flatten().is_some(),
    }
}

/// Listens for the page's shortcuts while the component is mounted.
#[hook]
pub fn use_shortcuts(on_shortcut: Callback<Shortcut>) {
    use_effect_with((), move |_| {
        let options = EventListenerOptions::enable_prevent_default();
        let listener = EventListener::new_with_options(
            &gloo::utils::document(),
            "keydown",
            options,
            move |e| {
                let Some(e) = e.dyn_ref::<KeyboardEvent>() else {
                    return;
                };
                if e.ctrl_key() || e.meta_key() || e.alt_key() || e.default_prevented() {
                    return;
                }
                let key = e.key();
                let target = e.target().and_then(|t| t.dyn_into::<Element>().ok());
                let Some(shortcut) = shortcut_for(&key) else {
                    return;
                };
                if shortcut != Shortcut::Close && owned_by_control(target, &key) {
                    return;
                }
                e.prevent_default();
                on_shortcut.emit(shortcut);
            },
        );
        move || drop(listener)
    });
}

/// Props of [`ShortcutsDialog`].
#[derive(Properties, PartialEq)]
pub struct ShortcutsDialogProps {
    /// Closes the dialog.
    pub on_close: Callback<()>,
}

/// The list of shortcuts, as a modal dialog.
#[function_component(ShortcutsDialog)]
pub fn shortcuts_dialog(props: &ShortcutsDialogProps) -> Html {
    let close_ref = use_node_ref();
    {
        let close_ref = close_ref.clone();
        use_effect_with((), move |_| {
            let previous = gloo::utils::document().active_element();
            if let Some(b) = close_ref.cast::<web_sys::HtmlElement>() {
                let _ = b.focus();
            }
            move || {
                if let Some(el) = previous.and_then(|p| p.dyn_into::<web_sys::HtmlElement>().ok()) {
                    let _ = el.focus();
                }
            }
        });
    }
    let on_backdrop = props.on_close.reform(|_: MouseEvent| ());
    let stop = Callback::from(|e: MouseEvent| e.stop_propagation());
    html! {
        <div class="dialog-backdrop" onclick={on_backdrop}>
            <div class="dialog card" role="dialog" aria-modal="true" aria-labelledby="shortcuts-title"
                data-testid="shortcuts-dialog" onclick={stop}>
                <div class="dialog-head">
                    <h2 id="shortcuts-title">{ "Keyboard shortcuts" }</h2>
                    <button type="button" class="icon-button" aria-label="Close (Esc)" ref={close_ref}
                        data-testid="shortcuts-close" onclick={props.on_close.reform(|_: MouseEvent| ())}>
                        { icons::close() }
                    </button>
                </div>
                <table class="shortcuts">
                    <tbody>
                        { for SHORTCUTS.iter().map(|(k, what)| html! {
                            <tr><td><kbd>{ *k }</kbd></td><td>{ *what }</td></tr>
                        }) }
                    </tbody>
                </table>
                <p class="muted">{ "Shortcuts work anywhere on the lesson page except while typing in a field. Tab moves through every control." }</p>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_shortcuts() {
        assert_eq!(
            shortcut_for(" "),
            Some(Shortcut::Playback(PlaybackAction::TogglePlay))
        );
        assert_eq!(
            shortcut_for("ArrowLeft"),
            Some(Shortcut::Playback(PlaybackAction::StepBack))
        );
        assert_eq!(shortcut_for("?"), Some(Shortcut::Help));
        assert_eq!(
            shortcut_for("n"),
            Some(Shortcut::Step(PlaybackAction::NextStep))
        );
        assert_eq!(
            shortcut_for("P"),
            Some(Shortcut::Step(PlaybackAction::PrevStep))
        );
        assert_eq!(shortcut_for("x"), None);
    }
}
