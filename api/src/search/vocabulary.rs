//! The GraphQL side of the search vocabulary admins change at run time: synonyms, words of
//! intent and stop words added over the built-in files (`search-index/vocabulary/`), stored
//! in PostgreSQL (`search_vocabulary`). How every process keeps it: `live_vocabulary.rs`.

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::live_vocabulary::MAX_ENTRIES;
use crate::graphql::context::RequestContext;
use crate::graphql::error::ApiError;
use crate::graphql::guards::AdminOnly;
use crate::graphql::ids::{NodeKind, decode_row, encode};
use crate::graphql::user_errors::{UserError, UserErrorCode};

/// Longest word of an entry, in characters (the index drops longer tokens).
const MAX_WORD_CHARS: usize = 40;
/// Most words one entry lists.
const MAX_WORDS: usize = 20;
/// Most words in a phrase ("zapatilla de casa").
const MAX_PHRASE_WORDS: usize = 4;

/// What an entry does.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchVocabularyKind {
    /// `words` are interchangeable (regional names of one garment): each finds the others.
    Synonyms,
    /// `word` also finds `words`, ranked below exact matches ("invierno" finds "polar").
    Implies,
    /// `word` is dropped from queries (unless it is all the query says).
    StopWord,
}

impl SearchVocabularyKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Synonyms => "SYNONYMS",
            Self::Implies => "IMPLIES",
            Self::StopWord => "STOP_WORD",
        }
    }

    fn parse(kind: &str) -> Option<Self> {
        match kind {
            "SYNONYMS" => Some(Self::Synonyms),
            "IMPLIES" => Some(Self::Implies),
            "STOP_WORD" => Some(Self::StopWord),
            _ => None,
        }
    }
}

/// An entry of the run-time search vocabulary.
#[derive(SimpleObject, Clone, Debug)]
pub struct SearchVocabularyEntry {
    /// The entry's id, for `removeSearchVocabulary`.
    pub id: ID,
    /// What the entry does.
    pub kind: SearchVocabularyKind,
    /// The word an `IMPLIES` or `STOP_WORD` entry is about; null for `SYNONYMS`.
    pub word: Option<String>,
    /// The words of a `SYNONYMS` group, or what an `IMPLIES` word also finds.
    pub words: Vec<String>,
    /// When the entry was added.
    pub created_at: DateTime<Utc>,
}

/// Input of `addSearchVocabulary`. Words are words or phrases of up to 4 words (a phrase
/// matches its words in a row: "verde agua"), at most 40 characters, compared without case
/// or accents; a stop word is a single word.
#[derive(InputObject, Debug)]
pub struct SearchVocabularyInput {
    /// What the entry does.
    pub kind: SearchVocabularyKind,
    /// Required by `IMPLIES` and `STOP_WORD`; must be absent for `SYNONYMS`.
    pub word: Option<String>,
    /// `SYNONYMS`: 2 to 20 words. `IMPLIES`: 1 to 20. `STOP_WORD`: none.
    #[graphql(default)]
    pub words: Vec<String>,
}

/// Result of the vocabulary mutations.
#[derive(SimpleObject, Default)]
pub struct SearchVocabularyPayload {
    /// The entry as written (or as it was, when removed); null when there are user errors.
    pub entry: Option<SearchVocabularyEntry>,
    /// Why nothing was written; empty on success.
    pub user_errors: Vec<UserError>,
}

fn failed(error: UserError) -> SearchVocabularyPayload {
    SearchVocabularyPayload {
        entry: None,
        user_errors: vec![error],
    }
}

/// A word or phrase of an entry, lower-cased with single spaces, or why it is refused. A
/// phrase ("verde agua") matches its words in a row; a stop word is one word.
fn clean_word(word: &str, phrase: bool) -> Result<String, String> {
    let parts: Vec<String> = word.split_whitespace().map(str::to_lowercase).collect();
    if parts.is_empty() {
        return Err(crate::tr!("vocabulary-word-empty"));
    }
    let word = parts.join(" ");
    let invalid = || {
        crate::tr!(
            "vocabulary-word-invalid",
            max = MAX_WORD_CHARS,
            words = if phrase { MAX_PHRASE_WORDS } else { 1 }
        )
    };
    if word.chars().count() > MAX_WORD_CHARS
        || parts.len() > if phrase { MAX_PHRASE_WORDS } else { 1 }
        || !parts
            .iter()
            .all(|p| p.chars().all(|c| c.is_alphanumeric() || c == '-'))
    {
        return Err(invalid());
    }
    Ok(word)
}

/// The entry `input` asks for, or the user error that refuses it.
fn validate(input: &SearchVocabularyInput) -> Result<(Option<String>, Vec<String>), UserError> {
    let word = match (&input.word, input.kind) {
        (Some(_), SearchVocabularyKind::Synonyms) => {
            return Err(UserError::at(
                &["input", "word"],
                UserErrorCode::Invalid,
                crate::tr!("vocabulary-synonyms-no-word"),
            ));
        }
        (None, SearchVocabularyKind::Synonyms) => None,
        (None, _) => {
            return Err(UserError::at(
                &["input", "word"],
                UserErrorCode::Required,
                crate::tr!("vocabulary-word-empty"),
            ));
        }
        (Some(word), kind) => Some(
            clean_word(word, kind != SearchVocabularyKind::StopWord)
                .map_err(|m| UserError::at(&["input", "word"], UserErrorCode::Invalid, m))?,
        ),
    };
    let mut words = Vec::with_capacity(input.words.len());
    for (i, w) in input.words.iter().enumerate() {
        let w = clean_word(w, true).map_err(|m| {
            UserError::at(
                &["input", "words", &i.to_string()],
                UserErrorCode::Invalid,
                m,
            )
        })?;
        if !words.contains(&w) && word.as_ref() != Some(&w) {
            words.push(w);
        }
    }
    let (least, most) = match input.kind {
        SearchVocabularyKind::Synonyms => (2, MAX_WORDS),
        SearchVocabularyKind::Implies => (1, MAX_WORDS),
        SearchVocabularyKind::StopWord => (0, 0),
    };
    if !(least..=most).contains(&words.len()) {
        return Err(UserError::at(
            &["input", "words"],
            UserErrorCode::Invalid,
            crate::tr!("vocabulary-word-count", least = least, most = most),
        ));
    }
    Ok((word, words))
}

fn to_entry(
    id: i64,
    kind: &str,
    word: Option<String>,
    words: Vec<String>,
    created_at: DateTime<Utc>,
) -> Option<SearchVocabularyEntry> {
    Some(SearchVocabularyEntry {
        id: encode(NodeKind::SearchVocabularyEntry, id),
        kind: SearchVocabularyKind::parse(kind)?,
        word,
        words,
        created_at,
    })
}

/// The vocabulary admins read.
#[derive(Default)]
pub struct VocabularyQueries;

#[Object]
impl VocabularyQueries {
    /// The run-time search vocabulary, oldest first (the built-in files are not listed).
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn search_vocabulary(&self, ctx: &Context<'_>) -> Result<Vec<SearchVocabularyEntry>> {
        let rc = RequestContext::of(ctx);
        let rows = sqlx::query!(
            r#"SELECT id, kind, word, words, created_at FROM search_vocabulary ORDER BY id
               LIMIT $1"#,
            MAX_ENTRIES
        )
        .fetch_all(rc.db.executor())
        .await
        .map_err(ApiError::from)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| to_entry(r.id, &r.kind, r.word, r.words, r.created_at))
            .collect())
    }
}

/// The vocabulary mutations.
#[derive(Default)]
pub struct VocabularyMutations;

#[Object]
impl VocabularyMutations {
    /// Adds an entry to the search vocabulary. Searches on every server use it within the
    /// index's freshness bound, without a reindex; this server's next search already does.
    /// User errors: INVALID, REQUIRED, LIMIT_REACHED.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn add_search_vocabulary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entry to add.")] input: SearchVocabularyInput,
    ) -> Result<SearchVocabularyPayload> {
        let rc = RequestContext::of(ctx);
        let (word, words) = match validate(&input) {
            Ok(valid) => valid,
            Err(error) => return Ok(failed(error)),
        };
        let row = sqlx::query!(
            r#"INSERT INTO search_vocabulary (kind, word, words, created_by)
               SELECT $1, $2, $3, $4
               WHERE (SELECT count(*) FROM search_vocabulary) < $5
               RETURNING id, created_at"#,
            input.kind.as_str(),
            word.as_deref(),
            &words,
            rc.viewer.user_id().map(|u| u.0),
            MAX_ENTRIES
        )
        .fetch_optional(rc.db.executor())
        .await
        .map_err(ApiError::from)?;
        let Some(row) = row else {
            return Ok(failed(UserError::general(
                UserErrorCode::LimitReached,
                crate::tr!("vocabulary-limit-reached", max = MAX_ENTRIES),
            )));
        };
        reload_here(rc).await;
        Ok(SearchVocabularyPayload {
            entry: to_entry(row.id, input.kind.as_str(), word, words, row.created_at),
            user_errors: Vec::new(),
        })
    }

    /// Removes an entry of the search vocabulary.
    /// User errors: NOT_FOUND.
    /// Restricted: admins.
    #[graphql(guard = "AdminOnly")]
    async fn remove_search_vocabulary(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The entry's id (`SearchVocabularyEntry.id`).")] id: ID,
    ) -> Result<SearchVocabularyPayload> {
        let rc = RequestContext::of(ctx);
        let not_found = || {
            failed(UserError::at(
                &["id"],
                UserErrorCode::NotFound,
                crate::tr!("vocabulary-not-found"),
            ))
        };
        let Some(row_id) = decode_row(&id, NodeKind::SearchVocabularyEntry) else {
            return Ok(not_found());
        };
        let row = sqlx::query!(
            r#"DELETE FROM search_vocabulary WHERE id = $1
               RETURNING id, kind, word, words, created_at"#,
            row_id
        )
        .fetch_optional(rc.db.executor())
        .await
        .map_err(ApiError::from)?;
        let Some(r) = row else {
            return Ok(not_found());
        };
        reload_here(rc).await;
        Ok(SearchVocabularyPayload {
            entry: to_entry(r.id, &r.kind, r.word, r.words, r.created_at),
            user_errors: Vec::new(),
        })
    }
}

/// Reloads this process's vocabulary after a change it made; the other processes hear of it
/// through the event. A failure leaves the change to the next reload, not an error: the
/// entry is written.
async fn reload_here(rc: &RequestContext) {
    if let Err(error) = rc.search.vocabulary.reload(rc.db.pool()).await {
        tracing::warn!(%error, "could not reload the search vocabulary");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(
        kind: SearchVocabularyKind,
        word: Option<&str>,
        words: &[&str],
    ) -> SearchVocabularyInput {
        SearchVocabularyInput {
            kind,
            word: word.map(str::to_owned),
            words: words.iter().map(|w| (*w).to_owned()).collect(),
        }
    }

    #[test]
    fn entries_are_checked_before_they_are_written() {
        use SearchVocabularyKind::*;
        assert!(validate(&input(Synonyms, None, &["Guayabera", "camisa"])).is_ok());
        assert!(validate(&input(Synonyms, None, &["camisa"])).is_err());
        assert!(validate(&input(Synonyms, Some("x"), &["a", "b"])).is_err());
        assert!(validate(&input(Implies, None, &["lana"])).is_err());
        assert!(validate(&input(Implies, Some("fiesta"), &[])).is_err());
        // A phrase of up to four words, spaces collapsed; a stop word is one word.
        let (_, words) =
            validate(&input(Implies, Some("fiesta"), &["vestido  de gala"])).expect("a phrase");
        assert_eq!(words, ["vestido de gala"]);
        assert!(
            validate(&input(
                Implies,
                Some("fiesta"),
                &["uno dos tres cuatro cinco"]
            ))
            .is_err()
        );
        assert!(validate(&input(StopWord, Some("por favor"), &[])).is_err());
        assert!(validate(&input(Implies, Some("fiesta"), &["polera@CL"])).is_err());
        assert!(validate(&input(StopWord, Some("porfa"), &[])).is_ok());
        assert!(validate(&input(StopWord, Some("porfa"), &["x"])).is_err());
        assert!(validate(&input(StopWord, Some("<script>"), &[])).is_err());
        let (word, words) = validate(&input(
            Implies,
            Some(" Fiesta "),
            &["Lentejuelas", "lentejuelas"],
        ))
        .expect("valid");
        assert_eq!(word.as_deref(), Some("fiesta"));
        assert_eq!(words, ["lentejuelas"]);
    }
}
