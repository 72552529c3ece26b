//! `#/bench`: measures the simulation in this browser's WebAssembly engine, for
//! `scripts/bench.sh`. It runs the same workloads as the native benchmark (`sim::bench`), timed
//! with `performance.now()`; the page itself only reads the clock and prints.

use sim::registry;
use sim::scenario::Scenario;
use sim::time::SimTime;
use yew::prelude::*;

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// What the page measured.
#[derive(Clone, PartialEq)]
struct Figures {
    lookups_per_sec: f64,
    build_50k_ms: f64,
    crash_50k_ms: f64,
    /// Key → server lookups per second for each placement strategy.
    strategies: Vec<(&'static str, f64)>,
    /// Per strategy: ms to place 1,000,000 distinct keys on 10 servers, ms to recompute them all
    /// after an 11th server joins, and the share of keys that moved (%).
    million: Vec<(&'static str, f64, f64, f64)>,
}

fn measure() -> Figures {
    let ring = sim::bench::bench_ring();
    let n = 2_000_000u64;
    sim::bench::lookups(&ring, 10_000); // warm-up
    let mut rates: Vec<f64> = (0..5)
        .map(|_| {
            let t0 = now_ms();
            std::hint::black_box(sim::bench::lookups(&ring, n));
            n as f64 / ((now_ms() - t0).max(0.001) / 1000.0)
        })
        .collect();
    rates.sort_by(f64::total_cmp);
    // Placing 50,000 keys on 10 servers × 100 vnodes, then a crash that re-places all of them.
    let mut s = Scenario::new("hash-ring", 1, SimTime::from_secs(1));
    for (k, v) in [
        ("servers", "A,B,C,D,E,F,G,H,I,J"),
        ("vnodes", "100"),
        ("keys", "50000"),
        ("request_rate", "0"),
    ] {
        s.params.insert(k.into(), v.into());
    }
    let t0 = now_ms();
    let mut run = registry::start(&s).expect("the bench scenario is valid");
    let build_50k_ms = now_ms() - t0;
    let t0 = now_ms();
    run.apply_now(sim::scenario::Input::new("remove-server", Some("C")));
    let crash_50k_ms = now_ms() - t0;
    let keys = sim::bench::bench_keys();
    let strategies = sim::bench::Strategy::all()
        .into_iter()
        .map(|(name, strategy)| {
            let n = 200_000u64;
            let t0 = now_ms();
            std::hint::black_box(sim::bench::placements(&strategy, &keys, n));
            (name, n as f64 / ((now_ms() - t0).max(0.001) / 1000.0))
        })
        .collect();
    let million_keys = sim::bench::distinct_keys(1_000_000);
    let eleven = sim::bench::Strategy::all_over(11);
    let million = sim::bench::Strategy::all_over(10)
        .iter()
        .zip(&eleven)
        .map(|((name, ten), (_, after))| {
            let t0 = now_ms();
            let before = sim::bench::place_all(ten, 10, &million_keys);
            let place = now_ms() - t0;
            let t0 = now_ms();
            let now = sim::bench::place_all(after, 11, &million_keys);
            let moved = sim::bench::moved(&before, &now);
            let recompute = now_ms() - t0;
            (*name, place, recompute, moved as f64 * 100.0 / 1e6)
        })
        .collect();
    Figures {
        million,
        lookups_per_sec: rates[2],
        build_50k_ms,
        crash_50k_ms,
        strategies,
    }
}

/// The benchmark page.
#[function_component]
pub fn BenchPage() -> Html {
    let figures = use_state(|| None::<Figures>);
    {
        let figures = figures.clone();
        use_effect_with((), move |_| figures.set(Some(measure())));
    }
    html! {
        <main id="main" class="page bench-page" data-testid="bench-page">
            <h1>{ "Benchmark" }</h1>
            <p>{ "Ring lookups (10 servers × 100 virtual nodes) and key placement, in this browser's WebAssembly engine." }</p>
            {
                match &*figures {
                    None => html! { <p>{ "Measuring…" }</p> },
                    Some(f) => html! { <>
                        <dl data-testid="bench-result"
                            data-lookups-per-sec={format!("{:.0}", f.lookups_per_sec)}
                            data-build-ms={format!("{:.1}", f.build_50k_ms)}
                            data-crash-ms={format!("{:.1}", f.crash_50k_ms)}>
                            <dt>{ "Lookups per second" }</dt><dd>{ format!("{:.0}", f.lookups_per_sec) }</dd>
                            <dt>{ "Place 50,000 keys" }</dt><dd>{ format!("{:.1} ms", f.build_50k_ms) }</dd>
                            <dt>{ "Crash a server, re-place 50,000 keys" }</dt><dd>{ format!("{:.1} ms", f.crash_50k_ms) }</dd>
                        </dl>
                        <table data-testid="bench-strategies">
                            <caption>{ "Key → server lookups per second, 10 servers, hashing the key each time" }</caption>
                            { for f.strategies.iter().map(|(name, rate)| html! {
                                <tr data-strategy={*name} data-per-sec={format!("{rate:.0}")}>
                                    <th scope="row">{ *name }</th><td>{ format!("{rate:.0}") }</td>
                                </tr>
                            }) }
                        </table>
                        <table data-testid="bench-million">
                            <caption>{ "1,000,000 distinct keys: place them on 10 servers, then recompute all after an 11th joins" }</caption>
                            <tr><th scope="col">{ "strategy" }</th><th scope="col">{ "place (ms)" }</th><th scope="col">{ "recompute (ms)" }</th><th scope="col">{ "moved" }</th></tr>
                            { for f.million.iter().map(|(name, place, recompute, moved)| html! {
                                <tr data-strategy={*name} data-place-ms={format!("{place:.0}")} data-recompute-ms={format!("{recompute:.0}")}
                                    data-moved-percent={format!("{moved:.2}")}>
                                    <th scope="row">{ *name }</th><td>{ format!("{place:.0}") }</td><td>{ format!("{recompute:.0}") }</td>
                                    <td>{ format!("{moved:.2}%") }</td>
                                </tr>
                            }) }
                        </table>
                    </> },
                }
            }
        </main>
    }
}
