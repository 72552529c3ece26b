//! Browser test: the `highlight` and `conceal` props of `Diagram` (which a lesson's steps and
//! questions set) on both kinds of diagram, mounted in headless Chromium: a highlighted entity
//! carries `data-highlighted="true"` and a halo, a concealed diagram hides the shares and says
//! so with `data-concealed="true"`.
//!
//! Run: `CHROMEDRIVER=/usr/bin/chromedriver cargo test -p playground --target wasm32-unknown-unknown --test browser diagram_props::`

use playground::diagrams::Diagram;
use sim::frame::Frame;
use sim::hashing::ring::degrees_to_position;
use sim::models::hash_ring::{KeyView, RingFrame, ServerView};
use sim::models::shard_view::{LoadShare, ShardFrame, ShardKeyView, ShardView};
use sim::time::SimTime;
use std::rc::Rc;
use wasm_bindgen_test::*;
use web_sys::Element;
use yew::prelude::*;

fn sleep(ms: u32) -> gloo_timers::future::TimeoutFuture {
    gloo_timers::future::TimeoutFuture::new(ms)
}

/// The notes' ring: A at 45°, B at 120°, C at 280°, and User123 at 100°.
fn ring() -> Frame {
    let server = |name: &str, color: u32, deg: f64, share: f64| ServerView {
        name: name.into(),
        color,
        points: vec![degrees_to_position(deg)],
        anchor: degrees_to_position(deg),
        arcs: Vec::new(),
        arc_percent: share,
        pinned: true,
        keys: 1,
        requests: 0,
    };
    Frame::Ring(Rc::new(RingFrame {
        now: SimTime::ZERO,
        servers: vec![
            server("A", 0, 45.0, 34.7),
            server("B", 1, 120.0, 20.8),
            server("C", 2, 280.0, 44.4),
        ],
        removed: Vec::new(),
        keys: vec![KeyView {
            name: "User123".into(),
            position: degrees_to_position(100.0),
            owners: vec!["B".into()],
            named: true,
        }],
        keys_total: 1,
        last_change: None,
        requests: Vec::new(),
        hash: "murmur3",
        vnodes: 1,
    }))
}

/// Four shards with their share of the load; shard 2 is hot.
fn shards() -> Frame {
    let shares = [15.0, 15.0, 55.0, 15.0];
    Frame::Shards(Rc::new(ShardFrame {
        now: SimTime::ZERO,
        rule: "user_id % 4".into(),
        shards: (0..4u32)
            .map(|i| ShardView {
                hot: i == 2,
                load: Some(LoadShare {
                    percent: shares[i as usize],
                    of_mean: shares[i as usize] * 4.0 / 100.0,
                }),
                ..ShardView::new(i, format!("Shard {i}"), 5, 10)
            })
            .collect(),
        keys: (0..20u64)
            .map(|id| ShardKeyView {
                name: format!("user {id}"),
                id,
                shard: (id % 4) as u32,
                hot: false,
                share: None,
            })
            .collect(),
        keys_total: 20,
        last_change: None,
        requests: Vec::new(),
        front: Vec::new(),
        fanout: None,
        ring: None,
    }))
}

#[derive(Properties, PartialEq)]
struct Props {
    frame: Frame,
    highlight: Rc<[String]>,
    conceal: bool,
}

#[function_component]
fn Host(p: &Props) -> Html {
    html! { <Diagram frame={p.frame.clone()} reduced_motion={true} highlight={p.highlight.clone()} conceal={p.conceal} /> }
}

/// Mounts a diagram in a fresh element and returns that element once it has rendered.
async fn mount(frame: Frame, highlight: &[&str], conceal: bool) -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let props = Props {
        frame,
        highlight: highlight.iter().map(|s| s.to_string()).collect(),
        conceal,
    };
    yew::Renderer::<Host>::with_root_and_props(root.clone(), props).render();
    for _ in 0..100 {
        if root.query_selector("svg").unwrap().is_some() {
            break;
        }
        sleep(20).await;
    }
    root
}

fn all(root: &Element, sel: &str) -> Vec<Element> {
    let list = root.query_selector_all(sel).unwrap();
    (0..list.length())
        .filter_map(|i| {
            list.item(i)
                .and_then(|n| wasm_bindgen::JsCast::dyn_into(n).ok())
        })
        .collect()
}

fn testids(els: &[Element]) -> Vec<String> {
    els.iter()
        .filter_map(|e| e.get_attribute("data-testid"))
        .collect()
}

#[wasm_bindgen_test]
async fn the_ring_highlights_a_server_and_a_key_and_conceals_the_shares() {
    let plain = mount(ring(), &[], false).await;
    assert!(
        all(&plain, "[data-highlighted]").is_empty(),
        "nothing by default"
    );
    assert!(all(&plain, "[data-concealed]").is_empty());
    let text = plain.text_content().unwrap_or_default();
    assert!(text.contains("20.8%"), "B's share is shown: {text}");

    let root = mount(ring(), &["B", "User123"], true).await;
    let lit = all(&root, "[data-highlighted=\"true\"]");
    assert_eq!(testids(&lit), vec!["key-User123", "server-B"]);
    for e in &lit {
        assert!(
            e.query_selector(".highlight-halo").unwrap().is_some(),
            "a halo, not colour alone"
        );
    }
    let b = root
        .query_selector("[data-testid=\"server-B\"]")
        .unwrap()
        .unwrap();
    assert_eq!(b.get_attribute("data-concealed").as_deref(), Some("true"));
    let text = root.text_content().unwrap_or_default();
    assert!(!text.contains('%'), "no share left on the ring: {text}");
    assert!(!text.contains("75°"), "no arc size either: {text}");
    let label = root
        .query_selector("[data-testid=\"ring-diagram\"]")
        .unwrap()
        .unwrap()
        .get_attribute("aria-label")
        .unwrap();
    assert!(!label.contains('%'), "nor in the description: {label}");
}

#[wasm_bindgen_test]
async fn the_shards_highlight_a_shard_and_a_key_and_conceal_their_load() {
    let plain = mount(shards(), &[], false).await;
    let text = plain.text_content().unwrap_or_default();
    assert!(text.contains("55% of load"), "{text}");
    assert!(plain
        .query_selector("[data-testid=\"hot-badge-2\"]")
        .unwrap()
        .is_some());

    let root = mount(shards(), &["2", "user 7"], true).await;
    let lit = all(&root, "[data-highlighted=\"true\"]");
    assert_eq!(testids(&lit), vec!["shard-2", "shard-key-7"]);
    assert_eq!(
        all(&root, "[data-concealed=\"true\"]").len(),
        4,
        "every bucket"
    );
    let text = root.text_content().unwrap_or_default();
    // (The rule, `user_id % 4`, stays: it gives no share away.)
    assert!(
        !text.contains("of load") && !text.contains("55"),
        "no share left: {text}"
    );
    assert!(!text.contains("5 keys"), "no key count: {text}");
    assert!(root.query_selector(".load-fill").unwrap().is_none());
    assert!(root.query_selector(".hot-badge").unwrap().is_none());
    // "Shard 2" as the frame names it works as well as its index.
    let by_name = mount(shards(), &["Shard 3"], false).await;
    assert_eq!(
        testids(&all(&by_name, "[data-highlighted=\"true\"]")),
        vec!["shard-3"]
    );
}
