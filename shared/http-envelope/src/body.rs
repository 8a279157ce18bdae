//! Reading a request body as a JSON object, with the errors a client can act on.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request};
use serde_json::{Map, Value};

use crate::ApiError;

/// The largest body accepted (16 KiB): every request of this API is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The body as a JSON object; an empty body is an empty object (every field takes its default).
///
/// JSON is read when the `Content-Type` is absent, `application/json` (or `+json`), or
/// `application/x-www-form-urlencoded` with a body that is a JSON object: that is what `curl -d '{...}'`
/// sends when no `Content-Type` is given, as the API's own examples do. Anything else is a 415.
pub fn json_object(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes: &[u8] = match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    };
    if bytes.len() > MAX_BODY_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            format!("The request body is larger than {MAX_BODY_BYTES} bytes."),
        ));
    }
    let media_type = media_type(request)?;
    let looks_like_json_object = bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{');
    match media_type.as_deref() {
        None => {}
        Some("application/json") => {}
        Some(other) if other.starts_with("application/") && other.ends_with("+json") => {}
        Some("application/x-www-form-urlencoded") if looks_like_json_object || bytes.is_empty() => {}
        Some(other) => {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!(
                    "Content-Type {other} is not supported: send a JSON object with Content-Type: application/json."
                ),
            ))
        }
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            "The request body is not valid UTF-8.",
        )
    })?;
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "The request body must be a JSON object.",
        )),
        Err(err) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!(
                "The request body is not valid JSON: {} at line {}, column {}.",
                json_error_kind(&err),
                err.line(),
                err.column()
            ),
        )),
    }
}

/// The lowercase media type without parameters, or `None` when no Content-Type was sent.
fn media_type(request: &Request) -> Result<Option<String>, ApiError> {
    let Some(value) = request.headers().get(header::CONTENT_TYPE) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| {
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "The Content-Type header is not readable: send Content-Type: application/json.",
        )
    })?;
    let essence = text.split(';').next().unwrap_or_default().trim();
    if essence.is_empty() {
        return Ok(None);
    }
    Ok(Some(essence.to_ascii_lowercase()))
}

/// serde_json's category in words, without echoing any of the body back.
fn json_error_kind(err: &serde_json::Error) -> &'static str {
    use serde_json::error::Category;
    match err.classify() {
        Category::Eof => "it ends early",
        Category::Syntax => {
            if err.to_string().contains("recursion limit") {
                "it is nested too deeply"
            } else {
                "syntax error"
            }
        }
        Category::Data | Category::Io => "it cannot be read",
    }
}
