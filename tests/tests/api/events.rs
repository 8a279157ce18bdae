//! The sample events in `events/` (for `cargo lambda invoke`) are real API Gateway payloads that reach the
//! right function and get the documented answer.

use lambda_http::http::StatusCode;
use service_tests::{fresh_store, route, sign_up};

fn event(name: &str, api_key: &str) -> lambda_http::Request {
    let path = format!("{}/../events/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    let text = text.replace("${API_KEY}", api_key);
    lambda_http::request::from_str(&text)
        .unwrap_or_else(|err| panic!("{name} is not an API Gateway event: {err}"))
}

#[tokio::test]
async fn every_sample_event_gets_its_documented_answer() {
    let store = fresh_store().await;
    let signup = route(&store, event("signup.json", "")).await;
    assert_eq!(signup.status, StatusCode::CREATED, "{:?}", signup.body);
    assert_eq!(
        signup.headers["x-request-id"],
        "c0ffee00-0000-4000-8000-000000000001"
    );
    let org = sign_up(&store).await;
    let page = route(&store, event("api-keys-list-page.json", &org.admin_key)).await;
    assert_eq!(page.body["has_more"], false, "{:?}", page.body);
    for (name, expected) in [
        ("health.json", StatusCode::OK),
        ("not-found.json", StatusCode::NOT_FOUND),
        ("account.json", StatusCode::OK),
        ("api-keys-list.json", StatusCode::OK),
        ("api-keys-create.json", StatusCode::CREATED),
        ("api-keys-revoke.json", StatusCode::NOT_FOUND),
        ("api-keys-list-page.json", StatusCode::OK),
        ("api-keys-edit.json", StatusCode::NOT_FOUND),
        ("api-keys-roll.json", StatusCode::NOT_FOUND),
    ] {
        let answer = route(&store, event(name, &org.admin_key)).await;
        assert_eq!(answer.status, expected, "{name}: {:?}", answer.body);
    }
}

#[tokio::test]
async fn a_base64_body_that_is_not_utf8_is_a_400() {
    let store = fresh_store().await;
    let mut event: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/../events/signup.json",
            env!("CARGO_MANIFEST_DIR")
        ))
        .expect("read"),
    )
    .expect("json");
    // {"name":"\xff\xfe"} as API Gateway sends a body that is not UTF-8: base64, flagged.
    event["body"] = serde_json::json!("eyJuYW1lIjoi//4ifQ==");
    event["isBase64Encoded"] = serde_json::json!(true);
    let request = lambda_http::request::from_str(&event.to_string()).expect("event");
    let answer = route(&store, request).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_json");
}
