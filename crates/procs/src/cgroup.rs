//! `/proc/PID/cgroup`: the cgroup path, and the systemd unit or container derived from it.

use serde::Serialize;

/// Where a process sits in the cgroup tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cgroup {
    /// The unified (v2) path; on v1-only or hybrid hosts the `name=systemd` path, or else the
    /// first controller path that is not `/`.
    pub path: String,
    /// The innermost systemd unit (`ssh.service`, `session-2.scope`), when the path has one.
    pub unit: Option<String>,
    /// The container, when a runtime's naming convention identifies one.
    pub container: Option<Container>,
}

/// A container identified from its cgroup path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Container {
    /// `docker`, `containerd`, `cri-o`, `podman`, `lxc`, `kubernetes`, or `unknown` for a bare
    /// 64-hex-digit id under an unrecognised parent.
    pub runtime: String,
    pub id: String,
}

const UNIT_SUFFIXES: [&str; 6] = [".service", ".scope", ".socket", ".mount", ".swap", ".timer"];

fn is_container_id(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses the text of `/proc/PID/cgroup`. Returns `None` for text without any
/// `hierarchy:controllers:path` line.
pub fn parse(text: &str) -> Option<Cgroup> {
    let mut unified = None;
    let mut systemd = None;
    let mut first_v1 = None;
    let mut paths = Vec::new();
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(hierarchy), Some(controllers), Some(path)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        paths.push(path);
        if hierarchy == "0" && controllers.is_empty() {
            unified = Some(path);
        } else if controllers == "name=systemd" {
            systemd = Some(path);
        } else if path != "/" && first_v1.is_none() {
            first_v1 = Some(path);
        }
    }
    if paths.is_empty() {
        return None;
    }
    let path = [unified, systemd, first_v1]
        .into_iter()
        .flatten()
        .find(|path| *path != "/")
        .or(unified)
        .or(systemd)
        .unwrap_or("/");
    let container = paths.iter().find_map(|path| container_of(path));
    Some(Cgroup {
        path: path.to_string(),
        unit: unit_of(path),
        container,
    })
}

fn unit_of(path: &str) -> Option<String> {
    path.rsplit('/')
        .find(|component| {
            UNIT_SUFFIXES
                .iter()
                .any(|suffix| component.ends_with(suffix))
        })
        .map(str::to_string)
}

fn container_of(path: &str) -> Option<Container> {
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    for (index, component) in components.iter().enumerate().rev() {
        let scoped = component.strip_suffix(".scope").unwrap_or(component);
        for (prefix, runtime) in [
            ("docker-", "docker"),
            ("cri-containerd-", "containerd"),
            ("crio-", "cri-o"),
            ("libpod-", "podman"),
        ] {
            if let Some(id) = scoped.strip_prefix(prefix) {
                if is_container_id(id) {
                    return Some(Container {
                        runtime: runtime.to_string(),
                        id: id.to_string(),
                    });
                }
            }
        }
        if let Some(name) = component.strip_prefix("lxc.payload.") {
            return Some(Container {
                runtime: "lxc".to_string(),
                id: name.to_string(),
            });
        }
        let parent = index.checked_sub(1).map(|i| components[i]);
        if parent == Some("lxc") {
            return Some(Container {
                runtime: "lxc".to_string(),
                id: component.to_string(),
            });
        }
        if is_container_id(component) {
            let runtime = if parent == Some("docker") {
                "docker"
            } else if components.iter().any(|c| c.starts_with("kubepods")) {
                "kubernetes"
            } else {
                "unknown"
            };
            return Some(Container {
                runtime: runtime.to_string(),
                id: component.to_string(),
            });
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4f1c2d9e8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d";

    #[test]
    fn systemd_service_on_cgroup_v2() {
        let cgroup = parse("0::/system.slice/ssh.service\n").expect("parsed");
        assert_eq!(cgroup.path, "/system.slice/ssh.service");
        assert_eq!(cgroup.unit.as_deref(), Some("ssh.service"));
        assert_eq!(cgroup.container, None);
        let session = parse("0::/user.slice/user-1000.slice/session-3.scope\n").expect("parsed");
        assert_eq!(session.unit.as_deref(), Some("session-3.scope"));
    }

    #[test]
    fn containers_by_runtime_convention() {
        let docker = parse(&format!("0::/system.slice/docker-{ID}.scope\n")).expect("parsed");
        assert_eq!(
            docker.container.as_ref().map(|c| c.runtime.as_str()),
            Some("docker")
        );
        assert_eq!(docker.container.as_ref().map(|c| c.id.as_str()), Some(ID));
        let v1 = parse(&format!(
            "12:pids:/docker/{ID}\n1:name=systemd:/docker/{ID}\n0::/\n"
        ))
        .expect("parsed");
        assert_eq!(v1.path, format!("/docker/{ID}"));
        assert_eq!(v1.container.map(|c| c.runtime), Some("docker".to_string()));
        let k8s = parse(&format!(
            "0::/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod1.slice/cri-containerd-{ID}.scope\n"
        ))
        .expect("parsed");
        assert_eq!(
            k8s.container.map(|c| c.runtime),
            Some("containerd".to_string())
        );
        let bare = parse(&format!("0::/kubepods/besteffort/pod1/{ID}\n")).expect("parsed");
        assert_eq!(
            bare.container.map(|c| c.runtime),
            Some("kubernetes".to_string())
        );
        let podman =
            parse(&format!("0::/user.slice/libpod-{ID}.scope/container\n")).expect("parsed");
        assert_eq!(
            podman.container.map(|c| c.runtime),
            Some("podman".to_string())
        );
        let lxc = parse("0::/lxc.payload.web1/init.scope\n").expect("parsed");
        assert_eq!(lxc.container.map(|c| c.id), Some("web1".to_string()));
    }

    #[test]
    fn root_and_hybrid_and_garbage() {
        let root = parse("0::/\n").expect("parsed");
        assert_eq!(
            (root.path.as_str(), root.unit, root.container),
            ("/", None, None)
        );
        let hybrid = parse("9:name=systemd:/\n4:memory:/process_api/abc\n0::/\n").expect("parsed");
        assert_eq!(hybrid.path, "/process_api/abc");
        assert!(parse("").is_none());
        assert!(parse("garbage\n").is_none());
        // A path may itself contain ':'.
        assert_eq!(
            parse("0::/a:b.service\n").map(|c| c.path),
            Some("/a:b.service".to_string())
        );
    }
}
