//! The search page's `BBS-state` JSON read for its listing records only.
//!
//! The state of a real search page is 0.35-0.66 MB of JSON: the search results (~0.4 MB, of
//! which the 50 records are a part) next to the category tree, CMS data and request
//! signatures. Building a `serde_json::Value` for all of it (a `BTreeMap` per object, a
//! `String` per key) was most of the search fast path. Here the document is walked with
//! serde's visitors: every entry's `value.bfsSearchResult.value` array is built as
//! `Value`s (what [`crate::api::record_to_listing`] reads), everything else is skipped with
//! `IgnoredAny`.
//!
//! Same answers as `parse_lenient` + `jsonutil::at(entry, ["value", "bfsSearchResult",
//! "value"])` on a `Value`: strict JSON only (the caller falls back to the lenient `Value`
//! parse when this fails), a duplicate key keeps its last value, entries come in key order
//! (a `Value` object is a `BTreeMap`), and a path step that is not an object, or a leaf that
//! is not an array, gives no records.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

/// Record arrays by state entry key (sorted); `None` for an entry without one.
pub type Entries = BTreeMap<String, Option<Vec<Value>>>;

/// `value.bfsSearchResult.value` of every top-level entry, by entry key (sorted); `None` for
/// an entry without such an array. `Err` when `json` is not strict JSON; `Ok(None)` when its
/// top level is not an object.
pub fn records_by_entry(json: &str) -> Result<Option<Entries>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let out = de.deserialize_any(Top)?;
    de.end()?;
    Ok(out)
}

const PATH: &[&str] = &["value", "bfsSearchResult", "value"];

struct Top;

impl<'de> Visitor<'de> for Top {
    type Value = Option<Entries>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = BTreeMap::new();
        while let Some(key) = map.next_key::<String>()? {
            let recs = map.next_value_seed(Path(PATH))?;
            out.insert(key, recs);
        }
        Ok(Some(out))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// Follows the remaining path; at its end, the array (as `Value`s) or `None`.
struct Path(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for Path {
    type Value = Option<Vec<Value>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        if self.0.is_empty() {
            return Ok(match serde::Deserialize::deserialize(d)? {
                Value::Array(items) => Some(items),
                _ => None,
            });
        }
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Path {
    type Value = Option<Vec<Value>>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (step, rest) = match self.0.split_first() {
            Some(x) => x,
            None => return Ok(None),
        };
        let mut found = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == *step {
                // A later duplicate replaces an earlier one, as in a `Value` object.
                found = map.next_value_seed(Path(rest))?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonutil::at;

    /// What the `Value` route gives, for comparison.
    fn via_value(json: &str) -> Option<Entries> {
        let v: Value = serde_json::from_str(json).ok()?;
        let obj = v.as_object()?;
        Some(
            obj.iter()
                .map(|(k, e)| {
                    let recs = match at(e, PATH) {
                        Some(Value::Array(a)) => Some(a.clone()),
                        _ => None,
                    };
                    (k.clone(), recs)
                })
                .collect(),
        )
    }

    #[test]
    fn same_as_the_value_route() {
        for json in [
            r#"{"b":{"value":{"bfsSearchResult":{"value":[{"listNumber":1},2]}}},"a":{"x":[1,{"y":null}],"value":3}}"#,
            r#"{"k":{"value":{"bfsSearchResult":{"value":[1]},"bfsSearchResult":{"value":"no"}}}}"#,
            r#"{"k":{"value":{"bfsSearchResult":{"value":"no"},"bfsSearchResult":{"value":[true]}}}}"#,
            r#"{"k":[],"k":{"value":{"bfsSearchResult":{"value":[]}}},"esc\"aped":"\u00e9"}"#,
            r#"{"k":{"value":[{"bfsSearchResult":{"value":[1]}}]}}"#,
            r#"[1,2]"#,
            r#"  {"a":1.5e3,"b":-2,"c":false}  "#,
        ] {
            assert_eq!(
                records_by_entry(json).ok().flatten(),
                via_value(json),
                "{json}"
            );
        }
        for bad in [r#"{"a":1"#, r#"{"a":1} x"#, "{\"a\":\"raw\ttab\"}", ""] {
            assert!(records_by_entry(bad).is_err(), "{bad:?}");
        }
    }
}
