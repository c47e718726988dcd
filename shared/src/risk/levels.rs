//! The pieces the risk models and both JSON shapes share: a [`Range`] of
//! values, a [`RiskLevel`], and rounding as the apps round.

use serde::{Deserialize, Serialize};

/// An interval of real numbers, inclusive at both ends unless marked
/// exclusive: `{"min": 0, "max": 63, "minExclusive": false, "maxExclusive": true}`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Range {
    /// Lower bound.
    pub min: f64,
    /// Upper bound.
    pub max: f64,
    /// Whether `min` itself is outside.
    #[serde(default)]
    pub min_exclusive: bool,
    /// Whether `max` itself is outside.
    #[serde(default)]
    pub max_exclusive: bool,
}

impl Range {
    /// `[min, max]`.
    pub const fn inclusive(min: f64, max: f64) -> Self {
        Self {
            min,
            max,
            min_exclusive: false,
            max_exclusive: false,
        }
    }

    /// `[min, max)`.
    pub const fn max_exclusive(min: f64, max: f64) -> Self {
        Self {
            min,
            max,
            min_exclusive: false,
            max_exclusive: true,
        }
    }

    /// Whether `value` lies in the range (never for NaN).
    pub fn contains(&self, value: f64) -> bool {
        let above = if self.min_exclusive {
            value > self.min
        } else {
            value >= self.min
        };
        let below = if self.max_exclusive {
            value < self.max
        } else {
            value <= self.max
        };
        above && below
    }
}

/// The risk level of the exposure-window model: 1 is LOW, 2 is HIGH.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "u8", try_from = "u8")]
pub enum RiskLevel {
    /// Low risk (1).
    Low,
    /// High risk (2).
    High,
}

impl RiskLevel {
    /// The wire value: 1 or 2.
    pub fn code(self) -> u8 {
        match self {
            Self::Low => 1,
            Self::High => 2,
        }
    }
}

impl From<RiskLevel> for u8 {
    fn from(level: RiskLevel) -> Self {
        level.code()
    }
}

impl TryFrom<u8> for RiskLevel {
    type Error = String;

    fn try_from(code: u8) -> Result<Self, Self::Error> {
        match code {
            1 => Ok(Self::Low),
            2 => Ok(Self::High),
            other => Err(format!(
                "risk level must be 1 (LOW) or 2 (HIGH), got {other}"
            )),
        }
    }
}

/// Rounds half away from zero to `decimals` places, as the apps do
/// (`round(x * 10^d) / 10^d`).
pub(crate) fn round_to(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_bounds() {
        let cases = [
            (
                Range::inclusive(0.0, 10.0),
                [(-0.1, false), (0.0, true), (10.0, true), (10.1, false)],
            ),
            (
                Range::max_exclusive(0.0, 10.0),
                [(-0.1, false), (0.0, true), (9.99, true), (10.0, false)],
            ),
            (
                Range {
                    min_exclusive: true,
                    ..Range::inclusive(0.0, 10.0)
                },
                [(0.0, false), (0.01, true), (10.0, true), (10.01, false)],
            ),
        ];
        for (range, checks) in cases {
            for (value, expected) in checks {
                assert_eq!(
                    range.contains(value),
                    expected,
                    "{range:?} contains {value}"
                );
            }
        }
        assert!(!Range::inclusive(0.0, 1.0).contains(f64::NAN));
    }

    #[test]
    fn rounding_is_half_away_from_zero() {
        assert_eq!(round_to(12.95, 1), 13.0);
        assert_eq!(round_to(12.94, 1), 12.9);
        assert_eq!(round_to(124.800_000_000_000_01, 2), 124.8);
    }
}
