//! User and group lookup from the local databases, `/etc/passwd` and `/etc/group`.
//!
//! leastcap reads the files directly, not through NSS: the launcher must resolve names before
//! it forks, and results must not depend on a name-service daemon. Users that exist only in
//! LDAP/SSSD are handled by number; `ps` shows them with the name `???`, as capsh does.

use std::path::{Path, PathBuf};

/// What capsh prints for an id without a name.
pub const UNKNOWN_NAME: &str = "???";

/// One /etc/passwd entry (or a bare number without one: empty name, `gid` = `u32::MAX`).
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

/// A database file that exists but cannot be read.
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

/// The fields of a database line, or `None` for comments and NIS compat entries (`+`, `-`).
fn fields(line: &str) -> Option<Vec<&str>> {
    if line.starts_with('#') || line.starts_with('+') || line.starts_with('-') {
        return None;
    }
    let fields: Vec<&str> = line.split(':').collect();
    (fields.len() >= 3 && !fields[0].is_empty()).then_some(fields)
}

impl UserDb {
    /// `/etc/passwd` and `/etc/group`; a missing file is an empty database, an unreadable
    /// one an error (a launcher must not guess who "nobody" is).
    pub fn system() -> Result<UserDb, UserDbError> {
        UserDb::load_from(Path::new("/etc/passwd"), Path::new("/etc/group"))
    }

    /// Like [`UserDb::system`], but an unreadable file gives an empty table: for display,
    /// where a missing name is shown as a number.
    pub fn load() -> UserDb {
        UserDb::system().unwrap_or_default()
    }

    pub fn load_from(passwd: &Path, group: &Path) -> Result<UserDb, UserDbError> {
        Ok(UserDb::from_text(&read(passwd)?, &read(group)?))
    }

    /// Parses the two files' text; malformed lines are skipped, as libc does.
    pub fn from_text(passwd: &str, group: &str) -> UserDb {
        let users = passwd
            .lines()
            .filter_map(fields)
            .filter_map(|fields| {
                Some(User {
                    name: fields[0].to_string(),
                    uid: fields[2].parse().ok()?,
                    gid: fields.get(3)?.parse().ok()?,
                })
            })
            .collect();
        let groups = group
            .lines()
            .filter_map(fields)
            .filter_map(|fields| {
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

    /// A uid given as a name or a number.
    pub fn lookup_user(&self, text: &str) -> Option<u32> {
        self.user(text).map(|user| user.uid)
    }

    /// A group id by name or number.
    pub fn group(&self, text: &str) -> Option<u32> {
        self.groups
            .iter()
            .find(|group| group.name == text)
            .map(|group| group.gid)
            .or_else(|| text.parse().ok())
    }

    /// The name of a uid; the first entry wins, as with getpwuid(3).
    pub fn user_name(&self, uid: u32) -> Option<&str> {
        self.users
            .iter()
            .find(|user| user.uid == uid)
            .map(|user| user.name.as_str())
    }

    /// The name of a gid; the first entry wins, as with getgrgid(3).
    pub fn group_name(&self, gid: u32) -> Option<&str> {
        self.groups
            .iter()
            .find(|group| group.gid == gid)
            .map(|group| group.name.as_str())
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

    fn db() -> UserDb {
        UserDb::from_text(
            "root:x:0:0:root:/root:/bin/bash\n# comment\nnobody:x:65534:65534::/:/bin/false\nbroken\ntoor:x:0:0::/:/bin/sh\n+nis\n",
            "root:x:0:\nnogroup:x:65534:\nadm:x:4:nobody,root\nstaff:x:50:nobody\n",
        )
    }

    #[test]
    fn lookups_by_name_and_number() {
        let db = db();
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
        assert_eq!(db.lookup_user("nobody"), Some(65534));
        assert_eq!(db.lookup_user("1234"), Some(1234));
        assert_eq!(db.group("adm"), Some(4));
        assert_eq!(db.group("77"), Some(77));
        assert_eq!(db.group("ghosts"), None);
        assert_eq!(db.init_groups("nobody", 65534), vec![65534, 4, 50]);
    }

    #[test]
    fn names_first_entry_wins() {
        let db = db();
        assert_eq!(db.user_name(0), Some("root"));
        assert_eq!(db.user_name(4242), None);
        assert_eq!(db.group_name(65534), Some("nogroup"));
    }

    #[test]
    fn unreadable_file_is_an_error_for_system_lookups() {
        let error = UserDb::load_from(Path::new("/proc/self/mem"), Path::new("/nonexistent"));
        assert!(error.is_err());
        let missing = UserDb::load_from(Path::new("/nonexistent/a"), Path::new("/nonexistent/b"));
        assert!(missing.is_ok_and(|db| db.user_name(0).is_none()));
    }
}
