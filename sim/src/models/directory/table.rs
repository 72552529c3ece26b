//! The directory itself: the tenants, the shards and the table that maps each tenant to one shard,
//! with the placement decisions a directory service makes (where a new tenant goes, which tenants
//! to move to even the shards out, where a removed shard's tenants go). Plain data with methods,
//! usable without the scheduler.
//!
//! Shards have two numbers. A *physical id* never changes and is never reused; it is what the
//! table and the clients' caches store, as a real directory stores a host name. The *index* is the
//! shard's position in the current list (0..N); views, actions and metrics use it. Removing shard 1
//! of 0–3 renumbers the shards above it (3 becomes 2) without moving their data.

use crate::trace::fnv1a64;

/// Most shards a run may have.
pub const MAX_SHARDS: u32 = 32;
/// Most tenants a run may have (built and added).
pub const MAX_TENANTS: u32 = 64;
/// Most keys a run may have (built and added).
pub const MAX_KEYS: u64 = 20_000;

/// The company names tenants get first, in order; tenants past the list are `tenant-25`, ….
pub const COMPANY_NAMES: [&str; 24] = [
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
    "vandelay",
    "massive",
    "gringotts",
    "monarch",
    "aperture",
    "nakatomi",
    "veridian",
    "zorg",
    "duff",
    "krusty",
    "prestige",
    "virtucon",
];

/// How tenants are named.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Naming {
    /// `acme`, `globex`, … then `tenant-25`, ….
    Companies,
    /// `user-0`, `user-1`, … (the notes' user ids, one tenant per user).
    Users,
}

impl Naming {
    /// Reads the `naming` parameter.
    pub fn parse(text: &str) -> Self {
        match text {
            "users" => Naming::Users,
            _ => Naming::Companies,
        }
    }

    /// The name of tenant number `n` (0-based).
    pub fn name(self, n: u32) -> String {
        match self {
            Naming::Users => format!("user-{n}"),
            Naming::Companies => COMPANY_NAMES
                .get(n as usize)
                .map_or_else(|| format!("tenant-{}", n + 1), |s| (*s).to_string()),
        }
    }
}

/// How the directory places a tenant it has not seen before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The shard with the fewest keys (ties: the lowest index). At build time tenants are
    /// placed biggest first, the classic greedy heuristic for even bins.
    LeastLoaded,
    /// Tenant number `n` goes to shard `n % N`: exactly what `user_id % N` gives.
    RoundRobin,
    /// `fnv1a64(name) % N`: what a hash-sharded system would give, written into the table.
    Hash,
}

impl Placement {
    /// Reads the `placement` parameter.
    pub fn parse(text: &str) -> Self {
        match text {
            "round-robin" => Placement::RoundRobin,
            "hash" => Placement::Hash,
            _ => Placement::LeastLoaded,
        }
    }

    /// The parameter value.
    pub fn id(self) -> &'static str {
        match self {
            Placement::LeastLoaded => "least-loaded",
            Placement::RoundRobin => "round-robin",
            Placement::Hash => "hash",
        }
    }

    /// The stateless rule this placement is compared against when the shard count changes:
    /// `tenant % N` for round-robin, `hash(tenant) % N` otherwise.
    pub fn rule(self) -> &'static str {
        match self {
            Placement::RoundRobin => "tenant % N",
            _ => "hash(tenant) % N",
        }
    }
}

/// One tenant: a customer whose keys all live on one shard.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    /// Its name (`acme`).
    pub name: String,
    /// Its number, in creation order (0-based).
    pub number: u32,
    /// How many keys it has.
    pub keys: u64,
    /// `fnv1a64(name)`, for hash placement and the `% N` comparison.
    pub hash: u64,
}

impl Tenant {
    /// A tenant with this number, name and size.
    pub fn new(number: u32, name: String, keys: u64) -> Self {
        Tenant {
            hash: fnv1a64(name.as_bytes()),
            name,
            number,
            keys,
        }
    }

    /// The value the stateless `% N` rule of `placement` reduces.
    pub fn rule_value(&self, placement: Placement) -> u64 {
        match placement {
            Placement::RoundRobin => u64::from(self.number),
            _ => self.hash,
        }
    }
}

/// Splits `total` keys over `tenants` tenants, Zipf-like: every tenant gets one key, and the
/// rest is shared in proportion to `1 / rank^skew` (rank 1 = tenant 0, the biggest) by largest
/// remainder, ties to the lower rank. `skew = 0` gives equal sizes (up to one key). The result
/// always adds up to `total` (which is raised to `tenants` if smaller).
pub fn zipf_sizes(total: u64, tenants: u32, skew: f64) -> Vec<u64> {
    let n = tenants.max(1) as usize;
    let total = total.max(n as u64);
    let rest = total - n as u64;
    let weights: Vec<f64> = (1..=n).map(|r| 1.0 / libm::pow(r as f64, skew)).collect();
    let sum: f64 = weights.iter().sum();
    let quotas: Vec<f64> = weights.iter().map(|w| rest as f64 * w / sum).collect();
    let mut sizes: Vec<u64> = quotas.iter().map(|q| libm::floor(*q) as u64).collect();
    let given: u64 = sizes.iter().sum();
    // Floors never exceed the quotas, so at most n keys are left; hand them out by remainder.
    let mut order: Vec<usize> = (0..n).collect();
    crate::order::sort_by(&mut order, |&a, &b| {
        let (ra, rb) = (
            quotas[a] - libm::floor(quotas[a]),
            quotas[b] - libm::floor(quotas[b]),
        );
        rb.total_cmp(&ra).then(a.cmp(&b))
    });
    for &i in order.iter().take(rest.saturating_sub(given) as usize) {
        sizes[i] += 1;
    }
    // Any float shortfall beyond one per tenant (never seen, but cheap to rule out) goes to rank 1.
    let now: u64 = sizes.iter().sum();
    sizes[0] += rest.saturating_sub(now);
    sizes.iter().map(|s| s + 1).collect()
}

/// One tenant the directory decided to move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlannedMove {
    /// The tenant's number.
    pub tenant: u32,
    /// Physical id of the shard it leaves.
    pub from: u32,
    /// Physical id of the shard it goes to.
    pub to: u32,
}

/// The directory table: tenant → shard, over a numbered list of shards.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directory {
    tenants: Vec<Tenant>,
    /// Physical shard id of each tenant (parallel to `tenants`).
    entry: Vec<u32>,
    /// Physical ids of the shards, in index order.
    shards: Vec<u32>,
    next_phys: u32,
}

impl Directory {
    /// `shards` empty shards (physical ids 0..shards) and `tenants` placed by `placement`
    /// (least-loaded places the biggest first).
    pub fn new(tenants: Vec<Tenant>, shards: u32, placement: Placement) -> Self {
        let shards = shards.clamp(1, MAX_SHARDS);
        let mut dir = Directory {
            tenants: Vec::new(),
            entry: Vec::new(),
            shards: (0..shards).collect(),
            next_phys: shards,
        };
        let mut order = tenants;
        if placement == Placement::LeastLoaded {
            crate::order::sort_by(&mut order, |a, b| {
                b.keys.cmp(&a.keys).then(a.number.cmp(&b.number))
            });
        }
        for t in order {
            let phys = dir.choose(&t, placement, &[]);
            dir.tenants.push(t);
            dir.entry.push(phys);
        }
        // Keep tenants in number order whatever order they were placed in.
        let mut pairs: Vec<(Tenant, u32)> =
            dir.tenants.drain(..).zip(dir.entry.drain(..)).collect();
        crate::order::sort_by_key(&mut pairs, |(t, _)| t.number);
        (dir.tenants, dir.entry) = pairs.into_iter().unzip();
        dir
    }

    /// Where `placement` would put tenant `t` now, never on a shard in `avoid`.
    fn choose(&self, t: &Tenant, placement: Placement, avoid: &[u32]) -> u32 {
        let open: Vec<u32> = self
            .shards
            .iter()
            .copied()
            .filter(|p| !avoid.contains(p))
            .collect();
        let n = open.len().max(1) as u64;
        match placement {
            Placement::RoundRobin => open[(u64::from(t.number) % n) as usize],
            Placement::Hash => open[(t.hash % n) as usize],
            Placement::LeastLoaded => {
                let loads = self.loads_by_phys();
                *open
                    .iter()
                    .min_by_key(|p| (loads.get(p).copied().unwrap_or(0), self.index_of(**p)))
                    .expect("at least one open shard")
            }
        }
    }

    fn loads_by_phys(&self) -> std::collections::BTreeMap<u32, u64> {
        let mut loads: std::collections::BTreeMap<u32, u64> =
            crate::order::map_of(self.shards.iter().map(|p| (*p, 0)));
        for (t, p) in self.tenants.iter().zip(&self.entry) {
            *loads.entry(*p).or_insert(0) += t.keys;
        }
        loads
    }

    /// The tenants, by number.
    pub fn tenants(&self) -> &[Tenant] {
        &self.tenants
    }
    /// How many shards there are.
    pub fn shard_count(&self) -> u32 {
        self.shards.len() as u32
    }
    /// Physical ids of the shards, by index.
    pub fn shards(&self) -> &[u32] {
        &self.shards
    }
    /// The current index of the shard with this physical id (None once it is removed).
    pub fn index_of(&self, phys: u32) -> Option<u32> {
        self.shards
            .iter()
            .position(|p| *p == phys)
            .map(|i| i as u32)
    }
    /// The physical id of the shard at `index`.
    pub fn phys_at(&self, index: u32) -> Option<u32> {
        self.shards.get(index as usize).copied()
    }
    /// Physical id of tenant `t`'s shard (the table entry).
    pub fn phys_of(&self, t: u32) -> u32 {
        self.entry[t as usize]
    }
    /// Index of tenant `t`'s shard.
    pub fn shard_of(&self, t: u32) -> u32 {
        self.index_of(self.phys_of(t)).unwrap_or(0)
    }
    /// The tenant with this name (case-insensitive).
    pub fn find(&self, name: &str) -> Option<u32> {
        let name = name.trim();
        self.tenants
            .iter()
            .find(|t| t.name.eq_ignore_ascii_case(name))
            .map(|t| t.number)
    }
    /// Keys per shard, by index.
    pub fn loads(&self) -> Vec<u64> {
        let by_phys = self.loads_by_phys();
        self.shards.iter().map(|p| by_phys[p]).collect()
    }
    /// Tenants on the shard at `index`, biggest first.
    pub fn tenants_on(&self, index: u32) -> Vec<u32> {
        let Some(phys) = self.phys_at(index) else {
            return Vec::new();
        };
        let mut on: Vec<u32> = (0..self.tenants.len() as u32)
            .filter(|t| self.entry[*t as usize] == phys)
            .collect();
        crate::order::sort_by(&mut on, |a, b| {
            let (ta, tb) = (&self.tenants[*a as usize], &self.tenants[*b as usize]);
            tb.keys.cmp(&ta.keys).then(a.cmp(b))
        });
        on
    }
    /// All keys.
    pub fn total_keys(&self) -> u64 {
        self.tenants.iter().map(|t| t.keys).sum()
    }

    /// Adds a tenant placed by `placement`; returns its physical shard.
    /// Shards in `avoid` (being drained) are never chosen.
    pub fn add_tenant(
        &mut self,
        name: String,
        keys: u64,
        placement: Placement,
        avoid: &[u32],
    ) -> u32 {
        let t = Tenant::new(self.tenants.len() as u32, name, keys);
        let phys = self.choose(&t, placement, avoid);
        self.tenants.push(t);
        self.entry.push(phys);
        phys
    }
    /// Grows tenant `t` by `keys` keys (on its shard).
    pub fn grow(&mut self, t: u32, keys: u64) {
        self.tenants[t as usize].keys += keys;
    }
    /// Adds an empty shard at the end; returns its physical id.
    pub fn add_shard(&mut self) -> u32 {
        let phys = self.next_phys;
        self.next_phys += 1;
        self.shards.push(phys);
        phys
    }
    /// Points tenant `t` at physical shard `phys` (the flip).
    pub fn set(&mut self, t: u32, phys: u32) {
        self.entry[t as usize] = phys;
    }
    /// Removes an empty shard; false (and nothing changes) if a tenant still points at it.
    pub fn remove_shard(&mut self, phys: u32) -> bool {
        if self.entry.contains(&phys) || self.shards.len() <= 1 {
            return false;
        }
        self.shards.retain(|p| *p != phys);
        true
    }

    /// Where the tenants of the shards in `removing` go: biggest first, each to the remaining
    /// shard with the fewest keys at that point.
    pub fn plan_drain(&self, removing: &[u32]) -> Vec<PlannedMove> {
        let mut loads = self.loads_by_phys();
        let mut leaving: Vec<u32> = (0..self.tenants.len() as u32)
            .filter(|t| removing.contains(&self.entry[*t as usize]))
            .collect();
        crate::order::sort_by(&mut leaving, |a, b| {
            let (ta, tb) = (&self.tenants[*a as usize], &self.tenants[*b as usize]);
            tb.keys.cmp(&ta.keys).then(a.cmp(b))
        });
        let mut plan = Vec::new();
        for t in leaving {
            let keys = self.tenants[t as usize].keys;
            let Some(to) = self
                .shards
                .iter()
                .copied()
                .filter(|p| !removing.contains(p))
                .min_by_key(|p| (loads[p], self.index_of(*p)))
            else {
                break;
            };
            *loads.get_mut(&to).expect("a known shard") += keys;
            plan.push(PlannedMove {
                tenant: t,
                from: self.entry[t as usize],
                to,
            });
        }
        plan
    }

    /// A rebalance plan that moves few tenants: repeatedly take the fullest and the emptiest
    /// shard and move the one tenant of the fullest (not moved yet) that brings the two closest
    /// to equal, as long as that narrows their gap; stop when no single move helps. Greedy, so
    /// not always optimal (even partitioning is NP-hard), but it never moves a tenant twice and
    /// never raises the fullest shard's load.
    pub fn plan_rebalance(&self) -> Vec<PlannedMove> {
        let mut loads = self.loads_by_phys();
        let mut at: Vec<u32> = self.entry.clone();
        let mut moved = vec![false; self.tenants.len()];
        let mut plan = Vec::new();
        for _ in 0..self.tenants.len() {
            let by_index = |p: &u32| self.index_of(*p);
            let full = *self
                .shards
                .iter()
                .max_by_key(|p| (loads[*p], std::cmp::Reverse(by_index(p))))
                .expect("a shard");
            let empty = *self
                .shards
                .iter()
                .min_by_key(|p| (loads[*p], by_index(p)))
                .expect("a shard");
            let gap = loads[&full] - loads[&empty];
            let best = (0..self.tenants.len())
                .filter(|&t| at[t] == full && !moved[t])
                .filter(|&t| {
                    let k = self.tenants[t].keys;
                    k > 0 && k < gap
                })
                .min_by_key(|&t| {
                    let k = self.tenants[t].keys;
                    (gap.abs_diff(2 * k), std::cmp::Reverse(k), t)
                });
            let Some(t) = best else {
                break;
            };
            let k = self.tenants[t].keys;
            *loads.get_mut(&full).expect("a shard") -= k;
            *loads.get_mut(&empty).expect("a shard") += k;
            at[t] = empty;
            moved[t] = true;
            plan.push(PlannedMove {
                tenant: t as u32,
                from: full,
                to: empty,
            });
        }
        plan
    }

    /// Keys whose tenant would change shard if the stateless `% N` rule of `placement` went
    /// from `from` to `to` shards (the cost the table avoids).
    pub fn modulo_moved(&self, placement: Placement, from: u32, to: u32) -> u64 {
        let (from, to) = (u64::from(from.max(1)), u64::from(to.max(1)));
        self.tenants
            .iter()
            .filter(|t| {
                let v = t.rule_value(placement);
                v % from != v % to
            })
            .map(|t| t.keys)
            .sum()
    }

    /// The table's invariants: one entry per tenant, each naming a live shard; tenant numbers in
    /// order; physical ids distinct.
    pub fn validate(&self) -> Result<(), String> {
        if self.entry.len() != self.tenants.len() {
            return Err(format!(
                "{} directory entries for {} tenants",
                self.entry.len(),
                self.tenants.len()
            ));
        }
        if self.shards.is_empty() {
            return Err("no shards".into());
        }
        for (i, (t, p)) in self.tenants.iter().zip(&self.entry).enumerate() {
            if t.number as usize != i {
                return Err(format!("tenant {} is numbered {}", t.name, t.number));
            }
            if !self.shards.contains(p) {
                return Err(format!(
                    "tenant {} points at shard #{p}, which does not exist",
                    t.name
                ));
            }
        }
        let mut ids = self.shards.clone();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != self.shards.len() {
            return Err("two shards share a physical id".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenants(sizes: &[u64]) -> Vec<Tenant> {
        sizes
            .iter()
            .enumerate()
            .map(|(i, k)| Tenant::new(i as u32, Naming::Companies.name(i as u32), *k))
            .collect()
    }

    #[test]
    fn sizes_add_up_and_fall_with_rank() {
        for (total, n, s) in [(600, 12, 1.0), (20, 20, 0.0), (7, 3, 2.5), (5, 9, 1.0)] {
            let sizes = zipf_sizes(total, n, s);
            assert_eq!(sizes.len(), n as usize);
            assert_eq!(sizes.iter().sum::<u64>(), total.max(u64::from(n)));
            assert!(sizes.windows(2).all(|w| w[0] >= w[1]), "{sizes:?}");
            assert!(sizes.iter().all(|k| *k >= 1));
        }
        assert_eq!(zipf_sizes(600, 12, 0.0), vec![50; 12]);
    }

    #[test]
    fn round_robin_is_number_mod_n_and_least_loaded_evens_out() {
        let d = Directory::new(tenants(&[1; 8]), 4, Placement::RoundRobin);
        assert_eq!(
            (0..8).map(|t| d.shard_of(t)).collect::<Vec<_>>(),
            [0, 1, 2, 3, 0, 1, 2, 3]
        );
        let d = Directory::new(tenants(&[5, 4, 3, 3, 2, 1]), 2, Placement::LeastLoaded);
        assert_eq!(d.loads(), [9, 9]);
    }

    #[test]
    fn drain_and_removal_keep_the_table_total() {
        let mut d = Directory::new(tenants(&[5, 4, 3, 3, 2, 1]), 3, Placement::RoundRobin);
        let gone = d.phys_at(1).unwrap();
        let plan = d.plan_drain(&[gone]);
        assert!(!plan.is_empty() && plan.iter().all(|m| m.from == gone && m.to != gone));
        assert!(!d.remove_shard(gone), "a shard with tenants cannot go");
        for m in &plan {
            d.set(m.tenant, m.to);
        }
        assert!(d.remove_shard(gone));
        d.validate().unwrap();
        assert_eq!(d.shard_count(), 2);
        assert_eq!(d.loads().iter().sum::<u64>(), 18);
        assert_eq!(d.index_of(2), Some(1), "shard #2 is renumbered to index 1");
    }

    #[test]
    fn rebalance_never_raises_the_peak() {
        let d = Directory::new(tenants(&[9, 1, 1, 1, 1, 1]), 3, Placement::RoundRobin);
        let before = *d.loads().iter().max().unwrap();
        let mut after = d.clone();
        for m in d.plan_rebalance() {
            after.set(m.tenant, m.to);
        }
        assert!(*after.loads().iter().max().unwrap() <= before);
        assert_eq!(after.shard_of(0), d.shard_of(0), "the whale stays");
    }
}
