//! What a delivery address must look like in each of the five countries: its regions
//! (provinces, regions, departments), its postal code where the country uses one, and its
//! phone number. Pure functions over the input, table-tested below; `addresses.rs` turns
//! their refusals into user errors.
//!
//! - Argentina: 24 provinces (CABA among them); the postal code is required, as CPA
//!   (`C1425DKF`) or the older four digits (`1425`).
//! - Chile: 16 regions; a postal code is optional, seven digits.
//! - Uruguay: 19 departments; optional postal code, five digits.
//! - Paraguay: 17 departments and the capital district; optional postal code, six digits.
//! - Peru: 24 departments and Callao; optional postal code, five digits.
//!
//! Phone numbers are kept in E.164 (`+5491145678901`): a number written with the country's
//! code must carry this country's; one written without it is taken as national (a leading
//! trunk `0` dropped where the country dials one).

use crate::commerce::markets::CountryCode;

/// Regions of each country as written on an address, with other names people use for them.
const REGIONS: &[(CountryCode, &str, &[&str])] = &[
    (
        CountryCode::Ar,
        "Buenos Aires",
        &["Provincia de Buenos Aires"],
    ),
    (
        CountryCode::Ar,
        "Ciudad Autónoma de Buenos Aires",
        &["CABA", "Capital Federal", "Ciudad de Buenos Aires"],
    ),
    (CountryCode::Ar, "Catamarca", &[]),
    (CountryCode::Ar, "Chaco", &[]),
    (CountryCode::Ar, "Chubut", &[]),
    (CountryCode::Ar, "Córdoba", &[]),
    (CountryCode::Ar, "Corrientes", &[]),
    (CountryCode::Ar, "Entre Ríos", &[]),
    (CountryCode::Ar, "Formosa", &[]),
    (CountryCode::Ar, "Jujuy", &[]),
    (CountryCode::Ar, "La Pampa", &[]),
    (CountryCode::Ar, "La Rioja", &[]),
    (CountryCode::Ar, "Mendoza", &[]),
    (CountryCode::Ar, "Misiones", &[]),
    (CountryCode::Ar, "Neuquén", &[]),
    (CountryCode::Ar, "Río Negro", &[]),
    (CountryCode::Ar, "Salta", &[]),
    (CountryCode::Ar, "San Juan", &[]),
    (CountryCode::Ar, "San Luis", &[]),
    (CountryCode::Ar, "Santa Cruz", &[]),
    (CountryCode::Ar, "Santa Fe", &[]),
    (CountryCode::Ar, "Santiago del Estero", &[]),
    (CountryCode::Ar, "Tierra del Fuego", &[]),
    (CountryCode::Ar, "Tucumán", &[]),
    (CountryCode::Cl, "Arica y Parinacota", &[]),
    (CountryCode::Cl, "Tarapacá", &[]),
    (CountryCode::Cl, "Antofagasta", &[]),
    (CountryCode::Cl, "Atacama", &[]),
    (CountryCode::Cl, "Coquimbo", &[]),
    (CountryCode::Cl, "Valparaíso", &[]),
    (
        CountryCode::Cl,
        "Metropolitana de Santiago",
        &["Región Metropolitana", "Metropolitana", "RM", "Santiago"],
    ),
    (
        CountryCode::Cl,
        "Libertador General Bernardo O'Higgins",
        &["O'Higgins", "OHiggins"],
    ),
    (CountryCode::Cl, "Maule", &[]),
    (CountryCode::Cl, "Ñuble", &[]),
    (CountryCode::Cl, "Biobío", &["Bío Bío"]),
    (CountryCode::Cl, "La Araucanía", &["Araucanía"]),
    (CountryCode::Cl, "Los Ríos", &[]),
    (CountryCode::Cl, "Los Lagos", &[]),
    (
        CountryCode::Cl,
        "Aysén del General Carlos Ibáñez del Campo",
        &["Aysén", "Aisén"],
    ),
    (
        CountryCode::Cl,
        "Magallanes y de la Antártica Chilena",
        &["Magallanes"],
    ),
    (CountryCode::Uy, "Artigas", &[]),
    (CountryCode::Uy, "Canelones", &[]),
    (CountryCode::Uy, "Cerro Largo", &[]),
    (CountryCode::Uy, "Colonia", &[]),
    (CountryCode::Uy, "Durazno", &[]),
    (CountryCode::Uy, "Flores", &[]),
    (CountryCode::Uy, "Florida", &[]),
    (CountryCode::Uy, "Lavalleja", &[]),
    (CountryCode::Uy, "Maldonado", &[]),
    (CountryCode::Uy, "Montevideo", &[]),
    (CountryCode::Uy, "Paysandú", &[]),
    (CountryCode::Uy, "Río Negro", &[]),
    (CountryCode::Uy, "Rivera", &[]),
    (CountryCode::Uy, "Rocha", &[]),
    (CountryCode::Uy, "Salto", &[]),
    (CountryCode::Uy, "San José", &[]),
    (CountryCode::Uy, "Soriano", &[]),
    (CountryCode::Uy, "Tacuarembó", &[]),
    (CountryCode::Uy, "Treinta y Tres", &[]),
    (CountryCode::Py, "Asunción", &["Distrito Capital"]),
    (CountryCode::Py, "Concepción", &[]),
    (CountryCode::Py, "San Pedro", &[]),
    (CountryCode::Py, "Cordillera", &[]),
    (CountryCode::Py, "Guairá", &[]),
    (CountryCode::Py, "Caaguazú", &[]),
    (CountryCode::Py, "Caazapá", &[]),
    (CountryCode::Py, "Itapúa", &[]),
    (CountryCode::Py, "Misiones", &[]),
    (CountryCode::Py, "Paraguarí", &[]),
    (CountryCode::Py, "Alto Paraná", &[]),
    (CountryCode::Py, "Central", &[]),
    (CountryCode::Py, "Ñeembucú", &[]),
    (CountryCode::Py, "Amambay", &[]),
    (CountryCode::Py, "Canindeyú", &[]),
    (CountryCode::Py, "Presidente Hayes", &[]),
    (CountryCode::Py, "Boquerón", &[]),
    (CountryCode::Py, "Alto Paraguay", &[]),
    (CountryCode::Pe, "Amazonas", &[]),
    (CountryCode::Pe, "Áncash", &[]),
    (CountryCode::Pe, "Apurímac", &[]),
    (CountryCode::Pe, "Arequipa", &[]),
    (CountryCode::Pe, "Ayacucho", &[]),
    (CountryCode::Pe, "Cajamarca", &[]),
    (CountryCode::Pe, "Callao", &[]),
    (CountryCode::Pe, "Cusco", &["Cuzco"]),
    (CountryCode::Pe, "Huancavelica", &[]),
    (CountryCode::Pe, "Huánuco", &[]),
    (CountryCode::Pe, "Ica", &[]),
    (CountryCode::Pe, "Junín", &[]),
    (CountryCode::Pe, "La Libertad", &[]),
    (CountryCode::Pe, "Lambayeque", &[]),
    (CountryCode::Pe, "Lima", &["Lima Metropolitana"]),
    (CountryCode::Pe, "Loreto", &[]),
    (CountryCode::Pe, "Madre de Dios", &[]),
    (CountryCode::Pe, "Moquegua", &[]),
    (CountryCode::Pe, "Pasco", &[]),
    (CountryCode::Pe, "Piura", &[]),
    (CountryCode::Pe, "Puno", &[]),
    (CountryCode::Pe, "San Martín", &[]),
    (CountryCode::Pe, "Tacna", &[]),
    (CountryCode::Pe, "Tumbes", &[]),
    (CountryCode::Pe, "Ucayali", &[]),
];

/// Lower case, accents, ñ and apostrophes off, single spaces: how region names compare.
fn key(text: &str) -> String {
    textisur_search_index::fold(text)
        .replace('ñ', "n")
        .replace(['\'', '’', '.'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The region of `country` a buyer typed, by its official name or another common one
/// (case and accents ignored), as the official name.
pub fn region(country: CountryCode, typed: &str) -> Option<&'static str> {
    let typed = key(typed);
    REGIONS
        .iter()
        .filter(|(c, _, _)| *c == country)
        .find(|(_, name, other)| key(name) == typed || other.iter().any(|o| key(o) == typed))
        .map(|(_, name, _)| *name)
}

/// The regions of `country`, official names.
pub fn regions(country: CountryCode) -> impl Iterator<Item = &'static str> {
    REGIONS
        .iter()
        .filter(move |(c, _, _)| *c == country)
        .map(|(_, name, _)| *name)
}

/// How a country's postal codes look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostalCodeRule {
    /// Argentina: CPA (`C1425DKF`) or four digits.
    RequiredCpa,
    /// Optional; when given, exactly this many digits.
    OptionalDigits(usize),
}

/// The postal code rule of `country`.
pub fn postal_code_rule(country: CountryCode) -> PostalCodeRule {
    match country {
        CountryCode::Ar => PostalCodeRule::RequiredCpa,
        CountryCode::Cl => PostalCodeRule::OptionalDigits(7),
        CountryCode::Uy | CountryCode::Pe => PostalCodeRule::OptionalDigits(5),
        CountryCode::Py => PostalCodeRule::OptionalDigits(6),
    }
}

/// Why a postal code is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PostalCodeError {
    Required,
    Malformed,
}

/// The postal code as kept (upper case, no spaces or dashes), `None` when the country
/// needs none and none was given.
pub fn postal_code(
    country: CountryCode,
    typed: Option<&str>,
) -> Result<Option<String>, PostalCodeError> {
    let cleaned: Option<String> = typed
        .map(|t| {
            t.chars()
                .filter(|c| !c.is_whitespace() && *c != '-')
                .collect::<String>()
                .to_ascii_uppercase()
        })
        .filter(|t| !t.is_empty());
    match (postal_code_rule(country), cleaned) {
        (PostalCodeRule::RequiredCpa, None) => Err(PostalCodeError::Required),
        (PostalCodeRule::RequiredCpa, Some(code)) => {
            let b = code.as_bytes();
            let cpa = b.len() == 8
                && b[0].is_ascii_uppercase()
                && b[1..5].iter().all(u8::is_ascii_digit)
                && b[5..].iter().all(u8::is_ascii_uppercase);
            let old = b.len() == 4 && b.iter().all(u8::is_ascii_digit);
            if cpa || old {
                Ok(Some(code))
            } else {
                Err(PostalCodeError::Malformed)
            }
        }
        (PostalCodeRule::OptionalDigits(_), None) => Ok(None),
        (PostalCodeRule::OptionalDigits(n), Some(code)) => {
            if code.len() == n && code.bytes().all(|b| b.is_ascii_digit()) {
                Ok(Some(code))
            } else {
                Err(PostalCodeError::Malformed)
            }
        }
    }
}

/// The country's calling code, whether national numbers start with a trunk `0`, and the
/// lengths a national number (without trunk prefix) may have.
fn phone_plan(country: CountryCode) -> (&'static str, bool, std::ops::RangeInclusive<usize>) {
    match country {
        // Area code and number; mobiles written with their 9.
        CountryCode::Ar => ("54", true, 10..=11),
        CountryCode::Cl => ("56", false, 9..=9),
        CountryCode::Uy => ("598", true, 8..=8),
        CountryCode::Py => ("595", true, 7..=9),
        CountryCode::Pe => ("51", true, 8..=9),
    }
}

/// The phone number in E.164, or `None` when it is not a number of `country`.
pub fn phone(country: CountryCode, typed: &str) -> Option<String> {
    let typed = typed.trim();
    if typed.is_empty()
        || !typed
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.' | '+'))
        || typed.chars().skip(1).any(|c| c == '+')
    {
        return None;
    }
    let digits: String = typed.chars().filter(char::is_ascii_digit).collect();
    let (code, trunk, lengths) = phone_plan(country);
    let national = if typed.starts_with('+') {
        digits.strip_prefix(code)?.to_owned()
    } else if let Some(rest) = digits.strip_prefix("00") {
        // The international prefix dialled from these countries.
        rest.strip_prefix(code)?.to_owned()
    } else if trunk {
        digits.strip_prefix('0').unwrap_or(&digits).to_owned()
    } else {
        digits
    };
    (lengths.contains(&national.len()) && !national.starts_with('0'))
        .then(|| format!("+{code}{national}"))
}

/// A house number: digits with an optional letter or suffix (`1234`, `1234 B`, `742bis`),
/// or "S/N" (sin número) for a street without numbers.
pub fn house_number(typed: &str) -> Option<String> {
    let typed = typed.trim();
    let upper = typed.to_uppercase();
    if matches!(
        upper.as_str(),
        "S/N" | "SN" | "S/N°" | "SIN NUMERO" | "SIN NÚMERO"
    ) {
        return Some("S/N".to_owned());
    }
    let starts_with_digit = typed.chars().next().is_some_and(|c| c.is_ascii_digit());
    let fine = typed.chars().count() <= 12
        && typed
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '/'));
    (starts_with_digit && fine).then(|| typed.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    use CountryCode::{Ar, Cl, Pe, Py, Uy};

    #[test]
    fn every_country_has_its_regions_and_they_are_found_however_typed() {
        for (country, count) in [(Ar, 24), (Cl, 16), (Uy, 19), (Py, 18), (Pe, 25)] {
            assert_eq!(regions(country).count(), count, "{country:?}");
        }
        for (country, typed, expected) in [
            (Ar, "cordoba", Some("Córdoba")),
            (Ar, "CABA", Some("Ciudad Autónoma de Buenos Aires")),
            (Ar, "  entre   rios ", Some("Entre Ríos")),
            (Ar, "Montevideo", None),
            (
                Cl,
                "region metropolitana",
                Some("Metropolitana de Santiago"),
            ),
            (
                Cl,
                "OHiggins",
                Some("Libertador General Bernardo O'Higgins"),
            ),
            (Cl, "nuble", Some("Ñuble")),
            (Cl, "Córdoba", None),
            (Uy, "paysandu", Some("Paysandú")),
            (Uy, "Río Negro", Some("Río Negro")),
            (Py, "Neembucu", Some("Ñeembucú")),
            (Py, "distrito capital", Some("Asunción")),
            (Pe, "cuzco", Some("Cusco")),
            (Pe, "ancash", Some("Áncash")),
            (Pe, "Santiago", None),
            (Ar, "", None),
        ] {
            assert_eq!(region(country, typed), expected, "{country:?} {typed:?}");
        }
    }

    #[test]
    fn postal_codes_follow_each_countrys_rule() {
        use PostalCodeError::{Malformed, Required};
        for (country, typed, expected) in [
            (Ar, Some("C1425DKF"), Ok(Some("C1425DKF"))),
            (Ar, Some("c1425 dkf"), Ok(Some("C1425DKF"))),
            (Ar, Some("1425"), Ok(Some("1425"))),
            (Ar, None, Err(Required)),
            (Ar, Some("  "), Err(Required)),
            (Ar, Some("14250"), Err(Malformed)),
            (Ar, Some("C142DKF"), Err(Malformed)),
            (Cl, None, Ok(None)),
            (Cl, Some("8320000"), Ok(Some("8320000"))),
            (Cl, Some("832000"), Err(Malformed)),
            (Uy, Some("11200"), Ok(Some("11200"))),
            (Uy, Some("1120A"), Err(Malformed)),
            (Py, Some("001001"), Ok(Some("001001"))),
            (Py, Some("1209"), Err(Malformed)),
            (Pe, Some("15-001"), Ok(Some("15001"))),
            (Pe, Some("150011"), Err(Malformed)),
            (Pe, None, Ok(None)),
        ] {
            assert_eq!(
                postal_code(country, typed),
                expected.map(|c| c.map(str::to_owned)),
                "{country:?} {typed:?}"
            );
        }
    }

    #[test]
    fn phones_become_e164_of_their_country() {
        for (country, typed, expected) in [
            (Ar, "+54 9 11 4567-8901", Some("+5491145678901")),
            (Ar, "011 4567-8901", Some("+541145678901")),
            (Ar, "(0351) 456-7890", Some("+543514567890")),
            (Ar, "+56 9 8765 4321", None),
            (Ar, "4567-8901", None),
            (Cl, "+56 9 8765 4321", Some("+56987654321")),
            (Cl, "9 8765 4321", Some("+56987654321")),
            (Cl, "0056 9 8765 4321", Some("+56987654321")),
            (Cl, "98765432", None),
            (Uy, "099 123 456", Some("+59899123456")),
            (Uy, "+598 2 901 2345", Some("+59829012345")),
            (Py, "0981 123456", Some("+595981123456")),
            (Py, "+595 21 123 456", Some("+59521123456")),
            (Pe, "987 654 321", Some("+51987654321")),
            (Pe, "(01) 234-5678", Some("+5112345678")),
            (Pe, "+51 987 654 321", Some("+51987654321")),
            (Pe, "987+654", None),
            (Pe, "llámame", None),
            (Pe, "", None),
        ] {
            assert_eq!(
                phone(country, typed).as_deref(),
                expected,
                "{country:?} {typed:?}"
            );
        }
    }

    #[test]
    fn house_numbers_are_numbers_or_sin_numero() {
        assert_eq!(house_number("1234").as_deref(), Some("1234"));
        assert_eq!(house_number(" 742  bis ").as_deref(), Some("742 bis"));
        assert_eq!(house_number("s/n").as_deref(), Some("S/N"));
        assert_eq!(house_number("Sin número").as_deref(), Some("S/N"));
        assert_eq!(house_number("esquina"), None);
        assert_eq!(house_number(""), None);
        assert_eq!(house_number("12345678901234"), None);
    }
}
