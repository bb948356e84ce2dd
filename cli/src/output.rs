//! Where `cws` writes, with cargo's manners: colours only where wanted (`--color`, `NO_COLOR`,
//! `CLICOLOR_FORCE`, terminals; decided by `anstream`), a closed pipe ends the command quietly
//! (`cws routes | head`), user text cannot drive the terminal (control characters escaped), tables
//! fit the terminal's width, and long steps say what they do and how long they took.

use std::borrow::Cow;
use std::fmt;
use std::io::Write;
use std::time::{Duration, Instant};

use anstyle::{AnsiColor, Style};

/// Writes one formatted line to stdout (`outln!()`, `outln!("{x}")`), ending quietly on a closed pipe.
macro_rules! outln {
    () => { $crate::output::write_out(format_args!("\n")) };
    ($($arg:tt)*) => { $crate::output::write_out(format_args!("{}\n", format_args!($($arg)*))) };
}

/// Writes formatted text to stdout, ending quietly on a closed pipe.
macro_rules! out {
    ($($arg:tt)*) => { $crate::output::write_out(format_args!($($arg)*)) };
}

/// Writes one formatted line to stderr, ending quietly on a closed pipe.
macro_rules! errln {
    ($($arg:tt)*) => { $crate::output::write_err(format_args!("{}\n", format_args!($($arg)*))) };
}

pub(crate) use {errln, out, outln};

/// When to colour the output (`--color`).
#[derive(Clone, Copy, Debug, Default, clap::ValueEnum)]
pub enum ColorWhen {
    /// On terminals, unless `NO_COLOR` is set (`CLICOLOR_FORCE` forces it).
    #[default]
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Applies `--color` to every stream of the process.
pub fn set_color(when: ColorWhen) {
    let choice = match when {
        ColorWhen::Auto => anstream::ColorChoice::Auto,
        ColorWhen::Always => anstream::ColorChoice::Always,
        ColorWhen::Never => anstream::ColorChoice::Never,
    };
    choice.write_global();
}

/// Whether stdout gets colours (the diagnostics renderer styles only then).
pub fn stdout_colored() -> bool {
    !matches!(anstream::AutoStream::choice(&std::io::stdout()), anstream::ColorChoice::Never)
}

/// Whether stderr gets colours.
pub fn stderr_colored() -> bool {
    !matches!(anstream::AutoStream::choice(&std::io::stderr()), anstream::ColorChoice::Never)
}

fn write_to(mut stream: impl Write, args: fmt::Arguments<'_>) {
    if let Err(e) = stream.write_fmt(args).and_then(|()| stream.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            // The reader is gone (`cws routes | head`): nothing left to say, and nobody to say it to.
            std::process::exit(0);
        }
    }
}

/// Writes to stdout (colours stripped when not wanted); a closed pipe ends the process quietly.
pub fn write_out(args: fmt::Arguments<'_>) {
    write_to(anstream::stdout().lock(), args);
}

/// Writes to stderr (colours stripped when not wanted); a closed pipe ends the process quietly.
pub fn write_err(args: fmt::Arguments<'_>) {
    write_to(anstream::stderr().lock(), args);
}

/// `text` with the characters that could drive a terminal (controls, bidirectional overrides)
/// written as escapes; newlines and tabs kept.
pub fn escape(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars().map(|c| if is_unsafe(c) { c.escape_unicode().to_string() } else { c.into() }).collect(),
    )
}

/// `text` with every unsafe character replaced by as many `?` as its UTF-8 bytes, so byte offsets
/// into it stay valid (source excerpts under carets).
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| if is_unsafe(c) { "?".repeat(c.len_utf8()) } else { c.into() }).collect())
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t' && c != '\r')
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}')
}

/// The width of the terminal stdout writes to; `None` when it is not a terminal (a pipe, a file):
/// then nothing is wrapped.
pub fn stdout_width() -> Option<u16> {
    terminal_size::terminal_size_of(std::io::stdout()).map(|(w, _)| w.0)
}

/// The width of the terminal stderr writes to, if it is one.
pub fn stderr_width() -> Option<u16> {
    terminal_size::terminal_size_of(std::io::stderr()).map(|(w, _)| w.0)
}

/// A table without borders, columns aligned, fitted to `width` by wrapping the widest cells
/// (nothing wrapped without a width).
pub fn table(header: &[&str], rows: Vec<Vec<String>>, width: Option<u16>) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::NOTHING);
    t.set_header(header.iter().map(|h| h.to_uppercase()));
    for row in rows {
        t.add_row(row.iter().map(|c| escape(c).into_owned()));
    }
    match width {
        Some(w) => {
            t.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            t.set_width(w);
        }
        None => {
            t.set_content_arrangement(comfy_table::ContentArrangement::Disabled);
        }
    }
    // Cells are padded by one space on each side; lines keep no trailing spaces.
    t.to_string().lines().map(|l| l.trim_end().strip_prefix(' ').unwrap_or(l.trim_end())).fold(
        String::new(),
        |mut out, l| {
            out.push_str(l);
            out.push('\n');
            out
        },
    )
}

/// A style, as cargo colours its status lines.
pub fn status_style() -> Style {
    Style::new().bold().fg_color(Some(AnsiColor::Green.into()))
}

/// A step of a long command (`Building billing`, `Applying stage dev`): says on stderr when it
/// starts and, with its duration, when it is done.
pub struct Step {
    what: String,
    start: Instant,
}

impl Step {
    /// Starts a step: `verb` as cargo writes its status (`Building`), right-aligned, then `what`.
    pub fn start(verb: &str, what: impl Into<String>) -> Step {
        let what = what.into();
        let s = status_style();
        errln!("{s}{verb:>12}{s:#} {}", escape(&what));
        Step { what, start: Instant::now() }
    }

    /// Ends the step: `Finished <what> in 1.2s`.
    pub fn done(self) -> Duration {
        let elapsed = self.start.elapsed();
        let s = status_style();
        errln!("{s}{:>12}{s:#} {} in {}", "Finished", escape(&self.what), seconds(elapsed));
        elapsed
    }
}

/// A duration as cargo prints it: `0.42s`, `12.3s`, `2m 05s`.
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 10.0 {
        format!("{s:.2}s")
    } else if s < 60.0 {
        format!("{s:.1}s")
    } else {
        format!("{}m {:02}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_text_cannot_drive_the_terminal() {
        assert_eq!(escape("billing"), "billing");
        assert_eq!(escape("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(escape("x\u{202e}y\tz\n"), "x\\u{202e}y\tz\n");
        let n = neutralize("é\u{1b}\u{85}\u{202e}.");
        assert_eq!(n, "é??????.");
        assert_eq!(n.len(), "é\u{1b}\u{85}\u{202e}.".len());
    }

    #[test]
    fn tables_align_and_fit() {
        let rows = vec![
            vec!["GET".into(), "/invoice/{id}".into(), "id: u64".into()],
            vec!["POST".into(), "/".into(), "new: &'static str".into()],
        ];
        let wide = table(&["method", "path", "params"], rows.clone(), None);
        assert_eq!(
            wide,
            "METHOD  PATH           PARAMS\nGET     /invoice/{id}  id: u64\nPOST    /              new: &'static str\n"
        );
        let narrow = table(&["method", "path", "params"], rows, Some(30));
        assert!(narrow.lines().all(|l| l.chars().count() <= 30), "{narrow}");
    }

    #[test]
    fn durations_read_like_cargos() {
        assert_eq!(seconds(Duration::from_millis(420)), "0.42s");
        assert_eq!(seconds(Duration::from_millis(12_340)), "12.3s");
        assert_eq!(seconds(Duration::from_secs(125)), "2m 05s");
    }
}
