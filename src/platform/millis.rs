//! [`Millis`]: a duration written for people, in whole milliseconds.
//!
//! Error messages name deadlines and grace periods this way rather than through
//! `Duration`'s `Debug`, whose decimal formatting costs every app's bundle about a
//! kilobyte. Owns no clock and no timer.

use std::fmt;
use std::time::Duration;

/// Writes a duration as `"1500 ms"` (whole milliseconds, rounded down), or in whole
/// microseconds below one millisecond (`"250 µs"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Millis(pub Duration);

impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let millis = u64::try_from(self.0.as_millis()).unwrap_or(u64::MAX);
        if millis == 0 && !self.0.is_zero() {
            write!(f, "{} µs", self.0.subsec_micros())
        } else {
            write!(f, "{millis} ms")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_milliseconds_or_microseconds_below_one() {
        let text = |d: Duration| Millis(d).to_string();
        assert_eq!(text(Duration::from_millis(300)), "300 ms");
        assert_eq!(text(Duration::from_micros(1_500_700)), "1500 ms");
        assert_eq!(text(Duration::from_micros(250)), "250 µs");
        assert_eq!(text(Duration::ZERO), "0 ms");
        assert_eq!(text(Duration::MAX), format!("{} ms", u64::MAX));
    }
}
