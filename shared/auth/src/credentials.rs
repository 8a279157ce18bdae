//! Finding the key a request presents: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

use lambda_http::http::header::AUTHORIZATION;
use lambda_http::http::HeaderMap;

use crate::{ApiKeySecret, AuthError};

/// The key the request presents, well-formed.
///
/// The `Bearer` scheme is matched case-insensitively (RFC 9110); whitespace around the key is not part of
/// it. A request that presents two different keys is refused rather than guessed at.
pub fn presented_key(headers: &HeaderMap) -> Result<ApiKeySecret, AuthError> {
    let mut presented: Vec<&str> = Vec::new();
    for value in headers.get_all(AUTHORIZATION) {
        let text = value.to_str().map_err(|_| AuthError::MalformedKey)?.trim();
        let (scheme, token) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
        if !scheme.eq_ignore_ascii_case("bearer") {
            return Err(AuthError::MalformedAuthorization);
        }
        presented.push(token.trim());
    }
    for value in headers.get_all("x-api-key") {
        presented.push(value.to_str().map_err(|_| AuthError::MalformedKey)?.trim());
    }
    let Some(first) = presented.first() else {
        return Err(AuthError::MissingKey);
    };
    if presented.iter().any(|other| other != first) {
        return Err(AuthError::ConflictingKeys);
    }
    ApiKeySecret::parse(first).ok_or(AuthError::MalformedKey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use lambda_http::http::HeaderValue;

    const KEY: &str = "mem_live_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q72EnBoh";
    const OTHER: &str = "mem_live_zzzzc3d4e5f6g7h8i9j0k1l2m3n4o5p6q73Ag4GI";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("header value"));
        }
        map
    }

    #[test]
    fn bearer_header_is_accepted() {
        let key = presented_key(&headers(&[("authorization", &format!("Bearer {KEY}"))]));
        assert_eq!(key.expect("accepted").expose(), KEY);
    }

    #[test]
    fn x_api_key_header_is_accepted() {
        let key = presented_key(&headers(&[("x-api-key", KEY)]));
        assert_eq!(key.expect("accepted").expose(), KEY);
    }

    #[test]
    fn bearer_scheme_is_case_insensitive() {
        for scheme in ["bearer", "BEARER", "bEaReR"] {
            let key = presented_key(&headers(&[("authorization", &format!("{scheme} {KEY}"))]));
            assert!(key.is_ok(), "{scheme}");
        }
    }

    #[test]
    fn both_headers_with_the_same_key_are_accepted() {
        let key = presented_key(&headers(&[
            ("authorization", &format!("Bearer {KEY}")),
            ("x-api-key", KEY),
        ]));
        assert!(key.is_ok());
    }

    #[test]
    fn both_headers_disagreeing_is_a_conflict() {
        let key = presented_key(&headers(&[
            ("authorization", &format!("Bearer {KEY}")),
            ("x-api-key", OTHER),
        ]));
        assert!(matches!(key, Err(AuthError::ConflictingKeys)));
    }

    #[test]
    fn no_header_is_a_missing_key() {
        assert!(matches!(
            presented_key(&HeaderMap::new()),
            Err(AuthError::MissingKey)
        ));
    }

    #[test]
    fn other_schemes_are_refused() {
        let key = presented_key(&headers(&[("authorization", &format!("Basic {KEY}"))]));
        assert!(matches!(key, Err(AuthError::MalformedAuthorization)));
    }

    #[test]
    fn bearer_without_a_key_is_malformed() {
        let key = presented_key(&headers(&[("authorization", "Bearer")]));
        assert!(matches!(key, Err(AuthError::MalformedKey)));
    }

    #[test]
    fn whitespace_around_the_key_is_ignored() {
        let key = presented_key(&headers(&[("authorization", &format!("Bearer   {KEY}  "))]));
        assert!(key.is_ok());
    }
}
