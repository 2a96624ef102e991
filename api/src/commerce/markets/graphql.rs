//! The GraphQL side of markets: the exchange rates anyone reads and admins set.

use async_graphql::{Context, InputObject, Object, Result, SimpleObject};
use rust_decimal::Decimal;

use super::{CurrencyCode, ExchangeRate, REFERENCE_CURRENCY};
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiError;
use crate::graphql::guards::AdminOnly;
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Currencies with a rate: the five markets'.
pub const MAX_RATES: usize = 5;

/// The rates anyone may read.
#[derive(Default)]
pub struct MarketQueries;

#[Object]
impl MarketQueries {
    /// The exchange rates listings without a market convert prices with: the newest of
    /// each market's currency, in units per US dollar.
    async fn exchange_rates(&self, ctx: &Context<'_>) -> Vec<ExchangeRate> {
        RequestContext::of(ctx).search.rates.current()
    }
}

/// Input of `setExchangeRate`.
#[derive(InputObject, Debug)]
pub struct SetExchangeRateInput {
    /// A market's currency (not USD, the reference).
    pub currency: CurrencyCode,
    /// Units of the currency one US dollar buys: more than 0, less than 1,000,000,000, at
    /// most 8 decimals.
    pub units_per_usd: Decimal,
    /// Where the rate comes from: 1 to 200 characters.
    pub source: String,
}

/// Result of `setExchangeRate`.
#[derive(SimpleObject, Default)]
pub struct SetExchangeRatePayload {
    /// The rate as set; null when there are user errors.
    pub rate: Option<ExchangeRate>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
}

/// The rate mutations.
#[derive(Default)]
pub struct MarketMutations;

#[Object]
impl MarketMutations {
    /// Sets the rate of a market's currency (kept with the earlier ones as history).
    /// Listings on every server convert with it within the index's freshness bound, without
    /// a reindex; this server's next listing already does.
    /// User errors: INVALID.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn set_exchange_rate(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The currency, its rate and the rate's source.")]
        input: SetExchangeRateInput,
    ) -> Result<SetExchangeRatePayload> {
        let rc = RequestContext::of(ctx);
        let invalid = |field: &str, message: String| SetExchangeRatePayload {
            rate: None,
            user_errors: vec![UserError::at(
                &["input", field],
                UserErrorCode::Invalid,
                message,
            )],
        };
        if input.currency == REFERENCE_CURRENCY {
            return Ok(invalid("currency", crate::tr!("exchange-rate-reference")));
        }
        let units = input.units_per_usd;
        if units <= Decimal::ZERO || units >= Decimal::from(1_000_000_000) || units.scale() > 8 {
            return Ok(invalid(
                "unitsPerUsd",
                crate::tr!("exchange-rate-out-of-range"),
            ));
        }
        let source = input.source.trim();
        if source.is_empty() || source.chars().count() > 200 {
            return Ok(invalid(
                "source",
                crate::tr!("exchange-rate-source-invalid"),
            ));
        }
        let row = sqlx::query!(
            r#"INSERT INTO exchange_rates (currency_code, units_per_usd, source, set_by)
               VALUES ($1, $2, $3, $4) RETURNING set_at"#,
            input.currency.as_str(),
            units,
            source,
            rc.viewer.user_id().map(|u| u.0),
        )
        .fetch_one(rc.db.executor())
        .await
        .map_err(ApiError::from)?;
        if let Err(error) = rc.search.rates.reload(rc.db.pool()).await {
            tracing::warn!(%error, "could not reload the exchange rates");
        }
        Ok(SetExchangeRatePayload {
            rate: Some(ExchangeRate {
                currency: input.currency,
                units_per_usd: units.normalize(),
                source: source.to_owned(),
                set_at: row.set_at,
            }),
            user_errors: Vec::new(),
        })
    }
}
