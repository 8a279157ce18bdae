//! Who sent a request, as the service records it beside a change (the activity log's request facts).

use std::net::IpAddr;

/// The facts of the request that made a change: its id (the one in `x-request-id`), the connection's
/// address as API Gateway saw it (never a header a client can set), and its `User-Agent`, cut short.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestFacts {
    pub request_id: String,
    pub source_ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}
