//! Keeps a `<select>`'s selection equal to the state. An option's `selected` attribute stops
//! working once the user has picked an option by hand, so the value is set as a property after
//! every render that changes it.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

/// Sets the select behind `node` to `value` whenever `value` changes (and on mount).
#[hook]
pub fn use_select_value(node: NodeRef, value: String) {
    use_effect_with(value, move |value| {
        if let Some(select) = node.cast::<HtmlSelectElement>() {
            if select.value() != *value {
                select.set_value(value);
            }
        }
    });
}
