//! Measures, however they are written: "2,80 m", "2.8m", "280 cm", "ancho 280", "2,80 de
//! ancho" and "2,80 mts de ancho" are one width. Each becomes a token in centimetres
//! (`280cm`): the indexer adds the tokens of a product's text to its attributes, and a
//! query's measures are replaced by theirs, so they meet as one word whatever the spelling
//! on either side.
//!
//! What counts as a measure:
//! - a number with a unit of length (`m`, `mt`, `mts`, `metro(s)`, `cm`, `cms`,
//!   `centímetro(s)`, `mm`), decimals with a comma or a point;
//! - a number announced by `ancho`, `largo` or `alto`, before it or after it ("2,80 de
//!   ancho"): metres below 10, else centimetres;
//! - a pair `A x B` (with or without a unit after B, which applies to both): two measures;
//! - a bare number with decimals below 10 ("1,50": metres), or a bare whole number from 100
//!   to 999 ("tela 280": centimetres). Other bare numbers are sizes, counts or weights
//!   ("talle 40", "2 plazas", "100% algodón", "200 hilos") and stay as they are.

use crate::analysis::fold;

/// Words that announce a measure.
const MEASURE_WORDS: [&str; 3] = ["ancho", "largo", "alto"];

/// Words after a bare number that make it something else than a length.
const NOT_LENGTHS: [&str; 16] = [
    "g", "gr", "grs", "gramos", "kg", "ml", "hilos", "yardas", "yds", "unidades", "pares",
    "piezas", "plaza", "plazas", "meses", "años",
];

/// A measure found in a text: its byte span (the announcing words and the unit included)
/// and its length in whole centimetres.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Measure {
    pub from: usize,
    pub to: usize,
    pub cm: u32,
}

impl Measure {
    /// The token a measure is indexed and matched as.
    pub fn token(&self) -> String {
        format!("{}cm", self.cm)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Item {
    Number { value: f64, decimals: bool },
    Word(String),
    Symbol(char),
}

/// The text as numbers, words and symbols with their byte spans (spaces dropped).
fn items(text: &str) -> Vec<(Item, usize, usize)> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c.is_ascii_digit() {
            let mut end = i + 1;
            while end < bytes.len() && bytes[end].is_ascii_digit() {
                end += 1;
            }
            let whole = &text[i..end];
            let mut decimals = "";
            if end + 1 < bytes.len()
                && (bytes[end] == b',' || bytes[end] == b'.')
                && bytes[end + 1].is_ascii_digit()
            {
                let mut d = end + 1;
                while d < bytes.len() && bytes[d].is_ascii_digit() {
                    d += 1;
                }
                decimals = &text[end + 1..d];
                end = d;
            }
            while chars.peek().is_some_and(|(j, _)| *j < end) {
                chars.next();
            }
            // "1.500" is a thousand and five hundred, not a decimal.
            let (number, decimals) = if decimals.len() == 3 {
                (format!("{whole}{decimals}"), false)
            } else if decimals.is_empty() {
                (whole.to_owned(), false)
            } else {
                (format!("{whole}.{decimals}"), true)
            };
            if let Ok(value) = number.parse::<f64>() {
                out.push((Item::Number { value, decimals }, i, end));
            }
        } else if c.is_alphabetic() {
            let mut end = i + c.len_utf8();
            while let Some((j, c)) = chars.peek().copied() {
                if !c.is_alphabetic() {
                    break;
                }
                end = j + c.len_utf8();
                chars.next();
            }
            out.push((Item::Word(fold(&text[i..end])), i, end));
        } else if !c.is_whitespace() {
            out.push((Item::Symbol(c), i, i + c.len_utf8()));
        }
    }
    out
}

/// Centimetres in one unit of length.
fn unit_cm(word: &str) -> Option<f64> {
    match word {
        "m" | "mt" | "mts" | "metro" | "metros" => Some(100.0),
        "cm" | "cms" | "centimetro" | "centimetros" => Some(1.0),
        "mm" => Some(0.1),
        _ => None,
    }
}

fn is_measure_word(item: Option<&(Item, usize, usize)>) -> bool {
    matches!(item, Some((Item::Word(w), _, _)) if MEASURE_WORDS.contains(&w.as_str()))
}

/// A number without a unit, announced as a measure: metres below 10.
fn announced_cm(value: f64) -> f64 {
    if value < 10.0 { value * 100.0 } else { value }
}

/// Every measure of `text`, in order.
pub fn measures(text: &str) -> Vec<Measure> {
    let items = items(text);
    let mut out = Vec::new();
    let mut i = 0;
    while i < items.len() {
        let (Item::Number { value, decimals }, from, mut to) = items[i] else {
            i += 1;
            continue;
        };
        // "ancho 280", "Ancho: 2,80".
        let mut from_word = None;
        if i > 0 && is_measure_word(items.get(i - 1)) {
            from_word = Some(items[i - 1].1);
        } else if i > 1 && items[i - 1].0 == Item::Symbol(':') && is_measure_word(items.get(i - 2))
        {
            from_word = Some(items[i - 2].1);
        }
        let mut values = vec![(value, decimals)];
        let mut next = i + 1;
        // "140 x 220", "1,40 x 2,20 m".
        let times = match items.get(next) {
            Some((Item::Word(w), ..)) => w == "x",
            Some((Item::Symbol(c), ..)) => *c == '×',
            _ => false,
        };
        if times && let Some((Item::Number { value, decimals }, _, end)) = items.get(next + 1) {
            values.push((*value, *decimals));
            to = *end;
            next += 2;
        }
        let unit = match items.get(next) {
            Some((Item::Word(w), _, end)) => unit_cm(w).map(|cm| (cm, *end)),
            _ => None,
        };
        if let Some((_, end)) = unit {
            to = end;
            next += 1;
        }
        // "2,80 de ancho", "2,80 m de ancho".
        let mut after_word = false;
        if matches!(items.get(next), Some((Item::Word(w), ..)) if w == "de")
            && is_measure_word(items.get(next + 1))
        {
            to = items[next + 1].2;
            next += 2;
            after_word = true;
        } else if is_measure_word(items.get(next)) && unit.is_some() {
            to = items[next].2;
            next += 1;
        }
        let announced = from_word.is_some() || after_word;
        let pair = values.len() == 2;
        let follower = match items.get(next) {
            Some((Item::Word(w), ..)) => Some(w.as_str()),
            Some((Item::Symbol('%'), ..)) => Some("%"),
            _ => None,
        };
        let not_length = follower.is_some_and(|w| w == "%" || NOT_LENGTHS.contains(&w));
        let mut found = Vec::new();
        for (value, decimals) in values {
            let cm = match unit {
                Some((per_unit, _)) => Some(value * per_unit),
                None if announced || pair => Some(announced_cm(value)),
                None if not_length => None,
                None if decimals && value < 10.0 => Some(value * 100.0),
                None if !decimals && (100.0..1000.0).contains(&value) => Some(value),
                None => None,
            };
            if let Some(cm) = cm.map(f64::round).filter(|cm| (1.0..=5000.0).contains(cm)) {
                found.push(cm as u32);
            }
        }
        if found.is_empty() {
            i += 1;
            continue;
        }
        let from = from_word.unwrap_or(from);
        for cm in found {
            out.push(Measure { from, to, cm });
        }
        i = next;
    }
    out
}

/// Where one measure token of a normalised text came from: its byte span in the normalised
/// text and the span of `text` it replaced.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Replaced {
    pub out: (usize, usize),
    pub text: (usize, usize),
}

/// `text` with each measure replaced by its tokens (what a query matches with), and the
/// spans it replaced (in order), so that a position in the result can be taken back to the
/// text as typed ([`typed_at`]).
pub fn normalise_spans(text: &str) -> (String, Vec<Replaced>) {
    let found = measures(text);
    if found.is_empty() {
        return (text.to_owned(), Vec::new());
    }
    let mut out = String::with_capacity(text.len());
    let mut spans = Vec::with_capacity(found.len());
    let mut at = 0;
    for m in found {
        if m.from >= at {
            out.push_str(&text[at..m.from]);
        } else {
            out.push(' ');
        }
        let start = out.len();
        out.push_str(&m.token());
        // A second token of the same words replaces nothing more of the text.
        let from = m.from.max(at);
        at = at.max(m.to);
        spans.push(Replaced {
            out: (start, out.len()),
            text: (from, at),
        });
    }
    out.push_str(&text[at..]);
    (out, spans)
}

/// The byte position of the typed text that `at`, a position of its normalised form, stands
/// for: the start of the measure a token position falls in, else shifted by what the
/// measures before it changed.
pub fn typed_at(spans: &[Replaced], at: usize) -> usize {
    let mut typed = at;
    for span in spans {
        if at < span.out.0 {
            break;
        }
        if at < span.out.1 {
            return span.text.0;
        }
        typed = span.text.1 + (at - span.out.1);
    }
    typed
}

/// The tokens of every measure in `text`, for the index.
pub fn tokens(text: &str) -> Vec<String> {
    measures(text).iter().map(Measure::token).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalise(text: &str) -> String {
        normalise_spans(text).0
    }

    #[test]
    fn one_width_written_every_way() {
        for text in [
            "280",
            "2,80 m",
            "2.8 m",
            "2,8m",
            "ancho 280",
            "Ancho: 2,80",
            "Ancho: 2,80m",
            "280 cm",
            "2,80 mts de ancho",
            "2,80 de ancho",
            "2.80 metros",
            "280cm",
            "2,80",
        ] {
            assert_eq!(tokens(text), ["280cm"], "{text}");
        }
    }

    #[test]
    fn pairs_give_both_measures() {
        for text in [
            "140 x 220",
            "1,40 x 2,20 m",
            "140x220 cm",
            "140X220",
            "1,40 × 2,20",
        ] {
            assert_eq!(tokens(text), ["140cm", "220cm"], "{text}");
        }
    }

    #[test]
    fn sizes_counts_weights_and_shares_are_not_measures() {
        for text in [
            "talle 40",
            "sábanas 2 plazas",
            "pack x 3",
            "Pack x3",
            "1.500 pesos",
            "XL",
            "100% algodón",
            "100 % algodón",
            "sábanas 200 hilos",
            "madeja de 100 g",
            "Talles: 40, 42, 44",
        ] {
            assert!(tokens(text).is_empty(), "{text}: {:?}", tokens(text));
        }
        assert_eq!(tokens("friselina 1,5 m"), ["150cm"]);
        assert_eq!(tokens("largo 2,20 m y ancho 1,40 m"), ["220cm", "140cm"]);
        assert_eq!(tokens("0,9 m de ancho, 110 cm de largo"), ["90cm", "110cm"]);
    }

    #[test]
    fn queries_keep_their_other_words() {
        assert_eq!(normalise("tela ancho 280"), "tela 280cm");
        assert_eq!(
            normalise("cortinas 140 x 220 lino"),
            "cortinas 140cm 220cm lino"
        );
        assert_eq!(normalise("lienzo 2,80 m crudo"), "lienzo 280cm crudo");
        assert_eq!(normalise("remera roja"), "remera roja");
        assert_eq!(normalise("loneta 2,80 mts de ancho"), "loneta 280cm");
        assert_eq!(normalise("cortinas 140 x 220"), "cortinas 140cm 220cm");
        assert_eq!(
            normalise("tela 1,50 de ancho algodon"),
            "tela 150cm algodon"
        );
    }

    #[test]
    fn positions_of_the_normalised_text_go_back_to_the_typed_one() {
        for (typed, word) in [
            ("280 camsia", "camsia"),
            ("lienzo 2,80 m camsia", "camsia"),
            ("cortinas 140 x 220 lino", "lino"),
            ("ñandú 1,5 m pañ", "pañ"),
        ] {
            let (text, spans) = normalise_spans(typed);
            let from = text.find(word).expect("the word is in the normalised text");
            let (at, to) = (typed_at(&spans, from), typed_at(&spans, from + word.len()));
            assert_eq!(&typed[at..to], word, "{typed}");
        }
        let (text, spans) = normalise_spans("tela ancho 280 lino");
        let token = text.find("280cm").expect("the measure is a token");
        assert_eq!(typed_at(&spans, token), "tela ".len());
        assert_eq!(
            typed_at(&spans, token + "280cm".len()),
            "tela ancho 280".len()
        );
    }
}
