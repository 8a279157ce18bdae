//! Requests counted per key and UTC day, written without a DynamoDB write per request.
//!
//! Each instance (one process, one [`Store`] and its clones) counts its requests in memory. A key's counts
//! are written, with its `last_used_at`, in one `TransactWriteItems` when this instance has not written that
//! key for [`USAGE_WRITE_INTERVAL`]: at most one write per key per minute per instance, however busy the key.
//! [`Store::flush_usage`] writes whatever is left when the instance shuts down. What a crash (no shutdown)
//! loses is, per key, the requests this instance counted after its last write of that key: all made within
//! one minute of that write (a later request would have written them).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};

use crate::records::{key_sort, org_partition};
use crate::schema::{EXPIRY_ATTRIBUTE, PARTITION_KEY, SORT_KEY};
use crate::{build_error, unavailable, Item, Store, StoreError};

/// How often an instance writes one key's counts and `last_used_at`.
pub const USAGE_WRITE_INTERVAL: Duration = Duration::from_secs(60);
/// How long usage items are kept (DynamoDB's TTL deletes them after): 400 days, a year and a month back.
pub const USAGE_RETENTION: Duration = Duration::from_secs(400 * 86_400);
/// The sort key prefix of an organisation's usage items: `USAGE#<day>#<key_id>`, so a date range is one
/// query.
pub const USAGE_SORT_PREFIX: &str = "USAGE#";
/// Most keys one write carries (a transaction holds at most 100 items; each key has its item and a day or
/// two of usage).
const KEYS_PER_WRITE: usize = 25;

/// One key's requests on one UTC day, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRecord {
    pub org_id: String,
    pub key_id: String,
    pub environment: String,
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub requests: u64,
}

/// The key a count belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct KeyRef {
    org_id: String,
    key_id: String,
}

/// What this instance counted for one key and has not written yet.
#[derive(Debug, Default)]
struct Pending {
    environment: String,
    /// Requests per UTC day.
    requests: BTreeMap<String, u64>,
    /// When this instance last wrote the key (or began writing it).
    last_written: Option<SystemTime>,
    /// The newest request counted, written as `last_used_at`.
    last_used_at: String,
}

/// The counts of this instance not yet written, shared by a [`Store`] and its clones.
#[derive(Debug, Default, Clone)]
pub(crate) struct UsageBuffer(Arc<Mutex<HashMap<KeyRef, Pending>>>);

/// One key's counts taken from the buffer to be written.
#[derive(Debug)]
struct Batch {
    key: KeyRef,
    environment: String,
    requests: BTreeMap<String, u64>,
    last_used_at: String,
}

impl UsageBuffer {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<KeyRef, Pending>> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request; returns the key's batch when it is due to be written.
    fn count(
        &self,
        key: KeyRef,
        environment: &str,
        used_at: &str,
        now: SystemTime,
    ) -> Option<Batch> {
        let mut buffer = self.lock();
        let pending = buffer.entry(key.clone()).or_default();
        environment.clone_into(&mut pending.environment);
        *pending.requests.entry(day_of(used_at)).or_default() += 1;
        used_at.clone_into(&mut pending.last_used_at);
        let due = pending.last_written.is_none_or(|last| {
            now.duration_since(last)
                .is_ok_and(|elapsed| elapsed >= USAGE_WRITE_INTERVAL)
        });
        if !due {
            return None;
        }
        pending.last_written = Some(now);
        Some(Batch {
            key,
            environment: pending.environment.clone(),
            requests: std::mem::take(&mut pending.requests),
            last_used_at: pending.last_used_at.clone(),
        })
    }

    /// Takes every key's unwritten counts.
    fn drain(&self) -> Vec<Batch> {
        let mut buffer = self.lock();
        buffer
            .iter_mut()
            .filter(|(_, pending)| !pending.requests.is_empty())
            .map(|(key, pending)| Batch {
                key: key.clone(),
                environment: pending.environment.clone(),
                requests: std::mem::take(&mut pending.requests),
                last_used_at: pending.last_used_at.clone(),
            })
            .collect()
    }

    /// Puts back counts whose write failed, so that a later write carries them.
    fn restore(&self, batches: Vec<Batch>) {
        let mut buffer = self.lock();
        for batch in batches {
            let pending = buffer.entry(batch.key).or_default();
            for (day, requests) in batch.requests {
                *pending.requests.entry(day).or_default() += requests;
            }
            // Try again at the next request rather than a minute later.
            pending.last_written = None;
        }
    }
}

/// `YYYY-MM-DD` of a stored timestamp (`YYYY-MM-DDTHH:MM:SSZ`).
fn day_of(timestamp: &str) -> String {
    timestamp.get(..10).unwrap_or(timestamp).to_owned()
}

fn usage_sort(day: &str, key_id: &str) -> String {
    format!("{USAGE_SORT_PREFIX}{day}#{key_id}")
}

impl Store {
    /// Counts one request of a key, and writes its counts and `last_used_at` when this instance has not
    /// written them for [`USAGE_WRITE_INTERVAL`]. `used_at` is the request's time as stored
    /// (`YYYY-MM-DDTHH:MM:SSZ`); its day is the UTC day counted. Returns whether it wrote. A failed write
    /// keeps the counts for the next one.
    pub async fn record_use(
        &self,
        org_id: &str,
        key_id: &str,
        environment: &str,
        used_at: &str,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let key = KeyRef {
            org_id: org_id.to_owned(),
            key_id: key_id.to_owned(),
        };
        let Some(batch) = self.usage.count(key, environment, used_at, now) else {
            return Ok(false);
        };
        self.write_usage(vec![batch], now).await.map(|()| true)
    }

    /// Writes every count this instance holds: at shutdown (`lambda_runtime`'s graceful shutdown). Returns
    /// how many keys it wrote.
    pub async fn flush_usage(&self, now: SystemTime) -> Result<usize, StoreError> {
        let batches = self.usage.drain();
        let keys = batches.len();
        let mut rest = batches;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(KEYS_PER_WRITE));
            self.write_usage(rest, now).await?;
            rest = tail;
        }
        Ok(keys)
    }

    /// One transaction: for each key, `ADD` its counts to its usage items (one per day) and set its
    /// `last_used_at` (never backwards, on the key's own item, only if it still exists).
    async fn write_usage(&self, batches: Vec<Batch>, now: SystemTime) -> Result<(), StoreError> {
        let expires = now
            .checked_add(USAGE_RETENTION)
            .and_then(|at| at.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let mut items = Vec::new();
        for batch in &batches {
            let partition = AttributeValue::S(org_partition(&batch.key.org_id));
            let last_used = Update::builder()
                .table_name(&self.table)
                .key(PARTITION_KEY, partition.clone())
                .key(SORT_KEY, AttributeValue::S(key_sort(&batch.key.key_id)))
                .update_expression("SET last_used_at = :used")
                .condition_expression(
                    "attribute_exists(#pk) AND (attribute_not_exists(last_used_at) OR last_used_at < :used)",
                )
                .expression_attribute_names("#pk", PARTITION_KEY)
                .expression_attribute_values(":used", AttributeValue::S(batch.last_used_at.clone()))
                .build()
                .map_err(build_error)?;
            items.push(TransactWriteItem::builder().update(last_used).build());
            for (day, requests) in &batch.requests {
                let usage = Update::builder()
                    .table_name(&self.table)
                    .key(PARTITION_KEY, partition.clone())
                    .key(SORT_KEY, AttributeValue::S(usage_sort(day, &batch.key.key_id)))
                    .update_expression(
                        "ADD requests :n SET key_id = :key, environment = :env, #day = :day, #expiry = :expires",
                    )
                    .expression_attribute_names("#day", "day")
                    .expression_attribute_names("#expiry", EXPIRY_ATTRIBUTE)
                    .expression_attribute_values(":n", AttributeValue::N(requests.to_string()))
                    .expression_attribute_values(":key", AttributeValue::S(batch.key.key_id.clone()))
                    .expression_attribute_values(":env", AttributeValue::S(batch.environment.clone()))
                    .expression_attribute_values(":day", AttributeValue::S(day.clone()))
                    .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
                    .build()
                    .map_err(build_error)?;
                items.push(TransactWriteItem::builder().update(usage).build());
            }
        }
        let result = self.send_usage(items.clone()).await;
        match result {
            Ok(()) => Ok(()),
            // `last_used_at` already newer (another instance wrote it) cancels the whole transaction: write
            // the counts alone, which no condition can refuse.
            Err(UsageWriteError::Refused) => {
                let counts_only = items
                    .into_iter()
                    .filter(|item| {
                        item.update()
                            .and_then(|update| update.key().get(SORT_KEY))
                            .and_then(|sort| sort.as_s().ok())
                            .is_some_and(|sort| sort.starts_with(USAGE_SORT_PREFIX))
                    })
                    .collect::<Vec<_>>();
                match self.send_usage(counts_only).await {
                    Ok(()) => Ok(()),
                    Err(err) => {
                        self.usage.restore(batches);
                        Err(err.into())
                    }
                }
            }
            Err(err) => {
                self.usage.restore(batches);
                Err(err.into())
            }
        }
    }

    async fn send_usage(&self, items: Vec<TransactWriteItem>) -> Result<(), UsageWriteError> {
        if items.is_empty() {
            return Ok(());
        }
        match self.transact("TransactWriteItems(usage)", items).await {
            Ok(crate::Transacted::Committed) => Ok(()),
            Ok(crate::Transacted::Refused(_)) => Err(UsageWriteError::Refused),
            Err(err) => Err(UsageWriteError::Store(err)),
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

/// Why a usage write did not commit.
enum UsageWriteError {
    /// A condition (a newer `last_used_at`) cancelled it.
    Refused,
    Store(StoreError),
}

impl From<UsageWriteError> for StoreError {
    fn from(err: UsageWriteError) -> Self {
        match err {
            UsageWriteError::Refused => StoreError::Contended,
            UsageWriteError::Store(err) => err,
        }
    }
}

fn usage_record(org_id: &str, item: &Item) -> Result<UsageRecord, StoreError> {
    let text = |name: &str| match item.get(name) {
        Some(AttributeValue::S(value)) => Ok(value.clone()),
        _ => Err(StoreError::Corrupt(format!("usage item without `{name}`"))),
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
        environment: text("environment")?,
        day: text("day")?,
        requests,
    })
}
