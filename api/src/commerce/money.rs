//! Amounts of the five markets' currencies: their decimals, and how a mail writes them.

use rust_decimal::{Decimal, RoundingStrategy};

/// Decimals of an amount in `currency`: none for Chilean pesos and guaraníes, two for the
/// others (ISO 4217).
pub fn currency_decimals(currency: &str) -> u32 {
    match currency {
        "CLP" | "PYG" => 0,
        _ => 2,
    }
}

/// `amount` rounded by `currency`'s rules: whole units for CLP and PYG, cents for the
/// others, halves away from zero (as tills round).
pub fn round_amount(amount: Decimal, currency: &str) -> Decimal {
    amount.round_dp_with_strategy(
        currency_decimals(currency),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// The value-added tax rate of a market's currency, as prices include it: IVA 21 % in
/// Argentina, 19 % in Chile, 22 % in Uruguay, 10 % in Paraguay, and IGV 18 % in Peru.
pub fn tax_rate(currency: &str) -> Option<Decimal> {
    match currency {
        "ARS" => Some(Decimal::new(21, 2)),
        "CLP" => Some(Decimal::new(19, 2)),
        "UYU" => Some(Decimal::new(22, 2)),
        "PYG" => Some(Decimal::new(10, 2)),
        "PEN" => Some(Decimal::new(18, 2)),
        _ => None,
    }
}

/// The tax a `total` that includes it holds: `total × rate / (1 + rate)`, rounded by the
/// currency's rules; zero for a currency without a rate.
pub fn tax_included(total: Decimal, currency: &str) -> Decimal {
    let Some(rate) = tax_rate(currency) else {
        return Decimal::ZERO;
    };
    total
        .checked_mul(rate)
        .and_then(|t| t.checked_div(Decimal::ONE.checked_add(rate)?))
        .map_or(Decimal::ZERO, |t| round_amount(t, currency))
}

/// `amount` in `currency` the way these countries write it: `ARS 12.500,50`, `CLP 9.990`
/// (no decimals for CLP and PYG), rounded half away from zero.
pub fn display(amount: Decimal, currency: &str) -> String {
    let decimals = currency_decimals(currency);
    let rounded = amount.round_dp_with_strategy(decimals, RoundingStrategy::MidpointAwayFromZero);
    let text = format!("{:.*}", decimals as usize, rounded.abs());
    let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, digit) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(digit);
    }
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    if fraction.is_empty() {
        format!("{currency} {sign}{grouped}")
    } else {
        format!("{currency} {sign}{grouped},{fraction}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_with_the_currencys_decimals_and_groups() {
        assert_eq!(display(Decimal::new(1_875_050, 2), "ARS"), "ARS 18.750,50");
        assert_eq!(display(Decimal::new(9_990, 0), "CLP"), "CLP 9.990");
        assert_eq!(display(Decimal::new(99_905, 1), "PYG"), "PYG 9.991"); // 9990.5 -> 9991
        assert_eq!(
            display(Decimal::new(1_234_567, 0), "PEN"),
            "PEN 1.234.567,00"
        );
        assert_eq!(display(Decimal::new(5, 1), "UYU"), "UYU 0,50");
        assert_eq!(display(Decimal::new(-5, 1), "UYU"), "UYU -0,50");
        assert_eq!(display(Decimal::ZERO, "CLP"), "CLP 0");
    }

    #[test]
    fn amounts_round_half_up_to_the_currencys_decimals() {
        for (amount, currency, rounded) in [
            (Decimal::new(99_905, 1), "CLP", Decimal::new(9_991, 0)),
            (Decimal::new(99_904, 1), "CLP", Decimal::new(9_990, 0)),
            (Decimal::new(15, 1), "PYG", Decimal::new(2, 0)),
            (Decimal::new(-15, 1), "PYG", Decimal::new(-2, 0)),
            (Decimal::new(12_345, 3), "ARS", Decimal::new(1_235, 2)),
            (Decimal::new(12_344_999, 6), "UYU", Decimal::new(1_234, 2)),
            (Decimal::new(1_005, 3), "PEN", Decimal::new(101, 2)),
        ] {
            assert_eq!(
                round_amount(amount, currency),
                rounded,
                "{amount} {currency}"
            );
        }
    }

    #[test]
    fn the_tax_a_total_includes() {
        // 12,100 ARS include 2,100 of IVA at 21 %; 11,900 CLP include 1,900 at 19 %.
        assert_eq!(
            tax_included(Decimal::new(1_210_000, 2), "ARS"),
            Decimal::new(210_000, 2)
        );
        assert_eq!(
            tax_included(Decimal::new(11_900, 0), "CLP"),
            Decimal::new(1_900, 0)
        );
        // 10,000 PYG include 909.09... -> 909; 100 PEN include 15.254... -> 15.25.
        assert_eq!(
            tax_included(Decimal::new(10_000, 0), "PYG"),
            Decimal::new(909, 0)
        );
        assert_eq!(
            tax_included(Decimal::new(10_000, 2), "PEN"),
            Decimal::new(1_525, 2)
        );
        assert_eq!(tax_included(Decimal::new(10_000, 2), "USD"), Decimal::ZERO);
    }
}
