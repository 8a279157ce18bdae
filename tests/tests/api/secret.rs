//! The key-derivation secret on AWS: the functions hold its ARN and read its value from Secrets Manager at the
//! first idempotent create or replay, once; if Secrets Manager cannot answer, that request is our 503.

use std::time::Duration;

use accounts::KeyDerivation;
use config::Variables;
use lambda_http::http::{Method, StatusCode};
use serde_json::json;
use service_tests::{call, fresh_store, sign_up, SecretsManagerStandIn};
use store::{ClientSettings, Store};

const ARN: &str = "arn:aws:secretsmanager:us-east-1:123456789012:secret:key-derivation-AbCdEf";
const SECRET: &str = "secrets-manager-key-derivation-secret-0123456789";

/// The derivation source `main` builds from `KEY_DERIVATION_SECRET_ARN`, reaching Secrets Manager at
/// `endpoint` with short limits.
fn from_secrets_manager(endpoint: &str) -> KeyDerivation {
    let variables = Variables::from_pairs([
        ("KEY_DERIVATION_SECRET_ARN", ARN),
        ("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint),
    ]);
    let settings = ClientSettings {
        attempt_timeout: Duration::from_millis(500),
        operation_timeout: Duration::from_millis(1_500),
        ..ClientSettings::local(endpoint)
    };
    KeyDerivation::from_variables(&variables, &settings).expect("configured")
}

async fn create(
    _store: &Store,
    service: &api_keys::Service,
    admin: &str,
    idempotency: Option<&str>,
) -> service_tests::Answer {
    let mut request = call(Method::POST, "/v1/account/api-keys")
        .bearer(admin)
        .json(json!({"name": "CI"}));
    if let Some(key) = idempotency {
        request = request.header("idempotency-key", key);
    }
    let response = api_keys::handle(service, request.build()).await;
    service_tests::answer_of(response)
}

fn service(store: &Store, derivation: KeyDerivation) -> api_keys::Service {
    api_keys::Service {
        gate: service_tests::gate_of(store),
        http: http_envelope::HttpConfig::default(),
        derivation,
    }
}

#[tokio::test]
async fn the_secret_is_read_at_the_first_idempotent_create_once_and_not_at_start_or_without_the_header(
) {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let stand_in = SecretsManagerStandIn::start(ARN, SECRET).await;
    let service = service(&store, from_secrets_manager(&stand_in.url()));
    assert_eq!(stand_in.reads(), 0, "nothing read at start");
    let plain = create(&store, &service, &org.admin_key, None).await;
    assert_eq!(plain.status, StatusCode::CREATED);
    assert_eq!(
        stand_in.reads(),
        0,
        "a create without Idempotency-Key needs no secret"
    );
    let idempotency = "0b6e4a3c-9d2f-4e1a-8b7c-6d5e4f3a2b1c";
    let first = create(&store, &service, &org.admin_key, Some(idempotency)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    assert_eq!(stand_in.reads(), 1);
    let replay = create(&store, &service, &org.admin_key, Some(idempotency)).await;
    assert_eq!(replay.status, StatusCode::CREATED);
    assert_eq!(
        replay.data()["key"],
        first.data()["key"],
        "derived again from the same secret"
    );
    assert_eq!(stand_in.reads(), 1, "kept for the instance's life");
}

#[tokio::test]
async fn secrets_manager_not_answering_makes_the_idempotent_create_a_503_and_nothing_else() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    // A port nothing listens on.
    let unreachable = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = listener.local_addr().expect("address");
        drop(listener);
        format!("http://{address}")
    };
    let service = service(&store, from_secrets_manager(&unreachable));
    let idempotent = create(
        &store,
        &service,
        &org.admin_key,
        Some("5c4b3a29-1807-4f6e-9d8c-7b6a5f4e3d2c"),
    )
    .await;
    assert_eq!(
        idempotent.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{}",
        idempotent.body
    );
    assert_eq!(idempotent.code(), "service_unavailable");
    let plain = create(&store, &service, &org.admin_key, None).await;
    assert_eq!(plain.status, StatusCode::CREATED);
}
