//! `make bench`: each figure against its baseline in the same run, printed as the Markdown that
//! `scripts/bench.sh` writes to BENCHMARKS.md.
//!
//! Function binaries run as real processes behind an emulated Lambda Runtime API ([`runtime`]), talking to
//! DynamoDB Local through a proxy that counts operations on the wire ([`counter`]); in section 6, each held to
//! a memory size's CPU share ([`cpu_share`]) and reaching DynamoDB over TLS ([`tls`]).

mod counter;
mod cpu_share;
mod memory_size;
mod pricing;
mod tls;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant, SystemTime};

use accounts::{NewKeyInput, SignupInput};
use auth::{Environment, Principal, Scopes};
use serde_json::json;
use store::{build_client, schema, ClientSettings, Store};
use tokio::process::{Child, Command};

use counter::OperationCounter;
use service_tests::{gateway_event as event, sigterm_and_wait, RuntimeApi};

const FUNCTIONS: [&str; 5] = ["health", "signup", "account", "api-keys", "authorizer"];

/// The authorizer's event: `events/authorizer-allowed.json` (`GET /v1/memories`, route `ANY /v1/memories`,
/// so the `read` scope), its `${API_KEY}` replaced by a real key.
const AUTHORIZER_EVENT: &str = include_str!("../../../events/authorizer-allowed.json");

struct Setup {
    binaries: PathBuf,
    endpoint: String,
    table: String,
    counter: OperationCounter,
    store: Store,
    admin_key: String,
    /// A second organisation (so the first one's key list stays at 10 keys), whose `read`-only keys the
    /// authorizer is timed with...
    authorizer_org: String,
    authorizer_key: String,
    /// ... and counted with: a key no other request uses, so its writes are the counted instance's alone.
    counted_key: String,
    counted_key_id: String,
    /// Each function's `MemorySize` in template.yaml, read once: each function is started with it (it
    /// decides whether the store connects at init), and section 6 compares it with its measures.
    memory_sizes: BTreeMap<String, u32>,
}

/// The key `function`'s events carry.
fn key_for<'a>(setup: &'a Setup, function: &str) -> &'a str {
    match function {
        "authorizer" => &setup.authorizer_key,
        _ => &setup.admin_key,
    }
}

fn authorizer_event(key: &str) -> Vec<u8> {
    AUTHORIZER_EVENT.replace("${API_KEY}", key).into_bytes()
}

/// Whether `function` answered its event as a success: a 2xx response, or the authorizer's
/// `{"isAuthorized": true, "context": {...}}` naming the key's organisation.
fn succeeded(setup: &Setup, function: &str, body: &[u8]) -> bool {
    if function != "authorizer" {
        return String::from_utf8_lossy(body).contains("\"statusCode\":2");
    }
    serde_json::from_slice::<serde_json::Value>(body).is_ok_and(|answer| {
        answer["isAuthorized"] == json!(true)
            && answer["context"]["org_id"] == json!(setup.authorizer_org)
            && answer["context"]["scopes"]
                .as_str()
                .is_some_and(|scopes| scopes.split(',').any(|scope| scope == "read"))
    })
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The event each function is timed with (signup: a new email every time).
fn route_event(function: &str, key: &str) -> Vec<u8> {
    static SIGNUPS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    match function {
        "signup" => {
            let n = SIGNUPS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let email = format!("bench-{}-{n}@example.com", std::process::id());
            event(
                "POST",
                "/v1/signup",
                None,
                Some(json!({"name": "Bench", "email": email})),
            )
        }
        "account" => event("GET", "/v1/account", Some(key), None),
        "api-keys" => event("GET", "/v1/account/api-keys", Some(key), None),
        "authorizer" => authorizer_event(key),
        "dashboard" => event("GET", "/dashboard", None, None),
        _ => event("GET", "/health", None, None),
    }
}

async fn spawn(setup: &Setup, binary: &str, api: &RuntimeApi) -> Child {
    spawn_with(setup, binary, api, &[]).await
}

/// Starts `binary` against `api` with Lambda's environment, `extra` variables set over it.
async fn spawn_with(
    setup: &Setup,
    binary: &str,
    api: &RuntimeApi,
    extra: &[(&str, &str)],
) -> Child {
    let path = setup.binaries.join(binary);
    // BENCH_WRAPPER runs the function under a profiler: "valgrind --tool=callgrind ...".
    let wrapper = std::env::var("BENCH_WRAPPER").unwrap_or_default();
    let mut words = wrapper.split_whitespace();
    let mut command = match words.next() {
        Some(program) => {
            let mut command = Command::new(program);
            command.args(words).arg(&path);
            command
        }
        None => Command::new(&path),
    };
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", api.address.to_string())
        .env("KEY_DERIVATION_SECRET", BENCH_DERIVATION_SECRET)
        .env("AWS_LAMBDA_FUNCTION_NAME", binary)
        .env(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            setup
                .memory_sizes
                .get(binary)
                .copied()
                .unwrap_or(128)
                .to_string(),
        )
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_ENDPOINT_URL_DYNAMODB", &setup.endpoint)
        .env("TABLE_NAME", &setup.table)
        .env("RUST_LOG", "info")
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true);
    command
        .spawn()
        .unwrap_or_else(|err| panic!("spawn {binary}: {err}"))
}

fn peak_rss_kib(child: &Child) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()?)).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values.get(values.len() / 2).copied().unwrap_or_default()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.3}", d.as_secs_f64() * 1e3)
}

/// One cold start of `binary`: (init, first response time).
async fn cold_start_once(setup: &Setup, binary: &str, route: &str) -> (Duration, Duration) {
    let mut api = RuntimeApi::start().await;
    let started = Instant::now();
    let mut child = spawn(setup, binary, &api).await;
    let init_done = api
        .init_done()
        .await
        .unwrap_or_else(|| panic!("{binary} never asked for work"));
    let (latency, body) = api
        .invoke(route_event(route, key_for(setup, route)))
        .await
        .expect("first invocation");
    assert!(
        succeeded(setup, route, &body),
        "{binary}: {}",
        String::from_utf8_lossy(&body)
    );
    let _ = child.kill().await;
    (init_done - started, latency)
}

/// Cold starts of every binary, taken in turn (round-robin, so machine noise falls on all alike): for each,
/// the median init and first response over `runs`.
async fn cold_starts(
    setup: &Setup,
    binaries: &[(&str, &str)],
    runs: usize,
) -> Vec<(Duration, Duration)> {
    let mut samples = vec![(Vec::new(), Vec::new()); binaries.len()];
    for _ in 0..runs {
        for (i, (binary, route)) in binaries.iter().enumerate() {
            let (init, first) = cold_start_once(setup, binary, route).await;
            samples[i].0.push(init);
            samples[i].1.push(first);
        }
    }
    samples
        .into_iter()
        .map(|(mut inits, mut firsts)| (median(&mut inits), median(&mut firsts)))
        .collect()
}

/// `count` warm invocations of `route` on one running process, each followed by the same DynamoDB reads
/// done directly from this process (`raw`, when asked), so both see the same moment of a noisy machine:
/// sorted handler latencies, sorted raw latencies, peak RSS, wall time of the handler invocations.
async fn warm(
    setup: &Setup,
    route: &str,
    count: usize,
    raw: bool,
) -> (Vec<Duration>, Vec<Duration>, Option<u64>, Duration) {
    let mut api = RuntimeApi::start().await;
    let child = spawn(setup, route, &api).await;
    api.init_done().await.expect("init");
    let key = key_for(setup, route);
    let hash = auth::ApiKeySecret::parse(key).expect("key").hash();
    for _ in 0..50 {
        let (_, body) = api.invoke(route_event(route, key)).await.expect("warm-up");
        assert!(
            succeeded(setup, route, &body),
            "{route}: {}",
            String::from_utf8_lossy(&body)
        );
        if raw {
            raw_reads(setup, route, &hash).await;
        }
    }
    let (mut latencies, mut raw_latencies) = (Vec::with_capacity(count), Vec::with_capacity(count));
    let mut wall = Duration::ZERO;
    for _ in 0..count {
        let started = Instant::now();
        let (latency, _) = api
            .invoke(route_event(route, key))
            .await
            .expect("invocation");
        wall += started.elapsed();
        latencies.push(latency);
        if raw {
            raw_latencies.push(raw_reads(setup, route, &hash).await);
        }
    }
    latencies.sort();
    raw_latencies.sort();
    (latencies, raw_latencies, peak_rss_kib(&child), wall)
}

/// The same DynamoDB reads the handler makes (the index Query, then the route's own read; the authorizer has
/// none), done directly: the floor for the handler's latency.
async fn raw_reads(setup: &Setup, route: &str, hash: &str) -> Duration {
    let started = Instant::now();
    let key = setup
        .store
        .find_key_by_hash(hash)
        .await
        .expect("query")
        .expect("key");
    match route {
        "authorizer" => drop(key),
        "account" => drop(
            setup
                .store
                .get_organization(&key.org_id)
                .await
                .expect("get"),
        ),
        _ => drop(setup.store.list_keys(&key.org_id).await.expect("list")),
    }
    started.elapsed()
}

/// A small text histogram of latencies, for BENCHMARKS.md.
fn histogram(label: &str, sorted: &[Duration], floor: Duration, ceiling: Duration) -> String {
    let buckets = 12;
    let width = (ceiling.saturating_sub(floor)).as_secs_f64() / buckets as f64;
    let mut counts = vec![0usize; buckets];
    for d in sorted {
        let index = ((d.saturating_sub(floor)).as_secs_f64() / width).floor() as usize;
        counts[index.min(buckets - 1)] += 1;
    }
    let most = counts.iter().copied().max().unwrap_or(1).max(1);
    let mut out = format!("{label}\n");
    for (i, count) in counts.iter().enumerate() {
        let from = floor.as_secs_f64() * 1e3 + width * 1e3 * i as f64;
        let bar = "#".repeat(count * 50 / most);
        out.push_str(&format!("  {from:6.2} ms | {bar} {count}\n"));
    }
    out
}

/// The key-derivation secret the benchmarked functions are started with.
const BENCH_DERIVATION_SECRET: &str = "bench-key-derivation-secret-0123456789abcdef";

fn bench_derivation_secret() -> accounts::DerivationSecret {
    accounts::DerivationSecret::new(BENCH_DERIVATION_SECRET).expect("long enough")
}

async fn prepare() -> Setup {
    let direct =
        std::env::var("DYNAMODB_ENDPOINT").unwrap_or_else(|_| "http://127.0.0.1:8071".to_owned());
    let (endpoint, counter) = counter::start(direct.trim_start_matches("http://").to_owned()).await;
    let table = format!("bench-{}", std::process::id());
    let client = build_client(&ClientSettings::local(endpoint.clone())).await;
    schema::ensure_table(&client, &table)
        .await
        .expect("create the bench table");
    let store = Store::new(client, table.clone());
    let now = SystemTime::now();
    let (admin_key, principal) = bench_organisation(&store, "Bench", "bench-owner", now).await;
    for i in 0..9 {
        bench_key(&store, &principal, format!("Bench key {i}"), None, now).await;
    }
    // The authorizer's organisation and its two `read`-only keys.
    let (_, owner_principal) =
        bench_organisation(&store, "Bench authorizer", "bench-authorizer", now).await;
    let read_key = |name: &str| {
        let read_only = Some(vec!["read".to_owned()]);
        bench_key(&store, &owner_principal, name.to_owned(), read_only, now)
    };
    let (authorizer_key, _) = read_key("Bench authorizer (timed)").await;
    let (counted_key, counted_key_id) = read_key("Bench authorizer (counted)").await;
    let binaries = std::env::var("BENCH_BINARIES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from("target/release"));
    counter.take();
    Setup {
        binaries,
        endpoint,
        table,
        counter,
        store,
        admin_key,
        authorizer_org: owner_principal.org_id.clone(),
        authorizer_key,
        counted_key,
        counted_key_id,
        memory_sizes: memory_size::template_memory_sizes(
            &std::fs::read_to_string("template.yaml").unwrap_or_default(),
        ),
    }
}

/// Signs an organisation up for the bench: its first (admin) key and the principal that key acts as.
async fn bench_organisation(
    store: &Store,
    name: &str,
    email_local_part: &str,
    now: SystemTime,
) -> (String, Principal) {
    let signup = accounts::signup(
        store,
        SignupInput {
            name: name.to_owned(),
            email: format!("{email_local_part}-{}@example.com", std::process::id()),
            plan_id: Some("starter".to_owned()),
        },
        None,
        &bench_derivation_secret(),
        now,
    )
    .await
    .expect("signup");
    let principal = Principal {
        org_id: signup.account.org_id,
        key_id: signup.api_key.id,
        environment: Environment::Live,
        scopes: Scopes::all(),
    };
    (signup.api_key.key, principal)
}

/// Creates one live key in the principal's organisation: its full key and its id.
async fn bench_key(
    store: &Store,
    principal: &Principal,
    name: String,
    scopes: Option<Vec<String>>,
    now: SystemTime,
) -> (String, String) {
    let input = NewKeyInput {
        name: Some(name),
        scopes,
        ..NewKeyInput::default()
    };
    let created = accounts::create_key(
        store,
        principal,
        input,
        None,
        &bench_derivation_secret(),
        now,
    )
    .await
    .expect("create a key");
    (created.key, created.id)
}

/// Section 3's table: each route's DynamoDB operations per request, counted on the wire over 100 warm
/// requests, and its read and write units per request by route.
async fn operations_per_request(setup: &Setup) -> (String, BTreeMap<String, (f64, f64)>) {
    let mut out = String::from(
        "\n## 3. DynamoDB operations per request (counted on the wire by a proxy, 100 warm requests each)\n\n\
         | route | operations per request | read units | write units |\n|---|---|---|---|\n",
    );
    let mut units = BTreeMap::new();
    for (route, label) in [
        ("health", "GET /health"),
        ("signup", "POST /v1/signup"),
        ("account", "GET /v1/account"),
        ("api-keys", "GET /v1/account/api-keys"),
        ("authorizer", "authorizer (GET /v1/memories)"),
        ("dashboard", "GET /dashboard"),
    ] {
        let mut api = RuntimeApi::start().await;
        let _child = spawn(setup, route, &api).await;
        api.init_done().await.expect("init");
        for _ in 0..5 {
            api.invoke(route_event(route, key_for(setup, route)))
                .await
                .expect("warm-up");
        }
        setup.counter.take();
        for _ in 0..100 {
            api.invoke(route_event(route, key_for(setup, route)))
                .await
                .expect("invocation");
        }
        let per_request: BTreeMap<String, f64> = setup
            .counter
            .take()
            .into_iter()
            .map(|(operation, count)| (operation, count as f64 / 100.0))
            .collect();
        let described = describe(
            per_request
                .iter()
                .map(|(operation, n)| format!("{n:.2} {operation}")),
        );
        let (reads, writes) = capacity(route, &per_request);
        units.insert(route.to_owned(), (reads, writes));
        out.push_str(&format!(
            "| {label} | {described} | {reads:.2} | {writes:.2} |\n"
        ));
    }
    (out, units)
}

/// Read and write units per request of `route` from the operations counted per request (items under 1 KB,
/// the keys list under 4 KB): the key-hash index Query is eventually consistent (0.5 RRU), every other read
/// is strongly consistent (1 RRU), each written item 1 WRU, 2 inside a transaction: signup's writes 3 items,
/// an authenticated route's (usage and `last_used_at`) 2.
fn capacity(route: &str, per_request: &BTreeMap<String, f64>) -> (f64, f64) {
    let count = |operation: &str| per_request.get(operation).copied().unwrap_or(0.0);
    let authenticated = matches!(route, "account" | "api-keys" | "authorizer");
    let index_reads = if authenticated { 1.0 } else { 0.0 };
    let reads = 0.5 * index_reads + (count("Query") - index_reads).max(0.0) + count("GetItem");
    let items_per_transaction = if route == "signup" { 3.0 } else { 2.0 };
    let writes = count("UpdateItem")
        + count("PutItem")
        + 2.0 * items_per_transaction * count("TransactWriteItems");
    (reads, writes)
}

/// Operations that read; every other operation counts as a write.
const READ_OPERATIONS: [&str; 5] = [
    "GetItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "TransactGetItems",
];

/// Counted operations split into reads and writes (every operation that is not a read).
fn split_reads(
    operations: &BTreeMap<String, u64>,
) -> (BTreeMap<String, u64>, BTreeMap<String, u64>) {
    operations
        .iter()
        .map(|(operation, count)| (operation.clone(), *count))
        .partition(|(operation, _)| READ_OPERATIONS.contains(&operation.as_str()))
}

/// Operations as BENCHMARKS.md lists them: `2 Query + 1 GetItem`, or `none`.
fn describe(parts: impl IntoIterator<Item = String>) -> String {
    let described: Vec<String> = parts.into_iter().collect();
    if described.is_empty() {
        "none".to_owned()
    } else {
        described.join(" + ")
    }
}

/// Counted operations as BENCHMARKS.md lists them: `2000 Query`, or `none`.
fn describe_counts(operations: &BTreeMap<String, u64>) -> String {
    describe(
        operations
            .iter()
            .map(|(operation, count)| format!("{count} {operation}")),
    )
}

/// What one `authorizer` instance cost on the wire over `requests` requests of one key, and what it wrote.
struct AuthorizerCount {
    requests: usize,
    run: Duration,
    /// Every operation while the requests ran, and the `Query` operations among them on the key-hash index.
    running: BTreeMap<String, u64>,
    index_queries: u64,
    /// Operations after SIGTERM (the shutdown flush), and whether the process then exited cleanly.
    at_shutdown: BTreeMap<String, u64>,
    clean_exit: bool,
    /// The key's usage in the table once the instance ended.
    usage_written: u64,
}

/// One fresh `authorizer` process, no warm-up: `requests` events of the counted key (each must be allowed),
/// then SIGTERM as Lambda sends it, so its shutdown flush writes what it still holds.
async fn authorizer_operations(setup: &Setup, requests: usize) -> AuthorizerCount {
    let mut api = RuntimeApi::start().await;
    let mut child = spawn(setup, "authorizer", &api).await;
    api.init_done().await.expect("authorizer init");
    setup.counter.take();
    setup.counter.count_queries_by_index(true);
    let first_day = auth::timestamp(SystemTime::now())[..10].to_owned();
    let started = Instant::now();
    for i in 0..requests {
        let (_, body) = api
            .invoke(authorizer_event(&setup.counted_key))
            .await
            .expect("authorizer invocation");
        assert!(
            succeeded(setup, "authorizer", &body),
            "authorizer request {i}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let run = started.elapsed();
    let running = setup.counter.take_detailed();
    setup.counter.count_queries_by_index(false);
    let index_queries = running
        .queries_by_index
        .get(store::schema::KEY_HASH_INDEX)
        .copied()
        .unwrap_or(0);
    let clean_exit = sigterm_and_wait(&mut child)
        .await
        .is_some_and(|status| status.success());
    let at_shutdown = setup.counter.take();
    let last_day = auth::timestamp(SystemTime::now())[..10].to_owned();
    let usage_written = setup
        .store
        .usage(&setup.authorizer_org, &first_day, &last_day)
        .await
        .expect("read the usage")
        .iter()
        .filter(|record| record.key_id == setup.counted_key_id)
        .map(|record| record.requests)
        .sum();
    setup.counter.take();
    AuthorizerCount {
        requests,
        run,
        running: running.operations,
        index_queries,
        at_shutdown,
        clean_exit,
        usage_written,
    }
}

impl AuthorizerCount {
    /// The Markdown section, and what broke the bounds: exactly one read per request (the key-hash index
    /// `Query`), at most 1 + (whole minutes of the run) writes, one write at shutdown, every request in usage.
    fn report(&self) -> (String, Vec<String>) {
        let requests = self.requests as u64;
        let (read_ops, write_ops) = split_reads(&self.running);
        let reads: u64 = read_ops.values().sum();
        let writes: u64 = write_ops.values().sum();
        let minutes = self.run.as_secs() / 60;
        let write_bound = 1 + minutes;
        let shutdown_writes: u64 = split_reads(&self.at_shutdown).1.values().sum();
        let per_request = |n: u64| n as f64 / requests.max(1) as f64;
        let mut section = format!(
            "\n### The authorizer: {requests} requests of one key on one instance (counted on the wire)\n\n\
             One fresh `authorizer` process, no warm-up, `events/authorizer-allowed.json` (`GET /v1/memories`) \
             with a `read`-only key that no other request of the bench uses; every answer was \
             `isAuthorized: true` with the key's context. The {requests} requests took {:.1} s ({minutes} whole \
             minutes), so at most {write_bound} write(s). Then SIGTERM, as Lambda ends an instance.\n\n\
             | DynamoDB operations | count | per request | bound |\n|---|---|---|---|\n\
             | reads: `Query` on `{}` | {} | {:.4} | |\n\
             | reads in all ({}) | {reads} | {:.4} | exactly {requests} |\n\
             | writes: usage `ADD` + `last_used_at` ({}) | {writes} | {:.4} | ≤ {write_bound} (1 + whole minutes) |\n\
             | at shutdown: the flush of the counts not yet written ({}) | {shutdown_writes} | | |\n\n\
             Read units: 0.5 per request (one eventually consistent index read of an item under 4 KB); write \
             units: 2 per item in a transaction, the key's item and one usage item per UTC day (4 per write). \
             Usage of the key in the table after the flush: {} requests of {requests}{}.\n",
            self.run.as_secs_f64(),
            store::schema::KEY_HASH_INDEX,
            self.index_queries,
            per_request(self.index_queries),
            describe_counts(&read_ops),
            per_request(reads),
            describe_counts(&write_ops),
            per_request(writes),
            describe_counts(&self.at_shutdown),
            self.usage_written,
            if self.clean_exit {
                ", the process exiting cleanly after SIGTERM"
            } else {
                ", but the process did not exit cleanly after SIGTERM"
            },
        );
        let mut failures = Vec::new();
        if reads != requests || self.index_queries != requests {
            failures.push(format!(
                "authorizer: {reads} reads ({} on the key-hash index) for {requests} requests, not exactly one each",
                self.index_queries
            ));
        }
        if writes > write_bound {
            failures.push(format!(
                "authorizer: {writes} writes in {:.1} s, more than {write_bound} (one per key per minute)",
                self.run.as_secs_f64()
            ));
        }
        if self.usage_written != requests || !self.clean_exit {
            failures.push(format!(
                "authorizer: {} of {requests} requests in the key's usage after shutdown (clean exit: {})",
                self.usage_written, self.clean_exit
            ));
        }
        if !failures.is_empty() {
            section.push_str(&format!("\n**Failed:** {}.\n", failures.join("; ")));
        }
        (section, failures)
    }
}

/// `bench profile <function> [invocations]`: init, then `invocations` (default 200; 0 profiles init alone)
/// warm requests on one process (run it under BENCH_WRAPPER), then lets the process end normally so a
/// profiler can write its report.
async fn profile(function: &str, invocations: usize) {
    let setup = prepare().await;
    let mut api = RuntimeApi::start().await;
    let mut child = spawn(&setup, function, &api).await;
    api.init_done().await.expect("init");
    for _ in 0..invocations {
        api.invoke(route_event(function, key_for(&setup, function)))
            .await
            .expect("invocation");
    }
    drop(api);
    let _ = tokio::time::timeout(Duration::from_secs(60), child.wait()).await;
}

/// Section 6, when cgroups can be made here: each function at each memory size's CPU share, over TLS.
async fn memory_sizes(setup: &Setup, units: &BTreeMap<String, (f64, f64)>) -> String {
    if !cpu_share::available() {
        return "\n## 6. Memory size under Lambda's CPU model\n\nNot measured: it needs root and the cgroup \
                v1 `cpu` controller at /sys/fs/cgroup/cpu.\n"
            .to_owned();
    }
    let upstream = setup.endpoint.trim_start_matches("http://").to_owned();
    let terminator = tls::start(upstream, std::path::Path::new(".data/bench-test-ca.pem")).await;
    let counts = memory_size::SampleCounts {
        cold_runs: env_number("BENCH_MEMORY_COLD_RUNS", 15),
        requests: env_number("BENCH_MEMORY_REQUESTS", 300),
        lone: env_number("BENCH_MEMORY_LONE", 20),
        pause: Duration::from_millis(env_number("BENCH_MEMORY_PAUSE_MS", 1500) as u64),
    };
    memory_size::section(setup, &terminator, &counts, units).await
}

#[tokio::main]
async fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    if arguments.get(1).map(String::as_str) == Some("profile") {
        let invocations = arguments.get(3).and_then(|n| n.parse().ok()).unwrap_or(200);
        profile(
            arguments.get(2).map(String::as_str).unwrap_or("account"),
            invocations,
        )
        .await;
        return;
    }
    if arguments.get(1).map(String::as_str) == Some("memory") {
        // Sections 3 and 6 alone: the memory sizes, and the units per request their costs need.
        let setup = prepare().await;
        let (table, units) = operations_per_request(&setup).await;
        println!("{table}{}", memory_sizes(&setup, &units).await);
        return;
    }
    let requests = env_number("BENCH_REQUESTS", 2000);
    let cold_runs = env_number("BENCH_COLD_RUNS", 31);
    let setup = prepare().await;
    let mut out = String::new();

    // 1. Cold start.
    out.push_str(&format!(
        "## 1. Cold start (median of {cold_runs} fresh processes each, binaries taken in turn)\n\nInit is process start to the first \
         request for work; first request is the first event's time inside the function (the authorizer's: \
         `events/authorizer-allowed.json` with a `read` key, answered `isAuthorized: true`). Baseline: `hello`, \
         a minimal `lambda_http` function built with the same profile. Sections 1 to 5 run unthrottled, each \
         function told its template.yaml `MemorySize` (below {} MB the store opens its DynamoDB connection \
         during init: section 6).\n\n\
         | binary | init (ms) | init / hello | first request (ms) | first request / hello |\n|---|---|---|---|---|\n",
        store::CONNECT_AT_INIT_BELOW_MB
    ));
    let mut binaries = vec![("hello", "health")];
    binaries.extend(FUNCTIONS.iter().map(|f| (*f, *f)));
    let medians = cold_starts(&setup, &binaries, cold_runs).await;
    let (hello_init, hello_first) = medians[0];
    out.push_str(&format!(
        "| hello (baseline) | {} | 1.00 | {} | 1.00 |\n",
        ms(hello_init),
        ms(hello_first)
    ));
    for ((function, _), (init, first)) in binaries.iter().zip(&medians).skip(1) {
        out.push_str(&format!(
            "| {function} | {} | {:.2} | {} | {:.2} |\n",
            ms(*init),
            init.as_secs_f64() / hello_init.as_secs_f64(),
            ms(*first),
            first.as_secs_f64() / hello_first.as_secs_f64()
        ));
    }
    setup.counter.take();

    // 2. Warm latency, 4. peak RSS, 5. throughput.
    out.push_str(&format!(
        "\n## 2. Warm latency ({requests} requests after 50 warm-up, one process)\n\nBaseline: the same DynamoDB \
         reads done directly with the SDK from the benchmark process (the auth Query on the key-hash index, \
         then the route's own read; for the authorizer the Query alone), each right after one handler request, so both see the same moments of \
         the machine. The handler's time includes the Runtime API round trip that every Lambda invocation \
         pays.\n\n\
         | route | p50 (ms) | p99 (ms) | raw reads p50 (ms) | raw reads p99 (ms) | p50 / raw | p99 / raw |\n|---|---|---|---|---|---|---|\n"
    ));
    let mut charts = String::new();
    let mut memory = BTreeMap::new();
    let mut throughput = Vec::new();
    for (route, path) in [
        ("account", "GET /v1/account"),
        ("api-keys", "GET /v1/account/api-keys (10 keys)"),
        ("authorizer", "authorizer: GET /v1/memories, `read` key"),
    ] {
        setup.counter.take();
        let (latencies, raw, rss, wall) = warm(&setup, route, requests, true).await;
        // The raw reads add their own Query + GetItem/Query, never a write: writes are the handler's.
        let ops = setup.counter.take();
        let (p50, p99, r50, r99) = (
            percentile(&latencies, 50.0),
            percentile(&latencies, 99.0),
            percentile(&raw, 50.0),
            percentile(&raw, 99.0),
        );
        out.push_str(&format!(
            "| {path} | {} | {} | {} | {} | {:.2} | {:.2} |\n",
            ms(p50),
            ms(p99),
            ms(r50),
            ms(r99),
            p50.as_secs_f64() / r50.as_secs_f64(),
            p99.as_secs_f64() / r99.as_secs_f64()
        ));
        let ceiling = percentile(&latencies, 99.5).max(percentile(&raw, 99.5));
        let floor = raw
            .first()
            .copied()
            .unwrap_or_default()
            .min(latencies.first().copied().unwrap_or_default());
        charts.push_str(&histogram(
            &format!("{path}: handler"),
            &latencies,
            floor,
            ceiling,
        ));
        charts.push_str(&histogram(
            &format!("{path}: raw reads"),
            &raw,
            floor,
            ceiling,
        ));
        memory.insert(route.to_owned(), rss);
        let writes = describe_counts(&split_reads(&ops).1);
        throughput.push((path, requests as f64 / wall.as_secs_f64(), wall, writes));
    }
    out.push_str(&format!(
        "\nLatency distributions (same buckets for handler and raw reads):\n\n```\n{charts}```\n"
    ));

    // 3. DynamoDB operations per request, counted on the wire.
    let (table, units) = operations_per_request(&setup).await;
    out.push_str(&table);
    out.push_str(
        "\nThe first request of a key on an instance writes its usage and `last_used_at` (one \
         `TransactWriteItems`); the 5 warm-up requests above took that write, so the 100 counted show none.\n\n\
         `last_used_at` and usage under sustained load, for one key, each on one fresh instance (writes on the \
         wire over the 50 warm-up and the timed requests of section 2, timed wall time):",
    );
    for (path, _, wall, writes) in &throughput {
        out.push_str(&format!(
            " {path}: {writes} in {:.1} s;",
            wall.as_secs_f64()
        ));
    }
    out.push_str(
        " one write per key per minute per instance. A second `TransactWriteItems` right after the first is \
         the counts-only retry: the key's `last_used_at` (whole seconds) was already as new, written by \
         another instance in the same second (in this run, a cold start of section 1 with the same key), so the \
         condition cancelled the first.\n",
    );

    // 3b. The authorizer: one read per request, one write per key per minute, counted on the wire.
    let counted = authorizer_operations(&setup, requests).await;
    let (section, failures) = counted.report();
    out.push_str(&section);

    // 4. Memory and size.
    out.push_str("\n## 4. Peak RSS under load and package size\n\n| function | peak RSS (MiB) | target |\n|---|---|---|\n");
    for function in ["health", "signup"] {
        let (_, _, rss, _) = warm(&setup, function, 500, false).await;
        memory.insert(function.to_owned(), rss);
    }
    for function in FUNCTIONS {
        let rss = memory
            .get(function)
            .copied()
            .flatten()
            .map(|kib| kib as f64 / 1024.0);
        out.push_str(&format!(
            "| {function} | {} | ≤ 32 MiB |\n",
            rss.map(|m| format!("{m:.1}"))
                .unwrap_or_else(|| "n/a".to_owned())
        ));
    }

    // 5. Throughput.
    out.push_str("\n## 5. Throughput of one function instance (one event at a time, as Lambda runs it)\n\n| route | requests/s |\n|---|---|\n");
    for (path, rps, _, _) in &throughput {
        out.push_str(&format!("| {path} | {rps:.0} |\n"));
    }

    // 6. Memory size under Lambda's CPU model, over TLS.
    out.push_str(&memory_sizes(&setup, &units).await);
    println!("{out}");
    if !failures.is_empty() {
        eprintln!("{section}");
        for failure in &failures {
            eprintln!("bench failed: {failure}");
        }
        std::process::exit(1);
    }
}
