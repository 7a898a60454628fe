//! Text from the database (or from the command line) on its way to a human: the one place
//! that decides how it is shown.
//!
//! Every text cell is untrusted. A registration number or a query id can hold an escape
//! sequence that retitles the terminal, a carriage return that overwrites the line, a
//! backspace that hides characters, a C1 `CSI` (U+009B) that some terminals obey like
//! `ESC [`, or a bidi override (U+202E) that makes `ABC\u{202e}FED-123` read `ABC321-DEF`.
//! The human-facing outputs (terminal table, Markdown, HTML, one-line error messages) show
//! such characters visibly escaped, as `git` and `ls -b` do; the data formats (CSV, JSON,
//! XLSX, OpenMetrics) keep the exact bytes. Which format is which is decided once, by an
//! exhaustive `match` (`Format::for_humans` in output/request.rs): a new format does not compile until
//! it is placed, and the tests run every human-facing format over hostile cells.
//!
//! The escaped form is a type, [`Visible`]: it can only be built by escaping, so a renderer
//! that holds one holds text with no [hidden](is_hidden) character in it.
//!
//! Hidden characters and how they are shown:
//! - C0 controls, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F): `\0`, `\t`, `\n`,
//!   `\r`, else `\u{1b}`; a line break (`\n`, or `\r\n`) is kept where the output allows
//!   several lines ([`Visible::text`]);
//! - bidi controls: the embeddings and overrides U+202A–U+202E, the isolates U+2066–U+2069,
//!   the marks U+200E, U+200F and U+061C;
//! - invisible characters that have no business in an id: U+200B (zero-width space),
//!   U+2060–U+2064, U+206A–U+206F, U+FEFF (byte order mark), U+FFF9–U+FFFB, and the line
//!   and paragraph separators U+2028 and U+2029. The joiners U+200C and U+200D are kept:
//!   emoji and several scripts need them, and they move nothing.

use std::borrow::Cow;
use std::fmt;

use crate::reports::Cell;

/// True for a character a human-facing output never shows as is (see the module's list).
pub fn is_hidden(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{61c}'
            | '\u{200b}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{2028}'..='\u{202e}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}'
            | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}'
    )
}

/// How line breaks are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Breaks {
    /// Kept as `\n` (`\r\n` becomes `\n`; a lone `\r` is escaped).
    Keep,
    /// Escaped as `\n` and `\r`: the text stays on one line.
    Escape,
}

/// Appends `c`, escaped when it is hidden.
fn push(out: &mut String, c: char) {
    match c {
        '\0' => out.push_str("\\0"),
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if is_hidden(c) => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
        c => out.push(c),
    }
}

fn escape(text: &str, breaks: Breaks) -> Cow<'_, str> {
    if !text.chars().any(|c| is_hidden(c) && !(breaks == Breaks::Keep && c == '\n')) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, breaks) {
            ('\n', Breaks::Keep) => out.push('\n'),
            ('\r', Breaks::Keep) if chars.peek() == Some(&'\n') => {}
            (c, _) => push(&mut out, c),
        }
    }
    Cow::Owned(out)
}

/// Text a person may be shown: no [hidden](is_hidden) character, except line breaks where
/// they were asked for ([`Visible::text`]). Built only by escaping.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Visible(String);

impl Visible {
    /// `text` with hidden characters escaped; its line breaks (`\n`, `\r\n`) kept as `\n`.
    pub fn text(text: &str) -> Visible {
        Visible(escape(text, Breaks::Keep).into_owned())
    }

    /// `text` on one line: hidden characters and line breaks escaped.
    pub fn line(text: &str) -> Visible {
        Visible(escape(text, Breaks::Escape).into_owned())
    }

    /// The escaped text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The escaped text, owned.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Visible {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A cell as a human-facing output shows it (`None` for NULL): its plain text
/// ([`super::plain`], `decimal` as separator) with hidden characters escaped.
pub(crate) fn cell(cell: &Cell, decimal: char) -> Option<Visible> {
    super::plain(cell, decimal).map(|t| Visible::text(&t))
}

/// A value for a one-line message: as is, or between double quotes with hidden characters,
/// `"` and `\` escaped (`"a\nb"`, `"x\u{1b}[31m"`) when it holds a hidden character, so the
/// message stays one line and nothing in it reaches the terminal as a control.
pub(crate) fn quoted(text: &str) -> String {
    if !text.chars().any(is_hidden) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 10);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c => push(&mut out, c),
        }
    }
    out.push('"');
    out
}

/// Text for a Markdown table cell that renders as the same text and nothing else: hidden
/// characters escaped ([`Visible::text`]); `<`, `>` and `&` as entities (no tag, no
/// autolink, no entity from the data); the ASCII punctuation that makes inline markup
/// (`` \ ` * _ [ ] ( ) ! ~ | ``) backslash-escaped, so no link, image, code span, emphasis or
/// column break can form; a line break as `<br>`.
pub fn markdown(text: &str) -> String {
    let visible = Visible::text(text);
    let mut out = String::with_capacity(visible.0.len() + 8);
    for c in visible.0.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\n' => out.push_str("<br>"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '!' | '~' | '|' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hidden_characters_are_shown_escaped() {
        assert_eq!(Visible::line("ABC\u{202e}FED-123").as_str(), "ABC\\u{202e}FED-123");
        assert_eq!(Visible::line("\u{1b}]0;pwned\u{7}").as_str(), "\\u{1b}]0;pwned\\u{7}");
        assert_eq!(Visible::line("a\r\nb\tc\0\u{9b}2J\u{7f}").as_str(), "a\\r\\nb\\tc\\0\\u{9b}2J\\u{7f}");
        assert_eq!(Visible::text("a\r\nb\nc\rd").as_str(), "a\nb\nc\\rd");
        assert_eq!(Visible::text("MI-1234 · Àèìòù 😀 👨\u{200d}👩").as_str(), "MI-1234 · Àèìòù 😀 👨\u{200d}👩");
        assert_eq!(quoted("plain/path"), "plain/path");
        assert_eq!(quoted("a\nb\"\\"), "\"a\\nb\\\"\\\\\"");
        assert_eq!(quoted("x\u{2066}y"), "\"x\\u{2066}y\"");
    }

    #[test]
    fn markdown_cells_make_no_markup() {
        assert_eq!(markdown("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert\\(1\\)&gt;");
        assert_eq!(markdown("[x](javascript:alert(1))"), "\\[x\\]\\(javascript:alert\\(1\\)\\)");
        assert_eq!(markdown("a|b\r\nc `d` *e* _f_ &amp;"), "a\\|b<br>c \\`d\\` \\*e\\* \\_f\\_ &amp;amp;");
    }

    /// Strings rich in what the escaping is about: controls, bidi, markup, and ordinary text.
    fn hostile() -> impl Strategy<Value = String> {
        let special = prop::sample::select(vec![
            '\0', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}', '\u{9c}', '\u{61c}',
            '\u{200b}', '\u{200d}', '\u{200e}', '\u{200f}', '\u{2028}', '\u{2029}', '\u{202a}', '\u{202b}', '\u{202c}',
            '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}', '\u{feff}', '<', '>', '&', '[',
            ']', '(', ')', '!', '|', '`', '*', '_', '\\', '"', ' ', 'é', 'א',
        ]);
        prop::collection::vec(prop_oneof![special, any::<char>(), prop::char::range(' ', '~')], 0..40)
            .prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// No hidden character survives, line breaks only where kept, and every ordinary
        /// character is still there in order.
        #[test]
        fn escaped_text_holds_no_hidden_character(s in hostile()) {
            let line = Visible::line(&s);
            prop_assert!(!line.as_str().chars().any(is_hidden), "{:?} -> {:?}", s, line);
            let text = Visible::text(&s);
            prop_assert!(!text.as_str().chars().any(|c| is_hidden(c) && c != '\n'), "{:?} -> {:?}", s, text);
            // Every ordinary character is still shown, in order.
            let mut shown = line.as_str().chars();
            for c in s.chars().filter(|c| !is_hidden(*c)) {
                prop_assert!(shown.any(|d| d == c), "{:?} lost {:?} in {:?}", s, c, line);
            }
            let q = quoted(&s);
            prop_assert!(!q.chars().any(is_hidden), "{:?} -> {:?}", s, q);
            if !s.chars().any(is_hidden) {
                prop_assert_eq!(line.as_str(), s.as_str());
                prop_assert_eq!(q, s.clone());
            }
        }

        /// A Markdown cell holds no hidden character, no `<` or `>`, no unescaped `](`, and
        /// every markup character is escaped.
        #[test]
        fn markdown_text_holds_no_markup(s in hostile()) {
            let md = markdown(&s);
            prop_assert!(!md.chars().any(is_hidden), "{:?} -> {:?}", s, md);
            let without_breaks = md.replace("<br>", "");
            prop_assert!(!without_breaks.contains(['<', '>']), "{:?} -> {:?}", s, md);
            prop_assert!(!md.contains("]("), "{:?} -> {:?}", s, md);
            // Every markup character is preceded by an odd number of backslashes.
            let chars: Vec<char> = md.chars().collect();
            for (i, c) in chars.iter().enumerate() {
                if matches!(c, '`' | '*' | '_' | '[' | ']' | '(' | ')' | '!' | '~' | '|') {
                    let slashes = chars[..i].iter().rev().take_while(|p| **p == '\\').count();
                    prop_assert!(slashes % 2 == 1, "{:?} -> {:?} at {}", s, md, i);
                }
            }
        }
    }
}
