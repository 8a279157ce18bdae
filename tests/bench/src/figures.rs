//! Every figure one `make bench` run measured, and the policy it was judged by, as one serde tree: the
//! measurement writes it as JSON (`.data/bench/figures.json`, committed as BENCHMARKS.json), and
//! [`crate::render`] turns it into BENCHMARKS.md, so a run can be rendered again or compared with another
//! (`bench render`, `bench compare`). Times are in ms, as BENCHMARKS.md states them.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One run of `make bench`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BenchFigures {
    pub run: RunInfo,
    pub policy: Policy,
    pub cold_start: ColdStartSection,
    pub warm: WarmSection,
    pub operations: OperationsSection,
    pub authorizer: AuthorizerCount,
    pub peak_rss: Vec<PeakRss>,
    pub throughput: Vec<Throughput>,
    /// Section 3b again with the authorizer's cache on (its default TTL): one busy key's index reads.
    #[serde(default)]
    pub authorizer_cached: Option<AuthorizerCount>,
    /// Section 7 (issue 21): the authorizer with many keys against one key, one busy key against hello,
    /// the peak RSS with the cache full. `None` in runs made before it.
    #[serde(default)]
    pub authorizer_load: Option<AuthorizerLoad>,
    /// Section 8 (issue 22): the secret-scanning endpoint answering GitHub's reports. `None` in runs made
    /// before it.
    #[serde(default)]
    pub leak: Option<LeakSection>,
    /// Section 9 (issue 22): the authorizer with and without an IP allowlist on the key. `None` in runs made
    /// before it.
    #[serde(default)]
    pub allowlist: Option<AllowlistSection>,
    /// Section 6; `None` when cgroups could not be made (not root, no cgroup v1 `cpu`).
    pub memory_sizes: Option<MemorySizeSection>,
    /// What `scripts/bench.sh` measured with valgrind, `init_steps` and the Lambda zips; `None` when the bench
    /// ran without it (`bench` alone).
    pub tools: Option<ToolFigures>,
}

/// When and on what the run was made.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct RunInfo {
    /// UTC, `YYYY-MM-DD`.
    pub date: String,
    pub cores: usize,
    pub memory_gib: u64,
    pub arch: String,
    /// `rustc 1.95.0`.
    pub rustc: String,
}

/// The bounds and budgets the figures are judged by, and the prices they are costed at: kept with the
/// figures, so an older run renders with the policy it was judged by.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Policy {
    /// The authorizer: reads per request (exactly), and writes per key per minute per instance (at most,
    /// the first request's included).
    pub authorizer_reads_per_request: u64,
    pub authorizer_writes_per_key_per_minute: u64,
    /// Issue 21's targets, each a ratio to its baseline measured in the same run (0 in runs made before).
    #[serde(default)]
    pub targets: Targets,
    pub peak_rss_target_mib: u64,
    pub package_target_mib: u64,
    /// Below this memory size (MB) the store opens its DynamoDB connection during init.
    pub connect_at_init_below_mb: u32,
    /// The longest warm p99 a user would accept from each function: the memory-size rule picks the cheapest
    /// size within it.
    pub budgets: Vec<Budget>,
    /// Costs per million requests closer than this are the same cost (the run-to-run noise).
    pub same_cost_per_million: f64,
    /// Each function's `MemorySize` in template.yaml, by binary name.
    pub template_memory_mb: BTreeMap<String, u32>,
    pub prices: crate::pricing::Prices,
}

/// The most each figure may be of its baseline.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Targets {
    /// Long-tail warm p50 / one-key warm p50 (cache off).
    pub long_tail_p50: f64,
    /// A busy key's warm p50 (cache on) / hello's warm p50.
    pub busy_key_vs_hello_p50: f64,
    /// init + first request / (hello's init + first request + the route's first reads).
    pub cold_start_total: f64,
    /// init / hello's init.
    pub init: f64,
    /// Peak RSS (the authorizer with its cache full) / hello's.
    pub peak_rss: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Budget {
    pub function: String,
    pub warm_p99_ms: u64,
    pub why: String,
}

/// Section 1: medians of fresh processes, `hello` (the baseline) first.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ColdStartSection {
    pub runs: usize,
    pub rows: Vec<ColdStartRow>,
    /// The route's own DynamoDB reads made by a fresh SDK client in a fresh process (`first_reads`), over
    /// the same transport, taken in turn with the cold starts: the floor a function's first request adds to
    /// hello's cold start.
    #[serde(default)]
    pub first_reads: Vec<FirstReads>,
}

/// The median time of a route's reads from a client built just before them, in a fresh process.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FirstReads {
    /// The binary whose route it is, and the reads (`Query` on the key-hash index, `+ GetItem`).
    pub binary: String,
    pub reads: String,
    pub reads_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ColdStartRow {
    pub binary: String,
    pub init_ms: f64,
    pub first_request_ms: f64,
}

/// Section 2: each route on one warm process, against the same reads done directly.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WarmSection {
    pub requests: usize,
    pub warm_up: usize,
    pub rows: Vec<WarmRow>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct WarmRow {
    pub route: String,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub raw_p50_ms: f64,
    pub raw_p99_ms: f64,
    /// Handler and raw reads in the same buckets.
    pub handler_histogram: Histogram,
    pub raw_histogram: Histogram,
}

/// Counts of latencies in equal buckets from `floor_ms`, the last one taking everything above.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Histogram {
    pub floor_ms: f64,
    pub bucket_ms: f64,
    pub counts: Vec<usize>,
}

/// Section 3: DynamoDB operations counted on the wire.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OperationsSection {
    /// Warm requests counted per route (after [`OperationsSection::warm_up`]).
    pub requests: usize,
    pub warm_up: usize,
    pub rows: Vec<OperationsRow>,
    /// The usage writes of section 2's instances, over their warm-up and timed requests.
    pub sustained: Vec<SustainedWrites>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct OperationsRow {
    /// The function's binary, and the route as BENCHMARKS.md names it.
    pub function: String,
    pub route: String,
    /// Operations per request by operation name.
    pub per_request: BTreeMap<String, f64>,
    pub read_units: f64,
    pub write_units: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SustainedWrites {
    pub route: String,
    pub writes: BTreeMap<String, u64>,
    pub wall_s: f64,
}

/// Section 3b: what one `authorizer` instance cost on the wire over `requests` requests of one key.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizerCount {
    pub requests: u64,
    pub run_s: f64,
    /// The index the key lookup queries, and the `Query` operations on it.
    pub index: String,
    pub index_queries: u64,
    /// Every operation while the requests ran, split into reads and writes.
    pub reads: BTreeMap<String, u64>,
    pub writes: BTreeMap<String, u64>,
    /// Operations after SIGTERM (the shutdown flush), and whether the process then exited cleanly.
    pub at_shutdown: BTreeMap<String, u64>,
    pub clean_exit: bool,
    /// The key's usage in the table once the instance ended.
    pub usage_written: u64,
    /// The instance's `AUTH_CACHE_TTL` (s; 0: off, every request reads the index).
    #[serde(default)]
    pub cache_ttl_s: f64,
}

/// Section 7 (issue 21): the authorizer under a long tail of keys against one key, each on a warm instance
/// with the cache off; one busy key with the cache on against hello; peak RSS with the cache full.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuthorizerLoad {
    /// Requests made on each instance before the timed ones (another organisation's key).
    pub warm_up: usize,
    /// One key sending every request, and many keys each sending one (every request's key due for its
    /// usage write); `AUTH_CACHE_TTL=0`.
    pub one_key: LoadRun,
    pub many_keys: LoadRun,
    /// One busy key, the cache at its default TTL, its requests taken in turn with hello's.
    pub busy_key: BusyKey,
    /// Peak RSS of hello after warm requests, and of the authorizer once its cache holds `cache_keys` keys.
    pub hello_peak_rss_kib: Option<u64>,
    pub cache_full: CacheFull,
}

/// One warm authorizer instance's run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoadRun {
    /// Fresh instances the run took, each sending the keys' requests.
    pub instances: usize,
    pub keys: usize,
    pub requests: u64,
    /// Handed out to the response posted (what the caller waits for).
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// Handed out to the instance ready for the next event (the response posted and the usage extension back
    /// at `event/next`): what Lambda bills.
    pub billed_p50_ms: f64,
    pub billed_p99_ms: f64,
    pub billed_mean_ms: f64,
    /// Requests back to back over the wall time until the instance was ready again after the last one.
    pub requests_per_s: f64,
    pub wall_s: f64,
    /// DynamoDB operations on the wire during the timed requests (the after-response writes included), and
    /// after SIGTERM.
    pub index_queries: u64,
    pub reads: BTreeMap<String, u64>,
    pub writes: BTreeMap<String, u64>,
    pub at_shutdown: BTreeMap<String, u64>,
    pub clean_exit: bool,
    /// The day's usage of the run's keys added in the table once the instance ended.
    pub usage_written: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BusyKey {
    pub cache_ttl_s: f64,
    pub requests: u64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    /// hello's warm latency, its requests taken in turn with the authorizer's.
    pub hello_p50_ms: f64,
    pub hello_p99_ms: f64,
    /// `Query` on the key-hash index from the instance's first request of the key (warm-up included), over
    /// `run_s`.
    pub index_queries: u64,
    pub counted_requests: u64,
    pub run_s: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct CacheFull {
    pub cache_ttl_s: f64,
    pub cache_keys: usize,
    pub peak_rss_kib: Option<u64>,
}

/// A section measured on its own (`bench leak`), merged into an earlier run's figures.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AloneRun {
    pub run: RunInfo,
    /// `/proc/loadavg`'s 1, 5 and 15 minute load averages when it started (others share the machine).
    pub load_average: String,
}

/// Section 8 (issue 22): `POST /v1/secret-scanning/github` in process, on the bench's table (through the
/// counting proxy), GitHub's public keys document served by a loopback stand-in.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LeakSection {
    /// Set when the section was measured alone (`bench leak`), not in the run the other sections come from.
    #[serde(default)]
    pub alone: Option<AloneRun>,
    /// The `bench` binary's build (`release` or `debug`): the function runs inside it.
    pub build_profile: String,
    /// Rounds, each with fresh organisations and a fresh function (its keys cache empty).
    pub rounds: usize,
    /// Each report's tokens: live keys of one organisation (all of its live keys), well-formed keys of our
    /// format that no key has, tokens of another format.
    pub ours: usize,
    pub unknown: usize,
    pub foreign: usize,
    /// `accounts::LEAK_LOOKUPS_AT_ONCE`.
    pub lookups_at_once: usize,
    /// The first report of each round (the keys document fetched), the second (100 fresh tokens, the keys
    /// cached), and the same mix sent as one-token reports, one after another (the keys cached).
    pub cold: ReportRun,
    pub warm: ReportRun,
    pub one_by_one: ReportRun,
    /// Warm `GET /v1/account` in process on the same table (the admin key of a 50-key organisation): the
    /// unit a report's time is stated in.
    pub account_requests: usize,
    pub account_p50_ms: f64,
    pub account_p99_ms: f64,
}

/// One kind of report over every round.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReportRun {
    /// Reports sent each round (one of 100 tokens, or 100 of one token).
    pub reports_per_round: usize,
    /// The whole time of a round's reports (the handler's calls, from the request to its response), median,
    /// least and most over the rounds.
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_ms: f64,
    /// Every round's operations on the wire, summed; `Query` operations on the key-hash index.
    pub operations: BTreeMap<String, u64>,
    pub index_queries: u64,
    /// Fetches of the keys document, summed over the rounds.
    pub keys_fetches: u64,
    /// Labels answered, summed over the rounds.
    pub true_positives: u64,
    pub false_positives: u64,
}

/// Section 9 (issue 22): the `authorizer` binary's warm latency for a key with no allowlist and a key with
/// one, their requests taken in turn on one instance.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllowlistSection {
    #[serde(default)]
    pub alone: Option<AloneRun>,
    pub warm_up: usize,
    /// Timed requests of each key on each instance.
    pub requests: usize,
    /// The listed key's `allowed_ips`, and the events' `requestContext.http.sourceIp`.
    pub allowed_ips: Vec<String>,
    pub source_ip: String,
    /// One instance with the cache off, one with its default TTL.
    pub rows: Vec<AllowlistRow>,
    /// Whether the listed key, sent from an address outside its list, was refused (on each instance).
    pub outside_refused: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AllowlistRow {
    pub cache_ttl_s: f64,
    pub plain_p50_ms: f64,
    pub plain_p99_ms: f64,
    pub listed_p50_ms: f64,
    pub listed_p99_ms: f64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PeakRss {
    pub function: String,
    pub peak_rss_kib: Option<u64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Throughput {
    pub route: String,
    pub requests_per_s: f64,
}

/// Section 6: every function at every memory size under Lambda's CPU model, over TLS.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemorySizeSection {
    pub samples: MemorySamples,
    /// The cgroup's CFS period and the memory size that gets one vCPU.
    pub period_ms: f64,
    pub one_vcpu_mb: u32,
    /// Sizes ascending within each function, functions in the order measured.
    pub rows: Vec<SizeRow>,
    pub tls_handshakes: u64,
    pub instances_reaching_dynamodb: u64,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct MemorySamples {
    pub cold_runs: usize,
    pub requests: usize,
    pub warm_up: usize,
    pub lone: usize,
    pub pause_s: f64,
}

/// One function at one memory size.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SizeRow {
    pub function: String,
    pub memory_mb: u32,
    pub cpu_share: f64,
    /// Whether the store connects at init by default at this size.
    pub connects_at_init_by_default: bool,
    /// Cold starts in the store's default mode, and (functions that reach DynamoDB) in each mode.
    pub cold_default: ColdMedians,
    pub cold_at_first_request: Option<ColdMedians>,
    pub cold_at_init: Option<ColdMedians>,
    pub warm_p50_ms: f64,
    pub warm_p99_ms: f64,
    pub lone_p50_ms: f64,
    pub lone_p99_ms: f64,
    pub cpu_per_request_ms: f64,
    /// Mean of the warm requests' durations, each rounded up to the next ms.
    pub billed_ms: f64,
    /// Read and write units per request (section 3), for the cost.
    pub read_units: f64,
    pub write_units: f64,
}

/// Medians of some cold starts; `total` is the median of init + first request, `spread` their interquartile
/// range.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct ColdMedians {
    pub init_ms: f64,
    pub first_ms: f64,
    pub first_cpu_ms: f64,
    pub total_ms: f64,
    pub spread_ms: f64,
}

/// What `scripts/bench.sh` measures with other tools, read from its `key value...` lines
/// ([`ToolFigures::parse`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ToolFigures {
    /// `aws-config` load + client (ms), median of fresh processes: the system's CA bundle, the compiled-in
    /// AWS roots.
    pub client_native_ms: f64,
    pub client_aws_roots_ms: f64,
    pub client_runs: usize,
    /// Instructions of init alone per binary (callgrind), `hello` first.
    pub init_instructions: Vec<InitInstructions>,
    /// The account function's init (profiling build): all, the partition table's parse, the PEM decoding.
    pub account_init_instructions: u64,
    pub partitions_instructions: u64,
    pub pem_instructions: u64,
    /// callgrind of init + `profile_requests` warm `GET /v1/account`: all instructions, SigV4's (inclusive),
    /// and callgrind_annotate's self-cost lines.
    pub profile_requests: u64,
    pub profile_instructions: u64,
    pub sigv4_instructions: u64,
    pub self_cost: Vec<String>,
    /// Each arm64 `bootstrap.zip`'s size.
    pub package_bytes: Vec<PackageSize>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InitInstructions {
    pub binary: String,
    pub instructions: u64,
    pub relocations: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageSize {
    pub function: String,
    pub bytes: u64,
}

impl ToolFigures {
    /// Reads scripts/bench.sh's lines: `client native MS`, `client aws MS`, `client runs N`,
    /// `init BINARY INSTRUCTIONS RELOCATIONS`, `account_init ALL PARTITIONS PEM`,
    /// `profile REQUESTS ALL SIGV4`, `zip FUNCTION BYTES`; and `self_cost` lines, the rest of each line
    /// after the word. An error names the line it could not read.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut figures = Self::default();
        for line in text.lines().filter(|line| !line.trim().is_empty()) {
            let bad = || format!("bench.sh figures: cannot read {line:?}");
            if let Some(rest) = line.strip_prefix("self_cost ") {
                figures.self_cost.push(rest.to_owned());
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            let number = |index: usize| -> Result<u64, String> {
                words
                    .get(index)
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(bad)
            };
            let float = |index: usize| -> Result<f64, String> {
                words
                    .get(index)
                    .and_then(|w| w.parse().ok())
                    .ok_or_else(bad)
            };
            match (words.first().copied(), words.get(1).copied()) {
                (Some("client"), Some("native")) => figures.client_native_ms = float(2)?,
                (Some("client"), Some("aws")) => figures.client_aws_roots_ms = float(2)?,
                (Some("client"), Some("runs")) => {
                    figures.client_runs = usize::try_from(number(2)?).map_err(|_| bad())?
                }
                (Some("init"), Some(binary)) => figures.init_instructions.push(InitInstructions {
                    binary: binary.to_owned(),
                    instructions: number(2)?,
                    relocations: number(3)?,
                }),
                (Some("account_init"), Some(_)) => {
                    figures.account_init_instructions = number(1)?;
                    figures.partitions_instructions = number(2)?;
                    figures.pem_instructions = number(3)?;
                }
                (Some("profile"), Some(_)) => {
                    figures.profile_requests = number(1)?;
                    figures.profile_instructions = number(2)?;
                    figures.sigv4_instructions = number(3)?;
                }
                (Some("zip"), Some(function)) => figures.package_bytes.push(PackageSize {
                    function: function.to_owned(),
                    bytes: number(2)?,
                }),
                _ => return Err(bad()),
            }
        }
        Ok(figures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_lines_are_read_into_their_fields() {
        let text =
            "client native 8.620\nclient aws 0.594\nclient runs 15\ninit hello 478163 178837\n\
                    account_init 2115190 694247 188661\nprofile 200 411033841 97168000\n\
                    self_cost Ir   file:function\nzip health 1090519\n";
        let figures = ToolFigures::parse(text).expect("the script's lines");
        assert_eq!(figures.client_native_ms, 8.62);
        assert_eq!(figures.client_runs, 15);
        assert_eq!(figures.init_instructions[0].relocations, 178837);
        assert_eq!(figures.partitions_instructions, 694247);
        assert_eq!(figures.profile_instructions, 411033841);
        assert_eq!(figures.self_cost, vec!["Ir   file:function".to_owned()]);
        assert_eq!(figures.package_bytes[0].bytes, 1090519);
    }

    #[test]
    fn a_line_it_cannot_read_is_an_error_naming_it() {
        let error = ToolFigures::parse("init hello many 1\n").expect_err("not a number");
        assert!(error.contains("init hello many 1"), "{error}");
    }
}
