//! The media worker, in every server process: makes the sizes of uploaded files
//! ([`process_pending`]) when an upload here wakes it, or on its tick for uploads through
//! other processes, one file per core at a time, and collects files nothing uses
//! ([`collect_orphans`]) every hour.
//! Files are taken with `FOR UPDATE SKIP LOCKED`, so processes never make the same sizes
//! twice at once; a failed try is retried on the next tick, three times in all.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use futures::TryStreamExt as _;
use object_store::path::Path as StorePath;
use object_store::{ObjectStoreExt as _, PutPayload};

use super::{ImageSize, MediaStore, SourceFormat, db, derive, derived_path, original_path};
use crate::runtime::db::Db;

/// Tries a file gets before it is `FAILED`.
const MAX_ATTEMPTS: i32 = 3;

/// How long an object may exist without its row before it counts as orphaned: longer than
/// any upload's transaction.
pub const ORPHAN_GRACE: Duration = Duration::from_secs(3600);

/// Runs until the task is aborted.
pub async fn run(db: Db, media: Arc<MediaStore>, tick: Duration) {
    // The first ticks come a period after start, not at once: a process that starts has
    // nothing of its own to process, and replicas restarted together would all collect.
    let start = tokio::time::Instant::now();
    let mut ticks = tokio::time::interval_at(start + tick, tick);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let hour = Duration::from_secs(3600);
    let mut hourly = tokio::time::interval_at(start + hour, hour);
    hourly.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = media.woken() => {}
            _ = ticks.tick() => {}
            _ = hourly.tick() => {
                if let Err(error) = collect_orphans(&db, &media, ORPHAN_GRACE).await {
                    tracing::warn!(error = %format!("{error:#}"), "could not collect orphaned images");
                }
            }
        }
        // One file per core at a time: encoding is CPU-bound, on blocking threads.
        let lanes = std::thread::available_parallelism().map_or(1, usize::from);
        let handled =
            futures::future::join_all((0..lanes).map(|_| process_pending(&db, &media))).await;
        for error in handled.into_iter().filter_map(Result::err) {
            tracing::warn!(error = %format!("{error:#}"), "could not process uploaded images");
        }
    }
}

/// Makes the sizes of every file waiting for them; returns how many files were handled
/// (made or failed). Tests call it instead of waiting for the worker.
pub async fn process_pending(db: &Db, media: &MediaStore) -> anyhow::Result<usize> {
    let mut handled = 0;
    while process_one(db, media).await? {
        handled += 1;
    }
    Ok(handled)
}

/// Makes every waiting file's sizes, then waits for the files other workers hold: returns
/// once no file is `PROCESSING` (tests' drain step).
pub async fn drain(db: &Db, media: &MediaStore) -> anyhow::Result<()> {
    loop {
        process_pending(db, media).await?;
        // Blocks on the rows a worker holds until its transaction ends; a row it made ready
        // no longer matches.
        let mut tx = db.begin().await?;
        let held = db::lock_processing(&mut tx).await?;
        tx.rollback().await?;
        if held == 0 {
            return Ok(());
        }
    }
}

/// Takes one waiting file and makes its sizes; `false` when none waits.
async fn process_one(db: &Db, media: &MediaStore) -> anyhow::Result<bool> {
    let mut tx = db.begin().await?;
    let Some(pending) = db::take_pending(&mut tx).await? else {
        return Ok(false);
    };
    let started = std::time::Instant::now();
    match make_sizes(media, &pending).await {
        Ok(()) => {
            db::mark_ready(&mut tx, &pending.hash).await?;
            tx.commit().await?;
            metrics::histogram!("textisur_image_processing_seconds")
                .record(started.elapsed().as_secs_f64());
            // The sizes are all that is kept: the upload (with its EXIF) goes.
            match media.store().delete(&original_path(&pending.hash)).await {
                Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
                Err(error) => tracing::warn!(%error, "could not delete an upload"),
            }
        }
        Err(error) => {
            let message = format!("{error:#}");
            tracing::warn!(hash = %pending.hash, error = %message, "could not make image sizes");
            db::mark_attempt_failed(&mut tx, &pending.hash, &message, MAX_ATTEMPTS).await?;
            tx.commit().await?;
            if pending.attempts + 1 < MAX_ATTEMPTS {
                // Left for the next tick rather than retried at once.
                return Ok(false);
            }
        }
    }
    Ok(true)
}

async fn make_sizes(media: &MediaStore, pending: &db::Pending) -> anyhow::Result<()> {
    let format = SourceFormat::parse(&pending.format).context("unknown format")?;
    let original = media
        .store()
        .get(&original_path(&pending.hash))
        .await
        .context("read the upload")?
        .bytes()
        .await
        .context("read the upload")?;
    let limits = media.limits;
    let derived = tokio::task::spawn_blocking(move || derive(&original, format, &limits))
        .await
        .context("image worker thread")??;
    for file in derived {
        media
            .store()
            .put(
                &derived_path(&pending.hash, file.size),
                PutPayload::from(file.webp),
            )
            .await
            .context("store a size")?;
    }
    Ok(())
}

/// Deletes the files no image uses any more, and objects left without a row (an upload
/// whose transaction never committed) once older than `grace`. Returns how many files (by
/// content) went.
pub async fn collect_orphans(
    db: &Db,
    media: &MediaStore,
    grace: Duration,
) -> anyhow::Result<usize> {
    let mut collected = 0;
    loop {
        let mut tx = db.begin().await?;
        let unused = db::take_unused(&mut tx, 500).await?;
        if unused.is_empty() {
            break;
        }
        for hash in &unused {
            delete_files_of(media, hash).await?;
        }
        db::delete_files(&mut tx, &unused).await?;
        tx.commit().await?;
        collected += unused.len();
    }
    let cutoff =
        chrono::Utc::now() - chrono::Duration::from_std(grace).unwrap_or(chrono::Duration::zero());
    // Sets, not lists: a store holds an object per size of every image, and a linear
    // `contains` per object made this pass quadratic in the catalogue.
    let mut strays: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
    for prefix in ["originals", "media"] {
        let listed: Vec<_> = media
            .store()
            .list(Some(&StorePath::from(prefix)))
            .try_collect()
            .await
            .context("list the media store")?;
        for meta in listed {
            if meta.last_modified > cutoff {
                continue;
            }
            let name = meta.location.filename().unwrap_or_default();
            let hash = match prefix {
                "originals" => Some(name.to_owned()),
                _ => super::parse_file_name(name).map(|(hash, _)| hash),
            };
            if let Some(hash) = hash {
                strays.insert(hash);
            }
        }
    }
    if !strays.is_empty() {
        let listed: Vec<String> = strays.iter().cloned().collect();
        let known: std::collections::HashSet<String> =
            db::known_files(db, &listed).await?.into_iter().collect();
        for hash in strays.iter().filter(|h| !known.contains(*h)) {
            delete_files_of(media, hash).await?;
            collected += 1;
        }
    }
    if collected > 0 {
        metrics::counter!("textisur_images_collected_total").increment(collected as u64);
        tracing::info!(collected, "collected orphaned image files");
    }
    Ok(collected)
}

/// Deletes an upload and its sizes, whichever exist.
async fn delete_files_of(media: &MediaStore, hash: &str) -> anyhow::Result<()> {
    let paths = std::iter::once(original_path(hash)).chain(
        ImageSize::ALL
            .into_iter()
            .map(|size| derived_path(hash, size)),
    );
    for path in paths {
        match media.store().delete(&path).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => {}
            Err(error) => return Err(error).context("delete an image file"),
        }
    }
    Ok(())
}
