//! The one error type every handler returns: status, stable machine code, human sentence, offending field.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde::Serialize;

/// An error as the client sees it. `code` is stable snake_case for programs; `message` is for people.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, when one is.
    pub param: Option<String>,
    /// The methods a path accepts, sent as `Allow` with a 405.
    pub allow: Option<String>,
    /// Seconds to wait, sent as `Retry-After` with a 429.
    pub retry_after: Option<u64>,
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: &'a str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    param: Option<&'a str>,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    success: bool,
    error: ErrorBody<'a>,
}

impl ApiError {
    /// An error with no field at fault.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            param: None,
            allow: None,
            retry_after: None,
        }
    }

    /// A 400 naming the field at fault.
    pub fn invalid(
        code: &'static str,
        param: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message).with_param(param)
    }

    /// Names the request field at fault.
    pub fn with_param(mut self, param: impl Into<String>) -> Self {
        self.param = Some(param.into());
        self
    }

    /// 404 for a path this service does not serve.
    pub fn route_not_found(path: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No route matches {}.", printable(path)),
        )
    }

    /// 405 for a known path asked with a method it does not accept; `allow` lists the ones it does.
    pub fn method_not_allowed(allow: String) -> Self {
        let message = format!("This path accepts only {allow}.");
        Self {
            allow: Some(allow),
            ..Self::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                message,
            )
        }
    }

    /// 503: DynamoDB (or another dependency) failed or was too slow; the client may retry. A create may
    /// still have taken effect, which only a retry with the same `Idempotency-Key` can safely find out.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service is temporarily unavailable. Retry in a few seconds. A POST that creates an account or a key may still have taken effect: send it with an Idempotency-Key header and retry with the same header and body to get its one outcome.",
        )
    }

    /// 500: a bug or an impossible state; details are in the logs under the request id.
    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred. Quote the x-request-id header when reporting it.",
        )
    }

    /// The JSON error envelope with this error's status (and `Allow`, for a 405).
    pub fn into_response(self) -> Response<Body> {
        let envelope = ErrorEnvelope {
            success: false,
            error: ErrorBody {
                code: self.code,
                message: &self.message,
                param: self.param.as_deref(),
            },
        };
        // Serialising strings cannot fail; the fallback only keeps this function total.
        let text = serde_json::to_string(&envelope).unwrap_or_else(|_| {
            r#"{"success":false,"error":{"code":"internal_error","message":"An internal error occurred."}}"#
                .to_owned()
        });
        let mut response = Response::new(Body::Text(text));
        *response.status_mut() = self.status;
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        if let Some(allow) = self
            .allow
            .and_then(|allow| HeaderValue::from_str(&allow).ok())
        {
            response.headers_mut().insert(header::ALLOW, allow);
        }
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}

/// A path cut short and stripped of control characters, safe to echo in a message.
fn printable(path: &str) -> String {
    let mut shown: String = path.chars().filter(|c| !c.is_control()).take(200).collect();
    if path.chars().count() > 200 {
        shown.push_str("...");
    }
    shown
}
