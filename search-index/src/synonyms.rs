//! Textile synonyms (jean, mezclilla, denim...), read from a plain-text file of groups.

use std::collections::HashMap;
use std::sync::Arc;

use crate::analysis;

/// The synonyms shipped with the binary (`search-index/synonyms.txt`).
const BUILT_IN: &str = include_str!("../synonyms.txt");

/// Groups of interchangeable words, keyed by folded word.
#[derive(Clone, Debug)]
pub struct Synonyms {
    groups: Arc<HashMap<String, Vec<String>>>,
}

impl Default for Synonyms {
    fn default() -> Self {
        Self::parse(BUILT_IN)
    }
}

impl Synonyms {
    /// Parses one group per line, words separated by commas; `#` starts a comment.
    pub fn parse(text: &str) -> Self {
        let mut groups: HashMap<String, Vec<String>> = HashMap::new();
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or_default();
            let words: Vec<String> = line
                .split(',')
                .map(|w| analysis::fold(w.trim()))
                .filter(|w| !w.is_empty() && !w.contains(char::is_whitespace))
                .collect();
            for word in &words {
                let others = groups.entry(word.clone()).or_default();
                for other in &words {
                    if other != word && !others.contains(other) {
                        others.push(other.clone());
                    }
                }
            }
        }
        Self {
            groups: Arc::new(groups),
        }
    }

    /// Reads a synonyms file.
    pub fn from_file(path: &std::path::Path) -> std::io::Result<Self> {
        Ok(Self::parse(&std::fs::read_to_string(path)?))
    }

    /// The other words of `word`'s group (folded), empty when it has none.
    pub fn of(&self, folded_word: &str) -> &[String] {
        self.groups.get(folded_word).map_or(&[], Vec::as_slice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_symmetric_and_folded() {
        let s = Synonyms::default();
        assert!(s.of("jean").contains(&"mezclilla".to_owned()));
        assert!(s.of("mezclilla").contains(&"jean".to_owned()));
        assert!(s.of("buzo").contains(&"poleron".to_owned()));
        assert!(s.of("nada").is_empty());
    }
}
