//! Bounded loads on **live** requests, as HAProxy's `hash-balance-factor` applies them.
//!
//! # What it models
//!
//! HAProxy's consistent hashing with bounded loads (`chash_server_is_eligible()` in
//! `src/lb_chash.c`, contributed by Vimeo, after Mirrokni, Thorup & Zadimoghaddam, SODA 2018).
//! The configuration manual defines the factor as "the maximum number of concurrent requests to
//! send to a server, expressed as a percentage of the average number of concurrent requests
//! across all of the active servers". So the bound is on requests **in flight now**, not on keys:
//! a request goes to the first server clockwise from its key's hash that is *eligible*, and a
//! server is eligible while its live count is below its **slots**:
//!
//! - `total = ⌈(served + 1) × factor / 100⌉`, where `served` is every server's live requests
//!   together and the `+ 1` is the request being routed;
//! - each unit of weight gets `⌊total / W⌋` slots (`W` the total weight), and the remainder
//!   `r = total mod W` is shared out by cumulative weight: a server of weight `w` whose
//!   predecessors (in server order) weigh `C` together gets `⌊(C + w)·r / W⌋ − ⌊C·r / W⌋` more;
//! - a server never gets 0 slots.
//!
//! With equal weights every server gets `⌊total / n⌋` or `⌈total / n⌉` slots, so no server ever
//! holds more than `⌈⌈(1 + ε)(served + 1)⌉ / n⌉ = ⌈(1 + ε)(served + 1) / n⌉` requests, the bound
//! the paper states with `m` the requests present. The slots add up to at least `served + 1`, more
//! than the live requests, so some server is always eligible and a walk always ends.
//!
//! Because eligibility depends on the current counts, routing is **stateful**: the balancer must
//! track every server's live requests, and the same key can go to different servers from one
//! moment to the next.
//!
//! # Invariants checked by [`LiveLoads::validate`]
//!
//! - One live count and one weight per server, every weight at least 1; the slots of all servers
//!   add up to at least the total plus one.
//!
//! # What it simplifies
//!
//! - ε is a whole percentage (HAProxy's factor is an integer percent): `factor = round(100 (1 + ε))`.
//!   HAProxy asks for a factor above 100; here 100 (ε = 0) is allowed and simply forwards often.
//! - HAProxy weights are scaled by a constant (`BE_WEIGHT_SCALE`) on both sides of every fraction;
//!   the scale cancels, so plain weights give the same slots.

/// HAProxy's `hash-balance-factor` for a given ε: `round(100 · (1 + ε))`, an integer percent.
pub fn factor_percent(epsilon: f64) -> u64 {
    (100.0 * (1.0 + epsilon.max(0.0))).round() as u64
}

/// The slots of a server of weight `weight` whose predecessors weigh `cumulative` together, out
/// of `total_weight`, when `served` requests are live and `factor` is the balance factor in
/// percent: exactly `chash_server_is_eligible()`'s arithmetic (never 0).
pub fn slots(served: u64, factor: u64, weight: u64, cumulative: u64, total_weight: u64) -> u64 {
    let total_weight = total_weight.max(1);
    let tot_slots = ((served + 1) * factor).div_ceil(100);
    let per_weight = tot_slots / total_weight;
    let remainder = tot_slots % total_weight;
    let share = ((cumulative + weight) * remainder) / total_weight
        - (cumulative * remainder) / total_weight;
    (weight * per_weight + share).max(1)
}

/// Live requests per server (servers numbered `0..n`, in the order HAProxy accumulates weights).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveLoads {
    factor: u64,
    weights: Vec<u64>,
    live: Vec<u64>,
}

impl LiveLoads {
    /// No live requests on servers of the given weights (each at least 1), with `factor` percent.
    pub fn new(factor: u64, weights: &[u32]) -> Self {
        LiveLoads {
            factor,
            weights: weights.iter().map(|&w| u64::from(w.max(1))).collect(),
            live: vec![0; weights.len()],
        }
    }

    /// The balance factor, in percent.
    pub fn factor(&self) -> u64 {
        self.factor
    }

    /// Every server's live requests.
    pub fn live(&self) -> &[u64] {
        &self.live
    }

    /// All live requests together (HAProxy's `served` of the backend).
    pub fn total(&self) -> u64 {
        self.live.iter().sum()
    }

    /// Server `i`'s slots now.
    pub fn slots_of(&self, i: usize) -> u64 {
        let total_weight: u64 = self.weights.iter().sum();
        let cumulative: u64 = self.weights[..i].iter().sum();
        slots(
            self.total(),
            self.factor,
            self.weights[i],
            cumulative,
            total_weight,
        )
    }

    /// Whether server `i` may take one more request now: its live count is below its slots.
    pub fn eligible(&self, i: usize) -> bool {
        i < self.live.len() && self.live[i] < self.slots_of(i)
    }

    /// The first eligible server among `walk` (the servers in ring order from the key's owner,
    /// repeats allowed), or the walk's first server if none is (which the slot arithmetic rules
    /// out).
    pub fn choose(&self, walk: impl IntoIterator<Item = u32>) -> Option<u32> {
        let mut first = None;
        for s in walk {
            first.get_or_insert(s);
            if self.eligible(s as usize) {
                return Some(s);
            }
        }
        first
    }

    /// A request starts on server `i`.
    pub fn start(&mut self, i: usize) {
        if let Some(l) = self.live.get_mut(i) {
            *l += 1;
        }
    }

    /// A request on server `i` ends.
    pub fn finish(&mut self, i: usize) {
        if let Some(l) = self.live.get_mut(i) {
            *l = l.saturating_sub(1);
        }
    }

    /// Checks the invariants listed in the module documentation.
    pub fn validate(&self) -> Result<(), String> {
        if self.weights.len() != self.live.len() {
            return Err(format!(
                "{} weights for {} live counts",
                self.weights.len(),
                self.live.len()
            ));
        }
        if self.weights.contains(&0) {
            return Err("a server has weight 0".into());
        }
        let sum: u64 = (0..self.live.len()).map(|i| self.slots_of(i)).sum();
        if !self.live.is_empty() && sum < self.total() + 1 {
            return Err(format!(
                "the slots add up to {sum}, fewer than the {} live requests plus one",
                self.total()
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hand calculations of `chash_server_is_eligible()`'s formula.
    #[test]
    fn slots_follow_haproxys_arithmetic() {
        // 10 live, factor 125, 4 equal servers: total = ⌈11 × 1.25⌉ = ⌈13.75⌉ = 14;
        // 14 / 4 = 3 rem 2; server i gets 3 + ⌊2(i+1)/4⌋ − ⌊2i/4⌋: 3, 4, 3, 4.
        let got: Vec<u64> = (0..4).map(|i| slots(10, 125, 1, i, 4)).collect();
        assert_eq!(got, vec![3, 4, 3, 4]);
        // Nothing live: total = ⌈1.25⌉ = 2 over 4 servers: 0 + shares 0, 1, 0, 1, then "never 0".
        let got: Vec<u64> = (0..4).map(|i| slots(0, 125, 1, i, 4)).collect();
        assert_eq!(got, vec![1, 1, 1, 1]);
        // Weights 1, 2, 3 (W = 6), 20 live, factor 150: total = ⌈31.5⌉ = 32 = 5 × 6 + 2.
        // Weight 3 with C = 3: 15 + ⌊6·2/6⌋ − ⌊3·2/6⌋ = 15 + 2 − 1 = 16.
        assert_eq!(slots(20, 150, 3, 3, 6), 16);
        assert_eq!(slots(20, 150, 1, 0, 6), 5);
        assert_eq!(slots(20, 150, 2, 1, 6), 10 + 1);
        // Never more than ⌈(1 + ε)(served + 1) / n⌉ with equal weights.
        for served in 0..200u64 {
            let bound = (served + 1) * 125;
            let bound = bound.div_ceil(400);
            for i in 0..4 {
                assert!(
                    slots(served, 125, 1, i, 4) <= bound.max(1),
                    "served {served}"
                );
            }
        }
    }

    #[test]
    fn factor_rounds_to_a_whole_percent() {
        assert_eq!(factor_percent(0.25), 125);
        assert_eq!(factor_percent(0.0), 100);
        assert_eq!(factor_percent(0.333), 133);
    }

    #[test]
    fn a_full_owner_passes_the_request_on() {
        let mut l = LiveLoads::new(125, &[1, 1, 1, 1]);
        // Nothing live: every server has one slot; the owner takes it.
        assert_eq!(l.choose([2, 3, 0, 1]), Some(2));
        l.start(2);
        // One live: total = ⌈2 × 1.25⌉ = 3 over 4: slots 1, 1, 1, 1 (rem 3: 0,1,1,1 → never 0).
        assert!(!l.eligible(2));
        assert_eq!(l.choose([2, 3, 0, 1]), Some(3));
        l.finish(2);
        assert_eq!(l.choose([2, 3, 0, 1]), Some(2));
        l.validate().unwrap();
    }
}
