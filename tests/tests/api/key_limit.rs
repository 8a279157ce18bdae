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

/// The organisation's active keys of `environment`, as stored.
async fn active_keys(store: &store::Store, org_id: &str, environment: auth::Environment) -> usize {
    let now = std::time::SystemTime::now();
    store
        .list_keys(org_id)
        .await
        .expect("list")
        .iter()
        .filter(|key| {
            key.environment == environment
                && key.is_active
                && !auth::is_expired(key.expires_at.as_deref(), now)
        })
        .count()
}

async fn roll(
    store: &store::Store,
    admin_key: &str,
    key_id: &str,
    hours: i64,
) -> service_tests::Answer {
    call(Method::POST, &format!("/v1/account/api-keys/{key_id}/roll"))
        .bearer(admin_key)
        .json(json!({"expires_in_hours": hours}))
        .send(store)
        .await
}

#[tokio::test]
async fn at_the_limit_a_roll_with_an_overlap_is_a_409_and_thirty_chained_rolls_never_pass_it() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    fill(&store, &org.org_id, accounts::MAX_ACTIVE_KEYS - 2).await;
    let (_, mut key_id) = service_tests::create_key(&store, &org.admin_key, json!({})).await;
    let live = auth::Environment::Live;
    assert_eq!(
        active_keys(&store, &org.org_id, live).await,
        accounts::MAX_ACTIVE_KEYS
    );
    for step in 0..30 {
        let refused = roll(&store, &org.admin_key, &key_id, 168).await;
        assert_eq!(
            refused.status,
            StatusCode::CONFLICT,
            "step {step}: {}",
            refused.body
        );
        assert_eq!(refused.code(), "key_limit_reached");
        // Replacing at once (no overlap) stays allowed at the limit: the count does not move.
        let replaced = roll(&store, &org.admin_key, &key_id, 0).await;
        assert_eq!(
            replaced.status,
            StatusCode::CREATED,
            "step {step}: {}",
            replaced.body
        );
        key_id = replaced.data()["id"]
            .as_str()
            .expect("successor")
            .to_owned();
        assert_eq!(
            active_keys(&store, &org.org_id, live).await,
            accounts::MAX_ACTIVE_KEYS
        );
    }
}

#[tokio::test]
async fn a_chain_of_rolls_with_overlaps_stops_at_the_limit() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    fill(&store, &org.org_id, accounts::MAX_ACTIVE_KEYS - 6).await;
    let (_, mut key_id) = service_tests::create_key(&store, &org.admin_key, json!({})).await;
    let places_left =
        accounts::MAX_ACTIVE_KEYS - active_keys(&store, &org.org_id, auth::Environment::Live).await;
    assert_eq!(places_left, 4);
    let mut rolled = 0;
    for _ in 0..30 {
        let answer = roll(&store, &org.admin_key, &key_id, 168).await;
        if answer.status != StatusCode::CREATED {
            assert_eq!(answer.code(), "key_limit_reached", "{}", answer.body);
            break;
        }
        rolled += 1;
        key_id = answer.data()["id"].as_str().expect("successor").to_owned();
    }
    assert_eq!(rolled, places_left, "the places left, then the limit");
    assert_eq!(
        active_keys(&store, &org.org_id, auth::Environment::Live).await,
        accounts::MAX_ACTIVE_KEYS
    );
}

#[tokio::test]
async fn rolls_of_many_keys_racing_near_the_limit_cannot_pass_it_together() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    fill(&store, &org.org_id, accounts::MAX_ACTIVE_KEYS - 12).await;
    let mut rollable = Vec::new();
    for _ in 0..8 {
        rollable.push(
            service_tests::create_key(&store, &org.admin_key, json!({}))
                .await
                .1,
        );
    }
    // 97 active: room for 3 overlaps.
    let mut tasks = Vec::new();
    for key_id in rollable {
        let (store, admin) = (store.clone(), org.admin_key.clone());
        tasks.push(tokio::spawn(async move {
            let answer = roll(&store, &admin, &key_id, 24).await;
            (answer.status, answer.code().to_owned())
        }));
    }
    let mut rolled = 0;
    for task in tasks {
        match task.await.expect("task") {
            (StatusCode::CREATED, _) => rolled += 1,
            (StatusCode::CONFLICT, code) => assert!(
                code == "key_limit_reached" || code == "concurrent_modification",
                "{code}"
            ),
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(rolled <= 3, "{rolled} rolled");
    assert!(
        active_keys(&store, &org.org_id, auth::Environment::Live).await
            <= accounts::MAX_ACTIVE_KEYS
    );
}

#[tokio::test]
async fn a_full_sandbox_does_not_stop_a_live_key_and_each_environment_has_its_own_limit() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_admin, _) = service_tests::create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    for _ in 0..accounts::MAX_ACTIVE_KEYS - 1 {
        service_tests::insert_key_in(
            &store,
            &org.org_id,
            auth::Environment::Test,
            &["read"],
            None,
        )
        .await;
    }
    let test_beyond = call(Method::POST, "/v1/account/api-keys")
        .bearer(&test_admin)
        .json(json!({"environment": "test"}))
        .send(&store)
        .await;
    assert_eq!(test_beyond.status, StatusCode::CONFLICT);
    assert_eq!(test_beyond.code(), "key_limit_reached");
    let live = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(live.status, StatusCode::CREATED, "{}", live.body);
    assert_eq!(
        active_keys(&store, &org.org_id, auth::Environment::Test).await,
        accounts::MAX_ACTIVE_KEYS
    );
}
