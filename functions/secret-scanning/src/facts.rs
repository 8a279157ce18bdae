//! The facts of a request the domain records beside a change it makes: its id, where it came from, and its
//! user agent.

use http_envelope::request_id;
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt};
use store::RequestFacts;

/// The longest `User-Agent` kept (in characters): enough for any real client, bounded for the stored event.
pub const MAX_USER_AGENT_CHARS: usize = 256;

/// The request's id (as `dispatch` stamps it in `x-request-id`), the connection's address as API Gateway
/// saw it (`requestContext.http.sourceIp`, never a header a client can set), and its `User-Agent` (text
/// only, cut to [`MAX_USER_AGENT_CHARS`]).
pub fn request_facts(request: &Request) -> RequestFacts {
    let source_ip = match request.request_context_ref() {
        Some(RequestContext::ApiGatewayV2(context)) => context
            .http
            .source_ip
            .as_deref()
            .and_then(|address| address.parse().ok()),
        _ => None,
    };
    let user_agent = request
        .headers()
        .get(lambda_http::http::header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .map(|text| {
            text.trim()
                .chars()
                .take(MAX_USER_AGENT_CHARS)
                .collect::<String>()
        })
        .filter(|text| !text.is_empty());
    RequestFacts {
        request_id: request_id(request),
        source_ip,
        user_agent,
    }
}
