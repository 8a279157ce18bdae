//! The `health` Lambda. It needs no AWS client, so it starts in about a millisecond.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    http_envelope::init_telemetry("health");
    http_envelope::serve(health::handle).await
}
