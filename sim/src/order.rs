//! Sorting and ordered collections without a copy of the sort per call site.
//!
//! The standard library's stable sort is generic over the element *and* the comparison, and
//! `BTreeMap`/`BTreeSet::from_iter` (what `.collect()` into them calls) sorts its input with a
//! comparison that is generic over the *iterator*: every `.collect::<BTreeMap<_, _>>()` and every
//! `sort_by` closure instantiates the whole sort again, a few KB of code each. In the browser
//! that is code every visitor downloads: 53 copies made up about 180 KB of the app's wasm before
//! this module. Here there is one sort: [`sort_by`] orders the *indices* of a slice with a single
//! non-generic merge sort (stable) that calls the comparison through `&dyn Fn`, then moves the
//! elements into place; [`map_of`] and [`set_of`] build ordered collections by inserting. The
//! price is an indirect call per comparison, which nothing here sorts enough of to notice (the
//! hot paths, such as a ring's virtual nodes, keep `sort_unstable` on plain data).

use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// The permutation that sorts `n` items stably by `cmp` (which compares items by index):
/// the one sort every caller in this crate and the app shares.
#[inline(never)]
pub fn sorted_indices(n: u32, cmp: &dyn Fn(u32, u32) -> Ordering) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..n).collect();
    idx.sort_by(|&a, &b| cmp(a, b));
    idx
}

/// Sorts `v` stably by `cmp`, like `slice::sort_by`.
pub fn sort_by<T>(v: &mut Vec<T>, cmp: impl Fn(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let n = u32::try_from(v.len()).expect("sorts fewer than 2^32 items");
    let perm = {
        let items: &[T] = v;
        sorted_indices(n, &|a, b| cmp(&items[a as usize], &items[b as usize]))
    };
    let mut slots: Vec<Option<T>> = v.drain(..).map(Some).collect();
    v.extend(perm.into_iter().map(|i| {
        slots[i as usize]
            .take()
            .expect("a permutation takes each item once")
    }));
}

/// Sorts `v` stably by a key, like `slice::sort_by_key`.
pub fn sort_by_key<T, K: Ord>(v: &mut Vec<T>, key: impl Fn(&T) -> K) {
    sort_by(v, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `v` stably in its natural order, like `slice::sort`.
pub fn sort<T: Ord>(v: &mut Vec<T>) {
    sort_by(v, T::cmp);
}

/// `items` collected into a map (a later duplicate key wins, as with `collect`).
pub fn map_of<K: Ord, V>(items: impl IntoIterator<Item = (K, V)>) -> BTreeMap<K, V> {
    let mut map = BTreeMap::new();
    for (k, v) in items {
        map.insert(k, v);
    }
    map
}

/// `items` collected into a set.
pub fn set_of<T: Ord>(items: impl IntoIterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for item in items {
        set.insert(item);
    }
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorts_like_the_standard_stable_sort() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for len in [0usize, 1, 2, 3, 7, 20, 21, 100, 1000] {
            let v: Vec<(u8, u32)> = (0..len)
                .map(|i| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    ((state % 5) as u8, i as u32)
                })
                .collect();
            let mut ours = v.clone();
            sort_by_key(&mut ours, |x| x.0);
            let mut std = v.clone();
            std.sort_by_key(|x| x.0);
            assert_eq!(ours, std, "len {len}: stable, equal keys keep their order");
        }
    }

    #[test]
    fn sorts_by_a_comparison_and_naturally() {
        let mut v = vec!["b".to_string(), "a".into(), "c".into()];
        sort(&mut v);
        assert_eq!(v, ["a", "b", "c"]);
        let mut f = vec![2.5f64, -1.0, 0.0];
        sort_by(&mut f, |a, b| a.total_cmp(b));
        assert_eq!(f, [-1.0, 0.0, 2.5]);
    }

    #[test]
    fn collections_keep_the_last_duplicate_like_collect() {
        let m = map_of([(2, "x"), (1, "y"), (2, "z")]);
        let std: BTreeMap<_, _> = [(2, "x"), (1, "y"), (2, "z")].into_iter().collect();
        assert_eq!(m, std);
        assert_eq!(
            set_of([3, 1, 3, 2]).into_iter().collect::<Vec<_>>(),
            [1, 2, 3]
        );
    }
}
