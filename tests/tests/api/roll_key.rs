//! POST /v1/account/api-keys/{key_id}/roll: a successor shown once, the old key kept for an overlap.

use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{call, create_key, fresh_store, insert_key, sign_up, Answer};
use store::Store;

async fn roll(store: &Store, admin_key: &str, key_id: &str, body: Value) -> Answer {
    call(Method::POST, &format!("/v1/account/api-keys/{key_id}/roll"))
        .bearer(admin_key)
        .json(body)
        .send(store)
        .await
}

async fn listed(store: &Store, admin_key: &str, key_id: &str) -> Value {
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(admin_key)
        .send(store)
        .await;
    answer
        .data()
        .as_array()
        .and_then(|keys| keys.iter().find(|key| key["id"] == key_id).cloned())
        .unwrap_or_default()
}

async fn status_of(store: &Store, key: &str) -> (StatusCode, String) {
    let answer = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(store)
        .await;
    (answer.status, answer.code().to_owned())
}

#[tokio::test]
async fn a_roll_returns_a_successor_with_the_same_name_environment_and_scopes_shown_once() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, old_id) = create_key(
        &store,
        &org.admin_key,
        json!({"name": "Deploy", "scopes": ["read", "delete"]}),
    )
    .await;
    let answer = roll(&store, &org.admin_key, &old_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let successor = answer.data();
    assert_eq!(successor["name"], "Deploy");
    assert_eq!(successor["environment"], "live");
    assert_eq!(successor["scopes"], json!(["read", "delete"]));
    assert_eq!(successor["replaces"], old_id.as_str());
    let new_key = successor["key"].as_str().unwrap_or_default();
    assert!(auth::ApiKeySecret::parse(new_key).is_some(), "{new_key}");
    assert_eq!(status_of(&store, new_key).await.0, StatusCode::OK);
    let new_id = successor["id"].as_str().unwrap_or_default();
    let listed_new = listed(&store, &org.admin_key, new_id).await;
    assert_eq!(listed_new["replaces"], old_id.as_str());
    assert!(listed_new.get("key").is_none());
    assert_eq!(
        listed(&store, &org.admin_key, &old_id).await["replaced_by"],
        new_id
    );
}

#[tokio::test]
async fn the_rolled_key_keeps_working_for_the_default_24_hour_overlap() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (old_key, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    let before = std::time::SystemTime::now();
    let answer = roll(&store, &org.admin_key, &old_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(status_of(&store, &old_key).await.0, StatusCode::OK);
    let old = listed(&store, &org.admin_key, &old_id).await;
    let expires_at = auth::parse_timestamp(old["expires_at"].as_str().unwrap_or_default())
        .expect("the rolled key has an expiry");
    let overlap = expires_at.duration_since(before).expect("in the future");
    assert!(overlap.as_secs().abs_diff(24 * 3600) <= 5, "{overlap:?}");
    assert_eq!(old["is_active"], true);
}

#[tokio::test]
async fn a_roll_with_zero_hours_stops_the_old_key_at_once_as_expired() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (old_key, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    let answer = roll(
        &store,
        &org.admin_key,
        &old_id,
        json!({"expires_in_hours": 0}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        status_of(&store, &old_key).await,
        (StatusCode::UNAUTHORIZED, "expired_api_key".to_owned())
    );
    assert_eq!(
        listed(&store, &org.admin_key, &old_id).await["is_active"],
        false
    );
}

#[tokio::test]
async fn a_key_with_an_expiry_rolls_into_a_key_with_the_same_lifetime_from_now() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, old_id) = create_key(&store, &org.admin_key, json!({"expires_in_days": 30})).await;
    let before = std::time::SystemTime::now();
    let answer = roll(
        &store,
        &org.admin_key,
        &old_id,
        json!({"expires_in_hours": 168}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let expires_at =
        auth::parse_timestamp(answer.data()["expires_at"].as_str().unwrap_or_default())
            .expect("the successor expires");
    let lifetime = expires_at.duration_since(before).expect("in the future");
    assert!(
        lifetime.as_secs().abs_diff(30 * 86_400) <= 5,
        "{lifetime:?}"
    );
}

#[tokio::test]
async fn an_overlap_never_extends_a_key_past_its_own_expiry() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let soon = auth::timestamp(std::time::SystemTime::now() + std::time::Duration::from_secs(3600));
    let _ = insert_key(&store, &org.org_id, &["read"], Some(&soon)).await;
    let keys = store.list_keys(&org.org_id).await.expect("list");
    let inserted = keys
        .iter()
        .find(|key| key.expires_at.as_deref() == Some(soon.as_str()))
        .expect("inserted key");
    let answer = roll(
        &store,
        &org.admin_key,
        &inserted.key_id,
        json!({"expires_in_hours": 168}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let old = listed(&store, &org.admin_key, &inserted.key_id).await;
    assert_eq!(old["expires_at"], soon.as_str());
}

#[tokio::test]
async fn a_key_is_rolled_once_a_second_roll_is_a_409() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    assert_eq!(
        roll(&store, &org.admin_key, &old_id, json!({}))
            .await
            .status,
        StatusCode::CREATED
    );
    let again = roll(&store, &org.admin_key, &old_id, json!({})).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "key_already_rolled");
}

#[tokio::test]
async fn two_rolls_racing_produce_one_successor_and_the_other_gets_409() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (store, admin, id) = (store.clone(), org.admin_key.clone(), old_id.clone());
        tasks.push(tokio::spawn(async move {
            let answer = roll(&store, &admin, &id, json!({})).await;
            (answer.status, answer.code().to_owned())
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.expect("task") {
            (StatusCode::CREATED, _) => created += 1,
            (StatusCode::CONFLICT, code) => assert_eq!(code, "key_already_rolled"),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(created, 1);
    let keys = store.list_keys(&org.org_id).await.expect("list");
    assert_eq!(keys.len(), 3, "signup key, rolled key, one successor");
}

#[tokio::test]
async fn rolling_a_revoked_key_is_a_409_key_revoked() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    call(Method::DELETE, &format!("/v1/account/api-keys/{old_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let answer = roll(&store, &org.admin_key, &old_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "key_revoked");
}

#[tokio::test]
async fn rolling_an_expired_key_is_a_409_key_expired() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    insert_key(&store, &org.org_id, &["read"], Some("2021-01-01T00:00:00Z")).await;
    let keys = store.list_keys(&org.org_id).await.expect("list");
    let expired = keys
        .iter()
        .find(|key| key.expires_at.is_some())
        .expect("inserted key");
    let answer = roll(&store, &org.admin_key, &expired.key_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "key_expired");
}

#[tokio::test]
async fn an_overlap_outside_0_to_168_hours_is_a_400_naming_expires_in_hours() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    for hours in [json!(-1), json!(169), json!("24")] {
        let answer = roll(
            &store,
            &org.admin_key,
            &old_id,
            json!({"expires_in_hours": hours}),
        )
        .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{hours}");
        assert_eq!(answer.param(), Some("expires_in_hours"), "{hours}");
    }
    assert!(listed(&store, &org.admin_key, &old_id).await["replaced_by"].is_null());
}

#[tokio::test]
async fn a_roll_without_a_body_takes_the_default_overlap() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (old_key, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    let answer = call(Method::POST, &format!("/v1/account/api-keys/{old_id}/roll"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(status_of(&store, &old_key).await.0, StatusCode::OK);
}

#[tokio::test]
async fn another_organisations_key_is_a_404_as_for_revoke() {
    let store = fresh_store().await;
    let a = sign_up(&store).await;
    let b = sign_up(&store).await;
    let answer = roll(&store, &a.admin_key, &b.admin_key_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "api_key_not_found");
}

#[tokio::test]
async fn a_test_key_cannot_roll_a_live_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_admin, _) = create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    let answer = roll(&store, &test_admin, &org.admin_key_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    let (_, test_key_id) = create_key(&store, &test_admin, json!({"environment": "test"})).await;
    let rolled = roll(&store, &test_admin, &test_key_id, json!({})).await;
    assert_eq!(rolled.status, StatusCode::CREATED);
    assert_eq!(rolled.data()["environment"], "test");
}

#[tokio::test]
async fn a_key_without_admin_cannot_roll() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, reader_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let answer = roll(&store, &reader, &reader_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), "insufficient_scope");
}

#[tokio::test]
async fn an_admin_key_can_roll_itself_and_both_work_during_the_overlap() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = roll(
        &store,
        &org.admin_key,
        &org.admin_key_id,
        json!({"expires_in_hours": 1}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    let successor = answer.data()["key"].as_str().unwrap_or_default().to_owned();
    assert_eq!(status_of(&store, &org.admin_key).await.0, StatusCode::OK);
    assert_eq!(status_of(&store, &successor).await.0, StatusCode::OK);
    let listing = call(Method::GET, "/v1/account/api-keys")
        .bearer(&successor)
        .send(&store)
        .await;
    assert_eq!(listing.status, StatusCode::OK);
}

#[tokio::test]
async fn a_roll_retried_with_the_same_idempotency_key_gets_the_same_successor_once() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, old_id) = create_key(&store, &org.admin_key, json!({})).await;
    let send = || {
        call(Method::POST, &format!("/v1/account/api-keys/{old_id}/roll"))
            .bearer(&org.admin_key)
            .header("idempotency-key", "roll-retry-0001-0002-0003")
            .json(json!({"expires_in_hours": 2}))
            .send(&store)
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(first.data(), second.data());
    assert_eq!(store.list_keys(&org.org_id).await.expect("list").len(), 3);
}
