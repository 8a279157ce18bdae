use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{call, create_key, fresh_store, sign_up};

#[tokio::test]
async fn list_keys_shows_every_documented_field_and_never_the_key_or_its_hash() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    create_key(&store, &org.admin_key, json!({"name": "Production Key"})).await;
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    let keys = answer.data().as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 2);
    for key in &keys {
        let mut fields: Vec<&str> = key
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        fields.sort_unstable();
        assert_eq!(
            fields,
            [
                "allowed_ips",
                "created_at",
                "environment",
                "expires_at",
                "id",
                "is_active",
                "key_prefix",
                "last_used_at",
                "leak",
                "name",
                "replaced_by",
                "replaces",
                "revoked_at",
                "revoked_reason",
                "scopes"
            ]
        );
        assert!(key["key_prefix"]
            .as_str()
            .unwrap_or_default()
            .ends_with("..."));
    }
    let text = answer.body.to_string();
    assert!(!text.contains(&org.admin_key));
    let hash = auth::ApiKeySecret::parse(&org.admin_key)
        .expect("key")
        .hash();
    assert!(!text.contains(&hash));
}

#[tokio::test]
async fn list_keys_shows_newest_first() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    create_key(&store, &org.admin_key, json!({"name": "Newer"})).await;
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.data()[0]["name"], "Newer");
    assert_eq!(answer.data()[1]["name"], "Default Key");
}

#[tokio::test]
async fn list_keys_records_last_used_at_when_a_key_is_used() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let own = answer.data()[0].clone();
    assert_eq!(own["id"], org.admin_key_id.as_str());
    assert!(own["last_used_at"].is_string(), "{own}");
}

#[tokio::test]
async fn a_read_only_key_cannot_list_keys() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (read_key, _) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["read", "write", "delete"]}),
    )
    .await;
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(&read_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), "insufficient_scope");
}

#[tokio::test]
async fn list_keys_shows_only_the_callers_organisation() {
    let store = fresh_store().await;
    let a = sign_up(&store).await;
    let b = sign_up(&store).await;
    create_key(&store, &b.admin_key, json!({"name": "B's key"})).await;
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(&a.admin_key)
        .send(&store)
        .await;
    let ids: Vec<Value> = answer.data().as_array().cloned().unwrap_or_default();
    assert_eq!(ids.len(), 1);
    assert_eq!(ids[0]["id"], a.admin_key_id.as_str());
}

#[tokio::test]
async fn delete_on_the_collection_is_a_405_allowing_get_and_post() {
    let store = fresh_store().await;
    let answer = call(Method::DELETE, "/v1/account/api-keys")
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "GET, HEAD, POST, OPTIONS");
}

#[tokio::test]
async fn the_plain_list_call_returns_the_first_page_of_100_with_has_more() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for _ in 0..accounts::DEFAULT_PAGE_LIMIT {
        service_tests::insert_key(&store, &org.org_id, &["read"], None).await;
    }
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.data().as_array().map(Vec::len), Some(100));
    assert_eq!(answer.body["has_more"], true);
    // The signup key is the oldest: on the next page.
    let last = answer.data()[99]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let next = call(
        Method::GET,
        &format!("/v1/account/api-keys?starting_after={last}"),
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(next.data().as_array().map(Vec::len), Some(1));
    assert_eq!(next.data()[0]["id"], org.admin_key_id.as_str());
    assert_eq!(next.body["has_more"], false);
}

#[tokio::test]
async fn limit_and_starting_after_walk_every_key_once_newest_first() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for i in 0..4 {
        create_key(&store, &org.admin_key, json!({"name": format!("Key {i}")})).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(after) => format!("/v1/account/api-keys?limit=2&starting_after={after}"),
            None => "/v1/account/api-keys?limit=2".to_owned(),
        };
        let page = call(Method::GET, &path)
            .bearer(&org.admin_key)
            .send(&store)
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let keys = page.data().as_array().cloned().unwrap_or_default();
        assert!(keys.len() <= 2);
        seen.extend(
            keys.iter()
                .map(|key| key["name"].as_str().unwrap_or_default().to_owned()),
        );
        cursor = keys
            .last()
            .and_then(|key| key["id"].as_str())
            .map(str::to_owned);
        if page.body["has_more"] != true {
            break;
        }
    }
    assert_eq!(seen, ["Key 3", "Key 2", "Key 1", "Key 0", "Default Key"]);
}

#[tokio::test]
async fn a_limit_outside_1_to_100_or_a_malformed_cursor_is_a_400_naming_it() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for (query, param) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("limit=ten", "limit"),
        ("limit=1&limit=2", "limit"),
        ("starting_after=..%2Fetc", "starting_after"),
        ("starting_after=", "starting_after"),
    ] {
        let answer = call(Method::GET, &format!("/v1/account/api-keys?{query}"))
            .bearer(&org.admin_key)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(answer.param(), Some(param), "{query}");
    }
}

#[tokio::test]
async fn a_test_keys_pages_hold_only_test_keys() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_admin, _) = create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    for i in 0..3 {
        create_key(&store, &org.admin_key, json!({"name": format!("Live {i}")})).await;
        create_key(&store, &test_admin, json!({"environment": "test"})).await;
    }
    let page = call(Method::GET, "/v1/account/api-keys?limit=3")
        .bearer(&test_admin)
        .send(&store)
        .await;
    let keys = page.data().as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 3);
    assert!(keys.iter().all(|key| key["environment"] == "test"));
    assert_eq!(page.body["has_more"], true);
}
