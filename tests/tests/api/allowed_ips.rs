//! Keys bound to IPs (`allowed_ips`): set on create and PATCH, normalised, copied by a roll, and checked by
//! every authentication against `requestContext.http.sourceIp`, the authorizer's and cached ones included.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use lambda_http::http::{Method, StatusCode};
use serde_json::{json, Value};
use service_tests::{authorizer_service, call, create_key, fresh_store, gate_of, sign_up, Answer};
use store::Store;

/// `GET /v1/account` (scope `read`) with `key`, from `address` (`None`: API Gateway gave no source).
async fn account_from(store: &Store, key: &str, address: Option<&str>) -> Answer {
    let request = call(Method::GET, "/v1/account").bearer(key);
    match address {
        Some(address) => request.from_address(address),
        None => request,
    }
    .send(store)
    .await
}

/// Whether `key` may read the account from `address`: 200, or 403 `ip_not_allowed` (anything else fails).
async fn works_from(store: &Store, key: &str, address: &str) -> bool {
    let answer = account_from(store, key, Some(address)).await;
    match answer.status {
        StatusCode::OK => true,
        StatusCode::FORBIDDEN if answer.code() == "ip_not_allowed" => false,
        other => panic!("{address}: unexpected {other} {}", answer.body),
    }
}

/// A key (`read`, `write`) bound to `allowed_ips`, created by the organisation's admin key: (key, id).
async fn bound_key(store: &Store, admin_key: &str, allowed_ips: Value) -> (String, String) {
    create_key(store, admin_key, json!({"allowed_ips": allowed_ips})).await
}

async fn create(store: &Store, admin_key: &str, body: Value) -> Answer {
    call(Method::POST, "/v1/account/api-keys")
        .bearer(admin_key)
        .json(body)
        .send(store)
        .await
}

async fn patch_from(
    store: &Store,
    admin_key: &str,
    key_id: &str,
    body: Value,
    address: &str,
) -> Answer {
    call(Method::PATCH, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(admin_key)
        .from_address(address)
        .json(body)
        .send(store)
        .await
}

/// The key `key_id` as the list shows it.
async fn listed(store: &Store, admin_key: &str, key_id: &str) -> Value {
    let answer = call(Method::GET, "/v1/account/api-keys")
        .bearer(admin_key)
        .send(store)
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer
        .data()
        .as_array()
        .and_then(|keys| keys.iter().find(|key| key["id"] == key_id))
        .cloned()
        .unwrap_or_else(|| panic!("{key_id} is listed"))
}

#[tokio::test]
async fn a_key_bound_to_an_ipv4_address_works_from_it_and_is_403_ip_not_allowed_from_another() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, _) = bound_key(&store, &org.admin_key, json!(["203.0.113.7"])).await;
    assert!(works_from(&store, &key, "203.0.113.7").await);
    assert!(
        works_from(&store, &key, "::ffff:203.0.113.7").await,
        "an IPv4-mapped address is its IPv4 address"
    );
    let outside = account_from(&store, &key, Some("203.0.113.8")).await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    assert_eq!(outside.code(), "ip_not_allowed");
    assert!(!works_from(&store, &key, "2001:db8::1").await);
}

#[tokio::test]
async fn a_key_bound_to_an_ipv6_block_works_inside_it_and_not_outside() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, _) = bound_key(&store, &org.admin_key, json!(["2001:DB8:1::/48"])).await;
    assert!(works_from(&store, &key, "2001:db8:1::").await);
    assert!(works_from(&store, &key, "2001:db8:1:2::5").await);
    assert!(works_from(&store, &key, "2001:db8:1:ffff:ffff:ffff:ffff:ffff").await);
    assert!(!works_from(&store, &key, "2001:db8:0:ffff:ffff:ffff:ffff:ffff").await);
    assert!(!works_from(&store, &key, "2001:db8:2::").await);
    assert!(!works_from(&store, &key, "203.0.113.7").await);
}

#[tokio::test]
async fn cidr_edges_hold_through_the_route() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (block, _) = bound_key(&store, &org.admin_key, json!(["198.51.100.0/24"])).await;
    assert!(works_from(&store, &block, "198.51.100.0").await, "first");
    assert!(works_from(&store, &block, "198.51.100.255").await, "last");
    assert!(
        !works_from(&store, &block, "198.51.99.255").await,
        "one below"
    );
    assert!(
        !works_from(&store, &block, "198.51.101.0").await,
        "one above"
    );
    let (one, _) = bound_key(&store, &org.admin_key, json!(["192.0.2.7/32"])).await;
    assert!(works_from(&store, &one, "192.0.2.7").await);
    assert!(!works_from(&store, &one, "192.0.2.6").await);
    assert!(!works_from(&store, &one, "192.0.2.8").await);
    let (everywhere_v4, _) = bound_key(&store, &org.admin_key, json!(["0.0.0.0/0"])).await;
    assert!(works_from(&store, &everywhere_v4, "0.0.0.0").await);
    assert!(works_from(&store, &everywhere_v4, "255.255.255.255").await);
    assert!(
        !works_from(&store, &everywhere_v4, "::1").await,
        "IPv4 only"
    );
}

#[tokio::test]
async fn a_request_without_a_known_source_address_is_refused_by_a_bound_key() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (bound, _) = bound_key(&store, &org.admin_key, json!(["0.0.0.0/0", "::/0"])).await;
    let unknown = account_from(&store, &bound, None).await;
    assert_eq!(unknown.status, StatusCode::FORBIDDEN);
    assert_eq!(unknown.code(), "ip_not_allowed");
    let (unbound, _) = create_key(&store, &org.admin_key, json!({})).await;
    assert_eq!(
        account_from(&store, &unbound, None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_malformed_entry_is_a_400_naming_it() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    for (list, param) in [
        (json!(["203.0.113.7", "not-an-ip"]), "allowed_ips[1]"),
        (json!(["10.0.0.1/8"]), "allowed_ips[0]"),
        (
            json!(["192.0.2.1", "192.0.2.2", "010.0.0.1"]),
            "allowed_ips[2]",
        ),
        (json!(["fe80::1%eth0"]), "allowed_ips[0]"),
        (json!(["[2001:db8::1]"]), "allowed_ips[0]"),
        (json!(["192.0.2.0/33"]), "allowed_ips[0]"),
    ] {
        let answer = create(&store, &org.admin_key, json!({"allowed_ips": list})).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{list}");
        assert_eq!(answer.code(), "invalid_value", "{list}");
        assert_eq!(answer.param(), Some(param), "{list}");
    }
    let host_bits = create(
        &store,
        &org.admin_key,
        json!({"allowed_ips": ["10.0.0.1/8"]}),
    )
    .await;
    let message = host_bits.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("`10.0.0.0/8`"), "{message}");
    let not_a_string = create(
        &store,
        &org.admin_key,
        json!({"allowed_ips": ["192.0.2.1", 7]}),
    )
    .await;
    assert_eq!(not_a_string.code(), "invalid_type");
    assert_eq!(not_a_string.param(), Some("allowed_ips[1]"));
    let not_a_list = create(&store, &org.admin_key, json!({"allowed_ips": "192.0.2.1"})).await;
    assert_eq!(not_a_list.code(), "invalid_type");
    assert_eq!(not_a_list.param(), Some("allowed_ips"));
}

#[tokio::test]
async fn twenty_one_entries_are_a_400_and_twenty_are_kept() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let entries = |n: u8| Value::from((0..n).map(|i| format!("192.0.2.{i}")).collect::<Vec<_>>());
    let answer = create(&store, &org.admin_key, json!({"allowed_ips": entries(21)})).await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(answer.code(), "invalid_value");
    assert_eq!(answer.param(), Some("allowed_ips"));
    let answer = create(&store, &org.admin_key, json!({"allowed_ips": entries(20)})).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    assert_eq!(answer.data()["allowed_ips"], entries(20));
}

#[tokio::test]
async fn entries_are_normalised_and_every_key_view_shows_the_list() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let created = create(
        &store,
        &org.admin_key,
        json!({"allowed_ips": ["203.0.113.7/32", "2001:DB8::/32", "203.0.113.7", "::ffff:198.51.100.0/120"]}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let normalised = json!(["203.0.113.7", "2001:db8::/32", "198.51.100.0/24"]);
    assert_eq!(created.data()["allowed_ips"], normalised);
    let key_id = created.data()["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        listed(&store, &org.admin_key, &key_id).await["allowed_ips"],
        normalised
    );
    // A key without a list shows an empty one, in every view.
    assert_eq!(
        listed(&store, &org.admin_key, &org.admin_key_id).await["allowed_ips"],
        json!([])
    );
    let (_, plain_id) = create_key(&store, &org.admin_key, json!({})).await;
    let revoked = call(Method::DELETE, &format!("/v1/account/api-keys/{plain_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(revoked.data()["allowed_ips"], json!([]));
    let revoked = call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    assert_eq!(revoked.data()["allowed_ips"], normalised);
}

#[tokio::test]
async fn patch_sets_changes_and_clears_the_list_and_leaves_it_when_absent() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, key_id) = create_key(&store, &org.admin_key, json!({})).await;
    let from = "198.51.100.1";
    let set = patch_from(
        &store,
        &org.admin_key,
        &key_id,
        json!({"allowed_ips": ["203.0.113.7"]}),
        from,
    )
    .await;
    assert_eq!(set.status, StatusCode::OK, "{}", set.body);
    assert_eq!(set.data()["allowed_ips"], json!(["203.0.113.7"]));
    assert!(works_from(&store, &key, "203.0.113.7").await);
    assert!(!works_from(&store, &key, "203.0.113.8").await);

    let changed = patch_from(
        &store,
        &org.admin_key,
        &key_id,
        json!({"allowed_ips": ["203.0.113.8"]}),
        from,
    )
    .await;
    assert_eq!(changed.data()["allowed_ips"], json!(["203.0.113.8"]));
    assert!(!works_from(&store, &key, "203.0.113.7").await);
    assert!(works_from(&store, &key, "203.0.113.8").await);

    for untouched in [
        json!({"name": "Renamed"}),
        json!({"allowed_ips": null}),
        json!({}),
    ] {
        let answer = patch_from(&store, &org.admin_key, &key_id, untouched.clone(), from).await;
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{untouched}: {}",
            answer.body
        );
        assert_eq!(
            answer.data()["allowed_ips"],
            json!(["203.0.113.8"]),
            "{untouched}"
        );
    }

    let cleared = patch_from(
        &store,
        &org.admin_key,
        &key_id,
        json!({"allowed_ips": []}),
        from,
    )
    .await;
    assert_eq!(cleared.data()["allowed_ips"], json!([]));
    assert!(works_from(&store, &key, "203.0.113.7").await);
    assert_eq!(
        account_from(&store, &key, None).await.status,
        StatusCode::OK
    );

    let malformed = patch_from(
        &store,
        &org.admin_key,
        &key_id,
        json!({"allowed_ips": ["1.2.3"]}),
        from,
    )
    .await;
    assert_eq!(malformed.code(), "invalid_value");
    assert_eq!(malformed.param(), Some("allowed_ips[0]"));
}

#[tokio::test]
async fn a_roll_copies_the_list_to_the_successor() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, key_id) = bound_key(&store, &org.admin_key, json!(["203.0.113.0/24"])).await;
    let rolled = call(Method::POST, &format!("/v1/account/api-keys/{key_id}/roll"))
        .bearer(&org.admin_key)
        .json(json!({}))
        .send(&store)
        .await;
    assert_eq!(rolled.status, StatusCode::CREATED, "{}", rolled.body);
    assert_eq!(rolled.data()["allowed_ips"], json!(["203.0.113.0/24"]));
    let successor = rolled.data()["key"].as_str().unwrap_or_default().to_owned();
    assert!(works_from(&store, &successor, "203.0.113.9").await);
    assert!(!works_from(&store, &successor, "198.51.100.9").await);
}

#[tokio::test]
async fn the_last_staying_admin_keys_list_must_include_the_callers_address() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let elsewhere = json!({"allowed_ips": ["203.0.113.7"]});
    let refused = patch_from(
        &store,
        &org.admin_key,
        &org.admin_key_id,
        elsewhere.clone(),
        "198.51.100.1",
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert_eq!(refused.code(), "last_admin_key");
    assert_eq!(refused.param(), Some("allowed_ips"));
    let message = refused.body["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("198.51.100.1"), "{message}");
    assert_eq!(
        listed(&store, &org.admin_key, &org.admin_key_id).await["allowed_ips"],
        json!([]),
        "nothing was written"
    );
    // No known address cannot be in any list.
    let unknown = call(
        Method::PATCH,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .json(elsewhere.clone())
    .send(&store)
    .await;
    assert_eq!(unknown.code(), "last_admin_key");

    let passes = patch_from(
        &store,
        &org.admin_key,
        &org.admin_key_id,
        elsewhere,
        "203.0.113.7",
    )
    .await;
    assert_eq!(passes.status, StatusCode::OK, "{}", passes.body);
    assert!(works_from(&store, &org.admin_key, "203.0.113.7").await);
    assert!(!works_from(&store, &org.admin_key, "198.51.100.1").await);
}

#[tokio::test]
async fn a_staying_admin_key_may_be_bound_elsewhere_while_another_stays_reachable_but_not_the_last()
{
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (second_admin, second_id) =
        create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    let answer = patch_from(
        &store,
        &org.admin_key,
        &second_id,
        json!({"allowed_ips": ["203.0.113.7"]}),
        "198.51.100.1",
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(!works_from(&store, &second_admin, "198.51.100.1").await);
    // The signup key is now the last staying admin key the caller's address can use: binding it elsewhere
    // too would leave no admin key usable from here.
    let answer = patch_from(
        &store,
        &org.admin_key,
        &org.admin_key_id,
        json!({"allowed_ips": ["203.0.113.8"]}),
        "198.51.100.1",
    )
    .await;
    assert_eq!(answer.status, StatusCode::CONFLICT, "{}", answer.body);
    assert_eq!(answer.code(), "last_admin_key");
}

#[tokio::test]
async fn revoking_the_last_admin_key_usable_from_the_callers_address_is_409_when_the_others_are_bound_elsewhere(
) {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (_, second_id) = create_key(&store, &org.admin_key, json!({"scopes": ["admin"]})).await;
    let bound = patch_from(
        &store,
        &org.admin_key,
        &second_id,
        json!({"allowed_ips": ["203.0.113.7"]}),
        "198.51.100.1",
    )
    .await;
    assert_eq!(bound.status, StatusCode::OK, "{}", bound.body);
    let revoked = call(
        Method::DELETE,
        &format!("/v1/account/api-keys/{}", org.admin_key_id),
    )
    .bearer(&org.admin_key)
    .from_address("198.51.100.1")
    .send(&store)
    .await;
    assert_eq!(revoked.status, StatusCode::CONFLICT, "{}", revoked.body);
    assert_eq!(revoked.code(), "last_admin_key");
}

#[tokio::test]
async fn a_request_from_outside_on_a_cached_authentication_is_refused() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, _) = bound_key(&store, &org.admin_key, json!(["203.0.113.7"])).await;
    let service = account::Service {
        gate: auth::Gate {
            cache: auth::AuthCache::new(Duration::from_secs(60)),
            ..gate_of(&store)
        },
        http: http_envelope::HttpConfig::default(),
    };
    let from = |address: &str| {
        call(Method::GET, "/v1/account")
            .bearer(&key)
            .from_address(address)
            .build()
    };
    let inside = service_tests::answer_of(account::handle(&service, from("203.0.113.7")).await);
    assert_eq!(inside.status, StatusCode::OK, "{}", inside.body);
    assert_eq!(service.gate.cache.len(), 1, "the authentication is kept");
    let outside = service_tests::answer_of(account::handle(&service, from("203.0.113.8")).await);
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    assert_eq!(outside.code(), "ip_not_allowed");
    assert_eq!(
        service.gate.cache.len(),
        1,
        "still kept for requests from inside"
    );
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_authorizer_refuses_a_request_from_outside_the_list_and_logs_ip_not_allowed() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, _) = bound_key(&store, &org.admin_key, json!(["203.0.113.0/24"])).await;
    let path = format!(
        "{}/../events/authorizer-allowed.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).expect("the sample event");
    let event = |address: &str| {
        let mut event: lambda_http::aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request =
            serde_json::from_str(&text.replace("${API_KEY}", &key)).expect("an authorizer event");
        event.request_context.http.source_ip = Some(address.to_owned());
        event
    };
    let service = authorizer_service(&store);
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = http_envelope::log_subscriber("info", true, move || writer.clone());
    let _logging = tracing::subscriber::set_default(subscriber);
    let inside = authorizer::authorize(&service, &event("203.0.113.9"), SystemTime::now())
        .await
        .expect("decides");
    assert!(inside.is_authorized);
    // The request line's callsite may have been registered by another test's thread while this capture was
    // being set (tracing caches "no one listens" per callsite): ask again, now that it is registered.
    tracing::callsite::rebuild_interest_cache();
    let outside = authorizer::authorize(&service, &event("198.51.100.9"), SystemTime::now())
        .await
        .expect("decides");
    assert!(!outside.is_authorized);
    assert_eq!(outside.context, None);
    let logs = String::from_utf8_lossy(&captured.0.lock().expect("logs")).into_owned();
    let refusal = logs
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|line| line["fields"]["status"] == 403)
        .unwrap_or_else(|| panic!("a refusal was logged: {logs}"));
    assert_eq!(refusal["fields"]["code"], "ip_not_allowed", "{refusal}");
}

#[tokio::test]
async fn the_address_is_checked_after_revocation_so_a_revoked_key_from_outside_is_401_revoked() {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (key, key_id) = bound_key(&store, &org.admin_key, json!(["203.0.113.7"])).await;
    call(Method::DELETE, &format!("/v1/account/api-keys/{key_id}"))
        .bearer(&org.admin_key)
        .send(&store)
        .await;
    let answer = account_from(&store, &key, Some("198.51.100.1")).await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
    assert_eq!(answer.code(), "revoked_api_key");
}

#[tokio::test]
async fn the_address_is_checked_before_the_scope_so_a_read_key_from_outside_asking_admin_is_ip_not_allowed(
) {
    let store = fresh_store().await;
    let org = sign_up(&store).await;
    let (reader, _) = create_key(
        &store,
        &org.admin_key,
        json!({"scopes": ["read"], "allowed_ips": ["203.0.113.7"]}),
    )
    .await;
    let list_from = |address: &str| {
        call(Method::GET, "/v1/account/api-keys")
            .bearer(&reader)
            .from_address(address)
    };
    let outside = list_from("198.51.100.1").send(&store).await;
    assert_eq!(outside.status, StatusCode::FORBIDDEN);
    assert_eq!(outside.code(), "ip_not_allowed");
    let inside = list_from("203.0.113.7").send(&store).await;
    assert_eq!(inside.code(), "insufficient_scope");
}
