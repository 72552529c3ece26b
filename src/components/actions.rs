//! Interventions from the model's action list: a crash button per live server, an add-server
//! button, and a small form for every other action. Each applies an input at the current time.

use crate::components::icons;
use sim::model::ActionSpec;
use sim::scenario::Input;
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// Props of [`ActionsPanel`].
#[derive(Properties, PartialEq)]
pub struct ActionsPanelProps {
    /// The model's actions.
    pub actions: Rc<[ActionSpec]>,
    /// The live servers (or shards).
    pub entities: Rc<[String]>,
    /// Server name → palette index.
    pub colors: Rc<BTreeMap<String, u32>>,
    /// Why the last input was refused.
    pub error: Option<Rc<str>>,
    /// Applies an input now.
    pub on_apply: Callback<Input>,
    /// Hides the error.
    pub on_dismiss_error: Callback<()>,
}

/// The intervention buttons and forms.
#[function_component(ActionsPanel)]
pub fn actions_panel(props: &ActionsPanelProps) -> Html {
    let has = |name: &str| props.actions.iter().any(|a| a.name == name);
    let apply = |action: &'static str, arg: Option<String>| {
        let cb = props.on_apply.clone();
        Callback::from(move |_: MouseEvent| cb.emit(Input::new(action, arg.as_deref())))
    };
    let crash = has("remove-server").then(|| {
        let last = props.entities.len() <= 1;
        html! {
            <div class="action-group">
                <span class="action-group-label">{ "Crash a server" }</span>
                <div class="chip-row">
                    { for props.entities.iter().map(|s| {
                        let color = props.colors.get(s).copied().unwrap_or(0);
                        html! {
                            <button type="button" class="chip chip-server" data-testid={format!("remove-server-{s}")}
                                style={format!("--chip-color: var(--server-{})", color % 12)}
                                disabled={last} title={format!("Crash server {s} now: its keys move to the next server clockwise")}
                                aria-label={format!("Crash server {s}")}
                                onclick={apply("remove-server", Some(s.clone()))}>
                                <span class="swatch" aria-hidden="true" />
                                { s.clone() }
                                { icons::crash() }
                            </button>
                        }
                    }) }
                </div>
            </div>
        }
    });
    let add = has("add-server").then(|| {
        html! {
            <button type="button" class="button button-secondary" data-testid="add-server-button"
                title="Add a server with the next free name; it takes keys only from its successors"
                onclick={apply("add-server", None)}>
                { icons::plus() }{ "Add server" }
            </button>
        }
    });
    let others: Vec<&ActionSpec> = props
        .actions
        .iter()
        .filter(|a| a.name != "add-server" && a.name != "remove-server")
        .collect();

    html! {
        <div class="actions">
            { for crash }
            <div class="action-group action-forms">
                { for add }
                { for others.into_iter().map(|a| html! {
                    <ActionForm key={a.name} spec={a.clone()} on_apply={props.on_apply.clone()} />
                }) }
            </div>
            if let Some(err) = props.error.clone() {
                <div class="inline-alert" role="alert" data-testid="action-error">
                    { icons::warning() }
                    <span>{ err.to_string() }</span>
                    <button type="button" class="icon-button small" aria-label="Dismiss"
                        onclick={props.on_dismiss_error.reform(|_: MouseEvent| ())}>{ icons::close() }</button>
                </div>
            }
        </div>
    }
}

/// Props of [`ActionForm`].
#[derive(Properties, PartialEq)]
pub struct ActionFormProps {
    /// The action.
    pub spec: ActionSpec,
    /// Applies an input now.
    pub on_apply: Callback<Input>,
}

/// A text box and a button for one action with an argument.
#[function_component(ActionForm)]
pub fn action_form(props: &ActionFormProps) -> Html {
    let spec = &props.spec;
    let default = spec.default_arg.unwrap_or("");
    let value = use_state(|| default.to_string());
    let oninput = {
        let value = value.clone();
        Callback::from(move |e: InputEvent| {
            let input: HtmlInputElement = e.target_unchecked_into();
            value.set(input.value());
        })
    };
    let onsubmit = {
        let value = value.clone();
        let cb = props.on_apply.clone();
        let name = spec.name;
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let v = value.trim().to_string();
            cb.emit(Input::new(name, (!v.is_empty()).then_some(v.as_str())));
        })
    };
    let id = format!("action-{}", spec.name);
    html! {
        <form class="action-form" {onsubmit}>
            if spec.arg.is_some() {
                <label class="visually-hidden" for={format!("{id}-input")}>{ format!("{}: {}", spec.label, spec.arg.unwrap_or("")) }</label>
                <input type="text" id={format!("{id}-input")} data-testid={format!("{id}-input")} value={(*value).clone()}
                    placeholder={spec.arg.unwrap_or("")} {oninput} autocomplete="off" spellcheck="false" />
            }
            <button type="submit" class="button button-secondary" data-testid={format!("{id}-submit")}>{ spec.label }</button>
        </form>
    }
}
