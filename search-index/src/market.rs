//! Markets: a country and its currency. Every document carries its store's market as a
//! small number (field `market`), so a listing can keep to one market, and a price in one
//! currency can be compared with a price in another through exchange rates
//! ([`Conversion`]).
//!
//! Within one market every price is in the same currency, so its orders, filters and
//! buckets are the raw amounts. Across markets the index compares converted amounts: a
//! price's hundredths times its market's factor, in hundredths of the reference currency,
//! not rounded. The factors come with each query, so a new rate re-ranks the next query
//! without a reindex. Multiplying by a positive factor keeps the order of the raw prices
//! strictly (two raw prices never convert to the same amount, which rounding to cents
//! would do), so within a market the order by (raw price, id) is the order by (converted
//! price, id): a converted listing walks the per-market key orders and merges them.

/// The markets, by code minus one: the code of `AR` is 1. Code 0 is a document without a
/// known market.
pub const MARKETS: [&str; 5] = ["AR", "CL", "UY", "PY", "PE"];

/// Slots of a [`Conversion`]: one per market code, 0 included.
pub const MARKET_SLOTS: usize = MARKETS.len() + 1;

/// The market code of a country (ISO 3166-1 alpha-2, case ignored); 0 when it is none of
/// [`MARKETS`].
pub fn market_code(country: &str) -> u64 {
    MARKETS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(country.trim()))
        .map_or(0, |i| i as u64 + 1)
}

/// Multipliers from a market's price in hundredths of its currency to hundredths of the
/// reference currency, by market code. A slot that is not a positive finite number has no
/// rate: its products take no part in a converted sort, filter or bucket.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Conversion(pub [f64; MARKET_SLOTS]);

impl Conversion {
    /// The factor of market `code`, if it has a rate.
    pub fn factor(&self, code: u64) -> Option<f64> {
        let f = *self.0.get(usize::try_from(code).ok()?)?;
        (f.is_finite() && f > 0.0).then_some(f)
    }

    /// `cents` of market `code` in hundredths of the reference currency: one IEEE
    /// multiplication, which PostgreSQL's `float8` computes alike.
    pub fn convert(&self, code: u64, cents: i64) -> Option<f64> {
        Some(cents as f64 * self.factor(code)?)
    }

    /// The markets that have a rate.
    pub fn markets(&self) -> impl Iterator<Item = u64> + '_ {
        (1..MARKET_SLOTS as u64).filter(|m| self.factor(*m).is_some())
    }

    /// The raw price range of market `code` whose converted prices fall in `[min, max]`
    /// (reference hundredths, either side open when `None`); `None` when no raw price does.
    pub fn raw_range(&self, code: u64, min: Option<i64>, max: Option<i64>) -> Option<(i64, i64)> {
        let factor = self.factor(code)?;
        let converted = |raw: i64| raw as f64 * factor;
        // The smallest raw price whose conversion passes `past` (a test that, once true,
        // stays true as the raw price grows, since conversion keeps the order): a binary
        // search around the estimate `bound / factor`.
        let first = |bound: i64, past: &dyn Fn(f64) -> bool| -> i64 {
            let guess = (bound as f64 / factor) as i64;
            let span = (2.0 / factor) as i64 + 2;
            let (mut low, mut high) = (guess.saturating_sub(span), guess.saturating_add(span));
            while low < high {
                let mid = low + (high - low) / 2;
                if past(converted(mid)) {
                    high = mid;
                } else {
                    low = mid + 1;
                }
            }
            low
        };
        let low = min.map_or(i64::MIN, |min| first(min, &|c| c >= min as f64));
        let high = match max {
            Some(max) => first(max, &|c| c > max as f64).saturating_sub(1),
            None => i64::MAX,
        };
        (low <= high).then_some((low, high))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_keeps_the_order_of_raw_prices_strictly() {
        let conversion = Conversion([
            0.0,
            1.0 / 1_050.0,
            1.0 / 950.0,
            1.0 / 40.0,
            1.0 / 7_300.0,
            1.0 / 3.75,
        ]);
        for code in 1..MARKET_SLOTS as u64 {
            for raw in [1_i64, 99, 1_000, 1_234_567, 99_999_999_999] {
                let (a, b) = (
                    conversion.convert(code, raw),
                    conversion.convert(code, raw + 1),
                );
                assert!(a < b, "market {code}: {raw}");
            }
        }
    }

    #[test]
    fn codes_of_the_five_countries() {
        assert_eq!(market_code("AR"), 1);
        assert_eq!(market_code("pe"), 5);
        assert_eq!(market_code("BR"), 0);
        assert_eq!(market_code(""), 0);
    }

    #[test]
    fn a_raw_range_holds_exactly_the_prices_whose_conversion_is_in_the_bounds() {
        // Factors like real ones: many raw prices per reference hundredth (PYG), and a few.
        let conversion = Conversion([0.0, 0.001, 0.0011, 0.025, 0.000_137, 0.27]);
        for code in 1..MARKET_SLOTS as u64 {
            for (min, max) in [
                (Some(1_000), Some(2_000)),
                (Some(37), None),
                (None, Some(5)),
            ] {
                let (low, high) = conversion.raw_range(code, min, max).expect("some prices");
                let inside = |raw: i64| {
                    let c = conversion.convert(code, raw).expect("a rate");
                    min.is_none_or(|m| c >= m as f64) && max.is_none_or(|m| c <= m as f64)
                };
                if low > i64::MIN {
                    assert!(inside(low) && !inside(low - 1), "market {code}: low {low}");
                }
                if high < i64::MAX {
                    assert!(
                        inside(high) && !inside(high + 1),
                        "market {code}: high {high}"
                    );
                }
            }
        }
        assert_eq!(conversion.raw_range(0, Some(1), Some(2)), None);
        assert_eq!(conversion.raw_range(1, Some(10), Some(9)), None);
    }
}
