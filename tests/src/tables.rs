//! DynamoDB Local for the tests: a fresh table per test (so tests run in parallel), with patient limits, and a
//! client that records the operations it sends.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use auth::UsageMeter;
use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use store::{build_client, client_config, schema, ClientSettings, Store};

/// Where the tests find DynamoDB Local: `DYNAMODB_ENDPOINT`, or the port `make test` starts it on.
pub fn dynamodb_endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8070".to_owned())
}

static TABLE_COUNTER: AtomicU64 = AtomicU64::new(0);

/// DynamoDB Local with limits far above production's: a hundred tests share two cores and one JVM, and a
/// test of behaviour must not fail on a slow moment. Only the fault tests run with production's limits.
pub fn patient_settings() -> ClientSettings {
    ClientSettings {
        attempt_timeout: Duration::from_secs(10),
        operation_timeout: Duration::from_secs(30),
        ..ClientSettings::local(dynamodb_endpoint())
    }
}

/// A store on a table of its own, created for this test.
pub async fn fresh_store() -> Store {
    fresh_store_with(patient_settings()).await
}

/// A store on a new table, with a client built from `settings` (for timeout and fault tests).
pub async fn fresh_store_with(settings: ClientSettings) -> Store {
    let table = fresh_table().await;
    Store::new(build_client(&settings).await, table)
}

/// Every DynamoDB operation a client sends, by name (`Query`, `GetItem`, ...), in order.
#[derive(Clone, Debug, Default)]
pub struct OperationLog(Arc<Mutex<Vec<String>>>);

impl OperationLog {
    /// The operations sent since the last call, and forgets them.
    pub fn take(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|mut ops| std::mem::take(&mut *ops))
            .unwrap_or_default()
    }
}

impl Intercept for OperationLog {
    fn name(&self) -> &'static str {
        "OperationLog"
    }

    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if let (Some(metadata), Ok(mut ops)) = (cfg.load::<Metadata>(), self.0.lock()) {
            ops.push(metadata.name().to_owned());
        }
        Ok(())
    }
}

/// A store on a new table whose client records every operation it sends.
pub async fn counting_store() -> (Store, OperationLog) {
    let table = fresh_table().await;
    let log = OperationLog::default();
    let config = client_config(&patient_settings())
        .await
        .interceptor(log.clone())
        .build();
    (
        Store::new(aws_sdk_dynamodb::Client::from_conf(config), table),
        log,
    )
}

/// Creates a table of its own for one test on DynamoDB Local and returns its name.
pub async fn fresh_table() -> String {
    let setup = build_client(&patient_settings()).await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let table = format!(
        "test-{}-{}-{}",
        std::process::id(),
        nanos,
        TABLE_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    if let Err(err) = schema::ensure_table(&setup, &table).await {
        panic!(
            "DynamoDB Local is not reachable at {} ({err}). Run the tests with `make test`, which starts it.",
            dynamodb_endpoint()
        );
    }
    table
}

/// The usage meter of the instance a test's requests reach: one per store (its table and its client, so a
/// store that reaches the table through the fault proxy has its own, writing through the proxy), shared by
/// every request sent to that store and its clones, as one function instance's `main` builds one meter for
/// all its requests.
pub fn usage_meter(store: &Store) -> UsageMeter {
    static METERS: OnceLock<Mutex<HashMap<(String, usize), UsageMeter>>> = OnceLock::new();
    // The client's configuration lives in the client's shared handle: one address per client, shared by its
    // clones, and never reused while the registry keeps the client alive.
    let client = std::ptr::from_ref(store.client().config()) as usize;
    let meters = METERS.get_or_init(Mutex::default);
    let mut meters = meters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    meters
        .entry((store.table().to_owned(), client))
        .or_insert_with(|| UsageMeter::new(store.clone()))
        .clone()
}

/// Counts every item in the store's table: for tests that prove nothing was half-written.
pub async fn count_items(store: &Store) -> usize {
    let mut count = 0;
    let mut start_key = None;
    loop {
        let output = store
            .client()
            .scan()
            .table_name(store.table())
            .consistent_read(true)
            .set_exclusive_start_key(start_key)
            .send()
            .await
            .expect("scan the table");
        count += output.items().len();
        match output.last_evaluated_key {
            Some(next) if !next.is_empty() => start_key = Some(next),
            _ => return count,
        }
    }
}
