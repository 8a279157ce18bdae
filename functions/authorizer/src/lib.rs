//! The authorizer of the Memory API's other routes: API Gateway hands it each request (payload 2.0) and it
//! answers `{"isAuthorized": ..., "context": ...}` after the same checks as this service's own routes: one
//! read of the key-hash index, the same rules, the same usage counting.

use std::time::SystemTime;

use api_errors::Failure;
use auth::{authenticate, required_scope, AuthError, Principal};
use http_envelope::ApiError;
use lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use serde::Serialize;
use store::{Store, StoreError};

/// API Gateway's simple response. A refusal carries no context: API Gateway answers the caller with its own
/// 403 body, so which of our codes applied is logged instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    #[serde(rename = "isAuthorized")]
    pub is_authorized: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<CallerContext>,
}

/// What the backend behind the authorizer learns about the caller (`requestContext.authorizer.lambda`):
/// never the key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CallerContext {
    pub org_id: String,
    pub key_id: String,
    /// `live` (billable) or `test` (the sandbox: it must never reach live data).
    pub environment: String,
    /// The key's scopes, comma-separated (`read,write`).
    pub scopes: String,
}

/// Why the authorizer could not decide: API Gateway then answers 500, which a client retries, rather than a
/// 403 that would tell it its key is bad.
#[derive(Debug, thiserror::Error)]
#[error("the key could not be checked: {0}")]
pub struct Undecided(StoreError);

/// Decides one request, and ends it as every request of the service ends: one log line (the refusal's code
/// in it, never the key) and its metrics. The status logged is the one API Gateway answers: 200 when
/// allowed (the backend's own status is the backend's to log), 403 when refused, 500 when undecided.
pub async fn authorize(
    store: &Store,
    request: &ApiGatewayV2CustomAuthorizerV2Request,
    now: SystemTime,
) -> Result<Decision, Undecided> {
    let started = std::time::Instant::now();
    let route_key = request.route_key.as_deref().unwrap_or_default();
    let method = request.request_context.http.method.as_str();
    let ((decision, status, code), facts) =
        telemetry::within_request(Box::pin(decide(store, request, route_key, method, now))).await;
    let request_id = request
        .request_context
        .request_id
        .as_deref()
        .unwrap_or_default();
    telemetry::finish_request(
        &telemetry::RequestOutcome {
            route: route_key,
            method,
            status,
            code,
            request_id,
            latency: started.elapsed(),
        },
        &facts,
    );
    decision
}

type Answer = (Result<Decision, Undecided>, u16, Option<&'static str>);

async fn decide(
    store: &Store,
    request: &ApiGatewayV2CustomAuthorizerV2Request,
    route_key: &str,
    method: &str,
    now: SystemTime,
) -> Answer {
    let scope = required_scope(route_key, method);
    match authenticate(store, &request.headers, scope, now).await {
        Ok(principal) => (
            Ok(Decision {
                is_authorized: true,
                context: Some(context(&principal)),
            }),
            200,
            None,
        ),
        Err(AuthError::Store(err)) => {
            tracing::error!(error = %err, "request undecided: the key could not be checked");
            (Err(Undecided(err)), 500, Some("service_unavailable"))
        }
        Err(err) => {
            let code = ApiError::from(Failure::Auth(err)).code;
            (
                Ok(Decision {
                    is_authorized: false,
                    context: None,
                }),
                403,
                Some(code),
            )
        }
    }
}

fn context(principal: &Principal) -> CallerContext {
    CallerContext {
        org_id: principal.org_id.clone(),
        key_id: principal.key_id.clone(),
        environment: principal.environment.as_str().to_owned(),
        scopes: principal.scopes.names().join(","),
    }
}
