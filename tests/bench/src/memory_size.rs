//! Section 6 of `make bench`: every function under Lambda's CPU model ([`cpu_share`]) at each memory size,
//! reaching DynamoDB over TLS ([`tls`]) as on AWS: cold start, warm latency back to back and alone, and the
//! cost per million requests (the table aws-lambda-power-tuning gives, measured offline); and the cold start
//! with the DynamoDB connection opened during init and without.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use service_tests::RuntimeApi;
use tokio::process::Child;

use crate::cpu_share::{self, CpuShare};
use crate::pricing;
use crate::tls::Terminator;
use crate::{key_for, median, ms, percentile, route_event, spawn_with, succeeded, Setup};

/// The memory sizes measured (MB): Lambda's smallest, its doublings, and the size that gets one vCPU.
pub const SIZES: [u32; 5] = [128, 256, 512, 1024, cpu_share::ONE_VCPU_MB];

/// The functions measured, and whether each reaches DynamoDB (only those can open a connection at init).
pub const FUNCTIONS: [(&str, bool); 6] = [
    ("health", false),
    ("signup", true),
    ("account", true),
    ("api-keys", true),
    ("authorizer", true),
    ("dashboard", false),
];

/// How many samples each figure is taken from.
pub struct SampleCounts {
    /// Fresh processes per function, size and (for DynamoDB functions) connection mode.
    pub cold_runs: usize,
    /// Requests back to back per function and size, after [`WARM_UP`].
    pub requests: usize,
    /// Lone requests per function and size, each after [`SampleCounts::pause`] of idleness.
    pub lone: usize,
    pub pause: Duration,
}

/// Requests each warm instance serves before it is timed (the first of a key writes its usage).
const WARM_UP: usize = 20;

/// One function instance under the CPU model: its process, its cgroup and its Runtime API.
struct Instance {
    function: &'static str,
    api: RuntimeApi,
    child: Child,
    share: CpuShare,
}

impl Instance {
    /// Starts `function` at `memory_mb`'s CPU share over TLS: init runs unthrottled, and the process is moved
    /// into its cgroup at its first request for work, as on Lambda. `connect` sets `DYNAMODB_CONNECT_AT_INIT`
    /// (`None`: the store's default). Returns the instance and its init time.
    async fn start(
        setup: &Setup,
        tls: &Terminator,
        function: &'static str,
        memory_mb: u32,
        connect: Option<bool>,
    ) -> (Self, Duration) {
        let share = CpuShare::new(memory_mb).expect("make a cgroup (root, cgroup v1 cpu)");
        let mut api = RuntimeApi::start().await;
        let memory = memory_mb.to_string();
        let roots = format!("file:{}", tls.ca_file.display());
        let mut env = vec![
            ("AWS_ENDPOINT_URL_DYNAMODB", tls.endpoint.as_str()),
            ("DYNAMODB_TLS_ROOTS", roots.as_str()),
            ("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", memory.as_str()),
        ];
        if let Some(connect) = connect {
            env.push(("DYNAMODB_CONNECT_AT_INIT", if connect { "1" } else { "0" }));
        }
        let started = Instant::now();
        let child = spawn_with(setup, function, &api, &env).await;
        let init_done = api
            .init_done()
            .await
            .unwrap_or_else(|| panic!("{function} never asked for work"));
        share
            .add(child.id().expect("the function is running"))
            .expect("move the function into its cgroup");
        let instance = Self {
            function,
            api,
            child,
            share,
        };
        (instance, init_done - started)
    }

    /// One request, which must succeed: its time inside the function.
    async fn invoke(&self, setup: &Setup) -> Duration {
        let (latency, body) = self
            .api
            .invoke(route_event(self.function, key_for(setup, self.function)))
            .await
            .expect("invocation");
        assert!(
            succeeded(setup, self.function, &body),
            "{}: {}",
            self.function,
            String::from_utf8_lossy(&body)
        );
        latency
    }

    /// CPU time the process used since its init.
    fn cpu_time(&self) -> Duration {
        self.share.cpu_time()
    }

    /// Ends the process and waits for it, so its cgroup is empty when dropped.
    async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

/// One cold start: init, the first request, and the CPU time that request used.
#[derive(Clone, Copy)]
struct ColdStart {
    init: Duration,
    first: Duration,
    first_cpu: Duration,
}

/// The medians of some cold starts; `total` is the median of init + first request, the cold start a user
/// waits.
#[derive(Clone, Copy, Default)]
struct ColdMedians {
    init: Duration,
    first: Duration,
    first_cpu: Duration,
    total: Duration,
}

fn medians(cold: &[ColdStart]) -> ColdMedians {
    let median = |part: fn(&ColdStart) -> Duration| {
        let mut values: Vec<Duration> = cold.iter().map(part).collect();
        median(&mut values)
    };
    ColdMedians {
        init: median(|c| c.init),
        first: median(|c| c.first),
        first_cpu: median(|c| c.first_cpu),
        total: median(|c| c.init + c.first),
    }
}

/// The interquartile range of some cold starts (init + first request).
fn spread(cold: &[ColdStart]) -> Duration {
    let mut totals: Vec<Duration> = cold.iter().map(|c| c.init + c.first).collect();
    totals.sort();
    let quartile = |q: usize| {
        totals
            .get(totals.len() * q / 4)
            .copied()
            .unwrap_or_default()
    };
    quartile(3).saturating_sub(quartile(1))
}

/// What one function measured at one size.
#[derive(Default)]
struct Figures {
    /// Cold starts by connection mode (`None`: the default, for functions without DynamoDB).
    cold: BTreeMap<Option<bool>, Vec<ColdStart>>,
    /// Requests back to back, sorted.
    warm: Vec<Duration>,
    /// Their mean CPU time.
    warm_cpu: Duration,
    /// Lone requests, sorted.
    lone: Vec<Duration>,
}

impl Figures {
    /// The cold start in the store's default mode at `memory_mb`.
    fn default_cold(&self, memory_mb: u32) -> ColdMedians {
        self.cold
            .get(&Some(connects_at_init(memory_mb)))
            .or_else(|| self.cold.get(&None))
            .map(|cold| medians(cold))
            .unwrap_or_default()
    }

    /// Mean billed duration (ms) of the requests back to back.
    fn billed_ms(&self) -> f64 {
        let billed: f64 = self.warm.iter().copied().map(pricing::billed_ms).sum();
        billed / self.warm.len().max(1) as f64
    }
}

/// Measures every function at every size; `capacity` holds each function's read and write units per
/// request (section 3). Returns the Markdown section.
pub async fn section(
    setup: &Setup,
    tls: &Terminator,
    counts: &SampleCounts,
    capacity: &BTreeMap<String, (f64, f64)>,
) -> String {
    let mut figures: BTreeMap<(&str, u32), Figures> = BTreeMap::new();
    let (handshakes_before, mut instances_started) = (tls.handshakes(), 0);

    // Cold starts, taken in turn (every function, size and mode once per round), so the machine's noise
    // falls on all alike.
    for _ in 0..counts.cold_runs {
        for (function, dynamodb) in FUNCTIONS {
            let modes: &[Option<bool>] = if dynamodb {
                &[Some(false), Some(true)]
            } else {
                &[None]
            };
            for memory_mb in SIZES {
                for connect in modes {
                    let (instance, init) =
                        Instance::start(setup, tls, function, memory_mb, *connect).await;
                    let first = instance.invoke(setup).await;
                    let first_cpu = instance.cpu_time();
                    instance.stop().await;
                    instances_started += u64::from(dynamodb);
                    let cold = ColdStart {
                        init,
                        first,
                        first_cpu,
                    };
                    let entry = figures.entry((function, memory_mb)).or_default();
                    entry.cold.entry(*connect).or_default().push(cold);
                }
            }
        }
    }

    // Requests back to back, one instance per function and size; the instances stay up for the lone
    // requests.
    let mut instances = Vec::new();
    for (function, dynamodb) in FUNCTIONS {
        for memory_mb in SIZES {
            let (instance, _) = Instance::start(setup, tls, function, memory_mb, None).await;
            instances_started += u64::from(dynamodb);
            for _ in 0..WARM_UP {
                instance.invoke(setup).await;
            }
            let mut warm = Vec::with_capacity(counts.requests);
            let cpu_before = instance.cpu_time();
            for _ in 0..counts.requests {
                warm.push(instance.invoke(setup).await);
            }
            let cpu = instance.cpu_time().saturating_sub(cpu_before);
            warm.sort();
            let entry = figures.entry((function, memory_mb)).or_default();
            entry.warm = warm;
            entry.warm_cpu = cpu / u32::try_from(counts.requests.max(1)).unwrap_or(u32::MAX);
            instances.push((function, memory_mb, instance));
        }
    }
    // Lone requests: after a pause with nothing to do, each instance gets one request, in turn.
    for _ in 0..counts.lone {
        tokio::time::sleep(counts.pause).await;
        for (function, memory_mb, instance) in &instances {
            let latency = instance.invoke(setup).await;
            let entry = figures.entry((function, *memory_mb)).or_default();
            entry.lone.push(latency);
        }
    }
    for (_, _, instance) in instances {
        instance.stop().await;
    }
    for entry in figures.values_mut() {
        entry.lone.sort();
    }

    let mut out = memory_table(&figures, counts, capacity, &setup.memory_sizes);
    out.push_str(&format!(
        "\nOver TLS: the terminator completed {} handshakes for the {instances_started} instances of the \
         functions that reach DynamoDB (about one connection per instance, kept open between requests).\n",
        tls.handshakes() - handshakes_before
    ));
    out.push_str(&connection_table(&figures, counts, &setup.memory_sizes));
    out
}

/// The longest warm p99 (requests back to back, time inside the function) a user would accept from each
/// function, and why: the rule picks the cheapest size within it.
const BUDGETS: [(&str, u64, &str); 6] = [
    (
        "health",
        25,
        "a monitor's probe: one throttled period (20 ms) now and then is fine",
    ),
    (
        "signup",
        50,
        "once per customer (rate-limited to 5/s), after filling in a form",
    ),
    (
        "account",
        15,
        "a person or a script reading their account: a small part of an API call's round trip",
    ),
    (
        "api-keys",
        15,
        "a person or a script managing keys: a small part of an API call's round trip",
    ),
    (
        "authorizer",
        10,
        "runs before every request of the whole Memory API, uncached: its time is added to all of them",
    ),
    (
        "dashboard",
        25,
        "static files for a browser, fetched once per visit",
    ),
];

fn budget(function: &str) -> Option<(Duration, &'static str)> {
    BUDGETS
        .iter()
        .find(|(name, _, _)| *name == function)
        .map(|(_, ms, why)| (Duration::from_millis(*ms), *why))
}

/// Costs per million requests closer than this are the same cost: a difference that moves from one run to
/// the next (measured: up to about $0.002).
const SAME_COST: f64 = 0.005;

/// One function at one size, with what it costs per million requests.
struct Row<'f> {
    memory_mb: u32,
    figures: &'f Figures,
    /// Mean billed duration of the requests back to back (ms), and Lambda's duration charge for it.
    billed_ms: f64,
    duration: f64,
    /// The duration charge plus everything else ([`pricing::fixed_per_million`]).
    total: f64,
}

/// The rule's pick among `rows` (sizes ascending): among the sizes whose warm p99 is within `budget`, the
/// cheapest, and of sizes that cost the same ([`SAME_COST`]) the smallest; when no size is within the
/// budget, the one with the lowest warm p99.
fn pick(rows: &[Row], budget: Duration) -> Option<u32> {
    let p99 = |row: &Row| percentile(&row.figures.warm, 99.0);
    let within: Vec<&Row> = rows.iter().filter(|row| p99(row) <= budget).collect();
    if within.is_empty() {
        return rows
            .iter()
            .min_by_key(|row| p99(row))
            .map(|row| row.memory_mb);
    }
    let cheapest = within
        .iter()
        .map(|row| row.total)
        .fold(f64::INFINITY, f64::min);
    within
        .into_iter()
        .filter(|row| row.total <= cheapest + SAME_COST)
        .map(|row| row.memory_mb)
        .min()
}

/// Whether the store connects at init by default at `memory_mb` (as it reads Lambda's environment).
fn connects_at_init(memory_mb: u32) -> bool {
    store::connect_at_init(None, Some(memory_mb))
}

/// Each function's `MemorySize` in template.yaml (its own, else the Globals'), by its binary's name.
pub fn template_memory_sizes(template: &str) -> BTreeMap<String, u32> {
    let Ok(template) = serde_yaml::from_str::<serde_yaml::Value>(template) else {
        return BTreeMap::new();
    };
    let global = template["Globals"]["Function"]["MemorySize"].as_u64();
    let resources = template["Resources"].as_mapping().into_iter().flatten();
    resources
        .filter(|(_, resource)| resource["Type"].as_str() == Some("AWS::Serverless::Function"))
        .filter_map(|(_, resource)| {
            let binary = resource["Metadata"]["BuildProperties"]["Binary"].as_str()?;
            let memory = resource["Properties"]["MemorySize"].as_u64().or(global)?;
            Some((binary.to_owned(), u32::try_from(memory).ok()?))
        })
        .collect()
}

/// The power-tuning table: every function at every size, with the rule's pick and template.yaml's size.
fn memory_table(
    figures: &BTreeMap<(&str, u32), Figures>,
    counts: &SampleCounts,
    capacity: &BTreeMap<String, (f64, f64)>,
    template_sizes: &BTreeMap<String, u32>,
) -> String {
    let mut out = format!(
        "\n## 6. Memory size under Lambda's CPU model, DynamoDB over TLS\n\n\
         Lambda gives a function memory / 1769 MB of one vCPU. Here each function process is held to that \
         share by a cgroup (v1 `cpu`, period 20 ms, quota share × period), moved in at its first request for \
         work: init runs unthrottled (on AWS init gets more CPU than a small function's invocations) and \
         every invocation at the share. DynamoDB is reached over TLS as on AWS: `https://localhost:PORT`, a \
         TLS terminator (a throwaway test CA made for the run, trusted by the functions through \
         `DYNAMODB_TLS_ROOTS=file:...`) in front of the counting proxy and DynamoDB Local.\n\n\
         Samples: cold start, the median of {cold} fresh processes per function and size (init + first \
         request, in the store's default connection mode); warm, {requests} requests back to back on one \
         instance after {WARM_UP} warm-up, and their mean CPU time (cgroup `cpuacct`); lone, {lone} requests \
         per instance, each after {pause:.1} s with nothing to do (so their p99 is their maximum). Billed: the \
         mean of the warm requests' durations, each rounded up to the next ms, as Lambda bills.\n\n\
         Cost per million requests, {prices}. DynamoDB units per request as in section 3 (the usage writes, \
         one per key per minute per instance, left out); for the authorizer the HTTP API charge is the \
         guarded request's, which it adds nothing to. The charge for init (once per cold start) is left out. \
         This machine's x86 core is not a Graviton core and DynamoDB Local is not DynamoDB: the times are a \
         model of Lambda's, to compare sizes with, not a forecast.\n\n\
         | function | memory (MB) | CPU share | cold start (ms) | warm p50 (ms) | warm p99 (ms) | lone p50 (ms) | \
         lone p99 (ms) | CPU per request (ms) | billed (ms) | Lambda duration $/M | total $/M |\n\
         |---|---|---|---|---|---|---|---|---|---|---|---|\n",
        cold = counts.cold_runs,
        requests = counts.requests,
        lone = counts.lone,
        pause = counts.pause.as_secs_f64(),
        prices = pricing::prices(),
    );
    let mut picks = String::new();
    // Lambda's duration charge as a share of the total, at each function's chosen size.
    let mut duration_shares = Vec::new();

    for (function, _) in FUNCTIONS {
        let (read_units, write_units) = capacity.get(function).copied().unwrap_or_default();
        let fixed = pricing::fixed_per_million(read_units, write_units);
        let rows: Vec<Row> = SIZES
            .iter()
            .filter_map(|memory_mb| {
                let figures = figures.get(&(function, *memory_mb))?;
                let billed_ms = figures.billed_ms();
                let duration = pricing::duration_per_million(billed_ms, *memory_mb);
                Some(Row {
                    memory_mb: *memory_mb,
                    figures,
                    billed_ms,
                    duration,
                    total: duration + fixed,
                })
            })
            .collect();
        let (limit, why) = budget(function).unwrap_or((Duration::MAX, ""));
        let picked = pick(&rows, limit);
        let chosen = template_sizes.get(function).copied();
        for row in &rows {
            let (memory_mb, f, total) = (row.memory_mb, row.figures, row.total);
            let bold = |size: Option<u32>| if size == Some(memory_mb) { "**" } else { "" };
            let (chosen_mark, picked_mark) = (bold(chosen), bold(picked));
            out.push_str(&format!(
                "| {function} | {chosen_mark}{memory_mb}{chosen_mark} | {:.1} % | {} | {} | {} | {} | {} | {} | \
                 {:.2} | {:.4} | {picked_mark}{total:.4}{picked_mark} |\n",
                cpu_share::share(memory_mb) * 100.0,
                ms(f.default_cold(memory_mb).total),
                ms(percentile(&f.warm, 50.0)),
                ms(percentile(&f.warm, 99.0)),
                ms(percentile(&f.lone, 50.0)),
                ms(percentile(&f.lone, 99.0)),
                ms(f.warm_cpu),
                row.billed_ms,
                row.duration,
            ));
        }
        // The trade-off around template.yaml's size: what one size less and one size more would give.
        let at = rows.iter().position(|row| Some(row.memory_mb) == chosen);
        if let Some(row) = at.and_then(|index| rows.get(index)) {
            duration_shares.push(row.duration / row.total);
        }
        let neighbour = |index: Option<usize>| {
            let (chosen_row, row) = (rows.get(at?)?, rows.get(index?)?);
            Some(format!(
                "{} MB: p99 {} ms, {:+.4} $/M",
                row.memory_mb,
                ms(percentile(&row.figures.warm, 99.0)),
                row.total - chosen_row.total
            ))
        };
        let chosen_figures = at.and_then(|index| rows.get(index)).map(|row| {
            let f = row.figures;
            format!(
                "p50 {} / p99 {} ms, lone p50 {} ms",
                ms(percentile(&f.warm, 50.0)),
                ms(percentile(&f.warm, 99.0)),
                ms(percentile(&f.lone, 50.0))
            )
        });
        picks.push_str(&format!(
            "| {function} | {} ms: {why} | {} | {} | {} | {} | {} |\n",
            limit.as_millis(),
            picked.map(|m| m.to_string()).unwrap_or_default(),
            match (chosen, chosen == picked) {
                (Some(size), true) => size.to_string(),
                (Some(size), false) => format!("**{size}** (not the rule's pick)"),
                (None, _) => "?".to_owned(),
            },
            chosen_figures.unwrap_or_default(),
            neighbour(at.and_then(|index| index.checked_sub(1))).unwrap_or_else(|| "–".to_owned()),
            neighbour(at.map(|index| index + 1)).unwrap_or_else(|| "–".to_owned()),
        ));
    }
    out.push_str(&format!(
        "\nIn bold: template.yaml's size (memory column) and the rule's pick (total column). The rule: the \
         cheapest size per million requests whose warm p99 stays within what a user of the function would \
         accept (below); costs less than ${SAME_COST} per million apart count as the same (the run-to-run \
         noise), and then the smaller size is taken, whose cold starts cost less (init is billed too); when \
         no size is within, the fastest. Cost is taken from requests back to back because \
         that is when it adds up: an instance kept busy. The lone requests show what a user of a quiet \
         service waits. Around each chosen size, what one size less and one size more would give (cost per \
         million against the chosen size's).\n\n\
                  | function | warm p99 accepted | rule's pick (MB) | template.yaml (MB) | there | one size less | \
         one size more |\n|---|---|---|---|---|---|---|\n{picks}"
    ));
    let (least, most) = duration_shares
        .iter()
        .fold((f64::INFINITY, 0.0_f64), |(least, most), share| {
            (least.min(*share), most.max(*share))
        });
    let quotas: Vec<String> = SIZES
        .iter()
        .take(3)
        .map(|memory_mb| {
            format!(
                "{memory_mb} MB {:.2} ms",
                cpu_share::share(*memory_mb) * cpu_share::PERIOD.as_secs_f64() * 1e3
            )
        })
        .collect();
    out.push_str(&format!(
        "\nThe trade-off. At the chosen sizes Lambda's duration is {:.1} to {:.1} % of the cost per million \
         requests: API Gateway's ${:.2} and Lambda's ${:.2} per million do not depend on the size, DynamoDB's \
         units depend on the route. So the memory size moves latency far more than the bill, and a size \
         that is faster for about the same cost is worth taking. What makes the small sizes slow is the \
         quota per 20 ms period ({}): once the requests of a period have spent it, the function waits for \
         the next one, which shows as a warm p99 of about 20 ms (a p50 of about 20 ms when one request \
         needs more than the quota) and as more billed time. Functions that do little per request (health, \
         dashboard) rarely wait and are cheapest at 128 MB. Those that sign DynamoDB calls and parse the \
         answers (account, api-keys, the authorizer: the CPU column) wait often at 128 and 256 MB, and at \
         512 MB cost about the same per request while answering in a few ms. A request after a pause (lone) \
         starts with a full quota, so at the small sizes it waits less than one in a busy stream.\n",
        least * 100.0,
        most * 100.0,
        pricing::HTTP_API_PER_MILLION_REQUESTS,
        pricing::LAMBDA_PER_MILLION_REQUESTS,
        quotas.join(", ")
    ));
    out
}

/// How each function that reaches DynamoDB opens its connection at template.yaml's size, and what
/// connecting at init measured there against connecting at the first request.
fn at_template_sizes(
    template_sizes: &BTreeMap<String, u32>,
    figures: &BTreeMap<(&str, u32), Figures>,
) -> String {
    let mut phrases = Vec::new();
    for (function, dynamodb) in FUNCTIONS {
        let Some(memory_mb) = template_sizes.get(function).copied().filter(|_| dynamodb) else {
            continue;
        };
        let measured = figures
            .get(&(function, memory_mb))
            .and_then(|f| Some((f.cold.get(&Some(false))?, f.cold.get(&Some(true))?)))
            .map(|(lazy, eager)| {
                let difference =
                    medians(eager).total.as_secs_f64() - medians(lazy).total.as_secs_f64();
                format!(", at init {:+.1} ms", difference * 1e3)
            })
            .unwrap_or_default();
        let mode = if connects_at_init(memory_mb) {
            "connects at init"
        } else {
            "connects at the first request"
        };
        phrases.push(format!("{function} ({memory_mb} MB) {mode}{measured}"));
    }
    phrases.join("; ")
}

/// Cold starts with the DynamoDB connection opened during init and at the first request, side by side.
fn connection_table(
    figures: &BTreeMap<(&str, u32), Figures>,
    counts: &SampleCounts,
    template_sizes: &BTreeMap<String, u32>,
) -> String {
    let mut out = format!(
        "\n### Opening the DynamoDB connection during init, or at the first request\n\n\
         `DYNAMODB_CONNECT_AT_INIT=1` makes `Store::connect` send one eventually consistent `GetItem` of a key \
         that cannot exist during init, opening the connection (DNS, TCP, TLS) and running the SDK's \
         first-request set-up there: 0.5 read unit, $0.0000000625 per cold start. `0` leaves it all to the \
         first request, which pays it at the throttled share. Unset, the store connects at init below {} MB \
         (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`, set by Lambda). Medians of {} fresh processes each, in ms; the \
         first request's CPU time from the cgroup (`cpuacct`). Either way the first request of an \
         authenticated route also writes the key's usage (one `TransactWriteItems`).\n\n\
         | function | memory (MB) | at first request: init | first request (CPU) | cold start | at init: init | \
         first request (CPU) | cold start | at init − at first request |\n|---|---|---|---|---|---|---|---|---|\n",
        store::CONNECT_AT_INIT_BELOW_MB,
        counts.cold_runs
    );
    // By size: in how many functions connecting at init was faster, and the median difference; and over
    // every pair, how much CPU the first request saved and how much longer init took.
    let mut by_size: BTreeMap<u32, Vec<f64>> = BTreeMap::new();
    let (mut cpu_saved, mut init_added, mut spreads) = (Vec::new(), Vec::new(), Vec::new());
    for (function, dynamodb) in FUNCTIONS {
        if !dynamodb {
            continue;
        }
        for memory_mb in SIZES {
            let Some(f) = figures.get(&(function, memory_mb)) else {
                continue;
            };
            let (Some(lazy), Some(eager)) = (f.cold.get(&Some(false)), f.cold.get(&Some(true)))
            else {
                continue;
            };
            spreads.extend([spread(lazy), spread(eager)]);
            let (lazy, eager) = (medians(lazy), medians(eager));
            let difference = (eager.total.as_secs_f64() - lazy.total.as_secs_f64()) * 1e3;
            by_size.entry(memory_mb).or_default().push(difference);
            cpu_saved.push(lazy.first_cpu.saturating_sub(eager.first_cpu));
            init_added.push(eager.init.saturating_sub(lazy.init));
            out.push_str(&format!(
                "| {function} | {memory_mb} | {} | {} ({}) | {} | {} | {} ({}) | {} | {:+.3} |\n",
                ms(lazy.init),
                ms(lazy.first),
                ms(lazy.first_cpu),
                ms(lazy.total),
                ms(eager.init),
                ms(eager.first),
                ms(eager.first_cpu),
                ms(eager.total),
                difference
            ));
        }
    }
    // Per size: (functions for which connecting at init was faster, functions, median difference in ms).
    let summary: BTreeMap<u32, (usize, usize, f64)> = by_size
        .into_iter()
        .map(|(memory_mb, mut differences)| {
            differences.sort_by(f64::total_cmp);
            let faster = differences.iter().filter(|d| **d < 0.0).count();
            let median = differences.get(differences.len() / 2).copied();
            (
                memory_mb,
                (faster, differences.len(), median.unwrap_or_default()),
            )
        })
        .collect();
    out.push_str(
        "\n| memory (MB) | connecting at init faster for | median difference (ms) | the store's default |\n\
         |---|---|---|---|\n",
    );
    for (memory_mb, (faster, functions, median)) in &summary {
        out.push_str(&format!(
            "| {memory_mb} | {faster} of {functions} functions | {median:+.3} | {} |\n",
            if connects_at_init(*memory_mb) {
                "at init"
            } else {
                "at the first request"
            },
        ));
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
    out.push_str(&format!(
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
        store::CONNECT_AT_INIT_BELOW_MB,
        at_template_sizes(template_sizes, figures),
        ms(median(&mut spreads)),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = "Globals:\n  Function:\n    MemorySize: 128\n    Timeout: 10\n\nResources:\n  \
        AccountFunction:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        \
        Binary: account\n    Properties:\n      MemorySize: 512\n  \
        HealthFunction:\n    Type: AWS::Serverless::Function\n    Metadata:\n      BuildProperties:\n        \
        Binary: health\n  Table:\n    Type: AWS::DynamoDB::Table\n    Properties:\n      TableName: !Ref Name\n";

    #[test]
    fn a_function_s_memory_is_its_own_else_the_globals() {
        let sizes = template_memory_sizes(TEMPLATE);
        assert_eq!(
            sizes,
            BTreeMap::from([("account".to_owned(), 512), ("health".to_owned(), 128)])
        );
    }

    #[test]
    fn the_real_template_gives_every_function_measured_a_size() {
        let template = include_str!("../../../template.yaml");
        let sizes = template_memory_sizes(template);
        for (function, _) in FUNCTIONS {
            assert!(sizes.contains_key(function), "{function}: {sizes:?}");
        }
    }

    #[test]
    fn the_rule_picks_the_cheapest_size_within_the_budget_else_the_fastest() {
        let at = |p99_ms: u64| Figures {
            warm: vec![Duration::from_millis(p99_ms)],
            ..Figures::default()
        };
        let row = |memory_mb: u32, figures, total| Row {
            memory_mb,
            figures,
            billed_ms: 0.0,
            duration: 0.0,
            total,
        };
        let (slow, middling, fast) = (at(30), at(8), at(3));
        let rows = [
            row(128, &slow, 1.0),
            row(256, &middling, 1.01),
            row(512, &fast, 1.02),
        ];
        assert_eq!(pick(&rows, Duration::from_millis(10)), Some(256));
        assert_eq!(pick(&rows, Duration::from_millis(50)), Some(128));
        assert_eq!(pick(&rows, Duration::from_millis(1)), Some(512));
        // Costs closer than SAME_COST are the same cost: the smaller size is taken.
        let rows = [
            row(128, &slow, 1.0005),
            row(256, &middling, 1.0),
            row(512, &fast, 1.0),
        ];
        assert_eq!(pick(&rows, Duration::from_millis(50)), Some(128));
        assert_eq!(pick(&rows, Duration::from_millis(10)), Some(256));
    }

    #[test]
    fn every_function_measured_has_a_budget() {
        assert!(FUNCTIONS
            .iter()
            .all(|(function, _)| budget(function).is_some()));
    }
}
