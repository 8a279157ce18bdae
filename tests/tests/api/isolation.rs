//! Tenant isolation: one organisation's keys can neither see, revoke nor learn of another's; a key that is
//! revoked or expired gets nothing, on any route.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, create_key, fresh_store, insert_key, sign_up, Answer};
use store::Store;

/// Every authenticated route, called with `key`.
async fn every_authenticated_route(
    store: &Store,
    key: &str,
    some_key_id: &str,
) -> Vec<(String, Answer)> {
    vec![
        (
            "GET /v1/account".to_owned(),
            call(Method::GET, "/v1/account")
                .bearer(key)
                .send(store)
                .await,
        ),
        (
            "GET /v1/account/api-keys".to_owned(),
            call(Method::GET, "/v1/account/api-keys")
                .bearer(key)
                .send(store)
                .await,
        ),
        (
            "POST /v1/account/api-keys".to_owned(),
            call(Method::POST, "/v1/account/api-keys")
                .bearer(key)
                .json(json!({"environment": "test"}))
                .send(store)
                .await,
        ),
        (
            "DELETE /v1/account/api-keys/{id}".to_owned(),
            call(
                Method::DELETE,
                &format!("/v1/account/api-keys/{some_key_id}"),
            )
            .bearer(key)
            .send(store)
            .await,
        ),
    ]
}

#[tokio::test]
async fn another_organisations_key_ids_are_indistinguishable_from_missing_ones() {
    let store = fresh_store().await;
    let a = sign_up(&store).await;
    let b = sign_up(&store).await;
    let (_, b_read_id) = create_key(&store, &b.admin_key, json!({"scopes": ["read"]})).await;
    let missing = call(
        Method::DELETE,
        "/v1/account/api-keys/key_00000000000000000000",
    )
    .bearer(&a.admin_key)
    .send(&store)
    .await;
    for guess in [
        b.admin_key_id.clone(),
        b_read_id.clone(),
        b_read_id.to_uppercase(),
        format!("{}%2F{}", b.org_id, b_read_id),
        format!("..%2F..%2F{}%2Fapi-keys%2F{}", b.org_id, b_read_id),
        b.org_id.clone(),
    ] {
        let answer = call(Method::DELETE, &format!("/v1/account/api-keys/{guess}"))
            .bearer(&a.admin_key)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{guess}");
        assert_eq!(answer.body, missing.body, "{guess}");
    }
    // B's keys are untouched.
    let b_keys = store.list_keys(&b.org_id).await.expect("list");
    assert!(b_keys.iter().all(|k| k.is_active));
}

#[tokio::test]
async fn an_admin_key_reads_only_its_own_account() {
    let store = fresh_store().await;
    let a = sign_up(&store).await;
    let b = sign_up(&store).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&a.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.data()["org_id"], a.org_id.as_str());
    assert!(!answer.body.to_string().contains(&b.org_id));
    let keys = call(Method::GET, "/v1/account/api-keys")
        .bearer(&a.admin_key)
        .send(&store)
        .await;
    assert!(!keys.body.to_string().contains(&b.admin_key_id));
}

#[tokio::test]
async fn a_revoked_key_gets_nothing_on_any_route() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (revoked, revoked_id) =
        create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    let gone = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{revoked_id}"),
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(gone.status, StatusCode::OK);
    for (route, answer) in every_authenticated_route(&store, &revoked, &org.admin_key_id).await {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{route}");
        assert_eq!(answer.code(), "revoked_api_key", "{route}");
    }
}

#[tokio::test]
async fn an_expired_key_gets_nothing_on_any_route() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let expired = insert_key(
        &store,
        &org.org_id,
        &["admin"],
        Some("2020-01-01T00:00:00Z"),
    )
    .await;
    for (route, answer) in every_authenticated_route(&store, &expired, &org.admin_key_id).await {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{route}");
        assert_eq!(answer.code(), "expired_api_key", "{route}");
    }
    assert_eq!(store.list_keys(&org.org_id).await.expect("list").len(), 2);
}

#[tokio::test]
async fn a_key_of_an_inactive_organisation_gets_nothing_on_any_route() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    accounts::operator::set_organization_active(
        &store,
        &org.org_id,
        false,
        std::time::SystemTime::now(),
    )
    .await
    .expect("deactivate");
    for (route, answer) in
        every_authenticated_route(&store, &org.admin_key, &org.admin_key_id).await
    {
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{route}");
        assert_eq!(answer.code(), "organization_inactive", "{route}");
    }
}

#[tokio::test]
async fn a_read_only_key_reaches_no_admin_route() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (read, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    for (route, answer) in every_authenticated_route(&store, &read, &org.admin_key_id).await {
        if route == "GET /v1/account" {
            assert_eq!(answer.status, StatusCode::OK);
        } else {
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{route}");
            assert_eq!(answer.code(), "insufficient_scope", "{route}");
        }
    }
    assert!(
        store
            .get_key(&org.org_id, &org.admin_key_id)
            .await
            .expect("read")
            .expect("key")
            .is_active
    );
}
