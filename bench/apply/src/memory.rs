//! The process's resident memory, from `/proc/self/status` (Linux).
//!
//! `VmHWM` is the peak resident set size since the process started, or since
//! the last reset: writing `5` to `/proc/self/clear_refs` resets it, so the
//! peak of one apply can be read on its own.

/// Resets the peak (`VmHWM`) to the current resident size; `false` when the
/// kernel does not allow it (the peak then covers the whole process).
pub(crate) fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// `VmHWM`: the peak resident set size, in KiB.
pub(crate) fn peak_kib() -> Option<u64> {
    status_field("VmHWM:")
}

/// `VmRSS`: the current resident set size, in KiB.
pub(crate) fn current_kib() -> Option<u64> {
    status_field("VmRSS:")
}

fn status_field(name: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Resident memory around one measured call.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Memory {
    /// Resident size just before the call, KiB.
    pub(crate) before_kib: u64,
    /// Peak resident size during the call, KiB (`VmHWM` after it, reset before).
    pub(crate) peak_kib: u64,
    /// Whether the peak was reset before the call (else it is the process's peak).
    pub(crate) reset: bool,
}

/// Runs `f`, recording the resident memory before it and the peak during it.
pub(crate) fn measure<T>(f: impl FnOnce() -> T) -> (T, Memory) {
    let reset = reset_peak();
    let before_kib = current_kib().unwrap_or_default();
    let value = f();
    let memory = Memory {
        before_kib,
        peak_kib: peak_kib().unwrap_or_default(),
        reset,
    };
    (value, memory)
}
