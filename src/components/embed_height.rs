//! An embed telling its host page how tall it wants to be.
//!
//! Inside an iframe, the embed posts to `window.parent`, whenever its wanted height changes and
//! whenever the host asks:
//!
//! ```text
//! embed → host   { type: "sdp-embed:height", version: 1, id: "<the id= field or ''>",
//!                  lesson: "<lesson id>", height: <CSS pixels, whole> }
//! host → embed   { type: "sdp-embed:request-height" }
//! ```
//!
//! `www/embed.js` is the host side (it sets each `iframe[data-sdp-embed]`'s height); the lesson
//! page's embed dialog listens the same way to size its preview. The height is not the iframe's
//! current height: the diagram shrinks to fit any frame, so the embed reports the height at which
//! the diagram has its natural size for the frame's width ([`wanted_height`]).

use gloo::events::EventListener;
use js_sys::{Object, Reflect};
use std::cell::Cell;
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{HtmlElement, MessageEvent, ResizeObserver};
use yew::prelude::*;

/// The `type` of the embed's height message.
pub const HEIGHT_MESSAGE: &str = "sdp-embed:height";
/// The `type` of a host's request for the height.
pub const REQUEST_MESSAGE: &str = "sdp-embed:request-height";
/// The message format's version (`version`).
pub const MESSAGE_VERSION: u32 = 1;

/// The tallest a fitted diagram asks to be, in CSS pixels.
pub const MAX_DIAGRAM_HEIGHT: f64 = 480.0;
/// The margin around a fitted diagram inside its stage (each side), in CSS pixels.
pub const DIAGRAM_MARGIN: f64 = 8.0;

/// The height the embed wants, from its current layout.
///
/// `total` is the root's scroll height (all its content, the stage at its current size),
/// `stage` the stage's current height and `stage_width` its width, `inner` the height of the
/// stage's content. With `aspect` (width ÷ height of a diagram that is fitted into the stage),
/// the stage wants the diagram at the stage's width, capped at [`MAX_DIAGRAM_HEIGHT`]; without,
/// it wants its content's height.
pub fn wanted_height(
    total: f64,
    stage: f64,
    stage_width: f64,
    inner: f64,
    aspect: Option<f64>,
) -> f64 {
    let stage_wanted = match aspect {
        Some(a) if a > 0.0 => {
            let diagram = ((stage_width - 2.0 * DIAGRAM_MARGIN) / a).clamp(0.0, MAX_DIAGRAM_HEIGHT);
            diagram + 2.0 * DIAGRAM_MARGIN
        }
        _ => inner,
    };
    (total - stage + stage_wanted).max(0.0).ceil()
}

fn measure(root: &HtmlElement, stage: &HtmlElement, aspect: Option<f64>) -> f64 {
    let inner = stage
        .first_element_child()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok())
        .map_or(0.0, |e| f64::from(e.offset_height()));
    wanted_height(
        f64::from(root.scroll_height()),
        f64::from(stage.offset_height()),
        f64::from(stage.client_width()),
        inner,
        aspect,
    )
}

/// The height message, as the host page receives it (a plain object, by serde-wasm-bindgen).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct HeightMessage<'a> {
    /// Always [`HEIGHT_MESSAGE`].
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// [`MESSAGE_VERSION`].
    pub version: u32,
    /// The embed's `id=` field, or empty.
    pub id: &'a str,
    /// The lesson's id.
    pub lesson: &'a str,
    /// The wanted height in CSS pixels, whole.
    pub height: f64,
}

fn message(frame_id: &str, lesson: &str, height: f64) -> JsValue {
    let msg = HeightMessage {
        kind: HEIGHT_MESSAGE,
        version: MESSAGE_VERSION,
        id: frame_id,
        lesson,
        height,
    };
    serde_wasm_bindgen::to_value(&msg).unwrap_or(JsValue::UNDEFINED)
}

/// The `type` of a posted message, if it is an object with a string `type`.
pub fn message_type(data: &JsValue) -> Option<String> {
    if !data.is_object() {
        return None;
    }
    Reflect::get(data, &JsValue::from_str("type"))
        .ok()
        .and_then(|t| t.as_string())
}

/// What keeps the reporting alive; dropping it stops it.
struct Reporter {
    observer: ResizeObserver,
    _on_resize: Closure<dyn FnMut()>,
    _on_message: EventListener,
}

impl Drop for Reporter {
    fn drop(&mut self) {
        self.observer.disconnect();
    }
}

/// Posts the embed's wanted height to the parent window (when there is one) on every change of
/// the root's, the stage's or the stage content's size, and whenever the host asks.
#[hook]
pub fn use_height_messages(
    root: NodeRef,
    stage: NodeRef,
    aspect: Option<f64>,
    frame_id: AttrValue,
    lesson: AttrValue,
) {
    let key = (aspect.map(f64::to_bits), frame_id, lesson);
    use_effect_with(key, move |(_, frame_id, lesson)| {
        let window = gloo::utils::window();
        let parent = window
            .parent()
            .ok()
            .flatten()
            .filter(|p| !Object::is(p, &window));
        let mut reporter = None;
        if let Some(parent) = parent {
            let last = Rc::new(Cell::new(-1.0));
            let (frame_id, lesson) = (frame_id.to_string(), lesson.to_string());
            let post: Rc<dyn Fn(bool)> = {
                let (root, stage) = (root.clone(), stage.clone());
                Rc::new(move |force: bool| {
                    let (Some(r), Some(s)) =
                        (root.cast::<HtmlElement>(), stage.cast::<HtmlElement>())
                    else {
                        return;
                    };
                    let h = measure(&r, &s, aspect);
                    if force || h != last.get() {
                        last.set(h);
                        let _ = parent.post_message(&message(&frame_id, &lesson, h), "*");
                    }
                })
            };
            let on_resize = {
                let post = post.clone();
                Closure::<dyn FnMut()>::new(move || post(false))
            };
            let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
            if let Some(obs) = &observer {
                let stage_el = stage.cast::<HtmlElement>();
                let inner = stage_el.as_ref().and_then(|s| s.first_element_child());
                for el in [root.cast::<web_sys::Element>(), stage.cast(), inner]
                    .into_iter()
                    .flatten()
                {
                    obs.observe(&el);
                }
            }
            let listener = EventListener::new(&window, "message", move |e| {
                let Some(e) = e.dyn_ref::<MessageEvent>() else {
                    return;
                };
                if message_type(&e.data()).as_deref() == Some(REQUEST_MESSAGE) {
                    post(true);
                }
            });
            reporter = observer.map(|observer| Reporter {
                observer,
                _on_resize: on_resize,
                _on_message: listener,
            });
        }
        move || drop(reporter)
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fitted_diagram_wants_its_natural_height_whatever_the_frame_is() {
        // 600 px wide frame, square diagram, 100 px of caption and controls around it: the
        // diagram wants 584 px square, capped at the maximum, plus its margins.
        let want = MAX_DIAGRAM_HEIGHT + 2.0 * DIAGRAM_MARGIN + 100.0;
        // In a short frame (stage squeezed to 140 px) and a tall one (stage 900 px) alike.
        assert_eq!(wanted_height(240.0, 140.0, 600.0, 0.0, Some(1.0)), want);
        assert_eq!(wanted_height(1000.0, 900.0, 600.0, 0.0, Some(1.0)), want);
        // A 360 × 240 diagram in a 316 px wide stage: 300 × 200 plus margins.
        assert_eq!(
            wanted_height(400.0, 300.0, 316.0, 0.0, Some(1.5)),
            100.0 + 216.0
        );
    }

    #[test]
    fn unfitted_content_wants_its_own_height_rounded_up() {
        assert_eq!(wanted_height(800.0, 700.0, 600.0, 512.3, None), 613.0);
    }
}
