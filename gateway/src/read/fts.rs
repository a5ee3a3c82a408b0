//! Turning what a person typed into a safe SQLite FTS5 `MATCH` expression.
//!
//! FTS5 has its own query language (`AND`, `OR`, `NOT`, `NEAR`, column filters `title:`,
//! `^`, parentheses, quotes). Passing user text straight through lets a stray quote or `-` break
//! the query (a 500) or change its meaning. So the text is cut into words (letters and digits,
//! as the `unicode61` tokenizer sees them), each word is quoted as an FTS5 string (quotes
//! cannot occur inside, since only letters and digits are kept), and the words are joined with
//! spaces, which FTS5 reads as AND. A trailing `*` on a word is kept as a prefix search.

/// Most words taken from one query.
pub const MAX_TERMS: usize = 16;
/// Longest word kept (characters).
pub const MAX_TERM_CHARS: usize = 64;

/// The FTS5 expression for `input`, or `None` when it holds no searchable word.
pub fn match_expr(input: &str) -> Option<String> {
    let mut terms: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut chars = input.chars().peekable();
    let flush = |word: &mut String, prefix: bool, terms: &mut Vec<String>| {
        if !word.is_empty() && terms.len() < MAX_TERMS {
            let w: String = word.chars().take(MAX_TERM_CHARS).collect();
            terms.push(if prefix {
                format!("\"{w}\"*")
            } else {
                format!("\"{w}\"")
            });
        }
        word.clear();
    };
    while let Some(c) = chars.next() {
        if c.is_alphanumeric() {
            word.push(c);
        } else {
            let prefix = c == '*';
            flush(&mut word, prefix, &mut terms);
        }
        if chars.peek().is_none() {
            flush(&mut word, false, &mut terms);
        }
    }
    (!terms.is_empty()).then(|| terms.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_and_syntax_is_dropped() {
        assert_eq!(
            match_expr("gallons per month").as_deref(),
            Some("\"gallons\" \"per\" \"month\"")
        );
        assert_eq!(
            match_expr("title:\"shell\" OR -(NEAR)").as_deref(),
            Some("\"title\" \"shell\" \"OR\" \"NEAR\"")
        );
        assert_eq!(match_expr("gall*").as_deref(), Some("\"gall\"*"));
        assert_eq!(
            match_expr("Café 7-Eleven").as_deref(),
            Some("\"Café\" \"7\" \"Eleven\"")
        );
        assert_eq!(match_expr("  \"' ()* -"), None);
        assert_eq!(
            match_expr(&"a ".repeat(40)).map(|s| s.matches('"').count()),
            Some(2 * MAX_TERMS)
        );
    }

    #[test]
    fn every_expression_is_valid_fts5() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        c.execute_batch("CREATE VIRTUAL TABLE t USING fts5(x); INSERT INTO t VALUES ('the gallons per month figure');")
            .unwrap();
        for q in [
            "\"",
            "a\"b",
            "NOT",
            "x AND",
            "(((",
            "gallons*",
            "\u{0}gallons",
            "col:val",
            "^gallons",
            "NEAR(a b)",
        ] {
            if let Some(e) = match_expr(q) {
                let n: i64 = c
                    .query_row("SELECT COUNT(*) FROM t WHERE t MATCH ?1", [&e], |r| {
                        r.get(0)
                    })
                    .unwrap_or_else(|err| panic!("{q:?} -> {e:?}: {err}"));
                assert!(n <= 1);
            }
        }
        let n: i64 = c
            .query_row(
                "SELECT COUNT(*) FROM t WHERE t MATCH ?1",
                [match_expr("Gallons!").unwrap()],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 1);
    }
}
