//! A leaked key is revoked at once (`accounts::answer_leak_report`, what the secret-scanning route calls once
//! GitHub's signature is checked): ours are labelled `true_positive` and revoked whatever their environment
//! and scopes, the last staying admin key included; everything else is a `false_positive`.

use std::time::SystemTime;

use accounts::{answer_leak_report, LeakLabel, ReportedToken};
use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, count_items, counting_store, create_key, fresh_store, sign_up};
use store::{RequestFacts, Store};

fn report(token: &str) -> ReportedToken {
    ReportedToken {
        token: token.to_owned(),
        token_type: "memory_api_key".to_owned(),
        url: Some("https://github.com/octo/app/blob/main/.env".to_owned()),
        source: Some("commit".to_owned()),
    }
}

fn github_request() -> RequestFacts {
    RequestFacts {
        request_id: "github-delivery".to_owned(),
        source_ip: Some("192.30.252.1".parse().expect("address")),
        user_agent: Some("GitHub-Hookshot/1".to_owned()),
    }
}

async fn answer(store: &Store, tokens: &[ReportedToken]) -> Vec<LeakLabel> {
    answer_leak_report(store, tokens, &github_request(), SystemTime::now())
        .await
        .expect("answered")
}

#[tokio::test]
async fn a_reported_live_key_and_test_key_are_revoked_and_labelled_true_positive() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (live, live_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let (test, test_id) = create_key(&store, &org.admin_key, json!({"environment": "test"})).await;
    let labels = answer(&store, &[report(&live), report(&test)]).await;
    assert_eq!(labels, [LeakLabel::TruePositive, LeakLabel::TruePositive]);
    for key in [&live, &test] {
        let refused = call(Method::GET, "/v1/account")
            .bearer(key)
            .send(&store)
            .await;
        assert_eq!(refused.code(), "revoked_api_key");
    }
    let list = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    for key in list.data().as_array().cloned().unwrap_or_default() {
        if key["id"] == live_id.as_str() || key["id"] == test_id.as_str() {
            assert_eq!(key["is_active"], false);
            assert_eq!(key["revoked_reason"], "leaked");
            assert_eq!(
                key["leak"],
                json!({"url": "https://github.com/octo/app/blob/main/.env", "source": "commit"})
            );
        } else {
            assert_eq!(key["revoked_reason"], serde_json::Value::Null);
        }
    }
}

#[tokio::test]
async fn a_leak_is_an_event_whose_actor_is_github_secret_scanning() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (live, live_id) = create_key(&store, &org.admin_key, json!({})).await;
    answer(&store, &[report(&live)]).await;
    let log = call(Method::GET, "/v1/account/events?type=api_key.leaked")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let events = log.data().as_array().cloned().unwrap_or_default();
    assert_eq!(events.len(), 1, "{:?}", log.body);
    let event = &events[0];
    assert_eq!(event["actor"]["type"], "github_secret_scanning");
    assert_eq!(event["subject"]["key_id"], live_id.as_str());
    assert_eq!(
        event["changes"],
        json!({"url": "https://github.com/octo/app/blob/main/.env", "source": "commit",
               "token_type": "memory_api_key"})
    );
    assert_eq!(event["request"]["id"], "github-delivery");
    assert!(!log.body.to_string().contains(&live), "never the token");
}

#[tokio::test]
async fn a_repeated_report_keeps_the_key_revoked_with_one_event() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (live, _) = create_key(&store, &org.admin_key, json!({})).await;
    answer(&store, &[report(&live)]).await;
    let items = count_items(&store).await;
    let again = answer(&store, &[report(&live), report(&live)]).await;
    assert_eq!(again, [LeakLabel::TruePositive, LeakLabel::TruePositive]);
    assert_eq!(count_items(&store).await, items, "nothing written again");
}

#[tokio::test]
async fn the_same_token_twice_in_one_report_is_revoked_once() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (live, _) = create_key(&store, &org.admin_key, json!({})).await;
    let labels = answer(&store, &[report(&live), report(&live)]).await;
    assert_eq!(labels, [LeakLabel::TruePositive, LeakLabel::TruePositive]);
    let log = call(Method::GET, "/v1/account/events?type=api_key.leaked")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(log.data().as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn tokens_of_another_format_a_wrong_checksum_or_no_key_are_false_positives_read_at_most_once()
{
    let (store, log) = counting_store().await;
    let org = sign_up(&store).await;
    log.take();
    let mut mistyped: Vec<char> = org.admin_key.chars().collect();
    let last = mistyped.len() - 1;
    mistyped[last] = if mistyped[last] == 'x' { 'y' } else { 'x' };
    let mistyped: String = mistyped.into_iter().collect();
    let unknown = auth::ApiKeySecret::generate(auth::Environment::Live)
        .expect("random")
        .expose()
        .to_owned();
    let labels = answer(
        &store,
        &[
            report("ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
            report(&mistyped),
            report(&unknown),
        ],
    )
    .await;
    assert_eq!(labels, [LeakLabel::FalsePositive; 3]);
    // Only the well-formed unknown key is looked up: one index read.
    assert_eq!(log.take(), ["Query"]);
    let still = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(still.status, StatusCode::OK);
}

#[tokio::test]
async fn the_last_staying_admin_key_is_revoked_when_it_leaks_and_an_operator_mints_the_way_back() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let labels = answer(&store, &[report(&org.admin_key)]).await;
    assert_eq!(labels, [LeakLabel::TruePositive]);
    let refused = call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(refused.code(), "revoked_api_key");
    let minted = accounts::operator::mint_admin_key(&store, &org.org_id, SystemTime::now())
        .await
        .expect("mint");
    let log = call(Method::GET, "/v1/account/events")
        .bearer(&minted.key)
        .send(&store)
        .await;
    let types: Vec<_> = log
        .data()
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(types, ["api_key.minted", "api_key.leaked", "signup"]);
}

#[tokio::test]
async fn after_one_admin_key_leaks_the_other_is_the_last_and_cannot_be_revoked() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (second, second_id) =
        create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    answer(&store, &[report(&org.admin_key)]).await;
    let refused = call(Method::DELETE, &format!("/v1/account/api-keys/{second_id}"))
        .bearer(&second)
        .send(&store)
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert_eq!(refused.code(), "last_admin_key");
}
