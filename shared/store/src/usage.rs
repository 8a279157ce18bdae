//! Requests counted per key and UTC day: how they are written and read. Counting them in memory, and
//! deciding when to write, is the usage meter's (`auth::UsageMeter`), owned by each function's `main`.
//!
//! Each instance writes its own item per key and day, `USAGE#<day>#<key_id>#<instance>`, holding the
//! **absolute** count that instance has made for that key that day. A write is therefore idempotent: sent
//! again (an SDK retry of an attempt whose answer was lost, a later write after a failure), it sets the same
//! number, and a condition keeps it from ever going backwards (an older attempt landing late changes
//! nothing). No write can count a request twice, whatever DynamoDB answered or failed to. A read sums an
//! organisation's items over instances.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use access::Environment;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::records::{corrupt, key_sort, org_partition};
use crate::schema::{EXPIRY_ATTRIBUTE, PARTITION_KEY, SORT_KEY};
use crate::{unavailable, Item, Store, StoreError};

/// How often an instance writes one key's counts and `last_used_at`.
pub const USAGE_WRITE_INTERVAL: Duration = Duration::from_secs(60);
/// How long usage items are kept (DynamoDB's TTL deletes them after): 400 days, a year and a month back.
pub const USAGE_RETENTION: Duration = Duration::from_secs(400 * 86_400);
/// The sort key prefix of an organisation's usage items: `USAGE#<day>#<key_id>#<instance>`, so a date range
/// is one query.
pub const USAGE_SORT_PREFIX: &str = "USAGE#";

/// One key's requests on one UTC day, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    pub org_id: String,
    pub key_id: String,
    pub environment: Environment,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub requests: u64,
}

/// What one instance has counted for one key: its absolute count per UTC day so far, and its newest use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageTotals<'a> {
    pub org_id: &'a str,
    pub key_id: &'a str,
    pub environment: Environment,
    /// The instance that counted (its items are its own).
    pub instance: &'a str,
    /// Requests per UTC day (`YYYY-MM-DD`) this instance has counted since it started.
    pub requests: &'a BTreeMap<String, u64>,
    /// The newest request counted (`YYYY-MM-DDTHH:MM:SSZ`), written as `last_used_at`.
    pub last_used_at: &'a str,
}

fn usage_sort(day: &str, key_id: &str, instance: &str) -> String {
    format!("{USAGE_SORT_PREFIX}{day}#{key_id}#{instance}")
}

impl Store {
    /// Writes one instance's absolute counts of one key (one `UpdateItem` per day) and the key's
    /// `last_used_at` (never backwards, only if the key still exists), all at once: single updates, no
    /// transaction (half the write units), each idempotent. An error says one of them failed; the others
    /// may have landed, and writing the same totals again is always safe.
    pub async fn write_usage(
        &self,
        totals: &UsageTotals<'_>,
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let expires = now
            .checked_add(USAGE_RETENTION)
            .and_then(|at| at.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let partition = AttributeValue::S(org_partition(totals.org_id));
        let last_used = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(PARTITION_KEY, partition.clone())
            .key(SORT_KEY, AttributeValue::S(key_sort(totals.key_id)))
            .update_expression("SET last_used_at = :used")
            .condition_expression(
                "attribute_exists(#pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :used)",
            )
            .expression_attribute_names("#pk", PARTITION_KEY)
            .expression_attribute_values(":used", AttributeValue::S(totals.last_used_at.to_owned()))
            .send();
        let counts = totals.requests.iter().map(|(day, requests)| {
            self.client
                .update_item()
                .table_name(&self.table)
                .key(PARTITION_KEY, partition.clone())
                .key(
                    SORT_KEY,
                    AttributeValue::S(usage_sort(day, totals.key_id, totals.instance)),
                )
                .update_expression(
                    "SET requests = :n, key_id = :key, environment = :env, #day = :day, #expiry = :expires",
                )
                // Never backwards: a late attempt of an older total changes nothing.
                .condition_expression("attribute_not_exists(requests) OR requests < :n")
                .expression_attribute_names("#day", "day")
                .expression_attribute_names("#expiry", EXPIRY_ATTRIBUTE)
                .expression_attribute_values(":n", AttributeValue::N(requests.to_string()))
                .expression_attribute_values(":key", AttributeValue::S(totals.key_id.to_owned()))
                .expression_attribute_values(
                    ":env",
                    AttributeValue::S(totals.environment.as_str().to_owned()),
                )
                .expression_attribute_values(":day", AttributeValue::S(day.clone()))
                .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
                .send()
        });
        let (last_used, counts) = tokio::join!(last_used, futures_util::future::join_all(counts));
        // A refused condition is a write that has nothing to do: a newer `last_used_at`, a total already
        // there, or (for `last_used_at`) a key deleted meanwhile.
        let refused = |err: &aws_sdk_dynamodb::error::SdkError<_, _>| {
            err.as_service_error().is_some_and(
                |e: &aws_sdk_dynamodb::operation::update_item::UpdateItemError| {
                    e.is_conditional_check_failed_exception()
                },
            )
        };
        for result in std::iter::once(last_used).chain(counts) {
            if let Err(err) = result {
                if !refused(&err) {
                    return Err(unavailable("UpdateItem(usage)", err));
                }
            }
        }
        Ok(())
    }

    /// An organisation's usage from `from` to `to` (UTC days, inclusive), by day then key: each key's
    /// requests that day summed over the instances that counted them.
    pub async fn usage(
        &self,
        org_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        let mut records: Vec<UsageRecord> = Vec::new();
        let mut start_key = None;
        loop {
            let output = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("#pk = :pk AND #sk BETWEEN :from AND :to")
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_names("#sk", SORT_KEY)
                .expression_attribute_values(":pk", AttributeValue::S(org_partition(org_id)))
                .expression_attribute_values(
                    ":from",
                    AttributeValue::S(format!("{USAGE_SORT_PREFIX}{from}#")),
                )
                // `~` sorts after every character of a key id.
                .expression_attribute_values(
                    ":to",
                    AttributeValue::S(format!("{USAGE_SORT_PREFIX}{to}#~")),
                )
                .set_exclusive_start_key(start_key)
                .send()
                .await
                .map_err(|err| unavailable("Query(usage)", err))?;
            for item in output.items() {
                let record = usage_record(org_id, item)?;
                // One item per instance that counted the key that day: summed here.
                match records.last_mut() {
                    Some(last)
                        if (last.day.as_str(), last.key_id.as_str())
                            == (record.day.as_str(), record.key_id.as_str()) =>
                    {
                        last.requests += record.requests;
                    }
                    _ => records.push(record),
                }
            }
            match output.last_evaluated_key {
                Some(next) if !next.is_empty() => start_key = Some(next),
                _ => return Ok(records),
            }
        }
    }
}

fn usage_record(org_id: &str, item: &Item) -> Result<UsageRecord, StoreError> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(corrupt(name)),
    };
    let requests = match item.get("requests") {
        Some(AttributeValue::N(value)) => value
            .parse()
            .map_err(|_| StoreError::Corrupt("usage item `requests` is not a count".to_owned()))?,
        _ => {
            return Err(StoreError::Corrupt(
                "usage item without `requests`".to_owned(),
            ))
        }
    };
    Ok(UsageRecord {
        org_id: org_id.to_owned(),
        key_id: text("key_id")?,
        environment: Environment::parse(&text("environment")?)
            .ok_or_else(|| corrupt("environment"))?,
        day: text("day")?,
        requests,
    })
}
