//! The shipped systemd unit passes `systemd-analyze verify` (with ExecStart pointed at
//! the binary just built, since /usr/local/bin is not installed in a test).

use std::process::Command;

#[test]
fn the_systemd_unit_verifies() {
    let unit = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/contrib/systemd/buergerservice.service")).unwrap();
    assert!(unit.contains("Type=notify") && unit.contains("LoadCredential=") && unit.contains("StateDirectory="));
    let unit = unit.replace("/usr/local/bin/buergerservice", env!("CARGO_BIN_EXE_buergerservice"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("buergerservice.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze").arg("verify").arg(&path).output().expect("systemd-analyze is installed");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Lines about other units on the host are not ours.
    let ours: Vec<&str> = stderr.lines().filter(|l| l.contains("buergerservice")).collect();
    assert!(out.status.success() && ours.is_empty(), "systemd-analyze verify:\n{stderr}");
}
