//! DynamoDB down, slow or throttling: every route answers 503 within the configured timeout, writes
//! nothing half-way, and serves again as soon as the store is back, all in one run.

use std::time::{Duration, Instant};

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{
    call, count_items, create_key, fresh_store, fresh_store_with, sign_up, unique_email, Answer,
    Fault, FaultyProxy,
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
    let items_before = count_items(&direct).await;

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
        count_items(&direct).await,
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
    let key = "mem_live_00000000000000000000000000000000000as4ep";
    for (route, answer, took) in every_route(&store, key, "key_abc").await {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE, "{route}");
        assert!(took < fault_deadline(), "{route} took {took:?}");
    }
}

/// A proxy whose next write transaction is committed by DynamoDB and its answer lost, and a store that
/// reaches DynamoDB through it with production's client limits (set-up and checks go direct).
async fn losing_the_next_transaction_answer() -> (Store, Store, FaultyProxy) {
    let direct = fresh_store().await;
    let proxy = FaultyProxy::start().await;
    let through_proxy = Store::new(
        build_client(&as_configured(proxy.endpoint.clone())).await,
        direct.table(),
    );
    (direct, through_proxy, proxy)
}

/// The SDK fills in one `ClientRequestToken` per operation, so its retry of an attempt whose answer was lost
/// is the same transaction to DynamoDB: the retry gets the first attempt's success, not a refused condition.
#[tokio::test]
async fn a_signup_whose_commit_answer_is_lost_is_retried_by_the_sdk_into_one_organisation() {
    let (direct, through_proxy, proxy) = losing_the_next_transaction_answer().await;
    proxy.set(Fault::LoseNextTransactionAnswer);
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": "My Company", "email": unique_email()}))
        .send(&through_proxy)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(proxy.fault(), Fault::None, "an answer was lost");
    // Exactly one organisation: its item, its email reservation, its first key and its signup event.
    assert_eq!(count_items(&direct).await, 4);
    let key = answer.data()["api_key"]["key"].as_str().expect("key");
    let works = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(&direct)
        .await;
    assert_eq!(works.status, StatusCode::OK);
}

#[tokio::test]
async fn a_key_creation_whose_commit_answer_is_lost_is_retried_by_the_sdk_into_one_key() {
    let (direct, through_proxy, proxy) = losing_the_next_transaction_answer().await;
    let org = sign_up(&direct).await;
    proxy.set(Fault::LoseNextTransactionAnswer);
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"name": "CI/CD Key"}))
        .send(&through_proxy)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(proxy.fault(), Fault::None, "an answer was lost");
    let keys = direct.list_keys(&org.org_id).await.expect("list");
    assert_eq!(keys.len(), 2, "exactly one key created");
    let created = answer.data()["id"].as_str().expect("id");
    assert!(keys.iter().any(|k| k.key_id == created && k.is_active));
}

/// What a person sees when DynamoDB commits the signup but no answer gets back in time (the issue's
/// `kill -STOP`): a 503 whose message says what to do, and their retry with the same Idempotency-Key gets
/// the account and key the first request made. Still one organisation.
#[tokio::test]
async fn a_signup_that_timed_out_after_committing_is_recovered_by_retrying_with_its_idempotency_key(
) {
    let (direct, through_proxy, proxy) = losing_the_next_transaction_answer().await;
    let body = json!({"name": "My Company", "email": unique_email()});
    let idempotency_key = "0b9f2e7c-3d41-4a6e-8f5b-9c2d1e0a7b36";
    proxy.set(Fault::LoseEveryTransactionAnswer);
    let first = call(Method::POST, "/v1/signup")
        .header("idempotency-key", idempotency_key)
        .json(body.clone())
        .send(&through_proxy)
        .await;
    assert_eq!(
        first.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        first.body
    );
    let message = first.body["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("Idempotency-Key"), "{message}");
    assert_eq!(count_items(&direct).await, 5, "it committed");

    proxy.set(Fault::None);
    let retry = call(Method::POST, "/v1/signup")
        .header("idempotency-key", idempotency_key)
        .json(body.clone())
        .send(&through_proxy)
        .await;
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.body);
    assert_eq!(count_items(&direct).await, 5, "one organisation");
    let key = retry.data()["api_key"]["key"].as_str().expect("key");
    let works = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(&direct)
        .await;
    assert_eq!(works.status, StatusCode::OK);
    // Without the header, the same person is told the email is taken: docs/api.md says to send one.
    let without = call(Method::POST, "/v1/signup")
        .json(body)
        .send(&direct)
        .await;
    assert_eq!(without.code(), "email_already_registered");
}

#[tokio::test]
async fn a_key_creation_that_timed_out_after_committing_is_recovered_by_retrying_with_its_idempotency_key(
) {
    let (direct, through_proxy, proxy) = losing_the_next_transaction_answer().await;
    let org = sign_up(&direct).await;
    let idempotency_key = "5e3a9d1b-7c2f-4b8e-a6d0-1f4c7b9e2a53";
    proxy.set(Fault::LoseEveryTransactionAnswer);
    let first = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .header("idempotency-key", idempotency_key)
        .send(&through_proxy)
        .await;
    assert_eq!(
        first.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        first.body
    );
    proxy.set(Fault::None);
    let retry = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .header("idempotency-key", idempotency_key)
        .send(&through_proxy)
        .await;
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.body);
    assert_eq!(direct.list_keys(&org.org_id).await.expect("list").len(), 2);
    let key = retry.data()["key"].as_str().expect("key");
    let works = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(&direct)
        .await;
    assert_eq!(works.status, StatusCode::OK);
}

/// Usage is counted exactly once: every usage write commits and its answer is lost, every attempt times
/// out, the meter writes again at each request, and still the day's count is the requests made, no more.
#[tokio::test]
async fn usage_whose_every_write_answer_is_lost_is_still_counted_exactly_once() {
    let (direct, through_proxy, proxy) = losing_the_next_transaction_answer().await;
    let org = sign_up(&direct).await;
    let meter = auth::UsageMeter::new(through_proxy);
    proxy.set(Fault::LoseEveryWriteAnswer);
    let start = std::time::SystemTime::now();
    let requests = 5;
    for n in 0..requests {
        // A minute apart: each request finds the key due and writes (and loses the answer) again.
        let at = start + store::USAGE_WRITE_INTERVAL * n;
        let wrote = meter
            .record_use(&org.org_id, &org.admin_key_id, auth::Environment::Live, at)
            .await;
        assert!(wrote.is_err(), "the answer was lost: {wrote:?}");
    }
    proxy.set(Fault::None);
    meter
        .flush(start + store::USAGE_WRITE_INTERVAL * requests)
        .await
        .expect("written once DynamoDB answers");
    let day = auth::timestamp(start)[..10].to_owned();
    let usage = direct
        .usage(&org.org_id, &day, &day)
        .await
        .expect("read usage");
    let counted: u64 = usage.iter().map(|record| record.requests).sum();
    assert_eq!(counted, u64::from(requests), "{usage:?}");
}
