//! `Idempotency-Key` on the two routes that create a key: a retry with the same header and fields gets the
//! same outcome, full key included, and creates nothing more; the same header with other fields is a 422.
//! The key is never stored, only its hash.

use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{call, count_items, fresh_store, sign_up, unique_email, Answer};
use store::Store;

const IDEMPOTENCY_KEY: &str = "6f0d6a52-4a47-4bd4-9e7a-0f7d2b9c1e11";

async fn signup_with(store: &Store, idempotency_key: &str, body: &Value) -> Answer {
    call(Method::POST, "/v1/signup")
        .header("idempotency-key", idempotency_key)
        .json(body.clone())
        .send(store)
        .await
}

async fn create_with(
    store: &Store,
    admin_key: &str,
    idempotency_key: &str,
    body: &Value,
) -> Answer {
    call(Method::POST, "/v1/account/api-keys")
        .bearer(admin_key)
        .header("idempotency-key", idempotency_key)
        .json(body.clone())
        .send(store)
        .await
}

#[tokio::test]
async fn a_signup_retried_with_the_same_idempotency_key_gets_the_same_account_and_key() {
    let store = fresh_store().await;
    let body = json!({"name": "My Company", "email": unique_email()});
    let first = signup_with(&store, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let items = count_items(&store).await;
    let retry = signup_with(&store, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(retry.status, StatusCode::CREATED, "{:?}", retry.body);
    assert_eq!(retry.body, first.body, "the same answer, full key included");
    assert_eq!(count_items(&store).await, items, "nothing more written");
    let key = first.data()["api_key"]["key"].as_str().expect("key");
    let works = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(&store)
        .await;
    assert_eq!(works.status, StatusCode::OK);
}

#[tokio::test]
async fn a_signup_without_an_idempotency_key_is_not_replayed() {
    let store = fresh_store().await;
    let body = json!({"name": "My Company", "email": unique_email()});
    let first = call(Method::POST, "/v1/signup")
        .json(body.clone())
        .send(&store)
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = call(Method::POST, "/v1/signup")
        .json(body)
        .send(&store)
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.code(), "email_already_registered");
}

#[tokio::test]
async fn the_same_idempotency_key_with_another_signup_body_is_a_422() {
    let store = fresh_store().await;
    let email = unique_email();
    let first = signup_with(
        &store,
        IDEMPOTENCY_KEY,
        &json!({"name": "A", "email": email}),
    )
    .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other = signup_with(
        &store,
        IDEMPOTENCY_KEY,
        &json!({"name": "B", "email": email}),
    )
    .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        other.body
    );
    assert_eq!(other.code(), "idempotency_key_reused");
    assert_eq!(other.param(), Some("Idempotency-Key"));
}

#[tokio::test]
async fn the_same_fields_in_another_order_or_spacing_are_the_same_request() {
    let store = fresh_store().await;
    let email = unique_email();
    let first = signup_with(
        &store,
        IDEMPOTENCY_KEY,
        &json!({"name": "A", "email": email}),
    )
    .await;
    let reordered = call(Method::POST, "/v1/signup")
        .header("idempotency-key", IDEMPOTENCY_KEY)
        .header("content-type", "application/json")
        .raw_body(format!("{{ \"email\" : \"{email}\",\n \"name\": \"A\" }}"))
        .send(&store)
        .await;
    assert_eq!(
        reordered.status,
        StatusCode::CREATED,
        "{:?}",
        reordered.body
    );
    assert_eq!(reordered.body, first.body);
}

#[tokio::test]
async fn a_key_creation_retried_with_the_same_idempotency_key_gets_the_same_key_once() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let body = json!({"name": "CI/CD Key", "scopes": ["read"], "expires_in_days": 90});
    let first = create_with(&store, &org.admin_key, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(first.status, StatusCode::CREATED, "{:?}", first.body);
    let retry = create_with(&store, &org.admin_key, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(retry.status, StatusCode::CREATED);
    assert_eq!(retry.body, first.body, "the same answer, full key included");
    assert_eq!(store.list_keys(&org.org_id).await.expect("list").len(), 2);
    let key = first.data()["key"].as_str().expect("key");
    let works = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(&store)
        .await;
    assert_eq!(works.status, StatusCode::OK);
}

#[tokio::test]
async fn the_same_idempotency_key_with_another_key_body_is_a_422_and_creates_nothing() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    create_with(
        &store,
        &org.admin_key,
        IDEMPOTENCY_KEY,
        &json!({"name": "A"}),
    )
    .await;
    let other = create_with(
        &store,
        &org.admin_key,
        IDEMPOTENCY_KEY,
        &json!({"name": "B"}),
    )
    .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(other.code(), "idempotency_key_reused");
    assert_eq!(store.list_keys(&org.org_id).await.expect("list").len(), 2);
}

#[tokio::test]
async fn idempotency_keys_belong_to_the_calling_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let other_admin = create_with(
        &store,
        &org.admin_key,
        "setup-0000-0000-0000-000000000001",
        &json!({"scopes": ["admin"]}),
    )
    .await;
    let other_admin = other_admin.data()["key"].as_str().expect("key").to_owned();
    let body = json!({"name": "shared idempotency key"});
    let mine = create_with(&store, &org.admin_key, IDEMPOTENCY_KEY, &body).await;
    let theirs = create_with(&store, &other_admin, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(theirs.status, StatusCode::CREATED);
    assert_ne!(
        mine.data()["id"],
        theirs.data()["id"],
        "two keys, not one replayed"
    );
}

#[tokio::test]
async fn a_replayed_key_is_never_stored_only_its_hash() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let first = create_with(&store, &org.admin_key, IDEMPOTENCY_KEY, &json!({})).await;
    let key = first.data()["key"].as_str().expect("key").to_owned();
    let random_part = key.trim_start_matches("mem_live_");
    let scan = store
        .client()
        .scan()
        .table_name(store.table())
        .send()
        .await
        .expect("scan");
    let dump = format!("{:?}", scan.items());
    assert!(!dump.contains(random_part), "the key is stored somewhere");
    assert!(dump.contains(&auth::ApiKeySecret::parse(&key).expect("key").hash()));
    assert!(
        !dump.contains(IDEMPOTENCY_KEY),
        "the idempotency key is stored as a hash"
    );
}

#[tokio::test]
async fn a_malformed_idempotency_key_is_a_400_naming_the_header() {
    let store = fresh_store().await;
    for bad in ["short", "has spaces in the key!!"] {
        let answer = signup_with(&store, bad, &json!({"name": "A", "email": unique_email()})).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
        assert_eq!(answer.code(), "invalid_value", "{bad}");
        assert_eq!(answer.param(), Some("Idempotency-Key"), "{bad}");
    }
}

#[tokio::test]
async fn concurrent_twins_with_one_idempotency_key_create_one_organisation_and_answer_alike() {
    let store = fresh_store().await;
    let body = json!({"name": "Twins", "email": unique_email()});
    let twins: Vec<_> = (0..8)
        .map(|_| {
            let (store, body) = (store.clone(), body.clone());
            tokio::spawn(async move { signup_with(&store, IDEMPOTENCY_KEY, &body).await })
        })
        .collect();
    let mut answers = Vec::new();
    for twin in twins {
        answers.push(twin.await.expect("twin"));
    }
    let created: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.status == StatusCode::CREATED)
        .collect();
    assert!(!created.is_empty());
    for answer in &answers {
        assert!(
            answer.status == StatusCode::CREATED || answer.code() == "concurrent_modification",
            "{:?}",
            answer.body
        );
    }
    assert!(
        created.iter().all(|a| a.body == created[0].body),
        "one outcome"
    );
    // One organisation: its item, its email, its key, its signup event and the idempotency record.
    assert_eq!(count_items(&store).await, 5);
}

/// A record past its 24 hours that DynamoDB's TTL has not deleted yet (it may take a day or two) no longer
/// binds its idempotency key: the same key makes a new key instead of a 409.
#[tokio::test]
async fn an_idempotency_key_past_its_window_creates_anew_even_before_the_ttl_deletes_its_record() {
    use aws_sdk_dynamodb::types::AttributeValue;
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let body = json!({"name": "A"});
    let first = create_with(&store, &org.admin_key, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let records = store
        .client()
        .scan()
        .table_name(store.table())
        .filter_expression("sk = :sk")
        .expression_attribute_values(":sk", AttributeValue::S("IDEMPOTENCY".to_owned()))
        .send()
        .await
        .expect("scan");
    let record = records.items().first().expect("the record");
    store
        .client()
        .update_item()
        .table_name(store.table())
        .key("pk", record["pk"].clone())
        .key("sk", record["sk"].clone())
        .update_expression("SET expires_at_epoch = :past")
        .expression_attribute_values(":past", AttributeValue::N("1000".to_owned()))
        .send()
        .await
        .expect("age the record");
    let later = create_with(
        &store,
        &org.admin_key,
        IDEMPOTENCY_KEY,
        &json!({"name": "B"}),
    )
    .await;
    assert_eq!(later.status, StatusCode::CREATED, "{:?}", later.body);
    assert_ne!(later.data()["id"], first.data()["id"]);
    assert_eq!(store.list_keys(&org.org_id).await.expect("list").len(), 3);
}

#[tokio::test]
async fn a_replayed_creation_after_a_revocation_answers_the_key_as_revoked_not_active() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let body = json!({"name": "CI"});
    let first = create_with(&store, &org.admin_key, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(first.status, StatusCode::CREATED);
    assert_eq!(first.data()["is_active"], true);
    assert_eq!(first.data()["revoked_at"], Value::Null);
    let key_id = first.data()["id"].as_str().expect("id").to_owned();
    let revoked = call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(revoked.status, StatusCode::OK);
    let replay = create_with(&store, &org.admin_key, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(replay.data()["id"], first.data()["id"]);
    assert_eq!(replay.data()["key"], first.data()["key"]);
    assert_eq!(replay.data()["is_active"], false);
    assert_eq!(replay.data()["revoked_at"], revoked.data()["revoked_at"]);
}

#[tokio::test]
async fn a_replayed_roll_and_a_replayed_signup_show_their_keys_rolled_since() {
    let store = fresh_store().await;
    let body = json!({"name": "My Company", "email": unique_email()});
    let signed_up = signup_with(&store, IDEMPOTENCY_KEY, &body).await;
    let admin = signed_up.data()["api_key"]["key"]
        .as_str()
        .expect("key")
        .to_owned();
    let admin_id = signed_up.data()["api_key"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let roll_key = "1d7c2b4e-5f60-4a71-8b92-a3b4c5d6e7f8";
    let roll = || {
        call(
            Method::POST,
            &format!("/v1/account/api-keys/{admin_id}/roll"),
        )
        .bearer(&admin)
        .header("idempotency-key", roll_key)
        .json(json!({"expires_in_hours": 1}))
    };
    let rolled = roll().send(&store).await;
    assert_eq!(rolled.status, StatusCode::CREATED);
    let successor = rolled.data()["key"].as_str().expect("key").to_owned();
    let successor_id = rolled.data()["id"].as_str().expect("id").to_owned();
    // The successor is rolled in its turn, at once (the last staying admin key: with an Idempotency-Key).
    let again = call(
        Method::POST,
        &format!("/v1/account/api-keys/{successor_id}/roll"),
    )
    .bearer(&successor)
    .header("idempotency-key", "2e8d7c6b-5a49-4382-a1b0-c9d8e7f6a5b4")
    .json(json!({"expires_in_hours": 0}))
    .send(&store)
    .await;
    assert_eq!(again.status, StatusCode::CREATED);
    let third_id = again.data()["id"].clone();

    let replayed_roll = roll().send(&store).await;
    assert_eq!(
        replayed_roll.status,
        StatusCode::CREATED,
        "{}",
        replayed_roll.body
    );
    assert_eq!(replayed_roll.data()["id"], successor_id.as_str());
    assert_eq!(replayed_roll.data()["replaced_by"], third_id);
    assert_eq!(replayed_roll.data()["is_active"], false, "expired at once");

    let replayed_signup = signup_with(&store, IDEMPOTENCY_KEY, &body).await;
    assert_eq!(replayed_signup.status, StatusCode::CREATED);
    let api_key = &replayed_signup.data()["api_key"];
    assert_eq!(api_key["replaced_by"], successor_id.as_str());
    assert_ne!(api_key["expires_at"], Value::Null, "its overlap's end");
}
