//! The read phase of an import: every line parsed and checked
//! ([`super::line`]), duplicates within the file found, and every customer
//! compared with the accounts already stored, before anything is written.
//! A username belongs to one `sub` and a `sub` to one username
//! (`login/user.rs`), in the file and across the store; a line that would
//! break that is an error here, not a failed write later.
//!
//! Problems are reported with their line number (1-based, as editors
//! count) and the JSON path of the member; at most [`MAX_REPORTED`] are
//! kept, and the total is counted.

use super::line::{self, Credential, ImportRecord};
use crate::config::LoginConfig;
use crate::login::user::UserRecord;
use crate::store::keys::Index;
use crate::store::kv::KvError;
use crate::store::repo::{Repo, ops};
use std::collections::HashMap;
use std::fmt;
use std::io::{BufRead, Read};

/// Problems kept for the report; the rest are only counted.
pub const MAX_REPORTED: usize = 20;
/// Most customers in one file. The checked records are held in memory
/// between the two phases: 100,000 customers of 1.1 KB lines took 250 MB
/// of RSS (docs/PERFORMANCE.md), so the bound keeps an import under about
/// 700 MB.
pub const MAX_RECORDS: usize = 250_000;
/// Customers compared with the store per read transaction.
const READ_CHUNK: usize = 1000;

/// One problem of one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineProblem {
    /// 1-based line number.
    pub line: usize,
    /// JSON path of the member (`$`: the line as a whole).
    pub path: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path == "$" {
            write!(f, "line {}: {}", self.line, self.problem)
        } else {
            write!(f, "line {}: {}: {}", self.line, self.path, self.problem)
        }
    }
}

/// Why a file was refused: the first problems and how many there were.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rejected {
    /// The first [`MAX_REPORTED`] problems, in line order.
    pub problems: Vec<LineProblem>,
    /// Every problem found.
    pub total: usize,
}

impl Rejected {
    fn push(&mut self, problem: LineProblem) {
        self.total += 1;
        if self.problems.len() < MAX_REPORTED {
            self.problems.push(problem);
        }
    }

    fn at(&mut self, line: usize, path: &str, problem: impl Into<String>) {
        self.push(LineProblem {
            line,
            path: path.to_owned(),
            problem: problem.into(),
        });
    }
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "nothing was imported: {} problem{} found",
            self.total,
            if self.total == 1 { "" } else { "s" }
        )?;
        for p in &self.problems {
            writeln!(f, "  {p}")?;
        }
        if self.total > self.problems.len() {
            writeln!(f, "  ... and {} more", self.total - self.problems.len())?;
        }
        Ok(())
    }
}

impl std::error::Error for Rejected {}

/// A checked customer and the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// 1-based line number.
    pub line: usize,
    /// The customer.
    pub record: ImportRecord,
}

/// Parses every line of `input` (blank lines are skipped) and checks the
/// file on its own: each line's record, duplicate usernames and `sub`s.
/// Fails with every problem (up to the bound) or an I/O error.
pub fn parse_file(
    input: impl BufRead,
    config: &LoginConfig,
) -> Result<Result<Vec<Checked>, Rejected>, std::io::Error> {
    let mut rejected = Rejected::default();
    let mut out = Vec::new();
    let mut usernames: HashMap<String, usize> = HashMap::new();
    let mut subs: HashMap<String, usize> = HashMap::new();
    let mut lines = BoundedLines::new(input);
    let mut number = 0;
    while let Some(read) = lines.next_line()? {
        number += 1;
        let text = match read {
            Line::Text(text) => text,
            Line::TooLong => {
                rejected.at(
                    number,
                    "$",
                    format!("the line is longer than {} bytes", line::MAX_LINE_BYTES),
                );
                continue;
            }
            Line::NotUtf8 => {
                rejected.at(number, "$", "is not UTF-8");
                continue;
            }
        };
        if text.trim().is_empty() {
            continue;
        }
        if out.len() + rejected.total >= MAX_RECORDS {
            rejected.at(
                number,
                "$",
                format!("the file holds more than {MAX_RECORDS} customers: split it"),
            );
            break;
        }
        let record = match line::parse(&text, config) {
            Ok(record) => record,
            Err(problems) => {
                for p in problems {
                    rejected.at(number, &p.path, p.problem);
                }
                continue;
            }
        };
        if let Some(first) = usernames.insert(record.user.username.clone(), number) {
            usernames.insert(record.user.username.clone(), first);
            rejected.at(
                number,
                "username",
                format!(
                    "`{}` is also on line {first} (usernames compare trimmed and lower-cased)",
                    record.user.username
                ),
            );
            continue;
        }
        if let Some(first) = subs.insert(record.user.account_id.clone(), number) {
            subs.insert(record.user.account_id.clone(), first);
            rejected.at(
                number,
                "sub",
                format!("`{}` is also on line {first}", record.user.account_id),
            );
            continue;
        }
        out.push(Checked { line: number, record });
    }
    Ok(if rejected.total == 0 {
        Ok(out)
    } else {
        Err(rejected)
    })
}

/// Compares `checked` with the accounts in `repo` at `now`: a username
/// stored under another `sub`, a `sub` stored under another username, and a
/// new account without a password are problems. Reads in chunks, one
/// transaction each; writes nothing.
pub async fn against_store(
    repo: &Repo,
    checked: &[Checked],
    now: u64,
) -> Result<Result<(), Rejected>, KvError> {
    let mut rejected = Rejected::default();
    for chunk in checked.chunks(READ_CHUNK) {
        let found = repo
            .store()
            .run(|tx, _| async move {
                let mut found = Vec::with_capacity(chunk.len());
                for c in chunk {
                    let user = &c.record.user;
                    let by_name = ops::find::<UserRecord>(&tx, &user.username, now).await?;
                    let by_sub =
                        ops::find_by_index::<UserRecord>(&tx, Index::User, &user.account_id, now, 2).await?;
                    found.push((
                        by_name.map(|f| f.payload.account_id),
                        by_sub.into_iter().map(|f| f.payload.username).collect::<Vec<_>>(),
                    ));
                }
                Ok(found)
            })
            .await?;
        for (c, (stored_sub, stored_names)) in chunk.iter().zip(found) {
            let user = &c.record.user;
            if let Some(other) = stored_sub.as_deref().filter(|s| *s != user.account_id) {
                rejected.at(
                    c.line,
                    "username",
                    format!(
                        "`{}` belongs to another account in the store (sub `{other}`)",
                        user.username
                    ),
                );
            } else if let Some(other) = stored_names.iter().find(|n| **n != user.username) {
                rejected.at(
                    c.line,
                    "sub",
                    format!(
                        "`{}` already has the username `{other}` in the store (renaming is delete and create)",
                        user.account_id
                    ),
                );
            } else if stored_sub.is_none() && c.record.credential == Credential::Keep {
                rejected.at(
                    c.line,
                    "password",
                    "a new account needs password or password_hash",
                );
            }
        }
    }
    Ok(if rejected.total == 0 {
        Ok(())
    } else {
        Err(rejected)
    })
}

/// One line as read.
enum Line {
    Text(String),
    TooLong,
    NotUtf8,
}

/// Lines of at most [`line::MAX_LINE_BYTES`], without holding a longer one
/// in memory.
struct BoundedLines<R> {
    input: R,
}

impl<R: BufRead> BoundedLines<R> {
    fn new(input: R) -> Self {
        Self { input }
    }

    fn next_line(&mut self) -> Result<Option<Line>, std::io::Error> {
        let mut buf = Vec::new();
        let limit = (line::MAX_LINE_BYTES + 2) as u64;
        let read = self.input.by_ref().take(limit).read_until(b'\n', &mut buf)?;
        if read == 0 {
            return Ok(None);
        }
        if buf.last() != Some(&b'\n') && buf.len() as u64 == limit {
            // Skip the rest of the line.
            loop {
                let available = self.input.fill_buf()?;
                if available.is_empty() {
                    break;
                }
                match available.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        self.input.consume(i + 1);
                        break;
                    }
                    None => {
                        let n = available.len();
                        self.input.consume(n);
                    }
                }
            }
            return Ok(Some(Line::TooLong));
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        if buf.len() > line::MAX_LINE_BYTES {
            return Ok(Some(Line::TooLong));
        }
        Ok(Some(String::from_utf8(buf).map_or(Line::NotUtf8, Line::Text)))
    }
}
