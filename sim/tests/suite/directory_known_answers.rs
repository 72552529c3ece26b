//! Known answers for directory sharding: the lesson's worked examples with exact numbers (the
//! notes' user_id % 4 layout kept in a table, a fifth shard moving nothing where % 5 moves 80%,
//! the whale and its rebalance, a tenant move moving exactly its keys, misroutes once per client,
//! a directory outage with and without a cache), checked against independent arithmetic where
//! there is some. Also runs as wasm32.

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::engine::{Run, Simulation};
use sim::frame::Frame;
use sim::models::directory::{zipf_sizes, DirectoryModel, Route};
use sim::models::shard_view::RequestOutcome;
use sim::models::sharding::{Move, Placement};
use sim::scenario::{Scenario, TimedInput};
use sim::time::SimTime;
use sim::trace::fnv1a64;

const LESSON: &str = "directory-sharding";
const COMPANIES: [&str; 12] = [
    "acme",
    "globex",
    "initech",
    "umbrella",
    "hooli",
    "stark",
    "wayne",
    "wonka",
    "tyrell",
    "cyberdyne",
    "soylent",
    "oscorp",
];

/// The lesson's scenario for `preset` (its defaults when None), plus extra inputs.
fn scenario(preset: Option<&str>, params: &[(&str, &str)], inputs: &[&str]) -> Scenario {
    let lesson = catalog::lesson(LESSON).expect("the lesson is registered");
    let mut s = lesson.scenario(preset).expect("the preset exists");
    for (k, v) in params {
        s.params.insert((*k).into(), (*v).into());
    }
    s.inputs
        .extend(inputs.iter().map(|t| TimedInput::parse(t).unwrap()));
    s
}

fn run_at(s: &Scenario, ms: u64) -> Run<DirectoryModel> {
    let mut run = Run::<DirectoryModel>::new(s).expect("the scenario builds");
    run.seek(SimTime::from_ms(ms));
    run.validate().unwrap();
    run
}

fn run(preset: Option<&str>, params: &[(&str, &str)], inputs: &[&str]) -> Run<DirectoryModel> {
    let s = scenario(preset, params, inputs);
    let until = s.until.as_ms();
    run_at(&s, until)
}

fn num(run: &dyn Simulation, id: &str) -> Option<f64> {
    run.metrics().get(id).and_then(|v| v.as_f64())
}

fn group(run: &dyn Simulation, id: &str) -> Vec<u64> {
    run.metrics()
        .group(id)
        .unwrap()
        .values
        .iter()
        .map(|(_, v)| *v as u64)
        .collect()
}

fn refused(run: &dyn Simulation) -> Vec<String> {
    run.trace_lines()
        .into_iter()
        .filter(|l| l.rejected)
        .map(|l| l.text)
        .collect()
}

/// Tenant names on each shard, from the frame.
fn members(run: &dyn Simulation) -> Vec<Vec<String>> {
    let Frame::Shards(f) = run.frame() else {
        panic!("a shard frame")
    };
    let mut out = vec![Vec::new(); f.shards.len()];
    for k in &f.keys {
        let tenant = k.name.split('/').next().unwrap().to_string();
        if !out[k.shard as usize].contains(&tenant) {
            out[k.shard as usize].push(tenant);
        }
    }
    out
}

#[test]
fn tenant_sizes_are_a_zipf_split_of_the_keys() {
    // 600 keys over 12 tenants with s = 1: one key each, the other 588 by 1/rank.
    assert_eq!(
        zipf_sizes(600, 12, 1.0),
        [190, 96, 64, 48, 39, 33, 28, 25, 22, 20, 18, 17]
    );
    // Independent check of the whale: 1 + 588 / H(12) rounds to 190.
    let h12: f64 = (1..=12).map(|r| 1.0 / f64::from(r)).sum();
    assert_eq!(1 + (588.0 / h12).floor() as u64, 190);
    // And of every size, by the largest-remainder (Hamilton) method written out here: quotas
    // 588·(1/r)/H(12), floors first, the keys left over to the largest fractions.
    let quota: Vec<f64> = (1..=12).map(|r| 588.0 / f64::from(r) / h12).collect();
    let mut hamilton: Vec<u64> = quota.iter().map(|q| 1 + q.floor() as u64).collect();
    let left = 600 - hamilton.iter().sum::<u64>();
    let mut by_fraction: Vec<usize> = (0..12).collect();
    by_fraction.sort_by(|a, b| (quota[*b].fract()).total_cmp(&quota[*a].fract()));
    for i in by_fraction.into_iter().take(left as usize) {
        hamilton[i] += 1;
    }
    assert_eq!(zipf_sizes(600, 12, 1.0), hamilton);
    assert_eq!(zipf_sizes(600, 12, 0.0), [50; 12]);
}

#[test]
fn least_loaded_places_the_biggest_first_on_the_emptiest_shard() {
    let r = run(None, &[("request_rate", "0")], &[]);
    assert_eq!(group(&r, "keys_per_shard"), [190, 138, 137, 135]);
    let d = r.model().directory();
    let shard_of = |name: &str| d.shard_of(d.find(name).unwrap());
    let expect = [
        ("acme", 0),
        ("globex", 1),
        ("initech", 2),
        ("umbrella", 3),
        ("hooli", 3),
        ("stark", 2),
        ("wayne", 3),
        ("wonka", 1),
        ("tyrell", 2),
        ("cyberdyne", 3),
        ("soylent", 2),
        ("oscorp", 1),
    ];
    for (name, shard) in expect {
        assert_eq!(shard_of(name), shard, "{name}");
    }
    assert_eq!(r.model().owners("acme/189").unwrap(), ["0"]);
    assert_eq!(r.model().owners("acme/190"), None, "acme has keys 0–189");
    assert_eq!(
        r.model().owners("190").unwrap(),
        ["1"],
        "key id 190 is globex/0"
    );
    assert_eq!(r.model().owners("GLOBEX").unwrap(), ["1"]);
    let max_mean = num(&r, "max_mean_ratio").unwrap();
    assert!((max_mean - 190.0 / 150.0).abs() < 1e-12);
    assert!((num(&r, "largest_tenant_percent").unwrap() - 190.0 / 6.0).abs() < 1e-12);
}

#[test]
fn the_notes_layout_kept_in_a_table_moves_nothing_when_a_fifth_shard_arrives() {
    let before = run_at(&scenario(Some("notes-layout"), &[], &[]), 1_000);
    let users = |ids: &[u32]| -> Vec<String> { ids.iter().map(|i| format!("user-{i}")).collect() };
    assert_eq!(
        members(&before),
        [
            users(&[0, 4, 8, 12, 16]),
            users(&[1, 5, 9, 13, 17]),
            users(&[2, 6, 10, 14, 18]),
            users(&[3, 7, 11, 15, 19]),
        ]
    );
    assert_eq!(before.model().owners("user-13").unwrap(), ["1"]);
    assert_eq!(num(&before, "moved_keys"), None, "no change yet");

    let after = run(Some("notes-layout"), &[], &[]);
    assert_eq!(group(&after, "keys_per_shard"), [5, 5, 5, 5, 0]);
    assert_eq!(num(&after, "moved_keys"), Some(0.0));
    assert_eq!(num(&after, "moved_percent"), Some(0.0));
    // user_id % 4 → % 5 keeps a user only when id mod 20 < 4.
    let independent = (0..20u64).filter(|id| id % 4 != id % 5).count() as f64;
    assert_eq!(independent, 16.0);
    assert_eq!(num(&after, "modulo_moved_keys"), Some(independent));
    assert_eq!(num(&after, "modulo_moved_percent"), Some(80.0));
    assert_eq!(
        after.model().owners("user-13").unwrap(),
        ["1"],
        "still on shard 1"
    );
    assert_eq!(after.model().last_moves().unwrap(), Vec::<Move>::new());
    let c = after.model().last_change().unwrap();
    assert_eq!((c.from_shards, c.to_shards, c.total), (4, 5, 20));
}

#[test]
fn twelve_equal_tenants_fill_four_shards_exactly() {
    let r = run(Some("even-tenants"), &[], &[]);
    assert_eq!(group(&r, "keys_per_shard"), [150, 150, 150, 150]);
    assert_eq!(num(&r, "max_mean_ratio"), Some(1.0));
}

#[test]
fn the_whale_overloads_its_shard_and_the_rebalance_moves_its_two_neighbours() {
    let before = run_at(&scenario(Some("whale-rebalance"), &[], &[]), 2_000);
    // Round robin: tenant n on shard n % 4, so acme (0), hooli (4) and tyrell (8) share shard 0.
    assert_eq!(group(&before, "keys_per_shard"), [251, 149, 110, 90]);
    assert!((num(&before, "max_mean_ratio").unwrap() - 251.0 / 150.0).abs() < 1e-12);

    let after = run(Some("whale-rebalance"), &[], &[]);
    assert_eq!(group(&after, "keys_per_shard"), [190, 149, 132, 129]);
    assert_eq!(num(&after, "moved_keys"), Some(61.0));
    assert!((num(&after, "moved_percent").unwrap() - 61.0 * 100.0 / 600.0).abs() < 1e-12);
    assert!((num(&after, "max_mean_ratio").unwrap() - 190.0 / 150.0).abs() < 1e-12);
    assert_eq!(
        after.model().owners("acme").unwrap(),
        ["0"],
        "the whale stays"
    );
    assert_eq!(after.model().owners("hooli").unwrap(), ["3"]);
    assert_eq!(after.model().owners("tyrell").unwrap(), ["2"]);
    let moves = after.model().last_moves().unwrap();
    assert_eq!(moves.len(), 61);
    assert!(moves.iter().all(|Move { key: k, from, to }| from == "0"
        && (k.starts_with("hooli/") && to == "3" || k.starts_with("tyrell/") && to == "2")));
    // The copy of 61 keys at 500 keys/s takes 122 ms: the flip is at 3.122 s.
    let flip = after
        .trace_lines()
        .into_iter()
        .find(|l| l.text.starts_with("Directory flipped"))
        .unwrap();
    assert_eq!(flip.time, SimTime::from_ms(3_122));
}

#[test]
fn adding_a_shard_and_moving_the_whale_moves_exactly_its_keys() {
    let s = scenario(Some("whale-own-shard"), &[], &[]);
    let added = run_at(&s, 2_000);
    assert_eq!(num(&added, "moved_keys"), Some(0.0));
    // Placed by fnv1a64(name) % 4; hash % 4 → hash % 5 would move ten of the twelve tenants.
    let sizes = zipf_sizes(600, 12, 1.0);
    let mut loads = [0u64; 5];
    let mut independent = 0;
    for (name, keys) in COMPANIES.iter().zip(&sizes) {
        let h = fnv1a64(name.as_bytes());
        loads[(h % 4) as usize] += keys;
        if h % 4 != h % 5 {
            independent += keys;
        }
    }
    assert_eq!(loads, [20, 140, 168, 272, 0]);
    assert_eq!(independent, 514);
    assert_eq!(group(&added, "keys_per_shard"), loads);
    assert_eq!(num(&added, "modulo_moved_keys"), Some(514.0));
    assert!((num(&added, "modulo_moved_percent").unwrap() - 514.0 / 6.0).abs() < 1e-12);
    assert_eq!(added.model().owners("acme").unwrap(), ["3"]);

    // 190 keys at 500 keys/s: copying until 3.380 s, acme still served by shard 3.
    let copying = run_at(&s, 3_379);
    assert_eq!(copying.model().owners("acme").unwrap(), ["3"]);
    assert!(copying.model().migration().is_some());
    let flipped = run_at(&s, 3_380);
    assert_eq!(flipped.model().owners("acme").unwrap(), ["4"]);
    assert!(flipped.model().migration().is_none());

    let end = run(Some("whale-own-shard"), &[], &[]);
    assert_eq!(group(&end, "keys_per_shard"), [20, 140, 168, 82, 190]);
    assert_eq!(num(&end, "moved_keys"), Some(190.0));
    assert_eq!(num(&end, "keys_moved_total"), Some(190.0));
    assert!((num(&end, "max_mean_ratio").unwrap() - 190.0 / 120.0).abs() < 1e-12);
    let moves = end.model().last_moves().unwrap();
    assert_eq!(moves.len(), 190);
    assert!(moves
        .iter()
        .all(|Move { key: k, from, to }| k.starts_with("acme/") && from == "3" && to == "4"));
    // One misroute per client: each had acme cached (30 s TTL) before the flip.
    assert_eq!(num(&end, "misrouted_requests"), Some(4.0));
    assert_eq!(num(&end, "failed_requests"), Some(0.0));
}

#[test]
fn hash_placement_is_fnv_mod_n_and_least_loaded_compares_against_it() {
    let hashed = run(None, &[("placement", "hash"), ("request_rate", "0")], &[]);
    for name in COMPANIES {
        let h = fnv1a64(name.as_bytes());
        assert_eq!(
            hashed.model().owners(name).unwrap(),
            [(h % 4).to_string()],
            "{name}"
        );
    }
    // Least-loaded has no formula of its own: adding a shard is compared with hash(tenant) % N,
    // which would move the same 514 keys whatever the table says.
    let r = run(None, &[("request_rate", "0")], &["1000:add-shard"]);
    assert_eq!(num(&r, "moved_keys"), Some(0.0));
    assert_eq!(num(&r, "modulo_moved_keys"), Some(514.0));
    assert_eq!(group(&r, "keys_per_shard"), [190, 138, 137, 135, 0]);
}

#[test]
fn without_a_cache_every_request_in_the_outage_fails_and_every_other_costs_7_ms_plus_its_waits() {
    let r = run(Some("outage-no-cache"), &[], &[]);
    let lines = r.trace_lines();
    let requests: Vec<_> = lines
        .iter()
        .filter(|l| l.text.starts_with("Request "))
        .collect();
    let in_outage = |t: SimTime| t >= SimTime::from_secs(3) && t < SimTime::from_secs(6);
    let expected_failed = requests.iter().filter(|l| in_outage(l.time)).count() as f64;
    assert!(
        expected_failed > 100.0,
        "about 150 requests in three seconds"
    );
    assert!(requests
        .iter()
        .all(|l| in_outage(l.time) == l.text.ends_with("failed.")));
    assert_eq!(num(&r, "failed_requests"), Some(expected_failed));
    // A request is logged when it is answered; those still on their way at the end are not.
    let in_flight = r.model().stats().in_flight as f64;
    assert_eq!(num(&r, "requests"), Some(requests.len() as f64 + in_flight));
    assert_eq!(num(&r, "directory_share"), Some(100.0));
    assert_eq!(num(&r, "cache_hit_rate"), Some(0.0));
    assert_eq!(
        num(&r, "directory_lookups"),
        Some(requests.len() as f64 - expected_failed)
    );
    // Directory 2 ms + shard 5 ms for every served request, plus its waits in their queues.
    let s = r.model().stats();
    assert_eq!(s.by_path.keys().collect::<Vec<_>>(), [&7_000]);
    let mean = num(&r, "mean_latency_ms").unwrap();
    let wait = num(&r, "mean_wait_ms").unwrap();
    assert!((mean - 7.0 - wait).abs() < 1e-9, "{mean} = 7 + {wait}");
    assert!(
        wait > 0.0 && wait < 1.0,
        "light load: short waits, {wait} ms"
    );
}

#[test]
fn a_30_s_cache_rides_out_most_of_the_outage() {
    let none = run(Some("outage-no-cache"), &[], &[]);
    let cached = run(Some("outage-cached"), &[], &[]);
    // The same seed and rate give the same arrivals, so the same requests.
    assert_eq!(num(&none, "requests"), num(&cached, "requests"));
    let (f0, f30) = (
        num(&none, "failed_requests").unwrap(),
        num(&cached, "failed_requests").unwrap(),
    );
    assert!(
        f30 * 5.0 < f0,
        "{f30} failures with a cache vs {f0} without"
    );
    assert!(num(&cached, "cache_hit_rate").unwrap() > 80.0);
    assert!(num(&cached, "mean_latency_ms").unwrap() < 7.0);
    assert!(cached
        .trace_lines()
        .iter()
        .filter(|l| l.text.ends_with("failed."))
        .all(|l| l.time >= SimTime::from_secs(3)
            && l.time < SimTime::from_secs(6)
            && l.text.contains("no fresh cached entry")));
}

#[test]
fn latencies_are_one_hop_two_hops_or_three() {
    let r = run(Some("whale-own-shard"), &[], &[]);
    // Without its waits a served request takes its hops' service times: a cached entry and the
    // shard (5 ms), the directory and the shard (2 + 5), or the wrong shard, the directory and
    // the right one (5 + 2 + 5).
    let paths = &r.model().stats().by_path;
    assert!(
        paths.keys().all(|l| [5_000, 7_000, 12_000].contains(l)),
        "{paths:?}"
    );
    assert_eq!(paths.get(&12_000), Some(&4), "the four misroutes");
    let s = r.model().stats();
    assert_eq!(
        s.latency_sum_us,
        paths.iter().map(|(us, n)| us * n).sum::<u64>() + s.wait_sum_us,
        "latency = services + waits"
    );
    let Frame::Shards(f) = r.frame() else {
        panic!()
    };
    assert_eq!(f.front.len(), 2);
    assert_eq!(
        (f.front[0].id.as_str(), f.front[1].id.as_str()),
        ("cache", "directory")
    );
    assert!(f
        .requests
        .iter()
        .all(|q| q.outcome != RequestOutcome::Failed));
}

#[test]
fn a_copy_finished_while_the_directory_is_down_flips_when_it_returns() {
    let r = run(
        None,
        &[("request_rate", "0")],
        &[
            "3000:move-tenant:acme:3",
            "3100:directory-down",
            "5000:directory-up",
        ],
    );
    let flip = r
        .trace_lines()
        .into_iter()
        .find(|l| l.text.starts_with("Directory flipped"))
        .unwrap();
    assert_eq!(flip.time, SimTime::from_secs(5));
    assert!(r
        .trace_lines()
        .iter()
        .any(|l| l.text.contains("the flip waits")));
    assert_eq!(r.model().owners("acme").unwrap(), ["3"]);
}

#[test]
fn removing_a_shard_drains_its_tenants_and_renumbers_the_rest() {
    let r = run(
        None,
        &[("request_rate", "0"), ("copy_rate", "0")],
        &["0:remove-shard:1"],
    );
    // Shard 1 held globex (96), wonka (25) and oscorp (17); the others shift down one.
    assert_eq!(num(&r, "moved_keys"), Some(138.0));
    assert_eq!(r.model().nodes(), ["0", "1", "2"]);
    assert_eq!(
        r.model().owners("initech").unwrap(),
        ["1"],
        "old shard 2 is now 1"
    );
    assert_eq!(
        r.model().owners("umbrella").unwrap(),
        ["2"],
        "old shard 3 is now 2"
    );
    assert_eq!(group(&r, "keys_per_shard").iter().sum::<u64>(), 600);
    // Biggest first to the emptiest: globex to old 3 (135 → 231), wonka to old 2 (137 → 162),
    // oscorp to old 2 (162 → 179)… each to whichever is emptiest at that point.
    assert_eq!(r.model().owners("globex").unwrap(), ["2"]);
    assert_eq!(r.model().owners("wonka").unwrap(), ["1"]);
    assert_eq!(r.model().owners("oscorp").unwrap(), ["1"]);
    let c = r.model().last_change().unwrap();
    assert_eq!((c.from_shards, c.to_shards), (4, 3));
}

#[test]
fn new_tenants_are_placed_by_the_policy_and_move_nothing() {
    let r = run(
        None,
        &[("request_rate", "0")],
        &["0:add-keys:50", "0:add-keys:acme:10"],
    );
    assert_eq!(
        r.model().owners("vandelay").unwrap(),
        ["3"],
        "the emptiest shard (135 keys)"
    );
    assert_eq!(r.model().owners("vandelay/49").unwrap(), ["3"]);
    assert_eq!(r.model().owners("acme/199").unwrap(), ["0"]);
    assert_eq!(num(&r, "keys"), Some(660.0));
    assert_eq!(num(&r, "tenants"), Some(13.0));
    assert_eq!(num(&r, "moved_keys"), None);
    assert_eq!(group(&r, "keys_per_shard"), [200, 138, 137, 185]);
}

#[test]
fn bad_inputs_are_refused_and_change_nothing() {
    let r = run(
        None,
        &[("request_rate", "0")],
        &[
            "0:move-tenant:nobody:1",
            "0:move-tenant:acme:9",
            "0:move-tenant:acme:0",
            "0:move-tenant:acme",
            "0:directory-up",
            "0:resize:4",
            "0:resize:0",
            "0:remove-shard:7",
            "0:add-keys:0",
            "0:add-keys:nobody:5",
            "0:explode",
            "1000:move-tenant:acme:1",
            "1001:move-tenant:globex:2",
            "1002:rebalance",
            "1003:remove-shard",
        ],
    );
    assert_eq!(refused(&r).len(), 14, "{:#?}", refused(&r));
    assert_eq!(r.model().owners("globex").unwrap(), ["1"]);
    assert_eq!(
        r.model().owners("acme").unwrap(),
        ["1"],
        "the one accepted move"
    );
    assert_eq!(r.model().nodes().len(), 4);
}

#[test]
fn the_lesson_questions_have_the_expected_answers() {
    let lesson = catalog::lesson(LESSON).unwrap();
    let q = |id: &str| {
        lesson
            .reveal(lesson.questions.iter().find(|q| q.id == id).unwrap())
            .unwrap()
    };
    assert!(q("notes-fifth-shard-moves").is_right("0"));
    let whale = q("whale-after-rebalance");
    assert!(whale.is_right("0") && !whale.is_right("3"));
    assert!(q("misroutes-after-move").is_right("4"));
    assert!(refused(&run(Some("whale-own-shard"), &[], &[])).is_empty());
}

#[test]
fn routes_while_down_never_serve_without_a_fresh_entry() {
    // The decision table itself: down + no fresh entry is always a failure.
    for truth in 0..3 {
        assert_eq!(Route::decide(None, truth, false), Route::FailedNoEntry);
        assert!(!Route::decide(Some(truth + 1), truth, false).served());
        assert!(Route::decide(Some(truth), truth, false).served());
    }
}
