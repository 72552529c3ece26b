//! Parameter controls generated from the model's specs: a slider and a number box for numbers,
//! a select for choices, a text box for text (a text area for a pasted document), a checkbox for
//! on/off. A refused value shows the model's message inline and the run keeps the old value.

use crate::components::select_sync::use_select_value;
use sim::params::{ParamKind, ParamSet, ParamSpec, ParamValue};
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement, KeyboardEvent};
use yew::prelude::*;

/// Props of [`ParamControls`].
#[derive(Properties, PartialEq)]
pub struct ParamControlsProps {
    /// The model's specs.
    pub specs: Rc<[ParamSpec]>,
    /// The run's values.
    pub values: Rc<ParamSet>,
    /// Parameter name → why its last value was refused.
    pub errors: Rc<BTreeMap<String, String>>,
    /// `(name, text)` to set.
    pub on_set: Callback<(String, String)>,
}

/// Every parameter of the model.
#[function_component(ParamControls)]
pub fn param_controls(props: &ParamControlsProps) -> Html {
    html! {
        <div class="params">
            { for props.specs.iter().map(|spec| {
                let value = props.values.get(&spec.name).cloned().unwrap_or_else(|| spec.default.clone());
                let error = props.errors.get(&spec.name).map(|e| AttrValue::from(e.clone()));
                html! {
                    <ParamControl key={spec.name.clone()} spec={Rc::new(spec.clone())} {value} {error}
                        on_set={props.on_set.clone()} />
                }
            }) }
        </div>
    }
}

/// Props of [`ParamControl`].
#[derive(Properties, PartialEq)]
pub struct ParamControlProps {
    /// The spec.
    pub spec: Rc<ParamSpec>,
    /// The current value.
    pub value: ParamValue,
    /// Why the last typed value was refused.
    pub error: Option<AttrValue>,
    /// `(name, text)` to set.
    pub on_set: Callback<(String, String)>,
}

/// One parameter.
#[function_component(ParamControl)]
pub fn param_control(props: &ParamControlProps) -> Html {
    let spec = &props.spec;
    let id = format!("param-{}", spec.name);
    let help_id = format!("param-{}-help", spec.name);
    let error_id = format!("param-{}-error", spec.name);
    let text = props.value.to_text();
    let describedby = if props.error.is_some() {
        format!("{help_id} {error_id}")
    } else {
        help_id.clone()
    };
    let invalid = props.error.is_some().then_some("true");
    let set = {
        let name = spec.name.clone();
        let cb = props.on_set.clone();
        move |v: String| cb.emit((name.clone(), v))
    };
    let on_input_value = {
        let set = set.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            set(input.value());
        })
    };
    let on_change_value = {
        let set = set.clone();
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            set(input.value());
        })
    };
    let on_enter = {
        let set = set.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" {
                let input: HtmlInputElement = e.target_unchecked_into();
                set(input.value());
            }
        })
    };
    // A refused document stays in its text area for the reader to fix (the run keeps the
    // accepted value); one-line controls show the accepted value back.
    let draft = use_state(|| None::<String>);
    let select_node = use_node_ref();
    use_select_value(select_node.clone(), text.clone());
    let unit = spec
        .unit
        .clone()
        .map(|u| html! { <span class="param-unit">{ u }</span> });

    let control = match &spec.kind {
        ParamKind::Int { min, max, step } => number_control(
            &id,
            &describedby,
            invalid,
            min.to_string(),
            max.to_string(),
            step.max(&1).to_string(),
            &text,
            on_input_value.clone(),
            on_change_value.clone(),
            on_enter.clone(),
            unit,
        ),
        ParamKind::Float { min, max, step } => number_control(
            &id,
            &describedby,
            invalid,
            min.to_string(),
            max.to_string(),
            step.to_string(),
            &text,
            on_input_value.clone(),
            on_change_value.clone(),
            on_enter.clone(),
            unit,
        ),
        ParamKind::Choice { options } => {
            let onchange = {
                let set = set.clone();
                Callback::from(move |e: Event| {
                    let s: HtmlSelectElement = e.target_unchecked_into();
                    set(s.value());
                })
            };
            html! {
                <select id={id.clone()} data-testid={id.clone()} ref={select_node.clone()}
                    aria-describedby={describedby.clone()} {onchange}>
                    { for options.iter().map(|o| html! {
                        <option value={o.value.clone()} selected={o.value == text}>{ &o.label }</option>
                    }) }
                </select>
            }
        }
        ParamKind::Text {
            max_len,
            multiline: true,
        } => {
            // A pasted document: its line breaks matter (HAProxy's are its syntax, an nginx `#`
            // comment ends at one), which a one-line input would strip. It applies when focus
            // leaves it, or on Ctrl+Enter, so half-typed text never runs.
            let apply = {
                let set = set.clone();
                let draft = draft.clone();
                move |area: HtmlTextAreaElement| {
                    let v = area.value();
                    draft.set(Some(v.clone()));
                    set(v);
                }
            };
            let onchange = {
                let apply = apply.clone();
                Callback::from(move |e: Event| apply(e.target_unchecked_into()))
            };
            let onkeydown = Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Enter" && (e.ctrl_key() || e.meta_key()) {
                    e.prevent_default();
                    apply(e.target_unchecked_into());
                }
            });
            let shown = match (&props.error, &*draft) {
                (Some(_), Some(d)) => d.clone(),
                _ => text.clone(),
            };
            html! {
                <textarea id={id.clone()} data-testid={id.clone()} value={shown} rows="6"
                    maxlength={max_len.to_string()} spellcheck="false" autocomplete="off"
                    aria-describedby={describedby.clone()} aria-invalid={invalid}
                    {onchange} {onkeydown} />
            }
        }
        ParamKind::Text { max_len, .. } => html! {
            <input type="text" id={id.clone()} data-testid={id.clone()} value={text.clone()}
                maxlength={max_len.to_string()} spellcheck="false" autocomplete="off"
                aria-describedby={describedby.clone()} aria-invalid={invalid}
                onchange={on_change_value.clone()} onkeydown={on_enter.clone()} />
        },
        ParamKind::Bool => {
            let onchange = {
                let set = set.clone();
                Callback::from(move |e: Event| {
                    let input: HtmlInputElement = e.target_unchecked_into();
                    set(input.checked().to_string());
                })
            };
            html! {
                <input type="checkbox" id={id.clone()} data-testid={id.clone()} checked={text == "true"}
                    aria-describedby={describedby.clone()} {onchange} />
            }
        }
    };

    html! {
        <div class={classes!("param", format!("param-kind-{}", kind_name(&spec.kind)), props.error.is_some().then_some("has-error"))}
            title={spec.help.clone()}>
            <label class="param-label" for={id.clone()}>{ &spec.label }</label>
            { control }
            <p class="param-help" id={help_id}>{ &spec.help }</p>
            if let Some(err) = props.error.clone() {
                <p class="field-error" id={error_id.clone()} data-testid={error_id} role="alert">{ err }</p>
            }
        </div>
    }
}

fn kind_name(kind: &ParamKind) -> &'static str {
    match kind {
        ParamKind::Int { .. } => "int",
        ParamKind::Float { .. } => "float",
        ParamKind::Choice { .. } => "choice",
        ParamKind::Text { .. } => "text",
        ParamKind::Bool => "bool",
    }
}

#[allow(clippy::too_many_arguments)]
fn number_control(
    id: &str,
    describedby: &str,
    invalid: Option<&'static str>,
    min: String,
    max: String,
    step: String,
    text: &str,
    on_input: Callback<InputEvent>,
    on_change: Callback<Event>,
    on_enter: Callback<KeyboardEvent>,
    unit: Option<Html>,
) -> Html {
    let value_id = format!("{id}-value");
    html! {
        <div class="param-number">
            <input type="range" id={id.to_string()} data-testid={id.to_string()} min={min.clone()} max={max.clone()}
                step={step.clone()} value={text.to_string()} aria-describedby={describedby.to_string()}
                oninput={on_input} />
            <span class="param-readout">
                <input type="number" class="param-value" data-testid={value_id} min={min} max={max} step={step}
                    value={text.to_string()} aria-label="Exact value" aria-invalid={invalid}
                    aria-describedby={describedby.to_string()} onchange={on_change} onkeydown={on_enter} />
                { for unit }
            </span>
        </div>
    }
}
