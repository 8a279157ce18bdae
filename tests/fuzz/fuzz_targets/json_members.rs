//! Any bytes as a JSON request body through the one body parser every route uses: never a panic, every
//! refusal a 4xx, and no accepted body names a member twice in any object (serde_json alone keeps the last
//! one, so `{"scopes":["admin"],"scopes":["read"]}` would read as a read key).
#![no_main]

use std::fmt;

use lambda_http::{Body, Request};
use libfuzzer_sys::fuzz_target;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

fn request(body: &[u8]) -> Request {
    let body = match std::str::from_utf8(body) {
        Ok(text) => Body::Text(text.to_owned()),
        Err(_) => Body::Binary(body.to_vec()),
    };
    lambda_http::http::Request::builder()
        .method("POST")
        .uri("/v1/account/api-keys")
        .header("content-type", "application/json")
        .body(body)
        .expect("a request with a constant method, uri and header")
}

/// The oracle, independent of the parser under test: every object's member names, as written, checked for
/// a repeat; `true` when one is found anywhere.
struct HasDuplicate(bool);

impl<'de> Deserialize<'de> for HasDuplicate {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(Oracle)
    }
}

struct Oracle;

impl<'de> Visitor<'de> for Oracle {
    type Value = HasDuplicate;

    fn expecting(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("JSON")
    }

    fn visit_bool<E>(self, _: bool) -> Result<HasDuplicate, E> {
        Ok(HasDuplicate(false))
    }
    fn visit_i64<E>(self, _: i64) -> Result<HasDuplicate, E> {
        Ok(HasDuplicate(false))
    }
    fn visit_u64<E>(self, _: u64) -> Result<HasDuplicate, E> {
        Ok(HasDuplicate(false))
    }
    fn visit_f64<E>(self, _: f64) -> Result<HasDuplicate, E> {
        Ok(HasDuplicate(false))
    }
    fn visit_str<E>(self, _: &str) -> Result<HasDuplicate, E> {
        Ok(HasDuplicate(false))
    }
    fn visit_unit<E>(self) -> Result<HasDuplicate, E> {
        Ok(HasDuplicate(false))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<HasDuplicate, A::Error> {
        let mut found = false;
        while let Some(HasDuplicate(inner)) = items.next_element()? {
            found |= inner;
        }
        Ok(HasDuplicate(found))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut members: A) -> Result<HasDuplicate, A::Error> {
        let mut names = Vec::new();
        let mut found = false;
        while let Some(name) = members.next_key::<String>()? {
            found |= names.contains(&name);
            names.push(name);
            let HasDuplicate(inner) = members.next_value()?;
            found |= inner;
        }
        Ok(HasDuplicate(found))
    }
}

fuzz_target!(|data: &[u8]| {
    match http_envelope::json_object(&request(data)) {
        Ok(_) => {
            let text = std::str::from_utf8(data).expect("an accepted body is UTF-8");
            if !text.trim().is_empty() {
                let HasDuplicate(found) = serde_json::from_str(text).expect("an accepted body is JSON");
                assert!(!found, "an accepted body names a member twice: {text:?}");
            }
        }
        Err(err) => {
            assert!(err.status.is_client_error(), "{err:?}");
            if err.code == "invalid_json" && err.param.is_some() {
                // A duplicate was named: the oracle agrees there is one (when it can read the body at all).
                let text = std::str::from_utf8(data).expect("named only after UTF-8 decoding");
                if let Ok(HasDuplicate(found)) = serde_json::from_str(text) {
                    assert!(found, "a duplicate named where there is none: {text:?}");
                }
            }
        }
    }
});
