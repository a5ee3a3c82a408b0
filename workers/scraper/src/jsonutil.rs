//! Lenient JSON reading for embedded blocks (JSON-LD often carries raw newlines/tabs inside
//! strings, which strict JSON forbids).

use serde_json::Value;

/// Parses JSON; on failure retries after escaping raw control characters inside strings.
pub fn parse_lenient(s: &str) -> Option<Value> {
    let t = s.trim().trim_start_matches('\u{feff}');
    if let Ok(v) = serde_json::from_str(t) {
        return Some(v);
    }
    serde_json::from_str(&escape_controls_in_strings(t)).ok()
}

fn escape_controls_in_strings(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 16);
    let mut in_str = false;
    let mut escaped = false;
    for c in s.chars() {
        if in_str {
            if escaped {
                escaped = false;
                out.push(c);
                continue;
            }
            match c {
                '\\' => {
                    escaped = true;
                    out.push(c);
                }
                '"' => {
                    in_str = false;
                    out.push(c);
                }
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if (c as u32) < 0x20 => out.push(' '),
                c => out.push(c),
            }
        } else {
            if c == '"' {
                in_str = true;
            }
            out.push(c);
        }
    }
    out
}

/// String at a path of object keys; empty/whitespace strings give `None`.
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    cur.as_str().map(str::trim).filter(|s| !s.is_empty())
}

/// Value at a path of object keys.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    Some(cur)
}

/// A JSON id that may be a number or a string (`listNumber`, `productid`), as a string of digits.
pub fn id_string(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .map(|n| n.to_string())
            .or_else(|| n.as_i64().map(|n| n.to_string())),
        Value::String(s) => {
            let t = s.trim();
            (!t.is_empty() && t.len() <= 32).then(|| t.to_string())
        }
        _ => None,
    }
}
