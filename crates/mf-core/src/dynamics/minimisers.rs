//! The registry of minimisers: every method `--polish-method` can name.
//!
//! A minimiser is one file (its [`super::Minimiser`] and a `pub const SPEC: MinimiserSpec`) and one
//! line in [`MINIMISERS`]; the polish a config asks for ([`crate::config::Polish::method`])
//! is built from here by the trainer ([`crate::Trainer::finish`]).

use super::minimiser::MinimiserSpec;

/// Every shipped minimiser; the first is the default polish.
pub const MINIMISERS: &[&MinimiserSpec] = &[
    &super::trust_region::SPEC,
    &super::lbfgs::SPEC,
    &super::minimiser::STEEPEST_DESCENT,
];

/// The name of the default polish.
pub const DEFAULT_MINIMISER: &str = "trust-region-newton";

/// The minimiser called `name` (by its name or an alias).
pub fn minimiser(name: &str) -> Option<&'static MinimiserSpec> {
    MINIMISERS
        .iter()
        .copied()
        .find(|m| m.name == name || m.aliases.contains(&name))
}

/// Every name and alias `--polish-method` accepts.
pub fn minimiser_names() -> Vec<&'static str> {
    MINIMISERS
        .iter()
        .flat_map(|m| std::iter::once(m.name).chain(m.aliases.iter().copied()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_minimiser_is_built_under_its_name_and_the_default_is_first() {
        for m in MINIMISERS {
            assert_eq!((m.build)().name(), m.name);
            assert!(minimiser(m.name).is_some());
        }
        assert_eq!(MINIMISERS[0].name, DEFAULT_MINIMISER);
        assert_eq!(minimiser("trust-region").unwrap().name, DEFAULT_MINIMISER);
        assert!(minimiser("newton").is_none());
    }
}
