//! The lesson page's "Embed" button and its dialog: pick the embed's options, watch a live
//! preview, and copy the HTML snippet (an iframe of `#/embed/…` at the page's current run, and
//! the `embed.js` script that sizes it).
//!
//! The dialog starts from the share URL of the moment it was opened (its run: the preset it is,
//! its interventions); everything else is the options. A run with interventions loops around
//! them by default ([`default_loop`]), and the caption's heading starts as the step's or the
//! preset's title. The preview is the real embed in an iframe at the snippet's size, sized (at
//! an automatic height) by the same height messages a host page gets
//! ([`crate::components::embed_height`]). The actions stay in view below the scrolling options.

use crate::components::embed_height::{message_type, HEIGHT_MESSAGE};
use crate::components::icons;
use crate::components::select_sync::use_select_value;
use crate::components::share::copy_to_clipboard;
use crate::lessons;
use crate::playback::SPEEDS;
use crate::route::embed::{
    default_loop, embed_hash, fmt_speed, Controls, EmbedOptions, EmbedTheme, LoopRange,
    MAX_TITLE_LEN,
};
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

/// The fixed heights a frame may be given, in CSS pixels (the embed fits from 240 up).
const FIXED_HEIGHTS: (u32, u32) = (240, 2_000);

/// How tall the frame is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameHeight {
    /// As tall as the embed asks (`embed.js` follows it), starting at this height.
    Auto(u32),
    /// This height: the embed fits its diagram into it, and no script is needed.
    Fixed(u32),
}

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

/// The HTML a host page pastes: the iframe `width` px wide (`None`: the page's column), then,
/// at an automatic height, the script that resizes it.
pub fn snippet(
    src: &str,
    script_src: &str,
    title: &str,
    width: Option<u32>,
    height: FrameHeight,
) -> String {
    let (w, w_css) = match width {
        None => ("100%".to_string(), "100%".to_string()),
        Some(px) => (px.to_string(), format!("{px}px")),
    };
    let (h, auto) = match height {
        FrameHeight::Auto(h) => (h, true),
        FrameHeight::Fixed(h) => (h, false),
    };
    let frame = format!(
        "<iframe src=\"{}\" title=\"{}\"{} width=\"{w}\" height=\"{h}\" \
         style=\"border:0;width:{w_css};max-width:100%{}\" loading=\"lazy\"></iframe>",
        attr(src),
        attr(title),
        if auto { " data-sdp-embed" } else { "" },
        if auto {
            String::new()
        } else {
            format!(";height:{h}px")
        },
    );
    if auto {
        format!(
            "{frame}\n<script src=\"{}\" async></script>",
            attr(script_src)
        )
    } else {
        frame
    }
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
    /// The caption's heading the dialog starts with (a step's title); `None`: the preset's title
    /// if the run is a preset, else the lesson's.
    #[prop_or_default]
    pub caption_default: Option<AttrValue>,
    /// The button's text (default "Embed").
    #[prop_or_default]
    pub label: Option<AttrValue>,
    /// The button's `data-testid` (default `embed-button`).
    #[prop_or_default]
    pub testid: Option<AttrValue>,
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
            <button type="button" class="button button-secondary"
                data-testid={props.testid.clone().unwrap_or(AttrValue::Static("embed-button"))} {onclick}
                title="Put this moment of this run on your own page">
                { code_icon() }<span>{ props.label.clone().unwrap_or(AttrValue::Static("Embed")) }</span>
            </button>
            if let Some(url) = (*open).clone() {
                <EmbedDialog share_url={url} caption_default={props.caption_default.clone()} {on_close} />
            }
        </>
    }
}

/// Props of [`EmbedDialog`].
#[derive(Properties, PartialEq)]
pub struct EmbedDialogProps {
    /// The share URL the embed starts from: its run (parameters, seed, interventions, so the
    /// preset it is) and its moment.
    pub share_url: AttrValue,
    /// The caption's heading to start with (a step's title); `None`: the preset's title if the
    /// run is exactly a preset, else the lesson's.
    #[prop_or_default]
    pub caption_default: Option<AttrValue>,
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
        Some((lesson, route)) => {
            // Another run (or another step's heading) starts the options afresh; the same run
            // at another moment keeps what the author chose.
            let key = format!(
                "{}|{}",
                route::lesson_hash(
                    lesson,
                    &route.params,
                    route.seed,
                    &route.inputs,
                    SimTime::ZERO
                ),
                props.caption_default.as_deref().unwrap_or_default()
            );
            // On the page's body, above everything: a dialog rendered where its button sits
            // would share the stacking context of a sticky stage, under the site's header.
            create_portal(
                html! {
                    <EmbedForm {key} lesson={lesson.clone()} route={route.clone()} share_url={props.share_url.clone()}
                        caption_default={props.caption_default.clone()} on_close={props.on_close.clone()} />
                },
                gloo::utils::body().into(),
            )
        }
        None => html! {},
    }
}

#[derive(Properties)]
struct EmbedFormProps {
    lesson: Rc<Lesson>,
    route: Rc<LessonRoute>,
    share_url: AttrValue,
    caption_default: Option<AttrValue>,
    on_close: Callback<()>,
}

impl PartialEq for EmbedFormProps {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.route == other.route
            && self.share_url == other.share_url
            && self.caption_default == other.caption_default
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

/// The caption's heading the dialog starts with: the one it was given (a step's title), else the
/// title of the preset the run is, else the lesson's.
fn caption_start(lesson: &Lesson, route: &LessonRoute, given: Option<&str>) -> String {
    given
        .or_else(|| Some(lesson.preset(route.preset.as_deref()?)?.title.as_str()))
        .unwrap_or(&lesson.title)
        .to_string()
}

/// What the caption field's text writes as `title=`: nothing when it is the lesson's own title
/// (or empty), else the text on one line, at most [`MAX_TITLE_LEN`] characters.
fn title_field(text: &str, lesson_title: &str) -> String {
    let line: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_TITLE_LEN)
        .collect();
    let line = line.trim();
    if line == lesson_title {
        String::new()
    } else {
        line.to_string()
    }
}

#[function_component(EmbedForm)]
fn embed_form(props: &EmbedFormProps) -> Html {
    let lesson = &props.lesson;
    let until = SimTime::from_ms(lesson.until_ms);
    let options = use_state(|| EmbedOptions {
        frame_id: lesson.id.clone(),
        ..EmbedOptions::default()
    });
    let caption_text =
        use_state(|| caption_start(lesson, &props.route, props.caption_default.as_deref()));
    let from_moment = use_state(|| props.route.t > SimTime::ZERO);
    // A run with interventions loops around them; one without keeps the whole run to tick.
    let around = default_loop(&props.route.inputs, until);
    let looping = use_state(|| around.is_some());
    let loop_from = use_state(|| around.map_or(SimTime::ZERO, |l| l.start));
    let loop_to = use_state(|| around.map_or(until, |l| l.end));
    let frame_width = use_state(|| None::<u32>);
    let fixed_height = use_state(|| None::<u32>);
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
    if opts.caption {
        opts.title = title_field(&caption_text, &lesson.title);
    }
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
    let heading = if opts.title.is_empty() {
        &lesson.title
    } else {
        &opts.title
    };
    let title = format!("{heading} — System Design Playground");
    let auto_height = preview_height.unwrap_or(DEFAULT_HEIGHT);
    let height = match *fixed_height {
        Some(h) => FrameHeight::Fixed(h),
        None => FrameHeight::Auto(auto_height),
    };
    let code = snippet(
        &src,
        &sibling_url(&base, "embed.js"),
        &title,
        *frame_width,
        height,
    );

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
    let on_caption_text = {
        let caption_text = caption_text.clone();
        Callback::from(move |e: InputEvent| {
            let el: HtmlInputElement = e.target_unchecked_into();
            caption_text.set(el.value());
        })
    };
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
        let frame_width = frame_width.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            frame_width.set(el.value().parse().ok());
        })
    };
    let on_height_mode = {
        let fixed_height = fixed_height.clone();
        Callback::from(move |e: Event| {
            let el: HtmlSelectElement = e.target_unchecked_into();
            // A fixed height starts at the one the embed asked for, so nothing jumps.
            fixed_height.set((el.value() == "fixed").then_some(auto_height));
        })
    };
    let on_height_px = {
        let fixed_height = fixed_height.clone();
        Callback::from(move |e: Event| {
            let el: HtmlInputElement = e.target_unchecked_into();
            if let Ok(h) = el.value().trim().parse::<f64>() {
                if h.is_finite() {
                    let (lo, hi) = FIXED_HEIGHTS;
                    fixed_height.set(Some(h.round().clamp(f64::from(lo), f64::from(hi)) as u32));
                }
            }
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
    use_select_value(
        width_ref.clone(),
        frame_width.map_or("fill".to_string(), |w| w.to_string()),
    );
    let height_ref = use_node_ref();
    use_select_value(
        height_ref.clone(),
        if fixed_height.is_some() {
            "fixed"
        } else {
            "auto"
        }
        .to_string(),
    );

    let preview_style = format!(
        "width: {}; height: {}px",
        frame_width.map_or("100%".to_string(), |w| format!("{w}px")),
        fixed_height.unwrap_or(auto_height)
    );
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
    let note = if fixed_height.is_some() {
        "At a fixed height the embed fits its diagram into the frame; no script is needed. "
    } else {
        "The script (a few lines, no dependencies) sets the frame’s height to fit its content at any width; without it the embed fits the height you give it. "
    };

    html! {
        <div class="dialog-backdrop" onclick={props.on_close.reform(|_: MouseEvent| ())}>
            <div class="dialog card embed-dialog" role="dialog" aria-modal="true" aria-labelledby="embed-dialog-title"
                data-testid="embed-dialog" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())} onkeydown={on_keydown}>
                <div class="dialog-head">
                    <h2 id="embed-dialog-title">{ if props.caption_default.is_some() { "Embed this step" } else { "Embed this run" } }</h2>
                    <button type="button" class="icon-button" aria-label="Close (Esc)" ref={close_ref}
                        data-testid="embed-dialog-close" onclick={props.on_close.reform(|_: MouseEvent| ())}>
                        { icons::close() }
                    </button>
                </div>
                <div class="embed-dialog-body" data-testid="embed-dialog-body">
                    <form class="embed-options" onsubmit={Callback::from(|e: SubmitEvent| e.prevent_default())}>
                        <fieldset>
                            <legend>{ "Caption" }</legend>
                            <label class="embed-check">
                                <input type="checkbox" data-testid="embed-opt-caption" checked={opts.caption} onchange={on_caption} />
                                { "Heading and the lesson’s summary" }
                            </label>
                            <input type="text" class="embed-caption-text" data-testid="embed-opt-title" aria-label="Heading"
                                value={(*caption_text).clone()} oninput={on_caption_text} disabled={!opts.caption}
                                maxlength={MAX_TITLE_LEN.to_string()} placeholder={lesson.title.clone()} />
                        </fieldset>
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
                                { if around.is_some() { "Loop around the interventions" } else { "Loop" } }
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
                            <legend>{ "Size" }</legend>
                            <label class="embed-field">
                                <span>{ "Width" }</span>
                                <select data-testid="embed-opt-width" ref={width_ref} onchange={on_width}>
                                    <option value="fill" selected={frame_width.is_none()}>{ "Column (100 %)" }</option>
                                    <option value="640" selected={*frame_width == Some(640)}>{ "640 px" }</option>
                                    <option value="360" selected={*frame_width == Some(360)}>{ "360 px" }</option>
                                </select>
                            </label>
                            <label class="embed-field">
                                <span>{ "Height" }</span>
                                <select data-testid="embed-opt-height" ref={height_ref} onchange={on_height_mode}>
                                    <option value="auto" selected={fixed_height.is_none()}>{ "Fits its content" }</option>
                                    <option value="fixed" selected={fixed_height.is_some()}>{ "Fixed" }</option>
                                </select>
                            </label>
                            if let Some(h) = *fixed_height {
                                <label class="embed-field">
                                    <span>{ "Pixels" }</span>
                                    <input type="number" data-testid="embed-opt-height-px" min={FIXED_HEIGHTS.0.to_string()}
                                        max={FIXED_HEIGHTS.1.to_string()} step="10" value={h.to_string()} onchange={on_height_px} />
                                </label>
                            }
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
                            <label class="embed-field">
                                <span>{ "Name" }</span>
                                <input type="text" data-testid="embed-opt-id" value={opts.frame_id.clone()} onchange={on_id}
                                    maxlength={crate::route::embed::MAX_ID_LEN.to_string()} spellcheck="false"
                                    title="Sent with the embed's height messages (id), so a page with several embeds can tell them apart" />
                            </label>
                        </fieldset>
                    </form>
                    <div class="embed-preview-col">
                        <h3 class="embed-preview-head">{ "Preview" }</h3>
                        <div class="embed-preview-box">
                            <iframe ref={frame_ref} class="embed-preview" data-testid="embed-preview" src={src.clone()}
                                title={format!("Preview: {title}")} style={preview_style} />
                        </div>
                        <label class="embed-snippet-label" for="embed-snippet">{ "HTML for your page" }</label>
                        <textarea id="embed-snippet" class="embed-snippet" data-testid="embed-snippet" readonly=true rows="5"
                            spellcheck="false" value={code.clone()} />
                        <p class="muted embed-note">
                            { note }
                            { "It starts paused unless you tick Play on load; readers who ask their system for reduced motion always start paused, on the moment after the interventions (the loop’s end)." }
                        </p>
                    </div>
                </div>
                <div class="embed-dialog-actions" data-testid="embed-dialog-actions">
                    <button type="button" class={classes!("button", "button-primary", copy_class)} data-testid="embed-copy" onclick={on_copy}>
                        { if *copy_state == CopyState::Copied { icons::check() } else { icons::link() } }
                        <span aria-live="polite">{ copy_label }</span>
                    </button>
                    <a class="text-button" data-testid="embed-direct" href={src} target="_blank" rel="noopener">{ "Open the embed alone" }</a>
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
            None,
            FrameHeight::Auto(420),
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
    fn a_chosen_width_and_a_fixed_height_reach_the_snippet_without_the_script() {
        let s = snippet(
            "https://x.org/#/embed/a",
            "https://x.org/embed.js",
            "T",
            Some(360),
            FrameHeight::Fixed(300),
        );
        assert!(s.contains("width=\"360\" height=\"300\""), "{s}");
        assert!(
            s.contains("style=\"border:0;width:360px;max-width:100%;height:300px\""),
            "{s}"
        );
        assert!(
            !s.contains("data-sdp-embed") && !s.contains("<script"),
            "a fixed height is not resized by embed.js: {s}"
        );
        let s = snippet("u", "j", "T", Some(640), FrameHeight::Auto(500));
        assert!(
            s.contains("data-sdp-embed width=\"640\" height=\"500\""),
            "{s}"
        );
        assert!(s.contains("width:640px;max-width:100%\""), "{s}");
    }

    fn run(hash: &str) -> (Rc<Lesson>, Rc<LessonRoute>) {
        run_of(&format!("http://x.org/{hash}")).expect("a lesson run")
    }

    #[test]
    fn the_caption_starts_as_the_steps_then_the_presets_then_the_lessons_title() {
        let (l, r) = run("#/lesson/consistent-hashing?v=1&do=2000:remove-server:B");
        assert_eq!(
            r.preset.as_deref(),
            Some("b-crashes"),
            "the run is a preset"
        );
        assert_eq!(caption_start(&l, &r, None), "B crashes at 2 s");
        assert_eq!(caption_start(&l, &r, Some("Crash B")), "Crash B");
        let (l, r) = run("#/lesson/consistent-hashing?v=1&seed=5");
        assert_eq!(caption_start(&l, &r, None), "Consistent hashing");
    }

    #[test]
    fn the_caption_writes_a_title_only_when_it_is_not_the_lessons() {
        assert_eq!(
            title_field(" Consistent hashing ", "Consistent hashing"),
            ""
        );
        assert_eq!(title_field("", "Consistent hashing"), "");
        assert_eq!(
            title_field("B crashes\n", "Consistent hashing"),
            "B crashes"
        );
        assert_eq!(
            title_field(&"x".repeat(500), "L").chars().count(),
            MAX_TITLE_LEN
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
