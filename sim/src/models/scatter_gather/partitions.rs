//! Micro-partitions and the rebalancer that moves them (Dean & Barroso, "The Tail at Scale",
//! CACM 2013: "many more partitions than there are machines", about 20 per machine, so that a
//! machine can shed load "in roughly 5% increments and in 1/20th the time").
//!
//! Users are split into `nodes × per_node` partitions, user `id` in partition
//! `id % partitions`, and partition `p` starts on node `p % nodes`, so that at the start user
//! `id` is on node `id % nodes` whatever `per_node` is (with `per_node = 1` this is the plain
//! `user_id % N` of the rest of the lesson). The owner table then changes one partition at a
//! time, when the rebalancer moves one.
//!
//! **The rebalancer's rule.** Every period it gives each node that holds data a signal
//! ([`signal`]): the median latency of the node's answers that reached the router during the last
//! period (a median, so that one pause does not look like a slow machine; at least
//! [`MIN_SAMPLES`] answers), or, for a node that gave fewer answers, its queued work if it has
//! any (else it is not judged: a queue seen at one instant says little about a healthy node, but a
//! node too slow to answer five times has one). Then ([`plan`]):
//!
//! 1. **Probation** ([`should_probate`]), for one node at a time: while a node is on
//!    probation no other is put on it (each one drained leaves fewer healthy nodes to compare
//!    with, and draining a second one on a noisy quarter-second would cascade). Let `w` be the judged node with the worst signal, `m`
//!    the median signal of the judged nodes not on probation, and `d` the best of them. `w` goes
//!    on probation when its signal is more than twice `m` and `d`, scaled up by one more partition
//!    (`signal(d) · (held(d) + 1) / held(d)`), would still be under half of `w`'s signal — so a
//!    node that only looks slow because it just received a whole shard is not drained in turn
//!    (with one partition per node that would bounce the shard between machines). It must be so
//!    at [`PROBATION_LOOKS`] looks in a row: a healthy node queued behind one pause looks slow
//!    for a quarter of a second, not for a second.
//! 2. **Draining.** A node on probation sheds all its partitions, lowest-numbered first, each to
//!    a judged node not on probation that is not already receiving one (best signal first, ties
//!    to fewer partitions, then the lowest id): with 20 partitions per node and three healthy
//!    nodes, three copies run at once, each a twentieth of the data. A node on probation never
//!    receives (the paper's "latency-induced probation"; its shadow requests to detect recovery
//!    are not modelled, so a drained node stays drained).

use std::rc::Rc;

/// The worst node must be more than this many times the median before anything moves.
pub const TRIGGER_FACTOR: u64 = 2;
/// Consecutive looks at which a node must be the one [`should_probate`] names before it is put
/// on probation.
pub const PROBATION_LOOKS: u32 = 4;
/// Answers a node must have given in a period for its latency to count.
pub const MIN_SAMPLES: usize = 5;

/// A node's signal from the latencies of its answers seen this period and its queued work, in
/// microseconds: the median answer (at least [`MIN_SAMPLES`] of them), else the queue if there
/// is one; `None` when neither says anything.
pub fn signal(latencies: &mut [u64], queued_us: u64) -> Option<u64> {
    if latencies.len() >= MIN_SAMPLES {
        latencies.sort_unstable();
        return Some(latencies[(latencies.len() - 1) / 2]);
    }
    (queued_us > 0).then_some(queued_us)
}

/// Which node holds each partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partitions {
    per_node: u32,
    /// Owner of each partition, by partition number; shared with the queries that planned by it.
    owner: Rc<[u32]>,
}

impl Partitions {
    /// `nodes × per_node` partitions, partition `p` on node `p % nodes`.
    pub fn new(nodes: u32, per_node: u32) -> Self {
        let nodes = nodes.max(1);
        let count = nodes * per_node.max(1);
        Partitions {
            per_node: per_node.max(1),
            owner: (0..count).map(|p| p % nodes).collect(),
        }
    }

    /// Partitions each node started with.
    pub fn per_node(&self) -> u32 {
        self.per_node
    }

    /// Partitions in all.
    pub fn count(&self) -> u32 {
        self.owner.len() as u32
    }

    /// The owner table now (cheap to keep: a query keeps the one it was planned with).
    pub fn owners(&self) -> Rc<[u32]> {
        self.owner.clone()
    }

    /// The node holding user `id`.
    pub fn node_of(&self, id: u64) -> u32 {
        node_of(&self.owner, id)
    }

    /// The partition holding user `id`.
    pub fn partition_of(&self, id: u64) -> u32 {
        (id % u64::from(self.count())) as u32
    }

    /// Partitions held by each of `nodes` nodes.
    pub fn held(&self, nodes: u32) -> Vec<u32> {
        let mut held = vec![0u32; nodes as usize];
        for &n in self.owner.iter() {
            if let Some(h) = held.get_mut(n as usize) {
                *h += 1;
            }
        }
        held
    }

    /// The lowest-numbered partition `node` holds, other than those in `except`.
    pub fn first_of(&self, node: u32, except: &[u32]) -> Option<u32> {
        (0..self.count()).find(|p| self.owner[*p as usize] == node && !except.contains(p))
    }

    /// Hands `partition` to `node`.
    pub fn give(&mut self, partition: u32, node: u32) {
        let mut owner = self.owner.to_vec();
        owner[partition as usize] = node;
        self.owner = owner.into();
    }
}

/// The node holding user `id` under the owner table `owner`.
pub fn node_of(owner: &[u32], id: u64) -> u32 {
    owner[(id % owner.len().max(1) as u64) as usize]
}

/// Step 1 of the rule (see the module docs): the node to put on probation, if any.
/// `signals[i]`: node `i`'s signal in microseconds (`None`: not judged); `held[i]`: its
/// partitions; `probation[i]`: already on probation.
pub fn should_probate(signals: &[Option<u64>], held: &[u32], probation: &[bool]) -> Option<u32> {
    if probation.iter().any(|p| *p) {
        return None;
    }
    let judged = |i: &u32| held[*i as usize] > 0 && signals[*i as usize].is_some();
    let sig = |i: u32| signals[i as usize].unwrap_or(0);
    let healthy: Vec<u32> = (0..signals.len() as u32)
        .filter(|i| judged(i) && !probation[*i as usize])
        .collect();
    if healthy.len() < 2 {
        return None;
    }
    let mut sorted: Vec<u64> = healthy.iter().map(|&i| sig(i)).collect();
    sorted.sort_unstable();
    let median = sorted[(sorted.len() - 1) / 2];
    // Worst: highest signal, ties to the lowest id.
    let w = healthy
        .iter()
        .copied()
        .max_by_key(|&i| (sig(i), std::cmp::Reverse(i)))?;
    if sig(w) <= TRIGGER_FACTOR * median {
        return None;
    }
    let d = healthy
        .iter()
        .copied()
        .filter(|&i| i != w)
        .min_by_key(|&i| (sig(i), held[i as usize], i))?;
    let hd = u64::from(held[d as usize]);
    let projected = sig(d) * (hd + 1) / hd;
    (TRIGGER_FACTOR * projected < sig(w)).then_some(w)
}

/// Step 2: the moves to start now, as `(from, to)` node pairs: each node on probation that still
/// holds partitions (in id order) sends one partition to each judged node not on probation that
/// is not `receiving` one already, best signal first, until it runs out of partitions or the
/// receivers run out. `moving[i]`: partitions already leaving node `i`.
pub fn plan(
    signals: &[Option<u64>],
    held: &[u32],
    probation: &[bool],
    receiving: &[bool],
    moving: &[u32],
) -> Vec<(u32, u32)> {
    let mut free: Vec<u32> = (0..signals.len() as u32)
        .filter(|&i| {
            let i = i as usize;
            held[i] > 0 && signals[i].is_some() && !probation[i] && !receiving[i]
        })
        .collect();
    let mut moves = Vec::new();
    for from in (0..held.len() as u32).filter(|&i| probation[i as usize]) {
        let left = held[from as usize].saturating_sub(moving[from as usize]);
        for _ in 0..left {
            // The best receiver left: best signal, then fewer partitions, then the lowest id.
            let Some(k) = (0..free.len()).min_by_key(|&k| {
                let i = free[k] as usize;
                (signals[i], held[i], free[k])
            }) else {
                return moves;
            };
            moves.push((from, free.remove(k)));
        }
    }
    moves
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_start_where_modulo_puts_their_users() {
        // 4 nodes × 20: user 13 is in partition 13, on node 13 % 4 = 1; user 93 is in partition
        // 93 % 80 = 13 as well, so on node 1, which is 93 % 4.
        let p = Partitions::new(4, 20);
        assert_eq!(p.count(), 80);
        assert_eq!((p.node_of(13), p.node_of(93)), (1, 1));
        for id in 0..1_000 {
            assert_eq!(p.node_of(id), (id % 4) as u32);
        }
        assert_eq!(p.held(4), [20, 20, 20, 20]);
    }

    #[test]
    fn giving_a_partition_moves_exactly_its_users() {
        let mut p = Partitions::new(4, 20);
        let before = p.owners();
        p.give(2, 3);
        assert_eq!(p.held(4), [20, 20, 19, 21]);
        assert_eq!(p.first_of(2, &[]), Some(6));
        assert_eq!(p.first_of(2, &[6, 10]), Some(14));
        for id in 0..800 {
            let moved = node_of(&before, id) != p.node_of(id);
            assert_eq!(moved, id % 80 == 2, "user {id}");
        }
    }

    #[test]
    fn probation_by_hand() {
        // Node 2 at 40 ms, the others at 3, 4, 5 ms: median (lower) 4 ms, 40 > 2 × 4; the best
        // node is 0 (3 ms, 20 partitions), scaled 3 × 21 / 20 = 3.15 ms, 2 × 3.15 < 40: node 2.
        let held = [20, 20, 20, 20];
        let none = [false; 4];
        let ms = |v: [u64; 4]| v.map(|x| Some(x * 1_000));
        assert_eq!(should_probate(&ms([3, 4, 40, 5]), &held, &none), Some(2));
        // 7 ms is not more than twice the median of 4 ms: nobody.
        assert_eq!(should_probate(&ms([3, 4, 7, 5]), &held, &none), None);
        // One partition per node, after the slow node 2's shard went to node 0: node 0 at 7 ms
        // holds 2; node 1 (3 ms, 1 partition) would be 6 ms with one more, and 2 × 6 is not
        // under 7. Node 2 holds nothing and is ignored.
        assert_eq!(
            should_probate(&ms([7, 3, 0, 3]), &[2, 1, 0, 1], &none),
            None
        );
        // The same node 0 at 13 ms would go on probation: 2 × 6 < 13 ...
        assert_eq!(
            should_probate(&ms([13, 3, 0, 3]), &[2, 1, 0, 1], &none),
            Some(0)
        );
        // ... unless another node is on probation already.
        let p = [false, false, true, false];
        assert_eq!(should_probate(&ms([13, 3, 0, 3]), &[2, 1, 0, 1], &p), None);
        // A node not judged (too few answers) is skipped: the median of 3, 40, 5 is 5.
        let mut s = ms([1, 3, 40, 5]);
        s[0] = None;
        assert_eq!(should_probate(&s, &held, &none), Some(2));
        // Fewer than two healthy nodes with data: nobody.
        assert_eq!(
            should_probate(&[Some(9_000), Some(0)], &[4, 0], &[false; 2]),
            None
        );
    }

    #[test]
    fn draining_by_hand() {
        // Node 2 on probation with 20 partitions; nodes 0, 1, 3 at 3, 2, 2 ms, none receiving:
        // one partition each, best first (node 1 and 3 tie at 2 ms and 20 partitions: id order).
        let ms = |v: [u64; 4]| v.map(|x| Some(x * 1_000));
        let p = [false, false, true, false];
        assert_eq!(
            plan(
                &ms([3, 2, 90, 2]),
                &[20, 20, 20, 20],
                &p,
                &[false; 4],
                &[0; 4]
            ),
            [(2, 1), (2, 3), (2, 0)]
        );
        // Node 3 still receiving: two moves start.
        let busy = [false, false, false, true];
        assert_eq!(
            plan(
                &ms([3, 2, 90, 2]),
                &[20, 21, 19, 21],
                &p,
                &busy,
                &[0, 0, 1, 0]
            ),
            [(2, 1), (2, 0)]
        );
        // One partition left and it is already moving: nothing to start.
        assert_eq!(
            plan(
                &ms([3, 2, 90, 2]),
                &[26, 27, 1, 26],
                &p,
                &[false; 4],
                &[0, 0, 1, 0]
            ),
            []
        );
        // With one partition per node the single shard goes to one node.
        assert_eq!(
            plan(&ms([3, 2, 90, 2]), &[1, 1, 1, 1], &p, &[false; 4], &[0; 4]),
            [(2, 1)]
        );
    }

    #[test]
    fn the_signal_is_a_median_or_the_queue() {
        // Five answers, one of them paused: the median (3 ms) ignores the pause.
        assert_eq!(
            signal(&mut [2_000, 53_000, 3_000, 4_000, 3_000], 0),
            Some(3_000)
        );
        // With five answers the queue at this instant (a pause under way) does not count.
        assert_eq!(
            signal(&mut [2_000, 3_000, 3_000, 4_000, 3_000], 9_000),
            Some(3_000)
        );
        // Too few answers and no queue: not judged; too few answers and a queue: the queue.
        assert_eq!(signal(&mut [2_000, 3_000], 0), None);
        assert_eq!(signal(&mut [2_000, 3_000], 700), Some(700));
    }
}
