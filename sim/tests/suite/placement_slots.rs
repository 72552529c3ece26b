//! The slot-table strategy of the hashing-strategies lesson: keys → `CRC16(key) mod 16384` →
//! a table of slots → servers, as Redis Cluster does it, with joins and leaves made by
//! `redis-cli --cluster rebalance`. Known answers come from outside the implementation: Redis's
//! documented `CLUSTER KEYSLOT` examples and hand calculations of redis-cli's rebalance written
//! beside each assertion.

use sim::engine::{Run, Simulation};
use sim::models::placement::{key_name, PlacementModel, Placer};
use sim::models::slots::hash::key_slot;
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;

fn run(params: &[(&str, &str)], inputs: &[&str]) -> Run<PlacementModel> {
    let mut s = Scenario::new("placement", 7, SimTime::from_secs(1));
    s.params.insert("request_rate".into(), "0".into());
    s.params.insert("strategy".into(), "slots".into());
    for (k, v) in params {
        s.params.insert((*k).into(), (*v).into());
    }
    s.inputs = inputs
        .iter()
        .map(|t| TimedInput::parse(t).expect("a timed input"))
        .collect();
    let mut r = Run::<PlacementModel>::new(&s).expect("valid params");
    r.seek(SimTime::from_ms(1));
    r.validate().expect("invariants hold");
    assert!(r.trace_lines().iter().all(|l| !l.rejected));
    r
}

fn slot_counts(r: &Run<PlacementModel>) -> Vec<u32> {
    let Placer::Slots { owner } = r.model().placer() else {
        panic!("not a slot table");
    };
    let mut c = vec![0u32; r.model().servers().len()];
    owner.iter().for_each(|&o| c[o as usize] += 1);
    c
}

#[test]
fn keys_land_where_redis_documents_their_slots() {
    // CLUSTER KEYSLOT somekey → 11058 and foo{hash_tag} → 2515 (Redis documentation).
    // `redis-cli --cluster create` with 3 masters gives 0–5460, 5461–10922, 10923–16383.
    let r = run(&[("shards", "3")], &[]);
    assert_eq!(r.model().shard_of("somekey"), 2);
    assert_eq!(r.model().shard_of("foo{hash_tag}"), 0);
    assert_eq!(slot_counts(&r), [5461, 5462, 5461]);
    // Every user key is on the owner of its own slot.
    for (id, shard) in r.model().ids().iter().zip(r.model().shards_of_keys()) {
        let slot = u32::from(key_slot(&key_name(*id)));
        let want = match slot {
            0..=5460 => 0,
            5461..=10922 => 1,
            _ => 2,
        };
        assert_eq!(*shard, want, "user {id} in slot {slot}");
    }
}

#[test]
fn a_fifth_server_takes_820_slots_from_each_of_four() {
    // 16384 / 5 = 3276.8 → 3276 expected each; the old servers hold 4096 (balance +820), the
    // newcomer −3276; the balances sum to 4, which redis-cli takes from the newcomer (−3280).
    // Each old server gives its 820 lowest slots: a key moves iff its slot mod 4096 < 820, and
    // only to the newcomer.
    let before = run(&[("shards", "4")], &[]);
    let after = run(&[("shards", "4")], &["0:add-shard"]);
    assert_eq!(slot_counts(&after), [3276, 3276, 3276, 3276, 3280]);
    let m = after.model();
    let mut moved = 0;
    for (i, id) in m.ids().iter().enumerate() {
        let slot = key_slot(&key_name(*id));
        let should = slot % 4096 < 820;
        let (was, is) = (before.model().shards_of_keys()[i], m.shards_of_keys()[i]);
        assert_eq!(was != is, should, "user {id} in slot {slot}");
        if should {
            assert_eq!(is, 4);
            moved += 1;
        }
    }
    let pct = after
        .metrics()
        .get("moved_percent")
        .and_then(|v| v.as_f64());
    assert_eq!(
        pct,
        Some(f64::from(moved) / 10.0),
        "1,000 keys: moved / 10 per cent"
    );
}

#[test]
fn a_leaving_server_hands_over_only_its_own_slots() {
    // Shard 1 of 4 leaves: redis-cli empties it first (weight 0). The others expect
    // 16384 / 3 = 5461.33 → 5461, balance −1365 each; the leaver +4096; the sum is 1, taken from
    // the first server at or below zero, shard 0 (−1366). So shard 0 ends with 5462 slots, the
    // other two 5461, and only the leaver's keys move.
    let before = run(&[("shards", "4")], &[]);
    let after = run(&[("shards", "4")], &["0:remove-shard:1"]);
    assert_eq!(slot_counts(&after), [5462, 5461, 5461]);
    let renumber = |old: u32| if old > 1 { old - 1 } else { old };
    for (i, id) in after.model().ids().iter().enumerate() {
        let (was, is) = (
            before.model().shards_of_keys()[i],
            after.model().shards_of_keys()[i],
        );
        if was != 1 {
            assert_eq!(is, renumber(was), "user {id} stayed on its server");
        }
    }
}

#[test]
fn weights_set_each_servers_share_of_slots() {
    // Weights 1, 2, 3: created 5461, 5462, 5461, then rebalanced to 16384 / 6 · w truncated
    // (2730, 5461, 8192); balances +2731, +1, −2731, summing to 1, taken from shard 2 (−2732):
    // shard 0 gives 2731, shard 1 gives 1 → 2730, 5461, 8193.
    let r = run(&[("shards", "3"), ("weights", "1,2,3")], &[]);
    assert_eq!(slot_counts(&r), [2730, 5461, 8193]);
    // Doubling shard 0's weight later: 16384 / 7 = 2340.57 → 4681, 4681, 7021; balances −1951,
    // +780, +1172 sum to 1, taken from shard 0 (−1952): it takes 1952 slots, and every key that
    // moves goes to shard 0.
    let before = r;
    let after = run(
        &[("shards", "3"), ("weights", "1,2,3")],
        &["0:set-weight:0=2"],
    );
    assert_eq!(slot_counts(&after), [4682, 4681, 7021]);
    for (i, _) in after.model().ids().iter().enumerate() {
        let (was, is) = (
            before.model().shards_of_keys()[i],
            after.model().shards_of_keys()[i],
        );
        assert!(was == is || is == 0);
    }
}

#[test]
fn resizes_are_deterministic_and_keep_the_invariants() {
    let inputs = [
        "0:add-shard",
        "0:add-shard",
        "0:remove-shard:2",
        "0:resize:9",
        "0:resize:3",
    ];
    let a = run(&[("shards", "4"), ("ids", "random")], &inputs);
    let b = run(&[("shards", "4"), ("ids", "random")], &inputs);
    assert_eq!(a.digest(), b.digest());
    assert_eq!(slot_counts(&a).iter().sum::<u32>(), 16_384);
    assert_eq!(a.model().servers().len(), 3);
}
