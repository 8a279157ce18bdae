//! Any bytes as the body of POST /v1/signup and POST /v1/account/api-keys, under each Content-Type the
//! service distinguishes, through parsing and the domain's value checks: never a panic, and every refusal
//! is a 4xx.
#![no_main]

use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;

const CONTENT_TYPES: [Option<&str>; 5] = [
    None,
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("application/merge-patch+json; charset=utf-8"),
    Some("text/plain"),
];

fn request(content_type: Option<&str>, body: &[u8]) -> Request {
    let mut builder = lambda_http::http::Request::builder().method("POST").uri("/v1/signup");
    if let Some(content_type) = content_type {
        builder = builder.header("content-type", content_type);
    }
    let body = match std::str::from_utf8(body) {
        Ok(text) => Body::Text(text.to_owned()),
        Err(_) => Body::Binary(body.to_vec()),
    };
    builder.body(body).expect("a request with a constant method and uri")
}

fuzz_target!(|data: &[u8]| {
    let Some((selector, body)) = data.split_first() else { return };
    let request = request(CONTENT_TYPES[usize::from(*selector) % CONTENT_TYPES.len()], body);
    match signup::parse_signup(&request) {
        Ok(input) => {
            let _ = accounts::validate::name("name", &input.name);
            let _ = accounts::validate::email(&input.email);
        }
        Err(err) => assert!(err.status.is_client_error(), "{err}"),
    }
    match api_keys::parse_new_key(&request) {
        Ok(input) => {
            if let Some(name) = input.name {
                let _ = accounts::validate::name("name", &name);
            }
            if let Some(scopes) = input.scopes {
                let _ = auth::Scopes::parse(&scopes);
            }
            if let Some(days) = input.expires_in_days {
                let _ = accounts::validate::expires_in_days(days);
            }
        }
        Err(err) => assert!(err.status.is_client_error(), "{err}"),
    }
});
