//! HTML body → plain text for the text-matching stages.
//!
//! mail-parser's own `html_to_text` breaks lines only at `<br>` and `</p>`, so an Outlook
//! or Gmail mail (one `<div>` per line) collapses into one long line and the sign-off, the
//! address and the quote header run together. Here block elements end lines, `<blockquote>`
//! becomes `> ` quoting (so the splitter sees Gmail/Apple quotes), head/style/script are
//! dropped and entities are decoded. Byte-wise scanning on ASCII delimiters only, so every
//! slice lies on a char boundary.

/// Render HTML as plain text: one line per block, `> ` for blockquotes.
pub fn to_text(html: &str) -> String {
    let (text, unclosed) = render(html, true);
    if unclosed && text.trim().is_empty() {
        // An unclosed <title>/<style> swallowed everything: better the raw words than nothing.
        return render(html, false).0;
    }
    text
}

/// The text, and whether a skipped element (head, style, …) was still open at the end.
fn render(html: &str, skip_invisible: bool) -> (String, bool) {
    let mut w = Writer::default();
    let bytes = html.as_bytes();
    let mut i = 0;
    let mut skip_until: Option<&'static str> = None; // inside head/style/script/title
    while i < bytes.len() {
        if bytes.get(i) == Some(&b'<') {
            if html.get(i..i + 4) == Some("<!--") {
                i = html.get(i + 4..).and_then(|r| r.find("-->")).map_or(bytes.len(), |p| i + 4 + p + 3);
                continue;
            }
            let end = tag_end(bytes, i + 1);
            let inner = html.get(i + 1..end).unwrap_or_default();
            i = (end + 1).min(bytes.len());
            let (closing, name) = tag_name(inner);
            if let Some(until) = skip_until {
                if closing && name == until {
                    skip_until = None;
                }
                continue;
            }
            if skip_invisible && !closing && !inner.trim_end().ends_with('/') {
                if let Some(s) = ["head", "style", "script", "title", "template"].into_iter().find(|s| *s == name) {
                    skip_until = Some(s);
                    continue;
                }
            }
            w.tag(&name, closing);
        } else {
            let next = html.get(i..).and_then(|r| r.find('<')).map_or(bytes.len(), |p| i + p);
            if skip_until.is_none() {
                w.text(&decode_entities(html.get(i..next).unwrap_or_default()));
            }
            i = next;
        }
    }
    (w.finish(), skip_until.is_some())
}

/// Index of the `>` closing the tag that starts before `from`, quotes respected.
fn tag_end(bytes: &[u8], from: usize) -> usize {
    let mut quote: Option<u8> = None;
    let mut j = from;
    while let Some(&b) = bytes.get(j) {
        match quote {
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if b == b'"' || b == b'\'' => quote = Some(b),
            None if b == b'>' => return j,
            None => {}
        }
        j += 1;
    }
    bytes.len()
}

/// `(is_closing, lower-case name)` of a tag's inside, e.g. `/DIV` → `(true, "div")`.
fn tag_name(inner: &str) -> (bool, String) {
    let t = inner.trim_start();
    let (closing, t) = match t.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let name: String = t.chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
    (closing, name.to_ascii_lowercase())
}

#[derive(Default)]
struct Writer {
    out: String,
    /// The current line holds no text yet (only its quote prefix, if any).
    at_line_start: bool,
    pending_space: bool,
    quote_depth: usize,
    pre: usize,
    started: bool,
}

impl Writer {
    fn newline(&mut self) {
        self.out.push('\n');
        self.at_line_start = true;
        self.pending_space = false;
    }

    /// End the current line unless it is still empty.
    fn break_line(&mut self) {
        if self.started && !self.at_line_start {
            self.newline();
        }
    }

    fn tag(&mut self, name: &str, closing: bool) {
        match name {
            "br" => {
                if self.started {
                    self.newline();
                } else {
                    self.started = true;
                    self.at_line_start = true;
                }
            }
            "blockquote" => {
                self.break_line();
                if closing {
                    self.quote_depth = self.quote_depth.saturating_sub(1);
                } else {
                    self.quote_depth += 1;
                }
            }
            "pre" => {
                self.break_line();
                self.pre = if closing { self.pre.saturating_sub(1) } else { self.pre + 1 };
            }
            "li" if !closing => {
                self.break_line();
                self.text("* ");
            }
            "hr" => {
                self.break_line();
                self.text("________________________________");
                self.break_line();
            }
            "td" | "th" if closing => self.pending_space = true,
            "p" | "div" | "li" | "tr" | "table" | "ul" | "ol" | "dl" | "dt" | "dd" | "h1" | "h2" | "h3" | "h4"
            | "h5" | "h6" | "section" | "article" | "header" | "footer" | "address" | "center" | "form"
            | "fieldset" | "nav" | "main" | "aside" | "figure" | "figcaption" | "body" | "html" => self.break_line(),
            _ => {}
        }
    }

    fn text(&mut self, s: &str) {
        for c in s.chars() {
            if self.pre > 0 {
                if c == '\n' {
                    self.newline();
                    continue;
                }
            } else if c.is_whitespace() && c != '\u{a0}' {
                if !self.at_line_start && self.started {
                    self.pending_space = true;
                }
                continue;
            }
            if !self.started {
                self.started = true;
                self.at_line_start = true;
            }
            if self.at_line_start {
                if self.quote_depth > 0 {
                    self.out.push_str(&"> ".repeat(self.quote_depth));
                }
                self.at_line_start = false;
                self.pending_space = false;
            }
            if self.pending_space {
                self.out.push(' ');
                self.pending_space = false;
            }
            self.out.push(if c == '\u{a0}' { ' ' } else { c });
        }
    }

    fn finish(self) -> String {
        // Trailing spaces and runs of more than one blank line are layout, not content.
        let mut out = String::with_capacity(self.out.len());
        let mut blanks = 0;
        for line in self.out.lines() {
            let line = line.trim_end();
            if line.trim_start_matches(['>', ' ']).is_empty() {
                blanks += 1;
                if blanks > 1 || out.is_empty() {
                    continue;
                }
            } else {
                blanks = 0;
            }
            out.push_str(line);
            out.push('\n');
        }
        while out.ends_with("\n\n") {
            out.pop();
        }
        out
    }
}

/// Decode `&name;`, `&#NNN;` and `&#xHH;`; unknown entities stay as written.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(rest.get(..p).unwrap_or_default());
        let after = rest.get(p + 1..).unwrap_or_default();
        let semi = after.find(';').filter(|&q| q > 0 && q <= 10);
        let decoded = semi.and_then(|q| after.get(..q)).and_then(entity);
        match (decoded, semi) {
            (Some(c), Some(q)) => {
                out.push(c);
                rest = after.get(q + 1..).unwrap_or_default();
            }
            _ => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        // Windows-1252 code points written as numeric entities by old Outlook versions.
        let code = match code {
            0x80 => 0x20ac,
            0x84 => 0x201e,
            0x93 => 0x201c,
            0x94 => 0x201d,
            0x96 => 0x2013,
            0x97 => 0x2014,
            c => c,
        };
        return char::from_u32(code).filter(|c| *c != '\0');
    }
    Some(match name {
        "nbsp" => '\u{a0}',
        "amp" | "AMP" => '&',
        "lt" | "LT" => '<',
        "gt" | "GT" => '>',
        "quot" | "QUOT" => '"',
        "apos" => '\'',
        "auml" => 'ä',
        "ouml" => 'ö',
        "uuml" => 'ü',
        "Auml" => 'Ä',
        "Ouml" => 'Ö',
        "Uuml" => 'Ü',
        "szlig" => 'ß',
        "eacute" => 'é',
        "egrave" => 'è',
        "Eacute" => 'É',
        "agrave" => 'à',
        "aacute" => 'á',
        "ccedil" => 'ç',
        "euro" => '€',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "bdquo" => '„',
        "ldquo" => '“',
        "rdquo" => '”',
        "sbquo" => '‚',
        "lsquo" => '‘',
        "rsquo" => '’',
        "laquo" => '«',
        "raquo" => '»',
        "copy" => '©',
        "reg" => '®',
        "deg" => '°',
        "middot" => '·',
        "bull" => '•',
        "shy" => '\u{ad}',
        "zwnj" => '\u{200c}',
        "ensp" | "emsp" | "thinsp" => ' ',
        "sect" => '§',
        "para" => '¶',
        "times" => '×',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn divs_become_lines_and_empty_div_a_blank_line() {
        let t = to_text("<html><head><style>P {margin:0}</style></head><body><div>Hallo,</div><div><br></div><div>f&uuml;r mich</div><div>Gru&szlig;</div></body></html>");
        assert_eq!(t, "Hallo,\n\nfür mich\nGruß\n");
    }

    #[test]
    fn blockquote_becomes_gt_quoting() {
        let t = to_text("<p>Termin 2 bitte.</p><div>Am 1.6. schrieb X:<br></div><blockquote><div>1) Montag</div><div>2) Dienstag</div></blockquote>");
        assert_eq!(t, "Termin 2 bitte.\nAm 1.6. schrieb X:\n> 1) Montag\n> 2) Dienstag\n");
    }

    #[test]
    fn entities_numeric_and_named_and_unknown() {
        assert_eq!(decode_entities("a&amp;b &#228;&#xFC; &bogus; & x"), "a&b äü &bogus; & x");
    }

    #[test]
    fn comments_scripts_and_attributes_with_gt_are_dropped() {
        let t = to_text("<!-- x > y --><script>if (a > b) {}</script><a title=\"a>b\">Link</a> text");
        assert_eq!(t, "Link text\n");
    }

    #[test]
    fn unclosed_title_does_not_swallow_the_whole_text() {
        assert_eq!(to_text("<title>Hallo Welt"), "Hallo Welt\n");
        assert_eq!(to_text("<title>T</title>Text"), "Text\n");
    }

    #[test]
    fn unterminated_markup_does_not_panic() {
        for s in ["<", "<div", "&", "&#", "&#x110000;", "<!--", "ä<ü", "<blockquote>", "</blockquote></blockquote>x"]
        {
            let _ = to_text(s);
        }
    }
}
