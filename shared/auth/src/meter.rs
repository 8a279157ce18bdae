//! The usage meter: requests counted per key and UTC day in the instance, written without a DynamoDB write
//! per request, and counted exactly once.
//!
//! Each instance (one process, one [`UsageMeter`] built in `main` and its clones) counts its requests in
//! memory. A key is *due* when this instance has not written it for [`USAGE_WRITE_INTERVAL`]: at most one
//! write per key per minute per instance, however busy the key. What is written is the instance's absolute
//! count per key and day on an item of its own ([`store::UsageTotals`]), so a write sent twice, or again
//! after an answer was lost, counts nothing twice. When it is written depends on [`UsageWrites`]: after the
//! response (Lambda, through an internal extension: [`crate::start_usage_writer`]) or inline, during the
//! request that made the key due (`make dev`, where `cargo lambda watch` cannot run such an extension).
//! [`UsageMeter::flush`] writes whatever is left when the instance shuts down. What a crash (no shutdown)
//! loses is, per key, the requests this instance counted after its last write of that key: all made within
//! one minute of that write (a later request would have written them).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use access::Environment;
use config::{ConfigError, Variables};
use store::{Store, StoreError, UsageTotals, USAGE_WRITE_INTERVAL};

use crate::{random_id, timestamp};

/// When a due key's counts are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageWrites {
    /// After the response, by the internal extension, before the instance takes its next request: the
    /// caller never waits for it (Lambda bills the time).
    AfterResponse,
    /// During the request that made the key due: `make dev` and the tests' router.
    Inline,
}

impl UsageWrites {
    /// `USAGE_WRITES`: `after_response` (the default) or `inline`.
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(variables
            .parsed(
                "USAGE_WRITES",
                "after_response or inline",
                |value| match value {
                    "after_response" => Some(UsageWrites::AfterResponse),
                    "inline" => Some(UsageWrites::Inline),
                    _ => None,
                },
            )?
            .unwrap_or(UsageWrites::AfterResponse))
    }
}

/// The key a count belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct KeyRef {
    org_id: String,
    key_id: String,
}

/// What this instance counted for one key.
#[derive(Debug)]
struct KeyUsage {
    environment: Environment,
    /// Requests per UTC day counted by this instance since it started.
    counted: BTreeMap<String, u64>,
    /// The totals last written (a day absent: none yet).
    written: BTreeMap<String, u64>,
    /// The newest request counted, written as `last_used_at`, and the last one written.
    last_used_at: String,
    last_used_written: String,
    /// When this instance last began writing the key; `None` after a failed write (due again at once).
    last_written: Option<SystemTime>,
    /// Waiting for [`UsageMeter::write_due`].
    due: bool,
}

impl KeyUsage {
    /// The days whose totals changed since written, and whether `last_used_at` did.
    fn unwritten(&self) -> BTreeMap<String, u64> {
        self.counted
            .iter()
            .filter(|(day, total)| self.written.get(*day) != Some(total))
            .map(|(day, total)| (day.clone(), *total))
            .collect()
    }

    fn has_unwritten(&self) -> bool {
        self.last_used_at != self.last_used_written
            || self
                .counted
                .iter()
                .any(|(day, total)| self.written.get(day) != Some(total))
    }
}

/// One key's totals taken to be written.
struct Snapshot {
    key: KeyRef,
    environment: Environment,
    requests: BTreeMap<String, u64>,
    last_used_at: String,
}

/// How many keys a flush or a pass of due writes sends at once (the SDK's connection pool carries them).
const WRITES_AT_ONCE: usize = 64;

/// Counts each allowed request per key and day, and writes the totals through the [`Store`]. Clones share
/// the counts.
#[derive(Clone, Debug)]
pub struct UsageMeter {
    store: Store,
    /// This instance's own usage items carry it.
    instance: Arc<str>,
    writes: UsageWrites,
    keys: Arc<Mutex<HashMap<KeyRef, KeyUsage>>>,
    /// Told when the function has answered a request ([`UsageMeter::request_answered`]): the writer waits
    /// for it before writing, so the write never runs ahead of the answer.
    answered: Arc<tokio::sync::Notify>,
}

impl UsageMeter {
    /// A meter writing to `store`'s table inline, with nothing counted (the tests, tools).
    pub fn new(store: Store) -> Self {
        Self::with_writes(store, UsageWrites::Inline)
    }

    /// A meter writing to `store`'s table as `writes` says.
    pub fn with_writes(store: Store, writes: UsageWrites) -> Self {
        // The OS random source failing leaves a fixed id: still correct within this instance's own items,
        // only not apart from another instance's that failed the same way.
        let instance = random_id("i").unwrap_or_else(|_| "i_unrandom".to_owned());
        Self {
            store,
            instance: instance.into(),
            writes,
            keys: Arc::default(),
            answered: Arc::default(),
        }
    }

    /// The function has its answer to the current request: what is due may be written now. Call once per
    /// invocation, after the handler (`main` does).
    pub fn request_answered(&self) {
        self.answered.notify_one();
    }

    /// Waits for [`UsageMeter::request_answered`] (a call made before the wait counts).
    pub(crate) async fn answered(&self) {
        self.answered.notified().await;
    }

    /// When this meter writes.
    pub fn writes(&self) -> UsageWrites {
        self.writes
    }

    /// The same meter (the same counts), writing inline.
    pub fn inline(&self) -> Self {
        Self {
            writes: UsageWrites::Inline,
            ..self.clone()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<KeyRef, KeyUsage>> {
        // A panic while holding the lock leaves plain counters behind: still usable.
        self.keys
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts one request of a key at `now` (its UTC day is the day counted). When the key is due, writes
    /// it now if this meter writes inline, or leaves it to [`UsageMeter::write_due`]. Returns whether it
    /// wrote. A failed write keeps the counts for the next one.
    pub async fn record_use(
        &self,
        org_id: &str,
        key_id: &str,
        environment: Environment,
        now: SystemTime,
    ) -> Result<bool, StoreError> {
        let due = self.count(org_id, key_id, environment, now);
        if !due || self.writes != UsageWrites::Inline {
            return Ok(false);
        }
        self.write_due(now).await.map(|written| written > 0)
    }

    /// Counts one request; whether its key became due.
    fn count(&self, org_id: &str, key_id: &str, environment: Environment, now: SystemTime) -> bool {
        let used_at = timestamp(now);
        let day = used_at.get(..10).unwrap_or(&used_at).to_owned();
        let key = KeyRef {
            org_id: org_id.to_owned(),
            key_id: key_id.to_owned(),
        };
        let mut keys = self.lock();
        let usage = keys.entry(key).or_insert_with(|| KeyUsage {
            environment,
            counted: BTreeMap::new(),
            written: BTreeMap::new(),
            last_used_at: String::new(),
            last_used_written: String::new(),
            last_written: None,
            due: false,
        });
        usage.environment = environment;
        *usage.counted.entry(day).or_default() += 1;
        usage.last_used_at = used_at;
        let due = usage.last_written.is_none_or(|last| {
            now.duration_since(last)
                .is_ok_and(|elapsed| elapsed >= USAGE_WRITE_INTERVAL)
        });
        if due {
            usage.last_written = Some(now);
            usage.due = true;
        }
        usage.due
    }

    /// Whether any key waits to be written.
    pub fn has_due(&self) -> bool {
        self.lock().values().any(|usage| usage.due)
    }

    /// Writes every due key (after the response, or inline), and every key whose counts have waited a
    /// minute since its last write for a request of its own that did not come: returns how many it wrote.
    /// So counts wait at most about a minute on an instance that keeps serving, and what is left for the
    /// shutdown flush stays small.
    pub async fn write_due(&self, now: SystemTime) -> Result<usize, StoreError> {
        let snapshots = self.take(|usage| {
            usage.due
                || usage.has_unwritten()
                    && usage.last_written.is_none_or(|last| {
                        now.duration_since(last)
                            .is_ok_and(|elapsed| elapsed >= USAGE_WRITE_INTERVAL)
                    })
        });
        self.write(snapshots, now).await
    }

    /// Writes every count this instance holds and has not written: at shutdown. Returns how many keys it
    /// wrote.
    pub async fn flush(&self, now: SystemTime) -> Result<usize, StoreError> {
        let snapshots = self.take(KeyUsage::has_unwritten);
        self.write(snapshots, now).await
    }

    /// The totals of the keys `pick` chooses, their due marks cleared.
    fn take(&self, pick: impl Fn(&KeyUsage) -> bool) -> Vec<Snapshot> {
        self.lock()
            .iter_mut()
            .filter(|(_, usage)| pick(usage))
            .map(|(key, usage)| {
                usage.due = false;
                Snapshot {
                    key: key.clone(),
                    environment: usage.environment,
                    requests: usage.unwritten(),
                    last_used_at: usage.last_used_at.clone(),
                }
            })
            .collect()
    }

    /// Writes `snapshots`, [`WRITES_AT_ONCE`] at a time; notes what landed. A key whose write failed is due
    /// again at its next request, with the same totals or larger: nothing is counted twice.
    async fn write(&self, snapshots: Vec<Snapshot>, now: SystemTime) -> Result<usize, StoreError> {
        let mut written = 0;
        let mut failure = None;
        for chunk in snapshots.chunks(WRITES_AT_ONCE) {
            let writes = chunk.iter().map(|snapshot| {
                let totals = UsageTotals {
                    org_id: &snapshot.key.org_id,
                    key_id: &snapshot.key.key_id,
                    environment: snapshot.environment,
                    instance: &self.instance,
                    requests: &snapshot.requests,
                    last_used_at: &snapshot.last_used_at,
                };
                async move { self.store.write_usage(&totals, now).await }
            });
            let results = futures_util::future::join_all(writes).await;
            let mut keys = self.lock();
            for (snapshot, result) in chunk.iter().zip(results) {
                let Some(usage) = keys.get_mut(&snapshot.key) else {
                    continue;
                };
                match result {
                    Ok(()) => {
                        written += 1;
                        for (day, total) in &snapshot.requests {
                            usage.written.insert(day.clone(), *total);
                        }
                        usage.last_used_written.clone_from(&snapshot.last_used_at);
                        forget_finished_days(usage);
                    }
                    Err(err) => {
                        usage.last_written = None;
                        failure = Some(err);
                    }
                }
            }
        }
        match failure {
            Some(err) => Err(err),
            None => Ok(written),
        }
    }
}

/// Drops the days before the newest one counted once written as counted: a new day starts a new item, and
/// no request of an earlier day can still come. Keeps the meter's memory to a day or two per key.
fn forget_finished_days(usage: &mut KeyUsage) {
    let Some(newest) = usage.counted.keys().next_back().cloned() else {
        return;
    };
    let finished: Vec<String> = usage
        .counted
        .iter()
        .filter(|(day, total)| **day < newest && usage.written.get(*day) == Some(total))
        .map(|(day, _)| day.clone())
        .collect();
    for day in finished {
        usage.counted.remove(&day);
        usage.written.remove(&day);
    }
}
