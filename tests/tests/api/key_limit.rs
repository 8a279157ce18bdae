//! At most 100 active keys per organisation: 409 `key_limit_reached` beyond, even for creations racing.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, fresh_store, insert_key, sign_up};

/// Stores `count` more active live keys for the organisation, straight into the table.
async fn fill(store: &store::Store, org_id: &str, count: usize) {
    for _ in 0..count {
        insert_key(store, org_id, &["read"], None).await;
    }
}

#[tokio::test]
async fn the_101st_active_key_is_a_409_key_limit_reached() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    fill(&store, &org.org_id, accounts::MAX_ACTIVE_KEYS - 2).await;
    let hundredth = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(hundredth.status, StatusCode::CREATED);
    let beyond = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(beyond.status, StatusCode::CONFLICT);
    assert_eq!(beyond.code(), "key_limit_reached");
    assert!(beyond.body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("100"));
}

#[tokio::test]
async fn revoked_and_expired_keys_do_not_count_against_the_limit() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    fill(&store, &org.org_id, accounts::MAX_ACTIVE_KEYS - 2).await;
    insert_key(&store, &org.org_id, &["read"], Some("2021-01-01T00:00:00Z")).await;
    let created = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"name": "Fits"}))
        .send(&store)
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let key_id = created.data()["id"].as_str().unwrap_or_default().to_owned();
    call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let again = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(again.status, StatusCode::CREATED);
}

#[tokio::test]
async fn creations_racing_near_the_limit_cannot_pass_it_together() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    fill(&store, &org.org_id, accounts::MAX_ACTIVE_KEYS - 4).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (store, admin) = (store.clone(), org.admin_key.clone());
        tasks.push(tokio::spawn(async move {
            let answer = call(Method::POST, "/v1/account/api-keys")
                .bearer(&admin)
                .send(&store)
                .await;
            (answer.status, answer.code().to_owned())
        }));
    }
    let mut created = 0;
    for task in tasks {
        match task.await.expect("task") {
            (StatusCode::CREATED, _) => created += 1,
            (StatusCode::CONFLICT, code) => {
                assert!(
                    code == "key_limit_reached" || code == "concurrent_modification",
                    "{code}"
                )
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(created <= 3, "{created} created");
    let active = store
        .list_keys(&org.org_id)
        .await
        .expect("list")
        .iter()
        .filter(|key| key.is_active)
        .count();
    assert!(active <= accounts::MAX_ACTIVE_KEYS, "{active} active keys");
}
