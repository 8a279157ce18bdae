//! `GET /v1/account`: the caller's organisation; `GET /v1/account/usage`: its requests per day and key (scope
//! `read`).

use std::time::SystemTime;

use accounts::UsageQuery;
use api_errors::Outcome;
use auth::{authenticate, Scope};
use http_envelope::{dispatch, ok, query_parameter, ApiError, Route};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use store::Store;

/// The routes this function serves.
pub const ROUTES: &[Route] = &[ACCOUNT, USAGE];
const ACCOUNT: Route = Route {
    path: "/v1/account",
    allow: "GET, HEAD, OPTIONS",
};
const USAGE: Route = Route {
    path: "/v1/account/usage",
    allow: "GET, HEAD, OPTIONS",
};

/// Answers one request.
pub async fn handle(store: &Store, request: Request) -> Response<Body> {
    dispatch(request, ROUTES, |request| route(store, request)).await
}

async fn route(store: &Store, request: Request) -> Outcome {
    let path = request.uri().path();
    let Some(route) = ROUTES.iter().find(|route| route.path == path) else {
        return Err(ApiError::route_not_found(path).into());
    };
    if request.method() != Method::GET {
        return Err(ApiError::method_not_allowed(route.allow).into());
    }
    let now = SystemTime::now();
    let principal = authenticate(store, request.headers(), Scope::Read, now).await?;
    if route.path == USAGE.path {
        let query = UsageQuery {
            from: query_parameter(&request, "from")?,
            to: query_parameter(&request, "to")?,
        };
        return ok(&accounts::usage(store, &principal, query, now).await?);
    }
    ok(&accounts::get_account(store, &principal).await?)
}
