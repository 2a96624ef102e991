//! Product images: sellers upload them (GraphQL multipart request spec), a worker makes three
//! WebP sizes, and `/media/…` serves them under content-addressed names.
//!
//! - **Upload.** `uploadProductImage(productId, file: Upload!)`: the bytes are sniffed, never
//!   trusted from the file name or the part's content type ([`inspect`]): JPEG, PNG and WebP
//!   only, at most [`MediaLimits::max_bytes`], and at most [`MediaLimits::max_pixels`] as
//!   the header declares them, checked before a single pixel is decoded (a 50,000 × 50,000
//!   PNG of a few hundred bytes is refused as it is read). The whole file is then decoded
//!   once, so a truncated or corrupt image is the uploader's error, not the worker's.
//! - **Storage** goes through [`object_store`]: a local folder by default, any S3-compatible
//!   store (MinIO in `compose.yaml`) by configuration ([`MediaStore::open`]). The upload is
//!   kept under `originals/<sha256>` only until the worker has made its sizes.
//! - **Derived sizes** ([`derive`]): the worker ([`worker`]) decodes the original, turns it
//!   upright by its EXIF orientation, fits it in 200, 600 and 1,600 pixels (never enlarging)
//!   and encodes each as lossy WebP (libwebp, quality 80). Re-encoding from pixels keeps no
//!   metadata block: EXIF (camera, GPS position), XMP and ICC profiles are gone. The
//!   original is then deleted.
//! - **Addresses** are `<media url>/<sha256 of the upload>-<size>.webp`: the name changes
//!   whenever the content does, so they are served with a year's `immutable` cache.
//! - **Orphans.** A file whose rows are gone (an image deleted, or an upload whose
//!   transaction never committed) is deleted by [`worker::collect_orphans`].

pub mod db;
pub mod graphql;
pub mod worker;

use std::io::Cursor;
use std::sync::Arc;

use anyhow::Context as _;
use async_graphql::Enum;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use object_store::ObjectStore;
use object_store::path::Path as StorePath;

/// Most images a product has and shows (the query cost counts on it).
pub const MAX_IMAGES: usize = 8;

/// The sizes every uploaded image is served in.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ImageSize {
    /// Fits in 200 × 200 pixels: result lists, carts, order lines.
    Thumbnail,
    /// Fits in 600 × 600 pixels: product cards and the product page on a phone.
    Card,
    /// Fits in 1,600 × 1,600 pixels: the product page's zoom.
    Full,
}

impl ImageSize {
    /// Every size, smallest first.
    pub const ALL: [ImageSize; 3] = [ImageSize::Thumbnail, ImageSize::Card, ImageSize::Full];

    /// The longest side this size allows, in pixels.
    pub fn max_side(self) -> u32 {
        match self {
            ImageSize::Thumbnail => 200,
            ImageSize::Card => 600,
            ImageSize::Full => 1600,
        }
    }

    /// The name in file names and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            ImageSize::Thumbnail => "thumbnail",
            ImageSize::Card => "card",
            ImageSize::Full => "full",
        }
    }

    /// Width and height of an image of `width` × `height` in this size: scaled to fit, the
    /// aspect ratio kept (rounded to the nearest pixel), never enlarged.
    pub fn fit(self, width: u32, height: u32) -> (u32, u32) {
        let side = self.max_side();
        let longest = width.max(height);
        if longest <= side {
            return (width, height);
        }
        let scale = |n: u32| {
            let scaled =
                (u64::from(n) * u64::from(side) + u64::from(longest) / 2) / u64::from(longest);
            u32::try_from(scaled).unwrap_or(side).max(1)
        };
        (scale(width), scale(height))
    }
}

/// What uploads may be.
#[derive(Clone, Copy, Debug)]
pub struct MediaLimits {
    /// Largest file, in bytes.
    pub max_bytes: usize,
    /// Most pixels (width × height) an image may declare.
    pub max_pixels: u64,
    /// Most files one request may carry.
    pub max_files: usize,
}

impl Default for MediaLimits {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_pixels: 40_000_000,
            max_files: 4,
        }
    }
}

/// How the server keeps and serves images.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    /// The object store: a folder, `file:///path` or `s3://bucket[/prefix]` (see
    /// [`MediaStore::open`]).
    pub store: String,
    /// Public address of `/media` (a CDN's, say); `None`: `http://<listen address>/media`.
    pub public_url: Option<String>,
    pub limits: MediaLimits,
    /// How often the worker looks for uploads through other processes.
    pub tick: std::time::Duration,
    /// Whether this process runs the worker (tests may drain by hand instead).
    pub worker: bool,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            store: "data/media".to_owned(),
            public_url: None,
            limits: MediaLimits::default(),
            tick: std::time::Duration::from_secs(5),
            worker: true,
        }
    }
}

/// An upload's formats: what browsers and phones produce and every browser shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceFormat {
    Jpeg,
    Png,
    WebP,
}

impl SourceFormat {
    fn image_format(self) -> ImageFormat {
        match self {
            SourceFormat::Jpeg => ImageFormat::Jpeg,
            SourceFormat::Png => ImageFormat::Png,
            SourceFormat::WebP => ImageFormat::WebP,
        }
    }

    /// The name stored in `media_files.format`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Jpeg => "jpeg",
            SourceFormat::Png => "png",
            SourceFormat::WebP => "webp",
        }
    }

    /// The format stored under this name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "jpeg" => Some(SourceFormat::Jpeg),
            "png" => Some(SourceFormat::Png),
            "webp" => Some(SourceFormat::WebP),
            _ => None,
        }
    }
}

/// An upload that passed [`inspect`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspected {
    pub format: SourceFormat,
    /// Width and height once turned upright by the EXIF orientation.
    pub width: u32,
    pub height: u32,
    /// SHA-256 of the bytes, lowercase hex: the file's name in the store.
    pub hash: String,
}

/// Why an upload was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("empty file")]
    Empty,
    #[error("file of {bytes} bytes, over {max}")]
    TooManyBytes { bytes: usize, max: usize },
    #[error("not a JPEG, PNG or WebP image")]
    NotAnImage,
    #[error("{width} x {height} pixels, over {max_pixels}")]
    TooManyPixels {
        width: u32,
        height: u32,
        max_pixels: u64,
    },
    #[error("the image cannot be decoded: {0}")]
    Corrupt(String),
}

/// Checks an upload's bytes: size, format by content, declared pixels, then a full decode.
/// Blocking (it decodes): call it on a blocking thread.
pub fn inspect(bytes: &[u8], limits: &MediaLimits) -> Result<Inspected, Refused> {
    if bytes.is_empty() {
        return Err(Refused::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(Refused::TooManyBytes {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let format = match image::guess_format(bytes) {
        Ok(ImageFormat::Jpeg) => SourceFormat::Jpeg,
        Ok(ImageFormat::Png) => SourceFormat::Png,
        Ok(ImageFormat::WebP) => SourceFormat::WebP,
        _ => return Err(Refused::NotAnImage),
    };
    // The header alone: nothing is allocated for pixels before their number is known.
    let mut header = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    header.no_limits();
    let (width, height) = header
        .into_dimensions()
        .map_err(|e| Refused::Corrupt(e.to_string()))?;
    if width == 0 || height == 0 {
        return Err(Refused::Corrupt("no pixels".to_owned()));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(Refused::TooManyPixels {
            width,
            height,
            max_pixels: limits.max_pixels,
        });
    }
    let mut decoder = decoder(bytes, format, limits)?;
    let orientation = decoder
        .orientation()
        .map_err(|e| Refused::Corrupt(e.to_string()))?;
    let mut image =
        DynamicImage::from_decoder(decoder).map_err(|e| Refused::Corrupt(e.to_string()))?;
    image.apply_orientation(orientation);
    Ok(Inspected {
        format,
        width: image.width(),
        height: image.height(),
        hash: sha256_hex(bytes),
    })
}

/// A decoder for `bytes` whose allocations stay within what `limits` lets an image have:
/// four bytes per allowed pixel, plus room for the decoder's own buffers.
fn decoder<'a>(
    bytes: &'a [u8],
    format: SourceFormat,
    limits: &MediaLimits,
) -> Result<impl ImageDecoder + 'a, Refused> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    let mut decode_limits = Limits::default();
    decode_limits.max_alloc = Some(limits.max_pixels.saturating_mul(4).saturating_add(64 << 20));
    reader.limits(decode_limits);
    reader
        .into_decoder()
        .map_err(|e| Refused::Corrupt(e.to_string()))
}

/// One derived file.
pub struct Derived {
    pub size: ImageSize,
    pub width: u32,
    pub height: u32,
    pub webp: Vec<u8>,
}

/// The three WebP sizes of an upload that passed [`inspect`]: upright, fitted, and without
/// any metadata (the encoder writes pixels only). Each size is scaled from the next larger
/// one, which costs a fraction of scaling every one from the original. Blocking: call it on
/// a blocking thread.
pub fn derive(
    bytes: &[u8],
    format: SourceFormat,
    limits: &MediaLimits,
) -> anyhow::Result<Vec<Derived>> {
    let mut decoder = decoder(bytes, format, limits).map_err(|e| anyhow::anyhow!("{e}"))?;
    let orientation = decoder.orientation()?;
    let mut image = DynamicImage::from_decoder(decoder)?;
    image.apply_orientation(orientation);
    let (width, height) = (image.width(), image.height());
    let mut out = Vec::with_capacity(ImageSize::ALL.len());
    for size in ImageSize::ALL.into_iter().rev() {
        let (w, h) = size.fit(width, height);
        if (w, h) != (image.width(), image.height()) {
            image = image.resize_exact(w, h, image::imageops::FilterType::CatmullRom);
        }
        out.push(Derived {
            size,
            width: w,
            height: h,
            webp: encode_webp(&image)?,
        });
    }
    out.reverse();
    Ok(out)
}

/// Quality of the lossy WebP files (libwebp's scale; 80 is what image CDNs serve by default).
const WEBP_QUALITY: f32 = 80.0;

/// Lossy WebP, with an alpha channel only when the picture has one.
fn encode_webp(image: &DynamicImage) -> anyhow::Result<Vec<u8>> {
    let encoded = if image.color().has_alpha() {
        let rgba = image.to_rgba8();
        webp::Encoder::from_rgba(&rgba, rgba.width(), rgba.height())
            .encode_simple(false, WEBP_QUALITY)
            .map(|memory| memory.to_vec())
    } else {
        let rgb = image.to_rgb8();
        webp::Encoder::from_rgb(&rgb, rgb.width(), rgb.height())
            .encode_simple(false, WEBP_QUALITY)
            .map(|memory| memory.to_vec())
    };
    encoded.map_err(|error| anyhow::anyhow!("WebP encoding failed: {error:?}"))
}

/// SHA-256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Where image files are kept, and the address they are served from.
#[derive(Clone, Debug)]
pub struct MediaStore {
    store: Arc<dyn ObjectStore>,
    /// Public address of `/media` (no trailing slash).
    public_url: String,
    /// What is accepted.
    pub limits: MediaLimits,
    /// Wakes this process's worker when an upload is stored.
    wake: Arc<tokio::sync::Notify>,
}

impl MediaStore {
    /// Opens the store `spec` names: `s3://bucket[/prefix]` for S3 or any S3-compatible
    /// service (endpoint, keys and region from the `AWS_*` variables: `AWS_ENDPOINT`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP`), or a
    /// local folder (`file:///abs/path` or a plain path), created if missing.
    pub fn open(spec: &str, public_url: &str, limits: MediaLimits) -> anyhow::Result<Self> {
        let store: Arc<dyn ObjectStore> = if spec.starts_with("s3://") {
            Arc::new(
                object_store::aws::AmazonS3Builder::from_env()
                    .with_url(spec)
                    .build()
                    .context("open the S3 media store")?,
            )
        } else {
            let path = spec.strip_prefix("file://").unwrap_or(spec);
            std::fs::create_dir_all(path).with_context(|| format!("create {path}"))?;
            Arc::new(
                object_store::local::LocalFileSystem::new_with_prefix(path)
                    .with_context(|| format!("open the media folder {path}"))?,
            )
        };
        Ok(Self {
            store,
            public_url: public_url.trim_end_matches('/').to_owned(),
            limits,
            wake: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// Tells the worker an upload waits.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Returns when [`MediaStore::wake`] was called.
    pub async fn woken(&self) {
        self.wake.notified().await;
    }

    /// The object store.
    pub fn store(&self) -> &Arc<dyn ObjectStore> {
        &self.store
    }

    /// The public address of an upload's derived file.
    pub fn url(&self, hash: &str, size: ImageSize) -> String {
        format!("{}/{}", self.public_url, file_name(hash, size))
    }
}

/// `<hash>-<size>.webp`.
pub fn file_name(hash: &str, size: ImageSize) -> String {
    format!("{hash}-{}.webp", size.as_str())
}

/// Where a derived file is kept.
pub fn derived_path(hash: &str, size: ImageSize) -> StorePath {
    StorePath::from(format!("media/{}", file_name(hash, size)))
}

/// Where an upload waits for the worker.
pub fn original_path(hash: &str) -> StorePath {
    StorePath::from(format!("originals/{hash}"))
}

/// The hash a served file name carries, if it is one of ours (`<64 hex>-<size>.webp`).
pub fn parse_file_name(name: &str) -> Option<(String, ImageSize)> {
    let stem = name.strip_suffix(".webp")?;
    let (hash, size) = stem.split_once('-')?;
    if hash.len() != 64 || !hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    let size = ImageSize::ALL.into_iter().find(|s| s.as_str() == size)?;
    Some((hash.to_owned(), size))
}

#[cfg(test)]
mod tests;
