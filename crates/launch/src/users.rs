//! User and group lookup from /etc/passwd and /etc/group.
//!
//! leastcap reads the files directly (no NSS): the launcher must resolve names before it
//! forks, and the result must not depend on a name-service daemon. Users that exist only in
//! LDAP/SSSD can be given as numbers (`--user 1234 --group 1234`).

use std::path::{Path, PathBuf};

/// One /etc/passwd entry.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Group {
    name: String,
    gid: u32,
    members: Vec<String>,
}

/// The user and group databases.
#[derive(Clone, Debug, Default)]
pub struct UserDb {
    users: Vec<User>,
    groups: Vec<Group>,
}

/// A database file that cannot be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source}")]
pub struct UserDbError {
    pub path: PathBuf,
    #[source]
    pub source: std::io::Error,
}

fn read(path: &Path) -> Result<String, UserDbError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(source) => Err(UserDbError {
            path: path.to_path_buf(),
            source,
        }),
    }
}

impl UserDb {
    /// /etc/passwd and /etc/group (a missing file is an empty database).
    pub fn system() -> Result<UserDb, UserDbError> {
        Ok(UserDb::from_text(
            &read(Path::new("/etc/passwd"))?,
            &read(Path::new("/etc/group"))?,
        ))
    }

    /// Parses the two files' text; malformed lines are skipped, as libc does.
    pub fn from_text(passwd: &str, group: &str) -> UserDb {
        let users = passwd
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                if fields.len() < 4 || fields[0].is_empty() {
                    return None;
                }
                Some(User {
                    name: fields[0].to_string(),
                    uid: fields[2].parse().ok()?,
                    gid: fields[3].parse().ok()?,
                })
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(':').collect();
                if fields.len() < 3 || fields[0].is_empty() {
                    return None;
                }
                Some(Group {
                    name: fields[0].to_string(),
                    gid: fields[2].parse().ok()?,
                    members: fields
                        .get(3)
                        .map(|m| {
                            m.split(',')
                                .filter(|s| !s.is_empty())
                                .map(str::to_string)
                                .collect()
                        })
                        .unwrap_or_default(),
                })
            })
            .collect();
        UserDb { users, groups }
    }

    /// A user by name or number. A number without an entry yields a nameless user whose
    /// primary group is unknown (`gid` = `u32::MAX`).
    pub fn user(&self, text: &str) -> Option<User> {
        if let Some(user) = self.users.iter().find(|user| user.name == text) {
            return Some(user.clone());
        }
        let uid: u32 = text.parse().ok()?;
        Some(
            self.users
                .iter()
                .find(|user| user.uid == uid)
                .cloned()
                .unwrap_or(User {
                    name: String::new(),
                    uid,
                    gid: u32::MAX,
                }),
        )
    }

    /// A group id by name or number.
    pub fn group(&self, text: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|group| group.name == text)
            .map(|group| group.gid)
            .or_else(|| text.parse().ok())
    }

    /// What initgroups(3) would set: the primary group plus every group listing the user.
    pub fn init_groups(&self, user: &str, primary: u32) -> Vec<u32> {
        let mut groups = vec![primary];
        for group in &self.groups {
            if group.members.iter().any(|member| member == user) && !groups.contains(&group.gid) {
                groups.push(group.gid);
            }
        }
        groups
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookups() {
        let db = UserDb::from_text(
            "root:x:0:0:root:/root:/bin/bash\nnobody:x:65534:65534::/:/bin/false\nbroken\n",
            "root:x:0:\nnogroup:x:65534:\nadm:x:4:nobody,root\nstaff:x:50:nobody\n",
        );
        assert_eq!(
            db.user("nobody").map(|u| (u.uid, u.gid)),
            Some((65534, 65534))
        );
        assert_eq!(db.user("0").map(|u| u.name), Some("root".to_string()));
        assert_eq!(
            db.user("4242").map(|u| (u.uid, u.gid)),
            Some((4242, u32::MAX))
        );
        assert_eq!(db.user("ghost"), None);
        assert_eq!(db.group("adm"), Some(4));
        assert_eq!(db.group("77"), Some(77));
        assert_eq!(db.group("ghosts"), None);
        assert_eq!(db.init_groups("nobody", 65534), vec![65534, 4, 50]);
    }
}
