//! The `account` Lambda: its configuration is read and the DynamoDB client built once here, per cold start,
//! and shared by every request.

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = http_envelope::read_config(account::Config::from_variables)?;
    http_envelope::init_telemetry("account", &config.telemetry);
    let service = account::Service::start(&config).await;
    http_envelope::serve(|request| async {
        let response = account::handle(&service, request).await;
        service.gate.meter.request_answered();
        response
    })
    .await
}
