//! A bounded lexical pass over a GraphQL document, before any parser sees it.
//!
//! The parser recurses once per nesting level of lists, objects and
//! selection sets, so a 4 KB document nested 2,000 levels deep overflowed its
//! stack and aborted the process. This pass is a flat loop over the bytes:
//! it never recurses, stops at the first limit crossed, and costs O(length).
//! It counts tokens the way the GraphQL lexer does (names, numbers, strings,
//! punctuators; commas, white space and comments are ignored).

/// What a document may hold. Documented in README ("Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanLimits {
    pub max_bytes: usize,
    pub max_tokens: usize,
    /// Brackets, braces and parentheses open at once.
    pub max_nesting: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self {
            max_bytes: 64 * 1024,
            max_tokens: 10_000,
            max_nesting: 40,
        }
    }
}

/// Why a document was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanRefusal {
    TooLong { bytes: usize, max: usize },
    TooManyTokens { max: usize },
    TooDeep { max: usize },
}

impl ScanRefusal {
    pub fn message(&self) -> String {
        match self {
            Self::TooLong { bytes, max } => {
                format!("the document is {bytes} bytes; at most {max} are accepted")
            }
            Self::TooManyTokens { max } => {
                format!("the document has more than {max} tokens")
            }
            Self::TooDeep { max } => format!(
                "the document nests brackets, braces or parentheses more than {max} levels deep"
            ),
        }
    }
}

/// Checks `document` against `limits` without building anything.
pub fn scan(document: &str, limits: ScanLimits) -> Result<(), ScanRefusal> {
    let bytes = document.as_bytes();
    if bytes.len() > limits.max_bytes {
        return Err(ScanRefusal::TooLong {
            bytes: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let mut i = 0;
    let mut tokens = 0usize;
    let mut depth = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                i += 1;
                continue;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                    i += 1;
                }
                continue;
            }
            b'"' => i = skip_string(bytes, i),
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > limits.max_nesting {
                    return Err(ScanRefusal::TooDeep {
                        max: limits.max_nesting,
                    });
                }
                i += 1;
            }
            b'}' | b']' | b')' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'.' if bytes[i..].starts_with(b"...") => i += 3,
            b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => {
                i += 1;
                // Names and numbers (with fraction, exponent and sign) alike.
                while i < bytes.len()
                    && matches!(bytes[i], b'_' | b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'+')
                {
                    if bytes[i] == b'.' && bytes[i..].starts_with(b"...") {
                        break;
                    }
                    i += 1;
                }
            }
            // Any other punctuator, or a byte the parser will refuse itself.
            _ => i += 1,
        }
        tokens += 1;
        if tokens > limits.max_tokens {
            return Err(ScanRefusal::TooManyTokens {
                max: limits.max_tokens,
            });
        }
    }
    Ok(())
}

/// The index just past the string (or block string) starting at `start`.
/// An unterminated string runs to the end: the parser reports it.
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(open: &str, close: &str, depth: usize) -> String {
        format!(
            "{{ __typename(x: {}1{}) }}",
            open.repeat(depth),
            close.repeat(depth)
        )
    }

    #[test]
    fn deeply_nested_lists_and_objects_are_refused_without_recursion() {
        let limits = ScanLimits::default();
        for depth in [41, 2_000, 100_000] {
            let doc = nested("[", "]", depth);
            let refused = scan(
                &doc,
                ScanLimits {
                    max_bytes: usize::MAX,
                    ..limits
                },
            );
            assert_eq!(
                refused,
                Err(ScanRefusal::TooDeep { max: 40 }),
                "depth {depth}"
            );
        }
        let objects = format!("{{ f(a: {}1{}) }}", "{a: ".repeat(50), "}".repeat(50));
        assert!(matches!(
            scan(&objects, limits),
            Err(ScanRefusal::TooDeep { .. })
        ));
        assert_eq!(scan(&nested("[", "]", 30), limits), Ok(()));
    }

    #[test]
    fn brackets_inside_strings_and_comments_do_not_count() {
        let limits = ScanLimits {
            max_nesting: 3,
            ..ScanLimits::default()
        };
        let doc = format!(
            "{{ a(s: \"{}\", b: \"\"\"{} \\\"\"\" }}\"\"\") # {}\n }}",
            "[".repeat(100),
            "{".repeat(100),
            "(".repeat(100)
        );
        assert_eq!(scan(&doc, limits), Ok(()));
    }

    #[test]
    fn tokens_and_bytes_are_counted() {
        let many = format!("{{ {} }}", "a ".repeat(20));
        let limits = ScanLimits {
            max_tokens: 10,
            ..ScanLimits::default()
        };
        assert_eq!(
            scan(&many, limits),
            Err(ScanRefusal::TooManyTokens { max: 10 })
        );
        let commas = format!("{{ a{} }}", ",".repeat(1_000));
        assert_eq!(scan(&commas, limits), Ok(()));
        let long = "#".repeat(70 * 1024);
        assert!(matches!(
            scan(&long, ScanLimits::default()),
            Err(ScanRefusal::TooLong { .. })
        ));
    }

    #[test]
    fn an_unterminated_string_ends_the_scan_instead_of_looping() {
        assert_eq!(scan("{ a(s: \"open", ScanLimits::default()), Ok(()));
        assert_eq!(scan("{ a(s: \"\"\"open", ScanLimits::default()), Ok(()));
        assert_eq!(scan("\"\\", ScanLimits::default()), Ok(()));
    }
}
