//! Text that users write to each other (messages, reviews): no markup at all.
//!
//! Key rule: such text is stored and served as an HTML fragment without a single tag. Tags
//! are stripped, not shown: the words inside formatting tags stay, `<script>` and `<style>`
//! go with their content, attributes (`onerror=`, `href="javascript:..."`) go with their
//! tags. What is left is text with `&`, `<` and `>` escaped as entities, so a web client can
//! insert it as HTML as it is, and a client that shows plain text decodes those entities.

/// Sanitised user text, trimmed, non-empty and within its length limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlainText(String);

/// Why raw text is not acceptable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlainTextError {
    /// Nothing is left once markup and surrounding whitespace are removed.
    Empty,
    /// Longer than the limit, as typed or once sanitised.
    TooLong,
}

impl PlainText {
    /// Strips every tag from `raw`, trims it, and checks it has 1 to `max_chars` characters
    /// both as typed and as stored (escaping `&` makes text longer).
    pub fn parse(raw: &str, max_chars: usize) -> Result<Self, PlainTextError> {
        let raw = raw.trim();
        if raw.chars().count() > max_chars {
            return Err(PlainTextError::TooLong);
        }
        let clean = sanitize(raw);
        let clean = clean.trim();
        match clean.chars().count() {
            0 => Err(PlainTextError::Empty),
            n if n > max_chars => Err(PlainTextError::TooLong),
            _ => Ok(Self(clean.to_owned())),
        }
    }

    /// The sanitised text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Removes every tag, comment and attribute of `raw`, escaping what remains as HTML text.
pub fn sanitize(raw: &str) -> String {
    ammonia::Builder::empty().clean(raw).to_string()
}

/// Stored user text (tagless, `&`, `<` and `>` as entities) as the user typed it.
pub fn decode(stored: &str) -> String {
    html_escape::decode_html_entities(stored).into_owned()
}

/// The text of an HTML fragment (a sanitised description, or stored user text): tags go,
/// paragraphs, line breaks and list items become line breaks, entities are decoded. What a
/// client that does not render HTML shows.
pub fn to_text(html: &str) -> String {
    let mut spaced = String::with_capacity(html.len() + 16);
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        spaced.push_str(&rest[..at]);
        let tag_end = rest[at..].find('>').map_or(rest.len(), |end| at + end + 1);
        let tag = rest[at..tag_end].to_ascii_lowercase();
        let name: String = tag
            .trim_start_matches(['<', '/'])
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let closing = tag.starts_with("</");
        let breaks = matches!(name.as_str(), "br")
            || (closing && matches!(name.as_str(), "p" | "li" | "h3" | "h4" | "ul" | "ol"));
        if breaks {
            spaced.push('\n');
        }
        spaced.push_str(&rest[at..tag_end]);
        rest = &rest[tag_end..];
    }
    spaced.push_str(rest);
    let stripped = ammonia::Builder::empty().clean(&spaced).to_string();
    let decoded = html_escape::decode_html_entities(&stripped);
    let lines: Vec<&str> = decoded
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_markup_comes_out_inert() {
        for hostile in [
            "hola <script>alert('x')</script> ñandú",
            "hola <img src=x onerror=alert(1)> ñandú",
            "hola <a href=\"javascript:alert(1)\">ñandú</a>",
            "hola <svg><script>alert(1)</script></svg> ñandú",
            "hola <<script>script>alert(1)<</script>/script> ñandú",
        ] {
            let text = PlainText::parse(hostile, 4000).expect(hostile);
            let text = text.as_str();
            assert!(text.starts_with("hola"), "{hostile} -> {text}");
            assert!(text.contains("ñandú"), "{hostile} -> {text}");
            for needle in ["<script", "onerror", "javascript:", "<img", "<a", "<svg"] {
                assert!(!text.contains(needle), "{hostile} -> {text}");
            }
        }
    }

    #[test]
    fn html_reads_as_text() {
        assert_eq!(
            to_text(
                "<p>Lino <b>crudo</b> &amp; lavado</p><ul><li>1,5 m</li><li>ancho &lt; 3 m</li></ul>"
            ),
            "Lino crudo & lavado\n1,5 m\nancho < 3 m"
        );
        assert_eq!(to_text("Año 2024 &amp; más &gt; 3"), "Año 2024 & más > 3");
        assert_eq!(to_text("uno<br>dos<br/>tres"), "uno\ndos\ntres");
        assert_eq!(to_text(""), "");
    }

    #[test]
    fn stored_user_text_decodes_to_what_was_typed() {
        let typed = "¿Tenés lino?\n\nAño 2024 & más > 3";
        let stored = PlainText::parse(typed, 4000).expect("text");
        assert_eq!(decode(stored.as_str()), typed);
    }

    #[test]
    fn text_survives_and_specials_are_escaped() {
        let text = PlainText::parse("  ¿Tenés lino en 1,5 m? Año 2024 & <b>más</b> > 3  ", 4000);
        assert_eq!(
            text.map(|t| t.as_str().to_owned()),
            Ok("¿Tenés lino en 1,5 m? Año 2024 &amp; más &gt; 3".to_owned())
        );
    }

    #[test]
    fn limits_hold_before_and_after_sanitising() {
        assert_eq!(PlainText::parse("   ", 10), Err(PlainTextError::Empty));
        assert_eq!(
            PlainText::parse("<script>x</script> <b> </b>", 100),
            Err(PlainTextError::Empty)
        );
        assert_eq!(
            PlainText::parse(&"a".repeat(11), 10),
            Err(PlainTextError::TooLong)
        );
        // Five characters as typed, 25 once `&` is escaped.
        assert_eq!(PlainText::parse("&&&&&", 10), Err(PlainTextError::TooLong));
        assert!(PlainText::parse(&"ñ".repeat(10), 10).is_ok());
    }
}
