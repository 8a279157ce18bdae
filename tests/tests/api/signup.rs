use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, count_items, fresh_store, unique_email};

#[tokio::test]
async fn signup_creates_the_organisation_and_a_live_admin_key_shown_once() {
    let store = fresh_store().await;
    let email = unique_email();
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": "My Company", "email": email}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.body["success"], true);
    let account = &answer.data()["account"];
    assert!(account["org_id"]
        .as_str()
        .unwrap_or_default()
        .starts_with("org_"));
    assert_eq!(account["name"], "My Company");
    assert_eq!(account["email"], email.as_str());
    assert_eq!(
        account["plan"],
        json!({"id": "free", "name": "Free", "base_price_cents": 0})
    );
    assert_eq!(account["is_active"], true);
    assert!(account["created_at"]
        .as_str()
        .unwrap_or_default()
        .ends_with('Z'));
    let key = &answer.data()["api_key"];
    let full = key["key"].as_str().unwrap_or_default();
    assert!(full.starts_with("mem_live_") && full.len() >= "mem_live_".len() + 32);
    assert_eq!(key["key_prefix"], format!("{}...", &full[..15]));
    assert_eq!(key["environment"], "live");
    assert_eq!(key["scopes"], json!(["read", "write", "delete", "admin"]));
    assert_eq!(key["name"], "Default Key");
    assert_eq!(key["expires_at"], serde_json::Value::Null);
}

#[tokio::test]
async fn signup_with_the_starter_plan_shows_its_price() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": "My Company", "email": unique_email(), "plan_id": "starter"}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        answer.data()["account"]["plan"],
        json!({"id": "starter", "name": "Starter", "base_price_cents": 4900})
    );
}

#[tokio::test]
async fn signup_with_an_unknown_plan_is_a_400_naming_plan_id() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": "My Company", "email": unique_email(), "plan_id": "platinum"}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_value");
    assert_eq!(answer.param(), Some("plan_id"));
    assert_eq!(count_items(&store).await, 0);
}

#[tokio::test]
async fn a_second_signup_with_the_same_email_in_another_case_is_a_409_and_writes_nothing() {
    let store = fresh_store().await;
    let first = call(Method::POST, "/v1/signup")
        .json(json!({"name": "First", "email": "Admin@MyCompany.com"}))
        .send(&store)
        .await;
    assert_eq!(first.status, StatusCode::CREATED);
    let items_after_first = count_items(&store).await;
    let second = call(Method::POST, "/v1/signup")
        .json(json!({"name": "Second", "email": "admin@mycompany.COM"}))
        .send(&store)
        .await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.code(), "email_already_registered");
    assert_eq!(second.param(), Some("email"));
    assert_eq!(count_items(&store).await, items_after_first);
}

#[tokio::test]
async fn signup_writes_exactly_the_organisation_its_email_its_key_and_its_event() {
    let store = fresh_store().await;
    service_tests::sign_up(&store).await;
    assert_eq!(count_items(&store).await, 4);
}

#[tokio::test]
async fn signup_without_name_is_a_400_missing_field() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"email": unique_email()}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "missing_field");
    assert_eq!(answer.param(), Some("name"));
}

#[tokio::test]
async fn signup_without_email_is_a_400_missing_field() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": "My Company"}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "missing_field");
    assert_eq!(answer.param(), Some("email"));
}

#[tokio::test]
async fn signup_with_an_invalid_email_is_a_400_naming_email() {
    let store = fresh_store().await;
    for email in [
        "not-an-email",
        "a@b",
        "two@@example.com",
        "sp ace@example.com",
        "ctl\u{1}@example.com",
    ] {
        let answer = call(Method::POST, "/v1/signup")
            .json(json!({"name": "My Company", "email": email}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{email:?}");
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some("email"));
    }
    assert_eq!(count_items(&store).await, 0);
}

#[tokio::test]
async fn signup_with_an_empty_or_over_long_name_is_a_400_naming_name() {
    let store = fresh_store().await;
    for name in [String::new(), "   ".to_owned(), "x".repeat(101)] {
        let answer = call(Method::POST, "/v1/signup")
            .json(json!({"name": name, "email": unique_email()}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST);
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some("name"));
    }
}

#[tokio::test]
async fn signup_keeps_a_unicode_name_intact() {
    let store = fresh_store().await;
    let name = "Société Ünïcødé 東京 🚀";
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": name, "email": unique_email()}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(answer.data()["account"]["name"], name);
}

#[tokio::test]
async fn signup_with_an_unknown_field_is_a_400_naming_it() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": "My Company", "email": unique_email(), "plan": "starter"}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "unknown_field");
    assert_eq!(answer.param(), Some("plan"));
}

#[tokio::test]
async fn signup_with_a_wrong_type_is_a_400_invalid_type() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .json(json!({"name": 42, "email": unique_email()}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_type");
    assert_eq!(answer.param(), Some("name"));
}

#[tokio::test]
async fn signup_needs_no_authentication_and_ignores_a_bad_key() {
    let store = fresh_store().await;
    let answer = call(Method::POST, "/v1/signup")
        .bearer("not-a-key")
        .json(json!({"name": "My Company", "email": unique_email()}))
        .send(&store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED);
}

#[tokio::test]
async fn get_on_signup_is_a_405_allowing_post() {
    let store = fresh_store().await;
    let answer = call(Method::GET, "/v1/signup").send(&store).await;
    assert_eq!(answer.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(answer.code(), "method_not_allowed");
    assert_eq!(answer.headers["allow"], "POST, OPTIONS");
}

/// A bidi override (U+202E) or isolate (U+2066) would make the organisation's name show as another.
#[tokio::test]
async fn a_signup_name_with_a_bidi_override_or_isolate_is_refused_400_invalid_value() {
    let store = fresh_store().await;
    for (name, code_point) in [
        ("\u{202E}ynapmoC yM", "U+202E"),
        ("My \u{2066}Company", "U+2066"),
    ] {
        let answer = call(Method::POST, "/v1/signup")
            .json(json!({"name": name, "email": unique_email()}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{code_point}");
        assert_eq!(answer.code(), "invalid_value");
        assert_eq!(answer.param(), Some("name"));
        let message = answer.body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with(code_point), "{message}");
    }
    assert_eq!(count_items(&store).await, 0);
}

/// ZWJ and ZWNJ are not disguises: emoji sequences and scripts such as Persian need them.
#[tokio::test]
async fn a_signup_name_with_a_zwj_emoji_or_a_zwnj_persian_word_is_kept_intact() {
    let store = fresh_store().await;
    for name in [
        "Dev \u{1F469}\u{200D}\u{1F4BB}",
        "\u{645}\u{6CC}\u{200C}\u{62E}\u{648}\u{627}\u{647}\u{645}",
    ] {
        let answer = call(Method::POST, "/v1/signup")
            .json(json!({"name": name, "email": unique_email()}))
            .send(&store)
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
        assert_eq!(answer.data()["account"]["name"], name);
    }
}

async fn signup_as(store: &store::Store, email: &str) -> service_tests::Answer {
    call(Method::POST, "/v1/signup")
        .json(json!({"name": "Look-alike", "email": email}))
        .send(store)
        .await
}

#[tokio::test]
async fn a_fullwidth_look_alike_of_a_registered_email_is_a_409() {
    let store = fresh_store().await;
    let first = signup_as(&store, "admin@example.com").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let items_after_first = count_items(&store).await;
    for look_alike in ["\u{FF41}dmin@example.com", "admin@\u{FF25}XAMPLE.com"] {
        let second = signup_as(&store, look_alike).await;
        assert_eq!(second.status, StatusCode::CONFLICT, "{look_alike}");
        assert_eq!(second.code(), "email_already_registered");
    }
    assert_eq!(
        count_items(&store).await,
        items_after_first,
        "nothing written"
    );
}

#[tokio::test]
async fn strasse_and_strasse_with_sharp_s_are_one_email() {
    let store = fresh_store().await;
    let first = signup_as(&store, "Straße@example.com").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let second = signup_as(&store, "strasse@example.com").await;
    assert_eq!(second.status, StatusCode::CONFLICT);
    assert_eq!(second.code(), "email_already_registered");
}

#[tokio::test]
async fn an_email_whose_domain_uts46_refuses_is_a_400_naming_email() {
    let store = fresh_store().await;
    for email in ["owner@xn--a.com", "owner@ab--cd.com"] {
        let answer = signup_as(&store, email).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{email}");
        assert_eq!(answer.code(), "invalid_value", "{email}");
        assert_eq!(answer.param(), Some("email"), "{email}");
    }
    assert_eq!(count_items(&store).await, 0);
}

#[tokio::test]
async fn the_account_shows_the_email_as_typed() {
    let store = fresh_store().await;
    let typed = "Straße.Ｏwner@Bücher.example";
    let answer = signup_as(&store, typed).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.data()["account"]["email"], typed);
    let key = answer.data()["api_key"]["key"].as_str().unwrap_or_default();
    let account = call(Method::GET, "/v1/account")
        .bearer(key)
        .send(&store)
        .await;
    assert_eq!(account.status, StatusCode::OK);
    assert_eq!(account.data()["email"], typed);
}
