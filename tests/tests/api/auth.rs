use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, create_key, fresh_store, insert_key, sign_up};

const WELL_FORMED_UNKNOWN: &str = "mem_live_00000000000000000000000000000000000as4ep";

#[tokio::test]
async fn no_key_is_a_401_missing_api_key() {
    let store = fresh_store().await;
    let answer = call(Method::GET, "/v1/account").send(&store).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "missing_api_key");
}

#[tokio::test]
async fn a_malformed_key_is_a_401_malformed_api_key() {
    let store = fresh_store().await;
    for key in [
        "abc",
        "mem_prod_0000000000000000000000000000000000000000",
        "mem_live_short",
        "sk_live_00000000000000000000000000000000",
    ] {
        let answer = call(Method::GET, "/v1/account")
            .bearer(key)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{key}");
        assert_eq!(answer.code(), "malformed_api_key", "{key}");
    }
}

#[tokio::test]
async fn a_non_bearer_authorization_is_a_401_malformed_api_key() {
    let store = fresh_store().await;
    let answer = call(Method::GET, "/v1/account")
        .header("authorization", &format!("Basic {WELL_FORMED_UNKNOWN}"))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "malformed_api_key");
}

#[tokio::test]
async fn an_unknown_key_is_a_401_invalid_api_key() {
    let store = fresh_store().await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(WELL_FORMED_UNKNOWN)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "invalid_api_key");
}

#[tokio::test]
async fn an_expired_key_is_a_401_expired_api_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let key = insert_key(&store, &org.org_id, &["read"], Some("2020-01-01T00:00:00Z")).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "expired_api_key");
}

#[tokio::test]
async fn a_key_of_an_inactive_organisation_is_a_403() {
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
    let answer = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), "organization_inactive");
    accounts::operator::set_organization_active(
        &store,
        &org.org_id,
        true,
        std::time::SystemTime::now(),
    )
    .await
    .expect("reactivate");
    let again = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(again.status, StatusCode::OK);
}

#[tokio::test]
async fn two_different_keys_in_the_two_headers_is_a_400() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .api_key(WELL_FORMED_UNKNOWN)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "conflicting_api_keys");
}

#[tokio::test]
async fn the_same_key_in_both_headers_is_accepted() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .api_key(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn bearer_is_matched_in_any_case() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let answer = call(Method::GET, "/v1/account")
            .header("authorization", &format!("{scheme} {}", org.admin_key))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{scheme}");
    }
}

#[tokio::test]
async fn last_used_at_is_written_at_most_once_a_minute() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for _ in 0..5 {
        call(Method::GET, "/v1/account")
            .bearer(&org.admin_key)
            .send(&store)
            .await;
    }
    let first = store
        .get_key(&org.org_id, &org.admin_key_id)
        .await
        .expect("read")
        .expect("key");
    assert!(first.last_used_at.is_some(), "recorded");
    // This instance writes the key again only a minute after its last write of it.
    let start = std::time::SystemTime::now() + std::time::Duration::from_secs(120);
    let used = |at: std::time::SystemTime| auth::timestamp(at);
    let minute = store::USAGE_WRITE_INTERVAL;
    let half_minute = minute / 2;
    for (at, expected) in [
        (start, true),
        (start + half_minute, false),
        (start + minute, true),
    ] {
        let wrote = service_tests::usage_meter(&store)
            .record_use(&org.org_id, &org.admin_key_id, auth::Environment::Live, at)
            .await
            .expect("record");
        assert_eq!(wrote, expected, "{at:?}");
    }
    let latest = store
        .get_key(&org.org_id, &org.admin_key_id)
        .await
        .expect("read")
        .expect("key");
    assert_eq!(latest.last_used_at, Some(used(start + minute)));
}

#[tokio::test]
async fn a_key_works_on_every_route_its_scopes_allow_and_no_other() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (read, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let account = call(Method::GET, "/v1/account")
        .bearer(&read)
        .send(&store)
        .await;
    let list = call(Method::GET, "/v1/account/api-keys")
        .bearer(&read)
        .send(&store)
        .await;
    let create = call(Method::POST, "/v1/account/api-keys")
        .bearer(&read)
        .send(&store)
        .await;
    let revoke = call(Method::DELETE, "/v1/account/api-keys/key_abc")
        .bearer(&read)
        .send(&store)
        .await;
    assert_eq!(account.status, StatusCode::OK);
    for denied in [list, create, revoke] {
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert_eq!(denied.code(), "insufficient_scope");
    }
}

/// A key item of the wrong shape is a bug in the data, not an outage: the same logged 500 whether
/// authentication or the domain meets it (it was once an unlogged 503 on this path).
#[tokio::test]
async fn a_corrupt_key_item_met_by_authentication_is_a_500_internal_error() {
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
    let answer = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(
        answer.status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.code(), "internal_error");
}
