//! Comparing an index with PostgreSQL, document by document.
//!
//! Each active product and each store is rendered fresh and its fingerprint compared with
//! the one stored in the index, and every key must be held by exactly one live document
//! (counted over the key's postings, so a second copy cannot hide behind the first). Run it
//! on a quiet system: a change the indexer has not applied yet shows up as a difference.

use std::collections::HashMap;
use std::fmt;

use anyhow::Context;
use sqlx::PgPool;
use textisur_search_index::SearchIndex;

use crate::apply::{PRODUCT_CHUNK, blocking};
use crate::documents;

/// The kind of a search document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DocumentKind {
    Product,
    Store,
}

/// How a document differs between the index and the database.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Discrepancy {
    /// In the database (active), not in the index.
    Missing,
    /// In the index, not in the database (or no longer active).
    Unexpected,
    /// In both, with different content.
    Stale,
    /// Held by more than one live document of the index (each key should have one).
    Duplicated { copies: u64 },
}

/// One document that differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    pub kind: DocumentKind,
    pub id: u64,
    pub problem: Discrepancy,
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.kind {
            DocumentKind::Product => "product",
            DocumentKind::Store => "store",
        };
        let id = self.id;
        match self.problem {
            Discrepancy::Missing => write!(f, "{kind} {id}: missing from the index"),
            Discrepancy::Unexpected => {
                write!(f, "{kind} {id}: in the index but not in the database")
            }
            Discrepancy::Stale => {
                write!(f, "{kind} {id}: stale: the index differs from the database")
            }
            Discrepancy::Duplicated { copies } => {
                write!(f, "{kind} {id}: in the index {copies} times")
            }
        }
    }
}

/// Every difference between `index` and the database, products first, by id. A key held by
/// several live documents is reported as [`Discrepancy::Duplicated`] (besides any other
/// difference of the copy compared).
pub async fn verify(pool: &PgPool, index: &SearchIndex) -> anyhow::Result<Vec<Difference>> {
    let reading = index.clone();
    let mut indexed = blocking(move || {
        reading.reload()?;
        reading.fingerprints()
    })
    .await
    .context("read index fingerprints")?;

    let mut tx = pool.begin().await?;
    sqlx::query!("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let mut differences = Vec::new();
    duplicated(
        &indexed.product_copies,
        DocumentKind::Product,
        &mut differences,
    );
    duplicated(&indexed.store_copies, DocumentKind::Store, &mut differences);
    let mut after = 0;
    loop {
        let docs = documents::products_after(&mut tx, after, PRODUCT_CHUNK).await?;
        let Some(last) = docs.last() else { break };
        after = i64::try_from(last.id)?;
        let full = docs.len() as i64 == PRODUCT_CHUNK;
        for doc in docs {
            compare(
                &mut indexed.products,
                DocumentKind::Product,
                doc.id,
                doc.fingerprint(),
                &mut differences,
            );
        }
        if !full {
            break;
        }
    }
    unexpected(indexed.products, DocumentKind::Product, &mut differences);
    let mut after = 0;
    loop {
        let docs = documents::stores_after(&mut tx, after, PRODUCT_CHUNK).await?;
        let Some(last) = docs.last() else { break };
        after = i64::try_from(last.id)?;
        let full = docs.len() as i64 == PRODUCT_CHUNK;
        for doc in docs {
            compare(
                &mut indexed.stores,
                DocumentKind::Store,
                doc.id,
                doc.fingerprint(),
                &mut differences,
            );
        }
        if !full {
            break;
        }
    }
    unexpected(indexed.stores, DocumentKind::Store, &mut differences);
    tx.commit().await?;
    differences.sort();
    Ok(differences)
}

fn compare(
    indexed: &mut HashMap<u64, u64>,
    kind: DocumentKind,
    id: u64,
    fingerprint: u64,
    out: &mut Vec<Difference>,
) {
    let problem = match indexed.remove(&id) {
        None => Discrepancy::Missing,
        Some(stored) if stored != fingerprint => Discrepancy::Stale,
        Some(_) => return,
    };
    out.push(Difference { kind, id, problem });
}

fn duplicated(copies: &HashMap<u64, u64>, kind: DocumentKind, out: &mut Vec<Difference>) {
    out.extend(
        copies
            .iter()
            .filter(|(_, copies)| **copies > 1)
            .map(|(id, copies)| Difference {
                kind,
                id: *id,
                problem: Discrepancy::Duplicated { copies: *copies },
            }),
    );
}

fn unexpected(leftover: HashMap<u64, u64>, kind: DocumentKind, out: &mut Vec<Difference>) {
    out.extend(leftover.into_keys().map(|id| Difference {
        kind,
        id,
        problem: Discrepancy::Unexpected,
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_held_twice_are_differences() {
        let mut out = Vec::new();
        duplicated(
            &HashMap::from([(7, 2), (9, 3)]),
            DocumentKind::Product,
            &mut out,
        );
        out.sort();
        assert_eq!(
            out,
            vec![
                Difference {
                    kind: DocumentKind::Product,
                    id: 7,
                    problem: Discrepancy::Duplicated { copies: 2 },
                },
                Difference {
                    kind: DocumentKind::Product,
                    id: 9,
                    problem: Discrepancy::Duplicated { copies: 3 },
                },
            ]
        );
        assert_eq!(out[0].to_string(), "product 7: in the index 2 times");
    }
}
