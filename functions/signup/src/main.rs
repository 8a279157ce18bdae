//! The `signup` Lambda: its configuration (the key-derivation secret among it) is read and the DynamoDB
//! client built once here, per cold start, and shared by every request.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = http_envelope::read_config(signup::Config::from_variables)?;
    http_envelope::init_telemetry("signup", &config.telemetry);
    let service = signup::Service::start(&config).await;
    http_envelope::serve(|request| signup::handle(&service, request)).await
}
