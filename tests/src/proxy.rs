//! A TCP proxy in front of DynamoDB Local that a test breaks and mends while the service runs.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};

use crate::dynamodb_endpoint;

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
    /// Pass everything through, except that the answer to the next `TransactWriteItems` is lost: DynamoDB
    /// receives and commits it, and the client's connection is closed before the answer reaches it. Then back
    /// to [`Fault::None`].
    LoseNextTransactionAnswer = 4,
    /// Like [`Fault::LoseNextTransactionAnswer`], for every `TransactWriteItems` until mended: each commits
    /// (or is recognised by its token) and no answer arrives, so the client's every attempt times out.
    LoseEveryTransactionAnswer = 5,
    /// Like [`Fault::LoseEveryTransactionAnswer`], for every single write (`UpdateItem`) as well.
    LoseEveryWriteAnswer = 6,
    /// Pass everything through, noting when each call arrived and when its answer went back
    /// ([`FaultyProxy::calls`]).
    Observe = 7,
}

/// One call the proxy relayed while observing: its operation (`updateitem`, `query`, ...), when it arrived and
/// when its answer went back.
#[derive(Clone, Debug)]
pub struct ObservedCall {
    pub operation: String,
    pub arrived: std::time::Instant,
    pub answered: std::time::Instant,
}

/// The `X-Amz-Target` of a write transaction, as the SDK sends it.
const TRANSACTION_TARGET: &str = "dynamodb_20120810.transactwriteitems";
/// The `X-Amz-Target` of a single write.
const UPDATE_TARGET: &str = "dynamodb_20120810.updateitem";

/// A TCP proxy in front of DynamoDB Local that a test can break and mend while the service runs, to prove
/// that every route answers 503 during a fault and recovers when the store comes back.
pub struct FaultyProxy {
    /// The URL to give the client in place of DynamoDB Local's.
    pub endpoint: String,
    mode: Arc<std::sync::atomic::AtomicU8>,
    observed: Arc<Mutex<Vec<ObservedCall>>>,
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
        let observed: Arc<Mutex<Vec<ObservedCall>>> = Arc::default();
        let connections: Arc<Mutex<Vec<tokio::task::JoinHandle<()>>>> = Arc::default();
        let acceptor = {
            let (mode, connections, observed) =
                (mode.clone(), connections.clone(), observed.clone());
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    let (mode, upstream, observed) =
                        (mode.clone(), upstream.clone(), observed.clone());
                    let task = tokio::spawn(async move {
                        serve_connection(client, mode, &upstream, observed).await
                    });
                    if let Ok(mut live) = connections.lock() {
                        live.push(task);
                    }
                }
            })
        };
        Self {
            endpoint,
            mode,
            observed,
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

impl FaultyProxy {
    /// The fault in force now ([`Fault::LoseNextTransactionAnswer`] ends itself once it has struck).
    pub fn fault(&self) -> Fault {
        match self.mode.load(Ordering::SeqCst) {
            0 => Fault::None,
            1 => Fault::Refuse,
            2 => Fault::Stall,
            3 => Fault::Throttle,
            4 => Fault::LoseNextTransactionAnswer,
            5 => Fault::LoseEveryTransactionAnswer,
            6 => Fault::LoseEveryWriteAnswer,
            _ => Fault::Observe,
        }
    }

    /// The calls relayed while observing, in the order they were answered.
    pub fn calls(&self) -> Vec<ObservedCall> {
        self.observed
            .lock()
            .map(|calls| calls.clone())
            .unwrap_or_default()
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
    observed: Arc<Mutex<Vec<ObservedCall>>>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let fault = mode.load(Ordering::SeqCst);
    match fault {
        f if f == Fault::None as u8 => pass_through(client, &[], upstream).await,
        f if f == Fault::LoseNextTransactionAnswer as u8
            || f == Fault::LoseEveryTransactionAnswer as u8
            || f == Fault::LoseEveryWriteAnswer as u8
            || f == Fault::Observe as u8 =>
        {
            relay_losing_a_transaction_answer(client, &mode, upstream, &observed).await
        }
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

/// Relays one HTTP/1.1 exchange at a time, so it can see which call an answer belongs to, and loses the
/// answer to the first `TransactWriteItems` it sees (once, across all connections).
async fn relay_losing_a_transaction_answer(
    mut client: tokio::net::TcpStream,
    mode: &std::sync::atomic::AtomicU8,
    upstream: &str,
    observed: &Mutex<Vec<ObservedCall>>,
) {
    use tokio::io::AsyncWriteExt;
    let Ok(mut server) = tokio::net::TcpStream::connect(upstream).await else {
        return;
    };
    let mut from_client = Vec::new();
    let mut from_server = Vec::new();
    loop {
        let Some(request) = read_message(&mut client, &mut from_client).await else {
            return;
        };
        let arrived = std::time::Instant::now();
        if server.write_all(&request).await.is_err() {
            return;
        }
        let Some(response) = read_message(&mut server, &mut from_server).await else {
            return;
        };
        let head = String::from_utf8_lossy(&request).to_ascii_lowercase();
        let is_transaction = head.contains(TRANSACTION_TARGET);
        let is_write = is_transaction || head.contains(UPDATE_TARGET);
        let fault = mode.load(Ordering::SeqCst);
        let lose = (is_write && fault == Fault::LoseEveryWriteAnswer as u8)
            || is_transaction
                && (fault == Fault::LoseEveryTransactionAnswer as u8
                    || mode
                        .compare_exchange(
                            Fault::LoseNextTransactionAnswer as u8,
                            Fault::None as u8,
                            Ordering::SeqCst,
                            Ordering::SeqCst,
                        )
                        .is_ok());
        if lose {
            // DynamoDB has answered (the transaction is committed); the client never hears it.
            return;
        }
        if client.write_all(&response).await.is_err() {
            return;
        }
        if fault == Fault::Observe as u8 {
            let operation = head
                .lines()
                .find_map(|line| line.strip_prefix("x-amz-target: dynamodb_20120810."))
                .unwrap_or("?")
                .trim()
                .to_owned();
            if let Ok(mut calls) = observed.lock() {
                calls.push(ObservedCall {
                    operation,
                    arrived,
                    answered: std::time::Instant::now(),
                });
            }
        }
    }
}

/// One HTTP/1.1 message (head and a `Content-Length` body) off `stream`, with `buffer` holding bytes read
/// past the previous one. `None` when the stream ends or the message is not of that shape.
async fn read_message(stream: &mut tokio::net::TcpStream, buffer: &mut Vec<u8>) -> Option<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
        }
    }
    Some(buffer.drain(..head_end + length).collect())
}
