//! The `health` Lambda. It needs no AWS client, so it starts in about a millisecond.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = http_envelope::read_config(health::Config::from_variables)?;
    http_envelope::init_telemetry("health", &config.telemetry);
    http_envelope::serve(|request| health::handle(config.http, request)).await
}
