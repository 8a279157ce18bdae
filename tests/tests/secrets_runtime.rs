//! No key or hash in any log, at `RUST_LOG=trace`, through the real runtime loop: the built `api-keys`
//! binary runs `lambda_runtime` against a Runtime API emulator, with real keys in its events (in the
//! `Authorization` header, and one pasted into a path), and everything it prints is searched.

use serde_json::json;
use service_tests::{create_key, fresh_store, gateway_event, sign_up, RunningFunction, RuntimeApi};

#[tokio::test]
async fn a_function_run_through_the_lambda_runtime_at_trace_logs_no_key_and_no_hash() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;

    let mut api = RuntimeApi::start().await;
    let function = RunningFunction::start(
        "api-keys",
        &api,
        store.table(),
        &[
            ("AWS_SESSION_TOKEN", "session-token-that-must-not-be-logged"),
            (
                "KEY_DERIVATION_SECRET",
                "secrets-test-key-derivation-secret-0123456789",
            ),
            ("RUST_LOG", "trace"),
        ],
    );
    api.init_done().await.expect("the function asked for work");

    let events = [
        gateway_event("GET", "/v1/account/api-keys", Some(&org.admin_key), None),
        gateway_event(
            "POST",
            "/v1/account/api-keys",
            Some(&org.admin_key),
            Some(json!({"name": "made at trace"})),
        ),
        gateway_event("GET", "/v1/account/api-keys", Some(&reader), None),
        gateway_event(
            "DELETE",
            &format!("/v1/account/api-keys/{reader}"),
            Some(&org.admin_key),
            None,
        ),
    ];
    let mut created = None;
    for event in events {
        let (_, body) = api.invoke(event).await.expect("invocation");
        let answer: serde_json::Value = serde_json::from_slice(&body).expect("json");
        if let Some(key) =
            serde_json::from_str::<serde_json::Value>(answer["body"].as_str().unwrap_or("{}"))
                .ok()
                .and_then(|b| b["data"]["key"].as_str().map(str::to_owned))
        {
            created = Some(key);
        }
    }
    drop(api);
    let (stdout, stderr) = function.kill().await;
    let logs = format!("{stdout}{stderr}");
    assert!(
        logs.contains("latency_ms"),
        "the capture saw the service's logs:\n{logs}"
    );
    let created = created.expect("a key was created at trace");
    for key in [&org.admin_key, &reader, &created] {
        assert!(!logs.contains(key.as_str()), "a full key was logged");
        let hash = auth::ApiKeySecret::parse(key).expect("well-formed").hash();
        assert!(!logs.contains(&hash), "a key hash was logged");
        let random_part = &key["mem_live_".len()..];
        assert!(!logs.contains(random_part), "part of a key was logged");
    }
    assert!(
        !logs.contains("session-token-that-must-not-be-logged"),
        "the session token was logged"
    );
    assert!(
        logs.contains("/v1/account/api-keys/{key_id}"),
        "the request to the pasted key's path is logged by its route template, not its path"
    );
    println!(
        "secrets (runtime loop): {} lines at RUST_LOG=trace searched for 3 keys, their hashes and the session token",
        logs.lines().count()
    );
}
