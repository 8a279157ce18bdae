//! The `dashboard` Lambda: static files embedded in the binary; nothing to set up per cold start but its
//! configuration.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = http_envelope::read_config(dashboard::Config::from_variables)?;
    http_envelope::init_telemetry("dashboard", &config.telemetry);
    http_envelope::serve(|request| dashboard::handle(config.http, request)).await
}
