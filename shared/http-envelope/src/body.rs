//! Reading a request body as a JSON object, with the errors a client can act on.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request};
use std::cell::RefCell;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, Error as _, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};

use crate::ApiError;

/// The largest body accepted (16 KiB): every request of this API is a few hundred bytes.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The request body's bytes as they came: API Gateway's base64-encoded bodies arrive decoded (`Binary`), text
/// bodies as their UTF-8. For a route that reads its body itself (the secret-scanning report, whose signature
/// is over these exact bytes).
pub fn body_bytes(request: &Request) -> &[u8] {
    match request.body() {
        Body::Empty => &[],
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// The body as a JSON object; an empty body is an empty object (every field takes its default).
///
/// JSON is read when the `Content-Type` is absent, `application/json` (or `+json`), or
/// `application/x-www-form-urlencoded` with a body that is a JSON object: that is what `curl -d '{...}'`
/// sends when no `Content-Type` is given, as the API's own examples do. Anything else is a 415.
///
/// A member given twice in one object, at any depth, is a 400 `invalid_json` whose `param` is the member's
/// JSON pointer (`/scopes`, `/a/0/b`): serde_json alone would keep the last one, so
/// `{"scopes":["admin"],"scopes":["read"]}` would silently be a read key.
pub fn json_object(request: &Request) -> Result<Map<String, Value>, ApiError> {
    let bytes = body_bytes(request);
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
    let duplicate = RefCell::new(None);
    let parsed = {
        let mut path = Vec::new();
        let mut deserializer = serde_json::Deserializer::from_str(text);
        WithoutDuplicates {
            path: &mut path,
            duplicate: &duplicate,
        }
        .deserialize(&mut deserializer)
        .and_then(|value| deserializer.end().map(|()| value))
    };
    if let Some(pointer) = duplicate.into_inner() {
        return Err(ApiError::invalid(
            "invalid_json",
            pointer.clone(),
            format!("The member `{pointer}` appears more than once in the request body: send each member once."),
        ));
    }
    match parsed {
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

/// The longest `param` a duplicate member is named by: the pointer is the client's own text.
const MAX_POINTER_CHARS: usize = 200;

/// Reads any JSON value as serde_json's [`Value`], refusing an object that names a member twice: the
/// member's pointer goes to `duplicate` and the parse stops. `path` is the pointer's segments so far.
struct WithoutDuplicates<'p, 'd> {
    path: &'p mut Vec<String>,
    duplicate: &'d RefCell<Option<String>>,
}

impl WithoutDuplicates<'_, '_> {
    /// The JSON pointer (RFC 6901) of `member` in the current object, control characters dropped.
    fn pointer(&self, member: &str) -> String {
        let mut pointer = String::new();
        for segment in self.path.iter().map(String::as_str).chain([member]) {
            pointer.push('/');
            for c in segment.chars().filter(|c| !c.is_control()) {
                match c {
                    '~' => pointer.push_str("~0"),
                    '/' => pointer.push_str("~1"),
                    c => pointer.push(c),
                }
            }
        }
        pointer.chars().take(MAX_POINTER_CHARS).collect()
    }
}

impl<'de> DeserializeSeed<'de> for WithoutDuplicates<'_, '_> {
    type Value = Value;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for WithoutDuplicates<'_, '_> {
    type Value = Value;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("any JSON value")
    }

    fn visit_bool<E>(self, value: bool) -> Result<Value, E> {
        Ok(Value::Bool(value))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Value, E> {
        Ok(Value::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Value, E> {
        Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Value, E> {
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Value, E> {
        Ok(Value::String(value))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Value, A::Error> {
        let mut array = Vec::new();
        loop {
            self.path.push(array.len().to_string());
            let item = items.next_element_seed(WithoutDuplicates {
                path: &mut *self.path,
                duplicate: self.duplicate,
            });
            self.path.pop();
            match item? {
                Some(item) => array.push(item),
                None => return Ok(Value::Array(array)),
            }
        }
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<Value, A::Error> {
        let mut object = Map::new();
        while let Some(name) = members.next_key::<String>()? {
            if object.contains_key(&name) {
                let pointer = self.pointer(&name);
                *self.duplicate.borrow_mut() = Some(pointer);
                return Err(A::Error::custom("duplicate member"));
            }
            self.path.push(name);
            let value = members.next_value_seed(WithoutDuplicates {
                path: &mut *self.path,
                duplicate: self.duplicate,
            });
            let name = self.path.pop().unwrap_or_default();
            object.insert(name, value?);
        }
        Ok(Value::Object(object))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(body: &str) -> Result<Map<String, Value>, ApiError> {
        let request = lambda_http::http::Request::builder()
            .method("POST")
            .uri("/")
            .header("content-type", "application/json")
            .body(Body::Text(body.to_owned()))
            .expect("request");
        json_object(&request)
    }

    fn refused_member(body: &str) -> Option<String> {
        match parsed(body) {
            Err(err) if err.code == "invalid_json" => err.param,
            other => panic!("{body}: expected invalid_json, got {other:?}"),
        }
    }

    #[test]
    fn a_member_given_twice_is_refused_naming_its_pointer() {
        assert_eq!(
            refused_member(r#"{"scopes":["admin"],"scopes":["read"]}"#).as_deref(),
            Some("/scopes")
        );
        assert_eq!(
            refused_member(r#"{"name":"a","name":"a"}"#).as_deref(),
            Some("/name")
        );
    }

    #[test]
    fn a_member_given_twice_in_a_nested_object_is_refused_at_any_depth() {
        assert_eq!(
            refused_member(r#"{"a":{"b":1,"b":2}}"#).as_deref(),
            Some("/a/b")
        );
        assert_eq!(
            refused_member(r#"{"a":[{"x":1},{"c":{"d":[1,{"e":0,"e":0}]}}]}"#).as_deref(),
            Some("/a/1/c/d/1/e")
        );
        assert_eq!(
            refused_member(r#"{"x/y":{"t~":1,"t~":1}}"#).as_deref(),
            Some("/x~1y/t~0")
        );
    }

    #[test]
    fn the_same_name_in_different_objects_is_not_a_duplicate() {
        let body = r#"{"a":{"n":1},"b":{"n":2},"c":[{"n":3},{"n":4}],"n":5}"#;
        let map = parsed(body).expect("accepted");
        assert_eq!(
            Value::Object(map),
            serde_json::from_str::<Value>(body).expect("json")
        );
    }

    #[test]
    fn syntax_errors_and_deep_nesting_are_still_told_apart() {
        let err = parsed(r#"{"a":1,"#).expect_err("refused");
        assert_eq!((err.code, err.param), ("invalid_json", None));
        let deep = format!("{{\"a\":{}1{}}}", "[".repeat(200), "]".repeat(200));
        let err = parsed(&deep).expect_err("refused");
        assert!(err.message.contains("nested too deeply"), "{}", err.message);
        let err = parsed(r#"{"a":1} {"#).expect_err("refused");
        assert_eq!(err.code, "invalid_json");
    }
}
