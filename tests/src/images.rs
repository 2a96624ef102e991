//! Image files for the upload tests: real JPEG, PNG and WebP files made by the `image`
//! crate, a JPEG carrying EXIF (a rotation and a marker string standing in for a GPS
//! position), and the hostile files an upload must refuse.

use image::{ImageEncoder, Rgb, RgbImage, Rgba, RgbaImage};

/// A `width` × `height` JPEG, wider than tall so a rotation shows, with an EXIF block that
/// says "rotate 90° clockwise to view" (orientation 6) and whose camera make is `marker`.
pub fn jpeg_with_exif(width: u32, height: u32, marker: &str) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 120])
    });
    let mut jpeg = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, 85)
        .write_image(
            picture.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode jpeg");
    // APP1 right after the start-of-image marker.
    let exif = exif_block(marker);
    let length = u16::try_from(exif.len() + 2).expect("short exif");
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// `Exif\0\0` and a big-endian TIFF block with two tags: Make (`marker`) and Orientation 6.
fn exif_block(marker: &str) -> Vec<u8> {
    let mut make = marker.as_bytes().to_vec();
    make.push(0);
    let count = u32::try_from(make.len()).expect("short marker");
    let mut tiff = b"MM\x00\x2A\x00\x00\x00\x08".to_vec();
    tiff.extend_from_slice(&2u16.to_be_bytes());
    // Make: ASCII, stored after the IFD (8 + 2 + 2 × 12 + 4 = 38).
    tiff.extend_from_slice(&0x010Fu16.to_be_bytes());
    tiff.extend_from_slice(&2u16.to_be_bytes());
    tiff.extend_from_slice(&count.to_be_bytes());
    tiff.extend_from_slice(&38u32.to_be_bytes());
    // Orientation: SHORT 6, in the entry itself.
    tiff.extend_from_slice(&0x0112u16.to_be_bytes());
    tiff.extend_from_slice(&3u16.to_be_bytes());
    tiff.extend_from_slice(&1u32.to_be_bytes());
    tiff.extend_from_slice(&[0x00, 0x06, 0x00, 0x00]);
    tiff.extend_from_slice(&0u32.to_be_bytes());
    tiff.extend_from_slice(&make);
    let mut block = b"Exif\x00\x00".to_vec();
    block.extend_from_slice(&tiff);
    block
}

/// A `width` × `height` PNG with a translucent alpha channel.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbaImage::from_fn(width, height, |x, y| {
        Rgba([(x % 256) as u8, 90, (y % 256) as u8, 200])
    });
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(
            picture.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgba8,
        )
        .expect("encode png");
    out
}

/// A `width` × `height` WebP (lossless).
pub fn webp(width: u32, height: u32) -> Vec<u8> {
    let picture = RgbImage::from_fn(width, height, |x, y| {
        Rgb([40, (x % 256) as u8, (y % 256) as u8])
    });
    let mut out = Vec::new();
    image::codecs::webp::WebPEncoder::new_lossless(&mut out)
        .encode(
            picture.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode webp");
    out
}

/// A decompression bomb: a PNG of a few dozen bytes whose header declares `width` ×
/// `height` pixels (50,000 × 50,000 would be 7.5 GB of RGB once decoded).
pub fn png_bomb(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    // 8-bit RGB, deflate, no filter, no interlace.
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &header);
    // The start of a zlib stream of zeros: the header is what matters.
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9C, 0xED, 0xC1, 0x01, 0x0D, 0x00, 0x00],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(
        &u32::try_from(data.len())
            .expect("short chunk")
            .to_be_bytes(),
    );
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

/// CRC-32 (IEEE), as PNG chunks carry it: a few lines here rather than a dependency for
/// one fixture.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A Windows executable's first bytes (`MZ`, the DOS stub), as a file renamed `.jpg` holds.
pub fn exe() -> Vec<u8> {
    let mut out = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00".to_vec();
    out.extend_from_slice(b"This program cannot be run in DOS mode.\r\r\n$");
    out.resize(4096, 0);
    out
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
