//! Variants in stock as terms, so a query that names a size and a colour ("remera roja
//! talle M") ranks the products that have that very variant in stock above those that
//! have the size and the colour only in other combinations, or sold out.
//!
//! A product document lists the option values of each variant on sale with stock
//! ([`ProductDoc::variants`]). Each value becomes `v:<stems>` and each pair of values of
//! one variant `p:<stems>|<stems>` (the pair in sorted order), in the field `stocked`. A
//! query with text adds one optional clause over that field ([`StockedBonus`]): any of its
//! words' stems as a value ([`VALUE_BONUS`]), any two of them as a pair ([`PAIR_BONUS`]).
//! Both bonuses are below one matched word ([`crate::matching::WORD_SCORE`]), so coverage
//! still ranks first; among products that match as many words, the one with the variant in
//! stock comes first. A product without options lists no variant and takes no bonus: its colours and
//! sizes are labels, not stock.

use std::sync::Arc;

use tantivy::query::{EmptyScorer, EnableScoring, Explanation, Query, Scorer, TermQuery, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED, TantivyError, Term};

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

/// The optional clause that lifts products with the variants `plan` names in stock; `None`
/// for a query without words. See [`StockedBonus`].
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
    let lookup = |text: String| -> tantivy::Result<Box<dyn Query>> {
        let key = format!("stocked/{}|{text}", field.field_id());
        let term = Term::from_field_text(field, &text);
        crate::word_cache::cached(
            key,
            Box::new(move || {
                Ok(Box::new(TermQuery::new(
                    term.clone(),
                    IndexRecordOption::Basic,
                )))
            }),
        )
    };
    let mut values = Vec::with_capacity(stems.len());
    let mut pairs = Vec::new();
    for (i, a) in stems.iter().enumerate() {
        values.push(lookup(format!("v:{a}")).ok()?);
        for (j, b) in stems.iter().enumerate().skip(i + 1) {
            pairs.push((i, j, lookup(pair(a, b)).ok()?));
        }
    }
    Some(Box::new(StockedBonus(Arc::new(Lookups { values, pairs }))))
}

/// Adds [`VALUE_BONUS`] to a product when a word of the query is a value of one of its
/// variants in stock, and [`PAIR_BONUS`] when two words are values of one variant. It selects
/// nothing by itself: it is an optional clause beside the match.
///
/// Each `stocked` term is one lookup, kept per segment in the word cache (its documents in
/// order), so a repeated value costs a cache hit rather than a term dictionary lookup per
/// segment. In a segment where no word is a value the clause is empty, and tantivy then
/// scores the match alone. Built from term queries under `ConstScoreQuery`, the clause
/// stayed a buffered union in every segment (a constant scorer over an empty one is not
/// empty to tantivy) that walked every posting of the query's colour: `ab.sh`'s `search3`
/// ("remera roja algodon") ran at 0.884 of its speed before variants.
#[derive(Clone)]
struct StockedBonus(Arc<Lookups>);

/// The lookups of one query's stems: `v:<stem>` per stem, `p:<a>|<b>` per pair of them
/// (with the indexes of the two stems).
struct Lookups {
    values: Vec<Box<dyn Query>>,
    pairs: Vec<(usize, usize, Box<dyn Query>)>,
}

impl std::fmt::Debug for StockedBonus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StockedBonus")
            .field("values", &self.0.values)
            .finish()
    }
}

impl Query for StockedBonus {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        let values = self
            .0
            .values
            .iter()
            .map(|q| q.weight(scoring))
            .collect::<tantivy::Result<_>>()?;
        let pairs = self
            .0
            .pairs
            .iter()
            .map(|(i, j, q)| Ok((*i, *j, q.weight(scoring)?)))
            .collect::<tantivy::Result<_>>()?;
        Ok(Box::new(BonusWeight { values, pairs }))
    }
}

struct BonusWeight {
    values: Vec<Box<dyn Weight>>,
    pairs: Vec<(usize, usize, Box<dyn Weight>)>,
}

impl Weight for BonusWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut stocked = vec![false; self.values.len()];
        let mut values = Vec::new();
        for (i, weight) in self.values.iter().enumerate() {
            let scorer = weight.scorer(reader, 1.0)?;
            if scorer.doc() != TERMINATED {
                stocked[i] = true;
                values.push(scorer);
            }
        }
        if values.is_empty() {
            // Tantivy drops an empty optional clause and scores the match alone.
            return Ok(Box::new(EmptyScorer));
        }
        // A pair is in stock only where both of its values are.
        let mut pairs = Vec::new();
        for (i, j, weight) in &self.pairs {
            if stocked[*i] && stocked[*j] {
                let scorer = weight.scorer(reader, 1.0)?;
                if scorer.doc() != TERMINATED {
                    pairs.push(scorer);
                }
            }
        }
        let mut scorer = BonusScorer {
            values,
            pairs,
            boost,
            doc: 0,
        };
        scorer.doc = scorer.first();
        Ok(Box::new(scorer))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut scorer = self.scorer(reader, 1.0)?;
        if scorer.doc() > doc || scorer.seek(doc) != doc {
            return Err(TantivyError::InvalidArgument(format!(
                "document {doc} has no variant the query names in stock"
            )));
        }
        Ok(Explanation::new("variant in stock", scorer.score()))
    }
}

/// The union of a segment's value and pair lists. It is only ever sought to the match's
/// documents, so each list gallops there on its own and nothing is buffered.
struct BonusScorer {
    values: Vec<Box<dyn Scorer>>,
    pairs: Vec<Box<dyn Scorer>>,
    boost: Score,
    doc: DocId,
}

impl BonusScorer {
    fn lists(&mut self) -> impl Iterator<Item = &mut Box<dyn Scorer>> {
        self.values.iter_mut().chain(self.pairs.iter_mut())
    }

    fn first(&mut self) -> DocId {
        self.lists().map(|s| s.doc()).min().unwrap_or(TERMINATED)
    }
}

impl DocSet for BonusScorer {
    fn advance(&mut self) -> DocId {
        let at = self.doc;
        for list in self.lists() {
            if list.doc() == at {
                list.advance();
            }
        }
        self.doc = self.first();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        for list in self.lists() {
            if list.doc() < target {
                list.seek(target);
            }
        }
        self.doc = self.first();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.values.iter().map(|s| s.size_hint()).sum()
    }
}

impl Scorer for BonusScorer {
    fn score(&mut self) -> Score {
        let at = self.doc;
        let any = |lists: &[Box<dyn Scorer>]| lists.iter().any(|s| s.doc() == at);
        let mut bonus = 0.0;
        if any(&self.values) {
            bonus += VALUE_BONUS;
        }
        if any(&self.pairs) {
            bonus += PAIR_BONUS;
        }
        bonus * self.boost
    }
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
    use crate::{CommitMeta, ProductQuery, SCHEMA_VERSION, SearchIndex, Synonyms};

    /// Five products that match the query's words equally, in three segments: the third
    /// holds none of its values, so the clause is empty there.
    #[test]
    fn the_variant_in_stock_ranks_first_in_every_segment() {
        let remera = |id: u64, variants: &[[&str; 2]]| ProductDoc {
            name: "Remera de algodón".to_owned(),
            colors: vec!["roja".to_owned(), "azul".to_owned()],
            sizes: vec!["M".to_owned(), "L".to_owned()],
            variants: variants
                .iter()
                .map(|v| v.iter().map(|s| (*s).to_owned()).collect())
                .collect(),
            id,
            ..crate::catalog::sample_doc()
        };
        let index = SearchIndex::in_memory(Synonyms::default()).expect("index");
        let mut w = index.single_threaded_writer(15_000_000).expect("writer");
        let meta = CommitMeta {
            schema_version: SCHEMA_VERSION,
            checkpoint: Default::default(),
        };
        let segments = [
            vec![remera(1, &[]), remera(2, &[["L", "Roja"], ["M", "Azul"]])],
            vec![remera(3, &[["M", "Roja"]]), remera(4, &[["L", "Roja"]])],
            vec![remera(5, &[["L", "Azul"]])],
        ];
        for segment in segments {
            for doc in segment {
                w.upsert_product(&doc).expect("upsert");
            }
            w.commit(&meta).expect("commit");
        }
        index.reload().expect("reload");
        assert_eq!(index.searcher().segment_readers().len(), 3);
        let q = ProductQuery {
            text: Some("remera roja talle M".to_owned()),
            limit: 10,
            ..ProductQuery::default()
        };
        for pass in ["first", "kept"] {
            let page = index.search_products(&q).expect("search");
            let ids: Vec<u64> = page.hits.iter().map(|h| h.id).collect();
            // The pair in stock first, then a value in stock (once, however many).
            assert_eq!(ids[0], 3, "{pass}: {ids:?}");
            let mut next = ids[1..3].to_vec();
            next.sort_unstable();
            assert_eq!(next, [2, 4], "{pass}: {ids:?}");
            assert_eq!(ids.len(), 5, "{pass}: the bonus selects nothing by itself");
        }
    }

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
