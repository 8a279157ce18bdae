use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, create_key, fresh_store, sign_up};

#[tokio::test]
async fn get_account_returns_the_organisation_as_documented() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["success"], true);
    let data = answer.data();
    assert_eq!(data["org_id"], org.org_id.as_str());
    assert_eq!(data["name"], "My Company");
    assert!(data["email"]
        .as_str()
        .unwrap_or_default()
        .ends_with("@example.com"));
    assert_eq!(
        data["plan"],
        json!({"id": "free", "name": "Free", "base_price_cents": 0})
    );
    assert_eq!(data["is_active"], true);
    assert!(data["created_at"].is_string());
    let mut fields: Vec<&str> = data
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    fields.sort_unstable();
    assert_eq!(
        fields,
        ["created_at", "email", "is_active", "name", "org_id", "plan"]
    );
}

#[tokio::test]
async fn get_account_accepts_the_x_api_key_header() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::GET, "/v1/account")
        .api_key(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_read_only_key_can_read_the_account() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (read_key, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&read_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_write_only_key_cannot_read_the_account() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (write_key, _) = create_key(&store, &org.admin_key, json!({"scopes": ["write"]})).await;
    let answer = call(Method::GET, "/v1/account")
        .bearer(&write_key)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), "insufficient_scope");
}

#[tokio::test]
async fn post_on_account_is_a_405_allowing_get() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/account").send(&store).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "GET, HEAD, OPTIONS");
}
