use pidns_model::json::{parse, quote, Kind, Pos};

/// (message, line, col) of the parse error for `text`.
fn err(text: &str) -> (String, u32, u32) {
    let e = parse(text).expect_err("expected a parse error");
    (e.message, e.pos.line, e.pos.col)
}

fn string_of(text: &str) -> String {
    match parse(text).unwrap().kind {
        Kind::String(s) => s,
        k => panic!("not a string: {k:?}"),
    }
}

#[test]
fn parses_all_kinds_with_positions() {
    let v = parse("{\n  \"a\": [1, -2.5e3, true, false, null, \"x\"],\n  \"b\": {}\n}").unwrap();
    assert_eq!(v.pos, Pos { line: 1, col: 1 });
    let members = match v.kind {
        Kind::Object(m) => m,
        _ => panic!(),
    };
    assert_eq!(members[0].key, "a");
    assert_eq!(members[0].key_pos, Pos { line: 2, col: 3 });
    assert_eq!(members[0].value.pos, Pos { line: 2, col: 8 });
    let items = match &members[0].value.kind {
        Kind::Array(a) => a.clone(),
        _ => panic!(),
    };
    assert_eq!(items[1].kind, Kind::Number { value: -2500.0, raw: "-2.5e3".into() });
    assert_eq!(items[1].pos, Pos { line: 2, col: 12 });
    assert_eq!(items[2].kind, Kind::Bool(true));
    assert_eq!(items[4].kind, Kind::Null);
    assert_eq!(members[1].key_pos, Pos { line: 3, col: 3 });
}

#[test]
fn keeps_duplicate_keys_in_order() {
    match parse(r#"{"a": 1, "b": 2, "a": 3}"#).unwrap().kind {
        Kind::Object(m) => {
            let keys: Vec<&str> = m.iter().map(|m| m.key.as_str()).collect();
            assert_eq!(keys, ["a", "b", "a"]);
        }
        _ => panic!(),
    }
}

#[test]
fn columns_count_characters_not_bytes() {
    assert_eq!(err("[\"é😀\" x]"), ("expected ',' or ']' after an array element, found 'x'".into(), 1, 7));
}

#[test]
fn bom_is_skipped_and_not_counted() {
    assert!(parse("\u{feff}{}").is_ok());
    assert_eq!(err("\u{feff}[1,]").1, 1);
    assert_eq!(err("\u{feff}[1,]").2, 3);
    // Only at the very start.
    assert_eq!(err("[\u{feff}]").0, "expected a JSON value, found U+FEFF");
}

#[test]
fn object_separator_error() {
    assert_eq!(err("{\"a\": 1]"), ("expected ',' or '}' after an object member, found ']'".into(), 1, 8));
    assert_eq!(err("{\"a\": 1\n \"b\": 2}"), ("expected ',' or '}' after an object member, found '\"'".into(), 2, 2));
}

#[test]
fn array_separator_error() {
    assert_eq!(err("[1 2]"), ("expected ',' or ']' after an array element, found '2'".into(), 1, 4));
}

#[test]
fn unterminated_string_points_at_opening_quote() {
    assert_eq!(err("{\"name\": \"abc"), ("unterminated string".into(), 1, 10));
    assert_eq!(err("\"abc\\"), ("unterminated string".into(), 1, 5));
}

#[test]
fn trailing_commas_point_at_the_comma() {
    assert_eq!(err("{\"a\": 1,\n}"), ("trailing comma before '}'".into(), 1, 8));
    assert_eq!(err("[1, 2 , ]"), ("trailing comma before ']'".into(), 1, 7));
}

#[test]
fn end_of_input_inside_containers() {
    assert_eq!(
        err("{\"a\": [1,\n"),
        ("unexpected end of input: the document ends inside an array (opened at line 1, column 7)".into(), 2, 1)
    );
    assert_eq!(
        err("{\"a\": 1"),
        ("unexpected end of input: the document ends inside an object (opened at line 1, column 1)".into(), 1, 8)
    );
    assert!(err("{\"a\":").0.contains("inside an object"));
    assert!(err("{\"a\"").0.contains("inside an object"));
    assert!(err("[").0.contains("inside an array"));
    assert_eq!(err("  \n"), ("unexpected end of input: the document is empty".into(), 2, 1));
    assert_eq!(err("").0, "unexpected end of input: the document is empty");
}

#[test]
fn control_characters_in_strings() {
    assert_eq!(err("\"a\nb\""), ("control character in string: escape it as \\n".into(), 1, 3));
    assert_eq!(err("\"\t\""), ("control character in string: escape it as \\t".into(), 1, 2));
    assert_eq!(err("\"\u{1}\"").0, "control character in string: escape it as \\u0001");
}

#[test]
fn invalid_escapes() {
    assert_eq!(err(r#"["C:\qux"]"#), ("invalid escape \\q (to write a backslash itself, use \\\\)".into(), 1, 5));
    assert_eq!(err(r#""\u12G4""#), ("invalid escape: \\u must be followed by 4 hex digits".into(), 1, 2));
}

#[test]
fn comments_are_rejected() {
    assert_eq!(err("{\n  // note\n}"), ("comments are not allowed in JSON".into(), 2, 3));
    assert_eq!(err("[1, /* x */ 2]"), ("comments are not allowed in JSON".into(), 1, 5));
    assert_eq!(err("{} // done"), ("comments are not allowed in JSON".into(), 1, 4));
}

#[test]
fn extra_text_after_document() {
    assert_eq!(err("{}\n{}"), ("extra text after the JSON document".into(), 2, 1));
    assert_eq!(err("1 2").2, 3);
}

#[test]
fn friendly_messages_for_common_mistakes() {
    assert_eq!(err("{'a': 1}"), ("strings must use double quotes, not single quotes".into(), 1, 2));
    assert_eq!(err("{a: 1}"), ("expected a member name in double quotes, found 'a'".into(), 1, 2));
    assert_eq!(err("[True]"), ("invalid literal True: JSON only has lowercase true, false and null".into(), 1, 2));
    assert_eq!(err("[web]").0, "expected a JSON value, found web (strings must be in double quotes)");
    assert_eq!(err("[NaN]").0, "expected a JSON value, found NaN (strings must be in double quotes)");
    assert_eq!(err("{\"a\" 1}"), ("expected ':' after the member name \"a\", found '1'".into(), 1, 6));
    assert_eq!(err("[,]"), ("expected a JSON value, found ','".into(), 1, 2));
}

#[test]
fn strict_numbers() {
    assert_eq!(err("[01]"), ("leading zeros are not allowed in numbers".into(), 1, 2));
    assert_eq!(err("[-]"), ("expected a digit after '-'".into(), 1, 3));
    assert_eq!(err("[1.]"), ("expected a digit after the decimal point".into(), 1, 4));
    assert_eq!(err("[1e+]"), ("expected a digit in the exponent".into(), 1, 5));
    assert_eq!(err("[+1]").0, "expected a JSON value, found '+'");
    assert_eq!(err("[.5]").0, "expected a JSON value, found '.'");
    assert_eq!(err("[1e999]").0, "number 1e999 is too large");
    assert_eq!(parse("-0").unwrap().kind, Kind::Number { value: -0.0, raw: "-0".into() });
    assert_eq!(parse("0.5E-2").unwrap().kind, Kind::Number { value: 0.005, raw: "0.5E-2".into() });
}

#[test]
fn escapes_and_surrogate_pairs() {
    assert_eq!(string_of(r#""\"\\\/\b\f\n\r\t""#), "\"\\/\u{8}\u{c}\n\r\t");
    assert_eq!(string_of(r#""\u00e9\u2028""#), "é\u{2028}");
    assert_eq!(string_of(r#""\ud83d\ude00""#), "😀");
    assert_eq!(string_of(r#""\uD83D\uDE00x""#), "😀x");
    assert_eq!(string_of("\"😀 raw\""), "😀 raw");
}

#[test]
fn lone_surrogates_are_rejected() {
    let lone = |code: &str| {
        format!(
            "invalid escape \\u{code}: a lone surrogate is not a character (surrogates must come in \\uD800-\\uDBFF + \\uDC00-\\uDFFF pairs)"
        )
    };
    assert_eq!(err(r#"["\ud83d"]"#), (lone("D83D"), 1, 3));
    assert_eq!(err(r#"["\ud83dx"]"#).0, lone("D83D"));
    assert_eq!(err(r#"["\ud83d\u0041"]"#).0, lone("D83D"));
    assert_eq!(err(r#"["ab\ude00"]"#), (lone("DE00"), 1, 5));
    assert_eq!(err(r#"["\ud83d\ud83d"]"#).0, lone("D83D"));
}

#[test]
fn nesting_limit() {
    let ok = format!("{}{}", "[".repeat(512), "]".repeat(512));
    assert!(parse(&ok).is_ok());
    let deep = format!("{}{}", "[".repeat(513), "]".repeat(513));
    assert_eq!(err(&deep), ("nesting is too deep: more than 512 levels of arrays and objects".into(), 1, 513));
    // Far deeper input must still give an error, not a stack overflow.
    let hostile = "[{\"a\":".repeat(100_000);
    assert!(err(&hostile).0.starts_with("nesting is too deep"));
}

#[test]
fn quote_escapes_for_json() {
    assert_eq!(quote("a\"b\\c\n\u{1}\u{2028}é"), r#""a\"b\\c\n\u0001\u2028é""#);
}
