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

/// Whether an expiry (`None`: never expires) has passed at `now`. A timestamp this code did not write counts
/// as passed: fail closed. The one place the expiry rule lives, for authentication and for listings alike.
pub fn is_expired(expires_at: Option<&str>, now: SystemTime) -> bool {
    expires_at.is_some_and(|at| parse_timestamp(at).is_none_or(|at| at <= now))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn expiry_is_past_at_and_after_its_time_and_never_without_one() {
        let at = parse_timestamp("2030-01-01T00:00:00Z").expect("timestamp");
        assert!(!is_expired(None, at));
        assert!(!is_expired(
            Some("2030-01-01T00:00:00Z"),
            at - Duration::from_secs(1)
        ));
        assert!(is_expired(Some("2030-01-01T00:00:00Z"), at));
    }

    #[test]
    fn an_unreadable_expiry_counts_as_passed() {
        assert!(is_expired(Some("not a time"), SystemTime::UNIX_EPOCH));
    }
}
