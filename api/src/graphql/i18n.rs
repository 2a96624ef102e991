//! The message catalogue: every text a user reads (`userErrors`, error messages, e-mails) in
//! Spanish and English, chosen per request by `Accept-Language`, Spanish by default.
//!
//! Key rule: code never holds user-facing prose. It names a message of `api/locales/*.ftl`
//! (Fluent, the format Firefox is translated in) with [`tr!`], and the request's language
//! picks the text. Error codes never change with the language; only messages do.
//!
//! The language travels in a task-local set once per request by [`layer`], so a resolver,
//! a `db` function or the error conversion deep below can translate without threading it
//! through every call.

use std::borrow::Cow;
use std::sync::LazyLock;

use axum::extract::Request;
use axum::http::HeaderMap;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::middleware::Next;
use axum::response::Response;
pub use fluent_bundle::FluentValue;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource};

/// A language the catalogue has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Locale {
    /// Spanish, the marketplace's language and the default.
    #[default]
    Es,
    English,
}

impl Locale {
    /// Every language of the catalogue.
    pub const ALL: [Self; 2] = [Self::Es, Self::English];

    /// The BCP 47 tag, as `Content-Language` spells it.
    pub fn tag(self) -> &'static str {
        match self {
            Self::Es => "es",
            Self::English => "en",
        }
    }

    /// The language an `Accept-Language` header prefers among ours; Spanish without one, or
    /// when it names none of ours.
    pub fn negotiate(headers: &HeaderMap) -> Self {
        let Some(header) = headers.get(ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()) else {
            return Self::default();
        };
        // Sorted by quality, ties in the header's order; `q=0` means "not this one".
        accept_language::parse_with_quality(header)
            .into_iter()
            .filter(|(_, quality)| *quality > 0.0)
            .find_map(|(tag, _)| {
                let primary = tag.split('-').next().unwrap_or_default();
                if primary.eq_ignore_ascii_case("es") {
                    Some(Self::Es)
                } else if primary.eq_ignore_ascii_case("en") {
                    Some(Self::English)
                } else {
                    None
                }
            })
            .unwrap_or_default()
    }
}

tokio::task_local! {
    static LOCALE: Locale;
}

/// The language of the request being served: Spanish outside one.
pub fn current() -> Locale {
    LOCALE.try_with(|l| *l).unwrap_or_default()
}

/// Runs `future` with `locale` as the current language.
pub async fn scope<F: Future>(locale: Locale, future: F) -> F::Output {
    LOCALE.scope(locale, future).await
}

/// Middleware: serves the request in the language its `Accept-Language` asks for and says
/// which in `Content-Language`.
pub async fn layer(request: Request, next: Next) -> Response {
    let locale = Locale::negotiate(request.headers());
    let mut response = scope(locale, next.run(request)).await;
    response.headers_mut().insert(
        axum::http::header::CONTENT_LANGUAGE,
        axum::http::HeaderValue::from_static(locale.tag()),
    );
    response
}

/// One bundle per language, parsed once from the files compiled into the binary.
pub struct Catalogue {
    es: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

/// The Fluent sources (file name, text) of every language: one file per part of the
/// product, the same names in every language.
macro_rules! catalogue_sources {
    ($($file:literal),* $(,)?) => {
        [
            (Locale::Es, [$(($file, include_str!(concat!("../../locales/es/", $file)))),*]),
            (Locale::English, [$(($file, include_str!(concat!("../../locales/en/", $file)))),*]),
        ]
    };
}

/// The Fluent sources (file name, text), by language.
pub const SOURCES: [(Locale, [(&str, &str); 6]); 2] = catalogue_sources!(
    "common.ftl",
    "accounts.ftl",
    "mail.ftl",
    "catalogue.ftl",
    "commerce.ftl",
    "http.ftl",
);

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(Catalogue::load);

impl Catalogue {
    fn load() -> Self {
        let bundle = |locale: Locale| {
            let tag: unic_langid::LanguageIdentifier = locale
                .tag()
                .parse()
                .unwrap_or_else(|_| unic_langid::LanguageIdentifier::default());
            let mut bundle = FluentBundle::new_concurrent(vec![tag]);
            // No Unicode isolation marks around arguments: the texts go into JSON and mail.
            bundle.set_use_isolating(false);
            let files = SOURCES.iter().filter(|(l, _)| *l == locale);
            for (name, source) in files.flat_map(|(_, files)| files) {
                // The files are part of the build and a unit test parses them, so a binary
                // that passed its tests loads them whole.
                let resource = FluentResource::try_new((*source).to_owned())
                    .unwrap_or_else(|(resource, _errors)| resource);
                if let Err(errors) = bundle.add_resource(resource) {
                    tracing::error!(file = name, ?errors, "message catalogue file refused");
                }
            }
            bundle
        };
        Self {
            es: bundle(Locale::Es),
            en: bundle(Locale::English),
        }
    }

    /// The shared catalogue.
    pub fn get() -> &'static Self {
        &CATALOGUE
    }

    fn bundle(&self, locale: Locale) -> &FluentBundle<FluentResource> {
        match locale {
            Locale::Es => &self.es,
            Locale::English => &self.en,
        }
    }

    /// Whether `locale` has a message `id`.
    pub fn has(&self, locale: Locale, id: &str) -> bool {
        self.bundle(locale).has_message(id)
    }

    /// The text of message `id` in `locale` with `args`. A missing message gives its id and
    /// an error in the log: a catalogue test checks every id the code names, so this is a
    /// bug, never a client's doing.
    pub fn format(&self, locale: Locale, id: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = self.bundle(locale);
        let pattern = bundle.get_message(id).and_then(|message| message.value());
        let Some(pattern) = pattern else {
            tracing::error!(message_id = id, locale = locale.tag(), "no such message");
            return id.to_owned();
        };
        let mut errors = Vec::new();
        let text: Cow<'_, str> = bundle.format_pattern(pattern, args, &mut errors);
        if !errors.is_empty() {
            tracing::error!(message_id = id, ?errors, "message formatted with errors");
        }
        text.into_owned()
    }
}

/// Message `id` with `args`, in the current request's language.
pub fn text(id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    text_in(current(), id, args)
}

/// Message `id` with `args`, in `locale`.
pub fn text_in(locale: Locale, id: &str, args: &[(&str, FluentValue<'_>)]) -> String {
    if args.is_empty() {
        return Catalogue::get().format(locale, id, None);
    }
    let mut fluent = FluentArgs::with_capacity(args.len());
    for (name, value) in args {
        fluent.set(*name, value.clone());
    }
    Catalogue::get().format(locale, id, Some(&fluent))
}

/// A message of the catalogue in the current request's language:
/// `tr!("name-too-long", max = 120)`.
#[macro_export]
macro_rules! tr {
    ($id:literal $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::graphql::i18n::text(
            $id,
            &[$((stringify!($name), $crate::graphql::i18n::FluentValue::from($value))),*],
        )
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use axum::http::HeaderValue;

    use super::*;

    fn ids(locale: Locale) -> BTreeSet<String> {
        let files = SOURCES.iter().filter(|(l, _)| *l == locale);
        let mut ids = BTreeSet::new();
        for (name, source) in files.flat_map(|(_, files)| files) {
            let resource = match FluentResource::try_new((*source).to_owned()) {
                Ok(resource) => resource,
                Err((_, errors)) => panic!("{} {name} does not parse: {errors:?}", locale.tag()),
            };
            for entry in resource.entries() {
                if let fluent_syntax::ast::Entry::Message(m) = entry {
                    let fresh = ids.insert(m.id.name.to_owned());
                    assert!(
                        fresh,
                        "{} {name}: {} defined twice",
                        locale.tag(),
                        m.id.name
                    );
                }
            }
        }
        ids
    }

    #[test]
    fn every_language_has_the_same_messages() {
        let es = ids(Locale::Es);
        let en = ids(Locale::English);
        let only_es: Vec<_> = es.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&es).collect();
        assert!(only_es.is_empty(), "only in es: {only_es:?}");
        assert!(only_en.is_empty(), "only in en: {only_en:?}");
        assert!(es.len() > 20, "the catalogue lost its messages");
    }

    /// Every `tr!("id"` and `text("id"` of the sources names a message of every language.
    #[test]
    fn every_message_the_code_names_exists() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut named = 0;
        let mut stack = vec![root];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).expect("read src") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                    continue;
                }
                if path.extension().is_none_or(|e| e != "rs") {
                    continue;
                }
                if path.ends_with("i18n.rs") {
                    continue;
                }
                let source = std::fs::read_to_string(&path).expect("read source");
                for marker in ["tr!(", "i18n::text("] {
                    for (at, _) in source.match_indices(marker) {
                        // `tr!(` inside another name (`include_str!(`) is not ours.
                        let before = source[..at].chars().next_back();
                        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                            continue;
                        }
                        // rustfmt may put the id on the next line.
                        let rest = source[at + marker.len()..].trim_start();
                        let Some(rest) = rest.strip_prefix('"') else {
                            continue;
                        };
                        let id = &rest[..rest.find('"').unwrap_or(0)];
                        named += 1;
                        for locale in Locale::ALL {
                            if !Catalogue::get().has(locale, id) {
                                missing.push(format!("{} {id} ({})", path.display(), locale.tag()));
                            }
                        }
                    }
                }
            }
        }
        assert!(named > 20, "found only {named} message ids in the sources");
        assert!(missing.is_empty(), "messages missing: {missing:#?}");
    }

    #[test]
    fn accept_language_picks_ours_spanish_by_default() {
        let mut headers = HeaderMap::new();
        assert_eq!(Locale::negotiate(&headers), Locale::Es);
        for (header, want) in [
            ("en", Locale::English),
            ("en-US,en;q=0.9", Locale::English),
            ("es-AR,es;q=0.9,en;q=0.8", Locale::Es),
            ("fr-FR,en;q=0.5", Locale::English),
            ("de", Locale::Es),
            ("en;q=0.2,es;q=0.9", Locale::Es),
            ("*", Locale::Es),
            ("", Locale::Es),
        ] {
            headers.insert(ACCEPT_LANGUAGE, HeaderValue::from_static(header));
            assert_eq!(Locale::negotiate(&headers), want, "{header}");
        }
    }

    #[test]
    fn arguments_fill_the_text() {
        let es = text_in(Locale::Es, "throttled", &[("seconds", 3.into())]);
        let en = text_in(Locale::English, "throttled", &[("seconds", 3.into())]);
        assert!(es.contains('3') && en.contains('3'), "{es} / {en}");
        assert_ne!(es, en);
    }
}
