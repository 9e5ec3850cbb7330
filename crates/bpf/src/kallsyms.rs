//! Kernel symbolisation from `/proc/kallsyms`.

use std::collections::HashMap;
use std::io;

/// Kernel text symbols sorted by address.
#[derive(Debug, Default)]
pub struct Kallsyms {
    symbols: Vec<(u64, String)>,
}

impl Kallsyms {
    /// Reads `/proc/kallsyms`. Addresses are all zero unless the caller may see them
    /// (`kernel.kptr_restrict`); then symbolisation yields nothing and this returns an error.
    pub fn load() -> io::Result<Kallsyms> {
        let text = std::fs::read_to_string("/proc/kallsyms")?;
        let symbols = Kallsyms::parse(&text);
        if symbols.symbols.is_empty() {
            return Err(io::Error::other(
                "/proc/kallsyms shows no addresses (kernel.kptr_restrict hides them)",
            ));
        }
        Ok(symbols)
    }

    /// Parses the text of `/proc/kallsyms`: text symbols (`t`/`T`/`w`/`W`) with a non-zero address.
    pub fn parse(text: &str) -> Kallsyms {
        let mut symbols: Vec<(u64, String)> = text
            .lines()
            .filter_map(|line| {
                let mut fields = line.split_whitespace();
                let address = u64::from_str_radix(fields.next()?, 16).ok()?;
                let kind = fields.next()?;
                let name = fields.next()?;
                let is_text = matches!(kind, "t" | "T" | "w" | "W");
                (is_text && address != 0).then(|| (address, name.to_owned()))
            })
            .collect();
        symbols.sort_unstable_by_key(|(address, _)| *address);
        Kallsyms { symbols }
    }

    /// The function containing `address`.
    pub fn resolve(&self, address: u64) -> Option<&str> {
        let index = self
            .symbols
            .partition_point(|(start, _)| *start <= address)
            .checked_sub(1)?;
        Some(self.symbols[index].1.as_str())
    }

    /// Symbolises a stack of instruction pointers, innermost first; unknown frames as `0x…`.
    pub fn symbolise(&self, ips: &[u64]) -> Vec<String> {
        ips.iter()
            .map(|&ip| match self.resolve(ip) {
                Some(name) => name.to_owned(),
                None => format!("{ip:#x}"),
            })
            .collect()
    }
}

/// Stack id → symbolised frames.
pub(crate) type StackCache = HashMap<u32, Vec<String>>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_addresses_to_enclosing_functions() {
        let syms = Kallsyms::parse(
            "ffffffff81000000 T _stext\n\
             ffffffff81001000 t inet_create\n\
             ffffffff81002000 D some_data\n\
             ffffffff81003000 T __sys_socket\t[foo]\n\
             0000000000000000 T hidden\n",
        );
        assert_eq!(syms.resolve(0xffffffff81001010), Some("inet_create"));
        assert_eq!(
            syms.resolve(0xffffffff81002010),
            Some("inet_create"),
            "data symbols are not functions"
        );
        assert_eq!(syms.resolve(0xffffffff81003000), Some("__sys_socket"));
        assert_eq!(syms.resolve(0x1000), None);
        assert_eq!(
            syms.symbolise(&[0xffffffff81000001, 0x10]),
            vec!["_stext".to_owned(), "0x10".to_owned()]
        );
    }
}
