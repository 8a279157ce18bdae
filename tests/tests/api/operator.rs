//! The operator's tool: a new admin key for an organisation that lost every one, and turning an organisation
//! off and on, through the same domain functions and the built `operator` binary.

use std::time::SystemTime;

use accounts::operator::{mint_admin_key, OPERATOR_KEY_NAME};
use accounts::AccountError;
use lambda_http::http::{Method, StatusCode};
use service_tests::{built_binary_of, call, dynamodb_endpoint, fresh_store, sign_up};
use store::Store;

async fn list_status(store: &Store, key: &str) -> (StatusCode, String) {
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(key)
        .send(store)
        .await;
    (answer.status, answer.code().to_owned())
}

#[tokio::test]
async fn an_operator_minted_key_is_a_live_admin_key_with_no_expiry_that_manages_the_keys() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let minted = mint_admin_key(&store, &org.org_id, SystemTime::now())
        .await
        .expect("minted");
    assert!(minted.key.starts_with("mem_live_"));
    assert_eq!(minted.name, OPERATOR_KEY_NAME);
    assert_eq!(minted.scopes, ["read", "write", "delete", "admin"]);
    assert_eq!(minted.expires_at, None);
    assert_eq!(
        list_status(&store, &minted.key).await,
        (StatusCode::OK, String::new())
    );
    let stored = store
        .get_key(&org.org_id, &minted.id)
        .await
        .expect("read")
        .expect("stored");
    assert_ne!(stored.key_hash, minted.key, "stored as its hash only");
}

#[tokio::test]
async fn minting_for_an_organisation_that_does_not_exist_is_refused() {
    let store = fresh_store().await;
    let refused = mint_admin_key(&store, "org_missing", SystemTime::now()).await;
    assert!(
        matches!(refused, Err(AccountError::AccountNotFound)),
        "{refused:?}"
    );
}

/// Runs the built `operator` binary on `store`'s table; (exit code, stdout, stderr).
async fn operator(store: &Store, args: &[&str]) -> (i32, String, String) {
    let output = tokio::process::Command::new(built_binary_of("accounts", "operator"))
        .args(args)
        .env("TABLE_NAME", store.table())
        .env("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_endpoint())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .output()
        .await
        .expect("run operator");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn the_operator_tool_deactivates_reactivates_and_mints_a_key_shown_once() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (code, _, stderr) = operator(&store, &["deactivate", &org.org_id]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        list_status(&store, &org.admin_key).await,
        (StatusCode::FORBIDDEN, "organization_inactive".to_owned())
    );
    let (code, _, stderr) = operator(&store, &["reactivate", &org.org_id]).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(list_status(&store, &org.admin_key).await.0, StatusCode::OK);
    let (code, stdout, stderr) = operator(&store, &["mint-admin-key", &org.org_id]).await;
    assert_eq!(code, 0, "{stderr}");
    let key = stdout
        .lines()
        .find_map(|line| line.strip_prefix("key:"))
        .map(str::trim)
        .expect("the key is printed");
    assert_eq!(list_status(&store, key).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_operator_tool_refuses_an_unknown_organisation_a_bad_command_and_a_missing_table() {
    let store = fresh_store().await;
    assert_eq!(operator(&store, &["deactivate", "org_missing"]).await.0, 1);
    assert_eq!(operator(&store, &["delete-everything", "org_x"]).await.0, 2);
    assert_eq!(operator(&store, &["mint-admin-key"]).await.0, 2);
    let output = tokio::process::Command::new(built_binary_of("accounts", "operator"))
        .args(["deactivate", "org_x"])
        .env_remove("TABLE_NAME")
        .output()
        .await
        .expect("run operator");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("TABLE_NAME is not set"));
}
