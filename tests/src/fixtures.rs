//! Organisations and keys made for a test: through the routes, or straight into the table for states no route
//! can make.

use std::sync::atomic::{AtomicU64, Ordering};

use lambda_http::http::{Method, StatusCode};
use serde_json::Value;
use store::Store;

use crate::call;

/// A signed-up organisation: its id, its first (admin, live) key and that key's id.
#[derive(Clone, Debug)]
pub struct Org {
    pub org_id: String,
    pub admin_key: String,
    pub admin_key_id: String,
}

static EMAIL_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique email for a test signup.
pub fn unique_email() -> String {
    format!(
        "owner{}-{}@example.com",
        std::process::id(),
        EMAIL_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Signs up a new organisation through the route and returns it.
pub async fn sign_up(store: &Store) -> Org {
    let answer = call(Method::POST, "/v1/signup")
        .json(serde_json::json!({"name": "My Company", "email": unique_email()}))
        .send(store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let data = answer.data();
    Org {
        org_id: data["account"]["org_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        admin_key: data["api_key"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        admin_key_id: data["api_key"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Creates a key through the route with `body` and returns (key, id).
pub async fn create_key(store: &Store, admin_key: &str, body: Value) -> (String, String) {
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(admin_key)
        .json(body)
        .send(store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    (
        answer.data()["key"].as_str().unwrap_or_default().to_owned(),
        answer.data()["id"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Stores a key directly (bypassing the route), for states no route can make, such as an expiry in the past.
/// Returns the full key.
pub async fn insert_key(
    store: &Store,
    org_id: &str,
    scopes: &[&str],
    expires_at: Option<&str>,
) -> String {
    insert_key_in(store, org_id, auth::Environment::Live, scopes, expires_at).await
}

/// [`insert_key`] of `environment`.
pub async fn insert_key_in(
    store: &Store,
    org_id: &str,
    environment: auth::Environment,
    scopes: &[&str],
    expires_at: Option<&str>,
) -> String {
    let secret = auth::ApiKeySecret::generate(environment).expect("random source");
    let record = store::ApiKeyRecord {
        key_id: auth::new_key_id(std::time::SystemTime::now()).expect("random source"),
        org_id: org_id.to_owned(),
        name: "Inserted".to_owned(),
        key_prefix: secret.prefix(),
        environment,
        scopes: auth::Scopes::parse(scopes).expect("known scopes"),
        key_hash: secret.hash(),
        is_active: true,
        org_is_active: true,
        created_at: "2020-01-01T00:00:00Z".to_owned(),
        expires_at: expires_at.map(str::to_owned),
        last_used_at: None,
        revoked_at: None,
        replaces: None,
        replaced_by: None,
        leak: None,
        allowed_ips: auth::AllowedIps::anywhere(),
    };
    store.insert_key(&record).await.expect("insert key");
    secret.expose().to_owned()
}

/// Makes the key-hash index lag behind a revocation, as it can on AWS for a moment: the index keeps an active
/// copy of the key's item while its base item says revoked. (DynamoDB Local updates its index at once, so
/// the stale copy is a second item, under a sort key no listing reads, that alone carries the key's hash.)
pub async fn revoke_behind_a_lagging_index(store: &Store, org_id: &str, key_id: &str) {
    use aws_sdk_dynamodb::types::AttributeValue;
    let s = |v: &str| AttributeValue::S(v.to_owned());
    let base = store
        .client()
        .get_item()
        .table_name(store.table())
        .key("pk", s(&format!("ORG#{org_id}")))
        .key("sk", s(&format!("KEY#{key_id}")))
        .consistent_read(true)
        .send()
        .await
        .expect("read the key item")
        .item
        .expect("the key item exists");
    let mut stale = base.clone();
    stale.insert("sk".to_owned(), s(&format!("STALE-INDEX-COPY#{key_id}")));
    store
        .client()
        .put_item()
        .table_name(store.table())
        .set_item(Some(stale))
        .send()
        .await
        .expect("write the stale index copy");
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", s(&format!("ORG#{org_id}")))
        .key("sk", s(&format!("KEY#{key_id}")))
        .update_expression("SET is_active = :false, revoked_at = :now, key_hash = :moved")
        .expression_attribute_values(":false", AttributeValue::Bool(false))
        .expression_attribute_values(":now", s("2026-01-01T00:00:00Z"))
        .expression_attribute_values(":moved", s(&format!("moved-out-of-the-index-{key_id}")))
        .send()
        .await
        .expect("revoke the base item");
}

/// An event for the store's write methods called directly (the tests of a transaction's conditions): what
/// the accounts crate would write with a revocation or a creation.
pub fn an_event(org_id: &str, event_type: store::EventType) -> store::EventRecord {
    let now = std::time::SystemTime::now();
    store::EventRecord {
        event_id: auth::new_event_id(now).expect("random source"),
        org_id: org_id.to_owned(),
        event_type,
        occurred_at: auth::timestamp(now),
        actor: store::Actor::Operator,
        subject: None,
        changes: "{}".to_owned(),
        request: None,
        expires_at_epoch: 4_000_000_000,
    }
}
