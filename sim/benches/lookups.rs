//! Native ring-lookup throughput: `cargo bench -p sim --bench lookups`.
//! Prints `lookups_per_sec=<n>` (the median of five runs) for scripts/bench.sh to collect, then
//! one `strategy=<name> key_lookups_per_sec=<n>` line per placement strategy (10 servers), and
//! for each strategy the time to place 1,000,000 distinct keys on 10 servers and to recompute
//! the whole placement after an 11th server joins (`place_1m_ms`, `recompute_1m_ms`, `moved_percent`).

fn main() {
    let ring = sim::bench::bench_ring();
    let n: u64 = 5_000_000;
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let start = std::time::Instant::now();
            let sum = sim::bench::lookups(&ring, n);
            let secs = start.elapsed().as_secs_f64();
            std::hint::black_box(sum);
            n as f64 / secs
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    println!("ring: 10 servers x 100 vnodes (1000 points), {n} lookups per run, 5 runs");
    println!("lookups_per_sec={:.0}", rates[2]);

    // Key → server for every strategy, hashing the key string each time (as a client would).
    let keys = sim::bench::bench_keys();
    let n: u64 = 1_000_000;
    for (name, strategy) in sim::bench::Strategy::all() {
        let mut rates: Vec<f64> = (0..5)
            .map(|_| {
                let start = std::time::Instant::now();
                std::hint::black_box(sim::bench::placements(&strategy, &keys, n));
                n as f64 / start.elapsed().as_secs_f64()
            })
            .collect();
        rates.sort_by(f64::total_cmp);
        println!("strategy={name} key_lookups_per_sec={:.0}", rates[2]);
    }

    let keys = sim::bench::distinct_keys(1_000_000);
    let after = sim::bench::Strategy::all_over(11);
    for ((name, ten), (_, eleven)) in sim::bench::Strategy::all_over(10).iter().zip(&after) {
        let start = std::time::Instant::now();
        let before = sim::bench::place_all(ten, 10, &keys);
        let place_ms = start.elapsed().as_secs_f64() * 1e3;
        let start = std::time::Instant::now();
        let now = sim::bench::place_all(eleven, 11, &keys);
        let moved = sim::bench::moved(&before, &now);
        let recompute_ms = start.elapsed().as_secs_f64() * 1e3;
        println!(
            "strategy={name} place_1m_ms={place_ms:.0} recompute_1m_ms={recompute_ms:.0} moved_percent={:.2}",
            moved as f64 * 100.0 / keys.len() as f64
        );
    }
}
