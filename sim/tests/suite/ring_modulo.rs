//! The hash-ring model with `placement = "modulo"`: the same servers and keys placed by
//! `hash % N` over the sorted server list, the rule the consistent-hashing lesson replaces (its
//! compare mode runs both side by side).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::frame::Frame;
use sim::models::sharding::placement;
use sim::registry;
use sim::scenario::Input;
use sim::time::SimTime;

use crate::common;

fn run(placement_rule: &str, keys: u32) -> Box<dyn sim::engine::Simulation> {
    let keys = keys.to_string();
    let params = [
        ("servers", "A@45,B@120,C@280"),
        ("named_keys", "User123@100"),
        ("keys", &keys),
        ("placement", placement_rule),
    ];
    let s = common::scenario(
        "hash-ring",
        42,
        SimTime::from_secs(5),
        &params,
        common::NO_INPUTS,
    );
    registry::start(&s).expect("the scenario builds")
}

/// By hand: User123 sits at 100°, position round(100 · 2³² / 360) = 1,193,046,471, which is
/// 0 mod 3 (server A of [A, B, C]) and 1 mod 2 (server C of [A, C]). On the ring the first
/// server clockwise from 100° is B, and after B crashes, C.
#[test]
fn user123_goes_to_its_position_mod_n_of_the_sorted_servers() {
    let owner = |r: &dyn sim::engine::Simulation| placement(r).unwrap().owners("User123").unwrap();
    let mut m = run("modulo", 0);
    assert_eq!(owner(m.as_ref()), ["A"]);
    m.apply_now(Input::parse("remove-server:B").unwrap());
    assert_eq!(owner(m.as_ref()), ["C"]);
    let mut r = run("ring", 0);
    assert_eq!(owner(r.as_ref()), ["B"]);
    r.apply_now(Input::parse("remove-server:B").unwrap());
    assert_eq!(owner(r.as_ref()), ["C"]);
}

#[test]
fn under_hash_mod_n_servers_own_no_arcs_and_a_crash_deals_most_keys_again() {
    let mut m = run("modulo", 2000);
    let Frame::Ring(f) = m.frame() else {
        panic!("drawn as a ring")
    };
    assert!(
        f.servers.iter().all(|s| s.arcs.is_empty()),
        "no arcs under hash % N"
    );
    for s in &f.servers {
        assert!(
            (s.arc_percent - 100.0 / 3.0).abs() < 1e-6,
            "{}: 1/N of the positions",
            s.name
        );
    }
    m.apply_now(Input::parse("remove-server:B").unwrap());
    m.validate().unwrap();
    let moved = placement(m.as_ref()).unwrap().last_moved().unwrap();
    // Two residues of h mod 6 in six keep their server: about 2/3 move.
    let share = moved.percent();
    assert!((62.0..71.0).contains(&share), "hash % N moved {share}%");
    let line = m.last_trace_line().unwrap();
    assert!(
        line.text
            .starts_with("Server B crashed and hash % N dealt the keys again"),
        "{}",
        line.text
    );
    assert!(!line.text.contains("would have"), "{}", line.text);
    // The moves the frame draws end at their new owner's marker.
    let Frame::Ring(f) = m.frame() else {
        panic!("drawn as a ring")
    };
    let change = f.last_change.as_ref().unwrap();
    for mv in change.moves.iter() {
        let to = f.servers.iter().find(|s| s.name == mv.to).unwrap();
        assert_eq!(mv.point, to.anchor, "{}", mv.key);
    }
    m.seek(SimTime::from_secs(5));
    m.validate().unwrap();
}
