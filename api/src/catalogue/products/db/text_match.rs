//! What a shopper typed, as PostgreSQL full-text search conditions.
//!
//! User text never becomes tsquery syntax: it is cut here into words of letters and digits,
//! and the words reach PostgreSQL as bound parameters of `plainto_tsquery` (plain words,
//! ANDed) or, the last word as a prefix, quoted for `to_tsquery`, which a word of letters and
//! digits cannot escape. Every word must match: the last one as its stem or as the start of a
//! word (`alpa` finds `alpaca`), the others as their stem (`camisas` finds `camisa`). The
//! configurations (`es_unaccent`, `es_unaccent_prefix`) fold accents, so `algodon` finds
//! `algodón`; see `migrations/20261123000002_postgres_search.sql`.

use sqlx::{Postgres, QueryBuilder};

/// Most words of a query that take part in matching (as in the search index).
const MAX_WORDS: usize = 8;
/// Longer tokens are noise (hashes, pasted URLs) and are dropped, as in the search index.
const MAX_WORD_BYTES: usize = 40;
/// The last word matches as a prefix from this many characters on.
const MIN_PREFIX_CHARS: usize = 2;

/// The words of a query, ready to bind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextMatch {
    /// Lower-cased; never empty.
    words: Vec<String>,
}

impl TextMatch {
    /// Splits `text` into words; `None` when it holds no letter or digit.
    pub fn new(text: &str) -> Option<Self> {
        let words: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty() && w.len() <= MAX_WORD_BYTES)
            .take(MAX_WORDS)
            .map(str::to_lowercase)
            .collect();
        (!words.is_empty()).then_some(Self { words })
    }

    /// `'word':*` for the last word when it is long enough to match as a prefix.
    fn prefix(&self, i: usize) -> Option<String> {
        let word = &self.words[i];
        (i + 1 == self.words.len() && word.chars().count() >= MIN_PREFIX_CHARS)
            .then(|| format!("'{word}':*"))
    }

    /// Pushes the tsquery of word `i`: its stem, or also its start for the last word.
    /// A stop word's is empty, which `&&` ignores.
    fn push_word_query(&self, qb: &mut QueryBuilder<Postgres>, i: usize) {
        qb.push("(plainto_tsquery('es_unaccent', ")
            .push_bind(self.words[i].clone())
            .push(")");
        if let Some(prefix) = self.prefix(i) {
            qb.push(" || to_tsquery('es_unaccent_prefix', ")
                .push_bind(prefix)
                .push(")");
        }
        qb.push(")");
    }

    /// Pushes the tsquery every word must match, as a scalar subquery so PostgreSQL builds
    /// it once per statement (an init plan) rather than once per row under a generic plan.
    pub fn push_tsquery(&self, qb: &mut QueryBuilder<Postgres>) {
        qb.push("(SELECT ");
        for i in 0..self.words.len() {
            if i > 0 {
                qb.push(" && ");
            }
            self.push_word_query(qb, i);
        }
        qb.push(")");
    }

    /// Pushes the arguments of `products_named_like`: the words and their tsqueries.
    pub fn push_fallback_args(&self, qb: &mut QueryBuilder<Postgres>) {
        qb.push_bind(self.words.clone()).push("::text[], ARRAY[");
        for i in 0..self.words.len() {
            if i > 0 {
                qb.push(", ");
            }
            self.push_word_query(qb, i);
        }
        qb.push("]::tsquery[]");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sql(m: &TextMatch) -> String {
        let mut qb = QueryBuilder::<Postgres>::new("");
        m.push_tsquery(&mut qb);
        qb.into_string()
    }

    #[test]
    fn words_are_letters_and_digits_only() {
        let m = TextMatch::new("  Camisas  de LINO:* | !'x' & 42").expect("words");
        assert_eq!(m.words, ["camisas", "de", "lino", "x", "42"]);
        assert_eq!(m.prefix(4).as_deref(), Some("'42':*"));
        assert_eq!(m.prefix(2), None);
    }

    #[test]
    fn user_text_is_only_ever_bound() {
        let m = TextMatch::new("camisa' || lino").expect("words");
        let sql = sql(&m);
        assert!(!sql.contains("camisa") && !sql.contains("lino"), "{sql}");
        assert_eq!(sql.matches('$').count(), 3, "{sql}");
    }

    #[test]
    fn syntax_alone_is_no_query() {
        assert_eq!(TextMatch::new("'&|!:*()\\ <-> "), None);
        assert_eq!(TextMatch::new(""), None);
    }

    #[test]
    fn accents_stay_for_the_database_to_fold_and_short_words_are_no_prefix() {
        let m = TextMatch::new("algodón m").expect("words");
        assert_eq!(m.words, ["algodón", "m"]);
        assert_eq!(m.prefix(1), None);
    }

    #[test]
    fn long_queries_keep_eight_words_and_drop_noise() {
        let noise = "x".repeat(41);
        let m = TextMatch::new(&format!("a {noise} b c d e f g h i j")).expect("words");
        assert_eq!(m.words, ["a", "b", "c", "d", "e", "f", "g", "h"]);
    }
}
