//! What the figures are judged by: the authorizer's operation bounds, the targets, and the memory-size
//! rule's budgets. Kept apart from the measuring and the prose, and written into each run's figures.

use std::collections::BTreeMap;

use crate::figures::{Budget, Policy, Targets};

/// The longest warm p99 (ms; requests back to back, time inside the function) a user would accept from
/// each function, and why: the rule picks the cheapest size within it.
const BUDGETS: [(&str, u64, &str); 6] = [
    (
        "health",
        25,
        "a monitor's probe: one throttled period (20 ms) now and then is fine",
    ),
    (
        "signup",
        50,
        "once per customer (rate-limited to 5/s), after filling in a form",
    ),
    (
        "account",
        15,
        "a person or a script reading their account: a small part of an API call's round trip",
    ),
    (
        "api-keys",
        15,
        "a person or a script managing keys: a small part of an API call's round trip",
    ),
    (
        "authorizer",
        10,
        "runs before every request of the whole Memory API, uncached: its time is added to all of them",
    ),
    (
        "dashboard",
        25,
        "static files for a browser, fetched once per visit",
    ),
];

/// Costs per million requests closer than this are the same cost: a difference that moves from one run to
/// the next (measured: up to about $0.002).
const SAME_COST: f64 = 0.005;

/// Today's policy, with template.yaml's memory sizes (by binary name).
pub fn current(template_memory_mb: BTreeMap<String, u32>) -> Policy {
    Policy {
        // With the cache off, one index read per request; the usage writes of a key per minute per
        // instance: the day's count and `last_used_at`, two single `UpdateItem`s.
        authorizer_reads_per_request: 1,
        authorizer_writes_per_key_per_minute: 2,
        targets: Targets {
            long_tail_p50: 1.2,
            busy_key_vs_hello_p50: 3.0,
            cold_start_total: 1.3,
            init: 1.6,
            peak_rss: 2.0,
        },
        peak_rss_target_mib: 32,
        package_target_mib: 5,
        connect_at_init_below_mb: store::CONNECT_AT_INIT_BELOW_MB,
        budgets: BUDGETS
            .iter()
            .map(|(function, warm_p99_ms, why)| Budget {
                function: (*function).to_owned(),
                warm_p99_ms: *warm_p99_ms,
                why: (*why).to_owned(),
            })
            .collect(),
        same_cost_per_million: SAME_COST,
        template_memory_mb,
        prices: crate::pricing::US_EAST_1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_function_measured_has_a_budget() {
        let policy = current(BTreeMap::new());
        for (function, _) in crate::memory_size::FUNCTIONS {
            assert!(
                policy.budgets.iter().any(|b| b.function == function),
                "{function}"
            );
        }
    }
}
