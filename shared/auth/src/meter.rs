//! The usage meter: requests counted per key and UTC day in the instance, written without a DynamoDB write
//! per request.
//!
//! Each instance (one process, one [`UsageMeter`] built in `main` and its clones) counts its requests in
//! memory. A key's counts are written, with its `last_used_at`, when this instance has not written that key
//! for [`USAGE_WRITE_INTERVAL`]: at most one write per key per minute per instance, however busy the key.
//! [`UsageMeter::flush`] writes whatever is left when the instance shuts down. What a crash (no shutdown)
//! loses is, per key, the requests this instance counted after its last write of that key: all made within
//! one minute of that write (a later request would have written them).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use access::Environment;
use store::{Store, StoreError, UsageBatch, USAGE_KEYS_PER_WRITE, USAGE_WRITE_INTERVAL};

use crate::timestamp;

/// The key a count belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct KeyRef {
    org_id: String,
    key_id: String,
}

/// What this instance counted for one key and has not written yet.
#[derive(Debug)]
struct Pending {
    environment: Environment,
    /// Requests per UTC day.
    requests: BTreeMap<String, u64>,
    /// When this instance last wrote the key (or began writing it).
    last_written: Option<SystemTime>,
    /// The newest request counted, written as `last_used_at`.
    last_used_at: String,
}

impl Pending {
    fn batch(&mut self, key: &KeyRef) -> UsageBatch {
        UsageBatch {
            org_id: key.org_id.clone(),
            key_id: key.key_id.clone(),
            environment: self.environment,
            requests: std::mem::take(&mut self.requests),
            last_used_at: self.last_used_at.clone(),
        }
    }
}

/// Counts each allowed request per key and day, and writes the counts through the [`Store`] at most once a
/// minute per key. Clones share the counts.
#[derive(Clone, Debug)]
pub struct UsageMeter {
    store: Store,
    pending: Arc<Mutex<HashMap<KeyRef, Pending>>>,
}

impl UsageMeter {
    /// A meter writing to `store`'s table, with nothing counted.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            pending: Arc::default(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<KeyRef, Pending>> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request of a key at `now` (its UTC day is the day counted), and writes the key's counts
    /// and `last_used_at` when this instance has not written them for [`USAGE_WRITE_INTERVAL`]. Returns
    /// whether it wrote. A failed write keeps the counts for the next one.
    pub async fn record_use(
        &self,
        org_id: &str,
        key_id: &str,
        environment: Environment,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let key = KeyRef {
            org_id: org_id.to_owned(),
            key_id: key_id.to_owned(),
        };
        let Some(batch) = self.count(key, environment, now) else {
            return Ok(false);
        };
        self.write(vec![batch], now).await.map(|()| true)
    }

    /// Counts one request; returns the key's batch when it is due to be written.
    fn count(&self, key: KeyRef, environment: Environment, now: SystemTime) -> Option<UsageBatch> {
        let used_at = timestamp(now);
        let mut pending = self.lock();
        let entry = pending.entry(key.clone()).or_insert_with(|| Pending {
            environment,
            requests: BTreeMap::new(),
            last_written: None,
            last_used_at: String::new(),
        });
        entry.environment = environment;
        *entry.requests.entry(day_of(&used_at)).or_default() += 1;
        entry.last_used_at = used_at;
        let due = entry.last_written.is_none_or(|last| {
            now.duration_since(last)
                .is_ok_and(|elapsed| elapsed >= USAGE_WRITE_INTERVAL)
        });
        if !due {
            return None;
        }
        entry.last_written = Some(now);
        Some(entry.batch(&key))
    }

    /// Writes every count this instance holds: at shutdown (`lambda_runtime`'s graceful shutdown). Returns
    /// how many keys it wrote.
    pub async fn flush(&self, now: SystemTime) -> Result<usize, StoreError> {
        let batches: Vec<UsageBatch> = self
            .lock()
            .iter_mut()
            .filter(|(_, pending)| !pending.requests.is_empty())
            .map(|(key, pending)| pending.batch(key))
            .collect();
        let keys = batches.len();
        self.write(batches, now).await.map(|()| keys)
    }

    /// Writes `batches`, [`USAGE_KEYS_PER_WRITE`] keys at a time; when a write fails, its batches and all
    /// after it are counted again, to be written by a later write.
    async fn write(&self, mut batches: Vec<UsageBatch>, now: SystemTime) -> Result<(), StoreError> {
        while !batches.is_empty() {
            let rest = batches.split_off(batches.len().min(USAGE_KEYS_PER_WRITE));
            if let Err(err) = self.store.write_usage(&batches, now).await {
                batches.extend(rest);
                self.restore(batches);
                return Err(err);
            }
            batches = rest;
        }
        Ok(())
    }

    /// Puts back counts whose write failed, so that a later write carries them.
    fn restore(&self, batches: Vec<UsageBatch>) {
        let mut pending = self.lock();
        for batch in batches {
            let key = KeyRef {
                org_id: batch.org_id,
                key_id: batch.key_id,
            };
            let entry = pending.entry(key).or_insert_with(|| Pending {
                environment: batch.environment,
                requests: BTreeMap::new(),
                last_written: None,
                last_used_at: batch.last_used_at.clone(),
            });
            for (day, requests) in batch.requests {
                *entry.requests.entry(day).or_default() += requests;
            }
            // Try again at the next request rather than a minute later.
            entry.last_written = None;
        }
    }
}

/// `YYYY-MM-DD` of a stored timestamp (`YYYY-MM-DDTHH:MM:SSZ`).
fn day_of(timestamp: &str) -> String {
    timestamp.get(..10).unwrap_or(timestamp).to_owned()
}
