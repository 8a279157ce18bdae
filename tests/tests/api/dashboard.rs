//! `GET /dashboard` and its assets: served by the stack itself, with a strict Content-Security-Policy.

use lambda_http::http::{Method, StatusCode};
use service_tests::{call, fresh_store};

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_a_strict_csp_and_no_framing() {
    for (path, media_type) in [
        ("/dashboard", "text/html"),
        ("/dashboard/app.js", "text/javascript"),
        ("/dashboard/style.css", "text/css"),
    ] {
        let request = call(Method::GET, path).build();
        let response = dashboard::handle(http_envelope::HttpConfig::default(), request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(header("content-type").starts_with(media_type), "{path}");
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(header("x-frame-options"), "DENY");
    }
}

#[test]
fn the_page_loads_no_inline_script_and_nothing_from_another_origin() {
    let page = include_str!("../../../functions/dashboard/assets/index.html");
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script src=").count(),
        "no inline script"
    );
    assert!(!page.contains(" style=\""), "no inline style");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no other origin"
    );
    let inline_handler = page.match_indices(" on").find(|(at, _)| {
        let rest = &page[at + " on".len()..];
        let event_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        event_len > 0 && rest[event_len..].starts_with('=')
    });
    assert_eq!(inline_handler, None, "no inline handler");
}

#[tokio::test]
async fn an_unknown_asset_is_our_json_404_and_post_a_405() {
    let store = fresh_store().await;
    let missing = call(Method::GET, "/dashboard/secrets.txt")
        .send(&store)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
    let post = call(Method::POST, "/dashboard").send(&store).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers["allow"], "GET, HEAD, OPTIONS");
}

#[tokio::test]
async fn head_on_the_page_has_its_headers_and_no_body() {
    let response = dashboard::handle(
        http_envelope::HttpConfig::default(),
        call(Method::HEAD, "/dashboard").build(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("content-security-policy"));
    assert!(response.body().is_empty());
}
