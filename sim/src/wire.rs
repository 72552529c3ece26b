//! Values that cross the boundary between the app and a simulation engine (see
//! [`crate::remote`]): what serde needs beyond its derives.
//!
//! A model names its metrics, actions and hash functions with `&'static str` (they are
//! constants in its code). A value read back from the engine has no such constant on the app's
//! side, so [`static_str`] interns the text: each distinct string is leaked once and reused
//! after, so memory stays bounded by the set of names the models have (tens of short strings),
//! however many frames and metrics cross.
//!
//! A frame's large shared parts (every key a resize moved: 15,000 moves, 426 KB of JSON in the
//! largest lesson) stay the same `Rc` frame after frame, while the frame itself changes on every
//! animation tick. [`shared`] sends such a part across once per run and a reference after.

use serde::{Deserialize, Deserializer};
use std::cell::RefCell;
use std::collections::BTreeSet;

pub mod shared;

/// `&'static str`, spelled so that serde's derive does not treat the field as borrowed from the
/// input (which would tie every frame and metric to a `'static` input); fields of this type say
/// `#[serde(deserialize_with = "crate::wire::static_str")]`.
pub type StaticStr = &'static str;

thread_local! {
    static INTERNED: RefCell<BTreeSet<&'static str>> = const { RefCell::new(BTreeSet::new()) };
}

/// The `&'static str` with this text: the one interned before, or a new one.
pub fn intern(text: &str) -> &'static str {
    INTERNED.with(|set| {
        let mut set = set.borrow_mut();
        if let Some(s) = set.get(text) {
            return *s;
        }
        let s: &'static str = Box::leak(text.to_owned().into_boxed_str());
        set.insert(s);
        s
    })
}

/// Deserialises a `&'static str` field by interning it (`#[serde(deserialize_with = …)]`).
pub fn static_str<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
    let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
    Ok(intern(&s))
}

/// Deserialises an `Option<&'static str>` field by interning it.
pub fn opt_static_str<'de, D: Deserializer<'de>>(d: D) -> Result<Option<&'static str>, D::Error> {
    let s: Option<std::borrow::Cow<'de, str>> = Deserialize::deserialize(d)?;
    Ok(s.map(|s| intern(&s)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_text_interns_to_the_same_string_once() {
        let a = intern(&String::from("moved_keys"));
        let b = intern(&String::from("moved_keys"));
        assert!(std::ptr::eq(a, b), "one leak per distinct text");
        assert_eq!(a, "moved_keys");
        assert_ne!(intern("x"), a);
    }
}
