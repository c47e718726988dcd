//! `warn gaen derive`: the RPIs (and AEMs) a phone broadcasts for a TEK,
//! one JSON line per interval.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use serde::Serialize;
use shared::en::crypto::derive_intervals;

/// The Exposure Notification subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum GaenCommand {
    /// Print `{"interval", "rpi", "aem"}` for each interval from `--start`
    /// (`aem` is null without `--metadata`).
    Derive(DeriveArgs),
}

/// Options of `warn gaen derive`.
#[derive(Debug, clap::Args)]
pub struct DeriveArgs {
    /// The Temporary Exposure Key, 32 hex digits.
    #[arg(long, value_name = "HEX")]
    pub tek: String,
    /// First interval number (unix seconds / 600).
    #[arg(long, value_name = "N")]
    pub start: u32,
    /// Number of intervals.
    #[arg(long, default_value_t = 144)]
    pub count: u32,
    /// Bluetooth metadata to encrypt into AEMs, 8 hex digits (e.g. 40080000:
    /// version 1.0, 8 dBm).
    #[arg(long, value_name = "HEX")]
    pub metadata: Option<String>,
}

/// One line of output.
#[derive(Serialize)]
struct Line {
    interval: u32,
    rpi: String,
    aem: Option<String>,
}

/// Runs a gaen subcommand.
pub fn run(command: GaenCommand) -> anyhow::Result<ExitCode> {
    match command {
        GaenCommand::Derive(args) => derive(args),
    }
}

fn derive(args: DeriveArgs) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    write_intervals(&args, &mut out)?;
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the JSON lines of `warn gaen derive`.
fn write_intervals(args: &DeriveArgs, out: &mut impl Write) -> anyhow::Result<()> {
    let tek: [u8; 16] = hex_bytes(&args.tek).context("--tek")?;
    let metadata: Option<[u8; 4]> = args
        .metadata
        .as_deref()
        .map(hex_bytes)
        .transpose()
        .context("--metadata")?;
    if args.count > 0 && args.start.checked_add(args.count - 1).is_none() {
        return Err(anyhow!(
            "--start {} --count {} runs past the last interval number",
            args.start,
            args.count
        ));
    }
    // In chunks, so that a large --count needs no large buffer.
    let mut start = args.start;
    let mut left = args.count;
    while left > 0 {
        let count = left.min(1 << 16);
        for derived in derive_intervals(&tek, start, count, metadata.as_ref()) {
            let line = Line {
                interval: derived.interval,
                rpi: hex::encode(derived.rpi),
                aem: derived.aem.map(hex::encode),
            };
            serde_json::to_writer(&mut *out, &line)?;
            out.write_all(b"\n")?;
        }
        left -= count;
        start = start.wrapping_add(count);
    }
    Ok(())
}

/// Exactly `N` bytes from hex.
fn hex_bytes<const N: usize>(text: &str) -> anyhow::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    hex::decode_to_slice(text.trim(), &mut bytes)
        .map_err(|_| anyhow!("expected {} hex digits, got {text:?}", 2 * N))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(tek: &str, start: u32, count: u32, metadata: Option<&str>) -> DeriveArgs {
        DeriveArgs {
            tek: tek.into(),
            start,
            count,
            metadata: metadata.map(Into::into),
        }
    }

    const TEK: &str = "75c734c6dd1a782de7a965da5eb93125";

    #[test]
    fn derives_the_published_values_as_json_lines() {
        let mut out = Vec::new();
        write_intervals(&args(TEK, 2_642_976, 144, Some("40080000")), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 144);
        assert_eq!(
            lines[0],
            r#"{"interval":2642976,"rpi":"8be6cd371c5c891604bfbe49df845096","aem":"72033874"}"#
        );
        assert_eq!(
            lines[143],
            r#"{"interval":2643119,"rpi":"f431b62ecf443102ce4ed0407de54bd4","aem":"1215e57e"}"#
        );

        let mut out = Vec::new();
        write_intervals(&args(TEK, 2_642_976, 1, None), &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().ends_with(
            r#""aem":null}
"#
        ));
    }

    #[test]
    fn bad_input_is_a_clear_error() {
        let cases = [
            (args("75c7", 0, 1, None), "--tek: expected 32 hex digits"),
            (
                args(TEK, 0, 1, Some("zz")),
                "--metadata: expected 8 hex digits",
            ),
            (
                args(TEK, u32::MAX, 2, None),
                "runs past the last interval number",
            ),
        ];
        for (args, expected) in cases {
            let error = write_intervals(&args, &mut Vec::new()).unwrap_err();
            assert!(format!("{error:#}").contains(expected), "{error:#}");
        }
        let mut out = Vec::new();
        write_intervals(&args(TEK, u32::MAX, 1, None), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap().lines().count(), 1);
    }
}
