//! Per-check classification.

use std::collections::HashMap;

use leastcap_events::{CapEvent, CheckVerdict};
use leastcap_model::kb::{self, AdvisorySite, OrChain};
use leastcap_model::Cap;
use serde::Serialize;

/// What a check means for the program's capability set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Class {
    /// The program needs this capability for what it did.
    Needed,
    /// A broad capability at a site that also accepts a narrower one: grant the narrow one.
    Alternative,
    /// The kernel asked, but the operation succeeds without the capability.
    Advisory,
    /// Checked against a user namespace the program (or its container) owns: no host
    /// capability is needed.
    UserNamespace,
}

impl Class {
    pub const fn label(self) -> &'static str {
        match self {
            Class::Needed => "needed",
            Class::Alternative => "alternative",
            Class::Advisory => "advisory",
            Class::UserNamespace => "user-namespace",
        }
    }
}

impl std::fmt::Display for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// The class of one check and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub class: Class,
    /// One sentence for a person.
    pub reason: String,
    /// The capability to grant for this check: the checked one when needed, the narrow one
    /// for an alternative, none for advisory and user-namespace checks.
    pub grant: Option<Cap>,
    /// The knowledge-base site that decided it (`perfmon_capable()`, an advisory function).
    pub site: Option<&'static str>,
}

/// The knowledge the classifier uses: normally [`Knowledge::builtin`].
#[derive(Clone, Copy, Debug)]
pub struct Knowledge<'a> {
    pub or_chains: &'a [OrChain],
    pub advisory: &'a [AdvisorySite],
}

impl Knowledge<'static> {
    /// leastcap's knowledge base.
    pub fn builtin() -> Knowledge<'static> {
        Knowledge {
            or_chains: kb::OR_CHAINS,
            advisory: kb::ADVISORY_SITES,
        }
    }
}

impl Default for Knowledge<'static> {
    fn default() -> Self {
        Knowledge::builtin()
    }
}

/// Kernel frames that are the capability machinery itself (or the tracer), not a call site.
const PLUMBING: &[&str] = &[
    "cap_capable",
    "security_capable",
    "ns_capable",
    "ns_capable_common",
    "ns_capable_noaudit",
    "ns_capable_setid",
    "capable",
    "has_ns_capability",
    "has_ns_capability_noaudit",
    "has_capability",
    "has_capability_noaudit",
    "file_ns_capable",
    "capable_wrt_inode_uidgid",
    "privileged_wrt_inode_uidgid",
    "sockopt_ns_capable",
    "sk_ns_capable",
    "sk_capable",
    "sk_net_capable",
    "netlink_ns_capable",
    "netlink_capable",
    "netlink_net_capable",
];

/// The first kernel frame of a stack that is neither the tracer nor the capability plumbing:
/// where the kernel decided to ask (`inet_create` for a raw socket).
pub fn call_site(stack: &[String]) -> Option<&str> {
    stack.iter().map(String::as_str).find(|frame| {
        !(frame.starts_with("bpf_prog_")
            || frame.starts_with("bpf_trace_run")
            || frame.starts_with("__bpf_trace_")
            || frame.starts_with("__traceiter_")
            || frame.starts_with("trace_event_raw_event_")
            || frame.starts_with("perf_trace_")
            || frame.starts_with("0x")
            || PLUMBING.contains(frame))
    })
}

/// Classifies checks. Keeps a little per-thread history: in an OR-chain, a broad check that
/// follows a denied narrow one on the same thread belongs to that chain.
#[derive(Debug)]
pub struct Classifier<'a> {
    knowledge: Knowledge<'a>,
    last_denied: HashMap<u32, Cap>,
    held_at_start: u64,
}

impl Default for Classifier<'static> {
    fn default() -> Self {
        Classifier::new(Knowledge::builtin())
    }
}

impl<'a> Classifier<'a> {
    pub fn new(knowledge: Knowledge<'a>) -> Classifier<'a> {
        Classifier {
            knowledge,
            last_denied: HashMap::new(),
            held_at_start: 0,
        }
    }

    /// The capabilities (bit N = capability N) the traced program held in its effective set
    /// when it started, e.g. every capability under `--caps all`. A *denied* check of one of
    /// them means the program dropped the capability itself before that check (ping drops
    /// its capabilities after opening its socket) and went on without it: such a check is
    /// [`Class::Advisory`], not a need.
    pub fn held_at_start(mut self, caps: u64) -> Classifier<'a> {
        self.held_at_start = caps;
        self
    }

    /// Capabilities whose checks need a kernel stack to be classified (advisory sites and
    /// OR-chains), as a mask for `TraceOptions::stack_caps` (bit N = capability N).
    pub fn stack_caps(&self) -> u64 {
        let advisory = self.knowledge.advisory.iter().map(|site| site.cap);
        let chains = self
            .knowledge
            .or_chains
            .iter()
            .flat_map(|chain| chain.check_order.iter().copied());
        advisory
            .chain(chains)
            .fold(0, |mask, cap| mask | (1u64 << cap.number()))
    }

    /// Classifies one check. Feed checks in the order they happened.
    pub fn classify(&mut self, event: &CapEvent) -> Classification {
        let previous_denied = self.last_denied.get(&event.tid).copied();
        match event.verdict {
            CheckVerdict::Denied { .. } => {
                self.last_denied.insert(event.tid, event.cap);
            }
            CheckVerdict::Granted => {
                self.last_denied.remove(&event.tid);
            }
        }
        self.decide(event, previous_denied)
    }

    fn decide(&self, event: &CapEvent, previous_denied: Option<Cap>) -> Classification {
        let cap = event.cap;
        let syscall = event.syscall_name().unwrap_or("no syscall");
        let site_text = call_site(&event.stack)
            .map(|site| format!(" in {site}"))
            .unwrap_or_default();

        if !event.userns.initial {
            return Classification {
                class: Class::UserNamespace,
                reason: format!(
                    "{syscall}{site_text} checked {cap} against a user namespace at level {} \
                     that the program owns, not the initial one: no host capability needed",
                    event.userns.level
                ),
                grant: None,
                site: None,
            };
        }

        if let Some(site) = self
            .knowledge
            .advisory
            .iter()
            .find(|site| site.cap == cap && event.stack.iter().any(|f| f == site.function))
        {
            return Classification {
                class: Class::Advisory,
                reason: format!("{} (call site {})", site.why, site.function),
                grant: None,
                site: Some(site.function),
            };
        }

        if !event.verdict.is_granted() && self.held_at_start & (1u64 << cap.number()) != 0 {
            return Classification {
                class: Class::Advisory,
                reason: format!(
                    "{syscall}{site_text} was denied {cap}: the program held it at start and \
                     dropped it itself before this check"
                ),
                grant: None,
                site: None,
            };
        }

        if let Some((chain, by_stack)) = self.chain_for(event, previous_denied) {
            let how = if by_stack {
                String::new()
            } else {
                " (matched by syscall; no kernel stack)".to_owned()
            };
            if cap == chain.narrow {
                return Classification {
                    class: Class::Needed,
                    reason: format!(
                        "{syscall}{site_text}: {cap} is the narrowest capability {} accepts \
                         for {}{how}",
                        chain.site, chain.guards
                    ),
                    grant: Some(cap),
                    site: Some(chain.site),
                };
            }
            let order: Vec<String> = chain.check_order.iter().map(Cap::to_string).collect();
            return Classification {
                class: Class::Alternative,
                reason: format!(
                    "{syscall}{site_text}: {} accepts {} instead of {cap} (checks {}){how}",
                    chain.site,
                    chain.narrow,
                    order.join(" then ")
                ),
                grant: Some(chain.narrow),
                site: Some(chain.site),
            };
        }

        let verdict = if event.verdict.is_granted() {
            "granted"
        } else {
            "denied"
        };
        Classification {
            class: Class::Needed,
            reason: format!("{syscall}{site_text} checked {cap} ({verdict})"),
            grant: Some(cap),
            site: None,
        }
    }

    /// The OR-chain a check belongs to, and whether the kernel stack (rather than the syscall
    /// alone) placed it there.
    fn chain_for(
        &self,
        event: &CapEvent,
        previous_denied: Option<Cap>,
    ) -> Option<(&'a OrChain, bool)> {
        let follows_denied = |chain: &OrChain| {
            previous_denied.is_some_and(|denied| {
                chain
                    .check_order
                    .windows(2)
                    .any(|pair| pair[0] == denied && pair[1] == event.cap)
            })
        };
        let involved = self
            .knowledge
            .or_chains
            .iter()
            .filter(|chain| chain.check_order.contains(&event.cap));
        if event.stack.is_empty() {
            let syscall = event.syscall_name()?;
            let mut candidates: Vec<&OrChain> = involved
                .filter(|chain| chain.syscalls.contains(&syscall))
                .collect();
            // A syscall alone is weak evidence: use it only when it names one chain, or
            // the check follows a denied earlier member of the chain.
            if candidates.len() > 1 {
                candidates.retain(|chain| follows_denied(chain));
            }
            return (candidates.len() == 1).then(|| (candidates[0], false));
        }
        involved
            .filter_map(|chain| {
                let depth = event
                    .stack
                    .iter()
                    .position(|frame| chain.call_sites.contains(&frame.as_str()))?;
                Some((chain, depth))
            })
            // Prefer the chain the previous denied check started, then the innermost site.
            .min_by_key(|(chain, depth)| (!follows_denied(chain), *depth))
            .map(|(chain, _)| (chain, true))
    }
}
