//! The preset menu: named starting points from the lesson file.

use crate::components::select_sync::use_select_value;
use sim::lesson::Lesson;
use std::rc::Rc;
use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Props of [`PresetMenu`].
#[derive(Properties)]
pub struct PresetMenuProps {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// The preset the run was loaded from.
    pub active: Option<AttrValue>,
    /// Loads a preset.
    pub on_load: Callback<String>,
}

impl PartialEq for PresetMenuProps {
    /// Lessons are compared by identity: they never change while the page shows them.
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.lesson, &other.lesson)
            && self.active == other.active
            && self.on_load == other.on_load
    }
}

/// A select of presets, with the chosen one's description.
#[function_component(PresetMenu)]
pub fn preset_menu(props: &PresetMenuProps) -> Html {
    let node = use_node_ref();
    use_select_value(
        node.clone(),
        props.active.as_deref().unwrap_or("").to_string(),
    );
    if props.lesson.presets.is_empty() {
        return html! {};
    }
    let onchange = {
        let cb = props.on_load.clone();
        Callback::from(move |e: Event| {
            let s: HtmlSelectElement = e.target_unchecked_into();
            let v = s.value();
            if !v.is_empty() {
                cb.emit(v);
            }
        })
    };
    let active = props.active.as_deref().unwrap_or("");
    let description = props.lesson.preset(active).map(|p| p.description.clone());
    html! {
        <div class="preset-menu">
            <label class="field-label" for="preset-select">{ "Preset" }</label>
            <select id="preset-select" data-testid="preset-select" ref={node} {onchange}>
                <option value="" selected={active.is_empty()} disabled=true>{ "Custom — choose a preset…" }</option>
                { for props.lesson.presets.iter().map(|p| html! {
                    <option value={p.id.clone()} selected={p.id == active}>{ &p.title }</option>
                }) }
            </select>
            { for description.filter(|d| !d.is_empty()).map(|d| html! { <p class="param-help">{ d }</p> }) }
        </div>
    }
}
