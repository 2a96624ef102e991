use textisur_tests::images;

use super::*;

const LIMITS: MediaLimits = MediaLimits {
    max_bytes: 10 * 1024 * 1024,
    max_pixels: 40_000_000,
    max_files: 4,
};

#[test]
fn sizes_fit_their_box_keep_the_aspect_ratio_and_never_enlarge() {
    assert_eq!(ImageSize::Thumbnail.fit(4000, 3000), (200, 150));
    assert_eq!(ImageSize::Card.fit(3000, 4000), (450, 600));
    assert_eq!(ImageSize::Full.fit(1000, 500), (1000, 500));
    assert_eq!(ImageSize::Thumbnail.fit(10_000, 1), (200, 1));
    assert_eq!(ImageSize::Full.fit(1200, 1800), (1067, 1600));
}

#[test]
fn served_names_are_hash_and_size_only() {
    let hash = "a".repeat(64);
    assert_eq!(
        parse_file_name(&format!("{hash}-card.webp")),
        Some((hash.clone(), ImageSize::Card))
    );
    for bad in [
        format!("{hash}-huge.webp"),
        format!("{hash}-card.png"),
        format!("{}-card.webp", "A".repeat(64)),
        "../../etc/passwd".to_owned(),
        format!("{}-card.webp", &hash[..63]),
    ] {
        assert_eq!(parse_file_name(&bad), None, "{bad}");
    }
}

#[test]
fn uploads_are_told_by_their_content_not_their_name() {
    assert_eq!(inspect(&images::exe(), &LIMITS), Err(Refused::NotAnImage));
    assert_eq!(inspect(b"GIF89a....", &LIMITS), Err(Refused::NotAnImage));
    assert_eq!(inspect(b"", &LIMITS), Err(Refused::Empty));
    let png = images::png(30, 20);
    let found = inspect(&png, &LIMITS).expect("a png");
    assert_eq!(
        (found.format, found.width, found.height),
        (SourceFormat::Png, 30, 20)
    );
    assert_eq!(found.hash, sha256_hex(&png));
    let webp = images::webp(16, 9);
    assert_eq!(
        inspect(&webp, &LIMITS).expect("a webp").format,
        SourceFormat::WebP
    );
}

#[test]
fn a_declared_50000_pixel_square_is_refused_before_decoding() {
    let bomb = images::png_bomb(50_000, 50_000);
    assert!(bomb.len() < 100, "a tiny file: {} bytes", bomb.len());
    assert_eq!(
        inspect(&bomb, &LIMITS),
        Err(Refused::TooManyPixels {
            width: 50_000,
            height: 50_000,
            max_pixels: 40_000_000
        })
    );
}

#[test]
fn truncated_and_oversized_files_are_refused() {
    let png = images::png(64, 64);
    assert!(matches!(
        inspect(&png[..png.len() / 2], &LIMITS),
        Err(Refused::Corrupt(_))
    ));
    let small = MediaLimits {
        max_bytes: 100,
        ..LIMITS
    };
    assert_eq!(
        inspect(&png, &small),
        Err(Refused::TooManyBytes {
            bytes: png.len(),
            max: 100
        })
    );
}

#[test]
fn derived_sizes_are_upright_webp_without_exif() {
    let marker = "GPS-SECRET-LAT-34.6";
    let jpeg = images::jpeg_with_exif(900, 300, marker);
    assert!(images::contains(&jpeg, marker.as_bytes()));
    // Orientation 6: the 900 × 300 picture stands 300 × 900.
    let found = inspect(&jpeg, &LIMITS).expect("a jpeg");
    assert_eq!((found.width, found.height), (300, 900));
    let derived = derive(&jpeg, SourceFormat::Jpeg, &LIMITS).expect("sizes");
    let dims: Vec<_> = derived
        .iter()
        .map(|d| (d.size, d.width, d.height))
        .collect();
    assert_eq!(
        dims,
        vec![
            (ImageSize::Thumbnail, 67, 200),
            (ImageSize::Card, 200, 600),
            (ImageSize::Full, 300, 900)
        ]
    );
    for file in &derived {
        assert_eq!(
            image::guess_format(&file.webp).ok(),
            Some(ImageFormat::WebP)
        );
        let decoded = image::load_from_memory(&file.webp).expect("decode");
        assert_eq!(
            (decoded.width(), decoded.height()),
            (file.width, file.height)
        );
        assert!(!images::contains(&file.webp, b"Exif"));
        assert!(!images::contains(&file.webp, marker.as_bytes()));
    }
}
