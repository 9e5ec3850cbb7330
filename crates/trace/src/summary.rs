//! Summaries of classified checks.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use leastcap_events::{CapEvent, CheckVerdict};
use leastcap_model::Cap;
use serde::Serialize;

use crate::classify::{Class, Classification, Classifier};

/// One capability in one class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryRow {
    pub cap: Cap,
    pub class: Class,
    pub granted: u64,
    pub denied: u64,
    /// System calls that made the checks, by name (`-` outside a syscall), sorted.
    pub syscalls: Vec<String>,
    /// Distinct reasons (at most three).
    pub reasons: Vec<String>,
    /// What to grant for these checks, if anything.
    pub grant: Option<Cap>,
    /// One line for a person (`grant CAP_PERFMON instead of CAP_SYS_ADMIN`).
    pub recommendation: String,
}

/// Every check of a trace, classified and grouped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub rows: Vec<SummaryRow>,
    /// The capabilities the program needs: needed checks plus the narrow alternatives.
    pub needed: Vec<Cap>,
    /// Checks seen (aggregate rows count as many checks).
    pub checks: u64,
}

const MAX_REASONS: usize = 3;

impl Summary {
    /// Classifies `events` (in the order they happened) and groups them.
    pub fn build<'e>(
        classifier: &mut Classifier<'_>,
        events: impl IntoIterator<Item = &'e CapEvent>,
    ) -> Summary {
        let mut summary = Summary::default();
        for event in events {
            let classification = classifier.classify(event);
            summary.add(event, &classification);
        }
        summary
    }

    /// Adds one classified check.
    pub fn add(&mut self, event: &CapEvent, classification: &Classification) {
        self.checks += event.count;
        let index = match self.rows.iter().position(|row| {
            row.cap == event.cap
                && row.class == classification.class
                && row.grant == classification.grant
        }) {
            Some(index) => index,
            None => {
                self.rows.push(SummaryRow {
                    cap: event.cap,
                    class: classification.class,
                    granted: 0,
                    denied: 0,
                    syscalls: Vec::new(),
                    reasons: Vec::new(),
                    grant: classification.grant,
                    recommendation: String::new(),
                });
                self.rows.len() - 1
            }
        };
        let row = &mut self.rows[index];
        match event.verdict {
            CheckVerdict::Granted => row.granted += event.count,
            CheckVerdict::Denied { .. } => row.denied += event.count,
        }
        let syscall = event.syscall_name().unwrap_or("-").to_owned();
        if let Err(at) = row.syscalls.binary_search(&syscall) {
            row.syscalls.insert(at, syscall);
        }
        if row.reasons.len() < MAX_REASONS && !row.reasons.contains(&classification.reason) {
            row.reasons.push(classification.reason.clone());
        }
        row.recommendation = recommendation(row);
        self.refresh();
    }

    fn refresh(&mut self) {
        self.rows.sort_by_key(|row| (row.class, row.cap));
        self.needed = self
            .rows
            .iter()
            .filter(|row| matches!(row.class, Class::Needed | Class::Alternative))
            .filter_map(|row| row.grant)
            .collect::<BTreeSet<Cap>>()
            .into_iter()
            .collect();
    }

    /// Takes the traced program's outcome into account: when it exited successfully, a
    /// capability that was *only ever denied* was not needed for what it did (it tried, was
    /// refused, and succeeded anyway: `setuid()` to its own uid, optional features). Such rows
    /// become advisory. When it failed, they stay needed: the denial may be why.
    pub fn settle(&mut self, program_succeeded: bool) {
        if !program_succeeded {
            return;
        }
        let mut merged: Vec<SummaryRow> = Vec::new();
        for mut row in std::mem::take(&mut self.rows) {
            if row.class == Class::Needed && row.granted == 0 && row.denied > 0 {
                row.class = Class::Advisory;
                row.grant = None;
                row.reasons.insert(
                    0,
                    format!(
                        "denied every time ({}) and the program still exited successfully",
                        row.denied
                    ),
                );
                row.reasons.truncate(MAX_REASONS);
            }
            match merged.iter_mut().find(|other| {
                other.cap == row.cap && other.class == row.class && other.grant == row.grant
            }) {
                Some(other) => {
                    other.granted += row.granted;
                    other.denied += row.denied;
                    for syscall in row.syscalls {
                        if let Err(at) = other.syscalls.binary_search(&syscall) {
                            other.syscalls.insert(at, syscall);
                        }
                    }
                    for reason in row.reasons {
                        if other.reasons.len() < MAX_REASONS && !other.reasons.contains(&reason) {
                            other.reasons.push(reason);
                        }
                    }
                }
                None => merged.push(row),
            }
        }
        for row in &mut merged {
            row.recommendation = recommendation(row);
        }
        self.rows = merged;
        self.refresh();
    }

    /// Checks per class, for a one-line footer.
    pub fn class_counts(&self) -> BTreeMap<Class, u64> {
        let mut counts = BTreeMap::new();
        for row in &self.rows {
            *counts.entry(row.class).or_insert(0) += row.granted + row.denied;
        }
        counts
    }

    /// Rows of one class.
    pub fn rows_of(&self, class: Class) -> impl Iterator<Item = &SummaryRow> {
        self.rows.iter().filter(move |row| row.class == class)
    }
}

fn recommendation(row: &SummaryRow) -> String {
    let upper = |cap: Cap| cap.upper_name();
    match row.class {
        Class::Needed if row.granted == 0 => format!(
            "grant {} (denied {} time{} while tracing)",
            upper(row.cap),
            row.denied,
            if row.denied == 1 { "" } else { "s" }
        ),
        Class::Needed => format!("grant {}", upper(row.cap)),
        Class::Alternative => match row.grant {
            Some(narrow) => format!("grant {} instead of {}", upper(narrow), upper(row.cap)),
            None => format!("do not grant {}", upper(row.cap)),
        },
        Class::Advisory => format!(
            "not needed: the program works without {} at these checks",
            upper(row.cap)
        ),
        Class::UserNamespace => format!(
            "not needed on the host: {} is checked inside the program's own user namespace",
            upper(row.cap)
        ),
    }
}

/// Passes each distinct (capability, syscall, verdict) once: the live `--unique` view.
#[derive(Debug, Default)]
pub struct Dedup {
    seen: HashSet<(Cap, Option<u32>, bool)>,
}

impl Dedup {
    /// True the first time such a check is seen.
    pub fn first(&mut self, event: &CapEvent) -> bool {
        self.seen
            .insert((event.cap, event.syscall, event.verdict.is_granted()))
    }
}
