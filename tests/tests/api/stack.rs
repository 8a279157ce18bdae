//! One source of truth: the routes in `template.yaml`, the `cargo lambda watch` router in the root
//! `Cargo.toml` and the routes each function serves are the same set; the table `template.yaml` declares is
//! the one the local set-up creates.

use std::collections::BTreeSet;

use http_envelope::{Access, Route, Verb};
use serde_yaml::Value as Yaml;
use service_tests::fresh_store;

type RouteSet = BTreeSet<(String, String)>;

fn repo_file(name: &str) -> String {
    let path = format!("{}/../{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn template() -> Yaml {
    serde_yaml::from_str(&repo_file("template.yaml"))
        .unwrap_or_else(|err| panic!("template.yaml: {err}"))
}

/// A CloudFormation intrinsic (`!Ref X`) or a plain value, as text.
fn text(value: &Yaml) -> String {
    match value {
        Yaml::String(s) => s.clone(),
        Yaml::Tagged(tagged) => text(&tagged.value),
        other => format!("{other:?}"),
    }
}

/// The items of a YAML list; none when the value is missing or not a list.
fn items(value: &Yaml) -> &[Yaml] {
    value.as_sequence().map(Vec::as_slice).unwrap_or_default()
}

/// (path, function) for every HttpApi event; `$default` for the event without a path.
fn template_routes() -> RouteSet {
    let template = template();
    let mut routes = RouteSet::new();
    let Some(resources) = template["Resources"].as_mapping() else {
        panic!("template.yaml has no Resources");
    };
    for resource in resources.values() {
        if resource["Type"].as_str() != Some("AWS::Serverless::Function") {
            continue;
        }
        assert_eq!(
            resource["Metadata"]["BuildMethod"].as_str(),
            Some("rust-cargolambda")
        );
        let function = text(&resource["Metadata"]["BuildProperties"]["Binary"]);
        let Some(events) = resource["Properties"]["Events"].as_mapping() else {
            continue;
        };
        for event in events.values() {
            assert_eq!(event["Type"].as_str(), Some("HttpApi"));
            let properties = &event["Properties"];
            match properties["Path"].as_str() {
                Some(path) => {
                    // Every method reaches the function, which answers 405 with Allow itself.
                    assert_eq!(properties["Method"].as_str(), Some("ANY"), "{path}");
                    routes.insert((path.to_owned(), function.clone()));
                }
                None => {
                    routes.insert(("$default".to_owned(), function.clone()));
                }
            }
        }
    }
    routes
}

/// (path, function) from `[workspace.metadata.lambda.watch.router]`; catch-alls become `$default`.
fn router_routes() -> RouteSet {
    let manifest: toml::Table = repo_file("Cargo.toml")
        .parse()
        .unwrap_or_else(|err| panic!("Cargo.toml: {err}"));
    let router = manifest["workspace"]["metadata"]["lambda"]["watch"]["router"]
        .as_table()
        .cloned()
        .unwrap_or_default();
    router
        .iter()
        .map(|(path, function)| {
            let function = function
                .as_str()
                .unwrap_or_else(|| panic!("{path}: routes are plain strings"))
                .to_owned();
            let path = if path == "/" || path == "/{*path}" {
                "$default".to_owned()
            } else {
                path.clone()
            };
            (path, function)
        })
        .collect()
}

/// One route as a function's table declares it, whichever function's.
struct Declared {
    function: &'static str,
    path: &'static str,
    allow: String,
    endpoints: Vec<(Verb, Access)>,
}

fn declared<Op: Copy>(function: &'static str, routes: &'static [Route<Op>]) -> Vec<Declared> {
    routes
        .iter()
        .map(|route| Declared {
            function,
            path: route.path,
            allow: route.allow(),
            endpoints: route
                .endpoints
                .iter()
                .map(|endpoint| (endpoint.verb, endpoint.access))
                .collect(),
        })
        .collect()
}

/// Every function's own `ROUTES`: the one declaration the others are checked against.
fn declared_routes() -> Vec<Declared> {
    [
        declared("health", health::ROUTES),
        declared("signup", signup::ROUTES),
        declared("account", account::ROUTES),
        declared("api-keys", api_keys::ROUTES),
        declared("dashboard", dashboard::ROUTES),
        declared("secret-scanning", secret_scanning::ROUTES),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// (path, function) from each function's own `ROUTES`, plus health's `$default`.
fn served_routes() -> RouteSet {
    let mut routes: RouteSet = declared_routes()
        .iter()
        .map(|route| (route.path.to_owned(), route.function.to_owned()))
        .collect();
    routes.insert(("$default".to_owned(), "health".to_owned()));
    routes
}

/// (METHOD, path, function, access) of every declared endpoint: what the README's route table states.
type EndpointSet = BTreeSet<(String, String, String, String)>;

fn access_words(access: Access) -> String {
    match access {
        Access::Public => "none".to_owned(),
        Access::Scope(scope) => format!("scope {}", scope.as_str()),
    }
}

fn declared_endpoints() -> EndpointSet {
    declared_routes()
        .iter()
        .flat_map(|route| {
            route.endpoints.iter().map(|(verb, access)| {
                (
                    verb.as_str().to_owned(),
                    route.path.to_owned(),
                    route.function.to_owned(),
                    access_words(*access),
                )
            })
        })
        .collect()
}

/// The README's route table, one entry per `METHOD /path` in a row's first cell (rows without one, such as
/// the authorizer's, state no route of this service).
fn readme_endpoints() -> EndpointSet {
    let readme = repo_file("README.md");
    let mut endpoints = EndpointSet::new();
    for row in readme.lines().filter(|line| line.starts_with("| `")) {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [routes, function, auth, ..] = cells.as_slice() else {
            continue;
        };
        let function = function.trim_matches('`').to_owned();
        let access = if auth.starts_with("none") {
            "none".to_owned()
        } else {
            auth.replace('`', "")
        };
        for quoted in routes.split('`').skip(1).step_by(2) {
            if let Some((method, path)) = quoted.split_once(' ') {
                let declared_method = ["GET", "POST", "PATCH", "DELETE"].contains(&method);
                if declared_method && path.starts_with('/') {
                    endpoints.insert((
                        method.to_owned(),
                        path.to_owned(),
                        function.clone(),
                        access.clone(),
                    ));
                }
            }
        }
    }
    endpoints
}

/// (METHOD, path) of every operation in `openapi.yaml`.
fn openapi_operations() -> BTreeSet<(String, String)> {
    let openapi: Yaml = serde_yaml::from_str(&repo_file("openapi.yaml"))
        .unwrap_or_else(|err| panic!("openapi.yaml: {err}"));
    let Some(paths) = openapi["paths"].as_mapping() else {
        panic!("openapi.yaml has no paths");
    };
    let mut operations = BTreeSet::new();
    for (path, item) in paths {
        let Some(item) = item.as_mapping() else {
            continue;
        };
        for method in item.keys().filter_map(Yaml::as_str) {
            if ["get", "post", "patch", "delete", "put", "head", "options"].contains(&method) {
                operations.insert((method.to_uppercase(), text(path)));
            }
        }
    }
    operations
}

#[test]
fn openapi_documents_exactly_the_declared_json_routes_and_methods() {
    // The dashboard serves a page and its files, not JSON: it is outside the API contract.
    let declared: BTreeSet<(String, String)> = declared_endpoints()
        .into_iter()
        .filter(|(_, _, function, _)| function != "dashboard")
        .map(|(method, path, _, _)| (method, path))
        .collect();
    assert_eq!(
        openapi_operations(),
        declared,
        "openapi.yaml vs the functions' ROUTES"
    );
}

#[test]
fn the_readme_route_table_states_the_declared_routes_functions_and_scopes() {
    assert_eq!(
        readme_endpoints(),
        declared_endpoints(),
        "README.md's route table vs the functions' ROUTES"
    );
}

#[test]
fn template_router_and_functions_serve_the_same_routes() {
    let served = served_routes();
    assert_eq!(
        template_routes(),
        served,
        "template.yaml vs the functions' ROUTES"
    );
    assert_eq!(
        router_routes(),
        served,
        "Cargo.toml's watch router vs the functions' ROUTES"
    );
}

/// RFC 9110: `HEAD` wherever `GET` (uptime monitors probe with it), and `OPTIONS` everywhere (the routes
/// are `ANY` on API Gateway, so it reaches the functions), listed in each route's `Allow`.
#[test]
fn every_route_allows_head_where_it_allows_get_and_options_everywhere() {
    for route in declared_routes() {
        let methods: Vec<&str> = route.allow.split(", ").collect();
        assert_eq!(
            methods.contains(&"GET"),
            methods.contains(&"HEAD"),
            "{} {}: {}",
            route.function,
            route.path,
            route.allow
        );
        assert_eq!(
            methods.last(),
            Some(&"OPTIONS"),
            "{} {}",
            route.function,
            route.path
        );
    }
}

/// Every `RouteSettings` key names a route the API declares (`ANY <path>`): API Gateway keys a throttle by
/// its exact route key, so a key for a route that does not exist (`POST /v1/signup` beside `ANY /v1/signup`)
/// throttles nothing.
#[test]
fn every_route_setting_names_a_declared_route() {
    let template = template();
    let declared: BTreeSet<String> = template_routes()
        .into_iter()
        .filter(|(path, _)| path != "$default")
        .map(|(path, _)| format!("ANY {path}"))
        .collect();
    let settings = template["Resources"]["HttpApi"]["Properties"]["RouteSettings"]
        .as_mapping()
        .expect("the HTTP API has RouteSettings");
    assert!(!settings.is_empty());
    for route_key in settings.keys() {
        let route_key = text(route_key);
        assert!(
            declared.contains(&route_key),
            "RouteSettings key `{route_key}` is not a declared route: {declared:?}"
        );
    }
    assert!(
        settings.contains_key("ANY /v1/signup"),
        "signup keeps its stricter throttle"
    );
}

#[test]
fn the_spec_routes_are_all_served() {
    let paths: BTreeSet<String> = served_routes().into_iter().map(|(path, _)| path).collect();
    for path in [
        "/health",
        "/v1/signup",
        "/v1/account",
        "/v1/account/api-keys",
        "/v1/account/api-keys/{key_id}",
    ] {
        assert!(paths.contains(path), "{path}");
    }
}

#[tokio::test]
async fn the_template_table_is_the_table_the_local_set_up_creates() {
    let store = fresh_store().await;
    let described = store
        .client()
        .describe_table()
        .table_name(store.table())
        .send()
        .await
        .expect("describe")
        .table
        .expect("table");
    let mut local = BTreeSet::new();
    for attribute in described.attribute_definitions() {
        local.insert(format!(
            "attr {} {}",
            attribute.attribute_name(),
            attribute.attribute_type().as_str()
        ));
    }
    for key in described.key_schema() {
        local.insert(format!(
            "key {} {}",
            key.attribute_name(),
            key.key_type().as_str()
        ));
    }
    for index in described.global_secondary_indexes() {
        let name = index.index_name().unwrap_or_default();
        for key in index.key_schema() {
            local.insert(format!(
                "gsi {name} {} {}",
                key.attribute_name(),
                key.key_type().as_str()
            ));
        }
        let projection = index
            .projection()
            .and_then(|p| p.projection_type())
            .map(|p| p.as_str().to_owned());
        local.insert(format!(
            "gsi {name} projection {}",
            projection.unwrap_or_default()
        ));
    }

    let template = template();
    let properties = &template["Resources"]["Table"]["Properties"];
    let mut declared = BTreeSet::new();
    for attribute in items(&properties["AttributeDefinitions"]) {
        declared.insert(format!(
            "attr {} {}",
            text(&attribute["AttributeName"]),
            text(&attribute["AttributeType"])
        ));
    }
    for key in items(&properties["KeySchema"]) {
        declared.insert(format!(
            "key {} {}",
            text(&key["AttributeName"]),
            text(&key["KeyType"])
        ));
    }
    for index in items(&properties["GlobalSecondaryIndexes"]) {
        let name = text(&index["IndexName"]);
        for key in items(&index["KeySchema"]) {
            declared.insert(format!(
                "gsi {name} {} {}",
                text(&key["AttributeName"]),
                text(&key["KeyType"])
            ));
        }
        declared.insert(format!(
            "gsi {name} projection {}",
            text(&index["Projection"]["ProjectionType"])
        ));
    }
    assert_eq!(declared, local);
    assert_eq!(text(&properties["BillingMode"]), "PAY_PER_REQUEST");
}

/// A duration in milliseconds from a template environment variable.
fn template_millis(variables: &Yaml, name: &str) -> std::time::Duration {
    let text = text(&variables[name]);
    std::time::Duration::from_millis(
        text.parse()
            .unwrap_or_else(|_| panic!("{name} is not a number: {text}")),
    )
}

/// Every route's worst path, from the constants the template and the client run with: the DynamoDB
/// operations it makes one after another, each bounded by the client's operation timeout, times its retry
/// loops. Most paths could run past the function's `Timeout`; the request deadline cuts each one short with
/// our JSON 503 well inside it, so a caller never gets API Gateway's bare 503.
#[test]
fn every_routes_worst_path_ends_in_our_503_well_inside_the_function_timeout() {
    use std::time::Duration;
    use store::{ClientSettings, TRANSACTION_CONFLICT_ATTEMPTS, TRANSACTION_CONFLICT_PAUSE};

    let template = template();
    let globals = &template["Globals"]["Function"];
    let timeout = Duration::from_secs(globals["Timeout"].as_u64().expect("Timeout"));
    let variables = &globals["Environment"]["Variables"];
    let client = ClientSettings::default();
    assert_eq!(
        template_millis(variables, "DYNAMODB_ATTEMPT_TIMEOUT_MS"),
        client.attempt_timeout
    );
    assert_eq!(
        template_millis(variables, "DYNAMODB_OPERATION_TIMEOUT_MS"),
        client.operation_timeout
    );
    assert!(
        variables["REQUEST_DEADLINE_MS"].is_null(),
        "the deployed deadline is the constant"
    );

    // One operation: its attempts are cut by the operation timeout.
    let operation = client
        .operation_timeout
        .min(client.attempt_timeout * client.max_attempts);
    let conflict_pauses: Duration = (1..TRANSACTION_CONFLICT_ATTEMPTS)
        .map(|n| TRANSACTION_CONFLICT_PAUSE * n as u32)
        .sum();
    let transaction = operation * TRANSACTION_CONFLICT_ATTEMPTS as u32 + conflict_pauses;
    // Index Query, then (admin) the base item's GetItem, then the last_used_at UpdateItem.
    let read_auth = operation * 2;
    let admin_auth = operation * 3;
    let revocations = accounts::REVOCATION_ATTEMPTS as u32;
    let worst = [
        ("GET /v1/account", read_auth + operation),
        // One page of keys (the list is read in 1 MB pages; more pages only lengthen it).
        ("GET /v1/account/api-keys", admin_auth + operation),
        // The idempotency record, the transaction, a twin's record.
        ("POST /v1/signup", operation + transaction + operation),
        (
            "POST /v1/account/api-keys",
            admin_auth + operation + transaction + operation,
        ),
        // Each revocation attempt: the key, the organisation, the list of keys, the transaction.
        (
            "DELETE /v1/account/api-keys/{key_id}",
            admin_auth + (operation * 3 + transaction) * revocations,
        ),
    ];
    let deadline = http_envelope::REQUEST_DEADLINE;
    // Room after the deadline for the answer to be built and sent, on the slowest CPU share.
    let margin = Duration::from_secs(2);
    assert!(
        deadline >= client.operation_timeout,
        "one whole operation fits"
    );
    for (route, path) in worst {
        let answered_by = path.min(deadline);
        println!("{route}: worst path {path:?}, answered by {answered_by:?} (Timeout {timeout:?})");
        assert!(
            answered_by + margin <= timeout,
            "{route}: {answered_by:?} + {margin:?} > {timeout:?}"
        );
    }
}

/// Every `AWS::Serverless::Function` of the template, by logical id.
fn functions() -> Vec<(String, Yaml)> {
    let template = template();
    let Some(resources) = template["Resources"].as_mapping() else {
        panic!("template.yaml has no Resources");
    };
    resources
        .iter()
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::Serverless::Function"))
        .map(|(id, resource)| (text(id), resource.clone()))
        .collect()
}

#[test]
fn no_function_environment_holds_a_secret_value_or_a_dynamic_reference() {
    let mut with_arn = BTreeSet::new();
    for (id, function) in functions() {
        let Some(variables) = function["Properties"]["Environment"]["Variables"].as_mapping()
        else {
            continue;
        };
        for (name, value) in variables {
            let (name, value) = (text(name), serde_yaml::to_string(value).unwrap_or_default());
            assert!(
                !value.contains("{{resolve"),
                "{id}: {name} is a dynamic reference"
            );
            assert_ne!(name, "KEY_DERIVATION_SECRET", "{id}: the secret's value");
            if name == "KEY_DERIVATION_SECRET_ARN" {
                assert_eq!(value.trim(), "!Ref KeyDerivationSecret", "{id}");
                with_arn.insert(id.clone());
            }
        }
    }
    let expected: BTreeSet<String> = ["SignupFunction", "ApiKeysFunction"]
        .map(str::to_owned)
        .into();
    assert_eq!(
        with_arn, expected,
        "the functions that create keys get the ARN"
    );
}

#[test]
fn only_the_functions_that_create_keys_may_read_the_derivation_secret_and_nothing_else() {
    for (id, function) in functions() {
        let policies =
            serde_yaml::to_string(&function["Properties"]["Policies"]).unwrap_or_default();
        let reads_secrets = policies.contains("secretsmanager:");
        let needs = id == "SignupFunction" || id == "ApiKeysFunction";
        assert_eq!(reads_secrets, needs, "{id}: {policies}");
        if needs {
            assert_eq!(
                policies.matches("secretsmanager:").count(),
                1,
                "{id}: one action"
            );
            assert!(
                policies.contains("Action: secretsmanager:GetSecretValue\n")
                    && policies.contains("Resource: !Ref KeyDerivationSecret\n"),
                "{id}: GetSecretValue on that secret alone: {policies}"
            );
        }
    }
}
