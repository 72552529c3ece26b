//! How skewed a workload is, computed exactly rather than sampled: the share of requests the most
//! popular keys receive (the "80/20 rule" check) and the ideal hit rate of a cache
//! that holds exactly those keys.
//!
//! Zipf weights are `1 / rank^s`, computed with `libm::pow` like [`crate::workload::Popularity`],
//! so the numbers are the same on every target and match what the request stream draws.

/// The share (0–1) of Zipf(`s`) requests over `keys` keys that go to the `top` most popular keys:
/// `H(top, s) / H(keys, s)` with `H(n, s) = Σ_{r=1..n} 1/r^s`. 0 when there are no keys.
///
/// Caching the top 20 % of 1,000,000 keys serves 52 % of requests at s = 0.6, 71 % at 0.8,
/// 89 % at 1.0 and 98 % at 1.2; with 10,000 keys and s = 1.0 it is 84 %.
pub fn zipf_top_share(keys: u64, s: f64, top: u64) -> f64 {
    let top = top.min(keys);
    let mut head = 0.0;
    let mut all = 0.0;
    for rank in 1..=keys {
        let w = 1.0 / libm::pow(rank as f64, s);
        all += w;
        if rank == top {
            head = all;
        }
    }
    if all > 0.0 {
        head / all
    } else {
        0.0
    }
}

/// The probability (summing to 1) that a request asks for each key id `0..keys`: a `celebrity`
/// share for one key (0–1) and the rest spread by `zipf` (`Some(s)`, by id order as rank) or
/// uniformly (`None`).
pub fn request_weights(keys: u64, zipf: Option<f64>, celebrity: Option<(u64, f64)>) -> Vec<f64> {
    let mut w: Vec<f64> = match zipf {
        Some(s) => (1..=keys)
            .map(|rank| 1.0 / libm::pow(rank as f64, s))
            .collect(),
        None => vec![1.0; keys as usize],
    };
    let total: f64 = w.iter().sum();
    let (celeb, share) = celebrity.unwrap_or((0, 0.0));
    for x in &mut w {
        *x = *x / total * (1.0 - share);
    }
    if let Some(x) = w.get_mut(celeb as usize) {
        *x += share;
    }
    w
}

/// The total weight of the `top` heaviest entries: the hit rate of a perfect cache of `top`
/// keys that always held the most requested ones (and were never invalidated).
pub fn top_mass(weights: &[f64], top: u32) -> f64 {
    let mut sorted = weights.to_vec();
    crate::order::sort_by(&mut sorted, |a, b| b.total_cmp(a));
    sorted.iter().take(top as usize).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uniform_top_share_is_the_fraction_of_keys() {
        let w = request_weights(10, None, None);
        assert!((top_mass(&w, 2) - 0.2).abs() < 1e-12);
        assert!((zipf_top_share(10, 0.0, 2) - 0.2).abs() < 1e-12);
    }

    #[test]
    fn a_celebrity_adds_its_share_on_top() {
        let w = request_weights(10, None, Some((7, 0.3)));
        assert!((w[7] - (0.3 + 0.07)).abs() < 1e-12);
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!((top_mass(&w, 1) - 0.37).abs() < 1e-12);
    }
}
