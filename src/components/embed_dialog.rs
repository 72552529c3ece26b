//! The lesson page's "Embed" button and its dialog: pick the embed's options, watch a live
//! preview, and copy the HTML snippet (an iframe of `#/embed/…` at the page's current run, and
//! the `embed.js` script that sizes it).
//!
//! The dialog starts from the share URL of the moment it was opened; everything else is the
//! options. The preview is the real embed in an iframe, sized by the same height messages a host
//! page gets ([`crate::components::embed_height`]).

use crate::components::embed_height::{message_type, HEIGHT_MESSAGE};
use crate::components::icons;
use crate::components::select_sync::use_select_value;
use crate::components::share::copy_to_clipboard;
use crate::lessons;
use crate::playback::SPEEDS;
use crate::route::embed::{embed_hash, fmt_speed, Controls, EmbedOptions, EmbedTheme, LoopRange};
use crate::route::{self, fmt_ms, LessonRoute, Route};
use gloo::events::EventListener;
use gloo::timers::callback::Timeout;
use js_sys::{Object, Reflect};
use sim::lesson::Lesson;
use sim::time::SimTime;
use std::rc::Rc;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{
    HtmlIFrameElement, HtmlInputElement, HtmlSelectElement, KeyboardEvent, MessageEvent,
};
use yew::prelude::*;

/// The height written into the snippet before the preview has reported one.
const DEFAULT_HEIGHT: u32 = 480;

/// `file` next to the page at `page_url` (its hash and query dropped): where `embed.js` is.
pub fn sibling_url(page_url: &str, file: &str) -> String {
    let url = page_url.split('#').next().unwrap_or_default();
    let url = url.split('?').next().unwrap_or_default();
    match url.rfind('/') {
        Some(i) => format!("{}{file}", &url[..=i]),
        None => file.to_string(),
    }
}

/// Escapes text for an HTML attribute value in double quotes.
fn attr(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The HTML a host page pastes: the iframe, then the script that resizes it.
pub fn snippet(src: &str, script_src: &str, title: &str, height: u32) -> String {
    format!(
        "<iframe src=\"{}\" title=\"{}\" data-sdp-embed width=\"100%\" height=\"{height}\" \
         style=\"border:0;width:100%;max-width:100%\" loading=\"lazy\"></iframe>\n\
         <script src=\"{}\" async></script>",
        attr(src),
        attr(title),
        attr(script_src)
    )
}

/// ‹/›: embed code.
fn code_icon() -> Html {
    html! {
        <svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false"
            fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">
            <path d="M8 7l-5 5 5 5M16 7l5 5-5 5M13.5 4l-3 16" />
        </svg>
    }
}

/// Props of [`EmbedButton`].
#[derive(Properties, PartialEq)]
pub struct EmbedButtonProps {
    /// The full share URL of the page's current moment.
    pub share_url: AttrValue,
}

/// "Embed": opens the dialog on the moment shown when it is clicked.
#[function_component(EmbedButton)]
pub fn embed_button(props: &EmbedButtonProps) -> Html {
    let open = use_state(|| None::<AttrValue>);
    let onclick = {
        let open = open.clone();
        let url = props.share_url.clone();
        Callback::from(move |_: MouseEvent| open.set(Some(url.clone())))
    };
    let on_close = {
        let open = open.clone();
        Callback::from(move |()| open.set(None))
    };
    html! {
        <>
            <button type="button" class="button button-secondary" data-testid="embed-button" {onclick}
                title="Put this moment of this run on your own page">
                { code_icon() }<span>{ "Embed" }</span>
            </button>
            if let Some(url) = (*open).clone() {
                <EmbedDialog share_url={url} {on_close} />
            }
        </>
    }
}

/// Props of [`EmbedDialog`].
#[derive(Properties, PartialEq)]
pub struct EmbedDialogProps {
    /// The share URL the embed starts from.
    pub share_url: AttrValue,
    /// Closes the dialog.
    pub on_close: Callback<()>,
}

/// The run a share URL describes.
fn run_of(share_url: &str) -> Option<(Rc<Lesson>, Rc<LessonRoute>)> {
    let hash = share_url.find('#').map(|i| &share_url[i..])?;
    match route::parse(hash, lessons::find).route {
        Route::Lesson(r) => Some((lessons::find(&r.id)?, r)),
        _ => None,
    }
}

/// The options, the preview and the snippet.
#[function_component(EmbedDialog)]
pub fn embed_dialog(props: &EmbedDialogProps) -> Html {
    let run = use_memo(props.share_url.clone(), |u| run_of(u));
    match &*run {
        Some((lesson, route)) => html! {
            <EmbedForm lesson={lesson.clone()} route={route.clone()} share_url={props.share_url.clone()}
                on_close={props.on_close.clone()} />
        },
        None => html! {},
    }
}

#[derive(Properties)]
struct EmbedFormProps {
    lesson: Rc<Lesson>,
    route: Rc<LessonRoute>,
    share_url: AttrValue,
    on_close: Callback<()>,
}

impl PartialEq for EmbedFormProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.route == other.route
            && self.share_url == other.share_url
            && self.on_close == other.on_close
    }
}

#[derive(Clone, Copy, PartialEq)]
enum CopyState {
    Idle,
    Copied,
    Failed,
}

/// Seconds as a number field shows them (`2.5`).
fn secs(t: SimTime) -> String {
    let s = fmt_ms(t);
    match s.parse::<f64>() {
        Ok(ms) => format!("{}", ms / 1_000.0),
        Err(_) => s,
    }
}

/// A seconds field's value as a time (`None` when it is not a number of seconds ≥ 0).
fn parse_secs(text: &str) -> Option<SimTime> {
    let s: f64 = text.trim().parse().ok()?;
    (s.is_finite() && s >= 0.0).then(|| SimTime::from_us((s * 1_000_000.0).round() as u64))
}

#[function_component(EmbedForm)]
fn embed_form(props: &EmbedFormProps) -> Html {
    let lesson = &props.lesson;
    let until = SimTime::from_ms(lesson.until_ms);
    let options = use_state(|| EmbedOptions {
        frame_id: lesson.id.clone(),
        ..EmbedOptions::default()
    });
    let from_moment = use_state(|| props.route.t > SimTime::ZERO);
    let looping = use_state(|| false);
    let loop_from = use_state(|| SimTime::ZERO);
    let loop_to = use_state(|| until);
    let preview_width = use_state(|| "fill".to_string());
    let preview_height = use_state(|| None::<u32>);
    let copy_state = use_state(|| CopyState::Idle);
    let copy_timer = use_mut_ref(|| None::<Timeout>);
    let frame_ref = use_node_ref();
    let close_ref = use_node_ref();

    // The preview is the real embed: it reports its height like it would to any host page.
    {
        let frame_ref = frame_ref.clone();
        let preview_height = preview_height.clone();
        use_effect_with((), move |_| {
            let listener = EventListener::new(&gloo::utils::window(), "message", move |e| {
                let Some(e) = e.dyn_ref::<MessageEvent>() else {
                    return;
                };
                let Some(frame) = frame_ref.cast::<HtmlIFrameElement>() else {
                    return;
                };
                let from_preview = match (e.source(), frame.content_window()) {
                    (Some(s), Some(w)) => Object::is(&s, &w),
                    _ => false,
                };
                if !from_preview || message_type(&e.data()).as_deref() != Some(HEIGHT_MESSAGE) {
                    return;
                }
                let h = Reflect::get(&e.data(), &JsValue::from_str("height"))
                    .ok()
                    .and_then(|h| h.as_f64());
                if let Some(h) = h.filter(|h| h.is_finite() && *h > 0.0) {
                    preview_height.set(Some(h.clamp(120.0, 2_000.0) as u32));
                }
            });
            move || drop(listener)
        });
    }
    // Focus moves into the dialog and back to the Embed button when it closes.
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

    let mut opts = (*options).clone();
    opts.loop_range = (*looping && *loop_from < *loop_to).then(|| LoopRange {
        start: *loop_from,
        end: (*loop_to).min(until),
    });
    let loop_invalid = *looping && opts.loop_range.is_none();
    let shown = LessonRoute {
        t: if *from_moment {
            props.route.t
        } else {
            SimTime::ZERO
        },
        ..(*props.route).clone()
    };
    let base = props
        .share_url
        .split('#')
        .next()
        .unwrap_or_default()
        .to_string();
    let src = format!("{base}{}", embed_hash(lesson, &shown, &opts));
    let title = format!("{} — System Design Playground", lesson.title);
    let height = preview_height.unwrap_or(DEFAULT_HEIGHT);
    let code = snippet(&src, &sibling_url(&base, "embed.js"), &title, height);

    let set = |f: fn(&mut EmbedOptions, &str)| {
        let options = options.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            let value = if el.type_() == "checkbox" {
                if el.checked() { "1" } else { "0" }.to_string()
            } else {
                el.value()
            };
            let mut o = (*options).clone();
            f(&mut o, &value);
            options.set(o);
        })
    };
    let set_select = |f: fn(&mut EmbedOptions, &str)| {
        let options = options.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            let mut o = (*options).clone();
            f(&mut o, &el.value());
            options.set(o);
        })
    };
    let on_controls = set(|o, v| {
        o.controls = match v {
            "none" => Controls::None,
            "full" => Controls::Full,
            _ => Controls::Play,
        }
    });
    let on_autoplay = set(|o, v| o.autoplay = v == "1");
    let on_caption = set(|o, v| o.caption = v == "1");
    let on_id = set(|o, v| {
        o.frame_id = v
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
            .take(crate::route::embed::MAX_ID_LEN)
            .collect()
    });
    let on_speed = set_select(|o, v| o.speed = v.parse().unwrap_or(1.0));
    let on_theme = set_select(|o, v| {
        o.theme = match v {
            "light" => EmbedTheme::Light,
            "dark" => EmbedTheme::Dark,
            _ => EmbedTheme::Auto,
        }
    });
    let on_start = {
        let from_moment = from_moment.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            from_moment.set(el.value() == "moment");
        })
    };
    let on_loop = {
        let looping = looping.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            looping.set(el.checked());
        })
    };
    let on_time = |slot: UseStateHandle<SimTime>| {
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            if let Some(t) = parse_secs(&el.value()) {
                slot.set(t.min(until));
            }
        })
    };
    let on_width = {
        let preview_width = preview_width.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            preview_width.set(el.value());
        })
    };
    let on_copy = {
        let code = code.clone();
        let copy_state = copy_state.clone();
        Callback::from(move |_: MouseEvent| {
            let copy_state = copy_state.clone();
            let timer = copy_timer.clone();
            copy_to_clipboard(
                &code,
                Callback::from(move |ok: bool| {
                    copy_state.set(if ok {
                        CopyState::Copied
                    } else {
                        CopyState::Failed
                    });
                    let copy_state = copy_state.clone();
                    *timer.borrow_mut() =
                        Some(Timeout::new(2_000, move || copy_state.set(CopyState::Idle)));
                }),
            );
        })
    };
    let on_keydown = {
        let close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            // The page's playback shortcuts stay behind the dialog.
            e.stop_propagation();
            if e.key() == "Escape" {
                e.prevent_default();
                close.emit(());
            }
        })
    };
    let speed_ref = use_node_ref();
    use_select_value(speed_ref.clone(), fmt_speed(opts.speed));
    let theme_ref = use_node_ref();
    use_select_value(theme_ref.clone(), opts.theme.as_str().to_string());
    let width_ref = use_node_ref();
    use_select_value(width_ref.clone(), (*preview_width).clone());

    let frame_width = match preview_width.as_str() {
        "fill" => "100%".to_string(),
        px => format!("{px}px"),
    };
    let (copy_label, copy_class) = match *copy_state {
        CopyState::Idle => ("Copy HTML", ""),
        CopyState::Copied => ("Copied!", "is-done"),
        CopyState::Failed => ("Copy failed — select the text and copy it", "is-failed"),
    };
    let radio = |value: &'static str, label: &'static str, help: &'static str| {
        html! {
            <label class="embed-choice">
                <input type="radio" name="embed-controls" value={value} data-testid={format!("embed-opt-controls-{value}")}
                    checked={opts.controls.as_str() == value} onchange={on_controls.clone()} />
                <span><strong>{ label }</strong><span class="muted">{ help }</span></span>
            </label>
        }
    };

    html! {
        <div class="dialog-backdrop" onclick={props.on_close.reform(|_: MouseEvent| ())}>
            <div class="dialog card embed-dialog" role="dialog" aria-modal="true" aria-labelledby="embed-dialog-title"
                data-testid="embed-dialog" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} onkeydown={on_keydown}>
                <div class="dialog-head">
                    <h2 id="embed-dialog-title">{ "Embed this run" }</h2>
                    <button type="button" class="icon-button" aria-label="Close (Esc)" ref={close_ref}
                        data-testid="embed-dialog-close" onclick={props.on_close.reform(|_: MouseEvent| ())}>
                        { icons::close() }
                    </button>
                </div>
                <div class="embed-dialog-body">
                    <form class="embed-options" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                        <fieldset>
                            <legend>{ "Controls" }</legend>
                            { radio("none", "None", "The diagram alone") }
                            { radio("play", "Play", "Play/pause and the clock") }
                            { radio("full", "Full", "Scrub, step, speed, interventions, parameters") }
                        </fieldset>
                        <fieldset>
                            <legend>{ "Start" }</legend>
                            <label class="embed-check">
                                <input type="radio" name="embed-start" value="moment" data-testid="embed-opt-start-moment"
                                    checked={*from_moment} onchange={on_start.clone()} />
                                { format!("At this moment ({})", props.route.t) }
                            </label>
                            <label class="embed-check">
                                <input type="radio" name="embed-start" value="beginning" data-testid="embed-opt-start-beginning"
                                    checked={!*from_moment} onchange={on_start} />
                                { "From the beginning" }
                            </label>
                        </fieldset>
                        <fieldset>
                            <legend>{ "Playback" }</legend>
                            <label class="embed-check">
                                <input type="checkbox" data-testid="embed-opt-autoplay" checked={opts.autoplay} onchange={on_autoplay} />
                                { "Play on load" }
                            </label>
                            <label class="embed-check">
                                <input type="checkbox" data-testid="embed-opt-loop" checked={*looping} onchange={on_loop} />
                                { "Loop" }
                            </label>
                            if *looping {
                                <div class="embed-loop-fields">
                                    <label>{ "from" }
                                        <input type="number" min="0" max={secs(until)} step="0.1" data-testid="embed-opt-loop-from"
                                            value={secs(*loop_from)} onchange={on_time(loop_from.clone())}
                                            aria-invalid={loop_invalid.then_some("true")} />
                                    </label>
                                    <label>{ "to" }
                                        <input type="number" min="0" max={secs(until)} step="0.1" data-testid="embed-opt-loop-to"
                                            value={secs(*loop_to)} onchange={on_time(loop_to.clone())}
                                            aria-invalid={loop_invalid.then_some("true")} />
                                    </label>
                                    <span class="muted">{ "s" }</span>
                                </div>
                                if loop_invalid {
                                    <p class="field-error" role="alert">{ "The loop must end after it starts." }</p>
                                }
                            }
                            <label class="embed-field">
                                <span>{ "Speed" }</span>
                                <select data-testid="embed-opt-speed" ref={speed_ref} onchange={on_speed}>
                                    { for SPEEDS.iter().map(|s| html! {
                                        <option value={fmt_speed(*s)} selected={*s == opts.speed}>{ format!("{}×", fmt_speed(*s)) }</option>
                                    }) }
                                </select>
                            </label>
                        </fieldset>
                        <fieldset>
                            <legend>{ "Look" }</legend>
                            <label class="embed-field">
                                <span>{ "Theme" }</span>
                                <select data-testid="embed-opt-theme" ref={theme_ref} onchange={on_theme}
                                    title="Automatic follows the light or dark setting of the reader's system">
                                    <option value="auto" selected={opts.theme == EmbedTheme::Auto}>{ "Automatic" }</option>
                                    <option value="light" selected={opts.theme == EmbedTheme::Light}>{ "Light" }</option>
                                    <option value="dark" selected={opts.theme == EmbedTheme::Dark}>{ "Dark" }</option>
                                </select>
                            </label>
                            <label class="embed-check">
                                <input type="checkbox" data-testid="embed-opt-caption" checked={opts.caption} onchange={on_caption} />
                                { "Title and summary" }
                            </label>
                            <label class="embed-field">
                                <span>{ "Name" }</span>
                                <input type="text" data-testid="embed-opt-id" value={opts.frame_id.clone()} onchange={on_id}
                                    maxlength={crate::route::embed::MAX_ID_LEN.to_string()} spellcheck="false"
                                    title="Sent with the embed's height messages (id), so a page with several embeds can tell them apart" />
                            </label>
                        </fieldset>
                    </form>
                    <div class="embed-preview-col">
                        <div class="embed-preview-head">
                            <h3>{ "Preview" }</h3>
                            <label class="embed-field">
                                <span>{ "Width" }</span>
                                <select data-testid="embed-preview-width" ref={width_ref} onchange={on_width}>
                                    <option value="fill">{ "Fill" }</option>
                                    <option value="320">{ "320 px" }</option>
                                    <option value="480">{ "480 px" }</option>
                                    <option value="640">{ "640 px" }</option>
                                </select>
                            </label>
                        </div>
                        <div class="embed-preview-box">
                            <iframe ref={frame_ref} class="embed-preview" data-testid="embed-preview" src={src.clone()}
                                title={format!("Preview: {title}")}
                                style={format!("width: {frame_width}; height: {height}px")} />
                        </div>
                        <label class="embed-snippet-label" for="embed-snippet">{ "HTML for your page" }</label>
                        <textarea id="embed-snippet" class="embed-snippet" data-testid="embed-snippet" readonly=true rows="5"
                            spellcheck="false" value={code.clone()} />
                        <div class="embed-dialog-actions">
                            <button type="button" class={classes!("button", "button-primary", copy_class)} data-testid="embed-copy" onclick={on_copy}>
                                { if *copy_state == CopyState::Copied { icons::check() } else { icons::link() } }
                                <span aria-live="polite">{ copy_label }</span>
                            </button>
                            <a class="text-button" data-testid="embed-direct" href={src} target="_blank" rel="noopener">{ "Open the embed alone" }</a>
                        </div>
                        <p class="muted embed-note">
                            { "The script (a few lines, no dependencies) sets the frame’s height to fit its content at any width; without it the embed fits the height you give it. " }
                            { "It starts paused unless you tick Play on load; readers who ask their system for reduced motion always start paused." }
                        </p>
                    </div>
                </div>
            </div>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_sits_beside_the_page() {
        assert_eq!(
            sibling_url("https://x.org/play/index.html?a=1#/lesson/y", "embed.js"),
            "https://x.org/play/embed.js"
        );
        assert_eq!(
            sibling_url("http://127.0.0.1:8080/", "embed.js"),
            "http://127.0.0.1:8080/embed.js"
        );
    }

    #[test]
    fn the_snippet_escapes_its_attributes() {
        let s = snippet(
            "https://x.org/#/embed/a?v=1&t=0",
            "https://x.org/embed.js",
            "A \"quoted\" <title>",
            420,
        );
        assert!(
            s.contains("src=\"https://x.org/#/embed/a?v=1&amp;t=0\""),
            "{s}"
        );
        assert!(
            s.contains("title=\"A &quot;quoted&quot; &lt;title&gt;\""),
            "{s}"
        );
        assert!(s.contains("height=\"420\""), "{s}");
        assert!(s.contains("data-sdp-embed"), "{s}");
        assert!(
            s.ends_with("<script src=\"https://x.org/embed.js\" async></script>"),
            "{s}"
        );
    }

    #[test]
    fn seconds_fields_read_and_write_times() {
        assert_eq!(secs(SimTime::from_ms(2_500)), "2.5");
        assert_eq!(secs(SimTime::from_ms(10_000)), "10");
        assert_eq!(parse_secs("2.5"), Some(SimTime::from_ms(2_500)));
        assert_eq!(parse_secs("-1"), None);
        assert_eq!(parse_secs("soon"), None);
    }
}
