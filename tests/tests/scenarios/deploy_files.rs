//! The deployment files validate against their schemas (issue 24): the Kubernetes manifests
//! of `deploy/kubernetes` (kubernetes-validate, strict: an unknown field fails), `compose.yaml`
//! (`docker-compose config`) and the HAProxy configurations (`haproxy -c`).
//! `tests/deploy/validate.sh` runs the validators, which `tests/run-all.sh` installs
//! (`tests/deploy/setup.sh`).

#[test]
fn kubernetes_compose_and_haproxy_files_validate() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/deploy/validate.sh");
    let output = std::process::Command::new("bash")
        .arg(script)
        .output()
        .expect("run tests/deploy/validate.sh");
    assert!(
        output.status.success(),
        "the deployment files do not validate:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}
