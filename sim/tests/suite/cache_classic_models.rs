//! Model-based tests of the classic eviction policies: each against a naive reference written
//! here (plain `Vec`s scanned linearly, the policy's rule written the obvious way), on random
//! sequences of accesses (random keys and sizes, count and byte capacity) and removals. After
//! every operation: the same hit or miss, the same structure (the whole `view()`: segments,
//! order, marks, hand, values), `validate()`, and `used() <= capacity()`. A twin run with
//! narration on must stay identical to the silent one, and its events must agree with what
//! happened. Properties over every policy follow (proptest, native only: it seeds itself
//! from the OS).

#[cfg(target_arch = "wasm32")]
use wasm_bindgen_test::wasm_bindgen_test as test;

use sim::cache::clock::Clock;
use sim::cache::fifo::Fifo;
use sim::cache::lfu::{Aging, Lfu};
use sim::cache::lru::Lru;
use sim::cache::random::RandomEviction;
use sim::cache::sampled::SampledLru;
use sim::cache::slru::Slru;
use sim::cache::two_q::TwoQ;
use sim::cache::{CacheEvent, CacheView, Outcome, Policy, Request, ViewEntry, ViewSegment};
use sim::rng::SimRng;

/// A naive reference: answers hit or miss, removes, and draws its own view.
trait Naive {
    fn access(&mut self, key: u64, size: u32) -> bool;
    fn remove(&mut self, key: u64) -> bool;
    fn view(&self) -> CacheView;
}

type Obj = (u64, u32);

fn seg(name: &'static str, ghost: bool, cap: Option<u64>, e: Vec<ViewEntry>) -> ViewSegment {
    ViewSegment {
        name,
        ghost,
        capacity: cap,
        entries: e,
    }
}

fn plain(objs: impl Iterator<Item = Obj>) -> Vec<ViewEntry> {
    objs.map(|(key, size)| ViewEntry {
        key,
        size,
        mark: None,
    })
    .collect()
}

fn used(objs: &[Obj]) -> u64 {
    objs.iter().map(|o| u64::from(o.1)).sum()
}

fn pos(objs: &[Obj], key: u64) -> Option<usize> {
    objs.iter().position(|o| o.0 == key)
}

/// FIFO (`lru: false`) and LRU (`lru: true`): a list, oldest or least recent first.
struct NaiveList {
    cap: u64,
    lru: bool,
    objs: Vec<Obj>,
}

impl Naive for NaiveList {
    fn access(&mut self, key: u64, size: u32) -> bool {
        if let Some(i) = pos(&self.objs, key) {
            if self.lru {
                let o = self.objs.remove(i);
                self.objs.push(o);
            }
            return true;
        }
        if u64::from(size) > self.cap {
            return false;
        }
        while used(&self.objs) + u64::from(size) > self.cap {
            self.objs.remove(0);
        }
        self.objs.push((key, size));
        false
    }
    fn remove(&mut self, key: u64) -> bool {
        pos(&self.objs, key).map(|i| self.objs.remove(i)).is_some()
    }
    fn view(&self) -> CacheView {
        let name = if self.lru { "LRU list" } else { "queue" };
        CacheView {
            segments: vec![seg(
                name,
                false,
                Some(self.cap),
                plain(self.objs.iter().rev().copied()),
            )],
            ..CacheView::default()
        }
    }
}

/// LFU and LFU-DA: (key, size, count, priority, last use); victim = min (priority, last use).
struct NaiveLfu {
    cap: u64,
    dynamic: bool,
    age: u64,
    now: u64,
    objs: Vec<(u64, u32, u64, u64, u64)>,
}

impl Naive for NaiveLfu {
    fn access(&mut self, key: u64, size: u32) -> bool {
        self.now += 1;
        let age = if self.dynamic { self.age } else { 0 };
        if let Some(o) = self.objs.iter_mut().find(|o| o.0 == key) {
            o.2 += 1;
            o.3 = o.2 + age;
            o.4 = self.now;
            return true;
        }
        if u64::from(size) > self.cap {
            return false;
        }
        while self.objs.iter().map(|o| u64::from(o.1)).sum::<u64>() + u64::from(size) > self.cap {
            let i = (0..self.objs.len())
                .min_by_key(|&i| (self.objs[i].3, self.objs[i].4))
                .unwrap();
            let gone = self.objs.remove(i);
            if self.dynamic {
                self.age = gone.3;
            }
        }
        let age = if self.dynamic { self.age } else { 0 };
        self.objs.push((key, size, 1, 1 + age, self.now));
        false
    }
    fn remove(&mut self, key: u64) -> bool {
        let i = self.objs.iter().position(|o| o.0 == key);
        i.map(|i| self.objs.remove(i)).is_some()
    }
    fn view(&self) -> CacheView {
        let mut objs = self.objs.clone();
        objs.sort_by_key(|o| std::cmp::Reverse((o.3, o.4)));
        let entries = objs
            .iter()
            .map(|o| ViewEntry {
                key: o.0,
                size: o.1,
                mark: Some(if self.dynamic { o.3 } else { o.2 } as u32),
            })
            .collect();
        CacheView {
            segments: vec![seg("frequency list", false, Some(self.cap), entries)],
            values: if self.dynamic {
                vec![("L", self.age as i64)]
            } else {
                vec![]
            },
            ..CacheView::default()
        }
    }
}

/// CLOCK: the frames in a `Vec` (key, size, bit) and the hand as an index.
struct NaiveClock {
    cap: u64,
    frames: Vec<(u64, u32, bool)>,
    hand: usize,
}

impl Naive for NaiveClock {
    fn access(&mut self, key: u64, size: u32) -> bool {
        if let Some(f) = self.frames.iter_mut().find(|f| f.0 == key) {
            f.2 = true;
            return true;
        }
        if u64::from(size) > self.cap {
            return false;
        }
        // Without an eviction the new frame goes before the hand (at the end when the hand is
        // at the first frame); after one, where the last victim was.
        let mut at = if self.hand == 0 {
            self.frames.len()
        } else {
            self.hand
        };
        while self.frames.iter().map(|f| u64::from(f.1)).sum::<u64>() + u64::from(size) > self.cap {
            while self.frames[self.hand].2 {
                self.frames[self.hand].2 = false;
                self.hand = (self.hand + 1) % self.frames.len();
            }
            self.frames.remove(self.hand);
            at = self.hand;
            if self.hand == self.frames.len() {
                self.hand = 0;
            }
        }
        self.frames.insert(at, (key, size, false));
        if at <= self.hand && self.frames.len() > 1 {
            self.hand += 1;
        }
        false
    }
    fn remove(&mut self, key: u64) -> bool {
        let Some(i) = self.frames.iter().position(|f| f.0 == key) else {
            return false;
        };
        self.frames.remove(i);
        if i < self.hand {
            self.hand -= 1;
        }
        if self.hand >= self.frames.len() {
            self.hand = 0;
        }
        true
    }
    fn view(&self) -> CacheView {
        let entries = self
            .frames
            .iter()
            .map(|f| ViewEntry {
                key: f.0,
                size: f.1,
                mark: Some(u32::from(f.2)),
            })
            .collect();
        CacheView {
            segments: vec![seg("clock", false, Some(self.cap), entries)],
            hand: (!self.frames.is_empty()).then_some((0, self.hand as u32)),
            values: vec![],
        }
    }
}

/// Random: a `Vec` in which the last object fills a removed one's place.
struct NaiveRandom {
    cap: u64,
    objs: Vec<Obj>,
    rng: SimRng,
}

impl Naive for NaiveRandom {
    fn access(&mut self, key: u64, size: u32) -> bool {
        if pos(&self.objs, key).is_some() {
            return true;
        }
        if u64::from(size) > self.cap {
            return false;
        }
        while used(&self.objs) + u64::from(size) > self.cap {
            let i = self.rng.below(self.objs.len() as u64) as usize;
            self.objs.swap_remove(i);
        }
        self.objs.push((key, size));
        false
    }
    fn remove(&mut self, key: u64) -> bool {
        pos(&self.objs, key)
            .map(|i| self.objs.swap_remove(i))
            .is_some()
    }
    fn view(&self) -> CacheView {
        CacheView {
            segments: vec![seg(
                "cache",
                false,
                Some(self.cap),
                plain(self.objs.iter().copied()),
            )],
            ..CacheView::default()
        }
    }
}

/// Redis' sampled LRU: keys (key, size, last use) in a `Vec`, the pool a sorted `Vec` of at
/// most 16 (idle, key), the best candidate last.
struct NaiveSampled {
    cap: u64,
    samples: u64,
    now: u64,
    keys: Vec<(u64, u32, u64)>,
    pool: Vec<(u64, u64)>,
    last_sample: Vec<(u64, u64)>,
    rng: SimRng,
}

impl NaiveSampled {
    fn offer(&mut self, idle: u64, key: u64) {
        let k = self
            .pool
            .iter()
            .position(|p| p.0 >= idle)
            .unwrap_or(self.pool.len());
        if self.pool.len() == 16 {
            if k == 0 {
                return;
            }
            self.pool.remove(0);
            self.pool.insert(k - 1, (idle, key));
        } else {
            self.pool.insert(k, (idle, key));
        }
    }
    fn size_of(&self, key: u64) -> u32 {
        self.keys.iter().find(|k| k.0 == key).map_or(0, |k| k.1)
    }
}

impl Naive for NaiveSampled {
    fn access(&mut self, key: u64, size: u32) -> bool {
        let now = self.now;
        self.now += 1;
        if let Some(k) = self.keys.iter_mut().find(|k| k.0 == key) {
            k.2 = now;
            return true;
        }
        if u64::from(size) > self.cap {
            return false;
        }
        while self.keys.iter().map(|k| u64::from(k.1)).sum::<u64>() + u64::from(size) > self.cap {
            'evicted: loop {
                let n = self.keys.len() as u64;
                self.last_sample.clear();
                let mut drawn: Vec<usize> = vec![];
                while (drawn.len() as u64) < n.min(self.samples) {
                    let r = self.rng.below(n) as usize;
                    if drawn.contains(&r) {
                        continue;
                    }
                    drawn.push(r);
                    let (k, _, last) = self.keys[r];
                    self.last_sample.push((now - last, k));
                    self.offer(now - last, k);
                }
                while let Some((_, k)) = self.pool.pop() {
                    if let Some(i) = self.keys.iter().position(|e| e.0 == k) {
                        self.keys.swap_remove(i);
                        break 'evicted;
                    }
                }
            }
        }
        self.keys.push((key, size, now));
        false
    }
    fn remove(&mut self, key: u64) -> bool {
        let i = self.keys.iter().position(|e| e.0 == key);
        i.map(|i| self.keys.swap_remove(i)).is_some()
    }
    fn view(&self) -> CacheView {
        let idle_entry = |&(idle, key): &(u64, u64)| ViewEntry {
            key,
            size: self.size_of(key),
            mark: Some(idle as u32),
        };
        let keyspace = self
            .keys
            .iter()
            .map(|&(key, size, last)| ViewEntry {
                key,
                size,
                mark: Some((self.now - last) as u32),
            })
            .collect();
        CacheView {
            segments: vec![
                seg("keyspace", false, Some(self.cap), keyspace),
                seg(
                    "eviction pool",
                    true,
                    Some(16),
                    self.pool.iter().map(idle_entry).collect(),
                ),
                seg(
                    "last sample",
                    true,
                    Some(self.samples),
                    self.last_sample.iter().map(idle_entry).collect(),
                ),
            ],
            hand: None,
            values: vec![
                ("samples", self.samples as i64),
                ("pool size", 16),
                ("now", self.now as i64),
            ],
        }
    }
}

/// SLRU: two `Vec`s, most recent first.
struct NaiveSlru {
    cap: u64,
    percent: u32,
    prob: Vec<Obj>,
    prot: Vec<Obj>,
}

impl Naive for NaiveSlru {
    fn access(&mut self, key: u64, size: u32) -> bool {
        let prot_cap = self.cap * u64::from(self.percent) / 100;
        let hit = if let Some(i) = pos(&self.prot, key) {
            Some(self.prot.remove(i))
        } else {
            pos(&self.prob, key).map(|i| self.prob.remove(i))
        };
        if let Some(o) = hit {
            self.prot.insert(0, o);
            while used(&self.prot) > prot_cap {
                let o = self.prot.pop().unwrap();
                self.prob.insert(0, o);
            }
            return true;
        }
        if u64::from(size) > self.cap {
            return false;
        }
        while used(&self.prob) + used(&self.prot) + u64::from(size) > self.cap {
            if self.prob.pop().is_none() {
                self.prot.pop();
            }
        }
        self.prob.insert(0, (key, size));
        false
    }
    fn remove(&mut self, key: u64) -> bool {
        if let Some(i) = pos(&self.prot, key) {
            self.prot.remove(i);
            return true;
        }
        pos(&self.prob, key).map(|i| self.prob.remove(i)).is_some()
    }
    fn view(&self) -> CacheView {
        let prot_cap = self.cap * u64::from(self.percent) / 100;
        CacheView {
            segments: vec![
                seg(
                    "protected",
                    false,
                    Some(prot_cap),
                    plain(self.prot.iter().copied()),
                ),
                seg(
                    "probationary",
                    false,
                    None,
                    plain(self.prob.iter().copied()),
                ),
            ],
            hand: None,
            values: vec![("protected %", i64::from(self.percent))],
        }
    }
}

/// 2Q: three `Vec`s, newest first; the paper's pseudo-code line by line.
struct NaiveTwoQ {
    cap: u64,
    a1in: Vec<Obj>,
    a1out: Vec<Obj>,
    am: Vec<Obj>,
}

impl NaiveTwoQ {
    fn kin(&self) -> u64 {
        self.cap / 4
    }
    fn kout(&self) -> u64 {
        self.cap / 2
    }
}

impl Naive for NaiveTwoQ {
    fn access(&mut self, key: u64, size: u32) -> bool {
        if let Some(i) = pos(&self.am, key) {
            let o = self.am.remove(i);
            self.am.insert(0, o);
            return true;
        }
        if pos(&self.a1in, key).is_some() {
            return true;
        }
        if u64::from(size) > self.cap {
            return false;
        }
        let ghost = pos(&self.a1out, key).map(|i| self.a1out.remove(i));
        // reclaimfor(X)
        while used(&self.a1in) + used(&self.am) + u64::from(size) > self.cap {
            if used(&self.a1in) > self.kin() || self.am.is_empty() {
                let y = self.a1in.pop().unwrap();
                self.a1out.insert(0, y);
                while used(&self.a1out) > self.kout() {
                    self.a1out.pop();
                }
            } else {
                self.am.pop();
            }
        }
        if ghost.is_some() {
            self.am.insert(0, (key, size));
        } else {
            self.a1in.insert(0, (key, size));
        }
        false
    }
    fn remove(&mut self, key: u64) -> bool {
        if let Some(i) = pos(&self.am, key) {
            self.am.remove(i);
            return true;
        }
        pos(&self.a1in, key).map(|i| self.a1in.remove(i)).is_some()
    }
    fn view(&self) -> CacheView {
        CacheView {
            segments: vec![
                seg("Am", false, None, plain(self.am.iter().copied())),
                seg("A1in", false, None, plain(self.a1in.iter().copied())),
                seg(
                    "A1out",
                    true,
                    Some(self.kout()),
                    plain(self.a1out.iter().copied()),
                ),
            ],
            hand: None,
            values: vec![("Kin", self.kin() as i64), ("Kout", self.kout() as i64)],
        }
    }
}

const POLICIES: [&str; 9] = [
    "fifo",
    "lru",
    "lfu",
    "lfu-da",
    "clock",
    "random",
    "sampled-lru",
    "slru",
    "2q",
];

fn make(id: &str, cap: u64, seed: u64) -> Box<dyn Policy> {
    match id {
        "fifo" => Box::new(Fifo::new(cap)),
        "lru" => Box::new(Lru::new(cap)),
        "lfu" => Box::new(Lfu::new(cap, Aging::None)),
        "lfu-da" => Box::new(Lfu::new(cap, Aging::Dynamic)),
        "clock" => Box::new(Clock::new(cap)),
        "random" => Box::new(RandomEviction::new(cap, seed)),
        "sampled-lru" => Box::new(SampledLru::new(cap, 3, seed).unwrap()),
        "slru" => Box::new(Slru::new(cap, 60).unwrap()),
        "2q" => Box::new(TwoQ::new(cap)),
        _ => unreachable!(),
    }
}

fn naive(id: &str, cap: u64, seed: u64) -> Box<dyn Naive> {
    match id {
        "fifo" | "lru" => Box::new(NaiveList {
            cap,
            lru: id == "lru",
            objs: vec![],
        }),
        "lfu" | "lfu-da" => Box::new(NaiveLfu {
            cap,
            dynamic: id == "lfu-da",
            age: 0,
            now: 0,
            objs: vec![],
        }),
        "clock" => Box::new(NaiveClock {
            cap,
            frames: vec![],
            hand: 0,
        }),
        "random" => Box::new(NaiveRandom {
            cap,
            objs: vec![],
            rng: SimRng::stream(seed, "cache-random"),
        }),
        "sampled-lru" => Box::new(NaiveSampled {
            cap,
            samples: 3,
            now: 0,
            keys: vec![],
            pool: vec![],
            last_sample: vec![],
            rng: SimRng::stream(seed, "cache-sampled"),
        }),
        "slru" => Box::new(NaiveSlru {
            cap,
            percent: 60,
            prob: vec![],
            prot: vec![],
        }),
        "2q" => Box::new(NaiveTwoQ {
            cap,
            a1in: vec![],
            a1out: vec![],
            am: vec![],
        }),
        _ => unreachable!(),
    }
}

/// Checks one access's narration against what happened.
fn check_events(p: &dyn Policy, req: &Request, outcome: Outcome, ev: &[CacheEvent], at: &str) {
    let ghosts: Vec<&str> = p
        .view()
        .segments
        .iter()
        .filter(|s| s.ghost)
        .map(|s| s.name)
        .collect();
    match (outcome, ev.first()) {
        (Outcome::Hit, Some(CacheEvent::Hit { key, .. }))
        | (Outcome::Miss, Some(CacheEvent::Miss { key, .. })) => {
            assert_eq!(*key, req.key, "{at}: the first event names the request")
        }
        other => panic!("{at}: the first event does not match the outcome: {other:?}"),
    }
    for e in &ev[1..] {
        match e {
            CacheEvent::Evict { key, segment, why } if !ghosts.contains(segment) => {
                assert!(!why.is_empty(), "{at}: an eviction says why");
                assert!(!p.contains(*key), "{at}: evicted {key} is still cached");
            }
            CacheEvent::Insert { key, segment } if !ghosts.contains(segment) => {
                assert!(p.contains(*key), "{at}: inserted {key} is not cached");
            }
            CacheEvent::Refuse { key, .. } => {
                assert!(
                    u64::from(req.size) > p.capacity() && !p.contains(*key),
                    "{at}"
                )
            }
            _ => {}
        }
    }
    let refused = ev.iter().any(|e| matches!(e, CacheEvent::Refuse { .. }));
    assert_eq!(
        refused,
        outcome == Outcome::Miss && u64::from(req.size) > p.capacity(),
        "{at}: refuse exactly the objects larger than the cache"
    );
}

/// `ops` random operations over `keys` keys; sizes 1 with count capacity, 1–12 with bytes.
fn compare(id: &str, seed: u64, ops: u32) {
    let mut rng = SimRng::new(seed);
    let bytes = rng.chance(0.5);
    let cap = if bytes { rng.below(60) } else { rng.below(12) };
    let keys = 4 + rng.below(20);
    let mut policy = make(id, cap, seed);
    let mut narrated = make(id, cap, seed);
    let mut reference = naive(id, cap, seed);
    for step in 0..ops {
        let at = format!("{id} seed {seed} step {step} (capacity {cap}, bytes {bytes})");
        let key = rng.below(keys);
        if rng.chance(0.1) {
            let r = policy.remove(key);
            assert_eq!(r, reference.remove(key), "{at}: remove({key})");
            assert_eq!(r, narrated.remove(key), "{at}");
        } else {
            let size = if bytes { 1 + rng.below(12) as u32 } else { 1 };
            let req = Request {
                key,
                size,
                next: sim::cache::NEVER,
            };
            let o = policy.access(&req, None);
            let hit = reference.access(key, size);
            assert_eq!(o == Outcome::Hit, hit, "{at}: access({key}, size {size})");
            let mut ev = Vec::new();
            assert_eq!(narrated.access(&req, Some(&mut ev)), o, "{at}: narrated");
            check_events(narrated.as_ref(), &req, o, &ev, &at);
        }
        policy
            .validate()
            .unwrap_or_else(|e| panic!("{at}: validate: {e}"));
        let view = policy.view();
        assert_eq!(view, reference.view(), "{at}: structure");
        assert_eq!(view, narrated.view(), "{at}: narration changed the state");
        assert!(policy.used() <= policy.capacity(), "{at}: over capacity");
        let cached: Vec<&ViewEntry> = view
            .segments
            .iter()
            .filter(|s| !s.ghost)
            .flat_map(|s| s.entries.iter())
            .collect();
        assert_eq!(cached.len() as u64, policy.len(), "{at}: len");
        let units: u64 = cached.iter().map(|e| u64::from(e.size)).sum();
        assert_eq!(units, policy.used(), "{at}: used");
    }
}

#[test]
fn every_policy_agrees_with_its_naive_reference() {
    for id in POLICIES {
        for seed in 0..150 {
            compare(id, seed, 400);
        }
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// Whatever the trace: never over capacity (units and objects), never an object larger
        /// than the cache, which is refused every time it is asked for. (Each key keeps one
        /// size, as in a real trace: a hit serves the stored copy whatever size is asked.)
        #[test]
        fn capacity_is_never_exceeded_and_giants_are_refused(
            cap in 0u64..40,
            bytes in any::<bool>(),
            sizes in proptest::collection::vec(1u32..50, 30),
            trace in proptest::collection::vec(0u64..30, 1..300),
        ) {
            for id in POLICIES {
                let mut p = make(id, cap, 3);
                for &key in &trace {
                    let size = if bytes { sizes[key as usize] } else { 1 };
                    let req = Request { key, size, next: sim::cache::NEVER };
                    let mut ev = Vec::new();
                    let o = p.access(&req, Some(&mut ev));
                    prop_assert!(p.used() <= p.capacity(), "{id}: used {} > {}", p.used(), cap);
                    prop_assert!(p.len() <= p.used(), "{id}: sizes are at least 1");
                    if u64::from(size) > cap {
                        prop_assert_eq!(o, Outcome::Miss);
                        prop_assert!(!p.contains(key), "{} admitted a giant", id);
                        let refused = ev.iter().any(|e| matches!(e, CacheEvent::Refuse { .. }));
                        prop_assert!(refused, "{} refused silently", id);
                    }
                    prop_assert!(p.validate().is_ok(), "{}: {:?}", id, p.validate());
                }
            }
        }
    }
}
