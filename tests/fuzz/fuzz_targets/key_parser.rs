//! Any bytes as a presented key, in either header: never a panic, and what parses is well-formed.
#![no_main]

use lambda_http::http::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Some(key) = auth::ApiKeySecret::parse(text) {
            assert_eq!(key.expose(), text);
            assert!(text.starts_with("mem_live_") || text.starts_with("mem_test_"));
            assert_eq!(key.hash().len(), 64);
            assert_eq!(key.prefix().len(), auth::KEY_PREFIX_VISIBLE_CHARS + 3);
            assert!(!format!("{key:?}").contains(text));
        }
    }
    let (first, second) = data.split_at(data.len() / 2);
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_bytes(first) {
        headers.insert("authorization", value);
    }
    if let Ok(value) = HeaderValue::from_bytes(second) {
        headers.insert("x-api-key", value);
    }
    if let Ok(key) = auth::presented_key(&headers) {
        assert!(auth::ApiKeySecret::parse(key.expose()).is_some());
    }
});
