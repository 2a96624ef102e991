//! Descriptions are stored as sanitized HTML; search indexes their text only.

/// The text of an HTML fragment: tags become spaces (so `<p>a</p><p>b</p>` stays two
/// words), entities are decoded, and runs of whitespace fold into one space.
pub fn html_to_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match (in_tag, c) {
            (false, '<') => {
                in_tag = true;
                text.push(' ');
            }
            (true, '>') => in_tag = false,
            (false, c) => text.push(c),
            (true, _) => {}
        }
    }
    let decoded = html_escape::decode_html_entities(&text);
    decoded.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::html_to_text;

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(
            html_to_text("<p>Lino <strong>azul</strong></p><p>100% &amp; suave&nbsp;</p>"),
            "Lino azul 100% & suave"
        );
        assert_eq!(html_to_text("a &lt;b&gt; c"), "a <b> c");
        assert_eq!(html_to_text(""), "");
    }
}
