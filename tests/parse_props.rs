//! Property tests: parse + kind::detect are total. Arbitrary bytes, mail-shaped noise and
//! damaged sample mails (truncated, bytes flipped, line ends changed) never panic, and
//! anything that is not blank comes back as Ok.

use buergerservice::{kind, parse};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn samples() -> &'static [Vec<u8>] {
    static S: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    S.get_or_init(|| {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/samples/mails");
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| rd.flatten().map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect())
            .unwrap_or_default();
        files.sort();
        files.iter().filter_map(|f| std::fs::read(f).ok()).collect()
    })
}

fn check(raw: &[u8]) {
    match parse::parse(raw) {
        Ok(mail) => {
            let k = kind::detect(&mail);
            assert!(!k.reason.is_empty());
            // The split never invents text.
            assert!(mail.body.new_text.len() <= mail.text.len() + 1);
        }
        Err(parse::ParseError::Empty) => {
            assert!(raw.iter().all(|b| b.is_ascii_whitespace() || *b == 0), "Empty for non-blank input");
        }
        Err(e) => panic!("non-blank input refused: {e}"),
    }
}

/// Pieces mail is made of, so random concatenations reach the MIME and header code paths.
fn mail_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("From: A <a@b.de>\n".to_string()),
        Just("Subject: =?utf-8?Q?Re=3A_=5BBS-2027-00031=5D_T=C3=A4st?=\n".to_string()),
        Just("Subject: =?iso-8859-1?B?".to_string()),
        Just("Content-Type: multipart/mixed; boundary=\"b\"\n".to_string()),
        Just("Content-Type: multipart/report; report-type=delivery-status; boundary=b\n".to_string()),
        Just("Content-Type: text/html; charset=windows-1252\n".to_string()),
        Just("Content-Type: text/plain; charset=x-unknown-42; format=flowed; delsp=yes\n".to_string()),
        Just("Content-Type: message/rfc822\n".to_string()),
        Just("Content-Type: message/delivery-status\n".to_string()),
        Just("Content-Transfer-Encoding: base64\n".to_string()),
        Just("Content-Transfer-Encoding: quoted-printable\n".to_string()),
        Just("Return-Path: <>\n".to_string()),
        Just("Auto-Submitted: auto-replied\n".to_string()),
        Just("In-Reply-To: <BS-2027-00058.1.proposal@buergerservice.hochheim.de>\n".to_string()),
        Just("Date: Tue, 06 Apr 2027 08:41:12 +0200\n".to_string()),
        Just("Date: 99 Foo 99999 99:99:99 -9999\n".to_string()),
        Just("\n".to_string()),
        Just("\r\n".to_string()),
        Just("\r".to_string()),
        Just("--b\n".to_string()),
        Just("--b--\n".to_string()),
        Just("> quoted line\n".to_string()),
        Just("Am 07.06.2027 um 09:14 schrieb X:\n".to_string()),
        Just("-----Ursprüngliche Nachricht-----\n".to_string()),
        Just("Von: X\nGesendet: Y\nAn: Z\nBetreff: W\n".to_string()),
        Just("-- \n".to_string()),
        Just("Viele Grüße\nName\nStraße 1\n65239 Hochheim\n".to_string()),
        Just("<html><blockquote><div>x&auml;&#x110000;&#0;</div>".to_string()),
        Just("=C3=\n=XX=\n".to_string()),
        "[ -~äöüß\u{0}\t]{0,40}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(raw in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&raw);
    }

    #[test]
    fn mail_shaped_noise_never_panics(tokens in proptest::collection::vec(mail_token(), 0..40)) {
        check(tokens.concat().as_bytes());
    }

    #[test]
    fn damaged_sample_mails_never_panic(
        which in any::<prop::sample::Index>(),
        cut in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..12),
        crlf in any::<bool>(),
    ) {
        let all = samples();
        prop_assume!(!all.is_empty());
        let mut raw = all[which.index(all.len())].clone();
        if crlf {
            raw = String::from_utf8_lossy(&raw).replace('\n', "\r\n").into_bytes();
        }
        for (at, byte) in flips {
            if !raw.is_empty() {
                let i = at.index(raw.len());
                raw[i] = byte;
            }
        }
        raw.truncate(cut.index(raw.len() + 1));
        check(&raw);
    }
}

fn html_token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("<div>".to_string()),
        Just("</div>".to_string()),
        Just("<br>".to_string()),
        Just("<blockquote type=\"cite\">".to_string()),
        Just("</blockquote>".to_string()),
        Just("<pre>".to_string()),
        Just("</pre>".to_string()),
        Just("<style>".to_string()),
        Just("</style>".to_string()),
        Just("<!--".to_string()),
        Just("-->".to_string()),
        Just("<a href='x>y'>".to_string()),
        Just("&nbsp;".to_string()),
        Just("&#x1F600;".to_string()),
        Just("&#99999999999;".to_string()),
        Just("&".to_string()),
        Just("<".to_string()),
        Just(">".to_string()),
        "[ -~äöüß€\n]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn html_to_text_never_panics_and_ends_lines_cleanly(tokens in proptest::collection::vec(html_token(), 0..60)) {
        let text = parse::html::to_text(&tokens.concat());
        prop_assert!(text.lines().all(|l| l == l.trim_end()));
    }

    #[test]
    fn split_never_panics_and_keeps_words(text in "(([>]{0,2}[ -~äöü]{0,30}|-- |--|Am 1.2.2027 um 9:00 schrieb X:|Viele Grüße|Kolpingstraße 7|Von: a|Gesendet: b|An: c|Betreff: d|Sent from my iPhone)\n){0,30}") {
        let b = parse::split::split(&text);
        let words = |s: &str| s.split_whitespace().filter(|w| *w != ">" && *w != "--").count();
        // Nothing is invented: the three parts together hold no more words than the input.
        prop_assert!(words(&b.new_text) + words(&b.quoted) + words(&b.signature) <= words(&text) + 1);
    }
}

#[test]
fn blank_input_is_the_only_error() {
    assert_eq!(parse::parse(b"").err(), Some(parse::ParseError::Empty));
    assert_eq!(parse::parse(b" \r\n\t\0").err(), Some(parse::ParseError::Empty));
    let m = parse::parse(b"hello").expect("kept");
    assert!(m.text.contains("hello") || !m.problems.is_empty());
}
