//! What each request costs in DynamoDB operations, counted on the client: authentication is one read.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, counting_store, create_key, sign_up};

#[tokio::test]
async fn authenticating_a_request_costs_exactly_one_index_read() {
    let (store, log) = counting_store().await;
    let org = sign_up(&store).await;
    assert_eq!(log.take(), ["TransactWriteItems"]);
    // First use writes the key's usage count and last_used_at (two single updates, written inline by the
    // tests' router; after the response on Lambda); later uses within the minute are counted in memory.
    let first = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(log.take(), ["Query", "UpdateItem", "UpdateItem", "GetItem"]);
    let second = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(log.take(), ["Query", "GetItem"]);
}

#[tokio::test]
async fn a_busy_key_writes_its_usage_and_last_used_at_once_per_minute() {
    let (store, log) = counting_store().await;
    let org = sign_up(&store).await;
    log.take();
    for _ in 0..50 {
        call(Method::GET, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .send(&store)
            .await;
    }
    let writes = log
        .take()
        .iter()
        .filter(|op| op.as_str() == "UpdateItem")
        .count();
    assert_eq!(writes, 2, "the day's count and last_used_at, once");
}

#[tokio::test]
async fn refused_keys_cost_at_most_one_read_and_malformed_ones_none() {
    let (store, log) = counting_store().await;
    call(Method::GET, "/v1/account")
        .bearer("mem_live_short")
        .send(&store)
        .await;
    call(Method::GET, "/v1/account").send(&store).await;
    assert!(log.take().is_empty());
    call(Method::GET, "/v1/account")
        .bearer("mem_live_00000000000000000000000000000000000as4ep")
        .send(&store)
        .await;
    assert_eq!(log.take(), ["Query"]);
}

#[tokio::test]
async fn a_key_with_one_character_changed_is_malformed_and_costs_no_dynamodb_operation() {
    let (store, log) = counting_store().await;
    let org = sign_up(&store).await;
    log.take();
    let mut mistyped: Vec<char> = org.admin_key.chars().collect();
    let position = mistyped.len() / 2;
    mistyped[position] = if mistyped[position] == 'x' { 'y' } else { 'x' };
    let mistyped: String = mistyped.into_iter().collect();
    let answer = call(Method::GET, "/v1/account")
        .bearer(&mistyped)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "malformed_api_key");
    assert!(log.take().is_empty());
}

#[tokio::test]
async fn each_route_costs_what_the_operations_page_says() {
    let (store, log) = counting_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({})).await;
    log.take();
    call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    // Admin routes: the index read, then the caller's key confirmed on its base item (strongly consistent).
    assert_eq!(log.take(), ["Query", "GetItem", "Query"]);
    // Creation: the organisation and its keys counted against the key limit, then one transaction (the key,
    // the caller's key and the organisation's counter checked on their items).
    call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(
        log.take(),
        ["Query", "GetItem", "GetItem", "Query", "TransactWriteItems"]
    );
    // With an Idempotency-Key, one more read: the record of an earlier try.
    call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .header("idempotency-key", "cost-test-0001-0002-0003")
        .send(&store)
        .await;
    assert_eq!(
        log.take(),
        [
            "Query",
            "GetItem",
            "GetItem",
            "GetItem",
            "Query",
            "TransactWriteItems"
        ]
    );
    // Every change writes its event in its own transaction, and the changed key is read back.
    call(Method::PATCH, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .json(json!({"name": "Renamed"}))
        .send(&store)
        .await;
    assert_eq!(
        log.take(),
        [
            "Query",
            "GetItem",
            "GetItem",
            "TransactWriteItems",
            "GetItem"
        ]
    );
    // A roll with an overlap: the key read, the organisation and its keys counted for room under the limit,
    // then one transaction (successor, rolled key, the organisation's creation counter, caller).
    let (_, rolled_id) = create_key(&store, &org.admin_key, json!({})).await;
    log.take();
    call(
        Method::POST,
        &format!("/v1/account/api-keys/{rolled_id}/roll"),
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(
        log.take(),
        [
            "Query",
            "GetItem",
            "GetItem",
            "GetItem",
            "Query",
            "TransactWriteItems"
        ]
    );
    call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(
        log.take(),
        [
            "Query",
            "GetItem",
            "GetItem",
            "TransactWriteItems",
            "GetItem"
        ]
    );
    // The activity log: a page of each of its two ranges (events about live keys and the organisation's
    // own, events about test keys), merged.
    call(Method::GET, "/v1/account/events")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(log.take(), ["Query", "GetItem", "Query", "Query"]);
    call(Method::GET, "/health").send(&store).await;
    assert!(log.take().is_empty());
}

#[tokio::test]
async fn a_test_keys_activity_log_reads_its_own_range_once_however_many_live_events_there_are() {
    let (store, log) = counting_store().await;
    let org = sign_up(&store).await;
    let (test_admin, _) = create_key(
        &store,
        &org.admin_key,
        serde_json::json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    for _ in 0..30 {
        create_key(&store, &org.admin_key, serde_json::json!({})).await;
    }
    log.take();
    let page = call(Method::GET, "/v1/account/events?limit=1")
        .bearer(&test_admin)
        .send(&store)
        .await;
    assert_eq!(page.status, StatusCode::OK, "{:?}", page.body);
    assert_eq!(page.data().as_array().map(Vec::len), Some(1));
    // The index read, the caller's key confirmed, one query of the test range: none of the 31 live events
    // (and, this key's first use, its usage written: two updates).
    let reads: Vec<String> = log
        .take()
        .into_iter()
        .filter(|op| op.as_str() != "UpdateItem")
        .collect();
    assert_eq!(reads, ["Query", "GetItem", "Query"]);
}
