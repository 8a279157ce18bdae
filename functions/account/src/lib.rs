//! `GET /v1/account`: the caller's organisation (scope `read`).

use std::time::SystemTime;

use api_errors::Outcome;
use auth::{authenticate, Scope};
use http_envelope::{dispatch, ok, ApiError, Route};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};
use store::Store;

/// The routes this function serves.
pub const ROUTES: &[Route] = &[ACCOUNT];
const ACCOUNT: Route = Route {
    path: "/v1/account",
    allow: "GET",
};

/// Answers one request.
pub async fn handle(store: &Store, request: Request) -> Response<Body> {
    dispatch(request, |request| route(store, request)).await
}

async fn route(store: &Store, request: Request) -> Outcome {
    if request.uri().path() != ACCOUNT.path {
        return Err(ApiError::route_not_found(request.uri().path()).into());
    }
    if request.method() != Method::GET {
        return Err(ApiError::method_not_allowed(ACCOUNT.allow).into());
    }
    let principal = authenticate(store, request.headers(), Scope::Read, SystemTime::now()).await?;
    let account = accounts::get_account(store, &principal).await?;
    ok(&account)
}
