//! How a queued message is stored: as a JSON string when it is UTF-8 (a byte array took
//! ~3.6 bytes per byte), as bytes otherwise; records written either way are read back.

use buergerservice::store::OutgoingMail;

fn mail(message: &[u8]) -> OutgoingMail {
    OutgoingMail { id: 7, case: "BS-2027-00031".parse().unwrap(), to: "a@posteo.test".into(), message: message.to_vec(), queued_at: None }
}

#[test]
fn a_utf8_message_is_stored_as_text_and_read_back() {
    let m = mail("Subject: Termin\r\n\r\nGrüße\r\n".as_bytes());
    let json = serde_json::to_value(&m).unwrap();
    assert_eq!(json["message"], "Subject: Termin\r\n\r\nGrüße\r\n");
    assert_eq!(serde_json::from_value::<OutgoingMail>(json).unwrap(), m);
}

#[test]
fn other_bytes_stay_an_array_and_are_read_back() {
    let m = mail(b"Subject: Gr\xfc\xdfe\r\n\r\nLatin-1\r\n");
    let json = serde_json::to_value(&m).unwrap();
    assert!(json["message"].is_array(), "{json}");
    assert_eq!(serde_json::from_value::<OutgoingMail>(json).unwrap(), m);
}

#[test]
fn records_written_as_byte_arrays_before_are_still_read() {
    let old = r#"{"id":7,"case":"BS-2027-00031","to":"a@posteo.test","message":[72,105]}"#;
    assert_eq!(serde_json::from_str::<OutgoingMail>(old).unwrap().message, b"Hi");
}
