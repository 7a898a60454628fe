//! The expectations' grammar (module docs of [`super`]): a lexer and a recursive-descent
//! parser whose errors name the expression, the column and the token at fault, and suggest
//! the nearest known name; and `--expect-file`'s reader.

use std::path::Path;

use super::*;

fn metric_names() -> Vec<&'static str> {
    totals::SECTION.columns.iter().map(|c| c.name).chain(LATENCY_METRICS).collect()
}

/// The known name nearest to `word`.
fn nearest<'a>(word: &str, known: &[&'a str]) -> &'a str {
    known.iter().copied().min_by_key(|k| strsim::levenshtein(word, k)).unwrap_or("")
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Num(f64),
    Op(Op),
    Open,
    Close,
}

/// A token with its 1-based column and its text.
type Token = (usize, Tok, String);

/// Tokens with their 1-based column.
fn lex(text: &str) -> std::result::Result<Vec<Token>, (usize, String)> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
            Tok::Word(chars[start..i].iter().collect())
        } else if c.is_ascii_digit() || ((c == '-' || c == '+' || c == '.') && i + 1 < chars.len()) {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let s: String = chars[start..i].iter().collect();
            match s.parse::<f64>() {
                Ok(v) if v.is_finite() => Tok::Num(v),
                _ => return Err((start + 1, s)),
            }
        } else if c == '(' {
            i += 1;
            Tok::Open
        } else if c == ')' {
            i += 1;
            Tok::Close
        } else if "<>=!".contains(c) {
            let two = chars.get(i + 1) == Some(&'=');
            let op = match (c, two) {
                ('<', true) => Op::Le,
                ('<', false) => Op::Lt,
                ('>', true) => Op::Ge,
                ('>', false) => Op::Gt,
                ('=', true) => Op::Eq,
                ('!', true) => Op::Ne,
                _ => return Err((start + 1, c.to_string())),
            };
            i += if two { 2 } else { 1 };
            Tok::Op(op)
        } else {
            return Err((start + 1, c.to_string()));
        };
        out.push((start + 1, tok, chars[start..i].iter().collect()));
    }
    Ok(out)
}

/// Parses one expectation; the error is a usage error naming the expression, the column and
/// token at fault, and the nearest known name where one helps.
pub fn parse(text: &str, level: Level) -> Result<Expectation> {
    let text = text.trim();
    let flag = match level {
        Level::Expect => "--expect",
        Level::Warn => "--warn",
    };
    let err = |col: usize, msg: String| Error::Usage(format!("{flag} '{text}': column {col}: {msg}"));
    let toks = lex(text).map_err(|(col, tok)| err(col, format!("unexpected `{tok}`")))?;
    let mut p = Parser { toks: &toks, i: 0, end: text.chars().count() + 1 };
    let (term, op, threshold) = p.comparison().map_err(|(c, m)| err(c, m))?;
    let guard = match p.next() {
        None => None,
        Some((_, Tok::Word(w), _)) if w == "when" => {
            let g = p.comparison().map_err(|(c, m)| err(c, m))?;
            if let Some((col, _, raw)) = p.next() {
                return Err(err(*col, format!("unexpected `{raw}` after the guard")));
            }
            Some(g)
        }
        Some((col, _, raw)) => return Err(err(*col, format!("unexpected `{raw}`; expected the end or `when …`"))),
    };
    Ok(Expectation { text: text.to_string(), level, term, op, threshold, guard })
}

struct Parser<'a> {
    toks: &'a [Token],
    i: usize,
    end: usize,
}

type PResult<T> = std::result::Result<T, (usize, String)>;

impl<'a> Parser<'a> {
    fn next(&mut self) -> Option<&'a Token> {
        let t = self.toks.get(self.i);
        self.i += 1;
        t
    }

    fn expect_tok(&mut self, want: &str) -> PResult<&'a Token> {
        let end = self.end;
        self.next().ok_or((end, format!("expected {want} at the end")))
    }

    fn comparison(&mut self) -> PResult<(Term, Op, f64)> {
        let term = self.term()?;
        let op = match self.expect_tok("a comparison (< <= == != >= >)")? {
            (_, Tok::Op(op), _) => *op,
            (col, _, raw) => return Err((*col, format!("expected a comparison (< <= == != >= >), found `{raw}`"))),
        };
        let n = match self.expect_tok("a number")? {
            (_, Tok::Num(n), _) => *n,
            (col, _, raw) => return Err((*col, format!("expected a number, found `{raw}`"))),
        };
        Ok((term, op, n))
    }

    fn metric(&self, col: usize, word: &str) -> PResult<&'static str> {
        let known = metric_names();
        known
            .iter()
            .copied()
            .find(|k| *k == word)
            .ok_or_else(|| (col, format!("unknown metric `{word}`; did you mean `{}`?", nearest(word, &known))))
    }

    fn term(&mut self) -> PResult<Term> {
        let (col, word) = match self.expect_tok("a metric")? {
            (col, Tok::Word(w), _) => (*col, w.clone()),
            (col, _, raw) => return Err((*col, format!("expected a metric, found `{raw}`"))),
        };
        let is_call = matches!(self.toks.get(self.i), Some((_, Tok::Open, _)));
        if !is_call {
            let m = self.metric(col, &word)?;
            return Ok(if LATENCY_METRICS.contains(&m) { Term::Latency(m) } else { Term::Total(m) });
        }
        const FUNCS: [&str; 4] = ["wow_pp", "wow_pct", "min", "max"];
        if !FUNCS.contains(&word.as_str()) {
            return Err((col, format!("unknown function `{word}`; did you mean `{}`?", nearest(&word, &FUNCS))));
        }
        self.next(); // (
        let (acol, arg) = match self.expect_tok("a metric")? {
            (c, Tok::Word(w), _) => (*c, w.clone()),
            (c, _, raw) => return Err((*c, format!("expected a metric, found `{raw}`"))),
        };
        let term = match word.as_str() {
            "min" | "max" => {
                if arg != "experts.faq_rate_pct" {
                    return Err((acol, format!("{word}() applies to `experts.faq_rate_pct`, not `{arg}`")));
                }
                Term::ExpertRate { max: word == "max" }
            }
            _ => {
                let m = self.metric(acol, &arg)?;
                if LATENCY_METRICS.contains(&m) {
                    return Err((
                        acol,
                        format!("{word}() compares totals with the previous period; `{m}` is a latency"),
                    ));
                }
                if word == "wow_pp" {
                    Term::WowPp(m)
                } else {
                    Term::WowPct(m)
                }
            }
        };
        match self.expect_tok("`)`")? {
            (_, Tok::Close, _) => Ok(term),
            (c, _, raw) => Err((*c, format!("expected `)`, found `{raw}`"))),
        }
    }
}

/// Reads `--expect-file`: one expectation a line; `#` starts a comment; blank lines skipped.
pub(crate) fn read_file(path: &Path) -> Result<Vec<Expectation>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| Error::Usage(format!("--expect-file {}: {e}", path.display())))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        out.push(parse(line, Level::Expect).map_err(|e| match e {
            Error::Usage(m) => Error::Usage(format!("--expect-file {} line {}: {m}", path.display(), n + 1)),
            other => other,
        })?);
    }
    Ok(out)
}
