//! The event log: the run's trace narrated, newest first. It doubles as screen-reader narration
//! (`aria-live="polite"`). Routine request entries are hidden unless asked for, and only the last
//! [`SHOWN`] entries are listed.

use sim::trace::TraceLine;
use std::rc::Rc;
use yew::prelude::*;

/// How many entries the log lists.
pub const SHOWN: usize = 30;

/// Props of [`EventLog`].
#[derive(Properties, PartialEq)]
pub struct EventLogProps {
    /// Every trace line up to now.
    pub lines: Rc<[TraceLine]>,
}

/// The narrated trace.
#[function_component(EventLog)]
pub fn event_log(props: &EventLogProps) -> Html {
    let show_routine = use_state(|| false);
    let routine = props.lines.iter().filter(|l| !l.milestone).count();
    let visible: Vec<&TraceLine> = props
        .lines
        .iter()
        .filter(|l| *show_routine || l.milestone)
        .collect();
    let hidden_older = visible.len().saturating_sub(SHOWN);
    let toggle = {
        let show_routine = show_routine.clone();
        Callback::from(move |_: Event| show_routine.set(!*show_routine))
    };
    html! {
        <section class="card event-log-card" aria-labelledby="event-log-title">
            <div class="card-head">
                <h2 class="card-title" id="event-log-title">{ "Event log" }</h2>
                <label class="switch">
                    <input type="checkbox" data-testid="event-log-routine" checked={*show_routine} onchange={toggle} />
                    <span>{ format!("Show requests ({})", crate::layout::format::thousands(routine as u64)) }</span>
                </label>
            </div>
            <ol class="event-log" data-testid="event-log" aria-live="polite" aria-relevant="additions" reversed=true>
                { for visible.iter().rev().take(SHOWN).map(|l| {
                    let class = classes!(
                        "event",
                        l.milestone.then_some("is-milestone"),
                        l.rejected.then_some("is-rejected"),
                    );
                    html! {
                        <li class={class} key={l.seq.to_string()} data-testid="event-log-entry">
                            <time class="event-time num">{ l.time.to_string() }</time>
                            <span class="event-text">{ &l.text }</span>
                        </li>
                    }
                }) }
                if visible.is_empty() {
                    <li class="event event-empty">{ "Nothing has happened yet: press play." }</li>
                }
            </ol>
            if hidden_older > 0 || (!*show_routine && routine > 0) {
                <p class="event-log-foot">
                    { match (hidden_older, !*show_routine && routine > 0) {
                        (0, true) => format!("{} routine request entries hidden.", crate::layout::format::thousands(routine as u64)),
                        (n, false) => format!("{} older entries not shown.", crate::layout::format::thousands(n as u64)),
                        (n, true) => format!(
                            "{} older entries and {} routine request entries not shown.",
                            crate::layout::format::thousands(n as u64),
                            crate::layout::format::thousands(routine as u64)
                        ),
                    } }
                </p>
            }
        </section>
    }
}
