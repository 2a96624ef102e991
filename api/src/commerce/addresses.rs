//! Buyers' delivery addresses: `User.addresses` and the mutations that keep them.
//!
//! An address follows its country's conventions (`rules.rs`: regions, postal codes, phone
//! numbers), and one that breaks them writes nothing. A buyer keeps at most
//! [`MAX_ADDRESSES`]; one of them is the default (the first one added becomes it, and when
//! the default is deleted the oldest one left takes its place). Orders keep a copy of the
//! address they were sent to, so editing or deleting an address never changes one.

pub mod graphql;
pub mod rules;

use async_graphql::{ID, InputObject, Object, Result};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::commerce::markets::CountryCode;
use crate::graphql::error::{ApiError, ApiResult};
use crate::graphql::ids::{NodeKind, UserId, encode};
use crate::graphql::user_errors::{UserError, UserErrorCode};
use crate::runtime::db::Db;

/// Most addresses one buyer keeps.
pub const MAX_ADDRESSES: i64 = 20;

/// A delivery address as stored (and as an order copies it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Address {
    pub id: i64,
    #[serde(skip)]
    pub user_id: i64,
    /// ISO 3166-1 alpha-2.
    pub country_code: String,
    pub recipient: String,
    /// E.164.
    pub phone: String,
    pub region: String,
    pub city: String,
    pub postal_code: Option<String>,
    pub street: String,
    pub number: String,
    pub apartment: Option<String>,
    pub notes: Option<String>,
    #[serde(skip)]
    pub is_default: bool,
    #[serde(skip, default = "Utc::now")]
    pub created_at: DateTime<Utc>,
}

impl Address {
    /// The country, if the stored code is one of the five (the table's CHECK says it is).
    pub fn parsed_country(&self) -> Option<CountryCode> {
        CountryCode::parse(&self.country_code)
    }
}

/// A place orders are delivered to.
#[Object]
impl Address {
    /// The address's id, for `updateAddress`, `deleteAddress`, `setDefaultAddress` and
    /// checkout's `delivery`.
    async fn id(&self) -> ID {
        encode(NodeKind::Address, self.id)
    }

    /// The country.
    async fn country(&self) -> Result<CountryCode> {
        self.parsed_country()
            .ok_or_else(|| ApiError::Internal(format!("address {} country", self.id)).into())
    }

    /// Who receives the parcel.
    async fn recipient(&self) -> &str {
        &self.recipient
    }

    /// A phone number for the courier, in E.164 (`+5491145678901`).
    async fn phone(&self) -> &str {
        &self.phone
    }

    /// Province (AR), region (CL, PE) or department (UY, PY), by its official name.
    async fn region(&self) -> &str {
        &self.region
    }

    /// City or locality.
    async fn city(&self) -> &str {
        &self.city
    }

    /// Postal code: always in Argentina (CPA or four digits), where given elsewhere.
    async fn postal_code(&self) -> Option<&str> {
        self.postal_code.as_deref()
    }

    /// Street name.
    async fn street(&self) -> &str {
        &self.street
    }

    /// House number, or `S/N` (sin número).
    async fn number(&self) -> &str {
        &self.number
    }

    /// Floor and flat ("3° B"), if any.
    async fn apartment(&self) -> Option<&str> {
        self.apartment.as_deref()
    }

    /// Directions for the courier ("portón verde, entre Mitre y Sarmiento"), if any.
    async fn references(&self) -> Option<&str> {
        self.notes.as_deref()
    }

    /// Whether checkout offers this address first.
    async fn is_default(&self) -> bool {
        self.is_default
    }

    /// When it was added.
    async fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }
}

/// An address as a buyer writes it. Text is trimmed; the rules depend on `country`.
#[derive(InputObject, Debug, Clone)]
pub struct AddressInput {
    /// The country (one of the five markets).
    pub country: CountryCode,
    /// Who receives the parcel: 1 to 120 characters.
    pub recipient: String,
    /// A phone number of the country, with or without its calling code (`011 4567-8901`,
    /// `+54 9 11 4567-8901`); kept in E.164.
    pub phone: String,
    /// Province, region or department, by its name or a common one (`CABA`, `Región
    /// Metropolitana`, `Cuzco`); accents and case ignored.
    pub region: String,
    /// City or locality: 1 to 80 characters.
    pub city: String,
    /// Required in Argentina (CPA `C1425DKF` or four digits). Optional elsewhere; when
    /// given, Chile's has 7 digits, Uruguay's and Peru's 5, Paraguay's 6.
    pub postal_code: Option<String>,
    /// Street name: 1 to 120 characters.
    pub street: String,
    /// House number (`1234`, `742 bis`), or `S/N` for a street without numbers.
    pub number: String,
    /// Floor and flat: at most 40 characters.
    pub apartment: Option<String>,
    /// Directions for the courier: at most 300 characters.
    pub references: Option<String>,
}

/// An address that passed its country's rules, ready to store.
#[derive(Debug, PartialEq)]
pub struct ValidAddress {
    pub country: CountryCode,
    pub recipient: String,
    pub phone: String,
    pub region: String,
    pub city: String,
    pub postal_code: Option<String>,
    pub street: String,
    pub number: String,
    pub apartment: Option<String>,
    pub notes: Option<String>,
}

/// Checks `input` against its country's rules; every problem at once, each at its field.
pub fn validate(input: &AddressInput) -> Result<ValidAddress, Vec<UserError>> {
    let mut errors = Vec::new();
    let country = input.country;
    let at = |field: &str, code: UserErrorCode, message: String| {
        UserError::at(&["input", field], code, message)
    };
    let mut text = |field: &str, value: &str, max: usize| -> String {
        let value = value.split_whitespace().collect::<Vec<_>>().join(" ");
        if value.is_empty() {
            errors.push(at(
                field,
                UserErrorCode::Required,
                UserErrorCode::Required.message(),
            ));
        } else if value.chars().count() > max {
            errors.push(at(
                field,
                UserErrorCode::TooLong,
                crate::tr!("address-too-long", max = max),
            ));
        }
        value
    };
    let recipient = text("recipient", &input.recipient, 120);
    let city = text("city", &input.city, 80);
    let street = text("street", &input.street, 120);
    let mut optional = |field: &str, value: &Option<String>, max: usize| -> Option<String> {
        let value = value
            .as_deref()
            .map(|v| v.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|v| !v.is_empty())?;
        if value.chars().count() > max {
            errors.push(at(
                field,
                UserErrorCode::TooLong,
                crate::tr!("address-too-long", max = max),
            ));
        }
        Some(value)
    };
    let apartment = optional("apartment", &input.apartment, 40);
    let notes = optional("references", &input.references, 300);
    let phone = rules::phone(country, &input.phone);
    if phone.is_none() {
        errors.push(at(
            "phone",
            UserErrorCode::Invalid,
            crate::tr!("address-phone-invalid", country = country.as_str()),
        ));
    }
    let region = rules::region(country, &input.region);
    if region.is_none() {
        let field = "region";
        if input.region.trim().is_empty() {
            errors.push(at(
                field,
                UserErrorCode::Required,
                UserErrorCode::Required.message(),
            ));
        } else {
            errors.push(at(
                field,
                UserErrorCode::Invalid,
                crate::tr!(
                    "address-region-unknown",
                    region = input.region.trim(),
                    country = country.as_str(),
                ),
            ));
        }
    }
    let postal_code = match rules::postal_code(country, input.postal_code.as_deref()) {
        Ok(code) => code,
        Err(rules::PostalCodeError::Required) => {
            errors.push(at(
                "postalCode",
                UserErrorCode::Required,
                crate::tr!("address-postal-code-required", country = country.as_str()),
            ));
            None
        }
        Err(rules::PostalCodeError::Malformed) => {
            errors.push(at(
                "postalCode",
                UserErrorCode::Invalid,
                crate::tr!("address-postal-code-invalid", country = country.as_str()),
            ));
            None
        }
    };
    let number = rules::house_number(&input.number);
    if number.is_none() {
        errors.push(at(
            "number",
            UserErrorCode::Invalid,
            crate::tr!("address-number-invalid"),
        ));
    }
    match (errors.is_empty(), phone, region, number) {
        (true, Some(phone), Some(region), Some(number)) => Ok(ValidAddress {
            country,
            recipient,
            phone,
            region: region.to_owned(),
            city,
            postal_code,
            street,
            number,
            apartment,
            notes,
        }),
        _ => Err(errors),
    }
}

/// A compile-checked statement that returns [`Address`] rows: the SQL before the column
/// list, the SQL after it, then the arguments.
macro_rules! query_addresses {
    ($head:literal, $tail:literal $(, $arg:expr)* $(,)?) => {
        sqlx::query_as!(
            Address,
            $head
                + r#" id, user_id, country_code AS "country_code!", recipient, phone, region,
                      city, postal_code, street, number, apartment, notes, is_default,
                      created_at "#
                + $tail
            $(, $arg)*
        )
    };
}

pub(crate) use query_addresses;

/// The addresses of `user`, default first, then oldest first.
pub async fn of_user(db: &Db, user: UserId) -> ApiResult<Vec<Address>> {
    Ok(query_addresses!(
        "SELECT",
        "FROM addresses WHERE user_id = $1 ORDER BY is_default DESC, id",
        user.0
    )
    .fetch_all(db.executor())
    .await?)
}

/// The address `id` if it is `user`'s.
pub async fn owned<'e>(
    conn: impl sqlx::PgExecutor<'e>,
    user: UserId,
    id: i64,
) -> ApiResult<Option<Address>> {
    Ok(query_addresses!(
        "SELECT",
        "FROM addresses WHERE id = $1 AND user_id = $2",
        id,
        user.0
    )
    .fetch_optional(conn)
    .await?)
}
