//! The `dashboard` Lambda: static files embedded in the binary; nothing to set up per cold start.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    http_envelope::init_telemetry("dashboard");
    http_envelope::serve(dashboard::handle).await
}
