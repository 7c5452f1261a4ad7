//! The Liquid subset Zendesk's notification subjects and bodies (and webhook bodies) use:
//! `{{ path }}` output with filters (`{{ticket.title | upcase}}`, `{{x | split: "::" | last}}`).
//! Like Zendesk's Liquid, an unknown placeholder renders empty and an unknown filter leaves its
//! value as it is. Tags (`{% if %}`) are not evaluated: they stay in the text as written.
//!
//! What a path means is the caller's ([`Lookup`]); this room only parses and filters.

/// Looks a placeholder's path (`ticket.requester.name`) up; `None` renders empty.
pub trait Lookup {
    fn lookup(&self, path: &str) -> Option<String>;
}

/// How a rendered placeholder is written into the text around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Escape {
    /// As it is (an email).
    Plain,
    /// As the inside of a JSON string, so a subject with a quote keeps a JSON body valid.
    Json,
}

/// A value while filters run: text, a list (from `split`), or nothing.
#[derive(Debug, Clone, PartialEq)]
enum Liquid {
    Nil,
    Text(String),
    List(Vec<String>),
}

impl Liquid {
    fn text(&self) -> String {
        match self {
            Liquid::Nil => String::new(),
            Liquid::Text(text) => text.clone(),
            Liquid::List(items) => items.concat(),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Liquid::Nil => true,
            Liquid::Text(text) => text.is_empty(),
            Liquid::List(items) => items.is_empty(),
        }
    }
}

/// Renders every `{{ ... }}` of `template`.
pub fn render(template: &str, lookup: &dyn Lookup, escape: Escape) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let Some(length) = rest[start + 2..].find("}}") else {
            break;
        };
        out.push_str(&rest[..start]);
        let expression = &rest[start + 2..start + 2 + length];
        let value = evaluate(expression, lookup).text();
        match escape {
            Escape::Plain => out.push_str(&value),
            Escape::Json => {
                let quoted = serde_json::Value::String(value).to_string();
                out.push_str(&quoted[1..quoted.len() - 1]);
            }
        }
        rest = &rest[start + 2 + length + 2..];
    }
    out.push_str(rest);
    out
}

/// The value of `path | filter: arg, ... | ...`.
fn evaluate(expression: &str, lookup: &dyn Lookup) -> Liquid {
    // `{{- x -}}` trims whitespace around it in Liquid; here the value is the same.
    let expression = expression
        .trim()
        .trim_start_matches('-')
        .trim_end_matches('-');
    let mut parts = split_outside_quotes(expression, '|').into_iter();
    let mut value = match parts.next() {
        Some(head) => operand(head.trim(), lookup),
        None => Liquid::Nil,
    };
    for filter in parts {
        let (name, args) = match filter.split_once(':') {
            Some((name, args)) => (
                name.trim(),
                split_outside_quotes(args, ',')
                    .into_iter()
                    .map(|arg| operand(arg.trim(), lookup).text())
                    .collect(),
            ),
            None => (filter.trim(), Vec::new()),
        };
        value = apply_filter(value, name, &args);
    }
    value
}

/// A literal (`"text"`, `'text'`, a number) or a path to look up.
fn operand(text: &str, lookup: &dyn Lookup) -> Liquid {
    let quoted = text.len() >= 2
        && ((text.starts_with('"') && text.ends_with('"'))
            || (text.starts_with('\'') && text.ends_with('\'')));
    if quoted {
        return Liquid::Text(text[1..text.len() - 1].to_string());
    }
    if !text.is_empty() && text.parse::<f64>().is_ok() {
        return Liquid::Text(text.to_string());
    }
    match lookup.lookup(text) {
        Some(value) => Liquid::Text(value),
        None => Liquid::Nil,
    }
}

/// Splits at `separator` where it is not inside quotes.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '"' || c == '\'' => quote = Some(c),
            None if c == separator => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            None => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn apply_filter(value: Liquid, name: &str, args: &[String]) -> Liquid {
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let text = || value.text();
    match name {
        "upcase" => Liquid::Text(text().to_uppercase()),
        "downcase" => Liquid::Text(text().to_lowercase()),
        "capitalize" => {
            let text = text();
            let mut chars = text.chars();
            Liquid::Text(match chars.next() {
                Some(first) => first
                    .to_uppercase()
                    .chain(chars.as_str().to_lowercase().chars())
                    .collect(),
                None => String::new(),
            })
        }
        "strip" => Liquid::Text(text().trim().to_string()),
        "lstrip" => Liquid::Text(text().trim_start().to_string()),
        "rstrip" => Liquid::Text(text().trim_end().to_string()),
        "strip_newlines" => Liquid::Text(text().replace(['\r', '\n'], "")),
        "escape" => Liquid::Text(
            text()
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&quot;")
                .replace('\'', "&#39;"),
        ),
        "default" if value.is_blank() => Liquid::Text(arg(0).to_string()),
        "split" => {
            let text = text();
            Liquid::List(if arg(0).is_empty() {
                text.chars().map(String::from).collect()
            } else {
                text.split(arg(0)).map(str::to_string).collect()
            })
        }
        "first" | "last" => match value {
            Liquid::List(items) => {
                let item = if name == "first" {
                    items.first()
                } else {
                    items.last()
                };
                item.map_or(Liquid::Nil, |i| Liquid::Text(i.clone()))
            }
            other => other,
        },
        "join" => match value {
            Liquid::List(items) => {
                Liquid::Text(items.join(if args.is_empty() { " " } else { arg(0) }))
            }
            other => other,
        },
        "size" => Liquid::Text(
            match &value {
                Liquid::List(items) => items.len(),
                other => other.text().chars().count(),
            }
            .to_string(),
        ),
        "truncate" => {
            let limit: usize = arg(0).parse().unwrap_or(50);
            let ellipsis = if args.len() > 1 { arg(1) } else { "..." };
            let text = text();
            if text.chars().count() <= limit {
                Liquid::Text(text)
            } else {
                let keep = limit.saturating_sub(ellipsis.chars().count());
                Liquid::Text(text.chars().take(keep).collect::<String>() + ellipsis)
            }
        }
        "replace" => Liquid::Text(text().replace(arg(0), arg(1))),
        "remove" => Liquid::Text(text().replace(arg(0), "")),
        "append" => Liquid::Text(text() + arg(0)),
        "prepend" => Liquid::Text(arg(0).to_string() + &text()),
        _ => value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Map(HashMap<&'static str, &'static str>);

    impl Lookup for Map {
        fn lookup(&self, path: &str) -> Option<String> {
            self.0.get(path).map(|v| v.to_string())
        }
    }

    fn values() -> Map {
        Map(HashMap::from([
            ("ticket.id", "42"),
            ("ticket.title", "Printer \"on fire\""),
            ("ticket.tags", "vip billing"),
            ("ticket.ticket_field_9", "Product::Printers::Laser"),
            ("empty", ""),
        ]))
    }

    fn plain(template: &str) -> String {
        render(template, &values(), Escape::Plain)
    }

    #[test]
    fn placeholders_render_with_or_without_spaces() {
        assert_eq!(
            plain("#{{ticket.id}}: {{ ticket.title }}"),
            "#42: Printer \"on fire\""
        );
        assert_eq!(plain("{{- ticket.id -}}"), "42");
    }

    #[test]
    fn unknown_placeholders_render_empty_and_text_around_survives() {
        assert_eq!(plain("[{{ticket.nope}}]"), "[]");
        assert_eq!(plain("no placeholders"), "no placeholders");
        assert_eq!(plain("unclosed {{ticket.id"), "unclosed {{ticket.id");
        assert_eq!(
            plain("{% if x %}kept{% endif %}"),
            "{% if x %}kept{% endif %}"
        );
    }

    #[test]
    fn filters_chain() {
        assert_eq!(
            plain("{{ticket.ticket_field_9 | split: \"::\" | last}}"),
            "Laser"
        );
        assert_eq!(
            plain("{{ticket.ticket_field_9 | split: '::' | first | upcase}}"),
            "PRODUCT"
        );
        assert_eq!(
            plain("{{ticket.tags | split: ' ' | join: ','}}"),
            "vip,billing"
        );
        assert_eq!(plain("{{ticket.tags | split: ' ' | size}}"), "2");
        assert_eq!(plain("{{empty | default: 'none'}}"), "none");
        assert_eq!(plain("{{ticket.nope | default: \"n/a\"}}"), "n/a");
        assert_eq!(plain("{{ticket.id | default: 'x'}}"), "42");
        assert_eq!(plain("{{ 'hello WORLD' | capitalize }}"), "Hello world");
        assert_eq!(plain("{{ticket.title | truncate: 10}}"), "Printer...");
        assert_eq!(
            plain("{{ticket.title | replace: 'fire', 'ice'}}"),
            "Printer \"on ice\""
        );
        assert_eq!(
            plain("{{ticket.title | escape}}"),
            "Printer &quot;on fire&quot;"
        );
        assert_eq!(plain("{{ticket.id | append: '!' | prepend: '#'}}"), "#42!");
        // A filter Liquid does not know leaves the value alone.
        assert_eq!(plain("{{ticket.id | sparkle}}"), "42");
    }

    #[test]
    fn json_escaping_keeps_a_json_body_valid() {
        let body = render(
            r#"{"title": "{{ticket.title}}", "id": {{ticket.id}}}"#,
            &values(),
            Escape::Json,
        );
        let parsed: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(parsed["title"], "Printer \"on fire\"");
        assert_eq!(parsed["id"], 42);
    }
}
