//! From what a shopper typed to a tantivy query: each word matches in its exact (stemmed)
//! form, as one of the words the vocabulary links it to ([`Synonyms`]), with a typo, or (the
//! last word) as a prefix.
//!
//! Ranking is rule-based like Meilisearch or Algolia rather than BM25, and written down in
//! ARCHITECTURE.md ("Relevance"):
//! 1. coverage: each matched word adds [`WORD_SCORE`], far above anything else, so a page
//!    lists the products that match the most words first (a search normally asks for every
//!    word; when that leaves too few, `search.rs` relaxes it to most of them);
//! 2. then each form of a word found in a field adds a constant (name over category over
//!    attributes over description; exact stems over vocabulary links over typos and
//!    prefixes).
//!
//! A score depends on the document and the query only, never on corpus statistics, so it
//! does not drift while other documents are indexed and a relevance cursor stays valid
//! between pages.

use std::sync::Arc;

use tantivy::Term;
use tantivy::query::{
    AutomatonWeight, BooleanQuery, ConstScoreQuery, DfaWrapper, EnableScoring, FuzzyTermQuery,
    Occur, Query, Scorer, TermQuery, Weight,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;

use crate::analysis::{self, Word};
use crate::synonyms::Synonyms;
use crate::word_cache;

/// Most words of a query that take part in matching (the rest is ignored).
const MAX_WORDS: usize = 8;

/// What one matched word adds to a score: more than all of a word's forms and fields can
/// (a few units), so the count of matched words ranks first. The page collector splits a
/// score back into the count and the rest (`collect.rs`).
pub const WORD_SCORE: f32 = 1000.0;

/// Edits allowed for a word of `chars` characters: one from 5, two from 9.
pub fn typo_budget(chars: usize) -> u8 {
    match chars {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// Length of the short words that get one typo when another word of the query matches as
/// typed ("buzo girs"): alone, a 4-letter word with a typo matches too much to mean anything.
const SHORT_WORD_IN_CONTEXT: usize = 4;

/// One typed word and the forms it matches in.
#[derive(Clone, Debug)]
pub struct WordPlan {
    /// Lower-cased, accents folded, as typed.
    pub folded: String,
    /// Byte offsets in the typed text.
    pub from: usize,
    pub to: usize,
    /// Spanish stem; `None` for a stop word.
    pub stem: Option<String>,
    /// Stems of the words the vocabulary links it to, with their weights.
    pub alternatives: Vec<(String, f32)>,
    /// Matched as a prefix too (the last word while typing).
    pub prefix: bool,
    /// Whether the index holds the word as typed (or its stem). Typo matching only runs for
    /// words it does not know: a correctly spelled word gains nothing from it, and skipping
    /// the term-dictionary walk is most of a query's cost.
    pub known: bool,
    /// A short word another word of the query vouches for: it gets one typo.
    pub in_context: bool,
}

impl WordPlan {
    /// Edits allowed when matching this word with a typo.
    pub fn typos(&self) -> u8 {
        let chars = self.folded.chars().count();
        if self.in_context && chars == SHORT_WORD_IN_CONTEXT {
            return 1;
        }
        typo_budget(chars)
    }
}

/// The words of a query that take part in matching.
#[derive(Clone, Debug, Default)]
pub struct TextPlan {
    pub words: Vec<WordPlan>,
}

fn stem_of(stemmer: &mut TextAnalyzer, word: &str) -> Option<String> {
    analysis::words(stemmer, word)
        .into_iter()
        .next()
        .map(|w| w.text)
}

impl TextPlan {
    /// Analyses `text`: measures become one token each (`measures.rs`), the vocabulary's stop
    /// words drop out (unless nothing else is left), and so do the analyzer's, except a last
    /// word still being typed.
    pub fn new(text: &str, synonyms: &Synonyms) -> Self {
        let text = crate::measures::normalise(text);
        let mut folder = analysis::folded();
        let mut stemmer = analysis::stemmed();
        let mut typed: Vec<Word> = analysis::words(&mut folder, &text);
        if typed.iter().any(|w| !synonyms.is_stop_word(&w.text)) {
            typed.retain(|w| !synonyms.is_stop_word(&w.text));
        }
        // A trailing space means the last word is finished: no prefix matching.
        let typing = !text.ends_with(char::is_whitespace);
        let count = typed.len();
        let mut words = Vec::new();
        for (i, w) in typed.into_iter().enumerate() {
            let is_last = i + 1 == count;
            let stem = stem_of(&mut stemmer, &w.text);
            let prefix = is_last && typing && w.text.chars().count() >= 2;
            if stem.is_none() && !prefix {
                continue;
            }
            let mut alternatives: Vec<(String, f32)> = Vec::new();
            for (word, weight) in synonyms.of(&w.text) {
                let Some(alt) = stem_of(&mut stemmer, word) else {
                    continue;
                };
                if Some(&alt) == stem.as_ref() {
                    continue;
                }
                match alternatives.iter_mut().find(|(s, _)| *s == alt) {
                    Some((_, kept)) => *kept = kept.max(*weight),
                    None => alternatives.push((alt, *weight)),
                }
            }
            alternatives.sort_by(|a, b| a.0.cmp(&b.0));
            words.push(WordPlan {
                folded: w.text,
                from: w.from,
                to: w.to,
                stem,
                alternatives,
                prefix,
                known: false,
                in_context: false,
            });
        }
        if words.len() > MAX_WORDS {
            words.truncate(MAX_WORDS);
        }
        Self { words }
    }

    /// Marks the words the index holds exactly, in any of the `folded` fields as typed or in
    /// any of the `stemmed` fields as a stem.
    pub fn mark_known(
        &mut self,
        searcher: &tantivy::Searcher,
        folded: &[Field],
        stemmed: &[Field],
    ) -> tantivy::Result<()> {
        for word in &mut self.words {
            let mut known = false;
            for field in folded {
                known =
                    known || searcher.doc_freq(&Term::from_field_text(*field, &word.folded))? > 0;
            }
            if let Some(stem) = &word.stem {
                for field in stemmed {
                    known = known || searcher.doc_freq(&Term::from_field_text(*field, stem))? > 0;
                }
            }
            word.known = known;
        }
        let known = self.words.iter().filter(|w| w.known).count();
        for word in &mut self.words {
            word.in_context = !word.known && known > 0;
        }
        Ok(())
    }

    /// How many words a relaxed search asks for: at least half.
    pub fn relaxed_minimum(&self) -> usize {
        self.words.len().div_ceil(2).max(1)
    }

    /// Whether nothing in the text can match (empty, or only punctuation).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }
}

/// A text field in its two analyses and how much a match in it weighs.
#[derive(Clone, Copy, Debug)]
pub struct WeightedField {
    pub stemmed: Field,
    pub folded: Option<Field>,
    pub boost: f32,
}

fn boxed(query: impl Query) -> Box<dyn Query> {
    Box::new(query)
}

/// A clause worth exactly `by` when it matches. Every weight here is a multiple of 0.05;
/// the page collector relies on that to round scores exactly.
fn boost(query: Box<dyn Query>, by: f32) -> Box<dyn Query> {
    boxed(ConstScoreQuery::new(query, by))
}

/// The words of one field an automaton accepts.
///
/// A word's automaton depends on its text alone, so it is built once per query and shared
/// by every field the word is looked for in: tantivy's `FuzzyTermQuery` builds its own per
/// field, and under the long-tail mix building them took a twentieth of the server's time.
#[derive(Clone)]
struct AutomatonQuery {
    field: Field,
    automaton: Arc<DfaWrapper>,
}

impl std::fmt::Debug for AutomatonQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutomatonQuery")
            .field("field", &self.field)
            .finish_non_exhaustive()
    }
}

impl Query for AutomatonQuery {
    fn weight(&self, _: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(AutomatonWeight::<DfaWrapper>::new(
            self.field,
            Arc::clone(&self.automaton),
        )))
    }
}

/// The automata of the typo and the prefix forms of `word`, when it has them.
type WordAutomata = (Option<Arc<DfaWrapper>>, Option<Arc<DfaWrapper>>);

fn automata(word: &WordPlan, any_field: Field) -> tantivy::Result<WordAutomata> {
    let term = Term::from_field_text(any_field, &word.folded);
    let typos = word.typos();
    let typo = if typos > 0 && !word.known {
        Some(Arc::new(
            FuzzyTermQuery::new(term.clone(), typos, true).automaton()?,
        ))
    } else {
        None
    };
    // A word the index knows as typed is taken as finished: expanding it as a prefix
    // would walk every longer word for little gain.
    let prefix = if word.prefix && !word.known {
        Some(Arc::new(
            FuzzyTermQuery::new_prefix(term, 0, true).automaton()?,
        ))
    } else {
        None
    };
    Ok((typo, prefix))
}

/// The query for one word over `fields`: any of its forms in any of the fields, through the
/// word cache, which builds the clauses (automata included) only for a segment whose
/// matches it does not keep.
fn word_query(word: &WordPlan, fields: &[WeightedField]) -> tantivy::Result<Box<dyn Query>> {
    let typos = word.typos() > 0 && !word.known;
    let prefix = word.prefix && !word.known;
    let folded = fields.iter().any(|f| f.folded.is_some());
    let key = word_key(word, fields, typos && folded, prefix && folded);
    let (word, fields) = (word.clone(), fields.to_vec());
    word_cache::cached(key, Box::new(move || word_clauses(&word, &fields)))
}

/// The clauses of one word over `fields`.
fn word_clauses(word: &WordPlan, fields: &[WeightedField]) -> tantivy::Result<Box<dyn Query>> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    let (typo, prefix) = match fields.iter().find_map(|f| f.folded) {
        Some(field) => automata(word, field)?,
        None => (None, None),
    };
    for f in fields {
        if let Some(stem) = &word.stem {
            let term = Term::from_field_text(f.stemmed, stem);
            should.push((
                Occur::Should,
                boost(
                    boxed(TermQuery::new(term, IndexRecordOption::Basic)),
                    f.boost,
                ),
            ));
        }
        for (alternative, weight) in &word.alternatives {
            let term = Term::from_field_text(f.stemmed, alternative);
            should.push((
                Occur::Should,
                boost(
                    boxed(TermQuery::new(term, IndexRecordOption::Basic)),
                    f.boost * weight,
                ),
            ));
        }
        let Some(folded_field) = f.folded else {
            continue;
        };
        if let Some(automaton) = &typo {
            // Constant score: a typo match is worth less than most exact matches.
            let query = AutomatonQuery {
                field: folded_field,
                automaton: Arc::clone(automaton),
            };
            should.push((Occur::Should, boost(boxed(query), 0.3 * f.boost)));
        }
        if let Some(automaton) = &prefix {
            let query = AutomatonQuery {
                field: folded_field,
                automaton: Arc::clone(automaton),
            };
            should.push((Occur::Should, boost(boxed(query), 0.4 * f.boost)));
        }
    }
    Ok(boxed(BooleanQuery::new(should)))
}

/// What the clauses of `word` over `fields` are made of, as the word cache's key: equal keys
/// build equal clauses. The typed text counts only when an automaton reads it, so "blanca"
/// and "blancas" (one stem) share their matches.
fn word_key(word: &WordPlan, fields: &[WeightedField], typo: bool, prefix: bool) -> String {
    use std::fmt::Write;
    let mut key = String::new();
    for f in fields {
        let folded = f.folded.map(|f| f.field_id());
        let _ = write!(key, "{}/{:?}/{}|", f.stemmed.field_id(), folded, f.boost);
    }
    let _ = write!(key, "{:?}|{:?}", word.stem, word.alternatives);
    if typo || prefix {
        let _ = write!(
            key,
            "|{}|t{}|p{}",
            word.folded,
            u8::from(typo) * word.typos(),
            prefix
        );
    }
    key
}

/// One query per word over `fields`, each worth [`WORD_SCORE`] more when it matches. A
/// search asks for all of them, or for [`relaxed`] most of them.
pub fn text_query(
    plan: &TextPlan,
    fields: &[WeightedField],
) -> tantivy::Result<Vec<Box<dyn Query>>> {
    plan.words
        .iter()
        .map(|w| Ok(boxed(Counted(word_query(w, fields)?))))
        .collect()
}

/// Any `minimum` of `words` (from [`text_query`]).
pub fn relaxed(words: &[Box<dyn Query>], minimum: usize) -> Box<dyn Query> {
    let should = words
        .iter()
        .map(|w| (Occur::Should, w.box_clone()))
        .collect();
    boxed(BooleanQuery::with_minimum_required_clauses(should, minimum))
}

/// A word's query whose score counts the word once more ([`WORD_SCORE`]).
#[derive(Debug)]
struct Counted(Box<dyn Query>);

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self(self.0.box_clone())
    }
}

impl Query for Counted {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(CountedWeight(self.0.weight(scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct CountedWeight(Box<dyn Weight>);

impl Weight for CountedWeight {
    fn scorer(
        &self,
        reader: &tantivy::SegmentReader,
        boost: tantivy::Score,
    ) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(CountedScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(
        &self,
        reader: &tantivy::SegmentReader,
        doc: tantivy::DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        let inner = self.0.explain(reader, doc)?;
        let mut explanation =
            tantivy::query::Explanation::new("word matched", inner.value() + WORD_SCORE);
        explanation.add_detail(inner);
        Ok(explanation)
    }
}

struct CountedScorer(Box<dyn Scorer>);

impl tantivy::DocSet for CountedScorer {
    fn advance(&mut self) -> tantivy::DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: tantivy::DocId) -> tantivy::DocId {
        self.0.seek(target)
    }

    fn doc(&self) -> tantivy::DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }
}

impl Scorer for CountedScorer {
    fn score(&mut self) -> tantivy::Score {
        self.0.score() + WORD_SCORE
    }
}
