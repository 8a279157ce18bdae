//! Secrets stay out of the logs: a full run (signup, every route, revocation, refused keys) with every log
//! line captured, searched for any full key and any key hash the run produced. A binary of its own, so that
//! its global log capture sees only this run.

use std::io::Write;
use std::sync::{Arc, Mutex};

use lambda_http::http::Method;
use serde_json::json;
use service_tests::{call, create_key, fresh_store, sign_up};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_full_key_and_no_key_hash_is_ever_logged() {
    let captured = Captured::default();
    let writer = captured.clone();
    // The functions' own subscriber, asked for everything (RUST_LOG=trace), in the JSON Lambda writes.
    let subscriber = http_envelope::log_subscriber("trace", true, move || writer.clone());
    tracing::subscriber::set_global_default(subscriber)
        .expect("the only subscriber of this binary");

    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (read_key, read_id) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let (test_key, _) = create_key(
        &store,
        &org.admin_key,
        json!({"environment": "test", "scopes": ["admin"]}),
    )
    .await;
    call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    call(Method::GET, "/v1/account")
        .api_key(&read_key)
        .send(&store)
        .await;
    call(Method::GET, "/v1/account/api-keys")
        .bearer(&read_key)
        .send(&store)
        .await;
    call(Method::GET, "/v1/account/api-keys")
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    call(Method::POST, "/v1/account/api-keys")
        .bearer(&test_key)
        .json(json!({"environment": "live"}))
        .send(&store)
        .await;
    call(Method::DELETE, &format!("/v1/account/api-keys/{read_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    call(Method::GET, "/v1/account")
        .bearer(&read_key)
        .send(&store)
        .await;
    call(Method::GET, "/v1/account")
        .bearer(&org.admin_key)
        .api_key(&read_key)
        .send(&store)
        .await;
    let unknown = "mem_live_ZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZZ3YaXYN";
    call(Method::GET, "/v1/account")
        .bearer(unknown)
        .send(&store)
        .await;

    let logs = String::from_utf8_lossy(&captured.0.lock().expect("logs").clone()).into_owned();
    assert!(
        logs.contains("latency_ms"),
        "the capture saw the service's logs"
    );
    for key in [&org.admin_key, &read_key, &test_key, &unknown.to_owned()] {
        assert!(!logs.contains(key.as_str()), "a full key was logged");
        let hash = auth::ApiKeySecret::parse(key).expect("well-formed").hash();
        if let Some(line) = logs.lines().find(|line| line.contains(&hash)) {
            panic!("a key hash was logged: {}", &line[..line.len().min(300)]);
        }
    }
    println!("secrets: searched {} bytes of logs (RUST_LOG=trace, JSON, SDK included) for 4 keys and their hashes", logs.len());
}
