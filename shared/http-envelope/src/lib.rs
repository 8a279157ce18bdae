//! The HTTP envelope every function shares, so that every answer of the service looks the same:
//! `{"success": true, "data": ...}` or `{"success": false, "error": {"code", "message", "param"}}`, with the
//! request id in `x-request-id` and a JSON error (never a panic, never an empty 500) for anything that fails.

mod body;
mod error;
mod fields;

use std::convert::Infallible;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use lambda_http::http::{HeaderValue, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument;

pub use body::{json_object, MAX_BODY_BYTES};
pub use error::ApiError;
pub use fields::JsonObject;

/// The request header that makes a create safe to retry (Stripe's convention): signup and key creation.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The header every response carries, with the Lambda request id, so a user's report can be found in the logs.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// A path a function serves and the methods it accepts there (sent as `Allow` with a 405). Each function
/// exports its table as `ROUTES`; a test checks it against `template.yaml` and the local router.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route {
    /// As API Gateway and `cargo lambda watch` write it: `/v1/account/api-keys/{key_id}`.
    pub path: &'static str,
    /// Comma-separated methods, as in an `Allow` header: `HEAD` wherever `GET`, `OPTIONS` last (a test in
    /// `tests/tests/api/stack.rs` holds every function's table to that). [`dispatch`] answers `OPTIONS`
    /// and any method not listed itself.
    pub allow: &'static str,
}

/// What a handler that meets only HTTP-level errors returns (`health`); the others return `api_errors::Outcome`.
pub type HandlerResult = Result<Response<Body>, ApiError>;

#[derive(Serialize)]
struct Success<'a, T: Serialize> {
    success: bool,
    data: &'a T,
}

/// A success envelope with `data` and the given status.
pub fn json_response<T: Serialize>(status: StatusCode, data: &T) -> Response<Body> {
    serialised(
        status,
        &Success {
            success: true,
            data,
        },
    )
}

/// `envelope` as the JSON body of a `status` answer; a 500 if it cannot be serialised.
fn serialised(status: StatusCode, envelope: &impl Serialize) -> Response<Body> {
    match serde_json::to_string(envelope) {
        Ok(text) => with_json_body(status, text),
        Err(err) => {
            tracing::error!(error = %err, "response could not be serialised");
            ApiError::internal().into_response()
        }
    }
}

/// 200 with `data`, as whichever result type the handler returns.
pub fn ok<T: Serialize, E>(data: &T) -> Result<Response<Body>, E> {
    Ok(json_response(StatusCode::OK, data))
}

/// 200 with one page of a list: `data` and, beside it, `has_more` (Stripe's list shape).
pub fn ok_page<T: Serialize, E>(data: &[T], has_more: bool) -> Result<Response<Body>, E> {
    #[derive(Serialize)]
    struct Page<'a, T> {
        success: bool,
        data: &'a [T],
        has_more: bool,
    }
    Ok(serialised(
        StatusCode::OK,
        &Page {
            success: true,
            data,
            has_more,
        },
    ))
}

/// 201 with `data`: something was created.
pub fn created<T: Serialize, E>(data: &T) -> Result<Response<Body>, E> {
    Ok(json_response(StatusCode::CREATED, data))
}

fn with_json_body(status: StatusCode, text: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(text));
    *response.status_mut() = status;
    response.headers_mut().insert(
        lambda_http::http::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

/// A request header's value as text, `None` when absent; a value that is not visible ASCII is a 400 naming
/// the header.
pub fn header_text<'r>(request: &'r Request, name: &str) -> Result<Option<&'r str>, ApiError> {
    match request.headers().get(name) {
        None => Ok(None),
        Some(value) => value.to_str().map(|text| Some(text.trim())).map_err(|_| {
            ApiError::invalid(
                "invalid_header",
                name,
                format!("The {name} header must be printable ASCII."),
            )
        }),
    }
}

/// A query-string parameter, decoded (`%xx` and `+`), from the request's own URI (API Gateway and the
/// local router both put the raw query string there); `None` when absent. A parameter given twice is a 400
/// naming it, rather than a guess at which one was meant.
pub fn query_parameter(request: &Request, name: &str) -> Result<Option<String>, ApiError> {
    let query = request.uri().query().unwrap_or_default();
    let mut values = form_urlencoded::parse(query.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned());
    let first = values.next();
    if values.next().is_some() {
        return Err(ApiError::invalid(
            "invalid_value",
            name,
            format!("The `{name}` query parameter must be given once."),
        ));
    }
    Ok(first)
}

/// The id that ties a response to its logs: the Lambda invocation's request id where there is one,
/// else API Gateway's.
pub fn request_id(request: &Request) -> String {
    if let Some(context) = request.lambda_context_ref() {
        if !context.request_id.is_empty() {
            return context.request_id.clone();
        }
    }
    match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => {
            context.request_id.clone().unwrap_or_default()
        }
        _ => String::new(),
    }
}

/// The longest a request may take before the service gives up on it and answers its own 503: well inside
/// the functions' `Timeout` (10 s in `template.yaml`), so no path, however many DynamoDB attempts and
/// retry loops it would take, ends in API Gateway's 503 instead of ours (`stack.rs` checks it).
pub const REQUEST_DEADLINE: Duration = Duration::from_secs(6);

/// [`REQUEST_DEADLINE`], or `REQUEST_DEADLINE_MS` where the environment sets it (the end-to-end run's
/// patient limits); read once.
pub fn request_deadline() -> Duration {
    static DEADLINE: OnceLock<Duration> = OnceLock::new();
    *DEADLINE.get_or_init(|| {
        std::env::var("REQUEST_DEADLINE_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(REQUEST_DEADLINE, Duration::from_millis)
    })
}

/// Runs one request through `handler`, after the checks every route shares: the request's route among
/// `routes` (the function's `ROUTES`), `OPTIONS` answered with the route's `Allow` (as on API Gateway, whose
/// routes are `ANY`), `HEAD` served as `GET` without the body (RFC 9110: uptime monitors probe with it), any
/// other method the route does not list a 405. Turns an error into its JSON envelope (through the error's one
/// mapping to [`ApiError`]), stamps the request id on the response, and ends with the request's one log
/// line and metrics (`telemetry::finish_request`).
pub async fn dispatch<F, Fut, E>(
    mut request: Request,
    routes: &[Route],
    handler: F,
) -> Response<Body>
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Result<Response<Body>, E>>,
    E: Into<ApiError>,
{
    let started = std::time::Instant::now();
    let request_id = request_id(&request);
    let method = request.method().clone();
    let route = matching_route(routes, request.uri().path());
    let route_label = route.map_or(UNMATCHED_ROUTE, |route| route.path);
    let span =
        tracing::info_span!("request", request_id = %request_id, %method, route = route_label);
    // HEAD is served as GET (and allowed wherever GET is); `method` keeps HEAD for the body and the line.
    if method == Method::HEAD {
        *request.method_mut() = Method::GET;
    }
    let early = match route {
        Some(route) if method == Method::OPTIONS => Some(Ok(options_response(route))),
        Some(route) => refuse_method(route, request.method()).map(Err),
        None => None,
    };
    let answer = async move {
        let outcome = match early {
            Some(outcome) => outcome,
            // Boxed: one allocation keeps the request future shallow enough for the compiler's layout limit.
            None => {
                match tokio::time::timeout(request_deadline(), Box::pin(handler(request))).await {
                    Ok(outcome) => outcome.map_err(Into::into),
                    Err(_) => {
                        tracing::error!(
                            deadline_ms = request_deadline().as_millis() as u64,
                            "request deadline passed"
                        );
                        Err(ApiError::unavailable())
                    }
                }
            }
        };
        match outcome {
            Ok(response) => (response, None),
            Err(err) => {
                let code = err.code;
                (err.into_response(), Some(code))
            }
        }
    };
    let ((mut response, code), facts) = telemetry::within_request(answer.instrument(span)).await;
    if method == Method::HEAD {
        *response.body_mut() = Body::Empty;
    }
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let outcome = telemetry::RequestOutcome {
        route: route_label,
        method: method.as_str(),
        status: response.status().as_u16(),
        code,
        request_id: &request_id,
        latency: started.elapsed(),
    };
    telemetry::finish_request(&outcome, &facts);
    response
}

/// The route label of a request no route of the function matches (the `$default` route's 404s).
pub const UNMATCHED_ROUTE: &str = "$default";

/// The route among `routes` whose template matches `path` segment by segment (`{name}` matches any one
/// non-empty segment).
fn matching_route<'r>(routes: &'r [Route], path: &str) -> Option<&'r Route> {
    routes.iter().find(|route| {
        let mut template = route.path.split('/');
        let mut actual = path.split('/');
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return true,
                (Some(expected), Some(segment)) => {
                    let parameter = expected.starts_with('{') && expected.ends_with('}');
                    if !(parameter && !segment.is_empty() || expected == segment) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    })
}

/// The 405 for a method `route` does not list, or `None`.
fn refuse_method(route: &Route, method: &Method) -> Option<ApiError> {
    let listed = route
        .allow
        .split(',')
        .any(|allowed| allowed.trim() == method.as_str());
    (!listed).then(|| ApiError::method_not_allowed(route.allow))
}

/// `OPTIONS`: 204 with the route's `Allow`, and no CORS headers: the API is called from servers and from
/// its own dashboard (same origin), never from another site's page.
fn options_response(route: &Route) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    response.headers_mut().insert(
        lambda_http::http::header::ALLOW,
        HeaderValue::from_static(route.allow),
    );
    response
}

/// Starts the Lambda runtime loop with `handler`, after setting up logging (JSON when the function's log
/// format is JSON, as `template.yaml` sets it).
pub async fn serve<F, Fut>(handler: F) -> Result<(), lambda_http::Error>
where
    F: Fn(Request) -> Fut,
    Fut: Future<Output = Response<Body>> + Send,
{
    lambda_http::run(lambda_http::service_fn(|request: Request| {
        let answer = handler(request);
        async move { Ok::<_, Infallible>(answer.await) }
    }))
    .await
}

/// Sets up what an operator sees of `function`: its logs through `tracing` (JSON when the function's log
/// format is JSON, as `template.yaml` sets it; the level from `RUST_LOG` or Lambda's `AWS_LAMBDA_LOG_LEVEL`)
/// and its metrics in CloudWatch EMF. Call once at the top of `main`.
pub fn init_telemetry(function: &'static str) {
    init_tracing();
    telemetry::init_metrics(function);
}

fn init_tracing() {
    let json = std::env::var("AWS_LAMBDA_LOG_FORMAT")
        .is_ok_and(|format| format.eq_ignore_ascii_case("json"));
    let directives = std::env::var("RUST_LOG")
        .or_else(|_| std::env::var("AWS_LAMBDA_LOG_LEVEL").map(|level| level.to_lowercase()))
        .unwrap_or_else(|_| "info".to_owned());
    // Only fails if a subscriber is already set, which leaves logging working.
    let _ =
        tracing::subscriber::set_global_default(log_subscriber(&directives, json, std::io::stdout));
}

/// The crates whose logs may go above `info` when `RUST_LOG` asks: the service's own. Every other crate is
/// held at `info` whatever `RUST_LOG` says: at `trace`, `lambda_runtime` logs each raw event (headers, so
/// keys, included), the AWS SDK whole DynamoDB requests and responses (key hashes), `aws_sigv4` the session
/// token.
pub const OWN_CRATES: [&str; 13] = [
    "health",
    "signup",
    "account",
    "api_keys",
    "authorizer",
    "dashboard",
    "telemetry",
    "http_envelope",
    "api_errors",
    "auth",
    "accounts",
    "store",
    "service_tests",
];

/// The service's log subscriber: `directives` as in `RUST_LOG`, every crate but [`OWN_CRATES`] held at
/// `info`. Public so that the secrets test captures logs exactly as the functions write them.
pub fn log_subscriber<W>(
    directives: &str,
    json: bool,
    writer: W,
) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    W: for<'writer> tracing_subscriber::fmt::MakeWriter<'writer> + Send + Sync + 'static,
{
    use tracing_subscriber::filter::{EnvFilter, FilterExt, LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;

    let requested = EnvFilter::builder()
        .with_default_directive(LevelFilter::INFO.into())
        .parse_lossy(directives);
    let capped = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_targets(OWN_CRATES.map(|target| (target, LevelFilter::TRACE)));
    let filter = requested.and(capped);
    let registry = tracing_subscriber::registry();
    if json {
        let layer = tracing_subscriber::fmt::layer().json().with_writer(writer);
        Box::new(registry.with(layer.with_filter(filter)))
    } else {
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(writer);
        Box::new(registry.with(layer.with_filter(filter)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_request_still_running_at_the_deadline_gets_our_503() {
        let request = Request::default();
        let started = tokio::time::Instant::now();
        let response = dispatch(request, &[], |_| async {
            std::future::pending::<Result<Response<Body>, ApiError>>().await
        })
        .await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(started.elapsed(), REQUEST_DEADLINE);
        let body: serde_json::Value =
            serde_json::from_slice(response.body().as_ref()).expect("json");
        assert_eq!(body["error"]["code"], "service_unavailable");
    }

    #[test]
    fn a_path_matches_the_route_template_segment_by_segment() {
        const ROUTES: &[Route] = &[
            Route {
                path: "/v1/account/api-keys",
                allow: "GET, HEAD, POST, OPTIONS",
            },
            Route {
                path: "/v1/account/api-keys/{key_id}",
                allow: "PATCH, DELETE, OPTIONS",
            },
        ];
        let matched = |path| matching_route(ROUTES, path).map(|route| route.path);
        assert_eq!(
            matched("/v1/account/api-keys"),
            Some("/v1/account/api-keys")
        );
        assert_eq!(
            matched("/v1/account/api-keys/key_1"),
            Some("/v1/account/api-keys/{key_id}")
        );
        assert_eq!(matched("/v1/account/api-keys/"), None);
        assert_eq!(matched("/v1/account/api-keys/key_1/x"), None);
        assert_eq!(matched("/v1/account"), None);
    }
}
