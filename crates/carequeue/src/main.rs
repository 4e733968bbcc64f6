//! The carequeue command line (placeholder until the commands land).

fn main() {}
