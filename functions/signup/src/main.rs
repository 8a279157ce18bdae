//! The `signup` Lambda: the DynamoDB client and the key-derivation secret are set up once here, per cold
//! start, and shared by every request.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    http_envelope::init_telemetry("signup");
    let store = store::Store::from_env().await?;
    let derivation = accounts::DerivationSecret::from_env()?;
    http_envelope::serve(|request| signup::handle(&store, &derivation, request)).await
}
