//! Retries, timeouts and the overall deadline.
//!
//! Only what may succeed a moment later is retried: transport failures (connection refused or
//! reset, timeouts) and the gateway's `desir_1020` "service temporairement indisponible"
//! (INSI-PROTOCOL.md §4.2). Business faults and CR codes are answers, never retried. TLS
//! authentication failures are not retried either: the same certificate fails the same way.

use std::time::Duration;

/// Bounded exponential backoff, plus the per-call timeout and the overall deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first try (so `max_retries + 1` tries at most).
    pub max_retries: u32,
    /// Delay before the first retry; doubled each time.
    pub base_delay: Duration,
    /// Ceiling of one delay.
    pub max_delay: Duration,
    /// One HTTP exchange (connect + request + response).
    pub call_timeout: Duration,
    /// A whole search, every attempt and delay included.
    pub deadline: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(2),
            call_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1-based), or `None` when retries are exhausted.
    pub fn delay_before(&self, retry: u32) -> Option<Duration> {
        if retry == 0 || retry > self.max_retries {
            return None;
        }
        let factor = 1u32.checked_shl(retry - 1).unwrap_or(u32::MAX);
        Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
    }

    /// A policy that never retries and waits for nothing (tests, the runner's strict mode).
    pub fn no_retry() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }
}

/// The detail code of the fault that means "try again later".
pub const RETRYABLE_FAULT: &str = "desir_1020";

/// True for a fault detail code worth retrying (case-insensitive: captures vary).
pub fn is_retryable_fault(detail_code: &str) -> bool {
    detail_code.eq_ignore_ascii_case(RETRYABLE_FAULT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_exponential_and_bounded() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay_before(0), None);
        assert_eq!(p.delay_before(1), Some(Duration::from_millis(200)));
        assert_eq!(p.delay_before(2), Some(Duration::from_millis(400)));
        assert_eq!(p.delay_before(3), None);
        let many = RetryPolicy {
            max_retries: 40,
            ..p
        };
        assert_eq!(many.delay_before(40), Some(Duration::from_secs(2)));
        assert_eq!(RetryPolicy::no_retry().delay_before(1), None);
    }

    #[test]
    fn only_desir_1020_is_retryable() {
        assert!(is_retryable_fault("desir_1020"));
        assert!(is_retryable_fault("DESIR_1020"));
        for code in ["desir_550", "DESIR_560", "insi_102", ""] {
            assert!(!is_retryable_fault(code));
        }
    }
}
