//! The `api-keys` Lambda: the DynamoDB client and the key-derivation secret are set up once here, per cold
//! start, and shared by every request.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    http_envelope::init_telemetry("api-keys");
    let store = store::Store::from_env().await?;
    let derivation = accounts::DerivationSecret::from_env()?;
    auth::flush_usage_at_shutdown(store.clone()).await;
    http_envelope::serve(|request| api_keys::handle(&store, &derivation, request)).await
}
