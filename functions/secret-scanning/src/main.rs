//! The `secret-scanning` Lambda: its configuration is read, the DynamoDB client and the HTTP client for
//! GitHub's public keys built once here, per cold start; the keys themselves are fetched at their first use.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = http_envelope::read_config(secret_scanning::Config::from_variables)?;
    http_envelope::init_telemetry("secret-scanning", &config.telemetry);
    let service = secret_scanning::Service::start(&config).await;
    http_envelope::serve(|request| secret_scanning::handle(&service, request)).await
}
