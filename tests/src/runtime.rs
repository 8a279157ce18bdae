//! A small emulator of the Lambda Runtime API (`/2018-06-01/runtime/...`), so a function binary runs its real
//! `lambda_runtime` start-up and loop here, and each invocation can be timed from the moment the event is
//! handed over to the moment the response arrives.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

type Reply = oneshot::Sender<Result<(Duration, Vec<u8>), String>>;

#[derive(Default)]
struct Waiting {
    handed_out: HashMap<String, Instant>,
    replies: HashMap<String, Reply>,
}

struct Shared {
    queue: tokio::sync::Mutex<mpsc::Receiver<(String, Vec<u8>)>>,
    waiting: Mutex<Waiting>,
    first_next: Mutex<Option<oneshot::Sender<Instant>>>,
}

/// One emulated Runtime API endpoint, serving one function process.
pub struct RuntimeApi {
    pub address: SocketAddr,
    queue: mpsc::Sender<(String, Vec<u8>)>,
    shared: Arc<Shared>,
    first_next: Option<oneshot::Receiver<Instant>>,
    server: tokio::task::JoinHandle<()>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1);

impl RuntimeApi {
    /// Listens on a free loopback port.
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind runtime api");
        let address = listener.local_addr().expect("runtime api address");
        let (queue, receiver) = mpsc::channel(16);
        let (first_tx, first_rx) = oneshot::channel();
        let shared = Arc::new(Shared {
            queue: tokio::sync::Mutex::new(receiver),
            waiting: Mutex::default(),
            first_next: Mutex::new(Some(first_tx)),
        });
        let server = {
            let shared = shared.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |request| handle(shared.clone(), request));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            })
        };
        Self {
            address,
            queue,
            shared,
            first_next: Some(first_rx),
            server,
        }
    }

    /// When the function first asked for work: the end of its init.
    pub async fn init_done(&mut self) -> Option<Instant> {
        let receiver = self.first_next.take()?;
        tokio::time::timeout(Duration::from_secs(30), receiver)
            .await
            .ok()?
            .ok()
    }

    /// Hands `event` to the function and waits for its response: (time inside the function, body).
    pub async fn invoke(&self, event: Vec<u8>) -> Result<(Duration, Vec<u8>), String> {
        let id = format!("bench-{:08}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        let (reply, answer) = oneshot::channel();
        if let Ok(mut waiting) = self.shared.waiting.lock() {
            waiting.replies.insert(id.clone(), reply);
        }
        self.queue
            .send((id, event))
            .await
            .map_err(|_| "runtime api closed".to_owned())?;
        match tokio::time::timeout(Duration::from_secs(30), answer).await {
            Ok(Ok(result)) => result,
            _ => Err("no response within 30 s".to_owned()),
        }
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        self.server.abort();
    }
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    response
}

async fn handle(
    shared: Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    // The Extensions API, as far as `lambda_runtime`'s graceful shutdown uses it: registration, then a wait
    // for events that never come (SIGTERM is what ends the process).
    if path == "/2020-01-01/extension/register" {
        let mut response = reply(
            StatusCode::OK,
            br#"{"functionName":"emulated","functionVersion":"$LATEST","handler":"bootstrap"}"#
                .to_vec(),
        );
        response.headers_mut().insert(
            "lambda-extension-identifier",
            hyper::header::HeaderValue::from_static("emulated-extension"),
        );
        return Ok(response);
    }
    if path == "/2020-01-01/extension/event/next" {
        std::future::pending::<()>().await;
    }
    if path == "/2018-06-01/runtime/invocation/next" {
        if let Some(first) = shared.first_next.lock().ok().and_then(|mut f| f.take()) {
            let _ = first.send(Instant::now());
        }
        let next = shared.queue.lock().await.recv().await;
        let Some((id, event)) = next else {
            return Ok(reply(StatusCode::GONE, Vec::new()));
        };
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + Duration::from_secs(30);
        let mut response = reply(StatusCode::OK, event);
        let headers = response.headers_mut();
        let header = |text: &str| text.parse().expect("static header value");
        headers.insert("content-type", header("application/json"));
        headers.insert("lambda-runtime-aws-request-id", header(&id));
        headers.insert(
            "lambda-runtime-deadline-ms",
            header(&deadline.as_millis().to_string()),
        );
        headers.insert(
            "lambda-runtime-invoked-function-arn",
            header("arn:aws:lambda:us-east-1:123456789012:function:bench"),
        );
        headers.insert(
            "lambda-runtime-trace-id",
            header("Root=1-00000000-000000000000000000000000;Sampled=0"),
        );
        if let Ok(mut waiting) = shared.waiting.lock() {
            waiting.handed_out.insert(id, Instant::now());
        }
        return Ok(response);
    }
    let body = request
        .into_body()
        .collect()
        .await
        .map(|b| b.to_bytes().to_vec())
        .unwrap_or_default();
    let arrived = Instant::now();
    let segments: Vec<&str> = path.split('/').collect();
    // /2018-06-01/runtime/invocation/{id}/response | /error
    if segments.len() == 6 && segments[3] == "invocation" {
        let id = segments[4];
        let outcome = match segments[5] {
            "response" => Ok(body),
            _ => Err(format!(
                "function error: {}",
                String::from_utf8_lossy(&body)
            )),
        };
        if let Ok(mut waiting) = shared.waiting.lock() {
            let started = waiting.handed_out.remove(id).unwrap_or(arrived);
            if let Some(reply) = waiting.replies.remove(id) {
                let _ = reply.send(outcome.map(|body| (arrived - started, body)));
            }
        }
        return Ok(reply(StatusCode::ACCEPTED, Vec::new()));
    }
    if path.ends_with("/init/error") {
        eprintln!("init error: {}", String::from_utf8_lossy(&body));
    }
    Ok(reply(StatusCode::ACCEPTED, Vec::new()))
}

/// An API Gateway HTTP API (payload 2.0) event, as the Runtime API hands it to a function: `key` goes in
/// `Authorization: Bearer`, `body` as JSON text.
pub fn gateway_event(
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<serde_json::Value>,
) -> Vec<u8> {
    use serde_json::json;
    let mut headers = json!({"host": "localhost", "content-type": "application/json"});
    if let Some(key) = key {
        headers["authorization"] = json!(format!("Bearer {key}"));
    }
    let mut event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {"accountId": "123456789012", "apiId": "bench", "domainName": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "bench"},
            "requestId": "bench", "routeKey": "$default", "stage": "$default", "time": "23/Nov/2026:10:00:00 +0000",
            "timeEpoch": 1_795_428_000_000_u64},
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["body"] = json!(body.to_string());
    }
    event.to_string().into_bytes()
}
