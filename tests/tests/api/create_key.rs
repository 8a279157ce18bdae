use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{call, create_key, fresh_store, sign_up};

#[tokio::test]
async fn create_key_with_the_spec_example_returns_the_key_once() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"name": "CI/CD Key", "scopes": ["read"], "expires_in_days": 90}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let data = answer.data();
    assert!(data["id"].as_str().unwrap_or_default().starts_with("key_"));
    assert_eq!(data["name"], "CI/CD Key");
    let key = data["key"].as_str().unwrap_or_default();
    assert!(key.starts_with("mem_live_"));
    assert_eq!(data["key_prefix"], format!("{}...", &key[..15]));
    assert_eq!(data["environment"], "live");
    assert_eq!(data["scopes"], json!(["read"]));
    assert!(data["expires_at"].is_string());
    // The new key works.
    let account = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(&store)
        .await;
    assert_eq!(account.status, StatusCode::OK);
}

#[tokio::test]
async fn create_key_with_an_empty_body_takes_every_documented_default() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let data = answer.data();
    assert_eq!(data["name"], "Default Key");
    assert_eq!(data["environment"], "live");
    assert_eq!(data["scopes"], json!(["read", "write"]));
    assert_eq!(data["expires_at"], Value::Null);
}

#[tokio::test]
async fn create_key_with_nulls_takes_the_defaults() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"name": null, "environment": null, "scopes": null, "expires_in_days": null}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.data()["name"], "Default Key");
    assert_eq!(answer.data()["scopes"], json!(["read", "write"]));
}

#[tokio::test]
async fn create_key_without_content_type_reads_the_json_body_like_curl_d_sends_it() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .header("content-type", "application/x-www-form-urlencoded")
        .raw_body(r#"{"name": "Analytics", "scopes": ["read"]}"#)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.data()["name"], "Analytics");
    assert_eq!(answer.data()["scopes"], json!(["read"]));
}

#[tokio::test]
async fn create_key_with_expires_in_days_sets_expires_at_that_many_days_ahead() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let before = std::time::SystemTime::now();
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"name": "Temp Key", "expires_in_days": 30}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let expires_at =
        auth::parse_timestamp(answer.data()["expires_at"].as_str().unwrap_or_default())
            .expect("expires_at is a timestamp");
    let ahead = expires_at
        .duration_since(before)
        .expect("in the future")
        .as_secs();
    assert!(
        (30 * 86_400 - 2..=30 * 86_400 + 2).contains(&ahead),
        "{ahead}"
    );
}

#[tokio::test]
async fn create_key_outside_one_to_3650_days_is_a_400_naming_expires_in_days() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for days in [json!(0), json!(-5), json!(3651), json!(i64::MAX)] {
        let answer = call(Method::POST, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .json(json!({"expires_in_days": days}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{days}");
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some("expires_in_days"));
    }
}

#[tokio::test]
async fn create_key_with_a_fractional_or_string_day_count_is_a_400_invalid_type() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for days in [json!(1.5), json!("30"), json!(true)] {
        let answer = call(Method::POST, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .json(json!({"expires_in_days": days}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{days}");
        assert_eq!(answer.code(), "invalid_type");
        assert_eq!(answer.param(), Some("expires_in_days"));
    }
}

#[tokio::test]
async fn create_key_accepts_a_whole_number_written_as_a_float() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"expires_in_days": 30.0}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let huge = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"expires_in_days": 1e300}))
        .send(&store)
        .await;
    assert_eq!(huge.status, StatusCode::BAD_REQUEST);
    assert_eq!(huge.param(), Some("expires_in_days"));
}

#[tokio::test]
async fn create_key_removes_duplicate_scopes_and_keeps_their_order() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"scopes": ["delete", "read", "delete", "read"]}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.data()["scopes"], json!(["delete", "read"]));
}

#[tokio::test]
async fn create_key_with_empty_or_unknown_scopes_is_a_400_naming_scopes() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for scopes in [json!([]), json!(["read", "root"]), json!(["READ"])] {
        let answer = call(Method::POST, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .json(json!({"scopes": scopes}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{scopes}");
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some("scopes"));
    }
}

#[tokio::test]
async fn create_key_with_scopes_not_an_array_of_strings_is_a_400_invalid_type() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for scopes in [json!("read"), json!([1]), json!({"read": true})] {
        let answer = call(Method::POST, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .json(json!({"scopes": scopes}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{scopes}");
        assert_eq!(answer.code(), "invalid_type");
        assert_eq!(answer.param(), Some("scopes"));
    }
}

#[tokio::test]
async fn create_key_with_an_unknown_environment_is_a_400_naming_environment() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"environment": "production"}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_value");
    assert_eq!(answer.param(), Some("environment"));
}

#[tokio::test]
async fn create_key_with_an_over_long_name_is_a_400_naming_name() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"name": "k".repeat(101)}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.param(), Some("name"));
}

#[tokio::test]
async fn a_test_environment_key_starts_with_mem_test() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, _) = create_key(&store, &org.admin_key, json!({"environment": "test"})).await;
    assert!(key.starts_with("mem_test_"));
}

#[tokio::test]
async fn a_test_key_cannot_create_a_live_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_admin, _) = create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    let live = call(Method::POST, "/v1/account/api-keys")
        .bearer(&test_admin)
        .json(json!({"environment": "live"}))
        .send(&store)
        .await;
    assert_eq!(live.status, StatusCode::FORBIDDEN);
    assert_eq!(live.code(), "environment_not_permitted");
    let default_environment = call(Method::POST, "/v1/account/api-keys")
        .bearer(&test_admin)
        .send(&store)
        .await;
    assert_eq!(default_environment.status, StatusCode::FORBIDDEN);
    let test = call(Method::POST, "/v1/account/api-keys")
        .bearer(&test_admin)
        .json(json!({"environment": "test"}))
        .send(&store)
        .await;
    assert_eq!(test.status, StatusCode::CREATED);
}

#[tokio::test]
async fn only_the_hash_of_a_created_key_is_stored() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, key_id) = create_key(&store, &org.admin_key, json!({})).await;
    let record = store
        .get_key(&org.org_id, &key_id)
        .await
        .expect("read")
        .expect("stored");
    let secret = auth::ApiKeySecret::parse(&key).expect("well-formed");
    assert_eq!(record.key_hash, secret.hash());
    let scan = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .expect("scan");
    assert!(!format!("{:?}", scan.items()).contains(&key));
}

/// "\u{202E}noitcudorp" would show as "production" in the dashboard's revoke dialog.
#[tokio::test]
async fn a_key_name_with_a_bidi_override_or_isolate_is_refused_400_invalid_value() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for (name, code_point) in [
        ("\u{202E}noitcudorp", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u{2066}production", "U+2066 LEFT-TO-RIGHT ISOLATE"),
    ] {
        let answer = call(Method::POST, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .json(json!({"name": name}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{code_point}");
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some("name"));
        let message = answer.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(code_point), "{message}");
    }
}

/// ZWJ and ZWNJ are not disguises: emoji sequences and scripts such as Persian need them.
#[tokio::test]
async fn a_key_name_with_a_zwj_emoji_or_a_zwnj_persian_word_is_kept_intact() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for name in [
        "CI \u{1F469}\u{200D}\u{1F4BB}",
        "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}",
    ] {
        let answer = call(Method::POST, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .json(json!({"name": name}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        assert_eq!(answer.data()["name"], name);
    }
}
