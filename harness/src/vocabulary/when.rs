//! Expressions over a scenario's parameters, for specs whose expected diagnosis depends on them
//! (tier-1 fuzzing checks the diagnosis against it at random parameter points).
//!
//! The grammar is deliberately tiny: integers, parameter names, `+ - *`, comparisons
//! (`< <= > >= == !=`), `and`, `or`, `not` and parentheses, e.g. `capacity >= items` or
//! `items - capacity`. A name that is not a parameter of the scenario is an error when the spec
//! loads, so a typo cannot silently make a rule vacuous.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed expression; comparisons are 1 (true) or 0 (false).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Int(i64),
    Param(String),
    Not(Box<Expr>),
    Binary(Box<Expr>, BinOp, Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Add,
    Sub,
    Mul,
}

impl BinOp {
    fn symbol(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Int(n) => write!(f, "{n}"),
            Expr::Param(p) => f.write_str(p),
            Expr::Not(e) => write!(f, "not ({e})"),
            Expr::Binary(a, op, b) => write!(f, "({a} {} {b})", op.symbol()),
        }
    }
}

/// Parses `text`; every name must be one of `params`.
pub fn parse(text: &str, params: &[&str]) -> Result<Expr, String> {
    let tokens = tokenize(text)?;
    let mut parser = Parser {
        tokens: &tokens,
        at: 0,
        params,
    };
    let expr = parser.or()?;
    match parser.tokens.get(parser.at) {
        None => Ok(expr),
        Some(t) => Err(format!("unexpected {t:?} in {text:?}")),
    }
}

impl Expr {
    /// The value at these parameter values (each name was checked at parse time).
    pub fn eval(&self, params: &BTreeMap<String, i64>) -> i64 {
        match self {
            Expr::Int(n) => *n,
            Expr::Param(p) => params.get(p).copied().unwrap_or(0),
            Expr::Not(e) => (e.eval(params) == 0) as i64,
            Expr::Binary(a, op, b) => {
                let (a, b) = (a.eval(params), b.eval(params));
                match op {
                    BinOp::Or => (a != 0 || b != 0) as i64,
                    BinOp::And => (a != 0 && b != 0) as i64,
                    BinOp::Lt => (a < b) as i64,
                    BinOp::Le => (a <= b) as i64,
                    BinOp::Gt => (a > b) as i64,
                    BinOp::Ge => (a >= b) as i64,
                    BinOp::Eq => (a == b) as i64,
                    BinOp::Ne => (a != b) as i64,
                    BinOp::Add => a.saturating_add(b),
                    BinOp::Sub => a.saturating_sub(b),
                    BinOp::Mul => a.saturating_mul(b),
                }
            }
        }
    }
}

fn tokenize(text: &str) -> Result<Vec<String>, String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
        } else if i + 1 < chars.len()
            && ["<=", ">=", "==", "!="].contains(&&*format!("{c}{}", chars[i + 1]))
        {
            tokens.push(format!("{c}{}", chars[i + 1]));
            i += 2;
        } else if "<>+-*()".contains(c) {
            tokens.push(c.to_string());
            i += 1;
        } else {
            return Err(format!("unexpected {c:?} in {text:?}"));
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [String],
    at: usize,
    params: &'a [&'a str],
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.at).map(String::as_str)
    }

    fn binary(
        &mut self,
        ops: &[(&str, BinOp)],
        next: fn(&mut Self) -> Result<Expr, String>,
    ) -> Result<Expr, String> {
        let mut left = next(self)?;
        while let Some(&(_, op)) = ops.iter().find(|(s, _)| Some(*s) == self.peek()) {
            self.at += 1;
            left = Expr::Binary(Box::new(left), op, Box::new(next(self)?));
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Expr, String> {
        self.binary(&[("or", BinOp::Or)], Self::and)
    }

    fn and(&mut self) -> Result<Expr, String> {
        self.binary(&[("and", BinOp::And)], Self::compare)
    }

    fn compare(&mut self) -> Result<Expr, String> {
        self.binary(
            &[
                ("<", BinOp::Lt),
                ("<=", BinOp::Le),
                (">", BinOp::Gt),
                (">=", BinOp::Ge),
                ("==", BinOp::Eq),
                ("!=", BinOp::Ne),
            ],
            Self::sum,
        )
    }

    fn sum(&mut self) -> Result<Expr, String> {
        self.binary(&[("+", BinOp::Add), ("-", BinOp::Sub)], Self::product)
    }

    fn product(&mut self) -> Result<Expr, String> {
        self.binary(&[("*", BinOp::Mul)], Self::atom)
    }

    fn atom(&mut self) -> Result<Expr, String> {
        let token = self
            .peek()
            .ok_or("the expression ends too early")?
            .to_string();
        self.at += 1;
        if token == "(" {
            let inner = self.or()?;
            if self.peek() != Some(")") {
                return Err("a '(' is not closed".into());
            }
            self.at += 1;
            return Ok(inner);
        }
        if token == "not" {
            return Ok(Expr::Not(Box::new(self.atom()?)));
        }
        if let Ok(n) = token.parse::<i64>() {
            return Ok(Expr::Int(n));
        }
        if self.params.contains(&token.as_str()) {
            return Ok(Expr::Param(token));
        }
        Err(format!(
            "{token:?} is not a parameter of this scenario (its parameters: {})",
            if self.params.is_empty() {
                "none".to_string()
            } else {
                self.params.join(", ")
            }
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(text: &str, values: &[(&str, i64)]) -> i64 {
        let names: Vec<&str> = values.iter().map(|(n, _)| *n).collect();
        let params = values.iter().map(|(n, v)| (n.to_string(), *v)).collect();
        parse(text, &names).unwrap().eval(&params)
    }

    #[test]
    fn arithmetic_and_comparisons_follow_precedence() {
        let at = [("capacity", 2), ("items", 5)];
        assert_eq!(eval("items - capacity", &at), 3);
        assert_eq!(eval("capacity >= items", &at), 0);
        assert_eq!(eval("capacity + 3 >= items and not (items == 4)", &at), 1);
        assert_eq!(eval("1 + 2 * 3", &at), 7);
        assert_eq!(eval("items < 1 or capacity != 2", &at), 0);
    }

    #[test]
    fn unknown_names_and_bad_syntax_are_errors() {
        assert_eq!(
            parse("itmes - 1", &["items"]).unwrap_err(),
            "\"itmes\" is not a parameter of this scenario (its parameters: items)"
        );
        assert!(
            parse("items -", &["items"])
                .unwrap_err()
                .contains("ends too early")
        );
        assert!(
            parse("(items", &["items"])
                .unwrap_err()
                .contains("not closed")
        );
        assert!(
            parse("items % 2", &["items"])
                .unwrap_err()
                .contains("unexpected '%'")
        );
        assert!(
            parse("items items", &["items"])
                .unwrap_err()
                .contains("unexpected")
        );
    }
}
