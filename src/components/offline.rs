//! Offline use in the page: the footer's download and status ("Saved for offline use"), the
//! notice when a new version has taken over, and a lesson's own download.

use crate::components::icons;
use crate::offline;
use gloo::events::EventListener;
use yew::prelude::*;

/// Where this copy of the app stands on working without a network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OfflineState {
    /// No service worker here (an old browser, a non-secure origin, a debug build).
    Unavailable,
    /// The service worker is installing: the build is being saved.
    Saving,
    /// A service worker controls the page: the build is in its cache.
    Ready,
    /// A new deployment's service worker replaced the one this page started with.
    Updated,
    /// The service worker failed to install: nothing was saved on this visit.
    Failed,
    /// A single-file copy, made from this build version.
    SingleFile(String),
}

impl OfflineState {
    /// The `data-state` attribute (what tests and styles key on).
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unavailable => "unavailable",
            Self::Saving => "saving",
            Self::Ready => "ready",
            Self::Updated => "updated",
            Self::Failed => "failed",
            Self::SingleFile(_) => "single-file",
        }
    }

    /// The footer's words for it.
    pub fn text(&self) -> String {
        match self {
            Self::Unavailable => String::new(),
            Self::Saving => "Saving the app for offline use…".into(),
            Self::Ready | Self::Updated => {
                "Saved for offline use: this app now opens without a network.".into()
            }
            Self::Failed => {
                "Could not save the app for offline use on this visit; the next visit tries again."
                    .into()
            }
            Self::SingleFile(built) if built.is_empty() => {
                "Offline copy: this one file holds the whole app.".into()
            }
            Self::SingleFile(built) => {
                format!("Offline copy (build {built}): this one file holds the whole app.")
            }
        }
    }

    /// The next state when the controlling service worker changes: the first controller means
    /// the build was saved; a controller replacing another means a new version took over.
    pub fn on_controller_change(&self, had_controller: bool) -> Self {
        match self {
            Self::SingleFile(_) | Self::Unavailable => self.clone(),
            _ if had_controller => Self::Updated,
            _ => Self::Ready,
        }
    }
}

/// The state at page load.
fn initial_state() -> OfflineState {
    if let Some(single) = offline::single_file() {
        return OfflineState::SingleFile(single.built);
    }
    if cfg!(debug_assertions) {
        return OfflineState::Unavailable;
    }
    match offline::service_worker_container() {
        None => OfflineState::Unavailable,
        Some(c) if c.controller().is_some() => OfflineState::Ready,
        Some(_) => OfflineState::Saving,
    }
}

/// A "Download … for offline use" button and the note beside it. No Rust handles the click:
/// index.html's download script does (it loads `www/single-file.js`, which makes the single file
/// in the browser, only then), and writes how it went into the note (`data-state`: busy, done,
/// failed). `lesson`: the lesson to put in the file; `None` for the whole app.
fn download_button(
    lesson: Option<&str>,
    label: &'static str,
    testid: &'static str,
    note: &'static str,
) -> Html {
    html! {
        <span class="offline-download">
            <button type="button" class="offline-link" data-testid={testid}
                data-sdp-download={lesson.unwrap_or_default().to_string()}
                title="One HTML file with the app inside, at this state: open it from disk, no network needed">
                { icons::download() }
                <span>{ label }</span>
            </button>
            <span class="offline-note" data-sdp-download-note="" data-testid={note} role="status"></span>
        </span>
    }
}

/// The footer line: "Download for offline use" and the offline status.
#[function_component(OfflineFooter)]
pub fn offline_footer() -> Html {
    let state = use_state(initial_state);
    {
        let state = state.clone();
        use_effect_with((), move |_| {
            let listeners = offline::service_worker_container().map(|container| {
                let controlled = container.controller().is_some();
                // A worker may have taken over while the page was rendering.
                if controlled && *state == OfflineState::Saving {
                    state.set(OfflineState::Ready);
                }
                let had = std::rc::Rc::new(std::cell::Cell::new(controlled));
                let changed = {
                    let (state, had) = (state.clone(), had.clone());
                    EventListener::new(&container, "controllerchange", move |_| {
                        state.set(state.on_controller_change(had.get()));
                        had.set(true);
                    })
                };
                // A page already served by a worker keeps that one: still saved.
                let fail = move || {
                    if !had.get() {
                        state.set(OfflineState::Failed);
                    }
                };
                // The install may have failed before this page had rendered: check, then listen.
                if offline::install_failed() {
                    fail();
                }
                let failed = EventListener::new(
                    &gloo::utils::window(),
                    offline::INSTALL_FAILED_EVENT,
                    move |_| fail(),
                );
                (changed, failed)
            });
            move || drop(listeners)
        });
    }
    let can_download = use_memo((), |_| offline::can_download(None));
    html! {
        <>
            <p class="offline-footer" data-testid="offline-footer">
                if *can_download {
                    { download_button(None, "Download the whole app for offline use", "offline-download", "offline-download-note") }
                }
                if *state != OfflineState::Unavailable {
                    <span class="offline-status" data-testid="offline-status" data-state={state.as_str()}>
                        <span class="offline-dot" aria-hidden="true"></span>
                        { state.text() }
                    </span>
                }
            </p>
            if *state == OfflineState::Updated {
                <UpdateNotice />
            }
        </>
    }
}

/// "A new version is ready": reload, or keep working in this one.
#[function_component(UpdateNotice)]
fn update_notice() -> Html {
    let dismissed = use_state(|| false);
    if *dismissed {
        return html! {};
    }
    let reload = Callback::from(|_: MouseEvent| {
        let _ = gloo::utils::window().location().reload();
    });
    let dismiss = Callback::from(move |_: MouseEvent| dismissed.set(true));
    html! {
        <div class="update-toast" role="status" data-testid="offline-updated">
            <p>{ "A new version of the playground is ready and saved for offline use. Reload to switch to it: your place in the lesson is kept." }</p>
            <div class="update-toast-actions">
                <button type="button" class="button button-primary" data-testid="offline-reload" onclick={reload}>{ "Reload" }</button>
                <button type="button" class="button button-secondary" onclick={dismiss}>{ "Later" }</button>
            </div>
        </div>
    }
}

/// Props of [`LessonDownload`].
#[derive(Properties, PartialEq)]
pub struct LessonDownloadProps {
    /// The lesson whose single file to offer.
    pub lesson_id: AttrValue,
}

/// A lesson's own single file ("Download this lesson for offline use"), at the state on screen;
/// offered in a single file too when it holds this lesson.
#[function_component(LessonDownload)]
pub fn lesson_download(props: &LessonDownloadProps) -> Html {
    let offered = use_memo(props.lesson_id.clone(), |id| {
        offline::can_download(Some(id))
    });
    if !*offered {
        return html! {};
    }
    html! {
        <div class="offline-link-lesson">
            { download_button(Some(&props.lesson_id), "Download this lesson for offline use",
                "offline-download-lesson", "offline-download-lesson-note") }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_controller_means_saved() {
        assert_eq!(
            OfflineState::Saving.on_controller_change(false),
            OfflineState::Ready
        );
    }

    #[test]
    fn a_controller_replacing_another_means_a_new_version() {
        assert_eq!(
            OfflineState::Ready.on_controller_change(true),
            OfflineState::Updated
        );
        assert_eq!(
            OfflineState::Saving.on_controller_change(true),
            OfflineState::Updated
        );
    }

    #[test]
    fn a_single_file_never_changes_state() {
        let s = OfflineState::SingleFile("abc".into());
        assert_eq!(s.on_controller_change(true), s);
    }

    #[test]
    fn single_file_text_names_its_build() {
        assert_eq!(
            OfflineState::SingleFile("0123abcd".into()).text(),
            "Offline copy (build 0123abcd): this one file holds the whole app."
        );
    }
}
