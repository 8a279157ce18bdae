//! Creates a table (the code's own schema, as `ensure_table` does) and fills it through the service's own
//! functions with every kind of item the service writes, for the restore drill (scripts/restore-drill.sh)
//! to copy, export and import: organisations (one inactive), their email reservations, keys (live and test,
//! revoked, expiring, rolled and their successors), idempotency records and usage.
//!
//! It lives in the tests crate because the store cannot depend on `accounts`, whose functions write the
//! realistic items: signup, key creation, revocation and roll go through `accounts`, usage through the
//! authorizer's own `auth::authenticate` and the store's shutdown flush. So the drill reads items shaped as
//! the service shapes them, and follows the service when those shapes change.
//!
//! Usage: `seed-table <table>` against `AWS_ENDPOINT_URL_DYNAMODB` (default `http://127.0.0.1:8000`).
//! Prints one line per kind of item written; the keys themselves are never printed.

use std::time::{Duration, SystemTime};

use accounts::{DerivationSecret, IdempotencyKey, NewKeyInput, RollInput, SignupInput, SignupView};
use auth::{Environment, Principal, Scope, Scopes, UsageMeter};
use lambda_http::http::{header::AUTHORIZATION, HeaderMap, HeaderValue};
use store::RequestFacts;
use store::{build_client, schema, ClientSettings, Store};

/// The derivation secret the seeded idempotency records are made with (the drill never derives keys).
const DRILL_DERIVATION_SECRET: &str = "restore-drill-key-derivation-secret-0123456789";

/// The organisations signed up: name, email (as typed, mixed case included), plan, and whether the
/// operator switches it off afterwards.
const ORGANISATIONS: [(&str, &str, &str, bool); 4] = [
    ("My Company", "admin@mycompany.com", "free", true),
    ("Müller & Søn GmbH", "Ops@Mueller-Soen.de", "starter", true),
    ("株式会社メモリ", "info@memory.example.jp", "starter", true),
    ("Closed Ltd", "owner@closed.example", "free", false),
];

/// An organisation as signed up: its admin key (full), and the principal that key acts as.
struct Signed {
    admin_key: String,
    principal: Principal,
}

fn principal_of(signup: &SignupView) -> Principal {
    Principal {
        org_id: signup.account.org_id.clone(),
        key_id: signup.api_key.id.clone(),
        key_prefix: signup.api_key.key_prefix.clone(),
        environment: Environment::Live,
        scopes: Scopes::all(),
    }
}

/// Presents `key` as a request would, through the same authentication every route uses, which counts its
/// use (written at the key's first use, then held until the flush).
async fn use_key(store: &Store, meter: &UsageMeter, key: &str, now: SystemTime) {
    let mut headers = HeaderMap::new();
    let value = HeaderValue::from_str(&format!("Bearer {key}")).expect("a key is a header value");
    headers.insert(AUTHORIZATION, value);
    auth::authenticate(
        store,
        meter,
        &auth::AuthCache::off(),
        &headers,
        None,
        Scope::Read,
        now,
    )
    .await
    .expect("a seeded key authenticates");
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let Some(table) = std::env::args().nth(1) else {
        eprintln!("usage: seed-table <table name>");
        std::process::exit(2);
    };
    let endpoint = std::env::var("AWS_ENDPOINT_URL_DYNAMODB")
        .unwrap_or_else(|_| "http://127.0.0.1:8000".to_owned());
    let client = build_client(&ClientSettings::local(endpoint.clone())).await;
    schema::ensure_table(&client, &table)
        .await
        .unwrap_or_else(|err| panic!("create {table} at {endpoint}: {err}"));
    let store = Store::new(client, table.clone());
    let derivation = accounts::KeyDerivation::Value(
        DerivationSecret::new(DRILL_DERIVATION_SECRET).expect("long enough"),
    );
    let now = SystemTime::now();
    let idempotency = |n: usize| {
        IdempotencyKey::parse(&format!(
            "restore-drill-idempotency-{n}-{}",
            std::process::id()
        ))
        .expect("a valid idempotency key")
    };

    // Organisations, the first signed up with an Idempotency-Key (an idempotency record).
    let mut organisations = Vec::new();
    for (number, (name, email, plan, _)) in ORGANISATIONS.iter().enumerate() {
        let input = SignupInput {
            name: (*name).to_owned(),
            email: (*email).to_owned(),
            plan_id: Some((*plan).to_owned()),
        };
        let key = (number == 0).then(|| idempotency(0));
        let origin = accounts::SignupOrigin::default();
        let signup = accounts::signup(&store, input, key.as_ref(), &derivation, origin, now)
            .await
            .expect("signup");
        organisations.push(Signed {
            admin_key: signup.api_key.key.clone(),
            principal: principal_of(&signup),
        });
    }

    // Keys of the first two organisations: live and test, narrowed scopes, expiring, one created with an
    // Idempotency-Key, one revoked, one rolled (its successor created, itself expiring), one bound to
    // addresses, one revoked as leaked; each change with its event.
    let mut used_keys: Vec<String> = organisations.iter().map(|o| o.admin_key.clone()).collect();
    // The signup above was idempotent.
    let (mut created_keys, mut revoked, mut rolled, mut idempotent) = (0, 0, 0, 1);
    for (number, organisation) in organisations.iter().take(2).enumerate() {
        let principal = &organisation.principal;
        let inputs = [
            NewKeyInput {
                name: Some("CI/CD Key".to_owned()),
                scopes: Some(vec!["read".to_owned(), "write".to_owned()]),
                ..NewKeyInput::default()
            },
            NewKeyInput {
                name: Some("Staging".to_owned()),
                environment: Some("test".to_owned()),
                ..NewKeyInput::default()
            },
            NewKeyInput {
                name: Some("Contractor (90 days)".to_owned()),
                scopes: Some(vec!["read".to_owned()]),
                expires_in_days: Some(90),
                ..NewKeyInput::default()
            },
            NewKeyInput {
                name: Some("Leaked key".to_owned()),
                ..NewKeyInput::default()
            },
            NewKeyInput {
                name: Some("Rotated monthly".to_owned()),
                ..NewKeyInput::default()
            },
            NewKeyInput {
                name: Some("Office only".to_owned()),
                allowed_ips: Some(vec![
                    "203.0.113.0/24".to_owned(),
                    "2001:db8::/48".to_owned(),
                ]),
                ..NewKeyInput::default()
            },
            NewKeyInput {
                name: Some("Pushed to GitHub".to_owned()),
                ..NewKeyInput::default()
            },
        ];
        let mut created = Vec::new();
        for (index, input) in inputs.into_iter().enumerate() {
            // The first key of each organisation is created with an Idempotency-Key.
            let key = (index == 0).then(|| idempotency(10 + number));
            let view = accounts::create_key(
                &store,
                principal,
                input,
                key.as_ref(),
                &derivation,
                &RequestFacts::default(),
                now,
            )
            .await
            .expect("create a key");
            created_keys += 1;
            idempotent += usize::from(key.is_some());
            created.push(view);
        }
        used_keys.push(created[0].key.clone());
        accounts::revoke_key(
            &store,
            principal,
            &created[3].id,
            &RequestFacts::default(),
            now,
        )
        .await
        .expect("revoke a key");
        revoked += 1;
        let successor = accounts::roll_key(
            &store,
            principal,
            accounts::RollRequest {
                key_id: &created[4].id,
                input: RollInput {
                    expires_in_hours: Some(24),
                },
                idempotency: Some(&idempotency(20 + number)),
            },
            &derivation,
            &RequestFacts::default(),
            now,
        )
        .await
        .expect("roll a key");
        rolled += 1;
        idempotent += 1;
        used_keys.push(successor.key);
        // Found in public: revoked as leaked by a secret-scanning report, with its event.
        let reported = accounts::ReportedToken {
            token: created[6].key.clone(),
            token_type: "memory_api_key".to_owned(),
            url: Some("https://github.com/example/app/blob/main/.env".to_owned()),
            source: Some("commit".to_owned()),
        };
        accounts::answer_leak_report(&store, &[reported], &RequestFacts::default(), now)
            .await
            .expect("report a leaked key");
        revoked += 1;
    }

    // Usage: each key used a few times through the routes' authentication, the counts then flushed as at
    // an instance's shutdown (a second UTC day is not made up: the day is the request's).
    let meter = UsageMeter::new(store.clone());
    for (number, key) in used_keys.iter().enumerate() {
        for request in 0..=number {
            let at = now + Duration::from_secs(request as u64);
            use_key(&store, &meter, key, at).await;
        }
    }
    let flushed = meter.flush(now).await.expect("flush the usage");

    // The operator switches the last organisation off (on its item and on each of its keys).
    for ((_, _, _, active), organisation) in ORGANISATIONS.iter().zip(&organisations) {
        if !active {
            accounts::operator::set_organization_active(
                &store,
                &organisation.principal.org_id,
                false,
                now,
            )
            .await
            .expect("deactivate an organisation");
        }
    }

    let items = service_tests::count_items(&store).await;
    println!(
        "seeded {table} at {endpoint}: {items} items: {} organisations ({} inactive) and their email \
         reservations, {created_keys} keys created ({revoked} revoked, {rolled} rolled), {idempotent} \
         idempotent requests, usage of {} keys ({flushed} flushed at the end)",
        organisations.len(),
        ORGANISATIONS.iter().filter(|(_, _, _, active)| !active).count(),
        used_keys.len(),
    );
}
