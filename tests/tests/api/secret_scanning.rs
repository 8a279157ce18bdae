//! `POST /v1/secret-scanning/github`: GitHub's signed reports, against DynamoDB Local, with GitHub's public
//! keys document served by a loopback stand-in (the TEST-ONLY document of `dev/secret-scanning/`).

use http_envelope::HttpConfig;
use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{
    answer_of, call, create_key, fresh_store, github_signature, sign_up, Answer, GithubKeysStandIn,
    ReportSigner, DEV_KEY_IDENTIFIER,
};
use sha2::{Digest, Sha256};
use store::Store;

const PATH: &str = "/v1/secret-scanning/github";

/// The function as its `main` sets it up, on `store`, trusting the stand-in's document.
fn service(store: &Store, keys: &GithubKeysStandIn) -> secret_scanning::Service {
    service_at(store, &keys.url())
}

fn service_at(store: &Store, keys_url: &str) -> secret_scanning::Service {
    secret_scanning::Service {
        store: store.clone(),
        http: HttpConfig::default(),
        keys: secret_scanning::PublicKeys::new(keys_url.parse().expect("a URL")),
    }
}

/// A report of `tokens` as GitHub writes it: `type` memory_api_key, a url and a source.
fn report(tokens: &[&str]) -> String {
    Value::Array(
        tokens
            .iter()
            .map(|token| {
                json!({"token": token, "type": "memory_api_key",
                    "url": "https://github.com/example/repo/blob/main/.env", "source": "commit"})
            })
            .collect(),
    )
    .to_string()
}

/// Sends `body` with `identifier` and `signature` (either left out when `None`).
async fn send(
    service: &secret_scanning::Service,
    body: &str,
    identifier: Option<&str>,
    signature: Option<&str>,
) -> Answer {
    let mut request = call(Method::POST, PATH)
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Secret-Scanning/1.0");
    if let Some(identifier) = identifier {
        request = request.header("Github-Public-Key-Identifier", identifier);
    }
    if let Some(signature) = signature {
        request = request.header("Github-Public-Key-Signature", signature);
    }
    let request = request.raw_body(body).from_address("140.82.115.1").build();
    answer_of(secret_scanning::handle(service, request).await)
}

/// Sends `body` signed by the key the document lists, as GitHub would.
async fn send_signed(service: &secret_scanning::Service, body: &str) -> Answer {
    let signature = github_signature(ReportSigner::Listed, body.as_bytes());
    send(service, body, Some(DEV_KEY_IDENTIFIER), Some(&signature)).await
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// What `key` gets from `GET /v1/account`: 200 while live, 401 `revoked_api_key` once revoked.
async fn account_answer(store: &Store, key: &str) -> Answer {
    call(Method::GET, "/v1/account")
        .bearer(key)
        .send(store)
        .await
}

fn labels(answer: &Answer) -> Vec<&str> {
    answer
        .body
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|entry| entry["label"].as_str().unwrap_or_default())
        .collect()
}

#[tokio::test]
async fn a_signed_report_answers_each_token_with_its_hash_type_and_label_in_order() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let service = service(&store, &keys);
    assert_eq!(keys.fetches(), 0, "nothing fetched at start");
    let tokens = ["ghp_notoursatall0123456789", "mem_live_notakey"];
    let mut body: Value = serde_json::from_str(&report(&tokens)).expect("json");
    body[1]["type"] = json!("other_type");
    let body = body.to_string();

    let answer = send_signed(&service, &body).await;

    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        answer.body,
        json!([
            {"token_hash": sha256_hex(tokens[0]), "token_type": "memory_api_key", "label": "false_positive"},
            {"token_hash": sha256_hex(tokens[1]), "token_type": "other_type", "label": "false_positive"},
        ])
    );
    let text = answer.body.to_string();
    assert!(tokens.iter().all(|token| !text.contains(token)), "{text}");
    assert_eq!(keys.fetches(), 1, "fetched at first use");
}

#[tokio::test]
async fn an_empty_report_is_answered_with_an_empty_list() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let answer = send_signed(&service(&store, &keys), "[]").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, json!([]));
}

#[tokio::test]
async fn a_token_of_another_format_is_a_false_positive() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let org = sign_up(&store).await;
    // A bad checksum: our key with its last character changed.
    let mut altered = org.admin_key.clone();
    let last = if altered.ends_with('A') { "B" } else { "A" };
    altered.replace_range(altered.len() - 1.., last);
    let body = report(&[
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        &altered,
        "mem_live_",
    ]);
    let answer = send_signed(&service(&store, &keys), &body).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(labels(&answer), ["false_positive"; 3]);
    assert_eq!(
        account_answer(&store, &org.admin_key).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_report_signed_by_another_key_is_refused_and_revokes_nothing() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let org = sign_up(&store).await;
    let body = report(&[&org.admin_key]);
    let signature = github_signature(ReportSigner::Other, body.as_bytes());

    let answer = send(
        &service(&store, &keys),
        &body,
        Some(DEV_KEY_IDENTIFIER),
        Some(&signature),
    )
    .await;

    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "invalid_signature");
    assert_eq!(answer.param(), Some("Github-Public-Key-Signature"));
    assert_eq!(
        account_answer(&store, &org.admin_key).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_altered_body_is_refused_and_revokes_nothing() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let org = sign_up(&store).await;
    let signed = report(&["ghp_notours"]);
    let signature = github_signature(ReportSigner::Listed, signed.as_bytes());
    let sent = report(&[&org.admin_key]);

    let answer = send(
        &service(&store, &keys),
        &sent,
        Some(DEV_KEY_IDENTIFIER),
        Some(&signature),
    )
    .await;

    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "invalid_signature");
    assert_eq!(
        account_answer(&store, &org.admin_key).await.status,
        StatusCode::OK
    );
}

/// What schemathesis sends (`make test`): header values outside visible ASCII. `cargo lambda watch` answers
/// them with its own 500 before any function runs, so the contract hook escapes them there; this is the
/// function's own answer, as API Gateway would hand it over.
#[tokio::test]
async fn header_values_that_are_not_visible_ascii_are_refused_and_fetch_nothing() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let service = service(&store, &keys);
    let body = report(&["ghp_notours"]);
    let signature = github_signature(ReportSigner::Listed, body.as_bytes());
    for (identifier, signature) in [
        (DEV_KEY_IDENTIFIER, "\u{d7}\u{f8}\u{9b}"),
        ("0", "\u{d7}\u{f8}\u{9b}"),
        ("cl\u{e9}", signature.as_str()),
    ] {
        let answer = send(&service, &body, Some(identifier), Some(signature)).await;
        assert!(answer.status.is_client_error(), "{:?}", answer.body);
        assert!(!answer.code().is_empty());
    }
    assert_eq!(keys.fetches(), 0);
}

#[tokio::test]
async fn a_report_without_either_header_is_refused_naming_it_and_fetches_nothing() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let service = service(&store, &keys);
    let body = report(&["ghp_notours"]);
    let signature = github_signature(ReportSigner::Listed, body.as_bytes());

    let unsigned = send(&service, &body, Some(DEV_KEY_IDENTIFIER), None).await;
    assert_eq!(unsigned.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unsigned.code(), "invalid_signature");
    assert_eq!(unsigned.param(), Some("Github-Public-Key-Signature"));

    let unnamed = send(&service, &body, None, Some(&signature)).await;
    assert_eq!(unnamed.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unnamed.code(), "invalid_signature");
    assert_eq!(unnamed.param(), Some("Github-Public-Key-Identifier"));

    let garbled = send(
        &service,
        &body,
        Some(DEV_KEY_IDENTIFIER),
        Some("bm90IERFUg=="),
    )
    .await;
    assert_eq!(garbled.status, StatusCode::UNAUTHORIZED);
    assert_eq!(garbled.code(), "invalid_signature");
    assert_eq!(keys.fetches(), 0);
}

#[tokio::test]
async fn an_unknown_identifier_is_refused_after_exactly_one_refetch() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let service = service(&store, &keys);
    let body = report(&["ghp_notours"]);
    let signature = github_signature(ReportSigner::Listed, body.as_bytes());

    let first = send(&service, &body, Some("rotated-in-key"), Some(&signature)).await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    assert_eq!(first.code(), "unknown_key_identifier");
    assert_eq!(first.param(), Some("Github-Public-Key-Identifier"));
    assert_eq!(keys.fetches(), 1, "fetched for the unknown identifier");

    let second = send(&service, &body, Some("another-key"), Some(&signature)).await;
    assert_eq!(second.code(), "unknown_key_identifier");
    assert_eq!(keys.fetches(), 1, "no second fetch within the minute");
    assert_eq!(
        send_signed(&service, &body).await.status,
        StatusCode::OK,
        "the listed key verifies from the cache"
    );
    assert_eq!(keys.fetches(), 1);

    // A minute on, an unknown identifier is worth one fetch again (GitHub may have rotated a key in).
    let later = std::time::Instant::now() + secret_scanning::REFETCH_INTERVAL;
    let refetched = service.keys.key("rotated-in-key", later).await;
    assert_eq!(
        refetched.map(|_| ()),
        Err(secret_scanning::KeysError::UnknownIdentifier)
    );
    assert_eq!(keys.fetches(), 2, "exactly one refetch");
}

#[tokio::test]
async fn an_unreachable_keys_document_is_a_503_and_nothing_done() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let service = service_at(&store, &format!("http://127.0.0.1:{port}/keys"));
    let answer = send_signed(&service, &report(&[&org.admin_key])).await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(answer.code(), "service_unavailable");
    assert_eq!(
        account_answer(&store, &org.admin_key).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_signed_body_that_is_not_a_report_is_a_400() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let service = service(&store, &keys);
    for body in [r#"{"token": "ghp_x", "type": "t"}"#, r#"[{"type": "t"}]"#] {
        let answer = send_signed(&service, body).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.code(), "invalid_report", "{body}");
    }
}

#[tokio::test]
async fn a_report_over_one_mebibyte_is_a_413_before_any_fetch() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let token = "x".repeat(secret_scanning::MAX_REPORT_BYTES);
    let answer = send_signed(&service(&store, &keys), &report(&[&token])).await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.code(), "payload_too_large");
    assert_eq!(keys.fetches(), 0);
}

#[tokio::test]
async fn a_signed_report_revokes_a_live_key_and_a_test_key_and_answers_true_positive() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let org = sign_up(&store).await;
    let (live, _) = create_key(&store, &org.admin_key, json!({"name": "Leaked live"})).await;
    let (test, _) = create_key(
        &store,
        &org.admin_key,
        json!({"name": "Leaked test", "environment": "test"}),
    )
    .await;

    let answer = send_signed(
        &service(&store, &keys),
        &report(&[&live, "ghp_notours", &test]),
    )
    .await;

    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    assert_eq!(
        labels(&answer),
        ["true_positive", "false_positive", "true_positive"]
    );
    for key in [&live, &test] {
        let denied = account_answer(&store, key).await;
        assert_eq!(denied.status, StatusCode::UNAUTHORIZED);
        assert_eq!(denied.code(), "revoked_api_key");
    }
    assert_eq!(
        account_answer(&store, &org.admin_key).await.status,
        StatusCode::OK,
        "a key not reported stays"
    );
}

#[tokio::test]
async fn a_leaked_last_admin_key_is_revoked_all_the_same() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let org = sign_up(&store).await;
    let answer = send_signed(&service(&store, &keys), &report(&[&org.admin_key])).await;
    assert_eq!(labels(&answer), ["true_positive"]);
    assert_eq!(
        account_answer(&store, &org.admin_key).await.code(),
        "revoked_api_key"
    );
}

#[tokio::test]
async fn a_repeated_report_keeps_the_key_revoked_with_one_event() {
    let store = fresh_store().await;
    let keys = GithubKeysStandIn::start().await;
    let service = service(&store, &keys);
    let org = sign_up(&store).await;
    let (live, _) = create_key(&store, &org.admin_key, json!({"name": "Leaked"})).await;
    let body = report(&[&live]);

    let first = send_signed(&service, &body).await;
    let items_after_first = service_tests::count_items(&store).await;
    let second = send_signed(&service, &body).await;

    assert_eq!(labels(&first), ["true_positive"]);
    assert_eq!(
        labels(&second),
        ["true_positive"],
        "still ours, still leaked"
    );
    assert_eq!(
        account_answer(&store, &live).await.code(),
        "revoked_api_key"
    );
    // The repeat wrote no item, and the activity log has one `api_key.leaked` event.
    assert_eq!(service_tests::count_items(&store).await, items_after_first);
    let log = service_tests::call(
        lambda_http::http::Method::GET,
        "/v1/account/events?type=api_key.leaked",
    )
    .bearer(&org.admin_key)
    .send(&store)
    .await;
    assert_eq!(
        log.data().as_array().map(Vec::len),
        Some(1),
        "{:?}",
        log.body
    );
}
