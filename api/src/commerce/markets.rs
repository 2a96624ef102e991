//! Markets: a country with its currency (AR ARS, CL CLP, UY UYU, PY PYG, PE PEN), and the
//! exchange rates that compare prices across them.
//!
//! A listing with a market keeps to that market's stores, so its prices, price filters,
//! sorts and buckets are all in one currency. A listing without one compares prices
//! converted to the reference currency (US dollars) with the newest rate of each currency;
//! those converted amounts are approximate, and the schema says so where they show.
//!
//! Rates live in `exchange_rates` (a history: the newest row of a currency is its rate).
//! Every process keeps them in memory ([`LiveRates`]) and reloads them when a trigger
//! announces a change on `textisur_events`, and once a minute in case a notice was lost.
//! Conversion happens when a query runs, so a new rate re-ranks the next listings without
//! a reindex; the process that set it reloads before it answers.

use std::sync::{Arc, PoisonError, RwLock};

pub mod graphql;

use async_graphql::{Enum, SimpleObject};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use textisur_search_index::{Conversion, MARKET_SLOTS, market_code};

/// A market: a country where stores sell, in its currency.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum Market {
    /// Argentina, in Argentine pesos (ARS).
    Ar,
    /// Chile, in Chilean pesos (CLP).
    Cl,
    /// Uruguay, in Uruguayan pesos (UYU).
    Uy,
    /// Paraguay, in guaraníes (PYG).
    Py,
    /// Peru, in soles (PEN).
    Pe,
}

/// ISO 3166-1 alpha-2 codes of the countries stores sell in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum CountryCode {
    /// Argentina.
    Ar,
    /// Chile.
    Cl,
    /// Uruguay.
    Uy,
    /// Paraguay.
    Py,
    /// Peru.
    Pe,
}

/// ISO 4217 codes of the currencies prices are in: the five markets' and the reference
/// currency of converted amounts (US dollars).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum CurrencyCode {
    /// Argentine peso.
    Ars,
    /// Chilean peso (no decimals).
    Clp,
    /// Uruguayan peso.
    Uyu,
    /// Paraguayan guaraní (no decimals).
    Pyg,
    /// Peruvian sol.
    Pen,
    /// US dollar: the reference currency of converted amounts.
    Usd,
}

/// The reference currency converted amounts are in.
pub const REFERENCE_CURRENCY: CurrencyCode = CurrencyCode::Usd;

impl Market {
    pub const ALL: [Market; 5] = [Market::Ar, Market::Cl, Market::Uy, Market::Py, Market::Pe];

    /// The market's country code.
    pub fn country(self) -> &'static str {
        match self {
            Market::Ar => "AR",
            Market::Cl => "CL",
            Market::Uy => "UY",
            Market::Py => "PY",
            Market::Pe => "PE",
        }
    }

    /// The currency the market's stores price in.
    pub fn currency(self) -> CurrencyCode {
        match self {
            Market::Ar => CurrencyCode::Ars,
            Market::Cl => CurrencyCode::Clp,
            Market::Uy => CurrencyCode::Uyu,
            Market::Py => CurrencyCode::Pyg,
            Market::Pe => CurrencyCode::Pen,
        }
    }

    /// The market of a country code, if it is one.
    pub fn of_country(country: &str) -> Option<Market> {
        Market::ALL
            .into_iter()
            .find(|m| m.country().eq_ignore_ascii_case(country.trim()))
    }

    /// The market of a currency, if it is a market's.
    pub fn of_currency(currency: &str) -> Option<Market> {
        Market::ALL
            .into_iter()
            .find(|m| m.currency().as_str() == currency.trim())
    }

    /// The index's code of this market.
    pub fn code(self) -> u64 {
        market_code(self.country())
    }
}

impl CountryCode {
    /// The ISO 3166-1 alpha-2 code.
    pub fn as_str(self) -> &'static str {
        self.market().country()
    }

    /// The market of this country.
    pub fn market(self) -> Market {
        match self {
            CountryCode::Ar => Market::Ar,
            CountryCode::Cl => Market::Cl,
            CountryCode::Uy => Market::Uy,
            CountryCode::Py => Market::Py,
            CountryCode::Pe => Market::Pe,
        }
    }

    /// The country of a stored code, if it is one of the five.
    pub fn parse(code: &str) -> Option<CountryCode> {
        Market::of_country(code).map(|m| match m {
            Market::Ar => CountryCode::Ar,
            Market::Cl => CountryCode::Cl,
            Market::Uy => CountryCode::Uy,
            Market::Py => CountryCode::Py,
            Market::Pe => CountryCode::Pe,
        })
    }
}

impl CurrencyCode {
    /// The ISO 4217 code.
    pub fn as_str(self) -> &'static str {
        match self {
            CurrencyCode::Ars => "ARS",
            CurrencyCode::Clp => "CLP",
            CurrencyCode::Uyu => "UYU",
            CurrencyCode::Pyg => "PYG",
            CurrencyCode::Pen => "PEN",
            CurrencyCode::Usd => "USD",
        }
    }

    /// The currency of a stored code, if it is one of these.
    pub fn parse(code: &str) -> Option<CurrencyCode> {
        [
            CurrencyCode::Ars,
            CurrencyCode::Clp,
            CurrencyCode::Uyu,
            CurrencyCode::Pyg,
            CurrencyCode::Pen,
            CurrencyCode::Usd,
        ]
        .into_iter()
        .find(|c| c.as_str() == code.trim())
    }
}

/// An amount converted from another currency at an exchange rate.
#[derive(SimpleObject, Clone, Debug)]
pub struct ConvertedMoney {
    /// The converted amount, in whole cents.
    pub amount: Decimal,
    /// The currency converted to (US dollars).
    pub currency: CurrencyCode,
    /// Always true: a converted amount moves with the rate and is not what anyone pays.
    pub approximate: bool,
}

/// A currency's rate against the reference currency.
#[derive(SimpleObject, Clone, Debug)]
pub struct ExchangeRate {
    /// The currency.
    pub currency: CurrencyCode,
    /// Units of the currency one US dollar buys.
    pub units_per_usd: Decimal,
    /// Where the rate comes from (a bank, an exchange, a person), as the admin wrote it.
    pub source: String,
    /// When it was set.
    pub set_at: DateTime<Utc>,
}

/// The rates each process converts with: the newest of each currency, and the factors
/// worked out from them once per reload (every listing without a market reads them).
#[derive(Clone, Default)]
pub struct LiveRates {
    current: Arc<RwLock<Rates>>,
}

#[derive(Default)]
struct Rates {
    rates: Vec<ExchangeRate>,
    conversion: Option<Conversion>,
}

impl std::fmt::Debug for LiveRates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRates").finish_non_exhaustive()
    }
}

impl LiveRates {
    /// The rates as last loaded, one per currency that has one.
    pub fn current(&self) -> Vec<ExchangeRate> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .rates
            .clone()
    }

    /// The factors from each market's hundredths to hundredths of US dollars; `None` when
    /// no market has a rate.
    pub fn conversion(&self) -> Option<Conversion> {
        self.current
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .conversion
    }

    /// The factors of `rates` (see [`LiveRates::conversion`]).
    fn factors(rates: &[ExchangeRate]) -> Option<Conversion> {
        let mut factors = [0.0; MARKET_SLOTS];
        for rate in rates {
            let Some(market) = Market::of_currency(rate.currency.as_str()) else {
                continue;
            };
            if let (Ok(slot), Some(units)) =
                (usize::try_from(market.code()), rate.units_per_usd.to_f64())
                && units > 0.0
                && let Some(factor) = factors.get_mut(slot)
            {
                *factor = 1.0 / units;
            }
        }
        factors
            .iter()
            .any(|f| *f > 0.0)
            .then_some(Conversion(factors))
    }

    /// Reads the newest rate of each currency.
    pub async fn reload(&self, pool: &sqlx::PgPool) -> sqlx::Result<usize> {
        let rows = sqlx::query!(
            r#"SELECT DISTINCT ON (currency_code) currency_code, units_per_usd, source, set_at
               FROM exchange_rates ORDER BY currency_code, id DESC"#
        )
        .fetch_all(pool)
        .await?;
        let rates: Vec<ExchangeRate> = rows
            .into_iter()
            .filter_map(|r| {
                Some(ExchangeRate {
                    currency: CurrencyCode::parse(&r.currency_code)?,
                    units_per_usd: r.units_per_usd.normalize(),
                    source: r.source,
                    set_at: r.set_at,
                })
            })
            .collect();
        let n = rates.len();
        let conversion = Self::factors(&rates);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Rates { rates, conversion };
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_market_has_its_country_currency_and_index_code() {
        for (i, market) in Market::ALL.into_iter().enumerate() {
            assert_eq!(market.code(), i as u64 + 1);
            assert_eq!(Market::of_country(market.country()), Some(market));
            assert_eq!(
                Market::of_currency(market.currency().as_str()),
                Some(market)
            );
        }
        assert_eq!(Market::of_currency("USD"), None);
        assert_eq!(CountryCode::parse("pe"), Some(CountryCode::Pe));
    }
}
