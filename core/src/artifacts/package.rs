//! The Lambda package of a service: its executable zipped as `bootstrap`, reproducibly (fixed
//! timestamp and permissions, so the same executable gives the same bytes), after checking that
//! the executable runs on Lambda's glibc.

use std::io::Write;
use std::path::{Path, PathBuf};

use flate2::write::DeflateEncoder;
use flate2::Compression;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::artifacts::elf::{self, ElfError, GlibcVersion, AL2023_GLIBC};

/// The Rust target that builds executables Amazon Linux 2 and 2023 can run, with cargo-lambda.
pub const SAFE_TARGET: &str = "x86_64-unknown-linux-gnu.2.26";

pub use crate::layout::package_path;
pub use crate::settings::deploy::{MAX_UNZIPPED_BYTES, MAX_ZIP_BYTES};

/// Why a package could not be made.
#[derive(Debug, Error)]
pub enum PackageError {
    /// The executable could not be read or the zip written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// Not an executable Lambda can run.
    #[error("{path}: {source}")]
    Elf {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ElfError,
    },
    /// Needs a newer glibc than Lambda has.
    #[error(
        "{path} needs {needed}, but Lambda's provided.al2023 runtime has {AL2023_GLIBC} at most: it would \
         fail at cold start. Build against an older glibc: `pip install cargo-lambda` (it ships zig), then \
         set `target: {SAFE_TARGET}` under `commands.build` in project.cws.yml (or `cws build --target \
         {SAFE_TARGET}`), which builds with `cargo lambda build`"
    )]
    GlibcTooNew {
        /// The executable.
        path: PathBuf,
        /// What it needs.
        needed: GlibcVersion,
    },
    /// Built for another CPU than the function's.
    #[error(
        "{path} is {found} code, but the function runs on {expected}: build with `architecture: {expected}` \
         under `commands.build` (or set the same `architecture` for `deploy` and `build`)"
    )]
    WrongArchitecture {
        /// The executable.
        path: PathBuf,
        /// What it is built for.
        found: String,
        /// What the function runs on.
        expected: String,
    },
    /// Over Lambda's size limits.
    #[error("{0}")]
    TooLarge(String),
}

/// What a package holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageReport {
    /// The zip file.
    pub zip: PathBuf,
    /// Size of the executable in bytes.
    pub binary_bytes: u64,
    /// Size of the zip in bytes.
    pub zip_bytes: u64,
    /// The highest GLIBC version the executable needs (`None`: static).
    pub glibc: Option<GlibcVersion>,
    /// Base64 SHA-256 of the zip (Terraform's `source_code_hash`).
    pub sha256_base64: String,
}

/// Checks that an executable can run on `provided.al2023`: ELF, and no GLIBC newer than AL2023's.
pub fn check_binary(path: &Path, bytes: &[u8]) -> Result<Option<GlibcVersion>, PackageError> {
    let glibc = elf::max_glibc(bytes).map_err(|source| PackageError::Elf { path: path.into(), source })?;
    match glibc {
        Some(needed) if needed > AL2023_GLIBC => Err(PackageError::GlibcTooNew { path: path.into(), needed }),
        other => Ok(other),
    }
}

/// Zips `binary` as the single entry `bootstrap` (mode 0755, timestamp 1980-01-01 00:00, deflated):
/// the same bytes in give the same bytes out.
pub fn zip_bootstrap(binary: &[u8]) -> Vec<u8> {
    const NAME: &[u8] = b"bootstrap";
    const DOS_TIME: u16 = 0;
    const DOS_DATE: u16 = (1 << 5) | 1; // 1980-01-01
    let crc = crc32fast::hash(binary);
    let mut enc = DeflateEncoder::new(Vec::new(), Compression::best());
    let compressed = enc.write_all(binary).and_then(|_| enc.finish()).unwrap_or_default();
    // Zip64 is not needed: Lambda's limits are far below 4 GiB.
    let (csize, usize_) = (compressed.len() as u32, binary.len() as u32);
    let mut out = Vec::with_capacity(compressed.len() + 128);
    let put16 = |o: &mut Vec<u8>, v: u16| o.extend_from_slice(&v.to_le_bytes());
    let put32 = |o: &mut Vec<u8>, v: u32| o.extend_from_slice(&v.to_le_bytes());
    // What the local file header and the central directory's entry both say of the file, from
    // "version needed" to the name's length.
    let file_fields = |o: &mut Vec<u8>| {
        put16(o, 20); // version needed
        put16(o, 0); // flags
        put16(o, 8); // deflate
        put16(o, DOS_TIME);
        put16(o, DOS_DATE);
        put32(o, crc);
        put32(o, csize);
        put32(o, usize_);
        put16(o, NAME.len() as u16);
    };
    // Local file header.
    put32(&mut out, 0x0403_4b50);
    file_fields(&mut out);
    put16(&mut out, 0); // extra
    out.extend_from_slice(NAME);
    out.extend_from_slice(&compressed);
    // Central directory.
    let cd_start = out.len() as u32;
    put32(&mut out, 0x0201_4b50);
    put16(&mut out, (3 << 8) | 20); // made by Unix, zip 2.0
    file_fields(&mut out);
    put16(&mut out, 0); // extra
    put16(&mut out, 0); // comment
    put16(&mut out, 0); // disk
    put16(&mut out, 0); // internal attributes
    put32(&mut out, 0o100755 << 16); // regular file, rwxr-xr-x
    put32(&mut out, 0); // local header offset
    out.extend_from_slice(NAME);
    let cd_size = out.len() as u32 - cd_start;
    // End of central directory.
    put32(&mut out, 0x0605_4b50);
    put16(&mut out, 0);
    put16(&mut out, 0);
    put16(&mut out, 1);
    put16(&mut out, 1);
    put32(&mut out, cd_size);
    put32(&mut out, cd_start);
    put16(&mut out, 0);
    out
}

/// Base64 (standard alphabet, padded) of the SHA-256 of `bytes`, as Terraform's `filebase64sha256`.
pub fn sha256_base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digest = Sha256::digest(bytes);
    let mut out = String::new();
    for chunk in digest.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Checks `binary` and writes its package to `zip` (directories created). Fails when the
/// executable is not for `architecture` (`x86_64` / `arm64`, when given), needs a glibc newer than
/// Lambda's, or the package is over Lambda's size limits.
pub fn package(binary: &Path, zip: &Path, architecture: Option<&str>) -> Result<PackageReport, PackageError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| PackageError::Io { path, source }
    };
    let bytes = std::fs::read(binary).map_err(io(binary))?;
    let glibc = check_binary(binary, &bytes)?;
    if let Some(expected) = architecture {
        let found =
            elf::architecture(&bytes).map_err(|source| PackageError::Elf { path: binary.into(), source })?;
        if found != Some(expected) {
            return Err(PackageError::WrongArchitecture {
                path: binary.into(),
                found: found.unwrap_or("another CPU's").to_string(),
                expected: expected.to_string(),
            });
        }
    }
    if bytes.len() as u64 > MAX_UNZIPPED_BYTES {
        return Err(PackageError::TooLarge(format!(
            "{} is {} bytes; Lambda takes at most {MAX_UNZIPPED_BYTES} bytes unzipped",
            binary.display(),
            bytes.len()
        )));
    }
    let zipped = zip_bootstrap(&bytes);
    if zipped.len() as u64 > MAX_ZIP_BYTES {
        return Err(PackageError::TooLarge(format!(
            "the package of {} is {} bytes; Lambda takes zips of at most {MAX_ZIP_BYTES} bytes",
            binary.display(),
            zipped.len()
        )));
    }
    if let Some(dir) = zip.parent() {
        std::fs::create_dir_all(dir).map_err(io(dir))?;
    }
    std::fs::write(zip, &zipped).map_err(io(zip))?;
    Ok(PackageReport {
        zip: zip.to_path_buf(),
        binary_bytes: bytes.len() as u64,
        zip_bytes: zipped.len() as u64,
        glibc,
        sha256_base64: sha256_base64(&zipped),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::artifacts::elf::tests::synthetic_elf;

    #[test]
    fn zips_are_reproducible_and_readable() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        let a = zip_bootstrap(&data);
        assert_eq!(a, zip_bootstrap(&data));
        assert!(a.len() < data.len());
        let dir = tempfile::tempdir().unwrap();
        let zip = dir.path().join("b.zip");
        std::fs::write(&zip, &a).unwrap();
        // The system's unzip (if present) agrees on content and mode.
        if let Ok(out) = std::process::Command::new("unzip").arg("-Z").arg(&zip).output() {
            let listing = String::from_utf8_lossy(&out.stdout);
            assert!(listing.contains("-rwxr-xr-x") && listing.contains("bootstrap"), "{listing}");
        }
        // Decompress our own entry to be sure.
        let start = 30 + 9;
        let csize = u32::from_le_bytes(a[18..22].try_into().unwrap()) as usize;
        let mut d = flate2::read::DeflateDecoder::new(&a[start..start + csize]);
        let mut back = Vec::new();
        std::io::Read::read_to_end(&mut d, &mut back).unwrap();
        assert_eq!(back, data);
    }

    #[test]
    fn base64_sha256_matches_known_value() {
        // sha256("") = e3b0c442...; base64 of it:
        assert_eq!(sha256_base64(b""), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=");
        assert_eq!(sha256_base64(b"abc"), "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=");
    }

    #[test]
    fn refuses_binaries_needing_a_newer_glibc_with_the_way_out() {
        let dir = tempfile::tempdir().unwrap();
        let new = dir.path().join("new");
        std::fs::write(&new, synthetic_elf(&["GLIBC_2.2.5", "GLIBC_2.39"])).unwrap();
        let err = package(&new, &dir.path().join("x.zip"), None).unwrap_err().to_string();
        assert!(
            err.contains("GLIBC_2.39") && err.contains("GLIBC_2.34") && err.contains(SAFE_TARGET),
            "{err}"
        );
        let ok = dir.path().join("ok");
        std::fs::write(&ok, synthetic_elf(&["GLIBC_2.34", "GLIBC_2.17"])).unwrap();
        let report = package(&ok, &dir.path().join("pkg/ok.zip"), Some("x86_64")).unwrap();
        let arm = package(&ok, &dir.path().join("pkg/arm.zip"), Some("arm64")).unwrap_err().to_string();
        assert!(arm.contains("is x86_64 code, but the function runs on arm64"), "{arm}");
        assert_eq!(report.glibc.map(|g| g.to_string()).as_deref(), Some("GLIBC_2.34"));
        assert!(report.zip.is_file() && report.zip_bytes > 0);
        let text = dir.path().join("text");
        std::fs::write(&text, "#!/bin/sh\n").unwrap();
        assert!(matches!(package(&text, &dir.path().join("t.zip"), None), Err(PackageError::Elf { .. })));
    }
}
