//! From a pasted config's method to a running strategy.

use super::{
    ConsistentHash, IpHash, KeyAddress, KeyHash, LeastConnections, LeastResponseTime,
    PassiveChecks, PassiveParams, PowerOfD, WeightedRoundRobin,
};
use crate::balance::config::{LoadMeasure, Method, PoolConfig};
use crate::requests::Balancer;

/// The strategy a [`Method`] asks for, or why it cannot run:
///
/// - `RoundRobin`, `StaticRoundRobin` → [`WeightedRoundRobin`] (HAProxy's `static-rr` differs
///   only in ignoring weight changes at run time, which views do not make here);
/// - `LeastConn` → [`LeastConnections`] weighted;
/// - `LeastTime(_)` → [`LeastResponseTime`] (10 s decay; the simulator has no header/body split,
///   so `header` and `last_byte` are the same time);
/// - `IpHash` → [`IpHash`] with [`KeyAddress::ClientSubnet`] (each simulated client its own /24);
/// - `Hash { consistent: true, .. }` → [`ConsistentHash`] unbounded, the key being the client;
/// - nginx `Hash { consistent: false, .. }` → [`KeyHash`] (map-based, the key being the client);
/// - `Random { draws, by: Connections }` → [`PowerOfD`] (`draws = 1`: uniform random).
///
/// Refused with a reason: HAProxy's map-based `source`, `uri` and `hdr(…)`, HAProxy `first`, and
/// `random two least_time`.
pub fn from_method(method: &Method) -> Result<Box<dyn Balancer>, String> {
    Ok(match method {
        Method::RoundRobin | Method::StaticRoundRobin => Box::new(WeightedRoundRobin::new()),
        Method::LeastConn => Box::new(LeastConnections::new(true)),
        Method::LeastTime(_) => Box::new(LeastResponseTime::default_tau()),
        Method::IpHash => Box::new(IpHash::new(KeyAddress::ClientSubnet)),
        Method::Hash {
            consistent: true, ..
        } => Box::new(ConsistentHash::new(None)?),
        // nginx variables start with `$`; HAProxy's keys (`source`, `uri`, `hdr(…)`) do not.
        Method::Hash { key, .. } if key.starts_with('$') => Box::new(KeyHash::new()),
        Method::Hash { key, .. } => {
            return Err(format!(
                "HAProxy's map-based `balance {key}` is not modelled (its hash functions differ \
                 from nginx's); use nginx `hash $key` or `hash $key consistent`"
            ))
        }
        Method::First => {
            return Err(
                "HAProxy `balance first` is not modelled (it needs maxconn per server)".into(),
            )
        }
        Method::Random { draws: 1, .. } => Box::new(PowerOfD::new(1)?),
        Method::Random {
            draws,
            by: LoadMeasure::Connections,
        } => Box::new(PowerOfD::new(*draws)?),
        Method::Random { .. } => {
            return Err(
                "`random two least_time` is not modelled; use `least_time` or \
                        `random two least_conn`"
                    .into(),
            )
        }
    })
}

/// The strategy for a whole pool: [`from_method`], wrapped in [`PassiveChecks`] when any server
/// has nginx passive checks (`max_fails` > 0), with each server's `max_fails` and
/// `fail_timeout` (milliseconds rounded up to whole seconds, as nginx counts). Server ids are
/// taken to be the pool's servers in order.
pub fn from_pool(pool: &PoolConfig) -> Result<Box<dyn Balancer>, String> {
    let base = from_method(&pool.method)?;
    if !pool.servers.iter().any(|s| s.passive.is_some()) {
        return Ok(base);
    }
    let per_server = pool
        .servers
        .iter()
        .map(|s| match s.passive {
            Some(p) => PassiveParams {
                max_fails: p.max_fails,
                fail_timeout_s: p.fail_timeout_ms.div_ceil(1_000),
            },
            None => PassiveParams {
                max_fails: 0,
                fail_timeout_s: 10,
            },
        })
        .collect();
    Ok(Box::new(
        PassiveChecks::new(base, PassiveParams::default())?.with_per_server(per_server)?,
    ))
}
