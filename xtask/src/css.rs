//! A structural check of the portal's style sheet, run before trunk builds
//! it: a browser silently repairs a sheet whose braces do not match (an
//! unclosed rule swallows every rule after it as a nested rule), so a
//! missing `}` shows only as half the styles never applying. This project
//! writes flat CSS (no nesting), so a rule opened inside a style rule, a
//! stray `}`, or a block still open at the end of the file is an error.

use anyhow::bail;

/// What an open `{` belongs to.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Block {
    /// `@media`, `@supports`, `@font-face`...: may hold rules.
    AtRule,
    /// A selector's declarations: holds no rules.
    Style,
}

/// Checks `css` (the text of the file named `name`); the error names the
/// line of the first fault.
pub fn check_structure(name: &str, css: &str) -> anyhow::Result<()> {
    let mut open: Vec<(Block, usize)> = Vec::new();
    let mut line = 1;
    // The text since the last `{`, `}` or `;`: the prelude of a new block.
    let mut prelude = String::new();
    let mut chars = css.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => {
                line += 1;
                prelude.push(c);
            }
            '/' if chars.peek() == Some(&'*') => {
                chars.next();
                let start = line;
                let mut previous = '\0';
                loop {
                    match chars.next() {
                        Some('/') if previous == '*' => break,
                        Some(next) => {
                            if next == '\n' {
                                line += 1;
                            }
                            previous = next;
                        }
                        None => bail!("{name}:{start}: a comment is never closed"),
                    }
                }
            }
            '"' | '\'' => {
                let start = line;
                loop {
                    match chars.next() {
                        Some('\\') => {
                            chars.next();
                        }
                        Some(end) if end == c => break,
                        Some('\n') | None => bail!("{name}:{start}: a string is never closed"),
                        Some(_) => {}
                    }
                }
            }
            '{' => {
                let kind = if prelude.trim_start().starts_with('@') {
                    Block::AtRule
                } else {
                    Block::Style
                };
                if let Some((Block::Style, opened)) = open.last() {
                    bail!(
                        "{name}:{line}: a rule inside the rule opened at line {opened}: \
                         is a `}}` missing there? (this style sheet uses no CSS nesting)"
                    );
                }
                open.push((kind, line));
                prelude.clear();
            }
            '}' => {
                if open.pop().is_none() {
                    bail!("{name}:{line}: a `}}` closes nothing");
                }
                prelude.clear();
            }
            ';' => prelude.clear(),
            _ => prelude.push(c),
        }
    }
    if let Some((_, opened)) = open.last() {
        bail!("{name}:{opened}: this block is never closed");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::check_structure;

    #[test]
    fn flat_rules_media_queries_comments_and_strings_pass() {
        let css = "/* { */\n.a { content: \"}\"; }\n@media print {\n  .b { color: red; }\n}\n\
                   @font-face { font-family: 'x{'; }\n";
        check_structure("ok.css", css).unwrap();
    }

    #[test]
    fn a_rule_left_open_is_found_at_the_next_rule() {
        let css = ".chart {\n  width: 100%;\n/* next */\n.form textarea {\n  padding: 0;\n}\n";
        let error = check_structure("style.css", css).unwrap_err().to_string();
        assert!(error.starts_with("style.css:4:"), "{error}");
        assert!(error.contains("line 1"), "{error}");
    }

    #[test]
    fn a_block_open_at_the_end_is_an_error() {
        let error = check_structure("s.css", ".a { }\n@media print {\n.b { }\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("s.css:2:"), "{error}");
    }

    #[test]
    fn a_stray_closing_brace_is_an_error() {
        let error = check_structure("s.css", ".a { }\n}\n")
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("s.css:2:"), "{error}");
    }

    #[test]
    fn unclosed_comments_and_strings_are_errors() {
        assert!(check_structure("s.css", ".a { }\n/* open").is_err());
        assert!(check_structure("s.css", ".a { content: \"x; }\n").is_err());
    }

    #[test]
    fn the_portal_style_sheet_passes() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../portal-ui/style.css");
        let css = std::fs::read_to_string(path).unwrap();
        check_structure("portal-ui/style.css", &css).unwrap();
    }
}
