//! The browsable page: the OpenAPI document rendered as plain HTML, one
//! section per tag, one per operation, then the schemas.

use std::fmt::Write;

use serde_json::Value;

/// The page's stylesheet, served at `/api/docs/style.css`.
pub const STYLE: &str = "\
body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}\
code,pre{font-family:ui-monospace,monospace;font-size:.9em}\
h1{margin-bottom:0}h2{border-bottom:2px solid #005a8c;margin-top:2.5rem}\
h3{margin-top:2rem}.method{display:inline-block;min-width:3.5rem;padding:0 .4rem;\
border-radius:.25rem;background:#005a8c;color:#fff;text-align:center}\
.get{background:#2e7d32}table{border-collapse:collapse;width:100%;margin:.5rem 0}\
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}\
th{background:#f0f4f8}a{color:#005a8c}a:focus{outline:3px solid #f9a825}\
nav ul{columns:2}.muted{color:#555}";

/// Renders the page from the document (as JSON).
pub fn render(document: &Value) -> String {
    let mut html = String::with_capacity(32 * 1024);
    let title = text(&document["info"]["title"]);
    let version = text(&document["info"]["version"]);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} API</title><link rel=\"stylesheet\" href=\"/api/docs/style.css\"></head>\
         <body><header><h1>{t} API <small class=\"muted\">{v}</small></h1>\
         <p>{d}</p><p>Machine-readable: <a href=\"/openapi.json\">/openapi.json</a> (OpenAPI {o}).</p>\
         </header><main>",
        t = escape(&title),
        v = escape(&version),
        d = prose(&text(&document["info"]["description"])),
        o = escape(&text(&document["openapi"])),
    );
    let operations = operations(document);
    html.push_str("<nav aria-label=\"Operations\"><h2>Operations</h2><ul>");
    for (_, method, path, _) in &operations {
        let _ = write!(
            html,
            "<li><a href=\"#{id}\"><code>{m} {p}</code></a></li>",
            id = anchor(method, path),
            m = method.to_uppercase(),
            p = escape(path)
        );
    }
    html.push_str("</ul></nav>");
    for tag in document["tags"].as_array().into_iter().flatten() {
        let name = text(&tag["name"]);
        let _ = write!(
            html,
            "<section><h2>{}</h2><p>{}</p>",
            escape(&name),
            prose(&text(&tag["description"]))
        );
        for (tag_name, method, path, operation) in &operations {
            if *tag_name == name {
                render_operation(&mut html, method, path, operation);
            }
        }
        html.push_str("</section>");
    }
    render_schemas(&mut html, &document["components"]["schemas"]);
    html.push_str("</main></body></html>");
    html
}

/// (tag, method, path, operation) in document order.
fn operations(document: &Value) -> Vec<(String, String, String, Value)> {
    let mut list = Vec::new();
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            let tag = text(&operation["tags"][0]);
            list.push((tag, method.clone(), path.clone(), operation.clone()));
        }
    }
    list
}

/// One operation as an article: its heading, prose, authentication,
/// parameters, request body and responses.
fn render_operation(html: &mut String, method: &str, path: &str, operation: &Value) {
    let class = if method == "get" {
        "method get"
    } else {
        "method"
    };
    let _ = write!(
        html,
        "<article><h3 id=\"{id}\"><span class=\"{class}\">{m}</span> <code>{p}</code></h3>",
        id = anchor(method, path),
        m = method.to_uppercase(),
        p = escape(path),
    );
    for field in ["summary", "description"] {
        let value = text(&operation[field]);
        if !value.is_empty() {
            let _ = write!(html, "<p>{}</p>", prose(&value));
        }
    }
    render_security(html, operation);
    render_parameters(html, operation);
    render_request_body(html, operation);
    render_responses(html, operation);
    html.push_str("</article>");
}

/// The security schemes an operation requires, when it requires any.
fn render_security(html: &mut String, operation: &Value) {
    let Some(security) = operation["security"].as_array() else {
        return;
    };
    let names: Vec<String> = security
        .iter()
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys().cloned())
        .collect();
    if !names.is_empty() {
        let _ = write!(
            html,
            "<p>Authentication: <code>{}</code></p>",
            escape(&names.join(", "))
        );
    }
}

/// The table of an operation's parameters, when it has any.
fn render_parameters(html: &mut String, operation: &Value) {
    let Some(parameters) = operation["parameters"].as_array() else {
        return;
    };
    html.push_str(
        "<table><caption>Parameters</caption><tr><th>Name</th><th>In</th>\
         <th>Required</th><th>Description</th></tr>",
    );
    for parameter in parameters {
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&text(&parameter["name"])),
            escape(&text(&parameter["in"])),
            if parameter["required"] == Value::Bool(true) {
                "yes"
            } else {
                "no"
            },
            prose(&text(&parameter["description"])),
        );
    }
    html.push_str("</table>");
}

/// One line per media type an operation's request body may have.
fn render_request_body(html: &mut String, operation: &Value) {
    let Some(content) = operation["requestBody"]["content"].as_object() else {
        return;
    };
    for (media, body) in content {
        let _ = write!(
            html,
            "<p>Request body (<code>{}</code>): {}. {}</p>",
            escape(media),
            schema_type(&body["schema"]),
            prose(&text(&operation["requestBody"]["description"])),
        );
    }
}

/// The table of an operation's responses: status, meaning, body.
fn render_responses(html: &mut String, operation: &Value) {
    html.push_str(
        "<table><caption>Responses</caption><tr><th>Status</th><th>Meaning</th><th>Body</th></tr>",
    );
    for (status, response) in operation["responses"].as_object().into_iter().flatten() {
        let body = response["content"]
            .as_object()
            .and_then(|content| content.iter().next())
            .map(|(media, body)| {
                format!(
                    "<code>{}</code> {}",
                    escape(media),
                    schema_type(&body["schema"])
                )
            })
            .unwrap_or_default();
        let _ = write!(
            html,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(status),
            prose(&text(&response["description"])),
            body
        );
    }
    html.push_str("</table>");
}

fn render_schemas(html: &mut String, schemas: &Value) {
    let Some(schemas) = schemas.as_object() else {
        return;
    };
    html.push_str("<section><h2>Schemas</h2>");
    for (name, schema) in schemas {
        let _ = write!(html, "<h3 id=\"schema-{0}\">{0}</h3>", escape(name));
        let description = text(&schema["description"]);
        if !description.is_empty() {
            let _ = write!(html, "<p>{}</p>", prose(&description));
        }
        let Some(properties) = schema["properties"].as_object() else {
            let _ = write!(html, "<p>{}</p>", schema_type(schema));
            continue;
        };
        let required: Vec<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        html.push_str(
            "<table><tr><th>Field</th><th>Type</th><th>Required</th><th>Description</th></tr>",
        );
        for (field, property) in properties {
            let _ = write!(
                html,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(field),
                schema_type(property),
                if required.contains(&field.as_str()) {
                    "yes"
                } else {
                    "no"
                },
                prose(&text(&property["description"])),
            );
        }
        html.push_str("</table>");
    }
    html.push_str("</section>");
}

/// A short, linked description of a schema's type (HTML).
fn schema_type(schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("<a href=\"#schema-{0}\">{0}</a>", escape(name));
    }
    for combinator in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema[combinator].as_array() {
            let parts: Vec<String> = options.iter().map(schema_type).collect();
            return parts.join(" or ");
        }
    }
    let mut kind = match &schema["type"] {
        Value::String(kind) => kind.clone(),
        Value::Array(kinds) => kinds.iter().map(text).collect::<Vec<_>>().join(" or "),
        _ => "any".to_owned(),
    };
    if kind.starts_with("array") {
        kind = format!("array of {}", schema_type(&schema["items"]));
        return kind;
    }
    if let Some(values) = schema["enum"].as_array() {
        let values: Vec<String> = values.iter().map(|value| value.to_string()).collect();
        kind = format!("{kind}: {}", values.join(", "));
    }
    if let Some(format) = schema["format"].as_str() {
        kind = format!("{kind} ({format})");
    }
    for (bound, word) in [("minimum", "min"), ("maximum", "max")] {
        if let Some(value) = schema[bound].as_number() {
            kind = format!("{kind}, {word} {value}");
        }
    }
    escape(&kind)
}

fn text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn anchor(method: &str, path: &str) -> String {
    let slug: String = path
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    format!("{method}{slug}")
}

/// Escaped text in which `backticks` become code spans.
fn prose(text: &str) -> String {
    let mut html = String::with_capacity(text.len());
    for (index, part) in escape(text).split('`').enumerate() {
        if index % 2 == 1 {
            let _ = write!(html, "<code>{part}</code>");
        } else {
            html.push_str(part);
        }
    }
    html
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_and_schema_is_on_the_page_and_text_is_escaped() {
        let document = serde_json::to_value(super::super::document(false)).expect("JSON");
        let page = render(&document);
        for (_, method, path, _) in operations(&document) {
            assert!(
                page.contains(&format!("id=\"{}\"", anchor(&method, &path))),
                "{path}"
            );
        }
        for name in document["components"]["schemas"]
            .as_object()
            .expect("schemas")
            .keys()
        {
            assert!(page.contains(&format!("id=\"schema-{name}\"")), "{name}");
        }
        assert!(!page.contains("<script"), "no script on the page");
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
