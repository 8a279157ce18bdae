//! `GET /health`, and the service's answer to every path no other function serves (the local router's
//! catch-all and API Gateway's `$default` route both end here): a JSON 404, not a gateway's HTML.

use config::{ConfigError, Variables};
use http_envelope::{
    dispatch, ok, Access, Endpoint, HandlerResult, HttpConfig, Route, TelemetryConfig,
};
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// What a request of this function asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    Health,
}

/// The one route this function serves by name; every other path it is handed (API Gateway's `$default`
/// route) is answered 404 by `dispatch`.
pub const ROUTES: &[Route<Operation>] = &[Route {
    path: "/health",
    endpoints: &[Endpoint::get(Access::Public, Operation::Health)],
}];

/// The function's configuration, read once in `main`.
#[derive(Clone, Debug)]
pub struct Config {
    pub telemetry: TelemetryConfig,
    pub http: HttpConfig,
}

impl Config {
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            telemetry: TelemetryConfig::from_variables(variables)?,
            http: HttpConfig::from_variables(variables)?,
        })
    }
}

/// The body of a healthy answer.
#[derive(Serialize)]
struct Health {
    status: &'static str,
    service: &'static str,
    version: &'static str,
}

/// Answers one request.
pub async fn handle(http: HttpConfig, request: Request) -> Response<Body> {
    dispatch(request, ROUTES, http, |_, matched| async move {
        let answer: HandlerResult = match matched.operation {
            Operation::Health => ok(&Health {
                status: "ok",
                service: "memory-api-accounts",
                version: env!("CARGO_PKG_VERSION"),
            }),
        };
        answer
    })
    .await
}
