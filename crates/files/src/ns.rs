//! The current user namespace, to tell whether a v3 (namespaced) file capability applies.
//!
//! The kernel shows a reader a v2 attribute when the file's rootid is the root of the
//! reader's user namespace; a v3 attribute with a rootid other than 0 (as translated into the
//! reader's namespace) belongs to another namespace's root, and exec in this namespace
//! ignores it: the capabilities are inert here.

/// One line of `/proc/self/uid_map`: `inside outside count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UidRange {
    pub inside: u32,
    pub outside: u32,
    pub count: u32,
}

/// The uid mapping of the current user namespace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UidMap {
    pub ranges: Vec<UidRange>,
}

impl UidMap {
    pub const PATH: &'static str = "/proc/self/uid_map";

    /// Reads `/proc/self/uid_map`; the identity map of the initial namespace when unreadable.
    pub fn current() -> UidMap {
        std::fs::read_to_string(Self::PATH)
            .ok()
            .map(|text| UidMap::parse(&text))
            .filter(|map| !map.ranges.is_empty())
            .unwrap_or_else(UidMap::initial)
    }

    pub fn initial() -> UidMap {
        UidMap {
            ranges: vec![UidRange {
                inside: 0,
                outside: 0,
                count: u32::MAX,
            }],
        }
    }

    pub fn parse(text: &str) -> UidMap {
        let ranges = text
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace().map(|w| w.parse::<u32>());
                match (words.next(), words.next(), words.next()) {
                    (Some(Ok(inside)), Some(Ok(outside)), Some(Ok(count))) => Some(UidRange {
                        inside,
                        outside,
                        count,
                    }),
                    _ => None,
                }
            })
            .collect();
        UidMap { ranges }
    }

    pub fn is_initial(&self) -> bool {
        self.ranges == UidMap::initial().ranges
    }

    /// The uid one level up (the parent namespace's view) of a uid of this namespace.
    pub fn to_outside(&self, uid: u32) -> Option<u32> {
        self.ranges.iter().find_map(|r| {
            let offset = uid.checked_sub(r.inside)?;
            (offset < r.count).then(|| r.outside.wrapping_add(offset))
        })
    }

    /// Whether file capabilities with this v3 rootid (as read here) are ignored by exec in
    /// this namespace. v2 attributes (`None`) and rootid 0 apply.
    pub fn is_inert(&self, rootid: Option<u32>) -> bool {
        rootid.is_some_and(|id| id != 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_uid_map() {
        let map = UidMap::parse("         0          0 4294967295\n");
        assert!(map.is_initial());
        let child = UidMap::parse("0 1000 1\n1 100000 65536\n");
        assert!(!child.is_initial());
        assert_eq!(child.to_outside(0), Some(1000));
        assert_eq!(child.to_outside(5), Some(100004));
        assert_eq!(child.to_outside(70000), None);
        assert!(child.is_inert(Some(1000)));
        assert!(!child.is_inert(None));
        assert!(!child.is_inert(Some(0)));
    }
}
