//! Section 6 of `make bench`: every function under Lambda's CPU model ([`cpu_share`]) at each memory size,
//! reaching DynamoDB over TLS ([`tls`]) as on AWS: cold start, warm latency back to back and alone, and what
//! Lambda would bill (the figures of aws-lambda-power-tuning's table, measured offline; [`crate::render`]
//! costs them and applies the memory-size rule); and the cold start with the DynamoDB connection opened
//! during init and without.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use service_tests::RuntimeApi;
use tokio::process::Child;

use crate::cpu_share::{self, CpuShare};
use crate::figures::{ColdMedians, MemorySamples, MemorySizeSection, SizeRow};
use crate::pricing;
use crate::tls::Terminator;
use crate::{key_for, median, millis, percentile, route_event, spawn_with, succeeded, Setup};

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

/// The medians of some cold starts (init + first request is the cold start a user waits), and their
/// spread.
fn medians(cold: &[ColdStart]) -> ColdMedians {
    let median = |part: fn(&ColdStart) -> Duration| {
        let mut values: Vec<Duration> = cold.iter().map(part).collect();
        millis(median(&mut values))
    };
    ColdMedians {
        init_ms: median(|c| c.init),
        first_ms: median(|c| c.first),
        first_cpu_ms: median(|c| c.first_cpu),
        total_ms: median(|c| c.init + c.first),
        spread_ms: millis(spread(cold)),
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
/// request (section 3), which each row carries for its cost.
pub async fn section(
    setup: &Setup,
    tls: &Terminator,
    counts: &SampleCounts,
    capacity: &BTreeMap<String, (f64, f64)>,
) -> MemorySizeSection {
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

    let mut rows: Vec<SizeRow> = figures
        .iter()
        .map(|((function, memory_mb), f)| {
            let (read_units, write_units) = capacity.get(*function).copied().unwrap_or_default();
            SizeRow {
                function: (*function).to_owned(),
                memory_mb: *memory_mb,
                cpu_share: cpu_share::share(*memory_mb),
                connects_at_init_by_default: connects_at_init(*memory_mb),
                cold_default: f.default_cold(*memory_mb),
                cold_at_first_request: f.cold.get(&Some(false)).map(|cold| medians(cold)),
                cold_at_init: f.cold.get(&Some(true)).map(|cold| medians(cold)),
                warm_p50_ms: millis(percentile(&f.warm, 50.0)),
                warm_p99_ms: millis(percentile(&f.warm, 99.0)),
                lone_p50_ms: millis(percentile(&f.lone, 50.0)),
                lone_p99_ms: millis(percentile(&f.lone, 99.0)),
                cpu_per_request_ms: millis(f.warm_cpu),
                billed_ms: f.billed_ms(),
                read_units,
                write_units,
            }
        })
        .collect();
    // In the order measured: FUNCTIONS, then sizes ascending.
    rows.sort_by_key(|row| {
        let function = FUNCTIONS.iter().position(|(name, _)| *name == row.function);
        (function, row.memory_mb)
    });
    MemorySizeSection {
        samples: MemorySamples {
            cold_runs: counts.cold_runs,
            requests: counts.requests,
            warm_up: WARM_UP,
            lone: counts.lone,
            pause_s: counts.pause.as_secs_f64(),
        },
        period_ms: millis(cpu_share::PERIOD),
        one_vcpu_mb: cpu_share::ONE_VCPU_MB,
        rows,
        tls_handshakes: tls.handshakes() - handshakes_before,
        instances_reaching_dynamodb: instances_started,
    }
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
}
