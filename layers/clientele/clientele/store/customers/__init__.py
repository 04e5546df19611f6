"""Customer, address, guard and counter items."""
