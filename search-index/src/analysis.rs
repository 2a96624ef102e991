//! Spanish text analysis: what "the same word" means to the index.
//!
//! Two analyzers share one folding rule: lower case, accents removed, but `ñ` kept, because
//! in Spanish it changes the word (paño is cloth, pano is not a word; año and ano differ).
//! - [`STEMMED`]: folded, Spanish stop words removed, Snowball Spanish stems, so plural and
//!   singular meet (`camisas`, `camisa`). Used for ranking.
//! - [`FOLDED`]: folded whole words, no stemming, so typos and prefixes are measured against
//!   what the seller wrote.

use tantivy::tokenizer::{
    Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer, StopWordFilter, TextAnalyzer,
    Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// Name of the stemmed analyzer.
pub const STEMMED: &str = "es_stem";
/// Name of the folded, unstemmed analyzer.
pub const FOLDED: &str = "es_fold";

/// Longest token kept (longer ones are noise: hashes, pasted URLs).
const MAX_TOKEN_BYTES: usize = 40;

/// Folds one lower-cased character: accents and diaeresis go, `ñ` stays.
fn fold_char(c: char) -> char {
    match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        other => other,
    }
}

/// Lower-cases and folds a word the way the analyzers do.
pub fn fold(text: &str) -> String {
    text.chars()
        .flat_map(char::to_lowercase)
        .map(fold_char)
        .collect()
}

/// The token filter behind [`fold`] (applied after [`LowerCaser`]).
#[derive(Clone)]
pub struct SpanishFolding;

impl TokenFilter for SpanishFolding {
    type Tokenizer<T: Tokenizer> = SpanishFoldingFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        SpanishFoldingFilter { inner: tokenizer }
    }
}

/// [`SpanishFolding`] wrapped around a tokenizer.
#[derive(Clone)]
pub struct SpanishFoldingFilter<T> {
    inner: T,
}

impl<T: Tokenizer> Tokenizer for SpanishFoldingFilter<T> {
    type TokenStream<'a> = SpanishFoldingStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SpanishFoldingStream {
            tail: self.inner.token_stream(text),
        }
    }
}

/// The stream of [`SpanishFoldingFilter`].
pub struct SpanishFoldingStream<T> {
    tail: T,
}

impl<T: TokenStream> TokenStream for SpanishFoldingStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if !token.text.is_ascii() {
            token.text = token.text.chars().map(fold_char).collect();
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Spanish stop words. They are removed before folding, since the list spells them with
/// their accents (`él`, `más`).
fn stop_words() -> StopWordFilter {
    StopWordFilter::new(Language::Spanish).unwrap_or_else(|| StopWordFilter::remove(Vec::new()))
}

/// The stemmed analyzer.
pub fn stemmed() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(stop_words())
        .filter(SpanishFolding)
        .filter(Stemmer::new(Language::Spanish))
        .build()
}

/// The folded, unstemmed analyzer.
pub fn folded() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_BYTES))
        .filter(LowerCaser)
        .filter(SpanishFolding)
        .build()
}

/// Registers both analyzers under their names.
pub fn register(manager: &TokenizerManager) {
    manager.register(STEMMED, stemmed());
    manager.register(FOLDED, folded());
}

/// A token of user or document text with its byte offsets.
#[derive(Clone, Debug, PartialEq)]
pub struct Word {
    pub text: String,
    pub from: usize,
    pub to: usize,
}

/// Runs `analyzer` over `text`.
pub fn words(analyzer: &mut TextAnalyzer, text: &str) -> Vec<Word> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push(Word {
            text: t.text.clone(),
            from: t.offset_from,
            to: t.offset_to,
        });
    }
    out
}

/// The stems of `text` with their positions (stop words leave gaps), for a phrase query
/// over a stemmed field.
pub fn stems_at(text: &str) -> Vec<(usize, String)> {
    let mut analyzer = stemmed();
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while stream.advance() {
        let t = stream.token();
        out.push((t.position, t.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        words(analyzer, text).into_iter().map(|w| w.text).collect()
    }

    #[test]
    fn accents_fold_but_enye_stays() {
        let mut a = folded();
        assert_eq!(
            texts(&mut a, "Algodón PAÑO pingüino"),
            ["algodon", "paño", "pinguino"]
        );
        assert_ne!(texts(&mut a, "paño"), texts(&mut a, "pano"));
    }

    #[test]
    fn a_phrase_keeps_the_gaps_of_its_stop_words() {
        let stems = stems_at("ropa de bebé");
        assert_eq!(stems.len(), 2);
        assert_eq!(stems[1].0 - stems[0].0, 2, "{stems:?}");
    }

    #[test]
    fn plurals_meet_and_stop_words_go() {
        let mut a = stemmed();
        assert_eq!(texts(&mut a, "camisas"), texts(&mut a, "camisa"));
        assert_eq!(
            texts(&mut a, "vestidos de lino"),
            texts(&mut a, "vestido lino")
        );
        assert_eq!(texts(&mut a, "algodón"), texts(&mut a, "algodon"));
    }
}
