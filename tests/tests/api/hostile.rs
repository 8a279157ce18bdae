//! Hostile input, each case with its exact status and code.

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, count_items, fresh_store, sign_up, unique_email};

const RANDOM_40: &str = "a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0";

#[tokio::test]
async fn keys_of_the_wrong_shape_are_401_malformed_api_key() {
    let store = fresh_store().await;
    let cases = [
        ("wrong prefix", format!("sk_live_{RANDOM_40}")),
        ("prefix in capitals", format!("MEM_live_{RANDOM_40}")),
        ("unknown environment", format!("mem_prod_{RANDOM_40}")),
        ("environment in capitals", format!("mem_LIVE_{RANDOM_40}")),
        ("random part too short", "mem_live_abc123".to_owned()),
        (
            "random part too long",
            format!("mem_live_{}", "a".repeat(65)),
        ),
        (
            "dash in random part",
            format!("mem_live_{}-", &RANDOM_40[..39]),
        ),
        (
            "underscore in random part",
            format!("mem_live_{}_", &RANDOM_40[..39]),
        ),
        (
            "slash in random part",
            format!("mem_live_{}/", &RANDOM_40[..39]),
        ),
        (
            "plus in random part",
            format!("mem_live_{}+", &RANDOM_40[..39]),
        ),
        (
            "space inside the key",
            format!("mem_live_{} {}", &RANDOM_40[..20], &RANDOM_40[20..]),
        ),
        ("empty bearer", String::new()),
        (
            "non-ASCII letter",
            format!("mem_live_{}é", &RANDOM_40[..39]),
        ),
    ];
    for (case, key) in cases {
        let answer = call(Method::GET, "/v1/account")
            .header("authorization", &format!("Bearer {key}"))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(answer.code(), "malformed_api_key", "{case}");
    }
}

#[tokio::test]
async fn a_live_key_relabelled_as_test_fails_its_checksum() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let as_test = org.admin_key.replacen("mem_live_", "mem_test_", 1);
    let answer = call(Method::GET, "/v1/account")
        .bearer(&as_test)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    // The checksum covers the environment too.
    assert_eq!(answer.code(), "malformed_api_key");
}

#[tokio::test]
async fn a_key_header_that_is_not_utf8_is_401_malformed_api_key() {
    let store = fresh_store().await;
    let request = call(Method::GET, "/v1/account").build();
    let (mut parts, body) = request.into_parts();
    parts.headers.insert(
        "x-api-key",
        lambda_http::http::HeaderValue::from_bytes(b"mem_live_\xff\xfe")
            .expect("opaque bytes are a valid header"),
    );
    let answer = service_tests::route(&store, lambda_http::Request::from_parts(parts, body)).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "malformed_api_key");
}

#[tokio::test]
async fn whitespace_around_a_key_is_ignored() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::GET, "/v1/account")
        .header("x-api-key", &format!("  {}\t", org.admin_key))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::OK);
}

#[tokio::test]
async fn a_truncated_body_is_400_invalid_json() {
    let store = fresh_store().await;
    let full = json!({"name": "My Company", "email": unique_email()}).to_string();
    for cut in [1, full.len() / 2, full.len() - 1] {
        let answer = call(Method::POST, "/v1/signup")
            .header("content-type", "application/json")
            .raw_body(full[..cut].to_owned())
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{cut}");
        assert_eq!(answer.code(), "invalid_json", "{cut}");
    }
}

#[tokio::test]
async fn null_for_a_required_field_is_400_missing_field() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": null, "email": unique_email()}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "missing_field");
    assert_eq!(answer.param(), Some("name"));
}

#[tokio::test]
async fn control_characters_in_names_and_emails_are_400_invalid_value() {
    let store = fresh_store().await;
    for (name, email, param) in [
        ("nul\u{0}byte", unique_email(), "name"),
        ("escape\u{1b}[31m", unique_email(), "name"),
        ("line\nbreak", unique_email(), "name"),
        ("C1\u{85}control", unique_email(), "name"),
        ("My Company", format!("a\u{0}{}", unique_email()), "email"),
        (
            "My Company",
            format!("{}\r\nBcc: x@example.com", unique_email()),
            "email",
        ),
    ] {
        let answer = call(Method::POST, "/v1/signup")
            .json(json!({"name": name, "email": email}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{name:?} {email:?}");
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some(param));
    }
    assert_eq!(count_items(&store).await, 0);
}

#[tokio::test]
async fn very_long_names_and_emails_are_400_invalid_value() {
    let store = fresh_store().await;
    let long_name = call(Method::POST, "/v1/signup")
        .json(json!({"name": "n".repeat(10_000), "email": unique_email()}))
        .send(&store)
        .await;
    assert_eq!(
        (long_name.status, long_name.param()),
        (StatusCode::BAD_REQUEST, Some("name"))
    );
    let long_email = call(Method::POST, "/v1/signup")
        .json(json!({"name": "x", "email": format!("{}@example.com", "e".repeat(10_000))}))
        .send(&store)
        .await;
    assert_eq!(
        (long_email.status, long_email.param()),
        (StatusCode::BAD_REQUEST, Some("email"))
    );
}

#[tokio::test]
async fn unicode_names_and_emails_come_back_intact() {
    let store = fresh_store().await;
    let name = "Ωmega Ünïcødé — 東京 🚀 עברית";
    let email = format!("jörg.{}@bücher.example", std::process::id());
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": name, "email": email}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    assert_eq!(answer.data()["account"]["name"], name);
    assert_eq!(answer.data()["account"]["email"], email.as_str());
}

#[tokio::test]
async fn a_huge_body_is_413_before_anything_is_parsed() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .header("content-type", "application/json")
        .raw_body("[".repeat(1024 * 1024))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.code(), "payload_too_large");
}

#[tokio::test]
async fn unknown_fields_are_refused_even_when_nested_or_many() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .json(json!({"name": "x", "is_active": false, "org_id": "org_other", "key_hash": "0"}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "unknown_field");
    assert_eq!(answer.param(), Some("is_active"));
}
