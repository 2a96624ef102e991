//! Variants in stock as terms, so a query that names a size and a colour ("remera roja
//! talle M") ranks the products that have that very variant in stock above those that
//! have the size and the colour only in other combinations, or sold out.
//!
//! A product document lists the option values of each variant on sale with stock
//! ([`ProductDoc::variants`]). Each value becomes `v:<stems>` and each pair of values of
//! one variant `p:<stems>|<stems>` (the pair in sorted order), in the field `stocked`. A
//! query with text adds two optional clauses over that field: any of its words' stems as a
//! value ([`VALUE_BONUS`]), any two of them as a pair ([`PAIR_BONUS`]). Both bonuses are
//! below one matched word ([`crate::matching::WORD_SCORE`]), so coverage still ranks
//! first; among products that match as many words, the one with the variant in stock comes
//! first. A product without options lists no variant and takes no bonus: its colours and
//! sizes are labels, not stock.

use tantivy::Term;
use tantivy::query::{BooleanQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};

use crate::docs::ProductDoc;
use crate::matching::TextPlan;

/// What a product gains when a value of one of its variants in stock is a word of the query.
pub const VALUE_BONUS: f32 = 100.0;
/// What it gains when two words of the query are values of one variant in stock.
pub const PAIR_BONUS: f32 = 400.0;

/// The stems of a value ("Verde agua" → "verd agu"), as the query's words are stemmed.
fn value_stems(value: &str) -> String {
    crate::analysis::stems_at(value)
        .into_iter()
        .map(|(_, stem)| stem)
        .collect::<Vec<_>>()
        .join(" ")
}

fn pair(a: &str, b: &str) -> String {
    if a <= b {
        format!("p:{a}|{b}")
    } else {
        format!("p:{b}|{a}")
    }
}

/// The terms of the variants `doc` has in stock.
pub(crate) fn stocked_terms(doc: &ProductDoc) -> Vec<String> {
    let mut terms = Vec::new();
    for variant in &doc.variants {
        let stems: Vec<String> = variant
            .iter()
            .map(|v| value_stems(v))
            .filter(|s| !s.is_empty())
            .collect();
        for (i, a) in stems.iter().enumerate() {
            terms.push(format!("v:{a}"));
            for b in &stems[i + 1..] {
                terms.push(pair(a, b));
            }
        }
    }
    terms.sort();
    terms.dedup();
    terms
}

/// The optional clauses that lift products with the variants `plan` names in stock;
/// `None` for a query without words. Each term is a plain term lookup: a `TermSetQuery`
/// streams the field's whole term dictionary through its automaton in every segment,
/// which cost more than the search itself.
pub(crate) fn boost(plan: &TextPlan, field: Field) -> Option<Box<dyn Query>> {
    let mut stems: Vec<&str> = plan
        .words
        .iter()
        .filter_map(|w| w.stem.as_deref())
        .collect();
    stems.sort_unstable();
    stems.dedup();
    if stems.is_empty() {
        return None;
    }
    let any_of = |terms: Vec<String>, bonus: f32| -> Box<dyn Query> {
        let lookups = terms
            .into_iter()
            .map(|text| -> (Occur, Box<dyn Query>) {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, &text),
                        IndexRecordOption::Basic,
                    )),
                )
            })
            .collect();
        Box::new(ConstScoreQuery::new(
            Box::new(BooleanQuery::new(lookups)),
            bonus,
        ))
    };
    let values: Vec<String> = stems.iter().map(|s| format!("v:{s}")).collect();
    let mut clauses = vec![(Occur::Should, any_of(values, VALUE_BONUS))];
    let mut pairs = Vec::new();
    for (i, a) in stems.iter().enumerate() {
        for b in &stems[i + 1..] {
            pairs.push(pair(a, b));
        }
    }
    if !pairs.is_empty() {
        clauses.push((Occur::Should, any_of(pairs, PAIR_BONUS)));
    }
    Some(Box::new(BooleanQuery::new(clauses)))
}

/// The stems of `text`'s words, as [`boost`] matches them against variant values: for
/// callers that pick the variant a query names.
pub fn stems(text: &str) -> Vec<String> {
    crate::analysis::stems_at(text)
        .into_iter()
        .map(|(_, stem)| stem)
        .collect()
}

/// The stems of one option value, as [`stems`] gives them for a query.
pub fn value_key(value: &str) -> String {
    value_stems(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_variant_in_stock_gives_its_values_and_their_pairs() {
        let doc = ProductDoc {
            variants: vec![
                vec!["M".to_owned(), "Roja".to_owned()],
                vec!["S".to_owned(), "Verde agua".to_owned()],
            ],
            ..crate::catalog::sample_doc()
        };
        assert_eq!(
            stocked_terms(&doc),
            vec![
                "p:m|roj",
                "p:s|verd agu",
                "v:m",
                "v:roj",
                "v:s",
                "v:verd agu"
            ]
        );
        assert_eq!(
            stems("remera rojo talle M"),
            vec!["remer", "roj", "tall", "m"]
        );
    }
}
