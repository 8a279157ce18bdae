//! PATCH /v1/account/api-keys/{key_id}: rename a key, narrow its scopes, never widen them.

use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{call, create_key, fresh_store, sign_up, Answer};
use store::Store;

async fn patch(store: &Store, admin_key: &str, key_id: &str, body: Value) -> Answer {
    call(Method::PATCH, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(admin_key)
        .json(body)
        .send(store)
        .await
}

#[tokio::test]
async fn patch_renames_a_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"name": "Old"})).await;
    let answer = patch(
        &store,
        &org.admin_key,
        &key_id,
        json!({"name": "  New name "}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.data()["name"], "New name");
    assert_eq!(answer.data()["scopes"], json!(["read", "write"]));
    assert!(answer.data().get("key").is_none());
}

#[tokio::test]
async fn patch_narrows_scopes_and_the_key_loses_what_was_removed() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, key_id) = create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    let answer = patch(&store, &org.admin_key, &key_id, json!({"scopes": ["read"]})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.data()["scopes"], json!(["read"]));
    let listing = call(Method::GET, "/v1/account/api-keys")
        .bearer(&key)
        .send(&store)
        .await;
    assert_eq!(listing.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn patch_cannot_widen_scopes() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    for scopes in [json!(["read", "write"]), json!(["admin"])] {
        let answer = patch(&store, &org.admin_key, &key_id, json!({"scopes": scopes})).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{scopes}");
        assert_eq!(answer.param(), Some("scopes"));
    }
    let key = store
        .get_key(&org.org_id, &key_id)
        .await
        .expect("read")
        .expect("key");
    assert_eq!(key.scopes.names(), ["read"]);
}

#[tokio::test]
async fn removing_admin_from_the_last_live_admin_key_is_the_409_of_revoking_it() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = patch(
        &store,
        &org.admin_key,
        &org.admin_key_id,
        json!({"scopes": ["read", "write", "delete"]}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT);
    assert_eq!(answer.code(), "last_admin_key");
    let renamed = patch(
        &store,
        &org.admin_key,
        &org.admin_key_id,
        json!({"name": "Still admin"}),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK);
}

#[tokio::test]
async fn removing_admin_from_one_of_two_live_admin_keys_is_allowed() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, second) = create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    let answer = patch(&store, &org.admin_key, &second, json!({"scopes": ["read"]})).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let last = patch(
        &store,
        &org.admin_key,
        &org.admin_key_id,
        json!({"scopes": ["read"]}),
    )
    .await;
    assert_eq!(last.code(), "last_admin_key");
}

#[tokio::test]
async fn patch_with_an_empty_body_returns_the_key_unchanged() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"name": "Same"})).await;
    let answer = patch(&store, &org.admin_key, &key_id, json!({})).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.data()["name"], "Same");
}

#[tokio::test]
async fn patch_with_an_unknown_field_or_a_bad_name_is_a_400() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({})).await;
    let unknown = patch(
        &store,
        &org.admin_key,
        &key_id,
        json!({"environment": "test"}),
    )
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    let empty = patch(&store, &org.admin_key, &key_id, json!({"name": "  "})).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.param(), Some("name"));
}

#[tokio::test]
async fn a_test_key_cannot_patch_a_live_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_admin, _) = create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    let answer = patch(
        &store,
        &test_admin,
        &org.admin_key_id,
        json!({"name": "Mine"}),
    )
    .await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert_eq!(answer.code(), "api_key_not_found");
}

#[tokio::test]
async fn a_revoked_key_cannot_be_edited_409_key_revoked_as_for_roll() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"name": "Old"})).await;
    let revoked = call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    for body in [
        json!({"name": "New"}),
        json!({"scopes": ["read"]}),
        json!({}),
    ] {
        let answer = patch(&store, &org.admin_key, &key_id, body.clone()).await;
        assert_eq!(
            answer.status,
            StatusCode::CONFLICT,
            "{body}: {}",
            answer.body
        );
        assert_eq!(answer.code(), "key_revoked", "{body}");
    }
    let key = store
        .get_key(&org.org_id, &key_id)
        .await
        .expect("read")
        .expect("key");
    assert_eq!(key.name, "Old");
}

#[tokio::test]
async fn an_expired_key_cannot_be_edited_409_key_expired_as_for_roll() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    service_tests::insert_key(&store, &org.org_id, &["read"], Some("2021-01-01T00:00:00Z")).await;
    let listed = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let expired_id = listed.data()[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(listed.data()[0]["is_active"], false);
    let answer = patch(&store, &org.admin_key, &expired_id, json!({"name": "New"})).await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(answer.code(), "key_expired");
}

/// A rename is held to the rule a new key's name is: no character that reorders or hides text.
#[tokio::test]
async fn renaming_a_key_with_a_bidi_override_or_isolate_is_refused_400_invalid_value() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"name": "CI"})).await;
    for (name, code_point) in [
        ("\u{202E}noitcudorp", "U+202E"),
        ("prod\u{2066}uction", "U+2066"),
    ] {
        let answer = patch(&store, &org.admin_key, &key_id, json!({"name": name})).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{code_point}");
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some("name"));
        let message = answer.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(code_point), "{message}");
    }
    let unchanged = patch(&store, &org.admin_key, &key_id, json!({})).await;
    assert_eq!(unchanged.data()["name"], "CI");
}

/// ZWJ and ZWNJ are not disguises: emoji sequences and scripts such as Persian need them.
#[tokio::test]
async fn renaming_a_key_to_a_zwj_emoji_or_a_zwnj_persian_word_is_kept_intact() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"name": "CI"})).await;
    for name in [
        "CI \u{1F469}\u{200D}\u{1F4BB}",
        "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}",
    ] {
        let answer = patch(&store, &org.admin_key, &key_id, json!({"name": name})).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.data()["name"], name);
    }
}

/// Two renames racing: the one decided on a name changed since is not written (the edit reads again), so
/// each edit's event says truly what the name changed from.
#[tokio::test]
async fn an_edit_decided_on_a_name_or_allowlist_changed_since_is_not_written() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"name": "First"})).await;
    let seen = store
        .get_key(&org.org_id, &key_id)
        .await
        .expect("read")
        .expect("key");
    let renamed = call(Method::PATCH, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .json(json!({"name": "Second", "allowed_ips": ["203.0.113.7"]}))
        .from_address("203.0.113.7")
        .send(&store)
        .await;
    assert_eq!(renamed.status, StatusCode::OK, "{:?}", renamed.body);
    for change in [
        store::KeyChange::Edit {
            at: "2026-01-01T00:00:00Z",
            seen: &seen,
            name: Some("Third"),
            scopes: None,
            allowed_ips: None,
        },
        store::KeyChange::Edit {
            at: "2026-01-01T00:00:00Z",
            seen: &seen,
            name: None,
            scopes: None,
            allowed_ips: Some(&auth::AllowedIps::anywhere()),
        },
    ] {
        let written = store
            .change_key(
                &org.org_id,
                &key_id,
                change,
                store::RevocationGuard::None,
                &service_tests::an_event(&org.org_id, store::EventType::KeyEdited),
            )
            .await
            .expect("answered");
        assert!(written.is_none(), "written over a change it did not see");
    }
    let now = store
        .get_key(&org.org_id, &key_id)
        .await
        .expect("read")
        .expect("key");
    assert_eq!(now.name, "Second");
    assert_eq!(now.allowed_ips.entries(), ["203.0.113.7"]);
}
