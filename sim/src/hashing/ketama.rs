//! Ketama: the consistent-hash continuum that memcached clients share, bit for bit.
//!
//! # What it models
//!
//! **libketama** (Richard Jones and Christian Muehlhaeuser, last.fm, 2007; `libketama/ketama.c`
//! in <https://github.com/RJ/ketama>) and the clients built to agree with it, so that a key lands
//! on the server a real client would choose:
//!
//! - **Points.** Server `i` (in server-list order) of `n`, with weight `w_i` out of a total `W`,
//!   hashes `d_i = floor(w_i / W × 40 × n)` labels `"{server}-{k}"` for `k` in `0..d_i`
//!   (`ketama_create_continuum`). With equal weights `d_i` is 40.
//! - **Four points per MD5.** Each label's 16-byte MD5 digest `d` gives 4 points, one per 4-byte
//!   group `h` in `0..4`: `d[4h+3] << 24 | d[4h+2] << 16 | d[4h+1] << 8 | d[4h]`, a little-endian
//!   `u32` ([`digest_points`]). So equal weights give 160 points per server.
//! - **The continuum** is every point sorted by value (`qsort` with `ketama_compare`).
//! - **Keys.** A key hashes to the little-endian `u32` of the first 4 bytes of its MD5
//!   (`ketama_hashi`, here [`ketama_hash`]), and belongs to the first point whose value is `>=`
//!   that hash, wrapping to the first point when the hash is above the highest point
//!   (`ketama_get_server`).
//!
//! # Boundaries, read from the C
//!
//! `ketama_get_server` is a hand-written binary search over `[lowp, highp]` that returns point
//! `midp` when `h <= point[midp] && h > point[midp - 1]` (taking `point[-1]` as 0) and falls back
//! to point 0 when the range empties or `midp` reaches the end. That is exactly "the first point
//! with value `>= h`, else point 0" ([`Ketama::lookup`] computes it with `partition_point`):
//!
//! - a hash equal to a point's value belongs to that point (the arc is *(previous, point]*);
//! - a hash above the highest point wraps to point 0;
//! - hash 0 never satisfies `h > 0` but still ends at point 0, the right answer;
//! - among points with the same value only the first can satisfy `h > point[midp - 1]`, so the
//!   first of them in continuum order wins.
//!
//! `ketama_compare` looks only at the value, so C leaves the order of equal points to `qsort`.
//! glibc's `qsort` is a merge sort that keeps equal elements in input order (server-list order,
//! then `k`, then `h`), and libmemcached's `continuum_item_cmp` breaks the tie by server index
//! explicitly; both mean *the earlier server in the list wins a collision*, and this module does
//! the same with a stable sort. Collisions are rare (3 servers × 160 points collide with
//! probability about 3 × 10⁻⁵).
//!
//! # Flavors ([`KetamaFlavor`])
//!
//! The clients agree on labels, digests and lookup but not on two details, so each is offered:
//!
//! | flavor | digests per server | a point two servers share |
//! |---|---|---|
//! | `Libketama` | `floorf(pct × 40.0 × n)`, the product in `double` | both kept, earlier first |
//! | `Libmemcached` | `floor(pct × 160 / 4 × n + 1e-10)` in `float` | both kept, earlier first |
//! | `Spymemcached` | 40 (`numReps / 4`), weights ignored | one kept: the later server's |
//! | `SpymemcachedWeighted` | libmemcached's, the `+ 1e-10` in `double` | one kept: the later's |
//!
//! `pct` is the `f32` quotient `(float)w / (float)W` in all of them. The two float recipes agree
//! except when `pct × 40 × n` lands within a few ulps of a whole number: weights 21, 10 and 9 give
//! libketama 62 digests for the first server and libmemcached 63, and 61 equal-weight servers get
//! 39 digests (156 points) each from libketama, not 40. spymemcached keeps its continuum in a
//! `TreeMap<Long, MemcachedNode>`, so a second `put` of the same position overwrites the first.
//! Its key hash (`KETAMA_HASH`) is the same MD5 little-endian `u32` as libketama's. With any
//! other `HashAlgorithm` (FNV-1a, CRC, ...) spymemcached hashes 160 labels to one point each;
//! only `KETAMA_HASH` is modelled here.
//!
//! # The server string
//!
//! The label is `"{server}-{k}"` for the server string exactly as given, so pass what the client
//! would print: libketama uses the `ip:port` text of its server file; libmemcached uses `host`
//! when the port is 11211 and `host:port` otherwise (and `/host:port` in its spymemcached mode);
//! spymemcached uses `InetSocketAddress.toString()` without the leading `/`, which is
//! `10.0.1.1:11211` for an IP literal but `name/10.0.1.1:11211` for a resolved host name.
//!
//! # Invariants checked by [`Ketama::validate`]
//!
//! 1. The continuum is sorted by value; equal values keep server-list order (libketama,
//!    libmemcached) or do not occur (spymemcached).
//! 2. Every point's value is group `slot` of `MD5("{server}-{digest}")`, for a listed server.
//! 3. Each server has exactly the points its flavor gives it: all `4 × d_i` of them, or, for
//!    spymemcached, those not overwritten by a later server.
//!
//! # What it simplifies
//!
//! - The continuum is built once from the whole list; there is no shared-memory segment, file
//!   watching or semaphore (libketama's `ketama_roll`), and no auto-ejection of dead servers.
//! - Weights are `u32` and summed in `u64`: libketama's `unsigned long` never overflows, but
//!   spymemcached's `int` total could for weights beyond 2^31 in all.
//! - libketama copies addresses into `char[22]` and labels into `char[30]`; longer names overflow
//!   there, while this module takes any non-empty string.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use md5::{Digest, Md5};

/// How many MD5 digests an equal-weight server gets (`40` in `ketama.c`, `numReps / 4` in
/// spymemcached); each digest gives 4 points.
pub const DIGESTS_PER_SERVER: u32 = 40;

/// How many points one MD5 digest yields.
pub const POINTS_PER_DIGEST: u32 = 4;

/// Which client's continuum to build; see the module documentation for the table of differences.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KetamaFlavor {
    /// last.fm `libketama` (`ketama.c`): weighted by `floorf(pct × 40.0 × n)` with a `double`
    /// product; colliding points are all kept and the earlier server wins.
    Libketama,
    /// libmemcached with `MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED` (`hosts.cc`, `update_continuum`):
    /// weighted by `floor(pct × 160 / 4 × n + 1e-10)` in `float`; collisions as libketama.
    Libmemcached,
    /// spymemcached's `KetamaNodeLocator` with `KETAMA_HASH` and no weights map: 40 digests
    /// (160 points) per node whatever the weights; a colliding point goes to the later node.
    Spymemcached,
    /// spymemcached's `KetamaNodeLocator` given a weights map: libmemcached's point count, with the
    /// `+ 1e-10` done in `double`; a colliding point goes to the later node.
    SpymemcachedWeighted,
}

impl KetamaFlavor {
    /// Every flavor, in the order a picker should list them.
    pub const ALL: [KetamaFlavor; 4] = [
        KetamaFlavor::Libketama,
        KetamaFlavor::Libmemcached,
        KetamaFlavor::Spymemcached,
        KetamaFlavor::SpymemcachedWeighted,
    ];

    /// A short stable identifier for URLs and config files.
    pub fn id(self) -> &'static str {
        match self {
            KetamaFlavor::Libketama => "libketama",
            KetamaFlavor::Libmemcached => "libmemcached",
            KetamaFlavor::Spymemcached => "spymemcached",
            KetamaFlavor::SpymemcachedWeighted => "spymemcached-weighted",
        }
    }

    /// The flavor whose [`KetamaFlavor::id`] is `id`, if any.
    pub fn parse(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.id() == id)
    }

    /// Whether two servers hashing to the same value both keep their point (`true`: C clients,
    /// earlier server first) or the later one overwrites it (`false`: spymemcached's `TreeMap`).
    pub fn keeps_colliding_points(self) -> bool {
        matches!(self, KetamaFlavor::Libketama | KetamaFlavor::Libmemcached)
    }

    /// How many MD5 digests (each worth 4 points) a server of weight `weight` gets, out of
    /// `total_weight` over `server_count` servers, computed with the client's own float steps.
    pub fn digests_for(self, weight: u32, total_weight: u64, server_count: u32) -> u32 {
        // `(float)w / (float)W`: both operands round to f32 first, as in the C and Java.
        let pct = weight as f32 / total_weight as f32;
        let n = server_count as f32;
        let digests = match self {
            // `floorf(pct * 40.0 * (float)numservers)`: 40.0 is a double literal, so the product
            // is taken in double and rounded to float when passed to floorf.
            KetamaFlavor::Libketama => ((f64::from(pct) * 40.0 * f64::from(n)) as f32).floor(),
            // `floor((float)(pct * 160 / 4 * (float)live_servers + 0.0000000001F))`, all float.
            KetamaFlavor::Libmemcached => (pct * 160.0 / 4.0 * n + 0.000_000_000_1_f32).floor(),
            KetamaFlavor::Spymemcached => return DIGESTS_PER_SERVER,
            // `(float)(percent * (float)160 / 4 * (float)nodeCount + 0.0000000001)`: the sum is
            // a double, cast back to float, then `Math.floor`.
            KetamaFlavor::SpymemcachedWeighted => {
                ((f64::from(pct * 160.0 / 4.0 * n) + 0.000_000_000_1) as f32).floor()
            }
        };
        // Float-to-int `as` saturates; a digest count is at most 40 × n for a sane list.
        digests as u32
    }
}

/// One point on the continuum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContinuumPoint {
    /// Where the point sits on the 2^32 circle.
    pub value: u32,
    /// The server it sends keys to, as given in the server list.
    pub server: String,
    /// Which digest of the server made it: the `k` of the label `"{server}-{k}"`.
    pub digest: u32,
    /// Which 4-byte group of that digest it is, `0..4` (the `h` of `ketama.c`).
    pub slot: u8,
}

impl ContinuumPoint {
    /// The label whose MD5 made this point, `"{server}-{digest}"`, e.g. `"10.0.1.1:11211-7"`.
    pub fn label(&self) -> String {
        point_label(&self.server, self.digest)
    }
}

/// Why a continuum could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KetamaError {
    /// A server string was empty.
    EmptyName,
    /// A server appears twice in the list.
    DuplicateServer(String),
    /// A server has weight 0 (libketama refuses a server line with no memory).
    ZeroWeight(String),
}

impl fmt::Display for KetamaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KetamaError::EmptyName => write!(f, "a server needs a non-empty address"),
            KetamaError::DuplicateServer(name) => {
                write!(
                    f,
                    "server \"{name}\" is listed twice; list each server once"
                )
            }
            KetamaError::ZeroWeight(name) => {
                write!(
                    f,
                    "server \"{name}\" has weight 0; give it a weight of at least 1"
                )
            }
        }
    }
}

impl std::error::Error for KetamaError {}

/// A ketama continuum built from a server list, as a memcached client builds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ketama {
    flavor: KetamaFlavor,
    /// The servers and their weights, in list order (the order points are generated in).
    servers: Vec<(String, u32)>,
    /// Every point, sorted by value; ties in list order.
    points: Vec<ContinuumPoint>,
}

impl Ketama {
    /// The libketama continuum of `servers`, each `(address, weight)`, in list order.
    ///
    /// ```
    /// use sim::hashing::ketama::Ketama;
    ///
    /// let servers = [("10.0.1.1:11211", 1), ("10.0.1.2:11211", 1), ("10.0.1.3:11211", 1)];
    /// let ketama = Ketama::new(&servers).unwrap();
    /// assert_eq!(ketama.points().len(), 3 * 160, "equal weights: 160 points per server");
    /// // A key goes where every ketama client sends it.
    /// let server = ketama.server_for("user:42").unwrap();
    /// assert!(servers.iter().any(|(s, _)| *s == server));
    /// ```
    pub fn new(servers: &[(&str, u32)]) -> Result<Self, KetamaError> {
        Self::with_flavor(KetamaFlavor::Libketama, servers)
    }

    /// The continuum of `servers` as the client `flavor` builds it. An empty list gives an empty
    /// continuum, on which every lookup is `None` (libketama itself refuses to build one).
    pub fn with_flavor(flavor: KetamaFlavor, servers: &[(&str, u32)]) -> Result<Self, KetamaError> {
        let mut seen = BTreeSet::new();
        for &(name, weight) in servers {
            if name.is_empty() {
                return Err(KetamaError::EmptyName);
            }
            if !seen.insert(name) {
                return Err(KetamaError::DuplicateServer(name.to_owned()));
            }
            if weight == 0 {
                return Err(KetamaError::ZeroWeight(name.to_owned()));
            }
        }
        let servers: Vec<(String, u32)> = servers
            .iter()
            .map(|&(name, weight)| (name.to_owned(), weight))
            .collect();
        let points = build_continuum(flavor, &servers);
        Ok(Ketama {
            flavor,
            servers,
            points,
        })
    }

    /// The client whose continuum this is.
    pub fn flavor(&self) -> KetamaFlavor {
        self.flavor
    }

    /// The servers and their weights, in list order.
    pub fn servers(&self) -> impl Iterator<Item = (&str, u32)> + '_ {
        self.servers.iter().map(|(name, w)| (name.as_str(), *w))
    }

    /// Every point of the continuum, sorted by value.
    pub fn points(&self) -> &[ContinuumPoint] {
        &self.points
    }

    /// How many points each server holds on the continuum, in name order (0 for a server whose
    /// weight is too small to earn a digest).
    pub fn point_counts(&self) -> BTreeMap<&str, u32> {
        let mut counts: BTreeMap<&str, u32> =
            crate::order::map_of(self.servers.iter().map(|(s, _)| (s.as_str(), 0)));
        for p in &self.points {
            *counts.entry(p.server.as_str()).or_default() += 1;
        }
        counts
    }

    /// Where `key` sits on the continuum: libketama's `ketama_hashi`, the little-endian `u32` of
    /// the first 4 bytes of `MD5(key)`.
    pub fn point_for(&self, key: &str) -> u32 {
        ketama_hash(key.as_bytes())
    }

    /// The point that owns hash `h`: the first with value `>= h`, wrapping to the first point;
    /// `None` on an empty continuum. Same answer as `ketama_get_server`'s search.
    pub fn lookup(&self, h: u32) -> Option<&ContinuumPoint> {
        if self.points.is_empty() {
            return None;
        }
        let i = self.points.partition_point(|p| p.value < h);
        self.points.get(i).or(self.points.first())
    }

    /// The server a ketama client sends `key` to, or `None` on an empty continuum.
    pub fn server_for(&self, key: &str) -> Option<&str> {
        self.lookup(self.point_for(key)).map(|p| p.server.as_str())
    }

    /// Checks the invariants listed in the module documentation; the error says which one broke.
    pub fn validate(&self) -> Result<(), String> {
        let index_of: BTreeMap<&str, u32> = crate::order::map_of(
            self.servers
                .iter()
                .zip(0u32..)
                .map(|((name, _), i)| (name.as_str(), i)),
        );
        if index_of.len() != self.servers.len() {
            return Err("a server is listed twice".to_owned());
        }
        for pair in self.points.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let in_order = if self.flavor.keeps_colliding_points() {
                (a.value, index_of.get(a.server.as_str()), a.digest, a.slot)
                    < (b.value, index_of.get(b.server.as_str()), b.digest, b.slot)
            } else {
                a.value < b.value
            };
            if !in_order {
                return Err(format!(
                    "points out of continuum order: {} slot {} at {} then {} slot {} at {}",
                    a.label(),
                    a.slot,
                    a.value,
                    b.label(),
                    b.slot,
                    b.value
                ));
            }
        }
        for p in &self.points {
            if !index_of.contains_key(p.server.as_str()) {
                return Err(format!("point {} belongs to no listed server", p.label()));
            }
            let Some(&want) = digest_points(&p.label()).get(usize::from(p.slot)) else {
                return Err(format!(
                    "point {} has slot {} beyond 0..4",
                    p.label(),
                    p.slot
                ));
            };
            if p.value != want {
                return Err(format!(
                    "point {} slot {} sits at {} but its MD5 puts it at {want}",
                    p.label(),
                    p.slot,
                    p.value
                ));
            }
        }
        let expected = build_continuum(self.flavor, &self.servers);
        if expected != self.points {
            return Err(format!(
                "the continuum holds {} points where the {} rule gives {}",
                self.points.len(),
                self.flavor.id(),
                expected.len()
            ));
        }
        Ok(())
    }
}

/// libketama's key hash (`ketama_hashi`): the first 4 bytes of `MD5(bytes)` as a little-endian
/// `u32`. spymemcached's `KETAMA_HASH` and libmemcached's `MEMCACHED_HASH_MD5` are the same.
pub fn ketama_hash(bytes: &[u8]) -> u32 {
    let d = md5(bytes);
    u32::from_le_bytes([d[0], d[1], d[2], d[3]])
}

/// The 4 continuum points of one label: each 4-byte group of `MD5(label)` as a little-endian
/// `u32`, i.e. `d[4h+3] << 24 | d[4h+2] << 16 | d[4h+1] << 8 | d[4h]` for `h` in `0..4`.
pub fn digest_points(label: &str) -> [u32; 4] {
    let d = md5(label.as_bytes());
    std::array::from_fn(|h| {
        u32::from_le_bytes([d[4 * h], d[4 * h + 1], d[4 * h + 2], d[4 * h + 3]])
    })
}

fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

/// The label hashed for digest `k` of `server`: `sprintf(ss, "%s-%d", addr, k)`.
fn point_label(server: &str, k: u32) -> String {
    format!("{server}-{k}")
}

/// Builds the continuum of `servers` (validated: non-empty, distinct, weights >= 1).
fn build_continuum(flavor: KetamaFlavor, servers: &[(String, u32)]) -> Vec<ContinuumPoint> {
    let total_weight: u64 = servers.iter().map(|(_, w)| u64::from(*w)).sum();
    let server_count = u32::try_from(servers.len()).unwrap_or(u32::MAX);
    let mut generated = Vec::new();
    for (name, weight) in servers {
        for k in 0..flavor.digests_for(*weight, total_weight, server_count) {
            for (slot, value) in (0u8..).zip(digest_points(&point_label(name, k))) {
                generated.push(ContinuumPoint {
                    value,
                    server: name.clone(),
                    digest: k,
                    slot,
                });
            }
        }
    }
    if flavor.keeps_colliding_points() {
        // Stable: equal values stay in generation order (list order, then k, then slot), as
        // glibc's merge-sort qsort leaves them and libmemcached's comparator orders them.
        crate::order::sort_by_key(&mut generated, |p| p.value);
        generated
    } else {
        // spymemcached: `newNodeMap.put(position, node)` in generation order; the last put wins.
        let mut by_value: BTreeMap<u32, ContinuumPoint> = BTreeMap::new();
        for p in generated {
            by_value.insert(p.value, p);
        }
        by_value.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ketama_get_server` ported line by line from `ketama.c`, over a plain list of values:
    /// the reference that [`Ketama::lookup`]'s `partition_point` is checked against.
    fn ketama_get_server_c(h: u32, points: &[u32]) -> usize {
        let numpoints = points.len() as i64;
        let (mut lowp, mut highp) = (0i64, numpoints);
        loop {
            let midp = (lowp + highp) / 2;
            if midp == numpoints {
                return 0; // "if at the end, roll back to zeroth"
            }
            let midval = points[midp as usize];
            let midval1 = if midp == 0 {
                0
            } else {
                points[midp as usize - 1]
            };
            if h <= midval && h > midval1 {
                return midp as usize;
            }
            if midval < h {
                lowp = midp + 1;
            } else {
                highp = midp - 1;
            }
            if lowp > highp {
                return 0;
            }
        }
    }

    fn partition_lookup(h: u32, points: &[u32]) -> usize {
        let i = points.partition_point(|&v| v < h);
        if i == points.len() {
            0
        } else {
            i
        }
    }

    #[test]
    fn partition_point_matches_the_c_binary_search_including_duplicates_and_edges() {
        let lists: [&[u32]; 7] = [
            &[5],
            &[0],
            &[0, 0, 7],
            &[3, 3, 3, 3],
            &[1, 2, 2, 9, 9, 9, u32::MAX],
            &[10, 20, 30, 40, 50, 60, 70, 80],
            &[0, 1, u32::MAX - 1, u32::MAX, u32::MAX],
        ];
        for points in lists {
            let mut probes = vec![0, 1, u32::MAX - 1, u32::MAX];
            for &v in points {
                probes.extend([v.wrapping_sub(1), v, v.wrapping_add(1)]);
            }
            for h in probes {
                assert_eq!(
                    partition_lookup(h, points),
                    ketama_get_server_c(h, points),
                    "lookup of {h} in {points:?} must equal ketama_get_server's"
                );
            }
        }
    }

    #[test]
    fn partition_point_matches_the_c_binary_search_on_a_real_continuum() {
        let ketama = Ketama::new(&[("a:1", 1), ("b:2", 3), ("c:3", 2)]).expect("valid list");
        let values: Vec<u32> = ketama.points().iter().map(|p| p.value).collect();
        for i in 0u32..20_000 {
            let h = i.wrapping_mul(0x9e37_79b9);
            assert_eq!(
                partition_lookup(h, &values),
                ketama_get_server_c(h, &values)
            );
        }
    }

    #[test]
    fn equal_weights_give_160_points_per_server() {
        let servers = [("a", 7), ("b", 7), ("c", 7), ("d", 7)];
        for flavor in KetamaFlavor::ALL {
            let ketama = Ketama::with_flavor(flavor, &servers).expect("valid list");
            ketama.validate().expect("fresh continuum is valid");
            for (server, count) in ketama.point_counts() {
                assert_eq!(count, 160, "{}: {server} has 160 points", flavor.id());
            }
        }
    }

    #[test]
    fn spymemcached_ignores_weights_without_a_weights_map() {
        let ketama = Ketama::with_flavor(KetamaFlavor::Spymemcached, &[("a", 1), ("b", 100)])
            .expect("valid list");
        assert_eq!(ketama.point_counts()["a"], 160);
        assert_eq!(ketama.point_counts()["b"], 160);
    }

    #[test]
    fn refuses_empty_duplicate_and_weightless_servers() {
        assert_eq!(Ketama::new(&[("", 1)]), Err(KetamaError::EmptyName));
        assert_eq!(
            Ketama::new(&[("a", 1), ("a", 2)]),
            Err(KetamaError::DuplicateServer("a".to_owned()))
        );
        assert_eq!(
            Ketama::new(&[("a", 0)]),
            Err(KetamaError::ZeroWeight("a".to_owned()))
        );
        let empty = Ketama::new(&[]).expect("an empty list is allowed");
        assert_eq!(empty.server_for("k"), None);
        empty.validate().expect("empty continuum is valid");
    }

    #[test]
    fn validate_catches_a_moved_point() {
        let mut ketama = Ketama::new(&[("a", 1), ("b", 1)]).expect("valid list");
        ketama.points[3].value = ketama.points[3].value.wrapping_add(1);
        assert!(
            ketama.validate().is_err(),
            "a point off its MD5 value is caught"
        );
    }

    #[test]
    fn flavor_ids_round_trip() {
        for f in KetamaFlavor::ALL {
            assert_eq!(KetamaFlavor::parse(f.id()), Some(f));
        }
        assert_eq!(KetamaFlavor::parse("md5"), None);
    }
}
