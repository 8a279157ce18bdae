//! A function's routes, declared once: each path with its methods, who may call each and the operation
//! that answers it. [`crate::dispatch`] matches a request against the table and hands the handler the
//! operation; the test router, the authorizer's entries for this service and the stack test read the same
//! tables.

use access::Scope;
use lambda_http::http::Method;

use crate::ApiError;

/// A method a route can serve. `HEAD` is served wherever `GET` is and `OPTIONS` everywhere, by
/// [`crate::dispatch`]: neither is declared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Patch,
    Delete,
}

impl Verb {
    /// The method's name, as in a request line and an `Allow` header.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Patch => "PATCH",
            Verb::Delete => "DELETE",
        }
    }

    /// The verb of a request's method (`HEAD` counts as `GET`); `None` for any other method.
    pub fn of(method: &Method) -> Option<Self> {
        match *method {
            Method::GET | Method::HEAD => Some(Verb::Get),
            Method::POST => Some(Verb::Post),
            Method::PATCH => Some(Verb::Patch),
            Method::DELETE => Some(Verb::Delete),
            _ => None,
        }
    }
}

/// Who may call an operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone: no key is asked for (`/health`, signup, the dashboard's files).
    Public,
    /// A key holding this scope (`admin` holds every scope).
    Scope(Scope),
}

/// One method of a route: who may call it, and the function's operation that answers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint<Op> {
    pub verb: Verb,
    pub access: Access,
    pub operation: Op,
}

impl<Op> Endpoint<Op> {
    /// `GET` (and so `HEAD`).
    pub const fn get(access: Access, operation: Op) -> Self {
        Self {
            verb: Verb::Get,
            access,
            operation,
        }
    }

    /// `POST`.
    pub const fn post(access: Access, operation: Op) -> Self {
        Self {
            verb: Verb::Post,
            access,
            operation,
        }
    }

    /// `PATCH`.
    pub const fn patch(access: Access, operation: Op) -> Self {
        Self {
            verb: Verb::Patch,
            access,
            operation,
        }
    }

    /// `DELETE`.
    pub const fn delete(access: Access, operation: Op) -> Self {
        Self {
            verb: Verb::Delete,
            access,
            operation,
        }
    }
}

/// A path a function serves and its methods. Each function exports its table as `ROUTES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Route<Op: 'static> {
    /// As API Gateway and `cargo lambda watch` write it: `/v1/account/api-keys/{key_id}`.
    pub path: &'static str,
    /// In the order `Allow` lists them.
    pub endpoints: &'static [Endpoint<Op>],
}

impl<Op: Copy> Route<Op> {
    /// The methods served, as in an `Allow` header: the declared ones in order, `HEAD` right after `GET`,
    /// `OPTIONS` last.
    pub fn allow(&self) -> String {
        let mut methods = Vec::with_capacity(self.endpoints.len() + 2);
        for endpoint in self.endpoints {
            methods.push(endpoint.verb.as_str());
            if endpoint.verb == Verb::Get {
                methods.push("HEAD");
            }
        }
        methods.push("OPTIONS");
        methods.join(", ")
    }

    /// The endpoint for `verb`, if the route serves it.
    pub fn endpoint(&self, verb: Verb) -> Option<&Endpoint<Op>> {
        self.endpoints.iter().find(|endpoint| endpoint.verb == verb)
    }

    /// The path's parameters when `path` matches the template segment by segment (`{name}` matches any
    /// one non-empty segment, taken as it arrived: API Gateway decodes it, the local router does not).
    pub fn parameters(&self, path: &str) -> Option<PathParameters> {
        let mut parameters = PathParameters::default();
        let mut template = self.path.split('/');
        let mut actual = path.split('/');
        loop {
            match (template.next(), actual.next()) {
                (None, None) => return Some(parameters),
                (Some(expected), Some(segment)) => {
                    match expected
                        .strip_prefix('{')
                        .and_then(|name| name.strip_suffix('}'))
                    {
                        Some(name) if !segment.is_empty() => {
                            parameters.0.push((name.to_owned(), segment.to_owned()));
                        }
                        Some(_) => return None,
                        None if expected == segment => {}
                        None => return None,
                    }
                }
                _ => return None,
            }
        }
    }
}

/// The route among `routes` that `path` matches, with the path's parameters.
pub fn find_route<'r, Op: Copy>(
    routes: &'r [Route<Op>],
    path: &str,
) -> Option<(&'r Route<Op>, PathParameters)> {
    routes
        .iter()
        .find_map(|route| route.parameters(path).map(|parameters| (route, parameters)))
}

/// A matched path's parameters, by the names its template gives them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PathParameters(Vec<(String, String)>);

impl PathParameters {
    /// The parameter `name`, as it arrived.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(parameter, _)| parameter == name)
            .map(|(_, value)| value.as_str())
    }
}

/// What [`crate::dispatch`] hands a handler: the operation the request's route and method name, who may
/// call it, and the path's parameters. A handler never matches the request again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matched<Op> {
    pub operation: Op,
    pub access: Access,
    pub parameters: PathParameters,
}

impl<Op> Matched<Op> {
    /// The scope the route declares. A public route reaching a handler that asks for one is a mistake in
    /// the route table: a 500, logged, rather than a request let through.
    pub fn required_scope(&self) -> Result<Scope, ApiError> {
        match self.access {
            Access::Scope(scope) => Ok(scope),
            Access::Public => {
                tracing::error!("a public route reached a handler that needs a key");
                Err(ApiError::internal())
            }
        }
    }

    /// The path parameter `name`; a 500, logged, if the template has none by that name (a table mistake).
    pub fn parameter(&self, name: &str) -> Result<&str, ApiError> {
        self.parameters.get(name).ok_or_else(|| {
            tracing::error!(name, "the matched route has no such path parameter");
            ApiError::internal()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &[Route<u8>] = &[
        Route {
            path: "/v1/account/api-keys",
            endpoints: &[
                Endpoint::get(Access::Scope(Scope::Admin), 1),
                Endpoint::post(Access::Scope(Scope::Admin), 2),
            ],
        },
        Route {
            path: "/v1/account/api-keys/{key_id}",
            endpoints: &[
                Endpoint::patch(Access::Scope(Scope::Admin), 3),
                Endpoint::delete(Access::Scope(Scope::Admin), 4),
            ],
        },
    ];

    #[test]
    fn a_path_matches_the_route_template_segment_by_segment() {
        let matched = |path| find_route(ROUTES, path).map(|(route, _)| route.path);
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

    #[test]
    fn a_template_parameter_is_handed_over_as_it_arrived() {
        let (_, parameters) = find_route(ROUTES, "/v1/account/api-keys/key%5F1").expect("matched");
        assert_eq!(parameters.get("key_id"), Some("key%5F1"));
        assert_eq!(parameters.get("other"), None);
    }

    #[test]
    fn allow_lists_the_declared_methods_with_head_after_get_and_options_last() {
        assert_eq!(ROUTES[0].allow(), "GET, HEAD, POST, OPTIONS");
        assert_eq!(ROUTES[1].allow(), "PATCH, DELETE, OPTIONS");
    }
}
