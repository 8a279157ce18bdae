//! The `authorizer` Lambda: its configuration is read and the DynamoDB client built once here, per cold
//! start; the usage its meter counts is written at shutdown too.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    let config = http_envelope::read_config(authorizer::Config::from_variables)?;
    http_envelope::init_telemetry("authorizer", &config.telemetry);
    let service = authorizer::Service::start(&config).await;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let service = &service;
            async move {
                let decision =
                    authorizer::authorize(service, &event.payload, std::time::SystemTime::now())
                        .await;
                service.gate.meter.request_answered();
                decision.map_err(lambda_http::Error::from)
            }
        },
    ))
    .await
}
