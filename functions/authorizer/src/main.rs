//! The `authorizer` Lambda: the DynamoDB client is built once here, per cold start; the usage it counts is
//! written at shutdown too.

use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use lambda_http::lambda_runtime::{self, service_fn, LambdaEvent};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_http::Error> {
    http_envelope::init_telemetry("authorizer");
    let store = store::Store::from_env().await?;
    auth::flush_usage_at_shutdown(store.clone()).await;
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
            let store = store.clone();
            async move {
                authorizer::authorize(&store, &event.payload, std::time::SystemTime::now())
                    .await
                    .map_err(lambda_http::Error::from)
            }
        },
    ))
    .await
}
