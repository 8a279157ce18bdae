//! DynamoDB unreachable, slow or throttling: every route answers 503 quickly, never a panic or a hang.

use std::time::{Duration, Instant};

use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, fresh_store_with, Answer};
use store::ClientSettings;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const KEY: &str = "mem_live_0000000000000000000000000000000000000000";

fn impatient(endpoint: String) -> ClientSettings {
    ClientSettings {
        attempt_timeout: Duration::from_millis(300),
        operation_timeout: Duration::from_millis(900),
        max_attempts: 2,
        ..ClientSettings::local(endpoint)
    }
}

async fn every_route(store: &store::Store) -> Vec<(&'static str, Answer)> {
    vec![
        (
            "signup",
            call(Method::POST, "/v1/signup")
                .json(json!({"name": "My Company", "email": "a@example.com"}))
                .send(store)
                .await,
        ),
        (
            "account",
            call(Method::GET, "/v1/account")
                .bearer(KEY)
                .send(store)
                .await,
        ),
        (
            "list",
            call(Method::GET, "/v1/account/api-keys")
                .bearer(KEY)
                .send(store)
                .await,
        ),
        (
            "create",
            call(Method::POST, "/v1/account/api-keys")
                .bearer(KEY)
                .send(store)
                .await,
        ),
        (
            "revoke",
            call(Method::DELETE, "/v1/account/api-keys/key_abc")
                .bearer(KEY)
                .send(store)
                .await,
        ),
    ]
}

async fn assert_every_route_is_a_prompt_503(endpoint: String) {
    let store = fresh_store_with(impatient(endpoint)).await;
    let started = Instant::now();
    for (route, answer) in every_route(&store).await {
        assert_eq!(
            answer.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{route}: {:?}",
            answer.body
        );
        assert_eq!(answer.code(), "service_unavailable", "{route}");
    }
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn dynamodb_unreachable_is_a_503_on_every_route() {
    // Bind then drop a listener: a port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    assert_every_route_is_a_prompt_503(format!("http://127.0.0.1:{port}")).await;
}

#[tokio::test]
async fn dynamodb_answering_too_slowly_is_a_503_within_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // accept, never answer
        }
    });
    assert_every_route_is_a_prompt_503(format!("http://127.0.0.1:{port}")).await;
    server.abort();
}

#[tokio::test]
async fn dynamodb_throttling_is_a_503() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buffer = vec![0u8; 65536];
                loop {
                    match socket.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) => {
                            let body = r#"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"Rate of requests exceeds the allowed throughput."}"#;
                            let response = format!(
                                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}",
                                body.len()
                            );
                            if socket.write_all(response.as_bytes()).await.is_err() {
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    assert_every_route_is_a_prompt_503(format!("http://127.0.0.1:{port}")).await;
    server.abort();
}
