//! Many concurrent clients against DynamoDB Local: the conditions and transactions hold.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, count_items, create_key, fresh_store, sign_up, unique_email};

const CLIENTS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_signups_with_one_email_make_exactly_one_organisation() {
    let store = fresh_store().await;
    let email = unique_email();
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let store = store.clone();
        let email = if i % 2 == 0 {
            email.clone()
        } else {
            email.to_uppercase()
        };
        tasks.push(tokio::spawn(async move {
            call(Method::POST, "/v1/signup")
                .json(json!({"name": format!("Racer {i}"), "email": email}))
                .send(&store)
                .await
        }));
    }
    let mut created = 0;
    for task in tasks {
        let answer = task.await.expect("task");
        match answer.status {
            StatusCode::CREATED => created += 1,
            StatusCode::CONFLICT => {
                assert!(["email_already_registered", "concurrent_modification"]
                    .contains(&answer.code()))
            }
            other => panic!("unexpected {other}: {:?}", answer.body),
        }
    }
    assert_eq!(created, 1);
    // One organisation, its email reservation, its key, its signup event: nothing half-written by the
    // losers.
    assert_eq!(count_items(&store).await, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_revocations_of_the_last_two_admin_keys_leave_one_active() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (second_admin, second_id) =
        create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    let mut tasks = Vec::new();
    for (key, target) in [
        (org.admin_key.clone(), second_id.clone()),
        (second_admin.clone(), org.admin_key_id.clone()),
    ] {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            call(Method::DELETE, &format!("/v1/account/api-keys/{target}"))
                .bearer(&key)
                .send(&store)
                .await
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task").status);
    }
    let keys = store.list_keys(&org.org_id).await.expect("list");
    let active_admins = keys
        .iter()
        .filter(|k| k.is_active && k.scopes.is_admin())
        .count();
    assert_eq!(active_admins, 1, "statuses {statuses:?}");
    assert!(statuses.contains(&StatusCode::OK));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn parallel_key_creation_loses_none() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let mut tasks = Vec::new();
    for i in 0..CLIENTS {
        let store = store.clone();
        let admin = org.admin_key.clone();
        tasks.push(tokio::spawn(async move {
            call(Method::POST, "/v1/account/api-keys")
                .bearer(&admin)
                .json(json!({"name": format!("Parallel {i}")}))
                .send(&store)
                .await
                .status
        }));
    }
    for task in tasks {
        assert_eq!(task.await.expect("task"), StatusCode::CREATED);
    }
    assert_eq!(
        store.list_keys(&org.org_id).await.expect("list").len(),
        CLIENTS + 1
    );
    // The organisation, its email, its keys, one event per key (the signup's and each creation's) and
    // nothing else (but the admin key's usage count).
    let usage_items = store
        .usage(&org.org_id, "0000-00-00", "9999-99-99")
        .await
        .expect("usage")
        .len();
    assert_eq!(
        count_items(&store).await,
        2 + 2 * (CLIENTS + 1) + usage_items
    );
}
