use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, count_items, create_key, fresh_store, sign_up};

#[tokio::test]
async fn health_answers_ok_without_a_key() {
    let store = fresh_store().await;
    let answer = call(Method::GET, "/health").send(&store).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body["success"], true);
    assert_eq!(answer.data()["status"], "ok");
}

#[tokio::test]
async fn post_on_health_is_a_405_allowing_get() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/health").send(&store).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "GET, HEAD, OPTIONS");
    assert_eq!(answer.body["success"], false);
}

#[tokio::test]
async fn an_unknown_path_is_a_json_404() {
    let store = fresh_store().await;
    for path in [
        "/nope",
        "/v1/account/",
        "/v1",
        "/v1/account/api-keys/key_1/extra",
    ] {
        let answer = call(Method::GET, path).send(&store).await;
        assert_eq!(answer.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(answer.code(), "not_found", "{path}");
        assert_eq!(answer.body["success"], false);
    }
}

#[tokio::test]
async fn every_response_carries_the_request_id() {
    let store = fresh_store().await;
    for answer in [
        call(Method::GET, "/health").send(&store).await,
        call(Method::GET, "/v1/account").send(&store).await,
        call(Method::GET, "/nope").send(&store).await,
    ] {
        assert_eq!(answer.headers["x-request-id"], "test-request-id");
        assert_eq!(answer.headers["content-type"], "application/json");
    }
}

#[tokio::test]
async fn errors_have_code_message_and_param() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": "x"}))
        .send(&store)
        .await;
    assert_eq!(answer.body["success"], false);
    assert_eq!(answer.body["error"]["code"], "missing_field");
    assert!(answer.body["error"]["message"]
        .as_str()
        .is_some_and(|m| !m.is_empty()));
    assert_eq!(answer.body["error"]["param"], "email");
}

#[tokio::test]
async fn malformed_json_is_a_400_invalid_json() {
    let store = fresh_store().await;
    for body in [r#"{"name": "x""#, "{name: x}", r#"{"name": "x",}"#, "nul"] {
        let answer = call(Method::POST, "/v1/signup")
            .header("content-type", "application/json")
            .raw_body(body)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.code(), "invalid_json", "{body}");
    }
}

#[tokio::test]
async fn a_key_body_naming_scopes_twice_is_a_400_and_creates_no_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .header("content-type", "application/json")
        .raw_body(r#"{"scopes":["admin"],"scopes":["read"]}"#)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.code(), "invalid_json");
    assert_eq!(answer.param(), Some("/scopes"));
    let listed = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(
        listed.data().as_array().map(Vec::len),
        Some(1),
        "only the signup's key"
    );
}

#[tokio::test]
async fn a_signup_body_naming_a_member_twice_is_a_400_naming_its_pointer() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .header("content-type", "application/json")
        .raw_body(r#"{"name":"A","email":"a@example.com","email":"b@example.com"}"#)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
    assert_eq!(answer.code(), "invalid_json");
    assert_eq!(answer.param(), Some("/email"));
    assert_eq!(count_items(&store).await, 0, "nothing written");
}

#[tokio::test]
async fn a_patch_body_with_a_duplicate_member_at_any_depth_is_a_400_naming_its_pointer() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = create_key(&store, &org.admin_key, json!({"name": "Old"})).await;
    for (body, pointer) in [
        (r#"{"name":"New","name":"Newer"}"#, "/name"),
        (r#"{"name":"New","scopes":[{"a":1,"a":2}]}"#, "/scopes/0/a"),
    ] {
        let answer = call(Method::PATCH, &format!("/v1/account/api-keys/{key_id}"))
            .bearer(&org.admin_key)
            .header("content-type", "application/json")
            .raw_body(body)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{}", answer.body);
        assert_eq!(answer.code(), "invalid_json", "{body}");
        assert_eq!(answer.param(), Some(pointer), "{body}");
    }
    let listed = call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let names: Vec<&str> = listed.data().as_array().map_or(Vec::new(), |keys| {
        keys.iter().filter_map(|key| key["name"].as_str()).collect()
    });
    assert!(names.contains(&"Old"), "unchanged: {names:?}");
}

#[tokio::test]
async fn a_json_body_that_is_not_an_object_is_a_400_invalid_body() {
    let store = fresh_store().await;
    for body in ["[]", "\"name\"", "42", "null"] {
        let answer = call(Method::POST, "/v1/signup")
            .header("content-type", "application/json")
            .raw_body(body)
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(answer.code(), "invalid_body", "{body}");
    }
}

#[tokio::test]
async fn deeply_nested_json_is_a_400_invalid_json() {
    let store = fresh_store().await;
    let body = format!("{{\"name\":{}{}}}", "[".repeat(2000), "]".repeat(2000));
    let answer = call(Method::POST, "/v1/signup")
        .header("content-type", "application/json")
        .raw_body(body)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_json");
}

#[tokio::test]
async fn invalid_utf8_is_a_400_invalid_json() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .header("content-type", "application/json")
        .bytes(vec![b'{', b'"', 0xff, 0xfe, b'"', b'}'])
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_json");
}

#[tokio::test]
async fn a_body_over_16_kib_is_a_413() {
    let store = fresh_store().await;
    let body = json!({"name": "x".repeat(17 * 1024), "email": "a@example.com"}).to_string();
    let answer = call(Method::POST, "/v1/signup")
        .header("content-type", "application/json")
        .raw_body(body)
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(answer.code(), "payload_too_large");
    assert_eq!(count_items(&store).await, 0);
}

#[tokio::test]
async fn a_non_json_content_type_is_a_415() {
    let store = fresh_store().await;
    for (content_type, body) in [
        ("text/plain", r#"{"name": "x", "email": "a@example.com"}"#),
        (
            "application/x-www-form-urlencoded",
            "name=x&email=a%40example.com",
        ),
        ("application/xml", "<signup/>"),
    ] {
        let answer = call(Method::POST, "/v1/signup")
            .header("content-type", content_type)
            .raw_body(body)
            .send(&store)
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{content_type}"
        );
        assert_eq!(answer.code(), "unsupported_media_type");
    }
}

#[tokio::test]
async fn json_with_a_charset_is_accepted() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .header("content-type", "application/json; charset=utf-8")
        .raw_body(json!({"name": "My Company", "email": service_tests::unique_email()}).to_string())
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
}

#[tokio::test]
async fn authentication_comes_before_body_validation() {
    let store = fresh_store().await;
    sign_up(&store).await;
    let answer = call(Method::POST, "/v1/account/api-keys")
        .header("content-type", "application/json")
        .raw_body("{not json")
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn head_is_answered_wherever_get_is_with_the_same_status_and_headers_and_no_body() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for (path, key) in [
        ("/health", None),
        ("/v1/account", Some(org.admin_key.as_str())),
        ("/v1/account/usage", Some(org.admin_key.as_str())),
        ("/v1/account/api-keys", Some(org.admin_key.as_str())),
    ] {
        let with = |method| {
            let request = call(method, path);
            match key {
                Some(key) => request.bearer(key),
                None => request,
            }
        };
        let get = with(Method::GET).send(&store).await;
        let head = with(Method::HEAD).send(&store).await;
        assert_eq!(head.status, get.status, "{path}");
        assert_eq!(
            head.headers.get("content-type"),
            get.headers.get("content-type"),
            "{path}"
        );
        assert_eq!(head.body, serde_json::Value::Null, "{path}: no body");
    }
}

#[tokio::test]
async fn head_states_the_content_length_get_sends() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for (path, key) in [
        ("/health", None),
        ("/v1/account", Some(org.admin_key.as_str())),
        ("/v1/account/api-keys", Some(org.admin_key.as_str())),
        ("/dashboard", None),
    ] {
        let with = |method| {
            let request = call(method, path);
            match key {
                Some(key) => request.bearer(key),
                None => request,
            }
        };
        let get = with(Method::GET).respond(&store).await;
        let head = with(Method::HEAD).respond(&store).await;
        assert_eq!(get.status(), StatusCode::OK, "{path}");
        let get_length = get.body().as_ref().len();
        assert!(get_length > 0, "{path}");
        assert!(
            head.body().as_ref().is_empty(),
            "{path}: HEAD sends no body"
        );
        assert_eq!(
            head.headers()
                .get("content-length")
                .and_then(|value| value.to_str().ok()),
            Some(get_length.to_string().as_str()),
            "{path}: HEAD's Content-Length is GET's body length"
        );
    }
}

#[tokio::test]
async fn head_on_a_route_without_get_is_a_405() {
    let store = fresh_store().await;
    let answer = call(Method::HEAD, "/v1/signup").send(&store).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.headers["allow"], "POST, OPTIONS");
}

#[tokio::test]
async fn options_is_a_204_with_the_routes_allow_and_no_cors_headers_on_every_route() {
    let store = fresh_store().await;
    for (path, allow) in [
        ("/health", "GET, HEAD, OPTIONS"),
        ("/v1/signup", "POST, OPTIONS"),
        ("/v1/account", "GET, HEAD, OPTIONS"),
        ("/v1/account/api-keys", "GET, HEAD, POST, OPTIONS"),
        ("/v1/account/api-keys/key_1", "PATCH, DELETE, OPTIONS"),
        ("/v1/account/api-keys/key_1/roll", "POST, OPTIONS"),
        ("/dashboard", "GET, HEAD, OPTIONS"),
    ] {
        let answer = call(Method::OPTIONS, path).send(&store).await;
        assert_eq!(answer.status, StatusCode::NO_CONTENT, "{path}");
        assert_eq!(answer.headers["allow"], allow, "{path}");
        assert!(
            !answer
                .headers
                .keys()
                .any(|name| name.as_str().starts_with("access-control-")),
            "{path}"
        );
    }
}
