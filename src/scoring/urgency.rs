//! Urgency language in chat, notes and activity summaries.
//!
//! A phrase counts when it appears as whole words and is not negated: a
//! negator ("not", "no", "never", or a word ending in "n't") within the
//! three words before it, in the same clause, cancels it. So "ready to buy"
//! counts and "we're not ready to buy" does not; "no rush" is not urgent.

/// The phrases that count, documented in the README.
pub const PHRASES: &[&str] = &[
    "asap",
    "as soon as possible",
    "urgent",
    "urgently",
    "right away",
    "immediately",
    "today",
    "tonight",
    "tomorrow",
    "this week",
    "this weekend",
    "by monday",
    "by tuesday",
    "by wednesday",
    "by thursday",
    "by friday",
    "by saturday",
    "by the weekend",
    "by end of week",
    "need it by",
    "need one by",
    "ready to buy",
    "ready to sign",
    "ready to order",
    "ready to move",
    "want to buy now",
];

const NEGATORS: &[&str] = &["not", "no", "never", "without", "nothing"];

fn is_negator(word: &str) -> bool {
    NEGATORS.contains(&word)
        || word.ends_with("n't")
        || word.ends_with("nt")
            && ["dont", "cant", "wont", "isnt", "arent", "wasnt"].contains(&word)
}

/// Words of each clause, lower-cased; punctuation other than apostrophes ends a clause.
fn clauses(text: &str) -> Vec<Vec<String>> {
    let lower = text.to_lowercase().replace('’', "'");
    lower
        .split(|c: char| {
            matches!(
                c,
                '.' | ',' | ';' | ':' | '!' | '?' | '\n' | '(' | ')' | '-'
            )
        })
        .map(|clause| {
            clause
                .split(|c: char| !(c.is_alphanumeric() || c == '\''))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect()
        })
        .collect()
}

/// The first urgency phrase the text uses without negating it.
pub fn detect(text: &str) -> Option<&'static str> {
    for words in clauses(text) {
        for phrase in PHRASES {
            let wanted: Vec<&str> = phrase.split(' ').collect();
            if wanted.len() > words.len() {
                continue;
            }
            for start in 0..=(words.len() - wanted.len()) {
                let matches = wanted
                    .iter()
                    .enumerate()
                    .all(|(i, w)| words[start + i] == *w);
                if !matches {
                    continue;
                }
                let negated = words[start.saturating_sub(3)..start]
                    .iter()
                    .any(|w| is_negator(w));
                if !negated {
                    return Some(phrase);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgent_phrases_count_as_whole_words() {
        assert_eq!(
            detect("We need it by Friday, we're ready to buy"),
            Some("by friday")
        );
        assert_eq!(detect("Can you call me ASAP?"), Some("asap"));
        assert_eq!(detect("Looking to close this week."), Some("this week"));
        assert_eq!(
            detect("Todays special"),
            None,
            "'today' inside another word does not count"
        );
    }

    #[test]
    fn negated_phrases_do_not_count() {
        assert_eq!(detect("We're not ready to buy, no rush"), None);
        assert_eq!(detect("No rush at all, maybe next quarter"), None);
        assert_eq!(detect("I don't need it this week"), None);
        assert_eq!(
            detect("Not ready to buy. But we need it by Friday!"),
            Some("by friday")
        );
    }
}
