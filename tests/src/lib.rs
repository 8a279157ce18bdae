//! Helpers for the route tests: a fresh DynamoDB Local table per test (so tests run in parallel), requests
//! shaped like API Gateway's, and a router that sends each path to its function as API Gateway would.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use lambda_http::http::{HeaderMap, Method, StatusCode};
use lambda_http::{Body, Context, Request, RequestExt};
use serde_json::Value;
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

/// The answer to one request, read back as JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// `error.code` of an error envelope, or "" for a success.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// `error.param` of an error envelope.
    pub fn param(&self) -> Option<&str> {
        self.body["error"]["param"].as_str()
    }

    /// `data` of a success envelope.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

/// A request as API Gateway (payload 2.0) would hand it to a function.
pub struct Call {
    builder: lambda_http::http::request::Builder,
    body: Body,
}

/// Starts a request: `call(Method::GET, "/v1/account")`.
pub fn call(method: Method, path: &str) -> Call {
    Call {
        builder: lambda_http::http::Request::builder()
            .method(method)
            .uri(path),
        body: Body::Empty,
    }
}

impl Call {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// `Authorization: Bearer <key>`.
    pub fn bearer(self, key: &str) -> Self {
        self.header("authorization", &format!("Bearer {key}"))
    }

    /// `X-API-Key: <key>`.
    pub fn api_key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, body: Value) -> Self {
        self.header("content-type", "application/json")
            .raw_body(body.to_string())
    }

    /// A body sent as it is, with whatever headers were set.
    pub fn raw_body(mut self, body: impl Into<String>) -> Self {
        self.body = Body::Text(body.into());
        self
    }

    /// A body of raw bytes (for invalid UTF-8), as API Gateway hands over a base64-encoded body.
    pub fn bytes(mut self, body: Vec<u8>) -> Self {
        self.body = Body::Binary(body);
        self
    }

    /// Builds the request, with a Lambda context carrying a request id.
    pub fn build(self) -> Request {
        let mut context = Context::default();
        context.request_id = "test-request-id".to_owned();
        match self.builder.body(self.body) {
            Ok(request) => request.with_lambda_context(context),
            Err(err) => panic!("test request could not be built: {err}"),
        }
    }

    /// Sends it through the router to its function.
    pub async fn send(self, store: &Store) -> Answer {
        route(store, self.build()).await
    }
}

/// Sends a request to the function API Gateway (and the local router) would: the same table as
/// `template.yaml` and `[workspace.metadata.lambda.watch.router]`.
pub async fn route(store: &Store, request: Request) -> Answer {
    let path = request.uri().path().to_owned();
    let response = match path.as_str() {
        "/v1/signup" => signup::handle(store, request).await,
        "/v1/account" => account::handle(store, request).await,
        p if p == "/v1/account/api-keys"
            || p.strip_prefix("/v1/account/api-keys/")
                .is_some_and(|id| !id.is_empty() && !id.contains('/')) =>
        {
            api_keys::handle(store, request).await
        }
        _ => health::handle(request).await,
    };
    let (parts, body) = response.into_parts();
    let bytes: &[u8] = body.as_ref();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|err| panic!("response is not JSON ({err}): {bytes:?}"))
    };
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// A signed-up organisation: its id, its first (admin, live) key and that key's id.
#[derive(Clone, Debug)]
pub struct Org {
    pub org_id: String,
    pub admin_key: String,
    pub admin_key_id: String,
}

static EMAIL_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique email for a test signup.
pub fn unique_email() -> String {
    format!(
        "owner{}-{}@example.com",
        std::process::id(),
        EMAIL_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Signs up a new organisation through the route and returns it.
pub async fn sign_up(store: &Store) -> Org {
    let answer = call(Method::POST, "/v1/signup")
        .json(serde_json::json!({"name": "My Company", "email": unique_email()}))
        .send(store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    let data = answer.data();
    Org {
        org_id: data["account"]["org_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        admin_key: data["api_key"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        admin_key_id: data["api_key"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

/// Creates a key through the route with `body` and returns (key, id).
pub async fn create_key(store: &Store, admin_key: &str, body: Value) -> (String, String) {
    let answer = call(Method::POST, "/v1/account/api-keys")
        .bearer(admin_key)
        .json(body)
        .send(store)
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{:?}", answer.body);
    (
        answer.data()["key"].as_str().unwrap_or_default().to_owned(),
        answer.data()["id"].as_str().unwrap_or_default().to_owned(),
    )
}

/// Stores a key directly (bypassing the route), for states no route can make, such as an expiry in the past.
/// Returns the full key.
pub async fn insert_key(
    store: &Store,
    org_id: &str,
    scopes: &[&str],
    expires_at: Option<&str>,
) -> String {
    let secret = auth::ApiKeySecret::generate(auth::Environment::Live).expect("random source");
    let record = store::ApiKeyRecord {
        key_id: auth::random_id("key").expect("random source"),
        org_id: org_id.to_owned(),
        name: "Inserted".to_owned(),
        key_prefix: secret.prefix(),
        environment: "live".to_owned(),
        scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        key_hash: secret.hash(),
        is_active: true,
        org_is_active: true,
        created_at: "2020-01-01T00:00:00Z".to_owned(),
        expires_at: expires_at.map(str::to_owned),
        last_used_at: None,
        revoked_at: None,
    };
    store.insert_key(&record).await.expect("insert key");
    secret.expose().to_owned()
}

/// Waits a little for work that completes after the response (none today; kept for fault tests).
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(10)).await;
}

/// What [`FaultyProxy`] does to the connections it accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Fault {
    /// Pass everything through to DynamoDB Local.
    None = 0,
    /// Close every connection at once: DynamoDB is down.
    Refuse = 1,
    /// Accept, then never answer: DynamoDB is too slow.
    Stall = 2,
    /// Answer every call with DynamoDB's ThrottlingException.
    Throttle = 3,
}

/// A TCP proxy in front of DynamoDB Local that a test can break and mend while the service runs, to prove
/// that every route answers 503 during a fault and recovers when the store comes back.
pub struct FaultyProxy {
    /// The URL to give the client in place of DynamoDB Local's.
    pub endpoint: String,
    mode: Arc<std::sync::atomic::AtomicU8>,
    connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>>,
    acceptor: tokio::task::JoinHandle<()>,
}

impl FaultyProxy {
    /// Listens on a free loopback port and forwards to [`dynamodb_endpoint`].
    pub async fn start() -> Self {
        let upstream = dynamodb_endpoint()
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind proxy");
        let endpoint = format!("http://{}", listener.local_addr().expect("proxy address"));
        let mode = Arc::new(std::sync::atomic::AtomicU8::new(Fault::None as u8));
        let connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let acceptor = {
            let (mode, connections) = (mode.clone(), connections.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (mode, upstream) = (mode.clone(), upstream.clone());
                    let task =
                        tokio::spawn(
                            async move { serve_connection(client, mode, &upstream).await },
                        );
                    if let Ok(mut live) = connections.lock() {
                        live.push(task);
                    }
                }
            })
        };
        Self {
            endpoint,
            mode,
            connections,
            acceptor,
        }
    }

    /// Switches the fault. Starting a fault cuts every open connection (the client's pooled ones too), so
    /// the next call meets it; ending one leaves them be: a throttling connection passes traffic through
    /// again, as DynamoDB's own connections do when it stops throttling.
    pub fn set(&self, fault: Fault) {
        self.mode.store(fault as u8, Ordering::SeqCst);
        if fault == Fault::None {
            return;
        }
        if let Ok(mut live) = self.connections.lock() {
            for task in live.drain(..) {
                task.abort();
            }
        }
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.set(Fault::Refuse);
        self.acceptor.abort();
    }
}

async fn serve_connection(
    mut client: tokio::net::TcpStream,
    mode: Arc<std::sync::atomic::AtomicU8>,
    upstream: &str,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fault = mode.load(Ordering::SeqCst);
    match fault {
        f if f == Fault::None as u8 => pass_through(client, &[], upstream).await,
        f if f == Fault::Stall as u8 => {
            let mut sink = [0u8; 4096];
            while matches!(client.read(&mut sink).await, Ok(n) if n > 0) {}
        }
        f if f == Fault::Throttle as u8 => {
            let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
            let response = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            let mut buffer = vec![0u8; 65536];
            loop {
                let read = match client.read(&mut buffer).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => n,
                };
                if mode.load(Ordering::SeqCst) == Fault::None as u8 {
                    return pass_through(client, &buffer[..read], upstream).await;
                }
                if client.write_all(response.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
        _ => drop(client),
    }
}

/// Forwards a connection to DynamoDB Local, starting with `already_read` (bytes taken off it before).
async fn pass_through(mut client: tokio::net::TcpStream, already_read: &[u8], upstream: &str) {
    use tokio::io::AsyncWriteExt;
    if let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await {
        if server.write_all(already_read).await.is_ok() {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
        }
    }
}
