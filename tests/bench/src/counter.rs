//! A TCP proxy in front of DynamoDB Local that counts operations by their `X-Amz-Target` header, so the
//! DynamoDB cost of a request is measured outside the function, on the wire.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy saw since the last [`OperationCounter::take`] or [`OperationCounter::take_detailed`].
#[derive(Clone, Debug, Default)]
pub struct Counts {
    /// Operations by name (`Query`, `GetItem`, ...).
    pub operations: BTreeMap<String, u64>,
    /// `Query` operations by the `IndexName` of their request body (`(table)` for none), while
    /// [`OperationCounter::count_queries_by_index`] is on.
    pub queries_by_index: BTreeMap<String, u64>,
}

/// Operations seen so far.
#[derive(Clone, Default)]
pub struct OperationCounter {
    counts: Arc<Mutex<Counts>>,
    /// Reading a `Query`'s body for its index takes time inside the timed requests: only when asked.
    by_index: Arc<AtomicBool>,
}

impl OperationCounter {
    /// Whether to count `Query` operations by index from now on.
    pub fn count_queries_by_index(&self, on: bool) {
        self.by_index.store(on, Ordering::Relaxed);
    }

    /// The operation counts since the last call, and resets every count.
    pub fn take(&self) -> BTreeMap<String, u64> {
        self.take_detailed().operations
    }

    /// Every count since the last call (operations, and queries by index), and resets them.
    pub fn take_detailed(&self) -> Counts {
        self.counts
            .lock()
            .map(|mut counts| std::mem::take(&mut *counts))
            .unwrap_or_default()
    }

    fn add(&self, operation: &str, body: &[u8]) {
        let by_index = operation == "Query" && self.by_index.load(Ordering::Relaxed);
        let index = by_index.then(|| {
            serde_json::from_slice::<serde_json::Value>(body)
                .ok()
                .and_then(|request| request.get("IndexName")?.as_str().map(str::to_owned))
                .unwrap_or_else(|| "(table)".to_owned())
        });
        if let Ok(mut counts) = self.counts.lock() {
            *counts.operations.entry(operation.to_owned()).or_default() += 1;
            if let Some(index) = index {
                *counts.queries_by_index.entry(index).or_default() += 1;
            }
        }
    }
}

/// Starts the proxy; returns its URL and its counter.
pub async fn start(upstream: String) -> (String, OperationCounter) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind counter");
    let endpoint = format!("http://{}", listener.local_addr().expect("counter address"));
    let counter = OperationCounter::default();
    let counting = counter.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (upstream, counter) = (upstream.clone(), counting.clone());
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(&upstream).await {
                    let (client_read, mut client_write) = client.into_split();
                    let (mut server_read, server_write) = server.into_split();
                    let requests =
                        tokio::spawn(forward_requests(client_read, server_write, counter));
                    let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
                    requests.abort();
                }
            });
        }
    });
    (endpoint, counter)
}

/// Copies HTTP/1.1 requests (headers, then `Content-Length` bytes of body) and counts each one's target
/// (and, for a `Query`, the index its body names) once the whole request has arrived, before it is sent on.
async fn forward_requests(
    mut client: tokio::net::tcp::OwnedReadHalf,
    mut server: tokio::net::tcp::OwnedWriteHalf,
    counter: OperationCounter,
) {
    let mut buffer: Vec<u8> = Vec::with_capacity(16 * 1024);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let header_end = loop {
            if let Some(position) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break position + 4;
            }
            match client.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buffer[..header_end]);
        let mut content_length = 0usize;
        let mut target = None;
        // Header names are case-insensitive; operation names (`DynamoDB_20120810.Query`) are not.
        for (name, value) in head.lines().filter_map(|line| line.split_once(':')) {
            if name.eq_ignore_ascii_case("x-amz-target") {
                target = value.trim().rsplit('.').next().map(str::to_owned);
            } else if name.eq_ignore_ascii_case("content-length") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
        while buffer.len() < header_end + content_length {
            match client.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let request_end = header_end + content_length;
        if let Some(operation) = target {
            counter.add(&operation, &buffer[header_end..request_end]);
        }
        if server.write_all(&buffer[..request_end]).await.is_err() {
            return;
        }
        buffer.drain(..request_end);
    }
}
