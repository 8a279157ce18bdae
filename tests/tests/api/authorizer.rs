//! The authorizer of the Memory API's other routes, driven by the API Gateway events in `events/`.

use std::time::SystemTime;

use authorizer::{authorize, Decision};
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::http::Method;
use serde_json::json;
use service_tests::{
    authorizer_service, call, create_key, fresh_store, fresh_store_with, insert_key, sign_up,
};
use store::{ClientSettings, Store};

/// The sample event `name` with `key` in place of `${API_KEY}`.
fn event(name: &str, key: &str) -> ApiGatewayV2CustomAuthorizerV2Request {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text.replace("${API_KEY}", key))
        .unwrap_or_else(|err| panic!("{name} is not an authorizer event: {err}"))
}

async fn decide(store: &Store, name: &str, key: &str) -> Decision {
    authorize(
        &authorizer_service(store),
        &event(name, key),
        SystemTime::now(),
    )
    .await
    .expect("the authorizer decides")
}

#[tokio::test]
async fn a_read_key_is_allowed_to_get_memories_with_a_context_the_backend_can_trust() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, reader_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let decision = decide(&store, "authorizer-allowed.json", &reader).await;
    assert!(decision.is_authorized);
    let context = serde_json::to_value(&decision).expect("json")["context"].clone();
    assert_eq!(
        context,
        json!({"org_id": org.org_id, "key_id": reader_id, "environment": "live", "scopes": "read"})
    );
    let text = serde_json::to_string(&decision).expect("json");
    assert!(!text.contains(&reader), "the key never reaches the backend");
}

#[tokio::test]
async fn a_read_only_key_is_refused_a_post() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let decision = decide(&store, "authorizer-wrong-scope.json", &reader).await;
    assert_eq!(
        decision,
        Decision {
            is_authorized: false,
            context: None
        }
    );
    let (writer, _) = create_key(&store, &org.admin_key, json!({"scopes": ["write"]})).await;
    assert!(
        decide(&store, "authorizer-wrong-scope.json", &writer)
            .await
            .is_authorized
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, key_id) = create_key(&store, &org.admin_key, json!({})).await;
    call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert!(
        !decide(&store, "authorizer-revoked.json", &key)
            .await
            .is_authorized
    );
}

#[tokio::test]
async fn an_expired_unknown_malformed_or_missing_key_is_refused() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let expired = insert_key(&store, &org.org_id, &["read"], Some("2021-01-01T00:00:00Z")).await;
    let unknown = auth::ApiKeySecret::generate(auth::Environment::Live).expect("random source");
    for key in [expired.as_str(), unknown.expose(), "mem_live_typo"] {
        assert!(
            !decide(&store, "authorizer-allowed.json", key)
                .await
                .is_authorized,
            "{key}"
        );
    }
    assert!(
        !decide(&store, "authorizer-no-key.json", "")
            .await
            .is_authorized
    );
}

#[tokio::test]
async fn a_route_listed_as_admin_refuses_a_read_key_whatever_the_method() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let mut request = event("authorizer-allowed.json", &reader);
    request.route_key = Some("ANY /v1/account/api-keys".to_owned());
    let decision = authorize(&authorizer_service(&store), &request, SystemTime::now())
        .await
        .expect("decides");
    assert!(!decision.is_authorized);
    let admin = authorize(
        &authorizer_service(&store),
        &event("authorizer-allowed.json", &org.admin_key),
        SystemTime::now(),
    )
    .await
    .expect("decides");
    assert!(admin.is_authorized);
}

#[tokio::test]
async fn a_test_key_is_allowed_with_the_test_environment_in_its_context() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = create_key(&store, &org.admin_key, json!({"environment": "test"})).await;
    let decision = decide(&store, "authorizer-allowed.json", &test_key).await;
    assert_eq!(
        decision.context.map(|c| c.environment),
        Some("test".to_owned())
    );
}

/// DynamoDB unreachable decides nothing: the invocation fails (API Gateway answers 500, which a client
/// retries) instead of refusing a key that may be good.
#[tokio::test]
async fn dynamodb_unreachable_is_undecided_not_a_refusal() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    drop(listener);
    let store = fresh_store_with(ClientSettings::local(endpoint)).await;
    let key = auth::ApiKeySecret::generate(auth::Environment::Live).expect("random source");
    let undecided = authorize(
        &authorizer_service(&store),
        &event("authorizer-allowed.json", key.expose()),
        SystemTime::now(),
    )
    .await
    .expect_err("undecided");
    assert_eq!(undecided.code, "service_unavailable");
}

/// A key item of the wrong shape is undecided too, under the code our own routes answer it with.
#[tokio::test]
async fn a_corrupt_key_item_is_undecided_as_an_internal_error() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let s = |v: &str| AttributeValue::S(v.to_owned());
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", s(&format!("ORG#{}", org.org_id)))
        .key("sk", s(&format!("KEY#{}", org.admin_key_id)))
        .update_expression("REMOVE scopes")
        .send()
        .await
        .expect("corrupt the item");
    let undecided = authorize(
        &authorizer_service(&store),
        &event("authorizer-allowed.json", &org.admin_key),
        SystemTime::now(),
    )
    .await
    .expect_err("undecided");
    assert_eq!(undecided.code, "internal_error");
}

/// `events/authorizer-allowed.json` for `method` on `/v1/memories/{id}` with `key`.
fn memories_event(method: &str, key: &str) -> ApiGatewayV2CustomAuthorizerV2Request {
    let mut request = event("authorizer-allowed.json", key);
    request.route_key = Some("ANY /v1/memories/{proxy+}".to_owned());
    request.request_context.http.method = Method::from_bytes(method.as_bytes()).expect("method");
    request.request_context.http.path = Some("/v1/memories/mem_123".to_owned());
    request
}

/// The authorizer's decision on `method /v1/memories/{id}` with `key`.
async fn decide_memories(service: &authorizer::Service, method: &str, key: &str) -> Decision {
    authorize(service, &memories_event(method, key), SystemTime::now())
        .await
        .expect("the authorizer decides")
}

#[tokio::test]
async fn a_revoked_key_cannot_delete_memories_while_the_index_still_shows_it_active() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (deleter, deleter_id) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["read", "write", "delete"]}),
    )
    .await;
    let service = authorizer_service(&store);
    let delete = decide_memories(&service, "DELETE", &deleter).await;
    assert!(delete.is_authorized, "allowed before the revocation");
    service_tests::revoke_behind_a_lagging_index(&store, &org.org_id, &deleter_id).await;
    let delete = decide_memories(&service, "DELETE", &deleter).await;
    assert!(
        !delete.is_authorized,
        "DELETE is confirmed on the key's base item"
    );
    // The stated window: read and write ride the index's lag (docs/api.md).
    let read = decide_memories(&service, "GET", &deleter).await;
    assert!(read.is_authorized);
}

/// The authorizer on `store` with the auth cache on (`ttl`), its DynamoDB operations counted.
fn cached_service(store: &Store, ttl: std::time::Duration) -> authorizer::Service {
    authorizer::Service {
        gate: auth::Gate {
            cache: auth::AuthCache::new(ttl),
            ..service_tests::gate_of(store)
        },
    }
}

#[tokio::test]
async fn a_busy_key_reads_the_index_at_most_once_a_second_plus_one_with_the_cache_on() {
    let (store, log) = service_tests::counting_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let service = cached_service(&store, std::time::Duration::from_secs(1));
    log.take();
    let started = std::time::Instant::now();
    for _ in 0..300 {
        let decision = decide_memories(&service, "GET", &reader).await;
        assert!(decision.is_authorized);
    }
    let elapsed_whole_seconds = started.elapsed().as_secs() as usize;
    let reads = log.take().iter().filter(|op| *op == "Query").count();
    assert!(
        reads <= 1 + elapsed_whole_seconds,
        "{reads} index reads in {elapsed_whole_seconds} whole seconds"
    );
}

#[tokio::test]
async fn the_cache_keeps_no_refusal_and_never_answers_a_request_confirmed_on_the_base_item() {
    let (store, log) = service_tests::counting_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let service = cached_service(&store, std::time::Duration::from_secs(60));
    log.take();
    // Refused for its scope (a write): not kept, so each try reads the index again.
    for _ in 0..3 {
        let refused = decide_memories(&service, "POST", &reader).await;
        assert!(!refused.is_authorized);
    }
    assert_eq!(log.take().iter().filter(|op| *op == "Query").count(), 3);
    // Allowed for a read: kept; the scope is still checked on the kept copy.
    decide_memories(&service, "GET", &reader).await;
    let refused = decide_memories(&service, "POST", &reader).await;
    assert!(!refused.is_authorized, "the scope is checked on a kept key");
    assert_eq!(service.gate.cache.len(), 1);
}

#[tokio::test]
async fn a_refusal_on_the_base_item_evicts_the_kept_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (deleter, deleter_id) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["read", "delete"]}),
    )
    .await;
    let service = cached_service(&store, std::time::Duration::from_secs(60));
    let read = decide_memories(&service, "GET", &deleter).await;
    assert!(read.is_authorized);
    assert_eq!(service.gate.cache.len(), 1, "kept");
    service_tests::revoke_behind_a_lagging_index(&store, &org.org_id, &deleter_id).await;
    let delete = decide_memories(&service, "DELETE", &deleter).await;
    assert!(
        !delete.is_authorized,
        "confirmed on the base item, never from the cache"
    );
    assert!(
        service.gate.cache.is_empty(),
        "the refusal on the base item evicted it"
    );
}
