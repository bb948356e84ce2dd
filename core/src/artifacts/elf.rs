//! The GLIBC symbol versions an ELF executable needs, read from its `.gnu.version_r` section
//! (`SHT_GNU_verneed`), so a Lambda package is refused before it fails at cold start.

use std::fmt;

use thiserror::Error;

/// A GLIBC version such as `2.34`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct GlibcVersion {
    /// Major (2).
    pub major: u32,
    /// Minor (34).
    pub minor: u32,
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GLIBC_{}.{}", self.major, self.minor)
    }
}

impl GlibcVersion {
    /// Parses `GLIBC_2.34` (and `GLIBC_2.2.5`, taken as 2.2).
    pub fn parse(name: &str) -> Option<GlibcVersion> {
        let v = name.strip_prefix("GLIBC_")?;
        let mut parts = v.split('.');
        let major = parts.next()?.parse().ok()?;
        let minor = parts.next().map_or(Some(0), |m| m.parse().ok())?;
        Some(GlibcVersion { major, minor })
    }
}

/// The newest GLIBC of Lambda's Amazon Linux 2023 runtimes (`provided.al2023`).
pub const AL2023_GLIBC: GlibcVersion = GlibcVersion { major: 2, minor: 34 };

/// Why a file could not be read as an ELF executable.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ElfError {
    /// Not an ELF file.
    #[error("not an ELF executable (no ELF magic number)")]
    NotElf,
    /// Not a 64-bit little-endian ELF file.
    #[error("not a 64-bit little-endian ELF file (Lambda runs x86_64 and arm64 Linux)")]
    Unsupported,
    /// A table points outside the file.
    #[error("truncated or malformed ELF file ({0})")]
    Malformed(&'static str),
}

const SHT_GNU_VERNEED: u32 = 0x6fff_fffe;

fn add(a: usize, b: usize) -> Result<usize, ElfError> {
    a.checked_add(b).ok_or(ElfError::Malformed("offset overflow"))
}

fn u16_at(b: &[u8], at: usize) -> Result<u16, ElfError> {
    let s = b.get(at..add(at, 2)?).ok_or(ElfError::Malformed("u16"))?;
    Ok(u16::from_le_bytes([s[0], s[1]]))
}

fn u32_at(b: &[u8], at: usize) -> Result<u32, ElfError> {
    let s = b.get(at..add(at, 4)?).ok_or(ElfError::Malformed("u32"))?;
    Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
}

fn u64_at(b: &[u8], at: usize) -> Result<usize, ElfError> {
    let s = b.get(at..add(at, 8)?).ok_or(ElfError::Malformed("u64"))?;
    let mut a = [0u8; 8];
    a.copy_from_slice(s);
    usize::try_from(u64::from_le_bytes(a)).map_err(|_| ElfError::Malformed("offset"))
}

fn c_str(b: &[u8], at: usize) -> Result<&str, ElfError> {
    let rest = b.get(at..).ok_or(ElfError::Malformed("string offset"))?;
    let end = rest.iter().position(|&c| c == 0).ok_or(ElfError::Malformed("unterminated string"))?;
    std::str::from_utf8(&rest[..end]).map_err(|_| ElfError::Malformed("string not UTF-8"))
}

/// Every version name the file needs from shared libraries (`GLIBC_2.34`, `GCC_3.0` ...), with the
/// library (`libc.so.6`), in file order. A static executable needs none.
pub fn needed_versions(b: &[u8]) -> Result<Vec<(String, String)>, ElfError> {
    if b.get(..4) != Some(b"\x7fELF") {
        return Err(ElfError::NotElf);
    }
    if b.get(4) != Some(&2) || b.get(5) != Some(&1) {
        return Err(ElfError::Unsupported);
    }
    let shoff = u64_at(b, 0x28)?;
    let shentsize = usize::from(u16_at(b, 0x3a)?);
    let shnum = usize::from(u16_at(b, 0x3c)?);
    if shoff == 0 || shnum == 0 {
        return Ok(Vec::new());
    }
    if shentsize < 0x40 {
        return Err(ElfError::Malformed("section header size"));
    }
    let section = |i: usize| -> Result<(u32, u32, usize, usize, u32), ElfError> {
        let h = shoff
            .checked_add(i.checked_mul(shentsize).ok_or(ElfError::Malformed("section index"))?)
            .ok_or(ElfError::Malformed("section offset"))?;
        // (type, link, offset, size, info)
        Ok((
            u32_at(b, add(h, 4)?)?,
            u32_at(b, add(h, 0x28)?)?,
            u64_at(b, add(h, 0x18)?)?,
            u64_at(b, add(h, 0x20)?)?,
            u32_at(b, add(h, 0x2c)?)?,
        ))
    };
    let mut out = Vec::new();
    for i in 0..shnum {
        let (kind, link, offset, _size, count) = section(i)?;
        if kind != SHT_GNU_VERNEED {
            continue;
        }
        let (_, _, strtab, _, _) = section(link as usize)?;
        let mut at = offset;
        for _ in 0..count.min(4096) {
            let cnt = u16_at(b, add(at, 2)?)?;
            let file = c_str(b, add(strtab, u32_at(b, add(at, 4)?)? as usize)?)?.to_string();
            let mut aux = add(at, u32_at(b, add(at, 8)?)? as usize)?;
            for _ in 0..cnt {
                let name = c_str(b, add(strtab, u32_at(b, add(aux, 8)?)? as usize)?)?;
                out.push((file.clone(), name.to_string()));
                let next = u32_at(b, add(aux, 12)?)? as usize;
                if next == 0 {
                    break;
                }
                aux = add(aux, next)?;
            }
            let next = u32_at(b, add(at, 12)?)? as usize;
            if next == 0 {
                break;
            }
            at = add(at, next)?;
        }
    }
    Ok(out)
}

/// The Lambda architecture an ELF file is for (`x86_64`, `arm64`), from its `e_machine`.
pub fn architecture(b: &[u8]) -> Result<Option<&'static str>, ElfError> {
    if b.get(..4) != Some(b"\x7fELF") {
        return Err(ElfError::NotElf);
    }
    Ok(match u16_at(b, 0x12)? {
        62 => Some("x86_64"),
        183 => Some("arm64"),
        _ => None,
    })
}

/// The highest GLIBC version the file needs (`None`: none, e.g. a static or musl executable).
pub fn max_glibc(b: &[u8]) -> Result<Option<GlibcVersion>, ElfError> {
    Ok(needed_versions(b)?.iter().filter_map(|(_, v)| GlibcVersion::parse(v)).max())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A minimal ELF64 file whose `.gnu.version_r` needs `versions` from libc.so.6.
    pub(crate) fn synthetic_elf(versions: &[&str]) -> Vec<u8> {
        let mut strtab = vec![0u8];
        let mut add = |s: &str| {
            let at = strtab.len() as u32;
            strtab.extend_from_slice(s.as_bytes());
            strtab.push(0);
            at
        };
        let file = add("libc.so.6");
        let names: Vec<u32> = versions.iter().map(|v| add(v)).collect();
        let mut verneed = Vec::new();
        verneed.extend_from_slice(&1u16.to_le_bytes());
        verneed.extend_from_slice(&(versions.len() as u16).to_le_bytes());
        verneed.extend_from_slice(&file.to_le_bytes());
        verneed.extend_from_slice(&16u32.to_le_bytes());
        verneed.extend_from_slice(&0u32.to_le_bytes());
        for (i, n) in names.iter().enumerate() {
            verneed.extend_from_slice(&0u32.to_le_bytes());
            verneed.extend_from_slice(&0u16.to_le_bytes());
            verneed.extend_from_slice(&0u16.to_le_bytes());
            verneed.extend_from_slice(&n.to_le_bytes());
            let next: u32 = if i + 1 < names.len() { 16 } else { 0 };
            verneed.extend_from_slice(&next.to_le_bytes());
        }
        let mut b = vec![0u8; 0x40];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[0x12] = 62; // x86_64
        let str_off = b.len();
        b.extend_from_slice(&strtab);
        let vn_off = b.len();
        b.extend_from_slice(&verneed);
        let shoff = b.len();
        b[0x28..0x30].copy_from_slice(&(shoff as u64).to_le_bytes());
        b[0x3a..0x3c].copy_from_slice(&0x40u16.to_le_bytes());
        b[0x3c..0x3e].copy_from_slice(&3u16.to_le_bytes());
        let header = |kind: u32, offset: usize, size: usize, link: u32, info: u32| {
            let mut h = vec![0u8; 0x40];
            h[4..8].copy_from_slice(&kind.to_le_bytes());
            h[0x18..0x20].copy_from_slice(&(offset as u64).to_le_bytes());
            h[0x20..0x28].copy_from_slice(&(size as u64).to_le_bytes());
            h[0x28..0x2c].copy_from_slice(&link.to_le_bytes());
            h[0x2c..0x30].copy_from_slice(&info.to_le_bytes());
            h
        };
        b.extend(header(0, 0, 0, 0, 0));
        b.extend(header(3, str_off, strtab.len(), 0, 0));
        b.extend(header(SHT_GNU_VERNEED, vn_off, verneed.len(), 1, 1));
        b
    }

    #[test]
    fn reads_versions_of_a_synthetic_file() {
        let b = synthetic_elf(&["GLIBC_2.2.5", "GLIBC_2.39", "GLIBC_2.17"]);
        let v = needed_versions(&b).unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v[0], ("libc.so.6".to_string(), "GLIBC_2.2.5".to_string()));
        assert_eq!(max_glibc(&b).unwrap(), Some(GlibcVersion { major: 2, minor: 39 }));
        assert!(max_glibc(&b).unwrap().unwrap() > AL2023_GLIBC);
    }

    #[test]
    fn reads_a_real_executable_of_this_machine() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let v = max_glibc(&exe).unwrap();
        assert!(v.is_some_and(|v| v.major == 2), "{v:?}");
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        assert_eq!(needed_versions(b"hello"), Err(ElfError::NotElf));
        let mut b = synthetic_elf(&["GLIBC_2.34"]);
        b.truncate(b.len() - 40);
        assert!(needed_versions(&b).is_err());
        for cut in 0..b.len() {
            let _ = needed_versions(&b[..cut]);
        }
        // Flipped bytes anywhere, including huge offsets: errors, never panics.
        let good = synthetic_elf(&["GLIBC_2.34", "GLIBC_2.17"]);
        for i in 0..good.len() {
            for v in [0x00, 0x7f, 0xff] {
                let mut m = good.clone();
                m[i] = v;
                let _ = needed_versions(&m);
            }
        }
        assert_eq!(GlibcVersion::parse("GLIBC_2.34").map(|v| v.to_string()), Some("GLIBC_2.34".into()));
        assert_eq!(GlibcVersion::parse("GCC_3.0"), None);
    }
}
