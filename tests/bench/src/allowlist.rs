//! Section 9 (issue 22): the built `authorizer` binary's warm latency for a key with no allowlist and a key
//! with 20 entries (the events' source address inside the last), their requests taken in turn on one warm
//! instance; once with the cache off, once at its default TTL (a cached authentication checks the list too).

use std::time::{Duration, SystemTime};

use crate::figures::{AllowlistRow, AllowlistSection};
use crate::{
    authorizer_event, bench_key, millis, percentile, spawn_with, succeeded, Setup, WARM_UP,
};
use service_tests::RuntimeApi;

/// `requestContext.http.sourceIp` of `events/authorizer-allowed.json`.
const SOURCE_IP: &str = "127.0.0.1";

/// 20 entries, IPv4 and IPv6 addresses and blocks; [`SOURCE_IP`] only inside the last.
const ALLOWED_IPS: [&str; 20] = [
    "203.0.113.7",
    "2001:db8::/32",
    "198.51.100.0/24",
    "2001:db8:1234::1",
    "192.0.2.0/28",
    "2600:1f18::/36",
    "10.0.0.0/8",
    "fd00::/8",
    "172.16.0.0/12",
    "2a05:d018::/35",
    "100.64.0.0/10",
    "2001:db8:ffff::/48",
    "192.168.0.0/16",
    "fe80::/10",
    "198.18.0.0/15",
    "2620:0:2d0::/48",
    "203.0.113.128/25",
    "::1",
    "169.254.0.0/16",
    "127.0.0.0/24",
];

/// The event of `key` as sent from `address` instead.
fn event_from(key: &str, address: &str) -> Vec<u8> {
    let event = String::from_utf8(authorizer_event(key)).expect("UTF-8");
    let from = format!("\"sourceIp\": \"{SOURCE_IP}\"");
    assert!(event.contains(&from), "the event carries sourceIp");
    event
        .replace(&from, &format!("\"sourceIp\": \"{address}\""))
        .into_bytes()
}

/// Whether the authorizer's answer refused the request.
fn refused(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .is_ok_and(|answer| answer["isAuthorized"] == serde_json::json!(false))
}

pub async fn section(setup: &Setup, requests: usize) -> AllowlistSection {
    let now = SystemTime::now();
    let principal = &setup.authorizer_principal;
    let read_only = || Some(vec!["read".to_owned()]);
    let (plain, _) = bench_key(
        &setup.store,
        principal,
        "Bench allowlist (none)".to_owned(),
        read_only(),
        now,
    )
    .await;
    let created = accounts::create_key(
        &setup.store,
        principal,
        accounts::NewKeyInput {
            name: Some("Bench allowlist (20 entries)".to_owned()),
            scopes: read_only(),
            allowed_ips: Some(ALLOWED_IPS.iter().map(|ip| (*ip).to_owned()).collect()),
            ..accounts::NewKeyInput::default()
        },
        None,
        &accounts::KeyDerivation::Value(crate::bench_derivation_secret()),
        &store::RequestFacts::default(),
        now,
    )
    .await
    .expect("create the listed key");
    let listed = created.key;
    let mut rows = Vec::new();
    let mut outside_refused = true;
    let default_ttl = auth::AUTH_CACHE_DEFAULT_TTL.as_secs_f64();
    for ttl in [0.0, default_ttl] {
        let mut api = RuntimeApi::start().await;
        let ttl_text = ttl.to_string();
        let mut child =
            spawn_with(setup, "authorizer", &api, &[("AUTH_CACHE_TTL", &ttl_text)]).await;
        api.init_done().await.expect("authorizer init");
        let (mut plain_times, mut listed_times): (Vec<Duration>, Vec<Duration>) =
            (Vec::new(), Vec::new());
        for i in 0..WARM_UP + requests {
            for (key, times) in [(&plain, &mut plain_times), (&listed, &mut listed_times)] {
                let (latency, body) = api.invoke(authorizer_event(key)).await.expect("authorizer");
                assert!(
                    succeeded(setup, "authorizer", &body),
                    "{}",
                    String::from_utf8_lossy(&body)
                );
                if i >= WARM_UP {
                    times.push(latency);
                }
            }
        }
        // The list is checked: the same key from an address outside it is refused.
        let (_, body) = api
            .invoke(event_from(&listed, "192.0.2.200"))
            .await
            .expect("authorizer");
        outside_refused &= refused(&body);
        plain_times.sort();
        listed_times.sort();
        rows.push(AllowlistRow {
            cache_ttl_s: ttl,
            plain_p50_ms: millis(percentile(&plain_times, 50.0)),
            plain_p99_ms: millis(percentile(&plain_times, 99.0)),
            listed_p50_ms: millis(percentile(&listed_times, 50.0)),
            listed_p99_ms: millis(percentile(&listed_times, 99.0)),
        });
        let _ = child.kill().await;
        drop(api);
    }
    setup.counter.take();
    AllowlistSection {
        alone: None,
        warm_up: WARM_UP,
        requests,
        allowed_ips: ALLOWED_IPS.iter().map(|ip| (*ip).to_owned()).collect(),
        source_ip: SOURCE_IP.to_owned(),
        rows,
        outside_refused,
    }
}
