//! Section 8 (issue 22): `POST /v1/secret-scanning/github` answering a report of 100 tokens, half of them
//! ours, in process (the function's `handle`, set up as its `main` sets it up) on the bench's table through
//! the counting proxy, GitHub's public keys document served over HTTP by the tests' loopback stand-in (the
//! TEST-ONLY document of `dev/secret-scanning/`), each report signed with the TEST-ONLY key.

use std::time::{Duration, Instant, SystemTime};

use auth::{ApiKeySecret, Environment};
use http_envelope::HttpConfig;
use lambda_http::http::{Method, StatusCode};
use lambda_http::Request;
use serde_json::{json, Value};
use service_tests::{
    answer_of, call, gate_of, github_signature, GithubKeysStandIn, ReportSigner, DEV_KEY_IDENTIFIER,
};

use crate::figures::{LeakSection, ReportRun};
use crate::{bench_key, bench_organisation, millis, percentile, Setup};

/// Each report: the 50 live keys of one organisation (its admin key and 49 `read` keys), 25 well-formed keys
/// of our format that no key has, 25 tokens of another format.
const OURS: usize = 50;
const UNKNOWN: usize = 25;
const FOREIGN: usize = 25;
/// Rounds, each with three fresh organisations and a fresh function (`BENCH_LEAK_ROUNDS`).
const ROUNDS: usize = 11;
/// Warm `GET /v1/account` requests per round (after as many for warm-up).
const ACCOUNT_REQUESTS: usize = 21;

const PATH: &str = "/v1/secret-scanning/github";

/// One round's tokens: for the first report, the second, and the one-token reports.
struct RoundTokens {
    cold: Vec<String>,
    warm: Vec<String>,
    one_by_one: Vec<String>,
    /// The admin key of the first report's organisation, for the `GET /v1/account` baseline (read before
    /// that report revokes it).
    admin_key: String,
}

/// One organisation's 50 live keys (its admin key first), mixed with 25 unknown keys of our format and 25
/// tokens of another format: ours, unknown, ours, foreign, ...
async fn report_tokens(store: store::Store, name: String) -> Vec<String> {
    let now = SystemTime::now();
    let (admin_key, principal) = bench_organisation(&store, "Bench leak", &name, now).await;
    let mut ours = vec![admin_key];
    for i in 1..OURS {
        let read_only = Some(vec!["read".to_owned()]);
        let key_name = format!("Bench leak key {i}");
        ours.push(
            bench_key(&store, &principal, key_name, read_only, now)
                .await
                .0,
        );
    }
    let unknown = (0..UNKNOWN).map(|_| {
        ApiKeySecret::generate(Environment::Live)
            .expect("random")
            .expose()
            .to_owned()
    });
    let foreign = (0..FOREIGN).map(|_| {
        let bytes = auth::random_bytes(18).expect("random");
        let hex: String = bytes.iter().map(|byte| format!("{byte:02x}")).collect();
        format!("ghp_{hex}")
    });
    let (mut ours, mut others) = (ours.into_iter(), unknown.zip(foreign));
    let mut tokens = Vec::with_capacity(OURS + UNKNOWN + FOREIGN);
    while tokens.len() < OURS + UNKNOWN + FOREIGN {
        tokens.extend(ours.next());
        if let Some((unknown, foreign)) = others.next() {
            tokens.push(unknown);
            tokens.extend(ours.next());
            tokens.push(foreign);
        }
    }
    tokens
}

/// A report of `tokens` as GitHub writes it, and its TEST-ONLY signature.
fn signed_report(tokens: &[String]) -> (String, String) {
    let body = Value::Array(
        tokens
            .iter()
            .map(|token| {
                json!({"token": token, "type": "memory_api_key",
                    "url": "https://github.com/example/repo/blob/main/.env", "source": "commit"})
            })
            .collect(),
    )
    .to_string();
    let signature = github_signature(ReportSigner::Listed, body.as_bytes());
    (body, signature)
}

fn report_request(body: &str, signature: &str) -> Request {
    call(Method::POST, PATH)
        .header("content-type", "application/json")
        .header("user-agent", "GitHub-Secret-Scanning/1.0")
        .header("Github-Public-Key-Identifier", DEV_KEY_IDENTIFIER)
        .header("Github-Public-Key-Signature", signature)
        .raw_body(body)
        .from_address("140.82.115.1")
        .build()
}

/// What the rounds of one kind of report added up to.
#[derive(Default)]
struct Tally {
    times: Vec<Duration>,
    run: ReportRun,
}

impl Tally {
    fn finish(mut self, reports_per_round: usize) -> ReportRun {
        self.times.sort();
        self.run.reports_per_round = reports_per_round;
        self.run.median_ms = millis(percentile(&self.times, 50.0));
        self.run.min_ms = millis(self.times.first().copied().unwrap_or_default());
        self.run.max_ms = millis(self.times.last().copied().unwrap_or_default());
        self.run
    }
}

/// Sends each of `reports` (body, signature) to `service` in turn: their handler time in all, and the
/// operations, fetches and labels they cost added to `tally`.
async fn send_reports(
    setup: &Setup,
    service: &secret_scanning::Service,
    keys: &GithubKeysStandIn,
    reports: &[(String, String)],
    tally: &mut Tally,
) {
    let fetches_before = keys.fetches();
    setup.counter.take();
    setup.counter.count_queries_by_index(true);
    let mut total = Duration::ZERO;
    for (body, signature) in reports {
        let request = report_request(body, signature);
        let started = Instant::now();
        let response = secret_scanning::handle(service, request).await;
        total += started.elapsed();
        let answer = answer_of(response);
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        for entry in answer.body.as_array().expect("the feedback list") {
            match entry["label"].as_str() {
                Some("true_positive") => tally.run.true_positives += 1,
                Some("false_positive") => tally.run.false_positives += 1,
                other => panic!("a label {other:?}"),
            }
        }
    }
    let counted = setup.counter.take_detailed();
    setup.counter.count_queries_by_index(false);
    tally.times.push(total);
    for (operation, n) in counted.operations {
        *tally.run.operations.entry(operation).or_default() += n;
    }
    tally.run.index_queries += counted
        .queries_by_index
        .get(store::schema::KEY_HASH_INDEX)
        .copied()
        .unwrap_or(0);
    tally.run.keys_fetches += (keys.fetches() - fetches_before) as u64;
}

/// Section 8: [`ROUNDS`] rounds of a first report (the function fresh: its keys document fetched), a second
/// report of 100 fresh tokens (the keys cached), the same mix again as 100 one-token reports one after
/// another, and warm `GET /v1/account` requests on the same table (the baseline).
pub async fn section(setup: &Setup) -> LeakSection {
    let rounds = crate::env_number("BENCH_LEAK_ROUNDS", ROUNDS).max(1);
    let keys = GithubKeysStandIn::start().await;
    // Every round's organisations, made before anything is timed (one task each: DynamoDB Local serves them
    // side by side).
    let mut filling = tokio::task::JoinSet::new();
    for round in 0..rounds {
        for kind in ["cold", "warm", "single"] {
            let store = setup.store.clone();
            let name = format!("bench-leak-{round}-{kind}");
            filling.spawn(async move { (round, kind, report_tokens(store, name).await) });
        }
    }
    let mut made: Vec<(usize, &str, Vec<String>)> = Vec::new();
    while let Some(result) = filling.join_next().await {
        made.push(result.expect("fill a leak organisation"));
    }
    let take = |made: &mut Vec<(usize, &str, Vec<String>)>, round: usize, kind: &str| {
        let index = made
            .iter()
            .position(|(r, k, _)| *r == round && *k == kind)
            .expect("made");
        made.swap_remove(index).2
    };
    let mut per_round = Vec::new();
    for round in 0..rounds {
        let cold = take(&mut made, round, "cold");
        let warm = take(&mut made, round, "warm");
        let one_by_one = take(&mut made, round, "single");
        per_round.push(RoundTokens {
            admin_key: cold[0].clone(),
            cold,
            warm,
            one_by_one,
        });
    }
    let http = HttpConfig::default();
    let account = account::Service {
        gate: gate_of(&setup.store),
        http,
    };
    let (mut cold, mut warm, mut one_by_one) =
        (Tally::default(), Tally::default(), Tally::default());
    let mut account_times = Vec::new();
    for tokens in &per_round {
        // The baseline: warm GET /v1/account of the first report's organisation, before it is revoked.
        for i in 0..2 * ACCOUNT_REQUESTS {
            let request = call(Method::GET, "/v1/account")
                .bearer(&tokens.admin_key)
                .from_address("203.0.113.7")
                .build();
            let started = Instant::now();
            let response = account::handle(&account, request).await;
            let elapsed = started.elapsed();
            assert_eq!(response.status(), StatusCode::OK);
            if i >= ACCOUNT_REQUESTS {
                account_times.push(elapsed);
            }
        }
        // A fresh function: nothing fetched yet.
        let service = secret_scanning::Service {
            store: setup.store.clone(),
            http,
            keys: secret_scanning::PublicKeys::new(keys.url().parse().expect("a URL")),
        };
        let report = |tokens: &[String]| vec![signed_report(tokens)];
        send_reports(setup, &service, &keys, &report(&tokens.cold), &mut cold).await;
        send_reports(setup, &service, &keys, &report(&tokens.warm), &mut warm).await;
        let singles: Vec<(String, String)> = tokens
            .one_by_one
            .iter()
            .map(|token| signed_report(std::slice::from_ref(token)))
            .collect();
        send_reports(setup, &service, &keys, &singles, &mut one_by_one).await;
    }
    account_times.sort();
    LeakSection {
        alone: None,
        build_profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .to_owned(),
        rounds,
        ours: OURS,
        unknown: UNKNOWN,
        foreign: FOREIGN,
        lookups_at_once: accounts::LEAK_LOOKUPS_AT_ONCE,
        cold: cold.finish(1),
        warm: warm.finish(1),
        one_by_one: one_by_one.finish(OURS + UNKNOWN + FOREIGN),
        account_requests: account_times.len(),
        account_p50_ms: millis(percentile(&account_times, 50.0)),
        account_p99_ms: millis(percentile(&account_times, 99.0)),
    }
}
