//! `GET /v1/account/usage`: requests per UTC day and per key, live (billable) and test (free) apart.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime};

use auth::{parse_timestamp, timestamp, Environment, Principal};
use serde::Serialize;
use store::Store;

use crate::keys::visible_to;
use crate::AccountError;

/// The longest range one request may ask for, in days (a quarter).
pub const MAX_USAGE_DAYS: u64 = 92;
const DAY: Duration = Duration::from_secs(86_400);

/// The query's `from` and `to` as they arrived; `None` takes the current UTC month.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UsageQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

/// The answer: every day of the range (days without requests included, for charts), with the keys used on
/// it, and totals.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UsageView {
    pub from: String,
    pub to: String,
    pub totals: UsageTotals,
    pub days: Vec<UsageDay>,
}

/// Requests of live keys (billable) and of test keys (free).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct UsageTotals {
    pub live_requests: u64,
    pub test_requests: u64,
}

/// One UTC day.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UsageDay {
    pub date: String,
    pub live_requests: u64,
    pub test_requests: u64,
    pub keys: Vec<KeyUsage>,
}

/// One key's requests on one day.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct KeyUsage {
    pub id: String,
    pub name: String,
    pub key_prefix: String,
    pub environment: String,
    pub requests: u64,
}

/// The usage of the caller's organisation (a test key sees its test keys' usage only), per day and key.
pub async fn usage(
    store: &Store,
    principal: &Principal,
    query: UsageQuery,
    now: SystemTime,
) -> Result<UsageView, AccountError> {
    let (from, to) = range(query, now)?;
    let (from_day, to_day) = (day(from), day(to));
    let records = store.usage(&principal.org_id, &from_day, &to_day).await?;
    let keys: HashMap<String, store::ApiKeyRecord> = store
        .list_keys(&principal.org_id)
        .await?
        .into_iter()
        .map(|key| (key.key_id.clone(), key))
        .collect();
    let mut per_day: BTreeMap<String, Vec<KeyUsage>> = BTreeMap::new();
    for record in records
        .into_iter()
        .filter(|record| visible_to(principal, record.environment))
    {
        let key = keys.get(&record.key_id);
        per_day.entry(record.day).or_default().push(KeyUsage {
            name: key.map_or_else(String::new, |key| key.name.clone()),
            key_prefix: key.map_or_else(String::new, |key| key.key_prefix.clone()),
            id: record.key_id,
            environment: record.environment.as_str().to_owned(),
            requests: record.requests,
        });
    }
    let mut totals = UsageTotals::default();
    let mut days = Vec::new();
    let mut date = from;
    while date <= to {
        let keys = per_day.remove(&day(date)).unwrap_or_default();
        let count = |environment: Environment| {
            keys.iter()
                .filter(|key| key.environment == environment.as_str())
                .map(|key| key.requests)
                .sum::<u64>()
        };
        let (live, test) = (count(Environment::Live), count(Environment::Test));
        totals.live_requests += live;
        totals.test_requests += test;
        days.push(UsageDay {
            date: day(date),
            live_requests: live,
            test_requests: test,
            keys,
        });
        date += DAY;
    }
    Ok(UsageView {
        from: from_day,
        to: to_day,
        totals,
        days,
    })
}

/// The range asked for, as midnights: both dates `YYYY-MM-DD`, `from` ≤ `to`, at most [`MAX_USAGE_DAYS`].
/// Neither given: the current UTC month. One given: the other derived from it ([`derived_to`],
/// [`derived_from`]), so a range with a default end is always valid and an error names only what was sent.
fn range(query: UsageQuery, now: SystemTime) -> Result<(SystemTime, SystemTime), AccountError> {
    let from = query
        .from
        .as_deref()
        .map(|text| parse_day("from", text))
        .transpose()?;
    let to = query
        .to
        .as_deref()
        .map(|text| parse_day("to", text))
        .transpose()?;
    let (from, to) = match (from, to) {
        (None, None) => current_month(now),
        (Some(from), None) => (from, derived_to(from, now)),
        (None, Some(to)) => (derived_from(to), to),
        (Some(from), Some(to)) => (from, to),
    };
    if to < from {
        return Err(AccountError::invalid(
            "to",
            "`to` must not be before `from`.",
        ));
    }
    let days = to.duration_since(from).unwrap_or_default().as_secs() / DAY.as_secs() + 1;
    if days > MAX_USAGE_DAYS {
        return Err(AccountError::invalid(
            "to",
            format!("A range covers at most {MAX_USAGE_DAYS} days; ask for several."),
        ));
    }
    Ok((from, to))
}

/// `to` when only `from` was given: today, or the range's longest end ([`MAX_USAGE_DAYS`] days in all) if
/// that comes first; `from` itself when `from` is after today.
fn derived_to(from: SystemTime, now: SystemTime) -> SystemTime {
    let longest = from + DAY * (MAX_USAGE_DAYS as u32 - 1);
    midnight(now).min(longest).max(from)
}

/// `from` when only `to` was given: the first day of `to`'s month.
fn derived_from(to: SystemTime) -> SystemTime {
    month_of(to).0
}

/// `YYYY-MM-DD` as that day's midnight, UTC; a 400 naming `param` for anything else.
fn parse_day(param: &'static str, text: &str) -> Result<SystemTime, AccountError> {
    let shaped = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    shaped
        .then(|| parse_timestamp(&format!("{text}T00:00:00Z")))
        .flatten()
        .ok_or_else(|| {
            AccountError::invalid(
                param,
                format!("`{param}` must be a date, YYYY-MM-DD (UTC)."),
            )
        })
}

fn day(time: SystemTime) -> String {
    timestamp(time).get(..10).unwrap_or_default().to_owned()
}

fn midnight(time: SystemTime) -> SystemTime {
    let seconds = time
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(seconds - seconds % DAY.as_secs())
}

/// The first and last midnight of `now`'s UTC month.
fn current_month(now: SystemTime) -> (SystemTime, SystemTime) {
    month_of(midnight(now))
}

/// The first and last midnight of the UTC month of `today` (a midnight).
fn month_of(today: SystemTime) -> (SystemTime, SystemTime) {
    let mut start = today;
    while day(start - DAY).get(..7) == day(today).get(..7) {
        start -= DAY;
    }
    let mut end = today;
    while day(end + DAY).get(..7) == day(today).get(..7) {
        end += DAY;
    }
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> SystemTime {
        parse_timestamp(text).expect("timestamp")
    }

    #[test]
    fn the_default_range_is_the_current_utc_month() {
        let (from, to) = range(UsageQuery::default(), at("2026-02-14T23:59:59Z")).expect("range");
        assert_eq!(
            (day(from), day(to)),
            ("2026-02-01".to_owned(), "2026-02-28".to_owned())
        );
    }

    #[test]
    fn bad_reversed_or_too_long_ranges_name_their_parameter() {
        let now = at("2026-11-23T10:00:00Z");
        let query = |from: &str, to: &str| UsageQuery {
            from: Some(from.to_owned()),
            to: Some(to.to_owned()),
        };
        for (q, param) in [
            (query("2026-13-01", "2026-12-01"), "from"),
            (query("2026-11-01", "yesterday"), "to"),
            (query("2026-11-02", "2026-11-01"), "to"),
            (query("2026-01-01", "2026-12-31"), "to"),
            (query("2026-1-01", "2026-11-01"), "from"),
        ] {
            match range(q, now) {
                Err(AccountError::InvalidField { param: p, .. }) => assert_eq!(p, param),
                other => panic!("expected a 400 naming {param}, got {other:?}"),
            }
        }
        assert!(
            range(query("2026-09-01", "2026-11-30"), now).is_ok(),
            "91 days"
        );
    }

    fn days_of(query: UsageQuery, now: SystemTime) -> (String, String) {
        let (from, to) = range(query, now).expect("range");
        (day(from), day(to))
    }

    #[test]
    fn from_alone_runs_to_today_or_for_92_days_whichever_comes_first() {
        let now = at("2026-11-23T10:00:00Z");
        let from = |text: &str| UsageQuery {
            from: Some(text.to_owned()),
            to: None,
        };
        assert_eq!(
            days_of(from("2026-11-02"), now),
            ("2026-11-02".to_owned(), "2026-11-23".to_owned())
        );
        assert_eq!(
            days_of(from("2026-01-01"), now),
            ("2026-01-01".to_owned(), "2026-04-02".to_owned()),
            "92 days"
        );
        assert_eq!(
            days_of(from("2026-12-05"), now),
            ("2026-12-05".to_owned(), "2026-12-05".to_owned()),
            "a day after today"
        );
    }

    #[test]
    fn to_alone_starts_on_the_first_of_its_month() {
        let now = at("2026-11-23T10:00:00Z");
        let to = |text: &str| UsageQuery {
            from: None,
            to: Some(text.to_owned()),
        };
        assert_eq!(
            days_of(to("2026-03-17"), now),
            ("2026-03-01".to_owned(), "2026-03-17".to_owned())
        );
        assert_eq!(
            days_of(to("2026-12-31"), now),
            ("2026-12-01".to_owned(), "2026-12-31".to_owned())
        );
        match range(to("2026-02-30"), now) {
            Err(AccountError::InvalidField { param, .. }) => assert_eq!(param, "to"),
            other => panic!("expected a 400 naming to, got {other:?}"),
        }
    }
}
