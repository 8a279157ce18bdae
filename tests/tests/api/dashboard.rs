//! `GET /dashboard` and its assets: served by the stack itself, with a strict Content-Security-Policy.

use std::collections::{BTreeMap, BTreeSet};

use lambda_http::http::{Method, StatusCode};
use lambda_http::Body;
use service_tests::{call, fresh_store};

/// The body of `GET path` on the dashboard function, which must answer 200.
async fn served(path: &str) -> String {
    let response = dashboard::handle(
        http_envelope::HttpConfig::default(),
        call(Method::GET, path).build(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    match response.body() {
        Body::Text(text) => text.clone(),
        Body::Binary(bytes) => String::from_utf8(bytes.clone()).expect("UTF-8"),
        Body::Empty => String::new(),
        _ => panic!("{path}: an unexpected body"),
    }
}

/// The media type a served file must have, by its extension.
fn media_type_of(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        _ => "text/html",
    }
}

#[test]
fn the_page_its_script_and_its_style_are_among_the_served_files() {
    let served: BTreeSet<&str> = dashboard::served_paths().collect();
    for path in ["/dashboard", "/dashboard/main.js", "/dashboard/style.css"] {
        assert!(served.contains(path), "{path}");
    }
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_with_a_strict_csp_and_no_framing() {
    for path in dashboard::served_paths() {
        let media_type = media_type_of(path);
        let request = call(Method::GET, path).build();
        let response = dashboard::handle(http_envelope::HttpConfig::default(), request).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert!(header("content-type").starts_with(media_type), "{path}");
        let csp = header("content-security-policy");
        for directive in [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(header("x-frame-options"), "DENY");
    }
}

#[tokio::test]
async fn the_page_loads_no_inline_script_and_nothing_from_another_origin() {
    let page = served("/dashboard").await;
    let page = page.as_str();
    assert_eq!(
        page.matches("<script").count(),
        page.matches("<script src=").count(),
        "no inline script"
    );
    assert!(!page.contains(" style=\""), "no inline style");
    assert!(
        !page.contains("http://") && !page.contains("https://"),
        "no other origin"
    );
    let inline_handler = page.match_indices(" on").find(|(at, _)| {
        let rest = &page[at + " on".len()..];
        let event_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        event_len > 0 && rest[event_len..].starts_with('=')
    });
    assert_eq!(inline_handler, None, "no inline handler");
}

#[tokio::test]
async fn no_script_writes_html_evaluates_code_or_sets_a_handler_or_style_attribute() {
    for path in dashboard::served_paths().filter(|path| path.ends_with(".js")) {
        let script = served(path).await;
        for forbidden in [
            "innerHTML",
            "outerHTML",
            "insertAdjacentHTML",
            "document.write",
            "eval(",
            "new Function",
            "setTimeout('",
            "setAttribute('on",
            "setAttribute('style",
            "http://",
            "https://",
        ] {
            assert!(!script.contains(forbidden), "{path}: {forbidden}");
        }
    }
}

/// What a module imports: (the module's path, the names), one `import { a, b } from './m.js';` a line.
fn imports_of(path: &str, script: &str) -> Vec<(String, Vec<String>)> {
    script
        .lines()
        .filter(|line| line.starts_with("import "))
        .map(|line| {
            let (names, from) = line
                .strip_prefix("import {")
                .and_then(|rest| rest.split_once("} from './"))
                .unwrap_or_else(|| {
                    panic!("{path}: `import {{ names }} from './module.js';` on one line: {line}")
                });
            let module = from
                .strip_suffix("';")
                .unwrap_or_else(|| panic!("{path}: {line}"));
            let names = names.split(',').map(|name| name.trim().to_owned());
            (
                format!("/dashboard/{module}"),
                names.filter(|name| !name.is_empty()).collect(),
            )
        })
        .collect()
}

/// The names a module exports (`export const|function|async function|class NAME`).
fn exports_of(script: &str) -> BTreeSet<String> {
    script
        .lines()
        .filter_map(|line| {
            let rest = line.strip_prefix("export ")?;
            let rest = rest.strip_prefix("async ").unwrap_or(rest);
            let rest = ["const ", "function ", "class "]
                .iter()
                .find_map(|keyword| rest.strip_prefix(keyword))?;
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '$')
                .collect();
            Some(name)
        })
        .collect()
}

#[tokio::test]
async fn every_module_is_served_listed_in_the_page_and_exports_what_is_imported_from_it() {
    let page = served("/dashboard").await;
    assert!(page.contains(r#"<script src="/dashboard/main.js" type="module"></script>"#));
    let preloaded: BTreeSet<String> = page
        .split(r#"<link rel="modulepreload" href=""#)
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(href, _)| href.to_owned()))
        .collect();

    // Every module reachable from main.js, each served as JavaScript, with every name imported exported.
    let mut reached = BTreeSet::from(["/dashboard/main.js".to_owned()]);
    let mut to_read = vec!["/dashboard/main.js".to_owned()];
    while let Some(path) = to_read.pop() {
        let script = served(&path).await;
        for (module, names) in imports_of(&path, &script) {
            let exported = exports_of(&served(&module).await);
            for name in names {
                assert!(
                    exported.contains(&name),
                    "{path} imports {name}, which {module} does not export"
                );
            }
            if reached.insert(module.clone()) {
                to_read.push(module);
            }
        }
    }
    let served_scripts: BTreeSet<String> = dashboard::served_paths()
        .filter(|path| path.ends_with(".js"))
        .map(str::to_owned)
        .collect();
    assert_eq!(
        reached, served_scripts,
        "every served module is used, every module used is served"
    );
    let mut listed = preloaded;
    listed.insert("/dashboard/main.js".to_owned());
    assert_eq!(
        listed, served_scripts,
        "the page lists every module (modulepreload)"
    );
}

#[tokio::test]
async fn the_page_reads_the_services_own_constants() {
    let module = served("/dashboard/constants.js").await;
    let constants: BTreeMap<&str, serde_json::Value> = module
        .lines()
        .filter(|line| !line.starts_with("//"))
        .map(|line| {
            let (name, value) = line
                .strip_prefix("export const ")
                .and_then(|rest| rest.strip_suffix(';'))
                .and_then(|rest| rest.split_once(" = "))
                .unwrap_or_else(|| panic!("`export const NAME = JSON;`: {line}"));
            let value = serde_json::from_str(value).unwrap_or_else(|e| panic!("{line}: {e}"));
            (name, value)
        })
        .collect();
    let scopes: Vec<&str> = auth::Scope::ALL
        .into_iter()
        .map(auth::Scope::as_str)
        .collect();
    let event_types: Vec<&str> = store::EventType::ALL
        .into_iter()
        .map(store::EventType::as_str)
        .collect();
    let expected = BTreeMap::from([
        ("SCOPES", serde_json::json!(scopes)),
        (
            "TEST_KEY_START",
            serde_json::json!(format!("mem_{}_", auth::Environment::Test.as_str())),
        ),
        (
            "KEY_PREFIX_VISIBLE_CHARS",
            serde_json::json!(auth::KEY_PREFIX_VISIBLE_CHARS),
        ),
        (
            "MAX_PAGE_LIMIT",
            serde_json::json!(accounts::MAX_PAGE_LIMIT),
        ),
        (
            "MAX_NAME_CHARS",
            serde_json::json!(accounts::validate::MAX_NAME_CHARS),
        ),
        (
            "MAX_EXPIRES_IN_DAYS",
            serde_json::json!(accounts::validate::MAX_EXPIRES_IN_DAYS),
        ),
        (
            "DEFAULT_ROLL_OVERLAP_HOURS",
            serde_json::json!(accounts::DEFAULT_ROLL_OVERLAP_HOURS),
        ),
        (
            "MAX_ROLL_OVERLAP_HOURS",
            serde_json::json!(accounts::MAX_ROLL_OVERLAP_HOURS),
        ),
        ("EVENT_TYPES", serde_json::json!(event_types)),
        ("MAX_ALLOWED_IPS", serde_json::json!(auth::MAX_ALLOWED_IPS)),
    ]);
    assert_eq!(constants, expected);
    // What the page derives from them holds for the keys the service makes: a test key starts so, a live
    // key does not, and `key_prefix` is a key's first KEY_PREFIX_VISIBLE_CHARS characters and `...`.
    for environment in [auth::Environment::Test, auth::Environment::Live] {
        let key = auth::ApiKeySecret::generate(environment).expect("a key");
        assert_eq!(
            key.expose().starts_with("mem_test_"),
            environment == auth::Environment::Test
        );
        assert_eq!(
            key.prefix(),
            format!("{}...", &key.expose()[..auth::KEY_PREFIX_VISIBLE_CHARS])
        );
    }
}

#[tokio::test]
async fn an_unknown_asset_is_our_json_404_and_post_a_405() {
    let store = fresh_store().await;
    let missing = call(Method::GET, "/dashboard/secrets.txt")
        .send(&store)
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.code(), "not_found");
    let post = call(Method::POST, "/dashboard").send(&store).await;
    assert_eq!(post.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(post.headers["allow"], "GET, HEAD, OPTIONS");
}

#[tokio::test]
async fn head_on_the_page_has_its_headers_and_no_body() {
    let response = dashboard::handle(
        http_envelope::HttpConfig::default(),
        call(Method::HEAD, "/dashboard").build(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().contains_key("content-security-policy"));
    assert!(response.body().is_empty());
}

/// Where a module uses `x.name` or `x.email` (what a user typed) other than to show it: an input's value, a
/// comparison, a copy into a row, the plan's name (the service's own words).
const NAME_USES_NOT_SHOWN: [&str; 4] =
    ["value = k.name", "!== k.name", "name: k.name", "plan.name"];

/// Every `obj.name` / `obj.email` on a line, as written.
fn user_fields_of(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for field in [".name", ".email"] {
        for (at, _) in line.match_indices(field) {
            let after = line[at + field.len()..].chars().next();
            if after.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let before = &line[..at];
            let start = before
                .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                .map_or(0, |i| i + 1);
            found.push(format!("{}{field}", &before[start..]));
        }
    }
    found
}

/// A name or email with right-to-left letters and digits ("שלום 123") would reorder the words, quotes and
/// prefix around it if written into a string: each is shown through dom.js's `userText` (a `<bdi>`) or, in an
/// attribute, `isolated` (FSI..PDI), and no module quotes a value by concatenation.
#[tokio::test]
async fn names_and_emails_reach_the_page_only_isolated() {
    let mut shown = 0;
    for path in dashboard::served_paths().filter(|path| path.ends_with(".js")) {
        let script = served(path).await;
        for (number, line) in script.lines().enumerate() {
            for field in user_fields_of(line) {
                if NAME_USES_NOT_SHOWN.iter().any(|use_| line.contains(use_)) {
                    continue;
                }
                assert!(
                    line.contains(&format!("userText({field})"))
                        || line.contains(&format!("isolated({field})")),
                    "{path}:{}: {field} is shown without isolation: {line}",
                    number + 1
                );
                shown += 1;
            }
            for quoted in ["'“' +", "“' +", "+ '”"] {
                assert!(
                    !line.contains(quoted),
                    "{path}:{}: a value quoted by concatenation: {line}",
                    number + 1
                );
            }
        }
    }
    assert!(
        shown >= 9,
        "only {shown} names and emails shown: the scan lost them"
    );
}
