//! Lambda's CPU model, reproduced with a cgroup v1 `cpu` controller: a function gets memory / 1769 MB of
//! one vCPU. A process moved into a [`CpuShare`] gets at most that share of one CPU in every scheduling
//! period; moved in at its first request for work, its init runs unthrottled and every invocation at the
//! share, as on Lambda; the `cpuacct` controller counts the CPU time it uses there. Needs root and
//! `/sys/fs/cgroup/cpu`.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The cgroup v1 `cpu` hierarchy, and `cpuacct`'s (the same folder where the two are mounted together).
const HIERARCHY: &str = "/sys/fs/cgroup/cpu";
const ACCOUNTING: &str = "/sys/fs/cgroup/cpuacct";

/// The CFS period: the quota is granted anew every period.
pub const PERIOD: Duration = Duration::from_millis(20);

/// The memory (MB) at which Lambda gives a function one whole vCPU.
pub const ONE_VCPU_MB: u32 = 1769;

/// The share of one CPU Lambda gives `memory_mb` (at most one here: the sizes measured go up to 1769 MB).
pub fn share(memory_mb: u32) -> f64 {
    (f64::from(memory_mb) / f64::from(ONE_VCPU_MB)).min(1.0)
}

/// Whether cgroups can be made here (root, the v1 `cpu` controller mounted).
pub fn available() -> bool {
    let probe = PathBuf::from(HIERARCHY).join(format!("bench-probe-{}", std::process::id()));
    let made = std::fs::create_dir(&probe).is_ok() && probe.join("cpu.cfs_quota_us").exists();
    let _ = std::fs::remove_dir(&probe);
    made
}

/// One cgroup holding its processes to one memory size's CPU share, and counting the CPU time they use
/// in it; removed when dropped.
pub struct CpuShare {
    cpu: PathBuf,
    /// The `cpuacct` cgroup, when it is a folder of its own (`None`: `cpu`'s folder counts).
    accounting: Option<PathBuf>,
}

impl CpuShare {
    /// Makes a new cgroup with the CPU share of `memory_mb`.
    pub fn new(memory_mb: u32) -> io::Result<Self> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "bench-{}-{memory_mb}mb-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let cpu = PathBuf::from(HIERARCHY).join(&name);
        std::fs::create_dir(&cpu)?;
        let mut group = Self {
            cpu,
            accounting: None,
        };
        let period_us = PERIOD.as_micros();
        let quota_us = (share(memory_mb) * period_us as f64).round() as u64;
        std::fs::write(group.cpu.join("cpu.cfs_period_us"), period_us.to_string())?;
        std::fs::write(group.cpu.join("cpu.cfs_quota_us"), quota_us.to_string())?;
        if !group.cpu.join("cpuacct.usage").exists() {
            let accounting = PathBuf::from(ACCOUNTING).join(&name);
            std::fs::create_dir(&accounting)?;
            group.accounting = Some(accounting);
        }
        Ok(group)
    }

    /// Moves process `pid`, every thread of it, into the cgroup; threads it starts later are born in it.
    pub fn add(&self, pid: u32) -> io::Result<()> {
        for group in std::iter::once(&self.cpu).chain(&self.accounting) {
            std::fs::write(group.join("cgroup.procs"), pid.to_string())?;
        }
        Ok(())
    }

    /// CPU time used in the cgroup since its processes were moved in.
    pub fn cpu_time(&self) -> Duration {
        let group = self.accounting.as_ref().unwrap_or(&self.cpu);
        std::fs::read_to_string(group.join("cpuacct.usage"))
            .ok()
            .and_then(|nanos| nanos.trim().parse().ok())
            .map(Duration::from_nanos)
            .unwrap_or_default()
    }
}

impl Drop for CpuShare {
    /// A cgroup can be removed only once empty: anything still in it goes back to the root first.
    fn drop(&mut self) {
        let groups = [
            (Some(&self.cpu), HIERARCHY),
            (self.accounting.as_ref(), ACCOUNTING),
        ];
        for (group, root) in groups {
            let Some(group) = group else { continue };
            if std::fs::remove_dir(group).is_ok() {
                continue;
            }
            if let Ok(procs) = std::fs::read_to_string(group.join("cgroup.procs")) {
                for pid in procs.split_whitespace() {
                    let _ = std::fs::write(PathBuf::from(root).join("cgroup.procs"), pid);
                }
            }
            let _ = std::fs::remove_dir(group);
        }
    }
}
