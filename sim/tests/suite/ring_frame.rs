//! The ring frame carries everything the ring's rules decide, so the diagram never hashes or
//! looks up: each server's marker (its vnode 0), the arcs it owns, and the point that served
//! each request.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::frame::Frame;
use sim::hashing::{degrees_to_position, HashFn, Position, RING_SIZE};
use sim::models::hash_ring::RingFrame;
use sim::time::SimTime;
use std::rc::Rc;

use crate::common;

fn ring(servers: &str, vnodes: u32, rate: u32, at: SimTime) -> Rc<RingFrame> {
    let (vnodes, rate) = (vnodes.to_string(), rate.to_string());
    let params = [
        ("servers", servers),
        ("vnodes", &vnodes),
        ("hash", "murmur3"),
        ("request_rate", &rate),
    ];
    let s = common::scenario(
        "hash-ring",
        3,
        SimTime::from_secs(5),
        &params,
        common::NO_INPUTS,
    );
    let run = common::start_at(&s, at);
    let Frame::Ring(f) = run.frame() else {
        panic!("the ring model draws a ring")
    };
    f
}

#[test]
fn a_hashed_server_is_marked_at_hash_of_its_vnode_zero() {
    let f = ring("A,B", 5, 0, SimTime::ZERO);
    for s in &f.servers {
        let want = HashFn::Murmur3_32.hash(format!("{}#0", s.name).as_bytes());
        assert_eq!(s.anchor, want, "{}", s.name);
        assert!(s.points.contains(&s.anchor));
    }
}

#[test]
fn a_pinned_server_with_vnodes_is_marked_at_its_pin() {
    let f = ring("A@45,B", 5, 0, SimTime::ZERO);
    assert_eq!(f.servers[0].anchor, degrees_to_position(45.0));
}

#[test]
fn each_server_draws_exactly_the_share_of_the_ring_it_owns() {
    let f = ring("A,B,C,D", 50, 0, SimTime::ZERO);
    let total: u64 = f.servers.iter().flat_map(|s| &s.arcs).map(|a| a.len).sum();
    assert_eq!(total, RING_SIZE, "the arcs cover the ring once");
    for (i, s) in f.servers.iter().enumerate() {
        let len: u64 = s.arcs.iter().map(|a| a.len).sum();
        let percent = len as f64 * 100.0 / RING_SIZE as f64;
        assert!((percent - s.arc_percent).abs() < 1e-9, "{}", s.name);
        assert!(s.arcs.iter().all(|a| a.owner == i));
        // Each arc ends on one of the server's points (it owns up to its point).
        for a in &s.arcs {
            let end = (u64::from(a.start) + a.len) % RING_SIZE;
            assert!(s.points.contains(&(end as Position)), "{}: {a:?}", s.name);
        }
    }
}

#[test]
fn a_request_is_served_by_its_servers_first_point_clockwise() {
    let f = ring("A,B,C", 20, 200, SimTime::from_ms(1_000));
    assert!(!f.requests.is_empty(), "requests are shown");
    for r in &f.requests {
        let s = f.servers.iter().find(|s| s.name == r.server).unwrap();
        let mut pts = s.points.clone();
        pts.sort_unstable();
        let want = pts
            .iter()
            .copied()
            .find(|&p| p >= r.position)
            .unwrap_or(pts[0]);
        assert_eq!(r.point, want, "request {}", r.id);
    }
}
