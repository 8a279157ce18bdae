//! The HTTP envelope every function shares, so that every answer of the service looks the same:
//! `{"success": true, "data": ...}` or `{"success": false, "error": {"code", "message", "param"}}`, with the
//! request id in `x-request-id` and a JSON error (never a panic, never an empty 500) for anything that fails.

mod body;
mod error;
mod fields;
mod route;
mod source;

use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use config::{ConfigError, Variables};

use lambda_http::http::{HeaderValue, Method, StatusCode};
use lambda_http::request::RequestContext;
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use tracing::Instrument;

pub use body::{body_bytes, json_object, MAX_BODY_BYTES};
pub use error::ApiError;
pub use fields::JsonObject;
pub use route::{find_route, Access, Endpoint, Matched, PathParameters, Route, Verb};
pub use source::{authorizer_source_address, request_facts, source_address, MAX_USER_AGENT_CHARS};

/// The request header that makes a create safe to retry (Stripe's convention): signup and key creation.
pub const IDEMPOTENCY_KEY_HEADER: &str = "idempotency-key";

/// The header every response carries, with the Lambda request id, so a user's report can be found in the logs.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

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

/// `data` itself as the JSON body, without the envelope: for a caller that dictates the answer's shape
/// (GitHub's secret-scanning feedback list).
pub fn json_without_envelope<T: Serialize>(status: StatusCode, data: &T) -> Response<Body> {
    serialised(status, data)
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

/// How the functions that answer HTTP requests behave: read once, in `main`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HttpConfig {
    /// [`REQUEST_DEADLINE`], or `REQUEST_DEADLINE_MS` (the end-to-end run's patient limits).
    pub request_deadline: Duration,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            request_deadline: REQUEST_DEADLINE,
        }
    }
}

impl HttpConfig {
    /// `REQUEST_DEADLINE_MS` (a whole number of milliseconds), [`REQUEST_DEADLINE`] when unset.
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        Ok(Self {
            request_deadline: variables.millis("REQUEST_DEADLINE_MS", REQUEST_DEADLINE)?,
        })
    }
}

/// Runs one request through the route table `routes` (the function's `ROUTES`): finds the request's route
/// (none: our JSON 404), answers `OPTIONS` with the route's `Allow` (as on API Gateway, whose routes are
/// `ANY`), serves `HEAD` as `GET` without the body but with GET's `Content-Length` (RFC 9110: uptime monitors
/// probe with it), refuses any
/// other method the route does not declare (405 with `Allow`), and hands `handler` the request with the
/// matched operation, its access and the path's parameters, within `config`'s deadline. Turns an error into
/// its JSON envelope (through the error's one mapping to [`ApiError`]), stamps the request id on the
/// response, and ends with the request's one log line and metrics (`telemetry::finish_request`).
pub async fn dispatch<Op, F, Fut, E>(
    mut request: Request,
    routes: &'static [Route<Op>],
    config: HttpConfig,
    handler: F,
) -> Response<Body>
where
    Op: Copy,
    F: FnOnce(Request, Matched<Op>) -> Fut,
    Fut: Future<Output = Result<Response<Body>, E>>,
    E: Into<ApiError>,
{
    let started = std::time::Instant::now();
    let request_id = request_id(&request);
    let method = request.method().clone();
    let found = find_route(routes, request.uri().path());
    let route_label = found
        .as_ref()
        .map_or(UNMATCHED_ROUTE, |(route, _)| route.path);
    let span =
        tracing::info_span!("request", request_id = %request_id, %method, route = route_label);
    // HEAD is served as GET (and allowed wherever GET is); `method` keeps HEAD for the body and the line.
    if method == Method::HEAD {
        *request.method_mut() = Method::GET;
    }
    let decided: Result<Matched<Op>, Result<Response<Body>, ApiError>> = match found {
        None => Err(Err(ApiError::route_not_found(request.uri().path()))),
        Some((route, _)) if method == Method::OPTIONS => Err(Ok(options_response(route))),
        Some((route, parameters)) => {
            match Verb::of(&method).and_then(|verb| route.endpoint(verb)) {
                Some(endpoint) => Ok(Matched {
                    operation: endpoint.operation,
                    access: endpoint.access,
                    parameters,
                }),
                None => Err(Err(ApiError::method_not_allowed(route.allow()))),
            }
        }
    };
    let deadline = config.request_deadline;
    let answer = async move {
        let outcome = match decided {
            Err(early) => early,
            // Boxed: one allocation keeps the request future shallow enough for the compiler's layout limit.
            Ok(matched) => {
                match tokio::time::timeout(deadline, Box::pin(handler(request, matched))).await {
                    Ok(outcome) => outcome.map_err(Into::into),
                    Err(_) => {
                        tracing::error!(
                            deadline_ms = deadline.as_millis() as u64,
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
        // RFC 9110 §9.3.2, §8.6: HEAD's Content-Length is the length GET would send, never the empty body's.
        let length = std::mem::replace(response.body_mut(), Body::Empty)
            .as_ref()
            .len();
        response.headers_mut().insert(
            lambda_http::http::header::CONTENT_LENGTH,
            HeaderValue::from(length),
        );
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

/// `OPTIONS`: 204 with the route's `Allow`, and no CORS headers: the API is called from servers and from
/// its own dashboard (same origin), never from another site's page.
fn options_response<Op: Copy>(route: &Route<Op>) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    if let Ok(allow) = HeaderValue::from_str(&route.allow()) {
        response
            .headers_mut()
            .insert(lambda_http::http::header::ALLOW, allow);
    }
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

/// How a function logs and reports metrics: read once, in `main`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TelemetryConfig {
    /// JSON lines when the function's log format is JSON (`AWS_LAMBDA_LOG_FORMAT`, as `template.yaml` sets it).
    pub json_logs: bool,
    /// `RUST_LOG`, else Lambda's `AWS_LAMBDA_LOG_LEVEL`, else `info`.
    pub log_directives: String,
    /// `LOG_STYLE`: `lambda` (the default: the structured request line) or `dev` (`make dev`: one short
    /// readable line per request).
    pub style: telemetry::LogStyle,
    /// Whether EMF metrics are written: on unless `EMF_METRICS=0`, and off under `LOG_STYLE=dev` unless
    /// `EMF_METRICS=1`.
    pub emf_metrics: bool,
}

impl TelemetryConfig {
    /// `AWS_LAMBDA_LOG_FORMAT`, `RUST_LOG` / `AWS_LAMBDA_LOG_LEVEL`, `LOG_STYLE` and `EMF_METRICS`.
    pub fn from_variables(variables: &Variables) -> Result<Self, ConfigError> {
        let style = variables
            .parsed("LOG_STYLE", "lambda or dev", |value| match value {
                "lambda" => Some(telemetry::LogStyle::Lambda),
                "dev" => Some(telemetry::LogStyle::Dev),
                _ => None,
            })?
            .unwrap_or(telemetry::LogStyle::Lambda);
        Ok(Self {
            json_logs: variables
                .text("AWS_LAMBDA_LOG_FORMAT")
                .is_some_and(|format| format.eq_ignore_ascii_case("json")),
            log_directives: variables
                .text("RUST_LOG")
                .map(str::to_owned)
                .or_else(|| {
                    variables
                        .text("AWS_LAMBDA_LOG_LEVEL")
                        .map(str::to_lowercase)
                })
                .unwrap_or_else(|| "info".to_owned()),
            style,
            emf_metrics: variables
                .flag("EMF_METRICS")?
                .unwrap_or(style == telemetry::LogStyle::Lambda),
        })
    }
}

/// Sets up what an operator sees of `function`: its logs through `tracing` and its metrics in CloudWatch
/// EMF, as `config` says. Call once at the top of `main`.
pub fn init_telemetry(function: &'static str, config: &TelemetryConfig) {
    telemetry::set_log_style(config.style);
    // Only fails if a subscriber is already set, which leaves logging working.
    let _ = tracing::subscriber::set_global_default(log_subscriber(
        &config.log_directives,
        config.json_logs,
        std::io::stdout,
    ));
    if config.emf_metrics {
        telemetry::init_metrics(function);
    }
}

/// Reads a function's configuration from the process's environment with `read`, once, in `main`; a value
/// it refuses ends the init with a message naming the variable and what it expects (Lambda shows it as the
/// init error).
pub fn read_config<T>(
    read: impl FnOnce(&Variables) -> Result<T, ConfigError>,
) -> Result<T, ConfigError> {
    read(&Variables::from_process()).inspect_err(|err| eprintln!("configuration refused: {err}"))
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
        const ROUTES: &[Route<()>] = &[Route {
            path: "/",
            endpoints: &[Endpoint::get(Access::Public, ())],
        }];
        let mut request = Request::default();
        *request.uri_mut() = "/".parse().expect("uri");
        let started = tokio::time::Instant::now();
        let response = dispatch(request, ROUTES, HttpConfig::default(), |_, _| async {
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
    fn an_unusable_request_deadline_fails_the_init_naming_it() {
        let variables = Variables::from_pairs([("REQUEST_DEADLINE_MS", "6s")]);
        let err = HttpConfig::from_variables(&variables).expect_err("refused");
        assert_eq!(err.name, "REQUEST_DEADLINE_MS");
        assert_eq!(
            HttpConfig::from_variables(&Variables::default()),
            Ok(HttpConfig::default())
        );
    }
}
