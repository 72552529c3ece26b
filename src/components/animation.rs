//! The one requestAnimationFrame loop: while `active`, emits the wall-clock milliseconds since
//! the previous frame.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

type FrameClosure = Closure<dyn FnMut(f64)>;

/// Calls `on_frame(delta_ms)` once per animation frame while `active` is true.
#[hook]
pub fn use_animation_frames(active: bool, on_frame: Callback<f64>) {
    use_effect_with(active, move |active| {
        let alive = Rc::new(Cell::new(*active));
        let request_id = Rc::new(Cell::new(None::<i32>));
        let slot: Rc<RefCell<Option<FrameClosure>>> = Rc::new(RefCell::new(None));
        if *active {
            let window = gloo::utils::window();
            let last = Cell::new(None::<f64>);
            let (alive2, id2, slot2) = (alive.clone(), request_id.clone(), slot.clone());
            *slot.borrow_mut() = Some(Closure::new(move |ts: f64| {
                if !alive2.get() {
                    return;
                }
                if let Some(prev) = last.replace(Some(ts)) {
                    on_frame.emit((ts - prev).max(0.0));
                }
                if alive2.get() {
                    if let Some(cb) = slot2.borrow().as_ref() {
                        id2.set(
                            gloo::utils::window()
                                .request_animation_frame(cb.as_ref().unchecked_ref())
                                .ok(),
                        );
                    }
                }
            }));
            if let Some(cb) = slot.borrow().as_ref() {
                request_id.set(
                    window
                        .request_animation_frame(cb.as_ref().unchecked_ref())
                        .ok(),
                );
            }
        }
        move || {
            alive.set(false);
            if let Some(id) = request_id.get() {
                let _ = gloo::utils::window().cancel_animation_frame(id);
            }
            // Breaks the closure's reference to its own slot.
            slot.borrow_mut().take();
        }
    });
}
