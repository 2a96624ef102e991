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
    AutomatonWeight, BooleanQuery, ConstScoreQuery, DfaWrapper, DisjunctionMaxQuery, EnableScoring,
    FuzzyTermQuery, Occur, PhraseQuery, Query, Scorer, TermQuery, TermSetQuery, Weight,
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
    /// When the vocabulary gives the word's stem to a word of another meaning ("gorra" and
    /// "gorro", [`Synonyms::stem_rivals`]): the word's own forms, matched whole in the
    /// folded fields instead of the stem.
    pub forms: Option<Vec<String>>,
    /// The word forms (folded: singular, plural, both genders) of the words the vocabulary
    /// links it to, with their weights. They are matched as whole words in the folded
    /// fields, not as stems: a stem joins unrelated words ("bordó" and "bordado", "polo"
    /// and "polar") and would bring them in at a full word's coverage.
    pub alternatives: Vec<Link>,
    /// Matched as a prefix too (the last word while typing).
    pub prefix: bool,
    /// Whether the index holds the word as typed (or its stem). Typo matching only runs for
    /// words it does not know: a correctly spelled word gains nothing from it, and skipping
    /// the term-dictionary walk is most of a query's cost.
    pub known: bool,
    /// A short word another word of the query vouches for: it gets one typo.
    pub in_context: bool,
    /// The word says what the product is for or has, not what it is: it comes after
    /// "para", "que", "con" or "sin" and a word before it ("tela para cortinas", "buzo con
    /// capucha"), or it is a word of intent ("abrigado", "verano"). It never counts as a
    /// type word, and a description that says it ("ideal para cortinas") adds to a name
    /// that matches it.
    pub modifier: bool,
    /// Fewer edits than the word's length allows: the vocabulary word it meant is this
    /// close ("camisteas" is one transposition from camisetas, so camisas, two edits away,
    /// is not what was meant).
    pub typo_cap: Option<u8>,
    /// The word that says what the shopper wants: the query's first word that is not a
    /// modifier, a colour or a number ("cortina" in "cortina de voile blanca"). Spanish
    /// puts the noun first; only this word counts for a product's head, so a voile fabric
    /// (head "voile") does not answer "cortina de voile" as a curtain does, and one head
    /// is never counted twice (a "visillo" is a cortina and is voile).
    pub head: bool,
    /// A phrase of the vocabulary ("verde agua", "zapatilla de casa"), one word of the
    /// plan: matched as its words in a row, never as a stem, a typo or a prefix.
    pub phrase: bool,
}

impl WordPlan {
    /// Edits allowed when matching this word with a typo.
    pub fn typos(&self) -> u8 {
        let chars = self.folded.chars().count();
        if self.in_context && chars == SHORT_WORD_IN_CONTEXT {
            return 1;
        }
        typo_budget(chars).min(self.typo_cap.unwrap_or(u8::MAX))
    }
}

/// Where a field says what a product is, and what a word found there counts for in
/// coverage (times [`WORD_SCORE`]): a remera that is not red answers "remera roja" better
/// than a red cushion does, and a fabric "ideal para joggers" is not a jogger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// The head of a product's name ("Remera" in "Remera básica de algodón"): the word names
    /// what the product is. Counts [`HEAD_UNITS`] on top of its [`Tier::Strong`] units.
    Head,
    /// The name, the attributes (a store's name and place): [`STRONG_UNITS`].
    Strong,
    /// A category ("Pantalones y polleras") or a description: 1, only when the word is found
    /// nowhere stronger.
    Weak,
}

/// Units a word found in a strong field counts for.
const STRONG_UNITS: f32 = 2.0;
/// Units a word found in the head adds (a word after "para" or "con" adds none: it says
/// what the product is for or has, not what it is).
const HEAD_UNITS: f32 = 3.0;

/// Words that name a whole class of products, not one: never a query's head ("ropa para
/// ir al gimnasio" wants what is for the gym, not a "ropa de baño").
const CLASS_WORDS: [&str; 4] = ["ropa", "prenda", "prendas", "cosas"];

/// Words after which a query says what the product is for or has, not what it is.
const MODIFIER_LINKS: [&str; 4] = ["para", "que", "con", "sin"];

/// Weight of the links a misspelt word borrows from the vocabulary word it meant.
const TYPO_LINK: f32 = 0.4;
/// Weight of the links of that vocabulary word: below a direct match with a typo (0.3),
/// so "pantalnoes" finds pantalones before the other words for trousers.
const TYPO_ALTERNATIVE: f32 = 0.2;

/// Spelling swaps that keep a Spanish word's sound, as shoppers mix them up: ll and y
/// (yeísmo), b and v, z and s, g and j before e and i, k for qu, a silent h.
const SOUND_SWAPS: [(&str, &str); 12] = [
    ("y", "ll"),
    ("ll", "y"),
    ("v", "b"),
    ("b", "v"),
    ("z", "s"),
    ("s", "z"),
    ("ge", "je"),
    ("gi", "ji"),
    ("je", "ge"),
    ("ji", "gi"),
    ("k", "qu"),
    ("h", ""),
];

/// Spellings that sound like `word`: one or two of [`SOUND_SWAPS`] (each swap changes every
/// occurrence), and a silent h added in front.
pub fn sound_alikes(word: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut add = |variant: String| {
        if variant != word && !out.contains(&variant) {
            out.push(variant);
        }
    };
    let applicable: Vec<(&str, &str)> = SOUND_SWAPS
        .iter()
        .copied()
        .filter(|(from, _)| word.contains(from))
        .collect();
    for (i, (from, to)) in applicable.iter().enumerate() {
        let once = word.replace(from, to);
        for (from2, to2) in &applicable[i + 1..] {
            add(once.replace(from2, to2));
        }
        add(once);
    }
    if !word.starts_with('h') {
        add(format!("h{word}"));
    }
    out
}

/// Whether the index holds `folded` as typed in a `folded` field, or `stem` in a `stemmed`
/// field.
fn holds(
    searcher: &tantivy::Searcher,
    folded: &[Field],
    stemmed: &[Field],
    word: &str,
    stem: Option<&str>,
) -> tantivy::Result<bool> {
    for field in folded {
        if searcher.doc_freq(&Term::from_field_text(*field, word))? > 0 {
            return Ok(true);
        }
    }
    if let Some(stem) = stem {
        for field in stemmed {
            if searcher.doc_freq(&Term::from_field_text(*field, stem))? > 0 {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// A word the vocabulary links a typed word to: its forms and their weight. Each link
/// found adds its weight, so a product with more of a concept's words ranks higher
/// ("joggers" finds pantalón and deportivo; a "pantalón deportivo" has both).
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    pub word: String,
    pub forms: Vec<String>,
    pub weight: f32,
    /// Whether the linked word names the same thing (a synonym, a regional name, the word a
    /// typo meant), as against what the word implies (a shade of a colour family, an
    /// intent's products): only such links can say what a product is (its head).
    pub names: bool,
    /// The countries whose listings the link holds in; `None`: everywhere.
    pub countries: Option<Vec<String>>,
}

/// The words of a query that take part in matching.
#[derive(Clone, Debug, Default)]
pub struct TextPlan {
    pub words: Vec<WordPlan>,
}

/// The forms a word is written in: as listed and plural, and for an adjective ending in -o or
/// -a the other gender ("blanco": blancos, blanca, blancas). A noun keeps its gender:
/// "gorra" and "gorro" are two things.
pub fn inflections(word: &str, adjective: bool) -> Vec<String> {
    // A phrase inflects its first word ("zapatillas de casa", "blanca hueso").
    if let Some((first, rest)) = word.split_once(' ') {
        return inflections(first, adjective)
            .into_iter()
            .map(|f| format!("{f} {rest}"))
            .collect();
    }
    let mut forms = vec![word.to_owned()];
    let plural = |w: &str| match w.chars().last() {
        Some('a' | 'e' | 'i' | 'o' | 'u' | 'á' | 'é' | 'ó') => format!("{w}s"),
        Some('s') | None => w.to_owned(),
        Some(_) => format!("{w}es"),
    };
    forms.push(plural(word));
    // The other gender swaps a final `o` or `a`. Both are one byte, so what is left is a
    // whole word's prefix; a word ending in `ñ` or an accent ("pañ" typed) has no such form.
    let other = if !adjective {
        None
    } else if let Some(base) = word.strip_suffix('o') {
        Some(format!("{base}a"))
    } else {
        word.strip_suffix('a').map(|base| format!("{base}o"))
    };
    if let Some(other) = other {
        forms.push(plural(&other));
        forms.push(other);
    }
    forms.dedup();
    forms
}

/// The links of `word` (folded) in the vocabulary, with their weights times `factor`,
/// leaving out the word's own forms.
fn alternatives_of(synonyms: &Synonyms, word: &str, stem: Option<&str>, factor: f32) -> Vec<Link> {
    let own = inflections(word, synonyms.is_adjective(word));
    let mut out: Vec<Link> = Vec::new();
    for (alternative, weight) in synonyms.of(word) {
        let forms: Vec<String> = inflections(alternative, synonyms.is_adjective(alternative))
            .into_iter()
            .filter(|form| !own.contains(form) && Some(form.as_str()) != stem)
            .collect();
        if forms.is_empty() {
            continue;
        }
        out.push(Link {
            word: alternative.clone(),
            forms,
            weight: weight * factor,
            names: *weight >= crate::synonyms::GROUP,
            countries: synonyms.only_in(word, alternative).map(<[String]>::to_vec),
        });
    }
    out.sort_by(|a, b| a.word.cmp(&b.word));
    out
}

/// Adds `link` unless a link to the same word is there already.
fn add_link(links: &mut Vec<Link>, link: Link) {
    if !links.iter().any(|l| l.word == link.word) {
        links.push(link);
        links.sort_by(|a, b| a.word.cmp(&b.word));
    }
}

/// The forms `word` is matched by when the stemmer joins it with a word of another meaning
/// (`None` otherwise): its singular and plural and, unless that is one of the rivals, the
/// other gender ("abrigado": abrigada, but "gorra" never gorro).
fn own_forms(synonyms: &Synonyms, word: &str, stem: Option<&str>) -> Option<Vec<String>> {
    let rivals = synonyms.stem_rivals(word, stem?);
    if rivals.is_empty() {
        return None;
    }
    let rival = |form: &String| rivals.iter().any(|r| inflections(r, false).contains(form));
    let mut forms = word_forms(word);
    forms.retain(|f| !rival(f));
    Some(forms)
}

/// `typed` with each run of words that makes a vocabulary phrase joined into one word
/// (its key, spanning the run's text).
fn merge_phrases(typed: Vec<Word>, synonyms: &Synonyms) -> Vec<Word> {
    let texts: Vec<&str> = typed.iter().map(|w| w.text.as_str()).collect();
    let mut out = Vec::with_capacity(typed.len());
    let mut i = 0;
    while i < typed.len() {
        match synonyms.phrase_at(&texts[i..]) {
            Some((len, key)) => {
                out.push(Word {
                    text: key,
                    from: typed[i].from,
                    to: typed[i + len - 1].to,
                });
                i += len;
            }
            None => {
                out.push(typed[i].clone());
                i += 1;
            }
        }
    }
    out
}

/// A word's own forms, as typed, its singular or plural, and the other gender ("abrigado":
/// abrigada, abrigados): what a word of intent, or a word with a stem rival, is matched by.
/// Forms that match nothing in the index (from a wrong guess at the singular) cost nothing.
fn word_forms(word: &str) -> Vec<String> {
    let mut forms: Vec<String> = [Some(word), word.strip_suffix("es"), word.strip_suffix('s')]
        .into_iter()
        .flatten()
        .filter(|s| s.chars().count() >= 3)
        .flat_map(|s| inflections(s, true))
        .collect();
    forms.sort();
    forms.dedup();
    forms
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
        let (text, replaced) = crate::measures::normalise_spans(text);
        // Word spans are of the text as typed (a correction rewrites it there).
        let typed_at = |at| crate::measures::typed_at(&replaced, at);
        let mut folder = analysis::folded();
        let mut stemmer = analysis::stemmed();
        let mut typed: Vec<Word> = merge_phrases(analysis::words(&mut folder, &text), synonyms);
        // Where the words that modify the product start: the first linking word after a
        // word that says something.
        let modifiers_from = typed
            .iter()
            .position(|w| MODIFIER_LINKS.contains(&w.text.as_str()))
            .filter(|at| typed[..*at].iter().any(|w| !synonyms.is_stop_word(&w.text)))
            .map_or(usize::MAX, |at| typed[at].from);
        if typed.iter().any(|w| !synonyms.is_stop_word(&w.text)) {
            typed.retain(|w| !synonyms.is_stop_word(&w.text));
        }
        // A trailing space means the last word is finished: no prefix matching.
        let typing = !text.ends_with(char::is_whitespace);
        let count = typed.len();
        let mut words = Vec::new();
        for (i, w) in typed.into_iter().enumerate() {
            let is_last = i + 1 == count;
            let phrase = w.text.contains(' ');
            let stem = if phrase {
                None
            } else {
                stem_of(&mut stemmer, &w.text)
            };
            let prefix = is_last && typing && !phrase && w.text.chars().count() >= 2;
            if stem.is_none() && !prefix && !phrase {
                continue;
            }
            let alternatives = alternatives_of(synonyms, &w.text, stem.as_deref(), 1.0);
            let forms = if phrase {
                Some(inflections(&w.text, synonyms.is_adjective(&w.text)))
            } else if synonyms.is_intent(&w.text) {
                // A word of intent is often a verb, and a verb's stem is its participle's
                // ("tejer" and "tejido", "secar" and "secado", "dormir" and "dormitorio"):
                // it says what the product is for in its own forms only.
                Some(word_forms(&w.text))
            } else {
                own_forms(synonyms, &w.text, stem.as_deref())
            };
            let modifier = w.from > modifiers_from || synonyms.is_intent(&w.text);
            words.push(WordPlan {
                folded: w.text,
                from: typed_at(w.from),
                to: typed_at(w.to),
                stem,
                forms,
                alternatives,
                prefix,
                known: false,
                in_context: false,
                modifier,
                typo_cap: None,
                head: false,
                phrase,
            });
        }
        if words.len() > MAX_WORDS {
            words.truncate(MAX_WORDS);
        }
        let mut plan = Self { words };
        plan.choose_head(synonyms, false);
        plan
    }

    /// Marks the words that say what the shopper wants ([`WordPlan::head`]): the first word
    /// that is not a modifier, a colour, a number or a class word ("ropa"), and the next
    /// one too after "tela" (as in a product's head, `fields::head_of`: "tela jersey" wants
    /// a jersey fabric). With `matching`, only a word that matches something can be it:
    /// "tank top" wants a top.
    fn choose_head(&mut self, synonyms: &Synonyms, matching: bool) {
        let says_what = |w: &WordPlan| {
            !CLASS_WORDS.contains(&w.folded.as_str())
                && !w.modifier
                && !synonyms.is_adjective(&w.folded)
                && !w.folded.starts_with(|c: char| c.is_ascii_digit())
                && (!matching || w.known || !w.alternatives.is_empty())
        };
        if matching && !self.words.iter().any(says_what) {
            return;
        }
        for word in &mut self.words {
            word.head = false;
        }
        for word in self.words.iter_mut().filter(|w| says_what(w)) {
            word.head = true;
            if !crate::fields::KEEP_NEXT.contains(&word.folded.as_str()) {
                break;
            }
        }
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
            word.known = word.phrase
                || holds(
                    searcher,
                    folded,
                    stemmed,
                    &word.folded,
                    word.stem.as_deref(),
                )?;
        }
        let known = self.words.iter().filter(|w| w.known).count();
        for word in &mut self.words {
            word.in_context = !word.known && known > 0;
        }
        Ok(())
    }

    /// Gives each word the index does not know a second chance, before typo matching:
    /// - a spelling that sounds the same in Spanish and that the index knows ("amariyas" is
    ///   amarillas, "bufanda" typed "bufamda" is not one: see [`sound_alikes`]) replaces it;
    /// - otherwise, a vocabulary word within its typo budget lends it its links at
    ///   [`TYPO_LINK`] ("chaqeutas" finds the chaqueta's camperas and casacas too).
    pub fn correct(
        &mut self,
        searcher: &tantivy::Searcher,
        folded: &[Field],
        stemmed: &[Field],
        synonyms: &Synonyms,
    ) -> tantivy::Result<()> {
        // Built only for a word the index does not know: most queries have none, and an
        // analyzer costs more to build than a quick search.
        let mut stemmer: Option<TextAnalyzer> = None;
        for word in &mut self.words {
            if word.known || word.stem.is_none() {
                continue;
            }
            let stemmer = stemmer.get_or_insert_with(analysis::stemmed);
            let mut found = None;
            for variant in sound_alikes(&word.folded) {
                let stem = stem_of(stemmer, &variant);
                if holds(searcher, folded, stemmed, &variant, stem.as_deref())? {
                    found = Some((variant, stem));
                    break;
                }
            }
            if let Some((variant, stem)) = found {
                word.alternatives = alternatives_of(synonyms, &variant, stem.as_deref(), 1.0);
                word.forms = own_forms(synonyms, &variant, stem.as_deref());
                word.folded = variant;
                word.stem = stem;
                word.known = true;
                continue;
            }
            let budget = word.typos();
            if budget == 0 {
                continue;
            }
            // The word as typed, or spelt as it sounds, within its budget of a vocabulary
            // word ("mesclila": mezclila, one edit from mezclilla).
            let key = std::iter::once(word.folded.clone())
                .chain(sound_alikes(&word.folded))
                .enumerate()
                .find_map(|(i, w)| {
                    synonyms
                        .nearest_with_edits(&w, budget)
                        .map(|(key, edits)| (key.to_owned(), (i == 0).then_some(edits)))
                });
            if let Some((key, edits)) = key {
                if let Some(edits) = edits {
                    word.typo_cap = Some(edits.max(1));
                }
                add_link(
                    &mut word.alternatives,
                    Link {
                        forms: inflections(&key, synonyms.is_adjective(&key)),
                        word: key.clone(),
                        weight: TYPO_LINK,
                        names: true,
                        countries: None,
                    },
                );
                for mut link in alternatives_of(synonyms, &key, None, 1.0) {
                    link.weight = TYPO_ALTERNATIVE;
                    add_link(&mut word.alternatives, link);
                }
            }
        }
        self.choose_head(synonyms, true);
        Ok(())
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
    /// What a word found here counts for in coverage.
    pub tier: Tier,
    /// The documents' country field, for links that hold in some countries only.
    pub country: Option<Field>,
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
type WordAutomata = (
    Option<Arc<DfaWrapper>>,
    Option<Arc<DfaWrapper>>,
    Option<Arc<DfaWrapper>>,
);

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
    // The stem with a typo, in the stemmed fields: a plural and a typo together
    // ("camsiones" for camisón) are one edit from the stem, too many from the word.
    let stem_typo = match &word.stem {
        Some(stem) if typos > 0 && !word.known && *stem != word.folded => Some(Arc::new(
            FuzzyTermQuery::new(Term::from_field_text(any_field, stem), typos, true).automaton()?,
        )),
        _ => None,
    };
    Ok((typo, prefix, stem_typo))
}

/// The query for one word over `fields`, coverage units included ([`word_parts`]), through
/// the word cache: a word is one kept list of documents and scores per segment, walked and
/// sought like a posting list, however many fields, tiers and forms it is made of (a
/// union of its parts per document cost a text search half its speed). Its clauses and
/// automata are built only for a segment whose list is not kept.
fn word_query(word: &WordPlan, fields: &[WeightedField]) -> tantivy::Result<Box<dyn Query>> {
    let typos = word.typos() > 0 && !word.known;
    let prefix = word.prefix && !word.known;
    let folded = fields.iter().any(|f| f.folded.is_some());
    let key = word_key(word, fields, typos && folded, prefix && folded);
    let (word, fields) = (word.clone(), fields.to_vec());
    word_cache::cached(key, Box::new(move || word_parts(&word, &fields)))
}

/// Documents with any of `terms`. A few terms are a union of term queries: a term set
/// builds an FST of its terms (and a registry table) for every weight, which cost a tenth of
/// the server under the long tail's searches, where a word's clauses are built at its first
/// sight in each segment.
pub(crate) fn any_term(mut terms: Vec<Term>) -> Box<dyn Query> {
    match terms.len() {
        1 => boxed(TermQuery::new(terms.remove(0), IndexRecordOption::Basic)),
        2..=32 => boxed(BooleanQuery::new(
            terms
                .into_iter()
                .map(|t| {
                    (
                        Occur::Should,
                        boxed(TermQuery::new(t, IndexRecordOption::Basic)),
                    )
                })
                .collect(),
        )),
        _ => boxed(TermSetQuery::new(terms)),
    }
}

/// Any of `forms` as a whole word in `field`, a phrase's words in a row.
fn forms_query(field: Field, forms: &[String]) -> Box<dyn Query> {
    let (phrases, words): (Vec<&String>, Vec<&String>) =
        forms.iter().partition(|f| f.contains(' '));
    let mut any: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !words.is_empty() {
        let terms = words
            .iter()
            .map(|w| Term::from_field_text(field, w))
            .collect::<Vec<_>>();
        any.push((Occur::Should, any_term(terms)));
    }
    for phrase in phrases {
        let terms = phrase
            .split(' ')
            .map(|w| Term::from_field_text(field, w))
            .collect::<Vec<_>>();
        any.push((Occur::Should, boxed(PhraseQuery::new(terms))));
    }
    match any.len() {
        1 => any.remove(0).1,
        _ => boxed(BooleanQuery::new(any)),
    }
}

/// The clauses of one word over `fields`, with the word's typo and prefix automata.
fn word_clauses(
    word: &WordPlan,
    fields: &[WeightedField],
    (typo, prefix, stem_typo): &WordAutomata,
) -> tantivy::Result<Box<dyn Query>> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for f in fields {
        if let (Some(forms), Some(folded)) = (&word.forms, f.folded) {
            should.push((Occur::Should, boost(forms_query(folded, forms), f.boost)));
        } else if word.phrase {
            // A field with no folded form (a description): the phrase's stems in a row.
            let stems = analysis::stems_at(&word.folded);
            if stems.len() >= 2 {
                let first = stems[0].0;
                let terms = stems
                    .iter()
                    .map(|(at, stem)| (at - first, Term::from_field_text(f.stemmed, stem)))
                    .collect();
                should.push((
                    Occur::Should,
                    boost(boxed(PhraseQuery::new_with_offset(terms)), f.boost),
                ));
            }
        } else if let Some(stem) = &word.stem {
            let term = Term::from_field_text(f.stemmed, stem);
            should.push((
                Occur::Should,
                boost(
                    boxed(TermQuery::new(term, IndexRecordOption::Basic)),
                    f.boost,
                ),
            ));
        }
        let Some(folded_field) = f.folded else {
            continue;
        };
        for link in &word.alternatives {
            let mut query = forms_query(folded_field, &link.forms);
            if let (Some(countries), Some(country)) = (&link.countries, f.country) {
                let terms = countries
                    .iter()
                    .map(|c| Term::from_field_text(country, c))
                    .collect::<Vec<_>>();
                query = boxed(BooleanQuery::new(vec![
                    (Occur::Must, query),
                    (Occur::Must, any_term(terms)),
                ]));
            }
            should.push((Occur::Should, boost(query, f.boost * link.weight)));
        }
        if let Some(automaton) = &stem_typo {
            let query = AutomatonQuery {
                field: f.stemmed,
                automaton: Arc::clone(automaton),
            };
            // Below the word's own typo (0.3) and the links of the word it meant (0.2): a
            // stem is shorter, so an edit there reaches further ("camisteas" is camisetas,
            // but its stem "camist" is one edit from camisa's).
            should.push((Occur::Should, boost(boxed(query), 0.1 * f.boost)));
        }
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
    let mut key = format!("m{}|h{}|", word.modifier, word.head);
    for f in fields {
        let folded = f.folded.map(|f| f.field_id());
        let _ = write!(
            key,
            "{}/{:?}/{}/{:?}|",
            f.stemmed.field_id(),
            folded,
            f.boost,
            f.tier
        );
    }
    let _ = write!(
        key,
        "{:?}|{:?}|{:?}",
        word.stem, word.forms, word.alternatives
    );
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

/// One query per word over `fields`, each worth its coverage units ([`Tier`]) times
/// [`WORD_SCORE`] more when it matches. A search asks for all of them, or for [`relaxed`]
/// most of them.
pub fn text_query(
    plan: &TextPlan,
    fields: &[WeightedField],
) -> tantivy::Result<Vec<Box<dyn Query>>> {
    plan.words.iter().map(|w| word_query(w, fields)).collect()
}

/// One word's clauses by tier, with their coverage units: the strong and head parts add
/// up (a word in the head is in the name too); a weak part counts only when nothing
/// stronger matched.
fn word_parts(word: &WordPlan, fields: &[WeightedField]) -> tantivy::Result<Box<dyn Query>> {
    let tier = |t: Tier| -> Vec<WeightedField> {
        fields.iter().filter(|f| f.tier == t).copied().collect()
    };
    let (head, strong, weak) = (tier(Tier::Head), tier(Tier::Strong), tier(Tier::Weak));
    // Built once for every part: a Levenshtein automaton of two edits is costly.
    let automata = match fields.iter().find_map(|f| f.folded) {
        Some(field) => automata(word, field)?,
        None => (None, None, None),
    };
    let mut strong_parts: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    if !strong.is_empty() {
        let units = WORD_SCORE * STRONG_UNITS;
        strong_parts.push((
            Occur::Should,
            boxed(Counted(word_clauses(word, &strong, &automata)?, units)),
        ));
    }
    if !head.is_empty() {
        // Only the word, its typos and its synonyms name the product's type, not what it
        // implies ("cortina" implies blackout; a blackout fabric is not a curtain).
        let mut named = word.clone();
        named.alternatives.retain(|l| l.names);
        let units = if word.head {
            WORD_SCORE * HEAD_UNITS
        } else {
            0.0
        };
        strong_parts.push((
            Occur::Should,
            boxed(Counted(word_clauses(&named, &head, &automata)?, units)),
        ));
    }
    let mut parts: Vec<Box<dyn Query>> = Vec::new();
    match strong_parts.len() {
        0 => {}
        1 => parts.push(strong_parts.remove(0).1),
        _ => parts.push(boxed(BooleanQuery::new(strong_parts))),
    }
    if !weak.is_empty() {
        parts.push(boxed(Counted(
            word_clauses(word, &weak, &automata)?,
            WORD_SCORE,
        )));
    }
    Ok(match parts.len() {
        1 => parts.remove(0),
        // What a product is for is said in its description as much as in its name.
        _ if word.modifier => boxed(BooleanQuery::new(
            parts.into_iter().map(|p| (Occur::Should, p)).collect(),
        )),
        _ => boxed(DisjunctionMaxQuery::new(parts)),
    })
}

/// Any `minimum` of `words` (from [`text_query`]), scored by the words each document has:
/// the documents with enough of the words ([`crate::word_cache::at_least`], worked out once
/// per segment for the count, the page and the facet passes of the search), with the words
/// themselves as optional clauses for the score. (tantivy's counting disjunction kept every
/// word's list in a heap and popped every posting, a quarter of the server under the long
/// tail's searches; a union of intersections, one per choice of words, then spent an eighth
/// in its intersections' seeks.)
pub fn relaxed(words: &[Box<dyn Query>], minimum: usize) -> Box<dyn Query> {
    let which = crate::word_cache::at_least(words.iter().map(|w| w.box_clone()).collect(), minimum);
    let mut clauses = vec![(Occur::Must, which)];
    clauses.extend(words.iter().map(|w| (Occur::Should, w.box_clone())));
    boxed(BooleanQuery::new(clauses))
}

/// A word's query whose score counts the word: [`WORD_SCORE`] times its weight more.
#[derive(Debug)]
struct Counted(Box<dyn Query>, f32);

impl Clone for Counted {
    fn clone(&self) -> Self {
        Self(self.0.box_clone(), self.1)
    }
}

impl Query for Counted {
    fn weight(&self, scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(CountedWeight(self.0.weight(scoring)?, self.1)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct CountedWeight(Box<dyn Weight>, f32);

impl Weight for CountedWeight {
    fn scorer(
        &self,
        reader: &tantivy::SegmentReader,
        boost: tantivy::Score,
    ) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(CountedScorer(
            self.0.scorer(reader, boost)?,
            self.1,
        )))
    }

    fn explain(
        &self,
        reader: &tantivy::SegmentReader,
        doc: tantivy::DocId,
    ) -> tantivy::Result<tantivy::query::Explanation> {
        let inner = self.0.explain(reader, doc)?;
        let mut explanation =
            tantivy::query::Explanation::new("word matched", inner.value() + self.1);
        explanation.add_detail(inner);
        Ok(explanation)
    }
}

struct CountedScorer(Box<dyn Scorer>, f32);

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
        self.0.score() + self.1
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_ending_in_a_multibyte_letter_inflect_without_a_gender() {
        // "pañ" (paño with its last letter lost) once split the `ñ` in two and panicked.
        assert_eq!(super::inflections("pañ", true), ["pañ", "pañes"]);
        assert_eq!(super::inflections("bordó", true), ["bordó", "bordós"]);
        assert_eq!(
            super::inflections("rojo", true),
            ["rojo", "rojos", "rojas", "roja"]
        );
    }

    proptest::proptest! {
        /// Whatever a shopper types, planning it neither panics nor loses track of where
        /// its words are.
        #[test]
        fn any_text_plans(text in "[a-zñáéíóúü ,.0-9-]{0,40}") {
            let plan = super::TextPlan::new(&text, &crate::synonyms::Synonyms::default());
            for word in &plan.words {
                proptest::prop_assert!(text.is_char_boundary(word.from));
                proptest::prop_assert!(text.is_char_boundary(word.to));
            }
        }
    }
}
