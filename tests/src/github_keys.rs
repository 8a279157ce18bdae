//! A stand-in for GitHub's public keys document (`meta/public_keys/secret_scanning`) on a loopback port,
//! serving the TEST-ONLY document of `dev/secret-scanning/` and counting the fetches; and reports signed as
//! GitHub signs them, with the TEST-ONLY keys.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use base64::Engine;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use tokio::net::TcpListener;

/// The TEST-ONLY keys document `make dev` serves: one key, `test-only-local-dev-key`.
pub const DEV_KEYS_DOCUMENT: &str =
    include_str!("../../dev/secret-scanning/TEST-ONLY-public-keys.json");

/// The identifier the document lists the TEST-ONLY key under.
pub const DEV_KEY_IDENTIFIER: &str = "test-only-local-dev-key";

/// The stand-in, serving one document at every path.
pub struct GithubKeysStandIn {
    pub address: SocketAddr,
    fetches: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl GithubKeysStandIn {
    /// Serves [`DEV_KEYS_DOCUMENT`].
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the GitHub keys stand-in");
        let address = listener.local_addr().expect("stand-in address");
        let fetches = Arc::new(AtomicUsize::new(0));
        let server = {
            let fetches = fetches.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let fetches = fetches.clone();
                    tokio::spawn(async move {
                        let service = service_fn(move |request| answer(request, fetches.clone()));
                        let _ = http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service)
                            .await;
                    });
                }
            })
        };
        Self {
            address,
            fetches,
            server,
        }
    }

    /// Its URL, for `SECRET_SCANNING_KEYS_URL`.
    pub fn url(&self) -> String {
        format!("http://{}/meta/public_keys/secret_scanning", self.address)
    }

    /// How many times the document was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for GithubKeysStandIn {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn answer(
    request: Request<Incoming>,
    fetches: Arc<AtomicUsize>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // GitHub's API refuses a request without a User-Agent; so does the stand-in.
    let status = if request.headers().contains_key("user-agent") {
        fetches.fetch_add(1, Ordering::SeqCst);
        200
    } else {
        403
    };
    let mut response = Response::new(Full::new(Bytes::from_static(DEV_KEYS_DOCUMENT.as_bytes())));
    *response.status_mut() = hyper::StatusCode::from_u16(status).unwrap_or_default();
    response.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

/// Which TEST-ONLY key signs a report.
#[derive(Clone, Copy, Debug)]
pub enum ReportSigner {
    /// The key the document lists (`test-only-local-dev-key`).
    Listed,
    /// A key no document lists.
    Other,
}

/// `Github-Public-Key-Signature` for `body`, signed by `signer`'s key: base64 of the DER signature.
pub fn github_signature(signer: ReportSigner, body: &[u8]) -> String {
    let pem = match signer {
        ReportSigner::Listed => include_str!("../../dev/secret-scanning/TEST-ONLY-signing-key.pem"),
        ReportSigner::Other => {
            include_str!("../../dev/secret-scanning/TEST-ONLY-other-signing-key.pem")
        }
    };
    let key = SigningKey::from_pkcs8_pem(pem).expect("a PKCS#8 P-256 key");
    let signature: Signature = key.sign(body);
    base64::engine::general_purpose::STANDARD.encode(signature.to_der().as_bytes())
}
