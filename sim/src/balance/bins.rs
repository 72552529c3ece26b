//! Balls into bins with d choices, and the supermarket model: the experiments behind "the power
//! of two choices", each beside its theory.
//!
//! - [`place_balls`] / [`balls_into_bins`]: m balls placed one after another into n bins; each
//!   ball samples d bins uniformly **with replacement** (so two samples may be the same bin, as
//!   in Azar, Broder, Karlin & Upfal) and goes to the least loaded, ties to the one sampled
//!   first. d = 1 is plain random placement. Azar, Broder, Karlin & Upfal, "Balanced
//!   allocations", STOC 1994 / SIAM J. Comput. 29(1), 1999: for m = n the maximum load is
//!   (1 + o(1)) ln n / ln ln n for d = 1 and ln ln n / ln d + O(1) for d ≥ 2, with high
//!   probability; Mitzenmacher, *The Power of Two Choices in Randomized Load Balancing*, PhD
//!   thesis, UC Berkeley, 1996.
//! - [`max_load_distribution`]: the exact law of the maximum load for d = 1, by a dynamic
//!   programme over bins (below), and [`expected_max_load`] from it.
//! - [`fluid_limit_tails`]: for d ≥ 1 the fraction sᵢ of bins holding at least i balls after
//!   m = t·n balls as n → ∞, the solution of dsᵢ/dt = sᵢ₋₁ᵈ − sᵢᵈ, s₀ = 1 (Mitzenmacher, thesis
//!   ch. 4, and "Studying balanced allocations with differential equations", Combinatorics,
//!   Probability and Computing 8, 1999), integrated here by classical Runge–Kutta.
//! - [`supermarket`]: n FIFO servers with exponential service of rate 1, Poisson arrivals of
//!   rate λn, each arrival samples d servers (with replacement) and joins the one with the
//!   fewest customers (ties to the first sampled). Its mean time in system tends, as n → ∞, to
//!   [`supermarket_expected_time`] T_d(λ) = Σ_{i≥1} λ^((dⁱ − d)/(d − 1)) for d ≥ 2 and 1/(1 − λ)
//!   for d = 1 (Mitzenmacher, thesis ch. 3, and "The power of two choices in randomized load
//!   balancing", IEEE TPDS 12(10), 2001; Vvedenskaya, Dobrushin & Karpelevich, "Queueing system
//!   with selection of the shortest of two queues: an asymptotic approach", Problems of
//!   Information Transmission 32(1), 1996).
//!
//! Integers drawn are `u64`/`u32` from [`SimRng`]; floats go through `libm`; a run is a function
//! of its arguments and the generator's seed.

use crate::rng::SimRng;
use std::collections::VecDeque;

/// The most bins (servers) in one experiment.
pub const MAX_BINS: u32 = 10_000_000;
/// The most balls in one experiment.
pub const MAX_BALLS: u64 = 100_000_000;
/// The most choices per ball.
pub const MAX_CHOICES: u32 = 64;
/// The largest m or n for the exact distribution (its cost grows as m·n·max load).
pub const MAX_EXACT: u32 = 5_000;
/// The most customers a supermarket run serves (warm-up included).
pub const MAX_CUSTOMERS: u64 = 200_000_000;

fn check(n_bins: u32, d: u32) -> Result<(), String> {
    if n_bins == 0 || n_bins > MAX_BINS {
        return Err(format!("{n_bins} bins: expected 1 to {MAX_BINS}"));
    }
    if d == 0 || d > MAX_CHOICES {
        return Err(format!("{d} choices: expected 1 to {MAX_CHOICES}"));
    }
    Ok(())
}

/// The least loaded of `d` bins sampled with replacement, ties to the first sampled.
fn choose(loads: &[u32], d: u32, rng: &mut SimRng) -> usize {
    let n = loads.len() as u64;
    let mut best = rng.below(n) as usize;
    for _ in 1..d {
        let c = rng.below(n) as usize;
        if loads[c] < loads[best] {
            best = c;
        }
    }
    best
}

/// Place `n_balls` balls into `n_bins` bins with `d` choices each; the final loads.
pub fn place_balls(
    n_balls: u64,
    n_bins: u32,
    d: u32,
    rng: &mut SimRng,
) -> Result<Vec<u32>, String> {
    check(n_bins, d)?;
    if n_balls > MAX_BALLS {
        return Err(format!("{n_balls} balls: at most {MAX_BALLS}"));
    }
    let mut loads = vec![0u32; n_bins as usize];
    for _ in 0..n_balls {
        let b = choose(&loads, d, rng);
        loads[b] += 1;
    }
    Ok(loads)
}

/// The maximum load after placing `n_balls` into `n_bins` with `d` choices ([`place_balls`]).
pub fn balls_into_bins(n_balls: u64, n_bins: u32, d: u32, rng: &mut SimRng) -> Result<u32, String> {
    Ok(place_balls(n_balls, n_bins, d, rng)?
        .into_iter()
        .max()
        .unwrap_or(0))
}

/// Probability mass below which a state of the dynamic programme is dropped.
const PRUNE: f64 = 1e-20;

/// P(max load ≤ k) for `m` balls in `n` bins, d = 1.
///
/// Bins are filled one at a time: given r balls not yet in bins 1…i, bin i + 1 receives
/// Binomial(r, 1/(n − i)) of them (the multinomial's chain rule). pᵢ(r) is the probability that
/// r balls remain after i bins and each of those bins got at most k. Every quantity is a
/// probability in [0, 1] summed from positive terms, so f64 cannot overflow and the relative
/// rounding error stays near (m + n)·(k + 1)·2⁻⁵³ ≈ 10⁻¹² for m = n = 5,000, far below any
/// Monte Carlo's resolution. States with mass below 10⁻²⁰ are dropped: at most m·n of them, so
/// the result is low by less than 2.5·10⁻¹³ for m = n = 5,000.
fn p_max_at_most(m: u32, n: u32, k: u32) -> f64 {
    let k = k as usize;
    let mut p = vec![0.0f64; m as usize + 1];
    let mut next = vec![0.0f64; m as usize + 1];
    p[m as usize] = 1.0;
    let (mut lo, mut hi) = (m as usize, m as usize); // p is zero outside lo..=hi
    for i in 0..n - 1 {
        let q = 1.0 / f64::from(n - i);
        let odds = q / (1.0 - q);
        let new_lo = lo.saturating_sub(k);
        next[new_lo..=hi].iter_mut().for_each(|x| *x = 0.0);
        // (1 − q)^r, kept by multiplication as r goes up.
        let mut none = libm::pow(1.0 - q, lo as f64);
        for r in lo..=hi {
            let pr = p[r];
            if pr >= PRUNE {
                // Binomial(r, q) for j = 0..=min(k, r), by the ratio recurrence.
                let mut pmf = none;
                for j in 0..=k.min(r) {
                    next[r - j] += pr * pmf;
                    pmf *= (r - j) as f64 / (j as f64 + 1.0) * odds;
                }
            }
            none *= 1.0 - q;
        }
        std::mem::swap(&mut p, &mut next);
        lo = (new_lo..=hi).find(|r| p[*r] >= PRUNE).unwrap_or(hi);
        hi = (lo..=hi).rev().find(|r| p[*r] >= PRUNE).unwrap_or(lo);
        if p[lo] < PRUNE {
            return 0.0;
        }
    }
    // The last bin takes every ball left.
    (lo..=hi.min(k)).map(|r| p[r]).sum()
}

/// The exact distribution of the maximum load when `m` balls fall independently and uniformly
/// into `n` bins (d = 1): element k is P(max load = k), for k = 0 up to where the rest of the
/// tail is below 10⁻¹² (the computation's precision; or k = m).
pub fn max_load_distribution(m: u32, n: u32) -> Result<Vec<f64>, String> {
    if n == 0 || n > MAX_EXACT || m > MAX_EXACT {
        return Err(format!(
            "{m} balls in {n} bins: the exact law is computed for 1 to {MAX_EXACT} bins and at most {MAX_EXACT} balls"
        ));
    }
    let mut out = Vec::new();
    let mut below = 0.0;
    for k in 0..=m {
        let at_most = if k == m { 1.0 } else { p_max_at_most(m, n, k) };
        out.push((at_most - below).max(0.0));
        below = at_most;
        if 1.0 - at_most < 1e-12 {
            break;
        }
    }
    Ok(out)
}

/// E[max load] for `m` balls in `n` bins, d = 1, from [`max_load_distribution`].
pub fn expected_max_load(m: u32, n: u32) -> Result<f64, String> {
    let dist = max_load_distribution(m, n)?;
    Ok(dist.iter().enumerate().map(|(k, p)| k as f64 * p).sum())
}

/// The fluid limit of d-choice placement: after `t`·n balls, element i is the limiting fraction
/// sᵢ of bins with at least i balls, i = 0..=`levels` (s₀ = 1), from dsᵢ/dt = sᵢ₋₁ᵈ − sᵢᵈ
/// integrated by fourth-order Runge–Kutta in steps of 10⁻⁴. For d = 1 it is the Poisson(t)
/// tail, which the tests use to check the integration.
pub fn fluid_limit_tails(d: u32, t: f64, levels: u32) -> Result<Vec<f64>, String> {
    if d == 0 || d > MAX_CHOICES {
        return Err(format!("{d} choices: expected 1 to {MAX_CHOICES}"));
    }
    if !(0.0..=100.0).contains(&t) || levels == 0 || levels > 1_000 {
        return Err(format!(
            "t = {t}, {levels} levels: expected 0 ≤ t ≤ 100 and 1 to 1000 levels"
        ));
    }
    let l = levels as usize + 1;
    let df = f64::from(d);
    let deriv = |s: &[f64], out: &mut [f64]| {
        out[0] = 0.0;
        for i in 1..s.len() {
            out[i] = libm::pow(s[i - 1].max(0.0), df) - libm::pow(s[i].max(0.0), df);
        }
    };
    let mut s = vec![0.0; l];
    s[0] = 1.0;
    let steps = libm::ceil(t / 1e-4).max(1.0) as u64;
    let h = t / steps as f64;
    let (mut k1, mut k2, mut k3, mut k4, mut tmp) = (
        vec![0.0; l],
        vec![0.0; l],
        vec![0.0; l],
        vec![0.0; l],
        vec![0.0; l],
    );
    for _ in 0..steps {
        deriv(&s, &mut k1);
        (0..l).for_each(|i| tmp[i] = s[i] + 0.5 * h * k1[i]);
        deriv(&tmp, &mut k2);
        (0..l).for_each(|i| tmp[i] = s[i] + 0.5 * h * k2[i]);
        deriv(&tmp, &mut k3);
        (0..l).for_each(|i| tmp[i] = s[i] + h * k3[i]);
        deriv(&tmp, &mut k4);
        (0..l).for_each(|i| s[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]));
    }
    Ok(s)
}

/// The supermarket model's mean time in system as n → ∞: Σ_{i≥1} λ^((dⁱ − d)/(d − 1)) for
/// d ≥ 2 (the sum stops when a term falls below 10⁻¹⁷), 1/(1 − λ) for d = 1 (M/M/1).
pub fn supermarket_expected_time(lambda: f64, d: u32) -> Result<f64, String> {
    if !(lambda > 0.0 && lambda < 1.0) {
        return Err(format!("λ = {lambda}: expected 0 < λ < 1"));
    }
    if d == 0 || d > MAX_CHOICES {
        return Err(format!("{d} choices: expected 1 to {MAX_CHOICES}"));
    }
    if d == 1 {
        return Ok(1.0 / (1.0 - lambda));
    }
    let df = f64::from(d);
    let mut sum = 0.0;
    for i in 1..200 {
        let e = (libm::pow(df, f64::from(i)) - df) / (df - 1.0);
        let term = libm::pow(lambda, e);
        sum += term;
        if term < 1e-17 {
            break;
        }
    }
    Ok(sum)
}

/// The supermarket model's equilibrium fraction of servers with at least `i` customers as
/// n → ∞: λ^((dⁱ − 1)/(d − 1)) for d ≥ 2, λⁱ for d = 1 (same sources).
pub fn supermarket_tail(lambda: f64, d: u32, i: u32) -> f64 {
    if d == 1 {
        return libm::pow(lambda, f64::from(i));
    }
    let df = f64::from(d);
    libm::pow(lambda, (libm::pow(df, f64::from(i)) - 1.0) / (df - 1.0))
}

/// What a supermarket run measured.
#[derive(Clone, Debug, PartialEq)]
pub struct SupermarketStats {
    /// Customers measured (after the warm-up).
    pub customers: u64,
    /// Their mean time in system (waiting + service), in mean service times.
    pub mean_time_in_system: f64,
    /// Standard error of that mean by 20 batch means (batches of consecutive departures).
    pub std_error: f64,
    /// Time-average fraction of servers with at least i customers, i = 0..=8, over the
    /// measured period.
    pub tails: Vec<f64>,
    /// Simulated time of the measured period.
    pub duration: f64,
}

/// An Exp(rate) time from a 53-bit uniform (−ln(1 − U)/rate).
fn exp_time(rng: &mut SimRng, rate: f64) -> f64 {
    -libm::log1p(-rng.unit_f64()) / rate
}

/// Run the supermarket model: `n` servers, `d` choices, arrival rate λ·n, exponential service
/// of rate 1, starting empty; the first `warmup` departures are discarded and the next
/// `customers` measured.
///
/// Being Markov, it is simulated event by event as its jump chain: the next event comes after
/// Exp(λn + busy) time and is an arrival with probability λn / (λn + busy), else the departure
/// of the customer in service at a uniformly chosen busy server (memorylessness makes this the
/// same law as drawing each service time). Each queue keeps its customers' arrival times, FIFO,
/// so a departure's time in system is measured, not inferred.
pub fn supermarket(
    n: u32,
    d: u32,
    lambda: f64,
    warmup: u64,
    customers: u64,
    rng: &mut SimRng,
) -> Result<SupermarketStats, String> {
    check(n, d)?;
    if !(lambda > 0.0 && lambda < 1.0) {
        return Err(format!("λ = {lambda}: expected 0 < λ < 1"));
    }
    if customers < 20 || warmup.saturating_add(customers) > MAX_CUSTOMERS {
        return Err(format!(
            "{warmup} + {customers} customers: expected at least 20 measured and at most {MAX_CUSTOMERS} in all"
        ));
    }
    let nn = n as usize;
    let mut queues: Vec<VecDeque<f64>> = vec![VecDeque::new(); nn];
    let mut lens = vec![0u32; nn];
    // The busy servers, and each server's position in that list (u32::MAX when idle).
    let mut busy: Vec<u32> = Vec::with_capacity(nn);
    let mut pos = vec![u32::MAX; nn];
    // Servers with at least i customers, i = 0..=8.
    let mut at_least = [0u64; 9];
    at_least[0] = u64::from(n);
    let mut area = [0.0f64; 9];
    let arrival_rate = lambda * f64::from(n);
    let (mut now, mut start) = (0.0f64, 0.0f64);
    let (mut departed, mut measured) = (0u64, 0u64);
    let batch = customers / 20;
    let mut batch_sums = [0.0f64; 20];
    let mut total = 0.0;
    while measured < customers {
        let rate = arrival_rate + busy.len() as f64;
        let dt = exp_time(rng, rate);
        if departed >= warmup {
            for (a, c) in area.iter_mut().zip(at_least.iter()) {
                *a += dt * *c as f64;
            }
        }
        now += dt;
        let arrival = busy.is_empty() || rng.unit_f64() * rate < arrival_rate;
        if arrival {
            let s = choose(&lens, d, rng);
            queues[s].push_back(now);
            lens[s] += 1;
            if (lens[s] as usize) < at_least.len() {
                at_least[lens[s] as usize] += 1;
            }
            if lens[s] == 1 {
                pos[s] = busy.len() as u32;
                busy.push(s as u32);
            }
        } else {
            let k = rng.below(busy.len() as u64) as usize;
            let s = busy[k] as usize;
            let arrived = queues[s].pop_front().expect("a busy server has a customer");
            if (lens[s] as usize) < at_least.len() {
                at_least[lens[s] as usize] -= 1;
            }
            lens[s] -= 1;
            if lens[s] == 0 {
                let last = *busy.last().expect("non-empty");
                busy.swap_remove(k);
                if (last as usize) != s {
                    pos[last as usize] = k as u32;
                }
                pos[s] = u32::MAX;
            }
            departed += 1;
            if departed == warmup {
                start = now;
            } else if departed > warmup {
                let w = now - arrived;
                total += w;
                let b = ((measured / batch.max(1)) as usize).min(19);
                batch_sums[b] += w;
                measured += 1;
            }
        }
    }
    let mean = total / measured as f64;
    let per = batch.max(1) as f64;
    let last_count = (measured - 19 * batch) as f64;
    let means: Vec<f64> = batch_sums
        .iter()
        .enumerate()
        .map(|(i, s)| s / if i == 19 { last_count } else { per })
        .collect();
    let var = means.iter().map(|m| (m - mean) * (m - mean)).sum::<f64>() / 19.0;
    let duration = now - if warmup == 0 { 0.0 } else { start };
    Ok(SupermarketStats {
        customers: measured,
        mean_time_in_system: mean,
        std_error: libm::sqrt(var / 20.0),
        tails: area.iter().map(|a| a / duration / f64::from(n)).collect(),
        duration,
    })
}
