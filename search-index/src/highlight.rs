//! Highlights: the stored text with the words that matched wrapped in `<mark>`, everything
//! else HTML-escaped, so a client can insert the snippet as HTML safely.

use std::collections::HashMap;

use tantivy::tokenizer::TokenStream;

use crate::analysis;
use crate::matching::TextPlan;

/// Characters of description shown around the first match.
const WINDOW: usize = 160;

/// Marks the words of `text` that `plan` matches.
pub struct Highlighter<'a> {
    plan: &'a TextPlan,
    folder: tantivy::tokenizer::TextAnalyzer,
    stemmer: tantivy::tokenizer::TextAnalyzer,
    /// Whether each folded token seen so far matches: the page's names and descriptions
    /// repeat their words, and a verdict costs a stemming and a typo distance per word of
    /// the query (a fifth of a text search page's highlight time went to recomputing them).
    verdicts: HashMap<String, bool>,
}

impl<'a> Highlighter<'a> {
    /// A highlighter for one query.
    pub fn new(plan: &'a TextPlan) -> Self {
        Self {
            plan,
            folder: analysis::folded(),
            stemmer: analysis::stemmed(),
            verdicts: HashMap::new(),
        }
    }

    /// The matched words of `text` that start before byte `until` (after the first match).
    /// Tokens are looked at as the analyzer streams them, without a copy of each, and the
    /// walk stops at `until`: a description is often long and matches nowhere.
    fn marked_words(&mut self, text: &str, until: impl Fn(usize) -> usize) -> Vec<(usize, usize)> {
        let Self {
            plan,
            folder,
            stemmer,
            verdicts,
        } = self;
        let mut marks = Vec::new();
        let mut end = usize::MAX;
        let mut stream = folder.token_stream(text);
        while stream.advance() {
            let token = stream.token();
            if token.offset_from >= end {
                break;
            }
            let matched = match verdicts.get(token.text.as_str()) {
                Some(matched) => *matched,
                None => {
                    let matched = matches(plan, stemmer, &token.text);
                    verdicts.insert(token.text.clone(), matched);
                    matched
                }
            };
            if matched {
                if marks.is_empty() {
                    end = until(token.offset_from);
                }
                marks.push((token.offset_from, token.offset_to));
            }
        }
        marks
    }

    /// The whole `text` with its matches marked, or `None` when nothing matched.
    pub fn whole(&mut self, text: &str) -> Option<String> {
        let marks = self.marked_words(text, |_| usize::MAX);
        (!marks.is_empty()).then(|| render(text, 0, text.len(), &marks))
    }

    /// A window of `text` around its first match, or `None` when nothing matched.
    pub fn fragment(&mut self, text: &str) -> Option<String> {
        // Only the words inside the window around the first match are looked at.
        let marks = self.marked_words(text, |first| first.saturating_sub(WINDOW / 3) + WINDOW);
        let first = marks.first()?;
        let start = floor_char(text, first.0.saturating_sub(WINDOW / 3));
        let end = floor_char(text, (start + WINDOW).min(text.len()));
        let mut out = String::new();
        if start > 0 {
            out.push('…');
        }
        out.push_str(&render(text, start, end, &marks));
        if end < text.len() {
            out.push('…');
        }
        Some(out)
    }
}

/// Whether a folded `token` of the text is one of the words of `plan`: as a stem or a
/// synonym's stem, within the word's typo budget, or (a word still being typed) as a prefix.
fn matches(plan: &TextPlan, stemmer: &mut tantivy::tokenizer::TextAnalyzer, token: &str) -> bool {
    let stem = analysis::words(stemmer, token)
        .into_iter()
        .next()
        .map(|w| w.text);
    let stem = stem.as_deref();
    let chars = token.chars().count();
    plan.words.iter().any(|w| {
        // A word matched by its own forms (a phrase's words, a word whose stem means
        // something else too) is marked in those forms only.
        let own = match &w.forms {
            Some(forms) => forms.iter().any(|f| {
                f == token || (chars >= 3 && f.contains(' ') && f.split(' ').any(|p| p == token))
            }),
            None => stem == w.stem.as_deref(),
        };
        let exact = stem.is_some()
            && (own
                || w.alternatives
                    .iter()
                    .any(|l| l.forms.iter().any(|f| f == token)));
        let typos = usize::from(w.typos());
        // Words whose lengths differ by more than the budget cannot be within it.
        let typo = !w.known
            && typos > 0
            && chars.abs_diff(w.folded.chars().count()) <= typos
            && strsim::damerau_levenshtein(token, &w.folded) <= typos;
        let prefix = w.prefix && !w.known && token.starts_with(&w.folded);
        exact || typo || prefix
    })
}

fn floor_char(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn render(text: &str, start: usize, end: usize, marks: &[(usize, usize)]) -> String {
    let mut out = String::with_capacity(end - start + 32);
    let mut at = start;
    for &(from, to) in marks {
        if from < at || to > end {
            continue;
        }
        out.push_str(&html_escape::encode_safe(&text[at..from]));
        out.push_str("<mark>");
        out.push_str(&html_escape::encode_safe(&text[from..to]));
        out.push_str("</mark>");
        at = to;
    }
    out.push_str(&html_escape::encode_safe(&text[at..end]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synonyms::Synonyms;

    #[test]
    fn marks_stems_typos_and_prefixes_and_escapes_the_rest() {
        let plan = TextPlan::new("camisas algodon", &Synonyms::default());
        let mut h = Highlighter::new(&plan);
        assert_eq!(
            h.whole("Camisa <b>de</b> algodón").as_deref(),
            Some("<mark>Camisa</mark> &lt;b&gt;de&lt;&#x2F;b&gt; <mark>algodón</mark>")
        );
        let plan = TextPlan::new("vestdo alpa", &Synonyms::default());
        let mut h = Highlighter::new(&plan);
        assert_eq!(
            h.whole("Vestido de alpaca").as_deref(),
            Some("<mark>Vestido</mark> de <mark>alpaca</mark>")
        );
        assert_eq!(h.whole("Mantel de lino"), None);
    }
}
