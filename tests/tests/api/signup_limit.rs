//! At most N organisations per source address per hour (`SIGNUPS_PER_ADDRESS_PER_HOUR`): counted in the
//! signup's own transaction, by `requestContext.http.sourceIp` (an IPv6 address by its /64), never by a header;
//! a replay is not counted again; beyond, 429 `too_many_requests` with `Retry-After`.

use std::time::Duration;

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{
    answer_of, call, count_items, derivation_secret, fresh_store, fresh_store_with, unique_email,
    Answer,
};
use store::{ClientSettings, Store};

fn limited(store: &Store, per_hour: u64) -> signup::Service {
    signup::Service {
        store: store.clone(),
        http: http_envelope::HttpConfig::default(),
        derivation: accounts::KeyDerivation::Value(derivation_secret()),
        signups_per_address_per_hour: Some(per_hour),
    }
}

async fn sign_up_from(
    service: &signup::Service,
    address: &str,
    idempotency: Option<&str>,
    email: &str,
) -> Answer {
    let mut request = call(Method::POST, "/v1/signup")
        .from_address(address)
        .json(json!({"name": "My Company", "email": email}));
    if let Some(key) = idempotency {
        request = request.header("idempotency-key", key);
    }
    answer_of(signup::handle(service, request.build()).await)
}

#[tokio::test]
async fn past_the_limit_a_signup_is_429_too_many_requests_with_retry_after_and_writes_nothing() {
    let store = fresh_store().await;
    let service = limited(&store, 2);
    for _ in 0..2 {
        let answer = sign_up_from(&service, "203.0.113.7", None, &unique_email()).await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    }
    let items = count_items(&store).await;
    let refused = sign_up_from(&service, "203.0.113.7", None, &unique_email()).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert_eq!(refused.code(), "too_many_requests");
    let retry_after: u64 = refused.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=3_600).contains(&retry_after), "{retry_after}");
    assert_eq!(count_items(&store).await, items, "nothing written");
}

#[tokio::test]
async fn another_address_is_counted_apart_and_x_forwarded_for_changes_nothing() {
    let store = fresh_store().await;
    let service = limited(&store, 1);
    let first = sign_up_from(&service, "198.51.100.1", None, &unique_email()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let other = sign_up_from(&service, "198.51.100.2", None, &unique_email()).await;
    assert_eq!(other.status, StatusCode::CREATED);
    let spoofed = call(Method::POST, "/v1/signup")
        .from_address("198.51.100.1")
        .header("x-forwarded-for", "192.0.2.99")
        .json(json!({"name": "My Company", "email": unique_email()}))
        .build();
    let spoofed = answer_of(signup::handle(&service, spoofed).await);
    assert_eq!(spoofed.status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_ipv6_address_is_counted_by_its_64() {
    let store = fresh_store().await;
    let service = limited(&store, 1);
    let first = sign_up_from(&service, "2001:db8:aa:1::1", None, &unique_email()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let same_64 = sign_up_from(&service, "2001:db8:aa:1:ffff::9", None, &unique_email()).await;
    assert_eq!(same_64.status, StatusCode::TOO_MANY_REQUESTS);
    let other_64 = sign_up_from(&service, "2001:db8:aa:2::1", None, &unique_email()).await;
    assert_eq!(other_64.status, StatusCode::CREATED);
    assert_eq!(
        accounts::signup_source(Some("::ffff:203.0.113.7".parse().expect("ip"))),
        "203.0.113.7"
    );
}

#[tokio::test]
async fn a_replay_with_the_same_idempotency_key_is_not_counted_again() {
    let store = fresh_store().await;
    let service = limited(&store, 1);
    let email = unique_email();
    let key = "8e7d6c5b-4a39-4281-9f0e-1d2c3b4a5968";
    let first = sign_up_from(&service, "192.0.2.10", Some(key), &email).await;
    assert_eq!(first.status, StatusCode::CREATED);
    for _ in 0..3 {
        let replay = sign_up_from(&service, "192.0.2.10", Some(key), &email).await;
        assert_eq!(replay.status, StatusCode::CREATED, "{}", replay.body);
        assert_eq!(
            replay.data()["account"]["org_id"],
            first.data()["account"]["org_id"]
        );
    }
    let another = sign_up_from(&service, "192.0.2.10", None, &unique_email()).await;
    assert_eq!(
        another.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the one signup counted once"
    );
}

#[tokio::test]
async fn with_dynamodb_unavailable_a_limited_signup_is_the_usual_503() {
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        format!("http://{address}")
    };
    let store = fresh_store_with(ClientSettings {
        attempt_timeout: Duration::from_millis(300),
        operation_timeout: Duration::from_millis(900),
        ..ClientSettings::local(unreachable)
    })
    .await;
    let answer = sign_up_from(&limited(&store, 5), "203.0.113.8", None, &unique_email()).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.code(), "service_unavailable");
}

#[tokio::test]
async fn probing_registered_emails_uses_up_the_allowance_as_signing_up_does() {
    let store = fresh_store().await;
    let service = limited(&store, 2);
    let registered = unique_email();
    let first = sign_up_from(&service, "203.0.113.20", None, &registered).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let taken = sign_up_from(&service, "203.0.113.20", None, &registered).await;
    assert_eq!(taken.status, StatusCode::CONFLICT);
    assert_eq!(taken.code(), "email_already_registered");
    // At the limit now: a taken email and a new one answer alike.
    for email in [registered.clone(), unique_email()] {
        let answer = sign_up_from(&service, "203.0.113.20", None, &email).await;
        assert_eq!(
            answer.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{email}: {}",
            answer.body
        );
    }
}
