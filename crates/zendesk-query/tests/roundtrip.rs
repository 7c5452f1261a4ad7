//! Property tests of the language as a whole: printed ASTs parse back to themselves, builder
//! output always parses to what was built, and no input makes the parser panic.

use proptest::prelude::*;
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use zendesk_query::{
    Op, Query, QueryBuilder, QueryValue, RecordType, RelativeDate, SortOrder, Term, TermKind,
    TimeUnit, Value, parse,
};

/// Words as the parser would type them `Word` after a keyword: no spaces, quotes or stars,
/// and not a number, date, relative date, `none` or `me`.
fn keyword_word() -> impl Strategy<Value = String> {
    "[a-zA-Z@._/+-][a-zA-Z0-9@._/+:<>=-]{0,12}".prop_filter("types as a word", |w| {
        !w.eq_ignore_ascii_case("none")
            && !w.eq_ignore_ascii_case("me")
            && zendesk_query::parse_relative(w).is_none()
    })
}

/// Free-text words: also not starting with `-` and not shaped like `name:`.
fn text_word() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9éß.@_/+][a-zA-Z0-9éß.@/+-]{0,12}"
}

fn phrase() -> impl Strategy<Value = String> {
    any::<String>()
}

fn date() -> impl Strategy<Value = Date> {
    (1900i32..2100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| {
        Date::from_calendar_date(y, Month::try_from(m).unwrap_or(Month::January), d)
            .unwrap_or(Date::MIN)
    })
}

fn datetime() -> impl Strategy<Value = OffsetDateTime> {
    (
        date(),
        0u8..24,
        0u8..60,
        0u8..60,
        -14i8..=14,
        prop::bool::ANY,
    )
        .prop_map(|(d, h, m, s, off, utc)| {
            let t = Time::from_hms(h, m, s).unwrap_or(Time::MIDNIGHT);
            let offset = if utc {
                UtcOffset::UTC
            } else {
                UtcOffset::from_hms(off, 0, 0).unwrap_or(UtcOffset::UTC)
            };
            PrimitiveDateTime::new(d, t).assume_offset(offset)
        })
}

fn keyword_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        keyword_word().prop_map(Value::Word),
        phrase().prop_map(Value::Phrase),
        "[a-z0-9@.]{0,8}\\*[a-z0-9]{0,3}".prop_map(Value::Wildcard),
        any::<u64>().prop_map(Value::Number),
        date().prop_map(Value::Date),
        datetime().prop_map(Value::DateTime),
        (any::<u32>(), prop::sample::select(TimeUnit::ALL.to_vec()))
            .prop_map(|(amount, unit)| Value::RelativeDate(RelativeDate { amount, unit })),
        Just(Value::None),
        Just(Value::Me),
    ]
}

fn text_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text_word().prop_map(Value::Word),
        phrase().prop_map(Value::Phrase),
        "[a-z0-9]{1,8}\\*".prop_map(Value::Wildcard),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop::sample::select(vec![Op::Eq, Op::Lt, Op::Le, Op::Gt, Op::Ge])
}

fn keyword_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            zendesk_query::keywords::KEYWORDS
                .iter()
                .map(|k| k.name.to_owned())
                .collect::<Vec<_>>()
        ),
        "[a-z_][a-z0-9_]{0,10}",
    ]
    .prop_filter("order_by/sort are not terms", |n| {
        n != "order_by" && n != "sort"
    })
}

fn term() -> impl Strategy<Value = Term> {
    let keyword = (keyword_name(), op(), keyword_value())
        .prop_map(|(name, op, value)| TermKind::Keyword { name, op, value });
    let text = text_value().prop_map(TermKind::Text);
    (any::<bool>(), prop_oneof![keyword, text]).prop_map(|(negated, kind)| Term { negated, kind })
}

fn query() -> impl Strategy<Value = Query> {
    (
        prop::collection::vec(term(), 0..8),
        prop::option::of("[a-z_][a-z0-9_]{0,10}"),
        prop::option::of(prop::sample::select(vec![SortOrder::Asc, SortOrder::Desc])),
    )
        .prop_map(|(terms, order_by, sort)| Query {
            terms,
            order_by,
            sort,
        })
}

/// One builder call, as data.
#[derive(Debug, Clone)]
enum Step {
    Eq(String, String),
    NotEq(String, String),
    Cmp(String, Op, u64),
    Date(String, Op, Date),
    Phrase(String),
    Word(String),
    NotWord(String),
    Prefix(String),
    Type(RecordType),
    Me(String),
}

fn step() -> impl Strategy<Value = Step> {
    let name =
        "[a-z_][a-z0-9_]{0,10}".prop_filter("not reserved", |n| n != "order_by" && n != "sort");
    prop_oneof![
        (name.clone(), any::<String>()).prop_map(|(k, v)| Step::Eq(k, v)),
        (name.clone(), any::<String>()).prop_map(|(k, v)| Step::NotEq(k, v)),
        (name.clone(), op(), any::<u64>()).prop_map(|(k, o, v)| Step::Cmp(k, o, v)),
        (name.clone(), op(), date()).prop_map(|(k, o, d)| Step::Date(k, o, d)),
        any::<String>().prop_map(Step::Phrase),
        any::<String>().prop_map(Step::Word),
        any::<String>().prop_map(Step::NotWord),
        "[a-z0-9]{1,6}".prop_map(Step::Prefix),
        prop::sample::select(RecordType::ALL.to_vec()).prop_map(Step::Type),
        name.prop_map(Step::Me),
    ]
}

fn apply(b: QueryBuilder, step: Step) -> QueryBuilder {
    match step {
        Step::Eq(k, v) => b.eq(&k, v),
        Step::NotEq(k, v) => b.not_eq(&k, v),
        Step::Cmp(k, o, v) => b.compare(&k, o, v),
        Step::Date(k, o, d) => b.compare(&k, o, d),
        Step::Phrase(p) => b.phrase(&p),
        Step::Word(w) => b.word(&w),
        Step::NotWord(w) => b.not_word(&w),
        Step::Prefix(p) => b.prefix(&p),
        Step::Type(t) => b.r#type(t),
        Step::Me(k) => b.eq(&k, QueryValue::Me),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn printed_asts_parse_back_to_themselves(q in query()) {
        let printed = q.to_string();
        let parsed = parse(&printed);
        prop_assert_eq!(parsed.as_ref(), Ok(&q), "printed as {:?}", printed);
    }

    #[test]
    fn builder_output_parses_to_what_was_built(steps in prop::collection::vec(step(), 0..8)) {
        let builder = steps.into_iter().fold(QueryBuilder::new(), apply);
        let built = builder.clone().build_query();
        prop_assert!(built.is_ok(), "builder refused: {:?}", built);
        let text = builder.build().unwrap_or_default();
        prop_assert_eq!(parse(&text), Ok(built.unwrap_or_default()), "built {:?}", text);
    }

    #[test]
    fn builder_text_values_survive_exactly(k in "[a-z][a-z_]{0,8}", v in any::<String>()) {
        // Whatever the text, it comes back as the same characters (typed or quoted).
        let text = QueryBuilder::new().eq(&k, v.clone()).build().unwrap_or_default();
        let parsed = parse(&text);
        prop_assert!(parsed.is_ok());
        let terms = parsed.map(|q| q.terms).unwrap_or_default();
        prop_assert_eq!(terms.len(), 1);
        match &terms[0].kind {
            TermKind::Keyword { value: Value::Word(w) | Value::Phrase(w), .. } => prop_assert_eq!(w, &v),
            TermKind::Keyword { value, .. } => prop_assert_eq!(value.to_string(), v),
            other => prop_assert!(false, "not a keyword: {:?}", other),
        }
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        if let Ok(q) = parse(&s) {
            // And what parses prints to something that parses again, to the same AST.
            prop_assert_eq!(parse(&q.to_string()), Ok(q));
        }
    }

    #[test]
    fn query_like_strings_never_panic(s in "[a-z:<>=\" *\\\\-]{0,40}") {
        if let Ok(q) = parse(&s) {
            prop_assert_eq!(parse(&q.to_string()), Ok(q));
        }
    }
}
