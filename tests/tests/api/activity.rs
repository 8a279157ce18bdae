//! `GET /v1/account/events`: every change as an event, written in the change's own transaction, newest
//! first, paginated and filtered as documented; a test key sees only events about test keys.

use std::time::SystemTime;

use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{call, count_items, create_key, fresh_store, sign_up, Answer, Org};
use store::Store;

async fn events(store: &Store, key: &str, query: &str) -> Answer {
    call(Method::GET, &format!("/v1/account/events{query}"))
        .bearer(key)
        .send(store)
        .await
}

fn types(answer: &Answer) -> Vec<String> {
    answer
        .data()
        .as_array()
        .map(|events| {
            events
                .iter()
                .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn first(answer: &Answer) -> Value {
    answer.data()[0].clone()
}

#[tokio::test]
async fn every_change_of_a_key_is_an_event_newest_first_with_its_actor_subject_and_request() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let created = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .from_address("203.0.113.9")
        .header("user-agent", "deploy-bot/1.0")
        .json(json!({"name": "CI", "scopes": ["read", "write"]}))
        .send(&store)
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let key_id = created.data()["id"].as_str().unwrap_or_default().to_owned();
    let edited = call(Method::PATCH, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .json(json!({"name": "CI 2", "scopes": ["read"]}))
        .send(&store)
        .await;
    assert_eq!(edited.status, StatusCode::OK);
    let rolled = call(Method::POST, &format!("/v1/account/api-keys/{key_id}/roll"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(rolled.status, StatusCode::CREATED);
    let successor = rolled.data()["id"].as_str().unwrap_or_default().to_owned();
    let revoked = call(Method::DELETE, &format!("/v1/account/api-keys/{successor}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(revoked.status, StatusCode::OK);

    let log = events(&store, &org.admin_key, "").await;
    assert_eq!(log.status, StatusCode::OK, "{:?}", log.body);
    assert_eq!(
        types(&log),
        [
            "api_key.revoked",
            "api_key.rolled",
            "api_key.edited",
            "api_key.created",
            "signup"
        ]
    );
    assert_eq!(log.body["has_more"], false);
    let data = log.data();
    assert_eq!(data[0]["subject"]["key_id"], successor.as_str());
    assert_eq!(data[0]["actor"]["type"], "api_key");
    assert_eq!(data[0]["actor"]["key_id"], org.admin_key_id.as_str());
    assert_eq!(data[1]["subject"]["key_id"], key_id.as_str());
    assert_eq!(
        data[1]["changes"]["successor"]["key_id"],
        successor.as_str()
    );
    assert_eq!(
        data[2]["changes"],
        json!({"name": {"from": "CI", "to": "CI 2"},
               "scopes": {"from": ["read", "write"], "to": ["read"]}})
    );
    let creation = &data[3];
    assert_eq!(creation["changes"]["name"], "CI");
    assert_eq!(creation["changes"]["scopes"], json!(["read", "write"]));
    assert_eq!(creation["request"]["id"], "test-request-id");
    assert_eq!(creation["request"]["source_ip"], "203.0.113.9");
    assert_eq!(creation["request"]["user_agent"], "deploy-bot/1.0");
    assert_eq!(data[4]["actor"]["type"], "signup");
    assert_eq!(data[4]["subject"]["key_id"], org.admin_key_id.as_str());
    let text = log.body.to_string();
    assert!(!text.contains(&org.admin_key), "never a key");
}

#[tokio::test]
async fn a_refused_change_and_a_replay_write_no_event() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let refused = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(refused.code(), "last_admin_key");
    for _ in 0..2 {
        let answer = call(Method::POST, "/v1/account/api-keys")
            .bearer(&org.admin_key)
            .header("idempotency-key", "activity-replay-0001-0002")
            .json(json!({"name": "Once"}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED);
    }
    let log = events(&store, &org.admin_key, "").await;
    assert_eq!(types(&log), ["api_key.created", "signup"]);
}

#[tokio::test]
async fn events_are_paginated_as_the_key_list_is() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for _ in 0..4 {
        create_key(&store, &org.admin_key, json!({})).await;
    }
    let page = events(&store, &org.admin_key, "?limit=2").await;
    assert_eq!(page.data().as_array().map(Vec::len), Some(2));
    assert_eq!(page.body["has_more"], true);
    let last = page.data()[1]["id"].as_str().unwrap_or_default().to_owned();
    let next = events(
        &store,
        &org.admin_key,
        &format!("?limit=2&starting_after={last}"),
    )
    .await;
    assert_eq!(next.data().as_array().map(Vec::len), Some(2));
    assert_eq!(next.body["has_more"], true);
    let last = next.data()[1]["id"].as_str().unwrap_or_default().to_owned();
    let rest = events(
        &store,
        &org.admin_key,
        &format!("?limit=2&starting_after={last}"),
    )
    .await;
    assert_eq!(types(&rest), ["signup"]);
    assert_eq!(rest.body["has_more"], false);
}

#[tokio::test]
async fn pages_merge_events_about_live_and_test_keys_in_time_order() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for environment in ["test", "live", "test", "live", "test"] {
        create_key(&store, &org.admin_key, json!({"environment": environment})).await;
    }
    let whole = events(&store, &org.admin_key, "").await;
    let ids = |answer: &Answer| -> Vec<String> {
        answer
            .data()
            .as_array()
            .map(|events| {
                events
                    .iter()
                    .map(|event| event["id"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    };
    let all = ids(&whole);
    assert_eq!(all.len(), 6);
    let mut sorted = all.clone();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    assert_eq!(all, sorted, "newest first");
    let environments: Vec<_> = whole
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|event| {
            event["subject"]["environment"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    assert_eq!(
        environments,
        ["test", "live", "test", "live", "test", "live"]
    );
    let mut paged = Vec::new();
    let mut query = "?limit=2".to_owned();
    loop {
        let page = events(&store, &org.admin_key, &query).await;
        let page_ids = ids(&page);
        paged.extend(page_ids.clone());
        if page.body["has_more"] != true {
            break;
        }
        query = format!("?limit=2&starting_after={}", page_ids[page_ids.len() - 1]);
    }
    assert_eq!(paged, all, "every event once, in order, across pages");
}

#[tokio::test]
async fn events_filter_by_type_and_an_unknown_type_is_a_400_naming_it() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for _ in 0..3 {
        create_key(&store, &org.admin_key, json!({})).await;
    }
    let signups = events(&store, &org.admin_key, "?type=signup").await;
    assert_eq!(types(&signups), ["signup"]);
    let creations = events(&store, &org.admin_key, "?type=api_key.created&limit=2").await;
    assert_eq!(types(&creations), ["api_key.created", "api_key.created"]);
    assert_eq!(creations.body["has_more"], true);
    let unknown = events(&store, &org.admin_key, "?type=api_key.deleted").await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert_eq!(unknown.param(), Some("type"));
    let bad_cursor = events(&store, &org.admin_key, "?starting_after=key_abc").await;
    assert_eq!(bad_cursor.param(), Some("starting_after"));
}

#[tokio::test]
async fn a_test_key_sees_only_events_about_test_keys() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (test_admin, _) = create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    create_key(&store, &org.admin_key, json!({"name": "live one"})).await;
    create_key(&store, &test_admin, json!({"environment": "test"})).await;
    accounts::operator::set_organization_active(&store, &org.org_id, false, SystemTime::now())
        .await
        .expect("deactivate");
    accounts::operator::set_organization_active(&store, &org.org_id, true, SystemTime::now())
        .await
        .expect("reactivate");
    let seen = events(&store, &test_admin, "").await;
    assert_eq!(seen.status, StatusCode::OK, "{:?}", seen.body);
    assert_eq!(types(&seen), ["api_key.created", "api_key.created"]);
    for event in seen.data().as_array().cloned().unwrap_or_default() {
        assert_eq!(event["subject"]["environment"], "test");
    }
    // The live key that made the test admin key is not named to it, nor its request's address.
    let made_by_live = &seen.data()[1];
    assert_eq!(
        made_by_live["actor"],
        json!({"type": "api_key", "key_id": null, "key_prefix": null})
    );
    assert_eq!(made_by_live["request"], Value::Null);
    let text = seen.body.to_string();
    assert!(!text.contains("mem_live_"), "{text}");
    assert!(!text.contains(&org.admin_key_id), "{text}");
    // What the test key did itself is shown in full.
    assert_eq!(
        seen.data()[0]["actor"]["key_prefix"]
            .as_str()
            .map(|p| p.starts_with("mem_test_")),
        Some(true)
    );
    let all = events(&store, &org.admin_key, "").await;
    assert_eq!(
        types(&all),
        [
            "organization.reactivated",
            "organization.deactivated",
            "api_key.created",
            "api_key.created",
            "api_key.created",
            "signup"
        ]
    );
    let deactivated = &all.data()[1];
    assert_eq!(deactivated["actor"]["type"], "operator");
    assert_eq!(deactivated["subject"], Value::Null);
    assert_eq!(deactivated["request"], Value::Null);
}

#[tokio::test]
async fn an_operators_minted_key_is_an_event_with_the_operator_as_actor() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let minted = accounts::operator::mint_admin_key(&store, &org.org_id, SystemTime::now())
        .await
        .expect("mint");
    let log = events(&store, &org.admin_key, "").await;
    let event = first(&log);
    assert_eq!(event["type"], "api_key.minted");
    assert_eq!(
        event["actor"],
        json!({"type": "operator", "key_id": null, "key_prefix": null})
    );
    assert_eq!(event["subject"]["key_id"], minted.id.as_str());
    assert_eq!(
        event["changes"]["scopes"],
        json!(["read", "write", "delete", "admin"])
    );
}

#[tokio::test]
async fn deactivating_an_organisation_twice_writes_one_event() {
    let store = fresh_store().await;
    let org: Org = sign_up(&store).await;
    let before = count_items(&store).await;
    for _ in 0..2 {
        accounts::operator::set_organization_active(&store, &org.org_id, false, SystemTime::now())
            .await
            .expect("deactivate");
    }
    assert_eq!(count_items(&store).await, before + 1);
}

#[tokio::test]
async fn the_activity_log_needs_the_admin_scope() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let answer = events(&store, &reader, "").await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.code(), "insufficient_scope");
}

#[tokio::test]
async fn an_event_is_kept_400_days_by_the_tables_ttl() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let output = store
        .client()
        .query()
        .table_name(store.table())
        .key_condition_expression("pk = :pk AND begins_with(sk, :events)")
        .expression_attribute_values(
            ":pk",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("ORG#{}", org.org_id)),
        )
        .expression_attribute_values(
            ":events",
            aws_sdk_dynamodb::types::AttributeValue::S("EVENT#".to_owned()),
        )
        .send()
        .await
        .expect("query");
    let item = output.items().first().cloned().expect("the signup event");
    let expiry: u64 = item
        .get(store::schema::EXPIRY_ATTRIBUTE)
        .and_then(|value| value.as_n().ok())
        .and_then(|text| text.parse().ok())
        .expect("a TTL attribute");
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let days = (expiry - now) as f64 / 86_400.0;
    assert!((399.9..=400.0).contains(&days), "{days}");
}
