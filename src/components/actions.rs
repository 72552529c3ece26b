//! Interventions from the model's action list: for an action that picks one of the model's
//! things (`remove-server`), a button per choice the model offers ([`Simulation::choices`]);
//! an add-server button; and a small form for every other action. Each applies an input at the
//! current time.
//!
//! The panel knows no family: what an action can pick (servers now, cache keys or backends
//! later) and why a choice is unavailable (the last server) come from the model.

use crate::components::icons;
use sim::engine::Simulation;
use sim::model::{ActionSpec, Choice};
use sim::scenario::Input;
use std::collections::BTreeMap;
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// What each action that [picks](ActionSpec::pick) can pick now, by action name.
pub type Choices = BTreeMap<&'static str, Vec<Choice>>;

/// The run's [`Choices`] now, shared while they stay the same (so the panel skips re-rendering
/// while only the clock moves).
#[hook]
pub fn use_choices(sim: &dyn Simulation, actions: &[ActionSpec]) -> Rc<Choices> {
    let now: Choices = sim::order::map_of(
        actions
            .iter()
            .filter(|a| a.picks)
            .map(|a| (a.name, sim.choices(a.name))),
    );
    use_memo(now, |c| c.clone())
}

/// Props of [`ActionsPanel`].
#[derive(Properties, PartialEq)]
pub struct ActionsPanelProps {
    /// The model's actions.
    pub actions: Rc<[ActionSpec]>,
    /// What the actions that pick can pick now.
    pub choices: Rc<Choices>,
    /// Name → palette index of the things the diagram colours (a choice's swatch).
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
    let picks = props.actions.iter().filter(|a| a.picks).map(|a| {
        let choices = props.choices.get(a.name).map(Vec::as_slice).unwrap_or_default();
        html! {
            <div class="action-group" key={a.name}>
                <span class="action-group-label">{ a.label }</span>
                <div class="chip-row">
                    { for choices.iter().map(|c| {
                        let v = &c.value;
                        let color = props.colors.get(v).copied().unwrap_or(0);
                        let title = c.unavailable.clone().unwrap_or_else(|| match a.help {
                            Some(help) => format!("{}: {v}, now. {help}", a.label),
                            None => format!("{}: {v}, now", a.label),
                        });
                        html! {
                            <button type="button" class="chip chip-server" data-testid={format!("{}-{v}", a.name)}
                                style={format!("--chip-color: var(--server-{})", color % 12)}
                                disabled={c.unavailable.is_some()} {title}
                                aria-label={format!("{}: {v}", a.label)}
                                onclick={apply(a.name, Some(v.clone()))}>
                                <span class="swatch" aria-hidden="true" />
                                { v.clone() }
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
        .filter(|a| a.name != "add-server" && !a.picks)
        .collect();

    html! {
        <div class="actions">
            { for picks }
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
