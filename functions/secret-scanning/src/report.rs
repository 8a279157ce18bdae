//! The report GitHub sends: a JSON array of `{"token", "type", "url", "source"}`, read only after its
//! signature verified. Members GitHub may add later are ignored (the signature already proves the sender;
//! refusing them would lose real reports); a member given twice in one item is refused.

use accounts::ReportedToken;
use serde::Deserialize;

/// The largest report accepted (1 MiB): one request may carry many tokens; every other route takes 16 KiB.
pub const MAX_REPORT_BYTES: usize = 1024 * 1024;

/// The most tokens one report may carry: each is one index read, and the report is answered inside the
/// request deadline.
pub const MAX_REPORT_TOKENS: usize = 1_000;

/// Why a report is refused. No variant holds any of the body's text: a token is never echoed.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ReportError {
    #[error("the report is larger than {MAX_REPORT_BYTES} bytes")]
    TooLarge,
    #[error("the report carries more than {MAX_REPORT_TOKENS} tokens")]
    TooManyTokens,
    #[error("the report is not a JSON array")]
    NotAnArray,
    /// Not JSON, or an item that is not an object with string `token` and `type` (and, when present,
    /// string or null `url` and `source`).
    #[error("the report is not an array of {{token, type, url, source}} objects: {kind} at line {line}, column {column}")]
    Malformed {
        kind: &'static str,
        line: usize,
        column: usize,
    },
}

#[derive(Deserialize)]
struct Item {
    token: String,
    #[serde(rename = "type")]
    token_type: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    source: Option<String>,
}

/// The report's tokens, in the order sent; `[]` is a report of none.
pub fn parse_report(body: &[u8]) -> Result<Vec<ReportedToken>, ReportError> {
    if body.len() > MAX_REPORT_BYTES {
        return Err(ReportError::TooLarge);
    }
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'[') {
        return Err(ReportError::NotAnArray);
    }
    let items: Vec<Item> = serde_json::from_slice(body).map_err(|err| ReportError::Malformed {
        kind: match err.classify() {
            serde_json::error::Category::Eof => "it ends early",
            serde_json::error::Category::Syntax => "syntax error",
            serde_json::error::Category::Data | serde_json::error::Category::Io => {
                "an item lacks a string `token` or `type`, or has a member of the wrong type or twice"
            }
        },
        line: err.line(),
        column: err.column(),
    })?;
    if items.len() > MAX_REPORT_TOKENS {
        return Err(ReportError::TooManyTokens);
    }
    Ok(items
        .into_iter()
        .map(|item| ReportedToken {
            token: item.token,
            token_type: item.token_type,
            url: item.url,
            source: item.source,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_report_gives_its_tokens_in_order() {
        let body = br#"[
            {"token": "mem_live_a", "type": "memory_api_key", "url": "https://github.com/o/r/blob/main/.env", "source": "commit"},
            {"token": "mem_test_b", "type": "memory_api_key", "url": null, "future_member": 1}
        ]"#;
        let tokens = parse_report(body).expect("parsed");
        assert_eq!(tokens.len(), 2);
        assert_eq!(
            (tokens[0].token.as_str(), tokens[0].token_type.as_str()),
            ("mem_live_a", "memory_api_key")
        );
        assert_eq!(
            tokens[0].url.as_deref(),
            Some("https://github.com/o/r/blob/main/.env")
        );
        assert_eq!(tokens[0].source.as_deref(), Some("commit"));
        assert_eq!(tokens[1].token, "mem_test_b");
        assert_eq!(
            (tokens[1].url.as_deref(), tokens[1].source.as_deref()),
            (None, None)
        );
        assert!(parse_report(b" [] ").expect("empty").is_empty());
    }

    #[test]
    fn a_body_that_is_not_an_array_is_refused() {
        for body in [
            &br#"{"token": "x", "type": "y"}"#[..],
            b"",
            b"null",
            b"\"[\"",
        ] {
            assert_eq!(
                parse_report(body).map(|_| ()),
                Err(ReportError::NotAnArray),
                "{body:?}"
            );
        }
    }

    #[test]
    fn an_item_without_a_token_or_type_is_refused_without_echoing_the_body() {
        for body in [
            &br#"[{"type": "memory_api_key"}]"#[..],
            br#"[{"token": "mem_live_secret"}]"#,
            br#"[{"token": 5, "type": "memory_api_key"}]"#,
            br#"[{"token": "mem_live_secret", "token": "x", "type": "t"}]"#,
            br#"["mem_live_secret"]"#,
            br#"[{"token": "mem_live_secret", "type": "t"}"#,
        ] {
            let Err(err) = parse_report(body) else {
                panic!("{body:?}: accepted");
            };
            assert!(matches!(err, ReportError::Malformed { .. }), "{err:?}");
            assert!(!err.to_string().contains("mem_live_secret"), "{err}");
        }
    }

    #[test]
    fn a_report_over_the_byte_limit_is_too_large() {
        let token = "x".repeat(MAX_REPORT_BYTES);
        let body = format!(r#"[{{"token": "{token}", "type": "t"}}]"#);
        assert_eq!(
            parse_report(body.as_bytes()).map(|_| ()),
            Err(ReportError::TooLarge)
        );
    }

    #[test]
    fn a_report_of_too_many_tokens_is_refused() {
        let item = r#"{"token": "t", "type": "t"}"#;
        let at_limit = format!("[{}]", vec![item; MAX_REPORT_TOKENS].join(","));
        assert_eq!(
            parse_report(at_limit.as_bytes()).map(|tokens| tokens.len()),
            Ok(MAX_REPORT_TOKENS)
        );
        let over = format!("[{}]", vec![item; MAX_REPORT_TOKENS + 1].join(","));
        assert_eq!(
            parse_report(over.as_bytes()).map(|_| ()),
            Err(ReportError::TooManyTokens)
        );
    }
}
