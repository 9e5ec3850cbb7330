//! User and group names from the local databases (`/etc/passwd`, `/etc/group`).
//!
//! Only the files are read, not other NSS sources (LDAP, sssd): a user known only there is
//! shown by number with the name `???`, as capsh prints unknown names.

use std::collections::HashMap;
use std::path::Path;

/// uid → name and gid → name tables.
#[derive(Clone, Debug, Default)]
pub struct UserDb {
    users: HashMap<u32, String>,
    groups: HashMap<u32, String>,
}

/// What capsh prints for an id without a name.
pub const UNKNOWN_NAME: &str = "???";

/// `name:x:id:...` lines → id → name; the first entry for an id wins, as getpwuid's does.
fn parse_table(text: &str) -> HashMap<u32, String> {
    let mut table = HashMap::new();
    for line in text.lines() {
        if line.starts_with('#') || line.starts_with('+') || line.starts_with('-') {
            continue;
        }
        let mut fields = line.split(':');
        let (Some(name), Some(_), Some(id)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        if let Ok(id) = id.parse::<u32>() {
            if !name.is_empty() {
                table.entry(id).or_insert_with(|| name.to_string());
            }
        }
    }
    table
}

impl UserDb {
    /// Reads `/etc/passwd` and `/etc/group`; a missing or unreadable file gives an empty table.
    pub fn load() -> UserDb {
        UserDb::load_from(Path::new("/etc/passwd"), Path::new("/etc/group"))
    }

    pub fn load_from(passwd: &Path, group: &Path) -> UserDb {
        let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
        UserDb::from_text(&read(passwd), &read(group))
    }

    pub fn from_text(passwd: &str, group: &str) -> UserDb {
        UserDb {
            users: parse_table(passwd),
            groups: parse_table(group),
        }
    }

    pub fn user_name(&self, uid: u32) -> Option<&str> {
        self.users.get(&uid).map(String::as_str)
    }

    pub fn group_name(&self, gid: u32) -> Option<&str> {
        self.groups.get(&gid).map(String::as_str)
    }

    /// A user given as a name or a number.
    pub fn lookup_user(&self, text: &str) -> Option<u32> {
        if let Ok(uid) = text.parse::<u32>() {
            return Some(uid);
        }
        self.users
            .iter()
            .filter(|(_, name)| name.as_str() == text)
            .map(|(uid, _)| *uid)
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers() {
        let db = UserDb::from_text(
            "root:x:0:0:root:/root:/bin/bash\n# comment\nnobody:x:65534:65534::/:/bin/false\nbroken\ntoor:x:0:0::/:/bin/sh\n",
            "root:x:0:\nnogroup:x:65534:\n",
        );
        assert_eq!(db.user_name(0), Some("root"), "first entry wins");
        assert_eq!(db.user_name(65534), Some("nobody"));
        assert_eq!(db.user_name(4242), None);
        assert_eq!(db.group_name(65534), Some("nogroup"));
        assert_eq!(db.lookup_user("nobody"), Some(65534));
        assert_eq!(db.lookup_user("1234"), Some(1234));
        assert_eq!(db.lookup_user("nosuch"), None);
    }
}
