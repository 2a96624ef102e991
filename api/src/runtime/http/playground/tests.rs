//! The embedded bundle (what ships): no URL of another host, no inline script, a media type
//! for every file, every file the page names present.

use super::{Assets, CONTENT_SECURITY_POLICY_VALUE, content_type};

/// Text of an error or warning message, built only when one is thrown or logged.
const MESSAGE: &str = "message text for a person to read, built only when thrown or logged";
/// Documentation text the docs pane may render (as text or an inert link).
const DOC_TEXT: &str = "description text of graphql-js's built-in types, shown in the docs";

/// Absolute URLs allowed in the bundle, each with why it is never requested. An entry ending
/// in `/` is a prefix; any other must match the whole URL. External `href`s are stripped at
/// build time (`noExternalLinks` in `playground/vite.config.js`), so none is listed here.
const NOT_REQUESTS: &[(&str, &str)] = &[
    (
        "http://www.w3.org/",
        "XML namespace names (SVG, XLink, XHTML, MathML, XML) for createElementNS and xmlns: \
         a namespace is a name, never fetched",
    ),
    (
        "http://json-schema.org/",
        "JSON Schema draft ids (`$schema`) that Monaco's JSON worker matches with its built-in \
         copies; it downloads schemas only with enableSchemaRequest, which GraphiQL leaves off \
         (and connect-src 'self' would refuse)",
    ),
    (
        "https://json-schema.org/draft/",
        "the same ids for the 2019-09 and 2020-12 drafts",
    ),
    ("https://react.dev/errors/", MESSAGE),
    (
        "https://yarnpkg.com/en/docs/selective-version-resolutions",
        MESSAGE,
    ),
    (
        "https://github.com/graphql/graphiql/tree/main/packages/monaco-graphql\
         #custom-webworker-for-passing-non-static-config-to-worker",
        MESSAGE,
    ),
    ("https://github.com/brijeshb42/monaco-vim", MESSAGE),
    ("https://github.com/aioutecism/monaco-emacs", MESSAGE),
    ("https://github.com/microsoft/monaco-editor#faq", MESSAGE),
    ("https://github.com/markedjs/marked", MESSAGE),
    ("https://prettier.io/docs/plugins#optional-embed", MESSAGE),
    (
        "https://code.visualstudio.com/docs/editor/codebasics#_find-and-replace",
        MESSAGE,
    ),
    (
        "https://code.visualstudio.com/docs/editor/codebasics#_multicursor-modifier",
        MESSAGE,
    ),
    (
        "https://en.wikipedia.org/wiki/IEEE_floating_point",
        DOC_TEXT,
    ),
    ("https://commonmark.org/", DOC_TEXT),
    (
        "https://microsoft.com",
        "a placeholder link target Monaco's markdown renderer appends to an unfinished link \
         while text streams in; rendered as text at most, never fetched",
    ),
];

/// Files that hold text a browser interprets (fonts and images are binary: their metadata
/// URLs are never requested).
fn is_text(path: &str) -> bool {
    matches!(
        path.rsplit_once('.').map(|(_, ext)| ext),
        Some("html" | "js" | "mjs" | "css" | "json" | "map" | "svg")
    )
}

fn text_of(path: &str) -> String {
    let file = Assets::get(path).expect("embedded file");
    String::from_utf8_lossy(&file.data).into_owned()
}

/// Every `http://` and `https://` URL with a host in `text`, up to the first character that
/// cannot be part of one in source code, without trailing punctuation. A scheme with no host
/// (`"http://" + rest`) is a prefix being put in front of text the page already has.
fn absolute_urls(text: &str) -> Vec<String> {
    let lower = text.to_ascii_lowercase(); // ASCII lowercasing keeps byte offsets
    let mut urls = Vec::new();
    let mut from = 0;
    while let Some(found) = lower[from..].find("http") {
        let start = from + found;
        let rest = &lower[start..];
        if !(rest.starts_with("http://") || rest.starts_with("https://")) {
            from = start + 4;
            continue;
        }
        let end = text[start..]
            .find(|c: char| {
                c.is_whitespace()
                    || matches!(
                        c,
                        '"' | '\'' | '`' | '(' | ')' | '<' | '>' | '\\' | '{' | '}'
                    )
            })
            .map_or(text.len(), |len| start + len);
        let url = text[start..end].trim_end_matches(['.', ',', ';', ':']);
        let host = url.split_once("://").map_or("", |(_, rest)| rest);
        if host.starts_with(|c: char| c.is_ascii_alphanumeric()) {
            urls.push(url.to_owned());
        }
        from = end.max(start + 7);
    }
    urls
}

fn not_allowed(urls: Vec<String>) -> Vec<String> {
    let allowed = |url: &str| {
        NOT_REQUESTS
            .iter()
            .any(|(entry, _)| url == *entry || (entry.ends_with('/') && url.starts_with(entry)))
    };
    urls.into_iter().filter(|url| !allowed(url)).collect()
}

#[test]
fn the_bundle_names_no_other_host() {
    let mut offending = Vec::new();
    for path in Assets::iter().filter(|p| is_text(p)) {
        for url in not_allowed(absolute_urls(&text_of(&path))) {
            offending.push(format!("{path}: {url}"));
        }
    }
    offending.sort();
    offending.dedup();
    assert!(
        offending.is_empty(),
        "the playground bundle names other hosts (serve it from here, strip it, or allow it in \
         NOT_REQUESTS with the reason it is never requested):\n{}",
        offending.join("\n")
    );
}

#[test]
fn the_check_catches_a_cdn_url() {
    let bundle = r#"import("https://unpkg.com/graphiql/graphiql.min.js");fetch('/graphql')"#;
    assert_eq!(
        not_allowed(absolute_urls(bundle)),
        ["https://unpkg.com/graphiql/graphiql.min.js"]
    );
    assert!(absolute_urls("const HTTP_OK = 200; `http://${x}`; 'http://' + y").is_empty());
    // An allowed URL does not let another host through.
    assert_eq!(
        not_allowed(absolute_urls("'https://microsoft.com.example.net/x.js'")),
        ["https://microsoft.com.example.net/x.js"]
    );
}

#[test]
fn the_page_has_no_inline_script_and_names_only_embedded_assets() {
    let html = text_of("index.html");
    let lower = html.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..i + lower[i..].find('>').expect("closed tag")];
        assert!(tag.contains(" src="), "inline script: {tag}");
        let body = &lower[i + tag.len() + 1..];
        assert!(body.starts_with("</script>"), "script with a body: {tag}");
    }
    assert!(!lower.contains(" onload=") && !lower.contains(" onerror="));
    for (i, _) in html.match_indices("/playground/") {
        let end = html[i..].find('"').map_or(html.len(), |len| i + len);
        let path = html[i..end].trim_start_matches("/playground/");
        assert!(
            Assets::get(path).is_some(),
            "{path} is named but not embedded"
        );
    }
}

#[test]
fn gzip_is_chosen_only_when_the_browser_takes_it() {
    let accepts = |value: &str| {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("accept-encoding", value.parse().expect("header"));
        super::accepts_gzip(&headers)
    };
    assert!(accepts("gzip, deflate, br"));
    assert!(accepts("br;q=1.0, gzip;q=0.5"));
    assert!(accepts("*"));
    assert!(!accepts("gzip;q=0, br"));
    assert!(!accepts("identity"));
    assert!(!super::accepts_gzip(&axum::http::HeaderMap::new()));
}

#[test]
fn every_gzip_twin_has_its_original() {
    for path in Assets::iter().filter(|p| p.ends_with(".gz")) {
        let original = path.trim_end_matches(".gz");
        assert!(Assets::get(original).is_some(), "{path} without {original}");
    }
}

#[test]
fn every_file_has_a_media_type() {
    for path in Assets::iter() {
        assert_ne!(content_type(&path), "application/octet-stream", "{path}");
    }
    assert!(Assets::get("index.html").is_some());
}

#[test]
fn the_policy_allows_no_inline_or_evaluated_script() {
    let script_src = CONTENT_SECURITY_POLICY_VALUE
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .expect("script-src");
    assert_eq!(script_src, "script-src 'self'");
    assert!(!CONTENT_SECURITY_POLICY_VALUE.contains("unsafe-eval"));
    assert!(CONTENT_SECURITY_POLICY_VALUE.contains("connect-src 'self'"));
}
