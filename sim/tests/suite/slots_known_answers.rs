//! Known answers for the hash-slot lesson, each from outside this implementation:
//!
//! - the CRC16/XMODEM check value: CRC16 of the ASCII digits `123456789` is `0x31C3` (the Redis
//!   Cluster specification, "Appendix A: CRC16 reference implementation in ANSI C": "Output for
//!   "123456789": 31C3"; also the standard CRC catalogue's XMODEM entry);
//! - the examples of the `CLUSTER KEYSLOT` command page
//!   (<https://redis.io/docs/latest/commands/cluster-keyslot/>): `somekey` → 11058,
//!   `foo{hash_tag}` → 2515, `bar{hash_tag}` → 2515;
//! - the hash-tag examples of the specification ("Hash tags" section,
//!   <https://redis.io/docs/latest/operate/oss_and_stack/reference/cluster-spec/>):
//!   `{user1000}.following` and `{user1000}.followers` hash `user1000`; `foo{}{bar}` hashes the
//!   whole key; `foo{{bar}}zap` hashes `{bar`; `foo{bar}{zap}` hashes `bar`;
//! - Dragonfly's `CLUSTER KEYSLOT` page (which states its answers equal Valkey's):
//!   `{user1}.following` → 8106;
//! - the redis-protocol crate's documented `redis-cli cluster keyslot` run:
//!   `8xjx7vWrfPq54mKfFD3Y1CcjjofpnAcQ` → 5458;
//! - Python's standard library: `binascii.crc_hqx(b"somekey", 0)` is `0x6B32` (27,442, and
//!   27,442 − 16,384 = 11,058, the documented slot);
//! - `redis-cli --cluster create` with three masters prints `Master[0] -> Slots 0 - 5460`,
//!   `Master[1] -> Slots 5461 - 10922`, `Master[2] -> Slots 10923 - 16383` (the Redis Cluster
//!   tutorial's transcript, "Create a Redis Cluster").

use sim::engine::Simulation;
use sim::models::sharding::placement;
use sim::models::slots::hash::{crc16, create_split, hash_tag, key_slot, SLOTS};
use sim::time::SimTime;

use crate::common;

#[test]
fn crc16_check_value_is_31c3() {
    assert_eq!(crc16(b"123456789"), 0x31C3);
    assert_eq!(crc16(b"somekey"), 0x6B32);
    assert_eq!(crc16(b""), 0, "XMODEM starts from 0 and has no final XOR");
}

#[test]
fn cluster_keyslot_documented_examples() {
    assert_eq!(key_slot("somekey"), 11058);
    assert_eq!(key_slot("foo{hash_tag}"), 2515);
    assert_eq!(key_slot("bar{hash_tag}"), 2515);
    assert_eq!(key_slot("{user1}.following"), 8106);
    assert_eq!(key_slot("8xjx7vWrfPq54mKfFD3Y1CcjjofpnAcQ"), 5458);
}

#[test]
fn hash_tag_examples_of_the_specification() {
    assert_eq!(hash_tag(b"{user1000}.following"), b"user1000");
    assert_eq!(hash_tag(b"{user1000}.followers"), b"user1000");
    assert_eq!(hash_tag(b"foo{}{bar}"), b"foo{}{bar}");
    assert_eq!(hash_tag(b"foo{{bar}}zap"), b"{bar");
    assert_eq!(hash_tag(b"foo{bar}{zap}"), b"bar");
    assert_eq!(
        key_slot("{user1000}.following"),
        key_slot("{user1000}.followers")
    );
    assert_eq!(key_slot("{user1000}.following"), key_slot("user1000"));
    // No closing brace, or nothing between: the whole key.
    assert_eq!(hash_tag(b"foo{bar"), b"foo{bar");
    assert_eq!(hash_tag(b"}foo{"), b"}foo{");
}

#[test]
fn redis_cli_create_splits_three_masters_as_documented() {
    assert_eq!(
        create_split(3),
        vec![(0, 5460), (5461, 10922), (10923, 16383)]
    );
    // Whatever the count, the ranges tile 0..16384 in order.
    for n in 1..=8 {
        let split = create_split(n);
        assert_eq!(split.len(), n as usize);
        assert_eq!(split[0].0, 0);
        assert_eq!(u32::from(split.last().unwrap().1), SLOTS - 1);
        for w in split.windows(2) {
            assert_eq!(w[0].1 + 1, w[1].0);
        }
    }
}

fn run(params: &[(&str, &str)], inputs: &[&str], until_ms: u64) -> Box<dyn Simulation> {
    let until = SimTime::from_ms(until_ms);
    common::start_at(
        &common::scenario("hash-slots", 11, until, params, inputs),
        until,
    )
}

fn int(r: &dyn Simulation, id: &str) -> i64 {
    common::metric(r, id) as i64
}

#[test]
fn the_cli_and_the_page_give_redis_slot_and_its_node() {
    let r = run(&[("lookup", "foo{hash_tag}")], &[], 100);
    assert_eq!(int(r.as_ref(), "lookup_slot"), 2515);
    let p = placement(r.as_ref()).unwrap();
    let s = p.slot_of("somekey").unwrap();
    // Slot 11058 lies in the third master's range, 10923–16383.
    assert_eq!((s.slot, s.node.as_str()), (11058, "C"));
    assert_eq!(p.slot_of("foo{hash_tag}").unwrap().node, "A");
    assert_eq!(p.owners("somekey").unwrap(), vec!["2".to_string()]);
}

/// Hand calculation: with hash tags the followers key `{user:N}.followers` hashes `user:N`,
/// the profile key's whole name, so an MGET of the two never fails; without tags they share a
/// slot only by a 1-in-16,384 coincidence, so every MGET gets -CROSSSLOT (checked on the
/// sample: no plain pair shares a slot).
#[test]
fn multi_key_reads_fail_across_slots_and_hash_tags_fix_them() {
    for u in 0..200 {
        assert_eq!(
            key_slot(&format!("user:{u}")),
            key_slot(&format!("{{user:{u}}}.followers"))
        );
        assert_ne!(
            key_slot(&format!("user:{u}")),
            key_slot(&format!("user:{u}.followers"))
        );
    }
    let plain = run(&[("tags", "plain"), ("mget_percent", "100")], &[], 2_000);
    assert!(int(plain.as_ref(), "requests") > 0);
    assert_eq!(
        int(plain.as_ref(), "crossslot"),
        int(plain.as_ref(), "requests")
    );
    let tagged = run(&[("tags", "tagged"), ("mget_percent", "100")], &[], 2_000);
    assert_eq!(int(tagged.as_ref(), "crossslot"), 0);
    assert_eq!(int(tagged.as_ref(), "failed"), 0);
}

/// Hand calculation of redis-cli's reshard table: 4,096 slots to an empty fourth master, from
/// 5461/5462/5461 slots (16,384 in all). B, the largest, gives ceil(4096 × 5462 / 16384) =
/// ceil(1365.33) = 1366; A and C give floor(1365.25) = 1365 each: 4,096 in all, after which
/// every master has 4,096 slots.
#[test]
fn resharding_to_an_empty_master_takes_slots_in_proportion() {
    let r = run(
        &[("step_ms", "1")],
        &["0:add-node", "0:reshard:4096"],
        10_000,
    );
    let m = r.metrics();
    let g = m.group("slots_per_node").unwrap();
    let per: Vec<(&str, f64)> = g.values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(
        per,
        vec![("A", 4096.0), ("B", 4096.0), ("C", 4096.0), ("D", 4096.0)]
    );
    assert_eq!(int(r.as_ref(), "slots_migrated"), 4096);
    // Lowest slot numbers first: A gives 0–1364, B 5461–6826, C 10923–12287.
    let p = placement(r.as_ref()).unwrap();
    // A key of a given slot, found by searching names (k0, k1, …).
    let d = |slot: u32| {
        (0..)
            .map(|i| format!("k{i}"))
            .find(|k| u32::from(key_slot(k)) == slot)
            .unwrap()
    };
    for (slot, node) in [
        (0, "D"),
        (1364, "D"),
        (1365, "A"),
        (5461, "D"),
        (6826, "D"),
        (6827, "B"),
        (10923, "D"),
        (12287, "D"),
        (12288, "C"),
    ] {
        assert_eq!(p.slot_of(&d(slot)).unwrap().node, node, "slot {slot}");
    }
}
