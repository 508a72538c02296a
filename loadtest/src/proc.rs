//! A process's CPU time and memory from `/proc` (proc(5)): the OP's CPU per
//! operation is the figure that holds on a machine shared with other work,
//! where latency and throughput move with the neighbours.

/// `/proc/PID/stat` counts in clock ticks of `USER_HZ`, 100 on Linux.
const USER_HZ: f64 = 100.0;

/// User and system CPU seconds of a process (all its threads).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cpu {
    pub user: f64,
    pub system: f64,
}

impl Cpu {
    /// Reads `/proc/PID/stat` fields 14 and 15 (`utime`, `stime`).
    pub fn of_process(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        Self::parse(&stat)
    }

    fn parse(stat: &str) -> Option<Self> {
        // The command name (field 2) may hold spaces and parentheses: fields
        // after the last `)` start with field 3 (state).
        let rest = &stat[stat.rfind(')')? + 1..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i)?.parse::<f64>().ok();
        Some(Self {
            user: ticks(11)? / USER_HZ,
            system: ticks(12)? / USER_HZ,
        })
    }

    /// CPU used between `earlier` and `self`.
    pub fn since(&self, earlier: &Cpu) -> Cpu {
        Cpu {
            user: self.user - earlier.user,
            system: self.system - earlier.system,
        }
    }

    pub fn total(&self) -> f64 {
        self.user + self.system
    }
}

/// `VmRSS` and `VmHWM` (peak) of a process in MiB, from `/proc/PID/status`.
pub fn memory_mib(pid: u32) -> Option<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        line.split_whitespace().nth(1)?.parse().ok()
    };
    Some((kib("VmRSS:")? / 1024.0, kib("VmHWM:")? / 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_fields_after_a_command_with_spaces_and_parens() {
        let stat = "42 (tokio (worker) 1) S 1 42 42 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0";
        let cpu = Cpu::parse(stat).unwrap();
        assert_eq!((cpu.user, cpu.system), (2.5, 0.75));
    }

    #[test]
    fn this_process_is_readable() {
        assert!(Cpu::of_process(std::process::id()).is_some());
        let (rss, peak) = memory_mib(std::process::id()).unwrap();
        assert!(rss > 0.0 && peak >= rss);
    }
}
