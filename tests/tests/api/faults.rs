//! DynamoDB down, slow or throttling: every route answers 503 within the configured timeout, writes
//! nothing half-way, and serves again as soon as the store is back, all in one run.

use std::time::{Duration, Instant};

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{
    call, create_key, fresh_store, fresh_store_with, sign_up, unique_email, Answer, Fault,
    FaultyProxy,
};
use store::{build_client, ClientSettings, Store};

/// The client the functions run with in production (`ClientSettings::default()`: 1 s per attempt, 2.5 s per
/// operation, 3 attempts), pointed at the proxy: a fault must become a 503 within those limits.
fn as_configured(endpoint: String) -> ClientSettings {
    ClientSettings::local(endpoint)
}

/// The longest a route may take to answer during a fault: the operation timeout, plus room for the handler
/// and a loaded test machine.
fn fault_deadline() -> Duration {
    ClientSettings::default().operation_timeout + Duration::from_millis(1_500)
}

/// Each route once, with how long it took to answer.
async fn every_route(
    store: &Store,
    key: &str,
    key_id: &str,
) -> Vec<(&'static str, Answer, Duration)> {
    let requests = [
        (
            "signup",
            call(Method::POST, "/v1/signup")
                .json(json!({"name": "My Company", "email": unique_email()})),
        ),
        ("account", call(Method::GET, "/v1/account").bearer(key)),
        (
            "list",
            call(Method::GET, "/v1/account/api-keys").bearer(key),
        ),
        (
            "create",
            call(Method::POST, "/v1/account/api-keys").bearer(key),
        ),
        (
            "revoke",
            call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}")).bearer(key),
        ),
    ];
    let mut answers = Vec::with_capacity(requests.len());
    for (route, request) in requests {
        let started = Instant::now();
        let answer = request.send(store).await;
        answers.push((route, answer, started.elapsed()));
    }
    answers
}

async fn assert_fault_is_a_prompt_503_then_recovers(fault: Fault) {
    // Set-up and checks go straight to DynamoDB Local; only the service under test goes through the proxy.
    let direct = fresh_store().await;
    let proxy = FaultyProxy::start().await;
    let through_proxy = Store::new(
        build_client(&as_configured(proxy.endpoint.clone())).await,
        direct.table(),
    );
    let org = sign_up(&direct).await;
    let (_, spare_id) = create_key(&direct, &org.admin_key, json!({"name": "spare"})).await;
    let items_before = direct.count_items().await.expect("count");

    proxy.set(fault);
    for (route, answer, took) in every_route(&through_proxy, &org.admin_key, &spare_id).await {
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{fault:?} {route}: {:?}",
            answer.body
        );
        assert_eq!(answer.code(), "service_unavailable", "{fault:?} {route}");
        assert!(took < fault_deadline(), "{fault:?} {route} took {took:?}");
    }

    proxy.set(Fault::None);
    assert_eq!(
        direct.count_items().await.expect("count"),
        items_before,
        "{fault:?}: nothing half-written"
    );
    let spare = direct
        .get_key(&org.org_id, &spare_id)
        .await
        .expect("read")
        .expect("spare");
    assert!(spare.is_active, "{fault:?}: the revocation did not happen");
    for (route, answer, _) in every_route(&through_proxy, &org.admin_key, &spare_id).await {
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
    let store = fresh_store_with(as_configured(endpoint)).await;
    let key = "mem_live_0000000000000000000000000000000000000000";
    for (route, answer, took) in every_route(&store, key, "key_abc").await {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{route}");
        assert!(took < fault_deadline(), "{route} took {took:?}");
    }
}
