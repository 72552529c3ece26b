//! How sticky the balancer's picks are: per client, the server its latest request was sent to,
//! and whether any of its requests has gone to another server. Hashing and session-affinity
//! lessons read it: a server-local cache or session is only useful while a client keeps its
//! server, and the share of clients that moved after a server left is the figure consistent
//! hashing is known by (about 1/n of them, against (n − 1)/n for `hash mod n`).
//!
//! Every pick that names a server counts, retries included (a retry on another server is a
//! move for that client). Clients are the request keys; the map holds only clients that sent a
//! request, at most one per arrival ([`super::setup::MAX_REQUESTS`] and a fifth).

use std::collections::BTreeMap;

/// Per-client stickiness counts (see the module docs).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stickiness {
    /// Per client: the server of its latest pick, and whether it has ever moved.
    last: BTreeMap<u64, (u32, bool)>,
    moved_clients: u64,
    /// Picks of a client seen before, and of those the ones to its previous server.
    repeats: u64,
    same: u64,
}

impl Stickiness {
    /// Records that a request of `client` was sent to `server`.
    pub fn record(&mut self, client: u64, server: u32) {
        match self.last.get_mut(&client) {
            None => {
                self.last.insert(client, (server, false));
            }
            Some((previous, moved)) => {
                self.repeats += 1;
                if *previous == server {
                    self.same += 1;
                } else {
                    *previous = server;
                    if !*moved {
                        *moved = true;
                        self.moved_clients += 1;
                    }
                }
            }
        }
    }

    /// Clients that sent at least one request.
    pub fn clients(&self) -> u64 {
        self.last.len() as u64
    }

    /// Clients whose requests went to more than one server.
    pub fn moved_clients(&self) -> u64 {
        self.moved_clients
    }

    /// [`Self::moved_clients`] as a percentage of [`Self::clients`] (`None` before any).
    pub fn moved_percent(&self) -> Option<f64> {
        let n = self.clients();
        (n > 0).then(|| 100.0 * self.moved_clients as f64 / n as f64)
    }

    /// Of the requests from clients seen before, the percentage sent to the same server as that
    /// client's previous request (`None` before any such request).
    pub fn sticky_percent(&self) -> Option<f64> {
        (self.repeats > 0).then(|| 100.0 * self.same as f64 / self.repeats as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::Stickiness;

    #[test]
    fn counts_moves_once_per_client_and_same_server_repeats() {
        let mut s = Stickiness::default();
        assert_eq!((s.moved_percent(), s.sticky_percent()), (None, None));
        // Client 7: A, A, B, A (two moves, one client moved); client 8: B once; client 9: C, C.
        for (client, server) in [(7, 0), (8, 1), (7, 0), (9, 2), (7, 1), (9, 2), (7, 0)] {
            s.record(client, server);
        }
        assert_eq!(s.clients(), 3);
        assert_eq!(s.moved_clients(), 1);
        assert_eq!(s.moved_percent(), Some(100.0 / 3.0));
        // Repeats: 7→A (same), 9→C (same), 7→B (moved), 7→A (moved): 2 of 4.
        assert_eq!(s.sticky_percent(), Some(50.0));
    }
}
