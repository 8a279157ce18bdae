//! One source of truth: the routes in `template.yaml`, the `cargo lambda watch` router in the root
//! `Cargo.toml` and the routes each function serves are the same set; the table `template.yaml` declares is
//! the one the local set-up creates.

use std::collections::BTreeSet;

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

/// (path, function) from each function's own `ROUTES`, plus health's `$default`.
fn served_routes() -> RouteSet {
    let mut routes = RouteSet::new();
    for (function, table) in [
        ("health", health::ROUTES),
        ("signup", signup::ROUTES),
        ("account", account::ROUTES),
        ("api-keys", api_keys::ROUTES),
    ] {
        for route in table {
            routes.insert((route.path.to_owned(), function.to_owned()));
        }
    }
    routes.insert(("$default".to_owned(), "health".to_owned()));
    routes
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
