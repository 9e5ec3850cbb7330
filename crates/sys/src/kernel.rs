use std::path::PathBuf;

use leastcap_model::{Cap, KernelCaps};

/// Where the running kernel publishes its highest capability number.
pub const CAP_LAST_CAP_PATH: &str = "/proc/sys/kernel/cap_last_cap";

/// The kernel's capability range could not be determined.
#[derive(Debug, thiserror::Error)]
pub enum KernelCapsError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds '{text}', not a capability number 0..63")]
    Malformed { path: PathBuf, text: String },
    #[error("LEASTCAP_CAP_LAST_CAP is '{0}', not a capability number 0..63")]
    BadOverride(String),
}

/// The running kernel's capability range, from `/proc/sys/kernel/cap_last_cap`.
///
/// `LEASTCAP_CAP_LAST_CAP` overrides it, so output can be pinned to a kernel layout in tests
/// and reproduced across machines.
pub fn kernel_caps() -> Result<KernelCaps, KernelCapsError> {
    if let Ok(text) = std::env::var("LEASTCAP_CAP_LAST_CAP") {
        return parse_last_cap(&text).ok_or(KernelCapsError::BadOverride(text));
    }
    let path = PathBuf::from(CAP_LAST_CAP_PATH);
    let text = std::fs::read_to_string(&path).map_err(|source| KernelCapsError::Read {
        path: path.clone(),
        source,
    })?;
    parse_last_cap(&text).ok_or(KernelCapsError::Malformed { path, text })
}

fn parse_last_cap(text: &str) -> Option<KernelCaps> {
    text.trim()
        .parse::<u8>()
        .ok()
        .and_then(Cap::new)
        .map(KernelCaps::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_proc_file_format() {
        assert_eq!(parse_last_cap("40\n"), Some(KernelCaps::LINUX_6));
        assert_eq!(parse_last_cap("64\n"), None);
        assert_eq!(parse_last_cap("x"), None);
    }

    #[test]
    fn reads_the_running_kernel() {
        let from_proc = std::fs::read_to_string(CAP_LAST_CAP_PATH).expect("procfs is mounted");
        let caps = kernel_caps().expect("running kernel");
        if std::env::var_os("LEASTCAP_CAP_LAST_CAP").is_none() {
            assert_eq!(caps.last_cap().number().to_string(), from_proc.trim());
        }
    }
}
