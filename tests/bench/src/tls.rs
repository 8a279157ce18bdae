//! A TLS terminator in front of DynamoDB Local, so the functions reach it over TLS as they reach DynamoDB on
//! AWS (DNS, TCP, handshake, encrypted records), and the cost of that falls on their CPU share too.
//!
//! At start it makes a throwaway test CA and a server certificate for `localhost` and 127.0.0.1 signed by
//! it, and writes the CA's certificate to a PEM file: the functions trust that file, and only in this mode,
//! through `DYNAMODB_TLS_ROOTS=file:<path>`. The decrypted bytes go to `upstream` (the counting proxy).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::crypto::ring;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// A running terminator.
pub struct Terminator {
    /// The URL the functions are given: `https://localhost:<port>`, so they resolve a name as on AWS.
    pub endpoint: String,
    /// The test CA's certificate (PEM), for `DYNAMODB_TLS_ROOTS=file:<path>`.
    pub ca_file: PathBuf,
    handshakes: Arc<AtomicU64>,
}

impl Terminator {
    /// TLS handshakes completed so far: the proof that the functions spoke TLS, and how often.
    pub fn handshakes(&self) -> u64 {
        self.handshakes.load(Ordering::Relaxed)
    }
}

/// The test CA and the server's certificate chain and key.
struct Credentials {
    ca_pem: String,
    chain: Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

/// A CA made for this run only (its key never leaves the process), and a certificate for `localhost` and
/// 127.0.0.1 that it signs.
fn credentials() -> Credentials {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "make bench throwaway test CA");
    let ca_certificate = ca.self_signed(&ca_key).expect("self-sign the CA");
    let issuer = Issuer::new(ca, ca_key);

    let server_key = KeyPair::generate().expect("server key");
    let mut server = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("server parameters");
    server
        .distinguished_name
        .push(rcgen::DnType::CommonName, "localhost");
    let server_certificate = server
        .signed_by(&server_key, &issuer)
        .expect("sign the server certificate");
    Credentials {
        ca_pem: ca_certificate.pem(),
        chain: vec![server_certificate.der().clone()],
        key: PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(server_key.serialize_der())),
    }
}

/// Starts the terminator on a free loopback port, forwarding to `upstream` (`host:port`), and writes the
/// test CA's certificate to `ca_file`.
pub async fn start(upstream: String, ca_file: &Path) -> Terminator {
    let Credentials { ca_pem, chain, key } = credentials();
    if let Some(dir) = ca_file.parent() {
        std::fs::create_dir_all(dir).expect("create the CA file's folder");
    }
    std::fs::write(ca_file, ca_pem).expect("write the test CA");
    let config = ServerConfig::builder_with_provider(Arc::new(ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("server certificate");
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the TLS terminator");
    let port = listener.local_addr().expect("terminator address").port();
    let handshakes = Arc::new(AtomicU64::new(0));
    let counted = handshakes.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let (acceptor, upstream) = (acceptor.clone(), upstream.clone());
            let counted = counted.clone();
            tokio::spawn(async move {
                // Small writes (a request's records) must leave at once, as they would on AWS.
                let _ = client.set_nodelay(true);
                let Ok(mut tls) = acceptor.accept(client).await else {
                    return;
                };
                counted.fetch_add(1, Ordering::Relaxed);
                let Ok(mut server) = TcpStream::connect(&upstream).await else {
                    return;
                };
                let _ = server.set_nodelay(true);
                let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
            });
        }
    });
    Terminator {
        endpoint: format!("https://localhost:{port}"),
        ca_file: std::fs::canonicalize(ca_file).expect("the test CA's path"),
        handshakes,
    }
}
