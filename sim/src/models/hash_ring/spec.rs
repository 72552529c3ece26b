//! The hash-ring model's parameters and actions.

use super::MAX_KEYS;
use crate::model::ActionSpec;
use crate::params::ParamSpec;

/// The parameters of the consistent-hashing lesson.
pub(super) fn specs() -> Vec<ParamSpec> {
    let mut specs = vec![
        ParamSpec::text("servers", "Servers", "A,B,C,D", 300).help(
            "Comma-separated server names. Add @degrees to pin a server's first point in the 0–360° teaching mode (A@45); the rest are placed by hashing their names.",
        ),
        ParamSpec::int("vnodes", "Virtual nodes per server", 1, 1, 1000, 1).unit("per server").help(
            "Each server is placed on the ring this many times (hashed as S#0, S#1, …, or at random tokens). More points per server even out the arcs each one owns.",
        ),
        ParamSpec::choice("tokens", "Server points", "hashed", &[("hashed", "Hashed from the names (S#0, S#1, …)"), ("random", "Random tokens, drawn as a server joins")]).help(
            "Where each server's virtual nodes go. Hashed: at hash(S#0), hash(S#1), …, as ketama places them, so the same names always give the same ring. Random: at random tokens drawn from the seed when the server joins, as Cassandra places its num_tokens tokens when no token allocation option is set (its default before 4.0; cassandra.yaml) and as Dynamo's first strategy did (T random tokens per node; DeCandia et al. 2007, §6.2), so each seed gives another ring. Keys are hashed either way; a pinned server (A@45) keeps its angle for its first point.",
        ),
        ParamSpec::choice("hash", "Hash function", "murmur3", &[("murmur3", "MurmurHash3 x86_32"), ("fnv1a", "FNV-1a 32-bit")])
            .help("How names become positions on the 2^32 ring."),
        ParamSpec::int("keys", "Generated keys", 200, 0, MAX_KEYS, 1).unit("keys").help(
            "How many random user keys to place (their names come from the seed).",
        ),
        ParamSpec::text("named_keys", "Named keys", "User123", 300).help(
            "Keys you want to follow, comma-separated; add @degrees to pin one (User123@100).",
        ),
        ParamSpec::choice("placement", "Placement", "ring", &[("ring", "First server clockwise (the ring)"), ("modulo", "hash % N over the sorted server list")])
            .help("How a key's position picks its server. hash % N is what the ring replaces: a change of N deals most keys again."),
        ParamSpec::int("replicas", "Replication factor", 1, 1, 5, 1).help(
            "Each key is stored on this many distinct servers, walking clockwise from its owner.",
        ),
    ];
    specs.extend(crate::workload::specs(20));
    specs
}

/// The inputs a learner can apply.
pub(super) fn actions() -> Vec<ActionSpec> {
    vec![
        ActionSpec::new("add-server", "Add a server").arg("name, optionally @degrees", None),
        ActionSpec::new("remove-server", "Crash a server")
            .pick("server name")
            .help("Its keys move to the next server clockwise."),
        ActionSpec::new("add-keys", "Add keys").arg("how many, or a key name", Some("10")),
        ActionSpec::new("remove-key", "Remove a key").arg("key name", None),
        ActionSpec::new("remove-keys", "Remove keys").arg("how many generated keys", Some("10")),
    ]
}
