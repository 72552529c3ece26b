//! The hash-ring diagram's layout: where each server's arcs, points, marker and label go.
//!
//! Computed once per change of the ring's servers (not per animation frame) by
//! `crate::diagrams::ring`. All sizes are in the diagram's fixed 400 × 400 `viewBox`.
//!
//! Only geometry: where each server's marker sits and which arcs it owns come from the frame
//! (the model's ring decides them), and this module turns them into angles, paths and label
//! spots.

use super::polar::{angle_of, span_of, spread_angles, Circle};
use sim::hashing::ring::Position;
use sim::models::hash_ring::{RingFrame, ServerView};

/// Width and height of the `viewBox`.
pub const VIEW: f64 = 400.0;
/// The ring's centre (both coordinates).
pub const CENTRE: f64 = VIEW / 2.0;
/// Radius of the ring track's centre line.
pub const RING_R: f64 = 120.0;
/// Width of the ring track (and of the coloured ownership arcs drawn on it).
pub const TRACK_W: f64 = 12.0;
/// Radius at which keys sit, just inside the track.
pub const KEY_R: f64 = RING_R - TRACK_W / 2.0 - 9.0;
/// Radius of the virtual-node ticks' inner and outer ends (a comb just outside the track).
pub const TICK_R: (f64, f64) = (RING_R + TRACK_W / 2.0 + 1.0, RING_R + TRACK_W / 2.0 + 7.0);
/// Radius of the degree ticks' inner end, their outer end, and their labels.
pub const DEGREE_R: (f64, f64, f64) = (
    RING_R + TRACK_W / 2.0 + 1.0,
    RING_R + TRACK_W / 2.0 + 5.0,
    RING_R + TRACK_W / 2.0 + 13.0,
);
/// Radius at which server labels start.
pub const LABEL_R: f64 = RING_R + 28.0;
/// How far from the `viewBox` edge labels keep.
pub const MARGIN: f64 = 3.0;

/// A rough width of `text` at `font_size` in the diagram's sans-serif (for keeping labels in
/// view, not for layout precision): 0.62 em a character, a little more when bold.
pub fn text_width(text: &str, font_size: f64, bold: bool) -> f64 {
    text.chars().count() as f64 * font_size * if bold { 0.68 } else { 0.6 }
}
/// The smallest angle, in degrees, between two server labels round the ring.
pub const LABEL_GAP_DEG: f64 = 13.0;

/// The ring track's circle.
pub fn track() -> Circle {
    Circle::new(CENTRE, CENTRE, RING_R)
}

/// Where a live server goes.
#[derive(Clone, Debug, PartialEq)]
pub struct ServerLayout {
    /// Its name.
    pub name: String,
    /// Its colour index, `0..12`.
    pub color: u32,
    /// Its points, ascending.
    pub points: Vec<Position>,
    /// The point its marker sits on: its vnode 0 (its own, un-suffixed place on the ring).
    pub anchor: Position,
    /// The angle its label sits at, nudged away from other labels.
    pub label_deg: f64,
    /// A path `d` of every arc of the ring it owns (one subpath per arc, on the track's circle).
    pub arcs_d: String,
    /// A path `d` of a tick per point (empty with one point per server: the marker shows it).
    pub ticks_d: String,
}

/// Where a crashed server's ghost goes.
#[derive(Clone, Debug, PartialEq)]
pub struct GhostLayout {
    /// Its name.
    pub name: String,
    /// Its colour index, `0..12`.
    pub color: u32,
    /// Where its marker was.
    pub anchor: Position,
    /// The angle its label sits at.
    pub label_deg: f64,
}

/// Where a named key's label goes (outside the ring, among the server labels, so the centre
/// stays free for the ring's numbers).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyLabel {
    /// The key.
    pub name: String,
    /// Where the key sits.
    pub position: Position,
    /// The angle its label sits at.
    pub label_deg: f64,
}

/// The ring's layout for one set of servers.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RingLayout {
    /// Live servers, in the frame's (name) order.
    pub servers: Vec<ServerLayout>,
    /// Crashed servers.
    pub ghosts: Vec<GhostLayout>,
    /// Named keys' labels, in the frame's order.
    pub keys: Vec<KeyLabel>,
}

/// The colour index of a server colour: one of 12 (`--server-0` … `--server-11`).
pub fn color_index(color: u32) -> u32 {
    color % 12
}

impl RingLayout {
    /// The layout of `frame`'s servers and named keys; `ghosts` gives each crashed server's
    /// `(name, colour, marker position)`, which the frame does not carry.
    pub fn new(frame: &RingFrame, ghosts: &[(String, u32, Position)]) -> Self {
        let circle = track();
        let mut servers: Vec<ServerLayout> = frame
            .servers
            .iter()
            .map(|s| {
                let mut points = s.points.clone();
                points.sort_unstable();
                ServerLayout {
                    name: s.name.clone(),
                    color: color_index(s.color),
                    points,
                    anchor: s.anchor,
                    label_deg: 0.0,
                    arcs_d: arcs_d(&circle, s),
                    ticks_d: String::new(),
                }
            })
            .collect();
        let many = servers.iter().any(|s| s.points.len() > 1);
        if many {
            for s in &mut servers {
                let mut d = String::with_capacity(s.points.len() * 28);
                for &p in &s.points {
                    circle.push_tick(&mut d, angle_of(p), TICK_R.0, TICK_R.1);
                }
                s.ticks_d = d;
            }
        }

        let mut ghosts: Vec<GhostLayout> = ghosts
            .iter()
            .map(|(name, color, anchor)| GhostLayout {
                name: name.clone(),
                color: color_index(*color),
                anchor: *anchor,
                label_deg: 0.0,
            })
            .collect();
        let mut keys: Vec<KeyLabel> = frame
            .keys
            .iter()
            .filter(|k| k.named)
            .map(|k| KeyLabel {
                name: k.name.clone(),
                position: k.position,
                label_deg: 0.0,
            })
            .collect();
        let angles: Vec<f64> = servers
            .iter()
            .map(|s| angle_of(s.anchor))
            .chain(ghosts.iter().map(|g| angle_of(g.anchor)))
            .chain(keys.iter().map(|k| angle_of(k.position)))
            .collect();
        let mut spread = spread_angles(&angles, LABEL_GAP_DEG).into_iter();
        for (s, a) in servers.iter_mut().zip(spread.by_ref()) {
            s.label_deg = a;
        }
        for (g, a) in ghosts.iter_mut().zip(spread.by_ref()) {
            g.label_deg = a;
        }
        for (k, a) in keys.iter_mut().zip(spread) {
            k.label_deg = a;
        }
        RingLayout {
            servers,
            ghosts,
            keys,
        }
    }

    /// The live server called `name`.
    pub fn server(&self, name: &str) -> Option<&ServerLayout> {
        self.servers.iter().find(|s| s.name == name)
    }
}

/// One path of every arc `server` owns, each a subpath on `circle`.
fn arcs_d(circle: &Circle, server: &ServerView) -> String {
    let mut d = String::new();
    for a in &server.arcs {
        circle.push_arc(&mut d, angle_of(a.start), span_of(a.len));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim::hashing::arcs::owned_arcs;
    use sim::hashing::ring::degrees_to_position as at;

    /// A server whose marker sits at its first point (its arcs come with the frame).
    fn server(name: &str, color: u32, points: Vec<Position>) -> ServerView {
        ServerView {
            name: name.into(),
            color,
            anchor: points[0],
            points,
            arcs: Vec::new(),
            arc_percent: 0.0,
            pinned: false,
            keys: 0,
            requests: 0,
        }
    }

    /// The frame the model would report for these servers (given in name order): each owns the
    /// arcs the ring's rule gives it.
    fn frame(mut servers: Vec<ServerView>, vnodes: u32) -> RingFrame {
        let mut all: Vec<(Position, usize)> = servers
            .iter()
            .enumerate()
            .flat_map(|(i, s)| s.points.iter().map(move |&p| (p, i)))
            .collect();
        all.sort_unstable();
        for a in owned_arcs(&all) {
            servers[a.owner].arcs.push(a);
        }
        RingFrame {
            now: sim::time::SimTime::ZERO,
            servers,
            removed: Vec::new(),
            keys: Vec::new(),
            keys_total: 0,
            last_change: None,
            requests: Vec::new(),
            hash: "murmur3",
            vnodes,
        }
    }

    fn notes_ring() -> RingFrame {
        frame(
            vec![
                server("A", 0, vec![at(45.0)]),
                server("B", 1, vec![at(120.0)]),
                server("C", 2, vec![at(280.0)]),
            ],
            1,
        )
    }

    #[test]
    fn pinned_servers_sit_and_are_labelled_at_their_angles() {
        let l = RingLayout::new(&notes_ring(), &[]);
        let anchors: Vec<f64> = l
            .servers
            .iter()
            .map(|s| angle_of(s.anchor).round())
            .collect();
        assert_eq!(anchors, vec![45.0, 120.0, 280.0]);
        let labels: Vec<f64> = l.servers.iter().map(|s| s.label_deg.round()).collect();
        assert_eq!(
            labels,
            vec![45.0, 120.0, 280.0],
            "labels far apart are not nudged"
        );
    }

    #[test]
    fn each_server_draws_the_arc_ending_at_its_point() {
        let l = RingLayout::new(&notes_ring(), &[]);
        let c = track();
        assert_eq!(
            l.servers[1].arcs_d,
            c.arc_path(angle_of(at(45.0)), angle_of(at(120.0)) - angle_of(at(45.0)))
        );
        assert!(
            l.servers[0].arcs_d.starts_with('M') && l.servers[0].arcs_d.matches('M').count() == 1
        );
        assert!(
            l.servers.iter().all(|s| s.ticks_d.is_empty()),
            "one point per server needs no ticks"
        );
    }

    #[test]
    fn virtual_nodes_get_one_tick_each_in_one_path() {
        let f = frame(
            vec![
                server("A", 0, vec![10, 1 << 30, 3 << 30]),
                server("B", 1, vec![1 << 31, 5, 99]),
            ],
            3,
        );
        let l = RingLayout::new(&f, &[]);
        assert_eq!(l.servers[0].ticks_d.matches('M').count(), 3);
        assert_eq!(
            l.servers[1].points,
            vec![5, 99, 1 << 31],
            "points are sorted"
        );
    }

    #[test]
    fn a_server_is_marked_where_the_frame_says_its_vnode_zero_is() {
        let mut a = server("A", 0, vec![10, 1000, 3 << 30]);
        a.anchor = 1000;
        let l = RingLayout::new(&frame(vec![a], 3), &[]);
        assert_eq!(l.servers[0].anchor, 1000, "not its first point");
        assert_eq!(l.servers[0].label_deg, angle_of(1000));
    }

    #[test]
    fn close_labels_are_spread_and_ghosts_take_part() {
        let f = frame(
            vec![
                server("A", 0, vec![at(100.0)]),
                server("C", 2, vec![at(104.0)]),
            ],
            1,
        );
        let l = RingLayout::new(&f, &[("B".into(), 1, at(102.0))]);
        let a = l.servers[0].label_deg;
        let b = l.ghosts[0].label_deg;
        let c = l.servers[1].label_deg;
        assert!(
            b - a >= LABEL_GAP_DEG - 1e-3 && c - b >= LABEL_GAP_DEG - 1e-3,
            "{a} {b} {c}"
        );
        assert_eq!(l.ghosts[0].color, 1);
    }

    #[test]
    fn named_keys_are_labelled_among_the_servers() {
        let mut f = notes_ring();
        let key = |name: &str, deg: f64, named: bool| sim::models::hash_ring::KeyView {
            name: name.into(),
            position: at(deg),
            owners: vec!["B".into()],
            named,
        };
        f.keys = vec![key("user-1", 110.0, false), key("User123", 115.0, true)];
        let l = RingLayout::new(&f, &[]);
        assert_eq!(l.keys.len(), 1, "only named keys get a label");
        let gap = l.servers[1].label_deg - l.keys[0].label_deg;
        assert!(
            gap >= LABEL_GAP_DEG - 1e-3,
            "User123 at 115° is labelled before B at 120°, far enough: {l:?}"
        );
    }

    #[test]
    fn colours_wrap_at_twelve() {
        assert_eq!(color_index(13), 1);
    }
}
