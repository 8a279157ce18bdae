//! A small emulator of the Lambda Runtime API (`/2018-06-01/runtime/...`) and of the Extensions API
//! (`/2020-01-01/extension/...`), so a function binary runs its real `lambda_runtime` start-up and loop here,
//! and each invocation can be timed from the moment the event is handed over to the moment the response
//! arrives. As Lambda does, it hands an `INVOKE` event to every extension subscribed to it with each
//! invocation, and hands out the next invocation only once every such extension is back at `event/next`;
//! what happened when is kept in a [`Timeline`].

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

/// One registered extension.
struct Registered {
    id: String,
    /// Subscribed to `INVOKE`.
    invoke: bool,
    /// Waiting at `event/next`: where its next `INVOKE` event goes.
    waiting: Option<oneshot::Sender<Vec<u8>>>,
}

/// What happened, in order, as the emulator saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Moment {
    /// An invocation was handed to the runtime (its id).
    HandedOut(String),
    /// The runtime posted the invocation's response.
    ResponsePosted(String),
    /// An `INVOKE`-subscribed extension came back to `event/next` (its id).
    ExtensionAtNext(String),
}

/// The emulator's record of what happened when.
pub type Timeline = Vec<(Instant, Moment)>;

struct Shared {
    queue: tokio::sync::Mutex<mpsc::Receiver<(String, Vec<u8>)>>,
    waiting: Mutex<Waiting>,
    first_next: Mutex<Option<oneshot::Sender<Instant>>>,
    extensions: Mutex<Vec<Registered>>,
    /// Woken whenever an extension comes back to `event/next`.
    extension_ready: tokio::sync::Notify,
    timeline: Mutex<Timeline>,
}

impl Shared {
    fn note(&self, moment: Moment) {
        if let Ok(mut timeline) = self.timeline.lock() {
            timeline.push((Instant::now(), moment));
        }
    }

    /// Whether every `INVOKE`-subscribed extension waits at `event/next`.
    fn extensions_ready(&self) -> bool {
        self.extensions.lock().is_ok_and(|extensions| {
            extensions
                .iter()
                .all(|extension| !extension.invoke || extension.waiting.is_some())
        })
    }
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
            extensions: Mutex::default(),
            extension_ready: tokio::sync::Notify::new(),
            timeline: Mutex::default(),
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

    /// What happened so far, in order.
    pub fn timeline(&self) -> Timeline {
        self.shared
            .timeline
            .lock()
            .map(|timeline| timeline.clone())
            .unwrap_or_default()
    }

    /// How many extensions registered subscribed to `INVOKE`.
    pub fn invoke_extensions(&self) -> usize {
        self.shared
            .extensions
            .lock()
            .map(|extensions| extensions.iter().filter(|e| e.invoke).count())
            .unwrap_or_default()
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
    // The Extensions API: registration with the events an extension subscribes to; `event/next` hands an
    // extension subscribed to `INVOKE` each invocation's event, and one subscribed to none waits forever
    // (SIGTERM is what ends the process).
    if path == "/2020-01-01/extension/register" {
        let body = request
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes().to_vec())
            .unwrap_or_default();
        let asked: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let invoke = asked["events"]
            .as_array()
            .is_some_and(|events| events.iter().any(|event| event == "INVOKE"));
        let id = format!("extension-{}", NEXT_ID.fetch_add(1, Ordering::Relaxed));
        if let Ok(mut extensions) = shared.extensions.lock() {
            extensions.push(Registered {
                id: id.clone(),
                invoke,
                waiting: None,
            });
        }
        let mut response = reply(
            StatusCode::OK,
            br#"{"functionName":"emulated","functionVersion":"$LATEST","handler":"bootstrap"}"#
                .to_vec(),
        );
        if let Ok(value) = hyper::header::HeaderValue::from_str(&id) {
            response
                .headers_mut()
                .insert("lambda-extension-identifier", value);
        }
        return Ok(response);
    }
    if path == "/2020-01-01/extension/event/next" {
        let id = request
            .headers()
            .get("lambda-extension-identifier")
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let (sender, event) = oneshot::channel();
        let subscribed = shared.extensions.lock().is_ok_and(|mut extensions| {
            match extensions.iter_mut().find(|e| e.id == id && e.invoke) {
                Some(extension) => {
                    extension.waiting = Some(sender);
                    true
                }
                None => false,
            }
        });
        if !subscribed {
            std::future::pending::<()>().await;
        }
        shared.note(Moment::ExtensionAtNext(id));
        shared.extension_ready.notify_waiters();
        return Ok(match event.await {
            Ok(event) => reply(StatusCode::OK, event),
            Err(_) => reply(StatusCode::GONE, Vec::new()),
        });
    }
    if path == "/2018-06-01/runtime/invocation/next" {
        if let Some(first) = shared.first_next.lock().ok().and_then(|mut f| f.take()) {
            let _ = first.send(Instant::now());
        }
        let next = shared.queue.lock().await.recv().await;
        let Some((id, event)) = next else {
            return Ok(reply(StatusCode::GONE, Vec::new()));
        };
        // As Lambda: not before every INVOKE-subscribed extension is back at `event/next`.
        loop {
            let ready = shared.extension_ready.notified();
            if shared.extensions_ready() {
                break;
            }
            ready.await;
        }
        let deadline = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            + Duration::from_secs(30);
        let invoke_event = serde_json::json!({
            "eventType": "INVOKE", "deadlineMs": deadline.as_millis() as u64, "requestId": id,
            "invokedFunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:bench",
            "tracing": {"type": "X-Amzn-Trace-Id", "value": "Root=1-00000000-000000000000000000000000;Sampled=0"}
        })
        .to_string()
        .into_bytes();
        if let Ok(mut extensions) = shared.extensions.lock() {
            for extension in extensions.iter_mut().filter(|e| e.invoke) {
                if let Some(waiting) = extension.waiting.take() {
                    let _ = waiting.send(invoke_event.clone());
                }
            }
        }
        shared.note(Moment::HandedOut(id.clone()));
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
        if segments[5] == "response" {
            shared.note(Moment::ResponsePosted(id.to_owned()));
        }
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
