//! What an operator sees, read from the built binaries' own output as Lambda would ship it to CloudWatch
//! Logs: one `info` line per request with its fields, and the request's metrics as EMF documents, with no
//! key and no key hash in either.

use serde_json::{json, Value};
use service_tests::{create_key, fresh_store, gateway_event, sign_up, RunningFunction, RuntimeApi};

/// Starts function `name` with the key derivation secret the functions need.
fn start(name: &str, api: &RuntimeApi, table: &str) -> RunningFunction {
    let secret = (
        "KEY_DERIVATION_SECRET",
        "telemetry-test-key-derivation-secret-0123456789",
    );
    RunningFunction::start(name, api, table, &[secret])
}

fn json_lines(output: &str) -> Vec<Value> {
    output
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect()
}

/// The `request` log lines' fields, in order.
fn request_lines(lines: &[Value]) -> Vec<Value> {
    lines
        .iter()
        .filter(|line| line["fields"]["message"] == "request")
        .map(|line| {
            assert_eq!(line["level"], "INFO", "{line}");
            line["fields"].clone()
        })
        .collect()
}

/// EMF documents: the metric names each one carries, its one dimension set, and the document itself.
fn emf_documents(lines: &[Value]) -> Vec<(Vec<String>, Vec<String>, Value)> {
    lines
        .iter()
        .filter(|line| line.get("_aws").is_some())
        .map(|document| {
            let directive = &document["_aws"]["CloudWatchMetrics"][0];
            assert_eq!(directive["Namespace"], "MemoryApi/Accounts", "{document}");
            let names = directive["Metrics"]
                .as_array()
                .expect("metrics")
                .iter()
                .map(|metric| metric["Name"].as_str().expect("name").to_owned())
                .collect();
            let dimensions = directive["Dimensions"][0]
                .as_array()
                .expect("one dimension set")
                .iter()
                .map(|name| name.as_str().expect("dimension").to_owned())
                .collect();
            (names, dimensions, document.clone())
        })
        .collect()
}

/// The document carrying `metric` with exactly these dimension values.
fn find_metric<'d>(
    documents: &'d [(Vec<String>, Vec<String>, Value)],
    metric: &str,
    dimensions: &[(&str, &str)],
) -> &'d Value {
    documents
        .iter()
        .find(|(names, names_of_dimensions, document)| {
            names.iter().any(|name| name == metric)
                && names_of_dimensions.len() == dimensions.len()
                && dimensions.iter().all(|(name, value)| {
                    names_of_dimensions.iter().any(|named| named == *name)
                        && document[*name] == json!(value)
                })
        })
        .map(|(_, _, document)| document)
        .unwrap_or_else(|| panic!("no EMF document for {metric} {dimensions:?}: {documents:#?}"))
}

/// Neither output holds a full key (any key, not only the ones the test knows) or a 64-hex hash.
fn assert_no_key_or_hash(output: &str, known_keys: &[&str]) {
    for key in known_keys {
        assert!(!output.contains(key), "a key reached the output");
        let hash = auth::ApiKeySecret::parse(key).expect("a key").hash();
        assert!(!output.contains(&hash), "a key hash reached the output");
    }
    for marker in ["mem_live_", "mem_test_"] {
        for (at, _) in output.match_indices(marker) {
            let secret = output[at + marker.len()..]
                .bytes()
                .take_while(u8::is_ascii_alphanumeric)
                .count();
            assert!(secret < 20, "something key-shaped in the output");
        }
    }
    let longest_hex_run = output
        .split(|c: char| !matches!(c, '0'..='9' | 'a'..='f'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    assert!(longest_hex_run < 64, "something hash-shaped in the output");
}

#[tokio::test]
async fn each_request_writes_one_log_line_and_its_emf_metrics_and_neither_holds_a_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (read_key, read_key_id) =
        create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let unknown = auth::ApiKeySecret::generate(auth::Environment::Live).expect("a key");
    let mut api = RuntimeApi::start().await;
    let running = start("api-keys", &api, store.table());
    api.init_done().await.expect("the function asked for work");

    let requests = [
        (Some(org.admin_key.as_str()), 200),
        (Some(read_key.as_str()), 403),
        (Some(unknown.expose()), 401),
    ];
    for (key, status) in requests {
        let (_, body) = api
            .invoke(gateway_event("GET", "/v1/account/api-keys", key, None))
            .await
            .expect("invocation");
        let answer: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(answer["statusCode"], status, "{answer}");
    }
    let (_, stdout, stderr) = running.stop_with_sigterm().await;
    let lines = json_lines(&stdout);

    // One line per request, at info, with its fields; nothing else per request at info.
    let logged = request_lines(&lines);
    assert_eq!(logged.len(), requests.len(), "{stdout}");
    let expected = [
        (200, None, Some(org.admin_key_id.as_str()), true),
        (
            403,
            Some("insufficient_scope"),
            Some(read_key_id.as_str()),
            false,
        ),
        (401, Some("invalid_api_key"), None, false),
    ];
    for (line, (status, code, key_id, cold_start)) in logged.iter().zip(expected) {
        assert_eq!(line["route"], "/v1/account/api-keys", "{line}");
        assert_eq!(line["method"], "GET", "{line}");
        assert_eq!(line["status"], status, "{line}");
        assert_eq!(line["code"].as_str(), code, "{line}");
        assert_eq!(line["cold_start"], cold_start, "{line}");
        assert!(
            line["latency_ms"].as_f64().is_some_and(|ms| ms > 0.0),
            "{line}"
        );
        assert!(
            line["request_id"].as_str().is_some_and(|id| !id.is_empty()),
            "{line}"
        );
        // The key's ids whenever the key was found, refused or not; none for an unknown key.
        match key_id {
            Some(key_id) => {
                assert_eq!(line["key_id"], key_id, "{line}");
                assert_eq!(line["org_id"], org.org_id, "{line}");
            }
            None => assert!(line.get("key_id").is_none(), "{line}"),
        }
    }
    let other_info: Vec<&Value> = lines
        .iter()
        .filter(|line| line["level"] == "INFO")
        .filter(|line| line["fields"]["message"] != "request")
        .filter(|line| line["fields"]["message"] != "usage written at shutdown")
        .collect();
    assert!(other_info.is_empty(), "{other_info:#?}");

    // Their metrics, as EMF: by route and status class, authentication outcomes by code, DynamoDB calls by
    // operation, the cold start; every document carries the function, none an organisation or key.
    let documents = emf_documents(&lines);
    let route = "/v1/account/api-keys";
    let ok = find_metric(
        &documents,
        "Requests",
        &[
            ("Function", "api-keys"),
            ("Route", route),
            ("StatusClass", "2xx"),
        ],
    );
    assert_eq!(ok["Requests"], 1, "{ok}");
    println!(
        "a request's log line: {}\nits EMF document: {ok}",
        logged[0]
    );
    find_metric(
        &documents,
        "Requests",
        &[
            ("Function", "api-keys"),
            ("Route", route),
            ("StatusClass", "4xx"),
        ],
    );
    find_metric(
        &documents,
        "Latency",
        &[("Function", "api-keys"), ("Route", route)],
    );
    find_metric(&documents, "ColdStarts", &[("Function", "api-keys")]);
    // By function alone: what the template's 5xx-rate alarm per function reads.
    find_metric(&documents, "Responses", &[("Function", "api-keys")]);
    find_metric(
        &documents,
        "AuthOutcomes",
        &[("Function", "api-keys"), ("Outcome", "allowed")],
    );
    find_metric(
        &documents,
        "AuthOutcomes",
        &[("Function", "api-keys"), ("Outcome", "invalid_api_key")],
    );
    find_metric(&documents, "AuthRefusals", &[("Function", "api-keys")]);
    let query = find_metric(
        &documents,
        "DynamoDbLatency",
        &[("Function", "api-keys"), ("Operation", "Query")],
    );
    assert!(query["DynamoDbLatency"].is_array(), "{query}");
    for (_, dimensions, document) in &documents {
        assert!(
            dimensions.iter().all(|name| [
                "Function",
                "Route",
                "StatusClass",
                "Outcome",
                "Operation"
            ]
            .contains(&name.as_str())),
            "{document}"
        );
    }

    assert_no_key_or_hash(
        &format!("{stdout}{stderr}"),
        &[&org.admin_key, &read_key, unknown.expose()],
    );
}

#[tokio::test]
async fn an_authorizer_refusal_is_logged_with_its_code_and_counted_as_auth_refusals_by_function_alone(
) {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (read_key, _) = create_key(&store, &org.admin_key, json!({"scopes": ["read"]})).await;
    let events = format!("{}/../events", env!("CARGO_MANIFEST_DIR"));
    let allowed = std::fs::read_to_string(format!("{events}/authorizer-allowed.json"))
        .expect("events/authorizer-allowed.json");
    let wrong_scope = std::fs::read_to_string(format!("{events}/authorizer-wrong-scope.json"))
        .expect("events/authorizer-wrong-scope.json");
    let mut api = RuntimeApi::start().await;
    let running = start("authorizer", &api, store.table());
    api.init_done().await.expect("the function asked for work");
    for (event, authorized) in [(allowed, true), (wrong_scope, false)] {
        let (_, body) = api
            .invoke(event.replace("${API_KEY}", &read_key).into_bytes())
            .await
            .expect("invocation");
        let answer: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(answer["isAuthorized"], authorized, "{answer}");
    }
    let (_, stdout, stderr) = running.stop_with_sigterm().await;
    let lines = json_lines(&stdout);

    let logged = request_lines(&lines);
    assert_eq!(logged.len(), 2, "{stdout}");
    assert_eq!(logged[0]["status"], 200);
    assert_eq!(logged[0]["org_id"], org.org_id);
    assert_eq!(logged[0]["route"], logged[1]["route"]);
    assert_eq!(logged[1]["status"], 403);
    assert_eq!(logged[1]["code"], "insufficient_scope");
    assert!(logged[1]["route"]
        .as_str()
        .is_some_and(|route| route.contains("/v1/memories")));

    let documents = emf_documents(&lines);
    let refusals = find_metric(&documents, "AuthRefusals", &[("Function", "authorizer")]);
    assert_eq!(refusals["AuthRefusals"], 1, "{refusals}");
    assert_no_key_or_hash(&format!("{stdout}{stderr}"), &[&org.admin_key, &read_key]);
}

#[tokio::test]
async fn under_make_devs_log_style_each_request_is_one_readable_line_and_no_emf_document() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let mut api = RuntimeApi::start().await;
    let running = RunningFunction::start(
        "account",
        &api,
        store.table(),
        &[("LOG_STYLE", "dev"), ("AWS_LAMBDA_LOG_FORMAT", "Text")],
    );
    api.init_done().await.expect("the function asked for work");
    for key in [Some(org.admin_key.as_str()), None] {
        api.invoke(gateway_event("GET", "/v1/account", key, None))
            .await
            .expect("invocation");
    }
    let (_, stdout, stderr) = running.stop_with_sigterm().await;
    let request_lines: Vec<&str> = stdout
        .lines()
        .filter(|line| line.contains("GET /v1/account "))
        .collect();
    assert_eq!(request_lines.len(), 2, "{stdout}{stderr}");
    assert!(
        request_lines[0].contains("GET /v1/account 200 ") && request_lines[0].ends_with(" ms"),
        "{}",
        request_lines[0]
    );
    assert!(
        request_lines[1].contains("GET /v1/account 401 ")
            && request_lines[1].ends_with(" ms missing_api_key"),
        "{}",
        request_lines[1]
    );
    assert!(
        !stdout.contains("\"_aws\""),
        "no EMF document under LOG_STYLE=dev: {stdout}"
    );
}

#[tokio::test]
async fn a_configuration_value_that_cannot_be_used_fails_the_init_naming_the_variable() {
    let store = fresh_store().await;
    for (name, value, expected) in [
        (
            "DYNAMODB_MAX_ATTEMPTS",
            "three",
            "DYNAMODB_MAX_ATTEMPTS is \"three\": expected a whole number, at least 1",
        ),
        (
            "DYNAMODB_TLS_ROOTS",
            "system",
            "DYNAMODB_TLS_ROOTS is \"system\": expected native, or file:<path of a PEM file>",
        ),
        (
            "LOG_STYLE",
            "pretty",
            "LOG_STYLE is \"pretty\": expected lambda or dev",
        ),
    ] {
        let api = RuntimeApi::start().await;
        let running = RunningFunction::start("account", &api, store.table(), &[(name, value)]);
        let (stdout, stderr) = running.exit_output().await;
        assert!(
            stderr.contains(expected),
            "{name}={value}: {stdout}{stderr}"
        );
    }
    let api = RuntimeApi::start().await;
    let running = RunningFunction::start("account", &api, "", &[]);
    let (_, stderr) = running.exit_output().await;
    assert!(
        stderr.contains("TABLE_NAME is not set: expected the name of the service's DynamoDB table"),
        "{stderr}"
    );
}
