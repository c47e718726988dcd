//! docs/risk.md's worked examples are `warn risk`'s real answers: each
//! example's input, exactly as the page shows it, goes through the binary,
//! and the answer must equal the result the page prints. Doc and code
//! cannot drift apart unnoticed.

use std::path::Path;

use serde_json::Value;

use crate::support::{stderr, stdout, warn};

/// docs/risk.md as it is now.
fn doc() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/risk.md");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The fenced JSON blocks of the section whose heading (`### ...`) starts
/// with `heading`, in order, parsed.
fn json_blocks(doc: &str, heading: &str) -> Vec<Value> {
    let mut lines = doc.lines().skip_while(|line| !line.starts_with(heading));
    assert!(lines.next().is_some(), "docs/risk.md has no {heading:?}");
    let section: Vec<&str> = lines.take_while(|line| !line.starts_with('#')).collect();
    let mut blocks = Vec::new();
    let mut block: Option<Vec<&str>> = None;
    for line in section {
        match (&mut block, line.trim()) {
            (None, "```json") => block = Some(Vec::new()),
            (Some(text), "```") => {
                let text = text.join("\n");
                let value = serde_json::from_str(&text).unwrap_or_else(|error| {
                    panic!("a JSON block of {heading:?} does not parse ({error}):\n{text}")
                });
                blocks.push(value);
                block = None;
            }
            (Some(text), _) => text.push(line),
            (None, _) => {}
        }
    }
    blocks
}

/// Whether `real` equals `printed`, numbers by value (the page may write
/// `1` where the program writes `1.0`); otherwise where they differ.
fn difference(real: &Value, printed: &Value, at: &str) -> Option<String> {
    match (real, printed) {
        (Value::Number(a), Value::Number(b)) => {
            let (a, b) = (a.as_f64()?, b.as_f64()?);
            ((a - b).abs() > 1e-9).then(|| format!("{at}: {a} printed as {b}"))
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => a
            .iter()
            .zip(b)
            .enumerate()
            .find_map(|(index, (a, b))| difference(a, b, &format!("{at}[{index}]"))),
        (Value::Object(a), Value::Object(b)) => {
            let keys = |object: &serde_json::Map<String, Value>| {
                object
                    .keys()
                    .cloned()
                    .collect::<std::collections::BTreeSet<_>>()
            };
            if keys(a) != keys(b) {
                return Some(format!("{at}: keys {:?} printed as {:?}", keys(a), keys(b)));
            }
            a.iter()
                .find_map(|(key, value)| difference(value, &b[key], &format!("{at}.{key}")))
        }
        _ => (real != printed).then(|| format!("{at}: {real} printed as {printed}")),
    }
}

/// Runs `warn risk ARGS`, the files (name, content) written to a folder
/// first and named by their path where `ARGS` names them; the answer.
fn warn_risk(args: &[&str], files: &[(&str, &Value)]) -> Value {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let mut command = vec!["risk".to_owned()];
    for arg in args {
        match files.iter().find(|(name, _)| name == arg) {
            Some((name, content)) => {
                let path = dir.path().join(name);
                std::fs::write(&path, content.to_string()).expect("writable");
                command.push(path.display().to_string());
            }
            None => command.push((*arg).to_owned()),
        }
    }
    let command: Vec<&str> = command.iter().map(String::as_str).collect();
    let output = warn(&command);
    assert!(output.status.success(), "{command:?}: {}", stderr(&output));
    serde_json::from_str(&stdout(&output)).expect("warn risk prints JSON")
}

fn assert_printed(real: &Value, printed: &Value, example: &str) {
    if let Some(difference) = difference(real, printed, "") {
        panic!(
            "docs/risk.md's {example} is not what `warn risk` answers ({difference}); \
             the real answer:\n{}",
            serde_json::to_string_pretty(real).expect("JSON")
        );
    }
}

#[test]
fn the_v2_example_prints_what_warn_risk_v2_answers() {
    let blocks = json_blocks(&doc(), "### `warn risk v2");
    let [windows, result] =
        <[Value; 2]>::try_from(blocks).expect("the v2 section shows the windows and the result");
    let real = warn_risk(
        &["v2", "--windows", "windows.json"],
        &[("windows.json", &windows)],
    );
    assert_printed(&real, &result, "version 2 example");
}

#[test]
fn the_v1_example_prints_what_warn_risk_v1_answers() {
    let blocks = json_blocks(&doc(), "### `warn risk v1");
    let [parameters, exposures, result] = <[Value; 3]>::try_from(blocks)
        .expect("the v1 section shows the parameters, the exposures and the result");
    let files = [
        ("parameters.json", &parameters),
        ("exposures.json", &exposures),
    ];
    let real = warn_risk(
        &[
            "v1",
            "--parameters",
            "parameters.json",
            "--exposures",
            "exposures.json",
        ],
        &files,
    );
    assert_printed(&real, &result, "version 1 example");
    // The parameters shown are the production values (the section and
    // "Production values" say so): without --parameters the answer is the same.
    let defaults = warn_risk(&["v1", "--exposures", "exposures.json"], &files);
    assert_printed(
        &defaults,
        &result,
        "version 1 example with the production values",
    );
}
