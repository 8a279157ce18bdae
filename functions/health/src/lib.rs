//! `GET /health`, and the service's answer to every path no other function serves (the local router's
//! catch-all and API Gateway's `$default` route both end here): a JSON 404, not a gateway's HTML.

use http_envelope::{dispatch, ok, ApiError, HandlerResult, Route};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

/// The one route this function serves by name; it also answers API Gateway's `$default` route.
pub const ROUTES: &[Route] = &[HEALTH];
const HEALTH: Route = Route {
    path: "/health",
    allow: "GET, HEAD, OPTIONS",
};

/// The body of a healthy answer.
#[derive(Serialize)]
struct Health {
    status: &'static str,
    service: &'static str,
    version: &'static str,
}

/// Answers one request.
pub async fn handle(request: Request) -> Response<Body> {
    dispatch(request, ROUTES, route).await
}

async fn route(request: Request) -> HandlerResult {
    match request.uri().path() {
        path if path == HEALTH.path => match *request.method() {
            Method::GET => ok(&Health {
                status: "ok",
                service: "memory-api-accounts",
                version: env!("CARGO_PKG_VERSION"),
            }),
            _ => Err(ApiError::method_not_allowed(HEALTH.allow)),
        },
        other => Err(ApiError::route_not_found(other)),
    }
}
