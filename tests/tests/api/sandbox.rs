//! Test mode never touches live mode (Stripe's rule): a test key sees, creates and revokes only test keys; to
//! it, live keys do not exist. The last-admin guard counts live admin keys only.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, create_key, fresh_store, sign_up, Org};
use store::Store;

/// A sandbox admin key made by the organisation's live admin key: (key, id).
async fn sandbox_admin(store: &Store, org: &Org) -> (String, String) {
    create_key(
        store,
        &org.admin_key,
        json!({"name": "sandbox admin", "environment": "test", "scopes": ["admin"]}),
    )
    .await
}

#[tokio::test]
async fn a_test_key_cannot_revoke_the_organisations_only_live_admin_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = sandbox_admin(&store, &org).await;
    let answer = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&test_key)
    .send(&store)
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND, "{:?}", answer.body);
    assert_eq!(answer.code(), "api_key_not_found");
    let still = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(
        still.status,
        StatusCode::OK,
        "the live admin key still works"
    );
}

#[tokio::test]
async fn a_live_key_revoked_through_a_test_key_gets_the_same_404_as_a_key_that_does_not_exist() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = sandbox_admin(&store, &org).await;
    let (_, live_id) = create_key(&store, &org.admin_key, json!({"name": "live reader"})).await;
    let live = call(Method::DELETE, &format!("/v1/account/api-keys/{live_id}"))
        .bearer(&test_key)
        .send(&store)
        .await;
    let missing = call(
        Method::DELETE,
        "/v1/account/api-keys/key_doesNotExist000000",
    )
    .bearer(&test_key)
    .send(&store)
    .await;
    assert_eq!(live.status, StatusCode::NOT_FOUND);
    assert_eq!(live.body, missing.body);
    let record = store
        .get_key(&org.org_id, &live_id)
        .await
        .expect("read")
        .expect("key");
    assert!(record.is_active, "the live key was not revoked");
}

#[tokio::test]
async fn a_test_key_lists_only_test_keys() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, test_id) = sandbox_admin(&store, &org).await;
    let (_, other_test_id) = create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["read"]}),
    )
    .await;
    create_key(&store, &org.admin_key, json!({"name": "live"})).await;
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(&test_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let keys = answer.data().as_array().expect("list");
    let mut ids: Vec<&str> = keys.iter().filter_map(|k| k["id"].as_str()).collect();
    ids.sort_unstable();
    let mut expected = vec![test_id.as_str(), other_test_id.as_str()];
    expected.sort_unstable();
    assert_eq!(ids, expected);
    assert!(keys.iter().all(|k| k["environment"] == "test"));
}

#[tokio::test]
async fn a_live_admin_key_lists_and_revokes_both_environments() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, test_id) = sandbox_admin(&store, &org).await;
    let list = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let environments: Vec<&str> = list
        .data()
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|k| k["environment"].as_str())
        .collect();
    assert!(environments.contains(&"live") && environments.contains(&"test"));
    let revoked = call(Method::DELETE, &format!("/v1/account/api-keys/{test_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    assert_eq!(revoked.data()["is_active"], false);
}

#[tokio::test]
async fn a_test_key_creates_test_keys_and_is_refused_a_live_one() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = sandbox_admin(&store, &org).await;
    let test = call(Method::POST, "/v1/account/api-keys")
        .bearer(&test_key)
        .json(json!({"environment": "test"}))
        .send(&store)
        .await;
    assert_eq!(test.status, StatusCode::CREATED);
    assert!(test.data()["key"]
        .as_str()
        .is_some_and(|k| k.starts_with("mem_test_")));
    let live = call(Method::POST, "/v1/account/api-keys")
        .bearer(&test_key)
        .json(json!({"environment": "live"}))
        .send(&store)
        .await;
    assert_eq!(live.status, StatusCode::FORBIDDEN);
    assert_eq!(live.code(), "environment_not_permitted");
}

#[tokio::test]
async fn a_test_key_revokes_test_keys() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = sandbox_admin(&store, &org).await;
    let (_, other_test_id) =
        create_key(&store, &org.admin_key, json!({"environment": "test"})).await;
    let answer = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{other_test_id}"),
    )
    .bearer(&test_key)
    .send(&store)
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(answer.data()["is_active"], false);
}

#[tokio::test]
async fn revoking_the_last_live_admin_key_is_a_409_whatever_test_admin_keys_exist() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    sandbox_admin(&store, &org).await;
    sandbox_admin(&store, &org).await;
    let answer = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{:?}", answer.body);
    assert_eq!(answer.code(), "last_admin_key");
}

#[tokio::test]
async fn a_test_admin_key_can_be_revoked_even_when_it_is_the_last_test_admin_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, test_id) = sandbox_admin(&store, &org).await;
    let answer = call(Method::DELETE, &format!("/v1/account/api-keys/{test_id}"))
        .bearer(&test_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
}

#[tokio::test]
async fn a_test_key_sees_the_account_it_belongs_to() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_key, _) = sandbox_admin(&store, &org).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&test_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.data()["org_id"], org.org_id.as_str());
}
