//! `GET /dashboard` and its assets: the page where an organisation monitors and manages its keys. Plain
//! HTML, CSS and JavaScript modules, embedded in the binary (no build chain), and `constants.js`, the
//! service's own limits written as a module; the page calls the API on the same origin with the key the user
//! pasted, which it keeps in the tab only.

use std::sync::OnceLock;

use auth::{Environment, Scope, KEY_PREFIX_VISIBLE_CHARS, MAX_ALLOWED_IPS};
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

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Where a served file's contents come from.
enum Contents {
    /// An asset, embedded in the binary as written.
    Embedded(&'static str),
    /// `constants.js`, written from the service's own constants: see [`constants_module`].
    Constants,
}

/// The files served: path, media type, contents. The page's script is ES modules, each served here and
/// listed in the page (`modulepreload`), so every one loads under `script-src 'self'` with no build step.
const FILES: &[(&str, &str, Contents)] = &[
    (
        "/dashboard",
        "text/html; charset=utf-8",
        Contents::Embedded(include_str!("../assets/index.html")),
    ),
    (
        "/dashboard/style.css",
        "text/css; charset=utf-8",
        Contents::Embedded(include_str!("../assets/style.css")),
    ),
    ("/dashboard/constants.js", JAVASCRIPT, Contents::Constants),
    (
        "/dashboard/main.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/main.js")),
    ),
    (
        "/dashboard/state.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/state.js")),
    ),
    (
        "/dashboard/api.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/api.js")),
    ),
    (
        "/dashboard/dom.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/dom.js")),
    ),
    (
        "/dashboard/format.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/format.js")),
    ),
    (
        "/dashboard/session.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/session.js")),
    ),
    (
        "/dashboard/account.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/account.js")),
    ),
    (
        "/dashboard/usage.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/usage.js")),
    ),
    (
        "/dashboard/keys.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/keys.js")),
    ),
    (
        "/dashboard/activity.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/activity.js")),
    ),
    (
        "/dashboard/event-details.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/event-details.js")),
    ),
    (
        "/dashboard/leak.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/leak.js")),
    ),
    (
        "/dashboard/allowed-ips.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/allowed-ips.js")),
    ),
    (
        "/dashboard/create-dialog.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/create-dialog.js")),
    ),
    (
        "/dashboard/new-key-dialog.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/new-key-dialog.js")),
    ),
    (
        "/dashboard/revoke-dialog.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/revoke-dialog.js")),
    ),
    (
        "/dashboard/roll-dialog.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/roll-dialog.js")),
    ),
    (
        "/dashboard/edit-dialog.js",
        JAVASCRIPT,
        Contents::Embedded(include_str!("../assets/edit-dialog.js")),
    ),
];

/// The path of every file served, the page first.
pub fn served_paths() -> impl Iterator<Item = &'static str> {
    FILES.iter().map(|(path, _, _)| *path)
}

/// The constants the page needs that the service enforces, by the name `constants.js` exports them under:
/// the page has no copy of its own, so a rule changed in its crate reaches the page with the same deploy.
fn page_constants() -> Vec<(&'static str, serde_json::Value)> {
    use serde_json::json;
    let scopes: Vec<&str> = Scope::ALL.into_iter().map(Scope::as_str).collect();
    let event_types: Vec<&str> = store::EventType::ALL
        .into_iter()
        .map(store::EventType::as_str)
        .collect();
    vec![
        // auth: the scopes a key may hold, in the documented order.
        ("SCOPES", json!(scopes)),
        // auth: how a test key starts (`mem_test_`), and how much of a key `key_prefix` shows.
        (
            "TEST_KEY_START",
            json!(format!("mem_{}_", Environment::Test.as_str())),
        ),
        ("KEY_PREFIX_VISIBLE_CHARS", json!(KEY_PREFIX_VISIBLE_CHARS)),
        // accounts: the largest page of `GET /v1/account/api-keys` (the page asks for the largest).
        ("MAX_PAGE_LIMIT", json!(accounts::MAX_PAGE_LIMIT)),
        // accounts: a key's name, its lifetime, a roll's overlap.
        ("MAX_NAME_CHARS", json!(accounts::validate::MAX_NAME_CHARS)),
        (
            "MAX_EXPIRES_IN_DAYS",
            json!(accounts::validate::MAX_EXPIRES_IN_DAYS),
        ),
        (
            "DEFAULT_ROLL_OVERLAP_HOURS",
            json!(accounts::DEFAULT_ROLL_OVERLAP_HOURS),
        ),
        (
            "MAX_ROLL_OVERLAP_HOURS",
            json!(accounts::MAX_ROLL_OVERLAP_HOURS),
        ),
        // store: the activity log's event types, in the documented order (the Activity panel's filter).
        ("EVENT_TYPES", json!(event_types)),
        // auth (access): how many addresses or CIDR blocks a key's `allowed_ips` may hold.
        ("MAX_ALLOWED_IPS", json!(MAX_ALLOWED_IPS)),
    ]
}

/// `constants.js`: one `export const NAME = <JSON>;` line per constant (JSON is a JavaScript expression).
///
/// A module rather than a `config.json` the page fetches: each module imports the constants it uses, the
/// browser loads them with the rest of the module graph before any of the page's code runs, and there is no
/// start-up fetch to wait for, fail or race with a sign-in.
fn constants_module() -> &'static str {
    static MODULE: OnceLock<String> = OnceLock::new();
    MODULE.get_or_init(|| {
        let mut module = String::from(
            "// Written by the dashboard function from the constants the service enforces \
             (functions/dashboard/src/lib.rs).\n",
        );
        for (name, value) in page_constants() {
            module.push_str(&format!("export const {name} = {value};\n"));
        }
        module
    })
}

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
    let contents = match contents {
        Contents::Embedded(text) => text,
        Contents::Constants => constants_module(),
    };
    let mut response = Response::new(Body::Text(contents.to_owned()));
    *response.status_mut() = StatusCode::OK;
    let headers = response.headers_mut();
    for (name, value) in [
        (CONTENT_TYPE, *media_type),
        (CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY_VALUE),
        (X_FRAME_OPTIONS, "DENY"),
        (X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (REFERRER_POLICY, "no-referrer"),
        // A new deploy's page and modules arrive together.
        (CACHE_CONTROL, "no-cache"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    Ok(response)
}
