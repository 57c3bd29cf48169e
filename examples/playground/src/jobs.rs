//! The methods the playground's workers serve.

use leptos_atelier::{HandlerError, TaskContext, TaskMethod};
use serde::{Deserialize, Serialize};

/// Counts the primes below a bound by trial division: CPU-bound, and easy to check.
pub struct CountPrimes;

/// What [`CountPrimes`] answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimeCount {
    /// Primes strictly below the bound.
    pub count: u32,
    /// The pool slot of the worker that counted them.
    pub worker: usize,
}

/// The largest bound a job may ask for, so one job stays under a few seconds.
pub const MAX_BOUND: u32 = 5_000_000;

impl TaskMethod for CountPrimes {
    const NAME: &'static str = "count_primes";
    type Input = u32;
    type Output = PrimeCount;

    async fn run(below: u32, cx: TaskContext) -> Result<PrimeCount, HandlerError> {
        if below > MAX_BOUND {
            return Err(HandlerError::new(format!("bound {below} is above {MAX_BOUND}")));
        }
        Ok(PrimeCount {
            count: count_primes(below),
            worker: cx.worker_index(),
        })
    }
}

/// Primes strictly below `below`.
pub fn count_primes(below: u32) -> u32 {
    (2..below).filter(|&n| is_prime(n)).count() as u32
}

fn is_prime(n: u32) -> bool {
    if n < 4 {
        return n >= 2;
    }
    if n.is_multiple_of(2) {
        return false;
    }
    (3..)
        .step_by(2)
        .take_while(|d| d * d <= n)
        .all(|d| !n.is_multiple_of(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_known_values() {
        assert_eq!(count_primes(0), 0);
        assert_eq!(count_primes(3), 1);
        assert_eq!(count_primes(10), 4);
        assert_eq!(count_primes(100), 25);
        assert_eq!(count_primes(100_000), 9_592);
    }
}

/// A prime count that can be told to crash its worker (a panic) on its first attempt:
/// the playground's "crash next".
pub struct FlakyCount;

/// What [`FlakyCount`] is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlakyJob {
    /// Count the primes below this.
    pub below: u32,
    /// Panic on the first attempt.
    pub crash: bool,
}

impl TaskMethod for FlakyCount {
    const NAME: &'static str = "flaky_count";
    type Input = FlakyJob;
    type Output = PrimeCount;

    async fn run(job: FlakyJob, cx: TaskContext) -> Result<PrimeCount, HandlerError> {
        if job.crash && cx.attempt() == 1 {
            panic!("crash requested for the job below {}", job.below);
        }
        CountPrimes::run(job.below, cx).await
    }
}
