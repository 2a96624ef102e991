//! The shopper's vocabulary: which other words a typed word also matches, and which words
//! carry no meaning. Kept as data files in `search-index/vocabulary/` (see its README) and
//! applied when a query is analysed, never at indexing, so a change needs no reindex:
//! - `synonyms.txt`, `garments.txt`: groups of interchangeable words (regional names of one
//!   garment, a fabric's other names); each word matches the others at [`GROUP`];
//! - `loanwords.txt`: `hoodie => buzo, canguro`, one direction, at [`GROUP`];
//! - `kinds.txt`: `pantalón => jean, jogging`, a general word and its kinds, one direction,
//!   at [`GROUP`];
//! - `colours.txt`: `family: shade, shade`, a line per shade; the words of one shade match
//!   each other at [`GROUP`], a family's name matches its shades at [`FAMILY_TO_SHADE`] and a
//!   shade matches its family's name at [`SHADE_TO_FAMILY`];
//! - `intent.txt`: `invierno => lana, polar`, words of intent or occasion and what they
//!   imply, one direction, at [`INTENT`];
//! - `stopwords.txt`: words that are dropped from a query (quiero, busco, algo).
//!
//! Admins add entries at run time ([`Entry`], stored by the API in PostgreSQL); they merge
//! over the built-in files in [`Synonyms::with_entries`].
//!
//! Every weight is a multiple of 0.05 whose products with the field boosts stay multiples of
//! 0.05 (see `matching.rs`).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use crate::analysis;

/// Weight of a word of the same group (a synonym, a regional name, a loanword's Spanish).
pub const GROUP: f32 = 0.8;
/// Weight of a shade when the family's name was typed ("rojo" finds "bordó").
pub const FAMILY_TO_SHADE: f32 = 0.7;
/// Weight of the family's name when a shade was typed ("bordó" finds "rojo", lower).
pub const SHADE_TO_FAMILY: f32 = 0.5;
/// Weight of what a word of intent implies ("invierno" finds "polar").
pub const INTENT: f32 = 0.6;

/// The built-in files, compiled into the binary.
const SYNONYMS: &str = include_str!("../vocabulary/synonyms.txt");
const GARMENTS: &str = include_str!("../vocabulary/garments.txt");
const LOANWORDS: &str = include_str!("../vocabulary/loanwords.txt");
const COLOURS: &str = include_str!("../vocabulary/colours.txt");
const INTENTS: &str = include_str!("../vocabulary/intent.txt");
const KINDS: &str = include_str!("../vocabulary/kinds.txt");
const STOP_WORDS: &str = include_str!("../vocabulary/stopwords.txt");

/// A vocabulary entry added at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Interchangeable words, like a line of `garments.txt`.
    Group(Vec<String>),
    /// `word` also finds `implies`, like a line of `intent.txt` (weighted as intent).
    Implies { word: String, implies: Vec<String> },
    /// A word dropped from queries.
    StopWord(String),
}

/// What the vocabulary makes of typed words. Cheap to clone (shared).
#[derive(Clone, Debug)]
pub struct Synonyms {
    inner: Arc<Vocabulary>,
    /// Spanish stem → the vocabulary's words with that stem (see [`Synonyms::stem_rivals`]).
    stems: Arc<HashMap<String, Vec<String>>>,
    /// Every word the vocabulary lists, linked from or to, sorted.
    words: Arc<Vec<String>>,
    /// The phrases it looks up (entries of several words), longest first: their words.
    phrases: Arc<Vec<Vec<String>>>,
}

#[derive(Clone, Debug, Default)]
struct Vocabulary {
    /// Folded word → other folded words it matches and their weights (the best weight kept
    /// per word).
    alternatives: HashMap<String, Vec<(String, f32)>>,
    stop_words: HashSet<String>,
    /// Links that hold in some countries' listings only (`None`: seen without a tag, so
    /// everywhere), by (from, to).
    only_in: HashMap<(String, String), Option<Vec<String>>>,
    /// Colour words: adjectives, written in both genders ("roja", "rojo"), unlike nouns
    /// whose other gender is another thing ("gorra", "gorro").
    adjectives: HashSet<String>,
}

impl Default for Synonyms {
    /// The built-in vocabulary.
    fn default() -> Self {
        static BUILT_IN: std::sync::LazyLock<Synonyms> =
            std::sync::LazyLock::new(|| Synonyms::from_vocabulary(Vocabulary::built_in()));
        BUILT_IN.clone()
    }
}

/// The meaningful part of a data-file line, without its comment.
fn content(line: &str) -> &str {
    line.split('#').next().unwrap_or_default().trim()
}

/// An entry as the engine compares it: folded words one space apart ("Off-White" is
/// "off white"). An entry of several words is a phrase: it matches those words in a row.
pub fn key_of(entry: &str) -> String {
    analysis::fold(entry)
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The entries of a comma-separated list, country tags dropped.
fn word_list(list: &str) -> Vec<String> {
    tagged_list(list).into_iter().map(|(w, _)| w).collect()
}

/// The entries of a comma-separated list with their country tags: `polera@CL` is "polera"
/// in listings from Chile only (`None`: everywhere).
fn tagged_list(list: &str) -> Vec<(String, Option<Vec<String>>)> {
    list.split(',')
        .filter_map(|entry| {
            let mut parts = entry.split('@');
            let word = key_of(parts.next()?);
            let countries: Vec<String> = parts
                .map(|c| c.trim().to_ascii_uppercase())
                .filter(|c| !c.is_empty())
                .collect();
            (!word.is_empty()).then_some((word, (!countries.is_empty()).then_some(countries)))
        })
        .collect()
}

impl Vocabulary {
    fn built_in() -> Self {
        let mut v = Self::default();
        v.add_groups(SYNONYMS);
        v.add_groups(GARMENTS);
        v.add_implications(LOANWORDS, GROUP);
        v.add_implications(KINDS, GROUP);
        v.add_colours(COLOURS);
        v.add_implications(INTENTS, INTENT);
        for line in STOP_WORDS.lines() {
            let word = analysis::fold(content(line));
            if !word.is_empty() && !word.contains(char::is_whitespace) {
                v.stop_words.insert(word);
            }
        }
        v
    }

    fn link(&mut self, from: &str, to: &str, weight: f32) {
        if from == to {
            return;
        }
        let list = self.alternatives.entry(from.to_owned()).or_default();
        match list.iter_mut().find(|(w, _)| w == to) {
            Some((_, kept)) => *kept = kept.max(weight),
            None => list.push((to.to_owned(), weight)),
        }
    }

    /// Restricts the link `from` → `to` to listings of `countries`, unless it holds
    /// everywhere already (a link without countries wins; countries add up).
    fn restrict(&mut self, from: &str, to: &str, countries: Option<&[String]>) {
        if from == to {
            return;
        }
        let key = (from.to_owned(), to.to_owned());
        match (self.only_in.get_mut(&key), countries) {
            (Some(None), _) => {}
            (Some(kept), None) => *kept = None,
            (Some(Some(kept)), Some(more)) => {
                for c in more {
                    if !kept.contains(c) {
                        kept.push(c.clone());
                    }
                }
            }
            (None, countries) => {
                self.only_in.insert(key, countries.map(<[String]>::to_vec));
            }
        }
    }

    fn add_group(&mut self, words: &[String], weight: f32) {
        for a in words {
            for b in words {
                self.link(a, b, weight);
            }
        }
    }

    /// A group whose words may be tagged: a tagged word means the group's thing only in its
    /// countries' listings, so the others find it there only; typed, it finds them all.
    fn add_tagged_group(&mut self, words: &[(String, Option<Vec<String>>)], weight: f32) {
        for (a, _) in words {
            for (b, countries) in words {
                self.link(a, b, weight);
                self.restrict(a, b, countries.as_deref());
            }
        }
    }

    fn add_groups(&mut self, text: &str) {
        for line in text.lines() {
            self.add_tagged_group(&tagged_list(content(line)), GROUP);
        }
    }

    fn add_implications(&mut self, text: &str, weight: f32) {
        for line in text.lines() {
            let Some((word, implies)) = content(line).split_once("=>") else {
                continue;
            };
            let word = key_of(word);
            if word.is_empty() {
                continue;
            }
            for (to, countries) in tagged_list(implies) {
                self.link(&word, &to, weight);
                self.restrict(&word, &to, countries.as_deref());
            }
        }
    }

    fn add_colours(&mut self, text: &str) {
        for line in text.lines() {
            let Some((family, shade)) = content(line).split_once(':') else {
                continue;
            };
            let family = key_of(family);
            let shade = word_list(shade);
            self.add_group(&shade, GROUP);
            self.adjectives.extend(shade.iter().cloned());
            if !family.is_empty() {
                self.adjectives.insert(family.clone());
            }
            if family.is_empty() {
                continue;
            }
            for word in &shade {
                self.link(&family, word, FAMILY_TO_SHADE);
                self.link(word, &family, SHADE_TO_FAMILY);
            }
        }
    }

    fn add(&mut self, entry: &Entry) {
        match entry {
            Entry::Group(words) => {
                let words: Vec<String> = words.iter().map(|w| key_of(w)).collect();
                self.add_group(&words, GROUP);
            }
            Entry::Implies { word, implies } => {
                let word = key_of(word);
                for to in implies {
                    self.link(&word, &key_of(to), INTENT);
                }
            }
            Entry::StopWord(word) => {
                self.stop_words.insert(analysis::fold(word.trim()));
            }
        }
    }
}

/// `word` as typed, then without a plural ending, then each with the other gender's ending:
/// the forms a vocabulary entry may be listed under. Not a stemmer on purpose: a stem joins
/// unrelated words ("bordó" and "bordado"), and the entries are listed under whole words.
fn lookup_forms(word: &str) -> impl Iterator<Item = String> {
    let singulars = singulars(word);
    let mut forms = singulars.clone();
    for s in singulars {
        let swapped = match s.chars().last() {
            Some('a') => Some(format!("{}o", &s[..s.len() - 1])),
            Some('o') => Some(format!("{}a", &s[..s.len() - 1])),
            _ => None,
        };
        forms.extend(swapped);
    }
    forms.into_iter()
}

/// `word`, and `word` without a plural ending when it has one.
fn singulars(word: &str) -> Vec<String> {
    let mut singulars = vec![word.to_owned()];
    if let Some(stem) = word.strip_suffix("es").filter(|s| s.chars().count() >= 3) {
        singulars.push(stem.to_owned());
    }
    if let Some(stem) = word.strip_suffix('s').filter(|s| s.chars().count() >= 3) {
        singulars.push(stem.to_owned());
    }
    singulars
}

impl Synonyms {
    fn from_vocabulary(v: Vocabulary) -> Self {
        let mut stemmer = analysis::stemmed();
        let mut stems: HashMap<String, Vec<String>> = HashMap::new();
        let words: HashSet<&String> = v
            .alternatives
            .iter()
            .flat_map(|(word, links)| std::iter::once(word).chain(links.iter().map(|(w, _)| w)))
            .collect();
        let (phrases, words): (HashSet<&String>, HashSet<&String>) =
            words.into_iter().partition(|w| w.contains(' '));
        let mut phrases: Vec<Vec<String>> = phrases
            .into_iter()
            .filter(|p| v.alternatives.contains_key(*p))
            .map(|p| p.split(' ').map(str::to_owned).collect())
            .collect();
        phrases.sort_by(|a, b| b.len().cmp(&a.len()).then(a.cmp(b)));
        let mut all: Vec<String> = words.iter().map(|w| (*w).clone()).collect();
        all.sort();
        for word in words {
            if let Some(stem) = analysis::words(&mut stemmer, word).into_iter().next() {
                stems.entry(stem.text).or_default().push(word.clone());
            }
        }
        for list in stems.values_mut() {
            list.sort();
        }
        Self {
            inner: Arc::new(v),
            stems: Arc::new(stems),
            words: Arc::new(all),
            phrases: Arc::new(phrases),
        }
    }

    /// Groups only, one per line, words separated by commas; `#` starts a comment.
    pub fn parse(text: &str) -> Self {
        let mut v = Vocabulary::default();
        v.add_groups(text);
        Self::from_vocabulary(v)
    }

    /// Reads a file of groups.
    pub fn from_file(path: &std::path::Path) -> std::io::Result<Self> {
        Ok(Self::parse(&std::fs::read_to_string(path)?))
    }

    /// This vocabulary with `entries` added over it.
    pub fn with_entries(&self, entries: &[Entry]) -> Self {
        if entries.is_empty() {
            return self.clone();
        }
        let mut v = Vocabulary::clone(&self.inner);
        for entry in entries {
            v.add(entry);
        }
        Self::from_vocabulary(v)
    }

    /// The other words `folded_word` matches, folded, with their weights. The files list
    /// singular forms, mostly masculine for adjectives; a plural or the other gender typed
    /// ("remeras", "dorada") finds its entry through [`lookup_forms`].
    pub fn of(&self, folded_word: &str) -> &[(String, f32)] {
        self.entry(folded_word)
            .map_or(&[], |(_, links)| links.as_slice())
    }

    /// The entry `folded_word` is listed under, and its links.
    fn entry(&self, folded_word: &str) -> Option<(&String, &Vec<(String, f32)>)> {
        lookup_forms(folded_word)
            .find_map(|form| self.inner.alternatives.get_key_value(form.as_str()))
    }

    /// The countries whose listings the link from `folded_word` to `to` (one of
    /// [`Synonyms::of`]) holds in; `None` when it holds everywhere ("remera" finds a
    /// "polera" in Chile, where it is a t-shirt, not in Peru, where it is a sweatshirt).
    pub fn only_in(&self, folded_word: &str, to: &str) -> Option<&[String]> {
        let (key, _) = self.entry(folded_word)?;
        self.inner
            .only_in
            .get(&(key.clone(), to.to_owned()))?
            .as_deref()
    }

    /// The vocabulary word (listed or linked to) nearest to a misspelt `folded_word` within `budget` edits (one of
    /// its forms against the word as listed), if any. Candidates share the first letter, as
    /// typos rarely hit it, which keeps this to a few dozen comparisons.
    pub fn nearest(&self, folded_word: &str, budget: u8) -> Option<&str> {
        self.nearest_with_edits(folded_word, budget)
            .map(|(key, _)| key)
    }

    /// [`Synonyms::nearest`], with the edits it is away.
    pub fn nearest_with_edits(&self, folded_word: &str, budget: u8) -> Option<(&str, u8)> {
        let budget = usize::from(budget);
        let first = folded_word.chars().next()?;
        let forms: Vec<String> = lookup_forms(folded_word).collect();
        let chars = folded_word.chars().count();
        self.words
            .iter()
            .filter(|key| key.starts_with(first))
            .filter(|key| key.chars().count().abs_diff(chars) <= budget + 2)
            .filter_map(|key| {
                let distance = forms
                    .iter()
                    .map(|form| strsim::damerau_levenshtein(form, key))
                    .min()?;
                (distance <= budget).then_some((distance, key.as_str()))
            })
            .min()
            .map(|(distance, key)| (key, u8::try_from(distance).unwrap_or(u8::MAX)))
    }

    /// The vocabulary's words that share `stem` with `folded_word` but mean something else:
    /// neither a form of it (its singular, its plural) nor linked to it. The stemmer makes
    /// one word of "gorra" (cap) and "gorro" (beanie), of "pana" (corduroy) and "paño"
    /// (wool cloth), of "abrigado" (warm) and "abrigo" (coat); the vocabulary, which lists
    /// them apart, says they are not.
    pub fn stem_rivals(&self, folded_word: &str, stem: &str) -> Vec<&str> {
        let Some(words) = self.stems.get(stem) else {
            return Vec::new();
        };
        let own = singulars(folded_word);
        let genders: Vec<String> = lookup_forms(folded_word).collect();
        let named = |w: &str| self.of(w).iter().any(|(_, weight)| *weight >= GROUP);
        let links = self.of(folded_word);
        words
            .iter()
            // Its plural or singular.
            .filter(|w| !own.contains(w) && !singulars(w).contains(&folded_word.to_owned()))
            // Its other gender, unless both name things ("gorra", "gorro").
            .filter(|w| {
                !(genders.contains(w) || lookup_forms(w).any(|f| f == folded_word))
                    || (named(w) && named(folded_word))
            })
            // Two words of intent ("manchar", "mancharme") are one meaning.
            .filter(|w| named(w) || named(folded_word))
            .filter(|w| !links.iter().any(|(l, _)| l == *w))
            .filter(|w| !self.of(w).iter().any(|(l, _)| own.contains(l)))
            .map(String::as_str)
            .collect()
    }

    /// The longest phrase of the vocabulary that `typed` (folded words) starts with: its
    /// length in words and its key. A typed word meets a phrase's word as written or as its
    /// singular ("zapatillas de casa" is the phrase "zapatilla de casa").
    pub fn phrase_at(&self, typed: &[&str]) -> Option<(usize, String)> {
        self.phrases
            .iter()
            .find(|phrase| {
                phrase.len() <= typed.len()
                    && phrase
                        .iter()
                        .zip(typed)
                        .all(|(p, t)| p == t || singulars(t).contains(p))
            })
            .map(|phrase| (phrase.len(), phrase.join(" ")))
    }

    /// Whether `folded_word` is only a word of intent ("invierno", "bebé", "abrigado"): it
    /// implies products and never names one.
    pub fn is_intent(&self, folded_word: &str) -> bool {
        let links = self.of(folded_word);
        !links.is_empty() && links.iter().all(|(_, w)| (w - INTENT).abs() < 1e-6)
    }

    /// Whether `folded_word` is an adjective (a colour), written in both genders.
    pub fn is_adjective(&self, folded_word: &str) -> bool {
        self.inner.adjectives.contains(folded_word)
    }

    /// Whether a typed word carries no meaning for matching.
    pub fn is_stop_word(&self, folded_word: &str) -> bool {
        self.inner.stop_words.contains(folded_word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weight(s: &Synonyms, from: &str, to: &str) -> Option<f32> {
        s.of(from).iter().find(|(w, _)| w == to).map(|(_, x)| *x)
    }

    #[test]
    fn groups_are_symmetric_and_folded() {
        let s = Synonyms::default();
        assert_eq!(weight(&s, "jean", "mezclilla"), Some(GROUP));
        assert_eq!(weight(&s, "mezclilla", "jean"), Some(GROUP));
        assert!(s.of("nada").is_empty());
    }

    #[test]
    fn every_data_file_parses_into_something() {
        let mut v = Vocabulary::default();
        for (name, text) in [
            ("synonyms", SYNONYMS),
            ("garments", GARMENTS),
            ("loanwords", LOANWORDS),
            ("colours", COLOURS),
            ("intent", INTENTS),
            ("kinds", KINDS),
        ] {
            let before = v.alternatives.len();
            match name {
                "loanwords" | "intent" | "kinds" => v.add_implications(text, INTENT),
                "colours" => v.add_colours(text),
                _ => v.add_groups(text),
            }
            assert!(v.alternatives.len() > before, "{name}.txt adds no word");
        }
        assert!(Synonyms::default().is_stop_word("quiero"));
    }

    #[test]
    fn regional_words_loanwords_colours_and_intent_meet() {
        let s = Synonyms::default();
        // A t-shirt across countries.
        assert!(weight(&s, "playera", "remera").is_some());
        assert!(weight(&s, "polera", "remera").is_some());
        // A loanword, one way.
        assert_eq!(weight(&s, "hoodie", "buzo"), Some(GROUP));
        // Shades of one colour, and the family both ways with lower weights.
        assert_eq!(weight(&s, "bordo", "granate"), Some(GROUP));
        assert_eq!(weight(&s, "rojo", "bordo"), Some(FAMILY_TO_SHADE));
        assert_eq!(weight(&s, "bordo", "rojo"), Some(SHADE_TO_FAMILY));
        // Intent.
        assert_eq!(weight(&s, "invierno", "polar"), Some(INTENT));
        // Plurals and the other gender find the singular entry.
        assert!(weight(&s, "playeras", "remera").is_some());
        assert!(weight(&s, "bordos", "granate").is_some());
        // A misspelt word finds the vocabulary word it meant.
        assert_eq!(s.nearest("chaqeutas", 1), Some("chaqueta"));
        assert_eq!(s.nearest("sudaedras", 2), Some("sudadera"));
        assert_eq!(s.nearest("xyzzy", 2), None);
        assert_eq!(weight(&s, "polar", "invierno"), None);
    }

    #[test]
    fn look_alikes_never_meet() {
        let s = Synonyms::default();
        for (a, b) in [
            ("manta", "mantel"),
            ("lino", "linon"),
            ("seda", "sedal"),
            ("polar", "polera"),
            ("pana", "paño"),
        ] {
            assert_eq!(weight(&s, a, b), None, "{a} → {b}");
            assert_eq!(weight(&s, b, a), None, "{b} → {a}");
        }
    }

    #[test]
    fn words_the_stemmer_joins_but_the_vocabulary_keeps_apart_are_rivals() {
        let s = Synonyms::default();
        let rivals = |w: &str| {
            let stem = analysis::words(&mut analysis::stemmed(), w)
                .into_iter()
                .next()
                .map(|w| w.text)
                .unwrap_or_default();
            s.stem_rivals(w, &stem)
                .into_iter()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        assert_eq!(rivals("gorra"), ["gorro"]);
        assert_eq!(rivals("gorras"), ["gorro"]);
        assert_eq!(rivals("gorro"), ["gorra"]);
        assert!(rivals("abrigado").contains(&"abrigo".to_owned()));
        // A word's own plural, or a word linked to it, is no rival.
        assert!(rivals("remera").is_empty());
        assert!(rivals("remeras").is_empty());
        assert!(rivals("rojo").is_empty(), "{:?}", rivals("rojo"));
    }

    #[test]
    fn entries_added_at_run_time_merge_over_the_files() {
        let s = Synonyms::default().with_entries(&[
            Entry::Group(vec!["Guayabera".into(), "camisa".into()]),
            Entry::Implies {
                word: "fiesta".into(),
                implies: vec!["lentejuelas".into()],
            },
            Entry::StopWord("porfa".into()),
        ]);
        assert_eq!(weight(&s, "guayabera", "camisa"), Some(GROUP));
        assert_eq!(weight(&s, "fiesta", "lentejuelas"), Some(INTENT));
        assert!(s.is_stop_word("porfa"));
        assert!(!Synonyms::default().is_stop_word("porfa"));
    }
}
