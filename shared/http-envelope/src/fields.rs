//! Typed access to the fields of a JSON request body: every wrong type, unknown field or missing field is a
//! 400 that names the field.

use serde_json::{Map, Value};

use crate::ApiError;

/// A request body's fields, checked against the names a route accepts.
#[derive(Debug)]
pub struct JsonObject {
    fields: Map<String, Value>,
}

impl JsonObject {
    /// Takes the body's fields, refusing any not in `allowed` (a typo should not silently become a default).
    pub fn new(fields: Map<String, Value>, allowed: &[&str]) -> Result<Self, ApiError> {
        let mut unknown: Vec<&String> = fields
            .keys()
            .filter(|k| !allowed.contains(&k.as_str()))
            .collect();
        unknown.sort();
        if let Some(first) = unknown.first() {
            let shown: String = first
                .chars()
                .filter(|c| !c.is_control())
                .take(100)
                .collect();
            return Err(ApiError::invalid(
                "unknown_field",
                shown.clone(),
                format!(
                    "Unknown field `{shown}`. Accepted fields: {}.",
                    allowed.join(", ")
                ),
            ));
        }
        Ok(Self { fields })
    }

    /// A string field; absent or `null` is `None`.
    pub fn optional_string(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(wrong_type(name, "a string", other)),
        }
    }

    /// A string field that must be present and not `null`.
    pub fn required_string(&self, name: &str) -> Result<String, ApiError> {
        self.optional_string(name)?.ok_or_else(|| {
            ApiError::invalid(
                "missing_field",
                name,
                format!("The field `{name}` is required."),
            )
        })
    }

    /// An integer field; absent or `null` is `None`. `90.0` is an integer (as in JSON Schema); `90.5` and
    /// `"90"` are wrong types. Integers beyond `i64` saturate, so range checks still refuse them.
    pub fn optional_integer(&self, name: &str) -> Result<Option<i64>, ApiError> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(number)) => {
                if let Some(value) = number.as_i64() {
                    return Ok(Some(value));
                }
                if number.is_u64() {
                    return Ok(Some(i64::MAX));
                }
                match number.as_f64() {
                    // `as` saturates at the i64 bounds, which the caller's range check then refuses.
                    Some(value) if value.is_finite() && value.fract() == 0.0 => {
                        Ok(Some(value as i64))
                    }
                    _ => Err(wrong_type(
                        name,
                        "an integer",
                        &Value::Number(number.clone()),
                    )),
                }
            }
            Some(other) => Err(wrong_type(name, "an integer", other)),
        }
    }

    /// An array of strings; absent or `null` is `None`.
    pub fn optional_string_array(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item {
                    Value::String(text) => Ok(text.clone()),
                    other => Err(wrong_type(name, "an array of strings", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(wrong_type(name, "an array of strings", other)),
        }
    }

    /// An array of strings whose wrong entry is named by its index (`allowed_ips[2]`), for a list whose
    /// entries are each judged on their own; absent or `null` is `None`.
    pub fn optional_string_entries(&self, name: &str) -> Result<Option<Vec<String>>, ApiError> {
        match self.fields.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(index, item)| match item {
                    Value::String(text) => Ok(text.clone()),
                    other => Err(wrong_type(&format!("{name}[{index}]"), "a string", other)),
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(other) => Err(wrong_type(name, "an array of strings", other)),
        }
    }
}

fn wrong_type(name: &str, expected: &str, found: &Value) -> ApiError {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    ApiError::invalid(
        "invalid_type",
        name,
        format!("The field `{name}` must be {expected}, not {found}."),
    )
}
