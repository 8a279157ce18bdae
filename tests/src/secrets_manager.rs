//! A stand-in for Secrets Manager's `GetSecretValue` on a loopback port (there is no local Secrets Manager as
//! there is a DynamoDB Local): it answers the one call the service makes, as Secrets Manager's JSON protocol
//! does, and counts the reads, so a test can show when the secret is read and that it is read once.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The stand-in, serving one secret under one ARN.
pub struct SecretsManagerStandIn {
    pub address: SocketAddr,
    reads: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl SecretsManagerStandIn {
    /// Serves `secret` as the `SecretString` of `arn`; any other id is Secrets Manager's 400
    /// `ResourceNotFoundException`.
    pub async fn start(arn: &str, secret: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the Secrets Manager stand-in");
        let address = listener.local_addr().expect("stand-in address");
        let reads = Arc::new(AtomicUsize::new(0));
        let (arn, secret) = (arn.to_owned(), secret.to_owned());
        let server = {
            let reads = reads.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (reads, arn, secret) = (reads.clone(), arn.clone(), secret.clone());
                    tokio::spawn(async move {
                        let service = service_fn(move |request| {
                            answer(request, reads.clone(), arn.clone(), secret.clone())
                        });
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            })
        };
        Self {
            address,
            reads,
            server,
        }
    }

    /// Its URL, for `AWS_ENDPOINT_URL_SECRETS_MANAGER`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// How many `GetSecretValue` calls it answered.
    pub fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl Drop for SecretsManagerStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    request: Request<Incoming>,
    reads: Arc<AtomicUsize>,
    arn: String,
    secret: String,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let target = request
        .headers()
        .get("x-amz-target")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let body = request
        .into_body()
        .collect()
        .await
        .map(|collected| collected.to_bytes())
        .unwrap_or_default();
    let asked: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let (status, reply) = if target != "secretsmanager.GetSecretValue" {
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"__type": "UnknownOperationException"}),
        )
    } else if asked["SecretId"] != arn.as_str() {
        (
            StatusCode::BAD_REQUEST,
            serde_json::json!({"__type": "ResourceNotFoundException", "message": "no such secret"}),
        )
    } else {
        reads.fetch_add(1, Ordering::SeqCst);
        (
            StatusCode::OK,
            serde_json::json!({"ARN": arn, "Name": "key-derivation", "SecretString": secret,
                "VersionId": "v1", "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.7e9}),
        )
    };
    let mut response = Response::new(Full::new(Bytes::from(reply.to_string())));
    *response.status_mut() = status;
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    Ok(response)
}
