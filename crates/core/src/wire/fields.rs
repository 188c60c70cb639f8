//! Typed access to the members of a JSON message we wrote ourselves, with errors that name the
//! member: a message that does not read is a bug or an attack, and the error says which part.
use pidns_model::json::{self, Value};

pub struct Fields(Value);

impl Fields {
    /// Parses `bytes` (UTF-8 JSON text of an object).
    pub fn parse(bytes: &[u8]) -> Result<Fields, String> {
        let text = std::str::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
        let value = json::parse(text).map_err(|e| format!("not JSON: {e}"))?;
        if value.as_object().is_none() {
            return Err("not a JSON object".into());
        }
        Ok(Fields(value))
    }

    pub fn value(&self) -> &Value {
        &self.0
    }

    fn get(&self, key: &str) -> Result<&Value, String> {
        self.0.get(key).ok_or_else(|| format!("{key:?} is missing"))
    }

    pub fn has(&self, key: &str) -> bool {
        self.0.get(key).is_some_and(|v| !v.is_null())
    }

    pub fn string(&self, key: &str) -> Result<String, String> {
        self.get(key)?.as_str().map(str::to_string).ok_or_else(|| format!("{key:?} is not a string"))
    }

    pub fn opt_string(&self, key: &str) -> Result<Option<String>, String> {
        if self.has(key) {
            self.string(key).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn int(&self, key: &str) -> Result<i64, String> {
        self.get(key)?.as_i64().ok_or_else(|| format!("{key:?} is not an integer"))
    }

    pub fn u32(&self, key: &str) -> Result<u32, String> {
        u32::try_from(self.int(key)?).map_err(|_| format!("{key:?} is out of range"))
    }

    pub fn u64(&self, key: &str) -> Result<u64, String> {
        u64::try_from(self.int(key)?).map_err(|_| format!("{key:?} is out of range"))
    }

    pub fn opt_int(&self, key: &str) -> Result<Option<i64>, String> {
        if self.has(key) {
            self.int(key).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn bool(&self, key: &str) -> Result<bool, String> {
        match self.get(key)?.kind {
            json::Kind::Bool(b) => Ok(b),
            _ => Err(format!("{key:?} is not a boolean")),
        }
    }

    pub fn ints(&self, key: &str) -> Result<Vec<i32>, String> {
        let items = self.get(key)?.as_array().ok_or_else(|| format!("{key:?} is not an array"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_i64().and_then(|n| i32::try_from(n).ok()).ok_or_else(|| format!("{key}[{i}] is not an int"))
            })
            .collect()
    }

    pub fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        let items = self.get(key)?.as_array().ok_or_else(|| format!("{key:?} is not an array"))?;
        items
            .iter()
            .enumerate()
            .map(|(i, v)| v.as_str().map(str::to_string).ok_or_else(|| format!("{key}[{i}] is not a string")))
            .collect()
    }

    /// An object of strings, in document order.
    pub fn string_map(&self, key: &str) -> Result<Vec<(String, String)>, String> {
        let members = self.get(key)?.as_object().ok_or_else(|| format!("{key:?} is not an object"))?;
        members
            .iter()
            .map(|m| {
                let v = m.value.as_str().ok_or_else(|| format!("{key}.{} is not a string", m.key))?;
                Ok((m.key.clone(), v.to_string()))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_member() {
        let f = Fields::parse(br#"{"a": "x", "n": 3, "l": [1, "b"]}"#).unwrap();
        assert_eq!(f.string("a").unwrap(), "x");
        assert_eq!(f.int("n").unwrap(), 3);
        assert_eq!(f.int("a").unwrap_err(), "\"a\" is not an integer");
        assert_eq!(f.string("zz").unwrap_err(), "\"zz\" is missing");
        assert_eq!(f.ints("l").unwrap_err(), "l[1] is not an int");
        assert!(Fields::parse(b"[1]").is_err());
        assert!(Fields::parse(b"\xff").is_err());
    }
}
