//! Usage per key and UTC day: counted in the instance, written at most once a minute per key, flushed at
//! shutdown, and read back by `GET /v1/account/usage`.

use std::time::{Duration, SystemTime};

use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{
    authorizer_service, call, counting_store, create_key, fresh_store, sign_up, usage_meter,
};
use store::Store;

fn today() -> String {
    auth::timestamp(SystemTime::now())[..10].to_owned()
}

async fn usage(store: &Store, key: &str, query: &str) -> service_tests::Answer {
    call(Method::GET, &format!("/v1/account/usage{query}"))
        .bearer(key)
        .send(store)
        .await
}

fn day<'a>(answer: &'a service_tests::Answer, date: &str) -> &'a Value {
    answer.data()["days"]
        .as_array()
        .and_then(|days| days.iter().find(|day| day["date"] == date))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn a_thousand_requests_of_one_key_show_a_thousand_after_the_flush_with_two_writes() {
    let (store, log) = counting_store().await;
    let org = sign_up(&store).await;
    let (reader, reader_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    log.take();
    let path = format!(
        "{}/../events/authorizer-allowed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(path)
        .expect("event")
        .replace("${API_KEY}", &reader);
    let event: lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
        serde_json::from_str(&text).expect("authorizer event");
    for i in 0..1_000 {
        if i % 2 == 0 {
            let decision =
                authorizer::authorize(&authorizer_service(&store), &event, SystemTime::now())
                    .await
                    .expect("decides");
            assert!(decision.is_authorized);
        } else {
            let answer = call(Method::GET, "/v1/account")
                .bearer(&reader)
                .send(&store)
                .await;
            assert_eq!(answer.status, StatusCode::OK);
        }
    }
    let operations = log.take();
    let writes: Vec<&String> = operations
        .iter()
        .filter(|op| *op != "Query" && *op != "GetItem")
        .collect();
    let reads = operations.iter().filter(|op| *op == "Query").count();
    assert_eq!(reads, 1_000, "one index read per request");
    // The first request writes the key's count and last_used_at; the next 999 are counted in memory.
    assert_eq!(writes, ["UpdateItem", "UpdateItem"], "{operations:?}");
    assert_eq!(
        usage_meter(&store)
            .flush(SystemTime::now())
            .await
            .expect("flush"),
        1
    );
    assert_eq!(log.take(), ["UpdateItem", "UpdateItem"]);
    println!("usage: 1000 requests of one key, {reads} reads, 2 writes (one at the first request, one at the flush)");
    let answer = usage(&store, &org.admin_key, "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let today = day(&answer, &today()).clone();
    let counted = today["keys"]
        .as_array()
        .and_then(|keys| keys.iter().find(|key| key["id"] == reader_id.as_str()))
        .map(|key| key["requests"].clone());
    assert_eq!(counted, Some(json!(1_000)), "{today}");
}

#[tokio::test]
async fn live_counts_are_billable_and_test_counts_free_and_apart() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = create_key(&store, &org.admin_key, json!({"environment": "test"})).await;
    for _ in 0..3 {
        call(Method::GET, "/v1/account")
            .bearer(&test_key)
            .send(&store)
            .await;
    }
    usage_meter(&store)
        .flush(SystemTime::now())
        .await
        .expect("flush");
    let answer = usage(&store, &org.admin_key, "").await;
    usage_meter(&store)
        .flush(SystemTime::now())
        .await
        .expect("flush");
    let totals = &answer.data()["totals"];
    assert_eq!(totals["test_requests"], 3, "{totals}");
    // The admin key's own requests (signup's create and this read) are live.
    assert!(
        totals["live_requests"].as_u64().unwrap_or_default() >= 1,
        "{totals}"
    );
    let today = day(&answer, &today());
    assert_eq!(today["test_requests"], 3);
}

#[tokio::test]
async fn a_test_key_sees_the_usage_of_test_keys_only() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = create_key(&store, &org.admin_key, json!({"environment": "test"})).await;
    call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    usage_meter(&store)
        .flush(SystemTime::now())
        .await
        .expect("flush");
    let answer = usage(&store, &test_key, "").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.data()["totals"]["live_requests"], 0);
    let live_seen = answer.body.to_string().contains("\"environment\":\"live\"");
    assert!(!live_seen, "{}", answer.body);
}

#[tokio::test]
async fn the_default_range_is_the_current_utc_month_with_every_day_listed() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = usage(&store, &org.admin_key, "").await;
    let data = answer.data();
    let month = &today()[..7];
    assert_eq!(data["from"], format!("{month}-01"));
    assert!(data["to"].as_str().unwrap_or_default().starts_with(month));
    let days = data["days"].as_array().map(Vec::len).unwrap_or_default();
    assert!((28..=31).contains(&days), "{days}");
}

#[tokio::test]
async fn bad_reversed_or_too_long_ranges_are_a_400_naming_the_parameter() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for (query, param) in [
        ("?from=2026-02-30", "from"),
        ("?from=yesterday", "from"),
        ("?from=2026-11-01&to=2026-11", "to"),
        ("?from=2026-11-10&to=2026-11-01", "to"),
        ("?from=2026-01-01&to=2026-12-31", "to"),
    ] {
        let answer = usage(&store, &org.admin_key, query).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.param(), Some(param), "{query}");
    }
    let ok = usage(&store, &org.admin_key, "?from=2026-09-01&to=2026-11-30").await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.data()["days"].as_array().map(Vec::len), Some(91));
}

fn days_ago(days: u64) -> String {
    auth::timestamp(SystemTime::now() - Duration::from_secs(days * 86_400))[..10].to_owned()
}

#[tokio::test]
async fn from_alone_long_ago_covers_92_days_from_it() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let from = days_ago(200);
    let answer = usage(&store, &org.admin_key, &format!("?from={from}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.data()["from"], from);
    assert_eq!(answer.data()["to"], days_ago(200 - 91));
    assert_eq!(answer.data()["days"].as_array().map(Vec::len), Some(92));
    let recent = usage(&store, &org.admin_key, &format!("?from={}", days_ago(10))).await;
    assert_eq!(recent.status, StatusCode::OK, "{}", recent.body);
    assert_eq!(
        recent.data()["to"],
        today(),
        "up to today when that comes first"
    );
}

#[tokio::test]
async fn to_alone_before_this_month_starts_on_the_first_of_its_month() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    // A day in the month before last: never this month, whatever today is.
    let to = days_ago(40 + today()[8..].parse::<u64>().unwrap_or(1));
    let answer = usage(&store, &org.admin_key, &format!("?to={to}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.data()["from"], format!("{}-01", &to[..7]));
    assert_eq!(answer.data()["to"], to);
}

#[tokio::test]
async fn an_error_names_only_the_parameter_that_was_sent() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for (query, param) in [
        (format!("?from={}", days_ago(400)), None),
        (format!("?to={}", days_ago(400)), None),
        ("?to=2026-02-30".to_owned(), Some("to")),
        ("?from=2026-02-30".to_owned(), Some("from")),
    ] {
        let answer = usage(&store, &org.admin_key, &query).await;
        match param {
            None => assert_eq!(answer.status, StatusCode::OK, "{query}: {}", answer.body),
            Some(param) => {
                assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
                assert_eq!(answer.param(), Some(param), "{query}");
            }
        }
    }
}

#[tokio::test]
async fn usage_items_are_kept_apart_from_the_key_item_and_expire_after_the_retention() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    usage_meter(&store)
        .flush(SystemTime::now())
        .await
        .expect("flush");
    let items = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .expect("scan");
    let key_item = items
        .items()
        .iter()
        .find(|item| {
            item.get("sk")
                .and_then(|s| s.as_s().ok())
                .is_some_and(|s| s.starts_with("KEY#"))
        })
        .expect("the key item");
    let mut names: Vec<&str> = key_item.keys().map(String::as_str).collect();
    names.sort_unstable();
    assert!(
        !names.iter().any(|name| name.contains("request")),
        "{names:?}"
    );
    let usage_item = items
        .items()
        .iter()
        .find(|item| {
            item.get("sk")
                .and_then(|s| s.as_s().ok())
                .is_some_and(|s| s.starts_with("USAGE#"))
        })
        .expect("a usage item");
    let expiry: u64 = usage_item
        .get("expires_at_epoch")
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
        .expect("a TTL");
    let retained = Duration::from_secs(expiry).saturating_sub(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default(),
    );
    assert!(
        retained
            .as_secs()
            .abs_diff(store::USAGE_RETENTION.as_secs())
            < 60
    );
}

#[tokio::test]
async fn a_key_without_read_cannot_see_usage() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (writer, _) = create_key(&store, &org.admin_key, json!({"scopes": ["write"]})).await;
    let answer = usage(&store, &writer, "").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
}
