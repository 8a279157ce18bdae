//! `GET /dashboard` and its two assets: the page where an organisation monitors and manages its keys. Plain
//! HTML, CSS and JavaScript, embedded in the binary (no build chain); the page calls the API on the same
//! origin with the key the user pasted, which it keeps in the tab only.

use config::{ConfigError, Variables};
use http_envelope::{
    dispatch, Access, ApiError, Endpoint, HandlerResult, HttpConfig, Route, TelemetryConfig,
};
use lambda_http::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Request, Response};

/// What a request of this function asks for: a file, named by its path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operation {
    File,
}

/// The routes this function serves: the one declaration of their paths, methods, scopes and operations.
pub const ROUTES: &[Route<Operation>] = &[
    Route {
        path: "/dashboard",
        endpoints: &[Endpoint::get(Access::Public, Operation::File)],
    },
    Route {
        path: "/dashboard/{asset}",
        endpoints: &[Endpoint::get(Access::Public, Operation::File)],
    },
];

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

/// No inline script or style, nothing from another origin, no framing, no form posting anywhere: the page
/// holds a key, so an injected script or a framing site must get nothing.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// The files served: path, media type, contents.
const FILES: &[(&str, &str, &str)] = &[
    (
        "/dashboard",
        "text/html; charset=utf-8",
        include_str!("../assets/index.html"),
    ),
    (
        "/dashboard/app.js",
        "text/javascript; charset=utf-8",
        include_str!("../assets/app.js"),
    ),
    (
        "/dashboard/style.css",
        "text/css; charset=utf-8",
        include_str!("../assets/style.css"),
    ),
];

/// Answers one request.
pub async fn handle(http: HttpConfig, request: Request) -> Response<Body> {
    dispatch(request, ROUTES, http, |request, matched| async move {
        match matched.operation {
            Operation::File => file(&request),
        }
    })
    .await
}

/// The file the request's path names; an unknown one is a 404.
fn file(request: &Request) -> HandlerResult {
    let path = request.uri().path();
    let Some((_, media_type, contents)) = FILES.iter().find(|(file, _, _)| *file == path) else {
        return Err(ApiError::route_not_found(path));
    };
    let mut response = Response::new(Body::Text((*contents).to_owned()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    for (name, value) in [
        (CONTENT_TYPE, *media_type),
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (X_FRAME_OPTIONS, "DENY"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        // A new deploy's page and script arrive together.
        (CACHE_CONTROL, "no-cache"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}
