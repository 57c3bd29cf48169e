//! The methods the playground's workers serve.

use leptos_atelier::{HandlerError, TaskContext, task_method};
use serde::{Deserialize, Serialize};

/// What [`count_primes`](fn@count_primes) answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimeCount {
    /// Primes strictly below the bound.
    pub count: u32,
    /// The pool slot of the worker that counted them.
    pub worker: usize,
}

/// The largest bound a job may ask for, so one job stays under a few seconds.
pub const MAX_BOUND: u32 = 5_000_000;

/// Counts the primes below a bound by trial division: CPU-bound, and easy to check.
#[task_method]
pub async fn count_primes(below: u32, cx: TaskContext) -> Result<PrimeCount, HandlerError> {
    if below > MAX_BOUND {
        return Err(HandlerError::new(format!("bound {below} is above {MAX_BOUND}")));
    }
    Ok(PrimeCount {
        count: primes_below(below),
        worker: cx.worker_index(),
    })
}

/// Primes strictly below `below`.
pub fn primes_below(below: u32) -> u32 {
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
        assert_eq!(primes_below(0), 0);
        assert_eq!(primes_below(3), 1);
        assert_eq!(primes_below(10), 4);
        assert_eq!(primes_below(100), 25);
        assert_eq!(primes_below(100_000), 9_592);
    }
}

/// What [`flaky_count`](fn@flaky_count) is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlakyJob {
    /// Count the primes below this.
    pub below: u32,
    /// Panic on the first attempt.
    pub crash: bool,
}

/// A prime count that can be told to crash its worker (a panic) on its first attempt:
/// the playground's "crash next".
#[task_method]
pub async fn flaky_count(job: FlakyJob, cx: TaskContext) -> Result<PrimeCount, HandlerError> {
    if job.crash && cx.attempt() == 1 {
        panic!("crash requested for the job below {}", job.below);
    }
    count_primes(job.below, cx).await
}
