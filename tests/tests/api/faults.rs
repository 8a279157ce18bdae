//! DynamoDB down, slow or throttling: every route answers 503 within the configured timeout, writes
//! nothing half-way, and serves again as soon as the store is back, all in one run.

use std::time::{Duration, Instant};

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{
    call, create_key, fresh_store_with, sign_up, unique_email, Answer, Fault, FaultyProxy,
};
use store::{ClientSettings, Store};

/// The limits the test client runs with: a fault must become a 503 well inside them.
fn impatient(endpoint: String) -> ClientSettings {
    ClientSettings {
        attempt_timeout: Duration::from_millis(300),
        operation_timeout: Duration::from_millis(900),
        max_attempts: 2,
        ..ClientSettings::local(endpoint)
    }
}

async fn every_route(store: &Store, key: &str, key_id: &str) -> Vec<(&'static str, Answer)> {
    vec![
        (
            "signup",
            call(Method::POST, "/v1/signup")
                .json(json!({"name": "My Company", "email": unique_email()}))
                .send(store)
                .await,
        ),
        (
            "account",
            call(Method::GET, "/v1/account")
                .bearer(key)
                .send(store)
                .await,
        ),
        (
            "list",
            call(Method::GET, "/v1/account/api-keys")
                .bearer(key)
                .send(store)
                .await,
        ),
        (
            "create",
            call(Method::POST, "/v1/account/api-keys")
                .bearer(key)
                .send(store)
                .await,
        ),
        (
            "revoke",
            call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
                .bearer(key)
                .send(store)
                .await,
        ),
    ]
}

async fn assert_fault_is_a_prompt_503_then_recovers(fault: Fault) {
    let proxy = FaultyProxy::start().await;
    let store = fresh_store_with(impatient(proxy.endpoint.clone())).await;
    let org = sign_up(&store).await;
    let (_, spare_id) = create_key(&store, &org.admin_key, json!({"name": "spare"})).await;
    let items_before = store.count_items().await.expect("count");

    proxy.set(fault);
    let started = Instant::now();
    let answers = every_route(&store, &org.admin_key, &spare_id).await;
    // Five routes, each stopped by the 0.9 s operation timeout at its first DynamoDB call.
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{fault:?} took {:?}",
        started.elapsed()
    );
    for (route, answer) in answers {
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{fault:?} {route}: {:?}",
            answer.body
        );
        assert_eq!(answer.code(), "service_unavailable", "{fault:?} {route}");
    }

    proxy.set(Fault::None);
    assert_eq!(
        store.count_items().await.expect("count"),
        items_before,
        "{fault:?}: nothing half-written"
    );
    let spare = store
        .get_key(&org.org_id, &spare_id)
        .await
        .expect("read")
        .expect("spare");
    assert!(spare.is_active, "{fault:?}: the revocation did not happen");
    for (route, answer) in every_route(&store, &org.admin_key, &spare_id).await {
        assert!(
            answer.status.is_success(),
            "{fault:?} {route} after recovery: {:?}",
            answer.body
        );
    }
}

#[tokio::test]
async fn dynamodb_stopped_is_a_503_on_every_route_and_recovers() {
    assert_fault_is_a_prompt_503_then_recovers(Fault::Refuse).await;
}

#[tokio::test]
async fn dynamodb_answering_too_slowly_is_a_503_within_the_timeout_and_recovers() {
    assert_fault_is_a_prompt_503_then_recovers(Fault::Stall).await;
}

#[tokio::test]
async fn dynamodb_throttling_is_a_503_and_recovers() {
    assert_fault_is_a_prompt_503_then_recovers(Fault::Throttle).await;
}

#[tokio::test]
async fn dynamodb_never_reachable_is_a_503_on_every_route() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let store = fresh_store_with(impatient(endpoint)).await;
    let key = "mem_live_0000000000000000000000000000000000000000";
    for (route, answer) in every_route(&store, key, "key_abc").await {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{route}");
    }
}
