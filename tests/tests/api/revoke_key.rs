use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, create_key, fresh_store, insert_key, sign_up};

#[tokio::test]
async fn revoking_a_key_keeps_its_record_and_returns_its_metadata() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, key_id) = create_key(&store, &org.admin_key, json!({"name": "Doomed"})).await;
    let answer = call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.data()["id"], key_id.as_str());
    assert_eq!(answer.data()["name"], "Doomed");
    assert_eq!(answer.data()["is_active"], false);
    assert!(answer.data()["revoked_at"].is_string());
    assert!(answer.data().get("key").is_none());
    let record = store
        .get_key(&org.org_id, &key_id)
        .await
        .expect("read")
        .expect("kept");
    assert!(!record.is_active);
    // The revoked key no longer opens anything.
    let denied = call(Method::GET, "/v1/account")
        .bearer(&key)
        .send(&store)
        .await;
    assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
    assert_eq!(denied.code(), "revoked_api_key");
}

#[tokio::test]
async fn revoking_a_revoked_key_returns_it_unchanged() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({})).await;
    let path = format!("/v1/account/api-keys/{key_id}");
    let first = call(Method::DELETE, &path)
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let second = call(Method::DELETE, &path)
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(second.status, StatusCode::OK);
    assert_eq!(second.data()["revoked_at"], first.data()["revoked_at"]);
}

#[tokio::test]
async fn revoking_a_key_that_does_not_exist_is_a_404() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::DELETE, "/v1/account/api-keys/key_abc123")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "api_key_not_found");
}

#[tokio::test]
async fn revoking_another_organisations_key_is_the_same_404_and_changes_nothing() {
    let store = fresh_store().await;
    let a = sign_up(&store).await;
    let b = sign_up(&store).await;
    let (b_key, b_key_id) = create_key(&store, &b.admin_key, json!({})).await;
    let foreign = call(Method::DELETE, &format!("/v1/account/api-keys/{b_key_id}"))
        .bearer(&a.admin_key)
        .send(&store)
        .await;
    let missing = call(
        Method::DELETE,
        "/v1/account/api-keys/key_doesnotexist0000000",
    )
    .bearer(&a.admin_key)
    .send(&store)
    .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);
    assert_eq!(foreign.body, missing.body);
    let still = call(Method::GET, "/v1/account")
        .bearer(&b_key)
        .send(&store)
        .await;
    assert_eq!(still.status, StatusCode::OK);
}

#[tokio::test]
async fn key_ids_that_try_path_tricks_are_404s() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for id in [
        "..%2F..%2Fv1%2Faccount",
        "key_a%2Fb",
        "%2e%2e",
        "key_abc%00",
        "org_abc",
        "key_%3Cscript%3E",
        "key_abc%20",
    ] {
        let answer = call(Method::DELETE, &format!("/v1/account/api-keys/{id}"))
            .bearer(&org.admin_key)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(answer.code(), "api_key_not_found", "{id}");
    }
}

#[tokio::test]
async fn a_percent_encoded_key_id_finds_the_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({})).await;
    let encoded = key_id.replacen('_', "%5F", 1);
    let answer = call(Method::DELETE, &format!("/v1/account/api-keys/{encoded}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn revoking_the_last_active_admin_key_is_a_409() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "last_admin_key");
    let still = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(still.status, StatusCode::OK);
}

#[tokio::test]
async fn an_admin_key_can_be_revoked_when_another_admin_key_is_active() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (second_admin, _) = create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    let answer = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&second_admin)
    .send(&store)
    .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn an_expired_admin_key_does_not_count_as_another_admin() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    insert_key(
        &store,
        &org.org_id,
        &["admin"],
        Some("2020-01-01T00:00:00Z"),
    )
    .await;
    let answer = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "last_admin_key");
}

#[tokio::test]
async fn a_non_admin_key_cannot_revoke_keys() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (writer, writer_id) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["read", "write", "delete"]}),
    )
    .await;
    let answer = call(Method::DELETE, &format!("/v1/account/api-keys/{writer_id}"))
        .bearer(&writer)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), "insufficient_scope");
}

#[tokio::test]
async fn get_on_a_key_is_a_405_allowing_patch_and_delete() {
    let store = fresh_store().await;
    let answer = call(Method::GET, "/v1/account/api-keys/key_abc123")
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "PATCH, DELETE, OPTIONS");
}

async fn revoke(store: &store::Store, with_key: &str, key_id: &str) -> service_tests::Answer {
    call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(with_key)
        .send(store)
        .await
}

#[tokio::test]
async fn rolling_the_signup_key_with_an_overlap_then_revoking_its_successor_with_the_old_key_is_409(
) {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let rolled = call(
        Method::POST,
        &format!("/v1/account/api-keys/{}/roll", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .json(json!({"expires_in_hours": 1}))
    .send(&store)
    .await;
    assert_eq!(rolled.status, StatusCode::CREATED);
    let successor_id = rolled.data()["id"].as_str().expect("id").to_owned();
    // The old key expires in an hour: the successor is the organisation's one staying admin key.
    let answer = revoke(&store, &org.admin_key, &successor_id).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(answer.code(), "last_admin_key");
}

#[tokio::test]
async fn an_admin_key_with_an_expiry_cannot_revoke_the_last_staying_admin_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (temporary, _) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["admin"], "expires_in_days": 1}),
    )
    .await;
    let answer = revoke(&store, &temporary, &org.admin_key_id).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(answer.code(), "last_admin_key");
}

#[tokio::test]
async fn narrowing_the_last_staying_admin_key_is_409_last_admin_key_whichever_key_asks() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (temporary, _) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["admin"], "expires_in_days": 1}),
    )
    .await;
    for asking in [&org.admin_key, &temporary] {
        let answer = call(
            Method::PATCH,
            &format!("/v1/account/api-keys/{}", org.admin_key_id),
        )
        .bearer(asking)
        .json(json!({"scopes": ["read", "write", "delete"]}))
        .send(&store)
        .await;
        assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
        assert_eq!(answer.code(), "last_admin_key");
    }
}

#[tokio::test]
async fn a_roll_of_the_staying_admin_key_gives_a_staying_successor_and_the_old_key_may_go() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let rolled = call(
        Method::POST,
        &format!("/v1/account/api-keys/{}/roll", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .json(json!({"expires_in_hours": 24}))
    .send(&store)
    .await;
    assert_eq!(rolled.status, StatusCode::CREATED);
    assert_eq!(rolled.data()["expires_at"], serde_json::Value::Null);
    let successor = rolled.data()["key"].as_str().expect("key").to_owned();
    let successor_id = rolled.data()["id"].as_str().expect("id").to_owned();
    let old_gone = revoke(&store, &successor, &org.admin_key_id).await;
    assert_eq!(old_gone.status, StatusCode::OK, "{}", old_gone.body);
    let last = revoke(&store, &successor, &successor_id).await;
    assert_eq!(last.code(), "last_admin_key");
}

#[tokio::test]
async fn an_admin_key_with_an_expiry_may_be_revoked_the_guard_refuses_nothing_else() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, temporary_id) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["admin"], "expires_in_days": 1}),
    )
    .await;
    let answer = revoke(&store, &org.admin_key, &temporary_id).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

#[tokio::test]
async fn rolling_the_last_staying_admin_key_at_once_needs_an_idempotency_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let roll = || {
        call(
            Method::POST,
            &format!("/v1/account/api-keys/{}/roll", org.admin_key_id),
        )
        .bearer(&org.admin_key)
        .json(json!({"expires_in_hours": 0}))
    };
    // A lost answer would lose the successor's key with the only admin key stopped: refused.
    let blind = roll().send(&store).await;
    assert_eq!(blind.status, StatusCode::CONFLICT, "{}", blind.body);
    assert_eq!(blind.code(), "last_admin_key");
    // Retryable into the same successor: allowed.
    let safe = roll()
        .header("idempotency-key", "3f9e8d7c-6b5a-4493-b2c1-d0e9f8a7b6c5")
        .send(&store)
        .await;
    assert_eq!(safe.status, StatusCode::CREATED, "{}", safe.body);
}
