//! BENCHMARKS.md from one run's [`BenchFigures`]: the prose, the tables, and the judgements the policy in
//! the figures makes of them (the authorizer's bounds, the memory-size rule). Nothing here measures.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::figures::{
    AloneRun, AuthorizerCount, AuthorizerLoad, BenchFigures, ColdMedians, Histogram, LeakSection,
    LoadRun, MemorySizeSection, OperationsSection, Policy, ReportRun, SizeRow, ToolFigures,
};

/// The whole of BENCHMARKS.md.
pub fn render(figures: &BenchFigures) -> String {
    let run = &figures.run;
    let mut out = format!(
        "# Benchmarks\n\nProduced by `make bench` on {} ({} cores, {} GiB, {}, {}), against DynamoDB Local on \
         loopback. Every figure is measured against its baseline in the same run; absolute times on a shared \
         2-core machine mean little.\n\n",
        run.date, run.cores, run.memory_gib, run.arch, run.rustc
    );
    out.push_str(&cold_start(figures));
    out.push_str(&warm(figures));
    out.push_str(&operations(&figures.operations));
    out.push_str(&sustained_writes(&figures.operations, figures.warm.warm_up));
    out.push_str(&authorizer_counts(figures));
    out.push_str(&peak_rss(figures));
    out.push_str(&throughput(figures));
    out.push_str(&memory_sizes(
        figures.memory_sizes.as_ref(),
        &figures.policy,
    ));
    if let Some(tools) = &figures.tools {
        out.push_str(&tool_sections(tools, &figures.policy));
    }
    out.push_str(&authorizer_load(figures));
    out.push_str(&leak(figures));
    out.push_str(&allowlist(figures));
    out
}

/// A time in ms as BENCHMARKS.md gives it.
fn ms(value: f64) -> String {
    format!("{value:.3}")
}

/// Operations as BENCHMARKS.md lists them: `2 Query + 1 GetItem`, or `none`.
fn describe(parts: impl IntoIterator<Item = String>) -> String {
    let described: Vec<String> = parts.into_iter().collect();
    if described.is_empty() {
        "none".to_owned()
    } else {
        described.join(" + ")
    }
}

/// Counted operations as BENCHMARKS.md lists them: `2000 Query`, or `none`.
pub fn describe_counts(operations: &BTreeMap<String, u64>) -> String {
    describe(
        operations
            .iter()
            .map(|(operation, count)| format!("{count} {operation}")),
    )
}

fn cold_start(figures: &BenchFigures) -> String {
    let section = &figures.cold_start;
    let mut out = format!(
        "## 1. Cold start (median of {} fresh processes each, binaries taken in turn)\n\nInit is process start \
         to the first request for work; first request is the first event's time inside the function (the \
         authorizer's: `events/authorizer-allowed.json` with a `read` key, answered `isAuthorized: true`). \
         Baseline: `hello`, a minimal `lambda_http` function built with the same profile. Sections 1 to 5 run \
         unthrottled, each function told its template.yaml `MemorySize` (below {} MB the store opens its \
         DynamoDB connection during init: section 6).\n\n\
         | binary | init (ms) | init / hello | first request (ms) | first request / hello |\n\
         |---|---|---|---|---|\n",
        section.runs, figures.policy.connect_at_init_below_mb
    );
    let Some((hello, functions)) = section.rows.split_first() else {
        return out;
    };
    let _ = writeln!(
        out,
        "| {} (baseline) | {} | 1.00 | {} | 1.00 |",
        hello.binary,
        ms(hello.init_ms),
        ms(hello.first_request_ms)
    );
    for row in functions {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {} | {:.2} |",
            row.binary,
            ms(row.init_ms),
            row.init_ms / hello.init_ms,
            ms(row.first_request_ms),
            row.first_request_ms / hello.first_request_ms
        );
    }
    out.push_str(&cold_start_against_reads(figures, hello));
    out
}

/// `pass`, or the miss said plainly, of `ratio` against the target `at_most`.
fn verdict(ratio: f64, at_most: f64) -> String {
    if ratio <= at_most {
        "pass".to_owned()
    } else {
        format!("**missed** ({ratio:.2} > {at_most})")
    }
}

/// Issue 21's cold-start targets: init + first request against hello's cold start plus the route's reads
/// by a fresh client, and init against hello's.
fn cold_start_against_reads(
    figures: &BenchFigures,
    hello: &crate::figures::ColdStartRow,
) -> String {
    let section = &figures.cold_start;
    let targets = &figures.policy.targets;
    if section.first_reads.is_empty() {
        return String::new();
    }
    let mut out = format!(
        "\nAgainst what cannot be avoided: hello's cold start plus the route's own DynamoDB reads made by a \
         fresh SDK client in a fresh process (`first_reads`: the client built, then the reads timed, its \
         connection opened by the first one), over the same transport (the counting proxy, plain HTTP), taken \
         in turn with the cold starts (median of {}). Targets: init + first request ≤ {}× (hello's init + \
         first request + the reads); init ≤ {}× hello's init.\n\n\
         | binary | reads by a fresh client | reads (ms) | init + first request (ms) | hello + reads (ms) | \
         ratio | target ≤ {} | init / hello | target ≤ {} |\n|---|---|---|---|---|---|---|---|---|\n",
        section.runs,
        targets.cold_start_total,
        targets.init,
        targets.cold_start_total,
        targets.init
    );
    for reads in &section.first_reads {
        let Some(row) = section.rows.iter().find(|row| row.binary == reads.binary) else {
            continue;
        };
        let total = row.init_ms + row.first_request_ms;
        let floor = hello.init_ms + hello.first_request_ms + reads.reads_ms;
        let init_ratio = row.init_ms / hello.init_ms;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2} | {} | {:.2} | {} |",
            row.binary,
            reads.reads,
            ms(reads.reads_ms),
            ms(total),
            ms(floor),
            total / floor,
            verdict(total / floor, targets.cold_start_total),
            init_ratio,
            verdict(init_ratio, targets.init)
        );
    }
    out
}

fn warm(figures: &BenchFigures) -> String {
    let section = &figures.warm;
    let mut out = format!(
        "\n## 2. Warm latency ({} requests after {} warm-up, one process)\n\nBaseline: the same DynamoDB reads \
         done directly with the SDK from the benchmark process (the auth Query on the key-hash index, then the \
         route's own read; for the authorizer the Query alone), each right after one handler request, so both \
         see the same moments of the machine. The handler's time includes the Runtime API round trip that \
         every Lambda invocation pays.\n\n\
         | route | p50 (ms) | p99 (ms) | raw reads p50 (ms) | raw reads p99 (ms) | p50 / raw | p99 / raw |\n\
         |---|---|---|---|---|---|---|\n",
        section.requests, section.warm_up
    );
    let mut charts = String::new();
    for row in &section.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {:.2} | {:.2} |",
            row.route,
            ms(row.p50_ms),
            ms(row.p99_ms),
            ms(row.raw_p50_ms),
            ms(row.raw_p99_ms),
            row.p50_ms / row.raw_p50_ms,
            row.p99_ms / row.raw_p99_ms
        );
        charts.push_str(&histogram(
            &format!("{}: handler", row.route),
            &row.handler_histogram,
        ));
        charts.push_str(&histogram(
            &format!("{}: raw reads", row.route),
            &row.raw_histogram,
        ));
    }
    let _ = write!(
        out,
        "\nLatency distributions (same buckets for handler and raw reads):\n\n```\n{charts}```\n"
    );
    out
}

/// A small text histogram: one line per bucket, its bar scaled to the fullest bucket.
fn histogram(label: &str, histogram: &Histogram) -> String {
    let most = histogram.counts.iter().copied().max().unwrap_or(1).max(1);
    let mut out = format!("{label}\n");
    for (i, count) in histogram.counts.iter().enumerate() {
        let from = histogram.floor_ms + histogram.bucket_ms * i as f64;
        let bar = "#".repeat(count * 50 / most);
        let _ = writeln!(out, "  {from:6.2} ms | {bar} {count}");
    }
    out
}

/// Section 3's table (`bench memory` prints it alone, with section 6).
pub fn operations(section: &OperationsSection) -> String {
    let mut out = format!(
        "\n## 3. DynamoDB operations per request (counted on the wire by a proxy, {} warm requests each)\n\n\
         The functions run with their authentication cache at its default (a key kept 1 s): a key sending \
         requests back to back reads the key-hash index once a second, so its `Query` all but vanishes here; a \
         key used less than once a second pays it (0.5 read unit) on every request (section 3b, cache off).\n\n\
         | route | operations per request | read units | write units |\n|---|---|---|---|\n",
        section.requests
    );
    for row in &section.rows {
        let described = describe(
            row.per_request
                .iter()
                .map(|(operation, n)| format!("{n:.2} {operation}")),
        );
        let _ = writeln!(
            out,
            "| {} | {described} | {:.2} | {:.2} |",
            row.route, row.read_units, row.write_units
        );
    }
    out
}

/// The usage writes of section 2's instances, whose warm-up is `warm_up` requests.
fn sustained_writes(section: &OperationsSection, warm_up: usize) -> String {
    let mut out = format!(
        "\nThe first request of a key on an instance makes its usage due: after the response, the instance's \
         usage extension writes the day's count and `last_used_at`, two single `UpdateItem`s (1 WRU each), \
         before the instance takes its next event; the {} warm-up requests above took that write, so the {} \
         counted show none.\n\n\
         `last_used_at` and usage under sustained load, for one key, each on one fresh instance (writes on the \
         wire over the {warm_up} warm-up and the timed requests of section 2, timed wall time):",
        section.warm_up, section.requests
    );
    for row in &section.sustained {
        let _ = write!(
            out,
            " {}: {} in {:.1} s;",
            row.route,
            describe_counts(&row.writes),
            row.wall_s
        );
    }
    out.push_str(" two single writes per key per minute per instance.\n");
    out
}

/// What broke the authorizer's bounds. Cache off: exactly [`Policy::authorizer_reads_per_request`] reads
/// per request (the key-hash index `Query`); cache on: only index reads, at most one per key per TTL (1 +
/// whole TTLs of the run). Writes: at most [`Policy::authorizer_writes_per_key_per_minute`] per key per
/// minute (1 + whole minutes of the run). Every request in the key's usage after a clean shutdown. Empty:
/// it passed.
pub fn authorizer_failures(count: &AuthorizerCount, policy: &Policy) -> Vec<String> {
    let requests = count.requests;
    let reads: u64 = count.reads.values().sum();
    let writes: u64 = count.writes.values().sum();
    let write_bound = write_bound(count, policy);
    let mut failures = Vec::new();
    if count.cache_ttl_s > 0.0 {
        let read_bound = read_bound(count);
        if reads != count.index_queries || count.index_queries > read_bound {
            failures.push(format!(
                "authorizer (cache {} s): {reads} reads ({} on the key-hash index) in {:.1} s, more than {read_bound} \
                 (1 + whole TTLs) or not all on the index",
                count.cache_ttl_s, count.index_queries, count.run_s
            ));
        }
    } else {
        let expected_reads = requests * policy.authorizer_reads_per_request;
        if reads != expected_reads || count.index_queries != expected_reads {
            failures.push(format!(
                "authorizer: {reads} reads ({} on the key-hash index) for {requests} requests, not exactly {} each",
                count.index_queries, policy.authorizer_reads_per_request
            ));
        }
    }
    if writes > write_bound {
        failures.push(format!(
            "authorizer: {writes} writes in {:.1} s, more than {write_bound} ({} per key per minute)",
            count.run_s, policy.authorizer_writes_per_key_per_minute
        ));
    }
    if count.usage_written != requests || !count.clean_exit {
        failures.push(format!(
            "authorizer: {} of {requests} requests in the key's usage after shutdown (clean exit: {})",
            count.usage_written, count.clean_exit
        ));
    }
    failures
}

/// The failures of both of section 3b's counts (cache off, cache on).
pub fn all_authorizer_failures(figures: &BenchFigures) -> Vec<String> {
    let mut failures = authorizer_failures(&figures.authorizer, &figures.policy);
    if let Some(cached) = &figures.authorizer_cached {
        failures.extend(authorizer_failures(cached, &figures.policy));
    }
    failures
}

/// Whole minutes the run took.
fn whole_minutes(count: &AuthorizerCount) -> u64 {
    (count.run_s / 60.0).floor() as u64
}

/// The most writes the run may make: the policy's per key per minute, the first request's included.
fn write_bound(count: &AuthorizerCount, policy: &Policy) -> u64 {
    policy.authorizer_writes_per_key_per_minute * (1 + whole_minutes(count))
}

/// With the cache on, the most index reads the run may make: one per TTL, the first request's included.
fn read_bound(count: &AuthorizerCount) -> u64 {
    1 + (count.run_s / count.cache_ttl_s).floor() as u64
}

/// Section 3b: the cache-off count, and the cache-on count when the run has it.
pub fn authorizer_counts(figures: &BenchFigures) -> String {
    let mut out = authorizer(&figures.authorizer, &figures.policy);
    if let Some(cached) = &figures.authorizer_cached {
        out.push_str(&authorizer(cached, &figures.policy));
    }
    out
}

/// One of section 3b's counts, with a **Failed** line when the bounds broke.
pub fn authorizer(count: &AuthorizerCount, policy: &Policy) -> String {
    let requests = count.requests;
    let reads: u64 = count.reads.values().sum();
    let writes: u64 = count.writes.values().sum();
    let minutes = whole_minutes(count);
    let write_bound = write_bound(count, policy);
    let shutdown_writes: u64 = count
        .at_shutdown
        .iter()
        .filter(|(operation, _)| !crate::is_read(operation))
        .map(|(_, n)| n)
        .sum();
    let per_request = |n: u64| n as f64 / requests.max(1) as f64;
    let cached = count.cache_ttl_s > 0.0;
    let (cache, read_bound, read_units) = if cached {
        (
            format!("the cache on (`AUTH_CACHE_TTL={}`)", count.cache_ttl_s),
            format!("≤ {} (1 + whole TTLs), all on the index", read_bound(count)),
            format!(
                "{:.4} per request (0.5 per index read, one per TTL for a busy key)",
                0.5 * per_request(count.index_queries)
            ),
        )
    } else {
        (
            "the cache off (`AUTH_CACHE_TTL=0`)".to_owned(),
            format!("exactly {}", requests * policy.authorizer_reads_per_request),
            "0.5 per request (one eventually consistent index read of an item under 4 KB)"
                .to_owned(),
        )
    };
    let mut section = format!(
        "\n### The authorizer: {requests} requests of one key on one instance, {cache} (counted on the wire)\n\n\
         One fresh `authorizer` process, no warm-up, `events/authorizer-allowed.json` (`GET /v1/memories`) \
         with a `read`-only key that no other request of the bench uses; every answer was \
         `isAuthorized: true` with the key's context. The {requests} requests took {:.1} s ({minutes} whole \
         minutes), so at most {write_bound} write(s). Then SIGTERM, as Lambda ends an instance.\n\n\
         | DynamoDB operations | count | per request | bound |\n|---|---|---|---|\n\
         | reads: `Query` on `{}` | {} | {:.4} | |\n\
         | reads in all ({}) | {reads} | {:.4} | {read_bound} |\n\
         | writes: the day's count + `last_used_at` ({}) | {writes} | {:.4} | ≤ {write_bound} ({} per key per minute: 1 + whole minutes) |\n\
         | at shutdown: the flush of the counts not yet written ({}) | {shutdown_writes} | | |\n\n\
         Read units: {read_units}; write units: 1 per single `UpdateItem` (items under 1 KB), so {} per key per \
         minute per instance. Usage of the key in the table after the flush: {} requests of {requests}{}.\n",
        count.run_s,
        count.index,
        count.index_queries,
        per_request(count.index_queries),
        describe_counts(&count.reads),
        per_request(reads),
        describe_counts(&count.writes),
        per_request(writes),
        policy.authorizer_writes_per_key_per_minute,
        describe_counts(&count.at_shutdown),
        policy.authorizer_writes_per_key_per_minute,
        count.usage_written,
        if count.clean_exit {
            ", the process exiting cleanly after SIGTERM"
        } else {
            ", but the process did not exit cleanly after SIGTERM"
        },
    );
    let failures = authorizer_failures(count, policy);
    if !failures.is_empty() {
        let _ = write!(section, "\n**Failed:** {}.\n", failures.join("; "));
    }
    section
}

fn peak_rss(figures: &BenchFigures) -> String {
    let mut out = String::from(
        "\n## 4. Peak RSS under load and package size\n\n| function | peak RSS (MiB) | target |\n|---|---|---|\n",
    );
    for row in &figures.peak_rss {
        let rss = row
            .peak_rss_kib
            .map(|kib| format!("{:.1}", kib as f64 / 1024.0))
            .unwrap_or_else(|| "n/a".to_owned());
        let _ = writeln!(
            out,
            "| {} | {rss} | ≤ {} MiB |",
            row.function, figures.policy.peak_rss_target_mib
        );
    }
    out
}

fn throughput(figures: &BenchFigures) -> String {
    let mut out = String::from(
        "\n## 5. Throughput of one function instance (one event at a time, as Lambda runs it)\n\n\
         | route | requests/s |\n|---|---|\n",
    );
    for row in &figures.throughput {
        let _ = writeln!(out, "| {} | {:.0} |", row.route, row.requests_per_s);
    }
    out
}

/// Write units of counted write operations: 1 per single `UpdateItem`/`PutItem` (items under 1 KB), 2 per
/// item of a transaction (counted as 2 items).
fn write_units(writes: &BTreeMap<String, u64>) -> u64 {
    writes
        .iter()
        .map(|(operation, n)| match operation.as_str() {
            "TransactWriteItems" => 4 * n,
            _ => *n,
        })
        .sum()
}

/// A load run's row of section 7.
fn load_row(label: &str, run: &LoadRun) -> String {
    format!(
        "| {label} | {} × {} | {} | {} | {} | {} | {} | {} | {:.0} | {} | {} | {} of {}{} |\n",
        run.instances,
        run.keys,
        run.requests,
        ms(run.p50_ms),
        ms(run.p99_ms),
        ms(run.billed_p50_ms),
        ms(run.billed_p99_ms),
        ms(run.billed_mean_ms),
        run.requests_per_s,
        run.index_queries,
        describe_counts(&run.writes),
        run.usage_written,
        run.requests,
        match (run.usage_written == run.requests, run.clean_exit) {
            (true, true) => ", exact",
            (false, _) => ", **not exact**",
            (true, false) => ", but an instance did not exit cleanly",
        },
    )
}

/// Write units per key-minute of a run whose instances each ran under a minute: its writes over
/// (instances × keys), as `2 WRU (2 UpdateItem)`.
fn per_key_minute(run: &LoadRun) -> String {
    let key_minutes = (run.instances * run.keys).max(1) as f64;
    let operations = describe(
        run.writes
            .iter()
            .map(|(operation, n)| format!("{} {operation}", trim(*n as f64 / key_minutes))),
    );
    format!(
        "{} WRU ({operations})",
        trim(write_units(&run.writes) as f64 / key_minutes)
    )
}

/// A count as BENCHMARKS.md gives it: whole when it is, else two decimals.
fn trim(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

/// Section 7 (issue 21), when the run has it.
fn authorizer_load(figures: &BenchFigures) -> String {
    let Some(load) = &figures.authorizer_load else {
        return String::new();
    };
    let targets = &figures.policy.targets;
    let AuthorizerLoad {
        warm_up,
        one_key,
        many_keys,
        busy_key,
        hello_peak_rss_kib,
        cache_full,
    } = load;
    let tail = many_keys.p50_ms / one_key.p50_ms;
    let mut out = format!(
        "\n## 7. The authorizer under load: the long tail, a busy key, the cache full\n\n\
         ### The long tail against one key, the cache off (`AUTH_CACHE_TTL=0`)\n\n\
         Fresh `authorizer` instances, each warmed by {warm_up} requests of another key, then, back to back, \
         either one key sending every request, or {} keys each sending one (every request's key due for its \
         usage write, made after the response by the usage extension); the two kinds taken in turn, {} \
         instances each, then SIGTERM. Latency: the event handed out to the response posted (what the caller \
         waits for). Billed: handed out to the instance ready for its next event (the response posted and the \
         extension back at `event/next`, from the emulator's timeline): what Lambda bills, since the write \
         happens after the response. Requests/s: per instance, back to back, so the after-response time \
         included. Writes and index reads: counted on the wire during the timed requests. Usage: the day's \
         requests of the run's keys added in the table once every instance ended.\n\n\
         | run | instances × keys | requests | p50 (ms) | p99 (ms) | billed p50 (ms) | billed p99 (ms) | \
         billed mean (ms) | requests/s | index reads | writes on the wire | usage after SIGTERM |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
        many_keys.keys, one_key.instances,
    );
    out.push_str(&load_row("one key", one_key));
    out.push_str(&load_row(
        "long tail: every request another key's",
        many_keys,
    ));
    let _ = write!(
        out,
        "\nLong-tail warm p50 / one-key warm p50: **{tail:.2}** (target ≤ {}): {}. Billed p50, long tail / \
         one key: {:.2}; requests/s per instance, long tail / one key: {:.2}: the usage write a due key costs \
         is paid after the response, in the billed time and the instance's throughput, not in the caller's \
         wait.\n",
        targets.long_tail_p50,
        verdict(tail, targets.long_tail_p50),
        many_keys.billed_p50_ms / one_key.billed_p50_ms,
        many_keys.requests_per_s / one_key.requests_per_s,
    );
    let _ = write!(
        out,
        "\nWrite units per key-minute, from the writes counted on the wire (each instance's run under a \
         minute, so one key-minute per key per instance): a busy key (one key, {} requests per instance): {}; \
         a key used less than once a minute (each of the long tail's keys, one request per instance): {}. \
         One single `UpdateItem` for the day's count and one for `last_used_at`: 2 WRU, where one \
         `TransactWriteItems` of the same two items was 4.\n",
        one_key.requests / one_key.instances.max(1) as u64,
        per_key_minute(one_key),
        per_key_minute(many_keys),
    );
    let busy = busy_key.p50_ms / busy_key.hello_p50_ms;
    let index_bound = 1 + (busy_key.run_s / busy_key.cache_ttl_s.max(f64::EPSILON)).floor() as u64;
    let _ = write!(
        out,
        "\n### One busy key, the cache on (`AUTH_CACHE_TTL` default, {} s), against hello\n\n\
         One warm `authorizer` instance and one warm `hello`, their requests taken in turn ({warm_up} warm-up \
         each, then {} timed each), one key sending every authorizer request.\n\n\
         | | p50 (ms) | p99 (ms) |\n|---|---|---|\n\
         | authorizer, one busy key, cache on | {} | {} |\n\
         | hello (baseline) | {} | {} |\n\
         | ratio | **{busy:.2}** | {:.2} |\n\n\
         Authorizer warm p50 / hello warm p50: {busy:.2} (target ≤ {}): {}. Index reads on the wire: {} for \
         {} requests in {:.1} s ({:.4} per request; bound ≤ {index_bound}, 1 + whole seconds: {}).\n",
        busy_key.cache_ttl_s,
        busy_key.requests,
        ms(busy_key.p50_ms),
        ms(busy_key.p99_ms),
        ms(busy_key.hello_p50_ms),
        ms(busy_key.hello_p99_ms),
        busy_key.p99_ms / busy_key.hello_p99_ms,
        targets.busy_key_vs_hello_p50,
        verdict(busy, targets.busy_key_vs_hello_p50),
        busy_key.index_queries,
        busy_key.counted_requests,
        busy_key.run_s,
        busy_key.index_queries as f64 / busy_key.counted_requests.max(1) as f64,
        if busy_key.index_queries <= index_bound { "within" } else { "**broken**" },
    );
    let mib = |kib: Option<u64>| {
        kib.map(|kib| format!("{:.1}", kib as f64 / 1024.0))
            .unwrap_or_else(|| "n/a".to_owned())
    };
    let rss = match (cache_full.peak_rss_kib, hello_peak_rss_kib) {
        (Some(full), Some(hello)) => {
            let ratio = full as f64 / (*hello).max(1) as f64;
            format!(
                "**{ratio:.2}** (target ≤ {}): {}",
                targets.peak_rss,
                verdict(ratio, targets.peak_rss)
            )
        }
        _ => "not measured (no /proc/PID/status)".to_owned(),
    };
    let one_key_rss = figures
        .peak_rss
        .iter()
        .find(|row| row.function == "authorizer")
        .and_then(|row| row.peak_rss_kib);
    let _ = write!(
        out,
        "\n### Peak RSS with the cache full\n\n\
         One `authorizer` instance with `AUTH_CACHE_TTL={}` sent one request with each of {} distinct keys (all \
         kept), then its VmHWM read as section 4 reads it; hello's after the requests above.\n\n\
         | | peak RSS (MiB) |\n|---|---|\n\
         | authorizer, {} keys kept | {} |\n\
         | authorizer, one key (section 4) | {} |\n\
         | hello (baseline) | {} |\n\n\
         Peak RSS / hello's: {rss}.\n\n\
         Where the misses come from, as far as this run shows: the authorizer's peak RSS with one key is already \
         {one_key_ratio} hello's (the SDK's client with its TLS roots and connection pool, the tokio runtime), and \
         each kept key adds about {per_key} KiB (the key item as read, with its strings, and the map's slot); \
         init carries what the cold-start floor leaves out (the SDK client's set-up, reading the configuration, \
         the logging and metrics set-up, and, since usage is written after the response, the usage \
         extension's registration with the Runtime API, one more round trip); the long tail's p50 and the one \
         key's differ by a fraction of a millisecond, measured once, 900 requests each, on a shared machine under \
         load, so that ratio may move from run to run. Not closed in this change.\n",
        cache_full.cache_ttl_s,
        cache_full.cache_keys,
        cache_full.cache_keys,
        mib(cache_full.peak_rss_kib),
        mib(
            figures
                .peak_rss
                .iter()
                .find(|row| row.function == "authorizer")
                .and_then(|row| row.peak_rss_kib)
        ),
        mib(*hello_peak_rss_kib),
        one_key_ratio = match (one_key_rss, hello_peak_rss_kib) {
            (Some(one), Some(hello)) => format!("{:.1}×", one as f64 / (*hello).max(1) as f64),
            _ => "n/a ×".to_owned(),
        },
        per_key = match (cache_full.peak_rss_kib, one_key_rss) {
            (Some(full), Some(one)) if cache_full.cache_keys > 0 => format!(
                "{:.1}",
                full.saturating_sub(one) as f64 / cache_full.cache_keys as f64
            ),
            _ => "n/a".to_owned(),
        },
    );
    out
}

/// Where a section of issue 22 was measured: in the run above, or on its own.
fn measured_where(alone: Option<&AloneRun>, run: &crate::figures::RunInfo) -> String {
    match alone {
        None => "Measured in the same run as the sections above.".to_owned(),
        Some(AloneRun {
            run: own,
            load_average,
        }) => format!(
            "Measured on its own (`bench leak`, sections 8 and 9 alone) on {} ({} cores, {} GiB, {}, {}), \
             load average {load_average} at its start: a shared 2-core machine, others' builds running; not in \
             the run of {} the sections above come from, so set its figures against its own baselines only.",
            own.date, own.cores, own.memory_gib, own.arch, own.rustc, run.date
        ),
    }
}

/// Operations one report of `section`'s mix costs by the per-token model: (index `Query`, `GetItem`,
/// `TransactWriteItems`).
fn leak_model(section: &LeakSection) -> (u64, u64, u64) {
    let (ours, unknown) = (section.ours as u64, section.unknown as u64);
    (ours + unknown, 2 * ours, ours)
}

/// What broke section 8's model, for one kind of report: its operations not exactly the model's for its
/// tokens (every round's added up), its labels not one per token as the mix says, the keys document fetched
/// other than once per fresh function. Empty: it held.
fn report_failures(
    name: &str,
    section: &LeakSection,
    run: &ReportRun,
    fetches: u64,
) -> Vec<String> {
    let rounds = section.rounds as u64;
    let (queries, gets, transactions) = leak_model(section);
    let expected = BTreeMap::from([
        ("Query".to_owned(), rounds * queries),
        ("GetItem".to_owned(), rounds * gets),
        ("TransactWriteItems".to_owned(), rounds * transactions),
    ]);
    let counted: BTreeMap<String, u64> = run
        .operations
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(operation, n)| (operation.clone(), *n))
        .collect();
    let mut failures = Vec::new();
    if counted != expected || run.index_queries != rounds * queries {
        failures.push(format!(
            "leak response, {name}: {} ({} `Query` on the key-hash index) over {rounds} round(s), not the model's {}",
            describe_counts(&counted),
            run.index_queries,
            describe_counts(&expected)
        ));
    }
    let (true_expected, false_expected) = (
        rounds * section.ours as u64,
        rounds * (section.unknown + section.foreign) as u64,
    );
    if run.true_positives != true_expected || run.false_positives != false_expected {
        failures.push(format!(
            "leak response, {name}: {} true_positive and {} false_positive, not {true_expected} and {false_expected}",
            run.true_positives, run.false_positives
        ));
    }
    if run.keys_fetches != fetches {
        failures.push(format!(
            "leak response, {name}: the keys document fetched {} time(s), not {fetches}",
            run.keys_fetches
        ));
    }
    failures
}

/// What broke section 8's model (every kind of report) and section 9's check (the listed key refused from
/// outside its list). Empty: they held, or the run has neither.
pub fn issue22_failures(figures: &BenchFigures) -> Vec<String> {
    let mut failures = Vec::new();
    if let Some(section) = &figures.leak {
        let rounds = section.rounds as u64;
        failures.extend(report_failures(
            "first report",
            section,
            &section.cold,
            rounds,
        ));
        failures.extend(report_failures("second report", section, &section.warm, 0));
        failures.extend(report_failures(
            "one-token reports",
            section,
            &section.one_by_one,
            0,
        ));
    }
    if let Some(section) = &figures.allowlist {
        if !section.outside_refused {
            failures.push(
                "allowlist: the listed key was let in from an address outside its list".to_owned(),
            );
        }
    }
    failures
}

/// A report kind's row of section 8.
fn report_row(label: &str, run: &ReportRun, section: &LeakSection) -> String {
    let tokens = section.ours + section.unknown + section.foreign;
    format!(
        "| {label} | {} | {}–{} | {:.1} | {} | {} | {} / {} | {} |\n",
        ms(run.median_ms),
        ms(run.min_ms),
        ms(run.max_ms),
        run.median_ms / section.account_p50_ms.max(f64::EPSILON),
        ms(run.median_ms / tokens.max(1) as f64),
        run.keys_fetches,
        run.true_positives,
        run.false_positives,
        describe_counts(&run.operations),
    )
}

/// Section 8 (issue 22), when the run has it.
pub fn leak(figures: &BenchFigures) -> String {
    let Some(section) = &figures.leak else {
        return String::new();
    };
    let LeakSection {
        rounds,
        ours,
        unknown,
        foreign,
        lookups_at_once,
        ..
    } = section;
    let tokens = ours + unknown + foreign;
    let (queries, gets, transactions) = leak_model(section);
    // Read units: 0.5 per eventually consistent index read, 1 per strongly consistent GetItem; write units:
    // 2 per item of a transaction, two items (the key, its event), three for the admin key (the
    // organisation's admin_revocations counter too).
    let read_units = 0.5 * queries as f64 + gets as f64;
    let write_units = 4 * (*ours as u64).saturating_sub(1) + 6;
    let mut out = format!(
        "\n## 8. The leak response: a GitHub secret-scanning report of {tokens} tokens, half of them ours\n\n\
         {}\n\n\
         `POST /v1/secret-scanning/github` in process: the function's `handle` with its `Service` built as its \
         `main` builds it, inside the `bench` binary ({} build, its multi-threaded tokio runtime; the \
         function's `main` runs a current-thread one, and at its 128 MB a Lambda instance has a fraction of a \
         vCPU, see section 6), on the bench's table through the counting proxy. GitHub's public keys document \
         (the TEST-ONLY one of `dev/secret-scanning/`) is served over HTTP by the tests' loopback stand-in, at \
         the URL `SECRET_SCANNING_KEYS_URL` would hold; each report is signed with the TEST-ONLY key as GitHub \
         signs. A report: {ours} tokens of ours (every live key of one organisation: its admin key and {} \
         `read` keys), {unknown} well-formed keys of our format (checksum right) that no key has, {foreign} \
         tokens of another format (`ghp_…`), interleaved. {rounds} rounds, each with three fresh \
         organisations and a fresh function (nothing fetched): {} warm `GET /v1/account` of the first \
         organisation's admin key in process on the same table, after as many for warm-up (the baseline); \
         the first report (the keys document fetched: cold cache); a second report of {tokens} fresh tokens \
         (the second organisation's keys; the document cached); the third organisation's mix as {tokens} \
         one-token reports, one after another (cached). Time: the handler's calls, from the request to its \
         response (the report signed and the request built before), all of a round's reports; median over \
         the rounds. The report's {lookups_at_once} lookups at once (`LEAK_LOOKUPS_AT_ONCE`) run inside the \
         one request.\n\n\
         | report | time (ms), median | least–most (ms) | / `GET /v1/account` p50 | per token (ms) | keys \
         document fetches | true / false positives | operations on the wire (all rounds) |\n\
         |---|---|---|---|---|---|---|---|\n",
        measured_where(section.alone.as_ref(), &figures.run),
        section.build_profile,
        ours.saturating_sub(1),
        section.account_requests / rounds.max(&1),
    );
    out.push_str(&report_row(
        "first: keys document fetched (cold cache)",
        &section.cold,
        section,
    ));
    out.push_str(&report_row(
        &format!("second: {tokens} fresh tokens, keys cached"),
        &section.warm,
        section,
    ));
    out.push_str(&report_row(
        &format!("{tokens} one-token reports in turn, keys cached"),
        &section.one_by_one,
        section,
    ));
    let _ = writeln!(
        out,
        "| `GET /v1/account` (baseline), p50 of {} | {} | p99 {} | 1.0 | | | | |",
        section.account_requests,
        ms(section.account_p50_ms),
        ms(section.account_p99_ms),
    );
    let _ = write!(
        out,
        "\nA report of {tokens} tokens, the keys cached / one warm `GET /v1/account`: **{:.1}** (the first, \
         the document fetched: {:.1}); / the same mix as {tokens} one-token reports in turn: **{:.2}** (what \
         one request with {lookups_at_once} lookups at once saves over a report per token, each its own \
         signature check and its lookups one after another. Far from sixteenfold: DynamoDB Local runs on \
         the same two shared cores, and each token of ours costs it a transaction and three reads; on \
         DynamoDB each is a network round trip, and those overlap: not measured here). First \
         report / second: {:.2}: the keys document's fetch from loopback is lost in the rounds' spread \
         (least–most above); from GitHub it is one HTTPS round trip more, once per instance. Against the functions' 10 s Lambda timeout (template.yaml), the cached report took {:.1} % of it \
         here.\n",
        section.warm.median_ms / section.account_p50_ms.max(f64::EPSILON),
        section.cold.median_ms / section.account_p50_ms.max(f64::EPSILON),
        section.warm.median_ms / section.one_by_one.median_ms.max(f64::EPSILON),
        section.cold.median_ms / section.warm.median_ms.max(f64::EPSILON),
        section.warm.median_ms / 100.0,
    );
    let _ = write!(
        out,
        "\nThe cost model, per token: not of our format, or its checksum wrong: no operation; well-formed but \
         no key has its hash: one `Query` on the key-hash index (0.5 read unit, eventually consistent); ours: \
         `Query` on the index, `GetItem` of the key's base item (the index's copy may lag: 1 read unit, \
         strongly consistent), `TransactWriteItems` of the revocation and its `api_key.leaked` event (2 items, \
         4 write units; a staying admin key's also bumps the organisation's `admin_revocations` counter: 3 \
         items, 6), `GetItem` of the revoked key read back (1). A report of {ours} ours, {unknown} unknown and \
         {foreign} foreign: **{queries} `Query` + {gets} `GetItem` + {transactions} `TransactWriteItems`**, \
         nothing else; {read_units} read units and {write_units} write units (items under 1 KB; the admin key \
         among ours). The bound: every kind of report's counts on the wire, over the {rounds} rounds, exactly \
         the model's (any other operation, or one more, fails the run), one label per token as the mix says, \
         and the keys document fetched once per fresh function and never when cached: "
    );
    let failures = issue22_failures(figures)
        .into_iter()
        .filter(|failure| failure.starts_with("leak"))
        .collect::<Vec<_>>();
    if failures.is_empty() {
        out.push_str("held.\n");
    } else {
        let _ = write!(out, "broken.\n\n**Failed:** {}.\n", failures.join("; "));
    }
    out
}

/// Section 9 (issue 22), when the run has it.
pub fn allowlist(figures: &BenchFigures) -> String {
    let Some(section) = &figures.allowlist else {
        return String::new();
    };
    let last = section.allowed_ips.last().map(String::as_str).unwrap_or("");
    let mut out = format!(
        "\n## 9. The authorizer with an IP allowlist on the key\n\n\
         {}\n\n\
         The built `authorizer` binary (release, as sections 2 and 7 run it) behind the emulated Runtime API, \
         `events/authorizer-allowed.json` (its `requestContext.http.sourceIp` is {}); two `read` keys of one \
         organisation: one with no allowlist, one with {} entries, IPv4 and IPv6 addresses and CIDR blocks, \
         the source address inside the last one only (`{last}`), so every entry is tried: `{}`. On one warm \
         instance, {} warm-up and {} timed requests of each key, taken in turn; once with the cache off \
         (every request reads the key, its list parsed with it), once at the cache's default TTL (a cached \
         key's list is checked on every request too).\n\n\
         | cache | no allowlist p50 (ms) | p99 (ms) | {} entries p50 (ms) | p99 (ms) | p50 ratio | p99 ratio |\n\
         |---|---|---|---|---|---|---|\n",
        measured_where(section.alone.as_ref(), &figures.run),
        section.source_ip,
        section.allowed_ips.len(),
        section.allowed_ips.join("`, `"),
        section.warm_up,
        section.requests,
        section.allowed_ips.len(),
    );
    let mut ratios = Vec::new();
    for row in &section.rows {
        let ratio = row.listed_p50_ms / row.plain_p50_ms.max(f64::EPSILON);
        let cache = if row.cache_ttl_s > 0.0 {
            format!("on (`AUTH_CACHE_TTL={}`)", row.cache_ttl_s)
        } else {
            "off (`AUTH_CACHE_TTL=0`)".to_owned()
        };
        let _ = writeln!(
            out,
            "| {cache} | {} | {} | {} | {} | **{ratio:.2}** | {:.2} |",
            ms(row.plain_p50_ms),
            ms(row.plain_p99_ms),
            ms(row.listed_p50_ms),
            ms(row.listed_p99_ms),
            row.listed_p99_ms / row.plain_p99_ms.max(f64::EPSILON),
        );
        ratios.push(format!(
            "{ratio:.2} with the cache {}",
            if row.cache_ttl_s > 0.0 { "on" } else { "off" }
        ));
    }
    let _ = write!(
        out,
        "\nWarm p50 with the list / without: {} (expected ≈ 1: the check is at most {} comparisons of one \
         parsed address, against a request's DynamoDB read or cache lookup; no target set). The listed key \
         sent from 192.0.2.200, outside its list: {}.\n",
        ratios.join(", "),
        section.allowed_ips.len(),
        if section.outside_refused {
            "refused on both instances"
        } else {
            "**let in** (failed)"
        },
    );
    out
}

/// One size of one function with its cost per million requests.
struct Costed<'r> {
    row: &'r SizeRow,
    /// Lambda's duration charge, and that plus everything else.
    duration: f64,
    total: f64,
}

/// The memory-size rule's pick among `rows` (sizes ascending): among the sizes whose warm p99 is within
/// `budget_ms`, the cheapest, and of sizes that cost within `same_cost` of it the smallest; when no size is
/// within the budget, the one with the lowest warm p99.
fn pick(rows: &[Costed], budget_ms: f64, same_cost: f64) -> Option<u32> {
    let within: Vec<&Costed> = rows
        .iter()
        .filter(|costed| costed.row.warm_p99_ms <= budget_ms)
        .collect();
    if within.is_empty() {
        return rows
            .iter()
            .min_by(|a, b| a.row.warm_p99_ms.total_cmp(&b.row.warm_p99_ms))
            .map(|costed| costed.row.memory_mb);
    }
    let cheapest = within
        .iter()
        .map(|costed| costed.total)
        .fold(f64::INFINITY, f64::min);
    within
        .into_iter()
        .filter(|costed| costed.total <= cheapest + same_cost)
        .map(|costed| costed.row.memory_mb)
        .min()
}

/// The functions of section 6 in the order measured.
fn functions_in_order(section: &MemorySizeSection) -> Vec<&str> {
    let mut functions: Vec<&str> = Vec::new();
    for row in &section.rows {
        if !functions.contains(&row.function.as_str()) {
            functions.push(&row.function);
        }
    }
    functions
}

/// Section 6 (`bench memory` prints it alone, with section 3).
pub fn memory_sizes(section: Option<&MemorySizeSection>, policy: &Policy) -> String {
    let Some(section) = section else {
        return "\n## 6. Memory size under Lambda's CPU model\n\nNot measured: it needs root and the cgroup \
                v1 `cpu` controller at /sys/fs/cgroup/cpu.\n"
            .to_owned();
    };
    let mut out = memory_table(section, policy);
    let _ = write!(
        out,
        "\nOver TLS: the terminator completed {} handshakes for the {} instances of the functions that reach \
         DynamoDB (about one connection per instance, kept open between requests).\n",
        section.tls_handshakes, section.instances_reaching_dynamodb
    );
    out.push_str(&connection_table(section, policy));
    out
}

/// The power-tuning table: every function at every size, with the rule's pick and template.yaml's size.
fn memory_table(section: &MemorySizeSection, policy: &Policy) -> String {
    let samples = &section.samples;
    let prices = &policy.prices;
    let mut out = format!(
        "\n## 6. Memory size under Lambda's CPU model, DynamoDB over TLS\n\n\
         Lambda gives a function memory / {one_vcpu} MB of one vCPU. Here each function process is held to \
         that share by a cgroup (v1 `cpu`, period {period} ms, quota share × period), moved in at its first \
         request for work: init runs unthrottled (on AWS init gets more CPU than a small function's \
         invocations) and every invocation at the share. DynamoDB is reached over TLS as on AWS: \
         `https://localhost:PORT`, a TLS terminator (a throwaway test CA made for the run, trusted by the \
         functions through `DYNAMODB_TLS_ROOTS=file:...`) in front of the counting proxy and DynamoDB Local.\n\n\
         Samples: cold start, the median of {cold} fresh processes per function and size (init + first \
         request, in the store's default connection mode); warm, {requests} requests back to back on one \
         instance after {warm_up} warm-up, and their mean CPU time (cgroup `cpuacct`); lone, {lone} requests \
         per instance, each after {pause:.1} s with nothing to do (so their p99 is their maximum). Billed: the \
         mean of the warm requests' durations, each rounded up to the next ms, as Lambda bills.\n\n\
         Cost per million requests, {prices}. DynamoDB units per request as in section 3 (the usage writes, \
         two single writes per key per minute per instance, left out); for the authorizer the HTTP API charge is the \
         guarded request's, which it adds nothing to. The charge for init (once per cold start) is left out. \
         This machine's x86 core is not a Graviton core and DynamoDB Local is not DynamoDB: the times are a \
         model of Lambda's, to compare sizes with, not a forecast.\n\n\
         | function | memory (MB) | CPU share | cold start (ms) | warm p50 (ms) | warm p99 (ms) | lone p50 (ms) | \
         lone p99 (ms) | CPU per request (ms) | billed (ms) | Lambda duration $/M | total $/M |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
        one_vcpu = section.one_vcpu_mb,
        period = section.period_ms,
        cold = samples.cold_runs,
        requests = samples.requests,
        warm_up = samples.warm_up,
        lone = samples.lone,
        pause = samples.pause_s,
        prices = prices.statement(),
    );
    let mut picks = String::new();
    // Lambda's duration charge as a share of the total, at each function's chosen size.
    let mut duration_shares = Vec::new();
    for function in functions_in_order(section) {
        let rows: Vec<Costed> = section
            .rows
            .iter()
            .filter(|row| row.function == function)
            .map(|row| {
                let duration = prices.duration_per_million(row.billed_ms, row.memory_mb);
                let fixed = prices.fixed_per_million(row.read_units, row.write_units);
                Costed {
                    row,
                    duration,
                    total: duration + fixed,
                }
            })
            .collect();
        let budget = policy.budgets.iter().find(|b| b.function == function);
        let (limit_ms, why) = budget
            .map(|b| (b.warm_p99_ms as f64, b.why.as_str()))
            .unwrap_or((f64::INFINITY, ""));
        let picked = pick(&rows, limit_ms, policy.same_cost_per_million);
        let chosen = policy.template_memory_mb.get(function).copied();
        for costed in &rows {
            let row = costed.row;
            let bold = |size: Option<u32>| {
                if size == Some(row.memory_mb) {
                    "**"
                } else {
                    ""
                }
            };
            let (chosen_mark, picked_mark) = (bold(chosen), bold(picked));
            let _ = writeln!(
                out,
                "| {function} | {chosen_mark}{}{chosen_mark} | {:.1} % | {} | {} | {} | {} | {} | {} | {:.2} | \
                 {:.4} | {picked_mark}{:.4}{picked_mark} |",
                row.memory_mb,
                row.cpu_share * 100.0,
                ms(row.cold_default.total_ms),
                ms(row.warm_p50_ms),
                ms(row.warm_p99_ms),
                ms(row.lone_p50_ms),
                ms(row.lone_p99_ms),
                ms(row.cpu_per_request_ms),
                row.billed_ms,
                costed.duration,
                costed.total,
            );
        }
        // The trade-off around template.yaml's size: what one size less and one size more would give.
        let at = rows
            .iter()
            .position(|costed| Some(costed.row.memory_mb) == chosen);
        if let Some(costed) = at.and_then(|index| rows.get(index)) {
            duration_shares.push(costed.duration / costed.total);
        }
        let neighbour = |index: Option<usize>| {
            let (chosen_row, other) = (rows.get(at?)?, rows.get(index?)?);
            Some(format!(
                "{} MB: p99 {} ms, {:+.4} $/M",
                other.row.memory_mb,
                ms(other.row.warm_p99_ms),
                other.total - chosen_row.total
            ))
        };
        let chosen_figures = at.and_then(|index| rows.get(index)).map(|costed| {
            let row = costed.row;
            format!(
                "p50 {} / p99 {} ms, lone p50 {} ms",
                ms(row.warm_p50_ms),
                ms(row.warm_p99_ms),
                ms(row.lone_p50_ms)
            )
        });
        let _ = writeln!(
            picks,
            "| {function} | {} ms: {why} | {} | {} | {} | {} | {} |",
            budget
                .map(|b| b.warm_p99_ms.to_string())
                .unwrap_or_default(),
            picked.map(|m| m.to_string()).unwrap_or_default(),
            match (chosen, chosen == picked) {
                (Some(size), true) => size.to_string(),
                (Some(size), false) => format!("**{size}** (not the rule's pick)"),
                (None, _) => "?".to_owned(),
            },
            chosen_figures.unwrap_or_default(),
            neighbour(at.and_then(|index| index.checked_sub(1))).unwrap_or_else(|| "–".to_owned()),
            neighbour(at.map(|index| index + 1)).unwrap_or_else(|| "–".to_owned()),
        );
    }
    let _ = write!(
        out,
        "\nIn bold: template.yaml's size (memory column) and the rule's pick (total column). The rule: the \
         cheapest size per million requests whose warm p99 stays within what a user of the function would \
         accept (below); costs less than ${} per million apart count as the same (the run-to-run noise), and \
         then the smaller size is taken, whose cold starts cost less (init is billed too); when no size is \
         within, the fastest. Cost is taken from requests back to back because that is when it adds up: an \
         instance kept busy. The lone requests show what a user of a quiet service waits. Around each chosen \
         size, what one size less and one size more would give (cost per million against the chosen size's).\n\n\
         | function | warm p99 accepted | rule's pick (MB) | template.yaml (MB) | there | one size less | \
         one size more |\n|---|---|---|---|---|---|---|\n{picks}",
        policy.same_cost_per_million
    );
    let (least, most) = duration_shares
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(least, most), share| {
            (least.min(*share), most.max(*share))
        });
    // The quota per period of the three smallest sizes measured.
    let mut sizes: Vec<(u32, f64)> = section
        .rows
        .iter()
        .map(|row| (row.memory_mb, row.cpu_share))
        .collect();
    sizes.sort_by_key(|(memory_mb, _)| *memory_mb);
    sizes.dedup_by_key(|(memory_mb, _)| *memory_mb);
    let quotas: Vec<String> = sizes
        .iter()
        .take(3)
        .map(|(memory_mb, share)| format!("{memory_mb} MB {:.2} ms", share * section.period_ms))
        .collect();
    let _ = write!(
        out,
        "\nThe trade-off. At the chosen sizes Lambda's duration is {:.1} to {:.1} % of the cost per million \
         requests: API Gateway's ${:.2} and Lambda's ${:.2} per million do not depend on the size, DynamoDB's \
         units depend on the route. So the memory size moves latency far more than the bill, and a size \
         that is faster for about the same cost is worth taking. What makes the small sizes slow is the \
         quota per {} ms period ({}): once the requests of a period have spent it, the function waits for \
         the next one, which shows as a warm p99 of about 20 ms (a p50 of about 20 ms when one request \
         needs more than the quota) and as more billed time. Functions that do little per request (health, \
         dashboard) rarely wait and are cheapest at 128 MB. Those that sign DynamoDB calls and parse the \
         answers (account, api-keys, the authorizer: the CPU column) wait often at 128 and 256 MB, and at \
         512 MB cost about the same per request while answering in a few ms. A request after a pause (lone) \
         starts with a full quota, so at the small sizes it waits less than one in a busy stream.\n",
        least * 100.0,
        most * 100.0,
        prices.http_api_per_million_requests,
        prices.lambda_per_million_requests,
        section.period_ms,
        quotas.join(", ")
    );
    out
}

/// The median of `values` (the upper one of an even count), 0 when there are none.
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or_default()
}

/// Cold starts with the DynamoDB connection opened during init and at the first request, side by side,
/// and what the store's default makes of them.
fn connection_table(section: &MemorySizeSection, policy: &Policy) -> String {
    let mut out = format!(
        "\n### Opening the DynamoDB connection during init, or at the first request\n\n\
         `DYNAMODB_CONNECT_AT_INIT=1` makes `Store::connect` send one eventually consistent `GetItem` of a key \
         that cannot exist during init, opening the connection (DNS, TCP, TLS) and running the SDK's \
         first-request set-up there: 0.5 read unit, ${} per cold start. `0` leaves it all to the \
         first request, which pays it at the throttled share. Unset, the store connects at init below {} MB \
         (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, set by Lambda). Medians of {} fresh processes each, in ms; the \
         first request's CPU time from the cgroup (`cpuacct`). Either way the key's usage is \
         written after the first request's response (two single updates, by the usage extension), not in it.\n\n\
         | function | memory (MB) | at first request: init | first request (CPU) | cold start | at init: init | \
         first request (CPU) | cold start | at init − at first request |\n|---|---|---|---|---|---|---|---|---|\n",
        format_price(0.5 * policy.prices.dynamodb_per_million_read_units / 1e6),
        policy.connect_at_init_below_mb,
        section.samples.cold_runs
    );
    // Both modes of each function that reaches DynamoDB, by size.
    let pairs: Vec<(&SizeRow, ColdMedians, ColdMedians)> = section
        .rows
        .iter()
        .filter_map(|row| Some((row, row.cold_at_first_request?, row.cold_at_init?)))
        .collect();
    // By size: in how many functions connecting at init was faster, and the median difference; and over
    // every pair, how much CPU the first request saved and how much longer init took.
    let mut by_size: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    let mut default_at_init: BTreeMap<u32, bool> = BTreeMap::new();
    let (mut cpu_saved, mut init_added, mut spreads) = (Vec::new(), Vec::new(), Vec::new());
    for (row, lazy, eager) in &pairs {
        spreads.extend([lazy.spread_ms, eager.spread_ms]);
        let difference = eager.total_ms - lazy.total_ms;
        by_size.entry(row.memory_mb).or_default().push(difference);
        default_at_init.insert(row.memory_mb, row.connects_at_init_by_default);
        cpu_saved.push((lazy.first_cpu_ms - eager.first_cpu_ms).max(0.0));
        init_added.push((eager.init_ms - lazy.init_ms).max(0.0));
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} ({}) | {} | {} | {} ({}) | {} | {:+.3} |",
            row.function,
            row.memory_mb,
            ms(lazy.init_ms),
            ms(lazy.first_ms),
            ms(lazy.first_cpu_ms),
            ms(lazy.total_ms),
            ms(eager.init_ms),
            ms(eager.first_ms),
            ms(eager.first_cpu_ms),
            ms(eager.total_ms),
            difference
        );
    }
    // Per size: (functions for which connecting at init was faster, functions, median difference in ms).
    let summary: BTreeMap<u32, (usize, usize, f64)> = by_size
        .into_iter()
        .map(|(memory_mb, mut differences)| {
            let faster = differences.iter().filter(|d| **d < 0.0).count();
            let functions = differences.len();
            (memory_mb, (faster, functions, median(&mut differences)))
        })
        .collect();
    out.push_str(
        "\n| memory (MB) | connecting at init faster for | median difference (ms) | the store's default |\n\
         |---|---|---|---|\n",
    );
    let default_mode = |memory_mb: u32| {
        if default_at_init.get(&memory_mb).copied().unwrap_or(false) {
            "at init"
        } else {
            "at the first request"
        }
    };
    for (memory_mb, (faster, functions, median)) in &summary {
        let _ = writeln!(
            out,
            "| {memory_mb} | {faster} of {functions} functions | {median:+.3} | {} |",
            default_mode(*memory_mb)
        );
    }
    let at = |memory_mb: u32| {
        summary
            .get(&memory_mb)
            .map(|(faster, functions, median)| {
                format!(
                    "at {memory_mb} MB connecting at init was faster for {faster} of {functions} \
                     functions (median {median:+.1} ms)"
                )
            })
            .unwrap_or_else(|| format!("{memory_mb} MB was not measured"))
    };
    // How each function that reaches DynamoDB opens its connection at template.yaml's size, and what
    // connecting at init measured there against connecting at the first request.
    let at_template_sizes: Vec<String> = pairs
        .iter()
        .filter(|(row, _, _)| policy.template_memory_mb.get(&row.function) == Some(&row.memory_mb))
        .map(|(row, lazy, eager)| {
            let mode = if row.connects_at_init_by_default {
                "connects at init"
            } else {
                "connects at the first request"
            };
            format!(
                "{} ({} MB) {mode}, at init {:+.1} ms",
                row.function,
                row.memory_mb,
                eager.total_ms - lazy.total_ms
            )
        })
        .collect();
    let _ = write!(
        out,
        "\nThe decision. Opening the connection at init takes about {} ms of CPU (median) off the first \
         request, and adds to init that CPU at full speed plus one round trip to DynamoDB: {} ms here \
         (median). Measured: {}; {}; {}. DynamoDB Local answers on loopback in about a millisecond (section \
         2's raw reads), DynamoDB answers a Lambda function in a few, so on AWS the round trip at init costs \
         more than here and the balance tips further toward the first request. The store connects at init \
         below {} MB by default, where the throttled share makes the saving largest, and at the first \
         request from there on. At template.yaml's sizes: {}. For scale: the cold starts of one function, \
         size and mode spread over {} ms between fresh processes (median interquartile range), so a difference \
         of a ms or two for one function is within the noise.\n",
        ms(median(&mut cpu_saved)),
        ms(median(&mut init_added)),
        at(128),
        at(256),
        at(512),
        policy.connect_at_init_below_mb,
        at_template_sizes.join("; "),
        ms(median(&mut spreads)),
    );
    out
}

/// A price in dollars with its significant digits and no exponent: `0.0000000625`.
fn format_price(dollars: f64) -> String {
    let text = format!("{dollars:.12}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// The sections scripts/bench.sh measures with valgrind, `init_steps` and the Lambda zips.
fn tool_sections(tools: &ToolFigures, policy: &Policy) -> String {
    let mut out = format!(
        "\n### Where init goes: building the DynamoDB client (median of {} fresh processes)\n\n\
         | trust store | aws-config load + client (ms) |\n|---|---|\n\
         | the system's CA bundle (rustls-native-certs) | {} |\n\
         | the five AWS roots compiled in (what the functions use) | {} |\n\n\
         ### Where init goes: instructions of init alone (callgrind; start to the first request for work)\n\n\
         Each function runs with its template.yaml `MemorySize`; a function small enough to open its DynamoDB\n\
         connection during init (one `GetItem`, section 6) has that in its count.\n\n\
         | binary | instructions | / hello | of which the dynamic loader's relocations |\n|---|---|---|---|\n",
        tools.client_runs,
        ms(tools.client_native_ms),
        ms(tools.client_aws_roots_ms)
    );
    let hello = tools
        .init_instructions
        .first()
        .map(|row| row.instructions)
        .unwrap_or(1)
        .max(1);
    for row in &tools.init_instructions {
        let _ = writeln!(
            out,
            "| {} | {} | {:.2} | {} |",
            row.binary,
            row.instructions,
            row.instructions as f64 / hello as f64,
            row.relocations
        );
    }
    let requests = tools.profile_requests.max(1);
    let _ = write!(
        out,
        "\nOf the account function's {} init instructions (profiling build, same code with symbols):\n\
         {} parse the AWS SDK's built-in partition table (JSON and region regexes):\n\
         `Client::from_conf` forces it, whatever endpoint is configured, and no setting skips it;\n\
         {} decode the five embedded AWS root CAs from PEM (the SDK's trust store takes PEM only);\n\
         the rest is the SDK's client assembly, the bigger binary's relocations and the same runtime start as hello.\n\n\
         ### Where the time goes: callgrind, account function, init + {} warm `GET /v1/account`\n\n\
         {} instructions in all, about {} per request with init spread over them.\n\
         SigV4 signing of the two DynamoDB calls per request takes {:.2}% of all instructions (inclusive),\n\
         which is why SHA-256 leads the self costs below: the AWS SDK's own work, which no handler can skip.\n\
         Self cost by function (instruction counts are repeatable, unlike times):\n\n```\n{}\n```\n\n\
         ### Package size (arm64, zipped, as Lambda receives it)\n\n\
         | function | bootstrap.zip | target |\n|---|---|---|\n",
        tools.account_init_instructions,
        tools.partitions_instructions,
        tools.pem_instructions,
        tools.profile_requests,
        tools.profile_instructions,
        tools.profile_instructions / requests,
        100.0 * tools.sigv4_instructions as f64 / tools.profile_instructions.max(1) as f64,
        tools.self_cost.join("\n"),
    );
    for row in &tools.package_bytes {
        let _ = writeln!(
            out,
            "| {} | {:.2}MiB | ≤ {} MiB |",
            row.function,
            row.bytes as f64 / (1024.0 * 1024.0),
            policy.package_target_mib
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::*;

    fn cold(total_ms: f64) -> ColdMedians {
        ColdMedians {
            init_ms: 3.0,
            first_ms: total_ms - 3.0,
            first_cpu_ms: 1.0,
            total_ms,
            spread_ms: 2.0,
        }
    }

    fn size(memory_mb: u32, warm_p99_ms: f64, billed_ms: f64) -> SizeRow {
        SizeRow {
            function: "account".to_owned(),
            memory_mb,
            cpu_share: f64::from(memory_mb) / 1769.0,
            connects_at_init_by_default: memory_mb < 256,
            cold_default: cold(20.0),
            cold_at_first_request: Some(cold(20.0)),
            cold_at_init: Some(cold(if memory_mb < 256 { 18.0 } else { 21.0 })),
            warm_p50_ms: 2.5,
            warm_p99_ms,
            lone_p50_ms: 3.2,
            lone_p99_ms: 10.0,
            cpu_per_request_ms: 1.0,
            billed_ms,
            read_units: 1.5,
            write_units: 0.0,
        }
    }

    /// A long-tail run of three instances of `keys` keys: p50 `p50_ms`, billed p50 `billed_ms`, two
    /// `UpdateItem` per key and instance.
    fn load_run(keys: usize, p50_ms: f64, billed_ms: f64, requests: u64) -> LoadRun {
        let writes = 2 * 3 * keys as u64;
        LoadRun {
            instances: 3,
            keys,
            requests,
            p50_ms,
            p99_ms: 3.0 * p50_ms,
            billed_p50_ms: billed_ms,
            billed_p99_ms: 2.0 * billed_ms,
            billed_mean_ms: billed_ms,
            requests_per_s: 1000.0 / billed_ms,
            wall_s: requests as f64 * billed_ms / 1000.0,
            index_queries: requests,
            reads: BTreeMap::from([("Query".to_owned(), requests)]),
            writes: BTreeMap::from([("UpdateItem".to_owned(), writes)]),
            at_shutdown: BTreeMap::new(),
            clean_exit: true,
            usage_written: requests,
        }
    }

    /// Section 8 of two rounds whose counts are the model's: per report 50 ours, 25 unknown, 25 foreign.
    fn leak_section() -> LeakSection {
        let run = |reports_per_round: usize, median_ms: f64, keys_fetches: u64| ReportRun {
            reports_per_round,
            median_ms,
            min_ms: median_ms - 1.0,
            max_ms: median_ms + 1.0,
            operations: BTreeMap::from([
                ("GetItem".to_owned(), 200),
                ("Query".to_owned(), 150),
                ("TransactWriteItems".to_owned(), 100),
            ]),
            index_queries: 150,
            keys_fetches,
            true_positives: 100,
            false_positives: 100,
        };
        LeakSection {
            alone: Some(AloneRun {
                run: RunInfo {
                    date: "2026-12-08".to_owned(),
                    cores: 2,
                    memory_gib: 24,
                    arch: "x86_64".to_owned(),
                    rustc: "rustc 1.95.0".to_owned(),
                },
                load_average: "1.50 2.00 2.10".to_owned(),
            }),
            build_profile: "release".to_owned(),
            rounds: 2,
            ours: 50,
            unknown: 25,
            foreign: 25,
            lookups_at_once: 16,
            cold: run(1, 42.0, 2),
            warm: run(1, 40.0, 0),
            one_by_one: run(100, 160.0, 0),
            account_requests: 42,
            account_p50_ms: 2.0,
            account_p99_ms: 4.0,
        }
    }

    /// A small run: hello and one function, one route, the authorizer's count, three memory sizes.
    fn small_run() -> BenchFigures {
        BenchFigures {
            run: RunInfo {
                date: "2026-12-07".to_owned(),
                cores: 2,
                memory_gib: 24,
                arch: "x86_64".to_owned(),
                rustc: "rustc 1.95.0".to_owned(),
            },
            policy: crate::policy::current(BTreeMap::from([("account".to_owned(), 512)])),
            cold_start: ColdStartSection {
                runs: 31,
                rows: vec![
                    ColdStartRow {
                        binary: "hello".to_owned(),
                        init_ms: 2.0,
                        first_request_ms: 0.25,
                    },
                    ColdStartRow {
                        binary: "account".to_owned(),
                        init_ms: 4.0,
                        first_request_ms: 25.0,
                    },
                ],
                first_reads: vec![FirstReads {
                    binary: "account".to_owned(),
                    reads: "Query + GetItem".to_owned(),
                    reads_ms: 20.5,
                }],
            },
            warm: WarmSection {
                requests: 2000,
                warm_up: 50,
                rows: vec![WarmRow {
                    route: "GET /v1/account".to_owned(),
                    p50_ms: 3.0,
                    p99_ms: 10.0,
                    raw_p50_ms: 2.0,
                    raw_p99_ms: 8.0,
                    handler_histogram: Histogram {
                        floor_ms: 1.0,
                        bucket_ms: 0.5,
                        counts: vec![10, 5],
                    },
                    raw_histogram: Histogram::default(),
                }],
            },
            operations: OperationsSection {
                requests: 100,
                warm_up: 5,
                rows: vec![OperationsRow {
                    function: "account".to_owned(),
                    route: "GET /v1/account".to_owned(),
                    per_request: BTreeMap::from([
                        ("GetItem".to_owned(), 1.0),
                        ("Query".to_owned(), 1.0),
                    ]),
                    read_units: 1.5,
                    write_units: 0.0,
                }],
                sustained: vec![SustainedWrites {
                    route: "GET /v1/account".to_owned(),
                    writes: BTreeMap::from([("UpdateItem".to_owned(), 2)]),
                    wall_s: 7.74,
                }],
            },
            authorizer: AuthorizerCount {
                requests: 2000,
                run_s: 2.6,
                index: "key_hash-index".to_owned(),
                index_queries: 2000,
                reads: BTreeMap::from([("Query".to_owned(), 2000)]),
                writes: BTreeMap::from([("UpdateItem".to_owned(), 2)]),
                at_shutdown: BTreeMap::from([("UpdateItem".to_owned(), 2)]),
                clean_exit: true,
                usage_written: 2000,
                cache_ttl_s: 0.0,
            },
            authorizer_cached: Some(AuthorizerCount {
                requests: 2000,
                run_s: 2.6,
                index: "key_hash-index".to_owned(),
                index_queries: 3,
                reads: BTreeMap::from([("Query".to_owned(), 3)]),
                writes: BTreeMap::from([("UpdateItem".to_owned(), 2)]),
                at_shutdown: BTreeMap::from([("UpdateItem".to_owned(), 2)]),
                clean_exit: true,
                usage_written: 2000,
                cache_ttl_s: 1.0,
            }),
            authorizer_load: Some(AuthorizerLoad {
                warm_up: 50,
                one_key: load_run(1, 1.0, 2.0, 900),
                many_keys: load_run(300, 1.3, 4.0, 900),
                busy_key: BusyKey {
                    cache_ttl_s: 1.0,
                    requests: 2000,
                    p50_ms: 0.5,
                    p99_ms: 1.0,
                    hello_p50_ms: 0.2,
                    hello_p99_ms: 0.5,
                    index_queries: 4,
                    counted_requests: 2050,
                    run_s: 3.2,
                },
                hello_peak_rss_kib: Some(3000),
                cache_full: CacheFull {
                    cache_ttl_s: 60.0,
                    cache_keys: 2000,
                    peak_rss_kib: Some(9000),
                },
            }),
            leak: Some(leak_section()),
            allowlist: Some(AllowlistSection {
                alone: None,
                warm_up: 50,
                requests: 2000,
                allowed_ips: vec!["2001:db8::/32".to_owned(), "127.0.0.0/24".to_owned()],
                source_ip: "127.0.0.1".to_owned(),
                rows: vec![
                    AllowlistRow {
                        cache_ttl_s: 0.0,
                        plain_p50_ms: 1.0,
                        plain_p99_ms: 2.0,
                        listed_p50_ms: 1.02,
                        listed_p99_ms: 2.0,
                    },
                    AllowlistRow {
                        cache_ttl_s: 1.0,
                        plain_p50_ms: 0.5,
                        plain_p99_ms: 1.0,
                        listed_p50_ms: 0.5,
                        listed_p99_ms: 1.1,
                    },
                ],
                outside_refused: true,
            }),
            peak_rss: vec![PeakRss {
                function: "account".to_owned(),
                peak_rss_kib: Some(6861),
            }],
            throughput: vec![Throughput {
                route: "GET /v1/account".to_owned(),
                requests_per_s: 258.4,
            }],
            memory_sizes: Some(MemorySizeSection {
                samples: MemorySamples {
                    cold_runs: 15,
                    requests: 300,
                    warm_up: 20,
                    lone: 20,
                    pause_s: 1.5,
                },
                period_ms: 20.0,
                one_vcpu_mb: 1769,
                // 128 MB is over the budget (15 ms); 256 and 512 MB are within it and cost within $0.005.
                rows: vec![
                    size(128, 39.0, 18.6),
                    size(256, 14.0, 6.7),
                    size(512, 10.6, 3.8),
                ],
                tls_handshakes: 630,
                instances_reaching_dynamodb: 620,
            }),
            tools: Some(ToolFigures {
                client_native_ms: 8.62,
                client_aws_roots_ms: 0.594,
                client_runs: 15,
                init_instructions: vec![
                    InitInstructions {
                        binary: "hello".to_owned(),
                        instructions: 500,
                        relocations: 100,
                    },
                    InitInstructions {
                        binary: "account".to_owned(),
                        instructions: 2000,
                        relocations: 400,
                    },
                ],
                account_init_instructions: 2100,
                partitions_instructions: 700,
                pem_instructions: 190,
                profile_requests: 200,
                profile_instructions: 400_000,
                sigv4_instructions: 100_000,
                self_cost: vec!["Ir  file:function".to_owned()],
                package_bytes: vec![PackageSize {
                    function: "account".to_owned(),
                    bytes: 2_537_554,
                }],
            }),
        }
    }

    #[test]
    fn the_small_run_renders_its_key_lines() {
        let text = render(&small_run());
        for line in [
            "Produced by `make bench` on 2026-12-07 (2 cores, 24 GiB, x86_64, rustc 1.95.0)",
            "## 1. Cold start (median of 31 fresh processes each, binaries taken in turn)",
            "| hello (baseline) | 2.000 | 1.00 | 0.250 | 1.00 |",
            "| account | 4.000 | 2.00 | 25.000 | 100.00 |",
            "| GET /v1/account | 3.000 | 10.000 | 2.000 | 8.000 | 1.50 | 1.25 |",
            "    1.00 ms | ################################################## 10",
            "    1.50 ms | ######################### 5",
            "| GET /v1/account | 1.00 GetItem + 1.00 Query | 1.50 | 0.00 |",
            " GET /v1/account: 2 UpdateItem in 7.7 s; two single writes per key per minute per instance.",
            "| reads in all (2000 Query) | 2000 | 1.0000 | exactly 2000 |",
            "| writes: the day's count + `last_used_at` (2 UpdateItem) | 2 | 0.0010 | ≤ 2 (2 per key per minute: 1 + whole minutes) |",
            "2000 requests of one key on one instance, the cache on (`AUTH_CACHE_TTL=1`)",
            "| reads in all (3 Query) | 3 | 0.0015 | ≤ 3 (1 + whole TTLs), all on the index |",
            // Cold start against hello + a fresh client's reads: 29 / (2.25 + 20.5) = 1.27, 4 / 2 = 2.00.
            "| account | Query + GetItem | 20.500 | 29.000 | 22.750 | 1.27 | pass | 2.00 | **missed** (2.00 > 1.6) |",
            // Section 7.
            "| one key | 3 × 1 | 900 | 1.000 | 3.000 | 2.000 | 4.000 | 2.000 | 500 | 900 | 6 UpdateItem | 900 of 900, exact |",
            "| long tail: every request another key's | 3 × 300 | 900 | 1.300 | 3.900 | 4.000 | 8.000 | 4.000 | 250 | 900 | 1800 UpdateItem | 900 of 900, exact |",
            "Long-tail warm p50 / one-key warm p50: **1.30** (target ≤ 1.2): **missed** (1.30 > 1.2).",
            "a busy key (one key, 300 requests per instance): 2 WRU (2 UpdateItem); a key used less than once a minute (each of the long tail's keys, one request per instance): 2 WRU (2 UpdateItem).",
            "| ratio | **2.50** | 2.00 |",
            "Authorizer warm p50 / hello warm p50: 2.50 (target ≤ 3): pass. Index reads on the wire: 4 for 2050 requests in 3.2 s (0.0020 per request; bound ≤ 4, 1 + whole seconds: within).",
            "| authorizer, 2000 keys kept | 8.8 |",
            "Peak RSS / hello's: **3.00** (target ≤ 2): **missed** (3.00 > 2).",
            "Usage of the key in the table after the flush: 2000 requests of 2000, the process exiting cleanly",
            "| account | 6.7 | ≤ 32 MiB |",
            "| GET /v1/account | 258 |",
            // 256 MB is the rule's pick (cheapest within 15 ms, 512 MB within $0.005 of it), 512 MB the
            // template's.
            "| account | 256 | 14.5 % | 20.000 | 2.500 | 14.000 | 3.200 | 10.000 | 1.000 | 6.70 | 0.0223 | **1.4098** |",
            "| account | **512** | 28.9 % |",
            "| account | 15 ms: a person or a script reading their account: a small part of an API call's round \
             trip | 256 | **512** (not the rule's pick) |",
            "first-request set-up there: 0.5 read unit, $0.0000000625 per cold start.",
            "| 128 | 1 of 1 functions | -2.000 | at init |",
            "| 512 | 0 of 1 functions | +1.000 | at the first request |",
            "At template.yaml's sizes: account (512 MB) connects at the first request, at init +1.0 ms.",
            "quota per 20 ms period (128 MB 1.45 ms, 256 MB 2.89 ms, 512 MB 5.79 ms)",
            "| the five AWS roots compiled in (what the functions use) | 0.594 |",
            "| account | 2000 | 4.00 | 400 |",
            "400000 instructions in all, about 2000 per request with init spread over them.",
            "takes 25.00% of all instructions (inclusive)",
            "| account | 2.42MiB | ≤ 5 MiB |",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
        assert!(!text.contains("**Failed:**"), "{text}");
    }

    #[test]
    fn the_leak_response_and_the_allowlist_render_their_ratios_and_the_model() {
        let text = render(&small_run());
        for line in [
            "## 8. The leak response: a GitHub secret-scanning report of 100 tokens, half of them ours",
            "Measured on its own (`bench leak`, sections 8 and 9 alone) on 2026-12-08 (2 cores, 24 GiB, x86_64, \
             rustc 1.95.0), load average 1.50 2.00 2.10 at its start",
            "not in the run of 2026-12-07 the sections above come from",
            "| first: keys document fetched (cold cache) | 42.000 | 41.000–43.000 | 21.0 | 0.420 | 2 | 100 / 100 | \
             200 GetItem + 150 Query + 100 TransactWriteItems |",
            "| 100 one-token reports in turn, keys cached | 160.000 | 159.000–161.000 | 80.0 | 1.600 | 0 |",
            "| `GET /v1/account` (baseline), p50 of 42 | 2.000 | p99 4.000 | 1.0 | | | | |",
            "A report of 100 tokens, the keys cached / one warm `GET /v1/account`: **20.0**",
            "/ the same mix as 100 one-token reports in turn: **0.25**",
            "**75 `Query` + 100 `GetItem` + 50 `TransactWriteItems`**, nothing else; 137.5 read units and 202 \
             write units",
            "fetched once per fresh function and never when cached: held.",
            "## 9. The authorizer with an IP allowlist on the key",
            "the source address inside the last one only (`127.0.0.0/24`)",
            "| off (`AUTH_CACHE_TTL=0`) | 1.000 | 2.000 | 1.020 | 2.000 | **1.02** | 1.00 |",
            "| on (`AUTH_CACHE_TTL=1`) | 0.500 | 1.000 | 0.500 | 1.100 | **1.00** | 1.10 |",
            "Warm p50 with the list / without: 1.02 with the cache off, 1.00 with the cache on",
            "outside its list: refused on both instances.",
        ] {
            assert!(text.contains(line), "missing {line:?} in:\n{text}");
        }
        assert!(issue22_failures(&small_run()).is_empty());
    }

    #[test]
    fn leak_counts_off_the_model_or_a_listed_key_let_in_fail_the_run() {
        let mut run = small_run();
        let leak = run.leak.as_mut().expect("section 8");
        // One more GetItem (a retry), and a Scan: both off the model.
        leak.warm.operations.insert("GetItem".to_owned(), 201);
        leak.one_by_one.operations.insert("Scan".to_owned(), 1);
        leak.cold.keys_fetches = 3;
        leak.cold.true_positives = 99;
        let failures = issue22_failures(&run);
        assert_eq!(failures.len(), 4, "{failures:?}");
        assert!(
            failures[0].contains("first report: 99 true_positive"),
            "{failures:?}"
        );
        assert!(
            failures[1].contains("fetched 3 time(s), not 2"),
            "{failures:?}"
        );
        assert!(
            failures[2].contains("second report: 201 GetItem"),
            "{failures:?}"
        );
        assert!(
            failures[3].contains("1 Scan + 100 TransactWriteItems"),
            "{failures:?}"
        );
        let text = render(&run);
        assert!(
            text.contains("when cached: broken.\n\n**Failed:** leak response, first report"),
            "{text}"
        );
        let mut run = small_run();
        if let Some(allowlist) = run.allowlist.as_mut() {
            allowlist.outside_refused = false;
        }
        assert_eq!(issue22_failures(&run).len(), 1);
        let mut run = small_run();
        run.leak = None;
        run.allowlist = None;
        let text = render(&run);
        assert!(!text.contains("## 8.") && !text.contains("## 9."), "{text}");
    }

    #[test]
    fn a_broken_bound_is_a_failure_and_a_failed_line() {
        let mut run = small_run();
        run.authorizer.reads.insert("GetItem".to_owned(), 3);
        run.authorizer.writes.insert("UpdateItem".to_owned(), 3);
        let failures = authorizer_failures(&run.authorizer, &run.policy);
        assert_eq!(failures.len(), 2, "{failures:?}");
        let text = render(&run);
        assert!(
            text.contains("**Failed:** authorizer: 2003 reads (2000 on the key-hash index)"),
            "{text}"
        );
        assert!(
            text.contains("3 writes in 2.6 s, more than 2 (2 per key per minute)"),
            "{text}"
        );
    }

    #[test]
    fn with_the_cache_on_more_index_reads_than_one_per_ttl_is_a_failure() {
        let mut run = small_run();
        let cached = run.authorizer_cached.as_mut().expect("cache-on count");
        // 2.6 s at a 1 s TTL: at most 1 + 2 index reads.
        cached.index_queries = 4;
        cached.reads.insert("Query".to_owned(), 4);
        let failures = all_authorizer_failures(&run);
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(
            failures[0].contains("more than 3 (1 + whole TTLs)"),
            "{failures:?}"
        );
        // A read that is not on the index breaks it too.
        let mut run = small_run();
        let cached = run.authorizer_cached.as_mut().expect("cache-on count");
        cached.reads.insert("GetItem".to_owned(), 1);
        assert_eq!(all_authorizer_failures(&run).len(), 1);
        // With the cache off, the same 3 reads for 2000 requests are not one per request.
        let mut run = small_run();
        run.authorizer.cache_ttl_s = 0.0;
        run.authorizer.reads.insert("Query".to_owned(), 3);
        run.authorizer.index_queries = 3;
        assert_eq!(all_authorizer_failures(&run).len(), 1);
    }

    #[test]
    fn a_target_met_says_pass_and_a_missed_one_says_so_with_its_ratio() {
        assert_eq!(verdict(1.2, 1.2), "pass");
        assert_eq!(verdict(1.21, 1.2), "**missed** (1.21 > 1.2)");
        let mut run = small_run();
        if let Some(load) = run.authorizer_load.as_mut() {
            load.many_keys.p50_ms = 1.1;
            load.cache_full.peak_rss_kib = None;
        }
        let text = render(&run);
        assert!(
            text.contains("Long-tail warm p50 / one-key warm p50: **1.10** (target ≤ 1.2): pass."),
            "{text}"
        );
        assert!(text.contains("Peak RSS / hello's: not measured"), "{text}");
    }

    #[test]
    fn a_run_made_before_section_7_renders_without_it() {
        let mut run = small_run();
        run.authorizer_load = None;
        run.authorizer_cached = None;
        run.leak = None;
        run.allowlist = None;
        run.cold_start.first_reads.clear();
        let text = render(&run);
        assert!(!text.contains("## 7."), "{text}");
        assert!(!text.contains("the cache on"), "{text}");
        assert!(!text.contains("reads by a fresh client"), "{text}");
    }

    #[test]
    fn without_cgroups_or_the_scripts_figures_those_sections_say_so_or_are_left_out() {
        let mut run = small_run();
        run.memory_sizes = None;
        run.tools = None;
        let text = render(&run);
        assert!(text.contains("Not measured: it needs root"), "{text}");
        assert!(!text.contains("### Package size"), "{text}");
    }

    #[test]
    fn the_rule_picks_the_cheapest_size_within_the_budget_else_the_fastest() {
        let rows = [
            size(128, 30.0, 1.0),
            size(256, 8.0, 1.0),
            size(512, 3.0, 1.0),
        ];
        let costed = |totals: [f64; 3]| -> Vec<Costed> {
            rows.iter()
                .zip(totals)
                .map(|(row, total)| Costed {
                    row,
                    duration: 0.0,
                    total,
                })
                .collect()
        };
        let spread = costed([1.0, 1.01, 1.02]);
        assert_eq!(pick(&spread, 10.0, 0.005), Some(256));
        assert_eq!(pick(&spread, 50.0, 0.005), Some(128));
        assert_eq!(pick(&spread, 1.0, 0.005), Some(512));
        // Costs closer than the same-cost margin are the same cost: the smaller size is taken.
        let close = costed([1.0005, 1.0, 1.0]);
        assert_eq!(pick(&close, 50.0, 0.005), Some(128));
        assert_eq!(pick(&close, 10.0, 0.005), Some(256));
    }

    #[test]
    fn the_committed_benchmarks_md_is_the_rendering_of_the_committed_figures() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
        let read = |name: &str| {
            std::fs::read_to_string(format!("{root}/{name}")).expect("the committed run")
        };
        let figures: BenchFigures =
            serde_json::from_str(&read("BENCHMARKS.json")).expect("BENCHMARKS.json");
        let rendered = render(&figures);
        let committed = read("BENCHMARKS.md");
        assert!(
            rendered.trim_end() == committed.trim_end(),
            "BENCHMARKS.md is not `bench render BENCHMARKS.json`: run it again"
        );
    }
}
