//! Known answers for the hash ring: the worked example of the source material (catalogue D1,
//! S002 L368–382), the degree conversion, and the virtual-node experiment a lesson quotes.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::hashing::{
    degrees_to_position, position_to_degrees, HashFn, HashRing, Position, RING_SIZE,
};

/// The source's ring: A at 45°, B at 120°, C at 280°, one point each.
fn source_ring() -> HashRing {
    let mut ring = HashRing::new(HashFn::Fnv1a32, 1).expect("1 vnode is in range");
    for (name, deg) in [("A", 45.0), ("B", 120.0), ("C", 280.0)] {
        ring.add_server(name, Some(degrees_to_position(deg)))
            .expect("distinct, non-empty names");
    }
    ring.validate().expect("the source ring is valid");
    ring
}

fn arc_degrees(ring: &HashRing, server: &str) -> f64 {
    ring.arcs()[server] as f64 * 360.0 / RING_SIZE as f64
}

/// A few thousand positions spread over the whole ring by a Weyl sequence (golden-ratio stride),
/// plus the boundary positions of the example.
fn sample_positions() -> Vec<Position> {
    let mut out: Vec<Position> = (0u32..5000).map(|i| i.wrapping_mul(0x9e37_79b9)).collect();
    for deg in [45.0, 120.0, 280.0] {
        let p = degrees_to_position(deg);
        out.extend([p.wrapping_sub(1), p, p.wrapping_add(1)]);
    }
    out.extend([0, u32::MAX]);
    out
}

#[test]
fn degrees_convert_exactly_at_round_angles() {
    assert_eq!(degrees_to_position(0.0), 0);
    assert_eq!(
        degrees_to_position(45.0),
        536_870_912,
        "45° is exactly 2^32 / 8"
    );
    assert_eq!(degrees_to_position(90.0), 1 << 30);
    assert_eq!(degrees_to_position(180.0), 1 << 31);
    assert_eq!(
        degrees_to_position(100.0),
        1_193_046_471,
        "round(100/360 × 2^32)"
    );
    assert_eq!(degrees_to_position(360.0), 0, "360° wraps to the top");
    assert_eq!(
        degrees_to_position(-90.0),
        degrees_to_position(270.0),
        "angles wrap"
    );
    assert_eq!(position_to_degrees(536_870_912), 45.0);
    assert_eq!(position_to_degrees(0), 0.0);
}

#[test]
fn user123_at_100_degrees_routes_to_b() {
    let ring = source_ring();
    let user123 = degrees_to_position(100.0);
    assert_eq!(
        ring.owner(user123),
        Some("B"),
        "100° lies in (45°, 120°], B's arc"
    );
}

#[test]
fn user123_routes_to_c_after_b_dies() {
    let mut ring = source_ring();
    let removed = ring.remove_server("B").expect("B is on the ring");
    assert_eq!(removed.len(), 1, "B had one point");
    assert_eq!(removed[0].position, degrees_to_position(120.0));
    let user123 = degrees_to_position(100.0);
    assert_eq!(
        ring.owner(user123),
        Some("C"),
        "the next point clockwise from 100° is C at 280°"
    );
    ring.validate().expect("still valid after a removal");
}

#[test]
fn arcs_are_125_75_and_160_degrees() {
    let ring = source_ring();
    for (server, want) in [("A", 125.0), ("B", 75.0), ("C", 160.0)] {
        let got = arc_degrees(&ring, server);
        assert!(
            (got - want).abs() < 1e-6,
            "{server} owns {want}°, got {got}°"
        );
    }
    assert_eq!(
        ring.arcs().values().sum::<u64>(),
        RING_SIZE,
        "arcs cover the ring exactly"
    );
}

#[test]
fn c_owns_235_degrees_after_b_dies() {
    let mut ring = source_ring();
    ring.remove_server("B").expect("B is on the ring");
    let got = arc_degrees(&ring, "C");
    assert!(
        (got - 235.0).abs() < 1e-6,
        "C takes B's 75° on top of its 160°, got {got}°"
    );
    let a = arc_degrees(&ring, "A");
    assert!((a - 125.0).abs() < 1e-6, "A's arc is untouched, got {a}°");
}

#[test]
fn only_keys_between_a_and_b_move_and_all_go_to_c() {
    let before = source_ring();
    let mut after = before.clone();
    after.remove_server("B").expect("B is on the ring");
    let a = degrees_to_position(45.0);
    let b = degrees_to_position(120.0);
    let mut moved = 0u32;
    for pos in sample_positions() {
        let old = before.owner(pos);
        let new = after.owner(pos);
        if a < pos && pos <= b {
            assert_eq!(old, Some("B"), "a key in (45°, 120°] at {pos} was B's");
            assert_eq!(new, Some("C"), "a key in (45°, 120°] at {pos} moves to C");
            moved += 1;
        } else {
            assert_eq!(old, new, "a key outside (45°, 120°] at {pos} does not move");
        }
    }
    assert!(moved > 0, "the sample reaches B's arc");
}

#[test]
fn ties_go_to_the_first_point_in_name_order() {
    let mut ring = HashRing::new(HashFn::Murmur3_32, 1).expect("in range");
    ring.add_server("beta", Some(1000)).expect("new name");
    ring.add_server("alpha", Some(1000)).expect("new name");
    assert_eq!(
        ring.owner(1000),
        Some("alpha"),
        "colliding points: alpha sorts first"
    );
    assert_eq!(
        ring.owner(1001),
        Some("alpha"),
        "past the collision the ring wraps to alpha"
    );
    let arcs = ring.arcs();
    assert_eq!(
        arcs["alpha"], RING_SIZE,
        "the first point of a collision owns the whole arc"
    );
    assert_eq!(
        arcs["beta"], 0,
        "a point hidden by a collision owns nothing"
    );
}

/// Max load / mean load over `keys` keys for `servers` servers with `vnodes` points each.
fn imbalance(hash: HashFn, servers: u32, vnodes: u32, keys: u32) -> (f64, f64) {
    let mut ring = HashRing::new(hash, vnodes).expect("vnodes in range");
    for s in 0..servers {
        ring.add_server(&format!("server-{s}"), None)
            .expect("distinct names");
    }
    let mut load: std::collections::BTreeMap<&str, u32> =
        ring.servers().map(|name| (name, 0)).collect();
    for k in 0..keys {
        let owner = ring
            .owner(ring.position_of(&format!("key-{k}")))
            .expect("non-empty ring");
        *load.get_mut(owner).expect("owner is a server") += 1;
    }
    let mean = f64::from(keys) / f64::from(servers);
    let max_keys = f64::from(*load.values().max().expect("has servers"));
    let max_arc = *ring.arcs().values().max().expect("has servers") as f64;
    let mean_arc = RING_SIZE as f64 / f64::from(servers);
    (max_keys / mean, max_arc / mean_arc)
}

/// The fraction of the ring spanned by the shortest arc that contains every point of `ring`.
fn covering_arc(ring: &HashRing) -> f64 {
    let points = ring.points();
    let widest_gap = points
        .iter()
        .zip(points.iter().cycle().skip(1))
        .map(|(a, b)| {
            let gap = u64::from(b.position.wrapping_sub(a.position));
            if gap == 0 {
                RING_SIZE
            } else {
                gap
            }
        })
        .max()
        .expect("non-empty ring");
    (RING_SIZE - widest_gap) as f64 / RING_SIZE as f64
}

/// Why FNV-1a balances badly here: its last step is `(h ^ byte) × 16777619`, and
/// 16777619 = 2^24 + 403, so changing only the last byte of a label by d moves the hash by about
/// d × 2^24. The labels "S#0".."S#9" differ only in their last byte, so FNV-1a packs them into a
/// few hundredths of the ring, where MurmurHash3's finaliser scatters them.
#[test]
fn fnv1a_crowds_a_servers_first_ten_vnodes_together() {
    for name in ["A", "B", "cache", "db-1", "server-3"] {
        let mut spans = Vec::new();
        for hash in HashFn::ALL {
            let mut ring = HashRing::new(hash, 10).expect("in range");
            ring.add_server(name, None).expect("new name");
            spans.push(covering_arc(&ring));
        }
        println!(
            "{name}: vnodes 0..9 span FNV-1a {:.4}, Murmur3 {:.4} of the ring",
            spans[0], spans[1]
        );
        assert!(
            spans[0] < 1.0 / 16.0,
            "FNV-1a puts {name}#0..{name}#9 within 1/16 of the ring"
        );
        assert!(
            spans[1] > 0.25,
            "Murmur3 spreads {name}#0..{name}#9 over more than 1/4 of the ring"
        );
    }
}

/// Not a known answer: properties every hash must show (the busiest server carries at least the
/// mean; 500 points per server balance better than one), and a printed table for the lesson's
/// prose. The theory the sweep draws (`sim/tests/sweeps.rs`, `sim/tests/theory.rs`) is the
/// quantitative check.
#[test]
fn vnode_experiment_prints_load_imbalance() {
    const SERVERS: u32 = 10;
    const KEYS: u32 = 10_000;
    println!("max/mean load, {SERVERS} servers \"server-0\".., {KEYS} keys \"key-0\"..");
    println!(
        "{:<20} {:>7} {:>10} {:>10}",
        "hash", "vnodes", "by keys", "by arc"
    );
    for hash in HashFn::ALL {
        let mut by_vnodes = Vec::new();
        for vnodes in [1, 10, 100, 500] {
            let (keys, arc) = imbalance(hash, SERVERS, vnodes, KEYS);
            println!("{:<20} {vnodes:>7} {keys:>10.3} {arc:>10.3}", hash.label());
            assert!(
                keys >= 1.0,
                "the busiest server carries at least the mean load"
            );
            by_vnodes.push(keys);
        }
        assert!(
            by_vnodes[3] < by_vnodes[0],
            "{}: 500 vnodes balance better than 1",
            hash.label()
        );
        if hash == HashFn::Murmur3_32 {
            assert!(
                by_vnodes[3] < 1.2,
                "Murmur3 with 500 vnodes: busiest server within 20% of the mean"
            );
        }
    }
}
