//! Rendering what is below the first screen after the first paint.
//!
//! A lesson page builds a few thousand DOM nodes; most of them (the interventions, metrics, event
//! log, parameters and questions) are below the first screen. [`use_deferred`] is false for a
//! component's first render and turns true just after the next frame has painted, so the first
//! render (the page's longest start-up task) builds only what the reader sees first, the diagram
//! among it, and the rest follows in a task of its own.

use gloo::render::{request_animation_frame, AnimationFrame};
use gloo::timers::callback::Timeout;
use yew::prelude::*;

/// False on the first render; true from the render after the first frame has been painted.
#[hook]
pub fn use_deferred() -> bool {
    let ready = use_state(|| false);
    let pending = use_mut_ref(|| None::<(AnimationFrame, Option<Timeout>)>);
    {
        let ready = ready.clone();
        use_effect_with((), move |_| {
            let frame_pending = pending.clone();
            // The frame callback runs before that frame paints; the timeout after it.
            let frame = request_animation_frame(move |_| {
                let timeout = Timeout::new(0, move || ready.set(true));
                if let Some((_, t)) = frame_pending.borrow_mut().as_mut() {
                    *t = Some(timeout);
                }
            });
            *pending.borrow_mut() = Some((frame, None));
            move || drop(pending.borrow_mut().take())
        });
    }
    *ready
}
