//! Dev aid: print what parse + kind make of the given .eml files.
fn main() {
    for f in std::env::args().skip(1) {
        let raw = std::fs::read(&f).unwrap_or_default();
        println!("===== {f}");
        match buergerservice::parse::parse(&raw) {
            Ok(m) => {
                let k = buergerservice::kind::detect(&m);
                println!("from={:?} reply_to={:?}\nsubject={:?}\nmid={:?} irt={:?} refs={:?}\ndate={:?} lang={:?}\nauto={:?}\natt={:?}\nproblems={:?}\nkind={:?} case={:?} reason={}",
                    m.from, m.reply_to, m.subject, m.message_id, m.in_reply_to, m.references, m.date, m.content_language, m.auto, m.attachments, m.problems, k.kind, k.case_id, k.reason);
                println!("--- NEW\n{}\n--- QUOTED\n{}\n--- SIG\n{}", m.body.new_text, m.body.quoted, m.body.signature);
            }
            Err(e) => println!("ERR {e}"),
        }
    }
}
