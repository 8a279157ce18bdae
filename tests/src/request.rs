//! Requests shaped like API Gateway's (payload 2.0), sent through a router that gives each path to its function
//! as API Gateway and the local router do, and their answers read back as JSON.

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
}

/// Starts a request: `call(Method::GET, "/v1/account")`.
pub fn call(method: Method, path: &str) -> Call {
    Call {
        builder: lambda_http::http::Request::builder()
            .method(method)
            .uri(path),
        body: Body::Empty,
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

    /// Builds the request, with a Lambda context carrying a request id.
    pub fn build(self) -> Request {
        let mut context = Context::default();
        context.request_id = "test-request-id".to_owned();
        match self.builder.body(self.body) {
            Ok(request) => request.with_lambda_context(context),
            Err(err) => panic!("test request could not be built: {err}"),
        }
    }

    /// Sends it through the router to its function.
    pub async fn send(self, store: &Store) -> Answer {
        route(store, self.build()).await
    }
}

/// The key-derivation secret the route tests' functions hold (the deployed ones read `KEY_DERIVATION_SECRET`).
pub fn derivation_secret() -> accounts::DerivationSecret {
    match accounts::DerivationSecret::new(*b"route-tests-key-derivation-secret-0123456789") {
        Some(secret) => secret,
        None => panic!("the test secret is long enough"),
    }
}

/// Sends a request to the function API Gateway (and the local router) would: the same table as
/// `template.yaml` and `[workspace.metadata.lambda.watch.router]`.
pub async fn route(store: &Store, request: Request) -> Answer {
    let path = request.uri().path().to_owned();
    let response = match path.as_str() {
        "/v1/signup" => signup::handle(store, &derivation_secret(), request).await,
        "/v1/account" | "/v1/account/usage" => account::handle(store, request).await,
        p if p == "/v1/account/api-keys"
            || p.strip_prefix("/v1/account/api-keys/").is_some_and(|rest| {
                let id = rest.strip_suffix("/roll").unwrap_or(rest);
                !id.is_empty() && !id.contains('/')
            }) =>
        {
            api_keys::handle(store, &derivation_secret(), request).await
        }
        p if p == "/dashboard"
            || p.strip_prefix("/dashboard/")
                .is_some_and(|rest| !rest.contains('/')) =>
        {
            dashboard::handle(request).await
        }
        _ => health::handle(request).await,
    };
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
