//! Resident memory of this process over the run: samples, and whether it stayed flat.

use std::time::Duration;

/// One reading: seconds since the start and resident memory in KiB.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    pub secs: f64,
    pub kib: f64,
}

/// The resident set size of this process in KiB (`VmRSS` in `/proc/self/status`), if the
/// platform has it.
pub fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// How the run's memory behaved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemoryReport {
    pub samples: usize,
    /// Mean of the first tenth of the samples (KiB).
    pub first_tenth_kib: f64,
    /// Mean of the last tenth of the samples (KiB).
    pub last_tenth_kib: f64,
    /// Least-squares slope after the warm-up (KiB per minute).
    pub slope_kib_per_min: f64,
    /// Growth from the end of the warm-up to the last tenth (KiB).
    pub growth_kib: f64,
}

/// Memory counts as growing only when both the slope after the warm-up and the total
/// growth pass these: a short run's noise stays under the growth floor, a real leak over a
/// long run passes both.
pub const MAX_SLOPE_KIB_PER_MIN: f64 = 256.0;
pub const MAX_GROWTH_KIB: f64 = 4096.0;

impl MemoryReport {
    /// Summarizes samples taken in time order; `None` with fewer than ten.
    pub fn from_samples(samples: &[Sample]) -> Option<Self> {
        if samples.len() < 10 {
            return None;
        }
        let tenth = samples.len() / 10;
        let mean = |s: &[Sample]| s.iter().map(|x| x.kib).sum::<f64>() / s.len() as f64;
        let first = mean(&samples[..tenth]);
        let last = mean(&samples[samples.len() - tenth..]);
        // The first tenth is the warm-up: books, buffers and allocator arenas fill up.
        let steady = &samples[tenth..];
        Some(Self {
            samples: samples.len(),
            first_tenth_kib: first,
            last_tenth_kib: last,
            slope_kib_per_min: slope(steady) * 60.0,
            growth_kib: last - mean(&steady[..tenth.max(1)]),
        })
    }

    /// Whether memory grew beyond the stated thresholds after the warm-up.
    pub fn grows(&self) -> bool {
        self.slope_kib_per_min > MAX_SLOPE_KIB_PER_MIN && self.growth_kib > MAX_GROWTH_KIB
    }
}

/// Least-squares slope of KiB over seconds.
fn slope(samples: &[Sample]) -> f64 {
    let n = samples.len() as f64;
    if n < 2.0 {
        return 0.0;
    }
    let mean_t = samples.iter().map(|s| s.secs).sum::<f64>() / n;
    let mean_k = samples.iter().map(|s| s.kib).sum::<f64>() / n;
    let (mut num, mut den) = (0.0, 0.0);
    for s in samples {
        num += (s.secs - mean_t) * (s.kib - mean_k);
        den += (s.secs - mean_t) * (s.secs - mean_t);
    }
    if den == 0.0 { 0.0 } else { num / den }
}

/// Samples every `every` until `stop` is set, at most `max` samples.
pub fn sample_until(
    every: Duration,
    max: usize,
    stop: &std::sync::atomic::AtomicBool,
) -> Vec<Sample> {
    let start = std::time::Instant::now();
    let mut samples = Vec::with_capacity(max.min(4096));
    while samples.len() < max && !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if let Some(kib) = resident_kib() {
            samples.push(Sample {
                secs: start.elapsed().as_secs_f64(),
                kib: kib as f64,
            });
        }
        std::thread::sleep(every);
    }
    samples
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests fail loudly")]
mod tests {
    use super::*;

    fn line(per_sec: f64, n: usize) -> Vec<Sample> {
        (0..n)
            .map(|i| Sample {
                secs: i as f64,
                kib: 10_000.0 + per_sec * i as f64,
            })
            .collect()
    }

    #[test]
    fn a_flat_run_does_not_grow() {
        let report = MemoryReport::from_samples(&line(0.0, 100)).unwrap();
        assert_eq!(report.slope_kib_per_min, 0.0);
        assert!(!report.grows());
    }

    #[test]
    fn a_steady_leak_is_caught() {
        // 10 KiB/s is 600 KiB/min; over 1000 s the growth is far above the floor.
        let report = MemoryReport::from_samples(&line(10.0, 1000)).unwrap();
        assert!(
            (report.slope_kib_per_min - 600.0).abs() < 1e-6,
            "{report:?}"
        );
        assert!(report.last_tenth_kib > report.first_tenth_kib);
        assert!(report.grows());
    }

    #[test]
    fn a_short_noisy_rise_stays_under_the_growth_floor() {
        let report = MemoryReport::from_samples(&line(10.0, 30)).unwrap();
        assert!(report.slope_kib_per_min > MAX_SLOPE_KIB_PER_MIN);
        assert!(!report.grows(), "{report:?}");
    }

    #[test]
    fn too_few_samples_give_no_report() {
        assert!(MemoryReport::from_samples(&line(0.0, 9)).is_none());
    }

    #[test]
    fn this_process_has_a_resident_size() {
        assert!(resident_kib().is_some_and(|kib| kib > 0));
    }
}
