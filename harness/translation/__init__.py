"""Machine-translation tasks: language pairs, output cleaning, round trips."""
