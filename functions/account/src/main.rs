//! The `account` Lambda: the DynamoDB client is built once here, per cold start, and shared by every request.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    http_envelope::init_telemetry("account");
    let store = store::Store::from_env().await?;
    auth::flush_usage_at_shutdown(store.clone()).await;
    http_envelope::serve(|request| account::handle(&store, request)).await
}
