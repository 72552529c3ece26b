//! The width the sweep chart's plots are laid out at: their container's, measured and kept up
//! to date by a `ResizeObserver`.

use std::cell::Cell;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Element, ResizeObserver};
use yew::prelude::*;

/// The width to lay the plots out at before the container has been measured.
pub const DEFAULT_WIDTH: f64 = 640.0;

/// How far the container's width must move before the plots are laid out again: the viewBox
/// then scales by at most a few per cent, and a page scrollbar that comes and goes as the plots
/// change height cannot make the layout oscillate.
const RELAYOUT_PX: f64 = 16.0;

/// The element's content width in CSS pixels, kept up to date within [`RELAYOUT_PX`] (0 until
/// measured).
#[hook]
pub fn use_width(node: NodeRef) -> f64 {
    let width = use_state_eq(|| 0.0_f64);
    {
        let width = width.clone();
        use_effect_with(node, move |node| {
            let last = Cell::new(0.0_f64);
            let measure = {
                let node = node.clone();
                move || {
                    if let Some(el) = node.cast::<Element>() {
                        let w = f64::from(el.client_width()).floor();
                        if w > 0.0 && (last.get() == 0.0 || (w - last.get()).abs() >= RELAYOUT_PX) {
                            last.set(w);
                            width.set(w);
                        }
                    }
                }
            };
            measure();
            let on_resize = Closure::<dyn FnMut()>::new(measure);
            let observer = ResizeObserver::new(on_resize.as_ref().unchecked_ref()).ok();
            if let (Some(o), Some(el)) = (&observer, node.cast::<Element>()) {
                o.observe(&el);
            }
            move || {
                if let Some(o) = observer {
                    o.disconnect();
                }
                drop(on_resize);
            }
        });
    }
    *width
}
