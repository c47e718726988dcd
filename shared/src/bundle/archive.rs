//! The zip container of a bundle: exactly `export.bin` and `export.sig`.
//!
//! Reading is defensive: any other entry, a repeated name, or an entry that
//! decompresses past its limit is refused before more memory is spent on it.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

use super::error::BundleError;

/// Name of the payload entry.
pub const EXPORT_BIN: &str = "export.bin";
/// Name of the signature entry.
pub const EXPORT_SIG: &str = "export.sig";

/// Largest `export.bin` accepted: 600,000 keys take about 21 MB, so 64 MiB
/// leaves room while refusing zip bombs early.
pub const MAX_EXPORT_BIN: u64 = 64 << 20;
/// Largest `export.sig` accepted: a signature list is a few hundred bytes.
pub const MAX_EXPORT_SIG: u64 = 64 << 10;

/// The two entries of a bundle, as bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    /// `export.bin`.
    pub bin: Vec<u8>,
    /// `export.sig`.
    pub sig: Vec<u8>,
}

/// Writes a bundle's zip archive. Entries are deflated with a fast setting
/// (the key data is random and barely compresses) and carry a fixed
/// timestamp, so the same content gives the same bytes.
pub fn write_archive(bin: &[u8], sig: &[u8]) -> Vec<u8> {
    let mut zip = ZipWriter::new(Cursor::new(Vec::with_capacity(bin.len() + sig.len() + 512)));
    let options = SimpleFileOptions::default()
        .compression_method(CompressionMethod::Deflated)
        .compression_level(Some(1))
        .large_file(false);
    // Writing into a Vec cannot fail, and the names are fixed and distinct.
    let write = |zip: &mut ZipWriter<Cursor<Vec<u8>>>, name: &str, data: &[u8]| {
        zip.start_file(name, options)
            .and_then(|()| zip.write_all(data).map_err(Into::into))
            .expect("writing a zip entry into memory cannot fail");
    };
    write(&mut zip, EXPORT_BIN, bin);
    write(&mut zip, EXPORT_SIG, sig);
    zip.finish()
        .expect("finishing a zip archive in memory cannot fail")
        .into_inner()
}

/// Reads a bundle's zip archive: both entries must be there, nothing else may be.
pub fn read_archive(bytes: &[u8]) -> Result<Archive, BundleError> {
    let mut zip = ZipArchive::new(Cursor::new(bytes)).map_err(zip_error)?;
    if zip.has_duplicate_names() {
        return Err(BundleError::DuplicateEntry(duplicate_name(&zip)));
    }
    let mut bin = None;
    let mut sig = None;
    for index in 0..zip.len() {
        let entry = zip.by_index(index).map_err(zip_error)?;
        let name = entry.name().map_err(zip_error)?.into_owned();
        let (slot, entry_name, limit) = match name.as_str() {
            EXPORT_BIN => (&mut bin, EXPORT_BIN, MAX_EXPORT_BIN),
            EXPORT_SIG => (&mut sig, EXPORT_SIG, MAX_EXPORT_SIG),
            _ => return Err(BundleError::UnexpectedEntry(name)),
        };
        if slot.is_some() {
            return Err(BundleError::DuplicateEntry(name));
        }
        *slot = Some(read_limited(entry, entry_name, limit)?);
    }
    Ok(Archive {
        bin: bin.ok_or(BundleError::MissingEntry(EXPORT_BIN))?,
        sig: sig.ok_or(BundleError::MissingEntry(EXPORT_SIG))?,
    })
}

/// Reads at most `limit` bytes of an entry, whatever size its header claims.
fn read_limited(entry: impl Read, name: &'static str, limit: u64) -> Result<Vec<u8>, BundleError> {
    let mut data = Vec::new();
    entry
        .take(limit + 1)
        .read_to_end(&mut data)
        .map_err(|error| BundleError::NotAZip(format!("{name}: {error}")))?;
    if data.len() as u64 > limit {
        return Err(BundleError::EntryTooLarge { name, limit });
    }
    Ok(data)
}

fn zip_error(error: zip::result::ZipError) -> BundleError {
    BundleError::NotAZip(error.to_string())
}

/// The names in an archive whose central directory repeats a name (the
/// reader keeps one entry per name, so the list shows each once).
fn duplicate_name(zip: &ZipArchive<Cursor<&[u8]>>) -> String {
    zip.file_names()
        .map(|name| name.map_or_else(|_| "?".to_owned(), |name| name.into_owned()))
        .collect::<Vec<_>>()
        .join(", ")
}
