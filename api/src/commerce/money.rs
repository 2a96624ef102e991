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
}
