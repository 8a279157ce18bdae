//! Which scope a request needs, for the authorizer that guards the rest of the Memory API: by method, with
//! rules by route that another team writes here. This service's own routes are not listed: the authorizer
//! reads them from the functions' route tables.

use crate::Scope;

/// Another team's rule for one of its routes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteRule {
    /// The API Gateway route key, as declared: `METHOD /path` or `ANY /path`.
    pub route_key: &'static str,
    /// The scope it needs instead of its method's; `None` keeps the method's.
    pub scope: Option<Scope>,
    /// Whether the caller's key is confirmed on its base item (strongly consistent) for this route, as it is
    /// for `admin` and `delete`: a route whose effect must not ride the key-hash index's lag (a revoked or
    /// narrowed key still found there for a moment).
    pub confirm_on_base_item: bool,
}

/// Other teams' routes whose scope is not their method's, or that must be confirmed on the key's base item.
/// Another team adds its rules here (a route that needs `admin`, a `POST` that destroys data, say).
pub const ROUTE_SCOPES: &[RouteRule] = &[];

/// The rule `table` (the authorizer passes [`ROUTE_SCOPES`]) declares for `route_key`, if any.
pub fn route_rule(table: &[RouteRule], route_key: &str) -> Option<RouteRule> {
    table
        .iter()
        .find(|rule| rule.route_key == route_key)
        .copied()
}

/// The scope a method needs, as the documentation's scopes read: `GET`, `HEAD`, `OPTIONS` read; `POST`,
/// `PUT`, `PATCH` write; `DELETE` deletes. Any other method needs `admin` (fail closed).
pub fn scope_by_method(method: &str) -> Scope {
    match method.to_ascii_uppercase().as_str() {
        "GET" | "HEAD" | "OPTIONS" => Scope::Read,
        "POST" | "PUT" | "PATCH" => Scope::Write,
        "DELETE" => Scope::Delete,
        _ => Scope::Admin,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_map_to_the_documented_scopes() {
        for (method, scope) in [
            ("GET", Scope::Read),
            ("HEAD", Scope::Read),
            ("OPTIONS", Scope::Read),
            ("POST", Scope::Write),
            ("PUT", Scope::Write),
            ("PATCH", Scope::Write),
            ("DELETE", Scope::Delete),
            ("TRACE", Scope::Admin),
        ] {
            assert_eq!(scope_by_method(method), scope, "{method}");
        }
    }
}
