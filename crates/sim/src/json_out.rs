//! Writing JSON: objects built field by field, in the order given (which is the order users
//! read them in). Strings go through the model's escaping.
use pidns_model::json::write_string;

#[derive(Default)]
pub struct Obj {
    out: String,
}

impl Obj {
    pub fn new() -> Obj {
        Obj { out: String::from("{") }
    }

    fn key(&mut self, key: &str) {
        if self.out.len() > 1 {
            self.out.push(',');
        }
        write_string(&mut self.out, key);
        self.out.push(':');
    }

    pub fn str(mut self, key: &str, value: &str) -> Obj {
        self.key(key);
        write_string(&mut self.out, value);
        self
    }

    pub fn int(mut self, key: &str, value: i64) -> Obj {
        self.key(key);
        self.out.push_str(&value.to_string());
        self
    }

    pub fn bool(mut self, key: &str, value: bool) -> Obj {
        self.key(key);
        self.out.push_str(if value { "true" } else { "false" });
        self
    }

    pub fn null(mut self, key: &str) -> Obj {
        self.key(key);
        self.out.push_str("null");
        self
    }

    /// `value` is JSON already.
    pub fn raw(mut self, key: &str, value: &str) -> Obj {
        self.key(key);
        self.out.push_str(value);
        self
    }

    pub fn strs(self, key: &str, values: &[String]) -> Obj {
        let items: Vec<String> = values.iter().map(|s| string(s)).collect();
        self.raw(key, &array(&items))
    }

    pub fn ints(self, key: &str, values: &[i64]) -> Obj {
        let items: Vec<String> = values.iter().map(|n| n.to_string()).collect();
        self.raw(key, &array(&items))
    }

    pub fn finish(mut self) -> String {
        self.out.push('}');
        self.out
    }
}

pub fn string(s: &str) -> String {
    let mut out = String::new();
    write_string(&mut out, s);
    out
}

/// `items` are JSON already.
pub fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}
