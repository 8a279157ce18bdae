//! A revocation holds for admin actions at once: the key-hash index that authenticates a request is
//! eventually consistent, so admin routes confirm the caller's key on its base item, and key creation checks
//! the caller's key and the organisation inside its own transaction. Read routes keep their one index read.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, create_key, fresh_store, revoke_behind_a_lagging_index, sign_up};
use store::{Caller, StoreError};

#[tokio::test]
async fn a_revoked_admin_key_is_refused_its_next_admin_action_while_the_index_still_says_active() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (second_admin, second_id) =
        create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    revoke_behind_a_lagging_index(&store, &org.org_id, &second_id).await;
    for (method, path) in [
        (Method::GET, "/v1/account/api-keys".to_owned()),
        (Method::POST, "/v1/account/api-keys".to_owned()),
        (
            Method::DELETE,
            format!("/v1/account/api-keys/{}", org.admin_key_id),
        ),
    ] {
        let answer = call(method.clone(), &path)
            .bearer(&second_admin)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(answer.code(), "revoked_api_key", "{method} {path}");
    }
    let keys = store.list_keys(&org.org_id).await.expect("list");
    assert_eq!(keys.len(), 2, "no key was created");
    assert!(keys
        .iter()
        .any(|k| k.key_id == org.admin_key_id && k.is_active));
}

/// The window docs/api.md states: a read route trusts the index alone, so it still answers while the index
/// lags (on AWS usually well under a second).
#[tokio::test]
async fn a_read_route_keeps_its_single_index_read_while_the_index_lags() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, reader_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    revoke_behind_a_lagging_index(&store, &org.org_id, &reader_id).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&reader)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn key_creation_checks_in_its_transaction_that_the_organisation_is_active() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    // Only the organisation's own item says inactive: the copy on its keys (what authentication reads) lags.
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", AttributeValue::S(format!("ORG#{}", org.org_id)))
        .key("sk", AttributeValue::S("ORG".to_owned()))
        .update_expression("SET is_active = :false")
        .expression_attribute_values(":false", AttributeValue::Bool(false))
        .send()
        .await
        .expect("deactivate the organisation item");
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
    assert_eq!(answer.code(), "organization_inactive");
    assert_eq!(store.list_keys(&org.org_id).await.expect("list").len(), 1);
}

#[tokio::test]
async fn the_creation_transaction_refuses_a_caller_key_revoked_after_it_was_read() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, second_id) = create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    store
        .revoke_key(
            &org.org_id,
            &second_id,
            "2026-01-01T00:00:00Z",
            store::RevocationGuard::None,
            &service_tests::an_event(&org.org_id, store::EventType::KeyRevoked),
        )
        .await
        .expect("revoke");
    let mut key = store
        .get_key(&org.org_id, &org.admin_key_id)
        .await
        .expect("read")
        .expect("key");
    key.key_id = "key_createdByARevokedCaller".to_owned();
    key.key_hash = "0".repeat(64);
    let caller = Caller {
        key_id: &second_id,
        scope: auth::Scope::Admin,
        now: "2026-01-01T00:00:01Z",
    };
    let counter = store
        .get_organization(&org.org_id)
        .await
        .expect("read")
        .expect("organisation")
        .key_creations(key.environment);
    let result = store
        .create_key(
            &key,
            &service_tests::an_event(&org.org_id, store::EventType::KeyCreated),
            caller,
            store::KeyRoom {
                environment: key.environment,
                below: counter + 1,
            },
            None,
            std::time::SystemTime::now(),
        )
        .await;
    assert!(
        matches!(result, Err(StoreError::CallerRefused)),
        "{result:?}"
    );
    assert!(store
        .get_key(&org.org_id, &key.key_id)
        .await
        .expect("read")
        .is_none());
}

#[tokio::test]
async fn the_creation_transaction_refuses_a_caller_key_without_the_admin_scope() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, reader_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let mut key = store
        .get_key(&org.org_id, &org.admin_key_id)
        .await
        .expect("read")
        .expect("key");
    key.key_id = "key_createdByAReader".to_owned();
    key.key_hash = "1".repeat(64);
    let caller = Caller {
        key_id: &reader_id,
        scope: auth::Scope::Admin,
        now: "2026-01-01T00:00:01Z",
    };
    let counter = store
        .get_organization(&org.org_id)
        .await
        .expect("read")
        .expect("organisation")
        .key_creations(key.environment);
    let result = store
        .create_key(
            &key,
            &service_tests::an_event(&org.org_id, store::EventType::KeyCreated),
            caller,
            store::KeyRoom {
                environment: key.environment,
                below: counter + 1,
            },
            None,
            std::time::SystemTime::now(),
        )
        .await;
    assert!(
        matches!(result, Err(StoreError::CallerRefused)),
        "{result:?}"
    );
}
