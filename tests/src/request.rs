//! Requests shaped like API Gateway's (payload 2.0), sent through a router that gives each path to its function
//! as API Gateway and the local router do, and their answers read back as JSON.

use http_envelope::{find_route, HttpConfig, Route};
use lambda_http::http::{HeaderMap, Method, StatusCode};
use lambda_http::{Body, Context, Request, RequestExt};
use serde_json::Value;
use store::Store;

/// The answer to one request, read back as JSON.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl Answer {
    /// `error.code` of an error envelope, or "" for a success.
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or_default()
    }

    /// `error.param` of an error envelope.
    pub fn param(&self) -> Option<&str> {
        self.body["error"]["param"].as_str()
    }

    /// `data` of a success envelope.
    pub fn data(&self) -> &Value {
        &self.body["data"]
    }
}

/// A request as API Gateway (payload 2.0) would hand it to a function.
pub struct Call {
    builder: lambda_http::http::request::Builder,
    body: Body,
    /// `requestContext.http.sourceIp`: the connection's address as API Gateway saw it.
    source_ip: Option<String>,
}

/// Starts a request: `call(Method::GET, "/v1/account")`.
pub fn call(method: Method, path: &str) -> Call {
    Call {
        builder: lambda_http::http::Request::builder()
            .method(method)
            .uri(path),
        body: Body::Empty,
        source_ip: None,
    }
}

impl Call {
    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// `Authorization: Bearer <key>`.
    pub fn bearer(self, key: &str) -> Self {
        self.header("authorization", &format!("Bearer {key}"))
    }

    /// `X-API-Key: <key>`.
    pub fn api_key(self, key: &str) -> Self {
        self.header("x-api-key", key)
    }

    /// A JSON body with `Content-Type: application/json`.
    pub fn json(self, body: Value) -> Self {
        self.header("content-type", "application/json")
            .raw_body(body.to_string())
    }

    /// A body sent as it is, with whatever headers were set.
    pub fn raw_body(mut self, body: impl Into<String>) -> Self {
        self.body = Body::Text(body.into());
        self
    }

    /// A body of raw bytes (for invalid UTF-8), as API Gateway hands over a base64-encoded body.
    pub fn bytes(mut self, body: Vec<u8>) -> Self {
        self.body = Body::Binary(body);
        self
    }

    /// From `address`, as API Gateway puts it in `requestContext.http.sourceIp`.
    pub fn from_address(mut self, address: &str) -> Self {
        self.source_ip = Some(address.to_owned());
        self
    }

    /// Builds the request, with a Lambda context carrying a request id (and, when given, API Gateway's
    /// request context with the source address).
    pub fn build(self) -> Request {
        let mut context = Context::default();
        context.request_id = "test-request-id".to_owned();
        let request = match self.builder.body(self.body) {
            Ok(request) => request.with_lambda_context(context),
            Err(err) => panic!("test request could not be built: {err}"),
        };
        match self.source_ip {
            None => request,
            Some(source_ip) => {
                use lambda_http::aws_lambda_events::apigw::ApiGatewayV2httpRequestContext;
                let mut gateway = ApiGatewayV2httpRequestContext::default();
                gateway.http.source_ip = Some(source_ip);
                request.with_request_context(lambda_http::request::RequestContext::ApiGatewayV2(
                    gateway,
                ))
            }
        }
    }

    /// Sends it through the router to its function.
    pub async fn send(self, store: &Store) -> Answer {
        route(store, self.build()).await
    }

    /// Sends it through the router to its function, and hands back the response as it left the function.
    pub async fn respond(self, store: &Store) -> lambda_http::Response<Body> {
        respond(store, self.build()).await
    }
}

/// The key-derivation secret the route tests' functions hold (the deployed ones read `KEY_DERIVATION_SECRET`
/// into their configuration).
pub fn derivation_secret() -> accounts::DerivationSecret {
    match accounts::DerivationSecret::new(*b"route-tests-key-derivation-secret-0123456789") {
        Some(secret) => secret,
        None => panic!("the test secret is long enough"),
    }
}

/// Sends a request to the function API Gateway (and the local router) would: the first function whose route
/// table (`ROUTES`, the one declaration `template.yaml` and the watch router are checked against) serves the
/// path, else `health` (the `$default` route). Each function is set up as its `main` sets it up, on `store`
/// and the store's one usage meter ([`crate::usage_meter`]).
pub async fn route(store: &Store, request: Request) -> Answer {
    answer_of(respond(store, request).await)
}

/// What [`route`] reads back as JSON: the function's response as it left the function (headers and body
/// bytes as they are: the dashboard's HTML, HEAD's `Content-Length`).
pub async fn respond(store: &Store, request: Request) -> lambda_http::Response<Body> {
    let path = request.uri().path().to_owned();
    let http = HttpConfig::default();
    let gate = gate_of(store);
    if serves(signup::ROUTES, &path) {
        let service = signup::Service {
            store: store.clone(),
            http,
            derivation: accounts::KeyDerivation::Value(derivation_secret()),
            signups_per_address_per_hour: None,
        };
        signup::handle(&service, request).await
    } else if serves(account::ROUTES, &path) {
        let service = account::Service { gate, http };
        account::handle(&service, request).await
    } else if serves(api_keys::ROUTES, &path) {
        let service = api_keys::Service {
            gate,
            http,
            derivation: accounts::KeyDerivation::Value(derivation_secret()),
        };
        api_keys::handle(&service, request).await
    } else if serves(dashboard::ROUTES, &path) {
        dashboard::handle(http, request).await
    } else {
        health::handle(http, request).await
    }
}

/// A function's response, read back as JSON.
pub fn answer_of(response: lambda_http::Response<Body>) -> Answer {
    let (parts, body) = response.into_parts();
    let bytes: &[u8] = body.as_ref();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(bytes)
            .unwrap_or_else(|err| panic!("response is not JSON ({err}): {bytes:?}"))
    };
    Answer {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

/// Whether a route of `routes` matches `path`.
fn serves<Op: Copy>(routes: &[Route<Op>], path: &str) -> bool {
    find_route(routes, path).is_some()
}

/// The authorizer as its `main` sets it up, on `store` and the store's one usage meter.
pub fn authorizer_service(store: &Store) -> authorizer::Service {
    authorizer::Service {
        gate: gate_of(store),
    }
}

/// The gate a function's `main` builds, on `store` and the store's one usage meter, with no auth cache (the
/// cache's tests build their own).
pub fn gate_of(store: &Store) -> auth::Gate {
    auth::Gate {
        store: store.clone(),
        meter: crate::usage_meter(store),
        cache: auth::AuthCache::off(),
    }
}
