//! The `api-keys` Lambda: its configuration (the key-derivation secret among it) is read and the DynamoDB
//! client built once here, per cold start, and shared by every request.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = http_envelope::read_config(api_keys::Config::from_variables)?;
    http_envelope::init_telemetry("api-keys", &config.telemetry);
    let service = api_keys::Service::start(&config).await;
    http_envelope::serve(|request| async {
        let response = api_keys::handle(&service, request).await;
        service.gate.meter.request_answered();
        response
    })
    .await
}
