//! Timestamps as the API shows and stores them: RFC 3339, UTC, whole seconds (`2024-01-15T10:00:00Z`), so
//! that stored values also sort as strings.

use std::time::SystemTime;

/// `time` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn timestamp(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// Reads a stored timestamp back; `None` if it is not one.
pub fn parse_timestamp(text: &str) -> Option<SystemTime> {
    humantime::parse_rfc3339(text).ok()
}
