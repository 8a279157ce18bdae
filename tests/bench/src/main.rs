//! `make bench`: each figure against its baseline in the same run, written as JSON ([`figures`]); `bench
//! render` turns that JSON into BENCHMARKS.md ([`render`]), judged by [`policy`]; `bench compare` sets two
//! runs side by side.
//!
//! Function binaries run as real processes behind an emulated Lambda Runtime API ([`runtime`]), talking to
//! DynamoDB Local through a proxy that counts operations on the wire ([`counter`]); in section 6, each held to
//! a memory size's CPU share ([`cpu_share`]) and reaching DynamoDB over TLS ([`tls`]).

mod allowlist;
mod compare;
mod counter;
mod cpu_share;
mod figures;
mod leak;
mod memory_size;
mod policy;
mod pricing;
mod render;
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
use figures::{
    AuthorizerCount, AuthorizerLoad, BenchFigures, BusyKey, CacheFull, ColdStartRow,
    ColdStartSection, FirstReads, Histogram, LoadRun, MemorySizeSection, OperationsRow,
    OperationsSection, PeakRss, RunInfo, SustainedWrites, Throughput, ToolFigures, WarmRow,
    WarmSection,
};
use service_tests::{gateway_event as event, sigterm_and_wait, Moment, RuntimeApi, Timeline};

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
    /// The authorizer organisation's admin key as a principal: section 9 makes its keys with it.
    authorizer_principal: Principal,
    authorizer_key: String,
    /// ... and counted with: a key no other request uses, so its writes are the counted instance's alone.
    counted_key: String,
    counted_key_id: String,
    /// Section 3b again with the cache on: another key of the same kind.
    cached_key: String,
    cached_key_id: String,
    /// Section 7: one busy key (cache on), and the long tail: `read`-only keys (key, id, organisation) of
    /// organisations of their own (at most [`accounts::MAX_ACTIVE_KEYS`] keys each), each key sending one
    /// request per instance.
    busy_key: String,
    crowd: Vec<(String, String, String)>,
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
            && answer["context"]["org_id"].as_str().is_some_and(|org| {
                org == setup.authorizer_org || setup.crowd.iter().any(|(_, _, crowd)| crowd == org)
            })
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

/// A duration in ms, as the figures hold times.
fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
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

/// The route's reads by a fresh SDK client in a fresh process (`first_reads`), as the functions reach
/// DynamoDB (the counting proxy, plain HTTP).
async fn first_reads_once(setup: &Setup, route: &str) -> Duration {
    let hash = auth::ApiKeySecret::parse(key_for(setup, route))
        .expect("key")
        .hash();
    let output = Command::new(setup.binaries.join("first_reads"))
        .arg(route)
        .arg(hash)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("AWS_ENDPOINT_URL_DYNAMODB", &setup.endpoint)
        .env("TABLE_NAME", &setup.table)
        .output()
        .await
        .expect("run first_reads");
    let text = String::from_utf8_lossy(&output.stdout);
    let ms: f64 = text.trim().parse().unwrap_or_else(|_| {
        panic!(
            "first_reads {route}: {text:?} {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Duration::from_secs_f64(ms / 1e3)
}

/// Cold starts of every binary, taken in turn (round-robin, so machine noise falls on all alike): for each,
/// the median init and first response over `runs`; and in the same turns, the median of each of `reads`
/// routes' first reads by a fresh client.
async fn cold_starts(
    setup: &Setup,
    binaries: &[(&str, &str)],
    reads: &[&str],
    runs: usize,
) -> (Vec<(Duration, Duration)>, Vec<Duration>) {
    let mut samples = vec![(Vec::new(), Vec::new()); binaries.len()];
    let mut read_samples = vec![Vec::new(); reads.len()];
    for _ in 0..runs {
        for (i, (binary, route)) in binaries.iter().enumerate() {
            let (init, first) = cold_start_once(setup, binary, route).await;
            samples[i].0.push(init);
            samples[i].1.push(first);
        }
        for (i, route) in reads.iter().enumerate() {
            read_samples[i].push(first_reads_once(setup, route).await);
        }
    }
    let medians = samples
        .into_iter()
        .map(|(mut inits, mut firsts)| (median(&mut inits), median(&mut firsts)))
        .collect();
    let read_medians = read_samples.iter_mut().map(|s| median(s)).collect();
    (medians, read_medians)
}

/// Requests each instance of section 2 serves before it is timed.
const WARM_UP: usize = 50;

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
    for _ in 0..WARM_UP {
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

/// Latencies counted in 12 equal buckets from `floor` to `ceiling` (the last bucket takes everything
/// above), for BENCHMARKS.md's text histograms.
fn histogram(sorted: &[Duration], floor: Duration, ceiling: Duration) -> Histogram {
    let buckets = 12;
    let width = (ceiling.saturating_sub(floor)).as_secs_f64() / buckets as f64;
    let mut counts = vec![0usize; buckets];
    for d in sorted {
        let index = ((d.saturating_sub(floor)).as_secs_f64() / width).floor() as usize;
        counts[index.min(buckets - 1)] += 1;
    }
    Histogram {
        floor_ms: millis(floor),
        bucket_ms: width * 1e3,
        counts,
    }
}

/// The key-derivation secret the benchmarked functions are started with.
const BENCH_DERIVATION_SECRET: &str = "bench-key-derivation-secret-0123456789abcdef";

fn bench_derivation_secret() -> accounts::DerivationSecret {
    accounts::DerivationSecret::new(BENCH_DERIVATION_SECRET).expect("long enough")
}

/// The bench's table and keys; `crowd_keys` keys of section 7's long tail (0 when it is not measured).
async fn prepare(crowd_keys: usize) -> Setup {
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
    let (cached_key, cached_key_id) = read_key("Bench authorizer (counted, cache on)").await;
    let (busy_key, _) = read_key("Bench authorizer (busy)").await;
    // Organisations of their own, filled at once (one task each: DynamoDB Local serves them side by side).
    let mut crowd = Vec::new();
    let per_organisation = accounts::MAX_ACTIVE_KEYS - 1;
    let mut filling = tokio::task::JoinSet::new();
    for n in 0..crowd_keys.div_ceil(per_organisation) {
        let store = store.clone();
        let keys = per_organisation.min(crowd_keys - n * per_organisation);
        filling.spawn(async move {
            let (_, principal) =
                bench_organisation(&store, "Bench crowd", &format!("bench-crowd-{n}"), now).await;
            let mut made = Vec::new();
            for i in 0..keys {
                let read_only = Some(vec!["read".to_owned()]);
                let name = format!("Bench crowd {n} key {i}");
                let (key, id) = bench_key(&store, &principal, name, read_only, now).await;
                made.push((key, id, principal.org_id.clone()));
            }
            made
        });
    }
    while let Some(made) = filling.join_next().await {
        crowd.extend(made.expect("fill a crowd organisation"));
    }
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
        authorizer_principal: owner_principal,
        authorizer_key,
        counted_key,
        counted_key_id,
        cached_key,
        cached_key_id,
        busy_key,
        crowd,
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
        &accounts::KeyDerivation::Value(bench_derivation_secret()),
        accounts::SignupOrigin::default(),
        now,
    )
    .await
    .expect("signup");
    let principal = Principal {
        org_id: signup.account.org_id,
        key_id: signup.api_key.id,
        key_prefix: signup.api_key.key_prefix,
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
        &accounts::KeyDerivation::Value(bench_derivation_secret()),
        &store::RequestFacts::default(),
        now,
    )
    .await
    .expect("create a key");
    (created.key, created.id)
}

/// Warm requests each route's operations are counted over in section 3, after its warm-up.
const COUNTED_REQUESTS: usize = 100;
const COUNTED_WARM_UP: usize = 5;

/// Section 3: each route's DynamoDB operations per request, counted on the wire over
/// [`COUNTED_REQUESTS`] warm requests, and its read and write units per request (also by function, for
/// section 6's costs).
async fn operations_per_request(
    setup: &Setup,
) -> (Vec<OperationsRow>, BTreeMap<String, (f64, f64)>) {
    let mut rows = Vec::new();
    let mut units = BTreeMap::new();
    for (function, route) in [
        ("health", "GET /health"),
        ("signup", "POST /v1/signup"),
        ("account", "GET /v1/account"),
        ("api-keys", "GET /v1/account/api-keys"),
        ("authorizer", "authorizer (GET /v1/memories)"),
        ("dashboard", "GET /dashboard"),
    ] {
        let mut api = RuntimeApi::start().await;
        let _child = spawn(setup, function, &api).await;
        api.init_done().await.expect("init");
        for _ in 0..COUNTED_WARM_UP {
            api.invoke(route_event(function, key_for(setup, function)))
                .await
                .expect("warm-up");
        }
        setup.counter.take();
        setup.counter.count_queries_by_index(true);
        for _ in 0..COUNTED_REQUESTS {
            api.invoke(route_event(function, key_for(setup, function)))
                .await
                .expect("invocation");
        }
        ready_again(&api).await;
        let counted = setup.counter.take_detailed();
        setup.counter.count_queries_by_index(false);
        let per_request: BTreeMap<String, f64> = counted
            .operations
            .into_iter()
            .map(|(operation, count)| (operation, count as f64 / COUNTED_REQUESTS as f64))
            .collect();
        let index_reads = counted
            .queries_by_index
            .get(store::schema::KEY_HASH_INDEX)
            .copied()
            .unwrap_or(0) as f64
            / COUNTED_REQUESTS as f64;
        let (read_units, write_units) = capacity(&per_request, index_reads);
        units.insert(function.to_owned(), (read_units, write_units));
        rows.push(OperationsRow {
            function: function.to_owned(),
            route: route.to_owned(),
            per_request,
            read_units,
            write_units,
        });
    }
    (rows, units)
}

/// Read and write units per request from the operations counted per request (items under 1 KB, the keys
/// list under 4 KB), `index_reads` of the `Query`s on the key-hash index (eventually consistent: 0.5 RRU;
/// fewer than one per request when the authentication cache kept the key); every other read is strongly
/// consistent (1 RRU), each written item 1 WRU (single `UpdateItem`/`PutItem`), 2 inside a transaction:
/// signup's writes 3 items.
fn capacity(per_request: &BTreeMap<String, f64>, index_reads: f64) -> (f64, f64) {
    let count = |operation: &str| per_request.get(operation).copied().unwrap_or(0.0);
    let reads = 0.5 * index_reads + (count("Query") - index_reads).max(0.0) + count("GetItem");
    let writes = count("UpdateItem") + count("PutItem") + 2.0 * 3.0 * count("TransactWriteItems");
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
        .partition(|(operation, _)| is_read(operation))
}

/// Whether `operation` reads; every other operation counts as a write.
fn is_read(operation: &str) -> bool {
    READ_OPERATIONS.contains(&operation)
}

/// One fresh `authorizer` process with `AUTH_CACHE_TTL` at `cache_ttl_s` (0: off), no warm-up: `requests`
/// events of `key` (id `key_id`; each must be allowed), then SIGTERM as Lambda sends it, so its shutdown
/// flush writes what it still holds.
async fn authorizer_operations(
    setup: &Setup,
    requests: usize,
    (key, key_id): (&str, &str),
    cache_ttl_s: f64,
) -> AuthorizerCount {
    let requests = requests as u64;
    let mut api = RuntimeApi::start().await;
    let ttl = cache_ttl_s.to_string();
    let mut child = spawn_with(setup, "authorizer", &api, &[("AUTH_CACHE_TTL", &ttl)]).await;
    api.init_done().await.expect("authorizer init");
    setup.counter.take();
    setup.counter.count_queries_by_index(true);
    let first_day = auth::timestamp(SystemTime::now())[..10].to_owned();
    let started = Instant::now();
    for i in 0..requests {
        let (_, body) = api
            .invoke(authorizer_event(key))
            .await
            .expect("authorizer invocation");
        assert!(
            succeeded(setup, "authorizer", &body),
            "authorizer request {i}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let run = started.elapsed();
    // The last request's after-response writes belong to the run.
    ready_again(&api).await;
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
    let usage_written = usage_of(
        setup,
        &[(key_id, setup.authorizer_org.as_str())],
        &first_day,
        &last_day,
    )
    .await;
    setup.counter.take();
    let (reads, writes) = split_reads(&running.operations);
    AuthorizerCount {
        requests,
        run_s: run.as_secs_f64(),
        index: store::schema::KEY_HASH_INDEX.to_owned(),
        index_queries,
        reads,
        writes,
        at_shutdown,
        clean_exit,
        usage_written,
        cache_ttl_s,
    }
}

/// The requests of `keys` (key id, organisation) in the table from `first_day` to `last_day`, summed over
/// the instances that counted them.
async fn usage_of(setup: &Setup, keys: &[(&str, &str)], first_day: &str, last_day: &str) -> u64 {
    let mut organisations: Vec<&str> = keys.iter().map(|(_, org)| *org).collect();
    organisations.sort_unstable();
    organisations.dedup();
    let mut total = 0;
    for org in organisations {
        total += setup
            .store
            .usage(org, first_day, last_day)
            .await
            .expect("read the usage")
            .iter()
            .filter(|record| keys.contains(&(record.key_id.as_str(), org)))
            .map(|record| record.requests)
            .sum::<u64>();
    }
    total
}

/// Waits until the instance behind `api` is ready for its next event: every `INVOKE` extension back at
/// `event/next` after the last invocation handed out (at most 10 s). When it was.
async fn ready_again(api: &RuntimeApi) -> Option<Instant> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let timeline = api.timeline();
        let last_handed_out = timeline
            .iter()
            .rev()
            .find(|(_, moment)| matches!(moment, Moment::HandedOut(_)))
            .map(|(when, _)| *when);
        let back = last_handed_out.and_then(|handed_out| {
            timeline
                .iter()
                .find(|(when, moment)| {
                    *when > handed_out && matches!(moment, Moment::ExtensionAtNext(_))
                })
                .map(|(when, _)| *when)
        });
        if back.is_some() || api.invoke_extensions() == 0 || Instant::now() > deadline {
            return back;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

/// Each invocation of `timeline` handed out at or after `from`: (time to its response, time until the
/// instance was ready again: its response posted and every `INVOKE` extension back at `event/next`, what
/// Lambda bills).
fn billed(timeline: &Timeline, from: Instant) -> Vec<(Duration, Duration)> {
    let mut out = Vec::new();
    for (index, (handed_out, moment)) in timeline.iter().enumerate() {
        let Moment::HandedOut(id) = moment else {
            continue;
        };
        if *handed_out < from {
            continue;
        }
        let later = &timeline[index + 1..];
        let Some(responded) = later.iter().find_map(|(when, moment)| {
            matches!(moment, Moment::ResponsePosted(posted) if posted == id).then_some(*when)
        }) else {
            continue;
        };
        let extension_back = later
            .iter()
            .find(|(_, moment)| matches!(moment, Moment::ExtensionAtNext(_)))
            .map_or(responded, |(when, _)| *when);
        out.push((
            responded - *handed_out,
            responded.max(extension_back) - *handed_out,
        ));
    }
    out
}

/// Keys of the long tail made for section 7: the cache-full instance sends one request with each, the
/// long-tail runs use the first [`LONG_TAIL_KEYS`].
const CROWD_KEYS: usize = 2000;
/// Keys (and so requests) of each long-tail instance: every request another key's.
const LONG_TAIL_KEYS: usize = 300;
/// Fresh instances of each kind (one key, many keys), taken in turn.
const LONG_TAIL_ROUNDS: usize = 3;

/// A run of `keys` on one fresh, warm authorizer instance with the cache off: [`WARM_UP`] requests of
/// another key, then the keys' requests in turn, back to back; then SIGTERM. Latencies, billed durations,
/// operations on the wire and usage written are added to `run`.
async fn load_run(
    setup: &Setup,
    keys: &[(String, String, String)],
    requests: usize,
    run: &mut LoadRun,
    samples: &mut Vec<(Duration, Duration)>,
) {
    let mut api = RuntimeApi::start().await;
    let mut child = spawn_with(setup, "authorizer", &api, &[("AUTH_CACHE_TTL", "0")]).await;
    api.init_done().await.expect("authorizer init");
    for _ in 0..WARM_UP {
        let (_, body) = api
            .invoke(authorizer_event(&setup.authorizer_key))
            .await
            .expect("warm-up");
        assert!(succeeded(setup, "authorizer", &body));
    }
    ready_again(&api).await;
    setup.counter.take();
    setup.counter.count_queries_by_index(true);
    let first_day = auth::timestamp(SystemTime::now())[..10].to_owned();
    let ids: Vec<(&str, &str)> = keys
        .iter()
        .map(|(_, id, org)| (id.as_str(), org.as_str()))
        .collect();
    let before = usage_of(setup, &ids, &first_day, &first_day).await;
    setup.counter.take_detailed();
    let started = Instant::now();
    for i in 0..requests {
        let (key, _, _) = &keys[i % keys.len()];
        let (_, body) = api
            .invoke(authorizer_event(key))
            .await
            .expect("authorizer invocation");
        assert!(
            succeeded(setup, "authorizer", &body),
            "{}",
            String::from_utf8_lossy(&body)
        );
    }
    let ready = ready_again(&api).await.unwrap_or_else(Instant::now);
    let running = setup.counter.take_detailed();
    setup.counter.count_queries_by_index(false);
    samples.extend(billed(&api.timeline(), started));
    let clean_exit = sigterm_and_wait(&mut child)
        .await
        .is_some_and(|status| status.success());
    let at_shutdown = setup.counter.take();
    let last_day = auth::timestamp(SystemTime::now())[..10].to_owned();
    let after = usage_of(setup, &ids, &first_day, &last_day).await;
    setup.counter.take();
    run.instances += 1;
    run.keys = keys.len();
    run.requests += requests as u64;
    run.wall_s += (ready - started).as_secs_f64();
    run.index_queries += running
        .queries_by_index
        .get(store::schema::KEY_HASH_INDEX)
        .copied()
        .unwrap_or(0);
    let (reads, writes) = split_reads(&running.operations);
    for (total, counted) in [
        (&mut run.reads, reads),
        (&mut run.writes, writes),
        (&mut run.at_shutdown, at_shutdown),
    ] {
        for (operation, n) in counted {
            *total.entry(operation).or_default() += n;
        }
    }
    run.clean_exit = (run.requests == requests as u64 || run.clean_exit) && clean_exit;
    run.usage_written += after.saturating_sub(before);
}

/// Latency and billed-duration percentiles of a run's samples.
fn finish_run(run: &mut LoadRun, samples: &[(Duration, Duration)]) {
    let mut latencies: Vec<Duration> = samples.iter().map(|(latency, _)| *latency).collect();
    let mut billed: Vec<Duration> = samples.iter().map(|(_, billed)| *billed).collect();
    latencies.sort();
    billed.sort();
    run.p50_ms = millis(percentile(&latencies, 50.0));
    run.p99_ms = millis(percentile(&latencies, 99.0));
    run.billed_p50_ms = millis(percentile(&billed, 50.0));
    run.billed_p99_ms = millis(percentile(&billed, 99.0));
    run.billed_mean_ms =
        billed.iter().map(|d| millis(*d)).sum::<f64>() / billed.len().max(1) as f64;
    run.requests_per_s = run.requests as f64 / run.wall_s.max(f64::EPSILON);
}

/// Section 7: the long tail against one key (cache off), one busy key against hello (cache on), and the
/// authorizer's peak RSS with its cache full.
async fn authorizer_load(setup: &Setup, busy_requests: usize) -> AuthorizerLoad {
    let long_tail = env_number("BENCH_LONG_TAIL_KEYS", LONG_TAIL_KEYS).min(setup.crowd.len());
    let (one, many) = (
        &setup.crowd[..1],
        &setup.crowd[1..=long_tail.min(setup.crowd.len() - 1)],
    );
    let (mut one_key, mut many_keys) = (LoadRun::default(), LoadRun::default());
    let (mut one_samples, mut many_samples) = (Vec::new(), Vec::new());
    for _ in 0..env_number("BENCH_LONG_TAIL_ROUNDS", LONG_TAIL_ROUNDS) {
        load_run(setup, one, many.len(), &mut one_key, &mut one_samples).await;
        load_run(setup, many, many.len(), &mut many_keys, &mut many_samples).await;
    }
    finish_run(&mut one_key, &one_samples);
    finish_run(&mut many_keys, &many_samples);

    // One busy key with the cache on, its requests taken in turn with hello's.
    let mut api = RuntimeApi::start().await;
    let mut authorizer = spawn(setup, "authorizer", &api).await;
    api.init_done().await.expect("authorizer init");
    let mut hello_api = RuntimeApi::start().await;
    let mut hello = spawn(setup, "hello", &hello_api).await;
    hello_api.init_done().await.expect("hello init");
    setup.counter.take();
    setup.counter.count_queries_by_index(true);
    let started = Instant::now();
    let (mut latencies, mut hello_latencies) = (Vec::new(), Vec::new());
    for i in 0..WARM_UP + busy_requests {
        let (hello_latency, body) = hello_api
            .invoke(route_event("health", ""))
            .await
            .expect("hello");
        assert!(succeeded(setup, "hello", &body));
        let (latency, body) = api
            .invoke(authorizer_event(&setup.busy_key))
            .await
            .expect("authorizer");
        assert!(succeeded(setup, "authorizer", &body));
        if i >= WARM_UP {
            latencies.push(latency);
            hello_latencies.push(hello_latency);
        }
    }
    let run_s = started.elapsed().as_secs_f64();
    ready_again(&api).await;
    let counted = setup.counter.take_detailed();
    setup.counter.count_queries_by_index(false);
    let hello_peak_rss_kib = peak_rss_kib(&hello);
    latencies.sort();
    hello_latencies.sort();
    let busy_key = BusyKey {
        cache_ttl_s: auth::AUTH_CACHE_DEFAULT_TTL.as_secs_f64(),
        requests: busy_requests as u64,
        p50_ms: millis(percentile(&latencies, 50.0)),
        p99_ms: millis(percentile(&latencies, 99.0)),
        hello_p50_ms: millis(percentile(&hello_latencies, 50.0)),
        hello_p99_ms: millis(percentile(&hello_latencies, 99.0)),
        index_queries: counted
            .queries_by_index
            .get(store::schema::KEY_HASH_INDEX)
            .copied()
            .unwrap_or(0),
        counted_requests: (WARM_UP + busy_requests) as u64,
        run_s,
    };
    let _ = authorizer.kill().await;
    let _ = hello.kill().await;
    drop((api, hello_api));

    // The cache full: every crowd key kept (TTL 60 s, the most accepted), then VmHWM.
    let mut api = RuntimeApi::start().await;
    let mut child = spawn_with(setup, "authorizer", &api, &[("AUTH_CACHE_TTL", "60")]).await;
    api.init_done().await.expect("authorizer init");
    for (key, _, _) in &setup.crowd {
        let (_, body) = api.invoke(authorizer_event(key)).await.expect("authorizer");
        assert!(succeeded(setup, "authorizer", &body));
    }
    ready_again(&api).await;
    let cache_full = CacheFull {
        cache_ttl_s: 60.0,
        cache_keys: setup.crowd.len(),
        peak_rss_kib: peak_rss_kib(&child),
    };
    let _ = child.kill().await;
    drop(api);
    setup.counter.take();
    AuthorizerLoad {
        warm_up: WARM_UP,
        one_key,
        many_keys,
        busy_key,
        hello_peak_rss_kib,
        cache_full,
    }
}

/// `bench profile <function> [invocations]`: init, then `invocations` (default 200; 0 profiles init alone)
/// warm requests on one process (run it under BENCH_WRAPPER), then lets the process end normally so a
/// profiler can write its report.
async fn profile(function: &str, invocations: usize) {
    let setup = prepare(0).await;
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
async fn memory_sizes(
    setup: &Setup,
    units: &BTreeMap<String, (f64, f64)>,
) -> Option<MemorySizeSection> {
    if !cpu_share::available() {
        return None;
    }
    let upstream = setup.endpoint.trim_start_matches("http://").to_owned();
    let terminator = tls::start(upstream, std::path::Path::new(".data/bench-test-ca.pem")).await;
    let counts = memory_size::SampleCounts {
        cold_runs: env_number("BENCH_MEMORY_COLD_RUNS", 15),
        requests: env_number("BENCH_MEMORY_REQUESTS", 300),
        lone: env_number("BENCH_MEMORY_LONE", 20),
        pause: Duration::from_millis(env_number("BENCH_MEMORY_PAUSE_MS", 1500) as u64),
    };
    Some(memory_size::section(setup, &terminator, &counts, units).await)
}

/// When and on what this run is made.
fn run_info() -> RunInfo {
    let memory_kib: u64 = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|meminfo| {
            let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or_default();
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .ok()
        .map(|output| {
            let version = String::from_utf8_lossy(&output.stdout);
            version
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_else(|| "rustc (unknown)".to_owned());
    RunInfo {
        date: auth::timestamp(SystemTime::now())[..10].to_owned(),
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: (memory_kib as f64 / 1_048_576.0).round() as u64,
        arch: std::env::consts::ARCH.to_owned(),
        rustc,
    }
}

/// What scripts/bench.sh measured with other tools, from the file BENCH_TOOL_FIGURES names (unset: none).
fn tool_figures() -> Option<ToolFigures> {
    let path = std::env::var("BENCH_TOOL_FIGURES").ok()?;
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("read {path}: {err}"));
    Some(ToolFigures::parse(&text).unwrap_or_else(|err| panic!("{path}: {err}")))
}

/// Reads a figures file written by a run.
fn read_figures(path: &str) -> BenchFigures {
    let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("read {path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: not a run's figures: {err}"))
}

/// Where the measurement writes its figures: BENCH_FIGURES, else `.data/bench/figures.json`.
fn figures_path() -> PathBuf {
    std::env::var("BENCH_FIGURES")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(".data/bench/figures.json"))
}

const USAGE: &str = "usage: bench                        measure, write the figures (BENCH_FIGURES)
       bench render FIGURES.json    print BENCHMARKS.md for a run's figures
       bench compare OLD.json NEW.json   each figure of two runs and their ratio
       bench memory                 sections 3 and 6 alone, as Markdown
       bench leak [FIGURES.json]    sections 8 and 9 alone, as Markdown; set into FIGURES.json when named
       bench profile FUNCTION [N]   init and N warm requests, for a profiler (BENCH_WRAPPER)";

#[tokio::main]
async fn main() {
    let arguments: Vec<String> = std::env::args().collect();
    let argument = |index: usize| arguments.get(index).map(String::as_str);
    match argument(1) {
        None => {}
        Some("render") => {
            let Some(path) = argument(2) else {
                eprintln!("{USAGE}");
                std::process::exit(2);
            };
            print!("{}", render::render(&read_figures(path)));
            return;
        }
        Some("compare") => {
            let (Some(old), Some(new)) = (argument(2), argument(3)) else {
                eprintln!("{USAGE}");
                std::process::exit(2);
            };
            print!(
                "{}",
                compare::compare(&read_figures(old), &read_figures(new))
            );
            return;
        }
        Some("profile") => {
            let invocations = argument(3).and_then(|n| n.parse().ok()).unwrap_or(200);
            profile(argument(2).unwrap_or("account"), invocations).await;
            return;
        }
        Some("memory") => {
            // Sections 3 and 6 alone: the memory sizes, and the units per request their costs need.
            let setup = prepare(0).await;
            let (rows, units) = operations_per_request(&setup).await;
            let section = OperationsSection {
                requests: COUNTED_REQUESTS,
                warm_up: COUNTED_WARM_UP,
                rows,
                sustained: Vec::new(),
            };
            let policy = policy::current(setup.memory_sizes.clone());
            let sizes = memory_sizes(&setup, &units).await;
            println!(
                "{}{}",
                render::operations(&section),
                render::memory_sizes(sizes.as_ref(), &policy)
            );
            return;
        }
        Some("leak") => {
            leak_alone(argument(2)).await;
            return;
        }
        Some(_) => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
    let figures = measure().await;
    let path = figures_path();
    if let Some(folder) = path.parent() {
        std::fs::create_dir_all(folder).expect("make the figures' folder");
    }
    let json = serde_json::to_string_pretty(&figures).expect("the figures as JSON");
    std::fs::write(&path, json + "\n")
        .unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
    eprintln!("bench: figures written to {}", path.display());
    let mut failures = render::all_authorizer_failures(&figures);
    failures.extend(render::issue22_failures(&figures));
    if !failures.is_empty() {
        eprintln!("{}", render::authorizer_counts(&figures));
        for failure in &failures {
            eprintln!("bench failed: {failure}");
        }
        std::process::exit(1);
    }
}

/// `bench leak [FIGURES.json]`: sections 8 and 9 alone (each marked so, with this run's date, machine and
/// load), printed as Markdown; when a figures file is named, set into it, its other sections kept as they
/// were. Exits 1 (and writes nothing) when section 8's counts break the cost model or section 9's listed key
/// was let in from outside its list.
async fn leak_alone(path: Option<&str>) {
    let alone = figures::AloneRun {
        run: run_info(),
        load_average: std::fs::read_to_string("/proc/loadavg")
            .map(|text| {
                text.split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
    };
    let setup = prepare(0).await;
    let mut leak = leak::section(&setup).await;
    leak.alone = Some(alone.clone());
    let requests = env_number("BENCH_REQUESTS", 2000);
    let mut allowlist = allowlist::section(&setup, requests).await;
    allowlist.alone = Some(alone);
    let mut figures = match path {
        Some(path) => read_figures(path),
        None => BenchFigures::default(),
    };
    figures.leak = Some(leak);
    figures.allowlist = Some(allowlist);
    println!("{}{}", render::leak(&figures), render::allowlist(&figures));
    let failures = render::issue22_failures(&figures);
    if !failures.is_empty() {
        for failure in &failures {
            eprintln!("bench failed: {failure}");
        }
        std::process::exit(1);
    }
    if let Some(path) = path {
        let text = std::fs::read_to_string(path).unwrap_or_else(|err| panic!("read {path}: {err}"));
        let json = serde_json::to_string_pretty(&figures).expect("the figures as JSON");
        std::fs::write(path, with_sections_of(&text, &json))
            .unwrap_or_else(|err| panic!("write {path}: {err}"));
        eprintln!("bench: sections 8 and 9 set into {path}");
    }
}

/// The figures file `text` with its `leak` and `allowlist` members (if any) replaced by `json`'s (a whole
/// run written by `to_string_pretty`), every other member's text kept byte for byte: serde_json does not read
/// every float back to the same digits, and the other sections' figures stay as measured.
fn with_sections_of(text: &str, json: &str) -> String {
    const FIRST: &str = "\n  \"leak\": ";
    const AFTER: &str = "\n  \"memory_sizes\": ";
    let block = match (json.find(FIRST), json.find(AFTER)) {
        (Some(start), Some(end)) => &json[start..end],
        _ => panic!("the figures as JSON without their sections 8 and 9"),
    };
    let end = text
        .find(AFTER)
        .unwrap_or_else(|| panic!("a figures file without `memory_sizes`"));
    let start = text.find(FIRST).filter(|start| *start < end).unwrap_or(end);
    format!("{}{block}{}", &text[..start], &text[end..])
}

/// Sections 1 to 9, measured.
async fn measure() -> BenchFigures {
    let requests = env_number("BENCH_REQUESTS", 2000);
    let cold_runs = env_number("BENCH_COLD_RUNS", 31);
    let run = run_info();
    let tools = tool_figures();
    let setup = prepare(env_number("BENCH_CROWD_KEYS", CROWD_KEYS)).await;

    // 1. Cold start.
    let mut binaries = vec![("hello", "health")];
    binaries.extend(FUNCTIONS.iter().map(|f| (*f, *f)));
    let reads = [("account", "Query + GetItem"), ("authorizer", "Query")];
    let routes: Vec<&str> = reads.iter().map(|(route, _)| *route).collect();
    let (medians, read_medians) = cold_starts(&setup, &binaries, &routes, cold_runs).await;
    let cold_start = ColdStartSection {
        runs: cold_runs,
        first_reads: reads
            .iter()
            .zip(&read_medians)
            .map(|((binary, described), ms)| FirstReads {
                binary: (*binary).to_owned(),
                reads: (*described).to_owned(),
                reads_ms: millis(*ms),
            })
            .collect(),
        rows: binaries
            .iter()
            .zip(&medians)
            .map(|((binary, _), (init, first))| ColdStartRow {
                binary: (*binary).to_owned(),
                init_ms: millis(*init),
                first_request_ms: millis(*first),
            })
            .collect(),
    };
    setup.counter.take();

    // 2. Warm latency, 4. peak RSS, 5. throughput.
    let mut warm_rows = Vec::new();
    let mut memory = BTreeMap::new();
    let (mut throughput, mut sustained) = (Vec::new(), Vec::new());
    for (function, route) in [
        ("account", "GET /v1/account"),
        ("api-keys", "GET /v1/account/api-keys (10 keys)"),
        ("authorizer", "authorizer: GET /v1/memories, `read` key"),
    ] {
        setup.counter.take();
        let (latencies, raw, rss, wall) = warm(&setup, function, requests, true).await;
        // The raw reads add their own Query + GetItem/Query, never a write: writes are the handler's.
        let ops = setup.counter.take();
        let ceiling = percentile(&latencies, 99.5).max(percentile(&raw, 99.5));
        let floor = raw
            .first()
            .copied()
            .unwrap_or_default()
            .min(latencies.first().copied().unwrap_or_default());
        warm_rows.push(WarmRow {
            route: route.to_owned(),
            p50_ms: millis(percentile(&latencies, 50.0)),
            p99_ms: millis(percentile(&latencies, 99.0)),
            raw_p50_ms: millis(percentile(&raw, 50.0)),
            raw_p99_ms: millis(percentile(&raw, 99.0)),
            handler_histogram: histogram(&latencies, floor, ceiling),
            raw_histogram: histogram(&raw, floor, ceiling),
        });
        memory.insert(function, rss);
        throughput.push(Throughput {
            route: route.to_owned(),
            requests_per_s: requests as f64 / wall.as_secs_f64(),
        });
        sustained.push(SustainedWrites {
            route: route.to_owned(),
            writes: split_reads(&ops).1,
            wall_s: wall.as_secs_f64(),
        });
    }

    // 3. DynamoDB operations per request, counted on the wire.
    let (rows, units) = operations_per_request(&setup).await;

    // 3b. The authorizer, cache off: one read per request, two writes per key per minute, counted on the
    // wire; then cache on (its default TTL): at most one index read per key per TTL.
    let counted = (setup.counted_key.as_str(), setup.counted_key_id.as_str());
    let authorizer = authorizer_operations(&setup, requests, counted, 0.0).await;
    let cached = (setup.cached_key.as_str(), setup.cached_key_id.as_str());
    let default_ttl = auth::AUTH_CACHE_DEFAULT_TTL.as_secs_f64();
    let authorizer_cached = authorizer_operations(&setup, requests, cached, default_ttl).await;

    // 7. The long tail against one key, one busy key against hello, the cache full.
    let authorizer_load = authorizer_load(&setup, requests).await;

    // 4. Peak RSS (the routes of section 2 measured theirs there).
    for function in ["health", "signup"] {
        let (_, _, rss, _) = warm(&setup, function, 500, false).await;
        memory.insert(function, rss);
    }
    let peak_rss = FUNCTIONS
        .iter()
        .map(|function| PeakRss {
            function: (*function).to_owned(),
            peak_rss_kib: memory.get(function).copied().flatten(),
        })
        .collect();

    // 8. The leak response; 9. the authorizer with an IP allowlist.
    let leak = leak::section(&setup).await;
    let allowlist = allowlist::section(&setup, requests).await;

    // 6. Memory size under Lambda's CPU model, over TLS.
    let memory_sizes = memory_sizes(&setup, &units).await;
    BenchFigures {
        run,
        policy: policy::current(setup.memory_sizes.clone()),
        cold_start,
        warm: WarmSection {
            requests,
            warm_up: WARM_UP,
            rows: warm_rows,
        },
        operations: OperationsSection {
            requests: COUNTED_REQUESTS,
            warm_up: COUNTED_WARM_UP,
            rows,
            sustained,
        },
        authorizer,
        peak_rss,
        throughput,
        authorizer_cached: Some(authorizer_cached),
        authorizer_load: Some(authorizer_load),
        leak: Some(leak),
        allowlist: Some(allowlist),
        memory_sizes,
        tools,
    }
}

#[cfg(test)]
mod tests {
    use super::with_sections_of;

    #[test]
    fn sections_8_and_9_are_set_into_a_figures_file_whose_other_members_keep_their_text() {
        let old = "{\n  \"warm\": 0.19292499999999999,\n  \"memory_sizes\": null\n}\n";
        let json = "{\n  \"warm\": 0.192925,\n  \"leak\": {\"rounds\": 1},\n  \"allowlist\": null,\n  \"memory_sizes\": null\n}";
        let set = with_sections_of(old, json);
        assert_eq!(
            set,
            "{\n  \"warm\": 0.19292499999999999,\n  \"leak\": {\"rounds\": 1},\n  \"allowlist\": null,\n  \"memory_sizes\": null\n}\n"
        );
        // Set again: the sections replaced, not added twice.
        let again = json.replace("\"rounds\": 1", "\"rounds\": 2");
        assert_eq!(
            with_sections_of(&set, &again),
            set.replace("\"rounds\": 1", "\"rounds\": 2")
        );
    }
}
