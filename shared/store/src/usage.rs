//! Requests counted per key and UTC day: how they are written and read. Counting them in memory, and
//! deciding when to write, is the usage meter's (`auth::UsageMeter`), owned by each function's `main`.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use access::Environment;
use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use crate::records::{corrupt, key_sort, org_partition};
use crate::schema::{EXPIRY_ATTRIBUTE, PARTITION_KEY, SORT_KEY};
use crate::{build_error, unavailable, Item, Refusal, Store, StoreError, Transaction};

/// How often an instance writes one key's counts and `last_used_at`.
pub const USAGE_WRITE_INTERVAL: Duration = Duration::from_secs(60);
/// How long usage items are kept (DynamoDB's TTL deletes them after): 400 days, a year and a month back.
pub const USAGE_RETENTION: Duration = Duration::from_secs(400 * 86_400);
/// The sort key prefix of an organisation's usage items: `USAGE#<day>#<key_id>`, so a date range is one
/// query.
pub const USAGE_SORT_PREFIX: &str = "USAGE#";
/// Most keys one [`Store::write_usage`] carries (a transaction holds at most 100 items; each key has its
/// item and a day or two of usage).
pub const USAGE_KEYS_PER_WRITE: usize = 25;

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

/// One key's requests counted since its last write, to be added to its usage items.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageBatch {
    pub org_id: String,
    pub key_id: String,
    pub environment: Environment,
    /// Requests per UTC day (`YYYY-MM-DD`).
    pub requests: BTreeMap<String, u64>,
    /// The newest request counted (`YYYY-MM-DDTHH:MM:SSZ`), written as `last_used_at`.
    pub last_used_at: String,
}

fn usage_sort(day: &str, key_id: &str) -> String {
    format!("{USAGE_SORT_PREFIX}{day}#{key_id}")
}

impl Store {
    /// In one transaction (at most [`USAGE_KEYS_PER_WRITE`] batches), adds each batch's counts to its key's
    /// usage items (one per day) and sets the key's `last_used_at` (never backwards, only if the key still
    /// exists).
    pub async fn write_usage(
        &self,
        batches: &[UsageBatch],
        now: SystemTime,
    ) -> Result<(), StoreError> {
        let expires = now
            .checked_add(USAGE_RETENTION)
            .and_then(|at| at.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let mut last_used_items = Vec::new();
        let mut count_items = Vec::new();
        for batch in batches {
            let partition = AttributeValue::S(org_partition(&batch.org_id));
            let last_used = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, partition.clone())
                .key(SORT_KEY, AttributeValue::S(key_sort(&batch.key_id)))
                .update_expression("SET last_used_at = :used")
                .condition_expression(
                    "attribute_exists(#pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :used)",
                )
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":used", AttributeValue::S(batch.last_used_at.clone()))
                .build()
                .map_err(build_error)?;
            last_used_items.push(TransactWriteItem::builder().update(last_used).build());
            for (day, requests) in &batch.requests {
                let usage = Update::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, partition.clone())
                    .key(SORT_KEY, AttributeValue::S(usage_sort(day, &batch.key_id)))
                    .update_expression(
                        "ADD requests :n SET key_id = :key, environment = :env, #day = :day, #expiry = :expires",
                    )
                    .expression_attribute_names("#day", "day")
                    .expression_attribute_names("#expiry", EXPIRY_ATTRIBUTE)
                    .expression_attribute_values(":n", AttributeValue::N(requests.to_string()))
                    .expression_attribute_values(":key", AttributeValue::S(batch.key_id.clone()))
                    .expression_attribute_values(
                        ":env",
                        AttributeValue::S(batch.environment.as_str().to_owned()),
                    )
                    .expression_attribute_values(":day", AttributeValue::S(day.clone()))
                    .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
                    .build()
                    .map_err(build_error)?;
                count_items.push(TransactWriteItem::builder().update(usage).build());
            }
        }
        let counts_only = || {
            let mut transaction = Transaction::default();
            for item in &count_items {
                // An `ADD` has no condition: it cannot be refused.
                transaction.push(item.clone(), Refusal::Contended);
            }
            transaction
        };
        let mut with_last_used = counts_only();
        for item in last_used_items {
            with_last_used.push(item, Refusal::KeyChanged);
        }
        match self
            .transact("TransactWriteItems(usage)", with_last_used)
            .await
        {
            // `last_used_at` already newer (another instance wrote it) cancels the whole transaction: write
            // the counts alone, which no condition can refuse.
            Err(StoreError::KeyChanged) if !count_items.is_empty() => {
                self.transact("TransactWriteItems(usage)", counts_only())
                    .await
            }
            Err(StoreError::KeyChanged) => Ok(()),
            other => other,
        }
    }

    /// An organisation's usage items from `from` to `to` (UTC days, inclusive), by day then key.
    pub async fn usage(
        &self,
        org_id: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        let mut records = Vec::new();
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
                records.push(usage_record(org_id, item)?);
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
